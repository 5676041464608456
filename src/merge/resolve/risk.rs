//! The content check: after `auto` and `ai`, no line either side added is
//! gone from the merged tree without an explanation.

use super::Conflict;
use crate::domain::{LineAtRisk, Side};
use crate::merge::{Ctx, GitError, Repo};
use git2::Oid;
use std::collections::BTreeMap;
use std::path::Path;

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

impl Repo {
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
    pub(super) fn risk_in_tree(
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
}
