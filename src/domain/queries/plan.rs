//! Planning and merging Logs Insights queries that span more log groups than one query may
//! name: the query's shape (`sort`, `limit`, `stats ... by`), the chunks of at most 50 groups,
//! and the merge of the chunks' rows into the rows one query would have given.

use std::cmp::Ordering;
use std::collections::HashMap;

/// AWS's limit of log groups a query may name.
pub const MAX_GROUPS_PER_QUERY: usize = 50;
/// AWS's limit of concurrent queries in an account (protoctl runs far fewer at once).
pub const MAX_CONCURRENT_QUERIES: usize = 30;
/// Queries protoctl runs at once, well under the account limit so other users have room.
pub const CONCURRENT_QUERIES: usize = 10;
/// Rows a query returns at most (AWS's limit).
pub const MAX_ROWS: usize = 10_000;

/// One result row: the fields in the order AWS returned them.
pub type Row = Vec<(String, String)>;

/// How an aggregate of separate chunks combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// `count` and `sum`: add.
    Sum,
    /// `min`: the smaller.
    Min,
    /// `max`: the larger.
    Max,
    /// `avg`, `pct`, `stddev`, ...: cannot be combined from the chunks' results.
    No,
}

/// A `stats` command: its aggregated columns with how they combine, and its `by` columns.
pub type StatsShape = (Vec<(String, Combine)>, Vec<String>);

/// What the merge must know about a query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryShape {
    /// The first key of the last `sort` command, and whether it is descending.
    pub sort: Option<(String, bool)>,
    /// The last `limit`.
    pub limit: Option<usize>,
    /// The aggregated columns of a `stats` command with how they combine, and its `by` columns.
    pub stats: Option<StatsShape>,
}

/// Reads the commands of a query (split on `|` outside quotes and regexes).
pub fn shape(query: &str) -> QueryShape {
    let mut s = QueryShape::default();
    for command in split_top(query, '|') {
        let command = command.trim();
        let (verb, rest) = command
            .split_once(char::is_whitespace)
            .unwrap_or((command, ""));
        match verb.to_ascii_lowercase().as_str() {
            "sort" => {
                let first = split_top(rest, ',').into_iter().next().unwrap_or_default();
                let mut words = first.split_whitespace();
                if let Some(field) = words.next() {
                    let asc = words.next().is_some_and(|d| d.eq_ignore_ascii_case("asc"));
                    s.sort = Some((field.to_string(), !asc));
                }
            }
            "limit" => s.limit = rest.trim().parse().ok(),
            "stats" => s.stats = Some(stats(rest)),
            _ => {}
        }
    }
    s
}

fn stats(rest: &str) -> StatsShape {
    let lower = rest.to_ascii_lowercase();
    let (aggs, by) = match find_top(&lower, " by ") {
        Some(i) => (&rest[..i], &rest[i + 4..]),
        None => (rest, ""),
    };
    let column = |expr: &str| -> (String, String) {
        let e = expr.trim();
        let lower = e.to_ascii_lowercase();
        match find_top(&lower, " as ") {
            Some(i) => (e[i + 4..].trim().to_string(), e[..i].trim().to_string()),
            None => (e.to_string(), e.to_string()),
        }
    };
    let aggregates = split_top(aggs, ',')
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let (name, expr) = column(a);
            let func = expr
                .split('(')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let combine = match func.as_str() {
                "count" | "sum" => Combine::Sum,
                "min" => Combine::Min,
                "max" => Combine::Max,
                _ => Combine::No,
            };
            (name, combine)
        })
        .collect();
    let by = split_top(by, ',')
        .iter()
        .filter(|b| !b.trim().is_empty())
        .map(|b| column(b).0)
        .collect();
    (aggregates, by)
}

/// The groups in chunks of at most [`MAX_GROUPS_PER_QUERY`].
pub fn chunks(groups: &[String]) -> Vec<Vec<String>> {
    groups
        .chunks(MAX_GROUPS_PER_QUERY)
        .map(<[String]>::to_vec)
        .collect()
}

/// The merged rows, and whether they are only an approximation (a `stats` whose aggregates
/// cannot be combined across chunks: each chunk's rows are listed as they came).
pub fn merge(shape: &QueryShape, parts: Vec<Vec<Row>>) -> (Vec<Row>, bool) {
    if parts.len() <= 1 {
        return (parts.into_iter().next().unwrap_or_default(), false);
    }
    let mut approximate = false;
    let mut rows: Vec<Row> = match &shape.stats {
        Some((aggs, by)) if aggs.iter().all(|(_, c)| *c != Combine::No) => combine(parts, aggs, by),
        Some(_) => {
            approximate = true;
            parts.into_iter().flatten().collect()
        }
        None => parts.into_iter().flatten().collect(),
    };
    let key = shape
        .sort
        .clone()
        .or_else(|| (shape.stats.is_none()).then(|| ("@timestamp".to_string(), true)));
    if let Some((field, desc)) = key {
        rows.sort_by(|a, b| {
            let o = compare(value(a, &field), value(b, &field));
            if desc { o.reverse() } else { o }
        });
    }
    rows.truncate(shape.limit.unwrap_or(MAX_ROWS).min(MAX_ROWS));
    (rows, approximate)
}

fn combine(parts: Vec<Vec<Row>>, aggs: &[(String, Combine)], by: &[String]) -> Vec<Row> {
    let mut order: Vec<Vec<String>> = Vec::new();
    let mut merged: HashMap<Vec<String>, Row> = HashMap::new();
    for row in parts.into_iter().flatten() {
        let key: Vec<String> = by
            .iter()
            .map(|b| value(&row, b).unwrap_or("").to_string())
            .collect();
        let Some(existing) = merged.get_mut(&key) else {
            order.push(key.clone());
            merged.insert(key, row);
            continue;
        };
        for (name, how) in aggs {
            let (Some(a), Some(b)) = (
                value(existing, name).and_then(|v| v.parse::<f64>().ok()),
                value(&row, name).and_then(|v| v.parse::<f64>().ok()),
            ) else {
                continue;
            };
            let v = match how {
                Combine::Sum => a + b,
                Combine::Min => a.min(b),
                Combine::Max => a.max(b),
                Combine::No => a,
            };
            if let Some(slot) = existing.iter_mut().find(|(f, _)| f == name) {
                slot.1 = format_number(v);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| merged.remove(&k))
        .collect()
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// A row's value of `field`.
pub fn value<'a>(row: &'a Row, field: &str) -> Option<&'a str> {
    row.iter()
        .find(|(f, _)| f == field)
        .map(|(_, v)| v.as_str())
}

fn compare(a: Option<&str>, b: Option<&str>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => a.cmp(b),
        },
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// The columns of some rows: each field in the order it first appears, hidden fields
/// (`@ptr`) left out.
pub fn columns(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        for (f, _) in row {
            if f != "@ptr" && !out.contains(f) {
                out.push(f.clone());
            }
        }
    }
    out
}

/// Splits on `sep` outside quotes and `/regex/` literals.
fn split_top(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut depth = 0usize;
    for c in s.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '/' if regex_may_start(&cur) => quote = Some('/'),
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if c == sep && depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// A `/` opens a regex after `like`, `=~`, `(` or `,` (Insights' regex positions).
fn regex_may_start(before: &str) -> bool {
    let t = before.trim_end();
    let lower = t.to_ascii_lowercase();
    lower.ends_with("like") || t.ends_with("=~") || t.ends_with('(') || t.ends_with(',')
}

/// The byte index of `needle` outside quotes.
fn find_top(s: &str, needle: &str) -> Option<usize> {
    mask_quotes(s).find(needle)
}

/// `s` with every byte inside quotes (and every non-ASCII byte) replaced by `_`, so indexes
/// stay the same.
fn mask_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    for c in s.chars() {
        let inside = quote.is_some();
        match quote {
            Some(q) if c == q => quote = None,
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            _ => {}
        }
        let masked = if inside || quote.is_some() { '_' } else { c };
        for _ in 0..c.len_utf8() {
            out.push(if masked.is_ascii() { masked } else { '_' });
        }
    }
    out
}

/// One query's progress, as GetQueryResults reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChunkProgress {
    /// Which chunk of log groups (0-based).
    pub chunk: usize,
    /// How many chunks in all.
    pub chunks: usize,
    /// `Scheduled`, `Running`, `Complete`, `Failed`, `Cancelled`, `Timeout`.
    pub status: String,
    /// Records scanned so far.
    pub records_scanned: f64,
    /// Records matched so far.
    pub records_matched: f64,
    /// Bytes scanned so far.
    pub bytes_scanned: f64,
}

/// The merged answer of a query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOutcome {
    /// The rows, fields in AWS's order.
    pub rows: Vec<Row>,
    /// The columns: each field in the order it first appears, `@ptr` left out.
    pub columns: Vec<String>,
    /// Records scanned, summed over the chunks.
    pub records_scanned: f64,
    /// Records matched, summed over the chunks.
    pub records_matched: f64,
    /// How many queries ran (one per 50 log groups).
    pub queries: usize,
    /// A `stats` query over several chunks whose aggregates cannot be combined.
    pub approximate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn row(cells: &[(&str, &str)]) -> Row {
        cells
            .iter()
            .map(|(f, v)| ((*f).to_string(), (*v).to_string()))
            .collect()
    }

    #[rstest]
    #[case("fields @timestamp, @message | sort @timestamp desc | limit 20", Some(("@timestamp", true)), Some(20))]
    #[case("fields @message | sort @duration asc, @timestamp desc", Some(("@duration", false)), None)]
    #[case("filter @message like /a|b/ | sort x | limit 5", Some(("x", true)), Some(5))]
    #[case("filter @message = 'x | sort y' | limit 3", None, Some(3))]
    #[case("fields @message", None, None)]
    fn shapes(#[case] q: &str, #[case] sort: Option<(&str, bool)>, #[case] limit: Option<usize>) {
        let s = shape(q);
        assert_eq!(s.sort, sort.map(|(f, d)| (f.to_string(), d)));
        assert_eq!(s.limit, limit);
    }

    #[test]
    fn stats_columns_and_combiners() {
        let s = shape(
            "filter @type = \"REPORT\" | stats count(*) as n, max(@duration), avg(@duration) as mean by @log, bin(5m)",
        );
        let (aggs, by) = s.stats.unwrap();
        assert_eq!(
            aggs,
            [
                ("n".to_string(), Combine::Sum),
                ("max(@duration)".to_string(), Combine::Max),
                ("mean".to_string(), Combine::No)
            ]
        );
        assert_eq!(by, ["@log", "bin(5m)"]);
    }

    #[test]
    fn chunks_of_fifty() {
        let groups: Vec<String> = (0..120).map(|i| format!("/g/{i}")).collect();
        let c = chunks(&groups);
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
        assert_eq!(c.concat(), groups);
    }

    #[test]
    fn merges_sorted_and_limited() {
        let s = shape("fields @timestamp, @message | sort @timestamp desc | limit 3");
        let a = vec![
            row(&[("@timestamp", "5"), ("@message", "a5")]),
            row(&[("@timestamp", "1"), ("@message", "a1")]),
        ];
        let b = vec![
            row(&[("@timestamp", "4"), ("@message", "b4")]),
            row(&[("@timestamp", "3"), ("@message", "b3")]),
        ];
        let (rows, approx) = merge(&s, vec![a, b]);
        assert!(!approx);
        let msgs: Vec<&str> = rows.iter().map(|r| value(r, "@message").unwrap()).collect();
        assert_eq!(msgs, ["a5", "b4", "b3"]);
    }

    #[test]
    fn merges_combinable_stats() {
        let s = shape("stats count(*) as n, max(@duration) as worst by @log");
        let a = vec![row(&[("@log", "x"), ("n", "2"), ("worst", "10.5")])];
        let b = vec![
            row(&[("@log", "x"), ("n", "3"), ("worst", "7")]),
            row(&[("@log", "y"), ("n", "1"), ("worst", "1")]),
        ];
        let (rows, approx) = merge(&s, vec![a, b]);
        assert!(!approx);
        assert_eq!(
            rows,
            vec![
                row(&[("@log", "x"), ("n", "5"), ("worst", "10.5")]),
                row(&[("@log", "y"), ("n", "1"), ("worst", "1")])
            ]
        );
    }

    #[test]
    fn averages_across_chunks_are_marked_approximate() {
        let s = shape("stats avg(@duration) by @log");
        let (rows, approx) = merge(
            &s,
            vec![vec![row(&[("@log", "x")])], vec![row(&[("@log", "x")])]],
        );
        assert!(approx);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn one_chunk_is_kept_as_it_came() {
        let s = shape("fields @message | sort @timestamp desc");
        let a = vec![row(&[("@message", "b")]), row(&[("@message", "a")])];
        assert_eq!(merge(&s, vec![a.clone()]).0, a);
    }

    #[test]
    fn columns_in_first_seen_order_without_ptr() {
        let rows = vec![
            row(&[("@timestamp", "1"), ("@ptr", "p")]),
            row(&[("@message", "m"), ("@timestamp", "2")]),
        ];
        assert_eq!(columns(&rows), ["@timestamp", "@message"]);
    }
}
