//! shiftboss: an operator console for a swarm of coding agents.
//!
//! See CLAUDE.md in the repository for the module map and conventions.

// The system calls that need it live in `sys`, which alone allows it.
#![deny(unsafe_code)]

pub mod cli;
pub mod config;
pub mod domain;
pub mod engine;
pub mod http;
pub mod intake;
pub mod logging;
pub mod merge;
pub mod redact;
pub mod review;
pub mod runtime;
pub mod store;
pub mod swarm;
pub mod sys;
pub mod tui;
pub mod watchdog;
