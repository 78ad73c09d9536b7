//! Fenced code blocks in a reply (`-x`, `--xl`): the code a model wrote,
//! without the prose around it, ready for a file or a pipe.

/// The contents of each fenced code block of `text`, in order: a fence is a
/// line of three or more backticks or tildes (then, maybe, the language);
/// the block ends at a line of the same character, at least as long, or at
/// the end of the text (a reply cut short).
pub fn fenced_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, String)> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let fence = fence_of(trimmed);
        match (&mut open, fence) {
            (None, Some((c, n))) => open = Some((c, n, String::new())),
            (Some((c, n, body)), fence) => {
                let closes = fence.is_some_and(|(fc, fnum)| {
                    fc == *c && fnum >= *n && trimmed.trim_end().chars().all(|x| x == fc)
                });
                if closes {
                    blocks.push(std::mem::take(body));
                    open = None;
                } else {
                    body.push_str(line);
                }
            }
            (None, None) => {}
        }
    }
    if let Some((_, _, body)) = open {
        blocks.push(body);
    }
    blocks
}

/// The fence character and its length, when `line` starts with a fence.
fn fence_of(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

/// The first (or, with `last`, the last) fenced code block of `text`.
pub fn extract(text: &str, last: bool) -> Option<String> {
    let mut blocks = fenced_blocks(text);
    if last {
        blocks.pop()
    } else {
        blocks.into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_found_whatever_their_fence() {
        let cases: &[(&str, &[&str])] = &[
            ("no code here", &[]),
            ("Run:\n```sh\nls -l\n```\nDone.", &["ls -l\n"]),
            (
                "```\na\n```\ntext\n~~~python\nb\nc\n~~~\n",
                &["a\n", "b\nc\n"],
            ),
            // A longer fence holds a shorter one.
            ("````md\n```\ninner\n```\n````\n", &["```\ninner\n```\n"]),
            // An indented fence counts; a fence with text after it opens only.
            ("  ```js\n  x()\n  ```\n", &["  x()\n"]),
            ("```\n```not a close\n```\n", &["```not a close\n"]),
            // A reply cut inside a block keeps what it has.
            ("```rust\nfn main() {\n", &["fn main() {\n"]),
            ("```\n```\n", &[""]),
        ];
        for (text, expected) in cases {
            assert_eq!(fenced_blocks(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn first_and_last() {
        let text = "```\none\n```\n```\ntwo\n```\n";
        assert_eq!(extract(text, false).as_deref(), Some("one\n"));
        assert_eq!(extract(text, true).as_deref(), Some("two\n"));
        assert_eq!(extract("plain", true), None);
    }
}
