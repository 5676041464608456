//! Ancestry answered in memory: each commit's parents and generation
//! number (one more than its highest parent's; a root's is 1), read once
//! per [`Repo`] from the object database and kept (a commit never changes).
//!
//! libgit2 answers "is A in B" and "where did these two part" by reading
//! and inflating every commit of the walk again, each time, and walks by
//! commit date until everything left is known common. Here a walk reads
//! nothing and stops by generation: no commit below an ancestor's
//! generation can lead to it, and walking the highest generation first
//! means a commit is only visited once everything above it was.
//!
//! Generation numbers need every ancestor read once. That is a few hundred
//! commits for a project shiftboss made, but an operator's repository can
//! hold millions: past [`MOST_COMMITS`] the ancestry kept is dropped and
//! every question goes to libgit2, as before, so memory and the first
//! question's time stay bounded.

use super::{Ctx, GitError, Repo};
use git2::{ErrorCode, Oid};
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// A commit as the ancestry walks need it.
struct Node {
    parents: Box<[Oid]>,
    generation: u32,
}

/// The most commits kept (about 100 bytes each). A history deeper than
/// this is walked by libgit2 instead.
pub(super) const MOST_COMMITS: usize = 200_000;

/// The commits read so far, by id.
#[derive(Default)]
pub(super) struct Lineage {
    nodes: HashMap<Oid, Node>,
    /// The history outgrew [`MOST_COMMITS`]: nothing is kept, libgit2 answers.
    too_deep: bool,
    /// The most commits kept before giving up (tests lower it).
    limit: Option<usize>,
}

/// Reads a commit's parents (the repository's own view: grafts of a
/// shallow clone included).
pub(super) type ReadParents<'a> = dyn Fn(Oid) -> Result<Box<[Oid]>, git2::Error> + 'a;

/// Marks of the merge-base walk.
const ONE: u8 = 1;
const TWO: u8 = 2;
const STALE: u8 = 4;
const RESULT: u8 = 8;

impl Lineage {
    /// The generation of `oid`, reading it and every ancestor not read yet.
    fn generation(&mut self, read: &ReadParents<'_>, oid: Oid) -> Result<u32, git2::Error> {
        if let Some(n) = self.nodes.get(&oid) {
            return Ok(n.generation);
        }
        // Depth first without recursion (histories are deep): a commit is
        // finished once all its parents are.
        let mut read_once: HashMap<Oid, Box<[Oid]>> = HashMap::new();
        let mut stack = vec![oid];
        while let Some(&top) = stack.last() {
            if self.nodes.contains_key(&top) {
                stack.pop();
                continue;
            }
            if self.nodes.len() + read_once.len() >= self.limit.unwrap_or(MOST_COMMITS) {
                self.too_deep = true;
                self.nodes = HashMap::new();
                return Err(git2::Error::from_str("the history is too deep to keep"));
            }
            let parents = match read_once.entry(top) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(read(top)?),
            };
            let before = stack.len();
            let mut highest = 0;
            for p in parents.iter() {
                match self.nodes.get(p) {
                    Some(n) => highest = highest.max(n.generation),
                    None => stack.push(*p),
                }
            }
            if stack.len() == before {
                let parents = read_once.remove(&top).unwrap_or_default();
                let generation = highest + 1;
                self.nodes.insert(
                    top,
                    Node {
                        parents,
                        generation,
                    },
                );
                stack.pop();
            }
        }
        Ok(self.nodes[&oid].generation)
    }

    fn parents(&self, oid: Oid) -> &[Oid] {
        self.nodes.get(&oid).map_or(&[], |n| &n.parents)
    }

    fn generation_of(&self, oid: Oid) -> u32 {
        self.nodes.get(&oid).map_or(0, |n| n.generation)
    }

    /// `true` when `commit` is `tip` or one of its ancestors.
    pub(super) fn contains(
        &mut self,
        read: &ReadParents<'_>,
        tip: Oid,
        commit: Oid,
    ) -> Result<bool, git2::Error> {
        if commit == tip {
            return Ok(true);
        }
        let floor = self.generation(read, commit)?;
        if self.generation(read, tip)? <= floor {
            return Ok(false);
        }
        let mut seen = HashSet::from([tip]);
        let mut stack = vec![tip];
        while let Some(at) = stack.pop() {
            for &p in self.parents(at) {
                if p == commit {
                    return Ok(true);
                }
                if self.generation_of(p) > floor && seen.insert(p) {
                    stack.push(p);
                }
            }
        }
        Ok(false)
    }

    /// The merge bases of `a` and `b`: their common ancestors that are no
    /// ancestor of another common ancestor (empty when they share no
    /// history), sorted by id.
    pub(super) fn merge_bases(
        &mut self,
        read: &ReadParents<'_>,
        a: Oid,
        b: Oid,
    ) -> Result<Vec<Oid>, git2::Error> {
        if a == b {
            return Ok(vec![a]);
        }
        let found = self.paint_down_to_common(read, a, b)?;
        let mut bases = Vec::with_capacity(found.len());
        for (i, &x) in found.iter().enumerate() {
            let mut redundant = false;
            for (j, &y) in found.iter().enumerate() {
                if i != j && self.contains(read, y, x)? {
                    redundant = true;
                    break;
                }
            }
            if !redundant {
                bases.push(x);
            }
        }
        bases.sort();
        Ok(bases)
    }

    /// Paint `a`'s ancestors with one mark and `b`'s with another, highest
    /// generation first; a commit with both is common, and what lies below
    /// it is stale. Every commit found common that was not stale yet (some
    /// may be ancestors of others). The walk ends when every commit left
    /// in the queue is stale: counted as commits are queued, taken and
    /// marked stale, not looked for in the queue at each step.
    pub(super) fn paint_down_to_common(
        &mut self,
        read: &ReadParents<'_>,
        a: Oid,
        b: Oid,
    ) -> Result<Vec<Oid>, git2::Error> {
        /// A commit's marks and how many times it is in the queue.
        #[derive(Default)]
        struct Paint {
            marks: u8,
            queued: u32,
        }
        let mut paints: HashMap<Oid, Paint> = HashMap::from([
            (
                a,
                Paint {
                    marks: ONE,
                    queued: 1,
                },
            ),
            (
                b,
                Paint {
                    marks: TWO,
                    queued: 1,
                },
            ),
        ]);
        let mut queue = BinaryHeap::from([
            (self.generation(read, a)?, a),
            (self.generation(read, b)?, b),
        ]);
        // Entries in the queue whose commit is not stale.
        let mut live = queue.len();
        let mut found = Vec::new();
        while live > 0 {
            let Some((_, at)) = queue.pop() else { break };
            let here = paints.entry(at).or_default();
            here.queued -= 1;
            let mut paint = here.marks & (ONE | TWO | STALE);
            if paint & STALE == 0 {
                live -= 1;
            }
            if paint == ONE | TWO {
                if here.marks & RESULT == 0 {
                    here.marks |= RESULT;
                    found.push(at);
                }
                paint |= STALE;
            }
            for &p in self.parents(at) {
                let there = paints.entry(p).or_default();
                if there.marks & paint == paint {
                    continue;
                }
                if paint & STALE != 0 && there.marks & STALE == 0 {
                    // Its entries already queued turn stale with it.
                    live -= there.queued as usize;
                }
                there.marks |= paint;
                there.queued += 1;
                if there.marks & STALE == 0 {
                    live += 1;
                }
                queue.push((self.generation_of(p), p));
            }
        }
        Ok(found)
    }

    /// `true` when `commit` is on `tip`'s first-parent line.
    pub(super) fn on_first_parent_line(
        &mut self,
        read: &ReadParents<'_>,
        commit: Oid,
        tip: Oid,
    ) -> Result<bool, git2::Error> {
        let floor = self.generation(read, commit)?;
        self.generation(read, tip)?;
        let mut at = tip;
        loop {
            if at == commit {
                return Ok(true);
            }
            match self.parents(at).first() {
                Some(&p) if self.generation_of(p) >= floor => at = p,
                _ => return Ok(false),
            }
        }
    }
}

impl Repo {
    /// Run `walk` over the ancestry kept for this repository, reading the
    /// commits it has not seen from the object database; `deep` answers
    /// instead (through libgit2) once the history is too deep to keep.
    fn with_lineage<T>(
        &self,
        walk: impl FnOnce(&mut Lineage, &ReadParents<'_>) -> Result<T, git2::Error>,
        deep: impl FnOnce() -> Result<T, git2::Error>,
    ) -> Result<T, git2::Error> {
        let read = |oid: Oid| -> Result<Box<[Oid]>, git2::Error> {
            Ok(self.main.find_commit(oid)?.parent_ids().collect())
        };
        {
            let mut lineage = self.lineage.borrow_mut();
            if !lineage.too_deep {
                match walk(&mut lineage, &read) {
                    Err(_) if lineage.too_deep => {}
                    out => return out,
                }
            }
        }
        deep()
    }

    /// Keep at most `limit` commits before handing ancestry to libgit2.
    #[cfg(test)]
    pub(super) fn limit_lineage(&self, limit: usize) {
        self.lineage.borrow_mut().limit = Some(limit);
    }

    /// Whether ancestry questions have gone to libgit2 for good.
    #[cfg(test)]
    pub(super) fn lineage_too_deep(&self) -> bool {
        self.lineage.borrow().too_deep
    }

    /// `true` when `commit` is the tip `tip` or one of its ancestors.
    pub(super) fn contained_in(&self, commit: Oid, tip: Oid) -> Result<bool, GitError> {
        self.with_lineage(
            |l, read| l.contains(read, tip, commit),
            || Ok(commit == tip || self.main.graph_descendant_of(tip, commit)?),
        )
        .ctx_with(&self.root, || format!("check whether {commit} is in {tip}"))
    }

    /// The merge bases of `a` and `b`, sorted by id (empty: no shared history).
    pub(super) fn merge_bases_of(&self, a: Oid, b: Oid) -> Result<Vec<Oid>, GitError> {
        self.with_lineage(
            |l, read| l.merge_bases(read, a, b),
            || match self.main.merge_bases(a, b) {
                Ok(bases) => {
                    let mut bases: Vec<Oid> = bases.iter().copied().collect();
                    bases.sort();
                    Ok(bases)
                }
                Err(e) if e.code() == ErrorCode::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            },
        )
        .ctx_with(&self.root, || {
            format!("find the merge bases of {a} and {b}")
        })
    }

    /// The one merge base of `a` and `b` that libgit2 would give (several
    /// after criss-cross merges: libgit2 picks, as it always has), None
    /// when they share no history.
    pub(super) fn merge_base(&self, a: Oid, b: Oid, what: &str) -> Result<Option<Oid>, GitError> {
        match self.merge_bases_of(a, b)?.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => match self.main.merge_base(a, b) {
                Ok(base) => Ok(Some(base)),
                Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e).ctx_with(&self.root, || format!("find the merge base of {what}")),
            },
        }
    }

    /// Whether `commit` is on `tip`'s first-parent line (the target's own
    /// history, not a branch merged into it).
    pub(super) fn on_first_parent_line(&self, commit: Oid, tip: Oid) -> Result<bool, GitError> {
        self.with_lineage(
            |l, read| l.on_first_parent_line(read, commit, tip),
            || {
                let mut at = Some(tip);
                while let Some(oid) = at {
                    if oid == commit {
                        return Ok(true);
                    }
                    at = self.main.find_commit(oid)?.parent_ids().next();
                }
                Ok(false)
            },
        )
        .ctx(&self.root, "walk the target")
    }
}
