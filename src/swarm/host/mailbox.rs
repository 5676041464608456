//! An agent's mailbox file, `.shiftboss/agents/<agent>/mailbox.md`
//! (`$SHIFTBOSS_MAILBOX`): outside its worktree, readable in its sandbox.
//!
//! It is written whole before each session that gets mail, never appended
//! to: the last [`MAILBOX_KEEP`] messages to the agent, oldest first — the
//! ones read in earlier sessions, then the session's new ones. Older
//! messages leave the file; the event log keeps every one, and the agent's
//! page in the console shows them. A start that fails and is tried again
//! writes the same messages again, never twice in the file.

use crate::domain::{AgentId, Mail, SwarmState};
use crate::runtime::prompt;
use std::io::Write;
use std::path::Path;

/// Messages a mailbox file keeps.
pub const MAILBOX_KEEP: usize = 20;

/// The mail delivered to `agent` in earlier sessions that still fits in its
/// mailbox beside `new` ones, oldest first.
pub fn earlier(state: &SwarmState, agent: &AgentId, new: usize) -> Vec<Mail> {
    let read: Vec<&Mail> = state
        .mailroom
        .of(Some(agent))
        .filter(|m| m.to.as_ref() == Some(agent) && m.delivered.is_some())
        .collect();
    let room = MAILBOX_KEEP.saturating_sub(new);
    read[read.len().saturating_sub(room)..]
        .iter()
        .map(|m| (*m).clone())
        .collect()
}

/// The file's text: a heading, the earlier messages, the new ones.
pub fn text(agent: &AgentId, earlier: &[Mail], new: &[Mail]) -> String {
    let ids: Vec<String> = new.iter().map(|m| format!("#{}", m.id)).collect();
    let fresh = if ids.is_empty() {
        "nothing new since your last session".to_string()
    } else {
        format!("new since your last session: {}", ids.join(", "))
    };
    let mut s = format!(
        "# Mail for {agent}\n\nThe last {MAILBOX_KEEP} messages to you at most, oldest first; {fresh}.\n\n"
    );
    let skip = new.len().saturating_sub(MAILBOX_KEEP);
    let kept = MAILBOX_KEEP - new.len().min(MAILBOX_KEEP);
    let earlier = &earlier[earlier.len().saturating_sub(kept)..];
    for m in earlier.iter().chain(&new[skip..]) {
        s.push_str(&prompt::mailbox_entry(m));
    }
    s
}

/// Write the mailbox at `file` whole, through a temporary file and a
/// rename: a reader sees the old file or the new one.
pub fn write(file: &Path, agent: &AgentId, earlier: &[Mail], new: &[Mail]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(".mailbox.md.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text(agent, earlier, new).as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(id: u64, delivered: bool) -> Mail {
        Mail {
            id,
            at: 0,
            from: None,
            to: Some(AgentId::builder(2)),
            addressed: "builder-02".into(),
            text: format!("message {id}"),
            delivered: delivered.then_some(1),
        }
    }

    fn ids_in(text: &str) -> Vec<u64> {
        text.lines()
            .filter_map(|l| l.strip_prefix("## #"))
            .map(|l| l.split(' ').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn the_mailbox_keeps_the_last_messages_and_never_grows_past_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agents/builder-02/mailbox.md");
        let agent = AgentId::builder(2);
        let mut state = SwarmState::default();
        let mut sizes = Vec::new();
        // Fifty sessions, three new messages each.
        for session in 0..50u64 {
            let new: Vec<Mail> = (1..=3).map(|n| mail(session * 3 + n, false)).collect();
            let earlier = earlier(&state, &agent, new.len());
            write(&file, &agent, &earlier, &new).unwrap();
            let text = std::fs::read_to_string(&file).unwrap();
            let ids = ids_in(&text);
            let last = session * 3 + 3;
            let first = last.saturating_sub(MAILBOX_KEEP as u64 - 1).max(1);
            assert_eq!(ids, (first..=last).collect::<Vec<_>>(), "session {session}");
            assert!(text.contains(&format!("new since your last session: #{}", last - 2)));
            sizes.push(text.len());
            // Delivered: the next session reads them as earlier mail.
            for m in new {
                state.mailroom.mail.push(std::sync::Arc::new(Mail {
                    delivered: Some(1),
                    ..m
                }));
            }
        }
        // Bounded: once full (the seventh session), the file grows only by
        // the ids' digits.
        assert!(sizes[49] < sizes[7] + 100, "{sizes:?}");
        assert!(
            !dir.path()
                .join("agents/builder-02/.mailbox.md.tmp")
                .exists()
        );
    }

    #[test]
    fn mail_written_again_after_a_failed_start_is_in_the_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mailbox.md");
        let agent = AgentId::builder(2);
        let new = [mail(7, false)];
        write(&file, &agent, &[mail(3, true)], &new).unwrap();
        write(&file, &agent, &[mail(3, true)], &new).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(ids_in(&text), [3, 7]);
    }

    #[test]
    fn more_new_mail_than_the_file_keeps_leaves_the_oldest_out() {
        let new: Vec<Mail> = (1..=25).map(|n| mail(n, false)).collect();
        let text = text(&AgentId::builder(2), &[mail(0, true)], &new);
        assert_eq!(ids_in(&text), (6..=25).collect::<Vec<_>>());
    }
}
