//! The names tools are offered to a model under. Every vendor accepts
//! `^[a-zA-Z0-9_-]{1,64}$`; MCP allows more (dots, slashes, 128
//! characters), and two servers may both have a `search`. So a tool keeps
//! its own name when that is valid and no other tool has it, and is
//! otherwise offered as `server__tool`; the hub keeps the mapping to route
//! calls back.

use std::collections::{HashMap, HashSet};

/// The longest name every vendor accepts.
pub const MAX_NAME_LEN: usize = 64;

/// Whether every vendor accepts `name` as a tool name.
///
/// ```
/// assert!(yat_mcp::naming::is_valid_tool_name("get_current_time"));
/// assert!(!yat_mcp::naming::is_valid_tool_name("fs.read"));
/// assert!(!yat_mcp::naming::is_valid_tool_name(""));
/// ```
pub fn is_valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `name` with every character vendors refuse replaced by `_`, cut to
/// `max` bytes; `tool` if nothing is left.
fn sanitize(name: &str, max: usize) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Only ASCII is left, so any byte index is a character boundary.
    out.truncate(max);
    if out.is_empty() {
        out.push_str("tool");
    }
    out
}

/// The offered name of every tool of every server, in the order given.
///
/// `servers` is each server's name with its tools' names, in the order the
/// hub lists them (configuration order, then the server's order); the
/// result has one name per tool, in the same shape. Deterministic: the
/// same input always gives the same names.
///
/// 1. a tool whose own name is valid and that no other tool (of any
///    server) has, after making names valid, keeps it;
/// 2. otherwise `server__tool`, each part made valid, cut to 64;
/// 3. if that is still taken (cutting, or `a.b` and `a_b` on one server),
///    a suffix `-2`, `-3`, ... makes it unique.
///
/// ```
/// use yat_mcp::naming::exposed_names;
/// let names = exposed_names(&[
///     ("web", vec!["search".into(), "fetch".into()]),
///     ("docs", vec!["search".into(), "read.page".into()]),
/// ]);
/// assert_eq!(names, vec![
///     vec!["web__search".to_owned(), "fetch".to_owned()],
///     vec!["docs__search".to_owned(), "docs__read_page".to_owned()],
/// ]);
/// ```
pub fn exposed_names(servers: &[(&str, Vec<String>)]) -> Vec<Vec<String>> {
    let mut bare_count: HashMap<String, usize> = HashMap::new();
    for (_, tools) in servers {
        for tool in tools {
            *bare_count.entry(sanitize(tool, MAX_NAME_LEN)).or_default() += 1;
        }
    }
    let mut taken: HashSet<String> = HashSet::new();
    // First the tools that keep their names, so a prefixed name can never
    // take a bare name away from a tool that had it.
    let mut out: Vec<Vec<Option<String>>> = servers
        .iter()
        .map(|(_, tools)| {
            tools
                .iter()
                .map(|tool| {
                    let unique = bare_count.get(tool.as_str()) == Some(&1);
                    (is_valid_tool_name(tool) && unique && taken.insert(tool.clone()))
                        .then(|| tool.clone())
                })
                .collect()
        })
        .collect();
    for ((server, tools), names) in servers.iter().zip(out.iter_mut()) {
        for (tool, slot) in tools.iter().zip(names.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let prefix = sanitize(server, 24);
            let base = format!("{prefix}__{}", sanitize(tool, MAX_NAME_LEN));
            let base = sanitize(&base, MAX_NAME_LEN);
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                let suffix = format!("-{n}");
                let mut cut = base.clone();
                cut.truncate(MAX_NAME_LEN - suffix.len());
                name = cut + &suffix;
                n += 1;
            }
            *slot = Some(name);
        }
    }
    out.into_iter()
        .map(|names| names.into_iter().map(Option::unwrap_or_default).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(input: &[(&str, &[&str])]) -> Vec<Vec<String>> {
        let owned: Vec<(&str, Vec<String>)> = input
            .iter()
            .map(|(s, t)| (*s, t.iter().map(|x| x.to_string()).collect()))
            .collect();
        exposed_names(&owned)
    }

    /// Servers with their tools, and the names the model should see.
    type Case<'a> = (Vec<(&'a str, Vec<&'a str>)>, Vec<Vec<String>>);

    /// The table: input servers and tools, and the names the model sees.
    #[test]
    fn mangling_table() {
        let long = "x".repeat(80);
        let long_cut = "x".repeat(64);
        let cases: Vec<Case> = vec![
            // unique and valid: kept
            (
                vec![("time", vec!["get_current_time", "convert_time"])],
                vec![vec!["get_current_time".into(), "convert_time".into()]],
            ),
            // collision across servers: both prefixed
            (
                vec![("a", vec!["search"]), ("b", vec!["search"])],
                vec![vec!["a__search".into()], vec!["b__search".into()]],
            ),
            // invalid characters: prefixed and made valid
            (
                vec![("fs", vec!["read.file", "dir/list"])],
                vec![vec!["fs__read_file".into(), "fs__dir_list".into()]],
            ),
            // same after sanitizing on one server: suffixed
            (
                vec![("s", vec!["a.b", "a_b", "a b"])],
                vec![vec!["s__a_b".into(), "s__a_b-2".into(), "s__a_b-3".into()]],
            ),
            // too long: prefixed and cut to 64
            (
                vec![("s", vec![long.as_str()])],
                vec![vec![format!("s__{}", &long_cut[..61])]],
            ),
            // empty name: gets a placeholder
            (vec![("s", vec![""])], vec![vec!["s__tool".into()]]),
            // non-ASCII: replaced
            (vec![("s", vec!["météo"])], vec![vec!["s__m_t_o".into()]]),
            // a prefixed name never steals a bare one
            (
                vec![("a", vec!["x", "b__y"]), ("b", vec!["y", "y"])],
                vec![
                    vec!["x".into(), "b__y".into()],
                    vec!["b__y-2".into(), "b__y-3".into()],
                ],
            ),
            // no tools
            (vec![("s", vec![])], vec![vec![]]),
        ];
        for (input, expected) in cases {
            let input: Vec<(&str, &[&str])> =
                input.iter().map(|(s, t)| (*s, t.as_slice())).collect();
            let got = names(&input);
            assert_eq!(got, expected, "for {input:?}");
            for name in got.iter().flatten() {
                assert!(is_valid_tool_name(name), "{name:?} is not valid");
            }
            let all: Vec<&String> = got.iter().flatten().collect();
            let unique: HashSet<&&String> = all.iter().collect();
            assert_eq!(all.len(), unique.len(), "names not unique: {all:?}");
        }
    }
}
