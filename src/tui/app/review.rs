//! The review screens' keys: opening one (the report read from the log),
//! moving in its list, recording the review, and the triage of failed work
//! on the morning review, each through an engine command.

use super::{App, Mode};
use crate::engine::{Clock, Command, RealClock};
use crate::review::calibration::sample;
use crate::review::screen::{Kind, failed_work};
use crate::tui::action::Action;
use crate::tui::command_line::LineEdit;
use crate::tui::review::{ReviewScreen, TUNABLE};

impl App {
    /// Open a review screen, its report read from the log now.
    pub fn open_review(&mut self, kind: Kind) {
        let Some(source) = &self.review_source else {
            self.say("no log to review here");
            return;
        };
        match source.load(kind, self.snap.now) {
            Ok(report) => {
                self.review = Some(ReviewScreen::new(kind, report));
                // The screen scrolls with the pages' scroll: from its top.
                self.page_scroll = 0;
            }
            Err(e) => self.say(format!("the {} review: {e}", kind.word())),
        }
    }

    /// Rows of the open screen's list.
    fn review_rows(&self) -> usize {
        match self.review.as_ref().map(|r| r.kind) {
            Some(Kind::Morning) => failed_work(&self.snap.state).len(),
            Some(Kind::Evening) => TUNABLE.len() + self.review_sample().len(),
            None => 0,
        }
    }

    /// The evening review's calibration sample.
    pub fn review_sample(&self) -> Vec<crate::domain::TaskId> {
        let (Some(r), Some(src)) = (&self.review, &self.review_source) else {
            return Vec::new();
        };
        sample(
            &self.snap.state,
            r.report.period,
            src.config.review.calibration_share,
        )
        .into_iter()
        .map(|t| t.spec.id.clone())
        .collect()
    }

    /// The failed task under the cursor of the morning review.
    fn review_task(&self) -> Option<crate::domain::TaskId> {
        let r = self.review.as_ref()?;
        let work = failed_work(&self.snap.state);
        let sel = r.selected.min(work.len().saturating_sub(1));
        work.get(sel).map(|t| t.spec.id.clone())
    }

    /// What an action does on an open review screen; false when it is not
    /// the screen's (the floor's actions go on working).
    pub(super) fn act_on_review(&mut self, a: Action) -> bool {
        let n = self.review_rows();
        let Some(r) = self.review.as_mut() else {
            return false;
        };
        let last = n.saturating_sub(1);
        match a {
            Action::Down => r.selected = (r.selected + 1).min(last),
            Action::Up => r.selected = r.selected.min(last).saturating_sub(1),
            Action::Top => r.selected = 0,
            Action::Bottom => r.selected = last,
            Action::Back | Action::Quit => {
                self.review = None;
                self.page_scroll = 0;
            }
            Action::PageDown => self.scroll_page(|i, _| i + 10),
            Action::PageUp => self.scroll_page(|i, _| i.saturating_sub(10)),
            Action::ReviewEvening | Action::ReviewMorning => return false,
            Action::RecordReview
            | Action::Reassign
            | Action::Respecify
            | Action::Archive
            | Action::JudgeGood
            | Action::JudgeBad
            | Action::Tune
            | Action::ToggleNight
                if self.readonly =>
            {
                self.say("the console is read-only");
            }
            Action::RecordReview => self.record_review(),
            Action::Reassign | Action::Respecify | Action::Archive => self.triage(a),
            Action::JudgeGood | Action::JudgeBad => self.judge(a == Action::JudgeGood),
            Action::Tune => self.start_tuning(),
            Action::ToggleNight => self.toggle_night(),
            _ => return false,
        }
        true
    }

    fn record_review(&mut self) {
        let (Some(source), Some(r)) = (&self.review_source, self.review.as_mut()) else {
            return;
        };
        let kind = r.kind;
        match source.record(r.report.period, RealClock.now()) {
            Ok(()) => {
                r.recorded = true;
                self.say(format!(
                    "{} review recorded: the next one starts here",
                    kind.word()
                ));
            }
            Err(e) => self.say(format!("could not record the review: {e}")),
        }
    }

    /// Judge the selected task of the calibration sample.
    fn judge(&mut self, good: bool) {
        if self.review.as_ref().map(|r| r.kind) != Some(Kind::Evening) {
            self.say("merged work is judged on the evening review");
            return;
        }
        let sample = self.review_sample();
        let sel = self.review.as_ref().map_or(0, |r| r.selected);
        if sel < TUNABLE.len() {
            self.say("select a task of the calibration sample to judge it");
            return;
        }
        let Some(task) = sample.get(sel - TUNABLE.len()).cloned() else {
            self.say("nothing merged today is in the calibration sample");
            return;
        };
        let word = if good { "good" } else { "bad" };
        self.send_checked(
            Command::JudgeMerge(task.clone(), good),
            Some(format!("{task} judged {word}")),
        );
        self.move_review(1);
    }

    fn move_review(&mut self, by: usize) {
        let n = self.review_rows();
        if let Some(r) = self.review.as_mut() {
            r.selected = (r.selected + by).min(n.saturating_sub(1));
        }
    }

    /// Reassign, respecify or archive the selected failed task.
    fn triage(&mut self, a: Action) {
        if self.review.as_ref().map(|r| r.kind) != Some(Kind::Morning) {
            self.say("failed work is triaged on the morning review");
            return;
        }
        let Some(task) = self.review_task() else {
            self.say("no failed work to triage");
            return;
        };
        match a {
            Action::Reassign => self.send_checked(
                Command::ReassignTask(task.clone()),
                Some(format!("{task} goes back to the queue for another agent")),
            ),
            Action::Respecify => {
                let spec = self
                    .snap
                    .state
                    .task(&task)
                    .map(|t| t.spec.spec.clone())
                    .unwrap_or_default();
                self.mode = Mode::Respecify {
                    task,
                    edit: LineEdit::with(&spec),
                };
            }
            Action::Archive => {
                let cmd = Command::ArchiveTask(task.clone());
                match crate::engine::check_command(&self.snap.state, &cmd) {
                    Ok(()) => self.confirm(
                        format!("archive {task}? it is dropped for good; its branch is kept"),
                        vec![cmd],
                    ),
                    Err(why) => self.say(why),
                }
            }
            _ => {}
        }
    }
}

impl App {
    /// Open the editor on the selected check's threshold.
    fn start_tuning(&mut self) {
        let (Some(r), Some(src)) = (&self.review, &self.review_source) else {
            return;
        };
        let key = match (r.kind, TUNABLE.get(r.selected)) {
            (Kind::Evening, Some(c)) => crate::review::alerts::threshold_key(*c),
            _ => None,
        };
        let Some(key) = key else {
            self.say("select a watchdog check on the evening review to tune it");
            return;
        };
        let now = crate::watchdog::threshold_text(&src.config.engine_settings().watchdog, key)
            .unwrap_or_default();
        self.mode = Mode::Tune {
            key,
            edit: LineEdit::with(&now),
        };
    }

    /// Write the threshold to the config file (comments kept, atomically),
    /// then tell the engine: in effect at once.
    pub(super) fn tune(&mut self, key: &'static str, value: &str) {
        let cmd = Command::TuneWatchdog(key.to_string(), value.to_string());
        if let Err(why) = crate::engine::check_command(&self.snap.state, &cmd) {
            self.say(why);
            return;
        }
        let Some(src) = self.review_source.as_mut() else {
            return;
        };
        let path = src.dir.join("config.toml");
        match crate::config::edit::set(&path, "watchdog", key, value) {
            Ok(()) => {
                if let Ok(c) = crate::config::Config::load(&path) {
                    src.config = c;
                }
                self.outbox.push(cmd);
                self.say(format!(
                    "[watchdog] {key} = {value}: written to the config, in effect now"
                ));
            }
            Err(e) => self.say(e),
        }
    }
}

impl App {
    /// Start the night shift (asks first), or end the one under way.
    pub fn toggle_night(&mut self) {
        if self.snap.state.night.is_some() {
            self.send_checked(
                Command::EndNight,
                Some("the night is over: the day's work starts again".into()),
            );
            return;
        }
        let Some(src) = &self.review_source else {
            self.say("no config here to take the night's settings from");
            return;
        };
        let ends_at = src.night_end(self.snap.now);
        let dollars = src.config.night.budget;
        let budget = crate::domain::Money::from_dollars(dollars);
        let cmd = Command::StartNight { ends_at, budget };
        let until = src.zone.stamp(ends_at);
        let n = self
            .snap
            .state
            .tasks
            .values()
            .filter(|t| crate::review::screen::night_work(t))
            .count();
        let spend = if dollars > 0.0 {
            format!("up to {budget}")
        } else {
            "no budget of its own".into()
        };
        match crate::engine::check_command(&self.snap.state, &cmd) {
            Ok(()) => self.confirm(
                format!(
                    "start the night shift? {n} night tasks, until {until} ({spend}); other work waits for the morning"
                ),
                vec![cmd],
            ),
            Err(why) => self.say(why),
        }
    }
}
