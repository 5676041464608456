//! One owner, many consoles: the owner serves a Unix socket in
//! `.shiftboss/run/` (`serve.rs`), consoles attach to it (`client.rs`), and
//! both speak a versioned protocol of length-prefixed JSON frames
//! (`wire.rs`): snapshots out, commands in.

pub mod client;
pub mod serve;
pub mod wire;

pub use client::{AttachError, Connection, connect};
pub use serve::{Hub, socket_path};
