//! Themes name meanings, not colours: panes ask for `impact_critical` or
//! `status_merged`, never for red. Built-in themes are compiled in; a user
//! file patches any subset of one. `NO_COLOR` turns colour off.

use crate::config::{ConfigError, Source};
use crate::domain::{Impact, TaskStatus};
use ratatui::style::{Color, Modifier, Style};
use serde::{Deserialize, Deserializer};
use std::path::Path;
use std::str::FromStr;

/// Built-in themes: (name, file, text).
const BUILTIN: [(&str, &str, &str); 3] = [
    (
        "dark",
        "themes/dark.toml",
        include_str!("../../themes/dark.toml"),
    ),
    (
        "light",
        "themes/light.toml",
        include_str!("../../themes/light.toml"),
    ),
    (
        "high-contrast",
        "themes/high-contrast.toml",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// A colour as a theme file writes it: a name (`red`, `lightblue`), `#rrggbb`,
/// or a 256-colour index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour(pub Color);

impl<'de> Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Colour, D::Error> {
        let s = String::deserialize(d)?;
        Color::from_str(s.trim()).map(Colour).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected a colour such as \"red\", \"#1e90ff\" or \"238\", found {s:?}"
            ))
        })
    }
}

macro_rules! theme_fields {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Every colour a pane may ask for, by what it means.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Palette {
            $($(#[$doc])* pub $name: Color,)*
        }

        /// A theme file: any subset of the palette.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PaletteFile {
            $(#[serde(default)] $name: Option<Colour>,)*
        }

        impl PaletteFile {
            fn patch(self, p: &mut Palette) {
                $(if let Some(c) = self.$name { p.$name = c.0; })*
            }

            fn complete(self) -> Option<Palette> {
                Some(Palette { $($name: self.$name?.0,)* })
            }
        }

        /// The keys a theme file may set.
        pub const THEME_KEYS: &[&str] = &[$(stringify!($name)),*];
    };
}

theme_fields! {
    /// Ordinary text.
    text,
    /// Secondary text: ids, ages, hints.
    text_dim,
    /// The screen's background.
    background,
    border,
    border_focused,
    title,
    title_focused,
    /// The header line's background.
    header,
    selection_bg,
    selection_fg,
    /// Marked rows (space).
    marked,
    /// Agents with nothing wrong.
    tier_healthy,
    /// T1: a mechanical check fired.
    tier_t1,
    /// T2: in triage.
    tier_t2,
    /// T3: waiting on the human.
    tier_t3,
    impact_low,
    impact_medium,
    impact_high,
    impact_critical,
    /// Dollar figures.
    money,
    /// Spend past the warning share of a budget.
    burn_warning,
    /// Spend at or past a hard limit.
    burn_danger,
    status_pending,
    status_in_progress,
    status_gating,
    status_queued,
    status_merged,
    status_failed,
    status_blocked,
    /// Pause points waiting for the operator.
    pause,
    /// Key names in the footer and the help.
    key,
    /// Errors and refusals.
    error,
    /// Things that went right.
    ok,
}

/// A theme file: the built-in one it patches (user files only) and colours.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    colors: PaletteFile,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub palette: Palette,
    /// No colour at all (NO_COLOR): emphasis by modifiers only.
    pub monochrome: bool,
}

impl Theme {
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _, _)| *n).collect()
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, path, text) = BUILTIN.iter().find(|(n, _, _)| *n == name)?;
        let file: ThemeFile = Source::new(text, Path::new(path))
            .and_then(|s| s.deserialize())
            .unwrap_or_else(|e| panic!("built-in theme is broken: {e}"));
        let palette = file
            .colors
            .complete()
            .unwrap_or_else(|| panic!("built-in theme {name} misses a key"));
        Some(Theme {
            name: name.to_string(),
            palette,
            monochrome: false,
        })
    }

    /// A theme by name (built in) or by path (a user file patching the dark
    /// theme, or the built-in its `base` names).
    pub fn load(name_or_path: &str) -> Result<Theme, ConfigError> {
        if let Some(t) = Theme::builtin(name_or_path) {
            return Ok(t);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(ConfigError::file(
                path,
                format!(
                    "no such theme: expected one of {} or a theme file",
                    Theme::builtin_names().join(", ")
                ),
            ));
        }
        let text = crate::config::read_text(path)?;
        Theme::parse_patch(&text, path)
    }

    /// Parse a user theme file: `base = "light"` (optional, default dark)
    /// and any palette keys.
    pub fn parse_patch(text: &str, path: &Path) -> Result<Theme, ConfigError> {
        let src = Source::new(text, path)?;
        let user: ThemeFile = src.deserialize()?;
        let base = user.base.as_deref().unwrap_or("dark");
        let mut theme = Theme::builtin(base).ok_or_else(|| {
            ConfigError::new(
                path,
                src.line_of_path(&[crate::config::error_key("base")]),
                Some("base".into()),
                format!(
                    "expected one of {}, found {base:?}",
                    Theme::builtin_names().join(", ")
                ),
            )
        })?;
        user.colors.patch(&mut theme.palette);
        theme.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| base.to_string());
        Ok(theme)
    }

    /// Honour `NO_COLOR` (any non-empty value).
    pub fn with_no_color(mut self, no_color: bool) -> Theme {
        self.monochrome = no_color;
        self
    }

    fn fg(&self, c: Color) -> Style {
        if self.monochrome {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    pub fn text(&self) -> Style {
        self.fg(self.palette.text)
    }

    pub fn dim(&self) -> Style {
        if self.monochrome {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            self.fg(self.palette.text_dim)
        }
    }

    pub fn base(&self) -> Style {
        if self.monochrome {
            Style::default()
        } else {
            Style::default()
                .fg(self.palette.text)
                .bg(self.palette.background)
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(self.palette.border_focused)
                .add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.palette.border)
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        if focused {
            self.fg(self.palette.title_focused)
                .add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.palette.title)
        }
    }

    pub fn header(&self) -> Style {
        if self.monochrome {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .fg(self.palette.text)
                .bg(self.palette.header)
        }
    }

    pub fn selected(&self) -> Style {
        if self.monochrome {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .fg(self.palette.selection_fg)
                .bg(self.palette.selection_bg)
        }
    }

    pub fn marked(&self) -> Style {
        self.fg(self.palette.marked).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(self.palette.key).add_modifier(Modifier::BOLD)
    }

    pub fn money(&self) -> Style {
        self.fg(self.palette.money)
    }

    pub fn burn(&self, share: f64) -> Style {
        if share >= 1.0 {
            self.fg(self.palette.burn_danger)
                .add_modifier(Modifier::BOLD)
        } else if share >= 0.8 {
            self.fg(self.palette.burn_warning)
        } else {
            self.money()
        }
    }

    pub fn pause(&self) -> Style {
        self.fg(self.palette.pause).add_modifier(Modifier::BOLD)
    }

    pub fn error(&self) -> Style {
        self.fg(self.palette.error).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(self.palette.ok)
    }

    /// 0 healthy, 1 T1, 2 T2, 3 T3.
    pub fn tier(&self, tier: u8) -> Style {
        let p = &self.palette;
        match tier {
            0 => self.fg(p.tier_healthy),
            1 => self.fg(p.tier_t1),
            2 => self.fg(p.tier_t2),
            _ => self.fg(p.tier_t3).add_modifier(Modifier::BOLD),
        }
    }

    pub fn impact(&self, i: Impact) -> Style {
        let p = &self.palette;
        match i {
            Impact::Low => self.fg(p.impact_low),
            Impact::Medium => self.fg(p.impact_medium),
            Impact::High => self.fg(p.impact_high).add_modifier(Modifier::BOLD),
            Impact::Critical => self.fg(p.impact_critical).add_modifier(Modifier::BOLD),
        }
    }

    pub fn status(&self, s: TaskStatus) -> Style {
        let p = &self.palette;
        self.fg(match s {
            TaskStatus::Pending => p.status_pending,
            TaskStatus::InProgress => p.status_in_progress,
            TaskStatus::Gating => p.status_gating,
            TaskStatus::Queued => p.status_queued,
            TaskStatus::Merged => p.status_merged,
            TaskStatus::Failed => p.status_failed,
            TaskStatus::Blocked => p.status_blocked,
        })
    }

    /// The colour behind a status, for bars.
    pub fn status_color(&self, s: TaskStatus) -> Color {
        if self.monochrome {
            return Color::Reset;
        }
        let p = &self.palette;
        match s {
            TaskStatus::Pending => p.status_pending,
            TaskStatus::InProgress => p.status_in_progress,
            TaskStatus::Gating => p.status_gating,
            TaskStatus::Queued => p.status_queued,
            TaskStatus::Merged => p.status_merged,
            TaskStatus::Failed => p.status_failed,
            TaskStatus::Blocked => p.status_blocked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_sets_every_meaning() {
        for name in Theme::builtin_names() {
            let t = Theme::builtin(name).unwrap();
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn a_user_file_patches_a_subset() {
        let t = Theme::parse_patch(
            "base = \"light\"\n[colors]\nmoney = \"#00ff00\"\n",
            Path::new("mine.toml"),
        )
        .unwrap();
        let light = Theme::builtin("light").unwrap();
        assert_eq!(t.palette.money, Color::Rgb(0, 255, 0));
        assert_eq!(t.palette.text, light.palette.text);
    }

    #[test]
    fn bad_colours_and_unknown_keys_are_one_line_errors() {
        let e = Theme::parse_patch(
            "[colors]\ntext = \"red\"\nmoney = \"gold-ish\"\n",
            Path::new("t.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("t.toml:3: colors.money: expected a colour"),
            "{e}"
        );
        let e = Theme::parse_patch("[colors]\nmoneyy = \"red\"\n", Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.toml:2: colors"), "{e}");
        assert!(e.contains("moneyy"), "{e}");
        let e = Theme::parse_patch("base = \"sepia\"\n", Path::new("t.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.toml:1: base: expected one of dark"), "{e}");
    }

    #[test]
    fn no_color_drops_every_colour() {
        let t = Theme::builtin("dark").unwrap().with_no_color(true);
        assert_eq!(t.impact(Impact::Critical).fg, None);
        assert_eq!(t.status(TaskStatus::Merged).fg, None);
    }
}
