//! One line (or block) of text being typed: a cursor, home/end, word delete, paste, and a
//! length limit the caller gives.

use std::ops::Deref;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Text with a cursor (a char index). Reads see the text as a `str`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    cursor: usize,
}

/// What a key did to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    /// The key is not an editing key (the caller handles it).
    Ignored,
}

impl TextInput {
    /// An input holding `text`, the cursor at its end.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        Self { text, cursor }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Replaces the text; the cursor goes to its end.
    pub fn set(&mut self, text: impl Into<String>) {
        *self = Self::new(text);
    }

    /// Empties the input.
    pub fn clear(&mut self) {
        self.set(String::new());
    }

    /// Takes the text out, leaving the input empty.
    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.text)
    }

    /// The text before and after the cursor (for drawing the cursor between them).
    pub fn around_cursor(&self) -> (&str, &str) {
        self.text.split_at(self.byte_at(self.cursor()))
    }

    /// The cursor, clamped to the text.
    pub fn cursor(&self) -> usize {
        self.cursor.min(self.text.chars().count())
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Inserts `c` at the cursor unless the text already has `limit` chars.
    pub fn insert(&mut self, c: char, limit: usize) -> bool {
        if self.text.chars().count() >= limit {
            return false;
        }
        let at = self.byte_at(self.cursor());
        self.text.insert(at, c);
        self.cursor = self.cursor() + 1;
        true
    }

    /// Inserts pasted text at the cursor, up to `limit` chars in all (newlines kept only
    /// when `multiline`).
    pub fn paste(&mut self, text: &str, limit: usize, multiline: bool) -> Edit {
        let mut changed = false;
        for c in text.chars().filter(|c| multiline || !c.is_control()) {
            if !self.insert(c, limit) {
                break;
            }
            changed = true;
        }
        if changed {
            Edit::Changed
        } else {
            Edit::Ignored
        }
    }

    /// Deletes the char before the cursor.
    pub fn backspace(&mut self) -> bool {
        let cur = self.cursor();
        if cur == 0 {
            return false;
        }
        let at = self.byte_at(cur - 1);
        self.text.remove(at);
        self.cursor = cur - 1;
        true
    }

    /// Deletes the word before the cursor (and the spaces after it).
    pub fn delete_word(&mut self) -> bool {
        let cur = self.cursor();
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = cur;
        while start > 0 && chars[start - 1].is_whitespace() {
            start -= 1;
        }
        while start > 0 && !chars[start - 1].is_whitespace() {
            start -= 1;
        }
        if start == cur {
            return false;
        }
        let (a, b) = (self.byte_at(start), self.byte_at(cur));
        self.text.replace_range(a..b, "");
        self.cursor = start;
        true
    }

    /// Applies an editing key: characters (up to `limit`), backspace, delete, ←/→,
    /// home/end (ctrl-a/ctrl-e), ctrl-w (word), ctrl-u (to the start).
    pub fn handle(&mut self, key: KeyEvent, limit: usize) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        let cur = self.cursor();
        let changed = |b: bool| if b { Edit::Changed } else { Edit::Moved };
        match key.code {
            KeyCode::Char('w') if ctrl => changed(self.delete_word()),
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(cur);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                changed(at > 0)
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                Edit::Moved
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = len;
                Edit::Moved
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                changed(self.insert(c, limit))
            }
            KeyCode::Backspace => changed(self.backspace()),
            KeyCode::Delete if cur < len => {
                let at = self.byte_at(cur);
                self.text.remove(at);
                Edit::Changed
            }
            KeyCode::Left => {
                self.cursor = cur.saturating_sub(1);
                Edit::Moved
            }
            KeyCode::Right => {
                self.cursor = (cur + 1).min(len);
                Edit::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                Edit::Moved
            }
            KeyCode::End => {
                self.cursor = len;
                Edit::Moved
            }
            _ => Edit::Ignored,
        }
    }
}

impl Deref for TextInput {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<&str> for TextInput {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for TextInput {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl PartialEq<str> for TextInput {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for TextInput {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut t = TextInput::new("héllo");
        assert_eq!(t.handle(key(KeyCode::Home), 10), Edit::Moved);
        t.handle(key(KeyCode::Char('>')), 10);
        assert_eq!(t, ">héllo");
        t.handle(key(KeyCode::End), 10);
        t.handle(key(KeyCode::Left), 10);
        t.handle(key(KeyCode::Backspace), 10);
        assert_eq!(t, ">hélo");
        assert_eq!(t.around_cursor(), (">hél", "o"));
        t.handle(key(KeyCode::Delete), 10);
        assert_eq!(t, ">hél");
    }

    #[test]
    fn word_delete_and_clear_to_start() {
        let mut t = TextInput::new("status = active  ");
        t.handle(ctrl('w'), 100);
        assert_eq!(t, "status = ");
        t.handle(ctrl('w'), 100);
        assert_eq!(t, "status ");
        t.handle(ctrl('u'), 100);
        assert_eq!(t, "");
        assert_eq!(t.handle(ctrl('w'), 100), Edit::Moved);
    }

    #[test]
    fn the_limit_holds_for_keys_and_paste() {
        let mut t = TextInput::default();
        for c in "abcdef".chars() {
            t.handle(key(KeyCode::Char(c)), 4);
        }
        assert_eq!(t, "abcd");
        let mut p = TextInput::new("x");
        assert_eq!(p.paste("a\nb\x1bcdefgh", 5, false), Edit::Changed);
        assert_eq!(p, "xabcd");
        assert_eq!(p.paste("z", 5, false), Edit::Ignored);
    }
}
