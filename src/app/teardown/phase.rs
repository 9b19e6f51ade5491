//! Where a destructive screen is (teardown, shelve): the plan, a typed confirmation, a
//! countdown any key cancels, the run, its end.

use crossterm::event::{KeyCode, KeyEvent};

use crate::app::Level;
use crate::app::widgets::TextInput;

/// Ticks of the countdown (4 ticks a second: 3 seconds).
pub const COUNTDOWN_TICKS: u32 = 12;

/// Where the teardown screen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Planning,
    /// The plan is shown; enter goes on when no guard refused.
    Review,
    /// The user types the stack name (or the count of stacks).
    Confirm,
    /// Ticks left before the teardown starts; any key cancels.
    Countdown(u32),
    Running,
    Done,
    Failed(String),
}

impl Phase {
    /// A raw key while the confirmation line or the countdown has the keyboard: any key
    /// cancels the countdown (`cancelled` is then the notification), the typed confirmation
    /// reaching `want` starts it. Returns the notification to show, if any.
    pub fn confirm_input(
        &mut self,
        typed: &mut TextInput,
        want: &str,
        key: KeyEvent,
        cancelled: &str,
    ) -> Option<(Level, String)> {
        match self {
            Self::Countdown(_) => {
                *self = Self::Review;
                typed.clear();
                Some((Level::Info, cancelled.to_string()))
            }
            Self::Confirm => match confirm_key(typed, want, key) {
                Typed::Back => {
                    *self = Self::Review;
                    None
                }
                Typed::Confirmed => {
                    *self = Self::Countdown(COUNTDOWN_TICKS);
                    None
                }
                Typed::Wrong(msg) => Some((Level::Error, msg)),
                Typed::Editing => None,
            },
            _ => None,
        }
    }

    /// `enter` on a plan under review: to the typed confirmation when nothing refuses, else
    /// the notification that says why not (`what` names the action, `kept` what is spared).
    pub fn confirm_from_review(
        &mut self,
        typed: &mut TextInput,
        read_only: bool,
        allowed: bool,
        what: &str,
        kept: &str,
    ) -> Vec<(Level, String)> {
        if read_only {
            return vec![(Level::Error, format!("read-only mode: {what} is refused"))];
        }
        if !allowed {
            return vec![(
                Level::Error,
                format!("refused by a guard (see the plan): nothing will be {kept}"),
            )];
        }
        *self = Self::Confirm;
        typed.clear();
        Vec::new()
    }

    /// One tick of the countdown; true when it ends now (the run starts).
    pub fn tick(&mut self) -> bool {
        match *self {
            Self::Countdown(left) if left > 1 => {
                *self = Self::Countdown(left - 1);
                false
            }
            Self::Countdown(_) => true,
            _ => false,
        }
    }
}

/// What a key typed into a confirmation line did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// `esc`: back to the plan (the line is cleared).
    Back,
    /// `enter` with exactly the expected text.
    Confirmed,
    /// `enter` with anything else: the message to show.
    Wrong(String),
    Editing,
}

/// A key on a typed confirmation line that must read `want` exactly.
pub fn confirm_key(typed: &mut TextInput, want: &str, key: KeyEvent) -> Typed {
    match key.code {
        KeyCode::Esc => {
            typed.clear();
            Typed::Back
        }
        KeyCode::Enter if typed.as_str() == want => Typed::Confirmed,
        KeyCode::Enter => {
            Typed::Wrong(format!("type {want:?} exactly to confirm (esc to go back)"))
        }
        _ => {
            typed.handle(key, 256);
            Typed::Editing
        }
    }
}
