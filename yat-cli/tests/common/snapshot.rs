//! Snapshots of what a command prints, kept in `tests/snapshots/`.

use std::path::Path;

/// Compares `actual` with `tests/snapshots/NAME.txt`. Run with
/// `UPDATE_SNAPSHOTS=1` to write the files after a deliberate change.
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        expected, actual,
        "snapshot {name} differs (UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)"
    );
}

/// The table's header and the rows of the given providers or models only,
/// so a snapshot does not depend on which other provider features are on.
pub fn rows_for(table: &str, keep: &[&str]) -> String {
    let mut out = String::new();
    for (i, line) in table.lines().enumerate() {
        if i == 0 || keep.iter().any(|k| line.starts_with(k)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Compares a table with its snapshot. With only the listed rows present
/// (a mock-only build) the comparison is exact, alignment included; with
/// other providers compiled in, their rows are dropped and runs of spaces
/// compared as one, since the other rows change the column widths.
#[track_caller]
pub fn assert_table_snapshot(name: &str, table: &str, keep: &[&str]) {
    let kept = rows_for(table, keep);
    if kept == table {
        return assert_snapshot(name, table);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        collapse_spaces(&expected),
        collapse_spaces(&kept),
        "snapshot {name}"
    );
}

fn collapse_spaces(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.split("  ")
                .filter(|p| !p.is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("  ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
