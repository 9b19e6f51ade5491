//! The clipboard: OSC 52 by default (the terminal sets its own clipboard, even over SSH),
//! or the desktop's through the usual command-line tools.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;

use crate::config::ClipboardMode;

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

/// Desktop clipboard tools, tried in order.
const NATIVE: &[(&str, &[&str])] = &[
    ("pbcopy", &[]),
    ("wl-copy", &[]),
    ("xclip", &["-selection", "clipboard"]),
    ("xsel", &["--clipboard", "--input"]),
];

fn native(text: &str) -> Result<(), String> {
    for (cmd, args) in NATIVE {
        let Ok(mut child) = Command::new(cmd)
            .args(*args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            continue;
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(text.as_bytes());
        }
        if child.wait().is_ok_and(|s| s.success()) {
            return Ok(());
        }
    }
    Err("no desktop clipboard tool found (pbcopy, wl-copy, xclip, xsel); set [ui] clipboard = \"osc52\"".into())
}

/// Copies `text`; the error says why nothing was copied.
pub fn copy(out: &mut impl Write, text: &str, mode: ClipboardMode) -> Result<(), String> {
    match mode {
        ClipboardMode::None => Err("the clipboard is off ([ui] clipboard = \"none\")".into()),
        ClipboardMode::Native => native(text),
        ClipboardMode::Osc52 => out
            .write_all(osc52(text).as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to the terminal: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_osc52() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        let mut buf = Vec::new();
        assert!(copy(&mut buf, "hi", ClipboardMode::Osc52).is_ok());
        assert_eq!(buf, b"\x1b]52;c;aGk=\x07");
        assert!(
            copy(&mut Vec::new(), "hi", ClipboardMode::None)
                .unwrap_err()
                .contains("off")
        );
    }

    #[test]
    fn bounds_the_payload_on_a_char_boundary() {
        let big = "é".repeat(MAX_BYTES);
        let seq = osc52(&big);
        assert!(seq.len() < MAX_BYTES * 2);
    }
}
