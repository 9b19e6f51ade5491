//! Colours: one palette per theme; `NO_COLOR` turns colour off.

use ratatui::style::{Color, Modifier, Style};

use crate::config::Theme as ThemeName;

/// The styles every screen draws with.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub base: Style,
    pub header: Style,
    pub title: Style,
    pub selected: Style,
    pub dim: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub key: Style,
}

impl Theme {
    /// The palette for a configured theme; plain attributes only when `no_color`.
    pub fn new(name: ThemeName, no_color: bool) -> Self {
        if no_color {
            let plain = Style::default();
            return Self {
                base: plain,
                header: plain.add_modifier(Modifier::BOLD),
                title: plain.add_modifier(Modifier::BOLD),
                selected: plain.add_modifier(Modifier::REVERSED),
                dim: plain,
                accent: plain.add_modifier(Modifier::BOLD),
                ok: plain,
                warn: plain.add_modifier(Modifier::UNDERLINED),
                error: plain.add_modifier(Modifier::BOLD),
                key: plain.add_modifier(Modifier::BOLD),
            };
        }
        match name {
            ThemeName::Dark => Self {
                base: Style::default(),
                header: Style::default().fg(Color::Black).bg(Color::Cyan),
                title: Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
                selected: Style::default().fg(Color::Black).bg(Color::LightBlue),
                dim: Style::default().fg(Color::DarkGray),
                accent: Style::default().fg(Color::Cyan),
                ok: Style::default().fg(Color::Green),
                warn: Style::default().fg(Color::Yellow),
                error: Style::default()
                    .fg(Color::LightRed)
                    .add_modifier(Modifier::BOLD),
                key: Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
            },
            ThemeName::Light => Self {
                base: Style::default(),
                header: Style::default().fg(Color::White).bg(Color::Blue),
                title: Style::default()
                    .fg(Color::Blue)
                    .add_modifier(Modifier::BOLD),
                selected: Style::default().fg(Color::White).bg(Color::Blue),
                dim: Style::default().fg(Color::Gray),
                accent: Style::default().fg(Color::Magenta),
                ok: Style::default().fg(Color::Green),
                warn: Style::default().fg(Color::Rgb(0xb0, 0x60, 0x00)),
                error: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
                key: Style::default()
                    .fg(Color::Blue)
                    .add_modifier(Modifier::BOLD),
            },
            ThemeName::HighContrast => Self {
                base: Style::default().fg(Color::White),
                header: Style::default()
                    .fg(Color::Black)
                    .bg(Color::White)
                    .add_modifier(Modifier::BOLD),
                title: Style::default()
                    .fg(Color::White)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                selected: Style::default()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
                dim: Style::default().fg(Color::White),
                accent: Style::default()
                    .fg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD),
                ok: Style::default()
                    .fg(Color::LightGreen)
                    .add_modifier(Modifier::BOLD),
                warn: Style::default()
                    .fg(Color::LightYellow)
                    .add_modifier(Modifier::BOLD),
                error: Style::default()
                    .fg(Color::LightRed)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                key: Style::default()
                    .fg(Color::LightYellow)
                    .add_modifier(Modifier::BOLD),
            },
        }
    }

    /// The style for a CloudFormation status: green complete, yellow in progress, red failed.
    pub fn status(&self, status: &str) -> Style {
        if status.contains("FAILED") || status.contains("ROLLBACK") {
            self.error
        } else if status.ends_with("_IN_PROGRESS") {
            self.warn
        } else if status.ends_with("_COMPLETE") {
            self.ok
        } else {
            self.base
        }
    }
}
