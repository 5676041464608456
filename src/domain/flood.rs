//! Output counted per window, for the output-flood check (`watchdog`): an
//! agent printing more lines or bytes in one window than its thresholds
//! allow is flooding, whatever it says.

use super::Millis;

/// What is counted, per window of `flood_window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodLimits {
    /// The window's length (0 = no flood check).
    pub window: Millis,
    /// Lines per window above which the agent floods (0 = no line limit).
    pub lines: u64,
    /// Bytes per window above which the agent floods, dropped bytes of
    /// overlong lines included (0 = no byte limit).
    pub bytes: u64,
}

impl Default for FloodLimits {
    fn default() -> Self {
        FloodLimits {
            window: 10_000,
            lines: 100_000,
            bytes: 64 << 20,
        }
    }
}

/// An agent's output counted in the current window (live only).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputWindow {
    pub start: Millis,
    pub lines: u64,
    pub bytes: u64,
    /// Set once a window went over a limit: what it saw. Cleared when a
    /// new session starts.
    pub flooded: Option<String>,
}

impl OutputWindow {
    /// Count `lines` and `bytes` of output seen at `now`.
    pub fn count(&mut self, limits: &FloodLimits, now: Millis, lines: u64, bytes: u64) {
        if limits.window == 0 {
            return;
        }
        if now.saturating_sub(self.start) >= limits.window {
            self.start = now;
            self.lines = 0;
            self.bytes = 0;
        }
        self.lines = self.lines.saturating_add(lines);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.flooded.is_some() {
            return;
        }
        let secs = limits.window as f64 / 1000.0;
        if limits.lines > 0 && self.lines > limits.lines {
            self.flooded = Some(format!(
                "output flood: more than {} lines in {secs} s (limit {})",
                self.lines, limits.lines
            ));
        } else if limits.bytes > 0 && self.bytes > limits.bytes {
            self.flooded = Some(format!(
                "output flood: more than {} bytes in {secs} s (limit {})",
                self.bytes, limits.bytes
            ));
        }
    }

    /// A new session: nothing counted yet.
    pub fn reset(&mut self, now: Millis) {
        *self = OutputWindow {
            start: now,
            ..OutputWindow::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FloodLimits = FloodLimits {
        window: 1_000,
        lines: 10,
        bytes: 100,
    };

    #[test]
    fn lines_over_the_limit_in_one_window_flood() {
        let mut w = OutputWindow::default();
        for i in 0..10 {
            w.count(&LIMITS, i * 50, 1, 1);
        }
        assert_eq!(w.flooded, None);
        w.count(&LIMITS, 600, 1, 1);
        assert!(w.flooded.as_deref().unwrap().contains("lines"), "{w:?}");
    }

    #[test]
    fn the_same_lines_spread_over_windows_do_not() {
        let mut w = OutputWindow::default();
        for i in 0..100 {
            w.count(&LIMITS, i * 200, 1, 1);
        }
        assert_eq!(w.flooded, None);
    }

    #[test]
    fn bytes_over_the_limit_flood_and_reset_clears() {
        let mut w = OutputWindow::default();
        w.count(&LIMITS, 5, 1, 101);
        assert!(w.flooded.as_deref().unwrap().contains("bytes"));
        w.reset(10);
        assert_eq!(w.flooded, None);
        let off = FloodLimits {
            window: 0,
            ..LIMITS
        };
        w.count(&off, 20, 1_000, 1_000_000);
        assert_eq!(w.flooded, None);
    }
}
