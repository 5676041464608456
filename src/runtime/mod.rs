//! Runtimes: how an agent is started for a task and how its output becomes
//! signals. `sim` is built in; real processes (`command`) are supervised by
//! `process` and read through an `adapter`.

pub mod adapter;
pub mod claude;
pub mod codex;
pub mod groups;
pub mod lines;
pub mod process;
pub mod prompt;
pub mod sandbox;
pub mod sim;
pub mod usage;
