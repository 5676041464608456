//! The operator's log file, shell completions, the man page and the demo's
//! temporary project: the real binary, real git repositories and real
//! files, in virtual time.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn small() -> String {
    format!(
        "{}/fixtures/scenarios/small.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).current_dir("/").env_remove("SHIFTBOSS_LOG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run shiftboss")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

/// A simulated day that ran to its end: exit 0, or 3 when some of its
/// tasks failed for good (the small day plants failures).
fn day_ran(out: &Output) -> String {
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

fn log_files(state: &Path) -> Vec<PathBuf> {
    let dir = state.join(".shiftboss/logs");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries.map(|e| e.unwrap().path()).collect()
}

#[test]
fn a_headless_demo_logs_the_executors_actions_to_a_file_and_nothing_to_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("day");
    let s = small();
    let st = state.display().to_string();
    let out = run(
        &[
            "demo",
            "--headless",
            "--json",
            "--state-dir",
            &st,
            "--scenario",
            &s,
        ],
        &[],
    );
    let stdout = day_ran(&out);
    let summary: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout is one JSON object");
    assert!(summary["merges"].as_u64().unwrap() > 0, "{summary}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(" INFO "), "log lines on stderr: {stderr}");

    let files = log_files(&state);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("shiftboss.") && name.ends_with(".log"),
        "{name}"
    );
    let log = std::fs::read_to_string(&files[0]).unwrap();
    for expected in [
        " INFO ",
        "start: preparing the worktree",
        "gate run",
        "gates passed",
        "landing: a batch",
        "landing: outcome",
        "outcome=\"merged\"",
    ] {
        assert!(
            log.contains(expected),
            "{expected:?} not in the log:\n{log}"
        );
    }
    // One line per landing outcome the summary counts as merged.
    let merged = log
        .lines()
        .filter(|l| l.contains("landing: outcome") && l.contains("outcome=\"merged\""))
        .count() as u64;
    assert_eq!(merged, summary["merges"].as_u64().unwrap(), "{log}");
}

#[test]
fn the_log_level_comes_from_shiftboss_log() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("quiet");
    let s = small();
    let st = state.display().to_string();
    let out = run(
        &[
            "demo",
            "--headless",
            "--json",
            "--state-dir",
            &st,
            "--scenario",
            &s,
        ],
        &[("SHIFTBOSS_LOG", "warn")],
    );
    day_ran(&out);
    let log = std::fs::read_to_string(&log_files(&state)[0]).unwrap();
    assert!(!log.contains(" INFO "), "{log}");
}

#[test]
fn a_bad_log_level_is_one_line_exit_2_and_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("never");
    let st = state.display().to_string();
    for bad in ["loud", "shiftboss=loud"] {
        let out = run(
            &["demo", "--headless", "--state-dir", &st],
            &[("SHIFTBOSS_LOG", bad)],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("SHIFTBOSS_LOG: expected a level"), "{err}");
        assert!(!state.exists(), "written for {bad}");
    }
}

#[test]
fn completions_name_every_subcommand_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&run(&["completions", shell], &[]));
        for sub in [
            "demo",
            "up",
            "init",
            "status",
            "task",
            "doctor",
            "screenshot",
            "man",
        ] {
            assert!(script.contains(sub), "{shell}: {sub} missing");
        }
        assert!(
            script.contains("--state-dir"),
            "{shell}: demo's options missing"
        );
    }
    let out = run(&["completions", "tcsh"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_has_a_section_per_subcommand() {
    let page = ok(&run(&["man"], &[]));
    assert!(
        page.starts_with(".ie") || page.contains(".TH shiftboss 1"),
        "{page}"
    );
    assert!(page.contains(".TH shiftboss 1"), "{page}");
    for section in [
        "SHIFTBOSS DEMO",
        "SHIFTBOSS UP",
        "SHIFTBOSS TASK ADD",
        "SHIFTBOSS COMPLETIONS",
    ] {
        assert!(
            page.contains(&format!(".SH \"{section}\"")),
            "{section} missing"
        );
    }
    assert!(page.contains("\\-\\-until\\-idle"), "up's options missing");
}

fn demo_projects(tmpdir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmpdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("shiftboss-demo-")
        })
        .collect()
}

#[test]
fn a_demo_without_a_state_dir_removes_its_project_unless_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().display().to_string();
    let s = small();
    let out = run(
        &["demo", "--headless", "--scenario", &s, "--until", "1h"],
        &[("TMPDIR", &t)],
    );
    day_ran(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("demo project in"), "{err}");
    assert_eq!(demo_projects(tmp.path()), Vec::<PathBuf>::new());

    let out = run(
        &[
            "demo",
            "--headless",
            "--keep",
            "--scenario",
            &s,
            "--until",
            "1h",
        ],
        &[("TMPDIR", &t)],
    );
    day_ran(&out);
    let kept = demo_projects(tmp.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].join(".shiftboss/state.db").exists());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&kept[0].display().to_string()), "{err}");

    let out = run(&["demo", "--keep", "--state-dir", &t], &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--keep is for the temporary project"
    );
}
