//! Wire-exact streams in the vendors' formats: small transcripts for tests
//! ([`openai_stream`], [`anthropic_stream`]) and arbitrarily long ones
//! produced event by event ([`Generated`]) for benchmarks.
//!
//! The shapes follow the vendors' published streaming references (see
//! `shared/wire-formats.md`): OpenAI `chat.completion.chunk` objects as
//! `data:` lines ending with `data: [DONE]`, the usage chunk with empty
//! `choices` before it; Anthropic named events from `message_start` to
//! `message_stop`, with a `ping` after the first content block starts.

/// The format of a generated stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenAI Chat Completions (`POST /v1/chat/completions`).
    OpenAi,
    /// Anthropic Messages (`POST /v1/messages`).
    Anthropic,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "openai" => Ok(Format::OpenAi),
            "anthropic" => Ok(Format::Anthropic),
            other => Err(format!("unknown format {other:?} (openai or anthropic)")),
        }
    }
}

/// A stream of `chunks` text deltas, each `token`, produced one event at a
/// time so that its size costs no memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// The wire format.
    pub format: Format,
    /// How many text deltas.
    pub chunks: usize,
    /// The text of every delta.
    pub token: String,
}

impl Generated {
    /// `chunks` deltas of `"tok "` in `format`.
    pub fn new(format: Format, chunks: usize) -> Self {
        Generated {
            format,
            chunks,
            token: "tok ".to_owned(),
        }
    }

    /// The text a client should print for the whole stream.
    pub fn expected_text(&self) -> String {
        self.token.repeat(self.chunks)
    }

    /// The number of SSE events, framing included.
    pub fn events(&self) -> usize {
        match self.format {
            // role, deltas, finish, usage, [DONE]
            Format::OpenAi => self.chunks + 4,
            // message_start, content_block_start, ping, deltas,
            // content_block_stop, message_delta, message_stop
            Format::Anthropic => self.chunks + 6,
        }
    }

    /// Appends event `i` (`0..self.events()`) to `out`; `token_json` is
    /// [`Self::token`] as a JSON string literal.
    pub(crate) fn write_event(&self, i: usize, token_json: &str, out: &mut Vec<u8>) {
        let pieces = self.chunks;
        match self.format {
            Format::OpenAi => openai_event(i, pieces, token_json, out),
            Format::Anthropic => anthropic_event(i, pieces, token_json, out),
        }
    }

    /// The whole stream as one buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let token = json_string(&self.token);
        let mut out = Vec::new();
        for i in 0..self.events() {
            self.write_event(i, &token, &mut out);
        }
        out
    }
}

const OPENAI_HEAD: &str = r#"{"id":"chatcmpl-yat0001","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_yat0001","#;

fn openai_event(i: usize, pieces: usize, token_json: &str, out: &mut Vec<u8>) {
    let push = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());
    if i == pieces + 3 {
        push(out, "data: [DONE]\n\n");
        return;
    }
    push(out, "data: ");
    push(out, OPENAI_HEAD);
    if i == 0 {
        push(
            out,
            r#""choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        );
    } else if i <= pieces {
        push(out, r#""choices":[{"index":0,"delta":{"content":"#);
        push(out, token_json);
        push(
            out,
            r#"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        );
    } else if i == pieces + 1 {
        push(
            out,
            r#""choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
        );
    } else {
        push(
            out,
            &format!(
                r#""choices":[],"usage":{{"prompt_tokens":9,"completion_tokens":{pieces},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}}}"#,
                pieces + 9
            ),
        );
    }
    push(out, "\n\n");
}

fn anthropic_event(i: usize, pieces: usize, token_json: &str, out: &mut Vec<u8>) {
    let push = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());
    match i {
        0 => push(
            out,
            concat!(
                "event: message_start\n",
                r#"data: {"type":"message_start","message":{"id":"msg_01YatFakeServer","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#,
                "\n\n"
            ),
        ),
        1 => push(
            out,
            concat!(
                "event: content_block_start\n",
                r#"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                "\n\n"
            ),
        ),
        2 => push(out, "event: ping\ndata: {\"type\": \"ping\"}\n\n"),
        i if i < pieces + 3 => {
            push(out, "event: content_block_delta\n");
            push(
                out,
                r#"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"#,
            );
            push(out, token_json);
            push(out, "}}\n\n");
        }
        i if i == pieces + 3 => push(
            out,
            concat!(
                "event: content_block_stop\n",
                r#"data: {"type":"content_block_stop","index":0}"#,
                "\n\n"
            ),
        ),
        i if i == pieces + 4 => push(
            out,
            &format!(
                "event: message_delta\ndata: {}\n\n",
                format_args!(
                    r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}},"usage":{{"output_tokens":{pieces}}}}}"#
                )
            ),
        ),
        _ => push(
            out,
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        ),
    }
}

/// `s` as a JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn transcript(format: Format, pieces: &[&str]) -> String {
    let mut out = Vec::new();
    let g = Generated::new(format, pieces.len());
    for i in 0..g.events() {
        // Delta events take the i-th piece; the others ignore the token.
        let first_delta = match format {
            Format::OpenAi => 1,
            Format::Anthropic => 3,
        };
        let token = i
            .checked_sub(first_delta)
            .and_then(|k| pieces.get(k))
            .map(|p| json_string(p))
            .unwrap_or_default();
        g.write_event(i, &token, &mut out);
    }
    String::from_utf8(out).expect("the generators write UTF-8")
}

/// A complete OpenAI Chat Completions stream whose text deltas are
/// `pieces`: a role chunk, one chunk per piece, the `stop` chunk, the usage
/// chunk (`prompt_tokens` 9, `completion_tokens` = number of pieces) and
/// `data: [DONE]`.
pub fn openai_stream(pieces: &[&str]) -> String {
    transcript(Format::OpenAi, pieces)
}

/// A complete Anthropic Messages stream whose text deltas are `pieces`:
/// `message_start` (`input_tokens` 9), `content_block_start`, `ping`, one
/// `content_block_delta` per piece, `content_block_stop`, `message_delta`
/// (`end_turn`, `output_tokens` = number of pieces) and `message_stop`.
pub fn anthropic_stream(pieces: &[&str]) -> String {
    transcript(Format::Anthropic, pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_lines(s: &str) -> Vec<serde_json::Value> {
        s.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn openai_transcript_is_valid_json_with_the_pieces() {
        let s = openai_stream(&["Hel", "lo \"q\"\n"]);
        assert!(s.ends_with("data: [DONE]\n\n"));
        let ev = data_lines(&s);
        assert_eq!(ev.len(), 5);
        assert_eq!(ev[1]["choices"][0]["delta"]["content"], "Hel");
        assert_eq!(ev[2]["choices"][0]["delta"]["content"], "lo \"q\"\n");
        assert_eq!(ev[3]["choices"][0]["finish_reason"], "stop");
        assert_eq!(ev[4]["usage"]["completion_tokens"], 2);
    }

    #[test]
    fn anthropic_transcript_is_valid_json_with_the_pieces() {
        let s = anthropic_stream(&["Hi", " there"]);
        let ev = data_lines(&s);
        let types: Vec<_> = ev.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(ev[4]["delta"]["text"], " there");
        assert_eq!(ev[6]["usage"]["output_tokens"], 2);
        // Each data line is preceded by its event name.
        assert_eq!(s.matches("event: ").count(), 8);
    }

    #[test]
    fn generated_matches_the_transcript_of_equal_pieces() {
        for f in [Format::OpenAi, Format::Anthropic] {
            let g = Generated::new(f, 3);
            assert_eq!(
                String::from_utf8(g.to_bytes()).unwrap(),
                transcript(f, &["tok ", "tok ", "tok "])
            );
        }
    }
}
