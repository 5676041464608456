//! `Config::check`: ranges and cross-references, one function a section,
//! each error naming the key it is about.

use super::error::{Invalid, Seg, i, k};
use super::{Behaviour, Config, Runtime, merge};

/// Where a key sits in the file: the sections' place (`base`) joined with
/// the key's path.
type At<'a> = dyn Fn(&[Seg]) -> Vec<Seg> + 'a;

impl Config {
    /// Check ranges and cross-references. `base` is where the config sections
    /// sit in the file (the root for both config files and scenarios).
    pub(crate) fn check(&self, base: &[Seg]) -> Result<(), Invalid> {
        let p = |parts: &[Seg]| -> Vec<Seg> { base.iter().chain(parts).cloned().collect() };
        swarm(self, &p)?;
        prices(self, &p)?;
        budgets(self, &p)?;
        watchdog(self, &p)?;
        agent(self, &p)?;
        gates(self, &p)?;
        pause(self, &p)?;
        self.merge.check(base)?;
        self.sandbox.check(base)?;
        self.inbox.check(base)?;
        self.mail.check(base)?;
        self.tiers.check(self, base)?;
        self.sim.operator.check(base)?;
        super::teams::check(&self.teams, base)?;
        self.triage.check(self, base)?;
        sim(self, &p)
    }
}

/// `[swarm]`: pool size, sessions at once, the target branch, models that have a price.
fn swarm(c: &Config, p: &At) -> Result<(), Invalid> {
    let s = &c.swarm;
    if !(1..=1000).contains(&s.agents) {
        return Err(Invalid::new(
            p(&[k("swarm"), k("agents")]),
            format!("expected 1 to 1000 agents, found {}", s.agents),
        ));
    }
    if !(1..=1000).contains(&s.max_live) {
        return Err(Invalid::new(
            p(&[k("swarm"), k("max_live")]),
            format!("expected 1 to 1000 sessions at once, found {}", s.max_live),
        ));
    }
    if s.target.trim().is_empty() {
        return Err(Invalid::new(
            p(&[k("swarm"), k("target")]),
            "expected a branch name, found an empty string",
        ));
    }
    if s.models.is_empty() {
        return Err(Invalid::new(
            p(&[k("swarm"), k("models")]),
            "expected at least one model",
        ));
    }
    for (n, model) in s.models.iter().enumerate() {
        if !c.prices.contains_key(model) {
            let known: Vec<&str> = c.prices.keys().map(String::as_str).collect();
            return Err(Invalid::new(
                p(&[k("swarm"), k("models")]),
                format!(
                    "no price for model \"{model}\" (priced: {}); add a [prices.\"{model}\"] table",
                    known.join(", ")
                ),
            )
            .at(p(&[k("swarm"), k("models"), i(n)])));
        }
    }
    Ok(())
}

/// `[prices]`: model names and dollars per million tokens.
fn prices(c: &Config, p: &At) -> Result<(), Invalid> {
    for (model, e) in &c.prices {
        if model.trim().is_empty() {
            return Err(Invalid::new(
                p(&[k("prices")]),
                "expected a model name, found an empty key",
            ));
        }
        for (key, v) in [
            ("input", e.input),
            ("output", e.output),
            ("cache_read", e.cache_read),
            ("cache_write", e.cache_write),
        ] {
            if !(v.is_finite() && (0.0..=1_000_000.0).contains(&v)) {
                return Err(Invalid::new(
                    p(&[k("prices"), k(model), k(key)]),
                    format!("expected dollars per million tokens (0 or more), found {v}"),
                ));
            }
        }
    }
    Ok(())
}

/// `[budgets]`: limits in dollars, the soft share of the day.
fn budgets(c: &Config, p: &At) -> Result<(), Invalid> {
    let b = &c.budgets;
    for (key, v) in [("agent", b.agent), ("task", b.task), ("day", b.day)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(Invalid::new(
                p(&[k("budgets"), k(key)]),
                format!("expected dollars, 0 or more (0 = no limit), found {v}"),
            ));
        }
    }
    if !(0.0..=1.0).contains(&b.day_soft) {
        return Err(Invalid::new(
            p(&[k("budgets"), k("day_soft")]),
            format!(
                "expected a share of the day budget from 0 to 1, found {}",
                b.day_soft
            ),
        ));
    }
    Ok(())
}

/// `[watchdog]`: durations, the handoff share, loop repeats.
fn watchdog(c: &Config, p: &At) -> Result<(), Invalid> {
    let w = &c.watchdog;
    for (key, d) in [
        ("tick", w.tick),
        ("stall_after", w.stall_after),
        ("task_time_bound", w.task_time_bound),
        ("flood_window", w.flood_window),
    ] {
        if d.0 <= 0 {
            return Err(Invalid::new(
                p(&[k("watchdog"), k(key)]),
                format!("expected a duration longer than zero, found \"{d}\""),
            ));
        }
    }
    if !(0.0..=1.0).contains(&w.handoff_at) {
        return Err(Invalid::new(
            p(&[k("watchdog"), k("handoff_at")]),
            format!("expected a share from 0 to 1, found {}", w.handoff_at),
        ));
    }
    if w.loop_repeats < 2 {
        return Err(Invalid::new(
            p(&[k("watchdog"), k("loop_repeats")]),
            format!("expected 2 or more repeats, found {}", w.loop_repeats),
        ));
    }
    Ok(())
}

/// `[agent]`: the command a `command` runtime runs, Codex's sandbox, API refusals, passed-on variables.
fn agent(c: &Config, p: &At) -> Result<(), Invalid> {
    let uses_command = c.swarm.runtime == Runtime::Command
        || c.agent.by_model.values().any(|r| *r == Runtime::Command);
    if uses_command && c.agent.command.is_empty() {
        return Err(Invalid::new(
            p(&[k("agent"), k("command")]),
            "runtime = \"command\" needs the program to run, e.g. command = [\"./agent.sh\"]",
        )
        .at(p(&[k("swarm"), k("runtime")])));
    }
    if !["read-only", "workspace-write", "danger-full-access"]
        .contains(&c.agent.codex_sandbox.as_str())
    {
        return Err(Invalid::new(
            p(&[k("agent"), k("codex_sandbox")]),
            format!(
                "expected read-only, workspace-write or danger-full-access, found {:?}",
                c.agent.codex_sandbox
            ),
        ));
    }
    if c.agent.api_refusals == 0 {
        return Err(Invalid::new(
            p(&[k("agent"), k("api_refusals")]),
            "expected 1 or more refusals, found 0",
        ));
    }
    if c.agent.api_refusal_time.0 <= 0 {
        return Err(Invalid::new(
            p(&[k("agent"), k("api_refusal_time")]),
            format!(
                "expected a duration longer than zero, found \"{}\"",
                c.agent.api_refusal_time
            ),
        ));
    }
    for (n, v) in c.agent.pass_env.iter().enumerate() {
        if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Invalid::new(
                p(&[k("agent"), k("pass_env")]),
                format!("expected an environment variable name, found {v:?}"),
            )
            .at(p(&[k("agent"), k("pass_env"), i(n)])));
        }
    }
    Ok(())
}

/// `[gates]`: commands, timeout, protected globs.
fn gates(c: &Config, p: &At) -> Result<(), Invalid> {
    let g = &c.gates;
    for (n, c) in g.commands.iter().enumerate() {
        if c.trim().is_empty() {
            return Err(Invalid::new(
                p(&[k("gates"), k("commands")]),
                "expected a shell command, found an empty string",
            )
            .at(p(&[k("gates"), k("commands"), i(n)])));
        }
    }
    if g.timeout.0 <= 0 {
        return Err(Invalid::new(
            p(&[k("gates"), k("timeout")]),
            format!(
                "expected a duration longer than zero, found \"{}\"",
                g.timeout
            ),
        ));
    }
    merge::check_globs(&g.protected, &p(&[k("gates"), k("protected")]))?;
    if g.max_rejections < 1 {
        return Err(Invalid::new(
            p(&[k("gates"), k("max_rejections")]),
            "expected 1 or more rejections, found 0",
        ));
    }
    Ok(())
}

/// `[pause]`: the branches a merge pauses before, the spend that pauses a task.
fn pause(c: &Config, p: &At) -> Result<(), Invalid> {
    merge::check_globs(
        &c.pause.before_merge_into,
        &p(&[k("pause"), k("before_merge_into")]),
    )?;
    if !(c.pause.task_spend.is_finite() && c.pause.task_spend >= 0.0) {
        return Err(Invalid::new(
            p(&[k("pause"), k("task_spend")]),
            format!(
                "expected dollars, 0 or more (0 = off), found {}",
                c.pause.task_spend
            ),
        ));
    }
    Ok(())
}

/// `[sim]`: the simulator's ranges, conflict file and fault rates.
fn sim(c: &Config, p: &At) -> Result<(), Invalid> {
    let sim = &c.sim;
    for (key, [lo, hi]) in [("task_minutes", sim.task_minutes), ("commits", sim.commits)] {
        if lo < 1 || lo > hi {
            return Err(Invalid::new(
                p(&[k("sim"), k(key)]),
                format!("expected [min, max] with 1 <= min <= max, found [{lo}, {hi}]"),
            ));
        }
    }
    if sim.conflict_file.trim().is_empty() {
        return Err(Invalid::new(
            p(&[k("sim"), k("conflict_file")]),
            "expected a file path, found an empty string",
        ));
    }
    let f = &sim.conflict_file;
    if f.starts_with('/')
        || f.chars().any(char::is_control)
        || f.split('/').any(|c| c.is_empty() || c == "..")
    {
        return Err(Invalid::new(
            p(&[k("sim"), k("conflict_file")]),
            format!("expected a relative path inside the repository, found {f:?}"),
        ));
    }
    for b in Behaviour::FAULTS {
        let v = sim.rate(b);
        if !(0.0..=1.0).contains(&v) {
            return Err(Invalid::new(
                p(&[k("sim"), k(b.as_str())]),
                format!("expected a probability from 0 to 1, found {v}"),
            ));
        }
    }
    let sum = sim.fault_rate();
    if sum > 1.0 + 1e-9 {
        // Point at the last rate the file sets: the one that tipped it over.
        let last = Behaviour::FAULTS
            .iter()
            .rev()
            .find(|b| sim.rate(**b) > 0.0)
            .map(|b| b.as_str())
            .unwrap_or("stall");
        return Err(Invalid::new(
            p(&[k("sim")]),
            format!(
                "the fault rates (stall, zombie, runaway, concern, pause, conflict, gate_fail, crash) add up to {sum:.3}; expected at most 1"
            ),
        )
        .at(p(&[k("sim"), k(last)])));
    }
    Ok(())
}
