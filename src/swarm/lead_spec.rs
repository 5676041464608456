//! A lead's `::task` line names a spec file it wrote first in its own folder
//! (`.shiftboss/agents/<agent>/`, `$SHIFTBOSS_AGENT_DIR`): the runner reads
//! it — a regular file inside that folder, at most 64 KiB of UTF-8, secrets
//! redacted — and hands the engine the task with its spec. What cannot be
//! read goes to the engine as the reason, and the line is refused there.

use crate::domain::protocol::{self, SPEC_MAX, Signal, spec_file_problem};
use crate::runtime::adapter::Output;
use crate::runtime::process;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `emit`, with `::task` lines that name a spec turned into the signal with
/// the spec's text read from `dir`.
pub(super) fn with_specs(emit: process::Emit, dir: PathBuf, secrets: Vec<String>) -> process::Emit {
    Arc::new(move |output| match output {
        Output::Line { line } => match protocol::parse(&line) {
            Some(Ok(Signal::Task(mut t))) if t.spec_file.is_some() => {
                let file = t.spec_file.clone().unwrap_or_default();
                let text = read_spec(&dir, &file).map(|s| process::redact(&s, &secrets));
                t.spec = Some(text);
                emit(Output::Signal {
                    signal: Signal::Task(t),
                })
            }
            _ => emit(Output::Line { line }),
        },
        other => emit(other),
    })
}

/// The text of spec file `name` in `dir`, or why it cannot be read.
pub fn read_spec(dir: &Path, name: &str) -> Result<String, String> {
    if let Some(why) = spec_file_problem(name) {
        return Err(why.into());
    }
    let path = dir.join(name);
    let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.file_type().is_file() {
        return Err("not a regular file (links are not followed)".into());
    }
    let (Ok(real), Ok(home)) = (path.canonicalize(), dir.canonicalize()) else {
        return Err("cannot resolve its path".into());
    };
    if !real.starts_with(&home) {
        return Err("it lies outside the lead's own folder".into());
    }
    if meta.len() > SPEC_MAX {
        return Err(format!("{} bytes, more than {SPEC_MAX}", meta.len()));
    }
    let mut text = String::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(SPEC_MAX).read_to_string(&mut text))
        .map_err(|e| format!("cannot read it as text: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_read_only_from_regular_files_inside_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("lead");
        std::fs::create_dir_all(dir.join("specs")).unwrap();
        std::fs::write(dir.join("specs/a.md"), "do a\n").unwrap();
        std::fs::write(tmp.path().join("outside.md"), "secret").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("outside.md"), dir.join("link.md")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), dir.join("up")).unwrap();
        std::fs::write(dir.join("big.md"), vec![b'x'; SPEC_MAX as usize + 1]).unwrap();
        assert_eq!(read_spec(&dir, "specs/a.md").unwrap(), "do a\n");
        for (name, why) in [
            ("../outside.md", "inside the lead's own folder"),
            ("link.md", "not a regular file"),
            ("up/outside.md", "outside the lead's own folder"),
            ("big.md", "more than"),
            ("missing.md", "cannot read it"),
        ] {
            let e = read_spec(&dir, name).unwrap_err();
            assert!(e.contains(why), "{name}: {e}");
        }
    }

    #[test]
    fn a_task_line_naming_a_spec_reaches_the_engine_with_its_text() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("t.md"), "the spec, token sk-live-123\n").unwrap();
        let got = Arc::new(std::sync::Mutex::new(Vec::new()));
        let g = got.clone();
        let emit: process::Emit = Arc::new(move |o| g.lock().unwrap().push(o));
        let wrapped = with_specs(emit, tmp.path().into(), vec!["sk-live-123".into()]);
        wrapped(Output::Line {
            line: "::task id=t1 spec=t.md::one".into(),
        });
        wrapped(Output::Line {
            line: "plain output".into(),
        });
        let got = got.lock().unwrap();
        let Output::Signal {
            signal: Signal::Task(t),
        } = &got[0]
        else {
            panic!("{:?}", got[0])
        };
        let spec = t.spec.clone().unwrap().unwrap();
        assert!(spec.starts_with("the spec, token "), "{spec}");
        assert!(!spec.contains("sk-live-123"), "secrets never reach the log");
        assert!(matches!(&got[1], Output::Line { .. }));
    }
}
