//! A repository with `command` agents (shell scripts), run by the real
//! binary, and a look at which agent processes are alive (through /proc,
//! by a tag in their environment).
#![allow(dead_code)]

use super::repo::new_repo;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// Whether bwrap is here. Under CI (env CI set) a missing bwrap fails the
/// test; elsewhere the test is skipped with a printed reason.
pub fn have_bwrap() -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("bwrap").is_file()));
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "bwrap (bubblewrap) is not installed; CI must install it (.ci/run)"
        );
        eprintln!("skipped: bwrap (bubblewrap) is not installed");
    }
    found
}

pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
    /// A folder outside the repository agents may write (`[sandbox] rw`).
    pub marks: PathBuf,
    /// Unique to this fixture: set in every agent's environment.
    pub tag: String,
}

/// A repository with `script` as its command agent, `agents` agents, the
/// tasks `tasks` (scope `src/**`) and `extra` appended to the config.
pub fn setup(script: &str, agents: usize, tasks: &[&str], extra: &str) -> Fixture {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let marks = tmp.path().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    let agent = write_agent(tmp.path(), script);
    let config = format!(
        "[swarm]\nagents = {agents}\nmax_live = {agents}\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\npass_env = [\"DRILL_MARKS\", \"DRILL_TAG\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n{extra}",
        agent.display()
    );
    init_with(&repo, &config);
    add_tasks(&repo, tasks);
    let tag = tmp.path().display().to_string();
    Fixture {
        tmp,
        repo,
        marks,
        tag,
    }
}

/// `script` as an executable `agent.sh` in `dir`; its path.
pub fn write_agent(dir: &Path, script: &str) -> PathBuf {
    write_script(dir, "agent.sh", script)
}

/// `text` as an executable file `name` in `dir`; its path.
pub fn write_script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// `shiftboss init` in `repo`, then `config` as its config file.
pub fn init_with(repo: &Path, config: &str) {
    assert_ok(&run(repo, &["init"], &[]));
    std::fs::write(repo.join(".shiftboss/config.toml"), config).unwrap();
}

/// `shiftboss task add "Do <t>" --id <t> --scope "src/**"` for each task.
pub fn add_tasks(repo: &Path, tasks: &[&str]) {
    for t in tasks {
        let title = format!("Do {t}");
        let args = ["task", "add", &title, "--id", t, "--scope", "src/**"];
        assert_ok(&run(repo, &args, &[]));
    }
}

/// The config of `agents` command agents running `agent` (1 s stop grace,
/// 1 s watchdog tick), `extra` appended.
pub fn command_config(agents: usize, agent: &Path, extra: &str) -> String {
    format!(
        "[swarm]\nagents = {agents}\nmax_live = {agents}\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n{extra}",
        agent.display()
    )
}

/// `up --headless --until-idle --json` in `repo`, which must succeed; the
/// summary.
pub fn up_until_idle(repo: &Path, env: &[(&str, &str)]) -> serde_json::Value {
    let out = run(repo, &["up", "--headless", "--until-idle", "--json"], env);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// [`up_until_idle`] with more of `up`'s flags.
pub fn up_with(repo: &Path, flags: &[&str]) -> serde_json::Value {
    let mut args = vec!["up", "--headless", "--until-idle", "--json"];
    args.extend(flags);
    let out = run(repo, &args, &[]);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The command succeeded, or the test fails with its stderr.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A headless run's `--json` summary: it exited 0, or 3 exactly when a
/// task failed, and printed one JSON object.
pub fn summary(out: &Output) -> serde_json::Value {
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    if let Some(failed) = v.get("tasks").and_then(|t| t.get("failed")) {
        assert_eq!(
            out.status.code() == Some(3),
            failed.as_u64() > Some(0),
            "exit {:?} with {failed} failed",
            out.status.code()
        );
    } else {
        assert!(out.status.success());
    }
    v
}

/// `demo --headless --json --state-dir <state> <extra>…`, run from `/`: its summary.
pub fn demo_json(state: &Path, extra: &[&str]) -> serde_json::Value {
    let state = state.display().to_string();
    let mut args = vec!["demo", "--headless", "--json", "--state-dir", &state];
    args.extend_from_slice(extra);
    summary(&run(Path::new("/"), &args, &[]))
}

pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().expect("run shiftboss")
}

pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).current_dir(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

impl Fixture {
    /// `shiftboss up` as it runs agents for this fixture.
    pub fn up(&self, args: &[&str]) -> Command {
        let marks = self.marks.display().to_string();
        let mut all = vec!["up", "--headless"];
        all.extend(args);
        command(
            &self.repo,
            &all,
            &[
                ("DRILL_MARKS", marks.as_str()),
                ("DRILL_TAG", self.tag.as_str()),
            ],
        )
    }

    /// Live agent processes of this fixture: (pid, session, task).
    pub fn agents_alive(&self) -> Vec<(u32, String, String)> {
        let want = format!("DRILL_TAG={}", self.tag);
        let mut out = Vec::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return out;
        };
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .chars()
                .next();
            if matches!(state, Some('Z') | Some('X') | None) {
                continue;
            }
            let Ok(env) = std::fs::read(e.path().join("environ")) else {
                continue;
            };
            let vars: Vec<String> = env
                .split(|b| *b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            if !vars.contains(&want) {
                continue;
            }
            let get = |k: &str| {
                vars.iter()
                    .find_map(|v| v.strip_prefix(&format!("{k}=")).map(str::to_string))
                    .unwrap_or_default()
            };
            // shiftboss itself has the tag too, but no session.
            let session = get("SHIFTBOSS_SESSION");
            if !session.is_empty() {
                out.push((pid, session, get("SHIFTBOSS_TASK")));
            }
        }
        out
    }

    pub fn marks_log(&self) -> String {
        std::fs::read_to_string(self.marks.join("log")).unwrap_or_default()
    }
}

/// Wait (at most two minutes) until `cond` holds; fail the test naming `what`.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
