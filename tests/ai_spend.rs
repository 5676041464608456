//! shiftboss's own model calls are metered like an agent's: the merge
//! queue's `ai` tier resolves a conflict through a scripted Anthropic API on
//! 127.0.0.1, and its tokens and cost reach the log (a `usage_recorded` of
//! the `shiftboss` actor), the day's spend and its budget, the burn pane and
//! the review's figures.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use shiftboss::domain::{Money, SwarmState};
use shiftboss::store::Store;
use shiftboss::swarm::Snapshot;
use shiftboss::tui::action::KeyMap;
use shiftboss::tui::app::App;
use shiftboss::tui::panes::{DrawCtx, PaneId};
use shiftboss::tui::screenshot;
use shiftboss::tui::theme::Theme;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/http.rs"]
#[allow(dead_code)]
mod http;
#[path = "support/repo.rs"]
mod repo;
use repo::new_repo;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// The tokens the scripted model says its one answer cost.
const INPUT: u64 = 100_000;
const OUTPUT: u64 = 20_000;
/// At $3 per million input and $15 per million output tokens: $0.60.
const COST: Money = Money(600_000_000_000);

/// Each task writes the same file: the second to land conflicts, and only
/// the `ai` tier can merge it. No usage of their own: every cent spent is
/// the `ai` tier's.
const AGENT: &str = r#"#!/bin/sh
cat > /dev/null
mkdir -p src
echo "$SHIFTBOSS_TASK was here" > src/shared.txt
exit 0
"#;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key")
        .output()
        .expect("run shiftboss")
}

fn ok(out: Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scripted Anthropic Messages API that keeps both sides' lines.
fn scripted_model() -> String {
    let addr = http::serve(|_line: &str, _body: &[u8]| {
        let answer = serde_json::json!({
            "id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "```\nt-shared-1 was here\nt-shared-2 was here\n```\n"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": INPUT, "output_tokens": OUTPUT}
        });
        ("200 OK".into(), "application/json", answer.to_string())
    });
    format!("http://{addr}")
}

/// A repository with two tasks that conflict, run headless until idle.
fn day(budgets: &str) -> (tempfile::TempDir, PathBuf) {
    let url = scripted_model();
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let agent = tmp.path().join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ok(run(&repo, &["init"]));
    let config = format!(
        "[swarm]\nagents = 2\nmax_live = 2\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\nstop_grace = \"1s\"\n\
         [watchdog]\ntick = \"1s\"\n\
         [prices.\"claude-sonnet-4-5\"]\ninput = 3.0\noutput = 15.0\ncache_read = 0.3\ncache_write = 3.75\n\
         [budgets]\n{budgets}\n\
         [merge]\non_overlap = \"run\"\nbatch = 1\n\
         [merge.ai]\nprovider = \"anthropic\"\nbase_url = \"{url}\"\nmodel = \"claude-sonnet-4-5\"\n",
        agent.display()
    );
    std::fs::write(repo.join(".shiftboss/config.toml"), config).unwrap();
    for t in ["t-shared-1", "t-shared-2"] {
        let title = format!("Do {t}");
        ok(run(
            &repo,
            &["task", "add", &title, "--id", t, "--scope", "src/**"],
        ));
    }
    ok(run(&repo, &["up", "--headless", "--until-idle", "--json"]));
    (tmp, repo)
}

/// A `usage_recorded` row: agent, task, model, input and output tokens, cost.
type UsageRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    u64,
    u64,
    i64,
);

fn db(repo: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap()
}

fn replay(repo: &Path) -> SwarmState {
    Store::open_readonly(&repo.join(".shiftboss/state.db"))
        .unwrap()
        .replay()
        .unwrap()
}

/// The burn pane alone, as text.
fn burn_pane(snap: Snapshot) -> String {
    let app = App::new(
        snap,
        Theme::builtin("dark").unwrap(),
        KeyMap::defaults(true),
        true,
    );
    let area = Rect::new(0, 0, 100, 14);
    let mut buf = Buffer::empty(area);
    let ctx = DrawCtx {
        snap: &app.snap,
        theme: &app.theme,
        focused: true,
        state: app.state(PaneId::Burn),
        number: PaneId::Burn.index() + 1,
    };
    app.pane(PaneId::Burn).draw(&ctx, area, &mut buf);
    screenshot::to_text(&buf)
}

#[test]
fn the_ai_tiers_tokens_are_shiftboss_spend_in_the_log_the_day_and_the_burn_pane() {
    let (_tmp, repo) = day("day = 100.0");
    let conn = db(&repo);
    let merged_by_ai: String = conn
        .query_row(
            "SELECT task FROM events WHERE kind = 'merge_finished'
             AND json_extract(data,'$.outcome.tier') = 'ai'",
            [],
            |r| r.get(0),
        )
        .expect("the ai tier merged the second task");
    let rows: Vec<UsageRow> = conn
        .prepare(
            "SELECT agent, task, model, json_extract(data,'$.usage.input'),
                    json_extract(data,'$.usage.output'), json_extract(data,'$.cost')
             FROM events WHERE kind = 'usage_recorded' AND actor = 'shiftboss'",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [(
            None,
            Some(merged_by_ai),
            Some("claude-sonnet-4-5-20250929".to_string()),
            INPUT,
            OUTPUT,
            COST.0
        )],
        "one metered call: no agent, the task it merged, the model that answered"
    );
    // The key never reaches the log.
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE data LIKE '%sk-ant-test-key%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);

    // The review counts it as shiftboss's own spend: coordination, not coding.
    let report = run(&repo, &["report", "--since", "24h", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let figures = &report["figures"];
    assert_eq!(figures["spend_by_agent"]["shiftboss"], COST.0, "{report}");
    assert_eq!(figures["coordination_ratio"], 1.0, "{report}");

    // The state: the day's spend is the ai tier's, and kept apart as shiftboss's own.
    let state = replay(&repo);
    assert_eq!(state.spend_day, COST);
    assert_eq!(state.spend_total, COST);
    assert_eq!(state.spend_own, COST);
    assert!(state.agents.values().all(|a| a.cost == Money::ZERO));

    // The burn pane shows it: the day's figure and a line of its own.
    let text = burn_pane(Snapshot {
        now: state.now,
        day_limit: Money::from_dollars(100.0),
        state,
        ..Snapshot::default()
    });
    assert!(text.contains("today $0.60 of $100.00"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("shiftboss (ai tier)") && l.contains("$0.60")),
        "a line for shiftboss's own spend:\n{text}"
    );
}

#[test]
fn a_day_budget_counts_the_ai_tiers_spend() {
    // $0.50 a day: the agents spend nothing, the ai tier's $0.60 spends it.
    let (_tmp, repo) = day("day = 0.5");
    let (spent, hard): (i64, bool) = db(&repo)
        .query_row(
            "SELECT json_extract(data,'$.spent'), json_extract(data,'$.hard') FROM events
             WHERE kind = 'budget_reached' AND json_extract(data,'$.scope') = 'day'
             ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the day budget was reached");
    assert_eq!((spent, hard), (COST.0, true));
}
