//! What a real agent leaves in its worktree reaches the target whole: new
//! files (in new folders), edits and deletions, committed by shiftboss when
//! the agent did not commit them itself.

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/repo.rs"]
mod repo;
use repo::{git, new_repo};

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run shiftboss")
}

/// Adds, edits and deletes files, commits none of it, and is done.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src/new/deeper
echo "made by $SHIFTBOSS_AGENT" > src/new/deeper/made.txt
echo "edited" >> src/kept.txt
rm src/gone.txt
rm -r src/old
echo "::progress 100::added, edited and deleted"
exit 0
"#;

#[test]
fn new_edited_and_deleted_files_all_land() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    for (path, text) in [
        ("src/kept.txt", "kept\n"),
        ("src/gone.txt", "going\n"),
        ("src/old/a.txt", "a\n"),
        ("src/old/b.txt", "b\n"),
    ] {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(&repo, &["switch", "-q", "main"]);
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "files",
        ],
    );
    git(&repo, &["switch", "-q", "--detach", "main"]);
    let agent = tmp.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert!(run(&repo, &["init"]).status.success());
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n[agent]\ncommand = [\"{}\"]\n",
        agent.display()
    );
    std::fs::write(repo.join(".shiftboss/config.toml"), config).unwrap();
    let out = run(
        &repo,
        &[
            "task",
            "add",
            "Rework src",
            "--id",
            "t-files",
            "--scope",
            "src/**",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&repo, &["up", "--headless", "--until-idle", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 1, "{sum}");

    assert_eq!(
        git(&repo, &["show", "main:src/new/deeper/made.txt"]),
        "made by builder-01\n"
    );
    assert_eq!(git(&repo, &["show", "main:src/kept.txt"]), "kept\nedited\n");
    let files = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(
        files, "README.md\nsrc/kept.txt\nsrc/new/deeper/made.txt\n",
        "deleted files are gone from the target"
    );
}
