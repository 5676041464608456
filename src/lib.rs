//! shiftboss: an operator console for a swarm of coding agents.
//!
//! See CLAUDE.md in the repository for the module map and conventions.

pub mod cli;
pub mod config;
pub mod domain;
pub mod engine;
pub mod http;
pub mod logging;
pub mod merge;
pub mod redact;
pub mod runtime;
pub mod store;
pub mod swarm;
pub mod tui;
pub mod watchdog;
