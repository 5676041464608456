//! The attach protocol between a swarm's owner and the consoles attached to
//! it, over the owner's Unix socket: frames of a 4-byte big-endian length
//! and a JSON message. The console speaks first, a hello with the protocol
//! it speaks; the owner answers with a welcome or a refusal, then sends a
//! snapshot whenever the swarm changed and a notice when a command was
//! refused. The hello and the welcome keep their shape across versions, so
//! that a mismatch is always refused with a clear line.

use crate::engine::Command;
use crate::swarm::Snapshot;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The protocol this shiftboss speaks; bumped when a message changes shape.
pub const PROTOCOL: u32 = 1;

/// The largest frame either side accepts (a snapshot of a large swarm is a
/// few MiB).
pub const MAX_FRAME: usize = 64 << 20;

/// What a console sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToOwner {
    /// Always the first message.
    Hello { protocol: u32, readonly: bool },
    /// An operator command (refused on a read-only connection).
    Command(Box<Command>),
    /// Stop the swarm, as the owner's own console would on quit (confirmed
    /// by the operator first; refused on a read-only connection).
    Stop,
}

/// What the owner sends.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ToConsole {
    /// The answer to a good hello.
    Welcome { protocol: u32, pid: u32 },
    /// The hello was refused (another protocol); the owner closes.
    Refused(String),
    /// The swarm as it is now.
    Snapshot(Box<Snapshot>),
    /// A command was refused, with the reason.
    Notice(String),
}

/// A frame: the length, then the message as JSON.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let body = serde_json::to_vec(msg).expect("messages serialize");
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame
}

/// A snapshot's frame, made without a copy of it (the same bytes as
/// `encode(&ToConsole::Snapshot(..))`).
pub fn encode_snapshot(snap: &Snapshot) -> Vec<u8> {
    #[derive(Serialize)]
    enum Out<'a> {
        Snapshot(&'a Snapshot),
    }
    encode(&Out::Snapshot(snap))
}

/// A frame's length from its header, refused past [`MAX_FRAME`].
pub fn frame_len(header: [u8; 4]) -> std::io::Result<usize> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes (at most {MAX_FRAME})"),
        ));
    }
    Ok(len)
}

/// A message from a frame's body.
pub fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> std::io::Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Write one message (blocking).
pub fn write<T: Serialize>(w: &mut impl Write, msg: &T) -> std::io::Result<()> {
    w.write_all(&encode(msg))?;
    w.flush()
}

/// Read one message (blocking); `None` when the other side closed.
pub fn read<T: for<'de> Deserialize<'de>>(r: &mut impl Read) -> std::io::Result<Option<T>> {
    let mut header = [0u8; 4];
    match r.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut body = vec![0u8; frame_len(header)?];
    r.read_exact(&mut body)?;
    decode(&body).map(Some)
}

/// Why the owner refuses a hello, if it does.
pub fn check_hello(msg: &ToOwner) -> Result<bool, String> {
    match msg {
        ToOwner::Hello { protocol, readonly } if *protocol == PROTOCOL => Ok(*readonly),
        ToOwner::Hello { protocol, .. } => Err(format!(
            "this console speaks attach protocol {protocol} and the swarm's owner speaks {PROTOCOL}: \
             attach with the same shiftboss version as the owner's"
        )),
        _ => Err("a console's first message must be its hello".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_reads_back_and_a_closed_stream_is_none() {
        let msg = ToOwner::Command(Box::new(Command::ApproveAll));
        let mut bytes = encode(&msg);
        bytes.extend(encode(&ToOwner::Stop));
        let mut r = &bytes[..];
        assert_eq!(read::<ToOwner>(&mut r).unwrap(), Some(msg));
        assert_eq!(read::<ToOwner>(&mut r).unwrap(), Some(ToOwner::Stop));
        assert_eq!(read::<ToOwner>(&mut r).unwrap(), None);
    }

    #[test]
    fn an_oversized_frame_is_refused_before_it_is_read() {
        let header = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert!(frame_len(header).is_err());
    }

    #[test]
    fn another_protocol_is_refused_in_one_line() {
        let hello = |protocol| ToOwner::Hello {
            protocol,
            readonly: true,
        };
        assert_eq!(check_hello(&hello(PROTOCOL)), Ok(true));
        let why = check_hello(&hello(PROTOCOL + 1)).unwrap_err();
        assert!(why.contains(&format!("protocol {}", PROTOCOL + 1)), "{why}");
        assert!(!why.contains('\n'));
        assert!(check_hello(&ToOwner::Stop).is_err());
    }

    #[test]
    fn a_snapshot_crosses_the_wire() {
        let snap = Snapshot {
            speed: "60x".into(),
            events_total: 7,
            ..Snapshot::default()
        };
        let bytes = encode_snapshot(&snap);
        assert_eq!(bytes, encode(&ToConsole::Snapshot(Box::new(snap.clone()))));
        match read::<ToConsole>(&mut &bytes[..]).unwrap() {
            Some(ToConsole::Snapshot(s)) => {
                assert_eq!((s.speed.as_str(), s.events_total), ("60x", 7));
            }
            other => panic!("{other:?}"),
        }
    }
}
