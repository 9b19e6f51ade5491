//! The clipboard through OSC 52: the terminal (even over SSH) sets its own clipboard.

use std::io::Write;

use base64::Engine as _;

/// Largest payload terminals reliably accept in one OSC 52 sequence.
const MAX_BYTES: usize = 100_000;

/// The OSC 52 sequence that sets the clipboard to `text` (truncated to a safe size).
pub fn osc52(text: &str) -> String {
    let mut end = text.len().min(MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[..end]);
    format!("\x1b]52;c;{b64}\x07")
}

/// Writes the sequence to the terminal; false when the clipboard is off or writing failed.
pub fn copy(out: &mut impl Write, text: &str, enabled: bool) -> bool {
    enabled
        && out
            .write_all(osc52(text).as_bytes())
            .and_then(|()| out.flush())
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_osc52() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        let mut buf = Vec::new();
        assert!(copy(&mut buf, "hi", true));
        assert_eq!(buf, b"\x1b]52;c;aGk=\x07");
        assert!(!copy(&mut Vec::new(), "hi", false));
    }

    #[test]
    fn bounds_the_payload_on_a_char_boundary() {
        let big = "é".repeat(MAX_BYTES);
        let seq = osc52(&big);
        assert!(seq.len() < MAX_BYTES * 2);
    }
}
