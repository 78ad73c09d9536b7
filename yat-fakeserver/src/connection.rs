//! Accepting connections and answering requests on them, faults included.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use crate::generate::json_string;
use crate::request::read_request;
use crate::response::{pieces, reason, Action, Body, Fault, Response, Split, Transfer};
use crate::Shared;

/// Generated bodies are written in batches of about this size when no
/// split or pace asks for smaller writes.
const BATCH: usize = 64 * 1024;

/// Whether the connection can carry another request.
enum Next {
    Keep,
    Closed,
}

/// The client is gone (write failed, or it closed while we waited).
struct Gone;

pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve(stream, shared.clone()));
                }
                // Out of descriptors, or a connection reset before accept:
                // back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf = Vec::new();
    while let Ok(Some(req)) = read_request(&mut stream, &mut buf).await {
        let response = shared.answer(&req);
        // HTTP/1.1: a client that asks for it gets the connection closed
        // after the answer, so it can read a body to its end.
        let client_closes = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        match answer(&mut stream, &response).await {
            Ok(Next::Keep) if client_closes => {
                let _ = stream.shutdown().await;
                return;
            }
            Ok(Next::Keep) => continue,
            Ok(Next::Closed) => return,
            Err(Gone) => {
                shared.client_went_away();
                return;
            }
        }
    }
}

async fn answer(stream: &mut TcpStream, resp: &Response) -> Result<Next, Gone> {
    match resp.before_headers {
        Some(Fault::Reset) => {
            let _ = stream.set_zero_linger();
            return Ok(Next::Closed);
        }
        Some(Fault::Stall) => {
            hold(stream).await;
            return Err(Gone);
        }
        Some(Fault::Delay(d)) => pause(stream, d).await?,
        None => {}
    }

    let framing = resp.framing();
    let materialized;
    let body: Option<&[u8]> = match &resp.body {
        Body::Bytes(b) => Some(b),
        Body::Generated(g) if framing == Transfer::Length || !generated_natively(&resp.split) => {
            materialized = g.to_bytes();
            Some(&materialized)
        }
        Body::Generated(_) => None,
    };

    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    match framing {
        Transfer::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
        Transfer::Length | Transfer::Auto => {
            let len = body.map_or(0, <[u8]>::len);
            head.push_str(&format!("content-length: {len}\r\n"));
        }
        Transfer::CloseDelimited => head.push_str("connection: close\r\n"),
    }
    head.push_str("\r\n");
    write(stream, head.as_bytes()).await?;

    let chunked = framing == Transfer::Chunked;
    match (body, &resp.body) {
        (Some(bytes), _) => {
            for (i, piece) in pieces(bytes, &resp.split).into_iter().enumerate() {
                if i > 0 {
                    if let Some(p) = resp.pace {
                        pause(stream, p).await?;
                    }
                }
                write_piece(stream, piece, chunked).await?;
            }
        }
        (None, Body::Generated(g)) => {
            let token = json_string(&g.token);
            let per_event = resp.pace.is_some() || resp.split == Split::Events;
            let mut out = Vec::with_capacity(BATCH + 1024);
            for i in 0..g.events() {
                if per_event && i > 0 {
                    if let Some(p) = resp.pace {
                        pause(stream, p).await?;
                    }
                }
                g.write_event(i, &token, &mut out);
                if per_event || out.len() >= BATCH {
                    write_piece(stream, &out, chunked).await?;
                    out.clear();
                }
            }
            write_piece(stream, &out, chunked).await?;
        }
        (None, Body::Bytes(_)) => unreachable!("bytes bodies are always Some"),
    }

    match resp.then {
        Action::End => {
            if chunked {
                write(stream, b"0\r\n\r\n").await?;
            }
            if framing == Transfer::CloseDelimited {
                let _ = stream.shutdown().await;
                return Ok(Next::Closed);
            }
            Ok(Next::Keep)
        }
        Action::Close => {
            let _ = stream.shutdown().await;
            Ok(Next::Closed)
        }
        Action::Reset => {
            let _ = stream.set_zero_linger();
            Ok(Next::Closed)
        }
        Action::Stall => {
            hold(stream).await;
            Err(Gone)
        }
    }
}

/// Whether a generated body can be cut as asked without materializing it.
fn generated_natively(split: &Split) -> bool {
    matches!(split, Split::Whole | Split::Events)
}

async fn write_piece(stream: &mut TcpStream, piece: &[u8], chunked: bool) -> Result<(), Gone> {
    if piece.is_empty() {
        // An empty chunk would end a chunked body.
        return Ok(());
    }
    if chunked {
        let mut frame = Vec::with_capacity(piece.len() + 16);
        frame.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        frame.extend_from_slice(piece);
        frame.extend_from_slice(b"\r\n");
        write(stream, &frame).await
    } else {
        write(stream, piece).await
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), Gone> {
    stream.write_all(bytes).await.map_err(|_| Gone)
}

/// Waits `d`, noticing if the client leaves meanwhile.
async fn pause(stream: &mut TcpStream, d: Duration) -> Result<(), Gone> {
    let sleep = tokio::time::sleep(d);
    tokio::pin!(sleep);
    let mut scratch = [0u8; 1024];
    loop {
        tokio::select! {
            _ = &mut sleep => return Ok(()),
            r = stream.read(&mut scratch) => match r {
                Ok(0) | Err(_) => return Err(Gone),
                // Clients do not pipeline; stray bytes are dropped.
                Ok(_) => continue,
            }
        }
    }
}

/// Holds the connection, sending nothing, until the client closes it.
async fn hold(stream: &mut TcpStream) {
    let mut scratch = [0u8; 1024];
    while let Ok(n) = stream.read(&mut scratch).await {
        if n == 0 {
            return;
        }
    }
}
