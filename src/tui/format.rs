//! Small text helpers shared by panes and pages: times, token counts,
//! ages, fixed-width cells, short commit ids.

use crate::domain::Millis;

/// A virtual clock time to the minute, `14:05`; `—` when out of range.
pub fn clock_hm(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.format("%H:%M").to_string())
        .unwrap_or_else(|| "—".into())
}

/// A virtual clock time to the second, `14:05:09`; empty when out of range.
pub fn clock_hms(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `1.2M`, `34.5k`, `812`.
pub fn tokens(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else if n >= 10_000 {
        format!("{:.1}k", n as f64 / 1e3)
    } else {
        n.to_string()
    }
}

/// `1h05m`, `12m`, `40s` from milliseconds.
pub fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// `s` padded or cut (with `…`) to exactly `w` characters.
pub fn cell(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        format!("{s:<w$}")
    } else if w == 0 {
        String::new()
    } else {
        let mut c: String = s.chars().take(w - 1).collect();
        c.push('…');
        c
    }
}

/// A branch the queue lands on, as the console names it: a team's
/// integration branch `shiftboss/team/<name>` is `team/<name>`.
pub fn short_branch(b: &str) -> &str {
    b.strip_prefix("shiftboss/").unwrap_or(b)
}

/// The first 8 characters of a commit id.
pub fn short_commit(c: &str) -> &str {
    &c[..c.len().min(8)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_clocks_say_which_precision_they_give() {
        let at = 14 * 3_600_000 + 5 * 60_000 + 9_000;
        assert_eq!(clock_hm(at), "14:05");
        assert_eq!(clock_hms(at), "14:05:09");
        assert_eq!(clock_hm(i64::MAX), "—");
    }

    #[test]
    fn cells_are_exactly_their_width() {
        assert_eq!(cell("abc", 5), "abc  ");
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abc", 0), "");
        assert_eq!(short_commit("0123456789ab"), "01234567");
    }
}
