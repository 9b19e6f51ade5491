//! The key map: defaults embedded from `assets/keymap.toml`, user overrides from the
//! config's `[keys.<scope>]`, commands deserialised by their snake_case names.

use std::collections::HashMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// The embedded default bindings.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Everything a key can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Quit,
    Help,
    Palette,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Refresh,
    Filter,
    Sort,
    ReverseSort,
    NextPane,
    PrevPane,
    DynamoTables,
    ItemQuery,
    ItemExport,
    ItemCancel,
    ItemTyped,
    ItemCopy,
    ItemEdit,
    ItemDelete,
    ItemConfirm,
    S3Buckets,
    S3Count,
    S3Jump,
    S3Download,
    S3Versions,
    S3CopyKey,
    S3CopyUri,
    S3CopyUrl,
    S3Cancel,
    /// Opens the log tail of the stack (detail screen).
    Logs,
    /// Opens the log tail of the selected function (detail screen).
    LogsFunction,
    /// Pauses or resumes following the log tail.
    LogsPause,
    /// Wraps long log lines or not.
    LogsWrap,
    /// Shows or hides the insights panel.
    LogsInsights,
    /// Groups log lines by request id, or orders them by time.
    LogsByRequest,
    /// The next line matching the search.
    LogsNextMatch,
    /// The previous line matching the search.
    LogsPrevMatch,
    /// Opens the Logs Insights query screen of the stack.
    Query,
    /// Puts the keyboard in the query editor.
    QueryEdit,
    /// Runs the query.
    QueryRun,
    /// Picks the time window.
    QueryWindow,
    /// Picks a saved query.
    QuerySaved,
    /// Stops the running query (StopQuery).
    QueryCancel,
    /// Exports the rows as JSON lines.
    QueryExport,
    /// Edits the query in `$EDITOR`.
    QueryEditor,
    /// Scrolls the result columns left.
    QueryLeft,
    /// Scrolls the result columns right.
    QueryRight,
    Invoke,
    InvokeCall,
    InvokeFanOut,
    InvokeEditPayload,
    InvokeSavePayload,
    Teardown,
    /// Opens the error groups of a stack.
    Errors,
    /// On the errors screen: the next window (1h, 24h, 7d).
    ErrorsWindow,
    /// On the teardown plan: turn deletion protection off right before DeleteStack, or not.
    TeardownDisableProtection,
    /// On the teardown plan: delete GOVERNANCE-retained versions with the bypass header, or not.
    TeardownBypassGovernance,
    /// The cost breakdown of the selected stack.
    Cost,
    /// Archives the stack, verifies the archive, then tears the stack down.
    Shelve,
    Mark,
    AbandonedFilter,
    /// Copies the selected thing's id or name.
    Copy,
    /// Copies the selected thing's AWS console address.
    Console,
    /// Copies the name of what the selected thing belongs to (a log event's log group).
    CopyName,
    /// Removes a default binding.
    None,
}

impl Command {
    /// The short label shown in the key-hint bar and the help overlay.
    pub fn label(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Help => "help",
            Self::Palette => "command palette",
            Self::Up => "up",
            Self::Down => "down",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::Open => "open",
            Self::Back => "back",
            Self::Refresh => "refresh",
            Self::Filter => "filter",
            Self::Sort => "sort",
            Self::ReverseSort => "reverse sort",
            Self::NextPane => "next pane",
            Self::PrevPane => "prev pane",
            Self::DynamoTables => "tables",
            Self::ItemQuery => "query",
            Self::ItemExport => "export",
            Self::ItemCancel => "cancel export",
            Self::ItemTyped => "typed json",
            Self::ItemCopy => "copy",
            Self::ItemEdit => "edit",
            Self::ItemDelete => "delete",
            Self::ItemConfirm => "confirm",
            Self::S3Buckets => "buckets",
            Self::S3Count => "count size",
            Self::S3Jump => "go to prefix",
            Self::S3Download => "download",
            Self::S3Versions => "versions",
            Self::S3CopyKey => "copy key",
            Self::S3CopyUri => "copy s3:// URI",
            Self::S3CopyUrl => "copy presigned URL",
            Self::S3Cancel => "cancel",
            Self::Logs => "logs",
            Self::LogsFunction => "function logs",
            Self::LogsPause => "pause",
            Self::LogsWrap => "wrap",
            Self::LogsInsights => "insights",
            Self::LogsByRequest => "by request",
            Self::LogsNextMatch => "next match",
            Self::LogsPrevMatch => "prev match",
            Self::Query => "queries",
            Self::QueryEdit => "edit query",
            Self::QueryRun => "run",
            Self::QueryWindow | Self::ErrorsWindow => "window",
            Self::QuerySaved => "saved queries",
            Self::QueryCancel => "stop query",
            Self::QueryExport => "export rows",
            Self::QueryEditor => "query in $EDITOR",
            Self::QueryLeft => "columns left",
            Self::QueryRight => "columns right",
            Self::Invoke => "invoke",
            Self::InvokeCall => "call",
            Self::InvokeFanOut => "fan out",
            Self::InvokeEditPayload => "$EDITOR",
            Self::InvokeSavePayload => "save payload",
            Self::Teardown => "teardown",
            Self::Errors => "errors",
            Self::TeardownDisableProtection => "lift deletion protection",
            Self::TeardownBypassGovernance => "bypass governance retention",
            Self::Cost => "cost",
            Self::Shelve => "shelve",
            Self::Mark => "mark",
            Self::AbandonedFilter => "abandoned",
            Self::Copy => "copy id",
            Self::Console => "console URL",
            Self::CopyName => "copy log group",
            Self::None => "",
        }
    }
}

pub use super::views::Scope;

/// A key with its modifiers, as written in the key map (`ctrl-d`, `G`, `enter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// Normalises a terminal key event (shift is folded into upper-case characters).
    pub fn from_event(ev: KeyEvent) -> Self {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if let KeyCode::Char(_) = ev.code {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = ev.code;
        if code == KeyCode::BackTab {
            mods.remove(KeyModifiers::SHIFT);
        }
        Self { code, mods }
    }

    /// Parses `ctrl-d`, `alt-x`, `G`, `enter`, `f5`, `space`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" => KeyCode::Delete,
            "space" => KeyCode::Char(' '),
            f if f.len() > 1 && f.starts_with('f') => {
                let n: u8 = f[1..].parse().map_err(|_| format!("unknown key {s:?}"))?;
                if !(1..=12).contains(&n) {
                    return Err(format!("unknown key {s:?}"));
                }
                KeyCode::F(n)
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            _ => return Err(format!("unknown key {s:?}")),
        };
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
            }
            other => other,
        };
        if let KeyCode::Char(_) = code {
            mods.remove(KeyModifiers::SHIFT);
        }
        Ok(Self { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Backspace => f.write_str("bksp"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::F(n) => write!(f, "f{n}"),
            _ => f.write_str("?"),
        }
    }
}

/// A key-map entry that cannot be used: its scope, its key text and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeymapError {
    pub scope: String,
    pub key: String,
    pub message: String,
}

/// The effective bindings, per scope.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// Per scope, in the order written (the first key of a command is its hint).
    bindings: HashMap<Scope, Vec<(Key, Command)>>,
}

impl Keymap {
    /// The defaults with the user's `[keys]` overrides applied; errors name the binding.
    pub fn load(overrides: &toml::Table) -> Result<Self, KeymapError> {
        let defaults: toml::Table = toml::from_str(DEFAULT_KEYMAP).map_err(|e| KeymapError {
            scope: String::new(),
            key: String::new(),
            message: format!("default keymap: {e}"),
        })?;
        let mut map = Self {
            bindings: HashMap::new(),
        };
        map.apply(&defaults)?;
        map.apply(overrides)?;
        Ok(map)
    }

    fn apply(&mut self, table: &toml::Table) -> Result<(), KeymapError> {
        for (scope_name, entries) in table {
            let err = |key: &str, message: String| KeymapError {
                scope: scope_name.clone(),
                key: key.to_string(),
                message,
            };
            let scope = Scope::from_name(scope_name)
                .ok_or_else(|| err("", format!("unknown key-map scope `{scope_name}`")))?;
            let entries = entries.as_table().ok_or_else(|| {
                err(
                    "",
                    format!("`{scope_name}` must be a table of \"key\" = \"command\""),
                )
            })?;
            let mut seen: Vec<(Key, &str, &str)> = Vec::new();
            for (key_text, cmd) in entries {
                let key = Key::parse(key_text).map_err(|e| err(key_text, e))?;
                let cmd_text = cmd
                    .as_str()
                    .ok_or_else(|| err(key_text, "the command must be a string".into()))?;
                let command: Command =
                    Command::deserialize(toml::Value::String(cmd_text.into()))
                        .map_err(|_| err(key_text, format!("unknown command `{cmd_text}`")))?;
                if let Some((_, other, other_cmd)) =
                    seen.iter().find(|(k, _, c)| *k == key && *c != cmd_text)
                {
                    return Err(err(
                        key_text,
                        format!(
                            "conflicting bindings: \"{key_text}\" = \"{cmd_text}\" and \"{other}\" = \"{other_cmd}\" are the same key"
                        ),
                    ));
                }
                seen.push((key, key_text, cmd_text));
                let scope_map = self.bindings.entry(scope).or_default();
                match scope_map.iter().position(|(k, _)| *k == key) {
                    Some(i) if command == Command::None => {
                        scope_map.remove(i);
                    }
                    Some(i) => scope_map[i].1 = command,
                    None if command == Command::None => {}
                    None => scope_map.push((key, command)),
                }
            }
        }
        Ok(())
    }

    /// The command for a key on a screen: the screen's binding first, then the global one.
    pub fn lookup(&self, scope: Scope, key: Key) -> Option<Command> {
        let find = |sc: Scope| {
            self.bindings
                .get(&sc)
                .and_then(|m| m.iter().find(|(k, _)| *k == key))
                .map(|(_, c)| *c)
        };
        find(scope).or_else(|| find(Scope::Global))
    }

    /// The keys bound to `command` on a screen (screen first, then global), sorted.
    pub fn keys_for(&self, scope: Scope, command: Command) -> Vec<Key> {
        let mut out: Vec<Key> = Vec::new();
        for sc in [scope, Scope::Global] {
            if let Some(m) = self.bindings.get(&sc) {
                let ks = m
                    .iter()
                    .filter(|(k, c)| *c == command && self.lookup(scope, *k) == Some(command))
                    .map(|(k, _)| *k);
                for k in ks {
                    if !out.contains(&k) {
                        out.push(k);
                    }
                }
            }
        }
        out
    }

    /// Every command reachable on a screen with its keys: the screen's own bindings
    /// first, then the global ones, each in the order written.
    pub fn bindings_for(&self, scope: Scope) -> Vec<(Command, Vec<Key>)> {
        let mut out: Vec<(Command, Vec<Key>)> = Vec::new();
        for sc in [scope, Scope::Global] {
            for (_, cmd) in self.bindings.get(&sc).into_iter().flatten() {
                if !out.iter().any(|(c, _)| c == cmd) {
                    let keys = self.keys_for(scope, *cmd);
                    if !keys.is_empty() {
                        out.push((*cmd, keys));
                    }
                }
            }
        }
        out
    }

    /// The first key for `command`, for the hint bar (`?` when unbound).
    pub fn hint(&self, scope: Scope, command: Command) -> String {
        self.keys_for(scope, command)
            .first()
            .map_or_else(|| "-".to_string(), ToString::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> Key {
        Key::from_event(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn defaults_load() {
        let km = Keymap::load(&toml::Table::new()).unwrap();
        assert_eq!(km.lookup(Scope::Stacks, key('q')), Some(Command::Quit));
        assert_eq!(km.lookup(Scope::Stacks, key('/')), Some(Command::Filter));
        assert_eq!(km.lookup(Scope::Detail, key('/')), None);
        let ctrl_c = Key::from_event(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(km.lookup(Scope::Detail, ctrl_c), Some(Command::Quit));
    }

    #[test]
    fn shifted_chars_match_uppercase() {
        let km = Keymap::load(&toml::Table::new()).unwrap();
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            km.lookup(Scope::Stacks, Key::from_event(ev)),
            Some(Command::Bottom)
        );
    }

    #[test]
    fn overrides_replace_and_unbind() {
        let overrides: toml::Table =
            toml::from_str("[global]\n\"x\" = \"quit\"\n\"q\" = \"none\"\n").unwrap();
        let km = Keymap::load(&overrides).unwrap();
        assert_eq!(km.lookup(Scope::Stacks, key('x')), Some(Command::Quit));
        assert_eq!(km.lookup(Scope::Stacks, key('q')), None);
        assert_eq!(km.hint(Scope::Stacks, Command::Quit), "ctrl-c");
        let km = Keymap::load(&toml::Table::new()).unwrap();
        assert_eq!(
            km.hint(Scope::Stacks, Command::Quit),
            "q",
            "first written key is the hint"
        );
    }

    #[test]
    fn bad_overrides_are_named() {
        let t: toml::Table = toml::from_str("[global]\n\"q\" = \"explode\"\n").unwrap();
        let err = Keymap::load(&t).unwrap_err();
        assert!(err.message.contains("unknown command `explode`"), "{err}");
        assert_eq!((err.scope.as_str(), err.key.as_str()), ("global", "q"));
        let t: toml::Table = toml::from_str("[nowhere]\n\"q\" = \"quit\"\n").unwrap();
        let err = Keymap::load(&t).unwrap_err();
        assert!(err.message.contains("unknown key-map scope `nowhere`"));
        let t: toml::Table = toml::from_str("[global]\n\"hyper-q\" = \"quit\"\n").unwrap();
        assert!(
            Keymap::load(&t)
                .unwrap_err()
                .message
                .contains("unknown key")
        );
        let t: toml::Table =
            toml::from_str("[stacks]\n\"G\" = \"bottom\"\n\"shift-g\" = \"top\"\n").unwrap();
        let err = Keymap::load(&t).unwrap_err();
        assert!(err.message.contains("conflicting bindings"), "{err}");
        assert_eq!(err.key, "shift-g");
    }

    #[test]
    fn key_round_trip() {
        for s in ["ctrl-d", "G", "enter", "f5", "space", "alt-x"] {
            let k = Key::parse(s).unwrap();
            assert_eq!(Key::parse(&k.to_string()).unwrap(), k, "{s}");
        }
    }
}
