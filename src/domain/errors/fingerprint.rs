//! The fingerprint of an error: its type, its message with everything that changes between
//! occurrences normalised away (request ids, UUIDs, timestamps, hex, numbers, quoted values),
//! and its top application frame, hashed to 16 hex digits that never change between versions.

use std::hash::Hasher;

use super::{Detected, ErrorKind};
use crate::domain::logbuf::Fnv;

/// The message with variable parts replaced: the request id by `<request-id>`, UUIDs by
/// `<uuid>`, timestamps by `<time>`, hex by `<hex>`, numbers by `<n>`, quoted values by
/// `'<v>'` (same quote), runs of whitespace by one space.
pub fn normalise_message(message: &str, request_id: Option<&str>) -> String {
    let replaced;
    let message = match request_id {
        Some(id) if id.len() >= 3 && message.contains(id) => {
            replaced = message.replace(id, "\u{0}");
            replaced.as_str()
        }
        _ => message,
    };
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\u{0}' {
            out.push_str("<request-id>");
            i += 1;
        } else if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            if !out.is_empty() {
                out.push(' ');
            }
        } else if matches!(c, '\'' | '"' | '`')
            && let Some(end) = closing_quote(&chars, i)
        {
            out.push(c);
            out.push_str("<v>");
            out.push(c);
            i = end + 1;
        } else if let Some(end) = timestamp_end(&chars, i) {
            out.push_str("<time>");
            i = end;
        } else if let Some(end) = uuid_end(&chars, i) {
            out.push_str("<uuid>");
            i = end;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            // A decimal number: 3.14, 1.5e3 stays one number.
            if chars[start..i].iter().all(char::is_ascii_digit)
                && i + 1 < chars.len()
                && chars[i] == '.'
                && chars[i + 1].is_ascii_digit()
            {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            push_word(&mut out, &chars[start..i]);
        } else {
            out.push(c);
            i += 1;
        }
    }
    out.trim_end().to_string()
}

/// The fingerprint of a detected error in `function`: 16 hex digits of FNV-1a over the kind,
/// the type, the normalised message and the top frame. Timeouts and out-of-memory errors
/// carry no message of the code's own: theirs is the kind, the type and the function.
pub fn fingerprint(d: &Detected, function: &str) -> String {
    let mut h = Fnv::default();
    let mut put = |s: &str| {
        h.write(s.as_bytes());
        h.write(&[0x1f]);
    };
    put(d.kind.as_str());
    put(&d.error_type);
    if d.kind.is_platform() || d.kind == ErrorKind::Init && d.generic {
        put(function);
    } else {
        put(&normalise_message(&d.message, d.request_id.as_deref()));
        put(d.frame.as_deref().unwrap_or(""));
    }
    format!("{:016x}", h.finish())
}

fn push_word(out: &mut String, word: &[char]) {
    let digits = word.iter().filter(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        out.extend(word);
    } else if digits == word.len() || word.iter().all(|&c| c == '.' || c.is_ascii_digit()) {
        out.push_str("<n>");
    } else if (word.len() >= 8 && word.iter().all(char::is_ascii_hexdigit))
        || (word.len() > 2
            && word[0] == '0'
            && matches!(word[1], 'x' | 'X')
            && word[2..].iter().all(char::is_ascii_hexdigit))
    {
        out.push_str("<hex>");
    } else {
        let mut in_digits = false;
        for &c in word {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push_str("<n>");
                }
                in_digits = true;
            } else {
                in_digits = false;
                out.push(c);
            }
        }
    }
}

/// The index of the quote closing the one at `open` (same line, at most 200 characters on),
/// when the opening quote starts a word and the closing one ends it (so `can't` is no quote).
fn closing_quote(chars: &[char], open: usize) -> Option<usize> {
    let q = chars[open];
    if open > 0 && chars[open - 1].is_alphanumeric() {
        return None;
    }
    let limit = (open + 200).min(chars.len());
    let mut j = open + 1;
    while j < limit {
        let c = chars[j];
        if c == '\n' || c == '\r' {
            return None;
        }
        if c == '\\' {
            j += 2;
            continue;
        }
        if c == q {
            let after = chars.get(j + 1);
            return after.is_none_or(|a| !a.is_alphanumeric()).then_some(j);
        }
        j += 1;
    }
    None
}

fn digits_at(chars: &[char], at: usize, n: usize) -> bool {
    chars.len() >= at + n && chars[at..at + n].iter().all(char::is_ascii_digit)
}

/// `2026-12-02T07:51:38.123Z`, `2026-12-02 07:51:38,763`, `2026-12-02`: the end index.
fn timestamp_end(chars: &[char], i: usize) -> Option<usize> {
    if (i > 0 && chars[i - 1].is_alphanumeric())
        || !(digits_at(chars, i, 4)
            && chars.get(i + 4) == Some(&'-')
            && digits_at(chars, i + 5, 2)
            && chars.get(i + 7) == Some(&'-')
            && digits_at(chars, i + 8, 2))
    {
        return None;
    }
    let mut j = i + 10;
    if matches!(chars.get(j), Some('T' | ' '))
        && digits_at(chars, j + 1, 2)
        && chars.get(j + 3) == Some(&':')
        && digits_at(chars, j + 4, 2)
    {
        j += 6;
        if chars.get(j) == Some(&':') && digits_at(chars, j + 1, 2) {
            j += 3;
        }
        if matches!(chars.get(j), Some('.' | ',')) && digits_at(chars, j + 1, 1) {
            j += 1;
            while chars.get(j).is_some_and(char::is_ascii_digit) {
                j += 1;
            }
        }
        if chars.get(j) == Some(&'Z') {
            j += 1;
        } else if matches!(chars.get(j), Some('+' | '-'))
            && digits_at(chars, j + 1, 2)
            && chars.get(j + 3) == Some(&':')
            && digits_at(chars, j + 4, 2)
        {
            j += 6;
        }
    }
    Some(j)
}

/// A UUID (8-4-4-4-12 hex digits) starting at `i`: its end index.
fn uuid_end(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && chars[i - 1].is_alphanumeric() {
        return None;
    }
    let mut j = i;
    for (n, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if n > 0 {
            if chars.get(j) != Some(&'-') {
                return None;
            }
            j += 1;
        }
        if chars.len() < j + len || !chars[j..j + len].iter().all(char::is_ascii_hexdigit) {
            return None;
        }
        j += len;
    }
    chars
        .get(j)
        .is_none_or(|c| !c.is_alphanumeric())
        .then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::numbers("order 1234 failed after 3.5s", "order <n> failed after <n>s")]
    #[case::uuid(
        "user 4ce9340a-b765-490f-ad8a-02ab3415e2bf not found",
        "user <uuid> not found"
    )]
    #[case::timestamp("expired at 2026-12-02T07:51:38.123Z", "expired at <time>")]
    #[case::timestamp_space("at 2022-01-26 09:05:13,763 [INFO]", "at <time> [INFO]")]
    #[case::hex(
        "address 0x7ffd1234 and digest deadbeef12",
        "address <hex> and digest <hex>"
    )]
    #[case::quoted("reading 'id' of \"orders-7\"", "reading '<v>' of \"<v>\"")]
    #[case::apostrophe("can't parse body", "can't parse body")]
    #[case::mixed_words("item ORD-00042 in user42", "item ORD-<n> in user<n>")]
    #[case::whitespace("  a \t\r\n b  ", "a b")]
    #[case::unicode("Grüße 12 €", "Grüße <n> €")]
    fn normalises(#[case] message: &str, #[case] want: &str) {
        assert_eq!(normalise_message(message, None), want);
    }

    #[test]
    fn request_ids_are_normalised() {
        assert_eq!(
            normalise_message("request 123 failed", Some("123")),
            "request <request-id> failed"
        );
        assert_eq!(normalise_message("x 12", Some("12")), "x <n>");
    }

    fn detected(kind: ErrorKind, t: &str, message: &str, frame: Option<&str>) -> Detected {
        Detected {
            kind,
            error_type: t.into(),
            message: message.into(),
            frame: frame.map(Into::into),
            request_id: None,
            generic: false,
        }
    }

    #[test]
    fn fingerprints_are_stable_across_versions() {
        // Pinned: a change here changes every user's --fail-on-new baseline.
        let d = detected(
            ErrorKind::Runtime,
            "TypeError",
            "Cannot read properties of undefined (reading 'id')",
            Some("Runtime.handler (/var/task/index.mjs)"),
        );
        assert_eq!(fingerprint(&d, "orders-dev-create"), "b903439841c41413");
    }

    #[test]
    fn equal_errors_with_other_ids_share_a_fingerprint() {
        let a = detected(
            ErrorKind::Application,
            "ValidationError",
            "order 17 of 2026-12-01T10:00:00Z: bad total 3.50",
            None,
        );
        let b = detected(
            ErrorKind::Application,
            "ValidationError",
            "order 981 of 2026-12-02T11:22:33Z: bad total 12.75",
            None,
        );
        assert_eq!(fingerprint(&a, "f"), fingerprint(&b, "g"));
        let other = detected(ErrorKind::Application, "ValidationError", "bad name", None);
        assert_ne!(fingerprint(&a, "f"), fingerprint(&other, "f"));
        let other_frame = detected(
            ErrorKind::Application,
            "ValidationError",
            "order 17 of 2026-12-01T10:00:00Z: bad total 3.50",
            Some("x (/var/task/y.js)"),
        );
        assert_ne!(fingerprint(&a, "f"), fingerprint(&other_frame, "f"));
    }

    #[test]
    fn timeouts_group_by_function() {
        let a = detected(ErrorKind::Timeout, "Sandbox.Timedout", "after 3.00 s", None);
        let b = detected(
            ErrorKind::Timeout,
            "Sandbox.Timedout",
            "duration 3003 ms",
            None,
        );
        assert_eq!(fingerprint(&a, "f"), fingerprint(&b, "f"));
        assert_ne!(fingerprint(&a, "f"), fingerprint(&a, "g"));
    }
}
