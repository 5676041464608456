//! What the model is told: the contract (the system prompt) and the user
//! message with the three versions of the file.

use super::ConflictedFile;

/// The contract the model is held to.
pub const SYSTEM_PROMPT: &str = "\
You resolve a merge conflict in one file of a software project.

You get the file's path, the task of the branch being merged, and three \
versions of the file: BASE (the common ancestor; it may be missing), OURS \
(the target branch: work that already landed) and THEIRS (the branch being \
merged: the agent's work for the task).

Produce the whole resolved file: every change from both sides combined. \
Keep every line that either side added, unless a line truly cannot stay \
(for example, both sides added the same definition twice, or one side's line \
contradicts the other's and only one can remain).

Answer with exactly one fenced code block (``` with any info string) holding \
the WHOLE resolved file, from its first line to its last, and nothing else. \
If the file itself contains lines starting with ```, fence the block with \
more backticks than any such line has.

After the block, for each line that a side added and that you deliberately \
left out, write one line:
REMOVED: <the exact line> -- <why>

No other text: no explanation before or after the block, no second block, \
no conflict markers (<<<<<<<, =======, >>>>>>>), no elisions such as \
\"... rest unchanged\".";

/// The user message: path, task, and the three versions in full.
pub fn user_message(file: &ConflictedFile, task_context: &str) -> String {
    let mut out = format!("Path: {}\n\n", file.path);
    let task = task_context.trim();
    out.push_str("Task of THEIRS (the branch being merged):\n");
    out.push_str(if task.is_empty() { "(not given)" } else { task });
    out.push_str("\n\n");
    match &file.base {
        Some(base) => push_version(&mut out, "BASE (common ancestor)", base),
        None => out.push_str(
            "BASE (common ancestor): none, the file did not exist there; both sides added it.\n\n",
        ),
    }
    push_version(&mut out, "OURS (target branch, already landed)", &file.ours);
    push_version(&mut out, "THEIRS (branch being merged)", &file.theirs);
    out.push_str(
        "Answer with the one fenced block holding the whole resolved file, then any REMOVED: lines.",
    );
    out
}

fn push_version(out: &mut String, label: &str, text: &str) {
    // A fence longer than any backtick run starting a line of the text.
    let longest = text
        .lines()
        .map(|l| l.trim_start().chars().take_while(|&c| c == '`').count())
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    out.push_str(label);
    out.push_str(":\n");
    out.push_str(&fence);
    out.push('\n');
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push_str("\n\n");
}
