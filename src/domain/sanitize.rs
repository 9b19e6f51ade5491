//! Sanitising of untrusted text (anything that came from AWS) before it is drawn or printed.
//!
//! C0 and C1 control characters, ESC, DEL and the Unicode bidi overrides and isolates become
//! visible escapes such as `\x1b` or `\u{202e}`, so no string from the data can move the
//! cursor, set the clipboard (OSC 52), open a link (OSC 8) or reorder what the user reads.

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character that must never reach the terminal as it is.
pub fn is_unsafe_char(c: char) -> bool {
    let cp = c as u32;
    cp < 0x20
        || (0x7f..=0x9f).contains(&cp)
        || matches!(cp, 0x200e | 0x200f | 0x061c)
        || (0x202a..=0x202e).contains(&cp)
        || (0x2066..=0x2069).contains(&cp)
}

/// Makes `text` safe to draw: unsafe characters become visible escapes (`\n` → `\n` text).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`sanitize`], but keeps line breaks and tabs (for multi-line previews), which the
/// caller splits into lines itself; `\r` is still escaped.
pub fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c != '\n' && c != '\t' && is_unsafe_char(c))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' || c == '\t' {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// Sanitises bytes that may not be UTF-8: invalid sequences become `\xNN` escapes.
pub fn sanitize_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&sanitize(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if !is_unsafe_char(c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) <= 0xff => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("hello world", "hello world")]
    #[case::csi_clear("a\x1b[2Jb", "a\\x1b[2Jb")]
    #[case::osc52("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07")]
    #[case::osc8(
        "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
        "\\x1b]8;;http://evil\\x1b\\link\\x1b]8;;\\x1b\\"
    )]
    #[case::c1_csi("x\u{9b}31my", "x\\x9b31my")]
    #[case::del("a\x7fb", "a\\x7fb")]
    #[case::newline("line1\nline2\r", "line1\\nline2\\r")]
    #[case::bidi("user\u{202e}gpj.exe", "user\\u{202e}gpj.exe")]
    #[case::isolate("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}")]
    #[case::unicode_ok("héllo ✓ 日本", "héllo ✓ 日本")]
    fn sanitizes(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(sanitize(input), expected);
    }

    #[test]
    fn borrowed_when_clean() {
        assert!(matches!(sanitize("clean"), Cow::Borrowed(_)));
    }

    #[test]
    fn multiline_keeps_newlines_only() {
        assert_eq!(sanitize_multiline("a\nb\x1b[1m\tc\r"), "a\nb\\x1b[1m\tc\\r");
    }

    #[test]
    fn bytes_invalid_utf8() {
        assert_eq!(sanitize_bytes(b"ok\xff\xfe\x1b"), "ok\\xff\\xfe\\x1b");
    }

    proptest! {
        #[test]
        fn never_leaks_controls(s in any::<String>()) {
            let out = sanitize(&s);
            prop_assert!(!out.chars().any(is_unsafe_char));
        }

        #[test]
        fn bytes_never_leak_controls(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let out = sanitize_bytes(&b);
            prop_assert!(!out.chars().any(is_unsafe_char));
        }

        #[test]
        fn clean_text_unchanged(s in "[a-zA-Z0-9 ./:_-]{0,40}") {
            prop_assert_eq!(sanitize(&s), s.as_str());
        }
    }
}
