//! The repository's shared `.git/config`: settings in it that make git run
//! a program (`core.fsmonitor`, `core.hooksPath`, filter drivers, …), which
//! `doctor` reports, and a watch that notices an agent changing it during a
//! session and puts the recorded content back.

use super::Repo;
use std::path::{Path, PathBuf};

/// Does this (lower-case) key make git run a program, look elsewhere for
/// hooks, or pull in another config file (which could do either)?
pub fn runs_a_program(key: &str) -> bool {
    const EXACT: [&str; 12] = [
        "core.fsmonitor",
        "core.hookspath",
        "core.sshcommand",
        "core.gitproxy",
        "core.pager",
        "core.editor",
        "core.askpass",
        "sequence.editor",
        "credential.helper",
        "gpg.program",
        "uploadpack.packobjectshook",
        "include.path",
    ];
    if EXACT.contains(&key) {
        return true;
    }
    let section = key.split('.').next().unwrap_or("");
    let last = key.rsplit('.').next().unwrap_or("");
    let has_sub = key.matches('.').count() >= 2;
    has_sub
        && match section {
            "filter" => matches!(last, "clean" | "smudge" | "process"),
            "diff" => matches!(last, "textconv" | "command"),
            "merge" => last == "driver",
            "gpg" => last == "program",
            "includeif" => last == "path",
            _ => false,
        }
}

/// `key = value` pairs of a git config file's text, keys as git names them
/// (`section.subsection.name`; section and name lower-case). A small reader
/// for naming what changed, not a full parser: continuation lines and
/// includes are read as plain lines.
pub fn entries(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(head) = line.strip_prefix('[') {
            let head = head.split(']').next().unwrap_or("").trim();
            section = match head.split_once(char::is_whitespace) {
                Some((name, sub)) => {
                    format!("{}.{}", name.to_lowercase(), sub.trim().trim_matches('"'))
                }
                None => head.to_lowercase(),
            };
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim().trim_matches('"')),
            None => (line, "true"),
        };
        out.push((
            format!("{section}.{}", key.to_lowercase()),
            value.to_string(),
        ));
    }
    out
}

/// What changed from `before` to `after`, one phrase per key
/// (`core.fsmonitor = x added`, `… changed from a to b`, `… removed`), or
/// "its text changed" when only formatting did.
pub fn changes(before: &str, after: &str) -> Vec<String> {
    let (b, a) = (entries(before), entries(after));
    let mut out = Vec::new();
    for (k, v) in &a {
        match b.iter().find(|(bk, _)| bk == k) {
            None => out.push(format!("{k} = {v} added")),
            Some((_, old)) if old != v => out.push(format!("{k} changed from {old} to {v}")),
            _ => {}
        }
    }
    for (k, v) in &b {
        if !a.iter().any(|(ak, _)| ak == k) {
            out.push(format!("{k} = {v} removed"));
        }
    }
    if out.is_empty() && before != after {
        out.push("its text changed".into());
    }
    out
}

impl Repo {
    /// The repository's shared config file (in the common git directory).
    pub fn config_file(&self) -> PathBuf {
        self.main.commondir().join("config")
    }
}

/// A watch on one config file: armed with its content when a session
/// starts, checked when one ends.
#[derive(Debug, Default)]
pub struct ConfigWatch {
    file: PathBuf,
    recorded: Option<Vec<u8>>,
}

impl ConfigWatch {
    pub fn new(file: &Path) -> ConfigWatch {
        ConfigWatch {
            file: file.to_path_buf(),
            recorded: None,
        }
    }

    /// Record the file's content, unless already recorded.
    pub fn arm(&mut self) {
        if self.recorded.is_none() {
            self.recorded = std::fs::read(&self.file).ok();
        }
    }

    /// Compare with the recorded content; when it changed, write the
    /// recorded content back and return what had changed. `keep_armed`:
    /// other sessions still run, so the record stays for them.
    pub fn check(&mut self, keep_armed: bool) -> Option<Result<Vec<String>, String>> {
        let recorded = if keep_armed {
            self.recorded.clone()?
        } else {
            self.recorded.take()?
        };
        let now = std::fs::read(&self.file).unwrap_or_default();
        if now == recorded {
            return None;
        }
        let what = changes(
            &String::from_utf8_lossy(&recorded),
            &String::from_utf8_lossy(&now),
        );
        // Under git's own lock, as git writes a config: `config.lock`
        // created exclusively, written, renamed over the config. Never a
        // half-written config, and never a put-back that a git writing at
        // the same moment undoes with its rename.
        let mut lock = self.file.clone().into_os_string();
        lock.push(".lock");
        let lock = PathBuf::from(lock);
        let put_back = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
                "{}: held by a git writing the config",
                lock.display()
            )),
            Err(e) => Err(format!("{}: {e}", lock.display())),
            Ok(mut f) => {
                use std::io::Write;
                let wrote = f
                    .write_all(&recorded)
                    .and_then(|()| f.sync_all())
                    .and_then(|()| std::fs::rename(&lock, &self.file));
                wrote.map_err(|e| {
                    let _ = std::fs::remove_file(&lock);
                    format!("{}: {e}", self.file.display())
                })
            }
        };
        Some(match put_back {
            Ok(()) => Ok(what),
            Err(e) => Err(format!("{} ({e})", what.join("; "))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_running_keys() {
        for k in [
            "core.fsmonitor",
            "core.hookspath",
            "filter.lfs.smudge",
            "filter.x.process",
            "diff.pdf.textconv",
            "merge.ours.driver",
            "include.path",
            "includeif.gitdir:/x/.path",
        ] {
            assert!(runs_a_program(k), "{k}");
        }
        for k in ["core.bare", "filter.smudge", "user.name", "diff.renames"] {
            assert!(!runs_a_program(k), "{k}");
        }
    }

    #[test]
    fn changes_name_the_key() {
        let before = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n";
        let after = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = /tmp/x.sh\n[filter \"evil\"]\n\tsmudge = sh -c boom\n";
        assert_eq!(
            changes(before, after),
            [
                "core.fsmonitor = /tmp/x.sh added",
                "filter.evil.smudge = sh -c boom added"
            ]
        );
        assert_eq!(changes(after, before).len(), 2);
        assert_eq!(
            changes(before, &format!("{before}\n")),
            ["its text changed"]
        );
    }

    #[test]
    fn the_watch_puts_the_recorded_content_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, "[core]\n\tbare = false\n").unwrap();
        let mut w = ConfigWatch::new(&file);
        assert!(w.check(false).is_none(), "not armed: nothing to compare");
        w.arm();
        assert!(w.check(true).is_none());
        std::fs::write(&file, "[core]\n\tbare = false\n\thooksPath = /x\n").unwrap();
        let what = w.check(true).unwrap().unwrap();
        assert_eq!(what, ["core.hookspath = /x added"]);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "[core]\n\tbare = false\n"
        );
        // Disarmed after the last session: a later change is not its business.
        assert!(w.check(false).is_none());
        std::fs::write(&file, "[core]\n").unwrap();
        assert!(w.check(false).is_none());
    }

    /// git writes a config through `config.lock` and a rename: a put-back
    /// while that lock is held would be undone by git's rename a moment
    /// later (with the changed content it read). The watch takes the same
    /// lock, and leaves a held one alone.
    #[test]
    fn the_put_back_takes_gits_lock_and_leaves_a_held_one_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        let lock = dir.path().join("config.lock");
        std::fs::write(&file, "[core]\n\tbare = false\n").unwrap();
        let mut w = ConfigWatch::new(&file);
        w.arm();
        std::fs::write(&file, "[core]\n\tbare = false\n\tfsmonitor = /x\n").unwrap();
        std::fs::write(&lock, "[core]\n\tfsmonitor = /x\n\teditor = vi\n").unwrap();
        let why = w.check(true).unwrap().unwrap_err();
        assert!(why.contains("core.fsmonitor = /x added"), "{why}");
        assert!(why.contains("config.lock"), "{why}");
        assert!(
            std::fs::read_to_string(&file)
                .unwrap()
                .contains("fsmonitor"),
            "not written under git's lock"
        );
        assert!(
            std::fs::read_to_string(&lock).unwrap().contains("editor"),
            "git's lock left as it was"
        );
        // Lock released: the next check puts the recorded content back, and
        // leaves no lock behind.
        std::fs::remove_file(&lock).unwrap();
        assert_eq!(
            w.check(false).unwrap().unwrap(),
            ["core.fsmonitor = /x added"]
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "[core]\n\tbare = false\n"
        );
        assert!(!lock.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
