//! The app's two message types: `Action` (what happened) and `Effect` (work for the loop).

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::keymap::Command;
use super::{DetailData, dynamo, errors, invoke, query, s3};
use crate::aws::AwsContext;
use crate::domain::stack::Scope;

/// Everything that can change the app: commands from keys, ticks, results of tasks.
#[derive(Debug)]
pub enum Action {
    /// A bound key's command.
    Command(Command),
    /// A typed character while an input line is focused.
    Input(KeyEvent),
    Tick,
    /// The SDK configuration finished loading (credentials and region resolved).
    AwsReady(Result<Arc<AwsContext>, String>),
    /// The profiles of the user's AWS config files, for the profile picker.
    ProfilesListed(Vec<String>),
    /// A mouse click on row `n` of the current list.
    ClickRow(usize),
    /// `$EDITOR` closed: the edited text (or why editing failed), for the requester `tag`.
    EditFinished {
        tag: String,
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
    DynamoTablesLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::dynamo::table::TableInfo>, String>,
    },
    DynamoPageLoaded {
        request_id: u64,
        result: Box<Result<crate::domain::dynamo::table::Page, String>>,
    },
    DynamoItemDone {
        request_id: u64,
        result: Box<Result<dynamo::ItemOutcome, String>>,
    },
    DynamoExportProgress {
        request_id: u64,
        written: u64,
    },
    DynamoExportDone {
        request_id: u64,
        result: Result<crate::domain::dynamo::table::ExportSummary, String>,
    },
    /// An S3 task's result.
    S3(s3::S3Action),
    LogGroupsLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::logbuf::follow::LogGroupRef>, String>,
    },
    /// A message of the running tail (events, mode, sampling, warnings).
    LogsTail {
        request_id: u64,
        msg: crate::domain::logbuf::follow::TailMsg,
    },
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
    TeardownPlanned {
        request_id: u64,
        result: Box<Result<(String, Vec<crate::domain::teardown::run::StackPlan>), String>>,
    },
    TeardownProgress {
        stack_id: String,
        progress: crate::domain::teardown::run::Progress,
    },
    TeardownOutcome(crate::domain::teardown::run::Outcome),
    TeardownFinished,
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
    /// resume, and answer with `Action::EditFinished { tag, .. }`.
    EditText {
        tag: String,
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
    LoadDynamoTables {
        scope: Scope,
        request_id: u64,
        stack_id: String,
    },
    LoadDynamoPage {
        scope: Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        query: crate::domain::dynamo::table::ItemQuery,
        start: Option<crate::domain::dynamo::Item>,
        limit: i32,
    },
    GetDynamoItem {
        scope: Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        item: crate::domain::dynamo::Item,
    },
    PutDynamoItem {
        scope: Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        old: crate::domain::dynamo::Item,
        new: crate::domain::dynamo::Item,
    },
    DeleteDynamoItem {
        scope: Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        old: crate::domain::dynamo::Item,
    },
    ExportDynamo {
        scope: Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        query: crate::domain::dynamo::table::ItemQuery,
        path: String,
        segments: i32,
        page_size: i32,
        cancel: tokio_util::sync::CancellationToken,
    },
    /// S3 work (listing, preview, download, ...).
    S3(Scope, s3::S3Effect),
    /// Find the stack's (or one function's) log groups.
    LoadLogGroups {
        scope: Scope,
        request_id: u64,
        stack_name: String,
        stack_id: String,
        function: Option<String>,
    },
    /// Follow the groups until the token is cancelled; messages come back as `LogsTail`.
    FollowLogs {
        scope: Scope,
        request_id: u64,
        groups: Vec<crate::domain::logbuf::follow::LogGroupRef>,
        opts: crate::domain::logbuf::follow::FollowOptions,
        cancel: tokio_util::sync::CancellationToken,
    },
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
    PlanTeardown {
        request_id: u64,
        stacks: Vec<crate::domain::stack::Stack>,
        settings: Box<crate::domain::teardown::run::Settings>,
    },
    RunTeardown {
        plans: Vec<crate::domain::teardown::run::StackPlan>,
        account: String,
        settings: Box<crate::domain::teardown::run::Settings>,
        cancel: tokio_util::sync::CancellationToken,
    },
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
            Self::LoadDetail { scope, .. }
            | Self::LoadDynamoTables { scope, .. }
            | Self::LoadDynamoPage { scope, .. }
            | Self::GetDynamoItem { scope, .. }
            | Self::PutDynamoItem { scope, .. }
            | Self::DeleteDynamoItem { scope, .. }
            | Self::ExportDynamo { scope, .. }
            | Self::LoadLogGroups { scope, .. }
            | Self::FollowLogs { scope, .. }
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
            | Self::PlanTeardown { .. }
            | Self::RunTeardown { .. }
            | Self::LoadCosts { .. } => None,
        }
    }
}
