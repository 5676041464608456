//! Runtimes: how an agent is started for a task and how its output becomes
//! signals. `sim` is built in; real CLIs come as adapters beside it.

pub mod protocol;
pub mod sim;
