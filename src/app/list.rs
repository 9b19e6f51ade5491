//! Cursor and scroll state shared by every list screen; only the visible window is drawn.

use std::cell::Cell;
use std::ops::Range;

use super::keymap::Command;

/// A cursor over `len` rows with a scroll offset kept by the renderer's height.
/// The offset is a `Cell` because drawing (which sees the state by `&`) is what scrolls it,
/// and the next mouse click must see the rows that were drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListState {
    pub selected: usize,
    offset: Cell<usize>,
    pub len: usize,
}

impl ListState {
    /// Sets the row count, keeping the cursor in range.
    pub fn set_len(&mut self, len: usize) {
        self.len = len;
        if self.selected >= len {
            self.selected = len.saturating_sub(1);
        }
        if self.offset.get() > self.selected {
            self.offset.set(self.selected);
        }
    }

    /// The first row drawn last time.
    pub fn offset(&self) -> usize {
        self.offset.get()
    }

    /// Puts row `offset` at the top of the window.
    pub fn set_offset(&mut self, offset: usize) {
        self.offset.set(offset);
    }

    /// Moves the cursor for a navigation command; returns false for other commands.
    pub fn navigate(&mut self, cmd: Command, page: usize) -> bool {
        let last = self.len.saturating_sub(1);
        self.selected = match cmd {
            Command::Up => self.selected.saturating_sub(1),
            Command::Down => (self.selected + 1).min(last),
            Command::PageUp => self.selected.saturating_sub(page),
            Command::PageDown => (self.selected + page).min(last),
            Command::Top => 0,
            Command::Bottom => last,
            _ => return false,
        };
        true
    }

    /// The rows to draw in `height` lines, scrolling the offset so the cursor stays visible.
    /// Cost is independent of `len`.
    pub fn window(&mut self, height: usize) -> Range<usize> {
        self.visible(height)
    }

    /// The window for drawing; scrolls the stored offset so the cursor stays visible
    /// (renderers take `&App`, and a click maps through the offset drawn last).
    pub fn visible(&self, height: usize) -> Range<usize> {
        if height == 0 || self.len == 0 {
            return 0..0;
        }
        let mut offset = self.offset.get();
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        offset = offset.min(self.len.saturating_sub(height));
        self.offset.set(offset);
        offset..(offset + height).min(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_clamps() {
        let mut l = ListState::default();
        l.set_len(10);
        assert!(l.navigate(Command::Up, 5));
        assert_eq!(l.selected, 0);
        l.navigate(Command::PageDown, 5);
        assert_eq!(l.selected, 5);
        l.navigate(Command::PageDown, 50);
        assert_eq!(l.selected, 9);
        l.navigate(Command::Top, 5);
        assert_eq!(l.selected, 0);
        assert!(!l.navigate(Command::Refresh, 5));
        l.set_len(0);
        l.navigate(Command::Down, 1);
        assert_eq!(l.selected, 0);
    }

    #[test]
    fn window_follows_cursor() {
        let mut l = ListState::default();
        l.set_len(1_000_000);
        assert_eq!(l.window(10), 0..10);
        l.navigate(Command::Bottom, 10);
        assert_eq!(l.window(10), 999_990..1_000_000);
        l.navigate(Command::Up, 10);
        assert_eq!(l.window(10), 999_990..1_000_000);
        l.navigate(Command::Top, 10);
        assert_eq!(l.window(10), 0..10);
        l.set_len(3);
        assert_eq!(l.window(10), 0..3);
    }

    #[test]
    fn drawing_keeps_the_offset() {
        let mut l = ListState::default();
        l.set_len(100);
        l.navigate(Command::Bottom, 10);
        assert_eq!(l.visible(10), 90..100);
        assert_eq!(l.offset(), 90);
        // Moving up inside the window keeps it where it was drawn.
        l.navigate(Command::Up, 10);
        assert_eq!(l.visible(10), 90..100);
    }
}
