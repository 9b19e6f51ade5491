//! Key hints: what the focused screen can do now, for the footer.

use super::keymap::Command;
use super::{App, Screen};

impl App {
    /// The commands the footer hints at, most useful first: the focused screen's, as they
    /// stand now (the detail names only the capability screens its stack has).
    pub fn hints(&self) -> Vec<Command> {
        if self.screen() != Screen::Detail {
            return static_hints(self.screen()).to_vec();
        }
        let has = |kind: &str| {
            self.views
                .detail()
                .and_then(|d| d.data.as_ref())
                .is_none_or(|data| data.resources.iter().any(|r| r.resource_type == kind))
        };
        let mut v = Vec::new();
        if has("AWS::DynamoDB::Table") {
            v.push(Command::DynamoTables);
        }
        if has("AWS::S3::Bucket") {
            v.push(Command::S3Buckets);
        }
        v.push(Command::Logs);
        v.push(Command::Errors);
        v.push(Command::Query);
        if has("AWS::Lambda::Function") {
            v.push(Command::LogsFunction);
            if !self.header.read_only {
                v.push(Command::Invoke);
            }
        }
        v.push(Command::Cost);
        v.push(Command::Teardown);
        v.extend([
            Command::NextPane,
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Quit,
        ]);
        v
    }
}

/// The commands of a screen worth a hint whatever its state.
fn static_hints(screen: Screen) -> &'static [Command] {
    match screen {
        Screen::Stacks => &[
            Command::Open,
            Command::Cost,
            Command::Teardown,
            Command::Mark,
            Command::AbandonedFilter,
            Command::Filter,
            Command::Sort,
            Command::Refresh,
            Command::Help,
            Command::Quit,
        ],
        Screen::Detail => &[
            Command::NextPane,
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Quit,
        ],
        Screen::DynamoTables => &[
            Command::Open,
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Quit,
        ],
        Screen::DynamoItems => &[
            Command::Open,
            Command::ItemQuery,
            Command::Filter,
            Command::ItemExport,
            Command::ItemCancel,
            Command::Refresh,
            Command::Back,
        ],
        Screen::DynamoItem => &[
            Command::ItemTyped,
            Command::ItemCopy,
            Command::ItemEdit,
            Command::ItemDelete,
            Command::Refresh,
            Command::Back,
        ],
        Screen::S3Buckets => &[
            Command::Open,
            Command::S3Count,
            Command::S3Versions,
            Command::S3CopyKey,
            Command::Back,
            Command::Help,
        ],
        Screen::S3Browser => &[
            Command::Open,
            Command::Filter,
            Command::S3Jump,
            Command::S3Download,
            Command::S3Versions,
            Command::S3CopyKey,
            Command::S3CopyUrl,
            Command::Back,
            Command::Help,
        ],
        Screen::S3Object => &[
            Command::Down,
            Command::S3Download,
            Command::S3Versions,
            Command::S3CopyUri,
            Command::S3CopyUrl,
            Command::Back,
            Command::Help,
        ],
        Screen::S3Versions => &[
            Command::Open,
            Command::S3Download,
            Command::S3CopyUrl,
            Command::Back,
            Command::Help,
        ],
        Screen::Logs => &[
            Command::LogsPause,
            Command::Bottom,
            Command::Filter,
            Command::LogsNextMatch,
            Command::LogsWrap,
            Command::Open,
            Command::LogsByRequest,
            Command::Back,
        ],
        Screen::Query => &[
            Command::QueryEdit,
            Command::QueryRun,
            Command::QueryWindow,
            Command::QuerySaved,
            Command::Open,
            Command::QueryExport,
            Command::QueryCancel,
            Command::QueryRight,
            Command::Back,
        ],
        Screen::Invoke => &[
            Command::InvokeCall,
            Command::InvokeFanOut,
            Command::InvokeEditPayload,
            Command::InvokeSavePayload,
            Command::Back,
        ],
        Screen::Errors => &[
            Command::Open,
            Command::ErrorsWindow,
            Command::Refresh,
            Command::Back,
            Command::Help,
        ],
        Screen::ErrorOccurrence => &[
            Command::Invoke,
            Command::PageDown,
            Command::Top,
            Command::Refresh,
            Command::Back,
            Command::Help,
        ],
        Screen::Teardown => &[
            Command::Open,
            Command::TeardownDisableProtection,
            Command::TeardownBypassGovernance,
            Command::Back,
            Command::Help,
        ],
        Screen::Cost => &[
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Quit,
        ],
        Screen::Shelve | Screen::Restore => &[Command::Open, Command::Back, Command::Help],
        Screen::Archives => &[
            Command::Open,
            Command::Refresh,
            Command::Back,
            Command::Help,
        ],
    }
}
