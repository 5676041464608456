//! The one-line error for bad input, and the machinery that finds its line.
//!
//! Every problem with a config, scenario or task file becomes a
//! [`ConfigError`] whose `Display` is a single line:
//!
//! ```text
//! .shiftboss/config.toml:14: watchdog.stall_after: expected a duration such as "10m" or "90s", found "soon"
//! ```
//!
//! Parsing goes through [`Source`]: it keeps the spanned TOML document so that
//! both serde errors (path from `serde_path_to_error`) and semantic errors
//! found after parsing (a path we build ourselves) can be pointed at a line.

use serde::de::DeserializeOwned;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::DeValue;

/// A bad config, scenario or task file, reported as one line:
/// `FILE:LINE: KEY: MESSAGE` (line and key left out when unknown).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// The key path, e.g. `convoy[2].task[0].after`, when there is one.
    pub key: Option<String>,
    /// What was wrong and what was expected. Never contains a newline.
    pub message: String,
}

impl ConfigError {
    pub fn new(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            key,
            message: one_line(&message.into()),
        }
    }

    /// An error about the file as a whole (cannot be read, not UTF-8).
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::new(file, None, None, message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The most bytes read from any file a user names (config, scenario,
/// backlog, theme, keys, task spec).
pub const USER_FILE_MAX: u64 = 4 << 20;

/// Read at most `max` bytes of a file; more is an error (an endless device
/// such as /dev/zero is never read to its end).
pub fn read_bounded(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "the file is larger than {} MiB",
            max >> 20
        )));
    }
    Ok(bytes)
}

/// Read a file a user names as UTF-8 text (at most [`USER_FILE_MAX`]
/// bytes), with the error as a [`ConfigError`] naming the line of the first
/// byte that is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = read_bounded(path, USER_FILE_MAX)
        .map_err(|e| ConfigError::file(path, format!("cannot read the file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let line = text.matches('\n').count() + 1;
        ConfigError::new(path, Some(line), None, "the file is not UTF-8 text")
    })
}

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A key path segment.
pub(crate) fn k(key: &str) -> Seg {
    Seg::Key(key.to_string())
}

/// An array index path segment.
pub(crate) fn i(index: usize) -> Seg {
    Seg::Index(index)
}

/// `convoy[2].task[0].after`; keys that are not bare TOML keys are quoted.
pub(crate) fn path_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(n) => out.push_str(&format!("[{n}]")),
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if bare {
                    out.push_str(key);
                } else {
                    out.push_str(&format!("{key:?}"));
                }
            }
        }
    }
    out
}

/// A problem found after parsing: where (a key path to show), where to look
/// for the line (usually the same path, sometimes an array element below it),
/// and what.
#[derive(Clone, Debug)]
pub(crate) struct Invalid {
    pub key: Vec<Seg>,
    pub at: Vec<Seg>,
    pub message: String,
}

impl Invalid {
    pub fn new(key: Vec<Seg>, message: impl Into<String>) -> Self {
        Self {
            at: key.clone(),
            key,
            message: message.into(),
        }
    }

    /// Point the line at `at` (e.g. the offending element of an array) while
    /// the message still names `key`.
    pub fn at(mut self, at: Vec<Seg>) -> Self {
        self.at = at;
        self
    }
}

/// A file's text, its name, and its parsed (spanned) TOML document.
pub(crate) struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    root: DeValue<'a>,
}

impl<'a> Source<'a> {
    /// Parse the TOML syntax; a syntax error is reported at its line.
    pub fn new(text: &'a str, path: &'a Path) -> Result<Self, ConfigError> {
        match toml::de::DeTable::parse(text) {
            Ok(doc) => Ok(Self {
                path,
                text,
                root: DeValue::Table(doc.into_inner()),
            }),
            Err(e) => {
                let line = e.span().map(|s| line_of(text, s.start));
                let mut message = format!("invalid TOML: {}", e.message().trim());
                // Name the key a duplicate-key error is about.
                if message.ends_with("duplicate key")
                    && let Some(key) = e
                        .span()
                        .and_then(|s| text.get(s))
                        .filter(|k| !k.is_empty() && k.len() <= 80 && !k.contains('\n'))
                {
                    message.push_str(&format!(" `{key}`"));
                }
                Err(ConfigError::new(path, line, None, message))
            }
        }
    }

    /// Deserialize the whole document into `T`, with the key path of any
    /// error and a line.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let de = toml::Deserializer::parse(self.text).map_err(|e| {
            // Unreachable in practice: `new` already parsed the same text.
            let line = e.span().map(|s| line_of(self.text, s.start));
            ConfigError::new(self.path, line, None, e.message().trim().to_string())
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path: Vec<Seg> = e
                .path()
                .iter()
                .filter_map(|s| match s {
                    serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                    serde_path_to_error::Segment::Enum { variant } => {
                        Some(Seg::Key(variant.clone()))
                    }
                    serde_path_to_error::Segment::Unknown => None,
                })
                .collect();
            let inner = e.inner();
            let line = inner
                .span()
                .map(|s| line_of(self.text, s.start))
                .or_else(|| self.line_of_path(&path));
            let key = (!path.is_empty()).then(|| path_string(&path));
            let mut message = humanize(inner.message());
            // serde sees a TOML date-time as a table; say what the file says.
            if let Some(m) = message.strip_suffix("found a table")
                && matches!(self.value_at(&path), Some(DeValue::Datetime(_)))
            {
                message = format!("{m}found a date-time");
            }
            ConfigError::new(self.path, line, key, message)
        })
    }

    /// The error for a problem found after parsing.
    pub fn invalid(&self, inv: Invalid) -> ConfigError {
        let line = self
            .line_of_path(&inv.at)
            .or_else(|| self.line_of_path(&inv.key));
        let key = (!inv.key.is_empty()).then(|| path_string(&inv.key));
        ConfigError::new(self.path, line, key, inv.message)
    }

    /// The line of the deepest value along `path` that exists in the file.
    pub fn line_of_path(&self, path: &[Seg]) -> Option<usize> {
        self.span_of(path).map(|s| line_of(self.text, s.start))
    }

    fn value_at(&self, path: &[Seg]) -> Option<&DeValue<'a>> {
        let mut cur = &self.root;
        for seg in path {
            cur = match seg {
                Seg::Key(key) => cur.get(key.as_str()),
                Seg::Index(n) => cur.get(*n),
            }?
            .get_ref();
        }
        Some(cur)
    }

    fn lookup(&self, path: &[Seg]) -> Option<Range<usize>> {
        let mut cur = &self.root;
        let mut span = None;
        for seg in path {
            let next = match seg {
                Seg::Key(key) => cur.get(key.as_str()),
                Seg::Index(n) => cur.get(*n),
            }?;
            span = Some(next.span());
            cur = next.get_ref();
        }
        span
    }

    fn span_of(&self, path: &[Seg]) -> Option<Range<usize>> {
        (0..=path.len()).rev().find_map(|n| {
            if n == 0 {
                None
            } else {
                self.lookup(&path[..n])
            }
        })
    }
}

/// The 1-based line holding byte `offset` of `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn one_line(s: &str) -> String {
    let parts: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    parts.join("; ")
}

/// Turn serde's wording into the console's: "expected X, found Y", TOML's
/// names for types, and the allowed keys for an unknown one.
pub(crate) fn humanize(msg: &str) -> String {
    let msg = msg.trim();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            return format!(
                "expected {}, found {}",
                expected_name(expected),
                found_name(found)
            );
        }
    }
    if let Some(rest) = msg.strip_prefix("invalid length ")
        && let Some((n, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {}, found {n} elements", expected_name(expected));
    }
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (name, allowed) = split_name_and_list(rest);
        return match allowed {
            Some(list) => format!("unknown key \"{name}\" (allowed: {list})"),
            None => format!("unknown key \"{name}\" (no keys are allowed here)"),
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (name, allowed) = split_name_and_list(rest);
        return match allowed {
            Some(list) => format!("expected one of {list}, found \"{name}\""),
            None => format!("unexpected \"{name}\""),
        };
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return format!("missing required key \"{}\"", rest.trim_matches('`'));
    }
    one_line(msg)
}

/// "`foo`, expected one of `a`, `b`" → ("foo", Some("a, b")).
fn split_name_and_list(rest: &str) -> (String, Option<String>) {
    let (name, tail) = match rest.split_once(", ") {
        Some((n, t)) => (n, t),
        None => (rest, ""),
    };
    let name = name.trim_matches('`').to_string();
    let list = tail
        .strip_prefix("expected one of ")
        .or_else(|| tail.strip_prefix("expected "))
        .filter(|l| !l.is_empty())
        .map(|l| l.replace('`', ""));
    (name, list)
}

fn expected_name(expected: &str) -> String {
    let e = expected.trim();
    match e {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer".into(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        "a boolean" | "bool" => "true or false".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ => e.to_string(),
    }
}

fn found_name(found: &str) -> String {
    let f = found.trim();
    if let Some(s) = f.strip_prefix("string ") {
        return s.to_string();
    }
    for (prefix, name) in [
        ("integer ", ""),
        ("floating point ", ""),
        ("boolean ", ""),
        ("character ", ""),
    ] {
        if let Some(v) = f.strip_prefix(prefix) {
            return format!("{name}{}", v.trim_matches('`'));
        }
    }
    match f {
        "sequence" => "an array".into(),
        "map" => "a table".into(),
        "unit value" => "nothing".into(),
        _ => f.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line() {
        let e = ConfigError::new(
            ".shiftboss/config.toml",
            Some(14),
            Some("watchdog.stall_after".into()),
            "expected a duration\nsuch as \"10m\"",
        );
        assert_eq!(
            e.to_string(),
            ".shiftboss/config.toml:14: watchdog.stall_after: expected a duration; such as \"10m\""
        );
        let e = ConfigError::file("x.toml", "cannot read the file: gone");
        assert_eq!(e.to_string(), "x.toml: cannot read the file: gone");
    }

    #[test]
    fn serde_wording_is_humanized() {
        assert_eq!(
            humanize("invalid type: string \"x\", expected u32"),
            "expected a non-negative integer, found \"x\""
        );
        assert_eq!(
            humanize("invalid type: integer `3`, expected a string"),
            "expected a string, found 3"
        );
        assert_eq!(
            humanize("unknown field `agentz`, expected one of `agents`, `max_live`"),
            "unknown key \"agentz\" (allowed: agents, max_live)"
        );
        assert_eq!(
            humanize("unknown field `x`, there are no fields"),
            "unknown key \"x\" (no keys are allowed here)"
        );
        assert_eq!(
            humanize("unknown variant `foo`, expected one of `sim`, `claude`"),
            "expected one of sim, claude, found \"foo\""
        );
        assert_eq!(
            humanize("missing field `title`"),
            "missing required key \"title\""
        );
    }

    #[test]
    fn paths_print_like_toml() {
        let p = vec![k("convoy"), i(2), k("task"), i(0), k("after")];
        assert_eq!(path_string(&p), "convoy[2].task[0].after");
        assert_eq!(path_string(&[k("prices"), k("a.b")]), "prices.\"a.b\"");
    }
}
