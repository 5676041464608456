//! Merging one queue entry onto a candidate commit, tier by tier:
//! `clean` (no conflict), `auto` (union merge of append-only files, then a
//! replay of the branch's commits onto the candidate), `ai` (a model writes
//! the conflicted files). After `auto` and `ai` the content check makes sure
//! no line either side added is gone without an explanation.

use super::ai::{AiCall, AiError, ConflictedFile};
use super::{Ctx, GitError, MERGE_EMAIL, MERGE_NAME, Repo, signature};
use crate::domain::{LineAtRisk, MergeOutcome, Millis, ModelSpend, Removal, ResolveTier, Side};
use git2::{
    Commit, FileFavor, FileMode, Index, IndexEntry, IndexTime, MergeFileInput, MergeFileOptions,
    MergeOptions, Oid, Sort,
};
use globset::GlobSet;
use std::collections::BTreeMap;
use std::path::Path;

/// The `ai` tier: a file and the task's context in, the model's call out.
pub type AiResolve<'a> = &'a dyn Fn(&ConflictedFile, &str) -> AiCall;

/// What the `ai` tier's calls left behind: what each answer cost, and the
/// first endpoint that could not be reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AiLedger {
    pub spent: Vec<ModelSpend>,
    pub unreachable: Option<String>,
}

/// How merging one entry onto a candidate went.
#[derive(Debug)]
pub enum Merged {
    /// A merge commit (candidate, branch tip) with its tier and the lines
    /// the `ai` tier removed with reasons; `commit` is the candidate itself
    /// when the branch was already merged into it.
    Commit {
        commit: Oid,
        tier: ResolveTier,
        removals: Vec<Removal>,
    },
    /// No tier could merge it (`Conflicted`), or a resolution would lose
    /// lines (`Refused`).
    Failed(MergeOutcome),
}

/// A conflict as read from an index, with its versions' bytes.
struct Conflict {
    path: String,
    mode: u32,
    base: Option<Vec<u8>>,
    ours: Option<Vec<u8>>,
    theirs: Option<Vec<u8>>,
}

impl Conflict {
    fn text(b: &Option<Vec<u8>>) -> Option<String> {
        b.as_ref().and_then(|b| String::from_utf8(b.clone()).ok())
    }

    /// Both sides exist and are text: a model (or a person) can merge it.
    fn is_text(&self) -> bool {
        let text = |b: &Option<Vec<u8>>| {
            b.as_ref()
                .is_none_or(|b| std::str::from_utf8(b).is_ok() && !b.contains(&0))
        };
        self.ours.is_some()
            && self.theirs.is_some()
            && [&self.base, &self.ours, &self.theirs].into_iter().all(text)
    }

    /// For the `ai` tier; a side that is missing or not text is empty
    /// (the tier only sees files [`Conflict::is_text`] accepts).
    fn file(&self) -> ConflictedFile {
        ConflictedFile {
            path: self.path.clone(),
            base: Conflict::text(&self.base),
            ours: Conflict::text(&self.ours).unwrap_or_default(),
            theirs: Conflict::text(&self.theirs).unwrap_or_default(),
        }
    }
}

/// Lines one side added (against `base`) that `result` no longer has and
/// that `explained` does not account for. Blank lines do not count.
pub fn lines_at_risk(
    path: &str,
    base: Option<&str>,
    ours: Option<&str>,
    theirs: Option<&str>,
    result: &str,
    explained: &[String],
) -> Vec<LineAtRisk> {
    fn counts(s: Option<&str>) -> BTreeMap<&str, usize> {
        let mut m = BTreeMap::new();
        for l in s.unwrap_or("").lines().map(str::trim) {
            if !l.is_empty() {
                *m.entry(l).or_insert(0) += 1;
            }
        }
        m
    }
    let base = counts(base);
    let kept = counts(Some(result));
    let mut out = Vec::new();
    for (side, text) in [(Side::Agent, theirs), (Side::Target, ours)] {
        for (line, n) in counts(text) {
            let added = n > base.get(line).copied().unwrap_or(0);
            let missing = !kept.contains_key(line);
            let why = explained.iter().any(|e| e.trim() == line);
            if added && missing && !why {
                out.push(LineAtRisk {
                    file: path.to_string(),
                    side,
                    line: line.to_string(),
                });
            }
        }
    }
    out
}

/// A union merge of three texts: both sides' changes, conflicting hunks
/// keeping ours then theirs.
fn union(path: &str, base: &[u8], ours: &[u8], theirs: &[u8]) -> Result<Vec<u8>, git2::Error> {
    let input = |content| {
        let mut i = MergeFileInput::new();
        i.content(content).path(path).mode(Some(FileMode::Blob));
        i
    };
    let (b, o, t) = (input(base), input(ours), input(theirs));
    let mut opts = MergeFileOptions::new();
    opts.ancestor_label("base")
        .our_label("target")
        .their_label("branch")
        .favor(FileFavor::Union);
    Ok(git2::merge_file(&b, &o, &t, Some(&mut opts))?
        .content()
        .to_vec())
}

impl Repo {
    fn blob_bytes(&self, e: &Option<IndexEntry>) -> Result<Option<Vec<u8>>, GitError> {
        match e {
            None => Ok(None),
            Some(e) => Ok(Some(
                self.main
                    .find_blob(e.id)
                    .ctx(&self.root, "read a conflicted file")?
                    .content()
                    .to_vec(),
            )),
        }
    }

    fn conflicts(&self, index: &Index) -> Result<Vec<Conflict>, GitError> {
        let mut out = Vec::new();
        for c in index.conflicts().ctx(&self.root, "list conflicts")? {
            let c = c.ctx(&self.root, "read a conflict")?;
            let any = c.our.as_ref().or(c.their.as_ref()).or(c.ancestor.as_ref());
            let Some(any) = any else { continue };
            out.push(Conflict {
                path: String::from_utf8_lossy(&any.path).into_owned(),
                mode: any.mode,
                base: self.blob_bytes(&c.ancestor)?,
                ours: self.blob_bytes(&c.our)?,
                theirs: self.blob_bytes(&c.their)?,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Put `content` in `index` as the resolved version of a conflicted path.
    fn resolve_in(&self, index: &mut Index, c: &Conflict, content: &[u8]) -> Result<(), GitError> {
        let id = self
            .main
            .blob(content)
            .ctx(&self.root, "write a resolved file")?;
        let path = Path::new(&c.path);
        index
            .conflict_remove(path)
            .ctx_with(&self.root, || format!("resolve `{}`", c.path))?;
        let entry = IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: c.mode,
            uid: 0,
            gid: 0,
            file_size: content.len() as u32,
            id,
            flags: c.path.len().min(0xfff) as u16,
            flags_extended: 0,
            path: c.path.as_bytes().to_vec(),
        };
        index
            .add(&entry)
            .ctx_with(&self.root, || format!("resolve `{}`", c.path))
    }

    /// Union-merge every conflicted append-only file in `index`; returns the
    /// conflicts left.
    fn union_append_only(
        &self,
        index: &mut Index,
        append_only: &GlobSet,
    ) -> Result<Vec<Conflict>, GitError> {
        let mut left = Vec::new();
        for c in self.conflicts(index)? {
            match (&c.ours, &c.theirs) {
                (Some(o), Some(t)) if append_only.is_match(&c.path) && c.is_text() => {
                    let merged = union(&c.path, c.base.as_deref().unwrap_or(b""), o, t)
                        .ctx_with(&self.root, || format!("union-merge `{}`", c.path))?;
                    self.resolve_in(index, &c, &merged)?;
                }
                _ => left.push(c),
            }
        }
        Ok(left)
    }

    /// Replay the branch's own commits (oldest first, merges skipped) onto
    /// `onto`, union-merging append-only files on the way. The tree of the
    /// last replayed commit, or None when a step conflicts.
    fn replay(
        &self,
        onto: &Commit<'_>,
        tip: Oid,
        append_only: &GlobSet,
        at: Millis,
    ) -> Result<Option<Oid>, GitError> {
        let mut walk = self.main.revwalk().ctx(&self.root, "walk the branch")?;
        walk.push(tip).ctx(&self.root, "walk the branch")?;
        walk.hide(onto.id()).ctx(&self.root, "walk the branch")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .ctx(&self.root, "walk the branch")?;
        let sig = signature(&self.root, MERGE_NAME, MERGE_EMAIL, at)?;
        let mut head = onto.clone();
        for oid in walk {
            let oid = oid.ctx(&self.root, "walk the branch")?;
            let commit = self
                .main
                .find_commit(oid)
                .ctx(&self.root, "read a branch commit")?;
            if commit.parent_count() > 1 {
                continue;
            }
            let mut index = self
                .main
                .cherrypick_commit(&commit, &head, 0, Some(&MergeOptions::new()))
                .ctx_with(&self.root, || format!("replay {oid}"))?;
            if index.has_conflicts() && !self.union_append_only(&mut index, append_only)?.is_empty()
            {
                return Ok(None);
            }
            let tree = index
                .write_tree_to(&self.main)
                .ctx(&self.root, "write a replayed tree")?;
            let tree = self.main.find_tree(tree).ctx(&self.root, "read a tree")?;
            let next = self
                .main
                .commit(None, &sig, &sig, "replay", &tree, &[&head])
                .ctx(&self.root, "write a replayed commit")?;
            head = self
                .main
                .find_commit(next)
                .ctx(&self.root, "read a replayed commit")?;
        }
        Ok(Some(head.tree_id()))
    }

    fn text_at(&self, tree: Oid, path: &str) -> Result<String, GitError> {
        let tree = self.main.find_tree(tree).ctx(&self.root, "read a tree")?;
        match tree.get_path(Path::new(path)) {
            Ok(e) => {
                let blob = self
                    .main
                    .find_blob(e.id())
                    .ctx_with(&self.root, || format!("read `{path}`"))?;
                Ok(String::from_utf8_lossy(blob.content()).into_owned())
            }
            Err(_) => Ok(String::new()),
        }
    }

    /// The content check over the originally conflicted files.
    fn risk_in_tree(
        &self,
        conflicts: &[Conflict],
        tree: Oid,
        explained: &[String],
    ) -> Result<Vec<LineAtRisk>, GitError> {
        let mut out = Vec::new();
        for c in conflicts {
            let result = self.text_at(tree, &c.path)?;
            let (base, ours, theirs) = (
                Conflict::text(&c.base),
                Conflict::text(&c.ours),
                Conflict::text(&c.theirs),
            );
            out.extend(lines_at_risk(
                &c.path,
                base.as_deref(),
                ours.as_deref(),
                theirs.as_deref(),
                &result,
                explained,
            ));
        }
        Ok(out)
    }

    /// Whether `commit` is on `tip`'s first-parent line (the target's own
    /// history, not a branch merged into it).
    fn on_first_parent_line(&self, commit: Oid, tip: Oid) -> Result<bool, GitError> {
        let mut at = Some(tip);
        while let Some(oid) = at {
            if oid == commit {
                return Ok(true);
            }
            at = self
                .main
                .find_commit(oid)
                .ctx(&self.root, "walk the target")?
                .parent_ids()
                .next();
        }
        Ok(false)
    }

    fn merge_commit(
        &self,
        tree: Oid,
        ours: &Commit<'_>,
        theirs: &Commit<'_>,
        message: &str,
        at: Millis,
    ) -> Result<Oid, GitError> {
        let tree = self
            .main
            .find_tree(tree)
            .ctx(&self.root, "read the merged tree")?;
        let sig = signature(&self.root, MERGE_NAME, MERGE_EMAIL, at)?;
        self.main
            .commit(None, &sig, &sig, message, &tree, &[ours, theirs])
            .ctx(&self.root, "write a merge commit")
    }

    /// The `ai` tier writes each file `left` conflicted into `index`; the
    /// content check over every `conflicted` file holds the tree to each
    /// line either side added, or its explained removal. The tree and the
    /// removals, or how it failed (its files filled in by the caller).
    fn ai_writes(
        &self,
        index: &mut Index,
        left: &[Conflict],
        conflicted: &[Conflict],
        ai: AiResolve<'_>,
        context: &str,
        ledger: &mut AiLedger,
    ) -> Result<Result<(Oid, Vec<Removal>), MergeOutcome>, GitError> {
        let mut explained = Vec::new();
        let mut removals = Vec::new();
        for c in left {
            let call = ai(&c.file(), context);
            ledger.spent.extend(call.spent);
            let answer = match call.result {
                Ok(a) => a,
                Err(e) => {
                    if let AiError::Unreachable { endpoint, .. } = &e {
                        ledger.unreachable.get_or_insert_with(|| endpoint.clone());
                    }
                    return Ok(Err(MergeOutcome::Conflicted {
                        files: Vec::new(),
                        why: format!("ai on {}: {e}", c.path),
                    }));
                }
            };
            explained.extend(answer.removals.iter().map(|r| r.line.clone()));
            removals.extend(answer.removals.into_iter().map(|r| Removal {
                file: c.path.clone(),
                line: r.line,
                why: r.why,
            }));
            self.resolve_in(index, c, answer.content.as_bytes())?;
        }
        let tree = index
            .write_tree_to(&self.main)
            .ctx(&self.root, "write the merged tree")?;
        let risk = self.risk_in_tree(conflicted, tree, &explained)?;
        if !risk.is_empty() {
            return Ok(Err(MergeOutcome::Refused {
                tier: ResolveTier::Ai,
                files: Vec::new(),
                lines_at_risk: risk,
            }));
        }
        Ok(Ok((tree, removals)))
    }

    /// Merge `branch` onto the commit `onto` (nothing on disk and no ref
    /// changes): a two-parent merge commit (onto, branch tip) and its tier,
    /// or why it could not be merged. What the `ai` tier's calls cost goes
    /// to `ledger`.
    #[allow(clippy::too_many_arguments)]
    pub fn merge_onto(
        &self,
        onto: Oid,
        branch: &str,
        message: &str,
        at: Millis,
        append_only: &GlobSet,
        ai: Option<AiResolve<'_>>,
        context: &str,
        ledger: &mut AiLedger,
    ) -> Result<Merged, GitError> {
        let tip = self
            .branch_oid(branch)?
            .ok_or_else(|| GitError::NoSuchBranch {
                repo: self.root.clone(),
                branch: branch.to_string(),
            })?;
        if self.contained_in(tip, onto)? {
            // On the target's own line: the branch never had a commit of its own.
            if self.on_first_parent_line(tip, onto)? {
                return Ok(Merged::Failed(MergeOutcome::Unchanged {
                    commit: onto.to_string(),
                }));
            }
            return Ok(Merged::Commit {
                commit: onto,
                tier: ResolveTier::Clean,
                removals: Vec::new(),
            });
        }
        let ours = self
            .main
            .find_commit(onto)
            .ctx(&self.root, "read the candidate")?;
        let theirs = self
            .main
            .find_commit(tip)
            .ctx_with(&self.root, || format!("read the tip of `{branch}`"))?;
        let mut index = self
            .main
            .merge_commits(&ours, &theirs, Some(&MergeOptions::new()))
            .ctx_with(&self.root, || format!("merge `{branch}`"))?;
        if !index.has_conflicts() {
            let tree = index
                .write_tree_to(&self.main)
                .ctx(&self.root, "write the merged tree")?;
            // Commits that change nothing in the end (added, then taken out).
            if tree == ours.tree_id() {
                return Ok(Merged::Failed(MergeOutcome::Unchanged {
                    commit: onto.to_string(),
                }));
            }
            let commit = self.merge_commit(tree, &ours, &theirs, message, at)?;
            return Ok(Merged::Commit {
                commit,
                tier: ResolveTier::Clean,
                removals: Vec::new(),
            });
        }
        let conflicted = self.conflicts(&index)?;
        let files: Vec<String> = conflicted.iter().map(|c| c.path.clone()).collect();

        // auto: union for append-only files, then a replay of the branch.
        let left = self.union_append_only(&mut index, append_only)?;
        let auto_tree = if left.is_empty() {
            Some(
                index
                    .write_tree_to(&self.main)
                    .ctx(&self.root, "write the merged tree")?,
            )
        } else {
            self.replay(&ours, tip, append_only, at)?
        };
        if let Some(tree) = auto_tree {
            let risk = self.risk_in_tree(&conflicted, tree, &[])?;
            if !risk.is_empty() {
                return Ok(Merged::Failed(MergeOutcome::Refused {
                    tier: ResolveTier::Auto,
                    files,
                    lines_at_risk: risk,
                }));
            }
            let commit = self.merge_commit(tree, &ours, &theirs, message, at)?;
            return Ok(Merged::Commit {
                commit,
                tier: ResolveTier::Auto,
                removals: Vec::new(),
            });
        }

        // ai: a model writes each file still conflicted.
        let Some(ai) = ai else {
            return Ok(Merged::Failed(MergeOutcome::Conflicted {
                files,
                why: "auto could not merge it and no ai tier is configured".into(),
            }));
        };
        if !left.iter().all(Conflict::is_text) {
            return Ok(Merged::Failed(MergeOutcome::Conflicted {
                files,
                why: "a conflicted file is binary, or one side deleted it".into(),
            }));
        }
        let (tree, removals) =
            match self.ai_writes(&mut index, &left, &conflicted, ai, context, ledger)? {
                Ok(written) => written,
                Err(mut failed) => {
                    if let MergeOutcome::Conflicted { files: f, .. }
                    | MergeOutcome::Refused { files: f, .. } = &mut failed
                    {
                        *f = files;
                    }
                    return Ok(Merged::Failed(failed));
                }
            };
        // Each removal and its reason stay with the merge.
        let mut message = message.to_string();
        for r in &removals {
            message.push_str(&format!("Shiftboss-Removed: {r}\n"));
        }
        let commit = self.merge_commit(tree, &ours, &theirs, &message, at)?;
        Ok(Merged::Commit {
            commit,
            tier: ResolveTier::Ai,
            removals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_at_risk_counts_both_sides_and_explanations() {
        let base = "a\nb\n";
        let ours = "a\nb\ntarget line\n";
        let theirs = "a\nagent line\nb\n";
        assert!(
            lines_at_risk(
                "f",
                Some(base),
                Some(ours),
                Some(theirs),
                "a\nagent line\nb\ntarget line\n",
                &[]
            )
            .is_empty()
        );
        let risk = lines_at_risk(
            "f",
            Some(base),
            Some(ours),
            Some(theirs),
            "a\nb\ntarget line\n",
            &[],
        );
        assert_eq!(
            risk,
            [LineAtRisk {
                file: "f".into(),
                side: Side::Agent,
                line: "agent line".into()
            }]
        );
        let explained = ["agent line".to_string()];
        assert!(
            lines_at_risk(
                "f",
                Some(base),
                Some(ours),
                Some(theirs),
                "a\nb\ntarget line\n",
                &explained
            )
            .is_empty()
        );
        // A line the base had and a side removed is not at risk.
        assert!(lines_at_risk("f", Some(base), Some("a\n"), Some(base), "a\n", &[]).is_empty());
    }

    #[test]
    fn union_keeps_both_sides() {
        // libgit2 is initialised by the first repository handle; merge_file
        // alone does not do it.
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let out = union(
            "CHANGELOG.md",
            b"# log\n",
            b"# log\n- ours\n",
            b"# log\n- theirs\n",
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("- ours") && out.contains("- theirs"), "{out}");
    }
}
