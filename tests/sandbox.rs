//! Real `command` agents under the real sandbox (bubblewrap): what an agent
//! cannot reach, what it still can do (commit its own work, which lands),
//! and that no agent outlives its shiftboss.

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;

use drill::{Fixture, have_bwrap, run, setup, wait_for};
use repo::git;

const CANARY: &str = "canary-7f3a0c";

/// An agent that tries what it must not, writes what it found in its task's
/// file, and commits it.
const PROBE: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src
out="src/$SHIFTBOSS_TASK.txt"
r() { echo "$1 $2" >> "$out"; }
echo "work of $SHIFTBOSS_TASK" > "$out"
if tr '\0' '\n' < /proc/$PPID/environ 2>/dev/null | grep -q __CANARY__; then r parent_env seen; else r parent_env hidden; fi
if cat /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n' | grep -q __CANARY__; then r any_env seen; else r any_env hidden; fi
[ -n "$ONLY_ENV" ] && exit 0
echo escaped > "__OUTSIDE__/escaped" 2>/dev/null
echo escaped > "__ROOT__/from-agent.txt" 2>/dev/null
if cat "__ROOT__/README.md" > /dev/null 2>&1; then r checkout_read seen; else r checkout_read refused; fi
common=$(git rev-parse --git-common-dir)
if git config --file "$common/config" core.fsmonitor /tmp/evil 2>/dev/null; then r config written; else r config refused; fi
if echo "[core] fsmonitor = /tmp/evil" >> "$common/config" 2>/dev/null; then r config_append written; else r config_append refused; fi
if git update-ref refs/heads/main HEAD~0 2>/dev/null; then r main moved; else r main refused; fi
if git update-ref refs/heads/shiftboss/other/t9 HEAD 2>/dev/null; then r other_branch made; else r other_branch refused; fi
if git branch "shiftboss/$SHIFTBOSS_AGENT/$SHIFTBOSS_TASK-extra" 2>/dev/null; then r own_branch made; else r own_branch refused; fi
git add -A && git commit -qm "$SHIFTBOSS_TASK: the probe's findings" || echo "commit failed"
exit 0
"#;

fn probe(f: &Fixture, only_env: bool) -> String {
    PROBE
        .replace("__CANARY__", CANARY)
        .replace(
            "__OUTSIDE__",
            &f.tmp.path().join("outside").display().to_string(),
        )
        .replace("__ROOT__", &f.repo.display().to_string())
        .replace(
            "[ -n \"$ONLY_ENV\" ]",
            if only_env { "true" } else { "false" },
        )
}

/// Set up with the probe (its paths filled in) as the agent.
fn probe_fixture(only_env: bool, extra: &str) -> Fixture {
    let f = setup("#!/bin/sh\n", 1, &["t1"], extra);
    let script = probe(&f, only_env);
    std::fs::write(f.tmp.path().join("agent.sh"), script).unwrap();
    std::fs::create_dir_all(f.tmp.path().join("outside")).unwrap();
    f
}

fn up_until_idle(f: &Fixture) {
    let out = f
        .up(&["--until-idle", "--json"])
        .env("SANDBOX_CANARY", CANARY)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_agent_in_the_sandbox_reaches_nothing_of_shiftboss_or_the_shared_repository_yet_its_work_lands()
 {
    if !have_bwrap() {
        return;
    }
    let f = probe_fixture(false, "[sandbox]\nnetwork = \"none\"\n");
    let config_before = std::fs::read(f.repo.join(".git/config")).unwrap();
    up_until_idle(&f);
    let landed = git(&f.repo, &["show", "main:src/t1.txt"]);
    for want in [
        "work of t1",
        "parent_env hidden",
        "any_env hidden",
        "checkout_read refused",
        "config refused",
        "config_append refused",
        "main refused",
        "other_branch refused",
        "own_branch made",
    ] {
        assert!(landed.lines().any(|l| l == want), "{want:?} in {landed}");
    }
    // Nothing reached the real file system outside the worktree.
    assert!(!f.tmp.path().join("outside/escaped").exists());
    assert!(!f.repo.join("from-agent.txt").exists());
    assert_eq!(
        std::fs::read(f.repo.join(".git/config")).unwrap(),
        config_before
    );
    assert!(git(&f.repo, &["for-each-ref", "refs/heads/shiftboss/other"]).is_empty());
    // Its own branch was made, and its commit (with its name) landed.
    let extra = git(
        &f.repo,
        &[
            "for-each-ref",
            "--format=%(refname)",
            "refs/heads/shiftboss/",
        ],
    );
    assert!(extra.lines().any(|l| l.ends_with("/t1-extra")), "{extra}");
    let log = git(&f.repo, &["log", "--format=%an %s", "main"]);
    assert!(
        log.lines()
            .any(|l| l.ends_with("t1: the probe's findings") && l.starts_with("builder-")),
        "{log}"
    );
    // Its HOME is outside the worktree, and nothing of it landed.
    assert!(
        f.repo
            .join(".shiftboss/agents")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
    let files = git(&f.repo, &["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        vec!["README.md", "src/t1.txt"]
    );
}

#[test]
fn without_the_sandbox_the_same_probe_reads_shiftboss_s_environment() {
    // The probe can tell: unconfined, it sees the canary.
    let f = probe_fixture(true, "[sandbox]\nmode = \"off\"\n");
    up_until_idle(&f);
    let landed = git(&f.repo, &["show", "main:src/t1.txt"]);
    assert!(landed.lines().any(|l| l == "parent_env seen"), "{landed}");
}

#[test]
fn up_refuses_without_bwrap_unless_the_sandbox_is_off_and_doctor_says_which() {
    let f = setup("#!/bin/sh\nexit 0\n", 1, &["t1"], "");
    // No bwrap on this PATH.
    let empty = f.tmp.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let path = empty.display().to_string();
    let out = f.up(&["--until-idle"]).env("PATH", &path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("config.toml") && err.contains("bwrap") && err.contains("mode = \"off\""),
        "{err}"
    );
    let doctor = run(&f.repo, &["doctor"], &[("PATH", &path)]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(report.contains("FAIL  sandbox on but bwrap"), "{report}");
    if have_bwrap() {
        let doctor = run(&f.repo, &["doctor"], &[]);
        let report = String::from_utf8_lossy(&doctor.stdout);
        assert!(
            report.contains("ok    sandbox on: ") && report.contains("bubblewrap"),
            "{report}"
        );
    }
    let config = std::fs::read_to_string(f.repo.join(".shiftboss/config.toml")).unwrap();
    std::fs::write(
        f.repo.join(".shiftboss/config.toml"),
        format!("{config}[sandbox]\nmode = \"off\"\n"),
    )
    .unwrap();
    let doctor = run(&f.repo, &["doctor"], &[("PATH", &path)]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(report.contains("warn  sandbox off"), "{report}");
}

/// An agent that ignores SIGTERM, with a child that does too.
const STUBBORN: &str = r#"#!/bin/sh
cat > /dev/null
m="$DRILL_MARKS"
echo "start $SHIFTBOSS_SESSION" >> "$m/log"
if [ ! -e "$m/once" ]; then
  touch "$m/once"
  trap '' TERM
  ( trap '' TERM; while :; do echo "tick $SHIFTBOSS_SESSION" >> "$m/log"; sleep 1; done ) &
  while :; do sleep 1; done
fi
mkdir -p src
echo "done by $SHIFTBOSS_SESSION" > src/t1.txt
exit 0
"#;

fn stubborn(mode: &str) -> Fixture {
    let f = setup(STUBBORN, 1, &["t1"], "");
    let config = std::fs::read_to_string(f.repo.join(".shiftboss/config.toml")).unwrap();
    std::fs::write(
        f.repo.join(".shiftboss/config.toml"),
        format!(
            "{config}[sandbox]\nmode = \"{mode}\"\nrw = [\"{}\"]\n",
            f.marks.display()
        ),
    )
    .unwrap();
    f
}

#[test]
fn a_term_ignoring_agent_is_gone_when_up_returns() {
    if have_bwrap() {
        term_ignoring_agent_is_gone_when_up_returns("on");
    }
}

#[test]
fn a_term_ignoring_unconfined_agent_and_its_child_are_gone_when_up_returns() {
    term_ignoring_agent_is_gone_when_up_returns("off");
}

fn term_ignoring_agent_is_gone_when_up_returns(mode: &str) {
    let f = stubborn(mode);
    let mut child = f.up(&["--until", "1h"]).spawn().unwrap();
    wait_for("the agent's first tick", || f.marks_log().contains("tick "));
    // SIGTERM to shiftboss: it stops its agents and returns only when they are gone.
    shiftboss::sys::signal_process(child.id(), shiftboss::sys::Signal::TERM);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(f.agents_alive(), vec![], "agents outlived shiftboss");
}

/// kill -9 of shiftboss while a SIGTERM-ignoring agent runs, then resume:
/// the old agent is gone before the task restarts; one session at a time.
fn kill_and_resume(mode: &str) {
    let f = stubborn(mode);
    let mut child = f.up(&["--until-idle"]).spawn().unwrap();
    wait_for("the agent's first tick", || f.marks_log().contains("tick "));
    let first = f.agents_alive();
    assert!(!first.is_empty());
    let old_session = first[0].1.clone();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    if mode == "on" {
        // The sandbox dies with its shiftboss.
        wait_for("the sandboxed agent to die with shiftboss", || {
            f.agents_alive().is_empty()
        });
    } else {
        // Unconfined, the agent's child lives on (its group is recorded).
        assert!(
            f.agents_alive().iter().any(|(_, s, _)| *s == old_session),
            "the orphan should still run before the resume"
        );
    }
    // What a kill in the middle of git leaves: locks nobody holds.
    let git_dir = f.repo.join(".git");
    let locks = [
        git_dir.join("refs/heads/shiftboss/builder-01/t1.lock"),
        git_dir.join("worktrees/builder-01/index.lock"),
    ];
    for l in &locks {
        std::fs::write(l, "").unwrap();
    }
    let out = f.up(&["--until-idle", "--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        f.agents_alive(),
        vec![],
        "agents outlived shiftboss; {err}\n{}",
        f.marks_log()
    );
    let landed = git(&f.repo, &["show", "main:src/t1.txt"]);
    assert!(landed.starts_with("done by "), "{landed}");
    for l in &locks {
        assert!(!l.exists(), "{} left", l.display());
        let said = format!("removed a stale git lock no process held: {}", l.display());
        assert!(err.contains(&said), "{err}");
    }
    let log = f.marks_log();
    let starts: Vec<usize> = log
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("start "))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(starts.len(), 2, "{log}");
    let old_tick = format!("tick {old_session}");
    assert!(
        !log.lines().skip(starts[1]).any(|l| l == old_tick),
        "the old session ran beside the new one:\n{log}"
    );
    let landed = git(&f.repo, &["show", "main:src/t1.txt"]);
    assert!(landed.starts_with("done by "), "{landed}");
}

#[test]
fn after_kill_9_the_sandboxed_agent_is_gone_and_the_resume_runs_one_session() {
    if have_bwrap() {
        kill_and_resume("on");
    }
}

#[test]
fn after_kill_9_the_resume_kills_the_unconfined_agent_s_recorded_group() {
    kill_and_resume("off");
}

/// The watchdog stops a silent agent that ignores SIGTERM; its task restarts
/// on the same agent (and worktree) while the old one is in its grace period.
/// The old one is killed first: the two never run side by side.
#[test]
fn a_stopped_agent_in_its_grace_period_never_shares_its_worktree_with_the_next_session() {
    let f = setup(STUBBORN, 1, &["t1"], "stall_after = \"2s\"\n");
    let config = std::fs::read_to_string(f.repo.join(".shiftboss/config.toml")).unwrap();
    let config = config.replace("stop_grace = \"1s\"", "stop_grace = \"20s\"");
    let mode = if have_bwrap() { "on" } else { "off" };
    std::fs::write(
        f.repo.join(".shiftboss/config.toml"),
        format!(
            "{config}[sandbox]\nmode = \"{mode}\"\nrw = [\"{}\"]\n",
            f.marks.display()
        ),
    )
    .unwrap();
    let out = f.up(&["--until-idle", "--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(f.agents_alive(), vec![], "agents outlived shiftboss");
    let log = f.marks_log();
    let starts: Vec<(usize, &str)> = log
        .lines()
        .enumerate()
        .filter_map(|(n, l)| l.strip_prefix("start ").map(|s| (n, s)))
        .collect();
    assert_eq!(starts.len(), 2, "{log}");
    let old_tick = format!("tick {}", starts[0].1);
    assert!(
        !log.lines().skip(starts[1].0).any(|l| l == old_tick),
        "the stopped session ran beside the new one:\n{log}"
    );
    let landed = git(&f.repo, &["show", "main:src/t1.txt"]);
    assert!(landed.starts_with("done by "), "{landed}");
}

/// SIGTERM reaches a sandboxed agent, not bwrap (whose death would take the
/// agent down at once): it gets its grace period to clean up.
#[test]
fn a_sandboxed_agent_gets_its_grace_period_after_sigterm() {
    if !have_bwrap() {
        return;
    }
    let script = r#"#!/bin/sh
cat > /dev/null
trap 'sleep 1; echo "cleaned up" >> "$DRILL_MARKS/log"; exit 0' TERM
echo "start" >> "$DRILL_MARKS/log"
while :; do sleep 1 & wait $!; done
"#;
    let f = setup(script, 1, &["t1"], "");
    let config = std::fs::read_to_string(f.repo.join(".shiftboss/config.toml")).unwrap();
    let config = config.replace("stop_grace = \"1s\"", "stop_grace = \"30s\"");
    std::fs::write(
        f.repo.join(".shiftboss/config.toml"),
        format!("{config}[sandbox]\nrw = [\"{}\"]\n", f.marks.display()),
    )
    .unwrap();
    let mut child = f.up(&["--until", "1h"]).spawn().unwrap();
    wait_for("the agent to start", || f.marks_log().contains("start"));
    shiftboss::sys::signal_process(child.id(), shiftboss::sys::Signal::TERM);
    assert!(child.wait().unwrap().success());
    assert!(f.marks_log().contains("cleaned up"), "{}", f.marks_log());
    assert_eq!(f.agents_alive(), vec![]);
}
