//! Attached consoles: how soon a console attached over the owner's socket
//! has the snapshot of an event (goal ≤ 50 ms), and the owner's CPU with
//! two consoles attached and 30 quiet agents (goal ≤ 0.5 % of a core).
//!
//! The real binary runs `up --headless` on a repository made here, with 30
//! `command` agents that start and then wait in silence. Two consoles attach
//! through the library's client. The latency: one console sends a command
//! (a convoy held, then released), and the clock stops when the other
//! console receives the snapshot that shows it. The CPU: the owner's utime +
//! stime from /proc/<pid>/stat over a window, as a share of one core,
//! printed before divan runs. Linux only; a benchmark reports, it asserts
//! nothing.
//!
//! `cargo bench --bench attach`  (ATTACH_SECONDS=N changes the window, default 10)

use shiftboss::domain::ConvoyId;
use shiftboss::engine::Command as Op;
use shiftboss::swarm::attach::{self, Connection, wire::ToConsole, wire::ToOwner};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const AGENTS: usize = 30;

/// An agent that starts, says so, and waits without a word.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
touch "$MARKS/$SHIFTBOSS_TASK.started"
while [ ! -e "$MARKS/done" ]; do
  [ -d "$MARKS" ] || exit 1
  sleep 1
done
exit 0
"#;

struct Owner {
    _tmp: tempfile::TempDir,
    child: Child,
    /// The console that sends, and the one that watches.
    sender: Connection,
    watcher: Connection,
    /// Whether the convoy is held now.
    held: bool,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sh(dir: &Path, args: &[&str]) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

static OWNER: LazyLock<Mutex<Owner>> = LazyLock::new(|| Mutex::new(start()));

fn start() -> Owner {
    let tmp = tempfile::Builder::new()
        .prefix("shiftboss-attach-")
        .tempdir()
        .unwrap();
    let repo = tmp.path().join("repo");
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&marks).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "hello\n").unwrap();
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "-qm",
            "start",
        ],
    );
    let agent = tmp.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    sh(&repo, &["init"]);
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        format!(
            "[swarm]\nagents = {AGENTS}\nmax_live = {AGENTS}\nruntime = \"command\"\n\
             [agent]\ncommand = [\"{}\"]\npass_env = [\"MARKS\"]\nstop_grace = \"1s\"\n\
             [sandbox]\nmode = \"off\"\n",
            agent.display()
        ),
    )
    .unwrap();
    for i in 0..AGENTS {
        let id = format!("t-{i:02}");
        sh(
            &repo,
            &[
                "task",
                "add",
                &id,
                "--id",
                &id,
                "--scope",
                &format!("src/{id}/**"),
            ],
        );
    }
    let child = Command::new(BIN)
        .args(["up", "--headless"])
        .current_dir(&repo)
        .env("MARKS", &marks)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dir = repo.join(".shiftboss");
    let deadline = Instant::now() + Duration::from_secs(300);
    while std::fs::read_dir(&marks).unwrap().count() < AGENTS {
        assert!(Instant::now() < deadline, "the agents did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let connect = || loop {
        if let Ok(c) = attach::connect(&dir, false) {
            break c;
        }
        assert!(Instant::now() < deadline, "no socket");
        std::thread::sleep(Duration::from_millis(100));
    };
    Owner {
        sender: connect(),
        watcher: connect(),
        held: false,
        child,
        _tmp: tmp,
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn main() {
    let window = Duration::from_secs(
        std::env::var("ATTACH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    );
    {
        let mut guard = OWNER.lock().unwrap();
        let owner = &mut *guard;
        let pid = owner.child.id();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let used = std::thread::scope(|scope| {
            // The consoles keep reading, as attached consoles do.
            for c in [&mut owner.sender, &mut owner.watcher] {
                let stop = &stop;
                scope.spawn(move || {
                    c.set_read_timeout(Some(Duration::from_millis(200)))
                        .unwrap();
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let _ = c.recv();
                    }
                    c.set_read_timeout(None).unwrap();
                });
            }
            // Let the start's snapshots go by.
            std::thread::sleep(Duration::from_secs(2));
            let hz = rustix::param::clock_ticks_per_second() as f64;
            let t0 = cpu_ticks(pid);
            let w0 = Instant::now();
            std::thread::sleep(window);
            let used = (cpu_ticks(pid) - t0) as f64 / hz / w0.elapsed().as_secs_f64() * 100.0;
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            used
        });
        println!(
            "attach: owner `up --headless`, {AGENTS} quiet command agents, 2 consoles attached, {}s window: {used:.2} % of one core  (goal ≤ 0.5 %)",
            window.as_secs()
        );
    }
    divan::main();
}

/// Event to screen: a command from one console, the snapshot that shows
/// its event received by the other (goal ≤ 50 ms).
#[divan::bench(sample_count = 50, sample_size = 1)]
fn event_to_attached_snapshot(bencher: divan::Bencher) {
    let mut owner = OWNER.lock().unwrap();
    let backlog = ConvoyId::new("backlog");
    bencher.bench_local(|| {
        let hold = !owner.held;
        owner.held = hold;
        let cmd = if hold {
            Op::HoldConvoy(backlog.clone())
        } else {
            Op::ReleaseConvoy(backlog.clone())
        };
        owner.sender.send(&ToOwner::Command(Box::new(cmd))).unwrap();
        until_held(&mut owner.watcher, &backlog, hold);
    });
}

/// Read snapshots until one says `convoy` is held (or not) as `want` says.
fn until_held(c: &mut Connection, convoy: &ConvoyId, want: bool) {
    loop {
        match c.recv().unwrap() {
            Some(ToConsole::Snapshot(s)) if s.state.held_convoys.contains(convoy) == want => return,
            Some(_) => {}
            None => panic!("the owner went"),
        }
    }
}
