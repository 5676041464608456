//! The `[ui]` section: how the console looks where the command line does
//! not say.
//!
//! ```toml
//! [ui]
//! glyphs = "auto"   # or "unicode", "ascii"
//! ```
//!
//! `--glyphs` wins over the file; `auto` (the default) asks the locale.

use serde::{Deserialize, Serialize};

/// Symbols the console draws: Unicode, ASCII stand-ins, or what the
/// locale says (`LC_ALL`, `LC_CTYPE`, `LANG`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlyphsSetting {
    #[default]
    Auto,
    Unicode,
    Ascii,
}

impl GlyphsSetting {
    pub fn as_str(self) -> &'static str {
        match self {
            GlyphsSetting::Auto => "auto",
            GlyphsSetting::Unicode => "unicode",
            GlyphsSetting::Ascii => "ascii",
        }
    }
}

/// The `[ui]` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ui {
    pub glyphs: GlyphsSetting,
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;
    use std::path::Path;

    #[test]
    fn glyphs_in_the_file_are_read_and_a_bad_value_is_one_line() {
        let c = Config::parse("[ui]\nglyphs = \"ascii\"\n", Path::new("config.toml")).unwrap();
        assert_eq!(c.ui.glyphs, GlyphsSetting::Ascii);
        assert_eq!(
            Config::parse("", Path::new("config.toml"))
                .unwrap()
                .ui
                .glyphs,
            GlyphsSetting::Auto
        );
        let e = Config::parse("[ui]\n\nglyphs = \"fancy\"\n", Path::new("config.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "config.toml:3: ui.glyphs: expected one of auto, unicode, ascii, found \"fancy\""
        );
        let e = Config::parse("[ui]\nglyph = \"ascii\"\n", Path::new("config.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config.toml:2: ui.glyph"), "{e}");
    }
}
