//! The prompt each agent gets: its task, the repository's conventions, and
//! how to talk to shiftboss. It is recorded with the task, so the operator
//! can read exactly what an agent was told.

use crate::domain::{AgentId, Mail, TaskSpec};
use std::path::Path;

/// Conventions files, in the order they are looked for.
pub const CONVENTIONS: [&str; 2] = ["CLAUDE.md", "AGENTS.md"];

/// Longest conventions text included, in bytes.
const CONVENTIONS_MAX: usize = 16 * 1024;

/// The repository's conventions file in `worktree`, if any: (name, text).
pub fn conventions(worktree: &Path) -> Option<(String, String)> {
    CONVENTIONS.iter().find_map(|name| {
        // Bounded: the file is the agent's to change (a link to /dev/zero
        // must not take shiftboss down); a cut inside a character is trimmed.
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::fs::File::open(worktree.join(name)).ok()?,
                CONVENTIONS_MAX as u64 + 4,
            ),
            &mut bytes,
        )
        .ok()?;
        let mut text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) if e.utf8_error().error_len().is_none() => {
                let at = e.utf8_error().valid_up_to();
                let mut b = e.into_bytes();
                b.truncate(at);
                String::from_utf8(b).ok()?
            }
            Err(_) => return None,
        };
        if text.len() > CONVENTIONS_MAX {
            let mut end = CONVENTIONS_MAX;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push_str("\n[… cut by shiftboss]");
        }
        Some((name.to_string(), text))
    })
}

/// What a team's lead is told beside its task: how to break it into coder
/// tasks, and that it integrates them once they have landed.
pub fn lead_section(own_prompt: &str) -> String {
    let mut p = String::from(
        "\n## You lead a team\n\
         Break this task into coder tasks for your team. For each, write its spec to a file in your own folder \
         ($SHIFTBOSS_AGENT_DIR, outside your worktree), then print one line:\n\
         `::task id=<id> scope=<glob>,<glob> after=<id>,<id> spec=<file>::<title>`\n\
         (`after` and `spec` are optional; ids are letters, digits, '-', '_' and '.'; scopes are globs relative to \
         the repository root; `spec` is the file's path inside your folder). When all are out, print `::done::`. \
         Your coders' work lands on your team's integration branch, not the target. You get this task again once \
         their tasks have landed there, on a branch that starts from it: then integrate — fix the seams between \
         their work — and print `::done::` again; your integration goes to the target through the merge queue.\n",
    );
    if !own_prompt.trim().is_empty() {
        p.push_str(&format!("\n{}\n", own_prompt.trim()));
    }
    p
}

pub fn build(
    task: &TaskSpec,
    agent: &AgentId,
    branch: &str,
    conventions: Option<&(String, String)>,
    handoff: Option<&str>,
    returned: Option<&str>,
    mail: &[Mail],
) -> String {
    let mut p = String::new();
    p.push_str(&format!(
        "You are {agent}, one agent of a swarm working on this repository. Your task is {id}: {title}\n",
        id = task.id,
        title = task.title
    ));
    if let Some(h) = handoff {
        p.push_str(&format!("\n## Handoff\n{h}\n"));
    }
    p.push_str(&mail_section(mail));
    if let Some(r) = returned {
        p.push_str(&format!(
            "\n## Why this task came back to you\nshiftboss's merge queue sent it back: {r}\n\
             Fix exactly this on your branch (your earlier commits are on it, unless it says to redo the change \
             on the current target, in which case your branch starts from the target's tip).\n"
        ));
    }
    if !task.spec.trim().is_empty() {
        p.push_str(&format!("\n## Spec\n{}\n", task.spec.trim()));
    }
    if !task.checks.is_empty() {
        p.push_str("\n## Acceptance checks (each must exit 0 in your worktree)\n");
        for c in &task.checks {
            p.push_str(&format!("- `{c}`\n"));
        }
    }
    p.push_str("\n## Scope\n");
    if task.scope.is_empty() {
        p.push_str("No owned scope was given: keep your change small and focused.\n");
    } else {
        p.push_str("Change only files matching these globs; other agents own the rest:\n");
        for g in &task.scope {
            p.push_str(&format!("- `{g}`\n"));
        }
    }
    p.push_str(&format!(
        "\n## Where you work\nYou are on branch `{branch}` in your own git worktree. Commit your work on it. \
         Never push, and never touch the target branch: shiftboss's merge queue merges your branch after its gates pass.\n"
    ));
    if let Some((name, text)) = conventions {
        p.push_str(&format!(
            "\n## Conventions of this repository ({name})\n{}\n",
            text.trim()
        ));
    }
    p.push_str(
        "\n## Talking to shiftboss\nPrint any of these lines on their own, exactly in this form:\n\
         - `::progress 40::what you just finished` — how far along you are (0-100)\n\
         - `::concern impact=high confidence=0.4::what worries you` — something a human should judge (impact: low, medium, high, critical; confidence 0-1)\n\
         - `::pause::what you are about to do` — before a destructive or expensive step; then wait until the file named by \
         $SHIFTBOSS_DECISION_FILE exists (check every few seconds): it says `approved` or `rejected`; delete it after reading, and \
         leave the step out if rejected\n\
         - `::mail to=lead::a message` — mail to your lead (the operator when you have none), `to=operator`, \
         to another agent by name or to your team; it reaches them at their next session\n\
         - `::done::a one-line summary` — when the task is finished\n\
         - `::failed::why` — when you cannot finish it\n",
    );
    p
}

/// The mail delivered into a session, oldest first (nothing when none).
pub fn mail_section(mail: &[Mail]) -> String {
    if mail.is_empty() {
        return String::new();
    }
    let mut p = String::from(
        "\n## Mail\nMessages for you since your last session (also kept in the file named by $SHIFTBOSS_MAILBOX):\n",
    );
    for m in mail {
        p.push_str(&format!("- from {}{}: {}\n", m.sender(), via(m), m.text));
    }
    p
}

/// How a message was addressed, when not to its recipient by name.
fn via(m: &Mail) -> String {
    if m.addressed == m.recipient() {
        String::new()
    } else {
        format!(" (to {})", m.addressed)
    }
}

/// The mailbox file's entry for one message: a heading and its text.
pub fn mailbox_entry(m: &Mail) -> String {
    format!(
        "## #{} from {}{}\n\n{}\n\n",
        m.id,
        m.sender(),
        via(m),
        m.text
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConvoyId, TaskId};

    #[test]
    fn the_prompt_carries_task_scope_checks_conventions_and_protocol() {
        let t = TaskSpec {
            id: TaskId::new("auth-3"),
            title: "Add session expiry".into(),
            spec: "Sessions expire after 30 minutes idle.".into(),
            convoy: ConvoyId::new("auth"),
            priority: 1,
            scope: vec!["src/auth/**".into()],
            checks: vec!["cargo test auth".into()],
            after: vec![],
            tier: None,
            behaviour: None,
            issue: None,
            night: false,
        };
        let conv = ("CLAUDE.md".to_string(), "Run cargo fmt.".to_string());
        let p = build(
            &t,
            &AgentId::builder(3),
            "shiftboss/builder-03/auth-3",
            Some(&conv),
            None,
            Some(
                "rejected by the gate `scope`\n- scope src/billing/x.rs: expected changes only inside the owned scope (src/auth/**); found a change outside it",
            ),
            &[],
        );
        for needle in [
            "## Why this task came back to you",
            "scope src/billing/x.rs: expected changes only inside",
            "builder-03",
            "auth-3: Add session expiry",
            "30 minutes idle",
            "`cargo test auth`",
            "`src/auth/**`",
            "shiftboss/builder-03/auth-3",
            "Run cargo fmt.",
            "::concern impact=",
            "::pause::",
            "::done::",
        ] {
            assert!(p.contains(needle), "missing {needle}");
        }
    }

    #[test]
    fn conventions_are_found_and_cut() {
        let dir = tempfile::tempdir().unwrap();
        assert!(conventions(dir.path()).is_none());
        std::fs::write(dir.path().join("AGENTS.md"), "x".repeat(40_000)).unwrap();
        let (name, text) = conventions(dir.path()).unwrap();
        assert_eq!(name, "AGENTS.md");
        assert!(text.len() < 17_000);
        std::fs::write(dir.path().join("CLAUDE.md"), "first").unwrap();
        assert_eq!(conventions(dir.path()).unwrap().0, "CLAUDE.md");
    }

    /// A conventions file an agent turned into a link to an endless device
    /// is read bounded; one cut inside a character is trimmed to it.
    #[test]
    fn a_linked_endless_conventions_file_is_read_bounded() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("CLAUDE.md")).unwrap();
        let (_, text) = conventions(dir.path()).unwrap();
        assert!(text.len() < 17_000);
        std::fs::remove_file(dir.path().join("CLAUDE.md")).unwrap();
        std::fs::write(dir.path().join("CLAUDE.md"), "é".repeat(20_000)).unwrap();
        let (_, text) = conventions(dir.path()).unwrap();
        assert!(text.starts_with("éé") && text.ends_with("[… cut by shiftboss]"));
    }
}
