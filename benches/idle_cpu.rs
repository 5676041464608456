//! The console's CPU while the swarm is quiet (goal: ≤ 0.5 % of a core).
//!
//! Starts the real binary in tmux on the standard day with 30 agents at
//! 60x, measures a window while the swarm works, then sends the emergency
//! stop (`X`, `y`) so every agent is frozen and measures again: the
//! process's utime + stime from /proc/<pid>/stat over a wall-clock window,
//! as a percentage of one core. Linux only. A benchmark reports; it asserts
//! nothing.
//!
//! `cargo bench --bench idle_cpu`  (IDLE_SECONDS=N changes the window, default 10)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const SESSION: &str = "idle";

struct Tmux {
    socket: String,
    socket_path: Option<PathBuf>,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", SESSION]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) {
        for _ in 0..600 {
            if done(&self.screen()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("waited for {what}; the screen was:\n{}", self.screen());
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

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// utime + stime of the whole process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // The command name is in parentheses and may hold spaces: count fields
    // after the last ')'. utime and stime are fields 14 and 15 of the line.
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Percentage of one core the process used over `window` of wall time.
fn measure(pid: u32, window: Duration) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = rustix::param::clock_ticks_per_second() as f64;
    let t0 = cpu_ticks(pid);
    let w0 = Instant::now();
    std::thread::sleep(window);
    let t1 = cpu_ticks(pid);
    let wall = w0.elapsed().as_secs_f64();
    (t1 - t0) as f64 / hz / wall * 100.0
}

fn main() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("idle_cpu: skipped, tmux is not installed");
        return;
    }
    let window = Duration::from_secs(
        std::env::var("IDLE_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    );
    let tmp = tempfile::Builder::new()
        .prefix("shiftboss-idle-")
        .tempdir()
        .expect("a temporary folder");
    let config_home = tmp.path().join("config");
    std::fs::create_dir_all(&config_home).unwrap();
    let command = format!(
        "exec env XDG_CONFIG_HOME={} {} demo --agents 30 --speed 60 --state-dir {}",
        quote(&config_home),
        quote(Path::new(BIN)),
        quote(&tmp.path().join("demo")),
    );
    let mut tmux = Tmux {
        socket: format!("shiftboss-idle-{}", std::process::id()),
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
        &command,
    ]);
    assert!(out.status.success(), "tmux new-session");
    let path = String::from_utf8_lossy(
        &tmux
            .run(&["display-message", "-p", "#{socket_path}"])
            .stdout,
    )
    .trim()
    .to_string();
    tmux.socket_path = Some(PathBuf::from(path));
    let pid: u32 = String::from_utf8_lossy(
        &tmux
            .run(&["display-message", "-p", "-t", SESSION, "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .parse()
    .expect("the pane's pid");

    tmux.wait_for("agents at work", |s| {
        s.contains("/30 working") && !s.contains(" 0/30 working")
    });
    let working = measure(pid, window);

    tmux.keys(&["X"]);
    tmux.wait_for("the emergency stop's question", |s| s.contains("[y/n]"));
    tmux.keys(&["y"]);
    tmux.wait_for("the swarm frozen", |s| s.contains("FROZEN"));
    // Let the last frames after the stop go by.
    std::thread::sleep(Duration::from_secs(1));
    let frozen = measure(pid, window);

    println!(
        "idle_cpu: shiftboss demo --agents 30 --speed 60 in a 160x48 tmux pane, {}s windows",
        window.as_secs()
    );
    println!("idle_cpu: working (30 agents, 60x): {working:.2} % of one core");
    println!("idle_cpu: frozen  (emergency stop): {frozen:.2} % of one core  (goal ≤ 0.5 %)");
}
