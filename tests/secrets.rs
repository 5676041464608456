//! Secrets of shiftboss's own environment stay put: a real `command` agent
//! that finds them (here in a file, as it could through /proc/<ppid>/environ)
//! and prints them every way it can leaves no trace of them in the log, the
//! summary or the status.

use std::path::Path;

#[path = "support/drill.rs"]
mod drill;
#[path = "support/repo.rs"]
mod repo;
use drill::{assert_ok, init_with, run, write_agent};
use repo::new_repo;

/// In shiftboss's environment only, never passed on to the agent.
const PLANTED: &str = "planted-Value-7f3a9c";
/// A token shape that is in no environment at all.
const GITHUB: &str = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

const AGENT: &str = r#"#!/bin/sh
secret=$(cat "$LEAK_FILE")
cat > /dev/null
echo "found it: $secret"
echo "and a token: $GH_LIKE"
echo "::concern impact=low confidence=0.9::the service token is $secret"
echo "::progress 50::leaking $secret"
mkdir -p src
printf 'token=%s\ngh=%s\n' "$secret" "$GH_LIKE" > src/leak.txt
echo "$secret" >&2
echo "::done::wrote $secret into src/leak.txt"
"#;

#[test]
fn secrets_of_shiftboss_own_environment_never_reach_log_summary_or_status() {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let leak = tmp.path().join("leak");
    std::fs::write(&leak, PLANTED).unwrap();
    let agent = write_agent(tmp.path(), AGENT);
    // The gate prints the committed file and fails: gate output carries the
    // secret too.
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"command\"\n\
         [agent]\ncommand = [\"{}\"]\npass_env = [\"LEAK_FILE\", \"GH_LIKE\"]\nstop_grace = \"1s\"\n\
         [gates]\ncommands = [\"cat src/leak.txt; exit 1\"]\nmax_rejections = 1\n\
         [sandbox]\nro = [\"{}\"]\n",
        agent.display(),
        leak.display()
    );
    init_with(&repo, &config);
    let out = run(
        &repo,
        &["task", "add", "Leak", "--id", "t1", "--scope", "src/**"],
        &[],
    );
    assert_ok(&out);
    let env = [
        ("MY_SERVICE_TOKEN", PLANTED),
        ("LEAK_FILE", leak.to_str().unwrap()),
        ("GH_LIKE", GITHUB),
    ];
    let out = run(&repo, &["up", "--headless", "--until-idle", "--json"], &env);
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // The gate fails the task for good: a headless run with a failed task
    // exits 3.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let status = run(&repo, &["status"], &env);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();

    // The agent did print them: the redacted forms are there.
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert!(
        count(
            "SELECT count(*) FROM events WHERE kind = 'concern_raised' AND data LIKE '%the service token is [redacted]%'"
        ) >= 1
    );
    assert!(
        count(
            "SELECT count(*) FROM events WHERE kind = 'gate_finished' AND data LIKE '%token=[redacted]%gh=[redacted]%'"
        ) >= 1,
        "the failing gate printed the file"
    );
    assert!(
        count(
            "SELECT count(*) FROM events WHERE kind = 'progress' AND data LIKE '%leaking [redacted]%'"
        ) >= 1,
        "the progress note"
    );
    drop(conn);
    // Not one byte of them anywhere shiftboss wrote or showed.
    let mut files = vec![];
    for dir in [".shiftboss", ".shiftboss/logs"] {
        for entry in std::fs::read_dir(repo.join(dir)).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    // The operator's log file is among them, and it saw the failing gate.
    let log = files
        .iter()
        .find(|p| p.parent().is_some_and(|d| d.ends_with("logs")))
        .expect("a log file");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("gates failed"), "{log}");
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        for secret in [PLANTED, GITHUB] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in {}",
                p.display()
            );
        }
    }
    for (what, text) in [
        ("summary", &summary),
        ("stderr", &stderr),
        ("status", &status),
    ] {
        assert!(!text.contains(PLANTED), "{what}: {text}");
        assert!(!text.contains(GITHUB), "{what}: {text}");
    }
    // The console on this log: the inbox, the task's page (gate output) and
    // the agent's page, drawn as text and as an SVG screenshot.
    for (what, text) in screens(&repo) {
        assert!(!text.contains(PLANTED), "{what}: {text}");
        assert!(!text.contains(GITHUB), "{what}: {text}");
        if what == "task page (txt)" {
            assert!(text.contains("[redacted]"), "gate output shown: {text}");
        }
    }
}

/// The console's screens of the swarm logged in `repo`, by name.
fn screens(repo: &Path) -> Vec<(String, String)> {
    use shiftboss::domain::{AgentId, TaskId};
    use shiftboss::tui::app::App;
    use shiftboss::tui::panes::{PaneId, Target};
    use shiftboss::tui::{action::KeyMap, screenshot, theme::Theme};
    let config = shiftboss::config::Config::load(&repo.join(".shiftboss/config.toml")).unwrap();
    let swarm = shiftboss::swarm::Swarm::open(
        shiftboss::swarm::Paths::new(repo),
        config.engine_settings(),
        config.sim_settings(),
        config.gates.timeout.as_std(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
        &[],
    )
    .unwrap();
    let mut out = Vec::new();
    let views: [(&str, Option<Target>); 3] = [
        ("inbox", None),
        ("task page", Some(Target::Task(TaskId::new("t1")))),
        ("agent page", Some(Target::Agent(AgentId::builder(1)))),
    ];
    for (name, page) in views {
        let theme = Theme::builtin("dark").unwrap();
        let mut app = App::new(swarm.snapshot(), theme, KeyMap::defaults(false), false);
        app.focus = PaneId::Inbox;
        app.pages.extend(page);
        let buf = screenshot::render(&app, 200, 60);
        let p = &app.theme.palette;
        out.push((format!("{name} (txt)"), screenshot::to_text(&buf)));
        out.push((
            format!("{name} (svg)"),
            screenshot::to_svg(&buf, p.background, p.text),
        ));
    }
    out
}
