//! The console's habits from the AWS web console and k9s: `y` copies the selected thing's
//! id or name, `o` copies its AWS console page (a terminal over SSH has no browser; OSC 52
//! reaches the user's own clipboard).

use super::keymap::Command;
use super::messages::Effect;
use super::{App, Level, Screen};

impl App {
    /// `copy` and `console` on the screens without their own copy commands.
    pub(crate) fn copy_command(&mut self, cmd: Command) -> Vec<Effect> {
        let found = if cmd == Command::Console {
            self.screen_console_target()
                .map(|text| ("console URL", text))
                .ok_or("no console page for this")
        } else if cmd == Command::CopyName {
            self.views
                .logs()
                .filter(|_| self.screen() == Screen::Logs)
                .and_then(|l| l.selected())
                .map(|e| ("log group", e.log_group.clone()))
                .ok_or("nothing to copy here")
        } else {
            self.screen_copy_target().ok_or("nothing to copy here")
        };
        match found {
            Ok((what, text)) => vec![Effect::CopyNamed { what, text }],
            Err(why) => {
                self.notify(Level::Info, why);
                Vec::new()
            }
        }
    }
}

/// The notification after a copy: what it was and (the start of) the text, one safe line.
pub fn copied_note(what: &str, text: &str) -> String {
    const MAX: usize = 400;
    let line = crate::domain::sanitize::sanitize(text.lines().next().unwrap_or(""));
    let mut shown: String = line.chars().take(MAX).collect();
    if line.chars().count() > MAX || text.lines().nth(1).is_some() {
        shown.push('…');
    }
    format!("{what} copied: {shown}")
}
