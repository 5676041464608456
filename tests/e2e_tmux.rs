//! The real binary in a real terminal (level 3 of the style guide's tests):
//! `shiftboss demo` on the small scenario runs inside tmux, the test reads
//! the screen with `capture-pane` and types with `send-keys` as an operator
//! would, and the event log on disk must record what the operator did.
//!
//! Waiting is for conditions on the screen, polled a bounded number of
//! times; nothing here asserts on time. The test skips (with a line on
//! stderr) only when tmux is not installed; CI installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const SESSION: &str = "sb";
/// Polls of the screen before a wait gives up, and the pause between them.
const ATTEMPTS: u32 = 900;
const POLL: Duration = Duration::from_millis(100);

/// A tmux server of our own (its own socket), killed when dropped, also
/// when the test fails.
struct Tmux {
    socket: String,
    /// The socket file, removed at the end (tmux leaves it behind).
    socket_path: Option<PathBuf>,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Start `command` (a shell line) in a detached 160x48 session.
    fn start(name: &str, command: &str) -> Tmux {
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

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// The screen as text, one line per row.
    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Press keys, tmux key names: `5`, `y`, `Enter`, `Escape`.
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}");
    }

    /// Type text as it is (no key names).
    fn type_text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", SESSION, "-l", text]);
        assert!(out.status.success(), "send-keys -l {text:?}");
    }

    /// Poll the screen until `done` holds; the screen that satisfied it.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
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
fn ids(screen: &str, prefix: &str) -> Vec<String> {
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

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// `demo` on the small scenario with 4 agents at 600x (a virtual minute
/// every 0.1 s, so the day's pause point shows after a few seconds) in a
/// tmux session `name`, with an empty config home (no user key file changes
/// the bindings): the folder, the state dir, the exit-code file, the session.
fn small_demo(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf, Tmux) {
    let tmp = tempfile::Builder::new()
        .prefix("shiftboss-e2e-")
        .tempdir()
        .expect("a temporary folder");
    let state: PathBuf = tmp.path().join("demo");
    let exit_file = tmp.path().join("exit-code");
    let config_home = tmp.path().join("config");
    std::fs::create_dir_all(&config_home).unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/small.toml");
    let command = format!(
        "env XDG_CONFIG_HOME={} {} demo --scenario {} --agents 4 --state-dir {} --speed 600; echo $? > {}",
        quote(&config_home),
        quote(Path::new(BIN)),
        quote(&scenario),
        quote(&state),
        quote(&exit_file),
    );
    let tmux = Tmux::start(name, &command);
    (tmp, state, exit_file, tmux)
}

/// `q`, and `y` when the console asks first (agents still work), until the
/// demo has written its exit code.
fn quit(tmux: &Tmux, exit_file: &Path) {
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

struct Logged {
    actor: String,
    data: serde_json::Value,
}

fn events_of_kind(db: &Path, kind: &str) -> Vec<Logged> {
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

#[test]
fn operator_approves_a_pause_and_dismisses_a_concern_from_the_keyboard() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed (CI installs it; see .ci/run)");
        return;
    }
    let (_tmp, state, exit_file, tmux) = small_demo("inbox");

    // A pause point shows up; focus the inbox, go to its top row (pause
    // points come first) and approve it.
    let screen = tmux.wait_for("a pause point on screen", |s| !ids(s, "P-").is_empty());
    let pauses_seen = ids(&screen, "P-");
    tmux.keys(&["5", "g", "y"]);

    // A concern: its row is below the pause points, so the last row of the
    // inbox is one. `d` opens the reason prompt, which echoes what is typed.
    // The marker is typed first and holds only keys bound to nothing, so
    // if `d` opened no prompt (a pause was selected), typing it is harmless
    // and the test tries again.
    let marker = "zeb67";
    let reason = "e2e: a known flake";
    let mut concerns_seen = Vec::new();
    let mut prompt_open = false;
    for _ in 0..20 {
        let screen = tmux.wait_for("a concern on screen", |s| !ids(s, "C-").is_empty());
        concerns_seen.extend(ids(&screen, "C-"));
        tmux.keys(&["G", "d"]);
        tmux.type_text(marker);
        let mut seen = false;
        for _ in 0..50 {
            if tmux.screen().contains(marker) {
                seen = true;
                break;
            }
            std::thread::sleep(POLL);
        }
        if seen {
            prompt_open = true;
            break;
        }
    }
    assert!(
        prompt_open,
        "d on the last inbox row never opened a reason prompt; the screen was:\n{}",
        tmux.screen()
    );
    // Replace the marker with the reason, then send it.
    for _ in 0..marker.len() {
        tmux.keys(&["BSpace"]);
    }
    tmux.type_text(reason);
    tmux.wait_for("the reason typed into the prompt", |s| s.contains(reason));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the prompt closed", |s| !s.contains(reason));

    // Quit; while agents work the console asks first.
    quit(&tmux, &exit_file);
    let code = std::fs::read_to_string(&exit_file).unwrap_or_else(|_| {
        panic!(
            "shiftboss did not exit after q; the screen was:\n{}",
            tmux.screen()
        )
    });
    assert_eq!(code.trim(), "0", "shiftboss demo's exit code");
    drop(tmux);

    // The event log recorded both decisions as the operator's.
    let db = state.join(".shiftboss/state.db");
    let approved: Vec<Logged> = events_of_kind(&db, "pause_decided")
        .into_iter()
        .filter(|e| e.data["approved"] == serde_json::Value::Bool(true))
        .collect();
    assert_eq!(approved.len(), 1, "one pause approved");
    assert_eq!(approved[0].actor, "operator");
    let id = approved[0].data["id"].as_str().unwrap_or_default();
    assert!(
        pauses_seen.iter().any(|p| p == id),
        "the approved pause {id} was on screen: {pauses_seen:?}"
    );

    let disposed = events_of_kind(&db, "concern_disposed");
    let dismissed: Vec<&Logged> = disposed
        .iter()
        .filter(|e| e.data["disposition"]["reason"] == reason)
        .collect();
    assert_eq!(
        dismissed.len(),
        1,
        "one concern dismissed with the reason; concern_disposed events: {:?}",
        disposed.iter().map(|e| &e.data).collect::<Vec<_>>()
    );
    assert_eq!(dismissed[0].actor, "operator");
    assert_eq!(dismissed[0].data["disposition"]["disposition"], "dismissed");
    let id = dismissed[0].data["id"].as_str().unwrap_or_default();
    assert!(
        concerns_seen.iter().any(|c| c == id),
        "the dismissed concern {id} was on screen: {concerns_seen:?}"
    );
}

/// The seq of the session end the operator's kill made for `agent`.
fn killed_seq(db: &Path, agent: &str) -> Option<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.query_row(
        "SELECT seq FROM events WHERE kind = 'session_ended' AND agent = ?1
           AND json_extract(data, '$.reason') = 'killed by the operator'",
        [agent],
        |r| r.get(0),
    )
    .ok()
}

/// The seq of the first event of `kind` whose agent is `agent` after `after`,
/// if there is one yet.
fn seq_after(db: &Path, kind: &str, agent: &str, after: i64) -> Option<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.query_row(
        "SELECT seq FROM events WHERE kind = ?1 AND agent = ?2 AND seq > ?3 ORDER BY seq LIMIT 1",
        rusqlite::params![kind, agent, after],
        |r| r.get(0),
    )
    .ok()
}

#[test]
fn operator_acts_on_a_filtered_row_and_a_killed_agent_takes_new_work() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed (CI installs it; see .ci/run)");
        return;
    }
    let (_tmp, state, exit_file, tmux) = small_demo("filter");
    let db = state.join(".shiftboss/state.db");

    // Filter the inbox to one pause point; Enter keeps the filter, and `y`
    // approves the one row it leaves.
    let screen = tmux.wait_for("a pause point on screen", |s| !ids(s, "P-").is_empty());
    let pause = ids(&screen, "P-").remove(0);
    tmux.keys(&["5", "/"]);
    tmux.type_text(&pause);
    tmux.keys(&["Enter"]);
    tmux.keys(&["y"]);
    let mut approved = Vec::new();
    for _ in 0..ATTEMPTS {
        approved = events_of_kind(&db, "pause_decided");
        if !approved.is_empty() {
            break;
        }
        std::thread::sleep(POLL);
    }
    assert_eq!(approved.len(), 1, "one pause decided");
    assert_eq!(approved[0].data["id"], pause.as_str(), "the filtered row's");
    assert_eq!(approved[0].data["approved"], true);
    assert_eq!(approved[0].actor, "operator");
    tmux.keys(&["Escape"]);

    // Kill an agent's session from the command line; the agent stays in the
    // pool and takes new work. (An agent between tasks has no session to
    // kill: the next one is tried.)
    let mut killed = None;
    'agents: for _ in 0..20 {
        for n in 1..=4 {
            let agent = format!("builder-0{n}");
            tmux.keys(&[":"]);
            tmux.type_text(&format!("kill {agent}"));
            tmux.keys(&["Enter"]);
            // Sent at once from the command line, or after a y/n question.
            for _ in 0..20 {
                if tmux.screen().contains("[y/n]") {
                    tmux.keys(&["y"]);
                }
                if let Some(seq) = killed_seq(&db, &agent) {
                    killed = Some((agent, seq));
                    break 'agents;
                }
                std::thread::sleep(POLL);
            }
        }
    }
    let (agent, at) = killed.expect("a kill was accepted");
    let mut again = None;
    for _ in 0..ATTEMPTS {
        again = seq_after(&db, "task_assigned", &agent, at);
        if again.is_some() {
            break;
        }
        std::thread::sleep(POLL);
    }
    assert!(
        again.is_some(),
        "{agent} took new work after its session was killed"
    );
    assert!(
        seq_after(&db, "agent_retired", &agent, 0).is_none(),
        "a kill does not retire the agent"
    );

    quit(&tmux, &exit_file);
    let code = std::fs::read_to_string(&exit_file).unwrap_or_else(|_| {
        panic!(
            "shiftboss did not exit after q; the screen was:\n{}",
            tmux.screen()
        )
    });
    assert_eq!(code.trim(), "0", "shiftboss demo's exit code");
}

#[test]
fn ids_are_read_from_screen_text() {
    let screen = "│P-0001 about\n┃C-0002 x C-0002, TC-0003 P-01 P-12345";
    assert_eq!(ids(screen, "P-"), vec!["P-0001", "P-12345"]);
    assert_eq!(ids(screen, "C-"), vec!["C-0002"]);
}

#[test]
fn operator_writes_mail_and_follows_an_agents_output_from_the_command_line() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed (CI installs it; see .ci/run)");
        return;
    }
    let (_tmp, state, exit_file, tmux) = small_demo("mail");
    tmux.wait_for("agents at work", |s| s.contains("builder-01"));
    let text = "e2e: read docs/sessions.md first";
    tmux.keys(&[":"]);
    tmux.type_text(&format!("mail builder-02 {text}"));
    tmux.wait_for("the mail typed", |s| s.contains(text));
    tmux.keys(&["Enter"]);
    // Its output: a simulated agent keeps no transcript, and says so.
    tmux.keys(&[":"]);
    tmux.type_text("logs builder-02");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the output view", |s| {
        s.contains("output of builder-02") && s.contains("no transcript")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the floor again", |s| !s.contains("output of builder-02"));
    quit(&tmux, &exit_file);
    drop(tmux);
    let db = state.join(".shiftboss/state.db");
    let sent = events_of_kind(&db, "mail_sent");
    assert_eq!(sent.len(), 1, "one mail sent");
    assert_eq!(sent[0].actor, "operator");
    assert_eq!(sent[0].data["text"], text);
    assert_eq!(sent[0].data["to"], serde_json::json!(["builder-02"]));
}
