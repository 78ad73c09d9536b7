//! The tools a program offers a model: each a [`ToolSpec`] and the async
//! function that answers a call to it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures::FutureExt;

use crate::types::{ToolCall, ToolOutput, ToolResult, ToolSpec};

/// What a handler's future resolves to once its output and error are
/// brought to one shape.
type HandlerFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, String>> + Send>>;

/// A handler with its types erased, shared by every clone of the toolbox.
type Handler = Arc<dyn Fn(serde_json::Value) -> HandlerFuture + Send + Sync>;

/// A set of tools: for each, the [`ToolSpec`] the model sees and the async
/// function that runs when the model calls it.
///
/// A handler takes the call's arguments and returns its output (text, a
/// JSON value, anything `Into<ToolOutput>`) or an error (anything
/// `Display`). An error is not a failure of the program: it goes back to the
/// model as an error result ([`ToolResult::error`]) with the error's text, so
/// the model can try again or give up. So does a handler that panics.
///
/// Registering a name twice replaces the first tool. Cloning a toolbox is
/// cheap: handlers are shared.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use serde_json::json;
/// use yat_core::tools::Toolbox;
/// use yat_core::ToolCall;
///
/// let toolbox = Toolbox::new().tool(
///     "add",
///     "Adds two numbers",
///     json!({
///         "type": "object",
///         "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
///         "required": ["a", "b"]
///     }),
///     |args| async move {
///         match (args["a"].as_f64(), args["b"].as_f64()) {
///             (Some(a), Some(b)) => Ok(json!(a + b)),
///             _ => Err("a and b must be numbers"),
///         }
///     },
/// );
/// assert_eq!(toolbox.specs()[0].name, "add");
///
/// let sum = toolbox.call(&ToolCall::new("c1", "add", json!({"a": 2, "b": 3}))).await;
/// assert_eq!((sum.content.to_text().as_str(), sum.is_error), ("5.0", false));
///
/// let bad = toolbox.call(&ToolCall::new("c2", "add", json!({"a": "two"}))).await;
/// assert_eq!((bad.content.to_text().as_str(), bad.is_error), ("a and b must be numbers", true));
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Toolbox {
    tools: Vec<Tool>,
    /// Name -> position in `tools`.
    index: HashMap<String, usize>,
}

#[derive(Clone)]
struct Tool {
    spec: ToolSpec,
    handler: Handler,
}

impl Toolbox {
    /// An empty toolbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool: its name, what it does (for the model), the JSON Schema
    /// of its arguments object, and the handler that runs a call.
    ///
    /// The handler gets the arguments as the model sent them; checking them
    /// is its job (or, with the `schemars` feature, use `Toolbox::typed` and
    /// let serde do it).
    ///
    /// A handler that only ever succeeds must still name an error type, for
    /// inference: `Ok::<_, String>(...)`.
    ///
    /// ```
    /// use yat_core::tools::Toolbox;
    /// let toolbox = Toolbox::new().tool(
    ///     "now",
    ///     "The current UTC time",
    ///     serde_json::json!({"type": "object", "properties": {}}),
    ///     |_args| async { Ok::<_, String>("2025-01-01T00:00:00Z") },
    /// );
    /// assert_eq!(toolbox.len(), 1);
    /// ```
    pub fn tool<F, Fut, O, E>(
        self,
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
        handler: F,
    ) -> Self
    where
        F: Fn(serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        O: Into<ToolOutput>,
        E: fmt::Display,
    {
        self.tool_spec(ToolSpec::new(name, description, parameters), handler)
    }

    /// Adds a tool from a whole [`ToolSpec`] (to set
    /// [`strict`](ToolSpec::strict), say) and its handler, as
    /// [`Toolbox::tool`] does.
    ///
    /// ```
    /// use yat_core::{tools::Toolbox, ToolSpec};
    /// let spec = ToolSpec::new("ping", "Answers pong", serde_json::json!({"type": "object"})).strict(true);
    /// let toolbox = Toolbox::new().tool_spec(spec, |_args| async { Ok::<_, String>("pong") });
    /// assert_eq!(toolbox.spec("ping").unwrap().strict, Some(true));
    /// ```
    pub fn tool_spec<F, Fut, O, E>(mut self, spec: ToolSpec, handler: F) -> Self
    where
        F: Fn(serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        O: Into<ToolOutput>,
        E: fmt::Display,
    {
        let handler: Handler = Arc::new(move |args| {
            let fut = handler(args);
            Box::pin(async move { fut.await.map(Into::into).map_err(|e| e.to_string()) })
        });
        let tool = Tool { spec, handler };
        match self.index.get(&tool.spec.name) {
            Some(&i) => self.tools[i] = tool,
            None => {
                self.index.insert(tool.spec.name.clone(), self.tools.len());
                self.tools.push(tool);
            }
        }
        self
    }

    /// Adds a tool whose arguments are a Rust type: the schema is derived
    /// from `T` (see [`crate::structured::schema_value`]) and the handler
    /// gets a `T`. Arguments that do not deserialize into `T` never reach
    /// the handler: the model gets an error result
    /// `invalid arguments for tool `NAME`: SERDE ERROR` and may try again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    /// use yat_core::{tools::Toolbox, ToolCall};
    ///
    /// /// Where to look up the weather.
    /// #[derive(Deserialize, JsonSchema)]
    /// struct Weather {
    ///     /// The city's name.
    ///     city: String,
    /// }
    ///
    /// let toolbox = Toolbox::new().typed("weather", "Current weather", |w: Weather| async move {
    ///     Ok::<_, String>(format!("12°C in {}", w.city))
    /// });
    /// assert_eq!(toolbox.spec("weather").unwrap().parameters["required"][0], "city");
    ///
    /// let ok = toolbox.call(&ToolCall::new("c1", "weather", serde_json::json!({"city": "Oslo"}))).await;
    /// assert_eq!(ok.content.to_text(), "12°C in Oslo");
    /// let bad = toolbox.call(&ToolCall::new("c2", "weather", serde_json::json!({"town": "Oslo"}))).await;
    /// assert!(bad.is_error);
    /// assert!(bad.content.to_text().starts_with("invalid arguments for tool `weather`: missing field `city`"));
    /// # }
    /// ```
    #[cfg(feature = "schemars")]
    #[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
    pub fn typed<T, F, Fut, O, E>(
        self,
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Self
    where
        T: schemars::JsonSchema + serde::de::DeserializeOwned + Send + 'static,
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        O: Into<ToolOutput>,
        E: fmt::Display,
    {
        let name = name.into();
        let parameters = crate::structured::schema_value::<T>();
        let handler = Arc::new(handler);
        let tool_name = name.clone();
        self.tool(name, description, parameters, move |args| {
            let parsed = serde_json::from_value::<T>(args);
            let handler = Arc::clone(&handler);
            let tool_name = tool_name.clone();
            async move {
                match parsed {
                    Ok(args) => handler(args).await.map_err(|e| e.to_string()),
                    Err(e) => Err(format!("invalid arguments for tool `{tool_name}`: {e}")),
                }
            }
        })
    }

    /// The specs of every tool, in the order they were added: what a
    /// [`ChatRequest`](crate::ChatRequest) carries in `tools`.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|t| t.spec.clone()).collect()
    }

    /// The spec of the tool named `name`.
    pub fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.index.get(name).map(|&i| &self.tools[i].spec)
    }

    /// Whether a tool is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Runs one call and returns its result; never fails. The future owns
    /// what it needs (it does not borrow the toolbox), so calls can run side
    /// by side or on other tasks.
    ///
    /// - a call to a tool the box does not have: an error result
    ///   `unknown tool `NAME`; the tools are: A, B`;
    /// - a handler's error: an error result with the error's text;
    /// - a handler that panics: an error result `tool `NAME` panicked: MESSAGE`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use yat_core::{tools::Toolbox, ToolCall};
    /// let toolbox = Toolbox::new();
    /// let r = toolbox.call(&ToolCall::new("c1", "nope", serde_json::json!({}))).await;
    /// assert!(r.is_error);
    /// assert_eq!(r.content.to_text(), "unknown tool `nope`; the tools are: (none)");
    /// # }
    /// ```
    pub fn call(&self, call: &ToolCall) -> impl Future<Output = ToolResult> + Send + 'static {
        // The handler's closure runs now, its future when awaited: a panic
        // in either is the tool's failure, not the caller's.
        let prepared = match self.index.get(&call.name) {
            Some(&i) => {
                let handler = &self.tools[i].handler;
                let args = call.arguments.clone();
                std::panic::catch_unwind(AssertUnwindSafe(|| handler(args)))
                    .map_err(|payload| panicked(&call.name, payload.as_ref()))
            }
            None => Err(self.unknown_tool_message(&call.name)),
        };
        let call_id = call.id.clone();
        let name = call.name.clone();
        async move {
            let outcome = match prepared {
                Ok(fut) => match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(outcome) => outcome,
                    Err(payload) => Err(panicked(&name, payload.as_ref())),
                },
                Err(message) => Err(message),
            };
            match outcome {
                Ok(output) => ToolResult::from_parts(&call_id, &name, output, false),
                Err(message) => {
                    ToolResult::from_parts(&call_id, &name, ToolOutput::Text(message), true)
                }
            }
        }
    }

    /// The text of the error result for a call to a tool not in the box.
    pub(crate) fn unknown_tool_message(&self, name: &str) -> String {
        let names = if self.tools.is_empty() {
            "(none)".to_owned()
        } else {
            let names: Vec<&str> = self.tools.iter().map(|t| t.spec.name.as_str()).collect();
            names.join(", ")
        };
        format!("unknown tool `{name}`; the tools are: {names}")
    }
}

impl fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.tools.iter().map(|t| &t.spec.name))
            .finish()
    }
}

/// The error text for a tool that panicked.
fn panicked(name: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "(no message)"
    };
    format!("tool `{name}` panicked: {message}")
}
