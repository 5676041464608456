//! Supervision of real agent processes: each runs in its worktree, in its own
//! process group, with a scrubbed environment; its output is read line by
//! line as it comes (never by polling a screen) and turned into [`Output`]
//! by its runtime's adapter.

use super::adapter::{Adapter, Output};
use super::groups;
use super::lines::{self, Piece};
use crate::domain::SessionId;
use crate::domain::protocol::Signal;
use crate::redact;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Variables every agent may see.
pub const BASE_ENV: [&str; 7] = ["PATH", "HOME", "LANG", "LC_ALL", "TERM", "USER", "TMPDIR"];

/// Where one process's output goes (the runner makes inputs of it).
pub type Emit = Arc<dyn Fn(Output) + Send + Sync>;

/// How to start one agent.
#[derive(Clone, Debug)]
pub struct Launch {
    pub program: String,
    pub args: Vec<String>,
    /// Variables set for the agent (scrubbed environment plus these).
    pub env: Vec<(String, String)>,
    /// Write this to the agent's stdin, then close it (else stdin is /dev/null).
    pub stdin: Option<String>,
}

/// A running agent process.
pub struct Running {
    pub pid: u32,
    /// The process's start time (clock ticks since boot, /proc/<pid>/stat
    /// field 22): with the pid, it names this process and no later one.
    pub start_time: u64,
    pub started: Instant,
}

/// Values that must never reach the log or the screen: every secret of
/// shiftboss's own environment (see [`crate::redact`]) and every variable an
/// agent is given whose name says it is a secret; longest first.
pub fn secrets(env: &[(String, String)]) -> Vec<String> {
    let passed = redact::secret_values(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    redact::global().with(passed).values().to_vec()
}

/// Replace every secret value and token-shaped word in a line.
pub fn redact(line: &str, secrets: &[String]) -> String {
    redact::redact_with(line, secrets).into_owned()
}

/// Read lines in bounded memory (see [`super::lines`]); bytes dropped past
/// the cap of an overlong line become an `OutputDropped` signal.
fn lines<R: Read>(r: R, emit: &Emit, mut f: impl FnMut(String)) {
    lines::read_pieces(r, lines::LINE_CAP, |piece| match piece {
        Piece::Line(l) => f(l),
        Piece::Dropped(bytes) => emit(Output::Signal {
            signal: Signal::OutputDropped { bytes },
        }),
    });
}

/// Start an agent in `dir` (`session` names its reader thread). Its output
/// goes through `adapter` to `emit`; when it exits, an [`Output::Exited`]
/// follows the last line.
pub fn spawn(
    launch: &Launch,
    dir: &Path,
    session: &SessionId,
    mut adapter: Box<dyn Adapter>,
    secrets: Vec<String>,
    emit: Emit,
) -> std::io::Result<Running> {
    let mut cmd = Command::new(&launch.program);
    cmd.args(&launch.args)
        .current_dir(dir)
        .env_clear()
        .stdin(if launch.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for k in BASE_ENV {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    die_with_shiftboss(&mut cmd);
    let mut child: Child = spawn_on_spawner(cmd)?;
    let pid = child.id();
    if let (Some(text), Some(mut stdin)) = (launch.stdin.clone(), child.stdin.take()) {
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let err_emit = emit.clone();
    let err_secrets = secrets.clone();
    let err_reader = std::thread::spawn(move || {
        lines(stderr, &err_emit, |l| {
            err_emit(Output::Line {
                line: redact(&l, &err_secrets),
            });
        });
    });
    std::thread::Builder::new()
        .name(format!("agent-{session}"))
        .spawn(move || {
            lines(stdout, &emit, |l| {
                for output in adapter.line(&redact(&l, &secrets)) {
                    emit(output);
                }
            });
            let _ = err_reader.join();
            let code = child.wait().ok().and_then(|s| {
                use std::os::unix::process::ExitStatusExt;
                s.code().or_else(|| s.signal().map(|sig| 128 + sig))
            });
            for output in adapter.finish(code) {
                emit(output);
            }
            emit(Output::Exited { exit_code: code });
        })?;
    Ok(Running {
        pid,
        start_time: groups::stat(pid).map(|s| s.start_time).unwrap_or(0),
        started: Instant::now(),
    })
}

use crate::sys::{Signal as Sig, signal_group};

/// Freeze the agent's whole process group where it stands.
pub fn freeze(pid: u32) -> bool {
    signal_group(pid, Sig::STOP)
}

pub fn thaw(pid: u32) -> bool {
    signal_group(pid, Sig::CONT)
}

/// Ask the group to stop, then kill it after `grace` if it is still there;
/// in the background. [`settle`] waits for every such stop.
pub fn stop(pid: u32, grace: Duration) {
    let handle = std::thread::spawn(move || stop_and_wait(&[pid], grace));
    STOPPING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(handle);
}

static STOPPING: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Wait until every stop begun by [`stop`] is over (its group gone).
pub fn settle() {
    let all: Vec<_> = std::mem::take(&mut *STOPPING.lock().unwrap_or_else(|e| e.into_inner()));
    for h in all {
        let _ = h.join();
    }
}

/// Ask these groups to stop (SIGTERM), wait up to `grace`, SIGKILL what is
/// left, and wait until they are gone (reaped by their reader threads).
pub fn stop_and_wait(pids: &[u32], grace: Duration) {
    for &pid in pids {
        ask_to_stop(pid);
        signal_group(pid, Sig::CONT);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|&p| groups::alive(p)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for &pid in pids {
        if groups::alive(pid) {
            signal_group(pid, Sig::KILL);
        }
    }
    // SIGKILL cannot be ignored; the bound only guards against a process
    // stuck in the kernel.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && pids.iter().any(|&p| groups::alive(p)) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM to the agent's group. A sandboxed agent's group is led by bwrap,
/// which would die of it and take the agent down at once: bwrap is spared,
/// so the agent gets its grace period (SIGKILL later reaches them all).
fn ask_to_stop(pgid: u32) {
    let comm = std::fs::read_to_string(format!("/proc/{pgid}/comm")).unwrap_or_default();
    if comm.trim() != "bwrap" {
        signal_group(pgid, Sig::TERM);
        return;
    }
    for pid in groups::members(pgid, 0) {
        if pid != pgid {
            crate::sys::signal_process(pid, Sig::TERM);
        }
    }
}

/// The child gets SIGKILL when shiftboss dies (bwrap's `--die-with-parent`
/// does the same for a sandboxed agent). The signal fires when the
/// *thread* that spawned the child ends, hence [`spawn_on_spawner`].
fn die_with_shiftboss(cmd: &mut Command) {
    crate::sys::die_with_parent(cmd);
}

type SpawnJob = (Command, std::sync::mpsc::Sender<std::io::Result<Child>>);

/// Every agent is spawned by one thread that lives as long as shiftboss, so
/// the parent-death signal fires when shiftboss exits, not when whichever
/// thread happened to start the agent ends.
fn spawn_on_spawner(cmd: Command) -> std::io::Result<Child> {
    static SPAWNER: std::sync::OnceLock<std::sync::mpsc::Sender<SpawnJob>> =
        std::sync::OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<SpawnJob>();
        let _ = std::thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            });
        tx
    });
    let (reply, answer) = std::sync::mpsc::channel();
    tx.send((cmd, reply))
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
}

/// Resident memory of a process, in KiB, from /proc.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let env = vec![
            ("ANTHROPIC_API_KEY".to_string(), "sk-ant-123456".to_string()),
            ("LANG".to_string(), "C.UTF-8".to_string()),
        ];
        let s = secrets(&env);
        assert!(s.contains(&"sk-ant-123456".to_string()));
        assert!(!s.contains(&"C.UTF-8".to_string()));
        assert_eq!(redact("key=sk-ant-123456 ok", &s), "key=[redacted] ok");
        let env = vec![(
            "ANTHROPIC_BASE_URL".to_string(),
            "https://bob:hunter22@proxy.example/v1".to_string(),
        )];
        let s = secrets(&env);
        assert_eq!(
            redact("POST https://bob:hunter22@proxy.example/v1 failed", &s),
            "POST https://[redacted]@proxy.example/v1 failed"
        );
    }
}
