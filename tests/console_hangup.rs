//! A console whose terminal goes away while SIGHUP is ignored (nohup, a
//! supervisor): the real binary runs `demo` in tmux under strace, the test
//! kills the tmux server (the terminal is gone), and the process must end on
//! its own, having started no other program on the way (no `tput` to read a
//! size, nothing to draw) and leaving no process behind.
//!
//! Waiting is for conditions, polled a bounded number of times; nothing here
//! asserts on time. Skips (with a line on stderr) when tmux or strace is not
//! installed.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const ATTEMPTS: u32 = 600;
const POLL: Duration = Duration::from_millis(100);

fn installed(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(["-L", socket, "-f", "/dev/null"])
        .args(args)
        .env_remove("TMUX")
        .output()
        .expect("run tmux")
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..ATTEMPTS {
        if done() {
            return;
        }
        std::thread::sleep(POLL);
    }
    panic!("waited for {what}");
}

fn alive(pid: i32) -> bool {
    // A process that ended but is not yet reaped (a zombie) is not alive.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().to_string())
        })
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

#[test]
fn a_console_whose_terminal_is_gone_ends_without_spawning() {
    if !installed("tmux", "-V") || !installed("strace", "-V") {
        eprintln!("skipped: tmux or strace is not installed");
        return;
    }
    let tmp = tempfile::Builder::new()
        .prefix("shiftboss-hangup-")
        .tempdir()
        .expect("a temporary folder");
    let state = tmp.path().join("demo");
    let trace = tmp.path().join("trace");
    let pid_file = tmp.path().join("pid");
    let config_home = tmp.path().join("config");
    std::fs::create_dir_all(&config_home).unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/small.toml");
    // SIGHUP ignored, as under nohup.
    let command = format!(
        "trap '' HUP; echo $$ > {pid}; exec env XDG_CONFIG_HOME={home} {bin} demo \
         --scenario {scenario} --agents 4 --state-dir {state} --speed 1",
        pid = quote(&pid_file),
        home = quote(&config_home),
        bin = quote(Path::new(BIN)),
        scenario = quote(&scenario),
        state = quote(&state),
    );
    let socket = format!("shiftboss-hangup-{}", std::process::id());
    let out = tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            "sb",
            &command,
        ],
    );
    assert!(
        out.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_until("the console on screen", || {
        let out = tmux(&socket, &["capture-pane", "-p", "-t", "sb"]);
        String::from_utf8_lossy(&out.stdout).contains("agents")
    });
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .expect("the pid file")
        .trim()
        .parse()
        .expect("a pid");
    // strace, outside the terminal, follows the console and every thread or
    // child it starts from now on.
    let attach_log = tmp.path().join("strace-stderr");
    let mut strace = Command::new("strace")
        .args(["-f", "-e", "trace=execve,fork,vfork,clone,clone3", "-o"])
        .arg(&trace)
        .args(["-p", &pid.to_string()])
        .stderr(std::fs::File::create(&attach_log).unwrap())
        .spawn()
        .expect("start strace");
    wait_until("strace attached", || {
        std::fs::read_to_string(&attach_log).is_ok_and(|s| s.contains("attached"))
    });

    // The terminal goes away.
    let _ = tmux(&socket, &["kill-server"]);

    // strace ends when the last process it follows ends.
    wait_until("the console to end after its terminal went away", || {
        strace.try_wait().expect("wait for strace").is_some()
    });
    assert!(!alive(pid), "the console ended");
    let trace = std::fs::read_to_string(&trace).expect("the strace output");
    let execs: Vec<&str> = trace.lines().filter(|l| l.contains("execve(")).collect();
    assert!(execs.is_empty(), "no program started: {execs:?}");
    // Threads are clones with CLONE_THREAD; a child process would be one without.
    let children: Vec<&str> = trace
        .lines()
        .filter(|l| {
            (l.contains("clone(") || l.contains("clone3(") || l.contains("fork("))
                && !l.contains("CLONE_THREAD")
        })
        .collect();
    assert!(children.is_empty(), "no child process: {children:?}");
    // It exited (exit_group is reported once, by whichever thread was last),
    // and no signal killed it.
    assert!(
        trace.contains("+++ exited with") && !trace.contains("+++ killed by"),
        "the console exited on its own: {trace}"
    );
}
