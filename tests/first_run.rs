//! The first real run on a user's repository: `init` picks a real runtime,
//! the simulator runs only when asked for on the command line, and a
//! missing or non-executable agent program stops `doctor` (FAIL) and `up`
//! (one line, exit 2, nothing written) before anything starts. Real
//! repositories, the real binary, a PATH the test controls.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn sb(dir: &Path, args: &[&str], path: Option<&Path>) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).current_dir(dir);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.output().expect("run shiftboss")
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn script(path: &Path, mode: u32) {
    std::fs::write(path, "#!/bin/sh\necho \"fake 1.0\"\n").unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn config(repo: &Path) -> String {
    std::fs::read_to_string(repo.join(".shiftboss/config.toml")).unwrap()
}

/// Refused with one line and exit 2, and nothing of a swarm written.
fn refused(repo: &Path, out: &Output, says: &[&str]) {
    let e = err(out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    for s in says {
        assert!(e.contains(s), "expected {s:?} in: {e}");
    }
    let dir = repo.join(".shiftboss");
    for f in ["state.db", "worktrees", "owner.lock", "codex", "prompts"] {
        assert!(!dir.join(f).exists(), "{f} written: {e}");
    }
}

#[test]
fn init_picks_the_agent_cli_on_path_else_command_with_an_example() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();

    // Codex only: codex. Claude too: claude, the first choice.
    script(&bin.join("codex"), 0o755);
    let (_t1, repo) = new_repo(&[("README.md", "hi\n")]);
    assert!(sb(&repo, &["init"], Some(&bin)).status.success());
    assert!(config(&repo).contains("\nruntime = \"codex\""));
    script(&bin.join("claude"), 0o755);
    let (_t2, repo) = new_repo(&[("README.md", "hi\n")]);
    let out = sb(&repo, &["init"], Some(&bin));
    assert!(out.status.success(), "{}", err(&out));
    assert!(config(&repo).contains("\nruntime = \"claude\""));
    assert!(String::from_utf8_lossy(&out.stdout).contains("runtime claude"));

    // A claude that is not executable is not a claude.
    std::fs::set_permissions(bin.join("claude"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::remove_file(bin.join("codex")).unwrap();
    let (_t3, repo) = new_repo(&[("README.md", "hi\n")]);
    assert!(sb(&repo, &["init"], Some(&bin)).status.success());
    let text = config(&repo);
    assert!(text.contains("\nruntime = \"command\""), "{text}");
    assert!(text.contains("\n# command = [\"./agent.sh\"]"), "{text}");

    // Until the user names the command, `up` says which key to set.
    let out = sb(&repo, &["up", "--headless"], Some(&bin));
    refused(&repo, &out, &["agent.command", "config.toml"]);
}

#[test]
fn up_runs_the_simulator_only_when_asked_on_the_command_line() {
    let (_tmp, repo) = new_repo(&[("README.md", "hi\n")]);
    assert!(sb(&repo, &["init"], None).status.success());
    // Every config written before had this.
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        "[swarm]\nagents = 2\nmax_live = 2\nruntime = \"sim\"\n",
    )
    .unwrap();
    for args in [
        vec!["up", "--headless", "--until-idle"],
        vec!["up", "--headless", "--speed", "max"],
    ] {
        let out = sb(&repo, &args, None);
        refused(&repo, &out, &["swarm.runtime", "--simulate"]);
    }
    let out = sb(&repo, &["doctor"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL  runtime sim"));

    let out = sb(
        &repo,
        &["task", "add", "Write the docs", "--scope", "docs/**"],
        None,
    );
    assert!(out.status.success(), "{}", err(&out));
    let out = sb(
        &repo,
        &["up", "--simulate", "--headless", "--until-idle", "--json"],
        None,
    );
    assert!(out.status.success(), "{}", err(&out));
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 1, "{sum}");
}

#[test]
fn a_missing_or_non_executable_agent_program_fails_doctor_and_stops_up() {
    let (tmp, repo) = new_repo(&[("README.md", "hi\n")]);
    assert!(sb(&repo, &["init"], None).status.success());
    let agent = repo.join("agent.sh");
    script(&agent, 0o644);
    let cases = [
        (
            "[swarm]\nruntime = \"command\"\n[agent]\ncommand = [\"./agent.sh\"]\n",
            "agent.command",
            "not executable",
        ),
        (
            "[swarm]\nruntime = \"command\"\n[agent]\ncommand = [\"./no-such-agent\"]\n",
            "agent.command",
            "not found",
        ),
        (
            "[swarm]\nruntime = \"claude\"\n[agent]\nclaude = \"/nonexistent/claude\"\n",
            "agent.claude",
            "not found",
        ),
        (
            // A model routed to another runtime is checked too.
            "[swarm]\nruntime = \"command\"\nmodels = [\"claude-sonnet-4-5\", \"gpt-5-codex\"]\n\
             [agent]\ncommand = [\"/bin/true\"]\ncodex = \"no-such-codex\"\nby_model = { \"gpt-5\" = \"codex\" }\n",
            "agent.codex",
            "not found on PATH",
        ),
    ];
    for (text, key, why) in cases {
        std::fs::write(repo.join(".shiftboss/config.toml"), text).unwrap();
        let out = sb(&repo, &["doctor"], None);
        let report = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{report}");
        let fail = report
            .lines()
            .find(|l| l.starts_with("FAIL  runtime"))
            .unwrap_or_else(|| panic!("no FAIL line for {key}: {report}"));
        assert!(fail.contains(key) && fail.contains(why), "{fail}");
        let out = sb(&repo, &["up", "--headless", "--until-idle"], None);
        refused(&repo, &out, &[key, why]);
    }
    drop(tmp);
}
