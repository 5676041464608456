//! The `paths` gate: what a branch (or a merge) adds that could reach out of
//! the repository — a symlink whose target leaves it or points into `.git`
//! or `.shiftboss`, and any path with a `..` component. Link targets are
//! resolved lexically from the link's own folder inside the repository; an
//! absolute target always escapes.

use super::{Ctx, GitError, Repo};
use crate::domain::GateFinding;
use git2::{FileMode, Oid};

/// The gate's name in findings.
pub const PATHS_GATE: &str = "paths";

/// Folders at the repository's top that no link may point into.
const GUARDED: [&str; 2] = [".git", ".shiftboss"];

/// Why a symlink at `link` (a repository path) with `target` escapes, or
/// `None` when it stays inside the repository and out of `.git` and
/// `.shiftboss`.
pub fn link_escape(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return Some("an absolute target, outside the repository".into());
    }
    let mut at: Vec<&str> = link.split('/').filter(|c| !c.is_empty()).collect();
    at.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if at.pop().is_none() {
                    return Some("a target outside the repository".into());
                }
            }
            p => at.push(p),
        }
    }
    match at.first() {
        Some(top) if GUARDED.contains(top) => Some(format!("a target inside `{top}`")),
        _ => None,
    }
}

/// A finding for a path with a `..` component, if it has one.
pub fn dotdot_finding(path: &str) -> Option<GateFinding> {
    path.split('/').any(|c| c == "..").then(|| GateFinding {
        gate: PATHS_GATE.into(),
        file: path.to_string(),
        line: None,
        expected: "a path without `..`".into(),
        found: "a `..` component".into(),
    })
}

/// A finding for a path inside `.shiftboss` at the repository's top (a
/// checkout that follows the target would write shiftboss's own files) or
/// through a `.git` anywhere, in any case (a repository's config or a
/// pointer to one; git itself refuses to check these out).
pub fn guarded_finding(path: &str) -> Option<GateFinding> {
    let found = if path.split('/').next() == Some(".shiftboss") {
        "a path inside `.shiftboss`"
    } else if path.split('/').any(|c| c.eq_ignore_ascii_case(".git")) {
        "a path through `.git`"
    } else {
        return None;
    };
    Some(GateFinding {
        gate: PATHS_GATE.into(),
        file: path.to_string(),
        line: None,
        expected: "no path inside .shiftboss or any .git".into(),
        found: found.into(),
    })
}

/// A finding for a symlink at `link` pointing at `target` that escapes
/// (`why`).
fn link_finding(link: &str, target: &str, why: String) -> GateFinding {
    GateFinding {
        gate: PATHS_GATE.into(),
        file: link.to_string(),
        line: None,
        expected: "symlinks that stay inside the repository, out of .git and .shiftboss".into(),
        found: format!("a symlink to `{}`: {why}", quoted(target)),
    }
}

/// A link's target as a finding quotes it: escaped, and at most 120
/// characters of it (a target is a blob of any size).
fn quoted(target: &str) -> String {
    let mut q: String = target.escape_debug().take(120).collect();
    if target.escape_debug().nth(120).is_some() {
        q.push('…');
    }
    q
}

/// Links resolved hop by hop.
const MAX_HOPS: usize = 16;

/// Why the link at `link` escapes once the links it passes through in
/// `tree` are followed too (a link into the repository that goes on through
/// another link out of it), if it does.
fn escape_through_links(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    link: &str,
    target: &str,
) -> Option<String> {
    let mut at: Vec<String> = link
        .split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    at.pop();
    let mut todo: std::collections::VecDeque<String> =
        target.split('/').map(str::to_string).collect();
    let mut hops = 0;
    while let Some(part) = todo.pop_front() {
        match part.as_str() {
            "" | "." => {}
            ".." => {
                if at.pop().is_none() {
                    return Some("a target outside the repository (through links)".into());
                }
            }
            _ => {
                at.push(part);
                let here = at.join("/");
                let Ok(entry) = tree.get_path(std::path::Path::new(&here)) else {
                    continue;
                };
                if entry.filemode() != i32::from(FileMode::Link) {
                    continue;
                }
                hops += 1;
                if hops > MAX_HOPS {
                    return Some(format!("more than {MAX_HOPS} links deep"));
                }
                let blob = repo.find_blob(entry.id()).ok()?;
                let next = String::from_utf8_lossy(blob.content()).into_owned();
                if let Some(why) = link_escape(&here, &next) {
                    return Some(format!("through the link `{here}`: {why}"));
                }
                at.pop();
                for p in next.split('/').rev() {
                    todo.push_front(p.to_string());
                }
            }
        }
    }
    match at.first() {
        Some(top) if GUARDED.contains(&top.as_str()) => {
            Some(format!("a target inside `{top}` (through links)"))
        }
        _ => None,
    }
}

impl Repo {
    /// The `paths` findings for what `branch` changed against its merge
    /// base with the target.
    pub fn escapes(&self, branch: &str) -> Result<Vec<GateFinding>, GitError> {
        let tip = self.existing_branch_oid(branch)?;
        let target = self.target_oid()?;
        let base = self.merge_base_with(target, tip, branch)?;
        self.escapes_between(base, tip)
    }

    /// The `paths` findings for the paths added or changed from commit
    /// `old` (none: from nothing) to commit `new`.
    pub fn escapes_between(
        &self,
        old: Option<Oid>,
        new: Oid,
    ) -> Result<Vec<GateFinding>, GitError> {
        let repo = &self.main;
        let tree_of = |oid: Oid| {
            repo.find_commit(oid)
                .and_then(|c| c.tree())
                .ctx_with(&self.root, || format!("read the tree of {oid}"))
        };
        let old_tree = old.map(tree_of).transpose()?;
        let new_tree = tree_of(new)?;
        let diff = repo
            .diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), None)
            .ctx_with(&self.root, || format!("diff {new} against its base"))?;
        let mut out = Vec::new();
        // Links this change adds, changes or removes: they can send a link
        // it did not touch out of the repository.
        let mut relinked: Vec<String> = Vec::new();
        for delta in diff.deltas() {
            for side in [delta.old_file(), delta.new_file()] {
                if side.mode() == FileMode::Link
                    && let Some(p) = side.path()
                {
                    relinked.push(p.to_string_lossy().into_owned());
                }
            }
            let file = delta.new_file();
            if file.id().is_zero() {
                continue;
            }
            let Some(path) = file.path() else { continue };
            let path = path.to_string_lossy().into_owned();
            if let Some(f) = dotdot_finding(&path).or_else(|| guarded_finding(&path)) {
                out.push(f);
                continue;
            }
            if file.mode() != FileMode::Link {
                continue;
            }
            let blob = repo
                .find_blob(file.id())
                .ctx_with(&self.root, || format!("read the symlink `{path}`"))?;
            let target = String::from_utf8_lossy(blob.content());
            let why = link_escape(&path, &target)
                .or_else(|| escape_through_links(repo, &new_tree, &path, &target));
            out.extend(why.map(|why| link_finding(&path, &target, why)));
        }
        if !relinked.is_empty() {
            relinked.dedup();
            out.extend(self.links_sent_out(old_tree.as_ref(), &new_tree, &diff, &relinked)?);
        }
        Ok(out)
    }

    /// Links the change did not touch that lead out of the repository in
    /// `new` through the links it changed (`relinked`) but did not in `old`.
    fn links_sent_out(
        &self,
        old: Option<&git2::Tree<'_>>,
        new: &git2::Tree<'_>,
        diff: &git2::Diff<'_>,
        relinked: &[String],
    ) -> Result<Vec<GateFinding>, GitError> {
        let repo = &self.main;
        let touched: std::collections::BTreeSet<String> = diff
            .deltas()
            .filter_map(|d| d.new_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let mut links = Vec::new();
        new.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.filemode() == i32::from(FileMode::Link)
                && let Ok(name) = entry.name()
            {
                links.push((format!("{dir}{name}"), entry.id()));
            }
            git2::TreeWalkResult::Ok
        })
        .ctx_with(&self.root, || "list the symlinks of the tree".to_string())?;
        let mut out = Vec::new();
        for (path, id) in links {
            if touched.contains(&path) {
                continue;
            }
            let blob = repo
                .find_blob(id)
                .ctx_with(&self.root, || format!("read the symlink `{path}`"))?;
            let target = String::from_utf8_lossy(blob.content()).into_owned();
            let Some(why) = escape_through_links(repo, new, &path, &target) else {
                continue;
            };
            let before = old.and_then(|t| escape_through_links(repo, t, &path, &target));
            if before.is_none() {
                let mut through = relinked
                    .iter()
                    .take(3)
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                if relinked.len() > 3 {
                    through.push_str(&format!(" and {} more", relinked.len() - 3));
                }
                out.push(link_finding(
                    &path,
                    &target,
                    format!("{why}, since this change's links ({through})"),
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_resolve_from_the_links_folder() {
        assert_eq!(link_escape("src/a", "b/c"), None);
        assert_eq!(link_escape("src/a", "../README.md"), None);
        assert_eq!(link_escape("src/deep/a", "./../../x"), None);
        assert!(link_escape("src/x", "/etc").unwrap().contains("absolute"));
        assert!(
            link_escape("src/x", "../../.shiftboss")
                .unwrap()
                .contains("outside")
        );
        assert!(link_escape("a", "..").unwrap().contains("outside"));
        assert!(
            link_escape("src/x", "../.shiftboss/state.db")
                .unwrap()
                .contains(".shiftboss")
        );
        assert!(link_escape("src/x", "../.git").unwrap().contains("`.git`"));
        assert!(link_escape("x", ".git/config").is_some());
        // In and back out again stays outside.
        assert!(link_escape("src/x", "a/../../../y").is_some());
        // A folder merely named like one is fine below the top.
        assert_eq!(link_escape("src/x", "../docs/.git"), None);
    }

    #[test]
    fn dotdot_paths_are_findings() {
        assert!(guarded_finding(".shiftboss/config.toml").is_some());
        assert!(guarded_finding("a/.GIT/config").is_some());
        assert!(guarded_finding("sub/.git").is_some());
        assert!(guarded_finding(".gitignore").is_none());
        assert!(guarded_finding("docs/.shiftboss/x").is_none());
        assert!(guarded_finding(".github/ci.yml").is_none());
        assert!(dotdot_finding("src/../x").is_some());
        assert!(dotdot_finding("src/..x").is_none());
        let f = link_finding("src/x", "/etc", link_escape("src/x", "/etc").unwrap());
        assert_eq!((f.gate.as_str(), f.file.as_str()), ("paths", "src/x"));
        assert!(f.found.contains("`/etc`"), "{}", f.found);
        // A link's target is a blob of any size: the finding quotes a bounded part.
        let long = format!("/{}", "a/".repeat(50_000));
        let f = link_finding("src/x", &long, link_escape("src/x", &long).unwrap());
        assert!(f.found.len() < 400, "{} bytes", f.found.len());
    }
}
