//! The console's hold on its terminal: the size read by ioctl only (the last
//! good size kept when it cannot be read, never a process spawned to ask), and
//! a watch that tells the console when the terminal is gone (hung up, closed)
//! so it ends instead of spinning on a dead input.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::cell::Cell as Shared;
use std::io::{self, Write};

/// The size of the terminal on standard output (or, failing that, on
/// standard input), by ioctl only.
pub fn ioctl_size() -> Option<Size> {
    crate::sys::terminal_size().map(|(cols, rows)| Size::new(cols, rows))
}

/// Watch the console's terminal on a thread of its own and call `gone` once
/// it hangs up or reports an error. The thread sleeps in `poll`, so it costs
/// nothing while the terminal lives. Without a terminal, nothing is watched.
pub fn watch_hangup(gone: impl FnOnce() + Send + 'static) {
    let Some(fd) = crate::sys::tty() else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("shiftboss-tty".into())
        .spawn(move || {
            crate::sys::wait_hangup(fd);
            gone();
        });
}

/// crossterm's backend, except that its size comes from [`ioctl_size`] and,
/// when that fails (the terminal is gone), is the last size that was read.
pub struct Sized<W: Write> {
    inner: CrosstermBackend<W>,
    last: Shared<Size>,
}

impl<W: Write> Sized<W> {
    pub fn new(writer: W) -> Self {
        Sized {
            inner: CrosstermBackend::new(writer),
            last: Shared::new(ioctl_size().unwrap_or(Size::new(80, 24))),
        }
    }
}

impl<W: Write> Backend for Sized<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        if let Some(s) = ioctl_size() {
            self.last.set(s);
        }
        Ok(self.last.get())
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size()?,
            pixels: Size::new(0, 0),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_terminal_the_last_good_size_stays() {
        // Tests run without a terminal on stdout/stdin (or with one: then the
        // size read is that terminal's). Either way a size comes back and no
        // process is asked.
        let b = Sized::new(Vec::<u8>::new());
        let first = b.size().unwrap();
        assert!(first.width > 0 && first.height > 0);
        if ioctl_size().is_none() {
            b.last.set(Size::new(133, 41));
            assert_eq!(b.size().unwrap(), Size::new(133, 41));
        }
    }
}
