//! The screens open, bottom to top, and the state each one owns.
//!
//! The stack list is always at the bottom. Every other view owns its screen's state: opening
//! a screen pushes a view, closing it pops the view and drops the state with it (a state that
//! holds a task's cancellation token cancels it when dropped), so a result that arrives for a
//! closed screen finds no state and is dropped. A view may hold several pages that share its
//! state (the items screen's tables, items and one item); `esc` pops a page, and the view
//! with its last page.

use super::keymap::Scope;
use super::{
    DetailState, archives::ArchivesState, cost::CostState, dynamo::DynamoState,
    errors::ErrorsState, invoke::InvokeState, logs::LogsState, query::QueryState, s3::S3State,
    shelf::ShelveState, teardown::TeardownState,
};

/// Which page is on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Stacks,
    Detail,
    DynamoTables,
    DynamoItems,
    DynamoItem,
    S3Buckets,
    S3Browser,
    S3Object,
    S3Versions,
    Logs,
    Query,
    Invoke,
    Teardown,
    Errors,
    ErrorOccurrence,
    Cost,
    Shelve,
    Archives,
    Restore,
}

impl Screen {
    /// The key-map scope of this screen.
    pub fn scope(self) -> Scope {
        match self {
            Self::Stacks => Scope::Stacks,
            Self::Detail => Scope::Detail,
            Self::DynamoTables => Scope::DynamoTables,
            Self::DynamoItems => Scope::DynamoItems,
            Self::DynamoItem => Scope::DynamoItem,
            Self::S3Buckets => Scope::S3Buckets,
            Self::S3Browser => Scope::S3Objects,
            Self::S3Object => Scope::S3Object,
            Self::S3Versions => Scope::S3Versions,
            Self::Logs => Scope::Logs,
            Self::Query => Scope::Query,
            Self::Invoke => Scope::Invoke,
            Self::Teardown => Scope::Teardown,
            Self::Errors => Scope::Errors,
            Self::ErrorOccurrence => Scope::ErrorOccurrence,
            Self::Cost => Scope::Cost,
            Self::Shelve => Scope::Shelve,
            Self::Archives => Scope::Archives,
            Self::Restore => Scope::Restore,
        }
    }
}

/// One open screen (with the pages above it that share its state).
#[derive(Debug)]
struct View {
    /// Bottom to top; never empty.
    pages: Vec<Screen>,
    state: ViewState,
}

/// Declares the views, the page each opens on, and an accessor pair per view: the topmost
/// view of that kind (a view's pages and the screens above it read it).
macro_rules! views {
    ($( $variant:ident($ty:ty) => $root:ident, $get:ident, $get_mut:ident; )*) => {
        /// What a view owns.
        pub enum ViewState {
            /// The stack list (its state lives on `App`: it outlives every other screen).
            Stacks,
            $( $variant(Box<$ty>), )*
        }

        $(
            impl From<$ty> for ViewState {
                fn from(state: $ty) -> Self {
                    Self::$variant(Box::new(state))
                }
            }
        )*

        impl std::fmt::Debug for ViewState {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    Self::Stacks => f.write_str("Stacks"),
                    $( Self::$variant(_) => f.write_str(stringify!($variant)), )*
                }
            }
        }

        impl ViewState {
            /// The page a view of this state opens on.
            fn root(&self) -> Screen {
                match self {
                    Self::Stacks => Screen::Stacks,
                    $( Self::$variant(_) => Screen::$root, )*
                }
            }
        }

        impl Views {
            $(
                pub fn $get(&self) -> Option<&$ty> {
                    self.stack.iter().rev().find_map(|v| match &v.state {
                        ViewState::$variant(s) => Some(&**s),
                        _ => None,
                    })
                }

                pub fn $get_mut(&mut self) -> Option<&mut $ty> {
                    self.stack.iter_mut().rev().find_map(|v| match &mut v.state {
                        ViewState::$variant(s) => Some(&mut **s),
                        _ => None,
                    })
                }
            )*
        }
    };
}

views! {
    Detail(DetailState) => Detail, detail, detail_mut;
    Dynamo(DynamoState) => DynamoTables, dynamo, dynamo_mut;
    S3(S3State) => S3Buckets, s3, s3_mut;
    Logs(LogsState) => Logs, logs, logs_mut;
    Query(QueryState) => Query, query, query_mut;
    Invoke(InvokeState) => Invoke, invoke, invoke_mut;
    Teardown(TeardownState) => Teardown, teardown, teardown_mut;
    Errors(ErrorsState) => Errors, errors, errors_mut;
    Cost(CostState) => Cost, cost, cost_mut;
    Shelve(ShelveState) => Shelve, shelve, shelve_mut;
    Archives(ArchivesState) => Archives, archives, archives_mut;
}

/// The open views, bottom (the stack list) to top.
#[derive(Debug)]
pub struct Views {
    stack: Vec<View>,
}

impl Default for Views {
    fn default() -> Self {
        Self {
            stack: vec![View {
                pages: vec![Screen::Stacks],
                state: ViewState::Stacks,
            }],
        }
    }
}

impl Views {
    /// The page on top.
    pub fn screen(&self) -> Screen {
        self.stack
            .last()
            .and_then(|v| v.pages.last())
            .copied()
            .unwrap_or(Screen::Stacks)
    }

    /// The open pages, bottom to top.
    fn pages(&self) -> impl Iterator<Item = Screen> + '_ {
        self.stack.iter().flat_map(|v| v.pages.iter().copied())
    }

    /// Every open page, bottom to top.
    pub fn screens(&self) -> Vec<Screen> {
        self.pages().collect()
    }

    /// The page at `depth` from the bottom (0: the stack list).
    pub fn page(&self, depth: usize) -> Option<Screen> {
        self.pages().nth(depth)
    }

    /// How many pages are open (the stack list counts as one).
    pub fn depth(&self) -> usize {
        self.stack.iter().map(|v| v.pages.len()).sum()
    }

    /// Opens a screen on top with its state.
    pub fn open(&mut self, state: impl Into<ViewState>) {
        let state = state.into();
        self.stack.push(View {
            pages: vec![state.root()],
            state,
        });
    }

    /// Opens another page of the view on top (it shares that view's state).
    pub fn push_page(&mut self, page: Screen) {
        if let Some(v) = self.stack.last_mut() {
            v.pages.push(page);
        }
    }

    /// Closes the page on top, and its view with its last page (dropping the view's state).
    /// The stack list never closes.
    pub fn pop(&mut self) {
        if self.stack.len() == 1 {
            return;
        }
        if let Some(v) = self.stack.last_mut() {
            v.pages.pop();
            if v.pages.is_empty() {
                self.stack.pop();
            }
        }
    }

    /// Keeps the first `depth` pages (at least the stack list), closing every view above.
    pub fn truncate(&mut self, depth: usize) {
        while self.depth() > depth.max(1) {
            self.pop();
        }
    }

    /// Closes the topmost view whose state `is` picks, with every view above it.
    pub fn close(&mut self, is: impl Fn(&ViewState) -> bool) {
        if let Some(i) = self.stack.iter().rposition(|v| is(&v.state))
            && i > 0
        {
            self.stack.truncate(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stack::Stack;

    fn stack() -> Stack {
        crate::app::tests::stack("orders-dev", "CREATE_COMPLETE", 1)
    }

    #[test]
    fn pages_share_their_view_and_the_last_page_closes_it() {
        let mut v = Views::default();
        v.open(DetailState::new(stack()));
        v.open(DynamoState::new(stack()));
        v.push_page(Screen::DynamoItems);
        assert_eq!(
            v.screens(),
            vec![
                Screen::Stacks,
                Screen::Detail,
                Screen::DynamoTables,
                Screen::DynamoItems
            ]
        );
        v.pop();
        assert_eq!(v.screen(), Screen::DynamoTables);
        assert!(v.dynamo().is_some());
        v.pop();
        assert_eq!(v.screen(), Screen::Detail);
        assert!(v.dynamo().is_none(), "the state goes with its view");
        v.pop();
        v.pop();
        assert_eq!(v.screens(), vec![Screen::Stacks], "the list never closes");
    }

    #[test]
    fn truncate_and_close_drop_every_view_above() {
        let mut v = Views::default();
        v.open(DetailState::new(stack()));
        v.open(DynamoState::new(stack()));
        v.push_page(Screen::DynamoItems);
        v.truncate(2);
        assert_eq!(v.screens(), vec![Screen::Stacks, Screen::Detail]);
        v.open(DynamoState::new(stack()));
        v.close(|s| matches!(s, ViewState::Detail(_)));
        assert_eq!(v.screens(), vec![Screen::Stacks]);
        assert!(v.detail().is_none() && v.dynamo().is_none());
    }
}
