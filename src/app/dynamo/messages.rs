//! The DynamoDB screens' messages: results and progress in, work out.

use crate::domain::dynamo::Item;

/// A write or re-read of the opened item, as it came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    Saved(Item),
    Deleted,
    Reloaded(Option<Item>),
}

/// Results and progress of the DynamoDB screens' tasks.
#[derive(Debug)]
pub enum DynamoMsg {
    TablesLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::dynamo::table::TableInfo>, String>,
    },
    PageLoaded {
        request_id: u64,
        result: Box<Result<crate::domain::dynamo::table::Page, String>>,
    },
    ItemDone {
        request_id: u64,
        result: Box<Result<ItemOutcome, String>>,
    },
    ExportProgress {
        request_id: u64,
        written: u64,
    },
    ExportDone {
        request_id: u64,
        result: Result<crate::domain::dynamo::table::ExportSummary, String>,
    },
}

/// DynamoDB work for the loop (every one runs in the stack's scope).
#[derive(Debug, Clone)]
pub enum DynamoEffect {
    LoadTables {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        stack_id: String,
    },
    LoadPage {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        query: crate::domain::dynamo::table::ItemQuery,
        start: Option<crate::domain::dynamo::Item>,
        limit: i32,
    },
    GetItem {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        item: crate::domain::dynamo::Item,
    },
    PutItem {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        old: crate::domain::dynamo::Item,
        new: crate::domain::dynamo::Item,
    },
    DeleteItem {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        old: crate::domain::dynamo::Item,
    },
    Export {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        table: Box<crate::domain::dynamo::table::TableInfo>,
        query: crate::domain::dynamo::table::ItemQuery,
        path: String,
        segments: i32,
        page_size: i32,
        cancel: tokio_util::sync::CancellationToken,
    },
}

impl DynamoEffect {
    /// The stack's profile and region, which the work runs with.
    pub fn scope(&self) -> &crate::domain::stack::Scope {
        match self {
            Self::LoadTables { scope, .. }
            | Self::LoadPage { scope, .. }
            | Self::GetItem { scope, .. }
            | Self::PutItem { scope, .. }
            | Self::DeleteItem { scope, .. }
            | Self::Export { scope, .. } => scope,
        }
    }
}
