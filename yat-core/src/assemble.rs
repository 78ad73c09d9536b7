//! The state every stream decoder keeps, written once: tool calls put
//! together from fragments, usage and the finish held until the end, and
//! the verdict on a stream that ends — complete, or cut.
//!
//! A decoder turns one provider's wire events into [`ChatEvent`]s. What
//! differs between providers is the wire format; what does not is here:
//!
//! - [`ToolCallAssembler`]: calls arrive as fragments keyed by a vendor
//!   index, an id, or both (OpenAI and its many compatible servers, Cohere),
//!   as blocks (Anthropic) or whole (Gemini). It numbers calls from 0,
//!   concatenates arguments in linear time, treats a repeated id and name as
//!   the same call (never a name appended to itself), and parses the
//!   arguments once, at the end.
//! - [`ReplyState`]: usage merged across reports, the finish, and
//!   [`ReplyState::complete`] / [`ReplyState::cut`] for the end of the stream.
//!
//! ```
//! use std::collections::VecDeque;
//! use yat_core::assemble::ReplyState;
//! use yat_core::{ChatEvent, Finish, FinishReason, Usage};
//!
//! let mut reply = ReplyState::new("acme");
//! let mut out = VecDeque::new();
//! // Two fragments of one call, keyed by the vendor's index 0; the second
//! // repeats the id and name, as some servers do.
//! reply.tools.fragment(Some(0), Some("call_1"), Some("now"), Some("{\"tz\":"), &mut out).unwrap();
//! reply.tools.fragment(Some(0), Some("call_1"), Some("now"), Some("\"UTC\"}"), &mut out).unwrap();
//! reply.usage(Usage::new(10, 5));
//! reply.finish(Finish::new(FinishReason::ToolCalls, "tool_calls"));
//! reply.complete(&mut out).unwrap();
//!
//! let end = out.iter().find_map(|e| match e { ChatEvent::ToolCallEnd { call, .. } => Some(call), _ => None }).unwrap();
//! assert_eq!((end.name.as_str(), end.arguments["tz"].as_str()), ("now", Some("UTC")));
//! assert!(matches!(out.back(), Some(ChatEvent::Finish(_))));
//! ```

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use crate::types::{ChatEvent, Finish, FinishReason, ToolCall, Usage};
use crate::YatError;

/// The prefix of the ids [`ToolCallAssembler`] makes up for calls that came
/// without one (Gemini sometimes sends none). A provider that sends such a
/// call back may leave the id out.
pub const SYNTHETIC_ID_PREFIX: &str = "yat_call_";

#[derive(Debug)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
    signature: Option<String>,
    ended: bool,
}

/// Puts tool calls together from whatever pieces a provider streams.
///
/// Lookups are by map, so a reply with many calls costs linear time, not
/// quadratic.
#[derive(Debug)]
pub struct ToolCallAssembler {
    provider: String,
    calls: Vec<PendingCall>,
    /// The latest call with each id.
    by_id: HashMap<String, usize>,
    /// The latest call with each vendor key (OpenAI's `index`, Anthropic's
    /// block index).
    by_slot: HashMap<u64, usize>,
    /// Calls not ended yet, in start order.
    open: usize,
}

impl ToolCallAssembler {
    /// An assembler for `provider`'s stream (named in its errors).
    pub fn new(provider: impl Into<String>) -> Self {
        ToolCallAssembler {
            provider: provider.into(),
            calls: Vec::new(),
            by_id: HashMap::new(),
            by_slot: HashMap::new(),
            open: 0,
        }
    }

    /// Whether any call has started.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// How many calls have started.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether a call is still open (started, not ended).
    pub fn has_open(&self) -> bool {
        self.open > 0
    }

    /// One fragment of a call: any of the vendor's key (`slot`), the call's
    /// id, its name and a piece of its arguments.
    ///
    /// The fragment belongs to the open call with the same id; without an
    /// id, to the latest call with the same slot if it is open; without
    /// either, to the latest call if it is open. Otherwise it starts a call.
    /// A name repeated on a later fragment is ignored; a call whose name
    /// comes only on a later fragment takes it then (a call still nameless
    /// at its end is a malformed response). Arguments pieces are appended
    /// and passed on as [`ChatEvent::ToolCallDelta`]. A fragment for an id
    /// whose call has ended, or with neither id nor name for a slot that
    /// never started, is a malformed response.
    pub fn fragment(
        &mut self,
        slot: Option<u64>,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<&str>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<(), YatError> {
        self.fragment_cow(slot, id, name, arguments.map(Cow::Borrowed), out)
    }

    /// [`fragment`](Self::fragment) with the arguments piece as a `Cow`: a
    /// piece the decoder already owns (one with JSON escapes, unescaped)
    /// moves into its [`ChatEvent::ToolCallDelta`] instead of being copied.
    pub fn fragment_cow(
        &mut self,
        slot: Option<u64>,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<Cow<'_, str>>,
        out: &mut VecDeque<ChatEvent>,
    ) -> Result<(), YatError> {
        let id = id.filter(|s| !s.is_empty());
        let name = name.filter(|s| !s.is_empty());
        let open = |i: &usize| !self.calls[*i].ended;
        let target = match id {
            Some(id) => match self.by_id.get(id) {
                Some(&i) if !self.calls[i].ended => Some(i),
                Some(_) => {
                    return Err(self.malformed(format!(
                        "a fragment of tool call {id} arrived after the call ended"
                    )))
                }
                None => None,
            },
            None => match slot {
                Some(k) => self.by_slot.get(&k).copied().filter(open),
                None => self.calls.len().checked_sub(1).filter(open),
            },
        };
        let index = match target {
            Some(i) => {
                let call = &mut self.calls[i];
                if call.name.is_empty() {
                    if let Some(n) = name {
                        call.name = n.to_owned();
                    }
                }
                i
            }
            None => {
                if id.is_none() && name.is_none() {
                    return Err(self.malformed(match slot {
                        Some(k) => {
                            format!("a tool-call fragment for index {k} before its call started")
                        }
                        None => "a tool-call fragment before any call started".into(),
                    }));
                }
                self.start(slot, id, name.unwrap_or(""), out)
            }
        };
        if let Some(piece) = arguments.filter(|a| !a.is_empty()) {
            self.calls[index].arguments.push_str(&piece);
            out.push_back(ChatEvent::ToolCallDelta {
                index: index as u32,
                arguments: piece.into_owned(),
            });
        }
        Ok(())
    }

    fn start(
        &mut self,
        slot: Option<u64>,
        id: Option<&str>,
        name: &str,
        out: &mut VecDeque<ChatEvent>,
    ) -> usize {
        let index = self.calls.len();
        let id = match id {
            Some(id) => id.to_owned(),
            None => format!("{SYNTHETIC_ID_PREFIX}{index}"),
        };
        out.push_back(ChatEvent::ToolCallStart {
            index: index as u32,
            id: id.clone(),
            name: name.to_owned(),
        });
        self.by_id.insert(id.clone(), index);
        if let Some(k) = slot {
            self.by_slot.insert(k, index);
        }
        self.calls.push(PendingCall {
            id,
            name: name.to_owned(),
            arguments: String::new(),
            signature: None,
            ended: false,
        });
        self.open += 1;
        index
    }

    /// A whole call at once (Gemini sends calls unfragmented), with the
    /// provider's signature if it attached one. It is started, given its
    /// arguments and ended in one go.
    pub fn whole(
        &mut self,
        id: Option<&str>,
        name: &str,
        arguments: &serde_json::Value,
        signature: Option<String>,
        out: &mut VecDeque<ChatEvent>,
    ) {
        let index = self.start(None, id.filter(|s| !s.is_empty()), name, out);
        let text = arguments.to_string();
        out.push_back(ChatEvent::ToolCallDelta {
            index: index as u32,
            arguments: text.clone(),
        });
        let call = &mut self.calls[index];
        call.arguments = text;
        call.ended = true;
        self.open -= 1;
        out.push_back(ChatEvent::ToolCallEnd {
            index: index as u32,
            call: Box::new(ToolCall {
                id: call.id.clone(),
                name: call.name.clone(),
                arguments: arguments.clone(),
                signature,
            }),
        });
    }

    /// Ends every open call, in the order they started, parsing their
    /// arguments (empty arguments are `{}`).
    ///
    /// Every call that parses is ended and emitted, even when another does
    /// not; then the first call whose arguments are not JSON is returned as
    /// [`YatError::InvalidToolArguments`] (raw text kept), and one that never
    /// got a name as a malformed response.
    pub fn end_all(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        let mut first_error = None;
        for (index, call) in self.calls.iter_mut().enumerate() {
            if call.ended {
                continue;
            }
            call.ended = true;
            if call.name.is_empty() {
                first_error.get_or_insert_with(|| YatError::MalformedResponse {
                    provider: self.provider.clone(),
                    message: format!("tool call {} ended without a name", call.id),
                    excerpt: String::new(),
                });
                continue;
            }
            let raw = call.arguments.trim();
            let parsed = if raw.is_empty() {
                Ok(serde_json::Value::Object(Default::default()))
            } else {
                serde_json::from_str(raw)
            };
            match parsed {
                Ok(arguments) => out.push_back(ChatEvent::ToolCallEnd {
                    index: index as u32,
                    call: Box::new(ToolCall {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        arguments,
                        signature: call.signature.take(),
                    }),
                }),
                Err(e) => {
                    first_error.get_or_insert_with(|| YatError::InvalidToolArguments {
                        provider: self.provider.clone(),
                        id: call.id.clone(),
                        name: call.name.clone(),
                        raw: std::mem::take(&mut call.arguments),
                        message: e.to_string(),
                    });
                }
            }
        }
        self.open = 0;
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn malformed(&self, message: String) -> YatError {
        YatError::MalformedResponse {
            provider: self.provider.clone(),
            message,
            excerpt: String::new(),
        }
    }
}

/// What one reply has accumulated that is only emitted at its end: usage,
/// the finish, and the tool calls still open.
#[derive(Debug)]
pub struct ReplyState {
    provider: String,
    /// The tool calls of this reply.
    pub tools: ToolCallAssembler,
    usage: Option<Usage>,
    finish: Option<Finish>,
    completed: bool,
}

impl ReplyState {
    /// Fresh state for one stream of `provider`.
    pub fn new(provider: impl Into<String>) -> Self {
        let provider = provider.into();
        ReplyState {
            tools: ToolCallAssembler::new(provider.clone()),
            provider,
            usage: None,
            finish: None,
            completed: false,
        }
    }

    /// The provider id.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Records a usage report (merged with earlier ones: running totals
    /// keep the larger count, details known in either are kept).
    pub fn usage(&mut self, usage: Usage) {
        self.usage = Some(match self.usage {
            Some(old) => old.merge(usage),
            None => usage,
        });
    }

    /// Records the finish (a later one replaces an earlier one).
    pub fn finish(&mut self, finish: Finish) {
        self.finish = Some(finish);
    }

    /// Whether a finish has been seen.
    pub fn has_finish(&self) -> bool {
        self.finish.is_some()
    }

    /// Whether [`complete`](Self::complete) has run.
    pub fn is_complete(&self) -> bool {
        self.completed
    }

    /// The stream reached its end marker: ends open tool calls, then emits
    /// usage and the finish, last. When calls were made, a finish of `stop`
    /// (or none) is reported as `tool_calls`, raw word kept; without calls
    /// and without a finish it is `stop`. Runs once; later calls do nothing.
    /// A call with arguments that are not JSON is returned as the error
    /// after every other call has been emitted.
    pub fn complete(&mut self, out: &mut VecDeque<ChatEvent>) -> Result<(), YatError> {
        if self.completed {
            return Ok(());
        }
        self.completed = true;
        self.tools.end_all(out)?;
        if let Some(u) = self.usage.take() {
            out.push_back(ChatEvent::Usage(u));
        }
        let made_calls = !self.tools.is_empty();
        let finish = match self.finish.take() {
            // Some servers say `stop` after calls (Ollama-style, Gemini's
            // STOP): the caller must still run them. The raw word is kept.
            Some(mut f) if made_calls && f.reason == FinishReason::Stop => {
                f.reason = FinishReason::ToolCalls;
                f
            }
            Some(f) => f,
            None if made_calls => Finish::reason(FinishReason::ToolCalls),
            None => Finish::reason(FinishReason::Stop),
        };
        out.push_back(ChatEvent::Finish(finish));
        Ok(())
    }

    /// The body ended. If the reply is complete, or a finish was seen (some
    /// servers close right after it without their end marker), it is
    /// completed; otherwise the reply was cut, and the error says so with
    /// `missing` naming what never came (`"no [DONE]"`).
    pub fn cut(&mut self, out: &mut VecDeque<ChatEvent>, missing: &str) -> Result<(), YatError> {
        if self.completed {
            return Ok(());
        }
        if self.finish.is_some() {
            return self.complete(out);
        }
        Err(YatError::network(
            &*self.provider,
            format!("the stream ended before the reply was complete ({missing})"),
        ))
    }

    /// A malformed-response error for this provider with an excerpt of `data`.
    pub fn malformed(&self, message: impl Into<String>, data: &[u8]) -> YatError {
        YatError::malformed(&self.provider, message, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fragment as `fragment` takes it: index, id, name, arguments.
    type Fragment<'a> = (
        Option<u64>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    /// A new assembler fed `fragments`, each of which must be accepted, and
    /// what it emitted.
    fn fed(fragments: &[Fragment<'_>]) -> (ToolCallAssembler, VecDeque<ChatEvent>) {
        let mut t = ToolCallAssembler::new("p");
        let mut out = VecDeque::new();
        for &(index, id, name, arguments) in fragments {
            t.fragment(index, id, name, arguments, &mut out).unwrap();
        }
        (t, out)
    }

    fn calls(out: &VecDeque<ChatEvent>) -> Vec<ToolCall> {
        out.iter()
            .filter_map(|e| match e {
                ChatEvent::ToolCallEnd { call, .. } => Some((**call).clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn interleaved_fragments_by_index() {
        let (mut t, mut out) = fed(&[
            (Some(0), Some("a"), Some("f"), Some("")),
            (Some(1), Some("b"), Some("g"), Some("{\"y\"")),
            (Some(0), None, None, Some("{\"x\":1}")),
            (Some(1), None, None, Some(":2}")),
        ]);
        t.end_all(&mut out).unwrap();
        let c = calls(&out);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].id.as_str(), c[0].arguments["x"].as_i64()),
            ("a", Some(1))
        );
        assert_eq!(
            (c[1].name.as_str(), c[1].arguments["y"].as_i64()),
            ("g", Some(2))
        );
    }

    #[test]
    fn same_index_different_ids_are_different_calls() {
        let (mut t, mut out) = fed(&[
            (Some(0), Some("a"), Some("f"), Some("{}")),
            (Some(0), Some("b"), Some("f"), Some("{\"k\":true}")),
        ]);
        t.end_all(&mut out).unwrap();
        let c = calls(&out);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].arguments["k"], true);
    }

    #[test]
    fn repeated_id_and_name_is_one_call_with_one_name() {
        let (mut t, mut out) = fed(&[
            (Some(0), Some("x"), Some("now"), Some("{\"a\"")),
            (Some(0), Some("x"), Some("now"), Some(":")),
            (Some(0), Some("x"), Some("now"), Some("1}")),
        ]);
        t.end_all(&mut out).unwrap();
        let c = calls(&out);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "now");
        assert_eq!(c[0].arguments["a"], 1);
    }

    #[test]
    fn empty_arguments_are_an_empty_object_and_bad_ones_keep_their_text() {
        let (mut t, mut out) = fed(&[(None, Some("x"), Some("f"), None)]);
        t.end_all(&mut out).unwrap();
        assert_eq!(calls(&out)[0].arguments, serde_json::json!({}));

        let (mut t, mut out) = fed(&[(None, Some("y"), Some("g"), Some("{\"unterminated"))]);
        match t.end_all(&mut out) {
            Err(YatError::InvalidToolArguments { raw, name, .. }) => {
                assert_eq!((raw.as_str(), name.as_str()), ("{\"unterminated", "g"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fragments_out_of_order_are_typed_errors() {
        let mut t = ToolCallAssembler::new("p");
        let mut out = VecDeque::new();
        assert!(matches!(
            t.fragment(Some(3), None, None, Some("{}"), &mut out),
            Err(YatError::MalformedResponse { .. })
        ));
        t.fragment(Some(0), Some("a"), Some("f"), None, &mut out)
            .unwrap();
        t.end_all(&mut out).unwrap();
        assert!(matches!(
            t.fragment(Some(0), Some("a"), None, Some("x"), &mut out),
            Err(YatError::MalformedResponse { .. })
        ));
    }

    #[test]
    fn a_long_argument_one_byte_at_a_time_is_assembled_whole() {
        let mut t = ToolCallAssembler::new("p");
        let mut out = VecDeque::new();
        let value = "x".repeat(100_000);
        let args = serde_json::json!({ "v": value }).to_string();
        t.fragment(Some(0), Some("a"), Some("f"), None, &mut out)
            .unwrap();
        let mut buf = [0u8; 4];
        for ch in args.chars() {
            t.fragment(
                Some(0),
                None,
                None,
                Some(ch.encode_utf8(&mut buf)),
                &mut out,
            )
            .unwrap();
            out.clear();
        }
        t.end_all(&mut out).unwrap();
        assert_eq!(
            calls(&out)[0].arguments["v"].as_str().unwrap().len(),
            100_000
        );
    }

    #[test]
    fn whole_calls_get_synthetic_ids_and_keep_signatures() {
        let mut t = ToolCallAssembler::new("p");
        let mut out = VecDeque::new();
        t.whole(
            None,
            "f",
            &serde_json::json!({"a": 1}),
            Some("sig".into()),
            &mut out,
        );
        t.whole(Some("id2"), "g", &serde_json::json!({}), None, &mut out);
        let c = calls(&out);
        assert_eq!(c[0].id, format!("{SYNTHETIC_ID_PREFIX}0"));
        assert_eq!(c[0].signature.as_deref(), Some("sig"));
        assert_eq!(c[1].id, "id2");
        assert!(!t.has_open());
    }

    #[test]
    fn reply_completes_once_and_a_cut_without_finish_is_an_error() {
        let mut r = ReplyState::new("p");
        let mut out = VecDeque::new();
        assert!(matches!(
            r.cut(&mut out, "no [DONE]"),
            Err(YatError::Network { .. })
        ));
        let mut r = ReplyState::new("p");
        r.tools
            .fragment(Some(0), Some("a"), Some("f"), Some("{}"), &mut out)
            .unwrap();
        r.usage(Usage::new(1, 0));
        r.usage(Usage::new(1, 7).with_reasoning(3));
        r.complete(&mut out).unwrap();
        r.complete(&mut out).unwrap();
        let finishes: Vec<_> = out
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Finish(f) => Some(f.reason),
                _ => None,
            })
            .collect();
        assert_eq!(finishes, [FinishReason::ToolCalls]);
        assert!(out.contains(&ChatEvent::Usage(Usage::new(1, 7).with_reasoning(3))));
    }
    #[test]
    fn a_bad_call_does_not_lose_the_good_ones_beside_it() {
        let (mut t, mut out) = fed(&[
            (Some(0), Some("a"), Some("f"), Some("{oops")),
            (Some(1), Some("b"), Some("g"), Some("{\"ok\":1}")),
        ]);
        match t.end_all(&mut out) {
            Err(YatError::InvalidToolArguments { id, raw, .. }) => {
                assert_eq!((id.as_str(), raw.as_str()), ("a", "{oops"))
            }
            other => panic!("{other:?}"),
        }
        let c = calls(&out);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].id, "b");
        assert!(!t.has_open());
    }

    #[test]
    fn a_name_may_come_after_the_first_fragment() {
        let (mut t, mut out) = fed(&[
            (Some(0), Some("a"), None, Some("{")),
            (Some(0), None, Some("late"), Some("}")),
        ]);
        t.end_all(&mut out).unwrap();
        assert_eq!(calls(&out)[0].name, "late");

        let (mut t, mut out) = fed(&[(None, Some("x"), None, Some("{}"))]);
        assert!(matches!(
            t.end_all(&mut out),
            Err(YatError::MalformedResponse { .. })
        ));
    }

    #[test]
    fn many_calls_are_assembled_in_linear_time() {
        let mut t = ToolCallAssembler::new("p");
        let mut out = VecDeque::new();
        for i in 0..20_000u64 {
            let id = format!("c{i}");
            t.fragment(Some(i), Some(&id), Some("f"), Some("{}"), &mut out)
                .unwrap();
            t.fragment(Some(i), None, None, Some(" "), &mut out)
                .unwrap();
        }
        out.clear();
        t.end_all(&mut out).unwrap();
        assert_eq!(calls(&out).len(), 20_000);
    }

    #[test]
    fn stop_after_calls_is_reported_as_tool_calls_with_the_raw_word_kept() {
        let mut r = ReplyState::new("p");
        let mut out = VecDeque::new();
        r.tools
            .fragment(Some(0), Some("a"), Some("f"), Some("{}"), &mut out)
            .unwrap();
        r.finish(Finish::new(FinishReason::Stop, "stop"));
        r.complete(&mut out).unwrap();
        assert_eq!(
            out.back(),
            Some(&ChatEvent::Finish(Finish::new(
                FinishReason::ToolCalls,
                "stop"
            )))
        );
    }
}
