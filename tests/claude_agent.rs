//! The real Claude Code CLI as the swarm's runtime, against a scripted
//! Anthropic API on 127.0.0.1. `.ci/run` installs the CLI from npm; the
//! test finds its native binary there (or through `SHIFTBOSS_TEST_CLAUDE`).

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::anthropic::{Reply, Server};

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn claude() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SHIFTBOSS_TEST_CLAUDE") {
        return Some(PathBuf::from(p));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/npm/node_modules/@anthropic-ai/claude-code-linux-x64/claude");
    local.is_file().then_some(local)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The scripted model: first a Bash call that makes the task's change and
/// commits it, then a done line.
fn script(req: &Value, turn: usize) -> Reply {
    let first = req["messages"][0]["content"].to_string();
    let task = first
        .split("Your task is ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap_or("unknown")
        .to_string();
    match turn {
        0 => Reply::Bash(format!(
            "mkdir -p src && printf 'work on {task}\\n' > src/{task}.txt && git add -A && \
             git -c user.name=claude -c user.email=claude@example.invalid commit -qm '{task}: the change'"
        )),
        _ => Reply::Text(format!("::done::{task} is finished")),
    }
}

#[test]
fn claude_code_agents_edit_commit_and_merge_with_exact_usage_and_cost() {
    let Some(claude) = claude() else {
        eprintln!("skipped: Claude Code is not installed (.ci/run installs it)");
        return;
    };
    let api = Server::start(script);
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "hello\n").unwrap();
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "init",
        ],
    );
    git(&repo, &["switch", "-q", "--detach"]);
    let sb = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(&repo)
            .env("ANTHROPIC_BASE_URL", &api.url)
            .env("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
            .env("HOME", tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    sb(&["init"]);
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        format!(
            "[swarm]\nagents = 3\nmax_live = 3\nruntime = \"claude\"\nmodels = [\"claude-sonnet-4-5\"]\n\
             [agent]\nclaude = \"{}\"\nstop_grace = \"2s\"\n",
            claude.display()
        ),
    )
    .unwrap();
    for t in ["c-one", "c-two", "c-three"] {
        sb(&[
            "task",
            "add",
            &format!("Write {t}"),
            "--id",
            t,
            "--scope",
            "src/**",
        ]);
    }
    let out = sb(&["up", "--headless", "--until-idle", "--json"]);
    let sum: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 3, "{sum}");
    for t in ["c-one", "c-two", "c-three"] {
        assert_eq!(
            git(&repo, &["show", &format!("main:src/{t}.txt")]),
            format!("work on {t}\n")
        );
    }
    // The agents' own commits (by the scripted model) are on main.
    assert_eq!(
        git(&repo, &["log", "--format=%an", "main"])
            .lines()
            .filter(|a| *a == "claude")
            .count(),
        3
    );

    // Tokens in the log equal exactly what the API served, each message
    // counted once although Claude Code repeats it per content block.
    let served = api.served();
    assert_eq!(served.requests, 6);
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let (input, output, read, write, cost): (u64, u64, u64, u64, i64) = conn
        .query_row(
            "SELECT sum(json_extract(data,'$.usage.input')), sum(json_extract(data,'$.usage.output')),
                    sum(json_extract(data,'$.usage.cache_read')), sum(json_extract(data,'$.usage.cache_write')),
                    sum(json_extract(data,'$.cost'))
             FROM events WHERE kind = 'usage_recorded'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    if output != served.output {
        let mut q = conn.prepare("SELECT session, data FROM events WHERE kind IN ('usage_recorded','cost_reported') ORDER BY seq").unwrap();
        for r in q
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap()
        {
            eprintln!("{:?}", r.unwrap());
        }
    }
    assert_eq!(
        (input, output, read, write),
        (
            served.input,
            served.output,
            served.cache_read,
            served.cache_write
        )
    );
    let expected = served.input as i64 * 3_000_000
        + served.output as i64 * 15_000_000
        + served.cache_read as i64 * 300_000
        + served.cache_write as i64 * 3_750_000;
    assert_eq!(cost, expected);
    // Claude Code's own cost, recorded beside ours, agrees to the nanodollar.
    let mut q = conn
        .prepare("SELECT json_extract(data,'$.reported'), json_extract(data,'$.computed') FROM events WHERE kind = 'cost_reported'")
        .unwrap();
    let pairs: Vec<(i64, i64)> = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(pairs.len(), 3);
    for (reported, computed) in pairs {
        assert!(
            (reported - computed).abs() <= 1_000,
            "reported {reported} vs computed {computed}"
        );
    }
    // The key never reached the log.
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE data LIKE '%sk-ant-test%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}
