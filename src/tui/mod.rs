//! The console. The swarm runs on its own thread and hands over owned
//! snapshots when something changed; the console draws them and sends
//! operator commands back. Drawing never waits on I/O, happens only when
//! something changed (coalesced, at most about 60 times a second), and an
//! idle console sleeps in a blocking receive.

pub mod action;
pub mod app;
mod attached;
pub mod command_line;
pub mod detail;
pub mod floor;
pub mod format;
pub mod glyphs;
pub mod header;
pub mod load;
pub mod panes;
pub mod review;
pub mod screenshot;
pub mod term;
pub mod theme;

#[cfg(test)]
mod same_refusals;

pub use attached::{Detached, attach};

use crate::swarm::watch::Watcher;
use crate::swarm::{Published, RunOptions, Summary, Swarm, SwarmError};
use action::{Key, KeyMap};
use app::{App, Ending};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use std::io::stdout;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use theme::Theme;

/// The shortest time between two frames.
const FRAME: Duration = Duration::from_millis(16);

pub struct ConsoleOptions {
    pub theme: Theme,
    pub keys: KeyMap,
    pub readonly: bool,
    /// The swarm's `.shiftboss/` (its transcripts, for following an agent).
    pub dir: Option<std::path::PathBuf>,
    /// Where the review screens read the log and record reviews.
    pub review: Option<crate::review::screen::Source>,
    pub glyphs: glyphs::Glyphs,
}

enum UiMsg {
    Published(Published),
    Term(Event),
    /// The terminal hung up or was closed: nobody is left to watch.
    TermGone,
    /// The swarm ended (stopped from an attached console, or its owner
    /// went): there is nothing left to show.
    SwarmGone,
}

/// Run the console on `swarm` until the operator quits. Returns the summary
/// of the run.
pub fn run(mut swarm: Swarm, run: RunOptions, opts: ConsoleOptions) -> Result<Summary, SwarmError> {
    let (ui_tx, ui_rx) = mpsc::channel::<UiMsg>();
    let commands = swarm.commands();
    let tx = ui_tx.clone();
    swarm.observe(Box::new(move |p| {
        let _ = tx.send(UiMsg::Published(p));
    }));
    let mut app = App::new(swarm.snapshot(), opts.theme, opts.keys, opts.readonly);
    app.dir = opts.dir;
    app.review_source = opts.review;
    let done = ui_tx.clone();
    app.glyphs = opts.glyphs;

    let engine = std::thread::Builder::new()
        .name("shiftboss-engine".into())
        .spawn(move || -> Result<Summary, SwarmError> {
            let ran = swarm.run(&run).and_then(|summary| {
                // The day is over: the operator may still act on what is
                // left until the console closes (or, detached, until the
                // swarm is stopped).
                swarm.serve_until_closed()?;
                Ok(summary)
            });
            let _ = done.send(UiMsg::SwarmGone);
            ran
        })
        .expect("spawn the engine thread");

    let outcome = console_loop(app, ui_tx, ui_rx, |cmd| {
        commands.send(cmd);
    });
    if matches!(outcome, Ok(Ending::Detach)) {
        detach();
    } else {
        commands.close();
    }
    let summary = engine.join().expect("the engine thread ends");
    outcome?;
    summary
}

/// The owner's console detached: the swarm runs on in this process, headless,
/// until it is stopped (`:stop` from an attached console, or a stop signal).
fn detach() {
    eprintln!(
        "shiftboss: detached; the swarm runs on (pid {}): `shiftboss up` here attaches a console, `:stop` in it stops the swarm",
        std::process::id()
    );
    crate::swarm::stop_on_signals();
    crate::sys::outlive_terminal();
}

/// A `--readonly` console on the log of this swarm: it follows what the
/// owner writes (looking twice a second, drawing only on change) and
/// sends nothing. No scheduler runs here.
pub fn watch(mut watcher: Watcher, opts: ConsoleOptions) -> Result<(), SwarmError> {
    let (ui_tx, ui_rx) = mpsc::channel::<UiMsg>();
    let mut app = App::new(watcher.snapshot(), opts.theme, opts.keys, true);
    app.dir = opts.dir;
    app.review_source = opts.review;
    app.glyphs = opts.glyphs;
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let tx = ui_tx.clone();
    let follower = std::thread::Builder::new()
        .name("shiftboss-watch".into())
        .spawn(move || -> Result<(), SwarmError> {
            while let Err(RecvTimeoutError::Timeout) = stop_rx.recv_timeout(WATCH_EVERY) {
                if watcher.poll()?
                    && tx
                        .send(UiMsg::Published(Published::Snapshot(Box::new(
                            watcher.snapshot(),
                        ))))
                        .is_err()
                {
                    break;
                }
            }
            Ok(())
        })
        .expect("spawn the watch thread");
    let outcome = console_loop(app, ui_tx, ui_rx, |_| {});
    drop(stop_tx);
    follower.join().expect("the watch thread ends")?;
    outcome.map(|_| ())
}

/// How often a read-only console looks for new events in the log.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// The console's loop: draw on change, at most once a frame; keys to the
/// app; its commands to `send`. Ends when the operator quits.
fn console_loop(
    mut app: App,
    ui_tx: mpsc::Sender<UiMsg>,
    ui_rx: mpsc::Receiver<UiMsg>,
    mut send: impl FnMut(crate::engine::Command),
) -> Result<Ending, SwarmError> {
    start_input(ui_tx);
    let mut terminal = open_terminal();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    loop {
        if dirty {
            let wait = last_draw
                .map(|t| FRAME.saturating_sub(t.elapsed()))
                .unwrap_or_default();
            if wait.is_zero() {
                let _ = execute!(stdout(), BeginSynchronizedUpdate);
                let _ = terminal.draw(|f| floor::draw(&app, f.area(), f.buffer_mut()));
                let _ = execute!(stdout(), EndSynchronizedUpdate);
                dirty = false;
                last_draw = Some(Instant::now());
            }
        }
        let Some(pending) = next_messages(&ui_rx, dirty, last_draw) else {
            break;
        };
        for m in pending {
            dirty |= handle(&mut app, m, &mut terminal);
        }
        for cmd in app.outbox.drain(..) {
            send(cmd);
        }
        if app.quit {
            break;
        }
    }
    // Errors ignored: a terminal that hung up cannot be restored, and saying
    // so would write to it (as dropping a terminal whose cursor could not be
    // shown would).
    let _ = terminal.show_cursor();
    std::mem::forget(terminal);
    let _ = ratatui::try_restore();
    Ok(app.ending)
}

/// Terminal input, and the terminal hanging up, into the console's channel
/// (from threads of their own).
fn start_input(ui_tx: mpsc::Sender<UiMsg>) {
    // A terminal that hangs up ends the console (its input would only spin).
    let gone = ui_tx.clone();
    term::watch_hangup(move || {
        let _ = gone.send(UiMsg::TermGone);
    });
    let tx = ui_tx;
    std::thread::Builder::new()
        .name("shiftboss-input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                if tx.send(UiMsg::Term(ev)).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the input thread");
}

/// What came in: with a frame to draw, what arrives before it is due;
/// with nothing to draw, sleep until something happens. `None`: the
/// channel is closed.
fn next_messages(
    ui_rx: &mpsc::Receiver<UiMsg>,
    dirty: bool,
    last_draw: Option<Instant>,
) -> Option<Vec<UiMsg>> {
    let msg = if dirty {
        let wait = last_draw
            .map(|t| FRAME.saturating_sub(t.elapsed()))
            .unwrap_or_default();
        match ui_rx.recv_timeout(wait) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    } else {
        Some(ui_rx.recv().ok()?)
    };
    let mut pending = msg.into_iter().collect::<Vec<_>>();
    pending.extend(ui_rx.try_iter());
    Some(pending)
}

/// One message to the app; whether the screen needs drawing again.
fn handle(
    app: &mut App,
    m: UiMsg,
    terminal: &mut ratatui::Terminal<term::Sized<std::io::Stdout>>,
) -> bool {
    match m {
        UiMsg::Published(Published::Snapshot(s)) => app.set_snapshot(*s),
        UiMsg::Published(Published::Notice(n)) => app.notice = Some(n),
        UiMsg::Term(Event::Key(k)) if k.kind == KeyEventKind::Press => {
            if k.code == KeyCode::Char('z') && k.modifiers.contains(KeyModifiers::CONTROL) {
                ratatui::restore();
                suspend();
                *terminal = open_terminal();
                let _ = terminal.clear();
            } else if let Some(key) = Key::from_event(&k) {
                app.key(key);
            }
        }
        UiMsg::Term(Event::Resize(..)) => {}
        UiMsg::Term(_) => return false,
        UiMsg::TermGone => {
            app.quit = true;
            return false;
        }
        UiMsg::SwarmGone => {
            app.ending = Ending::Gone;
            app.quit = true;
            return false;
        }
    }
    true
}

/// Raw mode and the alternate screen (as `ratatui::init`), drawn through a
/// backend that reads the size by ioctl only.
fn open_terminal() -> ratatui::Terminal<term::Sized<std::io::Stdout>> {
    drop(ratatui::init());
    ratatui::Terminal::new(term::Sized::new(stdout())).expect("a terminal of a known size")
}

/// Ctrl-z: give the terminal back and stop until `fg`.
fn suspend() {
    let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
}
