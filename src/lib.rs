//! shiftboss: an operator console for a swarm of coding agents.
//!
//! See DESIGN.md in the repository for the architecture and vocabulary.

pub mod domain;
pub mod store;
