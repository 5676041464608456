use super::*;
use crate::domain::{TaskId, TaskSpec};
use std::collections::BTreeSet;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new(".shiftboss/config.toml"))
}

fn err(text: &str) -> String {
    match parse(text) {
        Ok(c) => panic!("expected an error, parsed {c:?}"),
        Err(e) => e.to_string(),
    }
}

/// Every key path of a TOML table, `a.b.c`.
fn keys(prefix: &str, t: &toml::Table, out: &mut BTreeSet<String>) {
    for (k, v) in t {
        let p = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if let toml::Value::Table(inner) = v {
            keys(&p, inner, out);
        } else {
            out.insert(p);
        }
    }
}

#[test]
fn template_is_the_defaults() {
    let t = Config::template();
    assert_eq!(parse(&t).unwrap(), Config::default());
}

#[test]
fn templates_for_a_real_swarm_name_a_real_runtime() {
    for r in [Runtime::Claude, Runtime::Codex] {
        let c = parse(&Config::template_for(Some(r))).unwrap();
        assert_eq!(c.swarm.runtime, r);
        assert_eq!(
            Config {
                swarm: Swarm {
                    runtime: Runtime::Sim,
                    ..c.swarm.clone()
                },
                ..c
            },
            Config::default(),
            "only the runtime differs"
        );
    }
    let t = Config::template_for(None);
    assert!(t.contains("runtime = \"command\""), "{t}");
    assert!(t.contains("# command = [\"./agent.sh\"]"), "{t}");
    let e = parse(&t).unwrap_err().to_string();
    assert!(e.contains("agent.command"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    let filled = t.replacen("# command = [", "command = [", 1);
    assert_eq!(parse(&filled).unwrap().agent.command, ["./agent.sh"]);
}

#[test]
fn template_sets_every_key_and_explains_it() {
    let t = Config::template();
    let from_template: toml::Table = toml::from_str(&t).unwrap();
    let from_default: toml::Table = toml::from_str(&Config::default().to_toml()).unwrap();
    let (mut a, mut b) = (BTreeSet::new(), BTreeSet::new());
    keys("", &from_template, &mut a);
    keys("", &from_default, &mut b);
    assert_eq!(a, b);
    assert!(b.len() > 40, "{b:?}");
    // Each setting line is preceded by a comment (or belongs to a price table,
    // explained once above the table list).
    let lines: Vec<&str> = t.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        let is_setting = line.contains(" = ") && !line.starts_with('#');
        if is_setting && !(1..=4).any(|d| n >= d && lines[n - d].starts_with("[prices.")) {
            assert!(
                lines[n - 1].starts_with('#'),
                "no comment above line {}: {line}",
                n + 1
            );
        }
    }
}

#[test]
fn empty_file_means_defaults_and_sections_patch_them() {
    assert_eq!(parse("").unwrap(), Config::default());
    assert_eq!(parse("# nothing\n").unwrap(), Config::default());
    let c = parse(
        "[swarm]\nagents = 3\nmodels = [\"claude-haiku-4-5\", \"mine\"]\n\
         [prices.mine]\ninput = 2\noutput = 8\n[budgets]\nday = 0\n[watchdog]\nstall_after = \"90s\"\n",
    )
    .unwrap();
    assert_eq!(c.swarm.agents, 3);
    assert_eq!(c.swarm.max_live, 12);
    assert_eq!(c.watchdog.stall_after, Dur(90_000));
    assert_eq!(c.watchdog.tick, Dur::secs(30));
    assert_eq!(c.budgets.day_limit(), None);
    assert_eq!(c.budgets.agent_limit(), Some(Money::from_dollars(40.0)));
    // Added prices join the shipped ones.
    assert_eq!(c.prices.len(), 5);
    assert_eq!(
        c.price("mine"),
        Some(Price::per_million(2.0, 8.0, 0.0, 0.0))
    );
    assert_eq!(
        c.price("claude-sonnet-4-5"),
        Some(Price::per_million(3.0, 15.0, 0.30, 3.75))
    );
    assert_eq!(c.price("nope"), None);
    assert_eq!(c.swarm.model_for(1), "claude-haiku-4-5");
    assert_eq!(c.swarm.model_for(2), "mine");
    assert_eq!(c.swarm.model_for(3), "claude-haiku-4-5");
    assert_eq!(c.swarm.agent_ids().len(), 3);
    assert_eq!(c.swarm.agent_ids()[2].as_str(), "builder-03");
}

#[test]
fn to_toml_round_trips() {
    let mut c = Config::default();
    c.swarm.runtime = Runtime::Codex;
    c.swarm.models = vec!["gpt-5-codex".into()];
    c.gates.commands = vec!["cargo test".into()];
    c.watchdog.stall_after = Dur(90_500);
    c.sim.stall = 0.125;
    c.prices.insert(
        "odd.model/v1".into(),
        PriceEntry {
            input: 0.1,
            output: 0.2,
            cache_read: 0.0,
            cache_write: 0.0,
            context: 32_000,
            max_output: 8_000,
        },
    );
    for c in [Config::default(), c] {
        assert_eq!(parse(&c.to_toml()).unwrap(), c, "{}", c.to_toml());
    }
    for name in Scenario::builtin_names() {
        let s = Scenario::builtin(name).unwrap();
        assert_eq!(parse(&s.config.to_toml()).unwrap(), s.config);
    }
}

#[test]
fn durations() {
    assert_eq!(Dur::parse("10m"), Some(Dur::mins(10)));
    assert_eq!(Dur::parse("1h 30m"), Some(Dur::mins(90)));
    assert_eq!(Dur::parse("250ms"), Some(Dur(250)));
    assert_eq!(Dur::parse("soon"), None);
    assert_eq!(Dur::parse(""), None);
    assert_eq!(Dur::parse("99999999999999999999h"), None);
    assert_eq!(Dur::hours(2).to_string(), "2h");
    assert_eq!(Dur(90_000).to_string(), "1m 30s");
    assert_eq!(
        Dur::parse(&Dur(3_723_004).to_string()),
        Some(Dur(3_723_004))
    );
}

// --- one-line errors -------------------------------------------------------

#[test]
fn bad_config_fixtures_name_file_line_and_key() {
    let cases = [
        (
            "fixtures/bad/unknown-key.toml",
            include_str!("../../fixtures/bad/unknown-key.toml"),
            "fixtures/bad/unknown-key.toml:7: watchdog.stall_afterr: unknown key \"stall_afterr\" (allowed: tick, stall_after, task_time_bound, loop_repeats, handoff_at, flood_window, flood_lines, flood_bytes, triage_after)",
        ),
        (
            "fixtures/bad/wrong-type.toml",
            include_str!("../../fixtures/bad/wrong-type.toml"),
            "fixtures/bad/wrong-type.toml:3: swarm.agents: expected a non-negative integer, found \"twelve\"",
        ),
        (
            "fixtures/bad/bad-duration.toml",
            include_str!("../../fixtures/bad/bad-duration.toml"),
            "fixtures/bad/bad-duration.toml:7: watchdog.stall_after: expected a duration such as \"10m\" or \"90s\", found \"soon\"",
        ),
    ];
    for (path, text, want) in cases {
        let e = Config::parse(text, Path::new(path)).unwrap_err();
        assert_eq!(e.to_string(), want);
    }
    let e = Config::parse(
        include_str!("../../fixtures/bad/bad-duration.toml"),
        Path::new("x.toml"),
    )
    .unwrap_err();
    assert_eq!(e.file, Path::new("x.toml"));
    assert_eq!(e.line, Some(7));
    assert_eq!(e.key.as_deref(), Some("watchdog.stall_after"));
}

#[test]
fn load_reads_the_file_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.toml");
    assert_eq!(Config::load_or_default(&p).unwrap(), Config::default());
    let e = Config::load(&p).unwrap_err();
    assert_eq!(e.line, None);
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot read the file", p.display()))
    );
    std::fs::write(&p, b"[swarm]\nagents = 2\ntarget = \"\xff\"\n").unwrap();
    let e = Config::load(&p).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}:3: the file is not UTF-8 text", p.display())
    );
    std::fs::write(&p, "[swarm]\nagents = 2\n").unwrap();
    assert_eq!(Config::load(&p).unwrap().swarm.agents, 2);
}

#[test]
fn wrong_values_get_one_precise_line() {
    let cases: &[(&str, &str)] = &[
        (
            "[swarm]\nagents = 0\n",
            ":2: swarm.agents: expected 1 to 1000 agents, found 0",
        ),
        (
            "[swarm]\nagents = -3\n",
            ":2: swarm.agents: expected a non-negative integer, found -3",
        ),
        (
            "[swarm]\nmax_live = 1001\n",
            ":2: swarm.max_live: expected 1 to 1000 sessions at once, found 1001",
        ),
        (
            "[swarm]\nruntime = \"docker\"\n",
            ":2: swarm.runtime: expected one of sim, claude, codex, command, found \"docker\"",
        ),
        (
            "[swarm]\nmodels = [\n  \"claude-haiku-4-5\",\n  \"gpt-9\",\n]\n",
            ":4: swarm.models: no price for model \"gpt-9\" (priced: claude-haiku-4-5, claude-opus-4-1, claude-sonnet-4-5, gpt-5-codex); add a [prices.\"gpt-9\"] table",
        ),
        (
            "[swarm]\nmodels = []\n",
            ":2: swarm.models: expected at least one model",
        ),
        (
            "[swarm]\nmodels = \"claude-haiku-4-5\"\n",
            ":2: swarm.models: expected an array, found \"claude-haiku-4-5\"",
        ),
        (
            "[swarm]\nseed = 1.5\n",
            ":2: swarm.seed: expected a non-negative integer, found 1.5",
        ),
        ("swarm = 3\n", ":1: swarm: expected a table, found 3"),
        (
            "[swarn]\nagents = 3\n",
            ":1: swarn: unknown key \"swarn\" (allowed: swarm, prices, budgets, watchdog, gates, merge, pause, inbox, mail, routing, tiers, intake, triage, agent, sandbox, sim, targets, review, night, ui, teams)",
        ),
        (
            "[prices.cheap]\ninput = 1\n",
            ":1: prices.cheap: missing required key \"output\"",
        ),
        (
            "[prices.cheap]\ninput = 1\noutput = 2\ncache = 3\n",
            ":4: prices.cheap.cache: unknown key \"cache\" (allowed: input, output, cache_read, cache_write, context, max_output)",
        ),
        (
            "[prices.cheap]\ninput = -1\noutput = 2\n",
            ":2: prices.cheap.input: expected dollars per million tokens (0 or more), found -1",
        ),
        (
            "[budgets]\nday_soft = 1.5\n",
            ":2: budgets.day_soft: expected a share of the day budget from 0 to 1, found 1.5",
        ),
        (
            "[budgets]\ntask = -5\n",
            ":2: budgets.task: expected dollars, 0 or more (0 = no limit), found -5",
        ),
        (
            "[budgets]\nday = nan\n",
            ":2: budgets.day: expected dollars, 0 or more (0 = no limit), found NaN",
        ),
        (
            "[watchdog]\ntick = 30\n",
            ":2: watchdog.tick: expected a duration such as \"10m\" or \"90s\", found 30",
        ),
        (
            "[watchdog]\ntick = 2026-03-02\n",
            ":2: watchdog.tick: expected a duration such as \"10m\" or \"90s\", found a date-time",
        ),
        (
            "[watchdog]\ntick = {}\n",
            ":2: watchdog.tick: expected a duration such as \"10m\" or \"90s\", found a table",
        ),
        (
            "[watchdog]\ntick = \"0s\"\n",
            ":2: watchdog.tick: expected a duration longer than zero, found \"0s\"",
        ),
        (
            "[watchdog]\nloop_repeats = 1\n",
            ":2: watchdog.loop_repeats: expected 2 or more repeats, found 1",
        ),
        (
            "[gates]\ncommands = [\"cargo test\", \" \"]\n",
            ":2: gates.commands: expected a shell command, found an empty string",
        ),
        (
            "[gates]\ncommands = [\"cargo test\", 3]\n",
            ":2: gates.commands[1]: expected a string, found 3",
        ),
        (
            "[gates]\nmax_rejections = 0\n",
            ":2: gates.max_rejections: expected 1 or more rejections, found 0",
        ),
        (
            "[agent]\napi_refusals = 0\n",
            ":2: agent.api_refusals: expected 1 or more refusals, found 0",
        ),
        (
            "[agent]\napi_refusals = -1\n",
            ":2: agent.api_refusals: expected a non-negative integer, found -1",
        ),
        (
            "[agent]\napi_refusal_time = \"0s\"\n",
            ":2: agent.api_refusal_time: expected a duration longer than zero, found \"0s\"",
        ),
        (
            "[agent]\napi_refusal_time = \"soon\"\n",
            ":2: agent.api_refusal_time: expected a duration such as \"10m\" or \"90s\", found \"soon\"",
        ),
        (
            "[pause]\nbefore_merge = \"yes\"\n",
            ":2: pause.before_merge: expected true or false, found \"yes\"",
        ),
        (
            "[sim]\ntask_minutes = [90, 20]\n",
            ":2: sim.task_minutes: expected [min, max] with 1 <= min <= max, found [90, 20]",
        ),
        (
            "[sim]\ncommits = [0, 2]\n",
            ":2: sim.commits: expected [min, max] with 1 <= min <= max, found [0, 2]",
        ),
        (
            "[sim]\ncommits = [2]\n",
            ":2: sim.commits: expected [min, max], found 1 values",
        ),
        (
            "[sim]\ncommits = [2, 3, 4]\n",
            ":2: sim.commits: expected [min, max], found 3 values",
        ),
        (
            "[sim]\ncommits = [2, -3]\n",
            ":2: sim.commits[1]: expected a non-negative integer, found -3",
        ),
        (
            "[sim]\nstall = 1.5\n",
            ":2: sim.stall: expected a probability from 0 to 1, found 1.5",
        ),
        (
            "[sim]\nstall = 0.5\n\ncrash = 0.6\n",
            ":4: sim: the fault rates (stall, zombie, runaway, concern, pause, conflict, gate_fail, crash) add up to 1.100; expected at most 1",
        ),
        (
            "[sandbox]\nrw = [\"/srv/cache\", \"../elsewhere\"]\n",
            ":2: sandbox.rw: expected a path (absolute or relative to the repository, no \"..\", not \"/\"), found \"../elsewhere\"",
        ),
        (
            "[sandbox]\nmode = \"maybe\"\n",
            ":2: sandbox.mode: expected one of on or off, found \"maybe\"",
        ),
        (
            "[targets.escalation_rate]\nwarning = \"> lots\"\n",
            ":2: targets.escalation_rate.warning: `> lots`: expected a share (`70%`), a length (`2h`), money (`$3`) or a number after `>`",
        ),
        (
            "[review]\nday_starts = \"6am\"\n",
            ":2: review.day_starts: `6am`: expected a time of day, HH:MM",
        ),
        (
            "[review]\ncalibration_share = 1.5\n",
            ":2: review.calibration_share: 1.5: expected a share from 0 to 1",
        ),
        (
            "[night]\nends = \"dawn\"\n",
            ":2: night.ends: `dawn`: expected a time of day, HH:MM",
        ),
        (
            "[night]\nbudget = -5.0\n",
            ":2: night.budget: -5: expected dollars, 0 or more",
        ),
        (
            "[sim]\nconflict_file = \"\"\n",
            ":2: sim.conflict_file: expected a file path, found an empty string",
        ),
    ];
    for (text, want) in cases {
        let got = err(text);
        assert_eq!(got, format!(".shiftboss/config.toml{want}"), "for {text:?}");
    }
}

#[test]
fn syntax_errors_have_a_line() {
    let e = parse("[swarm]\nagents = 3\ntarget = \"main\n").unwrap_err();
    assert_eq!(e.line, Some(3), "{e}");
    assert!(!e.to_string().contains('\n'));
    let e = parse("[swarm]\n[swarm]\n").unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.message.ends_with("duplicate key `swarm`"), "{e}");
    assert!(e.message.starts_with("invalid TOML: "), "{e}");
}

/// Whatever the input, the parsers return; they never panic.
#[test]
fn garbage_never_panics() {
    let template = Config::template();
    let standard = include_str!("../../fixtures/scenarios/standard-day.toml");
    let example = include_str!("../../fixtures/backlog-example.toml");
    let p = Path::new("g.toml");
    let all = |text: &str| {
        for e in [
            Config::parse(text, p).err(),
            Scenario::parse(text, p).err(),
            parse_backlog(text, p, &[]).err(),
        ]
        .into_iter()
        .flatten()
        {
            let s = e.to_string();
            assert!(!s.contains('\n'), "{s}");
            assert!(s.starts_with("g.toml"), "{s}");
        }
    };
    let mut cases: Vec<String> = vec![
        String::new(),
        "\u{0}\u{1}\u{7f}".into(),
        "[[[".into(),
        "= = =".into(),
        "a".repeat(10_000),
        "[".repeat(500),
        "x = ".to_string() + &"[".repeat(500),
        "x = ".to_string() + &"{a = ".repeat(200),
        "[swarm]\nagents = 99999999999999999999999\n".into(),
        "[swarm]\nagents = 1e400\n".into(),
        "[sim]\ntask_minutes = [1, 4294967296]\n".into(),
        "[watchdog]\ntick = \"18446744073709551615s\"\n".into(),
        "[budgets]\nday = inf\n".into(),
        "[budgets]\nday = -inf\n".into(),
        "[prices]\n\"\" = { input = 1, output = 1 }\n".into(),
        "[[convoy]]\nname = \"a\"\ngenerate = 4294967295\nparallel = 4294967295\n".into(),
        "[[convoy]]\nname = \"a\"\ngenerate = 3\nparallel = 1\n[[convoy.task]]\nid = \"a-0\"\ntitle = \"t\"\nafter = [\"a-0\"]\n".into(),
        "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = 1979-05-27T07:32:00\n".into(),
        "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = 1979-05-27\n".into(),
        "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = [1]\n".into(),
        "convoy = 1".into(),
        "convoy = [1, 2]".into(),
        "[[convoy]]\n[[convoy.task]]\n".into(),
        "scenario = []".into(),
        "\u{feff}[swarm]\nagents = 2\n".into(),
    ];
    for (n, line) in template.lines().enumerate() {
        // Every setting given a value of each wrong type.
        if let Some((key, _)) = line.split_once(" = ") {
            for v in ["\"x\"", "-1", "1.5", "true", "[]", "{}", "1979-05-27"] {
                let mut lines: Vec<String> = template.lines().map(String::from).collect();
                lines[n] = format!("{key} = {v}");
                cases.push(lines.join("\n"));
            }
        }
    }
    for text in [template.as_str(), standard, example] {
        for cut in (0..text.len()).step_by(13) {
            if text.is_char_boundary(cut) {
                cases.push(text[..cut].to_string());
            }
        }
    }
    for c in &cases {
        all(c);
    }
}

// --- backlogs ---------------------------------------------------------------

fn backlog(text: &str) -> Result<Vec<TaskSpec>, ConfigError> {
    parse_backlog(text, Path::new("tasks.toml"), &[])
}

fn backlog_err(text: &str, known: &[TaskId]) -> String {
    match parse_backlog(text, Path::new("tasks.toml"), known) {
        Ok(t) => panic!("expected an error, parsed {t:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn backlog_example_parses_in_order() {
    let tasks = parse_backlog(
        include_str!("../../fixtures/backlog-example.toml"),
        Path::new("fixtures/backlog-example.toml"),
        &[],
    )
    .unwrap();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "export-1",
            "export-2",
            "export-3",
            "export-4",
            "export-csv",
            "export-scheduled",
            "dark-mode-tokens",
            "dark-mode-toggle"
        ]
    );
    let t = &tasks[2];
    assert_eq!(t.after, [TaskId::from("export-1")]);
    assert_eq!(t.scope, ["src/export/**"]);
    assert_eq!(t.checks, ["test -d src/export"]);
    assert_eq!(t.priority, 2);
    assert_eq!(t.convoy.as_str(), "export");
    assert!(t.title.starts_with("export: ") && t.title.ends_with(" (3/4)"));
    assert!(tasks[0].after.is_empty() && tasks[1].after.is_empty());
    let csv = &tasks[4];
    assert_eq!(csv.scope, ["src/export/csv.rs"]);
    assert_eq!(csv.checks, ["test -f src/export/csv.rs"]);
    let sched = &tasks[5];
    assert_eq!(sched.priority, 3);
    assert_eq!(sched.tier.as_deref(), Some("deep"));
    assert_eq!(sched.scope, ["src/export/**"]);
    assert_eq!(
        sched.spec,
        "Nightly export of chosen tables to the customer's bucket."
    );
    let tokens = &tasks[6];
    assert_eq!(tokens.scope, ["web/theme/**", "web/components/**"]);
    assert!(tokens.checks.is_empty() && tokens.spec.is_empty());
    assert_eq!(tokens.behaviour, None);
}

#[test]
fn backlog_fixtures_name_the_line_and_key() {
    let e = parse_backlog(
        include_str!("../../fixtures/bad/unknown-dependency.toml"),
        Path::new("fixtures/bad/unknown-dependency.toml"),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "fixtures/bad/unknown-dependency.toml:23: convoy[1].task[0].after: unknown task \"auth-9\" (known: auth-1, auth-2, billing-1)"
    );
    let e = parse_backlog(
        include_str!("../../fixtures/bad/cycle.toml"),
        Path::new("fixtures/bad/cycle.toml"),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "fixtures/bad/cycle.toml:14: convoy[0].task[1].after: dependency cycle: search-ranking -> search-index -> search-query -> search-ranking"
    );
    let e = parse_backlog(
        include_str!("../../fixtures/bad/bad-glob.toml"),
        Path::new("fixtures/bad/bad-glob.toml"),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "fixtures/bad/bad-glob.toml:4: convoy[0].scope: invalid glob \"src/auth/[abc\": unclosed character class; missing ']'"
    );
}

#[test]
fn backlog_known_ids() {
    let text = "[[convoy]]\nname = \"auth\"\n[[convoy.task]]\nid = \"auth-2\"\ntitle = \"t\"\nafter = [\"auth-1\"]\n";
    assert!(backlog(text).is_err());
    let tasks = parse_backlog(text, Path::new("t.toml"), &[TaskId::from("auth-1")]).unwrap();
    assert_eq!(tasks[0].after, [TaskId::from("auth-1")]);
    assert_eq!(
        backlog_err(text, &[TaskId::from("auth-2")]),
        "tasks.toml:4: convoy[0].task[0].id: duplicate task id \"auth-2\": a task with this id already exists"
    );
}

#[test]
fn backlog_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "[[convoy]]\nname = \"Auth Rewrite\"\n",
            ":2: convoy[0].name: expected a convoy name of lower-case words joined by '-' (like \"auth-rewrite\"), found \"Auth Rewrite\"",
        ),
        (
            "[[convoy]]\nname = \"\"\n",
            ":2: convoy[0].name: expected a convoy name of lower-case words joined by '-' (like \"auth-rewrite\"), found \"\"",
        ),
        (
            "[[convoy]]\nscope = []\n",
            ":1: convoy[0]: missing required key \"name\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\nowner = \"me\"\n",
            ":3: convoy[0].owner: unknown key \"owner\" (allowed: name, priority, scope, generate, parallel, checks, task)",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy]]\nname = \"a\"\n",
            ":4: convoy[1].name: duplicate convoy \"a\" (also convoy[0]); put its tasks in one [[convoy]]",
        ),
        (
            "[[convoy]]\nname = \"a\"\nparallel = 2\n",
            ":3: convoy[0].parallel: parallel only applies with generate = N; set generate or remove parallel",
        ),
        (
            "[[convoy]]\nname = \"a\"\ngenerate = 0\n",
            ":3: convoy[0].generate: expected 1 to 1000 tasks to generate, found 0",
        ),
        (
            "[[convoy]]\nname = \"a\"\ngenerate = 2\nparallel = 0\n",
            ":4: convoy[0].parallel: expected 1 or more tasks at once, found 0",
        ),
        (
            "[[convoy]]\nname = \"a\"\nscope = [\"/etc/**\"]\n",
            ":3: convoy[0].scope: expected a glob relative to the repository root (like \"src/auth/**\"), found \"/etc/**\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\nscope = \"src/**\"\n",
            ":3: convoy[0].scope: expected an array, found \"src/**\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\n",
            ":3: convoy[0].task[0]: missing required key \"title\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x y\"\ntitle = \"t\"\n",
            ":4: convoy[0].task[0].id: expected a task id of letters, digits, '-', '_' or '.', at most 64 characters (like \"auth-3\"), found \"x y\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \" \"\n",
            ":5: convoy[0].task[0].title: expected a title, found an empty string",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"t\"\nbehaviour = \"explode\"\n",
            ":6: convoy[0].task[0].behaviour: expected one of normal, stall, zombie, runaway, concern, pause, conflict, gate_fail, crash, lead, found \"explode\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"t\"\ntier = \"huge\"\n",
            ":6: convoy[0].task[0].tier: expected one of fast, standard, deep, found \"huge\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"t\"\nafter = \"y\"\n",
            ":6: convoy[0].task[0].after: expected an array, found \"y\"",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"t\"\nchecks = [\"\"]\n",
            ":6: convoy[0].task[0].checks: expected a shell command, found an empty string",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"t\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"u\"\n",
            ":7: convoy[0].task[1].id: duplicate task id \"x\" (also convoy[0].task[0].id on line 4)",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"b-1\"\ntitle = \"t\"\n[[convoy]]\nname = \"b\"\ngenerate = 2\n",
            ":8: convoy[1].generate: generated task id \"b-1\" is already used (also convoy[0].task[0].id on line 4)",
        ),
        (
            "[[convoy]]\nname = \"a\"\ngenerate = 2\n[[convoy.task]]\nid = \"a-2\"\ntitle = \"t\"\n",
            ":5: convoy[0].task[0].id: duplicate task id \"a-2\" (also convoy[0].generate on line 3)",
        ),
        (
            "[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"x\"\ntitle = \"t\"\nafter = [\"x\"]\n",
            ":6: convoy[0].task[0].after: task \"x\" depends on itself",
        ),
        (
            "[[task]]\nid = \"x\"\n",
            ":1: task: unknown key \"task\" (allowed: convoy)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            backlog_err(text, &[]),
            format!("tasks.toml{want}"),
            "for {text:?}"
        );
    }
}

#[test]
fn generate_and_parallel_chain_tasks() {
    let tasks = backlog(
        "[[convoy]]\nname = \"auth-rewrite\"\npriority = 3\nscope = [\"src/auth/**\"]\ngenerate = 12\nparallel = 4\n",
    )
    .unwrap();
    assert_eq!(tasks.len(), 12);
    for (n, t) in tasks.iter().enumerate() {
        let j = n + 1;
        assert_eq!(t.id.as_str(), format!("auth-rewrite-{j}"));
        assert!(t.title.ends_with(&format!(" ({j}/12)")), "{}", t.title);
        assert_eq!(t.scope, ["src/auth/**"]);
        assert_eq!(t.priority, 3);
        let want: Vec<TaskId> = if j > 4 {
            vec![TaskId::new(format!("auth-rewrite-{}", j - 4))]
        } else {
            vec![]
        };
        assert_eq!(t.after, want);
    }
    // The same input gives the same titles.
    let again = backlog(
        "[[convoy]]\nname = \"auth-rewrite\"\npriority = 3\nscope = [\"src/auth/**\"]\ngenerate = 12\nparallel = 4\n",
    )
    .unwrap();
    assert_eq!(tasks, again);
    assert!(backlog("").unwrap().is_empty());
}

// --- scenarios --------------------------------------------------------------

#[test]
fn builtin_scenarios_parse() {
    assert!(Scenario::builtin("nope").is_none());
    let s = Scenario::builtin("standard-day").unwrap();
    assert_eq!(s.name, "standard-day");
    assert_eq!(s.duration, 8 * crate::domain::HOUR);
    assert_eq!(s.start, 1_772_442_000_000); // 2026-03-02T09:00:00Z
    assert_eq!(s.config.swarm.agents, 30);
    assert_eq!(s.config.swarm.max_live, 30);
    assert!(
        (140..=160).contains(&s.backlog.len()),
        "{}",
        s.backlog.len()
    );
    let convoys: BTreeSet<&str> = s.backlog.iter().map(|t| t.convoy.as_str()).collect();
    assert_eq!(convoys.len(), 12);
    for b in Behaviour::FAULTS {
        assert!(s.config.sim.rate(b) > 0.0, "{b}");
        assert!(
            s.backlog
                .iter()
                .any(|t| t.behaviour.as_deref() == Some(b.as_str())),
            "no explicit {b} task"
        );
    }
    let cross = s
        .backlog
        .iter()
        .filter(|t| {
            t.after.iter().any(|d| {
                let dep = s.backlog.iter().find(|x| &x.id == d).unwrap();
                dep.convoy != t.convoy
            })
        })
        .count();
    assert!(cross >= 3, "{cross}");
    for m in &s.config.swarm.models {
        assert!(s.config.price(m).is_some());
    }
    assert_eq!(s.config.gates.commands, ["! grep -rn 'SIM-BUG' src"]);

    let small = Scenario::builtin("small").unwrap();
    assert_eq!(small.config.swarm.agents, 4);
    assert_eq!(small.duration, 2 * crate::domain::HOUR);
    assert!((10..=14).contains(&small.backlog.len()));
    for b in ["pause", "concern"] {
        assert_eq!(
            small
                .backlog
                .iter()
                .filter(|t| t.behaviour.as_deref() == Some(b))
                .count(),
            1
        );
    }
    assert_eq!(small.config.gates.commands, s.config.gates.commands);
}

#[test]
fn scenario_header() {
    let p = Path::new("s.toml");
    let s = Scenario::parse("[scenario]\nname = \"x\"\nduration = \"90m\"\n", p).unwrap();
    assert_eq!(s.start, 1_772_442_000_000);
    assert_eq!(s.duration, 90 * crate::domain::MINUTE);
    assert_eq!(s.config, Config::default());
    assert!(s.backlog.is_empty() && s.description.is_empty());
    let s = Scenario::parse(
        "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = 2026-03-02T10:00:00+01:00\n",
        p,
    )
    .unwrap();
    assert_eq!(s.start, 1_772_442_000_000);
    let s = Scenario::parse(
        "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = \"1970-01-01T00:00:01Z\"\n",
        p,
    )
    .unwrap();
    assert_eq!(s.start, 1_000);

    let cases: &[(&str, &str)] = &[
        ("", "s.toml:1: missing required key \"scenario\""),
        (
            "[scenario]\nname = \"x\"\n",
            "s.toml:1: scenario: missing required key \"duration\"",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = \"monday\"\n",
            "s.toml:4: scenario.start: expected an RFC 3339 time such as \"2026-03-02T09:00:00Z\", found \"monday\"",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = 2026-03-02T09:00:00\n",
            "s.toml:4: scenario.start: expected an RFC 3339 time such as \"2026-03-02T09:00:00Z\", found 2026-03-02T09:00:00",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\nstart = 5\n",
            "s.toml:4: scenario.start: expected an RFC 3339 time such as \"2026-03-02T09:00:00Z\", found integer 5",
        ),
        (
            "[scenario]\nname = \" \"\nduration = \"1h\"\n",
            "s.toml:2: scenario.name: expected a scenario name, found an empty string",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"0s\"\n",
            "s.toml:3: scenario.duration: expected a duration longer than zero, found \"0s\"",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\nseed = 3\n",
            "s.toml:4: scenario.seed: unknown key \"seed\" (allowed: name, description, duration, start)",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\n[swarm]\nagents = 0\n",
            "s.toml:5: swarm.agents: expected 1 to 1000 agents, found 0",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\n[[convoy]]\nname = \"a\"\n[[convoy.task]]\nid = \"a-1\"\ntitle = \"t\"\nafter = [\"b-1\"]\n",
            "s.toml:9: convoy[0].task[0].after: unknown task \"b-1\" (known: a-1)",
        ),
        (
            "[scenario]\nname = \"x\"\nduration = \"1h\"\n[llm]\nurl = \"x\"\n",
            "s.toml:4: llm: unknown key \"llm\" (allowed: scenario, swarm, prices, budgets, watchdog, gates, merge, pause, inbox, mail, routing, tiers, agent, sim, convoy, teams)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            Scenario::parse(text, p).unwrap_err().to_string(),
            *want,
            "for {text:?}"
        );
    }
    let e = Scenario::parse(
        include_str!("../../fixtures/bad/rates-over-one.toml"),
        Path::new("fixtures/bad/rates-over-one.toml"),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "fixtures/bad/rates-over-one.toml:8: sim: the fault rates (stall, zombie, runaway, concern, pause, conflict, gate_fail, crash) add up to 1.100; expected at most 1"
    );
}

#[test]
fn scenario_load_reads_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in Scenario::builtin_names() {
        let path = root.join(format!("fixtures/scenarios/{name}.toml"));
        let mut s = Scenario::load(&path).unwrap();
        let b = Scenario::builtin(name).unwrap();
        s.name = b.name.clone();
        assert_eq!(s, b);
    }
}

#[test]
fn cycles_are_named_from_the_closing_edge() {
    let text = "[[convoy]]\nname = \"a\"\n\
        [[convoy.task]]\nid = \"a\"\ntitle = \"t\"\nafter = [\"b\"]\n\
        [[convoy.task]]\nid = \"b\"\ntitle = \"t\"\nafter = [\"c\"]\n\
        [[convoy.task]]\nid = \"c\"\ntitle = \"t\"\nafter = [\"x\", \"b\"]\n\
        [[convoy.task]]\nid = \"x\"\ntitle = \"t\"\n";
    assert_eq!(
        backlog_err(text, &[]),
        "tasks.toml:14: convoy[0].task[2].after: dependency cycle: c -> b -> c"
    );
}

#[test]
fn the_command_runtime_needs_a_program() {
    let e = Config::parse(
        "[swarm]\nruntime = \"command\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("c.toml:2: agent.command: runtime = \"command\" needs"),
        "{e}"
    );
    let c = Config::parse(
        "[swarm]\nruntime = \"command\"\n[agent]\ncommand = [\"./agent.sh\", \"--fast\"]\npass_env = [\"GITHUB_TOKEN\"]\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    assert_eq!(c.agent.command, vec!["./agent.sh", "--fast"]);
    let e = Config::parse(
        "[agent]\npass_env = [\"A B\"]\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("c.toml:2: agent.pass_env: expected an environment variable name"),
        "{e}"
    );
}

#[test]
fn a_task_file_marks_work_for_the_night() {
    let tasks = backlog(
        "[[convoy]]\nname = \"docs\"\n\n[[convoy.task]]\nid = \"docs-1\"\ntitle = \"Tidy the docs\"\nnight = true\n\n[[convoy.task]]\nid = \"docs-2\"\ntitle = \"By day\"\n",
    )
    .unwrap();
    let night: Vec<bool> = tasks.iter().map(|t| t.night).collect();
    assert_eq!(night, [true, false]);
    // Day work keeps its old form in the log: no `night` key.
    let json = serde_json::to_string(&tasks[1]).unwrap();
    assert!(!json.contains("night"), "{json}");
    let e = backlog_err(
        "[[convoy]]\nname = \"docs\"\n\n[[convoy.task]]\nid = \"docs-1\"\ntitle = \"x\"\nnight = \"yes\"\n",
        &[],
    );
    assert!(e.contains(":7:") && e.contains("night"), "{e}");
}
