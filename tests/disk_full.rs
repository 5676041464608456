//! A full disk is weather: a swarm of real `command` agents on a small
//! tmpfs that fills up after the first merge pauses with one concern, burns
//! no attempt, resumes by itself when the space is freed, and every task
//! still merges, with a consistent log.
//!
//! The tmpfs is mounted inside its own mount namespace (`unshare -m`): the
//! test re-runs itself there, so a failed run leaves no mount behind. Needs
//! root and `unshare` (util-linux); without them it says so and skips, and
//! under `CI` it fails.

#[allow(dead_code)]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::drill::{self, BIN, add_tasks, assert_ok, init_with, write_agent};
use support::repo::{git, repo_at};

const TEST: &str = "a_full_disk_pauses_the_swarm_and_it_resumes_by_itself";
const INSIDE: &str = "SHIFTBOSS_TEST_TMPFS";
const TASKS: [&str; 4] = ["t-one", "t-two", "t-three", "t-four"];

/// Writes its file (and a bit more, so a full disk hurts), then exits. On
/// `t-two`'s first run it waits for the test to fill the disk, so its own
/// write fails for want of space and it exits with an error, as an agent
/// would. Its marks live outside the tmpfs.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src
if [ "$SHIFTBOSS_TASK" = t-two ] && [ ! -e "$AGENT_MARKS/failed" ]; then
  touch "$AGENT_MARKS/started"
  n=0; while [ ! -e "$AGENT_MARKS/full" ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n+1)); done
  if ! head -c 2000000 /dev/zero > "src/$SHIFTBOSS_TASK.bulk"; then
    touch "$AGENT_MARKS/failed"; exit 4
  fi
fi
head -c 200000 /dev/zero | tr '\0' x > "src/$SHIFTBOSS_TASK.bulk" || exit 4
echo "work of $SHIFTBOSS_AGENT on $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt" || exit 4
echo "::done::wrote src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

#[test]
fn a_full_disk_pauses_the_swarm_and_it_resumes_by_itself() {
    if let Some(dir) = std::env::var_os(INSIDE) {
        return inside(Path::new(&dir));
    }
    // SAFETY: geteuid has no preconditions.
    let root = rustix::process::geteuid().is_root();
    let unshare = Command::new("unshare").arg("--version").output().is_ok();
    if !root || !unshare {
        let why = "needs root and unshare (util-linux) to mount a tmpfs";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let me = std::env::current_exe().unwrap();
    let status = Command::new("unshare")
        .args([
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            r#"mount -t tmpfs -o size=32m tmpfs "$1" && exec "$2" --exact "$3" --nocapture"#,
            "sh",
        ])
        .arg(&mnt)
        .arg(&me)
        .arg(TEST)
        .env(INSIDE, &mnt)
        .status()
        .unwrap();
    assert!(status.success(), "the run on the tmpfs failed: {status}");
}

struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Wait for `cond` (polled), failing the test after a generous bound.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fill the file system holding `path` until a write fails.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) => {
                assert_eq!(
                    e.raw_os_error(),
                    Some(rustix::io::Errno::NOSPC.raw_os_error()),
                    "{e}"
                );
                break;
            }
        }
    }
    let _ = f.sync_all();
    written
}

fn inside(dir: &Path) {
    // Beside the tmpfs, on the disk that does not fill.
    let marks_dir = tempfile::tempdir().unwrap();
    let marks = marks_dir.path();
    // The mount is ours: a tmpfs of 32 MB.
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(
        mounts
            .lines()
            .any(|l| l.starts_with("tmpfs ") && l.contains(&*dir.to_string_lossy())),
        "{} is not a tmpfs here",
        dir.display()
    );
    let repo: PathBuf = dir.join("repo");
    repo_at(&repo, &[("README.md", "hello\n")]);
    let agent = write_agent(dir, AGENT);
    let sb = |args: &[&str]| {
        let out = drill::run(&repo, args, &[]);
        assert_ok(&out);
        out
    };
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\npass_env = [\"AGENT_MARKS\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n[sandbox]\nrw = [\"{}\"]\n",
        agent.display(),
        marks.display()
    );
    init_with(&repo, &config);
    add_tasks(&repo, &TASKS);

    let mut child = Command::new(BIN)
        .args(["up", "--headless", "--until-idle", "--json"])
        .current_dir(&repo)
        .env("AGENT_MARKS", marks)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // A failed assertion below must not leave shiftboss running.
    let mut guard = KillOnDrop(Some(child));
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });

    // After the first merge, with t-two's agent at work, the disk fills up.
    let merges = |repo: &Path| {
        git(repo, &["rev-list", "--count", "--merges", "main"])
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    wait_for("the first merge", || merges(&repo) >= 1);
    wait_for("t-two's agent at work", || marks.join("started").exists());
    let filler = dir.join("filler");
    let filled = fill(&filler);
    assert!(filled > 0);
    std::fs::write(marks.join("full"), "").unwrap();
    // The agent's write failed, and shiftboss says the disk is full (the
    // log itself may not take it until space returns).
    wait_for("the agent's write to fail", || {
        marks.join("failed").exists()
    });
    let mut seen = Vec::new();
    wait_for("shiftboss to say the disk is full", || {
        while let Ok(l) = rx.try_recv() {
            seen.push(l);
        }
        seen.iter().any(|l| l.contains("disk full:"))
    });
    std::fs::remove_file(&filler).unwrap();

    let out = guard.0.take().unwrap().wait_with_output().unwrap();
    let stderr = reader.join().unwrap();
    assert!(out.status.success(), "{stderr}");
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], TASKS.len(), "{sum}\n{stderr}");
    assert!(stderr.contains("space returned"), "{stderr}");
    for t in TASKS {
        let text = git(&repo, &["show", &format!("main:src/{t}.txt")]);
        assert!(text.contains(t), "{t}: {text}");
    }

    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    // One concern, resolved when space returned.
    assert_eq!(
        count(
            "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND json_extract(data,'$.summary') LIKE 'disk full:%'"
        ),
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE kind = 'disk_full'"),
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE kind = 'disk_space_returned'"),
        1
    );
    // No attempt burned, nothing failed.
    assert_eq!(
        count(
            "SELECT max(json_extract(data,'$.attempt')) FROM events WHERE kind = 'task_assigned'"
        ),
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE kind = 'task_failed'"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM tasks WHERE status = 'merged'"),
        TASKS.len() as i64
    );
    // The log is whole: no gap in its sequence, and it reads back.
    assert_eq!(
        count("SELECT max(seq) FROM events"),
        count("SELECT count(*) FROM events")
    );
    // t-two's failed run was set back without counting.
    assert_eq!(
        count("SELECT count(*) FROM events WHERE kind = 'attempt_returned' AND task = 't-two'"),
        1,
        "{stderr}"
    );
    drop(conn);
    let status = sb(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(status.is_object(), "{status}");
}

/// A gate that fails with "No space left on device" in its output while the
/// repository's disk has room (its own temp folder was full, or its test
/// prints those words) is the work's failure, not weather: the task is
/// rejected, no disk-full concern is raised, and `--until-idle` ends instead
/// of re-running the gate at every tick.
#[test]
fn a_gate_that_says_no_space_on_a_disk_with_room_is_a_rejection() {
    let (tmp, repo) = support::repo::new_repo(&[("README.md", "hello\n")]);
    let agent = tmp.path().join("agent.sh");
    std::fs::write(
        &agent,
        "#!/bin/sh\ncat > /dev/null\nmkdir -p src\necho w > src/$SHIFTBOSS_TASK.txt\necho '::done::ok'\n",
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap()
    };
    assert!(run(&["init"]).status.success());
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        format!(
            "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
             [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
             [watchdog]\ntick = \"1s\"\n\
             [gates]\ncommands = [\"echo 'write /tmp/t/x: No space left on device (os error 28)'; exit 1\"]\nmax_rejections = 1\n",
            agent.display()
        ),
    )
    .unwrap();
    let out = run(&["task", "add", "Do it", "--id", "t-1", "--scope", "src/**"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child = Command::new(BIN)
        .args(["up", "--headless", "--until-idle"])
        .current_dir(&repo)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(Some(child));
    let mut status = None;
    wait_for("the run to end", || {
        status = child.0.as_mut().unwrap().try_wait().unwrap();
        status.is_some()
    });
    child.0 = None;
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let count = |kind: &str| -> i64 {
        conn.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(count("disk_full"), 0, "no disk-full weather");
    assert!(count("gate_finished") >= 1);
    let st: String = conn
        .query_row("SELECT status FROM tasks WHERE id = 't-1'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_ne!(st, "merged");
    assert_ne!(st, "gating", "the gate's failure counted");
}
