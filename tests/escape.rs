//! What an agent could use to reach out of its repository: symlinks out of
//! it or into `.git` / `.shiftboss` (refused by the `paths` gate, on the
//! branch and again before the queue moves the target), and a changed
//! `.git/config` (a critical concern, the change put back). Real `command`
//! agents, the real binary, checked with the git CLI.

#[allow(dead_code)]
mod support;

use shiftboss::domain::MergeOutcome;
use shiftboss::merge::{LandEntry, LandOptions, Repo};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::drill::{self, BIN, add_tasks, command_config, init_with, up_until_idle, write_agent};
use support::repo::{git, new_repo};

/// Commits a link out of the repository on its first attempt; told why the
/// task came back, takes the link out. The config task writes
/// `core.fsmonitor` into the shared config.
const AGENT: &str = r#"#!/bin/sh
prompt=$(cat)
mkdir -p src
again=no
if printf '%s' "$prompt" | grep -q "Why this task came back"; then again=yes; fi
case "$SHIFTBOSS_TASK" in
  t-etc) if [ $again = no ]; then ln -s /etc src/x; else rm -f src/x; fi ;;
  t-shift) if [ $again = no ]; then ln -s ../../.shiftboss src/s; else rm -f src/s; fi ;;
  t-git) if [ $again = no ]; then mkdir -p src/g; ln -s ../../.git/config src/g/c; else rm -rf src/g; fi ;;
  t-cfg) git config core.fsmonitor "$PWD/src/watch.sh" ;;
esac
echo "work on $SHIFTBOSS_TASK" > "src/$SHIFTBOSS_TASK.txt"
exit 0
"#;

fn setup(tasks: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    setup_with(tasks, "")
}

/// `setup`, with `extra` appended to the config.
fn setup_with(tasks: &[&str], extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = write_agent(tmp.path(), AGENT);
    init_with(&repo, &command_config(2, &agent, extra));
    add_tasks(&repo, tasks);
    (tmp, repo)
}

fn up(repo: &Path) -> serde_json::Value {
    up_until_idle(repo, &[])
}

/// Every tree main's first-parent history ever had: no symlink in any.
fn links_ever_on_main(repo: &Path) -> Vec<String> {
    let mut links = Vec::new();
    for commit in git(repo, &["rev-list", "--first-parent", "main"]).lines() {
        for line in git(repo, &["ls-tree", "-r", commit]).lines() {
            if line.starts_with("120000") {
                links.push(format!("{commit}: {line}"));
            }
        }
    }
    links
}

fn findings(repo: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT json_extract(f.value,'$.gate'), json_extract(f.value,'$.file')
             FROM events, json_each(json_extract(data,'$.findings')) AS f
             WHERE kind = 'gate_finished'",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn links_out_of_the_repository_are_refused_and_never_reach_main() {
    let (_tmp, repo) = setup(&["t-etc", "t-shift", "t-git"]);
    let sum = up(&repo);
    assert_eq!(sum["merges"], 3, "{sum}");
    let found = findings(&repo);
    for (task, file) in [
        ("t-etc", "src/x"),
        ("t-shift", "src/s"),
        ("t-git", "src/g/c"),
    ] {
        assert!(
            found.iter().any(|(g, f)| g == "paths" && f == file),
            "{task}: no paths finding for {file} in {found:?}"
        );
        let text = git(&repo, &["show", &format!("main:src/{task}.txt")]);
        assert!(text.contains(task));
    }
    assert_eq!(links_ever_on_main(&repo), Vec::<String>::new());
}

#[test]
fn a_changed_git_config_is_a_critical_concern_and_is_put_back() {
    // Unconfined, the agent can write the shared config: the watch is what
    // stands between it and the operator's next `git status`.
    let (_tmp, repo) = setup_with(&["t-cfg"], "[sandbox]\nmode = \"off\"\n");
    let before = std::fs::read(repo.join(".git/config")).unwrap();
    let sum = up(&repo);
    assert_eq!(sum["merges"], 1, "{sum}");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(repo.join(".git/config")).unwrap()),
        String::from_utf8_lossy(&before)
    );
    let out = Command::new("git")
        .args(["config", "--get", "core.fsmonitor"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(!out.status.success(), "fsmonitor is still set");
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let (impact, text): (String, String) = conn
        .query_row(
            "SELECT json_extract(data,'$.impact'), json_extract(data,'$.summary')
             FROM events WHERE kind = 'concern_raised' AND data LIKE '%.git/config%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a concern about .git/config");
    assert_eq!(impact, "critical");
    assert!(text.contains("core.fsmonitor"), "{text}");
}

#[test]
fn in_the_sandbox_the_shared_git_config_cannot_be_changed() {
    if !Path::new("/usr/bin/bwrap").exists() && std::env::var_os("CI").is_none() {
        eprintln!("skipped: bwrap (bubblewrap) is not installed");
        return;
    }
    let (_tmp, repo) = setup(&["t-cfg"]);
    let before = std::fs::read(repo.join(".git/config")).unwrap();
    let sum = up(&repo);
    assert_eq!(sum["merges"], 1, "{sum}");
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(repo.join(".git/config")).unwrap()),
        String::from_utf8_lossy(&before)
    );
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let concerns: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND data LIKE '%.git/config%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(concerns, 0, "the config never changed, so nothing to raise");
}

#[test]
fn doctor_flags_git_config_that_runs_programs() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    assert!(drill::run(&repo, &["init"], &[]).status.success());
    // A config that runs: the simulator, whatever agent CLIs this machine has.
    let cfg = repo.join(".shiftboss/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("runtime = ") {
                "runtime = \"sim\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&cfg, text).unwrap();
    let out = drill::run(&repo, &["doctor"], &[]);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        report.contains("ok    .git/config runs no programs"),
        "{report}"
    );
    git(&repo, &["config", "core.fsmonitor", "/tmp/watch.sh"]);
    git(&repo, &["config", "filter.lfsish.smudge", "cat"]);
    let out = drill::run(&repo, &["doctor"], &[]);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        report.contains("warn  .git/config sets core.fsmonitor = /tmp/watch.sh"),
        "{report}"
    );
    assert!(
        report.contains("warn  .git/config sets filter.lfsish.smudge = cat"),
        "{report}"
    );
    // Accepted by the operator: no longer flagged.
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("allowed_git_config = []"), "{text}");
    std::fs::write(
        &cfg,
        text.replace(
            "allowed_git_config = []",
            "allowed_git_config = [\"core.fsmonitor\"]",
        ),
    )
    .unwrap();
    let out = drill::run(&repo, &["doctor"], &[]);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!report.contains("sets core.fsmonitor"), "{report}");
    assert!(report.contains("sets filter.lfsish.smudge"), "{report}");
}

/// A branch that never went through the branch gates (it moved after them):
/// the queue refuses its link before the target moves.
#[test]
fn the_queue_refuses_a_link_out_before_moving_the_target() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    git(
        &repo,
        &["switch", "-q", "-c", "shiftboss/b1/t-link", "main"],
    );
    std::os::unix::fs::symlink("../.shiftboss/state.db", repo.join("db")).unwrap();
    std::fs::write(repo.join("ok.txt"), "fine\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@t",
            "commit",
            "-qm",
            "link",
        ],
    );
    git(&repo, &["switch", "-q", "--detach", "main"]);
    let main_before = git(&repo, &["rev-parse", "main"]);
    let r = Repo::open(&repo, &repo.join(".shiftboss/worktrees"), "main").unwrap();
    let entries = [LandEntry {
        task: "t-link".into(),
        branch: "shiftboss/b1/t-link".into(),
        message: "Merge t-link".into(),
        context: String::new(),
        advance: None,
    }];
    let opts = LandOptions {
        checks: &[],
        timeout: Duration::from_secs(10),
        env: &[],
        append_only: &[],
        ai: None,
        at: 1_780_000_000_000,
        onto: None,
    };
    let landing = r.land(&entries, &opts);
    assert_eq!(landing.error, None);
    match &landing.results[..] {
        [(t, MergeOutcome::Rejected { gate, findings, .. })] => {
            assert_eq!((t.as_str(), gate.as_str()), ("t-link", "paths"));
            assert_eq!(findings[0].file, "db");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(git(&repo, &["rev-parse", "main"]), main_before);
}

/// Scopes, ids and convoy names are refused on the way in: one line, exit
/// 2, no task written.
#[test]
fn bad_scopes_ids_and_convoy_names_are_refused_on_the_way_in() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    assert!(drill::run(&repo, &["init"], &[]).status.success());
    let long = "a".repeat(300);
    let cases: [(&[&str], &str); 7] = [
        (&["--scope", "/etc/**"], "--scope \"/etc/**\""),
        (&["--scope", "../outside/**"], "'..'"),
        (&["--scope", ""], "an empty glob"),
        (&["--id", &long], "300 characters"),
        (&["--id", "a..b"], "--id \"a..b\""),
        (&["--convoy=-rf"], "--convoy \"-rf\""),
        (&["--convoy", "a/b"], "--convoy \"a/b\""),
    ];
    for (args, want) in cases {
        let mut all = vec!["task", "add", "A task"];
        all.extend_from_slice(args);
        let out = drill::run(&repo, &all, &[]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let file = repo.join("backlog.toml");
    std::fs::write(
        &file,
        format!("[[convoy]]\nname = \"c\"\n[[convoy.task]]\nid = \"{long}\"\ntitle = \"t\"\n"),
    )
    .unwrap();
    let out = drill::run(&repo, &["task", "import", file.to_str().unwrap()], &[]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("backlog.toml:4: convoy[0].task[0].id:"),
        "{err}"
    );
    // Nothing was written: not even the event log exists.
    assert!(!repo.join(".shiftboss/state.db").exists());
}

/// A scenario is checked the same way before anything is written.
#[test]
fn a_scenario_with_a_scope_out_of_the_repository_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "b".repeat(65);
    for (task, want) in [
        (
            "id = \"t1\"\ntitle = \"t\"\nscope = [\"../../etc/**\"]",
            ":9: convoy[0].task[0].scope:",
        ),
        (
            &*format!("id = \"{long}\"\ntitle = \"t\""),
            ":7: convoy[0].task[0].id:",
        ),
    ] {
        let file = tmp.path().join("scenario.toml");
        std::fs::write(
            &file,
            format!(
                "[scenario]\nname = \"x\"\nduration = \"1h\"\n[[convoy]]\nname = \"c\"\n[[convoy.task]]\n{task}\n"
            ),
        )
        .unwrap();
        let state = tmp.path().join("state");
        let out = Command::new(BIN)
            .args(["demo", "--headless", "--scenario"])
            .arg(&file)
            .arg("--state-dir")
            .arg(&state)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!state.exists(), "nothing written");
    }
}

/// A link that stays inside by itself but goes on through a link already on
/// the target (one the operator committed) out of the repository or into
/// `.git` is refused too; a link through an in-repository link is not.
#[test]
fn a_link_through_another_link_out_of_the_repository_is_refused() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    git(&repo, &["switch", "-q", "--detach", "main"]);
    std::os::unix::fs::symlink("/etc", repo.join("sys")).unwrap();
    std::os::unix::fs::symlink("meta/../.git", repo.join("gitdir")).unwrap();
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    std::fs::write(repo.join("docs/a.md"), "a\n").unwrap();
    std::os::unix::fs::symlink("docs", repo.join("manual")).unwrap();
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=o",
            "-c",
            "user.email=o@t",
            "commit",
            "-qm",
            "operator's links",
        ],
    );
    let head = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["update-ref", "refs/heads/main", head.trim()]);
    git(&repo, &["switch", "-q", "-c", "shiftboss/b1/t-hop", "main"]);
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::os::unix::fs::symlink("../sys/passwd", repo.join("src/p")).unwrap();
    std::os::unix::fs::symlink("../gitdir/config", repo.join("src/c")).unwrap();
    std::os::unix::fs::symlink("../manual/a.md", repo.join("src/ok")).unwrap();
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@t",
            "commit",
            "-qm",
            "hops",
        ],
    );
    git(&repo, &["switch", "-q", "--detach", "main"]);
    let r = Repo::open(&repo, &repo.join(".shiftboss/worktrees"), "main").unwrap();
    let found = r.escapes("shiftboss/b1/t-hop").unwrap();
    let mut files: Vec<&str> = found.iter().map(|f| f.file.as_str()).collect();
    files.sort();
    assert_eq!(files, ["src/c", "src/p"], "{found:?}");
    assert!(
        found
            .iter()
            .all(|f| f.gate == "paths" && f.found.contains("through")),
        "{found:?}"
    );
}

/// A link already on the target that stayed inside only because the path
/// it passes through was missing: a branch that adds a harmless-looking
/// link there (`cur -> .`) makes it lead out (`view -> cur/..` is then the
/// folder above the repository). The link that now escapes is the finding;
/// the operator's own links that always escaped are not the branch's.
#[test]
fn a_new_link_that_sends_an_existing_link_out_is_refused() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    git(&repo, &["switch", "-q", "--detach", "main"]);
    std::os::unix::fs::symlink("/etc", repo.join("sys")).unwrap();
    std::os::unix::fs::symlink("cur/..", repo.join("view")).unwrap();
    git(&repo, &["add", "-A"]);
    let commit = |msg: &str| {
        git(
            &repo,
            &[
                "-c",
                "user.name=o",
                "-c",
                "user.email=o@t",
                "commit",
                "-qm",
                msg,
            ],
        )
    };
    commit("operator's links");
    let head = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["update-ref", "refs/heads/main", head.trim()]);
    git(&repo, &["switch", "-q", "-c", "shiftboss/b1/t-dot", "main"]);
    std::os::unix::fs::symlink(".", repo.join("cur")).unwrap();
    // Many harmless links besides: the finding stays one short line.
    std::fs::create_dir_all(repo.join("more")).unwrap();
    for i in 0..200 {
        std::os::unix::fs::symlink("../README.md", repo.join(format!("more/l{i}"))).unwrap();
    }
    git(&repo, &["add", "-A"]);
    commit("a link to the top");
    // On the branch's checkout, `view` really is the folder above.
    let view = std::fs::canonicalize(repo.join("view")).unwrap();
    let top = std::fs::canonicalize(&repo).unwrap();
    assert!(!view.starts_with(&top), "{}", view.display());
    git(&repo, &["switch", "-q", "--detach", "main"]);
    let r = Repo::open(&repo, &repo.join(".shiftboss/worktrees"), "main").unwrap();
    let found = r.escapes("shiftboss/b1/t-dot").unwrap();
    let files: Vec<&str> = found.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["view"], "{found:?}");
    assert!(found[0].found.contains("`cur`"), "{found:?}");
    assert!(found[0].found.len() < 300, "{}", found[0].found);
    assert_eq!(found[0].gate, "paths");
}

/// A branch that commits into `.shiftboss` (with `git add -f`, past the
/// ignore file) would write shiftboss's own config and inbox in every
/// checkout that follows the target; one with a `.git` folder anywhere (git
/// plumbing takes it, git refuses to check it out) would plant a repository
/// config or leave the target unusable. Both are `paths` findings.
#[test]
fn paths_into_shiftboss_or_a_git_folder_are_refused() {
    let (_tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    git(&repo, &["switch", "-q", "-c", "shiftboss/b1/t-in", "main"]);
    std::fs::create_dir_all(repo.join(".shiftboss")).unwrap();
    std::fs::write(
        repo.join(".shiftboss/config.toml"),
        "[agent]\ncommand = [\"x\"]\n",
    )
    .unwrap();
    git(&repo, &["add", "-f", ".shiftboss/config.toml"]);
    git(
        &repo,
        &[
            "rm",
            "-q",
            "--cached",
            "-r",
            "--ignore-unmatch",
            ".shiftboss/worktrees",
        ],
    );
    let tree = git(&repo, &["write-tree"]);
    git(&repo, &["switch", "-q", "-f", "--detach", "main"]);
    // `sub/.git/config`, built with plumbing.
    let blob = git(&repo, &["hash-object", "-w", "README.md"]);
    let mktree = |listing: String| {
        let mut child = Command::new("git")
            .arg("mktree")
            .current_dir(&repo)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(listing.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let dotgit = mktree(format!("100644 blob {}\tconfig\n", blob.trim()));
    let sub = mktree(format!("040000 tree {dotgit}\t.Git\n"));
    let mut listing = git(&repo, &["ls-tree", tree.trim()]);
    listing.push_str(&format!("040000 tree {sub}\tsub\n"));
    let top = mktree(listing);
    let parent = git(&repo, &["rev-parse", "main"]);
    let commit = git(
        &repo,
        &[
            "-c",
            "user.name=a",
            "-c",
            "user.email=a@t",
            "commit-tree",
            &top,
            "-p",
            parent.trim(),
            "-m",
            "planted",
        ],
    );
    git(
        &repo,
        &["update-ref", "refs/heads/shiftboss/b1/t-in", commit.trim()],
    );
    let r = Repo::open(&repo, &repo.join(".shiftboss/worktrees"), "main").unwrap();
    let found = r.escapes("shiftboss/b1/t-in").unwrap();
    let mut files: Vec<&str> = found.iter().map(|f| f.file.as_str()).collect();
    files.sort();
    assert_eq!(
        files,
        [".shiftboss/config.toml", "sub/.Git/config"],
        "{found:?}"
    );
    assert!(found.iter().all(|f| f.gate == "paths"), "{found:?}");
}
