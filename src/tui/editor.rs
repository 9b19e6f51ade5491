//! Editing text in `$EDITOR` (then `$VISUAL`, then `vi`): the console steps aside meanwhile.

use std::io::Write as _;

use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use super::Term;

/// Suspends the terminal, runs the editor on a temp file holding `initial`, restores the
/// terminal and returns the edited text (or a one-line reason).
pub fn edit(term: &mut Term, initial: &str, extension: &str) -> Result<String, String> {
    let mut file =
        tempfile_with(extension).map_err(|e| format!("cannot create a temp file: {e}"))?;
    file.1
        .write_all(initial.as_bytes())
        .map_err(|e| format!("cannot write the temp file: {e}"))?;
    drop(file.1);
    let editor = std::env::var("EDITOR")
        .or_else(|_| std::env::var("VISUAL"))
        .unwrap_or_else(|_| "vi".to_string());
    let _ = disable_raw_mode();
    let _ = execute!(std::io::stdout(), LeaveAlternateScreen);
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi").to_string();
    let status = std::process::Command::new(&program)
        .args(parts)
        .arg(&file.0)
        .status();
    let _ = enable_raw_mode();
    let _ = execute!(std::io::stdout(), EnterAlternateScreen);
    // `Terminal::clear` asks the terminal for the cursor first, which fails right after an
    // editor; clear the screen directly and make the next draw repaint every cell.
    let _ = execute!(
        std::io::stdout(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    );
    term.swap_buffers();
    term.swap_buffers();
    let text = std::fs::read_to_string(&file.0);
    let _ = std::fs::remove_file(&file.0);
    match status {
        Ok(s) if s.success() => text.map_err(|e| format!("cannot read the edited file: {e}")),
        Ok(s) => Err(format!("{program} exited with {s}; nothing changed")),
        Err(e) => Err(format!("cannot run the editor {program:?} ($EDITOR): {e}")),
    }
}

fn tempfile_with(extension: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let dir = std::env::temp_dir();
    for n in 0..100 {
        let path = dir.join(format!("protoctl-{}-{n}{extension}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temp file name"))
}
