//! `up` with a real `command` agent: SIGTERM ends the run cleanly (the
//! agent stopped, the summary printed, exit 0), and the log file under
//! `.shiftboss/logs/` holds the agent's start with its pid and its stop.
//! Every wait is for a condition, with a bound that fails.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");
const BOUND: Duration = Duration::from_secs(180);

/// An agent that says it started, then waits to be stopped.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
touch "$MARK.$SHIFTBOSS_TASK.started"
while :; do sleep 0.1; done
"#;

fn sb(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("SHIFTBOSS_LOG")
        .output()
        .expect("run shiftboss")
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < BOUND, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_a_real_run_cleanly_and_the_log_says_what_happened() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = tmp.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mark = tmp.path().join("mark");
    assert!(sb(&repo, &["init"]).status.success());
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        format!(
            "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
             [agent]\ncommand = [\"{}\"]\npass_env = [\"MARK\"]\nstop_grace = \"1s\"\n\
             [watchdog]\ntick = \"1s\"\n[sandbox]\nrw = [\"{}\"]\n",
            agent.display(),
            tmp.path().display()
        ),
    )
    .unwrap();
    let add = sb(&repo, &["task", "add", "First", "--id", "t-one"]);
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );

    let mut owner = Command::new(BIN)
        .args(["up", "--headless", "--json"])
        .current_dir(&repo)
        .env("MARK", &mark)
        .env_remove("SHIFTBOSS_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = tmp.path().join("mark.t-one.started");
    wait_for("the agent to start", || {
        if let Some(status) = owner.try_wait().unwrap() {
            panic!("up ended ({status}) before the agent started");
        }
        started.exists()
    });
    let sent = Command::new("kill")
        .args(["-TERM", &owner.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = owner.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > BOUND {
            let _ = owner.kill();
            panic!("up did not end after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = owner.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{status}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the summary, as JSON, on stdout");
    assert!(summary["events"].as_u64().unwrap() > 0, "{summary}");

    let logs = repo.join(".shiftboss/logs");
    let files: Vec<_> = std::fs::read_dir(&logs).unwrap().collect();
    assert_eq!(files.len(), 1);
    let log = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let started_line = log
        .lines()
        .find(|l| l.contains("agent started"))
        .unwrap_or_else(|| panic!("no agent start in the log:\n{log}"));
    assert!(started_line.contains("pid="), "{started_line}");
    assert!(
        started_line.contains("task=t-one") || log.contains("task=t-one"),
        "{log}"
    );
    for line in [
        "a stop signal came: ending the run",
        "agent stopped: the run ended",
    ] {
        assert!(log.contains(line), "{line:?} not in the log:\n{log}");
    }
}
