//! The app's two message types: `Action` (what happened) and `Effect` (work for the loop).

use crossterm::event::KeyEvent;

use super::App;
use super::keymap::Command;
use crate::domain::stack::Scope;

/// Which screen asked for an `$EDITOR` session, and for what: the answer goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditTarget {
    /// An item of the items screen, as DynamoDB JSON (`typed`) or plain JSON.
    DynamoItem { typed: bool },
    /// The invoke screen's payload.
    InvokePayload,
    /// The Logs Insights query text.
    QueryText,
    /// The logs screen's search term.
    LogsSearch,
}

/// A per-stack effect with the stack's scope: it runs with the profile that found the
/// stack, in its region, and cannot be built without one.
#[derive(Debug, Clone)]
pub struct Scoped<T> {
    pub scope: Scope,
    pub work: T,
}

impl<T> Scoped<T> {
    pub fn new(scope: Scope, work: T) -> Self {
        Self { scope, work }
    }
}

/// A capability's messages: how they change the app.
pub trait Update {
    fn update(self, app: &mut App) -> Vec<Effect>;
}

/// A capability's effects: where they run.
pub trait Work {
    /// The stack the effect works on, for the effects of the screens opened from a stack:
    /// they run with the profile that found the stack, in its region. `None`: the session's
    /// context (the shelf; the activity, costs and teardown of several stacks group by each
    /// stack's own scope).
    fn scope(&self) -> Option<&Scope>;
}

impl<T> Work for Scoped<T> {
    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }
}

/// Declares `Action` and `Effect` with a variant per registered route (`screens.rs`), and
/// the routing of both.
macro_rules! messages {
    ($( $(#[$doc:meta])* $route:ident($msg:ty, $fx:ty), )*) => {
        /// Everything that can change the app: commands from keys, ticks, results of tasks.
        #[derive(Debug)]
        pub enum Action {
            /// A bound key's command.
            Command(Command),
            /// A typed character while an input line is focused.
            Input(KeyEvent),
            Tick,
            /// The SDK configuration finished loading (credentials and region resolved); the
            /// task runner keeps the context.
            AwsReady(Result<crate::domain::stack::Connection, String>),
            /// The profiles of the user's AWS config files, for the profile picker.
            ProfilesListed(Vec<String>),
            /// A mouse click on row `n` of the current list.
            ClickRow(usize),
            /// `$EDITOR` closed: the edited text (or why editing failed), for the screen that
            /// asked.
            EditFinished {
                target: EditTarget,
                result: Result<String, String>,
            },
            /// Something went wrong outside any screen's own request (a profile of the shelf
            /// that cannot be reached): shown as an error notification.
            Notice(String),
            $( $(#[$doc])* $route($msg), )*
        }

        /// Work for the loop: network effects start a task that sends its result back as
        /// an action; terminal effects (clipboard, editor) are done by the loop itself.
        /// Long-lived work carries a `CancellationToken` that the screen's state keeps and
        /// cancels.
        #[derive(Debug, Clone)]
        pub enum Effect {
            /// Reload the AWS context with another profile and/or region (`None`: keep).
            SwitchAws {
                profile: Option<String>,
                region: Option<String>,
            },
            /// Read the profile names of the user's AWS config files.
            ListProfiles,
            /// Put text on the clipboard (OSC 52: works over SSH).
            CopyToClipboard(String),
            /// Put text on the clipboard and say what it is (`stack id copied: arn:…`).
            CopyNamed {
                what: &'static str,
                text: String,
            },
            /// Suspend the console, edit `initial` in `$EDITOR` (a temp file with
            /// `extension`), resume, and answer with `Action::EditFinished { target, .. }`.
            EditText {
                target: EditTarget,
                initial: String,
                extension: &'static str,
            },
            $( $(#[$doc])* $route($fx), )*
        }

        impl Action {
            /// Hands a capability's message to it; any other action comes back.
            #[allow(
                clippy::result_large_err,
                reason = "the action comes back by value, as it came in"
            )]
            pub(super) fn route(self, app: &mut App) -> Result<Vec<Effect>, Self> {
                match self {
                    $( Self::$route(msg) => Ok(Update::update(msg, app)), )*
                    other => Err(other),
                }
            }
        }

        impl Effect {
            /// The stack an effect works on (see `Work::scope`); `None` also for the
            /// loop's own effects.
            pub fn scope(&self) -> Option<&Scope> {
                match self {
                    $( Self::$route(fx) => Work::scope(fx), )*
                    Self::SwitchAws { .. }
                    | Self::ListProfiles
                    | Self::CopyToClipboard(_)
                    | Self::CopyNamed { .. }
                    | Self::EditText { .. } => None,
                }
            }
        }
    };
}

super::screens::with_routes!(messages);
