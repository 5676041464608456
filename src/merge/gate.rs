//! Gates: configured shell commands run on an agent's worktree.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wait_timeout::ChildExt;

/// Each gate keeps the last this many bytes of its output.
pub const GATE_OUTPUT_LIMIT: usize = 16 * 1024;

/// Environment variables that pass through to gates (plus the caller's `extra_env`).
pub const GATE_ENV_PASSTHROUGH: [&str; 6] = ["PATH", "HOME", "LANG", "TERM", "USER", "TMPDIR"];

/// How long to wait for the output pipe to close once the gate's process group
/// is gone (only a process that left the group can hold it open longer).
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// The result of [`run_gates`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateReport {
    /// Every gate passed (also true when there were none).
    pub passed: bool,
    /// The failing command, or "" when all passed.
    pub gate: String,
    /// A transcript: for each gate run, a `$ command` line then its output.
    pub output: String,
    /// One result per gate run, in order; the last is the failing one when `!passed`.
    pub results: Vec<GateResult>,
}

/// One gate command's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateResult {
    pub command: String,
    pub passed: bool,
    /// The exit code, None when killed by a signal, timed out or not started.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// stdout and stderr interleaved (one pipe), the last [`GATE_OUTPUT_LIMIT`] bytes,
    /// followed by a note when it timed out, was killed or could not start.
    pub output: String,
}

/// Run each command as `sh -c CMD` would (a plain command line starts its
/// program without the shell, `gate_argv.rs`) in `dir` in order, stopping
/// at the first failure. Each runs in its own process group with
/// `timeout`; on timeout the whole group is killed (SIGKILL) and the gate
/// fails ("timed out after …"). Whatever is left of a gate's process group
/// after it exits is killed too.
/// The environment is scrubbed: only PATH, HOME, LANG, TERM, USER and TMPDIR
/// pass through, plus `extra_env`. Stdin is /dev/null.
pub fn run_gates(
    dir: &Path,
    commands: &[String],
    timeout: Duration,
    extra_env: &[(String, String)],
) -> GateReport {
    let mut results = Vec::with_capacity(commands.len());
    let mut transcript = String::new();
    for command in commands {
        let mut result = run_gate(dir, command, timeout, extra_env);
        // Gate output is an agent's text (its code printed it): secrets of
        // shiftboss's environment and token-shaped words never leave here.
        if let std::borrow::Cow::Owned(o) = crate::redact::redact(&result.output) {
            result.output = o;
        }
        transcript.push_str("$ ");
        transcript.push_str(command);
        transcript.push('\n');
        transcript.push_str(&result.output);
        if !result.output.is_empty() && !result.output.ends_with('\n') {
            transcript.push('\n');
        }
        let passed = result.passed;
        results.push(result);
        if !passed {
            return GateReport {
                passed: false,
                gate: command.clone(),
                output: transcript,
                results,
            };
        }
    }
    GateReport {
        passed: true,
        gate: String::new(),
        output: transcript,
        results,
    }
}

/// The last `GATE_OUTPUT_LIMIT` bytes of a stream and how much came before them.
#[derive(Default)]
struct Tail {
    buf: Vec<u8>,
    dropped: u64,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > 2 * GATE_OUTPUT_LIMIT {
            self.trim();
        }
    }

    fn trim(&mut self) {
        if self.buf.len() > GATE_OUTPUT_LIMIT {
            let cut = self.buf.len() - GATE_OUTPUT_LIMIT;
            self.buf.drain(..cut);
            self.dropped += cut as u64;
        }
    }

    fn text(&mut self) -> String {
        self.trim();
        let body = String::from_utf8_lossy(&self.buf);
        if self.dropped > 0 {
            format!("[… {} earlier bytes cut …]\n{body}", self.dropped)
        } else {
            body.into_owned()
        }
    }
}

fn kill_group(pgid: u32) {
    let pgid = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pgid) = pgid {
        // Already gone is fine: there is nothing left to stop.
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
}

fn failed(command: &str, output: String) -> GateResult {
    GateResult {
        command: command.to_string(),
        passed: false,
        exit_code: None,
        timed_out: false,
        output,
    }
}

/// The gate's `PATH`: the caller's, else shiftboss's, else a default.
fn gate_path(extra_env: &[(String, String)]) -> std::ffi::OsString {
    extra_env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| std::ffi::OsString::from(v))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_else(|| DEFAULT_PATH.into())
}

/// `program` in `dir`, in its own process group, with the scrubbed
/// environment, stdin from /dev/null and both outputs into the pipe.
fn gate_command(
    program: &std::ffi::OsStr,
    dir: &Path,
    extra_env: &[(String, String)],
    (out, err): (std::io::PipeWriter, std::io::PipeWriter),
) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    for key in GATE_ENV_PASSTHROUGH {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    if std::env::var_os("PATH").is_none() {
        cmd.env("PATH", DEFAULT_PATH);
    }
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    cmd
}

/// A gate started: the process, the read end of its output, and whether
/// its exit status is to be inverted (`! program …`).
struct Started {
    child: std::process::Child,
    reader: std::io::PipeReader,
    negate: bool,
}

/// Start `command` in `dir`: the program itself when sh would run it as
/// one program with fixed words (`gate_argv.rs`) and it is an executable
/// file the gate's `PATH` finds, else `sh -c command`. A program that
/// does not start (not found, not executable, a script without a `#!`
/// line) is left to `sh -c`, which says so or runs it as sh would.
fn start(dir: &Path, command: &str, extra_env: &[(String, String)]) -> Result<Started, String> {
    let path = gate_path(extra_env);
    if let Some(argv) = super::gate_argv::argv(command)
        && let Some(program) = program_on(&argv.words[0], dir, &path)
    {
        let (reader, writers) = pipes().map_err(pipe_failed)?;
        let mut cmd = gate_command(program.as_os_str(), dir, extra_env, writers);
        // The program's `$0` is the word as written, as sh passes it.
        cmd.arg0(&argv.words[0]).args(&argv.words[1..]);
        // sh exports the folder it runs in as PWD; so does a gate without it.
        if !extra_env.iter().any(|(k, _)| k == "PWD") {
            cmd.env(
                "PWD",
                std::fs::canonicalize(dir).unwrap_or_else(|_| dir.into()),
            );
        }
        let spawned = cmd.spawn();
        // The pipe's write ends live in `cmd`; close ours so the reader sees EOF when the gate ends.
        drop(cmd);
        if let Ok(child) = spawned {
            return Ok(Started {
                child,
                reader,
                negate: argv.negate,
            });
        }
    }
    let (reader, writers) = pipes().map_err(pipe_failed)?;
    let mut cmd = gate_command(&shell_on(&path), dir, extra_env, writers);
    // `$0` stays `sh`, as when the shell was looked up by name.
    cmd.arg0("sh").arg("-c").arg(command);
    let spawned = cmd.spawn();
    drop(cmd);
    match spawned {
        Ok(child) => Ok(Started {
            child,
            reader,
            negate: false,
        }),
        Err(e) => Err(format!(
            "could not start `sh -c` in {}: {e}\n",
            dir.display()
        )),
    }
}

fn pipe_failed(e: std::io::Error) -> String {
    format!("could not make a pipe for the gate: {e}\n")
}

/// The executable file sh would run for `program`, as a full path: a
/// name with a `/` from `dir`, else the first on `path`. None when sh
/// must look: nothing found, or `path` has a relative entry (sh reads it
/// from the gate's folder).
fn program_on(program: &str, dir: &Path, path: &std::ffi::OsStr) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        let file = dir.join(program);
        return executable(&file).then_some(file);
    }
    let dirs: Vec<_> = std::env::split_paths(path).collect();
    if dirs.iter().any(|d| !d.is_absolute()) {
        return None;
    }
    dirs.into_iter()
        .map(|d| d.join(program))
        .find(|file| executable(file))
}

/// A regular file with an execute bit.
fn executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The gate's `PATH` when shiftboss has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The `sh` the gate's own `PATH` finds, as a full path, or plain `sh` when
/// none is found (spawning then fails with the usual error). Given a full
/// path, std starts the gate with `posix_spawn` (a vfork) instead of forking:
/// with a program to look up on a `PATH` the child sets itself, it must fork,
/// and forking copies shiftboss's page tables and makes every page it
/// writes afterwards a copy-on-write fault, once per gate.
fn shell_on(path: &std::ffi::OsStr) -> std::ffi::OsString {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join("sh"))
        .find(|sh| executable(sh))
        .map_or_else(|| "sh".into(), std::path::PathBuf::into_os_string)
}

fn run_gate(
    dir: &Path,
    command: &str,
    timeout: Duration,
    extra_env: &[(String, String)],
) -> GateResult {
    let Started {
        mut child,
        reader,
        negate,
    } = match start(dir, command, extra_env) {
        Ok(started) => started,
        Err(why) => return failed(command, why),
    };
    let pgid = child.id();

    let (tail, drained_rx) = drain(reader);
    let (status, timed_out) = match child.wait_timeout(timeout) {
        Ok(Some(status)) => (Ok(status), false),
        Ok(None) => {
            kill_group(pgid);
            (child.wait(), true)
        }
        Err(e) => {
            kill_group(pgid);
            let _ = child.wait();
            (Err(e), false)
        }
    };
    // Leftover background processes of the gate do not outlive it.
    kill_group(pgid);
    let _ = drained_rx.recv_timeout(DRAIN_GRACE);
    let output = tail.lock().unwrap_or_else(|p| p.into_inner()).text();
    let (passed, exit_code, output) = verdict(status, negate, timed_out, timeout, output);
    tracing::info!(
        gate = command,
        dir = %dir.display(),
        passed,
        exit_code = exit_code.unwrap_or(-1),
        timed_out,
        "gate run"
    );
    GateResult {
        command: command.to_string(),
        passed,
        exit_code,
        timed_out,
        output,
    }
}

/// The gate's output pipe: the read end, and a write end for its stdout
/// and one for its stderr.
fn pipes() -> std::io::Result<(
    std::io::PipeReader,
    (std::io::PipeWriter, std::io::PipeWriter),
)> {
    let (reader, writer) = std::io::pipe()?;
    let writer2 = writer.try_clone()?;
    Ok((reader, (writer, writer2)))
}

/// Read the gate's output on a thread into a bounded tail; the receiver
/// hears when the pipe is drained.
fn drain(mut reader: std::io::PipeReader) -> (Arc<Mutex<Tail>>, mpsc::Receiver<()>) {
    let tail = Arc::new(Mutex::new(Tail::default()));
    let (drained_tx, drained_rx) = mpsc::channel::<()>();
    {
        let tail = Arc::clone(&tail);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => tail
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            let _ = drained_tx.send(());
        });
    }
    (tail, drained_rx)
}

/// Whether a gate passed, its exit code (inverted, as sh inverts it, when
/// `negate`), and its output with a note on how it ended when that was
/// not a plain exit. A program killed by a signal fails its gate, `!` or
/// not.
fn verdict(
    status: std::io::Result<std::process::ExitStatus>,
    negate: bool,
    timed_out: bool,
    timeout: Duration,
    mut output: String,
) -> (bool, Option<i32>, String) {
    let mut note = |line: String| {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&line);
        output.push('\n');
    };

    let (passed, exit_code) = match status {
        _ if timed_out => {
            note(format!(
                "timed out after {}",
                humantime::format_duration(timeout)
            ));
            (false, None)
        }
        Ok(status) => {
            if let Some(signal) = status.signal() {
                note(format!("killed by signal {signal}"));
            }
            match status.code() {
                Some(code) if negate => (code != 0, Some(i32::from(code == 0))),
                code => (status.success(), code),
            }
        }
        Err(e) => {
            note(format!("could not wait for the gate: {e}"));
            (false, None)
        }
    };
    (passed, exit_code, output)
}
