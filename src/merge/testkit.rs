//! What the merge module's tests on real repositories share: the time they
//! run at, the `git` command line with no user or system config, and the
//! options of a plain landing.

use super::LandOptions;
use crate::domain::Millis;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// 2026-01-01T00:00:00Z.
pub(super) const T0: Millis = 1_767_225_600_000;

/// `git args` in `dir`, its standard output; a failure fails the test.
pub(super) fn git(dir: &Path, args: &[&str]) -> String {
    git_input(dir, args, b"")
}

/// [`git`] with `input` on its standard input (plumbing such as `mktree`).
pub(super) fn git_input(dir: &Path, args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "a")
        .env("GIT_AUTHOR_EMAIL", "a@a")
        .env("GIT_COMMITTER_NAME", "a")
        .env("GIT_COMMITTER_EMAIL", "a@a")
        .stdin(if input.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run git");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("write to git");
    }
    let out = child.wait_with_output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`git`]'s output trimmed: one value such as a commit id.
pub(super) fn git_value(dir: &Path, args: &[&str]) -> String {
    git(dir, args).trim().to_string()
}

/// Write `content` at `rel` under `dir`, making its folders.
pub(super) fn write(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Every file under `dir`, at any depth, sorted.
pub(super) fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// A landing at [`T0`] with these gate commands, onto `onto` (none: the
/// target), no `ai` tier and no append-only files.
pub(super) fn land_options<'a>(checks: &'a [String], onto: Option<&'a str>) -> LandOptions<'a> {
    LandOptions {
        checks,
        timeout: Duration::from_secs(60),
        env: &[],
        append_only: &[],
        ai: None,
        at: T0,
        onto,
    }
}
