//! One owner per swarm, on a real repository with the real binary and a
//! real `command` agent: a second `up` (or `demo --state-dir` on the same
//! folder) is refused while the first runs, read-only commands and a
//! read-only console work beside it, `task add` goes through the owner, and
//! a `kill -9` leaves no stale lock. Every wait is for a condition, with a bound that fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
/// Generous: a loaded machine builds worktrees slowly.
const BOUND: Duration = Duration::from_secs(180);

/// An agent that says it started, then waits for the test's word.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
touch "$RELEASE.$SHIFTBOSS_TASK.started"
while [ ! -e "$RELEASE" ]; do
  # The test is gone (its folder removed): so is the reason to wait.
  [ -d "$(dirname "$RELEASE")" ] || exit 1
  sleep 0.1
done
mkdir -p src
echo "work on $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

fn sb(dir: &Path, args: &[&str], release: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("RELEASE", release)
        .output()
        .expect("run shiftboss")
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

/// Wait until `cond` holds; the owner must still be running meanwhile.
fn wait_for(what: &str, owner: &mut Child, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        if let Some(status) = owner.try_wait().unwrap() {
            panic!("the owner ended ({status}) before {what}");
        }
        assert!(start.elapsed() < BOUND, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(db: &Path, kind: &str, task: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(
        "SELECT count(*) FROM events WHERE kind = ?1 AND task = ?2",
        [kind, task],
        |r| r.get(0),
    )
    .unwrap()
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = tmp.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let release = tmp.path().join("release");
    ok(&sb(&repo, &["init"], &release));
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        format!(
            "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
             [agent]\ncommand = [\"{}\"]\npass_env = [\"RELEASE\"]\nstop_grace = \"1s\"\n\
             [watchdog]\ntick = \"1s\"\n[sandbox]\nrw = [\"{}\"]\n",
            agent.display(),
            tmp.path().display()
        ),
    )
    .unwrap();
    ok(&sb(
        &repo,
        &["task", "add", "First", "--id", "t-one", "--scope", "src/**"],
        &release,
    ));
    (tmp, repo, release)
}

#[test]
fn one_owner_refuses_a_second_hands_off_tasks_and_dies_without_a_stale_lock() {
    let (_tmp, repo, release) = setup();
    let db = repo.join(".shiftboss/state.db");
    let mut guard = Owner(
        Command::new(BIN)
            .args(["up", "--headless", "--until-idle", "--json"])
            .current_dir(&repo)
            .env("RELEASE", &release)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let owner = &mut guard.0;
    let pid = owner.id();
    let started = PathBuf::from(format!("{}.t-one.started", release.display()));
    wait_for("the agent to start", owner, || started.exists());
    assert_eq!(count(&db, "task_assigned", "t-one"), 1);

    // A second owner: one line naming the holder, exit 2, nothing started.
    // (Bounded runs, so that a second owner that did start ends and fails
    // the test rather than waiting on the agent.)
    for args in [
        vec!["up", "--headless", "--until", "5s"],
        vec![
            "demo",
            "--headless",
            "--until",
            "10m",
            "--state-dir",
            repo.to_str().unwrap(),
        ],
    ] {
        let out = sb(&repo, &args, &release);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(&format!("pid {pid}")), "{args:?}: {err}");
        assert!(err.contains("a swarm runs here already"), "{err}");
    }
    assert_eq!(
        count(&db, "task_assigned", "t-one"),
        1,
        "no second agent on the task"
    );

    // Read-only commands work beside the owner.
    let status = ok(&sb(&repo, &["status", "--json"], &release));
    assert!(status.contains("\"tasks_total\":1"), "{status}");
    ok(&sb(&repo, &["task", "list"], &release));
    readonly_console_beside_the_owner(&repo, owner);
    let out = sb(&repo, &["up", "--readonly", "--headless"], &release);
    assert_eq!(out.status.code(), Some(2), "a read-only run is a console");

    // `task add` goes through the owner's socket: the task is in the log
    // when it returns, and no hand-off file was needed.
    let out = ok(&sb(
        &repo,
        &["task", "add", "Late", "--id", "t-late", "--scope", "src/**"],
        &release,
    ));
    assert!(out.contains("added t-late"), "{out}");
    assert!(out.contains(&format!("pid {pid}")), "{out}");
    assert_eq!(count(&db, "task_added", "t-late"), 1);
    let inbox = repo.join(".shiftboss/inbox");
    assert!(
        std::fs::read_dir(&inbox).map_or(true, |mut d| d.next().is_none()),
        "no hand-off file"
    );
    // An id handed over and not yet taken in, or in the log, is taken.
    let out = sb(&repo, &["task", "add", "Again", "--id", "t-late"], &release);
    assert_eq!(out.status.code(), Some(2));

    // kill -9: the kernel drops the lock; an immediate `up` owns the swarm.
    std::fs::write(&release, "").unwrap();
    owner.kill().unwrap();
    owner.wait().unwrap();
    let sum: serde_json::Value = serde_json::from_str(&ok(&sb(
        &repo,
        &["up", "--headless", "--until-idle", "--json"],
        &release,
    )))
    .unwrap();
    assert_eq!(sum["merges"], 2, "{sum}");
    assert_eq!(count(&db, "task_added", "t-late"), 1, "added once");
    assert_eq!(count(&db, "task_added", "t-one"), 1, "added once");
}

#[test]
fn task_add_without_an_owner_writes_the_log_and_leaves_no_lock_held() {
    let (_tmp, repo, release) = setup();
    let db = repo.join(".shiftboss/state.db");
    assert_eq!(count(&db, "task_added", "t-one"), 1);
    assert!(!repo.join(".shiftboss/inbox").exists(), "no hand-off");
    // A hand-off left behind by an owner that ended before its next tick
    // is taken in when the next owner opens the swarm.
    let late = shiftboss::domain::TaskSpec {
        id: shiftboss::domain::TaskId::new("t-left"),
        title: "Left in the inbox".into(),
        spec: String::new(),
        convoy: shiftboss::domain::ConvoyId::new("backlog"),
        priority: 0,
        scope: vec!["src/**".into()],
        checks: vec![],
        after: vec![],
        tier: None,
        behaviour: None,
        issue: None,
        night: false,
    };
    shiftboss::swarm::inbox::hand_off(&repo.join(".shiftboss"), &[late]).unwrap();
    // The lock `task add` took is gone with it: an owner starts.
    std::fs::write(&release, "").unwrap();
    let sum: serde_json::Value = serde_json::from_str(&ok(&sb(
        &repo,
        &["up", "--headless", "--until-idle", "--json"],
        &release,
    )))
    .unwrap();
    assert_eq!(sum["merges"], 2, "{sum}");
    assert_eq!(count(&db, "task_added", "t-left"), 1);
}

#[test]
fn task_add_refused_for_bad_input_touches_no_lock_and_no_log() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let release = tmp.path().join("release");
    ok(&sb(&repo, &["init"], &release));
    let lock = repo.join(".shiftboss/owner.lock");
    let db = repo.join(".shiftboss/state.db");
    let refused = |args: &[&str]| {
        let out = sb(&repo, args, &release);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    };
    let bad: [&[&str]; 5] = [
        &["task", "add", "   "],
        &["task", "add", "Bad id", "--id", "../x"],
        &["task", "add", "No such", "--after", "t-none"],
        &["task", "add", "Bad scope", "--scope", "src/[x"],
        &["task", "import", "missing.toml"],
    ];
    for args in bad {
        refused(args);
        assert!(!lock.exists(), "{args:?} created the owner lock");
        assert!(!db.exists(), "{args:?} created the log");
    }
    // With a lock file left by an earlier holder, a refusal leaves its text.
    ok(&sb(
        &repo,
        &["task", "add", "First", "--id", "t-one"],
        &release,
    ));
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, "pid = 1\nsince = \"earlier\"\n").unwrap();
    for args in bad {
        refused(args);
    }
    refused(&["task", "add", "Again", "--id", "t-one"]);
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap(),
        "pid = 1\nsince = \"earlier\"\n",
        "was {text:?}"
    );
}

#[test]
fn init_force_beside_a_running_owner_is_refused_and_leaves_the_config() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let release = tmp.path().join("release");
    ok(&sb(&repo, &["init"], &release));
    let config = repo.join(".shiftboss/config.toml");
    let before = std::fs::read_to_string(&config).unwrap();
    // The owner lock, held by this process as an owner would hold it.
    let held = shiftboss::swarm::owner::OwnerLock::acquire(&repo.join(".shiftboss")).unwrap();
    let lock_text = std::fs::read_to_string(repo.join(".shiftboss/owner.lock")).unwrap();
    let out = sb(&repo, &["init", "--force"], &release);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    assert_eq!(
        std::fs::read_to_string(repo.join(".shiftboss/owner.lock")).unwrap(),
        lock_text
    );
    drop(held);
    ok(&sb(&repo, &["init", "--force"], &release));
}

#[test]
fn demo_on_a_swarm_of_real_agents_is_refused_before_anything_runs() {
    let (_tmp, repo, release) = setup();
    let db = repo.join(".shiftboss/state.db");
    let lock = std::fs::read_to_string(repo.join(".shiftboss/owner.lock")).unwrap();
    let head = |r: &Path| {
        let out = Command::new("git")
            .args(["rev-parse", "main"])
            .current_dir(r)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let main_before = head(&repo);
    let out = sb(
        &repo,
        &[
            "demo",
            "--headless",
            "--until",
            "2h",
            "--state-dir",
            repo.to_str().unwrap(),
        ],
        &release,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("swarm.runtime"), "{err}");
    assert_eq!(count(&db, "task_assigned", "t-one"), 0, "nothing simulated");
    assert_eq!(head(&repo), main_before, "nothing merged");
    assert_eq!(
        std::fs::read_to_string(repo.join(".shiftboss/owner.lock")).unwrap(),
        lock
    );
}

/// `up --readonly` in a real terminal (tmux) beside the owner: it folds the
/// log and shows the floor, read-only, and starts nothing. Skipped with a
/// line on stderr when tmux is not installed.
fn readonly_console_beside_the_owner(repo: &Path, owner: &mut Child) {
    let have_tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_tmux {
        eprintln!("skipped: the read-only console needs tmux");
        return;
    }
    let socket = format!("shiftboss-owner-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    };
    struct Kill<F: Fn(&[&str]) -> Output>(F);
    impl<F: Fn(&[&str]) -> Output> Drop for Kill<F> {
        fn drop(&mut self) {
            let _ = (self.0)(&["kill-server"]);
        }
    }
    let line = format!(
        "cd '{}' && '{BIN}' up --readonly; echo exited $?; sleep 600",
        repo.display()
    );
    let out = tmux(&[
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "48",
        "-s",
        "ro",
        &line,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tmux = Kill(tmux);
    let screen = || {
        String::from_utf8_lossy(&(tmux.0)(&["capture-pane", "-p", "-t", "ro"]).stdout).into_owned()
    };
    wait_for("the read-only console to draw", owner, || {
        let s = screen();
        assert!(!s.contains("exited"), "the read-only console ended:\n{s}");
        s.contains("read-only") && s.contains("builder-01")
    });
    (tmux.0)(&["send-keys", "-t", "ro", "q"]);
    wait_for("the read-only console to quit", owner, || {
        screen().contains("exited 0")
    });
}
