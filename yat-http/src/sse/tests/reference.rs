//! Generated streams against the standard's algorithm written out
//! literally, whole and cut every way.

use super::*;

/// A literal transcription of the standard's algorithm over a whole
/// (valid UTF-8) stream, plus the `finish` deviation: the oracle.
fn reference(input: &str) -> Vec<Item> {
    let s = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
            }
            '\n' => lines.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    let unterminated = (!cur.is_empty()).then_some(cur);
    let mut out = Vec::new();
    let (mut data, mut event, mut last_id, mut retry) =
        (String::new(), String::new(), String::new(), None);
    let mut dispatch =
        |data: &mut String, event: &mut String, last_id: &String, retry: &mut Option<u64>| {
            if !data.is_empty() {
                data.pop();
                out.push(Ok(Owned {
                    event: event.clone(),
                    data: data.clone(),
                    id: (!last_id.is_empty()).then(|| last_id.clone()),
                    retry: *retry,
                }));
            }
            data.clear();
            event.clear();
            *retry = None;
        };
    let mut all: Vec<&str> = lines.iter().map(String::as_str).collect();
    all.extend(unterminated.as_deref());
    for line in all {
        if line.is_empty() {
            dispatch(&mut data, &mut event, &last_id, &mut retry);
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        match name {
            "event" => event = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => last_id = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                retry = value.parse().ok().or(retry);
            }
            _ => {}
        }
    }
    dispatch(&mut data, &mut event, &last_id, &mut retry);
    out
}

fn sse_line() -> impl Strategy<Value = String> {
    let text = "[a-z0-9 :{}\",éü€😀\u{0}\t]{0,12}";
    prop_oneof![
        4 => text.prop_map(|t| format!("data: {t}")),
        1 => text.prop_map(|t| format!("data:{t}")),
        1 => Just("data".to_owned()),
        1 => "[a-z_]{0,8}".prop_map(|t| format!("event: {t}")),
        1 => text.prop_map(|t| format!("id: {t}")),
        1 => Just("id".to_owned()),
        1 => "[0-9]{1,4}|[0-9a]{0,3}|[0-9]{21}".prop_map(|t| format!("retry: {t}")),
        1 => text.prop_map(|t| format!(":{t}")),
        1 => text.prop_map(|t| format!("x-{t}")),
        3 => Just(String::new()),
    ]
}

fn sse_stream() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(
            (
                sse_line(),
                prop_oneof![Just("\n"), Just("\r"), Just("\r\n")],
            ),
            0..24,
        ),
        any::<bool>(),
    )
        .prop_map(|(bom, lines, cut_last)| {
            let mut s = if bom {
                "\u{FEFF}".to_owned()
            } else {
                String::new()
            };
            let n = lines.len();
            for (i, (line, end)) in lines.into_iter().enumerate() {
                s.push_str(&line);
                if !(cut_last && i + 1 == n) {
                    s.push_str(end);
                }
            }
            s
        })
}

fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        2 => prop::sample::select(b"\r\n\r\n:  data event id retry 0123456789 \xEF\xBB\xBF\xC3\xA9\xF0\x9F\x98\x80\x00".to_vec()),
    ];
    prop::collection::vec(byte, 0..300)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn matches_reference_algorithm(stream in sse_stream()) {
        prop_assert_eq!(decode(stream.as_bytes()), reference(&stream));
    }

    #[test]
    fn any_split_of_valid_stream_gives_same_events(
        stream in sse_stream(),
        points in prop::collection::vec(0usize..400, 0..12),
    ) {
        let bytes = stream.as_bytes();
        let whole = decode(bytes);
        let pieces = split_at_points(bytes, &points);
        prop_assert_eq!(decode_pieces(SseDecoder::DEFAULT_LIMIT, &pieces), whole.clone());
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(decode_pieces(SseDecoder::DEFAULT_LIMIT, &singles), whole);
    }

    #[test]
    fn any_split_with_small_limit_gives_same_results(
        stream in sse_stream(),
        limit in 0usize..24,
        points in prop::collection::vec(0usize..400, 0..12),
    ) {
        let bytes = stream.as_bytes();
        let whole = decode_pieces(limit, &[bytes]);
        prop_assert_eq!(decode_pieces(limit, &split_at_points(bytes, &points)), whole);
    }

    #[test]
    fn random_bytes_never_panic_and_are_split_invariant(
        bytes in noisy_bytes(),
        limit in prop_oneof![Just(SseDecoder::DEFAULT_LIMIT), 0usize..40],
        points in prop::collection::vec(0usize..300, 0..16),
    ) {
        let whole = decode_pieces(limit, &[&bytes]);
        prop_assert_eq!(decode_pieces(limit, &split_at_points(&bytes, &points)), whole.clone());
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(decode_pieces(limit, &singles), whole);
    }
}
