//! Printing: JSON for programs, aligned sanitised tables for people.

use std::io::Write;

use serde::Serialize;

use crate::domain::sanitize::sanitize;

/// Prints `value` as one JSON document (pretty) on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints rows as an aligned table; every cell is sanitised (cells come from AWS).
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(format_table(headers, rows).as_bytes())?;
    Ok(())
}

/// Formats an aligned table of sanitised cells.
pub fn format_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let clean: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| sanitize(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &clean {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let mut s = String::new();
    let line = |cells: Vec<&str>, s: &mut String| {
        let last = cells.len().saturating_sub(1);
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i < last {
                let pad = widths[i].saturating_sub(c.chars().count()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.push('\n');
    };
    line(headers.to_vec(), &mut s);
    for r in &clean {
        line(r.iter().map(String::as_str).collect(), &mut s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_sanitises() {
        let t = format_table(
            &["NAME", "STATUS"],
            &[
                vec!["a\x1b[2J".into(), "OK".into()],
                vec!["bb".into(), "X".into()],
            ],
        );
        assert_eq!(t, "NAME      STATUS\na\\x1b[2J  OK\nbb        X\n");
    }
}
