//! Tests on real repositories in temporary directories; results are checked
//! with the `git` command line.

use super::testkit::{T0, git, write};
use super::*;
use crate::domain::AgentId;
use std::process::Command;

fn fsck(dir: &Path) {
    let out = Command::new("git")
        .args(["fsck", "--full", "--strict"])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git fsck");
    assert!(
        out.status.success(),
        "git fsck: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains("error") && !text.contains("missing"),
        "git fsck: {text}"
    );
}

fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("README.md", "# demo\n\nline one\nline two\n"),
        (
            "src/lib.rs",
            "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
        ),
        ("src/auth/mod.rs", "// auth\n"),
    ]
}

struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    repo: Repo,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(&root, "main", &files(), T0).unwrap();
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    Demo {
        _dir: dir,
        root,
        repo,
    }
}

fn agent(n: usize) -> AgentId {
    AgentId::builder(n)
}

fn read(dir: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(rel)).ok()
}

fn commit(repo: &Repo, wt: &Path, msg: &str, at: Millis) -> String {
    repo.commit_all(wt, msg, "builder", "builder@agents.invalid", at)
        .unwrap()
        .expect("something to commit")
        .0
}

#[test]
fn repo_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Repo>();
}

#[test]
fn init_demo_repo_is_deterministic_and_clean() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let id_a = init_demo_repo(a.path(), "main", &files(), T0).unwrap();
    let id_b = init_demo_repo(&b.path().join("nested/dir"), "main", &files(), T0).unwrap();
    assert_eq!(id_a, id_b);
    assert_eq!(id_a.len(), 40);
    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        init_demo_repo(other.path(), "main", &files(), T0 + 1000).unwrap(),
        id_a
    );

    fsck(a.path());
    assert_eq!(git(a.path(), &["rev-parse", "HEAD"]).trim(), id_a);
    assert_eq!(
        git(a.path(), &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
    assert_eq!(
        git(a.path(), &["log", "--format=%an <%ae>%n%cn <%ce>%n%at"]).trim(),
        format!(
            "shiftboss demo <demo@shiftboss.invalid>\nshiftboss demo <demo@shiftboss.invalid>\n{}",
            T0 / 1000
        )
    );
    assert_eq!(git(a.path(), &["status", "--porcelain"]), "");
    assert_eq!(read(a.path(), ".gitignore").unwrap(), ".shiftboss/\n");
    let tracked = git(a.path(), &["ls-files"]);
    assert_eq!(
        tracked,
        ".gitignore\nREADME.md\nsrc/auth/mod.rs\nsrc/lib.rs\n"
    );

    let again = init_demo_repo(a.path(), "main", &files(), T0).unwrap_err();
    assert!(
        matches!(again, GitError::AlreadyARepository { .. }),
        "{again}"
    );
    assert!(again.to_string().contains(&a.path().display().to_string()));
}

#[test]
fn open_names_a_path_that_is_not_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let err = Repo::open(dir.path(), &dir.path().join("wt"), "main").unwrap_err();
    assert!(matches!(err, GitError::NotARepository { .. }));
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("not a git repository"), "{err}");

    let d = demo();
    let err = Repo::open(&d.root, &d.root.join(".shiftboss/worktrees"), "trunk").unwrap_err();
    assert!(err.to_string().contains("`trunk` does not exist"), "{err}");
}

#[test]
fn worktree_is_created_then_reused_for_the_next_task() {
    let d = demo();
    let a = agent(7);
    let wt = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-07/auth-3", None, T0)
        .unwrap();
    assert_eq!(wt, d.root.join(".shiftboss/worktrees/builder-07"));
    assert_eq!(read(&wt, "src/lib.rs").unwrap(), files()[1].1);
    assert_eq!(
        git(&wt, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/shiftboss/builder-07/auth-3"
    );
    assert_eq!(
        d.repo.branch_tip("shiftboss/builder-07/auth-3").unwrap(),
        Some(d.repo.target_tip().unwrap())
    );

    write(&wt, "src/auth/login.rs", "// login\n");
    commit(&d.repo, &wt, "auth-3: login", T0 + 60_000);

    let wt2 = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-07/auth-4", None, T0)
        .unwrap();
    assert_eq!(wt2, wt);
    assert_eq!(
        git(&wt, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/shiftboss/builder-07/auth-4"
    );
    assert_eq!(
        read(&wt, "src/auth/login.rs"),
        None,
        "the new task starts from the target"
    );
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
    let list = git(&d.root, &["worktree", "list", "--porcelain"]);
    assert_eq!(list.matches("worktree ").count(), 2, "{list}");
    assert_eq!(d.repo.branch_tip("nope/never").unwrap(), None);
    // The operator's checkout shows nothing of the agents' worktrees.
    assert_eq!(git(&d.root, &["status", "--porcelain"]), "");
    fsck(&d.root);
}

#[test]
fn resuming_an_existing_branch_keeps_its_commits() {
    let d = demo();
    let a = agent(1);
    let wt = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-01/t1", None, T0)
        .unwrap();
    write(&wt, "one.txt", "1\n");
    let c1 = commit(&d.repo, &wt, "t1: one", T0 + 1000);
    d.repo
        .prepare_worktree_at(&a, "shiftboss/builder-01/t2", None, T0)
        .unwrap();
    assert_eq!(read(&wt, "one.txt"), None);

    // resume_from is ignored when the branch exists.
    d.repo
        .prepare_worktree_at(
            &a,
            "shiftboss/builder-01/t1",
            Some("shiftboss/builder-01/t2"),
            T0,
        )
        .unwrap();
    assert_eq!(read(&wt, "one.txt").unwrap(), "1\n");
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]).trim(), c1);
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");

    // Preparing the branch it already has changes nothing, not even uncommitted work.
    write(&wt, "two.txt", "2\n");
    d.repo
        .prepare_worktree_at(&a, "shiftboss/builder-01/t1", None, T0)
        .unwrap();
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]).trim(), c1);
    assert_eq!(git(&wt, &["status", "--porcelain"]), "?? two.txt\n");
}

#[test]
fn resume_from_another_agents_branch() {
    let d = demo();
    let wt1 = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/auth-3", None, T0)
        .unwrap();
    write(&wt1, "src/auth/token.rs", "// token\n");
    let c1 = commit(&d.repo, &wt1, "auth-3: token", T0 + 1000);
    // builder-01 moves on.
    d.repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/other", None, T0)
        .unwrap();

    let wt2 = d
        .repo
        .prepare_worktree_at(
            &agent(2),
            "shiftboss/builder-02/auth-3",
            Some("shiftboss/builder-01/auth-3"),
            T0,
        )
        .unwrap();
    assert_eq!(read(&wt2, "src/auth/token.rs").unwrap(), "// token\n");
    assert_eq!(
        d.repo.branch_tip("shiftboss/builder-02/auth-3").unwrap(),
        Some(c1.clone())
    );
    assert_eq!(git(&wt2, &["rev-parse", "HEAD"]).trim(), c1);

    // A resume_from that does not exist falls back to the target.
    let wt3 = d
        .repo
        .prepare_worktree_at(
            &agent(3),
            "shiftboss/builder-03/x",
            Some("shiftboss/nobody/x"),
            T0,
        )
        .unwrap();
    assert_eq!(
        git(&wt3, &["rev-parse", "HEAD"]).trim(),
        d.repo.target_tip().unwrap()
    );
}

#[test]
fn uncommitted_work_is_committed_before_switching() {
    let d = demo();
    let a = agent(4);
    let wt = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-04/t1", None, T0)
        .unwrap();
    write(&wt, "new.txt", "new\n");
    write(&wt, "README.md", "# changed\n");
    std::fs::remove_file(wt.join("src/auth/mod.rs")).unwrap();

    d.repo
        .prepare_worktree_at(&a, "shiftboss/builder-04/t2", None, T0 + 5 * 60_000)
        .unwrap();
    assert_eq!(read(&wt, "new.txt"), None);
    assert_eq!(read(&wt, "README.md").unwrap(), files()[0].1);
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");

    let log = git(
        &d.root,
        &[
            "log",
            "-1",
            "--format=%s%n%an <%ae>%n%at",
            "shiftboss/builder-04/t1",
        ],
    );
    assert_eq!(
        log,
        format!(
            "{WIP_MESSAGE}\nshiftboss <shiftboss@shiftboss.invalid>\n{}\n",
            (T0 + 300_000) / 1000
        )
    );
    let changed = git(
        &d.root,
        &[
            "show",
            "--name-status",
            "--format=",
            "shiftboss/builder-04/t1",
        ],
    );
    assert_eq!(changed, "M\tREADME.md\nA\tnew.txt\nD\tsrc/auth/mod.rs\n");
    fsck(&d.root);
}

#[test]
fn commit_all_uses_the_given_identity_and_time() {
    let d = demo();
    let wt = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/t", None, T0)
        .unwrap();
    assert_eq!(
        d.repo
            .commit_all(&wt, "nothing", "a", "a@b.invalid", T0)
            .unwrap(),
        None,
        "a clean worktree has nothing to commit"
    );
    write(&wt, ".env.example", "X=1\n");
    write(&wt, "deep/er/file.txt", "x\n");
    std::fs::remove_file(wt.join("README.md")).unwrap();
    write(&wt, "src/lib.rs", "// rewritten\n");
    write(&wt, "target/ignored.o", "not in git\n");
    write(&wt, ".gitignore", ".shiftboss/\ntarget/\n");

    let at = 1_700_000_000_987;
    let (id, n) = d
        .repo
        .commit_all(
            &wt,
            "t: everything",
            "Ada Builder",
            "ada@agents.invalid",
            at,
        )
        .unwrap()
        .unwrap();
    assert_eq!(n, 5);
    assert_eq!(
        git(
            &wt,
            &[
                "log",
                "-1",
                "--format=%H%n%an <%ae>%n%cn <%ce>%n%at %ct%n%s"
            ]
        ),
        format!(
            "{id}\nAda Builder <ada@agents.invalid>\nAda Builder <ada@agents.invalid>\n1700000000 1700000000\nt: everything\n"
        )
    );
    assert_eq!(
        git(&wt, &["log", "-1", "--format=%ai"]).trim(),
        "2023-11-14 22:13:20 +0000"
    );
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&wt, &["show", "--name-status", "--format="]),
        "A\t.env.example\nM\t.gitignore\nD\tREADME.md\nA\tdeep/er/file.txt\nM\tsrc/lib.rs\n"
    );
    assert_eq!(
        d.repo
            .commit_all(&wt, "again", "a", "a@b.invalid", at)
            .unwrap(),
        None
    );
    assert_eq!(
        d.repo.changed_files("shiftboss/builder-01/t").unwrap(),
        vec![
            ".env.example",
            ".gitignore",
            "README.md",
            "deep/er/file.txt",
            "src/lib.rs"
        ]
    );
    // The operator's checkout is the target: commit_all refuses it.
    let err = d
        .repo
        .commit_all(&d.root, "no", "a", "a@b.invalid", at)
        .unwrap_err();
    assert!(matches!(err, GitError::TargetBranch { .. }), "{err}");
    fsck(&d.root);
}

#[test]
fn clean_merge_makes_a_two_parent_commit_and_leaves_the_operator_checkout_alone() {
    let d = demo();
    let before = d.repo.target_tip().unwrap();
    let index_before = std::fs::read(d.root.join(".git/index")).unwrap();

    let wt = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/feat", None, T0)
        .unwrap();
    write(&wt, "src/feature.rs", "// feature\n");
    let tip = commit(&d.repo, &wt, "feat: add", T0 + 1000);
    assert_eq!(
        d.repo.changed_files("shiftboss/builder-01/feat").unwrap(),
        vec!["src/feature.rs"]
    );
    assert_eq!(
        d.repo.unmerged_branches().unwrap(),
        vec![("shiftboss/builder-01/feat".to_string(), tip.clone())]
    );

    // Fast-forward would be possible; it is a real merge commit anyway.
    let at = T0 + 3_600_000;
    let merged = d
        .repo
        .merge_into_target("shiftboss/builder-01/feat", "merge feat (builder-01)", at)
        .unwrap();
    let MergeResult::Merged { commit } = merged else {
        panic!("{merged:?}")
    };
    assert_eq!(d.repo.target_tip().unwrap(), commit);
    assert_eq!(git(&d.root, &["rev-parse", "main"]).trim(), commit);
    assert_eq!(
        git(&d.root, &["rev-list", "--parents", "-n1", "main"]).trim(),
        format!("{commit} {before} {tip}")
    );
    assert_eq!(
        git(
            &d.root,
            &[
                "log",
                "-1",
                "--format=%an <%ae>%n%cn <%ce>%n%ct%n%s",
                "main"
            ]
        ),
        format!(
            "shiftboss merge queue <merge@shiftboss.invalid>\nshiftboss merge queue <merge@shiftboss.invalid>\n{}\nmerge feat (builder-01)\n",
            at / 1000
        )
    );
    assert_eq!(
        git(&d.root, &["log", "--format=%an", "main"]),
        "shiftboss merge queue\nbuilder\nshiftboss demo\n"
    );
    let reflog = git(
        &d.root,
        &["reflog", "show", "-1", "--format=%gs", "refs/heads/main"],
    );
    assert!(
        reflog.contains("shiftboss merge queue: merge shiftboss/builder-01/feat"),
        "{reflog}"
    );
    assert_eq!(
        git(&d.root, &["show", "main:src/feature.rs"]),
        "// feature\n"
    );

    // The operator's working tree and index were not touched.
    assert_eq!(
        std::fs::read(d.root.join(".git/index")).unwrap(),
        index_before
    );
    assert!(!d.root.join("src/feature.rs").exists());
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");

    assert!(d.repo.unmerged_branches().unwrap().is_empty());
    assert!(
        d.repo
            .changed_files("shiftboss/builder-01/feat")
            .unwrap()
            .is_empty()
    );
    fsck(&d.root);
}

#[test]
fn conflicting_branches_are_reported_and_the_target_is_unchanged() {
    let d = demo();
    let wt1 = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/a", None, T0)
        .unwrap();
    let wt2 = d
        .repo
        .prepare_worktree_at(&agent(2), "shiftboss/builder-02/b", None, T0)
        .unwrap();
    write(&wt1, "README.md", "# demo\n\nline one (a)\nline two\n");
    write(&wt1, "a.txt", "a\n");
    write(&wt2, "README.md", "# demo\n\nline one (b)\nline two\n");
    write(&wt2, "src/lib.rs", "// b\n");
    write(&wt1, "src/lib.rs", "// a\n");
    commit(&d.repo, &wt1, "a", T0 + 1000);
    commit(&d.repo, &wt2, "b", T0 + 2000);

    let first = d
        .repo
        .merge_into_target("shiftboss/builder-01/a", "merge a", T0 + 3000)
        .unwrap();
    assert!(matches!(first, MergeResult::Merged { .. }), "{first:?}");
    let tip = d.repo.target_tip().unwrap();

    let second = d
        .repo
        .merge_into_target("shiftboss/builder-02/b", "merge b", T0 + 4000)
        .unwrap();
    assert_eq!(
        second,
        MergeResult::Conflicted {
            files: vec!["README.md".into(), "src/lib.rs".into()]
        }
    );
    assert_eq!(d.repo.target_tip().unwrap(), tip);
    assert_eq!(git(&d.root, &["rev-parse", "main"]).trim(), tip);
    assert_eq!(
        git(&d.root, &["status", "--porcelain", "--untracked-files=no"])
            .lines()
            .count(),
        3
    );
    assert_eq!(
        d.repo
            .unmerged_branches()
            .unwrap()
            .iter()
            .map(|(b, _)| b.as_str())
            .collect::<Vec<_>>(),
        vec!["shiftboss/builder-02/b"]
    );
    fsck(&d.root);
}

#[test]
fn merging_again_is_already_merged() {
    let d = demo();
    let wt = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/x", None, T0)
        .unwrap();
    // A branch with nothing new is already contained in the target.
    assert_eq!(
        d.repo
            .merge_into_target("shiftboss/builder-01/x", "m", T0)
            .unwrap(),
        MergeResult::AlreadyMerged {
            commit: d.repo.target_tip().unwrap()
        }
    );
    write(&wt, "x.txt", "x\n");
    commit(&d.repo, &wt, "x", T0 + 1000);
    let MergeResult::Merged { commit: c1 } = d
        .repo
        .merge_into_target("shiftboss/builder-01/x", "m", T0 + 2000)
        .unwrap()
    else {
        panic!()
    };
    // A second branch moves the target on; re-merging x still finds it merged.
    let wt2 = d
        .repo
        .prepare_worktree_at(&agent(2), "shiftboss/builder-02/y", None, T0)
        .unwrap();
    write(&wt2, "y.txt", "y\n");
    commit(&d.repo, &wt2, "y", T0 + 3000);
    let MergeResult::Merged { commit: c2 } = d
        .repo
        .merge_into_target("shiftboss/builder-02/y", "m", T0 + 4000)
        .unwrap()
    else {
        panic!()
    };
    assert_ne!(c2, c1);
    for _ in 0..2 {
        assert_eq!(
            d.repo
                .merge_into_target("shiftboss/builder-01/x", "m", T0 + 5000)
                .unwrap(),
            MergeResult::AlreadyMerged { commit: c2.clone() }
        );
    }
    assert_eq!(git(&d.root, &["rev-list", "--count", "main"]).trim(), "5");
    let err = d
        .repo
        .merge_into_target("shiftboss/nobody/none", "m", T0)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`shiftboss/nobody/none` does not exist"),
        "{err}"
    );
}

#[test]
fn remove_worktree_refuses_unmerged_or_dirty_work() {
    let d = demo();
    let a = agent(5);
    let wt = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-05/t", None, T0)
        .unwrap();
    write(&wt, "work.txt", "precious\n");
    commit(&d.repo, &wt, "work", T0 + 1000);
    assert!(
        !d.repo.remove_worktree_if_safe(&a).unwrap(),
        "unmerged commits"
    );
    assert!(wt.join("work.txt").exists());

    d.repo
        .merge_into_target("shiftboss/builder-05/t", "merge t", T0 + 2000)
        .unwrap();
    write(&wt, "scratch.txt", "uncommitted\n");
    assert!(
        !d.repo.remove_worktree_if_safe(&a).unwrap(),
        "uncommitted change"
    );
    std::fs::remove_file(wt.join("scratch.txt")).unwrap();

    write(&wt, ".gitignore", ".shiftboss/\nbuild/\n");
    commit(&d.repo, &wt, "ignore build", T0 + 3000);
    d.repo
        .merge_into_target("shiftboss/builder-05/t", "merge t again", T0 + 4000)
        .unwrap();
    write(&wt, "build/out.o", "ignored output\n");

    assert!(d.repo.remove_worktree_if_safe(&a).unwrap());
    assert!(!wt.exists());
    assert!(!git(&d.root, &["worktree", "list"]).contains("builder-05"));
    assert!(
        d.repo
            .branch_tip("shiftboss/builder-05/t")
            .unwrap()
            .is_some(),
        "branches are kept"
    );
    assert!(
        d.repo.remove_worktree_if_safe(&a).unwrap(),
        "nothing left to remove"
    );

    // The agent gets a fresh worktree next time.
    let again = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-05/u", None, T0)
        .unwrap();
    assert_eq!(again, wt);
    assert!(
        wt.join("work.txt").exists(),
        "the target has the merged work"
    );
    fsck(&d.root);
}

#[test]
fn a_branch_held_by_another_agent_is_handed_over() {
    let d = demo();
    let branch = "shiftboss/builder-01/auth-3";
    let wt1 = d
        .repo
        .prepare_worktree_at(&agent(1), branch, None, T0)
        .unwrap();
    write(&wt1, "half.txt", "half done\n");

    // The task is handed to builder-02 while builder-01 still has it checked out.
    let wt2 = d
        .repo
        .prepare_worktree_at(&agent(2), branch, None, T0 + 1000)
        .unwrap();
    assert_eq!(read(&wt2, "half.txt").unwrap(), "half done\n");
    assert_eq!(
        git(&wt2, &["symbolic-ref", "HEAD"]).trim(),
        format!("refs/heads/{branch}")
    );
    assert_eq!(
        git(&d.root, &["log", "-1", "--format=%s", branch]).trim(),
        WIP_MESSAGE
    );
    // builder-01 is detached at the same commit, clean.
    assert_eq!(
        git(&wt1, &["rev-parse", "HEAD"]),
        git(&wt2, &["rev-parse", "HEAD"])
    );
    assert!(
        Command::new("git")
            .args(["symbolic-ref", "-q", "HEAD"])
            .current_dir(&wt1)
            .status()
            .unwrap()
            .code()
            == Some(1)
    );
    assert_eq!(git(&wt1, &["status", "--porcelain"]), "");
    let err = d
        .repo
        .commit_all(&wt1, "m", "a", "a@b.invalid", T0)
        .unwrap_err();
    assert!(matches!(err, GitError::DetachedHead { .. }), "{err}");

    // If the released worktree is written to anyway, the work lands on a rescue branch.
    write(&wt1, "late.txt", "late\n");
    d.repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/next", None, T0 + 2000)
        .unwrap();
    let unmerged = d.repo.unmerged_branches().unwrap();
    let rescue = unmerged
        .iter()
        .find(|(b, _)| b.starts_with("shiftboss/builder-01/rescued-"))
        .expect("rescue branch");
    assert_eq!(
        git(&d.root, &["show", &format!("{}:late.txt", rescue.0)]),
        "late\n"
    );
    assert_eq!(git(&wt1, &["status", "--porcelain"]), "");
    fsck(&d.root);
}

#[test]
fn target_and_the_operators_branch_are_refused() {
    let d = demo();
    let err = d
        .repo
        .prepare_worktree_at(&agent(1), "main", None, T0)
        .unwrap_err();
    assert!(matches!(err, GitError::TargetBranch { .. }), "{err}");

    git(&d.root, &["branch", "shiftboss/op/look"]);
    git(&d.root, &["checkout", "-q", "shiftboss/op/look"]);
    let err = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/op/look", None, T0)
        .unwrap_err();
    assert!(matches!(err, GitError::CheckedOutElsewhere { .. }), "{err}");
    assert!(err.to_string().contains("shiftboss/op/look"), "{err}");

    let err = d
        .repo
        .prepare_worktree_at(&AgentId::from("../escape"), "shiftboss/x/y", None, T0)
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidAgentName { .. }), "{err}");
    let err = d
        .repo
        .prepare_worktree_at(&agent(1), "bad..name", None, T0)
        .unwrap_err();
    assert!(matches!(err, GitError::InvalidBranchName { .. }), "{err}");
}

#[test]
fn a_swarm_day_in_miniature() {
    // 24 tasks over 4 agents: switch, 3 commits, merge; every merge is clean.
    let d = demo();
    let mut at = T0;
    for task in 0..24 {
        let a = agent(task % 4 + 1);
        let branch = format!("shiftboss/{a}/t{task}");
        let wt = d.repo.prepare_worktree_at(&a, &branch, None, at).unwrap();
        for step in 0..3 {
            at += 60_000;
            write(
                &wt,
                &format!("src/t{task}/f{step}.rs"),
                &format!("// {task} {step}\n"),
            );
            commit(&d.repo, &wt, &format!("t{task}: step {step}"), at);
        }
        at += 60_000;
        let r = d
            .repo
            .merge_into_target(&branch, &format!("merge t{task}"), at)
            .unwrap();
        assert!(matches!(r, MergeResult::Merged { .. }), "{r:?}");
    }
    assert!(d.repo.unmerged_branches().unwrap().is_empty());
    assert_eq!(
        git(&d.root, &["rev-list", "--count", "--merges", "main"]).trim(),
        "24"
    );
    fsck(&d.root);
}

#[test]
fn moving_the_target_is_a_compare_and_swap() {
    let d = demo();
    let base = d.repo.target_tip().unwrap();
    let wt = d
        .repo
        .prepare_worktree_at(&agent(1), "shiftboss/builder-01/x", None, T0)
        .unwrap();
    write(&wt, "x.txt", "x\n");
    let x = commit(&d.repo, &wt, "x", T0 + 1000);
    // Someone else moved the target after the merge queue read it.
    git(&d.root, &["update-ref", "refs/heads/main", &x]);
    let stale = git2::Oid::from_str(&base).unwrap();
    let new = git2::Oid::from_str(&x).unwrap();
    let err = d.repo.move_target(stale, new, "test").unwrap_err();
    assert!(matches!(err, GitError::TargetMoved { .. }), "{err}");
    assert!(
        err.to_string().contains(&base) && err.to_string().contains(&x),
        "{err}"
    );
    assert_eq!(d.repo.target_tip().unwrap(), x);
}

/// A kill while git was adding a worktree leaves a half-made folder in
/// shiftboss's own worktrees folder: the next start moves it aside (kept,
/// never deleted) and makes the worktree anew instead of failing the task.
#[test]
fn a_half_made_worktree_is_moved_aside_and_made_anew() {
    let d = demo();
    let a = agent(4);
    let half = d.root.join(".shiftboss/worktrees/builder-04");
    std::fs::create_dir_all(half.join("src")).unwrap();
    std::fs::write(half.join("src/lib.rs"), "half checked out\n").unwrap();
    let wt = d
        .repo
        .prepare_worktree_at(&a, "shiftboss/builder-04/auth-1", None, T0)
        .unwrap();
    assert_eq!(wt, half);
    assert_eq!(
        git(&wt, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/shiftboss/builder-04/auth-1"
    );
    assert_eq!(read(&wt, "src/lib.rs").unwrap(), files()[1].1);
    let aside = d.root.join(".shiftboss/worktrees/.broken-builder-04-1");
    assert_eq!(
        std::fs::read_to_string(aside.join("src/lib.rs")).unwrap(),
        "half checked out\n",
        "what the half-made folder held is kept"
    );
}
