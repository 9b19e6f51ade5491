//! The command palette (`:`) and the pickers it opens (regions, profiles, themes):
//! one input line over a fuzzy-matched list.

use super::list::ListState;
use crate::app::widgets::TextInput;

/// What a palette entry or a picker choice does when chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteAction {
    /// Go to the stack list.
    Stacks,
    /// The stack list, showing only abandoned stacks.
    Abandoned,
    /// The shelf: the archives of the configured locations.
    Archives,
    /// Switch region (`None`: open the region picker).
    Region(Option<String>),
    /// Switch profile (`None`: open the profile picker).
    Profile(Option<String>),
    /// Switch theme (`None`: open the theme picker).
    Theme(Option<String>),
    Refresh,
    Help,
    Quit,
    /// A screen of a capability, opened for the selected stack (`items`, `logs`, ...).
    Screen(&'static str),
}

/// One palette entry: a word to type, a description, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub help: &'static str,
    /// True when the entry takes an argument (`:region eu-west-1`).
    pub takes_arg: bool,
}

/// Every palette entry, in the order shown for an empty query.
pub const ENTRIES: &[Entry] = &[
    Entry {
        name: "stacks",
        help: "the prototype stacks",
        takes_arg: false,
    },
    Entry {
        name: "abandoned",
        help: "only the abandoned stacks",
        takes_arg: false,
    },
    Entry {
        name: "items",
        help: "DynamoDB items of the selected stack",
        takes_arg: false,
    },
    Entry {
        name: "objects",
        help: "S3 objects of the selected stack",
        takes_arg: false,
    },
    Entry {
        name: "logs",
        help: "tail the selected stack's logs",
        takes_arg: false,
    },
    Entry {
        name: "invoke",
        help: "invoke the selected stack as a signed-in user",
        takes_arg: false,
    },
    Entry {
        name: "errors",
        help: "the selected stack's errors, grouped",
        takes_arg: false,
    },
    Entry {
        name: "cost",
        help: "what the selected stack costs a month, line by line",
        takes_arg: false,
    },
    Entry {
        name: "teardown",
        help: "the teardown plan of the selected stack",
        takes_arg: false,
    },
    Entry {
        name: "shelve",
        help: "archive the selected stack, verify, then tear it down",
        takes_arg: false,
    },
    Entry {
        name: "archives",
        help: "the shelf: archived stacks, enter restores one",
        takes_arg: false,
    },
    Entry {
        name: "region",
        help: "switch region: region [NAME]",
        takes_arg: true,
    },
    Entry {
        name: "profile",
        help: "switch AWS profile: profile [NAME]",
        takes_arg: true,
    },
    Entry {
        name: "theme",
        help: "switch theme: theme [dark|light|high-contrast]",
        takes_arg: true,
    },
    Entry {
        name: "refresh",
        help: "reload the current view",
        takes_arg: false,
    },
    Entry {
        name: "help",
        help: "the keys of this screen",
        takes_arg: false,
    },
    Entry {
        name: "quit",
        help: "leave protoctl",
        takes_arg: false,
    },
    Entry {
        name: "query",
        help: "Logs Insights queries over the selected stack's log groups",
        takes_arg: false,
    },
];

/// The action of an entry with its argument.
pub fn action_of(name: &str, arg: Option<String>) -> Option<PaletteAction> {
    Some(match name {
        "stacks" => PaletteAction::Stacks,
        "abandoned" => PaletteAction::Abandoned,
        "region" => PaletteAction::Region(arg),
        "profile" => PaletteAction::Profile(arg),
        "theme" => PaletteAction::Theme(arg),
        "refresh" => PaletteAction::Refresh,
        "help" => PaletteAction::Help,
        "quit" => PaletteAction::Quit,
        "items" => PaletteAction::Screen("items"),
        "objects" => PaletteAction::Screen("objects"),
        "logs" => PaletteAction::Screen("logs"),
        "query" => PaletteAction::Screen("query"),
        "invoke" => PaletteAction::Screen("invoke"),
        "teardown" => PaletteAction::Screen("teardown"),
        "errors" => PaletteAction::Screen("errors"),
        "cost" => PaletteAction::Screen("cost"),
        "shelve" => PaletteAction::Screen("shelve"),
        "archives" => PaletteAction::Archives,
        _ => return None,
    })
}

/// A fuzzy score of `query` against `candidate`: every query character must appear in
/// order; consecutive runs, word starts and a prefix score higher. `None`: no match.
pub fn fuzzy_score(query: &str, candidate: &str) -> Option<i64> {
    if query.is_empty() {
        return Some(0);
    }
    let cand: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
    let mut score = 0_i64;
    let mut pos = 0_usize;
    let mut prev_match: Option<usize> = None;
    for q in query.chars().flat_map(char::to_lowercase) {
        let found = cand[pos..].iter().position(|&c| c == q)? + pos;
        score += 10;
        if prev_match == Some(found.wrapping_sub(1)) {
            score += 15;
        }
        if found == 0
            || matches!(
                cand.get(found.wrapping_sub(1)),
                Some('-' | '_' | ' ' | '/' | ':')
            )
        {
            score += 8;
        }
        score -= i64::try_from(found - pos).unwrap_or(i64::MAX / 4).min(20);
        prev_match = Some(found);
        pos = found + 1;
    }
    if cand.starts_with(&query.to_lowercase().chars().collect::<Vec<_>>()) {
        score += 50;
    }
    score -= i64::try_from(cand.len()).unwrap_or(0) / 4;
    Some(score)
}

/// Which list the overlay shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlayKind {
    /// The command palette over [`ENTRIES`].
    Palette,
    /// A picker of values for an entry (`region`, `profile`, `theme`).
    Picker { entry: &'static str },
}

/// The palette or a picker: an input line and the matching choices.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub kind: OverlayKind,
    pub input: crate::app::widgets::TextInput,
    /// For a picker: every value to choose from.
    pub values: Vec<String>,
    /// Indices into the entries (palette) or values (picker), best match first.
    pub matches: Vec<usize>,
    pub list: ListState,
}

impl Overlay {
    /// The command palette, empty query.
    pub fn palette() -> Self {
        let mut o = Self {
            kind: OverlayKind::Palette,
            input: TextInput::default(),
            values: Vec::new(),
            matches: Vec::new(),
            list: ListState::default(),
        };
        o.refilter();
        o
    }

    /// A picker over `values` for the palette entry `entry`.
    pub fn picker(entry: &'static str, values: Vec<String>) -> Self {
        let mut o = Self {
            kind: OverlayKind::Picker { entry },
            input: TextInput::default(),
            values,
            matches: Vec::new(),
            list: ListState::default(),
        };
        o.refilter();
        o
    }

    /// The text the first word is matched with (the palette matches the command word only).
    fn query(&self) -> &str {
        match self.kind {
            OverlayKind::Palette => self.input.split_whitespace().next().unwrap_or(""),
            OverlayKind::Picker { .. } => self.input.trim(),
        }
    }

    /// Recomputes the matches after the input changed.
    pub fn refilter(&mut self) {
        let q = self.query().to_string();
        let names: Vec<&str> = match self.kind {
            OverlayKind::Palette => ENTRIES.iter().map(|e| e.name).collect(),
            OverlayKind::Picker { .. } => self.values.iter().map(String::as_str).collect(),
        };
        let mut scored: Vec<(usize, i64)> = names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| fuzzy_score(&q, n).map(|s| (i, s)))
            .collect();
        if !q.is_empty() {
            scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        self.matches = scored.into_iter().map(|(i, _)| i).collect();
        self.list.selected = 0;
        self.list.set_offset(0);
        self.list.set_len(self.matches.len());
    }

    /// The label of the i-th match.
    pub fn label(&self, i: usize) -> Option<&str> {
        let idx = *self.matches.get(i)?;
        match self.kind {
            OverlayKind::Palette => ENTRIES.get(idx).map(|e| e.name),
            OverlayKind::Picker { .. } => self.values.get(idx).map(String::as_str),
        }
    }

    /// What Enter does now: the selected entry with the typed argument, or the picked value.
    /// A typed value that is not in a picker's list is used as it is (a new region, say).
    pub fn choose(&self) -> Option<PaletteAction> {
        match self.kind {
            OverlayKind::Palette => {
                let name = self.label(self.list.selected)?;
                let arg = self
                    .input
                    .split_once(char::is_whitespace)
                    .map(|(_, a)| a.trim().to_string())
                    .filter(|a| !a.is_empty());
                action_of(name, arg)
            }
            OverlayKind::Picker { entry } => {
                let value = self
                    .label(self.list.selected)
                    .map(ToString::to_string)
                    .or_else(|| Some(self.input.trim().to_string()).filter(|s| !s.is_empty()))?;
                action_of(entry, Some(value))
            }
        }
    }
}

/// The region names offered by the region picker (the commercial AWS regions).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
];

/// Theme names for the theme picker.
pub const THEMES: &[&str] = &["dark", "light", "high-contrast"];

use crossterm::event::{KeyCode, KeyEvent};

use super::keymap::Command;
use super::widgets::input::Edit;
use super::{Effect, Level, Screen, palette};
use crate::config::Theme as ThemeName;

/// The palette and its pickers: what their choices do.
impl super::App {
    pub(super) fn overlay_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(o) = self.overlay.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => self.overlay = None,
            KeyCode::Enter => {
                let choice = o.choose();
                self.overlay = None;
                return match choice {
                    Some(a) => self.run_palette(a),
                    None => Vec::new(),
                };
            }
            KeyCode::Up => {
                o.list.navigate(Command::Up, 1);
            }
            KeyCode::Down | KeyCode::Tab => {
                o.list.navigate(Command::Down, 1);
            }
            _ => {
                if o.input.handle(key, 100) == Edit::Changed {
                    o.refilter();
                }
            }
        }
        Vec::new()
    }

    /// Does what a palette entry or picker choice says.
    pub fn run_palette(&mut self, action: PaletteAction) -> Vec<Effect> {
        match action {
            PaletteAction::Stacks => {
                self.views.truncate(1);
                Vec::new()
            }
            PaletteAction::Abandoned => {
                self.views.truncate(1);
                self.show_abandoned()
            }
            PaletteAction::Region(None) => {
                let regions = palette::REGIONS.iter().map(ToString::to_string).collect();
                self.overlay = Some(Overlay::picker("region", regions));
                Vec::new()
            }
            PaletteAction::Region(Some(r)) => {
                self.header.connection = format!("switching to {r}…");
                vec![Effect::SwitchAws {
                    profile: None,
                    region: Some(r),
                }]
            }
            PaletteAction::Profile(None) => vec![Effect::ListProfiles],
            PaletteAction::Profile(Some(p)) => {
                self.header.connection = format!("switching to profile {p}…");
                vec![Effect::SwitchAws {
                    profile: Some(p),
                    region: None,
                }]
            }
            PaletteAction::Theme(None) => {
                let themes = palette::THEMES.iter().map(ToString::to_string).collect();
                self.overlay = Some(Overlay::picker("theme", themes));
                Vec::new()
            }
            PaletteAction::Theme(Some(t)) => {
                match ThemeName::from_name(&t) {
                    Some(theme) => self.theme = theme,
                    None => self.notify(
                        Level::Error,
                        format!("unknown theme {t:?}: dark, light or high-contrast"),
                    ),
                }
                Vec::new()
            }
            PaletteAction::Archives => self.open_archives(),
            PaletteAction::Refresh => self.command(Command::Refresh),
            PaletteAction::Help => self.command(Command::Help),
            PaletteAction::Quit => self.command(Command::Quit),
            PaletteAction::Screen(name) => self.open_screen(name),
        }
    }

    /// The stack list filtered to abandoned stacks.
    pub(super) fn show_abandoned(&mut self) -> Vec<Effect> {
        let now = self.clock.now();
        self.stacks.abandoned_only = true;
        self.stacks.refilter(now);
        Vec::new()
    }

    /// Opens a capability screen for the selected stack (from the list or the detail):
    /// the palette's `:items`, `:logs`, ... do what the detail screen's key does.
    pub(super) fn open_screen(&mut self, name: &str) -> Vec<Effect> {
        let cmd = match name {
            "logs" => Command::Logs,
            "query" => Command::Query,
            "invoke" => Command::Invoke,
            "teardown" => Command::Teardown,
            "cost" => Command::Cost,
            "shelve" => Command::Shelve,
            "items" => Command::DynamoTables,
            "objects" => Command::S3Buckets,
            "errors" => Command::Errors,
            _ => {
                self.notify(Level::Error, format!("no {name} screen in this build"));
                return Vec::new();
            }
        };
        self.open_on_stack(cmd, name)
    }

    /// Runs the detail screen's `cmd` for the stack of the detail that is open (closing the
    /// screens above it), or for the selected stack of the list (opening its detail first).
    /// `name` is the palette's word for it, for the message when no stack is selected.
    pub(super) fn open_on_stack(&mut self, cmd: Command, name: &str) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.views.page(1) == Some(Screen::Detail) && self.views.detail().is_some() {
            // From the detail or a screen above it: that stack's detail first.
            self.views.truncate(2);
        } else {
            self.views.truncate(1);
            if self.stacks.selected().is_none() {
                self.notify(Level::Error, format!("select a stack first, then :{name}"));
                return effects;
            }
            effects = self.open_detail();
        }
        effects.extend(self.command(cmd));
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("reg", "region")]
    #[case("rg", "region")]
    #[case("ab", "abandoned")]
    #[case("lg", "logs")]
    #[case("st", "stacks")]
    #[case("it", "items")]
    #[case("q", "quit")]
    #[case("prof", "profile")]
    #[case("thm", "theme")]
    fn best_match(#[case] q: &str, #[case] want: &str) {
        let mut o = Overlay::palette();
        o.input = q.into();
        o.refilter();
        assert_eq!(o.label(0), Some(want), "query {q:?}");
    }

    #[test]
    fn no_match_is_empty_and_chooses_nothing() {
        let mut o = Overlay::palette();
        o.input = "zzz".into();
        o.refilter();
        assert!(o.matches.is_empty());
        assert_eq!(o.choose(), None);
    }

    #[test]
    fn argument_is_passed() {
        let mut o = Overlay::palette();
        o.input = "region eu-west-1".into();
        o.refilter();
        assert_eq!(
            o.choose(),
            Some(PaletteAction::Region(Some("eu-west-1".into())))
        );
        o.input = "region".into();
        o.refilter();
        assert_eq!(o.choose(), Some(PaletteAction::Region(None)));
        o.input = "profile dev".into();
        o.refilter();
        assert_eq!(o.choose(), Some(PaletteAction::Profile(Some("dev".into()))));
    }

    #[test]
    fn picker_matches_and_accepts_typed_values() {
        let mut p = Overlay::picker("region", REGIONS.iter().map(ToString::to_string).collect());
        p.input = "euw1".into();
        p.refilter();
        assert_eq!(p.label(0), Some("eu-west-1"));
        assert_eq!(
            p.choose(),
            Some(PaletteAction::Region(Some("eu-west-1".into())))
        );
        p.input = "xx-nowhere-9".into();
        p.refilter();
        assert_eq!(
            p.choose(),
            Some(PaletteAction::Region(Some("xx-nowhere-9".into())))
        );
    }

    #[test]
    fn fuzzy_rules() {
        assert!(fuzzy_score("abc", "a-b-c").is_some());
        assert!(fuzzy_score("cba", "abc").is_none());
        assert!(fuzzy_score("reg", "region").unwrap() > fuzzy_score("reg", "rxexg").unwrap());
        assert_eq!(fuzzy_score("", "anything"), Some(0));
    }

    #[test]
    fn every_entry_has_an_action() {
        for e in ENTRIES {
            assert!(action_of(e.name, None).is_some(), "{}", e.name);
        }
    }
}
