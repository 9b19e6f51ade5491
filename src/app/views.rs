//! The screens open, bottom to top, and the state each one owns.
//!
//! The stack list is always at the bottom. Every other view owns its screen's state: opening
//! a screen pushes a view, closing it pops the view and drops the state with it (a state that
//! holds a task's cancellation token cancels it when dropped), so a result that arrives for a
//! closed screen finds no state and is dropped. A view may hold several pages that share its
//! state (the items screen's tables, items and one item); `esc` pops a page, and the view
//! with its last page.

use crossterm::event::KeyEvent;

use super::keymap::Command;
use super::messages::{EditTarget, Effect};
use super::{App, StacksState};

/// What a screen does, implemented by its state type. Each function gets the whole app: a
/// screen reads the views below it (the stack it was opened from) and opens others above.
/// The functions with a default are for screens that take typed keys, tick or edit text.
pub trait ScreenState {
    /// A bound key's command while one of the view's pages is on top.
    fn command(app: &mut App, cmd: Command) -> Vec<Effect>;
    /// The commands the footer hints at on `page`, most useful first.
    fn hints(app: &App, page: Screen) -> Vec<Command>;
    /// True while a line of text input of the view on top has the keyboard.
    fn input_focused(_app: &App) -> bool {
        false
    }
    /// A typed key while `input_focused`.
    fn input(_app: &mut App, _key: KeyEvent) -> Vec<Effect> {
        Vec::new()
    }
    /// What `y` copies on `page`, and its name (`("table name", ..)`); `None`: nothing.
    fn copy_target(_app: &App, _page: Screen) -> Option<(&'static str, String)> {
        None
    }
    /// The AWS console page of what is selected on `page`, for `o`.
    fn console_target(_app: &App, _page: Screen) -> Option<String> {
        None
    }
    /// Every tick (4 a second), whether the view is open or not.
    fn tick(_app: &mut App) -> Vec<Effect> {
        Vec::new()
    }
    /// `$EDITOR`'s text for `target`; `None` when the target is another screen's.
    fn edited(_app: &mut App, _target: EditTarget, _text: &str) -> Option<Vec<Effect>> {
        None
    }
}

/// One open screen (with the pages above it that share its state).
#[derive(Debug)]
struct View {
    /// Bottom to top; never empty.
    pages: Vec<Screen>,
    state: ViewState,
}

/// Declares, from the registration in `screens.rs`: the pages, the key-map scopes, what a
/// view owns, an accessor pair per view (the topmost view of that kind: a view's pages and
/// the screens above it read it), and the dispatch of `ScreenState` to the view on top.
macro_rules! views {
    ($( $variant:ident($ty:ty, $get:ident, $get_mut:ident) {
        $( $page:ident = $name:literal, )+
    } )*) => {
        /// Which page is on top.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Screen {
            Stacks,
            $( $( $page, )+ )*
        }

        /// Where a key binding applies: everywhere, or on one page.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scope {
            Global,
            Stacks,
            $( $( $page, )+ )*
        }

        impl Screen {
            /// The key-map scope of this page.
            pub fn scope(self) -> Scope {
                match self {
                    Self::Stacks => Scope::Stacks,
                    $( $( Self::$page => Scope::$page, )+ )*
                }
            }
        }

        impl Scope {
            /// The scope's name in the key map and config.
            pub fn name(self) -> &'static str {
                match self {
                    Self::Global => "global",
                    Self::Stacks => "stacks",
                    $( $( Self::$page => $name, )+ )*
                }
            }

            /// The scope a key-map section names.
            pub fn from_name(s: &str) -> Option<Self> {
                match s {
                    "global" => Some(Self::Global),
                    "stacks" => Some(Self::Stacks),
                    $( $( $name => Some(Self::$page), )+ )*
                    _ => None,
                }
            }
        }

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
                    $( Self::$variant(_) => views!(@first $( $page )+), )*
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

        impl App {
            /// The command for the page on top.
            pub(super) fn screen_command(&mut self, cmd: Command) -> Vec<Effect> {
                match self.screen() {
                    Screen::Stacks => <StacksState as ScreenState>::command(self, cmd),
                    $( $( Screen::$page )|+ => <$ty as ScreenState>::command(self, cmd), )*
                }
            }

            /// The commands the footer hints at: the focused page's, as they stand now.
            pub fn hints(&self) -> Vec<Command> {
                let page = self.screen();
                match page {
                    Screen::Stacks => <StacksState as ScreenState>::hints(self, page),
                    $( $( Screen::$page )|+ => <$ty as ScreenState>::hints(self, page), )*
                }
            }

            /// What `y` copies on the page on top, and its name.
            pub(super) fn screen_copy_target(&self) -> Option<(&'static str, String)> {
                let page = self.screen();
                match page {
                    Screen::Stacks => <StacksState as ScreenState>::copy_target(self, page),
                    $( $( Screen::$page )|+ => <$ty as ScreenState>::copy_target(self, page), )*
                }
            }

            /// The console page of what is selected on the page on top.
            pub(super) fn screen_console_target(&self) -> Option<String> {
                let page = self.screen();
                match page {
                    Screen::Stacks => <StacksState as ScreenState>::console_target(self, page),
                    $( $( Screen::$page )|+ => <$ty as ScreenState>::console_target(self, page), )*
                }
            }

            /// True while a line of text input of the page on top has the keyboard.
            pub(super) fn screen_input_focused(&self) -> bool {
                match self.screen() {
                    Screen::Stacks => <StacksState as ScreenState>::input_focused(self),
                    $( $( Screen::$page )|+ => <$ty as ScreenState>::input_focused(self), )*
                }
            }

            /// A typed key for the page on top.
            pub(super) fn screen_input(&mut self, key: KeyEvent) -> Vec<Effect> {
                match self.screen() {
                    Screen::Stacks => <StacksState as ScreenState>::input(self, key),
                    $( $( Screen::$page )|+ => <$ty as ScreenState>::input(self, key), )*
                }
            }

            /// Every screen's tick.
            pub(super) fn screens_tick(&mut self) -> Vec<Effect> {
                let mut fx = <StacksState as ScreenState>::tick(self);
                $( fx.extend(<$ty as ScreenState>::tick(self)); )*
                fx
            }

            /// Hands `$EDITOR`'s text to the screen whose target it is.
            pub(super) fn screens_edited(&mut self, target: EditTarget, text: &str) -> Vec<Effect> {
                if let Some(fx) = <StacksState as ScreenState>::edited(self, target, text) {
                    return fx;
                }
                $(
                    if let Some(fx) = <$ty as ScreenState>::edited(self, target, text) {
                        return fx;
                    }
                )*
                Vec::new()
            }
        }
    };
    (@first $first:ident $( $rest:ident )*) => { Screen::$first };
}

super::screens::with_views!(views);

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
    use crate::app::{DetailState, dynamo::DynamoState};
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
