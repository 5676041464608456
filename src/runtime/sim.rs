//! The simulated agent. A scenario's rates decide how each task attempt
//! behaves; the plan is a script of output lines (the real agent line
//! protocol), real file edits and commits, and an exit. The same seed, task
//! and attempt always give the same plan.

use crate::domain::sim_plan::{Action, Behaviour, Edit, Plan, SimSettings};
use crate::domain::{AgentId, MINUTE, Millis, SECOND, TaskSpec};
use std::collections::VecDeque;

mod lead;

/// SplitMix64: small, fast, and the same on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one key (task id, attempt) under the swarm seed.
    pub fn keyed(seed: u64, key: &str, n: u64) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(seed ^ h.rotate_left(17) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi].
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next_u64() as usize % items.len()]
    }
}

/// The first scope glob of a task, split: its fixed folder part (before the
/// first wildcard; for a glob naming one file, that file's folder) and the
/// file it names, if it names one.
fn first_glob(task: &TaskSpec) -> Option<(String, Option<String>)> {
    let g = task.scope.first()?;
    let parts: Vec<&str> = g.split('/').collect();
    let fixed: Vec<&str> = parts
        .iter()
        .copied()
        .take_while(|part| !part.contains(['*', '?', '[', '{']))
        .collect();
    if fixed.len() == parts.len() {
        let dir = fixed[..fixed.len() - 1].join("/");
        Some((dir, Some(g.clone())))
    } else {
        Some((fixed.join("/"), None))
    }
}

/// The file a simulated task writes: the file its first scope names, or a
/// file named after the task in the fixed folder part of its first glob.
pub fn task_file(task: &TaskSpec) -> String {
    let own = |dir: &str| format!("{dir}/{}.rs", task.id.as_str().replace(['/', '\\'], "_"));
    match first_glob(task) {
        // The scope names one file: that is the file to write.
        Some((_, Some(file))) => file,
        Some((dir, None)) if !dir.is_empty() => own(&dir),
        _ => own("src/tasks"),
    }
}

/// Where a conflicting edit of `task` lands: `conflict_file` as it is when
/// it names a folder, else that file in the task's own area (the fixed
/// folder of its first scope glob, or the folder of the file it names), so
/// the edit stays inside the owned scope of the convoy's tasks.
pub fn conflict_path(task: &TaskSpec, conflict_file: &str) -> String {
    if conflict_file.contains('/') {
        return conflict_file.to_string();
    }
    let area = first_glob(task).map_or_else(|| "src/tasks".to_string(), |(dir, _)| dir);
    if area.is_empty() {
        conflict_file.to_string()
    } else {
        format!("{area}/{conflict_file}")
    }
}

/// The line in the conflict file that conflicting edits fight over.
pub const CONFLICT_PREFIX: &str = "pub const OWNER: &str =";
/// What a failing gate finds in the simulator's planted bugs.
pub const BUG_MARKER: &str = "SIM-BUG";

const CHATTER: [&str; 8] = [
    "reading the module and its tests",
    "running cargo check",
    "running the unit tests",
    "editing the handler",
    "looking up the call sites",
    "writing a test for the new path",
    "formatting",
    "reviewing the diff",
];

const CONCERNS: [&str; 6] = [
    "the spec and the existing tests disagree on the error code",
    "this change alters a public API other convoys may use",
    "the migration drops a column another service may still read",
    "no test covers the retry path I had to change",
    "the acceptance check passes but the feature looks incomplete",
    "I may be duplicating a helper that exists elsewhere",
];

const PAUSES: [&str; 4] = [
    "about to run the data migration on the shared database",
    "about to delete the legacy handlers",
    "about to regenerate every fixture",
    "about to bump a dependency used by every crate",
];

/// Choose how this attempt behaves: the task's scripted behaviour on its
/// first attempt, else a draw from the rates; retries behave normally.
fn choose(rng: &mut Rng, s: &SimSettings, task: &TaskSpec, attempt: u32) -> Behaviour {
    if attempt > 1 {
        return Behaviour::Normal;
    }
    if let Some(b) = task.behaviour.as_deref().and_then(Behaviour::parse) {
        return b;
    }
    let r = &s.rates;
    let table = [
        (r.stall, Behaviour::Stall),
        (r.zombie, Behaviour::Zombie),
        (r.runaway, Behaviour::Runaway),
        (r.concern, Behaviour::Concern),
        (r.pause, Behaviour::Pause),
        (r.conflict, Behaviour::Conflict),
        (r.gate_fail, Behaviour::GateFail),
        (r.crash, Behaviour::Crash),
    ];
    let mut x = rng.unit();
    for (p, b) in table {
        if x < p {
            return b;
        }
        x -= p;
    }
    Behaviour::Normal
}

/// A plan as it is written: each step with its delay after the one before.
struct Script {
    steps: VecDeque<(Millis, Action)>,
    last: Millis,
}

impl Script {
    /// `a` at `at` (never before the step before it).
    fn push(&mut self, at: Millis, a: Action) {
        self.steps.push_back(((at - self.last).max(0), a));
        self.last = at;
    }

    fn plan(self, behaviour: Behaviour) -> Plan {
        Plan {
            behaviour: Some(behaviour),
            steps: self.steps,
        }
    }
}

/// What one attempt is, drawn before its first step.
struct Attempt<'a> {
    s: &'a SimSettings,
    task: &'a TaskSpec,
    agent: &'a AgentId,
    model: &'a str,
    attempt: u32,
    behaviour: Behaviour,
    commits: u64,
    /// Tokens a minute (fifteen times as many for a runaway).
    tpm: u64,
    /// The file its commits write.
    file: String,
}

/// The script for one attempt of `task` by `agent`.
pub fn plan(
    s: &SimSettings,
    seed: u64,
    task: &TaskSpec,
    agent: &AgentId,
    model: &str,
    attempt: u32,
) -> Plan {
    let mut rng = Rng::keyed(seed, task.id.as_str(), attempt as u64);
    let behaviour = choose(&mut rng, s, task, attempt);
    if behaviour == Behaviour::Lead {
        return lead::plan(s, &mut rng, task, agent, model);
    }
    let minutes = rng
        .range(s.task_minutes.0 as u64, s.task_minutes.1 as u64)
        .max(1);
    let commits = rng
        .range(s.commits.0 as u64, s.commits.1 as u64)
        .clamp(1, minutes);
    let tpm = if behaviour == Behaviour::Runaway {
        s.tokens_per_minute * 15
    } else {
        s.tokens_per_minute
    };
    // Where in the work a fault shows (a share of the minutes).
    let fault_at = (minutes as f64 * (0.3 + 0.4 * rng.unit())).round().max(1.0) as u64;
    let a = Attempt {
        s,
        task,
        agent,
        model,
        attempt,
        behaviour,
        commits,
        tpm,
        file: task_file(task),
    };
    let mut script = Script {
        steps: VecDeque::new(),
        last: 0,
    };
    a.start(&mut script);
    let mut commit_no = 0;
    for m in 1..=minutes {
        let at = m as Millis * MINUTE;
        if m == fault_at && a.fault(&mut rng, &mut script, at) {
            return script.plan(behaviour);
        }
        a.minute(&mut rng, &mut script, m, at);
        let due = (commit_no + 1) * minutes / commits;
        if m >= due && commit_no < commits {
            commit_no += 1;
            a.commit(&mut rng, &mut script, commit_no, at);
        }
    }
    script.push(
        minutes as Millis * MINUTE + 10 * SECOND,
        Action::Line(format!("::done::{} finished in {minutes} min", task.id)),
    );
    script.plan(behaviour)
}

impl Attempt<'_> {
    /// The first line, and on a rework (after a gate rejection) a commit
    /// that takes out what the gate found.
    fn start(&self, script: &mut Script) {
        let (agent, task, attempt) = (self.agent, self.task, self.attempt);
        script.push(
            2 * SECOND,
            Action::Line(format!("{agent} starting {} (attempt {attempt})", task.id)),
        );
        if attempt > 1 {
            script.push(
                20 * SECOND,
                Action::Commit {
                    edits: vec![Edit::RemoveLines {
                        path: self.file.clone(),
                        marker: BUG_MARKER.into(),
                    }],
                    message: format!("{}: fix what the gate found", task.id),
                },
            );
        }
    }

    /// The fault of this attempt's behaviour, at `at`; whether the plan
    /// ends there (a stall, a zombie, a crash).
    fn fault(&self, rng: &mut Rng, script: &mut Script, at: Millis) -> bool {
        match self.behaviour {
            Behaviour::Stall => {
                script.push(at, Action::Line("waiting for the language server…".into()));
                true
            }
            Behaviour::Zombie => {
                script.push(
                    at,
                    Action::Repeat {
                        line: "error[E0599]: no method named `expire` found; retrying the same fix"
                            .into(),
                        every: 20 * SECOND,
                    },
                );
                true
            }
            Behaviour::Crash => {
                script.push(
                    at,
                    Action::Line("fatal runtime error: out of memory".into()),
                );
                script.push(at + SECOND, Action::Exit(137));
                true
            }
            Behaviour::Concern => {
                let impact = *rng.pick(&["low", "medium", "medium", "high", "high", "critical"]);
                let confidence = 0.2 + 0.75 * rng.unit();
                let text = rng.pick(&CONCERNS);
                script.push(
                    at,
                    Action::Line(format!(
                        "::concern impact={impact} confidence={confidence:.2}::{text}"
                    )),
                );
                false
            }
            Behaviour::Pause => {
                let text = rng.pick(&PAUSES);
                script.push(at, Action::Line(format!("::pause::{text}")));
                script.push(at, Action::AwaitDecision);
                false
            }
            _ => false,
        }
    }

    /// Minute `m`'s usage (one API call's worth, with some jitter) and,
    /// every third minute, a line of chatter.
    fn minute(&self, rng: &mut Rng, script: &mut Script, m: u64, at: Millis) {
        let t = self.tpm * (80 + rng.range(0, 40)) / 100;
        script.push(
            at,
            Action::Line(format!(
                "::usage model={} input={} output={} cache_read={} cache_write={}::",
                self.model,
                t * 15 / 100,
                t * 5 / 100,
                t * 70 / 100,
                t * 10 / 100
            )),
        );
        if m.is_multiple_of(3) {
            script.push(at + SECOND, Action::Line((*rng.pick(&CHATTER)).into()));
        }
    }

    /// Commit `commit_no` (an appended function; the first commit of a
    /// conflict or a gate failure also plants it) and the progress it makes.
    fn commit(&self, rng: &mut Rng, script: &mut Script, commit_no: u64, at: Millis) {
        let (task, commits, attempt) = (self.task, self.commits, self.attempt);
        let mut edits = vec![Edit::Append {
            path: self.file.clone(),
            text: format!(
                "\n/// {} — step {commit_no} of {commits}\npub fn {}_step_{commit_no}_a{attempt}() -> u32 {{\n    {}\n}}\n",
                task.title,
                task.id
                    .as_str()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
                rng.range(1, 999)
            ),
        }];
        if commit_no == 1 && self.behaviour == Behaviour::Conflict {
            edits.push(Edit::ReplaceLine {
                path: conflict_path(task, &self.s.conflict_file),
                prefix: CONFLICT_PREFIX.into(),
                line: format!("{CONFLICT_PREFIX} \"{}\";", task.id),
            });
        }
        if commit_no == 1 && self.behaviour == Behaviour::GateFail {
            edits.push(Edit::Append {
                path: self.file.clone(),
                text: format!("// {BUG_MARKER}: off-by-one left in by {}\n", self.agent),
            });
        }
        script.push(
            at + 2 * SECOND,
            Action::Commit {
                edits,
                message: format!("{}: {} ({commit_no}/{commits})", task.id, task.title),
            },
        );
        script.push(
            at + 3 * SECOND,
            Action::Line(format!(
                "::progress {}::commit {commit_no} of {commits}",
                (commit_no * 100 / commits).min(99)
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sim_plan::Rates;
    use crate::domain::{ConvoyId, TaskId};

    fn spec(id: &str, behaviour: Option<&str>) -> TaskSpec {
        TaskSpec {
            id: TaskId::new(id),
            title: "add session expiry".into(),
            spec: String::new(),
            convoy: ConvoyId::new("auth"),
            priority: 0,
            scope: vec!["src/auth/**".into()],
            checks: vec![],
            after: vec![],
            tier: None,
            behaviour: behaviour.map(str::to_string),
            issue: None,
            night: false,
        }
    }

    #[test]
    fn same_seed_same_plan_other_seed_other_plan() {
        let s = SimSettings::default();
        let a = AgentId::builder(1);
        let p1 = plan(&s, 7, &spec("auth-1", None), &a, "m", 1);
        let p2 = plan(&s, 7, &spec("auth-1", None), &a, "m", 1);
        let p3 = plan(&s, 8, &spec("auth-1", None), &a, "m", 1);
        assert_eq!(p1, p2);
        assert_ne!(p1, p3);
    }

    #[test]
    fn normal_plan_commits_and_finishes() {
        let s = SimSettings::default();
        let p = plan(&s, 1, &spec("auth-1", None), &AgentId::builder(1), "m", 1);
        let commits = p
            .steps
            .iter()
            .filter(|(_, a)| matches!(a, Action::Commit { .. }))
            .count();
        assert!((2..=5).contains(&commits), "{commits} commits");
        assert!(matches!(p.steps.back(), Some((_, Action::Line(l))) if l.starts_with("::done::")));
    }

    #[test]
    fn scripted_faults_show_on_the_first_attempt_only() {
        let s = SimSettings::default();
        let a = AgentId::builder(1);
        let crash = plan(&s, 1, &spec("x", Some("crash")), &a, "m", 1);
        assert!(matches!(crash.steps.back(), Some((_, Action::Exit(137)))));
        let retry = plan(&s, 1, &spec("x", Some("crash")), &a, "m", 2);
        assert_eq!(retry.behaviour, Some(Behaviour::Normal));
        let stall = plan(&s, 1, &spec("x", Some("stall")), &a, "m", 1);
        assert!(
            !stall
                .steps
                .iter()
                .any(|(_, a)| matches!(a, Action::Line(l) if l.starts_with("::done")))
        );
        let pause = plan(&s, 1, &spec("x", Some("pause")), &a, "m", 1);
        assert!(pause.steps.iter().any(|(_, a)| *a == Action::AwaitDecision));
    }

    #[test]
    fn rates_pick_faults_in_proportion() {
        let s = SimSettings {
            rates: Rates {
                crash: 0.5,
                ..Rates::default()
            },
            ..SimSettings::default()
        };
        let a = AgentId::builder(1);
        let crashes = (0..400)
            .filter(|i| {
                plan(&s, 3, &spec(&format!("t-{i}"), None), &a, "m", 1).behaviour
                    == Some(Behaviour::Crash)
            })
            .count();
        assert!((150..=250).contains(&crashes), "{crashes} of 400");
    }

    #[test]
    fn task_files_live_in_the_scope() {
        assert_eq!(task_file(&spec("auth-1", None)), "src/auth/auth-1.rs");
        let mut t = spec("a", None);
        t.scope = vec!["src/billing/invoice.rs".into()];
        assert_eq!(task_file(&t), "src/billing/invoice.rs");
        t.scope = vec![];
        assert_eq!(task_file(&t), "src/tasks/a.rs");
    }
}
