//! One owner, many consoles, with the real binary on a real repository and
//! a real `command` agent: a headless owner serves its socket; two consoles
//! attach in real terminals (tmux), one read-only; the writable one approves
//! the agent's pause point, both show it; both detach and the swarm finishes
//! on its own. A second headless owner is refused; a console of another
//! protocol is refused; a read-only connection's commands are refused by
//! the owner itself; a killed owner's socket is replaced by the next owner.
//! Every wait is for a condition (the screen, a file, the log), with a bound
//! that fails.

#[allow(dead_code)]
mod support;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use shiftboss::swarm::attach::{self, AttachError, wire};
use support::repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
/// Generous: a loaded machine builds worktrees slowly.
const BOUND: Duration = Duration::from_secs(180);

/// An agent that says it started, waits for the test's word, asks for a
/// pause point and waits for the answer; approved, it does its work.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
touch "$MARKS/$SHIFTBOSS_TASK.started"
while [ ! -e "$MARKS/go" ]; do
  [ -d "$MARKS" ] || exit 1
  sleep 0.1
done
echo "::pause::about to migrate the shared database"
while [ ! -e "$SHIFTBOSS_DECISION_FILE" ]; do
  [ -d "$MARKS" ] || exit 1
  sleep 0.1
done
word=$(cat "$SHIFTBOSS_DECISION_FILE")
rm -f "$SHIFTBOSS_DECISION_FILE"
[ "$word" = "approved" ] || exit 4
mkdir -p src
echo "migrated by $SHIFTBOSS_AGENT" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

struct Fixture {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    marks: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
        let marks = tmp.path().join("marks");
        std::fs::create_dir_all(&marks).unwrap();
        let agent = tmp.path().join("agent.sh");
        std::fs::write(&agent, AGENT).unwrap();
        std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
        let fx = Fixture {
            _tmp: tmp,
            repo,
            marks,
        };
        ok(&fx.sb(&["init"]));
        std::fs::write(
            fx.repo.join(".shiftboss/config.toml"),
            format!(
                "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
                 [agent]\ncommand = [\"{}\"]\npass_env = [\"MARKS\"]\nstop_grace = \"1s\"\n\
                 [watchdog]\ntick = \"1s\"\n[sandbox]\nmode = \"off\"\n",
                agent.display()
            ),
        )
        .unwrap();
        ok(&fx.sb(&[
            "task", "add", "Migrate", "--id", "t-mig", "--scope", "src/**",
        ]));
        fx
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(&self.repo)
            .env("MARKS", &self.marks);
        c
    }

    fn sb(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run shiftboss")
    }

    fn dir(&self) -> PathBuf {
        self.repo.join(".shiftboss")
    }

    fn socket(&self) -> PathBuf {
        attach::socket_path(&self.dir())
    }

    /// A headless owner, its summary on stdout.
    fn owner(&self) -> Owner {
        Owner(
            self.command(&["up", "--headless", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    fn started(&self) -> bool {
        self.marks.join("t-mig.started").exists()
    }
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The owner process, killed if the test ends early.
struct Owner(Child);

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Owner {
    /// Wait until `cond` holds; the owner must still be running meanwhile.
    fn wait_for(&mut self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            if let Some(status) = self.0.try_wait().unwrap() {
                panic!("the owner ended ({status}) before {what}");
            }
            assert!(start.elapsed() < BOUND, "gave up waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn running(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }

    /// Wait for the owner to end on its own; its summary.
    fn summary(&mut self) -> serde_json::Value {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                break s;
            }
            assert!(start.elapsed() < BOUND, "the owner did not end");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        self.0
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(status.success(), "the owner ended {status}: {out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

fn count(db: &Path, kind: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
        r.get(0)
    })
    .unwrap()
}

/// A tmux server of the test's own, one session per console; killed when
/// dropped, also when the test fails.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// A 160x48 session `name` running `line` (a shell line).
    fn session(&self, name: &str, line: &str) {
        let out = self.run(&[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "48",
            "-s",
            name,
            line,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn screen(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", name]).stdout).into_owned()
    }

    fn keys(&self, name: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", name];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }

    fn type_text(&self, name: &str, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", name, "-l", text])
                .status
                .success()
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

use support::tmux::ids;

/// A console of `shiftboss up` (with `extra` arguments) in tmux session
/// `name`; its exit code goes to `<marks>/<name>.exit`.
fn console(tmux: &Tmux, fx: &Fixture, name: &str, extra: &str) -> PathBuf {
    let exit = fx.marks.join(format!("{name}.exit"));
    let line = format!(
        "cd '{}' && MARKS='{}' '{BIN}' up {extra} 2> '{}'; echo $? > '{}'; sleep 600",
        fx.repo.display(),
        fx.marks.display(),
        fx.marks.join(format!("{name}.err")).display(),
        exit.display()
    );
    tmux.session(name, &line);
    exit
}

#[test]
fn two_consoles_attach_one_approves_both_see_it_and_the_swarm_finishes_without_them() {
    if !Tmux::available() {
        eprintln!("skipped: attached consoles need tmux (CI installs it)");
        return;
    }
    let fx = Fixture::new();
    let db = fx.dir().join("state.db");
    let mut owner = fx.owner();
    let pid = owner.0.id();
    owner.wait_for("the agent to start", || fx.started());
    owner.wait_for("the socket", || fx.socket().exists());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fx.socket()), 0o600, "the socket is the owner's only");
    assert_eq!(mode(fx.socket().parent().unwrap()), 0o700);

    // A second headless owner is refused: one line naming the holder.
    let out = fx.sb(&["up", "--headless", "--until", "5s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("pid {pid}")), "{err}");

    // Two consoles attach in real terminals; the second one read-only.
    let tmux = Tmux {
        socket: format!("shiftboss-attach-{}", std::process::id()),
    };
    let rw_exit = console(&tmux, &fx, "rw", "");
    let ro_exit = console(&tmux, &fx, "ro", "--readonly");
    for name in ["rw", "ro"] {
        owner.wait_for("both consoles to draw the swarm", || {
            let s = tmux.screen(name);
            assert!(!s.contains("exited"), "{name} ended:\n{s}");
            s.contains("builder-01")
        });
    }
    owner.wait_for("the read-only console to say so", || {
        tmux.screen("ro").contains("read-only")
    });

    // The agent asks; both consoles show the pause point.
    std::fs::write(fx.marks.join("go"), "").unwrap();
    let mut pause = String::new();
    for name in ["rw", "ro"] {
        owner.wait_for("the pause point on both screens", || {
            let found = ids(&tmux.screen(name), "P-");
            if let Some(p) = found.first() {
                pause = p.clone();
            }
            !found.is_empty()
        });
    }
    // The read-only console's keys change nothing.
    tmux.keys("ro", &["5", "g", "y"]);
    tmux.keys("ro", &[":"]);
    tmux.type_text("ro", &format!("approve {pause}"));
    tmux.keys("ro", &["Enter"]);
    owner.wait_for("the read-only console to refuse", || {
        tmux.screen("ro")
            .contains("approve: the console is read-only")
    });
    assert_eq!(
        count(&db, "pause_decided"),
        0,
        "nothing sent from read-only"
    );

    // The writable console approves it; the log has the operator's answer.
    tmux.keys("rw", &[":"]);
    tmux.type_text("rw", &format!("approve {pause}"));
    tmux.keys("rw", &["Enter"]);
    owner.wait_for("the approval in the log", || {
        count(&db, "pause_decided") == 1
    });
    // Both consoles show the task merged (its pause point answered).
    for name in ["rw", "ro"] {
        owner.wait_for("the task merged on both screens", || {
            let s = tmux.screen(name);
            ids(&s, "P-").is_empty() && s.contains("0 queued · 1 merged")
        });
    }
    assert!(
        owner.running(),
        "idle, the owner waits while consoles are attached"
    );

    // Both detach: `q` leaves the swarm running; with nobody attached and
    // nothing left to do, the owner ends on its own.
    tmux.keys("ro", &["q"]);
    owner.wait_for("the read-only console to detach", || ro_exit.exists());
    tmux.keys("rw", &["q"]);
    let start = Instant::now();
    while !rw_exit.exists() {
        assert!(start.elapsed() < BOUND, "{}", tmux.screen("rw"));
        std::thread::sleep(Duration::from_millis(50));
    }
    for (name, exit) in [("rw", &rw_exit), ("ro", &ro_exit)] {
        let code = std::fs::read_to_string(exit).unwrap();
        let err = std::fs::read_to_string(fx.marks.join(format!("{name}.err"))).unwrap();
        assert_eq!(code.trim(), "0", "{name}: {err}");
        assert!(
            err.contains("detached") || err.contains("ended"),
            "{name}: {err}"
        );
    }
    let sum = owner.summary();
    assert_eq!(sum["merges"], 1, "{sum}");
    assert!(!fx.socket().exists(), "the socket goes with the owner");
    let approved: (String, bool) = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT actor, json_extract(data, '$.approved') FROM events WHERE kind = 'pause_decided'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(approved, ("operator".to_string(), true));
}

#[test]
fn the_owner_refuses_another_protocol_and_a_read_only_connections_commands() {
    let fx = Fixture::new();
    let db = fx.dir().join("state.db");
    let mut owner = fx.owner();
    owner.wait_for("the agent to start", || fx.started());
    owner.wait_for("the socket", || fx.socket().exists());

    match attach::client::connect_speaking(&fx.dir(), wire::PROTOCOL + 1, false) {
        Err(AttachError::Refused { why, .. }) => {
            assert!(why.contains("attach protocol"), "{why}");
            assert!(!why.contains('\n'));
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("another protocol was welcome"),
    }

    // A read-only connection that sends anyway is refused by the owner.
    let mut ro = attach::connect(&fx.dir(), true).unwrap();
    assert_eq!(ro.pid, owner.0.id());
    assert!(ro.first.state.tasks.contains_key(&"t-mig".into()));
    ro.send(&wire::ToOwner::Command(Box::new(
        shiftboss::engine::Command::Freeze,
    )))
    .unwrap();
    let notice = ro.next_notice().unwrap().expect("a refusal");
    assert!(notice.contains("read-only"), "{notice}");
    ro.send(&wire::ToOwner::Stop).unwrap();
    let notice = ro.next_notice().unwrap().expect("a refusal");
    assert!(notice.contains("read-only"), "{notice}");
    assert_eq!(count(&db, "swarm_frozen"), 0);
    assert!(owner.running(), "a read-only console stops nothing");

    // `task add` goes through the socket: in the log when it returns.
    let out = ok(&fx.sb(&["task", "add", "Late", "--id", "t-late", "--scope", "src/**"]));
    assert!(out.contains("added t-late"), "{out}");
    assert!(out.contains(&format!("pid {}", owner.0.id())), "{out}");
    assert_eq!(count(&db, "task_added"), 2);
    let handed = std::fs::read_dir(fx.dir().join("inbox")).map(|d| d.count());
    assert!(matches!(handed, Ok(0) | Err(_)), "no hand-off file");

    // A writable one may stop the swarm: the agent is stopped, its work kept.
    let mut rw = attach::connect(&fx.dir(), false).unwrap();
    rw.send(&wire::ToOwner::Stop).unwrap();
    let sum = owner.summary();
    assert_eq!(sum["merges"], 0, "{sum}");
    assert!(!fx.socket().exists());
    while let Ok(Some(_)) = rw.recv() {}
}

#[test]
fn a_killed_owners_socket_is_replaced_by_the_next_owner() {
    let fx = Fixture::new();
    let mut owner = fx.owner();
    owner.wait_for("the agent to start", || fx.started());
    owner.wait_for("the socket", || fx.socket().exists());
    owner.0.kill().unwrap();
    owner.0.wait().unwrap();
    assert!(fx.socket().exists(), "a kill -9 leaves the socket behind");
    assert!(matches!(
        attach::connect(&fx.dir(), true),
        Err(AttachError::Connect { .. })
    ));
    std::fs::remove_file(fx.marks.join("t-mig.started")).unwrap();

    let mut next = fx.owner();
    next.wait_for("the agent to start again", || fx.started());
    let mut conn = None;
    next.wait_for("the new owner to take consoles", || {
        conn = attach::connect(&fx.dir(), false).ok();
        conn.is_some()
    });
    let mut conn = conn.unwrap();
    assert_eq!(conn.pid, next.0.id());
    conn.send(&wire::ToOwner::Stop).unwrap();
    next.summary();
}

#[test]
fn the_owners_console_detaches_and_an_attached_console_stops_the_swarm_when_confirmed() {
    if !Tmux::available() {
        eprintln!("skipped: consoles need tmux (CI installs it)");
        return;
    }
    let fx = Fixture::new();
    let tmux = Tmux {
        socket: format!("shiftboss-detach-{}", std::process::id()),
    };
    // The owner with its own console.
    let own_exit = console(&tmux, &fx, "own", "");
    let wait = |what: &str, cond: &mut dyn FnMut() -> bool| {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < BOUND,
                "gave up waiting for {what}; the screens:\n{}\n{}",
                tmux.screen("own"),
                tmux.screen("att")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait("the owner's console", &mut || {
        fx.started() && tmux.screen("own").contains("builder-01")
    });
    let lock = std::fs::read_to_string(fx.dir().join("owner.lock")).unwrap();
    let pid: u32 = lock
        .lines()
        .find_map(|l| l.strip_prefix("pid = "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{lock}"));
    let alive = || Path::new(&format!("/proc/{pid}")).exists();

    // `:detach`: the console goes, the swarm runs on in the same process.
    tmux.keys("own", &[":"]);
    tmux.type_text("own", "detach");
    tmux.keys("own", &["Enter"]);
    wait("the console to detach", &mut || {
        std::fs::read_to_string(fx.marks.join("own.err"))
            .is_ok_and(|e| e.contains("detached; the swarm runs on"))
    });
    assert!(alive(), "the owner outlives its console");
    assert!(!own_exit.exists(), "the owner runs on");

    // A console attaches; `:stop` asks first, `n` keeps the swarm.
    let att_exit = console(&tmux, &fx, "att", "");
    wait("the attached console", &mut || {
        tmux.screen("att").contains("builder-01")
    });
    tmux.keys("att", &[":"]);
    tmux.type_text("att", "stop");
    tmux.keys("att", &["Enter"]);
    wait("the question", &mut || {
        tmux.screen("att").contains("stop the swarm?")
    });
    tmux.keys("att", &["n"]);
    wait("the answer", &mut || {
        tmux.screen("att").contains("cancelled")
    });
    assert!(alive() && !att_exit.exists());
    tmux.keys("att", &[":"]);
    tmux.type_text("att", "stop");
    tmux.keys("att", &["Enter"]);
    wait("the question again", &mut || {
        tmux.screen("att").contains("stop the swarm?")
    });
    tmux.keys("att", &["y"]);
    wait("the attached console to end", &mut || att_exit.exists());
    wait("the owner to end", &mut || own_exit.exists());
    assert_eq!(std::fs::read_to_string(&own_exit).unwrap().trim(), "0");
    assert_eq!(std::fs::read_to_string(&att_exit).unwrap().trim(), "0");
    let said = std::fs::read_to_string(fx.marks.join("att.err")).unwrap();
    assert!(said.contains("is stopping"), "{said}");
    assert!(!fx.socket().exists(), "the socket goes with the owner");
    assert!(!alive());
}
