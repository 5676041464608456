//! The model's answer held to the contract: one fenced block holding the
//! whole file, then `REMOVED: <line> -- <why>` lines.

use super::response::excerpt;
use super::{AiError, ConflictedFile, ExplainedRemoval};

/// A fence line: its character, its length and whether anything follows.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|&c| c == '`' || c == '~')?;
    let n = rest.chars().take_while(|&ch| ch == c).count();
    if n < 3 {
        return None;
    }
    let info = rest[n..].trim();
    // A backtick fence's info string has no backticks (CommonMark).
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, info))
}

fn is_conflict_marker(line: &str) -> bool {
    line.starts_with("<<<<<<<")
        || line.starts_with(">>>>>>>")
        || line == "======="
        || line == "|||||||"
        || line.starts_with("||||||| ")
}

/// Hold the model's answer to the contract and read the file and the
/// explained removals out of it. Pure: no I/O.
///
/// Refused: no fenced block, an unclosed block, more than one block, a
/// non-blank line outside the block that is not a `REMOVED: <line> -- <why>`
/// line, a conflict marker in the block (a line that looks like one but is
/// in one of the versions is content), an empty block when both sides have
/// content. The content keeps the file's line ending and trailing newline.
pub fn parse_answer(
    answer: &str,
    file: &ConflictedFile,
) -> Result<(String, Vec<ExplainedRemoval>), AiError> {
    let refuse = |why: String| Err(AiError::Refused(why));
    if answer.trim().is_empty() {
        return refuse("the answer is empty".into());
    }
    let Parts {
        block: lines,
        removals,
        prose,
    } = split(answer)?;
    if let Some(line) = prose {
        return refuse(format!(
            "the answer has prose around the code: {}",
            excerpt(line)
        ));
    }
    let versions = [file.base.as_deref(), Some(&file.ours), Some(&file.theirs)];
    let in_a_version = |line: &str| {
        versions
            .iter()
            .flatten()
            .any(|v| v.lines().any(|l| l.strip_suffix('\r').unwrap_or(l) == line))
    };
    if let Some(marker) = lines
        .iter()
        .find(|l| is_conflict_marker(l) && !in_a_version(l))
    {
        return refuse(format!(
            "the file still has a conflict marker: {}",
            excerpt(marker)
        ));
    }
    let both_sides = !file.ours.trim().is_empty() && !file.theirs.trim().is_empty();
    if lines.iter().all(|l| l.trim().is_empty()) {
        if both_sides {
            return refuse("the resolved file is empty, though both sides have content".into());
        }
        return Ok((String::new(), removals));
    }
    let crlf = file.ours.contains("\r\n") || file.theirs.contains("\r\n");
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut content = lines.join(eol);
    if file.ours.ends_with('\n') || file.theirs.ends_with('\n') {
        content.push_str(eol);
    }
    Ok((content, removals))
}

/// An answer taken apart: the fenced block's lines, the explained removals,
/// and the first line of prose outside the block, if any.
struct Parts<'a> {
    block: Vec<&'a str>,
    removals: Vec<ExplainedRemoval>,
    prose: Option<&'a str>,
}

/// Take an answer apart line by line. Refused: more than one block, a
/// `REMOVED:` line without its line or reason, a block never closed, no
/// block at all.
fn split(answer: &str) -> Result<Parts<'_>, AiError> {
    let refuse = |why: &str| Err(AiError::Refused(why.into()));
    let mut block: Option<Vec<&str>> = None;
    let mut open: Option<(char, usize)> = None;
    let mut lines_in: Vec<&str> = Vec::new();
    let mut removals = Vec::new();
    let mut prose: Option<&str> = None;
    for raw in answer.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((c, n)) = open {
            match fence(line) {
                Some((fc, fnum, info)) if fc == c && fnum >= n && info.is_empty() => {
                    open = None;
                    block = Some(std::mem::take(&mut lines_in));
                }
                _ => lines_in.push(line),
            }
            continue;
        }
        if let Some((c, n, _)) = fence(line) {
            if block.is_some() {
                return refuse("the answer has more than one fenced block");
            }
            open = Some((c, n));
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("REMOVED:") {
            removals.push(removal(line, rest)?);
            continue;
        }
        prose.get_or_insert(line);
    }
    if open.is_some() {
        return refuse("the fenced block is never closed (was the answer cut off?)");
    }
    let Some(block) = block else {
        return refuse("the answer is prose, not a file");
    };
    Ok(Parts {
        block,
        removals,
        prose,
    })
}

/// A `REMOVED: <line> -- <why>` line (`rest` is what follows `REMOVED:`).
fn removal(line: &str, rest: &str) -> Result<ExplainedRemoval, AiError> {
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let Some((removed, why)) = rest.rsplit_once(" -- ") else {
        return Err(AiError::Refused(format!(
            "a REMOVED line has no ` -- <why>`: {}",
            excerpt(line)
        )));
    };
    if removed.trim().is_empty() || why.trim().is_empty() {
        return Err(AiError::Refused(format!(
            "a REMOVED line lacks the line or the reason: {}",
            excerpt(line)
        )));
    }
    Ok(ExplainedRemoval {
        line: removed.to_string(),
        why: why.trim().to_string(),
    })
}
