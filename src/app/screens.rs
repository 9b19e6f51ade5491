//! The one registration of the console's screens and capabilities.
//!
//! Every other place that picks a screen or a capability by name (the view stack, the page
//! and key-map scope enums, the `Action` and `Effect` enums, `update`'s routing, the
//! renderer's and the task runner's dispatch, the hints and the ticks) is generated from
//! these two lists. A screen's behaviour lives in its own modules, behind three traits:
//! - `app::ScreenState` on its state (commands, typed keys, hints, ticks, editor results),
//!   and `ui::Draw` on the same state (its pages and its footer);
//! - `app::Update` on its messages, `app::Work` on its effects (the stack's scope they run
//!   in), and `tui::Run` on its effects (the task that does the work).
//!
//! docs/architecture.md walks through adding a screen.

/// Calls `$then!` with every view that can be opened above the stack list: its variant, its
/// state type, the accessors to the topmost view of that kind, and its pages (the first is
/// the page it opens on), each with the name of its key-map scope (`[keys.<name>]`).
macro_rules! with_views {
    ($then:ident) => {
        $then! {
            Detail(crate::app::DetailState, detail, detail_mut) {
                Detail = "detail",
            }
            Dynamo(crate::app::dynamo::DynamoState, dynamo, dynamo_mut) {
                DynamoTables = "tables",
                DynamoItems = "items",
                DynamoItem = "item",
            }
            S3(crate::app::s3::S3State, s3, s3_mut) {
                S3Buckets = "s3_buckets",
                S3Browser = "s3_objects",
                S3Object = "s3_object",
                S3Versions = "s3_versions",
            }
            Logs(crate::app::logs::LogsState, logs, logs_mut) {
                Logs = "logs",
            }
            Query(crate::app::query::QueryState, query, query_mut) {
                Query = "query",
            }
            Invoke(crate::app::invoke::InvokeState, invoke, invoke_mut) {
                Invoke = "invoke",
            }
            Teardown(crate::app::teardown::TeardownState, teardown, teardown_mut) {
                Teardown = "teardown",
            }
            Errors(crate::app::errors::ErrorsState, errors, errors_mut) {
                Errors = "errors",
                ErrorOccurrence = "error",
            }
            Cost(crate::app::cost::CostState, cost, cost_mut) {
                Cost = "cost",
            }
            Shelve(crate::app::shelf::ShelveState, shelve, shelve_mut) {
                Shelve = "shelve",
            }
            Archives(crate::app::archives::ArchivesState, archives, archives_mut) {
                Archives = "archives",
                Restore = "restore",
            }
        }
    };
}

/// Calls `$then!` with every capability's route: the `Action` variant that carries its
/// messages (results and progress of its tasks) and the `Effect` variant that carries its
/// work, with their types.
macro_rules! with_routes {
    ($then:ident) => {
        $then! {
            /// The stack list: the stacks found, and their activity.
            Stacks(crate::app::stacks::StacksMsg, crate::app::stacks::StacksEffect),
            /// One stack's resources, outputs and events.
            Detail(crate::app::detail::DetailMsg, crate::app::detail::DetailEffect),
            /// What stacks cost a month (for the column, the `$` screen or a plan).
            Cost(crate::app::cost::CostMsg, crate::app::cost::CostEffect),
            /// DynamoDB: tables, a page of items, one item's read and writes, an export.
            Dynamo(crate::app::dynamo::DynamoMsg, crate::app::dynamo::DynamoEffect),
            /// S3: listing, preview, download, versions, counts.
            S3(
                crate::app::s3::S3Action,
                crate::app::messages::Scoped<crate::app::s3::S3Effect>
            ),
            /// Log groups found, and the running tail.
            Logs(crate::app::logs::LogsMsg, crate::app::logs::LogsEffect),
            /// Sign-in, calls and fan-outs.
            Invoke(
                crate::app::invoke::InvokeMsg,
                crate::app::messages::Scoped<Box<crate::app::invoke::InvokeEffect>>
            ),
            /// Error groups, an occurrence's request, the stack list's ERRORS column.
            Errors(
                crate::app::errors::ErrorsMsg,
                crate::app::messages::Scoped<Box<crate::app::errors::ErrorsEffect>>
            ),
            /// Logs Insights: log groups, a run, an export.
            Query(
                crate::app::query::QueryMsg,
                crate::app::messages::Scoped<Box<crate::app::query::QueryEffect>>
            ),
            /// A teardown plan, a run's progress and end.
            Teardown(crate::app::teardown::TeardownMsg, crate::app::teardown::TeardownEffect),
            /// Shelve a stack, list archives, restore one.
            Shelf(crate::app::shelf::ShelfMsg, crate::app::shelf::ShelfWork),
        }
    };
}

pub(crate) use {with_routes, with_views};
