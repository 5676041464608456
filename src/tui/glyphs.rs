//! Glyphs the font may lack: with `--glyphs ascii` or `[ui] glyphs =
//! "ascii"` in the config file (the flag wins), or with `auto`, the default,
//! when `LC_ALL`, `LC_CTYPE` or `LANG` names no UTF-8 locale, every symbol the
//! console draws is replaced by an ASCII stand-in after the frame is drawn,
//! borders included, so no pane needs a second spelling of its text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// How the console draws symbols.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Glyphs {
    #[default]
    Unicode,
    Ascii,
}

impl Glyphs {
    /// `unicode`, `ascii`, or `auto` (from the locale).
    pub fn parse(s: &str) -> Option<Option<Glyphs>> {
        match s {
            "unicode" => Some(Some(Glyphs::Unicode)),
            "ascii" => Some(Some(Glyphs::Ascii)),
            "auto" => Some(None),
            _ => None,
        }
    }

    /// The flag's word when given, else the config file's; `auto` in the
    /// one that decides asks the locale (`var` reads the environment).
    pub fn choose(flag: Option<&str>, file: &str, var: impl Fn(&str) -> Option<String>) -> Glyphs {
        Glyphs::parse(flag.unwrap_or(file))
            .flatten()
            .unwrap_or_else(|| Glyphs::from_locale(var))
    }

    /// What the locale says: the first of `LC_ALL`, `LC_CTYPE`, `LANG` that
    /// is set decides; UTF-8 in it, or none set at all, means Unicode.
    pub fn from_locale(var: impl Fn(&str) -> Option<String>) -> Glyphs {
        let set = ["LC_ALL", "LC_CTYPE", "LANG"]
            .into_iter()
            .find_map(|k| var(k).filter(|v| !v.is_empty()));
        match set {
            None => Glyphs::Unicode,
            Some(v) => {
                let v = v.to_ascii_lowercase();
                if v.contains("utf-8") || v.contains("utf8") {
                    Glyphs::Unicode
                } else {
                    Glyphs::Ascii
                }
            }
        }
    }
}

/// The ASCII stand-in for a symbol, if it needs one.
pub fn ascii(c: char) -> Option<char> {
    Some(match c {
        '·' | '•' => '.',
        '…' => '~',
        '—' | '–' | '─' | '━' | '═' => '-',
        '×' | '✗' => 'x',
        '→' => '>',
        '←' => '<',
        '↑' => '^',
        '↓' => 'v',
        '↻' => '@',
        '●' | '◆' => '*',
        '○' | '◇' => 'o',
        '▶' | '▸' => '>',
        '▌' | '▏' | '│' | '┃' | '║' | '‖' => '|',
        '█' | '▓' => '#',
        '▁' | '▂' | '▃' => '_',
        '▄' | '▅' => '-',
        '▆' | '▇' => '=',
        '▒' | '░' => ':',
        '✓' => 'v',
        '⊘' => '0',
        '⏸' => '=',
        '┌' | '┐' | '└' | '┘' | '╭' | '╮' | '╰' | '╯' | '┏' | '┓' | '┗' | '┛' | '╔' | '╗' | '╚'
        | '╝' | '├' | '┤' | '┬' | '┴' | '┼' => '+',
        c if c.is_ascii() => return None,
        // Anything else (a name, a summary in another script) is left as
        // it is: the font question is about our symbols.
        _ => return None,
    })
}

/// Replace every symbol in `area` of `buf` that needs it.
pub fn to_ascii(buf: &mut Buffer, area: Rect) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            let mut chars = cell.symbol().chars();
            if let (Some(c), None) = (chars.next(), chars.next())
                && let Some(a) = ascii(c)
            {
                cell.set_char(a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_decides_unless_told() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Glyphs::from_locale(env(&[])), Glyphs::Unicode);
        assert_eq!(
            Glyphs::from_locale(env(&[("LANG", "en_US.UTF-8")])),
            Glyphs::Unicode
        );
        assert_eq!(Glyphs::from_locale(env(&[("LANG", "C")])), Glyphs::Ascii);
        assert_eq!(
            Glyphs::from_locale(env(&[("LC_ALL", "POSIX"), ("LANG", "en_US.utf8")])),
            Glyphs::Ascii,
            "LC_ALL wins"
        );
        assert_eq!(Glyphs::parse("auto"), Some(None));
        assert_eq!(Glyphs::parse("ascii"), Some(Some(Glyphs::Ascii)));
        assert_eq!(Glyphs::parse("emoji"), None);
    }

    #[test]
    fn the_flag_wins_over_the_file_and_auto_asks_the_locale() {
        let utf8 = |k: &str| (k == "LANG").then(|| "en_US.UTF-8".to_string());
        let c = |k: &str| (k == "LANG").then(|| "C".to_string());
        // No flag: the file decides.
        assert_eq!(Glyphs::choose(None, "ascii", utf8), Glyphs::Ascii);
        assert_eq!(Glyphs::choose(None, "unicode", c), Glyphs::Unicode);
        assert_eq!(Glyphs::choose(None, "auto", c), Glyphs::Ascii);
        // The flag wins, `auto` included.
        assert_eq!(Glyphs::choose(Some("unicode"), "ascii", c), Glyphs::Unicode);
        assert_eq!(Glyphs::choose(Some("auto"), "ascii", utf8), Glyphs::Unicode);
    }

    #[test]
    fn symbols_become_ascii_and_text_stays() {
        let mut buf = Buffer::with_lines(["⏸ P-0001 · wait… ●○ │ é"]);
        let area = buf.area;
        to_ascii(&mut buf, area);
        assert_eq!(buf, Buffer::with_lines(["= P-0001 . wait~ *o | é"]));
    }
}
