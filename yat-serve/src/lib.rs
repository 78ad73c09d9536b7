//! `yat-serve`: one OpenAI- and Anthropic-compatible HTTP endpoint in front
//! of every provider linked into the program — the library behind
//! `yat serve`.
//!
//! A client of either API talks to any provider: an OpenAI SDK to an
//! Anthropic model, an Anthropic SDK to a local llama.cpp server, either to
//! the offline `mock`. Everything the yat contract carries goes through
//! both ways — text, images, documents, tool calls (streamed as they
//! arrive), reasoning, JSON-schema output, detailed usage — and what one
//! side cannot express is the 400 a client of that API expects.
//!
//! ```no_run
//! # async fn run() -> Result<(), yat_core::YatError> {
//! use yat_core::ProviderManager;
//! use yat_serve::keys::KeyStore;
//! use yat_serve::Gateway;
//!
//! let manager = ProviderManager::builder().build().await?;
//! let gateway = Gateway::builder(manager)
//!     .keys(KeyStore::new("gateway_keys.json"))
//!     .build()
//!     .await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await.unwrap();
//! yat_serve::serve(listener, gateway, yat_serve::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
//!
//! Or mount [`Gateway::router`] in a program's own axum server.
//!
//! ## What a request goes through
//! 1. The key (`Authorization: Bearer` or `x-api-key`), checked against
//!    the SHA-256 of each stored key ([`keys`]), and the key's rate.
//! 2. The body, up to the size limit, parsed by the format's translator.
//! 3. The model: the `serve.models` map, an alias, or `PROVIDER/MODEL`;
//!    then the configured fallbacks. The manager's one policy applies:
//!    retries before the first output, then the next model.
//! 4. The reply: streamed as the upstream produces it (the status is
//!    chosen once the upstream has answered, so a failure before that is
//!    a proper HTTP error), or collected for a non-streaming request. An
//!    error after the stream began is the format's in-stream error event.
//!    A client that goes away cancels the upstream request.
//!
//! Settings live in the `serve` object of `provider_config.json`
//! ([`config`]) and apply without a restart, as do provider settings and
//! keys; a request already streaming keeps the provider instance it
//! started on.
//!
//! The gateway keeps no state of its own beyond its files: run several
//! behind any HTTP load balancer to serve more than one machine can.

mod anthropic;
mod api_error;
pub mod config;
mod dialect;
mod exchange;
mod gateway;
mod handler;
pub mod keys;
mod metrics;
mod openai;
mod rate;
mod reply_stream;
mod server;

pub use api_error::{ApiError, ErrorKind};
pub use gateway::{Gateway, GatewayBuilder};
pub use server::{serve, shutdown_signal};
