//! Adapters turn an agent CLI's output into [`Output`]: lines and signals,
//! the runtime's own words. The swarm makes the engine's inputs of them.

use crate::domain::protocol::Signal;

/// What an agent's process gave, as its runtime read it.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// A line of its output (protocol lines included).
    Line { line: String },
    /// A runtime-level signal (usage parsed from a CLI's structured output,
    /// the end of a run, bytes dropped past the line cap).
    Signal { signal: Signal },
    /// The process ended (after its last line).
    Exited { exit_code: Option<i32> },
}

pub trait Adapter: Send {
    /// One line of the agent's stdout.
    fn line(&mut self, line: &str) -> Vec<Output>;
    /// The process ended with `code` (None: killed by a signal we could not read).
    fn finish(&mut self, code: Option<i32>) -> Vec<Output>;
}

/// Any program: its lines are output and protocol lines as they are; a
/// clean exit means done.
#[derive(Default)]
pub struct CommandAdapter;

impl Adapter for CommandAdapter {
    fn line(&mut self, line: &str) -> Vec<Output> {
        vec![Output::Line {
            line: line.to_string(),
        }]
    }

    fn finish(&mut self, code: Option<i32>) -> Vec<Output> {
        done_on_clean_exit(code)
    }
}

/// An agent's text (which may hold protocol lines) as output lines.
pub fn say(text: &str, out: &mut Vec<Output>) {
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        out.push(Output::Line {
            line: l.to_string(),
        });
    }
}

/// Usage a CLI reported, for a model.
pub fn usage(model: &str, usage: crate::domain::Usage) -> Output {
    Output::Signal {
        signal: Signal::Usage {
            model: Some(model.to_string()),
            usage,
        },
    }
}

/// A clean exit means the agent finished its task.
pub fn done_on_clean_exit(code: Option<i32>) -> Vec<Output> {
    if code == Some(0) {
        vec![Output::Signal {
            signal: Signal::Done {
                summary: "exited 0".into(),
            },
        }]
    } else {
        Vec::new()
    }
}
