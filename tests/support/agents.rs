//! The real agent CLIs for the tests, and the real binary run on a
//! repository. `.ci/run` installs the CLIs from npm under `.ci/npm`; the
//! tests find their native binaries there (or through
//! `SHIFTBOSS_TEST_CLAUDE` and `SHIFTBOSS_TEST_CODEX`).
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn installed(var: &str, path: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/npm/node_modules")
        .join(path);
    local.is_file().then_some(local)
}

pub fn claude() -> Option<PathBuf> {
    installed(
        "SHIFTBOSS_TEST_CLAUDE",
        "@anthropic-ai/claude-code-linux-x64/claude",
    )
}

pub fn codex() -> Option<PathBuf> {
    installed(
        "SHIFTBOSS_TEST_CODEX",
        "@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex",
    )
}

/// Run shiftboss in `repo` with `env`; it must succeed.
pub fn shiftboss(
    repo: &Path,
    home: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(repo)
        .envs(env.iter().copied())
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The events of `kind` in the log at `repo`, as JSON data.
pub fn events(repo: &Path, kind: &str) -> Vec<Value> {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let mut q = conn
        .prepare("SELECT data FROM events WHERE kind = ?1 ORDER BY seq")
        .unwrap();
    q.query_map([kind], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| serde_json::from_str(&d.unwrap()).unwrap())
        .collect()
}

/// `init` in `repo`, `config` as its config file, and one task a name in
/// `tasks` ("Write <t>", scope `src/**`); shiftboss run with `env` and
/// HOME at `home`.
pub fn init_with_tasks(
    repo: &Path,
    home: &Path,
    env: &[(&str, &str)],
    config: &str,
    tasks: &[&str],
) {
    shiftboss(repo, home, env, &["init"]);
    std::fs::write(repo.join(".shiftboss/config.toml"), config).unwrap();
    for t in tasks {
        let title = format!("Write {t}");
        shiftboss(
            repo,
            home,
            env,
            &["task", "add", &title, "--id", t, "--scope", "src/**"],
        );
    }
}

/// `up --headless --until-idle --json` in `repo` with `env` and HOME at
/// `home`: its summary, whether or not a task failed (exit 3).
pub fn up_summary(repo: &Path, home: &Path, env: &[(&str, &str)]) -> Value {
    let out = Command::new(BIN)
        .args(["up", "--headless", "--until-idle", "--json"])
        .current_dir(repo)
        .envs(env.iter().copied())
        .env("HOME", home)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
}
