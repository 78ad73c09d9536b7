//! The tool loop against a scripted provider: each request gets the next
//! prepared stream, and every request is recorded so the tests can read
//! what the model was sent.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::channel::mpsc;
use futures::{poll, StreamExt};
use serde_json::json;
use support::Scripted;
use yat_core::assemble::ReplyState;
use yat_core::tools::{run_tools, ToolLoopEvent, Toolbox};
use yat_core::ToolOutcome;
use yat_core::{
    ChatEvent, ChatRequest, ChatStream, Finish, FinishReason, LlmProvider, Message, Part, Role,
    ToolChoice, ToolOutput, ToolResult, Usage, YatError,
};

/// The events a decoder emits for a reply with these whole calls (through
/// the shared assembler, as a real decoder would).
fn calls_reply(calls: &[(&str, &str, &str)]) -> Vec<Result<ChatEvent, YatError>> {
    let mut reply = ReplyState::new("scripted");
    let mut out = VecDeque::new();
    for (i, (id, name, args)) in calls.iter().enumerate() {
        reply
            .tools
            .fragment(Some(i as u64), Some(id), Some(name), Some(args), &mut out)
            .unwrap();
    }
    reply.usage(Usage::new(10, 5));
    reply.finish(Finish::new(FinishReason::ToolCalls, "tool_calls"));
    let end = reply.complete(&mut out);
    let mut events: Vec<_> = out.into_iter().map(Ok).collect();
    if let Err(e) = end {
        events.push(Err(e));
    }
    events
}

fn text_reply(text: &str) -> Vec<Result<ChatEvent, YatError>> {
    vec![
        Ok(ChatEvent::Delta { text: text.into() }),
        Ok(ChatEvent::Usage(Usage::new(20, 7))),
        Ok(ChatEvent::Finish(Finish::new(FinishReason::Stop, "stop"))),
    ]
}

fn weather_schema() -> serde_json::Value {
    json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
}

/// The weather tool, and the arguments of every call it ran.
fn weather_toolbox() -> (Toolbox, Arc<Mutex<Vec<serde_json::Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let toolbox = Toolbox::new().tool(
        "get_weather",
        "Current weather in a city",
        weather_schema(),
        move |args| {
            record.lock().unwrap().push(args.clone());
            async move {
                match args["city"].as_str() {
                    Some(city) => Ok(json!({"city": city, "celsius": 12})),
                    None => Err("city is required"),
                }
            }
        },
    );
    (toolbox, seen)
}

/// A model that makes these calls, then answers with `text`.
fn calls_then_answer(calls: &[(&str, &str, &str)], text: &str) -> Scripted {
    Scripted::replying(vec![calls_reply(calls), text_reply(text)])
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("m", vec![Message::user(text)])
}

/// Starts chats on a bare provider.
fn on<'p>(p: &'p dyn LlmProvider) -> impl Fn(ChatRequest) -> ChatStreamFuture<'p> + Send + 'p {
    move |req| Box::pin(async move { p.stream_chat(&req).await })
}

/// Runs the loop on `p` to its end; it must succeed.
async fn run_to_end(p: &Scripted, prompt: &str, toolbox: Toolbox) -> ToolOutcome {
    run_tools(on(p), ask(prompt), toolbox)
        .run_to_end()
        .await
        .unwrap()
}

type ChatStreamFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<ChatStream, YatError>> + Send + 'a>>;

fn results_of(m: &Message) -> Vec<ToolResult> {
    assert_eq!(m.role, Role::Tool);
    m.content.tool_results().cloned().collect()
}

#[tokio::test]
async fn one_call_round_trip_sends_the_result_and_returns_the_answer() {
    let p = calls_then_answer(
        &[("call_1", "get_weather", r#"{"city":"Paris"}"#)],
        "12°C in Paris.",
    );
    let (toolbox, seen) = weather_toolbox();
    let outcome = run_to_end(&p, "Weather in Paris?", toolbox).await;

    assert_eq!(outcome.response.text(), "12°C in Paris.");
    assert_eq!(outcome.steps, 2);
    assert_eq!(*seen.lock().unwrap(), vec![json!({"city": "Paris"})]);
    let usage = outcome.usage.unwrap();
    assert_eq!((usage.input_tokens, usage.output_tokens), (30, 12));

    let roles: Vec<Role> = outcome.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
    let call = outcome.messages[1].content.tool_calls().next().unwrap();
    assert_eq!(
        (call.id.as_str(), call.name.as_str()),
        ("call_1", "get_weather")
    );
    let results = results_of(&outcome.messages[2]);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].call_id, "call_1");
    assert_eq!(
        results[0].content,
        ToolOutput::Json(json!({"city": "Paris", "celsius": 12}))
    );
    assert!(!results[0].is_error);

    // Every request carried the tool; the second carried the call and its result.
    let requests = p.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(r.tools.len(), 1);
        assert_eq!(r.tools[0].name, "get_weather");
        assert_eq!(r.tools[0].parameters, weather_schema());
    }
    assert_eq!(requests[0].messages.len(), 1);
    assert_eq!(requests[1].messages, outcome.messages[..3]);
}

#[tokio::test]
async fn parallel_calls_run_concurrently() {
    // Each handler waits until both have started: run one after the other,
    // the first would wait forever.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let toolbox = Toolbox::new().tool(
        "meet",
        "Waits for the other call",
        json!({"type": "object"}),
        {
            let barrier = barrier.clone();
            move |args| {
                let barrier = barrier.clone();
                async move {
                    barrier.wait().await;
                    Ok::<_, String>(format!("met {}", args["who"].as_str().unwrap_or("?")))
                }
            }
        },
    );
    let p = calls_then_answer(
        &[
            ("a", "meet", r#"{"who":"A"}"#),
            ("b", "meet", r#"{"who":"B"}"#),
        ],
        "Both met.",
    );
    let run = run_tools(on(&p), ask("Meet twice"), toolbox).run_to_end();
    // A guard against hanging, not the proof: the barrier is.
    let outcome = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the two calls did not run concurrently")
        .unwrap();
    let results = results_of(&outcome.messages[2]);
    let texts: Vec<(String, String)> = results
        .iter()
        .map(|r| (r.call_id.clone(), r.content.to_text()))
        .collect();
    assert_eq!(
        texts,
        [
            ("a".to_owned(), "met A".to_owned()),
            ("b".to_owned(), "met B".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_handler_error_goes_back_as_an_error_result() {
    let toolbox = Toolbox::new().tool("fetch", "Fetches", json!({"type": "object"}), |_| async {
        Err::<String, _>("the service is down")
    });
    let p = calls_then_answer(&[("c1", "fetch", "{}")], "Sorry, it is down.");
    let outcome = run_to_end(&p, "Fetch", toolbox).await;
    let sent = &p.requests()[1].messages[2];
    let results = results_of(sent);
    assert_eq!(results.len(), 1);
    assert!(results[0].is_error);
    assert_eq!(results[0].content.to_text(), "the service is down");
    assert_eq!(outcome.response.text(), "Sorry, it is down.");
}

#[tokio::test]
async fn a_panicking_handler_becomes_an_error_result() {
    let toolbox = Toolbox::new().tool(
        "boom",
        "Panics",
        json!({"type": "object"}),
        |args| async move {
            if args.is_object() {
                panic!("kaboom");
            }
            Ok::<_, String>("never")
        },
    );
    // This one panics before it has a future to return.
    let toolbox = toolbox.tool("crash", "Panics at once", json!({"type": "object"}), |_| {
        panic!("crashed");
        #[allow(unreachable_code)]
        async {
            Ok::<_, String>("never")
        }
    });
    let p = calls_then_answer(&[("c1", "boom", "{}"), ("c2", "crash", "{}")], "ok");
    run_to_end(&p, "Boom", toolbox).await;
    let results = results_of(&p.requests()[1].messages[2]);
    assert!(results.iter().all(|r| r.is_error));
    assert_eq!(results[0].content.to_text(), "tool `boom` panicked: kaboom");
    assert_eq!(
        results[1].content.to_text(),
        "tool `crash` panicked: crashed"
    );
}

#[tokio::test]
async fn an_unknown_tool_gets_an_error_result_and_does_not_start() {
    let p = calls_then_answer(
        &[("c1", "get_wether", r#"{"city":"Paris"}"#)],
        "I misspelled it.",
    );
    let (toolbox, seen) = weather_toolbox();
    let mut run = run_tools(on(&p), ask("Weather?"), toolbox);
    let mut events = Vec::new();
    while let Some(e) = run.next().await {
        events.push(e.unwrap());
    }
    assert!(!events
        .iter()
        .any(|e| matches!(e, ToolLoopEvent::ToolStarted { .. })));
    let finished: Vec<&ToolResult> = events
        .iter()
        .filter_map(|e| match e {
            ToolLoopEvent::ToolFinished { result, .. } => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 1);
    assert!(finished[0].is_error);
    assert_eq!(
        finished[0].content.to_text(),
        "unknown tool `get_wether`; the tools are: get_weather"
    );
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(
        results_of(&p.requests()[1].messages[2]),
        vec![finished[0].clone()]
    );
}

#[tokio::test]
async fn bad_json_arguments_get_a_correction_turn() {
    // Three calls, the second's arguments not JSON: the decoder ends the
    // two good ones, then reports the bad one.
    let p = Scripted::replying(vec![
        calls_reply(&[
            ("good", "get_weather", r#"{"city":"Oslo"}"#),
            ("bad", "get_weather", r#"{"city": Paris}"#),
            ("after", "get_weather", r#"{"city":"Rome"}"#),
        ]),
        calls_reply(&[("retry", "get_weather", r#"{"city":"Paris"}"#)]),
        text_reply("Oslo, Rome and Paris: 12°C."),
    ]);
    let (toolbox, seen) = weather_toolbox();
    let outcome = run_to_end(&p, "Oslo, Rome and Paris?", toolbox).await;

    // Every well-formed call ran, the bad one's siblings included, then the
    // corrected one.
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            json!({"city": "Oslo"}),
            json!({"city": "Rome"}),
            json!({"city": "Paris"})
        ]
    );
    let second = &p.requests()[1];
    let assistant = &second.messages[1];
    let calls: Vec<(&str, &serde_json::Value)> = assistant
        .content
        .tool_calls()
        .map(|c| (c.id.as_str(), &c.arguments))
        .collect();
    assert_eq!(
        calls,
        [
            ("good", &json!({"city": "Oslo"})),
            ("after", &json!({"city": "Rome"})),
            ("bad", &json!({})),
        ]
    );
    let results = results_of(&second.messages[2]);
    let ids: Vec<&str> = results.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids, ["good", "after", "bad"]);
    assert!(!results[0].is_error && !results[1].is_error);
    let bad = results[2].content.to_text();
    assert!(results[2].is_error);
    assert!(
        bad.starts_with("the arguments of this call are not valid JSON (expected value"),
        "{bad}"
    );
    assert!(bad.ends_with(r#"they were: {"city": Paris}"#), "{bad}");
    assert_eq!(outcome.steps, 3);
    assert_eq!(outcome.response.text(), "Oslo, Rome and Paris: 12°C.");
}

#[tokio::test]
async fn calls_cut_off_by_bad_arguments_are_answered_not_run() {
    // A provider that stops at the bad call, with another call started and
    // never ended.
    let invalid = YatError::InvalidToolArguments {
        provider: "scripted".into(),
        id: "bad".into(),
        name: "get_weather".into(),
        raw: "{nope".into(),
        message: "key must be a string".into(),
    };
    let start = |index: u32, id: &str| {
        Ok(ChatEvent::ToolCallStart {
            index,
            id: id.into(),
            name: "get_weather".into(),
        })
    };
    let p = Scripted::replying(vec![
        vec![
            start(0, "bad"),
            start(1, "open"),
            Ok(ChatEvent::ToolCallDelta {
                index: 1,
                arguments: "{\"ci".into(),
            }),
            Err(invalid),
        ],
        text_reply("Sorry, again?"),
    ]);
    let (toolbox, seen) = weather_toolbox();
    run_to_end(&p, "Oslo?", toolbox).await;
    assert!(seen.lock().unwrap().is_empty(), "nothing well formed ran");
    let results = results_of(&p.requests()[1].messages[2]);
    let ids: Vec<&str> = results.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids, ["bad", "open"]);
    assert!(results.iter().all(|r| r.is_error));
    assert_eq!(
        results[1].content.to_text(),
        "not run: the arguments of call bad (`get_weather`) were not valid JSON and the reply ended there; call this tool again if it is still needed"
    );
}

#[tokio::test]
async fn the_step_limit_ends_the_loop_without_running_the_pending_calls() {
    let count = Arc::new(AtomicUsize::new(0));
    let toolbox = Toolbox::new().tool("again", "Loops", json!({"type": "object"}), {
        let count = count.clone();
        move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, String>("more") }
        }
    });
    let p = Scripted::replying(vec![
        calls_reply(&[("c1", "again", "{}")]),
        calls_reply(&[("c2", "again", "{}")]),
        calls_reply(&[("c3", "again", "{}")]),
    ]);
    let mut run = run_tools(on(&p), ask("Loop"), toolbox).max_steps(2);
    let mut last = None;
    while let Some(item) = run.next().await {
        last = Some(item);
    }
    assert!(
        matches!(last, Some(Err(YatError::StepLimit { steps: 2 }))),
        "{last:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(p.requests().len(), 2);
    assert!(run.response().is_none());
    let messages = run.messages().unwrap();
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::Tool, Role::Assistant]
    );
    assert_eq!(messages[3].content.tool_calls().next().unwrap().id, "c2");
}

#[tokio::test]
async fn dropping_the_run_cancels_a_running_handler() {
    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let started = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicBool::new(false));
    let toolbox = Toolbox::new().tool("wait", "Waits forever", json!({"type": "object"}), {
        let (started, dropped) = (started.clone(), dropped.clone());
        move |_| {
            let flag = DropFlag(dropped.clone());
            let started = started.clone();
            async move {
                let _flag = flag;
                started.store(true, Ordering::SeqCst);
                futures::future::pending::<()>().await;
                Ok::<_, String>("never")
            }
        }
    });
    let p = Scripted::replying(vec![calls_reply(&[("c1", "wait", "{}")])]);
    let mut run = run_tools(on(&p), ask("Wait"), toolbox);
    loop {
        match run.next().await.unwrap().unwrap() {
            ToolLoopEvent::ToolStarted { .. } => break,
            _ => continue,
        }
    }
    // One more poll gets the handler running; it then waits.
    assert!(poll!(run.next()).is_pending());
    assert!(started.load(Ordering::SeqCst));
    assert!(!dropped.load(Ordering::SeqCst));
    drop(run);
    assert!(dropped.load(Ordering::SeqCst));
}

#[tokio::test]
async fn the_events_of_every_step_arrive_in_order() {
    let p = calls_then_answer(&[("c1", "get_weather", r#"{"city":"Oslo"}"#)], "Mild.");
    let mut run = run_tools(on(&p), ask("Oslo?"), weather_toolbox().0);
    let mut seen = Vec::new();
    while let Some(item) = run.next().await {
        let label = match item.unwrap() {
            ToolLoopEvent::Chat { step, event } => format!(
                "{step} chat {}",
                serde_json::to_value(&event).unwrap()["type"]
                    .as_str()
                    .unwrap()
            ),
            ToolLoopEvent::ToolStarted { step, call } => format!("{step} started {}", call.id),
            ToolLoopEvent::ToolFinished { step, result } => {
                format!("{step} finished {}", result.call_id)
            }
            ToolLoopEvent::StepFinished { step, response } => {
                format!("{step} step done, {} parts", response.parts.len())
            }
            other => panic!("unexpected {other:?}"),
        };
        seen.push(label);
    }
    assert_eq!(
        seen,
        [
            "0 chat tool_call_start",
            "0 chat tool_call_delta",
            "0 chat tool_call_end",
            "0 chat usage",
            "0 chat finish",
            "0 started c1",
            "0 finished c1",
            "0 step done, 1 parts",
            "1 chat delta",
            "1 chat usage",
            "1 chat finish",
            "1 step done, 1 parts",
        ]
    );
}

#[tokio::test]
async fn each_event_is_handed_on_as_it_streams() {
    let (tx, rx) = mpsc::unbounded();
    let p = Scripted::new("scripted");
    p.reply(Box::pin(rx));
    let mut run = run_tools(on(&p), ask("Hi"), Toolbox::new());

    tx.unbounded_send(Ok(ChatEvent::Delta { text: "Hel".into() }))
        .unwrap();
    let first = run.next().await.unwrap().unwrap();
    assert_eq!(first.text(), Some("Hel"));
    // Nothing more has arrived, so nothing more comes out.
    assert!(poll!(run.next()).is_pending());

    tx.unbounded_send(Ok(ChatEvent::Delta { text: "lo".into() }))
        .unwrap();
    assert_eq!(run.next().await.unwrap().unwrap().text(), Some("lo"));
    tx.unbounded_send(Ok(ChatEvent::Finish(Finish::reason(FinishReason::Stop))))
        .unwrap();
    drop(tx);
    let rest: Vec<_> = (&mut run).collect().await;
    assert_eq!(rest.len(), 2); // the finish, then the end of the step
    assert_eq!(run.response().unwrap().text(), "Hello");
}

#[tokio::test]
async fn a_stream_error_ends_the_loop_and_keeps_the_conversation() {
    let p = Scripted::replying(vec![
        calls_reply(&[("c1", "get_weather", r#"{"city":"Oslo"}"#)]),
        vec![
            Ok(ChatEvent::Delta { text: "Par".into() }),
            Err(YatError::network("scripted", "connection reset")),
        ],
    ]);
    let mut run = run_tools(on(&p), ask("Oslo?"), weather_toolbox().0);
    let mut items = Vec::new();
    while let Some(item) = run.next().await {
        items.push(item);
    }
    assert!(matches!(items.last(), Some(Err(YatError::Network { .. }))));
    // user, assistant with the call, the result; the cut reply is not kept.
    assert_eq!(run.into_messages().unwrap().len(), 3);
}

#[tokio::test]
async fn a_forced_tool_choice_becomes_auto_after_the_first_step() {
    let p = calls_then_answer(&[("c1", "get_weather", r#"{"city":"Oslo"}"#)], "Mild.");
    let request = ask("Oslo?").tool_choice(ToolChoice::Required);
    run_tools(on(&p), request, weather_toolbox().0)
        .run_to_end()
        .await
        .unwrap();
    let requests = p.requests();
    assert_eq!(requests[0].tool_choice, Some(ToolChoice::Required));
    assert_eq!(requests[1].tool_choice, Some(ToolChoice::Auto));
}

#[tokio::test]
async fn reasoning_and_text_of_a_calling_step_are_kept_in_the_conversation() {
    let mut first = vec![
        Ok(ChatEvent::ReasoningDelta {
            text: "Need the weather.".into(),
        }),
        Ok(ChatEvent::ReasoningSignature {
            signature: "sig".into(),
        }),
        Ok(ChatEvent::Delta {
            text: "Checking.".into(),
        }),
    ];
    first.extend(calls_reply(&[("c1", "get_weather", r#"{"city":"Oslo"}"#)]));
    let p = Scripted::replying(vec![first, text_reply("Mild.")]);
    let outcome = run_to_end(&p, "Oslo?", weather_toolbox().0).await;
    let kinds: Vec<&str> = outcome.messages[1].content.iter().map(Part::kind).collect();
    assert_eq!(kinds, ["reasoning", "text", "tool_call"]);
    match &outcome.messages[1].content[0] {
        Part::Reasoning(r) => assert_eq!(r.signature.as_deref(), Some("sig")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_tool_already_in_the_request_is_not_sent_twice() {
    let p = Scripted::replying(vec![text_reply("Hi.")]);
    let spec =
        yat_core::ToolSpec::new("get_weather", "Mine", json!({"type": "object"})).strict(true);
    run_tools(on(&p), ask("Hi").tool(spec.clone()), weather_toolbox().0)
        .run_to_end()
        .await
        .unwrap();
    assert_eq!(p.requests()[0].tools, vec![spec]);
}

#[cfg(feature = "schemars")]
mod typed {
    use super::*;

    /// Where to look.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Lookup {
        /// The city.
        city: String,
        /// Days ahead.
        days: u8,
    }

    #[tokio::test]
    async fn typed_tools_send_the_derived_schema_and_reject_bad_arguments() {
        let toolbox = Toolbox::new().typed("forecast", "Forecast", |l: Lookup| async move {
            Ok::<_, String>(format!("{} in {} days: sun", l.city, l.days))
        });
        let p = calls_then_answer(
            &[
                ("ok", "forecast", r#"{"city":"Oslo","days":2}"#),
                ("bad", "forecast", r#"{"city":"Oslo","days":-1}"#),
            ],
            "Sun.",
        );
        run_to_end(&p, "Forecast?", toolbox).await;
        let requests = p.requests();
        let params = &requests[0].tools[0].parameters;
        assert_eq!(params["type"], "object");
        assert_eq!(params["required"], json!(["city", "days"]));
        assert_eq!(params["properties"]["city"]["description"], "The city.");
        assert!(params.get("$schema").is_none());

        let results = results_of(&requests[1].messages[2]);
        assert_eq!(results[0].content.to_text(), "Oslo in 2 days: sun");
        assert!(results[1].is_error);
        let bad = results[1].content.to_text();
        assert!(
            bad.starts_with("invalid arguments for tool `forecast`: invalid value: integer `-1`"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn run_to_end_after_the_stream_ended_with_an_error_returns_that_error() {
    let failing = |_req: ChatRequest| async {
        Err::<ChatStream, _>(YatError::Server(yat_core::Failure::http("p", 503, "down")))
    };
    let mut run = run_tools(failing, ask("Hi"), Toolbox::new());
    while let Some(item) = run.next().await {
        assert!(item.is_err());
    }
    match run.run_to_end().await {
        Err(YatError::Server(f)) => assert_eq!(f.status, Some(503)),
        other => panic!("{other:?}"),
    }
}
