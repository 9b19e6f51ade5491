//! The app's two message types: `Action` (what happened) and `Effect` (work for the loop).

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::keymap::Command;
use super::{DetailData, dynamo, invoke, s3};
use crate::aws::AwsContext;

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
    ActivityLoaded {
        request_id: u64,
        result:
            std::collections::BTreeMap<String, Result<Vec<chrono::DateTime<chrono::Utc>>, String>>,
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
        request_id: u64,
        stack_id: String,
    },
    LoadDynamoTables {
        request_id: u64,
        stack_id: String,
    },
    LoadDynamoPage {
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        query: crate::domain::dynamo::table::ItemQuery,
        start: Option<crate::domain::dynamo::Item>,
        limit: i32,
    },
    GetDynamoItem {
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        item: crate::domain::dynamo::Item,
    },
    PutDynamoItem {
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        old: crate::domain::dynamo::Item,
        new: crate::domain::dynamo::Item,
    },
    DeleteDynamoItem {
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        old: crate::domain::dynamo::Item,
    },
    ExportDynamo {
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        query: crate::domain::dynamo::table::ItemQuery,
        path: String,
        segments: i32,
        page_size: i32,
        cancel: tokio_util::sync::CancellationToken,
    },
    /// S3 work (listing, preview, download, ...).
    S3(s3::S3Effect),
    /// Find the stack's (or one function's) log groups.
    LoadLogGroups {
        request_id: u64,
        stack_name: String,
        stack_id: String,
        function: Option<String>,
    },
    /// Follow the groups until the token is cancelled; messages come back as `LogsTail`.
    FollowLogs {
        request_id: u64,
        groups: Vec<crate::domain::logbuf::follow::LogGroupRef>,
        opts: crate::domain::logbuf::follow::FollowOptions,
        cancel: tokio_util::sync::CancellationToken,
    },
    Invoke(Box<invoke::InvokeEffect>),
    LoadActivity {
        request_id: u64,
        stacks: Vec<crate::domain::stack::Stack>,
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
    Shelf(Box<super::shelf::ShelfEffect>),
}
