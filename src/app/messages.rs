//! The app's two message types: `Action` (what happened) and `Effect` (work for the loop).

use crossterm::event::KeyEvent;

use super::keymap::Command;
use super::{DetailData, dynamo, errors, invoke, logs, query, s3, teardown};
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

/// Everything that can change the app: commands from keys, ticks, results of tasks.
#[derive(Debug)]
pub enum Action {
    /// A bound key's command.
    Command(Command),
    /// A typed character while an input line is focused.
    Input(KeyEvent),
    Tick,
    /// The SDK configuration finished loading (credentials and region resolved); the task
    /// runner keeps the context.
    AwsReady(Result<crate::domain::stack::Connection, String>),
    /// The profiles of the user's AWS config files, for the profile picker.
    ProfilesListed(Vec<String>),
    /// A mouse click on row `n` of the current list.
    ClickRow(usize),
    /// `$EDITOR` closed: the edited text (or why editing failed), for the screen that asked.
    EditFinished {
        target: EditTarget,
        result: Result<String, String>,
    },
    StacksLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::stack::Stack>, String>,
    },
    DetailLoaded {
        request_id: u64,
        result: Box<Result<DetailData, String>>,
    },
    /// A DynamoDB task's result or progress.
    Dynamo(dynamo::DynamoMsg),
    /// An S3 task's result.
    S3(s3::S3Action),
    /// The log groups found, or a message of the running tail.
    Logs(logs::LogsMsg),
    Invoke(invoke::InvokeMsg),
    /// A result of the errors screen or the stack list's ERRORS column.
    Errors(errors::ErrorsMsg),
    /// A Logs Insights task's answer.
    Query(query::QueryMsg),
    ActivityLoaded {
        request_id: u64,
        result:
            std::collections::BTreeMap<String, Result<Vec<chrono::DateTime<chrono::Utc>>, String>>,
    },
    /// An estimate of what stacks cost a month (for the column, the `$` screen or a plan).
    CostsLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::cost::StackCost>, String>,
    },
    /// A teardown plan, or a running teardown's progress and end.
    Teardown(teardown::TeardownMsg),
    /// Something went wrong outside any screen's own request (a profile of the shelf that
    /// cannot be reached): shown as an error notification.
    Notice(String),
    /// Shelve, archives and restore results and progress.
    Shelf(super::shelf::ShelfMsg),
}

/// Work for the loop: network effects start a task that sends its result back as an
/// action; terminal effects (clipboard, editor) are done by the loop itself.
/// Long-lived work carries a `CancellationToken` that the screen's state keeps and cancels.
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
    /// Suspend the console, edit `initial` in `$EDITOR` (a temp file with `extension`),
    /// resume, and answer with `Action::EditFinished { target, .. }`.
    EditText {
        target: EditTarget,
        initial: String,
        extension: &'static str,
    },
    LoadStacks {
        request_id: u64,
    },
    LoadDetail {
        scope: Scope,
        request_id: u64,
        stack_id: String,
    },
    /// DynamoDB work (tables, a page of items, one item's read and writes, an export).
    Dynamo(dynamo::DynamoEffect),
    /// S3 work (listing, preview, download, ...).
    S3(Scope, s3::S3Effect),
    /// Find log groups, follow them.
    Logs(logs::LogsEffect),
    Invoke(Scope, Box<invoke::InvokeEffect>),
    /// Error groups, an occurrence's request, or the ERRORS column's counts (one effect per
    /// scope: the counts of the stacks reached through it).
    Errors(Scope, Box<errors::ErrorsEffect>),
    /// Logs Insights work (log groups, a run, an export).
    Query(Scope, Box<query::QueryEffect>),
    LoadActivity {
        request_id: u64,
        stacks: Vec<crate::domain::stack::Stack>,
    },
    /// Estimate what `stacks` cost a month (one batched estimate, whatever their number).
    LoadCosts {
        request_id: u64,
        stacks: Vec<crate::domain::stack::Stack>,
        settings: Box<crate::domain::cost::CostSettings>,
    },
    /// Plan a teardown, run one.
    Teardown(teardown::TeardownEffect),
    /// Shelve a stack, list archives, restore one.
    /// (The scope of the stack shelved; `None` for the shelf's archives and restores, which
    /// run with the session's context.)
    Shelf(Option<Scope>, Box<super::shelf::ShelfEffect>),
}

impl Effect {
    /// The stack an effect works on, for the effects of the screens opened from a stack:
    /// they run with the profile that found the stack, in its region. `None`: the session's
    /// context (the shelf, the activity and teardown of several stacks group by each
    /// stack's own scope).
    pub fn scope(&self) -> Option<&Scope> {
        match self {
            Self::Dynamo(fx) => Some(fx.scope()),
            Self::Logs(fx) => Some(fx.scope()),
            Self::LoadDetail { scope, .. }
            | Self::S3(scope, _)
            | Self::Invoke(scope, _)
            | Self::Errors(scope, _)
            | Self::Query(scope, _) => Some(scope),
            Self::Shelf(scope, _) => scope.as_ref(),
            Self::SwitchAws { .. }
            | Self::ListProfiles
            | Self::CopyToClipboard(_)
            | Self::CopyNamed { .. }
            | Self::EditText { .. }
            | Self::LoadStacks { .. }
            | Self::LoadActivity { .. }
            | Self::Teardown(_)
            | Self::LoadCosts { .. } => None,
        }
    }
}
