//! The review record: `.shiftboss/reviews.jsonl`, one line per review done
//! (`report --record`, or the key on a review screen), so that "since the
//! last review" starts where the last one ended.

use crate::domain::Millis;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// One line of `.shiftboss/reviews.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    pub since: Millis,
    pub until: Millis,
    /// When it was recorded (wall clock).
    pub at: Millis,
}

pub const REVIEWS: &str = "reviews.jsonl";

/// Where the last recorded review ended; lines that do not read are skipped.
pub fn last_review(dir: &Path) -> Option<Millis> {
    let text = std::fs::read_to_string(dir.join(REVIEWS)).ok()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<Recorded>(l).ok())
        .map(|r| r.until)
        .max()
}

/// Append one line: a single write to a file opened for appending, so two
/// reviews recorded at once never interleave.
pub fn record(dir: &Path, r: &Recorded) -> std::io::Result<()> {
    let line = serde_json::to_string(r).map_err(std::io::Error::other)? + "\n";
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(REVIEWS))?;
    f.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_review_is_the_latest_end_and_bad_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(last_review(dir.path()), None);
        record(
            dir.path(),
            &Recorded {
                since: 10,
                until: 50,
                at: 1,
            },
        )
        .unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(REVIEWS))
            .unwrap()
            .write_all(b"not json\n")
            .unwrap();
        record(
            dir.path(),
            &Recorded {
                since: 0,
                until: 30,
                at: 2,
            },
        )
        .unwrap();
        assert_eq!(last_review(dir.path()), Some(50));
    }
}
