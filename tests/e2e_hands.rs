//! The operator's hands in a real terminal: a task runs away with its
//! budget, its concern reaches the operator, who makes an incident record
//! of it (with `I`), writes the follow-up on the incident list, gives the
//! task more budget from the concern (`b`, an amount typed in the prompt)
//! and sees it merge; the incident then exports as Markdown.
//!
//! The real binary runs the small demo inside tmux (tests/support/tmux.rs);
//! waits are for conditions on the screen or in the event log, never for
//! time. Skips (with a line on stderr) only when tmux is not installed.

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::process::Command;
use support::tmux::*;

const TASK: &str = "auth-keys";
const FOLLOW_UP: &str = "give key rotation tasks a larger budget";

/// The small day with one task that runs away with its budget, a day long
/// enough for the operator to act, agent and day budgets out of the way, no
/// pause point of its own (nothing else waits for the operator), and a
/// search convoy long enough to keep an agent busy.
fn runaway_day(text: String) -> String {
    let task = format!(
        "\n[[convoy.task]]\nid = \"{TASK}\"\ntitle = \"Rotate the session signing keys\"\n\
         spec = \"Add key rotation to the session store.\"\nbehaviour = \"runaway\"\n"
    );
    let billing = "\n[[convoy]]\nname = \"billing\"";
    assert!(
        text.contains(billing),
        "the small scenario has a billing convoy"
    );
    assert!(text.contains("behaviour = \"pause\""));
    let search = "generate = 3\nparallel = 1";
    assert!(text.contains(search), "the small scenario's search convoy");
    text.replace("duration = \"2h\"", "duration = \"12h\"")
        .replace("behaviour = \"pause\"", "")
        .replace(search, "generate = 60\nparallel = 1")
        .replace("agent = 15.0", "agent = 1000.0")
        .replace("day = 60.0", "day = 10000.0")
        .replacen(billing, &format!("{task}{billing}"), 1)
}

/// The first value `sql` (one text column, no parameters) gives, polled
/// until there is one.
fn poll_text(db: &Path, what: &str, sql: &str) -> String {
    for _ in 0..ATTEMPTS {
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY);
        if let Ok(conn) = conn
            && let Ok(v) = conn.query_row(sql, [], |r| r.get::<_, String>(0))
        {
            return v;
        }
        std::thread::sleep(POLL);
    }
    panic!("waited for {what} in the event log");
}

#[test]
fn operator_records_an_incident_raises_a_budget_from_its_concern_and_the_task_merges() {
    if !Tmux::available() {
        eprintln!("skipped: tmux is not installed (CI installs it; see .ci/run)");
        return;
    }
    let (_tmp, state, _exit_file, tmux) = small_demo_edited("hands", runaway_day);
    let db = state.join(".shiftboss/state.db");

    // The task stops at its budget; triage sends its concern to the operator.
    let concern = poll_text(
        &db,
        "the budget concern",
        &format!(
            "SELECT json_extract(data, '$.id') FROM events WHERE kind = 'concern_raised'
               AND json_extract(data, '$.summary') LIKE '{TASK} stopped: spent %'"
        ),
    );
    poll_text(
        &db,
        "triage escalating the concern",
        &format!(
            "SELECT json_extract(data, '$.verdict') FROM events WHERE kind = 'triage_verdict'
               AND json_extract(data, '$.concern') = '{concern}'"
        ),
    );

    // Filter the inbox to the concern, and make an incident record of it.
    tmux.keys(&["5", "/"]);
    tmux.type_text(&concern);
    tmux.keys(&["Enter", "g", "I"]);
    tmux.wait_for("the incident opened, said in the status line", |s| {
        s.contains(&format!("incident I-0001 opened for {concern}"))
    });
    let source = poll_text(
        &db,
        "incident_opened",
        "SELECT json_extract(data, '$.source.concern') || ' ' || actor FROM events
           WHERE kind = 'incident_opened' AND json_extract(data, '$.id') = 'I-0001'",
    );
    assert_eq!(source, format!("{concern} operator"));

    // The incident list; its row takes the follow-up.
    tmux.keys(&["i"]);
    tmux.wait_for("the incident list", |s| {
        s.contains("incident records (1)") && s.contains("I-0001")
    });
    tmux.keys(&["f"]);
    tmux.wait_for("the follow-up prompt", |s| {
        s.contains("what the team will change")
    });
    tmux.type_text(FOLLOW_UP);
    tmux.keys(&["Enter"]);
    let written = poll_text(
        &db,
        "incident_follow_up",
        "SELECT json_extract(data, '$.text') FROM events WHERE kind = 'incident_follow_up'",
    );
    assert_eq!(written, FOLLOW_UP);
    tmux.wait_for("the follow-up on the list", |s| s.contains(FOLLOW_UP));

    // Back on the floor, the filtered concern is still selected: `b` offers
    // more budget (half its budget by default); the operator gives $50.
    tmux.keys(&["Escape", "b"]);
    tmux.wait_for("the budget prompt", |s| {
        s.contains(&format!("give {TASK} more budget")) && s.contains("3.00")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text("50");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the raise said in the status line", |s| {
        s.contains(&format!("{TASK}'s budget raised by $50.00 to $56.00"))
    });
    let raised = poll_text(
        &db,
        "budget_raised",
        "SELECT actor || ' ' || json_extract(data, '$.by') FROM events WHERE kind = 'budget_raised'",
    );
    assert_eq!(raised, "operator 50000000000000");

    // The task goes back to work and merges.
    poll_text(
        &db,
        "the task merged",
        &format!("SELECT status FROM tasks WHERE id = '{TASK}' AND status = 'merged'"),
    );
    let disposition = poll_text(
        &db,
        "the concern answered",
        &format!(
            "SELECT json_extract(data, '$.disposition.disposition') FROM events
               WHERE kind = 'concern_disposed' AND json_extract(data, '$.id') = '{concern}'"
        ),
    );
    assert_eq!(disposition, "resolved");

    // The terminal closes (a hung-up terminal ends the console); the log
    // on disk keeps what the operator did.
    drop(tmux);

    // The record exports as Markdown under its own id.
    let out = Command::new(BIN)
        .args(["incident", "export", "I-0001"])
        .current_dir(&state)
        .env("TZ", "UTC")
        .output()
        .expect("run shiftboss incident export");
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with(&format!(
            "# Incident I-0001: {concern}: {TASK} stopped: spent "
        )),
        "{md}"
    );
    for section in [
        "## Summary",
        "## Impact",
        "## How it was detected",
        "## Timeline",
        "## Root cause (as far as known)",
        "## What was tried",
        "## Resolution",
        "## Follow-ups",
    ] {
        assert!(md.contains(section), "{section} missing:\n{md}");
    }
    assert!(md.contains("Decided by "), "{md}");
    assert!(md.contains(&format!("- [ ] {FOLLOW_UP}")), "{md}");
    assert!(md.contains("`budget_raised` by $50.00"), "{md}");
    assert!(md.contains("merged in the end"), "{md}");
}
