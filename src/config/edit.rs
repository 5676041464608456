//! Changing one setting of the config file in place: the rest of the file,
//! its comments and layout, kept (`toml_edit`), and the file replaced whole
//! through a temporary file renamed over it, so a reader never sees half.

use std::io::Write;
use std::path::Path;

/// A value as the file writes it: a whole number bare, anything else quoted.
fn item(value: &str) -> toml_edit::Item {
    match value.trim().parse::<i64>() {
        Ok(n) => toml_edit::value(n),
        Err(_) => toml_edit::value(value.trim()),
    }
}

/// Set `[table] key = value` in the file at `path`, keeping its comments;
/// the value is checked by loading the result as a config first.
pub fn set(path: &Path, table: &str, key: &str, value: &str) -> Result<(), String> {
    let where_ = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{where_}: {e}"))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| format!("{where_}: {}", e.message()))?;
    let t = doc
        .entry(table)
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or_else(|| format!("{where_}: [{table}] is not a table"))?;
    let mut new = item(value);
    // The comment after the old value stays after the new one.
    if let (Some(old), Some(v)) = (t.get(key).and_then(|i| i.as_value()), new.as_value_mut()) {
        *v.decor_mut() = old.decor().clone();
    }
    // In place: the key and the comments above it stay.
    match t.get_mut(key) {
        Some(old) => *old = new,
        None => {
            t.insert(key, new);
        }
    }
    let out = doc.to_string();
    super::Config::parse(&out, path).map_err(|e| e.to_string())?;
    write_atomic(path, &out).map_err(|e| format!("{where_}: {e}"))
}

/// Write a file whole or not at all: a temporary file beside it, synced,
/// then renamed over it.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_changes_in_place_and_the_comments_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let template = crate::config::Config::template();
        std::fs::write(&path, &template).unwrap();
        set(&path, "watchdog", "stall_after", "15m").unwrap();
        set(&path, "watchdog", "loop_repeats", "30").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("stall_after = \"15m\""), "{text}");
        assert!(text.contains("loop_repeats = 30"), "{text}");
        // Every comment of the template is still there, in order.
        let comments = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .map(String::from)
                .collect()
        };
        assert_eq!(comments(&text), comments(&template));
        // Only those two lines changed.
        let changed = template
            .lines()
            .zip(text.lines())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(changed, 2);
        let c = crate::config::Config::load(&path).unwrap();
        assert_eq!(c.watchdog.stall_after.0, 15 * 60_000);
        assert_eq!(c.watchdog.loop_repeats, 30);
    }

    #[test]
    fn a_bad_value_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let template = crate::config::Config::template();
        std::fs::write(&path, &template).unwrap();
        let e = set(&path, "watchdog", "stall_after", "soon").unwrap_err();
        assert!(e.contains("watchdog.stall_after"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), template);
        assert!(!dir.path().join(".config.toml.tmp").exists());
    }
}
