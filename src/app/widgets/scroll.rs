//! The scroll of a text pane: an item's JSON, an object's preview, an occurrence's request,
//! a response, a result row shown in full.

use crate::app::keymap::Command;

/// The first line a text pane shows. When the pane's line count is known the last page
/// stays full (the top goes no further than `lines - page`); when only the renderer knows it
/// (wrapped text), the top stops only at the first line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    top: usize,
}

impl Scroll {
    /// The first line shown.
    pub fn top(self) -> usize {
        self.top
    }

    /// The first line shown, for `Paragraph::scroll`.
    pub fn top_u16(self) -> u16 {
        u16::try_from(self.top).unwrap_or(u16::MAX)
    }

    /// Back to the first line.
    pub fn reset(&mut self) {
        self.top = 0;
    }

    /// Moves for a navigation command over `lines` lines (`None`: not known here) shown
    /// `page` at a time; `false` for any other command (and `Bottom` of an unknown length).
    pub fn navigate(&mut self, cmd: Command, page: usize, lines: Option<usize>) -> bool {
        let last = lines.map_or(usize::MAX, |n| n.saturating_sub(page));
        let top = match cmd {
            Command::Up => self.top.saturating_sub(1),
            Command::Down => self.top.saturating_add(1),
            Command::PageUp => self.top.saturating_sub(page),
            Command::PageDown => self.top.saturating_add(page),
            Command::Top => 0,
            Command::Bottom if lines.is_some() => last,
            _ => return false,
        };
        self.top = top.min(last);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_length_keeps_the_last_page_full() {
        let mut s = Scroll::default();
        assert!(s.navigate(Command::PageDown, 10, Some(25)));
        assert_eq!(s.top(), 10);
        s.navigate(Command::PageDown, 10, Some(25));
        assert_eq!(s.top(), 15, "lines 15..25 fill the last page");
        s.navigate(Command::Down, 10, Some(25));
        assert_eq!(s.top(), 15);
        s.navigate(Command::Top, 10, Some(25));
        assert_eq!(s.top(), 0);
        s.navigate(Command::Bottom, 10, Some(25));
        assert_eq!(s.top(), 15);
        s.navigate(Command::Up, 10, Some(25));
        assert_eq!(s.top(), 14);
    }

    #[test]
    fn a_pane_shorter_than_a_page_does_not_scroll() {
        let mut s = Scroll::default();
        s.navigate(Command::PageDown, 10, Some(4));
        s.navigate(Command::Down, 10, Some(4));
        assert_eq!(s.top(), 0);
    }

    #[test]
    fn an_unknown_length_stops_only_at_the_first_line() {
        let mut s = Scroll::default();
        s.navigate(Command::PageDown, 10, None);
        s.navigate(Command::Down, 10, None);
        assert_eq!(s.top_u16(), 11);
        s.navigate(Command::PageUp, 10, None);
        s.navigate(Command::PageUp, 10, None);
        assert_eq!(s.top(), 0);
        assert!(!s.navigate(Command::Bottom, 10, None), "no bottom to go to");
        assert!(!s.navigate(Command::Open, 10, None));
    }
}
