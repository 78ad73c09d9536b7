//! The facade's rustdoc lists every cargo feature, and nothing that is not
//! one: adding a provider feature without documenting it fails here.

/// Feature names declared in the facade's `[features]` table (not `default`).
fn declared_features() -> Vec<String> {
    let manifest = include_str!("../Cargo.toml");
    let table = manifest
        .split("\n[features]\n")
        .nth(1)
        .expect("Cargo.toml has a [features] table");
    let table = table.split("\n[").next().unwrap_or(table);
    let mut names: Vec<String> = table
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| !name.is_empty() && name != "default")
        .collect();
    names.sort();
    names
}

/// Feature names in the first column of the crate docs' feature table.
fn documented_features() -> Vec<String> {
    let mut names: Vec<String> = include_str!("../src/lib.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_owned()))
        .collect();
    names.sort();
    names
}

#[test]
fn crate_docs_list_exactly_the_declared_features() {
    let declared = declared_features();
    let documented = documented_features();
    let missing: Vec<_> = declared
        .iter()
        .filter(|f| !documented.contains(f))
        .collect();
    let stale: Vec<_> = documented
        .iter()
        .filter(|f| !declared.contains(f))
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "src/lib.rs feature table out of date: undocumented {missing:?}, not a feature {stale:?}"
    );
    assert!(declared.contains(&"mock".to_owned()), "{declared:?}");
}
