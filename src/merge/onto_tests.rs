//! Landing on a team's integration branch in a real repository: only that
//! ref moves (the target and the operator's checkout stay as they are),
//! branches are measured against it, and an integration landed on the
//! target fast-forwards it.

use super::testkit::{T0, git_value as git, land_options};
use super::*;
use crate::domain::{MergeOutcome, TaskId};

const TEAM: &str = "shiftboss/team/core";

/// A branch `shiftboss/b/<name>` from `from` adding `<name>.txt`; the
/// operator's checkout back on `main` after.
fn branch(root: &Path, name: &str, from: &str) -> LandEntry {
    let branch = format!("shiftboss/b/{name}");
    git(root, &["switch", "-q", "-c", &branch, from]);
    std::fs::write(root.join(format!("{name}.txt")), format!("{name}\n")).unwrap();
    git(root, &["add", &format!("{name}.txt")]);
    git(root, &["commit", "-qm", name]);
    git(root, &["switch", "-q", "main"]);
    LandEntry {
        task: TaskId::new(name),
        branch,
        message: format!("Merge {name}\n"),
        context: String::new(),
        advance: None,
    }
}

fn opts(onto: Option<&str>) -> LandOptions<'_> {
    land_options(&[], onto)
}

fn merged(landing: &Landing) -> Vec<String> {
    assert_eq!(landing.error, None);
    landing
        .results
        .iter()
        .map(|(t, o)| match o {
            MergeOutcome::Merged { commit, .. } => commit.clone(),
            other => panic!("{t} not merged: {other:?}"),
        })
        .collect()
}

/// A demo project whose coder branch `shiftboss/b/a` (adding `a.txt`) has
/// landed on [`TEAM`]; the repository opened on it.
fn a_coder_landed_on_the_team() -> (tempfile::TempDir, PathBuf, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(&root, "main", &[("README.md", "demo\n")], T0).unwrap();
    let coder = branch(&root, "a", "main");
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    merged(&repo.land(&[coder], &opts(Some(TEAM))));
    (dir, root, repo)
}

#[test]
fn landing_on_a_team_branch_moves_only_that_ref() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    init_demo_repo(&root, "main", &[("README.md", "demo\n")], T0).unwrap();
    let entries = [branch(&root, "a", "main"), branch(&root, "b", "main")];
    let repo = Repo::open(&root, &root.join(".shiftboss/worktrees"), "main").unwrap();
    let main_before = git(&root, &["rev-parse", "main"]);
    // The operator's checkout is on the target with a change: landings on
    // the target would be held; the team branch's are not.
    std::fs::write(root.join("README.md"), "my edit\n").unwrap();
    assert_eq!(repo.branch_tip(TEAM).unwrap(), None);

    let landing = repo.land(&entries, &opts(Some(TEAM)));
    assert!(landing.held.is_empty(), "{landing:?}");
    let commits = merged(&landing);
    assert_eq!(git(&root, &["rev-parse", TEAM]), commits[1]);
    assert_eq!(git(&root, &["rev-parse", "main"]), main_before);
    // Made from the target's tip, it holds both branches' work.
    git(&root, &["merge-base", "--is-ancestor", &main_before, TEAM]);
    let files = git(&root, &["ls-tree", "--name-only", TEAM]);
    assert!(
        files.contains("a.txt") && files.contains("b.txt"),
        "{files}"
    );
    // The operator's checkout did not follow.
    assert!(!root.join("a.txt").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("README.md")).unwrap(),
        "my edit\n"
    );

    // A branch from the team branch is measured against it.
    let c = branch(&root, "c", TEAM);
    assert_eq!(
        repo.changed_files_against(&c.branch, Some(TEAM)).unwrap(),
        ["c.txt"]
    );
    assert_eq!(
        repo.changed_files(&c.branch).unwrap(),
        ["a.txt", "b.txt", "c.txt"]
    );
    let held = repo.land(std::slice::from_ref(&c), &opts(None));
    assert_eq!(held.held, ["README.md"], "the target's landings are held");
    assert_eq!(git(&root, &["rev-parse", "main"]), main_before);

    // A team branch the operator has checked out is not moved under it:
    // its landings are held (the branch named), as the target's are.
    git(&root, &["stash", "-q"]);
    git(&root, &["switch", "-q", TEAM]);
    let team_before = git(&root, &["rev-parse", TEAM]);
    let held = repo.land(std::slice::from_ref(&c), &opts(Some(TEAM)));
    assert_eq!(held.error, None);
    assert_eq!(held.held, [TEAM]);
    assert!(held.results.is_empty());
    assert_eq!(git(&root, &["rev-parse", TEAM]), team_before);
}

#[test]
fn an_integration_landed_on_the_target_fast_forwards_the_team_branch() {
    let (_dir, root, repo) = a_coder_landed_on_the_team();
    // The target moves on meanwhile (another team's work).
    let other = branch(&root, "other", "main");
    merged(&repo.land(&[other], &opts(None)));
    let integration = LandEntry {
        advance: Some(TEAM.into()),
        ..branch(&root, "integration", TEAM)
    };
    let commits = merged(&repo.land(&[integration], &opts(None)));
    assert_eq!(git(&root, &["rev-parse", "main"]), commits[0]);
    assert_eq!(git(&root, &["rev-parse", TEAM]), commits[0]);
    // The operator's clean checkout followed the target.
    for f in ["a.txt", "other.txt", "integration.txt"] {
        assert!(root.join(f).exists(), "{f}");
    }
    // A team branch that went its own way is left alone.
    let d = branch(&root, "d", "main");
    merged(&repo.land(&[d], &opts(Some(TEAM))));
    let team_tip = git(&root, &["rev-parse", TEAM]);
    let e = LandEntry {
        advance: Some(TEAM.into()),
        ..branch(&root, "e", "main")
    };
    merged(&repo.land(&[e], &opts(None)));
    assert_eq!(git(&root, &["rev-parse", TEAM]), team_tip);
}

#[test]
fn an_integration_inside_a_batch_fast_forwards_the_team_branch_to_the_gated_tip() {
    let (_dir, root, repo) = a_coder_landed_on_the_team();
    let integration = LandEntry {
        advance: Some(TEAM.into()),
        ..branch(&root, "integration", TEAM)
    };
    let after = branch(&root, "after", "main");
    // The batch's gate saw only the tree with both; the integration's own
    // merge commit alone was never gated, so the team branch does not stop there.
    let commits = merged(&repo.land(&[integration, after], &opts(None)));
    let tip = git(&root, &["rev-parse", "main"]);
    assert_eq!(commits.len(), 2);
    assert_eq!(tip, commits[1]);
    assert_eq!(git(&root, &["rev-parse", TEAM]), tip);
}
