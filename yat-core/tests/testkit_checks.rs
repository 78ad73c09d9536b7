//! The checks of the conformance kit have teeth: a scripted provider that
//! does everything right passes them all, and each way of getting one thing
//! wrong fails exactly the check about it, with a message that says what
//! went wrong.
#![cfg(feature = "testkit")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use yat_core::testkit::{
    fixtures, run, CancelProbe, Options, Outcome, Report, CHECKS, CONTRACT_CHECKS,
};
use yat_core::{
    async_trait, Capabilities, ChatEvent, ChatRequest, ChatStream, Failure, Finish, FinishReason,
    LlmProvider, ModelCapabilities, ModelInfo, Part, ResolvedSettings, ResponseFormat, Role,
    ToolCall, Usage, YatError,
};

/// One thing the scripted provider gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    ArgsNotObject,
    ArgsMissingKey,
    DeltaBeforeStart,
    CallNeverEnds,
    CallsAgainAfterResults,
    ResultsAnswerCutShort,
    OneCallOnly,
    DuplicateIds,
    RejectsImages,
    JsonNotJson,
    JsonWrongType,
    NoReasoning,
    RejectsReasoningHistory,
    NoUsageDetails,
    ReasoningOverOutput,
    /// The plain reply starts a tool call it never ends: the collected
    /// reply cannot hold what the stream started.
    DanglingCallInText,
    /// A dropped cancel reply keeps its upstream alive.
    KeepsUpstream,
    /// The cancel reply is over before the kit can drop it mid-reply: its
    /// first event is the finish.
    CancelReplyOnlyFinishes,
}

/// Set when the upstream of a cancel reply is gone: the stream that owns
/// it was dropped.
struct Upstream(Arc<AtomicBool>);

impl Drop for Upstream {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

const NO_SUCH_MODEL: &str = "yat-conformance-no-such-model";

struct Scripted {
    caps: Capabilities,
    models: Vec<ModelInfo>,
    fault: Option<Fault>,
    /// `(model, what the request was for)` of every chat.
    seen: Mutex<Vec<(String, &'static str)>>,
    /// Whether the last cancel reply's upstream is gone.
    upstream_gone: Arc<AtomicBool>,
}

impl Scripted {
    fn new(fault: Option<Fault>) -> Self {
        Scripted {
            caps: Capabilities::default()
                .with_usage_details(true)
                .with_tools(true)
                .with_parallel_tools(true)
                .with_images(true)
                .with_json_schema(true)
                .with_reasoning(true),
            models: vec![ModelInfo::new("scripted", "m")],
            fault,
            seen: Mutex::new(Vec::new()),
            upstream_gone: Arc::new(AtomicBool::new(false)),
        }
    }

    /// What the cancel check needs to see this provider's upstream go.
    fn probe(&self) -> CancelProbe {
        let gone = self.upstream_gone.clone();
        CancelProbe::new(move || {
            let gone = gone.clone();
            async move {
                while !gone.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    }

    /// A reply to the cancel prompt: one delta, then nothing until dropped.
    fn cancel_reply(&self) -> ChatStream {
        self.upstream_gone.store(false, Ordering::SeqCst);
        let upstream = Upstream(self.upstream_gone.clone());
        let first = ChatEvent::Delta {
            text: "One,".into(),
        };
        if self.is(Fault::CancelReplyOnlyFinishes) {
            let finish = ChatEvent::Finish(Finish::reason(FinishReason::Stop));
            return Box::pin(futures::stream::iter([Ok(finish)]));
        }
        if self.is(Fault::KeepsUpstream) {
            // Handed to something that outlives the stream.
            std::mem::forget(upstream);
            let events = futures::stream::iter([Ok(first)]).chain(futures::stream::pending());
            return Box::pin(events);
        }
        let events = futures::stream::iter([Ok(first)])
            .chain(futures::stream::pending())
            .map(move |e| {
                let _owned_until_dropped = &upstream;
                e
            });
        Box::pin(events)
    }

    fn is(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    fn usage(&self) -> Usage {
        match self.fault {
            Some(Fault::NoUsageDetails) => Usage::new(5, 3),
            Some(Fault::ReasoningOverOutput) => Usage::new(5, 3).with_reasoning(9),
            _ => Usage::new(5, 3).with_cache_read(0),
        }
    }

    fn end(&self, mut events: Vec<ChatEvent>, reason: FinishReason) -> Vec<ChatEvent> {
        events.push(ChatEvent::Usage(self.usage()));
        events.push(ChatEvent::Finish(Finish::reason(reason)));
        events
    }

    fn text(&self, text: &str, reason: FinishReason) -> Vec<ChatEvent> {
        self.end(vec![ChatEvent::Delta { text: text.into() }], reason)
    }

    fn calls(&self, calls: &[(&str, &str, &str)]) -> Vec<ChatEvent> {
        let mut events = Vec::new();
        for (i, (id, name, args)) in calls.iter().enumerate() {
            let index = i as u32;
            let (head, tail) = args.split_at(args.len() / 2);
            if self.is(Fault::DeltaBeforeStart) {
                events.push(ChatEvent::ToolCallDelta {
                    index,
                    arguments: head.into(),
                });
            }
            events.push(ChatEvent::ToolCallStart {
                index,
                id: (*id).into(),
                name: (*name).into(),
            });
            for piece in [head, tail] {
                events.push(ChatEvent::ToolCallDelta {
                    index,
                    arguments: piece.into(),
                });
            }
            if !self.is(Fault::CallNeverEnds) {
                let arguments = serde_json::from_str(args).unwrap();
                events.push(ChatEvent::ToolCallEnd {
                    index,
                    call: Box::new(ToolCall::new(*id, *name, arguments)),
                });
            }
        }
        self.end(events, FinishReason::ToolCalls)
    }

    fn answer(&self, req: &ChatRequest) -> Result<(&'static str, Vec<ChatEvent>), YatError> {
        if req.model == NO_SUCH_MODEL {
            return Err(YatError::ModelNotFound(Failure::new(
                "scripted",
                "no such model",
            )));
        }
        let last = req.messages.last().unwrap();
        if req.reasoning.is_some() {
            let history: Vec<_> = req
                .messages
                .iter()
                .flat_map(|m| m.content.iter())
                .filter_map(|p| match p {
                    Part::Reasoning(r) => Some(r),
                    _ => None,
                })
                .collect();
            if !history.is_empty()
                && (self.is(Fault::RejectsReasoningHistory)
                    || history
                        .iter()
                        .any(|r| r.signature.as_deref() != Some("sig-1")))
            {
                return Err(YatError::InvalidRequest(Failure::new(
                    "scripted",
                    "thinking blocks cannot be modified",
                )));
            }
            let mut events = Vec::new();
            if !self.is(Fault::NoReasoning) {
                events.push(ChatEvent::ReasoningDelta {
                    text: "Count the r's.".into(),
                });
                events.push(ChatEvent::ReasoningSignature {
                    signature: "sig-1".into(),
                });
            }
            events.push(ChatEvent::Delta {
                text: "Three.".into(),
            });
            return Ok(("reasoning", self.end(events, FinishReason::Stop)));
        }
        if last.role == Role::Tool {
            let events = if self.is(Fault::CallsAgainAfterResults) {
                self.calls(&[("c9", "get_weather", r#"{"city":"Paris","unit":"celsius"}"#)])
            } else if self.is(Fault::ResultsAnswerCutShort) {
                self.text("It is 21", FinishReason::Length)
            } else {
                self.text("It is 21 °C and sunny in Paris.", FinishReason::Stop)
            };
            return Ok(("tool results", events));
        }
        if req.parallel_tool_calls == Some(true) {
            let weather = ("c1", "get_weather", r#"{"city":"Paris","unit":"celsius"}"#);
            let time_id = if self.is(Fault::DuplicateIds) {
                "c1"
            } else {
                "c2"
            };
            let time = (time_id, "get_time", r#"{"timezone":"Asia/Tokyo"}"#);
            let events = if self.is(Fault::OneCallOnly) {
                self.calls(&[weather])
            } else {
                self.calls(&[weather, time])
            };
            return Ok(("parallel tools", events));
        }
        if !req.tools.is_empty() {
            let args = match self.fault {
                Some(Fault::ArgsNotObject) => r#""Paris""#,
                Some(Fault::ArgsMissingKey) => r#"{"city":"Paris"}"#,
                _ => r#"{"city":"Paris","unit":"celsius"}"#,
            };
            return Ok(("tools", self.calls(&[("c1", "get_weather", args)])));
        }
        if let Some(ResponseFormat::JsonSchema(_)) = &req.response_format {
            let text = match self.fault {
                Some(Fault::JsonNotJson) => "Paris, 2.1M, inland",
                Some(Fault::JsonWrongType) => {
                    r#"{"city":"Paris","population":"2.1M","coastal":false}"#
                }
                _ => r#"{"city":"Paris","population":2100000,"coastal":false}"#,
            };
            return Ok(("json", self.text(text, FinishReason::Stop)));
        }
        if req.has_part("image") {
            if self.is(Fault::RejectsImages) {
                return Err(YatError::InvalidRequest(Failure::new(
                    "scripted",
                    "this model takes no images",
                )));
            }
            return Ok(("image", self.text("An orange square.", FinishReason::Stop)));
        }
        if req.max_tokens == Some(1) {
            return Ok(("text", self.text("Hello", FinishReason::Length)));
        }
        if self.is(Fault::DanglingCallInText) {
            let mut events = vec![
                ChatEvent::Delta {
                    text: "Hello, let me look.".into(),
                },
                ChatEvent::ToolCallStart {
                    index: 0,
                    id: "c7".into(),
                    name: "get_weather".into(),
                },
            ];
            events = self.end(events, FinishReason::Stop);
            return Ok(("text", events));
        }
        Ok((
            "text",
            self.text("Hello there, friend.", FinishReason::Stop),
        ))
    }
}

#[async_trait]
impl LlmProvider for Scripted {
    async fn initialize(&mut self, _: &ResolvedSettings) -> Result<(), YatError> {
        Ok(())
    }
    async fn list_models(&self) -> Result<Vec<ModelInfo>, YatError> {
        Ok(self.models.clone())
    }
    async fn stream_chat(&self, req: &ChatRequest) -> Result<ChatStream, YatError> {
        if req.messages.last().map(|m| m.text()).as_deref() == Some(fixtures::CANCEL_PROMPT) {
            self.seen
                .lock()
                .unwrap()
                .push((req.model.clone(), "cancel"));
            return Ok(self.cancel_reply());
        }
        let (what, events) = self.answer(req)?;
        self.seen.lock().unwrap().push((req.model.clone(), what));
        Ok(Box::pin(futures::stream::iter(events.into_iter().map(Ok))))
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
}

fn failure<'r>(report: &'r Report, name: &str) -> Option<&'r str> {
    match report.outcome(name) {
        Some(Outcome::Failed(why)) => Some(why),
        _ => None,
    }
}

/// The options of a run of `p`: its cancel probe, and a timeout short
/// enough for the check that waits on an upstream that never goes.
fn options(p: &Scripted) -> Options {
    Options {
        timeout: Duration::from_millis(500),
        ..Options::default().cancel_probe(p.probe())
    }
}

#[tokio::test]
async fn a_provider_doing_everything_right_passes_every_check() {
    let p = Scripted::new(None);
    let report = run(&p, &options(&p)).await;
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, CHECKS);
    for c in &report.checks {
        let expected = if c.name == "stop_sequences" {
            // Not claimed by this provider.
            matches!(c.outcome, Outcome::Skipped(_))
        } else {
            c.outcome == Outcome::Passed
        };
        assert!(expected, "{report}");
    }
}

#[tokio::test]
async fn without_a_cancel_probe_cancel_on_drop_is_not_applicable_and_sends_nothing() {
    let p = Scripted::new(None);
    let report = run(&p, &Options::default()).await;
    match report.outcome("cancel_on_drop") {
        Some(Outcome::Skipped(why)) => assert!(why.contains("no Options::cancel_probe"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(report.passed(), "{report}");
    let seen = p.seen.lock().unwrap();
    assert!(!seen.iter().any(|(_, what)| *what == "cancel"), "{seen:?}");
}

#[tokio::test]
async fn collect_matches_stream_reads_the_tool_and_reasoning_replies_too() {
    let p = Scripted::new(None);
    let report = run(&p, &options(&p)).await;
    assert_eq!(
        report.outcome("collect_matches_stream"),
        Some(&Outcome::Passed)
    );
    // Its requests come before any 0.2 check's: the plain prompt twice
    // (stream_text, then the collector), then a tool and a reasoning reply.
    let seen = p.seen.lock().unwrap();
    let order: Vec<&str> = seen.iter().map(|(_, w)| *w).take(4).collect();
    assert_eq!(order, ["text", "text", "tools", "reasoning"]);
}

#[tokio::test]
async fn each_fault_fails_the_check_about_it_and_only_that_one() {
    let table: &[(Fault, &str, &str)] = &[
        (Fault::ArgsNotObject, "tool_round_trip", "not a JSON object"),
        (
            Fault::ArgsMissingKey,
            "tool_round_trip",
            "required key \"unit\" is missing",
        ),
        (
            Fault::DeltaBeforeStart,
            "tool_round_trip",
            "which never started",
        ),
        (
            Fault::CallNeverEnds,
            "tool_round_trip",
            "finished with tool call 0 not ended",
        ),
        (
            Fault::CallsAgainAfterResults,
            "tool_round_trip",
            "called a tool again",
        ),
        (
            Fault::ResultsAnswerCutShort,
            "tool_round_trip",
            "finish Some(Length), expected Stop",
        ),
        (Fault::OneCallOnly, "parallel_tool_calls", "1 tool call(s)"),
        (
            Fault::DuplicateIds,
            "parallel_tool_calls",
            "calls share ids",
        ),
        (Fault::RejectsImages, "image_input", "invalid_request error"),
        (Fault::JsonNotJson, "json_schema_output", "not JSON"),
        (
            Fault::JsonWrongType,
            "json_schema_output",
            "at /population: expected integer",
        ),
        (
            Fault::NoReasoning,
            "reasoning_round_trip",
            "no reasoning part",
        ),
        (
            Fault::RejectsReasoningHistory,
            "reasoning_round_trip",
            "turn 2",
        ),
        (
            Fault::NoUsageDetails,
            "usage_details",
            "no cache or reasoning count",
        ),
        (
            Fault::ReasoningOverOutput,
            "usage_details",
            "more reasoning tokens than output",
        ),
        (
            Fault::DanglingCallInText,
            "collect_matches_stream",
            "the prompt (m): the stream started the tool calls [(\"c7\", \"get_weather\")]",
        ),
        (
            Fault::KeepsUpstream,
            "cancel_on_drop",
            "its upstream was still there",
        ),
        (
            Fault::CancelReplyOnlyFinishes,
            "cancel_on_drop",
            "finished at once",
        ),
    ];
    for (fault, check, says) in table {
        let p = Scripted::new(Some(*fault));
        let report = run(&p, &options(&p)).await;
        let why = failure(&report, check)
            .unwrap_or_else(|| panic!("{fault:?} did not fail {check}:\n{report}"));
        assert!(why.contains(says), "{fault:?}: {why}");
        // The tool-call stream is also what parallel calls get, and a call
        // that never ends is lost by the collector too.
        let also: &[&str] = match fault {
            Fault::DeltaBeforeStart => &["parallel_tool_calls"],
            Fault::CallNeverEnds => &["parallel_tool_calls", "collect_matches_stream"],
            _ => &[],
        };
        let others: Vec<&str> = report
            .failures()
            .iter()
            .map(|c| c.name)
            .filter(|n| n != check && !also.contains(n))
            .collect();
        assert!(
            others.is_empty(),
            "{fault:?} also failed {others:?}:\n{report}"
        );
    }
}

#[tokio::test]
async fn unclaimed_capabilities_and_left_out_checks_are_skipped_without_a_request() {
    let mut p = Scripted::new(Some(Fault::ArgsNotObject));
    p.caps = Capabilities::default();
    let report = run(&p, &Options::default()).await;
    for name in CONTRACT_CHECKS {
        assert!(
            matches!(report.outcome(name), Some(Outcome::Skipped(why)) if why.ends_with("not claimed")),
            "{report}"
        );
    }

    let p = Scripted::new(Some(Fault::ArgsNotObject));
    let options = Options::default()
        .skip_check("tool_round_trip")
        .skip_check("image_input");
    let report = run(&p, &options).await;
    assert_eq!(
        report.outcome("tool_round_trip"),
        Some(&Outcome::Skipped("left out by Options::skip".into()))
    );
    assert!(matches!(
        report.outcome("image_input"),
        Some(Outcome::Skipped(_))
    ));
    assert!(report.passed(), "{report}");
    let seen = p.seen.lock().unwrap();
    assert!(
        !seen
            .iter()
            .any(|(_, what)| *what == "tools" || *what == "image"),
        "{seen:?}"
    );
}

#[tokio::test]
#[should_panic(expected = "Options::skip names \"tool_roundtrip\", which is not a check")]
async fn a_misspelt_check_to_skip_is_a_panic_not_a_silent_run() {
    run(
        &Scripted::new(None),
        &Options::default().skip_check("tool_roundtrip"),
    )
    .await;
}

#[tokio::test]
async fn each_check_runs_on_its_override_else_on_a_listed_model_that_claims_it() {
    let mut p = Scripted::new(None);
    p.models = vec![
        ModelInfo::new("scripted", "chat"),
        ModelInfo::new("scripted", "tooly").capabilities(ModelCapabilities::default().tools(true)),
        ModelInfo::new("scripted", "seer").capabilities(ModelCapabilities::default().images(true)),
        ModelInfo::new("scripted", "thinker")
            .capabilities(ModelCapabilities::default().reasoning(false)),
    ];
    let options = Options::default().json_model("jsonic");
    assert!(run(&p, &options).await.passed());
    let model_of = |what: &str| {
        let seen = p.seen.lock().unwrap();
        let models: Vec<String> = seen
            .iter()
            .filter(|(_, w)| *w == what)
            .map(|(m, _)| m.clone())
            .collect();
        models
    };
    // The collector's tool reply and both turns of the round trip, and
    // parallel calls, on the tool model.
    assert_eq!(model_of("tools"), ["tooly", "tooly"]);
    assert_eq!(model_of("tool results"), ["tooly"]);
    assert_eq!(model_of("parallel tools"), ["tooly"]);
    assert_eq!(model_of("image"), ["seer"]);
    assert_eq!(model_of("json"), ["jsonic"]);
    // No listed model claims reasoning: the chat model (for the collector's
    // reply and both turns).
    assert_eq!(model_of("reasoning"), ["chat", "chat", "chat"]);

    p.seen.lock().unwrap().clear();
    let options = Options::default()
        .model("tooly")
        .tool_model("t1")
        .parallel_tool_model("t2")
        .image_model("i")
        .reasoning_model("r")
        .usage_details_model("u");
    assert!(run(&p, &options).await.passed());
    assert_eq!(model_of("tools"), ["t1", "t1"]);
    assert_eq!(model_of("parallel tools"), ["t2"]);
    assert_eq!(model_of("image"), ["i"]);
    assert_eq!(model_of("reasoning"), ["r", "r", "r"]);
    // The chat checks and usage_details' own request.
    assert!(model_of("text").contains(&"u".to_owned()));
    assert!(model_of("text").iter().all(|m| m == "tooly" || m == "u"));
}

#[test]
fn the_fixture_png_is_a_valid_png() {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let png = fixtures::TINY_PNG;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let mut at = 8;
    let mut kinds = Vec::new();
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let body = &png[at + 4..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(
            crc32(body),
            crc,
            "chunk {:?}",
            std::str::from_utf8(&body[..4])
        );
        kinds.push(std::str::from_utf8(&body[..4]).unwrap().to_owned());
        at += 12 + len;
    }
    assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
    // 8×8, 8-bit RGB.
    assert_eq!(&png[16..26], [0, 0, 0, 8, 0, 0, 0, 8, 8, 2]);
}
