//! Merging one queue entry onto a candidate commit, tier by tier:
//! `clean` (no conflict), `auto` (union merge of append-only files, then a
//! replay of the branch's commits onto the candidate), `ai` (a model writes
//! the conflicted files). After `auto` and `ai` the content check makes sure
//! no line either side added is gone without an explanation.

use super::ai::{AiCall, AiError, ConflictedFile};
use super::{Ctx, GitError, MERGE_EMAIL, MERGE_NAME, Repo, signature};
use crate::domain::{MergeOutcome, Millis, ModelSpend, Removal, ResolveTier};
use git2::{
    Commit, FileFavor, FileMode, Index, IndexEntry, IndexTime, MergeFileInput, MergeFileOptions,
    MergeOptions, Oid, Sort,
};
use globset::GlobSet;
use std::path::Path;

mod risk;

pub use risk::lines_at_risk;

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
            return self.already_merged(tip, onto);
        }
        let join = Join {
            ours: self
                .main
                .find_commit(onto)
                .ctx(&self.root, "read the candidate")?,
            theirs: self
                .main
                .find_commit(tip)
                .ctx_with(&self.root, || format!("read the tip of `{branch}`"))?,
            message,
            at,
        };
        let mut index = self.merge_index(&join.ours, &join.theirs, branch)?;
        if !index.has_conflicts() {
            return self.clean_tier(&mut index, &join);
        }
        let conflicted = self.conflicts(&index)?;
        let left = self.union_append_only(&mut index, append_only)?;
        if let Some(merged) = self.auto_tier(&mut index, &join, &conflicted, &left, append_only)? {
            return Ok(merged);
        }
        let Some(ai) = ai else {
            return Ok(Merged::Failed(MergeOutcome::Conflicted {
                files: paths(&conflicted),
                why: "auto could not merge it and no ai tier is configured".into(),
            }));
        };
        self.ai_tier(&mut index, &join, &conflicted, &left, ai, context, ledger)
    }

    /// Two commits merged into an index. With one merge base (found in
    /// the ancestry kept in memory) its tree is the ancestor, which is what
    /// libgit2's `merge_commits` does after finding it again by a walk of
    /// its own; with several (criss-cross) or none, `merge_commits` as ever.
    pub(super) fn merge_index(
        &self,
        ours: &Commit<'_>,
        theirs: &Commit<'_>,
        branch: &str,
    ) -> Result<Index, GitError> {
        let opts = MergeOptions::new();
        let merged = match self.merge_bases_of(ours.id(), theirs.id())?[..] {
            [base] => self.merge_over(base, ours, theirs, &opts),
            _ => self.main.merge_commits(ours, theirs, Some(&opts)),
        };
        merged.ctx_with(&self.root, || format!("merge `{branch}`"))
    }

    /// Two commits' trees merged over the tree of their merge base `base`.
    fn merge_over(
        &self,
        base: Oid,
        ours: &Commit<'_>,
        theirs: &Commit<'_>,
        opts: &MergeOptions,
    ) -> Result<Index, git2::Error> {
        let base = self.main.find_commit(base)?.tree()?;
        let (ours, theirs) = (ours.tree()?, theirs.tree()?);
        self.main.merge_trees(&base, &ours, &theirs, Some(opts))
    }

    /// A branch tip the candidate already holds: merged before, or (on the
    /// target's own line) a branch that never had a commit of its own.
    fn already_merged(&self, tip: Oid, onto: Oid) -> Result<Merged, GitError> {
        if self.on_first_parent_line(tip, onto)? {
            return Ok(Merged::Failed(MergeOutcome::Unchanged {
                commit: onto.to_string(),
            }));
        }
        Ok(Merged::Commit {
            commit: onto,
            tier: ResolveTier::Clean,
            removals: Vec::new(),
        })
    }

    /// `clean`: no conflict; unchanged when the commits change nothing in
    /// the end (added, then taken out).
    fn clean_tier(&self, index: &mut Index, join: &Join<'_>) -> Result<Merged, GitError> {
        let tree = index
            .write_tree_to(&self.main)
            .ctx(&self.root, "write the merged tree")?;
        if tree == join.ours.tree_id() {
            return Ok(Merged::Failed(MergeOutcome::Unchanged {
                commit: join.ours.id().to_string(),
            }));
        }
        let commit = self.merge_commit(tree, &join.ours, &join.theirs, join.message, join.at)?;
        Ok(Merged::Commit {
            commit,
            tier: ResolveTier::Clean,
            removals: Vec::new(),
        })
    }

    /// `auto`: the union already made of append-only files when nothing is
    /// `left` conflicted, else a replay of the branch; refused when a line
    /// is at risk. `None` when neither merges it.
    fn auto_tier(
        &self,
        index: &mut Index,
        join: &Join<'_>,
        conflicted: &[Conflict],
        left: &[Conflict],
        append_only: &GlobSet,
    ) -> Result<Option<Merged>, GitError> {
        let tree = if left.is_empty() {
            index
                .write_tree_to(&self.main)
                .ctx(&self.root, "write the merged tree")?
        } else {
            match self.replay(&join.ours, join.theirs.id(), append_only, join.at)? {
                Some(tree) => tree,
                None => return Ok(None),
            }
        };
        let risk = self.risk_in_tree(conflicted, tree, &[])?;
        if !risk.is_empty() {
            return Ok(Some(Merged::Failed(MergeOutcome::Refused {
                tier: ResolveTier::Auto,
                files: paths(conflicted),
                lines_at_risk: risk,
            })));
        }
        let commit = self.merge_commit(tree, &join.ours, &join.theirs, join.message, join.at)?;
        Ok(Some(Merged::Commit {
            commit,
            tier: ResolveTier::Auto,
            removals: Vec::new(),
        }))
    }

    /// `ai`: a model writes each file still conflicted (text on both sides
    /// only); each removal and its reason stay in the merge's message.
    #[allow(clippy::too_many_arguments)]
    fn ai_tier(
        &self,
        index: &mut Index,
        join: &Join<'_>,
        conflicted: &[Conflict],
        left: &[Conflict],
        ai: AiResolve<'_>,
        context: &str,
        ledger: &mut AiLedger,
    ) -> Result<Merged, GitError> {
        if !left.iter().all(Conflict::is_text) {
            return Ok(Merged::Failed(MergeOutcome::Conflicted {
                files: paths(conflicted),
                why: "a conflicted file is binary, or one side deleted it".into(),
            }));
        }
        let (tree, removals) = match self.ai_writes(index, left, conflicted, ai, context, ledger)? {
            Ok(written) => written,
            Err(mut failed) => {
                if let MergeOutcome::Conflicted { files: f, .. }
                | MergeOutcome::Refused { files: f, .. } = &mut failed
                {
                    *f = paths(conflicted);
                }
                return Ok(Merged::Failed(failed));
            }
        };
        let mut message = join.message.to_string();
        for r in &removals {
            message.push_str(&format!("Shiftboss-Removed: {r}\n"));
        }
        let commit = self.merge_commit(tree, &join.ours, &join.theirs, &message, join.at)?;
        Ok(Merged::Commit {
            commit,
            tier: ResolveTier::Ai,
            removals,
        })
    }
}

/// The two commits a merge joins (the candidate, the branch tip), and what
/// its commit says and when.
struct Join<'a> {
    ours: Commit<'a>,
    theirs: Commit<'a>,
    message: &'a str,
    at: Millis,
}

/// The paths of the conflicted files, as an outcome names them.
fn paths(conflicted: &[Conflict]) -> Vec<String> {
    conflicted.iter().map(|c| c.path.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
