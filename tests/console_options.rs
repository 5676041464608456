//! How the console is asked for, with the real binary: `[ui] glyphs` in the
//! config file (the console of `shiftboss up` draws ASCII stand-ins when
//! the file says so, `--glyphs` wins over the file, and a bad value is one
//! line naming the file, the line and the key, with exit code 2 and nothing
//! written), and a console asked for with no terminal.

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/repo.rs"]
mod repo;
#[path = "support/tmux.rs"]
#[allow(dead_code)]
mod tmux;
use repo::new_repo;
use tmux::{BIN, Tmux, quote};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run shiftboss")
}

/// A repository made by `init`, its config's `glyphs = "auto"` line (the
/// template's) changed to `glyphs`, its agents simulated (`up --simulate`).
fn repo_with(glyphs: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let out = run(&repo, &["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = repo.join(".shiftboss/config.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\n[ui]\n"), "the template has [ui]");
    let text: String = text
        .lines()
        .map(|l| match l {
            "glyphs = \"auto\"" => format!("glyphs = {glyphs}\n"),
            l if l.starts_with("runtime = ") => "runtime = \"sim\"\n".to_string(),
            l => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&file, text).unwrap();
    (tmp, repo)
}

#[test]
fn a_bad_glyphs_value_is_one_line_naming_file_line_and_key() {
    let (_tmp, repo) = repo_with("\"fancy\"");
    let text = std::fs::read_to_string(repo.join(".shiftboss/config.toml")).unwrap();
    let line = text
        .lines()
        .position(|l| l == "glyphs = \"fancy\"")
        .unwrap()
        + 1;
    let out = run(&repo, &["up", "--headless", "--simulate", "--until-idle"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&format!(
            "config.toml:{line}: ui.glyphs: expected one of auto, unicode, ascii, found \"fancy\""
        )),
        "{err}"
    );
    assert!(
        !repo.join(".shiftboss/state.db").exists(),
        "nothing written"
    );
    // A number is refused the same way.
    let (_tmp, repo) = repo_with("3");
    let out = run(&repo, &["up", "--headless", "--simulate", "--until-idle"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("config.toml:{line}: ui.glyphs")),
        "{err}"
    );
}

/// The console of `up --simulate` in tmux, under a UTF-8 locale, with
/// `flags`; the first screen that shows the floor, then quit.
fn floor_screen(name: &str, repo: &Path, flags: &str) -> String {
    let exit_file = repo.join("exit-code");
    let _ = std::fs::remove_file(&exit_file);
    let command = format!(
        "cd {} && env LANG=C.UTF-8 LC_ALL= LC_CTYPE= XDG_CONFIG_HOME={} {} up --simulate {flags}; echo $? > {}",
        quote(repo),
        quote(&repo.join(".shiftboss")),
        quote(Path::new(BIN)),
        quote(&exit_file),
    );
    let t = Tmux::start(name, &command);
    let screen = t.wait_for("the floor", |s| s.contains("watchdog tiers"));
    tmux::quit(&t, &exit_file);
    screen
}

#[test]
fn the_config_file_sets_the_consoles_glyphs_and_the_flag_wins() {
    if !Tmux::available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is not installed; CI must install it"
        );
        eprintln!("skipped: needs tmux");
        return;
    }
    let (_tmp, repo) = repo_with("\"ascii\"");
    let screen = floor_screen("glyphs-file", &repo, "");
    let odd: String = screen.chars().filter(|c| !c.is_ascii()).collect();
    assert!(odd.is_empty(), "ASCII only, found {odd:?}:\n{screen}");
    // The flag wins over the file.
    let screen = floor_screen("glyphs-flag", &repo, "--glyphs unicode");
    assert!(
        screen.contains('━') || screen.contains('─'),
        "Unicode borders:\n{screen}"
    );
}

/// With no terminal (stdin and stdout not one), `up` and `demo` without
/// `--headless` say so in one line, exit 2 and write nothing.
#[test]
fn a_console_without_a_terminal_is_one_line_and_nothing_written() {
    let (tmp, repo) = repo_with("\"auto\"");
    for (args, made) in [
        (vec!["up", "--simulate"], repo.join(".shiftboss/state.db")),
        (
            vec![
                "demo",
                "--state-dir",
                tmp.path().join("demo").to_str().unwrap(),
            ],
            tmp.path().join("demo"),
        ),
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .current_dir(&repo)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run shiftboss");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains("needs a terminal") && err.contains("--headless"),
            "{err}"
        );
        assert!(!made.exists(), "{args:?}: nothing written");
    }
}
