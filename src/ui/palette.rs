//! The command palette and pickers: an input line over the best matches.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Theme;
use super::widgets::{block, gutter};
use crate::app::palette::{ENTRIES, Overlay, OverlayKind};
use crate::domain::sanitize::sanitize;

/// Rows of matches shown at most.
const MAX_ROWS: usize = 12;

/// Draws the overlay at the top of `area`.
pub fn render(frame: &mut Frame, area: Rect, o: &Overlay, theme: &Theme) {
    let rows = o.matches.len().clamp(1, MAX_ROWS);
    let height = (rows as u16 + 3).min(area.height);
    let [top] = Layout::vertical([Constraint::Length(height)]).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(64)])
        .flex(Flex::Center)
        .areas(top);
    let title = match &o.kind {
        OverlayKind::Palette => " Command (enter run · esc close) ".to_string(),
        OverlayKind::Picker { entry } => format!(" Choose a {entry} (enter pick · esc close) "),
    };
    let mut spans = vec![Span::styled(":", theme.key)];
    spans.extend(super::widgets::input_spans(
        &o.input,
        Style::default(),
        theme.accent,
    ));
    let mut lines = vec![Line::from(spans)];
    if o.matches.is_empty() {
        lines.push(Line::styled("  no match", theme.dim));
    }
    let window = o.list.visible(MAX_ROWS);
    for i in window {
        let selected = i == o.list.selected;
        let label = o.label(i).unwrap_or("");
        let mut spans = vec![Span::styled(
            format!("{}{:<14}", gutter(selected), sanitize(label)),
            if selected { theme.selected } else { theme.base },
        )];
        if o.kind == OverlayKind::Palette
            && let Some(e) = o.matches.get(i).and_then(|&m| ENTRIES.get(m))
        {
            spans.push(Span::styled(format!(" {}", e.help), theme.dim));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block(title, theme, true)),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::style::Color;

    use crate::app::Action;
    use crate::app::keymap::Command;
    use crate::app::palette::PaletteAction;
    use crate::app::stacks::StacksMsg;
    use crate::config::Theme as ThemeName;
    use crate::ui::tests::{app, demo_stacks, draw_sized, ready};
    use crate::ui::{Theme, render};

    fn typed(a: &mut crate::app::App, text: &str) {
        for c in text.chars() {
            let key = crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            );
            a.update(Action::Input(key));
        }
    }

    fn loaded() -> crate::app::App {
        let mut a = app();
        let id = ready(&mut a);
        a.update(Action::Stacks(StacksMsg::Loaded {
            request_id: id,
            result: Ok(demo_stacks()),
        }));
        a
    }

    #[test]
    fn palette_open_and_filtered() {
        let mut a = loaded();
        a.update(Action::Command(Command::Palette));
        insta::assert_snapshot!("palette__open", draw_sized(&a, 100, 24).backend());
        typed(&mut a, "reg eu-west-1");
        insta::assert_snapshot!("palette__region_typed", draw_sized(&a, 100, 24).backend());
    }

    #[test]
    fn region_picker() {
        let mut a = loaded();
        a.run_palette(PaletteAction::Region(None));
        typed(&mut a, "eu");
        insta::assert_snapshot!("picker__region", draw_sized(&a, 100, 24).backend());
    }

    /// The buffer as text with a `{fg/bg/modifiers}` mark wherever the style changes, so a
    /// theme's colours are part of the snapshot.
    fn styled_dump(buf: &Buffer) -> String {
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut last = None;
            for x in 0..buf.area.width {
                let cell = &buf[(x, y)];
                let style = (cell.fg, cell.bg, cell.modifier);
                if last != Some(style) {
                    out.push_str(&format!("{{{:?}/{:?}/{:?}}}", style.0, style.1, style.2));
                    last = Some(style);
                }
                out.push_str(cell.symbol());
            }
            out.push('\n');
        }
        out
    }

    fn themed(theme: ThemeName, no_color: bool) -> String {
        let mut a = loaded();
        a.update(Action::Command(Command::Help));
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 22)).unwrap();
        let th = Theme::new(theme, no_color);
        t.draw(|f| render(f, &a, &th)).unwrap();
        styled_dump(t.backend().buffer())
    }

    #[test]
    fn help_in_each_theme() {
        insta::assert_snapshot!("help__dark", themed(ThemeName::Dark, false));
        insta::assert_snapshot!("help__light", themed(ThemeName::Light, false));
        insta::assert_snapshot!(
            "help__high_contrast",
            themed(ThemeName::HighContrast, false)
        );
        insta::assert_snapshot!("help__no_color", themed(ThemeName::Dark, true));
    }

    #[test]
    fn help_on_a_short_terminal_puts_the_keys_side_by_side_and_says_what_it_leaves_out() {
        let mut a = loaded();
        a.update(Action::Command(Command::Help));
        let labels: Vec<&str> = a
            .keymap
            .bindings_for(a.screen().scope())
            .into_iter()
            .map(|(cmd, _)| cmd.label())
            .collect();
        assert!(labels.len() > 10, "{labels:?}");
        let th = Theme::new(ThemeName::Dark, true);
        // Wide enough for three columns, too short for one: every key is on screen.
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 12)).unwrap();
        t.draw(|f| render(f, &a, &th)).unwrap();
        let screen = t.backend().to_string();
        for label in &labels {
            assert!(screen.contains(label), "{label} missing:\n{screen}");
        }
        // Too narrow for a second column: the last line counts what is left out.
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(60, 12)).unwrap();
        t.draw(|f| render(f, &a, &th)).unwrap();
        let screen = t.backend().to_string();
        assert!(screen.contains("… and 17 more"), "{screen}");
    }

    #[test]
    fn no_color_draws_no_colour() {
        let mut a = loaded();
        a.update(Action::Command(Command::Palette));
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 22)).unwrap();
        let th = Theme::new(ThemeName::HighContrast, true);
        t.draw(|f| render(f, &a, &th)).unwrap();
        for cell in t.backend().buffer().content() {
            assert_eq!(cell.fg, Color::Reset);
            assert_eq!(cell.bg, Color::Reset);
        }
    }

    #[test]
    fn region_column_when_stacks_span_regions() {
        let mut a = app();
        let id = ready(&mut a);
        let mut stacks = demo_stacks();
        stacks[1].region = "eu-west-1".into();
        stacks[1].id = stacks[1].id.replace("us-east-1", "eu-west-1");
        a.update(Action::Stacks(StacksMsg::Loaded {
            request_id: id,
            result: Ok(stacks),
        }));
        let screen = draw_sized(&a, 120, 14).backend().to_string();
        assert!(screen.contains("REGION"), "{screen}");
        assert!(screen.contains("eu-west-1"), "{screen}");
        let plain = loaded();
        assert!(
            !draw_sized(&plain, 120, 14)
                .backend()
                .to_string()
                .contains("REGION")
        );
    }

    #[test]
    fn themes_differ() {
        let dark = themed(ThemeName::Dark, false);
        assert_ne!(dark, themed(ThemeName::Light, false));
        assert_ne!(dark, themed(ThemeName::HighContrast, false));
    }

    #[test]
    fn theme_switch_from_the_palette() {
        let mut a = loaded();
        a.run_palette(PaletteAction::Theme(Some("light".into())));
        assert_eq!(a.theme, ThemeName::Light);
        a.run_palette(PaletteAction::Theme(Some("neon".into())));
        assert_eq!(
            a.theme,
            ThemeName::Light,
            "unknown theme keeps the current one"
        );
        assert!(
            a.notifications
                .back()
                .unwrap()
                .text
                .contains("unknown theme")
        );
    }

    #[test]
    fn region_switch_is_an_effect_and_reloads() {
        let mut a = loaded();
        let effects = a.run_palette(PaletteAction::Region(Some("eu-west-1".into())));
        assert!(matches!(
            effects.as_slice(),
            [crate::app::Effect::SwitchAws { profile: None, region: Some(r) }] if r == "eu-west-1"
        ));
        // The new context arrives: the list empties and reloads.
        let id = ready(&mut a);
        assert!(id > 0);
        assert!(a.stacks.stacks.is_empty());
    }
}
