//! `yat-fakeserver`: serves generated OpenAI and Anthropic streams on
//! 127.0.0.1, so anyone can reproduce yat's streaming benchmarks with any
//! client (`curl`, yat, or a peer).
//!
//! ```text
//! yat-fakeserver --chunks 20000 --format openai
//! listening on http://127.0.0.1:41234
//! ```
//!
//! `POST /v1/chat/completions` answers in the OpenAI format and
//! `POST /v1/messages` in the Anthropic one, whatever `--format` says; any
//! other POST gets `--format`. `GET /v1/models` lists one model.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use yat_fakeserver::{FakeServer, Format, Generated, Response, Route, Split};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Serve generated LLM streams on 127.0.0.1 for benchmarks"
)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Text deltas per stream.
    #[arg(long, default_value_t = 1000)]
    chunks: usize,
    /// Format for POSTs to paths other than the two vendor paths.
    #[arg(long, default_value = "openai", value_parser = ["openai", "anthropic"])]
    format: String,
    /// Milliseconds between two events (0: as fast as the socket takes them).
    #[arg(long, default_value_t = 0)]
    pace: u64,
    /// The text of every delta.
    #[arg(long, default_value = "tok ")]
    token: String,
}

fn stream(format: Format, args: &Args) -> Response {
    let mut r = Response::generated(Generated {
        format,
        chunks: args.chunks,
        token: args.token.clone(),
    });
    if args.pace > 0 {
        r = r
            .pace(Duration::from_millis(args.pace))
            .split(Split::Events);
    }
    r
}

fn main() {
    let args = Args::parse();
    let format: Format = args.format.parse().expect("clap checked the value");
    let routes = vec![
        Route::new("POST", "/v1/chat/completions").respond(stream(Format::OpenAi, &args)),
        Route::new("POST", "/v1/messages").respond(stream(Format::Anthropic, &args)),
        Route::new("GET", "/v1/models").respond(Response::json(
            200,
            r#"{"object":"list","data":[{"id":"fake-model","object":"model","created":1764000000,"owned_by":"yat-fakeserver","type":"model","display_name":"Fake model","created_at":"2025-11-24T00:00:00Z"}],"has_more":false,"first_id":"fake-model","last_id":"fake-model"}"#,
        )),
        Route::prefix("POST", "/").respond(stream(format, &args)),
    ];
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = match FakeServer::start_blocking(addr, routes, false) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("yat-fakeserver: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on {}", server.url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    server.wait();
}
