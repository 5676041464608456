//! Process groups as /proc shows them: whether a group still has a live
//! member, and killing the groups a previous shiftboss left behind (named
//! by pid and start time, so a reused pid is never hit).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What /proc/<pid>/stat says about one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub state: char,
    pub pgrp: u32,
    /// Clock ticks since boot (field 22).
    pub start_time: u64,
}

fn parse_stat(text: &str) -> Option<Stat> {
    // The command name may hold spaces and parentheses: read after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(Stat {
        state: f.first()?.chars().next()?,
        pgrp: f.get(2)?.parse().ok()?,
        start_time: f.get(19)?.parse().ok()?,
    })
}

pub fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Every process /proc shows, with its stat.
fn all() -> Vec<(u32, Stat)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        Some((pid, stat(pid)?))
    })
    .collect()
}

/// Live (not zombie) members of group `pgrp` started at or after `since`.
pub fn members(pgrp: u32, since: u64) -> Vec<u32> {
    all()
        .into_iter()
        .filter(|(_, s)| s.pgrp == pgrp && s.state != 'Z' && s.state != 'X')
        .filter(|(_, s)| s.start_time >= since)
        .map(|(pid, _)| pid)
        .collect()
}

/// Whether the group led by `pgid` has a member that is not a zombie.
pub fn alive(pgid: u32) -> bool {
    let exists = crate::sys::group_exists(pgid);
    exists && !members(pgid, 0).is_empty()
}

/// Kill what is left of groups a previous shiftboss started, each named by
/// its leader's pid and start time, and wait (up to `bound`) until they are
/// gone. A group counts only if a member started no earlier than its leader:
/// the kernel does not reuse a pid while a group of that number exists, so
/// such members are the old agent's. Returns the pids killed.
pub fn kill_recorded(groups: &[(u32, u64)], bound: Duration) -> Vec<u32> {
    let mut killed = Vec::new();
    // One look at /proc for all of them: a long log records many groups.
    let mut by_group: std::collections::HashMap<u32, Vec<(u32, u64)>> = Default::default();
    for (pid, s) in all() {
        if s.state != 'Z' && s.state != 'X' {
            by_group
                .entry(s.pgrp)
                .or_default()
                .push((pid, s.start_time));
        }
    }
    for &(pgid, since) in groups {
        if pgid <= 1 {
            continue;
        }
        let left: Vec<u32> = by_group
            .get(&pgid)
            .into_iter()
            .flatten()
            .filter(|(_, start)| *start >= since)
            .map(|(pid, _)| *pid)
            .collect();
        if left.is_empty() {
            continue;
        }
        crate::sys::signal_group(pgid, crate::sys::Signal::KILL);
        killed.extend(left);
    }
    let deadline = Instant::now() + bound;
    while !killed.is_empty()
        && Instant::now() < deadline
        && killed
            .iter()
            .any(|&pid| stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X'))
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
}

/// Kill agent processes working under `dir` that no record names: a
/// process whose environment has `SHIFTBOSS_SESSION` and whose working
/// folder is inside `dir` (the swarm's worktrees). They are what a shiftboss
/// killed between starting an agent and logging its pid leaves behind (the
/// agent's children outlive it without the sandbox). Returns the pids killed.
pub fn kill_unrecorded_in(dir: &Path, bound: Duration) -> Vec<u32> {
    let me = std::process::id();
    let mut killed = Vec::new();
    for (pid, s) in all() {
        if pid == me || s.state == 'Z' || s.state == 'X' {
            continue;
        }
        let in_dir =
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c.starts_with(dir));
        if !in_dir {
            continue;
        }
        let agent = std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| {
            env.split(|b| *b == 0)
                .any(|v| v.starts_with(b"SHIFTBOSS_SESSION="))
        });
        if agent {
            crate::sys::signal_process(pid, crate::sys::Signal::KILL);
            killed.push(pid);
        }
    }
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline
        && killed
            .iter()
            .any(|&pid| stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X'))
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
}

/// Every file some live process holds open (that /proc lets us see).
fn open_files() -> std::collections::HashSet<PathBuf> {
    let mut out = std::collections::HashSet::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        if e.file_name()
            .to_str()
            .is_none_or(|n| n.parse::<u32>().is_err())
        {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                out.insert(target);
            }
        }
    }
    out
}

/// Remove git lock files no live process holds: `*.lock` under `refs/`
/// and `logs/refs/`, and `index.lock` / `HEAD.lock` in each worktree's admin
/// folder. A lock left by a killed git would stop every later update of
/// that ref. Returns the locks removed.
pub fn clear_stale_locks(git_dir: &Path) -> Vec<PathBuf> {
    let mut locks = Vec::new();
    for d in ["refs", "logs/refs"] {
        find_locks(&git_dir.join(d), &mut locks);
    }
    if let Ok(wts) = std::fs::read_dir(git_dir.join("worktrees")) {
        for w in wts.flatten() {
            for f in ["index.lock", "HEAD.lock"] {
                let p = w.path().join(f);
                if p.is_file() {
                    locks.push(p);
                }
            }
        }
    }
    if locks.is_empty() {
        return locks;
    }
    let held = open_files();
    locks.retain(|l| !held.contains(l) && std::fs::remove_file(l).is_ok());
    locks
}

fn find_locks(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => find_locks(&p, out),
            Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "lock") => out.push(p),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_is_read_past_a_command_name_with_spaces_and_parentheses() {
        let line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                state: 'S',
                pgrp: 4242,
                start_time: 987654
            })
        );
        let me = stat(std::process::id()).unwrap();
        assert!(me.start_time > 0);
    }

    #[test]
    fn a_recorded_group_is_killed_and_a_later_start_time_spares_it() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "trap '' TERM; sleep 600 & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = child.id();
        let start = stat(pid).unwrap().start_time;
        // A start time after the leader's names some other process: spared.
        assert!(kill_recorded(&[(pid, u64::MAX)], Duration::ZERO).is_empty());
        assert!(alive(pid));
        let killed = kill_recorded(&[(pid, start)], Duration::ZERO);
        assert!(killed.contains(&pid), "{killed:?}");
        child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(pid) {
            assert!(Instant::now() < deadline, "group {pid} still alive");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn an_unrecorded_agent_in_the_worktrees_is_killed_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let start = |session: bool| {
            let mut c = std::process::Command::new("sleep");
            c.arg("600")
                .current_dir(tmp.path())
                .env_remove("SHIFTBOSS_SESSION");
            if session {
                c.env("SHIFTBOSS_SESSION", "builder-01#1");
            }
            c.spawn().unwrap()
        };
        let (mut agent, mut other) = (start(true), start(false));
        let killed = kill_unrecorded_in(tmp.path(), Duration::from_secs(10));
        assert_eq!(killed, vec![agent.id()]);
        assert!(agent.wait().is_ok());
        assert_eq!(
            other.try_wait().unwrap(),
            None,
            "a process without a session is spared"
        );
        other.kill().unwrap();
        other.wait().unwrap();
    }

    #[test]
    fn only_locks_nobody_holds_are_cleared() {
        let tmp = tempfile::tempdir().unwrap();
        let git = tmp.path();
        let refs = git.join("refs/heads/shiftboss/a1");
        let admin = git.join("worktrees/a1");
        std::fs::create_dir_all(&refs).unwrap();
        std::fs::create_dir_all(&admin).unwrap();
        let stale = refs.join("t1.lock");
        let index = admin.join("index.lock");
        let held = refs.join("t2.lock");
        for f in [&stale, &index, &held] {
            std::fs::write(f, "").unwrap();
        }
        std::fs::write(refs.join("t1"), "0000\n").unwrap();
        let _open = std::fs::File::open(&held).unwrap();
        let mut removed = clear_stale_locks(git);
        removed.sort();
        let mut want = vec![index.clone(), stale.clone()];
        want.sort();
        assert_eq!(removed, want);
        assert!(held.exists() && !stale.exists() && refs.join("t1").exists());
    }
}
