//! Adapters turn an agent CLI's output into inputs for the engine.

use super::protocol::Signal;
use crate::domain::SessionId;
use crate::engine::Input;

pub trait Adapter: Send {
    /// One line of the agent's stdout.
    fn line(&mut self, session: &SessionId, line: &str) -> Vec<Input>;
    /// The process ended with `code` (None: killed by a signal we could not read).
    fn finish(&mut self, session: &SessionId, code: Option<i32>) -> Vec<Input>;
}

/// Any program: its lines are output and protocol lines as they are; a
/// clean exit means done.
#[derive(Default)]
pub struct CommandAdapter;

impl Adapter for CommandAdapter {
    fn line(&mut self, session: &SessionId, line: &str) -> Vec<Input> {
        vec![Input::AgentLine {
            session: session.clone(),
            line: line.to_string(),
        }]
    }

    fn finish(&mut self, session: &SessionId, code: Option<i32>) -> Vec<Input> {
        done_on_clean_exit(session, code)
    }
}

/// An agent's text (which may hold protocol lines) as output lines.
pub fn say(session: &SessionId, text: &str, out: &mut Vec<Input>) {
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        out.push(Input::AgentLine {
            session: session.clone(),
            line: l.to_string(),
        });
    }
}

/// Usage a CLI reported, for a model.
pub fn usage(session: &SessionId, model: &str, usage: crate::domain::Usage) -> Input {
    Input::AgentSignal {
        session: session.clone(),
        signal: Signal::Usage {
            model: Some(model.to_string()),
            usage,
        },
    }
}

/// A clean exit means the agent finished its task.
pub fn done_on_clean_exit(session: &SessionId, code: Option<i32>) -> Vec<Input> {
    if code == Some(0) {
        vec![Input::AgentSignal {
            session: session.clone(),
            signal: Signal::Done {
                summary: "exited 0".into(),
            },
        }]
    } else {
        Vec::new()
    }
}
