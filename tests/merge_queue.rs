//! The merge queue on real repositories made by the tests (git2 for the
//! work, the git CLI to check it): tiers, gates on the merged result,
//! bisection of a failing batch, and a target that only moves to a tree that
//! passed. The `ai` tier talks to a scripted model on 127.0.0.1.

#[allow(dead_code)]
mod support;

use serde_json::json;
use shiftboss::domain::{MergeOutcome, ModelSpend, Removal, ResolveTier, Side, TaskId, Usage};
use shiftboss::merge::ai::{AiCall, AiSettings, ConflictedFile, Provider};
use shiftboss::merge::{LandEntry, LandOptions, Landing, Repo};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::repo::{branch, commit, git, new_repo};

const AT: i64 = 1_780_000_000_000;

/// Move main by a commit of its own (another entry that landed earlier).
fn advance_main(repo: &Path, files: &[(&str, &str)]) {
    git(repo, &["switch", "-q", "--detach", "main"]);
    for (p, text) in files {
        std::fs::write(repo.join(p), text).unwrap();
    }
    git(repo, &["add", "-A"]);
    commit(repo, "landed earlier");
    let head = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["update-ref", "refs/heads/main", head.trim()]);
}

fn entry(name: &str) -> LandEntry {
    LandEntry {
        task: TaskId::new(name),
        branch: name.into(),
        message: format!("Merge {name}\n\nShiftboss-Task: {name}\n"),
        context: format!("{name}: keep both sides' work"),
        advance: None,
    }
}

fn open(repo: &Path) -> Repo {
    Repo::open(repo, &repo.join(".shiftboss/worktrees"), "main").unwrap()
}

fn land(repo: &Path, names: &[&str], checks: &[&str], append_only: &[&str]) -> Landing {
    let checks: Vec<String> = checks.iter().map(|s| s.to_string()).collect();
    let append_only: Vec<String> = append_only.iter().map(|s| s.to_string()).collect();
    let entries: Vec<LandEntry> = names.iter().map(|n| entry(n)).collect();
    open(repo).land(
        &entries,
        &LandOptions {
            checks: &checks,
            timeout: Duration::from_secs(60),
            env: &[],
            append_only: &append_only,
            ai: None,
            at: AT,
            onto: None,
        },
    )
}

fn main_tip(repo: &Path) -> String {
    git(repo, &["rev-parse", "main"]).trim().to_string()
}

fn show(repo: &Path, rev: &str) -> String {
    git(repo, &["show", rev])
}

fn outcome<'a>(l: &'a Landing, task: &str) -> &'a MergeOutcome {
    &l.results
        .iter()
        .find(|(t, _)| t.as_str() == task)
        .expect(task)
        .1
}

#[test]
fn a_clean_merge_lands_after_its_merged_result_passes_the_gates() {
    let (_tmp, repo) = new_repo(&[("a.txt", "a\n")]);
    let operator_head = git(&repo, &["rev-parse", "HEAD"]);
    branch(&repo, "t1", &[("b.txt", "b\n")]);
    let l = land(&repo, &["t1"], &["test -f a.txt && test -f b.txt"], &[]);
    let MergeOutcome::Merged { commit, tier, .. } = outcome(&l, "t1") else {
        panic!("{l:?}")
    };
    assert_eq!(tier, "clean");
    assert_eq!(&main_tip(&repo), commit);
    assert_eq!(l.runs.len(), 1);
    assert!(l.runs[0].passed);
    // A two-parent merge commit; the operator's checkout is untouched.
    let parents = git(&repo, &["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents.split_whitespace().count(), 2);
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), operator_head);
    assert_eq!(
        git(&repo, &["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
    git(&repo, &["fsck", "--strict"]);
}

#[test]
fn auto_merges_an_append_only_changelog_as_a_union() {
    let (_tmp, repo) = new_repo(&[("CHANGELOG.md", "# Changes\n")]);
    branch(
        &repo,
        "t1",
        &[("CHANGELOG.md", "# Changes\n- the agent's entry\n")],
    );
    advance_main(
        &repo,
        &[("CHANGELOG.md", "# Changes\n- an entry that landed first\n")],
    );
    let before = main_tip(&repo);
    // Not append-only: no tier up to ai merges it; the target stays.
    let l = land(&repo, &["t1"], &[], &[]);
    let MergeOutcome::Conflicted { files, why } = outcome(&l, "t1") else {
        panic!("{l:?}")
    };
    assert_eq!(files, &["CHANGELOG.md"]);
    assert!(why.contains("no ai tier"), "{why}");
    assert_eq!(main_tip(&repo), before);
    // Append-only: both lines kept.
    let l = land(
        &repo,
        &["t1"],
        &["grep -q agent CHANGELOG.md"],
        &["CHANGELOG.md"],
    );
    let MergeOutcome::Merged { tier, .. } = outcome(&l, "t1") else {
        panic!("{l:?}")
    };
    assert_eq!(tier, "auto");
    let log = show(&repo, "main:CHANGELOG.md");
    assert!(log.contains("- the agent's entry"), "{log}");
    assert!(log.contains("- an entry that landed first"), "{log}");
}

/// A scripted Anthropic Messages API answering every request with `text`.
fn scripted_model(text: String) -> (String, Arc<AtomicUsize>, Arc<Mutex<String>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(Mutex::new(String::new()));
    let (c, l) = (calls.clone(), last.clone());
    let addr = support::http::serve(move |_line: &str, body: &[u8]| {
        c.fetch_add(1, Ordering::SeqCst);
        *l.lock().unwrap() = String::from_utf8_lossy(body).into_owned();
        let answer = json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "scripted",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 120, "output_tokens": 40}
        });
        ("200 OK".into(), "application/json", answer.to_string())
    });
    (format!("http://{addr}"), calls, last)
}

/// What each of the scripted model's answers costs.
fn scripted_spend() -> ModelSpend {
    ModelSpend {
        model: "scripted".into(),
        usage: Usage {
            input: 120,
            output: 40,
            ..Usage::default()
        },
    }
}

const BASE: &str = "//! registry\npub const OWNER: &str = \"nobody\";\n";

/// main and the branch both rewrote the same line: auto cannot merge it.
fn owner_fight(repo: &Path) {
    branch(
        repo,
        "t1",
        &[(
            "registry.rs",
            "//! registry\npub const OWNER: &str = \"t1\";\npub fn t1() {}\n",
        )],
    );
    advance_main(
        repo,
        &[(
            "registry.rs",
            "//! registry\npub const OWNER: &str = \"t0\";\n",
        )],
    );
}

fn land_with_ai(repo: &Path, url: &str, checks: &[&str]) -> Landing {
    let mut cfg = AiSettings::new(Provider::Anthropic, "scripted");
    cfg.base_url = url.to_string();
    let resolve = move |f: &ConflictedFile, ctx: &str| -> AiCall {
        shiftboss::merge::ai::resolve_file(&cfg, Some("sk-ant-test-key"), f, ctx)
    };
    let checks: Vec<String> = checks.iter().map(|s| s.to_string()).collect();
    open(repo).land(
        &[entry("t1")],
        &LandOptions {
            checks: &checks,
            timeout: Duration::from_secs(60),
            env: &[],
            append_only: &[],
            ai: Some(&resolve),
            at: AT,
            onto: None,
        },
    )
}

#[test]
fn ai_resolves_what_auto_cannot_and_the_result_is_gated() {
    let (_tmp, repo) = new_repo(&[("registry.rs", BASE)]);
    owner_fight(&repo);
    let answer = "```rust\n//! registry\npub const OWNER: &str = \"t1\";\npub fn t1() {}\n```\nREMOVED: pub const OWNER: &str = \"t0\"; -- the owner is the task that landed last\n";
    let (url, calls, last) = scripted_model(answer.into());
    let before = main_tip(&repo);
    let l = land_with_ai(&repo, &url, &["grep -q 'pub fn t1' registry.rs"]);
    let MergeOutcome::Merged {
        tier,
        commit,
        removals,
    } = outcome(&l, "t1")
    else {
        panic!("{l:?}")
    };
    assert_eq!(tier, "ai");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // What the answer cost, for the entry it was made for.
    assert_eq!(l.spent, [(TaskId::new("t1"), scripted_spend())]);
    // The model saw both sides and the base.
    let req = last.lock().unwrap().clone();
    for needle in ["\\\"t0\\\"", "\\\"t1\\\"", "\\\"nobody\\\"", "registry.rs"] {
        assert!(req.contains(needle), "request lacks {needle}: {req}");
    }
    // Gated on the merged result, then landed.
    assert_eq!(l.runs.len(), 1);
    assert!(l.runs[0].passed);
    assert_eq!(&main_tip(&repo), commit);
    assert_ne!(&before, commit);
    assert!(show(&repo, "main:registry.rs").contains("pub fn t1() {}"));
    // The removal and its reason are kept: in the outcome (the log) and in
    // the merge commit's message.
    assert_eq!(
        removals,
        &[Removal {
            file: "registry.rs".into(),
            line: "pub const OWNER: &str = \"t0\";".into(),
            why: "the owner is the task that landed last".into(),
        }]
    );
    let message = git(&repo, &["log", "-1", "--format=%B", commit]);
    assert!(
        message.contains(
            "Shiftboss-Removed: registry.rs: pub const OWNER: &str = \"t0\"; -- the owner is the task that landed last"
        ),
        "{message}"
    );
}

#[test]
fn an_ai_endpoint_nobody_answers_is_named_as_unreachable() {
    let (_tmp, repo) = new_repo(&[("registry.rs", BASE)]);
    owner_fight(&repo);
    let before = main_tip(&repo);
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let l = land_with_ai(&repo, &url, &[]);
    let MergeOutcome::Conflicted { why, .. } = outcome(&l, "t1") else {
        panic!("{l:?}")
    };
    assert!(why.contains("cannot be reached"), "{why}");
    assert!(why.contains(&url), "{why}");
    let endpoint = l.ai_unreachable.as_deref().unwrap_or_default();
    assert_eq!(endpoint, format!("{url}/v1/messages"));
    assert!(l.spent.is_empty(), "nobody answered: nothing spent");
    assert_eq!(main_tip(&repo), before);
}

#[test]
fn ai_answers_that_drop_lines_or_are_prose_are_refused() {
    let (_tmp, repo) = new_repo(&[("registry.rs", BASE)]);
    owner_fight(&repo);
    let before = main_tip(&repo);
    // Keeps the agent's lines, silently drops the target's: refused.
    let answer = "```rust\n//! registry\npub const OWNER: &str = \"t1\";\npub fn t1() {}\n```\n";
    let (url, _, _) = scripted_model(answer.into());
    let l = land_with_ai(&repo, &url, &[]);
    let MergeOutcome::Refused {
        tier,
        files,
        lines_at_risk,
    } = outcome(&l, "t1")
    else {
        panic!("{l:?}")
    };
    assert_eq!(*tier, ResolveTier::Ai);
    assert_eq!(files, &["registry.rs"]);
    assert_eq!(lines_at_risk.len(), 1, "{lines_at_risk:?}");
    assert_eq!(lines_at_risk[0].side, Side::Target);
    assert_eq!(lines_at_risk[0].line, "pub const OWNER: &str = \"t0\";");
    assert_eq!(main_tip(&repo), before, "nothing merged");
    // Refused, yet answered: the answer was paid for.
    assert_eq!(l.spent, [(TaskId::new("t1"), scripted_spend())]);
    // Prose instead of a file: refused before anything is written.
    let (url, _, _) = scripted_model("You should keep both owners, I think.".into());
    let l = land_with_ai(&repo, &url, &[]);
    let MergeOutcome::Conflicted { why, .. } = outcome(&l, "t1") else {
        panic!("{l:?}")
    };
    assert!(why.contains("prose"), "{why}");
    assert_eq!(l.spent, [(TaskId::new("t1"), scripted_spend())]);
    assert_eq!(main_tip(&repo), before);
}

#[test]
fn a_merged_result_that_fails_a_gate_leaves_the_target_where_it_was() {
    // Each branch passes alone; together they break the rule.
    let gate = "! (test -f a.flag && test -f b.flag)";
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    branch(&repo, "ta", &[("a.flag", "a\n")]);
    branch(&repo, "tb", &[("b.flag", "b\n")]);
    let l = land(&repo, &["ta"], &[gate], &[]);
    assert!(matches!(outcome(&l, "ta"), MergeOutcome::Merged { .. }));
    let after_a = main_tip(&repo);
    let l = land(&repo, &["tb"], &[gate], &[]);
    let MergeOutcome::Rejected {
        gate: g, findings, ..
    } = outcome(&l, "tb")
    else {
        panic!("{l:?}")
    };
    assert_eq!(g, gate);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].expected, "exit status 0");
    assert_eq!(
        main_tip(&repo),
        after_a,
        "the target never moves to a red tree"
    );
    // The queue's own worktree held the candidate; the branch is kept.
    git(&repo, &["rev-parse", "--verify", "refs/heads/tb"]);
}

#[test]
fn a_batch_with_one_bad_entry_is_bisected_and_the_rest_lands() {
    let gate = "! grep -rqs BAD --exclude-dir=.git .";
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    for (n, text) in [
        ("f1", "ok\n"),
        ("f2", "ok\n"),
        ("f3", "BAD\n"),
        ("f4", "ok\n"),
    ] {
        branch(&repo, n, &[(&format!("{n}.txt"), text)]);
    }
    let l = land(&repo, &["f1", "f2", "f3", "f4"], &[gate], &[]);
    let runs: Vec<(Vec<&str>, bool)> = l
        .runs
        .iter()
        .map(|r| (r.tasks.iter().map(|t| t.as_str()).collect(), r.passed))
        .collect();
    assert_eq!(
        runs,
        [
            (vec!["f1", "f2", "f3", "f4"], false),
            (vec!["f1", "f2"], true),
            (vec!["f3", "f4"], false),
            (vec!["f3"], false),
            (vec!["f4"], true),
        ]
    );
    for t in ["f1", "f2", "f4"] {
        assert!(matches!(outcome(&l, t), MergeOutcome::Merged { .. }), "{t}");
    }
    assert!(matches!(outcome(&l, "f3"), MergeOutcome::Rejected { .. }));
    // Every tree the target ever pointed at passes the gate.
    let tips = git(&repo, &["log", "-g", "--format=%H", "refs/heads/main"]);
    assert_eq!(tips.lines().count(), 3, "init, f1+f2, f4: {tips}");
    for tip in tips.lines() {
        let files = git(&repo, &["ls-tree", "-r", "--name-only", tip]);
        assert!(!files.contains("f3.txt"), "{tip}: {files}");
    }
    let files = git(&repo, &["ls-tree", "-r", "--name-only", "main"]);
    for f in ["f1.txt", "f2.txt", "f4.txt"] {
        assert!(files.contains(f), "{files}");
    }
}

#[test]
fn a_branch_with_no_change_of_its_own_is_unchanged_not_merged() {
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    let before = main_tip(&repo);
    // No commit at all.
    git(&repo, &["branch", "t-none", "main"]);
    // Commits that add a file and take it out again.
    git(&repo, &["switch", "-q", "-c", "t-undo", "main"]);
    std::fs::write(repo.join("tmp.txt"), "x\n").unwrap();
    git(&repo, &["add", "-A"]);
    commit(&repo, "add");
    git(&repo, &["rm", "-q", "tmp.txt"]);
    commit(&repo, "take out");
    git(&repo, &["switch", "-q", "--detach", "main"]);
    let l = land(&repo, &["t-none", "t-undo"], &[], &[]);
    for t in ["t-none", "t-undo"] {
        assert_eq!(
            outcome(&l, t),
            &MergeOutcome::Unchanged {
                commit: before.clone()
            },
            "{t}"
        );
    }
    assert_eq!(main_tip(&repo), before, "no empty merge commit");
    // A branch that already landed (a merge of its own) still says merged.
    branch(&repo, "t-real", &[("real.txt", "real\n")]);
    let l = land(&repo, &["t-real"], &[], &[]);
    assert!(matches!(outcome(&l, "t-real"), MergeOutcome::Merged { .. }));
    let l = land(&repo, &["t-real"], &[], &[]);
    assert!(
        matches!(outcome(&l, "t-real"), MergeOutcome::Merged { .. }),
        "{l:?}"
    );
}

#[test]
fn an_operator_checkout_on_the_target_follows_a_landing_or_holds_it() {
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    git(&repo, &["switch", "-q", "main"]);
    branch(&repo, "ta", &[("a.txt", "a\n")]);
    git(&repo, &["switch", "-q", "main"]);
    // Clean: the files and the index follow main.
    let l = land(&repo, &["ta"], &[], &[]);
    assert!(
        matches!(outcome(&l, "ta"), MergeOutcome::Merged { .. }),
        "{l:?}"
    );
    assert!(l.held.is_empty());
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert_eq!(std::fs::read_to_string(repo.join("a.txt")).unwrap(), "a\n");

    // An edit of a tracked file: nothing lands, the file is named.
    branch(&repo, "tb", &[("b.txt", "b\n")]);
    git(&repo, &["switch", "-q", "main"]);
    let before = main_tip(&repo);
    std::fs::write(repo.join("README"), "mine\n").unwrap();
    let l = land(&repo, &["tb"], &[], &[]);
    assert_eq!(l.held, ["README"]);
    assert!(l.results.is_empty());
    assert_eq!(main_tip(&repo), before);
    assert_eq!(git(&repo, &["status", "--porcelain"]), " M README\n");

    // An untracked file where the landing puts one: held, named, untouched.
    git(&repo, &["checkout", "-q", "--", "README"]);
    std::fs::write(repo.join("b.txt"), "my own b\n").unwrap();
    let l = land(&repo, &["tb"], &[], &[]);
    assert_eq!(l.held, ["b.txt"]);
    assert_eq!(main_tip(&repo), before);
    assert_eq!(
        std::fs::read_to_string(repo.join("b.txt")).unwrap(),
        "my own b\n"
    );

    // Detached: main moves, the files stay.
    std::fs::remove_file(repo.join("b.txt")).unwrap();
    git(&repo, &["switch", "-q", "--detach"]);
    let l = land(&repo, &["tb"], &[], &[]);
    assert!(
        matches!(outcome(&l, "tb"), MergeOutcome::Merged { .. }),
        "{l:?}"
    );
    assert_ne!(main_tip(&repo), before);
    assert!(!repo.join("b.txt").exists());
}

/// A branch from main made by git: `run` changes the files, then it is
/// committed and the checkout goes back to main.
fn branch_by(repo: &Path, name: &str, run: impl FnOnce(&Path)) {
    git(repo, &["switch", "-q", "-c", name, "main"]);
    run(repo);
    git(repo, &["add", "-A"]);
    commit(repo, &format!("{name}: work"));
    git(repo, &["switch", "-q", "main"]);
}

#[test]
fn an_operator_checkout_follows_landings_that_move_folders_and_holds_what_stands_in_their_way() {
    let (_tmp, repo) = new_repo(&[
        ("README", "r\n"),
        ("lib", "a file\n"),
        (".gitignore", "gen\n"),
    ]);
    git(&repo, &["switch", "-q", "main"]);
    std::fs::create_dir_all(repo.join("old")).unwrap();
    std::fs::write(repo.join("old/a.txt"), "a\n").unwrap();
    git(&repo, &["add", "-A"]);
    commit(&repo, "old folder");
    // Landings of their own: a folder goes and a deep folder comes (only
    // those files looked at); a file becomes a folder (a whole checkout);
    // every path starts with a backslash-named folder (a whole checkout).
    branch_by(&repo, "tm", |r| {
        std::fs::remove_dir_all(r.join("old")).unwrap();
        std::fs::create_dir_all(r.join("new/deep")).unwrap();
        std::fs::write(r.join("new/deep/b.txt"), "b\n").unwrap();
    });
    branch_by(&repo, "tl", |r| {
        std::fs::remove_file(r.join("lib")).unwrap();
        std::fs::create_dir_all(r.join("lib")).unwrap();
        std::fs::write(r.join("lib/mod.rs"), "// lib\n").unwrap();
    });
    branch_by(&repo, "tw", |r| {
        std::fs::create_dir_all(r.join("we\\ird")).unwrap();
        std::fs::write(r.join("we\\ird/w.txt"), "w\n").unwrap();
    });
    for task in ["tm", "tl", "tw"] {
        let l = land(&repo, &[task], &[], &[]);
        assert!(
            matches!(outcome(&l, task), MergeOutcome::Merged { .. }),
            "{l:?}"
        );
        assert_eq!(
            git(&repo, &["status", "--porcelain", "--ignored"]),
            "",
            "{task}"
        );
        assert_eq!(git(&repo, &["diff", "--stat", "main"]), "", "{task}");
    }
    assert!(repo.join("lib").is_dir() && !repo.join("old").exists());
    assert_eq!(
        std::fs::read_to_string(repo.join("new/deep/b.txt")).unwrap(),
        "b\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("we\\ird/w.txt")).unwrap(),
        "w\n"
    );

    // An ignored file where a landing's folder goes, and an untracked
    // folder where it puts a file: nothing lands, nothing is written.
    let cases = [
        ("tg", "gen", "gen/out.txt", "gen/out.txt"),
        ("td", "d/mine.txt", "d", "d"),
    ];
    for (task, mine, theirs, named) in cases {
        branch_by(&repo, task, |r| {
            std::fs::create_dir_all(r.join(theirs).parent().unwrap()).unwrap();
            std::fs::write(r.join(theirs), "theirs\n").unwrap();
            git(r, &["add", "-f", theirs]);
        });
        std::fs::create_dir_all(repo.join(mine).parent().unwrap()).unwrap();
        std::fs::write(repo.join(mine), "mine\n").unwrap();
        let before = main_tip(&repo);
        let l = land(&repo, &[task], &[], &[]);
        assert!(l.results.is_empty() && l.error.is_none(), "{l:?}");
        assert_eq!(l.held, [named]);
        assert_eq!(main_tip(&repo), before);
        assert_eq!(std::fs::read_to_string(repo.join(mine)).unwrap(), "mine\n");
        assert!(!repo.join(theirs).is_file());
        std::fs::remove_file(repo.join(mine)).unwrap();
    }
}

#[test]
fn a_target_moved_under_a_clean_operator_checkout_writes_nothing_and_lands_nothing() {
    let (_tmp, repo) = new_repo(&[("README", "r\n")]);
    git(&repo, &["switch", "-q", "main"]);
    branch(&repo, "ta", &[("a.txt", "a\n")]);
    git(&repo, &["switch", "-q", "main"]);
    // While the batch is gated, the operator commits on main: the
    // checkout stays clean, on a commit the batch was not made on.
    let gate = format!(
        "git -C '{}' -c user.name=o -c user.email=o@o commit -q --allow-empty -m mine",
        repo.display()
    );
    let l = land(&repo, &["ta"], &[&gate], &[]);
    assert!(l.results.is_empty(), "{l:?}");
    let error = l.error.as_deref().unwrap_or_default();
    assert!(error.contains("main"), "{l:?}");
    assert_eq!(
        git(&repo, &["log", "-1", "--format=%s", "main"]).trim(),
        "mine"
    );
    let status = [
        "status",
        "--porcelain",
        "--ignored",
        "--",
        ".",
        ":!.shiftboss",
    ];
    assert_eq!(git(&repo, &status), "");
    assert!(!repo.join("a.txt").exists());
}
