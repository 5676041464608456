//! Any file a user names is read in bounded memory: an endless device, a
//! huge or binary file ends with one line naming it and exit code 2, and
//! nothing is written.

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir)
        .output()
        .expect("run shiftboss")
}

/// Exit 2, one line on stderr that names `file` and says `what`.
fn refused(out: &Output, file: &str, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(file), "names {file}: {err}");
    assert!(err.contains(what), "says {what}: {err}");
}

#[test]
fn endless_and_random_devices_are_refused_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let state = dir.join("state");
    let state_arg = state.to_str().unwrap();
    let out = run(
        dir,
        &[
            "demo",
            "--headless",
            "--scenario",
            "/dev/zero",
            "--state-dir",
            state_arg,
        ],
    );
    refused(&out, "/dev/zero", "larger than");
    assert!(!state.exists(), "nothing written");
    let shot = dir.join("shot.txt");
    let shot_arg = shot.to_str().unwrap();
    for (flag, file) in [("--theme", "/dev/urandom"), ("--keys", "/dev/zero")] {
        let out = run(dir, &["screenshot", flag, file, "--out", shot_arg]);
        refused(&out, file, "larger than");
        assert!(!shot.exists(), "nothing written");
    }
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let theme = dir.join("theme.toml");
    std::fs::write(&theme, b"base = \"dark\"\n# fine\n\xff\xfe\n").unwrap();
    let shot = dir.join("shot.txt");
    let out = run(
        dir,
        &[
            "screenshot",
            "--theme",
            theme.to_str().unwrap(),
            "--out",
            shot.to_str().unwrap(),
        ],
    );
    refused(&out, "theme.toml:3", "not UTF-8");
    let keys = dir.join("keys.toml");
    std::fs::write(&keys, b"[keys]\n\x80\n").unwrap();
    let out = run(
        dir,
        &[
            "screenshot",
            "--keys",
            keys.to_str().unwrap(),
            "--out",
            shot.to_str().unwrap(),
        ],
    );
    refused(&out, "keys.toml:2", "not UTF-8");
    assert!(!shot.exists());
}

#[test]
fn config_and_backlog_files_are_read_bounded() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    assert!(run(&repo, &["init"]).status.success());
    let out = run(&repo, &["task", "import", "/dev/zero"]);
    refused(&out, "/dev/zero", "larger than");
    let out = run(&repo, &["task", "add", "x", "--spec-file", "/dev/urandom"]);
    refused(&out, "/dev/urandom", "larger than");
    let config = repo.join(".shiftboss/config.toml");
    std::fs::remove_file(&config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    let out = run(&repo, &["up", "--headless", "--until-idle"]);
    refused(&out, "config.toml", "larger than");
}

#[test]
fn a_scenario_conflict_file_that_leaves_the_repository_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/small.toml"),
    )
    .unwrap();
    let good = "conflict_file = \"src/shared/registry.rs\"";
    assert!(base.contains(good));
    for bad in [
        r#""\u0000""#,
        r#""../x""#,
        r#""/etc/passwd""#,
        r#""a/../../x""#,
    ] {
        let scenario = dir.join("bad.toml");
        let text = base.replace(good, &format!("conflict_file = {bad}"));
        std::fs::write(&scenario, &text).unwrap();
        let line = text
            .lines()
            .position(|l| l.starts_with("conflict_file"))
            .unwrap()
            + 1;
        let state = dir.join("state");
        let out = run(
            dir,
            &[
                "demo",
                "--headless",
                "--scenario",
                scenario.to_str().unwrap(),
                "--state-dir",
                state.to_str().unwrap(),
            ],
        );
        refused(
            &out,
            &format!("bad.toml:{line}: sim.conflict_file"),
            "expected a relative path inside the repository",
        );
        assert!(!state.exists(), "nothing written for {bad}");
    }
}
