//! Tools in the library: a [`Toolbox`] of async functions the model may
//! call, and the loop ([`run_tools`]) that sends a request with them, runs
//! the calls in each reply and sends the results back until the model
//! answers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), yat_core::YatError> {
//! use serde_json::json;
//! use yat_core::tools::{run_tools, Toolbox};
//! use yat_core::{ChatRequest, Message};
//!
//! let toolbox = Toolbox::new().tool(
//!     "get_weather",
//!     "Current weather in a city",
//!     json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
//!     |args| async move {
//!         let Some(city) = args["city"].as_str() else {
//!             return Err("city must be a string");
//!         };
//!         Ok(json!({"city": city, "celsius": 12}))
//!     },
//! );
//!
//! // Any way of starting a chat: here a stand-in that always answers the same;
//! // with a manager, `|req| manager.chat(&target, req)`.
//! let start = |_req: ChatRequest| async { Ok(yat_core::stream::from_text("demo", vec!["Mild.".into()])) };
//! let outcome = run_tools(start, ChatRequest::new("m", vec![Message::user("Weather in Oslo?")]), toolbox)
//!     .max_steps(4)
//!     .run_to_end()
//!     .await?;
//! assert_eq!(outcome.response.text(), "Mild.");
//! # Ok(()) }
//! ```

mod event;
mod handoff;
mod run;
mod toolbox;

pub use event::ToolLoopEvent;
pub use run::{run_tools, ToolOutcome, ToolRun, DEFAULT_MAX_STEPS};
pub use toolbox::Toolbox;
