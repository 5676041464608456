//! From the file's units (dollars, durations) to the engine's and the
//! simulator's (picodollars, milliseconds).

use super::{Config, OnOverlap};
use crate::domain::sim_plan::{Rates, SimSettings};
use crate::domain::{MINUTE, Money};
use crate::engine::{MergeSettings, Settings};
use crate::watchdog::WatchdogSettings;

impl Config {
    pub fn engine_settings(&self) -> Settings {
        let s = &self.swarm;
        let limit = |m: Option<Money>| m.unwrap_or(Money::ZERO);
        Settings {
            agents: s.agents,
            max_live: s.max_live,
            target: s.target.clone(),
            runtime: s.runtime.as_str().to_string(),
            models: s.models.clone(),
            seed: s.seed,
            prices: self
                .prices
                .iter()
                .map(|(m, p)| (m.clone(), p.price()))
                .collect(),
            context_windows: self
                .prices
                .iter()
                .map(|(m, p)| (m.clone(), p.context))
                .collect(),
            output_limits: self
                .prices
                .iter()
                .map(|(m, p)| (m.clone(), p.max_output))
                .collect(),
            budget_agent: limit(self.budgets.agent_limit()),
            budget_task: limit(self.budgets.task_limit()),
            budget_day: limit(self.budgets.day_limit()),
            day_soft: self.budgets.day_soft,
            watchdog: WatchdogSettings {
                tick: self.watchdog.tick.millis(),
                stall_after: self.watchdog.stall_after.millis(),
                task_time_bound: self.watchdog.task_time_bound.millis(),
                loop_repeats: self.watchdog.loop_repeats,
                handoff_at: self.watchdog.handoff_at,
                flood: crate::watchdog::FloodLimits {
                    window: self.watchdog.flood_window.millis(),
                    lines: self.watchdog.flood_lines,
                    bytes: self.watchdog.flood_bytes,
                },
                triage_after: self.watchdog.triage_after.millis(),
            },
            gates: self.gates.commands.clone(),
            max_rejections: self.gates.max_rejections,
            max_attempts: Settings::default().max_attempts,
            pause_before_merge: self.pause.before_merge
                || self.pause.before_merge_into.iter().any(|g| {
                    globset::Glob::new(g)
                        .map(|g| g.compile_matcher().is_match(&s.target))
                        .unwrap_or(false)
                }),
            scope_check: self.gates.scope,
            protected: self.gates.protected.clone(),
            merge: MergeSettings {
                batch: self.merge.batch,
                train: self.merge.train,
                append_only: self.merge.append_only.clone(),
                delay_on_overlap: self.merge.on_overlap == OnOverlap::Delay,
                ai: self.merge.ai.enabled().then(|| self.merge.ai.settings()),
            },
            pause_task_spend: limit(self.pause.task_spend_limit()),
            api_max_refusals: self.agent.api_refusals,
            api_refusal_time: self.agent.api_refusal_time.millis(),
            inbox: self.inbox.settings(),
            mail: self.mail.settings(),
            routing: self.routing_settings(),
            comment_on_merge: self.intake.github.comment_on_merge,
            teams: super::teams::settings(&self.teams),
            triage: self.triage.policy(),
        }
    }

    pub fn sim_settings(&self) -> SimSettings {
        let s = &self.sim;
        SimSettings {
            task_minutes: (s.task_minutes[0], s.task_minutes[1]),
            commits: (s.commits[0], s.commits[1]),
            tokens_per_minute: s.tokens_per_minute,
            gate_time: s.gate_minutes as i64 * MINUTE,
            conflict_file: s.conflict_file.clone(),
            rates: Rates {
                stall: s.stall,
                zombie: s.zombie,
                runaway: s.runaway,
                concern: s.concern,
                pause: s.pause,
                conflict: s.conflict,
                gate_fail: s.gate_fail,
                crash: s.crash,
            },
        }
    }
}
