//! The agent programs a config names, found the way `up` runs them: `up`
//! checks every one before anything starts, `doctor` reports each, and
//! `init` picks the first real runtime it finds.

use crate::config::{Config, Runtime};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A relative path with a slash names a program in the repository; a bare
/// name is looked up on PATH.
pub(crate) fn resolve(root: &Path, program: &str) -> String {
    if program.contains('/') && !Path::new(program).is_absolute() {
        root.join(program).display().to_string()
    } else {
        program.to_string()
    }
}

/// One program the swarm would start: its runtime, the config key naming
/// it, and the program as `up` would run it.
pub(crate) struct Program {
    pub runtime: Runtime,
    pub key: &'static str,
    pub program: String,
}

/// Every real runtime the config uses (the swarm's and `agent.by_model`'s),
/// once each, with its program.
pub(crate) fn agent_programs(config: &Config, root: &Path) -> Vec<Program> {
    let mut runtimes = vec![config.swarm.runtime];
    for r in config.agent.by_model.values() {
        if !runtimes.contains(r) {
            runtimes.push(*r);
        }
    }
    runtimes
        .into_iter()
        .filter_map(|runtime| {
            let a = &config.agent;
            let (key, program) = match runtime {
                Runtime::Sim => return None,
                Runtime::Command => ("agent.command", a.command.first()?.as_str()),
                Runtime::Claude => ("agent.claude", a.claude.as_str()),
                Runtime::Codex => ("agent.codex", a.codex.as_str()),
            };
            Some(Program {
                runtime,
                key,
                program: resolve(root, program),
            })
        })
        .collect()
}

fn executable(p: &Path) -> Option<bool> {
    let m = std::fs::metadata(p).ok()?;
    m.is_file().then_some(m.permissions().mode() & 0o111 != 0)
}

/// Where `program` is, if it is there and executable; else why not.
pub(crate) fn find(program: &str) -> Result<PathBuf, String> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return match executable(&p) {
            Some(true) => Ok(p),
            Some(false) => Err("is not executable (chmod +x it)".into()),
            None => Err("not found".into()),
        };
    }
    let mut not_executable = None;
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let p = dir.join(program);
        match executable(&p) {
            Some(true) => return Ok(p),
            Some(false) => not_executable = not_executable.or(Some(p)),
            None => {}
        }
    }
    match not_executable {
        Some(p) => Err(format!("{} is not executable", p.display())),
        None => Err("not found on PATH".into()),
    }
}

/// The first real agent CLI on PATH, for a new config.
pub(crate) fn first_agent_cli() -> Option<Runtime> {
    [Runtime::Claude, Runtime::Codex]
        .into_iter()
        .find(|r| find(r.as_str()).is_ok())
}

/// `up`'s check before anything starts: every program there and runnable,
/// or one line naming the config key and what is wrong.
pub(crate) fn check_all(config: &Config, root: &Path, config_file: &Path) -> Result<(), String> {
    for p in agent_programs(config, root) {
        if let Err(why) = find(&p.program) {
            return Err(format!(
                "{}: {}: {} {why}; runtime {} cannot start an agent, so nothing was started",
                config_file.display(),
                p.key,
                p.program,
                p.runtime.as_str()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_tells_missing_from_not_executable() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("agent.sh");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        let s = f.display().to_string();
        assert!(find(&s).unwrap_err().contains("not executable"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find(&s).unwrap(), f);
        let gone = tmp.path().join("gone").display().to_string();
        assert_eq!(find(&gone).unwrap_err(), "not found");
        assert!(find(tmp.path().to_str().unwrap()).is_err(), "a folder");
    }
}
