//! Aligned columns for listings, with optional colour that does not upset
//! the alignment.

use std::io::Write;

use crate::term::Paint;

/// One cell: its plain text (for width) and how to show it.
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    shown: String,
}

impl Cell {
    /// A cell shown as it is.
    pub fn plain(text: impl Into<String>) -> Self {
        let text = text.into();
        Cell {
            shown: text.clone(),
            text,
        }
    }
    /// A cell shown through `style` (a colour).
    pub fn styled(text: impl Into<String>, style: impl Fn(&str) -> String) -> Self {
        let text = text.into();
        Cell {
            shown: style(&text),
            text,
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::plain(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::plain(s)
    }
}

/// A table: a header row and data rows.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Writes it: columns two spaces apart, the last one unpadded, no
    /// trailing spaces.
    pub fn write(&self, out: &mut impl Write, paint: Paint) -> std::io::Result<()> {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(&cell.text));
            }
        }
        let header: Vec<Cell> = self
            .header
            .iter()
            .map(|h| Cell::styled(h.clone(), |t| paint.bold(t)))
            .collect();
        write_row(out, &header, &widths)?;
        for row in &self.rows {
            write_row(out, row, &widths)?;
        }
        Ok(())
    }
}

fn write_row(out: &mut impl Write, row: &[Cell], widths: &[usize]) -> std::io::Result<()> {
    let last = row.iter().rposition(|c| !c.text.is_empty()).unwrap_or(0);
    let mut line = String::new();
    for (i, cell) in row.iter().enumerate().take(last + 1) {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(&cell.shown);
        if i < last {
            let pad = widths[i].saturating_sub(width(&cell.text));
            line.push_str(&" ".repeat(pad));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

fn width(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_plain_width_even_when_coloured() {
        let mut t = Table::new(&["ID", "STATUS", "REASON"]);
        t.row(vec![
            "mock".into(),
            Cell::styled("ready", |s| Paint(true).green(s)),
            "".into(),
        ]);
        t.row(vec![
            "openai".into(),
            "needs configuration".into(),
            "set a key".into(),
        ]);
        let mut out = Vec::new();
        t.write(&mut out, Paint(false)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID      STATUS               REASON");
        assert!(lines[1].starts_with("mock    \x1b[32mready\x1b[0m"));
        assert!(!lines[1].ends_with(' '));
        assert_eq!(lines[2], "openai  needs configuration  set a key");
    }
}
