//! The real Claude Code and Codex CLIs as the swarm's runtimes, against
//! scripted Anthropic and OpenAI APIs on 127.0.0.1. `.ci/run` installs the
//! CLIs from npm; the tests find their native binaries there (or through
//! `SHIFTBOSS_TEST_CLAUDE` and `SHIFTBOSS_TEST_CODEX`).

#[allow(dead_code)]
mod support;

use serde_json::Value;
use support::agents::{claude, codex, init_with_tasks, shiftboss};
use support::anthropic::{Reply, Server};
use support::openai;
use support::repo::{git, new_repo};

/// The task an agent was told about, from its prompt anywhere in a request.
fn task_of(text: &str) -> String {
    text.split("Your task is ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap_or("unknown")
        .to_string()
}

fn change(task: &str, who: &str) -> String {
    format!(
        "mkdir -p src && printf 'work on {task}\\n' > src/{task}.txt && git add -A && \
         git -c user.name={who} -c user.email={who}@example.invalid commit -qm '{task}: the change'"
    )
}

/// The scripted Codex model: the change through `exec_command`, then done.
fn codex_script(body: &str, turn: usize) -> openai::Reply {
    let task = task_of(body);
    match turn {
        0 => openai::Reply::Exec(change(&task, "codex")),
        _ => openai::Reply::Text(format!("::done::{task} is finished")),
    }
}

/// The scripted model: first a Bash call that makes the task's change and
/// commits it, then a done line.
fn script(req: &Value, turn: usize) -> Reply {
    let task = task_of(&req["messages"][0]["content"].to_string());
    match turn {
        0 => Reply::Bash(change(&task, "claude")),
        _ => Reply::Text(format!("::done::{task} is finished")),
    }
}

#[test]
fn claude_code_agents_edit_commit_and_merge_with_exact_usage_and_cost() {
    let Some(claude) = claude() else {
        eprintln!("skipped: Claude Code is not installed (.ci/run installs it)");
        return;
    };
    let api = Server::start(script);
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [
        ("ANTHROPIC_BASE_URL", api.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0123456789"),
    ];
    let sb = |args: &[&str]| shiftboss(&repo, tmp.path(), &env, args);
    let config = format!(
        "[swarm]\nagents = 3\nmax_live = 3\nruntime = \"claude\"\nmodels = [\"claude-sonnet-4-5\"]\n\
         [agent]\nclaude = \"{}\"\nstop_grace = \"2s\"\n",
        claude.display()
    );
    init_with_tasks(
        &repo,
        tmp.path(),
        &env,
        &config,
        &["c-one", "c-two", "c-three"],
    );
    let out = sb(&["up", "--headless", "--until-idle", "--json"]);
    let sum: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 3, "{sum}");
    for t in ["c-one", "c-two", "c-three"] {
        assert_eq!(
            git(&repo, &["show", &format!("main:src/{t}.txt")]),
            format!("work on {t}\n")
        );
    }
    // The agents' own commits (by the scripted model) are on main.
    assert_eq!(
        git(&repo, &["log", "--format=%an", "main"])
            .lines()
            .filter(|a| *a == "claude")
            .count(),
        3
    );
    // Each ran sandboxed with its own HOME and permission settings limited
    // to its worktree, outside the worktree.
    let settings =
        std::fs::read_to_string(repo.join(".shiftboss/agents/builder-01/claude-settings.json"))
            .unwrap();
    let wt = repo.join(".shiftboss/worktrees/builder-01");
    assert!(
        settings.contains(&format!("Edit(/{}/**)", wt.display())),
        "{settings}"
    );

    // Tokens in the log equal exactly what the API served, each message
    // counted once although Claude Code repeats it per content block.
    let served = api.served();
    assert_eq!(served.requests, 6);
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let (input, output, read, write, cost): (u64, u64, u64, u64, i64) = conn
        .query_row(
            "SELECT sum(json_extract(data,'$.usage.input')), sum(json_extract(data,'$.usage.output')),
                    sum(json_extract(data,'$.usage.cache_read')), sum(json_extract(data,'$.usage.cache_write')),
                    sum(json_extract(data,'$.cost'))
             FROM events WHERE kind = 'usage_recorded'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    if output != served.output {
        let mut q = conn.prepare("SELECT session, data FROM events WHERE kind IN ('usage_recorded','cost_reported') ORDER BY seq").unwrap();
        for r in q
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .unwrap()
        {
            eprintln!("{:?}", r.unwrap());
        }
    }
    assert_eq!(
        (input, output, read, write),
        (
            served.input,
            served.output,
            served.cache_read,
            served.cache_write
        )
    );
    let expected = served.input as i64 * 3_000_000
        + served.output as i64 * 15_000_000
        + served.cache_read as i64 * 300_000
        + served.cache_write as i64 * 3_750_000;
    assert_eq!(cost, expected);
    // The API answered with dated ids; Claude Code's totals name the
    // requested model. Each message is recorded once, under the id that
    // served it, and the totals agree with what was counted.
    let models: Vec<String> = conn
        .prepare("SELECT DISTINCT model FROM events WHERE kind = 'usage_recorded'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        models,
        vec![format!("claude-sonnet-4-5-{}", support::anthropic::DATE)]
    );
    let mismatches: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'usage_mismatch'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatches, 0);
    // Claude Code's own cost, recorded beside ours, agrees to the nanodollar.
    let mut q = conn
        .prepare("SELECT json_extract(data,'$.reported'), json_extract(data,'$.computed') FROM events WHERE kind = 'cost_reported'")
        .unwrap();
    let pairs: Vec<(i64, i64)> = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(pairs.len(), 3);
    for (reported, computed) in pairs {
        assert!(
            (reported - computed).abs() <= 1_000,
            "reported {reported} vs computed {computed}"
        );
    }
    // The key never reached the log.
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE data LIKE '%sk-ant-test%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

/// A swarm of three Claude Code agents and two Codex agents: every commit
/// reaches main through the merge queue, and the log's tokens and cost are
/// exactly what the two scripted APIs served.
#[test]
fn a_mixed_swarm_of_claude_code_and_codex_agents() {
    let (Some(claude), Some(codex)) = (claude(), codex()) else {
        eprintln!("skipped: Claude Code or Codex is not installed (.ci/run installs them)");
        return;
    };
    let anthropic_api = Server::start(script);
    let openai_api = openai::Server::start(codex_script);
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [
        ("ANTHROPIC_BASE_URL", anthropic_api.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0123456789"),
        ("OPENAI_API_KEY", "sk-openai-test-0123456789"),
    ];
    let sb = |args: &[&str]| shiftboss(&repo, tmp.path(), &env, args);
    let config = format!(
        "[swarm]\nagents = 5\nmax_live = 5\nruntime = \"claude\"\n\
         models = [\"claude-sonnet-4-5\", \"claude-sonnet-4-5\", \"claude-sonnet-4-5\", \"gpt-5-codex\", \"gpt-5-codex\"]\n\
         [agent]\nclaude = \"{}\"\ncodex = \"{}\"\ncodex_base_url = \"{}\"\nstop_grace = \"2s\"\n\
         codex_sandbox = \"danger-full-access\"\n\
         by_model = {{ \"gpt-5\" = \"codex\" }}\n",
        claude.display(),
        codex.display(),
        openai_api.url
    );
    let tasks = ["m-1", "m-2", "m-3", "m-4", "m-5"];
    init_with_tasks(&repo, tmp.path(), &env, &config, &tasks);
    let out = sb(&["up", "--headless", "--until-idle", "--json"]);
    let sum: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 5, "{sum}");
    for t in tasks {
        assert_eq!(
            git(&repo, &["show", &format!("main:src/{t}.txt")]),
            format!("work on {t}\n")
        );
    }
    let authors = git(&repo, &["log", "--format=%an", "main"]);
    assert_eq!(
        authors.lines().filter(|a| *a == "claude").count(),
        3,
        "{authors}"
    );
    assert_eq!(
        authors.lines().filter(|a| *a == "codex").count(),
        2,
        "{authors}"
    );

    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let usage = |like: &str| -> (u64, u64, u64, u64, i64) {
        conn.query_row(
            "SELECT coalesce(sum(json_extract(data,'$.usage.input')),0), coalesce(sum(json_extract(data,'$.usage.output')),0),
                    coalesce(sum(json_extract(data,'$.usage.cache_read')),0), coalesce(sum(json_extract(data,'$.usage.cache_write')),0),
                    coalesce(sum(json_extract(data,'$.cost')),0)
             FROM events WHERE kind = 'usage_recorded' AND model LIKE ?1",
            [like],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let a = anthropic_api.served();
    assert_eq!(a.requests, 6, "three Claude Code agents, two calls each");
    let (input, output, read, write, cost) = usage("claude%");
    assert_eq!(
        (input, output, read, write),
        (a.input, a.output, a.cache_read, a.cache_write)
    );
    assert_eq!(
        cost,
        a.input as i64 * 3_000_000
            + a.output as i64 * 15_000_000
            + a.cache_read as i64 * 300_000
            + a.cache_write as i64 * 3_750_000
    );
    // Codex reports in the OpenAI convention (cached tokens inside input);
    // the log keeps the Anthropic one (input without cache reads).
    let o = openai_api.served();
    assert_eq!(o.requests, 4, "two Codex agents, two calls each");
    let (input, output, read, write, cost) = usage("gpt%");
    assert_eq!(
        (input, output, read, write),
        (o.input - o.cached, o.output, o.cached, 0)
    );
    assert_eq!(
        cost,
        (o.input - o.cached) as i64 * 1_250_000
            + o.output as i64 * 10_000_000
            + o.cached as i64 * 125_000
    );
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE data LIKE '%test-0123456789%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

/// Claude Code refused by its API (429 on every call): recognised from its
/// output, counted, and the task backs off instead of failing.
#[test]
fn a_rate_limited_claude_code_agent_backs_off() {
    let Some(claude) = claude() else {
        eprintln!("skipped: Claude Code is not installed (.ci/run installs it)");
        return;
    };
    let api = Server::start(|_, _| Reply::Refuse(429));
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [
        ("ANTHROPIC_BASE_URL", api.url.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant-test-0123456789"),
    ];
    let sb = |args: &[&str]| shiftboss(&repo, tmp.path(), &env, args);
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"claude\"\n[agent]\nclaude = \"{}\"\n",
        claude.display()
    );
    init_with_tasks(&repo, tmp.path(), &env, &config, &["r-1"]);
    // The first backoff is at least 30 s: a 20 s run sees one refusal through.
    sb(&["up", "--headless", "--until", "20s", "--json"]);
    assert!(api.served().refusals >= 1);
    let conn = rusqlite::Connection::open(repo.join(".shiftboss/state.db")).unwrap();
    let count = |kind: &str| -> i64 {
        conn.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let trouble: String = conn
        .query_row(
            "SELECT json_extract(data,'$.trouble') FROM events WHERE kind = 'api_trouble'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(trouble, "rate_limit");
    assert_eq!(count("task_deferred"), 1);
    assert_eq!(
        count("task_failed"),
        0,
        "a refusal is not the task's failure"
    );
    assert_eq!(
        count("task_assigned"),
        1,
        "no restart before the backoff is over"
    );
}
