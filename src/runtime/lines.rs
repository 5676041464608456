//! Reading an agent's output as lines, in bounded memory.
//!
//! A line is capped at [`LINE_CAP`] bytes: what comes after the cap is read
//! in chunks and dropped (never buffered), and counted. Invalid UTF-8 and a
//! missing newline at the end never stop the reader.

use std::io::{ErrorKind, Read};

/// The longest line kept, in bytes.
pub const LINE_CAP: usize = 1 << 20;

/// Dropped bytes are reported at least this often while a line goes on.
const DROP_REPORT: u64 = 1 << 20;

/// What the reader hands on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A line without its end (`\n`, `\r\n`), at most the cap.
    Line(String),
    /// Bytes past the cap of an overlong line, dropped since the last report.
    Dropped(u64),
}

fn text(buf: &[u8]) -> String {
    let buf = buf.strip_suffix(b"\r").unwrap_or(buf);
    String::from_utf8_lossy(buf).into_owned()
}

/// Read `r` to its end, calling `f` with each line (capped at `cap` bytes)
/// and with the counts of bytes dropped past the cap.
pub fn read_pieces<R: Read>(mut r: R, cap: usize, mut f: impl FnMut(Piece)) {
    let mut chunk = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    // Past the cap of the current line: dropping until its end.
    let mut skipping = false;
    let mut dropped: u64 = 0;
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut rest = &chunk[..n];
        while !rest.is_empty() {
            let end = rest.iter().position(|b| *b == b'\n');
            let seg = &rest[..end.unwrap_or(rest.len())];
            rest = match end {
                Some(i) => &rest[i + 1..],
                None => &[],
            };
            if skipping {
                dropped += seg.len() as u64;
            } else {
                let room = cap - line.len();
                if seg.len() <= room {
                    line.extend_from_slice(seg);
                } else {
                    line.extend_from_slice(&seg[..room]);
                    f(Piece::Line(text(&line)));
                    line = Vec::new();
                    skipping = true;
                    dropped += (seg.len() - room) as u64;
                }
            }
            if end.is_some() {
                if skipping {
                    skipping = false;
                } else {
                    f(Piece::Line(text(&line)));
                    line.clear();
                    if line.capacity() > 64 * 1024 {
                        line = Vec::new();
                    }
                }
                if dropped > 0 {
                    f(Piece::Dropped(dropped));
                    dropped = 0;
                }
            } else if dropped >= DROP_REPORT {
                f(Piece::Dropped(dropped));
                dropped = 0;
            }
        }
    }
    if !skipping && !line.is_empty() {
        f(Piece::Line(text(&line)));
    }
    if dropped > 0 {
        f(Piece::Dropped(dropped));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], cap: usize) -> Vec<Piece> {
        let mut got = Vec::new();
        read_pieces(input, cap, |p| got.push(p));
        got
    }

    fn line(s: &str) -> Piece {
        Piece::Line(s.to_string())
    }

    #[test]
    fn garbage_bytes_and_a_missing_newline_are_read() {
        assert_eq!(
            read(b"ok\r\n\xff\xfe bad\nlast", LINE_CAP),
            vec![line("ok"), line("\u{fffd}\u{fffd} bad"), line("last")]
        );
    }

    #[test]
    fn an_overlong_line_is_cut_and_the_rest_counted() {
        assert_eq!(
            read(b"abcdefgh\nxy\nabcd", 4),
            vec![line("abcd"), Piece::Dropped(4), line("xy"), line("abcd"),]
        );
        assert_eq!(read(b"abcdef", 4), vec![line("abcd"), Piece::Dropped(2)]);
    }

    /// An endless line (here 64 MiB without a newline) is read in bounded
    /// memory: the kept part is the cap, the rest is reported as dropped
    /// while it streams.
    #[test]
    fn an_endless_line_streams_through() {
        struct Endless(u64);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = (buf.len() as u64).min(self.0) as usize;
                buf[..n].fill(b'a');
                self.0 -= n as u64;
                Ok(n)
            }
        }
        let total = 64u64 << 20;
        let mut kept = 0;
        let mut dropped = 0;
        let mut reports = 0;
        read_pieces(Endless(total), LINE_CAP, |p| match p {
            Piece::Line(l) => kept += l.len() as u64,
            Piece::Dropped(n) => {
                dropped += n;
                reports += 1;
            }
        });
        assert_eq!(kept, LINE_CAP as u64);
        assert_eq!(kept + dropped, total);
        assert!(
            reports >= 60,
            "dropped bytes reported as they stream: {reports}"
        );
    }
}
