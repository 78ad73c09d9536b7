//! Whatever arrives on a pipe, decoding answers with a message or a typed
//! error, never a panic; and every message survives encode → decode.

use proptest::prelude::*;
use yat_core::{ChatEvent, Finish, FinishReason, ToolCall, Usage};
use yat_process::protocol::{ErrorKind, ErrorObject, HostMessage, PluginMessage};

/// Lines that look like protocol: real messages cut, spliced and mutated.
fn near_protocol() -> impl Strategy<Value = Vec<u8>> {
    let seeds = [
        r#"{"op":"hello","protocol":[1],"host":"h"}"#,
        r#"{"op":"hello","protocol":1,"id":"mock","name":"Mock","settings":[{"key":"k","kind":"secret"}],"capabilities":{"tools":true}}"#,
        r#"{"op":"chat","id":"3","request":{"model":"m","messages":[{"role":"user","content":[{"type":"image","data":"AAAA","media_type":"image/png"}]}]}}"#,
        r#"{"op":"event","id":"3","event":{"type":"tool_call_end","index":0,"call":{"id":"c","name":"f","arguments":{"a":[1,{"b":null}]}}}}"#,
        r#"{"op":"error","id":"3","error":{"kind":"rate_limited","message":"m","retry_after_ms":5}}"#,
        r#"{"op":"result","id":"2","models":[{"id":"a","display_name":"A","provider":"p","supports_streaming":true}]}"#,
    ];
    (
        0..seeds.len(),
        any::<usize>(),
        any::<usize>(),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(move |(i, cut, at, byte, splice)| {
            let mut v = seeds[i].as_bytes().to_vec();
            let at = at % (v.len() + 1);
            if splice {
                v.insert(at, byte);
            } else if at < v.len() {
                v[at] = byte;
            }
            v.truncate(v.len() - cut % (v.len() / 2 + 1));
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn decoding_never_panics_on_near_protocol(line in near_protocol()) {
        let _ = HostMessage::decode(&line);
        let _ = PluginMessage::decode(&line);
    }

    #[test]
    fn decoding_never_panics_on_any_bytes(line in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = HostMessage::decode(&line);
        let _ = PluginMessage::decode(&line);
    }

    #[test]
    fn events_round_trip(text in ".*", index in any::<u32>(), n in any::<u64>(), id in "[a-z0-9-]{1,12}") {
        let events = [
            ChatEvent::Delta { text: text.clone() },
            ChatEvent::ReasoningDelta { text: text.clone() },
            ChatEvent::ToolCallDelta { index, arguments: text.clone() },
            ChatEvent::ToolCallEnd { index, call: Box::new(ToolCall::new(id.clone(), text.clone(), serde_json::json!({"t": text.clone()}))) },
            ChatEvent::Usage(Usage::new(n, n / 2).with_reasoning(n / 3)),
            ChatEvent::Finish(Finish::new(FinishReason::Other, text.clone())),
        ];
        for event in events {
            let msg = PluginMessage::Event { id: id.clone(), event };
            let mut line = Vec::new();
            msg.encode(&mut line).unwrap();
            prop_assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
            prop_assert_eq!(PluginMessage::decode(&line).unwrap(), msg);
        }
        let err = PluginMessage::Error { id: Some(id), error: ErrorObject::new(ErrorKind::Server, text) };
        let mut line = Vec::new();
        err.encode(&mut line).unwrap();
        prop_assert_eq!(PluginMessage::decode(&line).unwrap(), err);
    }
}
