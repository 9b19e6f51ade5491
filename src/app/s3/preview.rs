//! Previews of an object's first bytes: pretty, coloured JSON; text; or a hex dump.
//! Built once when the bytes arrive (at most `[s3] preview_kib`), drawn a window at a time.
//! Every segment is sanitised here, so nothing drawn can carry a control character.

use crate::domain::sanitize::{sanitize, sanitize_bytes};

/// What a segment of a preview line is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Plain,
    Key,
    Str,
    Num,
    Lit,
    Punct,
    Dim,
}

/// One line of a preview: coloured segments, already sanitised.
pub type PreviewLine = Vec<(Tok, String)>;

/// How the bytes were understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewKind {
    Json,
    Text,
    Hex,
    Empty,
}

impl PreviewKind {
    /// The label in the preview's title.
    pub fn label(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::Text => "text",
            Self::Hex => "hex",
            Self::Empty => "empty",
        }
    }
}

/// A built preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewDoc {
    pub kind: PreviewKind,
    pub lines: Vec<PreviewLine>,
}

/// Longest line kept (in characters); the rest is cut with an ellipsis.
const MAX_LINE: usize = 2000;

/// Builds the preview: JSON when the bytes parse as JSON, text when they are mostly
/// printable UTF-8 (a character cut at the end of a truncated read is allowed), else hex.
pub fn build(bytes: &[u8], truncated: bool) -> PreviewDoc {
    if bytes.is_empty() {
        return PreviewDoc {
            kind: PreviewKind::Empty,
            lines: Vec::new(),
        };
    }
    if !truncated && let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
        return PreviewDoc {
            kind: PreviewKind::Json,
            lines: pretty.lines().map(json_line).collect(),
        };
    }
    match as_text(bytes, truncated) {
        Some(text) => PreviewDoc {
            kind: PreviewKind::Text,
            lines: text.lines().map(text_line).collect(),
        },
        None => PreviewDoc {
            kind: PreviewKind::Hex,
            lines: hex_dump(bytes),
        },
    }
}

/// The bytes as text when they look like text (valid UTF-8, no NUL, few controls).
fn as_text(bytes: &[u8], truncated: bool) -> Option<&str> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        // A multi-byte character cut by the Range read: keep what is before it.
        Err(e) if truncated && e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4 => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    let controls = text
        .chars()
        .filter(|&c| c != '\n' && c != '\r' && c != '\t' && c.is_control())
        .count();
    if text.contains('\0') || controls * 20 > text.chars().count().max(1) {
        return None;
    }
    Some(text)
}

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_LINE {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_LINE).collect();
        t.push('…');
        t
    }
}

fn text_line(line: &str) -> PreviewLine {
    let line = line
        .strip_suffix('\r')
        .unwrap_or(line)
        .replace('\t', "    ");
    vec![(Tok::Plain, sanitize(&clip(&line)).into_owned())]
}

/// Colours one line of pretty-printed JSON: keys, strings, numbers, literals, punctuation.
fn json_line(line: &str) -> PreviewLine {
    let line = clip(line);
    let mut out: PreviewLine = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let push = |out: &mut PreviewLine, tok: Tok, s: String| {
        out.push((tok, sanitize(&s).into_owned()));
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let s: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            push(&mut out, if is_key { Tok::Key } else { Tok::Str }, s);
        } else if c == '-' || c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && matches!(chars[i], '0'..='9' | '-' | '+' | '.' | 'e' | 'E') {
                i += 1;
            }
            push(&mut out, Tok::Num, chars[start..i].iter().collect());
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            push(&mut out, Tok::Lit, chars[start..i].iter().collect());
        } else {
            let start = i;
            while i < chars.len()
                && !matches!(chars[i], '"' | '-' | '0'..='9' | 'a'..='z' | 'A'..='Z')
            {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let tok = if s.trim().is_empty() {
                Tok::Plain
            } else {
                Tok::Punct
            };
            push(&mut out, tok, s);
        }
    }
    out
}

/// A classic hex dump: offset, 16 bytes in two groups of 8, and the printable ASCII.
pub fn hex_dump(bytes: &[u8]) -> Vec<PreviewLine> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(n, chunk)| {
            let mut hex = String::with_capacity(50);
            for (i, b) in chunk.iter().enumerate() {
                if i == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            vec![
                (Tok::Dim, format!("{:08x}  ", n * 16)),
                (Tok::Num, format!("{hex:<50}")),
                (Tok::Dim, "|".to_string()),
                (Tok::Plain, sanitize_bytes(ascii.as_bytes())),
                (Tok::Dim, "|".to_string()),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(doc: &PreviewDoc) -> Vec<String> {
        doc.lines
            .iter()
            .map(|l| l.iter().map(|(_, s)| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn json_is_pretty_and_coloured() {
        let doc = build(
            br#"{"a":1,"b":[true,"x"],"n":12345678901234567890.5}"#,
            false,
        );
        assert_eq!(doc.kind, PreviewKind::Json);
        let t = text_of(&doc);
        assert_eq!(t[1], r#"  "a": 1,"#);
        assert!(
            t.iter().any(|l| l.contains("12345678901234567890.5")),
            "{t:?}"
        );
        assert!(doc.lines[1].contains(&(Tok::Key, "\"a\"".into())));
        assert!(doc.lines[1].contains(&(Tok::Num, "1".into())));
        assert!(
            doc.lines
                .iter()
                .flatten()
                .any(|s| *s == (Tok::Lit, "true".into()))
        );
        assert!(
            doc.lines
                .iter()
                .flatten()
                .any(|s| *s == (Tok::Str, "\"x\"".into()))
        );
    }

    #[test]
    fn truncated_json_is_text() {
        let doc = build(br#"{"a": 1, "b": "#, true);
        assert_eq!(doc.kind, PreviewKind::Text);
    }

    #[test]
    fn text_keeps_lines_and_escapes_controls() {
        let doc = build(b"order,total\r\nA,1\tx\nevil \x1b[2J\n", false);
        assert_eq!(doc.kind, PreviewKind::Text);
        assert_eq!(text_of(&doc), ["order,total", "A,1    x", "evil \\x1b[2J"]);
    }

    #[test]
    fn cut_utf8_at_the_end_is_still_text() {
        let mut b = "héllo ✓".as_bytes().to_vec();
        b.pop();
        assert_eq!(build(&b, true).kind, PreviewKind::Text);
        assert_eq!(build(&b, false).kind, PreviewKind::Hex);
    }

    #[test]
    fn binary_is_a_hex_dump() {
        let doc = build(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\x01\x02", false);
        assert_eq!(doc.kind, PreviewKind::Hex);
        let t = text_of(&doc);
        assert_eq!(
            t[0],
            "00000000  89 50 4e 47 0d 0a 1a 0a  00 00 00 0d 49 48 44 52  |.PNG........IHDR|"
        );
        assert!(t[1].starts_with("00000010  01 02 "), "{}", t[1]);
    }

    #[test]
    fn json_strings_with_bidi_are_sanitised() {
        let doc = build("{\"k\u{202e}\": \"v\\u001b\"}".as_bytes(), false);
        for (_, s) in doc.lines.iter().flatten() {
            assert!(
                !s.chars().any(crate::domain::sanitize::is_unsafe_char),
                "{s:?}"
            );
        }
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(build(b"", false).kind, PreviewKind::Empty);
    }
}
