//! The interactive console: terminal setup and restore, the event loop, the task runner.

mod clipboard;
mod contexts;
mod cost;
mod detail;
mod dynamo;
mod editor;
mod effects;
mod errors;
pub(crate) mod invoke;
mod logs;
mod query;
mod s3;
mod shelf;
mod stacks;
mod teardown;

use std::io::{self, BufWriter, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use crate::app::keymap::Keymap;
use crate::app::{Action, App, Effect, HeaderInfo, Level, Settings};
use crate::cli::{GlobalArgs, aws_options};
use crate::config::Config;
use crate::domain::discovery::describe_filters;
use crate::domain::time::Clock;
use crate::ui::{self, Theme};

type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Set while the terminal is in raw mode on the alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal: leaves raw mode and the alternate screen (idempotent, and a
/// no-op when the console never took the terminal).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn setup(mouse: bool) -> anyhow::Result<Term> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        hook(info);
    }));
    ACTIVE.store(true, Ordering::SeqCst);
    enable_raw_mode().context("cannot switch the terminal to raw mode (is stdin a terminal?)")?;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen).context("cannot enter the alternate screen")?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    let term = Terminal::new(CrosstermBackend::new(BufWriter::new(io::stdout())))?;
    Ok(term)
}

/// Runs the console until the user quits. Config errors are reported before the
/// terminal is touched; the terminal is always restored.
pub async fn run(global: GlobalArgs) -> anyhow::Result<()> {
    let (config, _) = Config::load(global.config.as_deref())?;
    let keymap = Keymap::load(&config.keys).map_err(|e| anyhow::anyhow!("config [keys]: {e}"))?;
    let filters = if global.tags.is_empty() {
        config.discovery.tags.clone()
    } else {
        global.tags.clone()
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let header = HeaderInfo {
        connection: String::new(),
        filters: describe_filters(&filters),
        read_only: global.read_only,
    };
    let clock = Clock::new(global.now);
    let settings = Settings::from_config(&config, global.read_only, clock.now());
    let mut app = App::new(keymap, clock, header, settings);
    let mut term = setup(config.ui.mouse)?;
    let result = event_loop(&mut term, &mut app, no_color, &global, &config, filters).await;
    restore();
    result
}

async fn event_loop(
    term: &mut Term,
    app: &mut App,
    no_color: bool,
    global: &GlobalArgs,
    config: &Config,
    filters: Vec<crate::domain::discovery::TagFilter>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    // The first frame is drawn before any network call.
    draw(term, app, no_color)?;
    tracing::info!(first_frame_ms = since_start_ms(), "first frame drawn");
    let mut stacks_logged = false;

    let runner = effects::Runner::new(
        tx.clone(),
        filters,
        config.discovery.regions.clone(),
        config.discovery.profiles.clone(),
        aws_options(global, config),
    );
    runner.spawn(Effect::SwitchAws {
        profile: None,
        region: None,
    });

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut batch: Vec<Action> = Vec::new();
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    if let crossterm::event::Event::Resize(..) = ev {
                        batch.push(Action::Tick);
                    } else if let Some(a) = app.map_event(&ev) {
                        batch.push(a);
                    }
                }
                Some(Err(e)) => return Err(e).context("reading terminal events"),
                None => break,
            },
            Some(a) = rx.recv() => batch.push(a),
            _ = tick.tick() => batch.push(Action::Tick),
        }
        while let Ok(a) = rx.try_recv() {
            batch.push(a);
        }
        let mut pending: Vec<Action> = std::mem::take(&mut batch);
        while !pending.is_empty() {
            for action in std::mem::take(&mut pending) {
                for effect in app.update(action) {
                    match effect {
                        Effect::CopyToClipboard(text) => {
                            match clipboard::copy(term.backend_mut(), &text, config.ui.clipboard) {
                                Ok(()) => app.notify(Level::Info, "copied to the clipboard"),
                                Err(e) => app.notify(Level::Error, e),
                            }
                        }
                        Effect::CopyNamed { what, text } => {
                            match clipboard::copy(term.backend_mut(), &text, config.ui.clipboard) {
                                Ok(()) => app.notify(
                                    Level::Info,
                                    crate::app::copy::copied_note(what, &text),
                                ),
                                Err(e) => app.notify(Level::Error, e),
                            }
                        }
                        Effect::EditText {
                            target,
                            initial,
                            extension,
                        } => {
                            // The event reader must not compete with the editor for stdin.
                            drop(events);
                            let result = editor::edit(term, &initial, extension);
                            events = EventStream::new();
                            pending.push(Action::EditFinished { target, result });
                        }
                        other => runner.spawn(other),
                    }
                }
            }
        }
        if app.should_quit {
            break;
        }
        app.page_rows = ui::list_rows(term.size()?.height);
        draw(term, app, no_color)?;
        if !stacks_logged && !app.stacks.stacks.is_empty() {
            stacks_logged = true;
            tracing::info!(stacks_drawn_ms = since_start_ms(), "stack list drawn");
        }
    }
    Ok(())
}

/// Milliseconds since the process started.
fn since_start_ms() -> u128 {
    crate::STARTED.get().map_or(0, |t| t.elapsed().as_millis())
}

fn draw(term: &mut Term, app: &App, no_color: bool) -> anyhow::Result<()> {
    let theme = Theme::new(app.theme, no_color);
    term.draw(|f| ui::render(f, app, &theme))?;
    Ok(())
}
