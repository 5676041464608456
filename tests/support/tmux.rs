//! The real binary in a real terminal, for the end-to-end tests: a tmux
//! server of the test's own, the screen read with `capture-pane`, keys sent
//! with `send-keys`, the demo started and quit as an operator would, and the
//! event log read back. Waiting is for conditions, polled a bounded number
//! of times; nothing asserts on time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const SESSION: &str = "sb";
/// Polls of the screen before a wait gives up, and the pause between them.
pub const ATTEMPTS: u32 = 900;
pub const POLL: Duration = Duration::from_millis(100);

/// A tmux server of our own (its own socket), killed when dropped, also
/// when the test fails.
pub struct Tmux {
    socket: String,
    /// The socket file, removed at the end (tmux leaves it behind).
    socket_path: Option<PathBuf>,
}

impl Tmux {
    pub fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Start `command` (a shell line) in a detached 160x48 session.
    pub fn start(name: &str, command: &str) -> Tmux {
        let mut tmux = Tmux {
            socket: format!("shiftboss-e2e-{name}-{}", std::process::id()),
            socket_path: None,
        };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "48",
            "-s",
            SESSION,
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = tmux.run(&["display-message", "-p", "#{socket_path}"]);
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        tmux.socket_path = Some(PathBuf::from(path)).filter(|p| p.is_absolute());
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Press keys, tmux key names: `5`, `y`, `Enter`, `Escape`.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}");
    }

    /// Type text as it is (no key names).
    pub fn type_text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", SESSION, "-l", text]);
        assert!(out.status.success(), "send-keys -l {text:?}");
    }

    /// Poll the screen until `done` holds; the screen that satisfied it.
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..ATTEMPTS {
            screen = self.screen();
            if done(&screen) {
                return screen;
            }
            std::thread::sleep(POLL);
        }
        panic!("waited for {what}; the screen was:\n{screen}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The ids on the screen that start with `prefix` and four or more digits
/// (`P-0001`, `C-0012`), in screen order, without repeats.
pub fn ids(screen: &str, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (i, _) in screen.match_indices(prefix) {
        let digits: String = screen[i + prefix.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let before = screen[..i].chars().next_back();
        if digits.len() >= 4 && !before.is_some_and(|c| c.is_alphanumeric()) {
            let id = format!("{prefix}{digits}");
            if !found.contains(&id) {
                found.push(id);
            }
        }
    }
    found
}

pub fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// `demo` on the small scenario with 4 agents at 600x (a virtual minute
/// every 0.1 s, so the day's pause point shows after a few seconds) in a
/// tmux session `name`, with an empty config home (no user key file changes
/// the bindings): the folder, the state dir, the exit-code file, the session.
pub fn small_demo(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf, Tmux) {
    small_demo_at(name, 600)
}

/// The small demo at `speed`: slower for a test that must act while agents
/// still work (the small day lasts about two hours of swarm time).
pub fn small_demo_at(name: &str, speed: u32) -> (tempfile::TempDir, PathBuf, PathBuf, Tmux) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/small.toml");
    start_demo(name, temp(), &scenario, speed)
}

/// The same with the small scenario changed by `edit` (its text in, the
/// scenario to run out), written beside the state dir.
pub fn small_demo_edited(
    name: &str,
    edit: impl FnOnce(String) -> String,
) -> (tempfile::TempDir, PathBuf, PathBuf, Tmux) {
    let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/small.toml");
    let text = edit(std::fs::read_to_string(small).expect("the small scenario"));
    let tmp = temp();
    let scenario = tmp.path().join("scenario.toml");
    std::fs::write(&scenario, text).expect("write the scenario");
    start_demo(name, tmp, &scenario, 600)
}

fn temp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("shiftboss-e2e-")
        .tempdir()
        .expect("a temporary folder")
}

fn start_demo(
    name: &str,
    tmp: tempfile::TempDir,
    scenario: &Path,
    speed: u32,
) -> (tempfile::TempDir, PathBuf, PathBuf, Tmux) {
    let state: PathBuf = tmp.path().join("demo");
    let exit_file = tmp.path().join("exit-code");
    let config_home = tmp.path().join("config");
    std::fs::create_dir_all(&config_home).unwrap();
    let command = format!(
        "env XDG_CONFIG_HOME={} {} demo --scenario {} --agents 4 --state-dir {} --speed {speed}; echo $? > {}",
        quote(&config_home),
        quote(Path::new(BIN)),
        quote(scenario),
        quote(&state),
        quote(&exit_file),
    );
    let tmux = Tmux::start(name, &command);
    (tmp, state, exit_file, tmux)
}

/// `q`, and `y` when the console asks first (agents still work), until the
/// demo has written its exit code.
pub fn quit(tmux: &Tmux, exit_file: &Path) {
    tmux.keys(&["q"]);
    let mut asked = false;
    for _ in 0..ATTEMPTS {
        if exit_file.exists() {
            break;
        }
        if !asked && tmux.screen().contains("[y/n]") {
            tmux.keys(&["y"]);
            asked = true;
        }
        std::thread::sleep(POLL);
    }
}

pub struct Logged {
    pub actor: String,
    pub data: serde_json::Value,
}

pub fn events_of_kind(db: &Path, kind: &str) -> Vec<Logged> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the event log");
    let mut stmt = conn
        .prepare("SELECT actor, data FROM events WHERE kind = ?1 ORDER BY seq")
        .expect("query the event log");
    stmt.query_map([kind], |row| {
        let data: String = row.get(1)?;
        Ok(Logged {
            actor: row.get(0)?,
            data: serde_json::from_str(&data).expect("event data is JSON"),
        })
    })
    .expect("read events")
    .collect::<Result<_, _>>()
    .expect("read events")
}
