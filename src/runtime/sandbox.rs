//! The sandbox every real agent runs in: a bubblewrap (`bwrap`) command line.
//!
//! Inside, the agent sees its worktree (read-write), of the repository's git
//! directory only what committing on its own branches needs read-write
//! (`objects/`, `refs/heads/shiftboss/<agent>/`, their logs, its worktree's
//! admin folder) and the rest read-only, the system's programs and libraries
//! read-only, its own HOME outside the worktree, a private /tmp, and its own
//! PID namespace with its own /proc. The operator's checkout is absent.

use crate::config::{Network, Sandbox as Settings};
use std::path::{Path, PathBuf};

/// System folders bound read-only when they exist.
const SYSTEM: [&str; 8] = [
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
];

/// A sandbox ready to wrap agents: bwrap's path and what the config adds.
#[derive(Clone, Debug)]
pub struct Sandbox {
    pub bwrap: PathBuf,
    pub network: Network,
    /// Extra read-only and read-write paths (absolute).
    pub ro: Vec<PathBuf>,
    pub rw: Vec<PathBuf>,
}

/// Where one agent's session lives.
pub struct Place<'a> {
    /// The repository's root (the operator's checkout).
    pub root: &'a Path,
    pub worktree: &'a Path,
    /// The repository's git directory (`.git`, shared by all worktrees).
    pub git_dir: &'a Path,
    /// This worktree's admin folder (`.git/worktrees/<name>`).
    pub admin_dir: &'a Path,
    pub agent: &'a str,
    /// The agent's own folder for HOME and config (outside the worktree).
    pub home: &'a Path,
    /// Folders the agent reads but does not write (its prompt's folder).
    pub read: &'a [PathBuf],
}

/// bwrap on PATH, if installed.
pub fn find_bwrap() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("bwrap"))
            .find(|f| f.is_file())
    })
}

/// `bwrap --version`'s line (e.g. "bubblewrap 0.8.0").
pub fn version(bwrap: &Path) -> Option<String> {
    let out = std::process::Command::new(bwrap)
        .arg("--version")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

impl Sandbox {
    /// The sandbox the config asks for: `None` with `mode = "off"`; an error
    /// line when it is on and bwrap is missing.
    pub fn from_config(s: &Settings, root: &Path) -> Result<Option<Sandbox>, String> {
        if s.mode == crate::config::SandboxMode::Off {
            return Ok(None);
        }
        let Some(bwrap) = find_bwrap() else {
            return Err(
                "[sandbox] mode = \"on\": bwrap (bubblewrap) is not installed; install it \
                 (Debian/Ubuntu: apt-get install bubblewrap) or set [sandbox] mode = \"off\" \
                 to run agents unconfined"
                    .into(),
            );
        };
        let abs = |p: &String| {
            let p = Path::new(p);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                root.join(p)
            }
        };
        Ok(Some(Sandbox {
            bwrap,
            network: s.network,
            ro: s.ro.iter().map(abs).collect(),
            rw: s.rw.iter().map(abs).collect(),
        }))
    }

    /// The folders of this agent's own branches and their logs, created so
    /// they can be bound (a ref update needs the folder holding the ref).
    pub fn own_refs(place: &Place) -> std::io::Result<[PathBuf; 2]> {
        let refs = place.git_dir.join("refs/heads/shiftboss").join(place.agent);
        let logs = place
            .git_dir
            .join("logs/refs/heads/shiftboss")
            .join(place.agent);
        std::fs::create_dir_all(&refs)?;
        std::fs::create_dir_all(&logs)?;
        Ok([refs, logs])
    }

    /// bwrap's arguments to run `program args` for `place`, ending in
    /// `-- program args…`. Creates the folders it binds.
    pub fn wrap(
        &self,
        place: &Place,
        program: &str,
        args: &[String],
    ) -> std::io::Result<Vec<String>> {
        let mut a = Args::default();
        a.flag("--die-with-parent");
        a.flag("--unshare-pid");
        a.flag("--unshare-ipc");
        a.flag("--unshare-uts");
        a.flags(&["--cap-drop", "ALL"]);
        if self.network == Network::None {
            a.flag("--unshare-net");
        }
        for d in SYSTEM {
            a.ro_try(Path::new(d));
        }
        // Name resolution where /etc/resolv.conf points into /run.
        a.ro_try(Path::new("/run/systemd/resolve"));
        a.flags(&["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]);
        // Where programs come from (never the repository or above it).
        if let Some(path) = std::env::var_os("PATH") {
            for d in std::env::split_paths(&path) {
                if d.is_absolute() && d.is_dir() && !overlaps(&d, place.root) && !is_home(&d) {
                    a.ro_try(&d);
                }
            }
        }
        for p in program_paths(program) {
            a.ro_try(&p);
        }
        for p in &self.ro {
            a.ro_try(p);
        }
        for p in place.read {
            a.ro_try(p);
        }
        // The git directory read-only, then what committing needs writable.
        a.ro(place.git_dir);
        a.rw(&place.git_dir.join("objects"));
        for d in Self::own_refs(place)? {
            a.rw(&d);
        }
        a.rw(place.admin_dir);
        // Where the admin folder points stays as shiftboss made it.
        for f in ["commondir", "gitdir"] {
            a.ro_try(&place.admin_dir.join(f));
        }
        a.rw(place.worktree);
        std::fs::create_dir_all(place.home)?;
        a.rw(place.home);
        for p in &self.rw {
            a.rw_try(p);
        }
        let home = place.home.display().to_string();
        a.flags(&["--setenv", "HOME", &home]);
        a.flags(&[
            "--setenv",
            "XDG_CONFIG_HOME",
            &place.home.join(".config").display().to_string(),
        ]);
        a.flags(&["--setenv", "TMPDIR", "/tmp"]);
        a.flags(&["--chdir", &place.worktree.display().to_string()]);
        a.flag("--");
        a.flag(program);
        a.0.extend(args.iter().cloned());
        Ok(a.0)
    }
}

#[derive(Default)]
struct Args(Vec<String>);

impl Args {
    fn flag(&mut self, f: &str) {
        self.0.push(f.to_string());
    }
    fn flags(&mut self, fs: &[&str]) {
        self.0.extend(fs.iter().map(|f| f.to_string()));
    }
    fn bind(&mut self, how: &str, p: &Path) {
        let p = p.display().to_string();
        // PATH often names a folder twice; once is enough.
        if how == "--ro-bind-try" && self.0.windows(2).any(|w| w[0] == how && w[1] == p) {
            return;
        }
        self.0.extend([how.to_string(), p.clone(), p]);
    }
    fn ro(&mut self, p: &Path) {
        self.bind("--ro-bind", p);
    }
    fn ro_try(&mut self, p: &Path) {
        self.bind("--ro-bind-try", p);
    }
    fn rw(&mut self, p: &Path) {
        self.bind("--bind", p);
    }
    fn rw_try(&mut self, p: &Path) {
        self.bind("--bind-try", p);
    }
}

/// Whether one path holds the other.
fn overlaps(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

fn is_home(d: &Path) -> bool {
    std::env::var_os("HOME").is_some_and(|h| Path::new(&h) == d)
}

/// What running `program` needs to read: the file as named (found on PATH
/// when it has no slash), where its links lead, and for an npm install the
/// whole `node_modules` it lives in (the package and its native binaries).
fn program_paths(program: &str) -> Vec<PathBuf> {
    let named = if program.contains('/') {
        Some(PathBuf::from(program))
    } else {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(program))
                .find(|f| f.is_file())
        })
    };
    let Some(named) = named else {
        return Vec::new();
    };
    let mut out = vec![named.clone()];
    if let Ok(real) = named.canonicalize() {
        if let Some(modules) = real
            .ancestors()
            .find(|a| a.file_name().is_some_and(|n| n == "node_modules"))
        {
            out.push(modules.to_path_buf());
        }
        out.push(real);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_git_directory_is_read_only_but_for_what_the_agent_commits_with() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let git = root.join(".git");
        let admin = git.join("worktrees/a1");
        let wt = root.join(".shiftboss/worktrees/a1");
        let home = root.join(".shiftboss/agents/a1");
        for d in [&admin, &wt] {
            std::fs::create_dir_all(d).unwrap();
        }
        let s = Sandbox {
            bwrap: "/usr/bin/bwrap".into(),
            network: Network::None,
            ro: Vec::new(),
            rw: vec!["/srv/cache".into()],
        };
        let place = Place {
            root,
            worktree: &wt,
            git_dir: &git,
            admin_dir: &admin,
            agent: "a1",
            home: &home,
            read: &[],
        };
        let args = s
            .wrap(&place, "/bin/sh", &["-c".into(), "true".into()])
            .unwrap();
        let line = args.join(" ");
        let d = |p: &Path| p.display().to_string();
        assert!(
            line.contains(&format!("--ro-bind {0} {0}", d(&git))),
            "{line}"
        );
        for rw in [
            git.join("objects"),
            git.join("refs/heads/shiftboss/a1"),
            git.join("logs/refs/heads/shiftboss/a1"),
            admin.clone(),
            wt.clone(),
            home.clone(),
        ] {
            let bind = format!("--bind {0} {0}", d(&rw));
            let at = line
                .find(&bind)
                .unwrap_or_else(|| panic!("{bind} in {line}"));
            // Writable binds come after the read-only git directory.
            assert!(at > line.find("--ro-bind ").unwrap());
        }
        assert!(home.is_dir() && git.join("refs/heads/shiftboss/a1").is_dir());
        assert!(line.contains("--bind-try /srv/cache /srv/cache"));
        assert!(line.contains("--unshare-pid") && line.contains("--die-with-parent"));
        assert!(line.contains("--unshare-net"));
        assert!(line.ends_with("-- /bin/sh -c true"), "{line}");
        // The operator's checkout itself is never bound.
        assert!(!line.contains(&format!("--bind {0} {0} ", d(root))));
        assert!(!line.contains(&format!("-bind-try {0} {0} ", d(root))));
    }
}
