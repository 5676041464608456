//! The ancestry kept in memory answers as libgit2 does, on real
//! repositories with random histories: forks, merges, criss-cross merges,
//! unrelated roots and commit dates out of order.

use super::lineage::{Lineage, ReadParents};
use super::testkit::T0;
use super::{Repo, git_time};
use git2::{Oid, Repository, Signature};

/// A small seeded generator (xorshift64*): the same seed, the same history.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of the last `window` of `len` items: histories grow near their tips.
    fn recent(&mut self, len: usize, window: usize) -> usize {
        len - 1 - self.below(len.min(window))
    }
}

/// A commit in `repo` with these parents, an empty tree, and a date
/// `skew` seconds off its place in line.
fn commit(repo: &Repository, n: usize, parents: &[Oid], skew: i64) -> Oid {
    let tree = repo.treebuilder(None).unwrap().write().unwrap();
    commit_tree(repo, n, tree, parents, T0 + (n as i64 + skew) * 60_000)
}

/// The commit `c{n}` of `tree` on `parents`, dated `at`.
fn commit_tree(repo: &Repository, n: usize, tree: Oid, parents: &[Oid], at: i64) -> Oid {
    let sig = Signature::new("a", "a@a", &git_time(at)).unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let parents: Vec<_> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(None, &sig, &sig, &format!("c{n}"), &tree, &refs)
        .unwrap()
}

/// A random history of `n` commits: mostly a commit on a recent one, some
/// merges of two, now and then a new root; dates out of order when `skewed`.
fn history(repo: &Repository, rng: &mut Rng, n: usize, skewed: bool) -> Vec<Oid> {
    let mut commits: Vec<Oid> = Vec::with_capacity(n);
    let mut roots = 0;
    for i in 0..n {
        let skew = if skewed { rng.below(20) as i64 - 10 } else { 0 };
        let roll = rng.below(100);
        let parents = if commits.is_empty() || (roll < 4 && roots < 3) {
            roots += 1;
            vec![]
        } else if roll < 40 && commits.len() > 1 {
            let a = rng.recent(commits.len(), 12);
            let mut b = rng.recent(commits.len(), 12);
            if a == b {
                b = rng.below(commits.len());
            }
            if a == b {
                vec![commits[a]]
            } else {
                vec![commits[a], commits[b]]
            }
        } else {
            vec![commits[rng.recent(commits.len(), 8)]]
        };
        commits.push(commit(repo, i, &parents, skew));
    }
    commits
}

fn reader(repo: &Repository) -> impl Fn(Oid) -> Result<Box<[Oid]>, git2::Error> + '_ {
    |oid| Ok(repo.find_commit(oid)?.parent_ids().collect())
}

/// libgit2's merge bases of `a` and `b`, sorted (empty: no shared history).
fn git_merge_bases(repo: &Repository, a: Oid, b: Oid) -> Vec<Oid> {
    match repo.merge_bases(a, b) {
        Ok(bases) => {
            let mut v: Vec<Oid> = bases.iter().copied().collect();
            v.sort();
            v.dedup();
            v
        }
        Err(e) if e.code() == git2::ErrorCode::NotFound => vec![],
        Err(e) => panic!("merge bases of {a} and {b}: {e}"),
    }
}

/// Whether `commit` is on `tip`'s first-parent line, walked by libgit2.
fn git_first_parent_line(repo: &Repository, commit: Oid, tip: Oid) -> bool {
    let mut at = Some(tip);
    while let Some(oid) = at {
        if oid == commit {
            return true;
        }
        at = repo.find_commit(oid).unwrap().parent_ids().next();
    }
    false
}

/// Every pair of `commits` asked of one lineage (kept across the
/// questions, as a `Repo` keeps it) and of libgit2.
fn compare_all(repo: &Repository, commits: &[Oid], read: &ReadParents<'_>, what: &str) -> usize {
    let mut lineage = Lineage::default();
    let mut criss_cross = 0;
    for &a in commits {
        for &b in commits {
            let ours = lineage.contains(read, b, a).unwrap();
            let theirs = a == b || repo.graph_descendant_of(b, a).unwrap();
            assert_eq!(ours, theirs, "{what}: is {a} in {b}");
            let ours = lineage.merge_bases(read, a, b).unwrap();
            assert_eq!(
                ours,
                git_merge_bases(repo, a, b),
                "{what}: bases of {a} {b}"
            );
            criss_cross += usize::from(ours.len() > 1);
            let ours = lineage.on_first_parent_line(read, a, b).unwrap();
            assert_eq!(
                ours,
                git_first_parent_line(repo, a, b),
                "{what}: {a} on {b}"
            );
        }
    }
    criss_cross
}

#[test]
fn ancestry_answers_as_libgit2_does_on_random_histories() {
    let mut criss_cross = 0;
    for seed in 1..=16u64 {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let commits = history(&repo, &mut rng, 30, seed % 2 == 0);
        let read = reader(&repo);
        criss_cross += compare_all(&repo, &commits, &read, &format!("seed {seed}"));
    }
    // The histories are varied enough to hold criss-cross merges.
    assert!(criss_cross > 0, "no pair had several merge bases");
}

/// Two branches that each merged the other: two merge bases; the one a
/// `Repo` gives is libgit2's, and whether each is contained is the same.
#[test]
fn a_criss_cross_merge_has_two_bases_and_the_repo_picks_libgit2s() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let root = commit(&repo, 0, &[], 0);
    let a1 = commit(&repo, 1, &[root], 0);
    let b1 = commit(&repo, 2, &[root], 0);
    let a2 = commit(&repo, 3, &[a1, b1], 0);
    let b2 = commit(&repo, 4, &[b1, a1], 0);
    let a3 = commit(&repo, 5, &[a2], 0);
    let b3 = commit(&repo, 6, &[b2], 0);
    repo.branch("main", &repo.find_commit(a3).unwrap(), false)
        .unwrap();
    let shiftboss = Repo::open(dir.path(), &dir.path().join("wt"), "main").unwrap();
    let mut both = vec![a1, b1];
    both.sort();
    assert_eq!(shiftboss.merge_bases_of(a3, b3).unwrap(), both);
    assert_eq!(
        shiftboss.merge_base(a3, b3, "b3").unwrap(),
        Some(repo.merge_base(a3, b3).unwrap())
    );
    assert!(shiftboss.contained_in(b1, a3).unwrap());
    assert!(!shiftboss.contained_in(b3, a3).unwrap());
    let unrelated = commit(&repo, 7, &[], 0);
    assert_eq!(shiftboss.merge_base(a3, unrelated, "x").unwrap(), None);
}

/// Below the first common commit everything is stale: on a line with
/// long-lived side branches merged into it (still walked below the base),
/// the walk finds the one base and nothing under it (each extra find would
/// cost a walk of its own to rule out).
#[test]
fn the_walk_stops_finding_at_the_first_common_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let mut line = vec![commit(&repo, 0, &[], 0)];
    for i in 1..40 {
        let side = commit(&repo, 1000 + i, &[line[i.saturating_sub(8)]], 0);
        line.push(commit(&repo, i, &[line[i - 1], side], 0));
    }
    let branch = commit(&repo, 2000, &[line[10]], 0);
    let read = reader(&repo);
    let mut lineage = Lineage::default();
    let found = lineage
        .paint_down_to_common(&read, line[39], branch)
        .unwrap();
    assert_eq!(found, vec![line[10]]);
    assert_eq!(
        lineage.merge_bases(&read, line[39], branch).unwrap(),
        vec![line[10]]
    );
}

/// A commit whose tree holds three small files, each line picked by `rng`
/// from a few words: nearby commits often touch the same lines.
fn commit_files(repo: &Repository, rng: &mut Rng, n: usize, parents: &[Oid]) -> Oid {
    let mut files: Vec<Vec<String>> = match parents.first() {
        Some(p) => {
            let tree = repo.find_commit(*p).unwrap().tree().unwrap();
            (0..3)
                .map(|f| {
                    let entry = tree.get_name(&format!("f{f}.txt")).unwrap();
                    let blob = repo.find_blob(entry.id()).unwrap();
                    let text = String::from_utf8(blob.content().to_vec()).unwrap();
                    text.lines().map(str::to_string).collect()
                })
                .collect()
        }
        None => vec![vec!["x".to_string(); 6]; 3],
    };
    for _ in 0..2 {
        let f = rng.below(3);
        let line = rng.below(6);
        files[f][line] = format!("w{}", rng.below(4));
    }
    let mut tb = repo.treebuilder(None).unwrap();
    for (f, lines) in files.iter().enumerate() {
        let blob = repo
            .blob(format!("{}\n", lines.join("\n")).as_bytes())
            .unwrap();
        tb.insert(format!("f{f}.txt"), blob, 0o100644).unwrap();
    }
    commit_tree(
        repo,
        n,
        tb.write().unwrap(),
        parents,
        T0 + n as i64 * 60_000,
    )
}

/// An index's conflicts (path and the three sides' blobs), or its tree
/// when it has none.
fn index_outcome(repo: &Repository, mut index: git2::Index) -> Result<Oid, Vec<String>> {
    if !index.has_conflicts() {
        return Ok(index.write_tree_to(repo).unwrap());
    }
    let side = |e: &Option<git2::IndexEntry>| e.as_ref().map(|e| e.id.to_string());
    let mut out: Vec<String> = index
        .conflicts()
        .unwrap()
        .map(|c| {
            let c = c.unwrap();
            let path = [&c.our, &c.their, &c.ancestor]
                .into_iter()
                .flatten()
                .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                .next()
                .unwrap_or_default();
            format!(
                "{path} {:?} {:?} {:?}",
                side(&c.ancestor),
                side(&c.our),
                side(&c.their)
            )
        })
        .collect();
    out.sort();
    Err(out)
}

/// The merge the queue makes (over the one merge base's tree when there is
/// one) gives the tree, or the conflicts, libgit2's `merge_commits` gives,
/// on random histories of small files that often touch the same lines.
#[test]
fn merging_over_the_one_base_is_libgit2s_merge() {
    let (mut merges, mut conflicts) = (0, 0);
    for seed in 1..=6u64 {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut rng = Rng(seed.wrapping_mul(0xd1b5_4a32_d192_ed03));
        let mut commits: Vec<Oid> = Vec::new();
        for i in 0..24 {
            let parents = match commits.len() {
                0 => vec![],
                len if rng.below(100) < 30 && len > 1 => {
                    let (a, b) = (rng.recent(len, 8), rng.recent(len, 8));
                    let (ca, cb) = (repo.find_commit(commits[a]).unwrap(), commits[b]);
                    let index = repo.merge_commits(&ca, &repo.find_commit(cb).unwrap(), None);
                    // Only clean merges become commits of the history.
                    match index_outcome(&repo, index.unwrap()) {
                        Ok(_) if a != b => vec![commits[a], commits[b]],
                        _ => vec![commits[a]],
                    }
                }
                len => vec![commits[rng.recent(len, 6)]],
            };
            commits.push(commit_files(&repo, &mut rng, i, &parents));
        }
        repo.branch("main", &repo.find_commit(commits[0]).unwrap(), false)
            .unwrap();
        let shiftboss = Repo::open(dir.path(), &dir.path().join("wt"), "main").unwrap();
        for &a in &commits {
            for &b in &commits {
                let (ca, cb) = (repo.find_commit(a).unwrap(), repo.find_commit(b).unwrap());
                let ours = shiftboss.merge_index(&ca, &cb, "b").unwrap();
                let theirs = repo.merge_commits(&ca, &cb, None).unwrap();
                let ours = index_outcome(&repo, ours);
                assert_eq!(ours, index_outcome(&repo, theirs), "seed {seed}: {a} {b}");
                merges += 1;
                conflicts += usize::from(ours.is_err());
            }
        }
    }
    // Both outcomes were met.
    assert!(
        conflicts > 0 && conflicts < merges,
        "{conflicts} of {merges}"
    );
}

/// A history deeper than the ancestry keeps is handed to libgit2: the same
/// answers, nothing kept.
#[test]
fn a_history_too_deep_to_keep_is_answered_by_libgit2() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let mut rng = Rng(7);
    let commits = history(&repo, &mut rng, 30, false);
    let tip = *commits.last().unwrap();
    repo.branch("main", &repo.find_commit(tip).unwrap(), false)
        .unwrap();
    let shiftboss = Repo::open(dir.path(), &dir.path().join("wt"), "main").unwrap();
    shiftboss.limit_lineage(8);
    for &a in &commits {
        for &b in &commits {
            assert_eq!(
                shiftboss.contained_in(a, b).unwrap(),
                repo.graph_descendant_of(b, a).unwrap() || a == b,
                "is {a} in {b}"
            );
            assert_eq!(
                shiftboss.merge_bases_of(a, b).unwrap(),
                git_merge_bases(&repo, a, b),
                "bases of {a} {b}"
            );
            assert_eq!(
                shiftboss.on_first_parent_line(a, b).unwrap(),
                git_first_parent_line(&repo, a, b),
                "{a} on {b}"
            );
        }
    }
    assert!(
        shiftboss.lineage_too_deep(),
        "30 commits outgrew a limit of 8"
    );
}
