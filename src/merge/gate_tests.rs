//! Gates run as real processes in temporary folders: each command's
//! outcome, output, environment, time limit, and how it is started (the
//! program itself for a plain command line, `sh -c` otherwise).

use super::testkit::write;
use super::*;
use std::time::Duration;

fn cmds(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn gates_pass_in_order_in_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "marker", "here\n");
    let report = run_gates(
        dir.path(),
        &cmds(&["cat marker", "echo out; echo err >&2", "true"]),
        Duration::from_secs(30),
        &[],
    );
    assert!(report.passed, "{report:?}");
    assert_eq!(report.gate, "");
    assert_eq!(report.results.len(), 3);
    assert_eq!(report.results[0].output, "here\n");
    assert!(
        report.results[1].output.contains("out\n") && report.results[1].output.contains("err\n")
    );
    assert!(
        report
            .results
            .iter()
            .all(|r| r.passed && r.exit_code == Some(0) && !r.timed_out)
    );
    assert!(
        report.output.starts_with("$ cat marker\nhere\n$ echo out"),
        "{}",
        report.output
    );
    assert!(run_gates(dir.path(), &[], Duration::from_secs(1), &[]).passed);
}

#[test]
fn gates_stop_at_the_first_failure() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_gates(
        dir.path(),
        &cmds(&["echo fine", "echo broken; exit 3", "touch should-not-run"]),
        Duration::from_secs(30),
        &[],
    );
    assert!(!report.passed);
    assert_eq!(report.gate, "echo broken; exit 3");
    assert_eq!(report.results.len(), 2);
    let failed = &report.results[1];
    assert_eq!(
        (failed.passed, failed.exit_code, failed.timed_out),
        (false, Some(3), false)
    );
    assert_eq!(failed.output, "broken\n");
    assert!(!dir.path().join("should-not-run").exists());

    let missing = run_gates(
        &dir.path().join("missing"),
        &cmds(&["true"]),
        Duration::from_secs(5),
        &[],
    );
    assert!(!missing.passed);
    assert!(
        missing.results[0].output.contains("could not start"),
        "{missing:?}"
    );
}

#[test]
fn a_gate_that_runs_too_long_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_gates(
        dir.path(),
        &cmds(&[
            "echo started; sleep 5 & sleep 5; echo never",
            "echo not reached",
        ]),
        Duration::from_millis(200),
        &[],
    );
    assert!(!report.passed);
    assert_eq!(report.results.len(), 1);
    let r = &report.results[0];
    assert!(r.timed_out && !r.passed && r.exit_code.is_none(), "{r:?}");
    assert!(r.output.starts_with("started\n"), "{}", r.output);
    assert!(r.output.contains("timed out after 200ms"), "{}", r.output);
    assert!(!r.output.contains("never"));
}

#[test]
fn gate_output_keeps_the_last_16_kib() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_gates(
        dir.path(),
        &cmds(&[
            "i=0; while [ $i -lt 3000 ]; do echo \"line $i of output\"; i=$((i+1)); done; exit 1",
        ]),
        Duration::from_secs(30),
        &[],
    );
    let out = &report.results[0].output;
    assert!(out.starts_with("[… "), "{}", &out[..80]);
    assert!(out.ends_with("line 2999 of output\n"));
    let body = out.split_once("cut …]\n").unwrap().1;
    assert_eq!(body.len(), GATE_OUTPUT_LIMIT);
}

#[test]
fn gates_get_a_scrubbed_environment() {
    // cargo gives every test process its CARGO_* variables: they stand for
    // whatever the operator's environment holds that a gate must not see.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let dir = tempfile::tempdir().unwrap();
    let extra = vec![("SHIFTBOSS_TASK".to_string(), "auth-3".to_string())];
    let report = run_gates(
        dir.path(),
        &cmds(&[
            "env | sort",
            "test -z \"$CARGO_MANIFEST_DIR\"",
            "test \"$SHIFTBOSS_TASK\" = auth-3",
        ]),
        Duration::from_secs(30),
        &extra,
    );
    assert!(report.passed, "{report:?}");
    let env = &report.results[0].output;
    assert!(!env.contains("CARGO"), "{env}");
    assert!(env.contains("SHIFTBOSS_TASK=auth-3"), "{env}");
    assert!(env.contains("PATH="), "{env}");
    for line in env.lines() {
        let key = line.split('=').next().unwrap();
        assert!(
            GATE_ENV_PASSTHROUGH.contains(&key)
                || ["SHIFTBOSS_TASK", "PWD", "SHLVL", "_", "OLDPWD"].contains(&key),
            "unexpected variable {key}"
        );
    }
}

/// The gate's shell is the first executable `sh` on the gate's own `PATH`
/// (absolute entries only: never an `sh` in the gate's own folder), not shiftboss's.
#[test]
fn the_gates_shell_is_the_first_one_its_own_path_finds() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let wrapper = dir.path().join("wrapper");
    for d in [&plain, &wrapper] {
        std::fs::create_dir(d).unwrap();
    }
    // Not executable: passed over.
    std::fs::write(plain.join("sh"), "#!/bin/sh\necho wrong shell\n").unwrap();
    std::fs::write(
        wrapper.join("sh"),
        "#!/bin/sh\necho through the wrapper\nexec /bin/sh \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(wrapper.join("sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "relative:{}:{}:/usr/bin:/bin",
        plain.display(),
        wrapper.display()
    );
    let report = run_gates(
        dir.path(),
        &cmds(&["echo gate ran"]),
        Duration::from_secs(30),
        &[("PATH".to_string(), path)],
    );
    assert!(report.passed, "{report:?}");
    assert_eq!(report.results[0].output, "through the wrapper\ngate ran\n");
}

/// One gate's result, with the output's trailing newline cut.
fn one(dir: &Path, command: &str) -> GateResult {
    let report = run_gates(dir, &cmds(&[command]), Duration::from_secs(30), &[]);
    report.results.into_iter().next().expect("one gate ran")
}

/// A file in `dir` that may be run (mode 755).
fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    write(dir, name, body);
    std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A plain command line ends as it would under `sh -c`: the same verdict,
/// exit code and output, with `!` inverting the status as sh inverts it.
/// A trailing `;` makes the same command one for sh to read.
#[test]
fn a_plain_command_line_ends_as_it_would_under_sh() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/a.rs",
        "fn a() {}\n// SIM-BUG: off by one\n",
    );
    write(dir.path(), "src/b.rs", "fn b() {}\n");
    for command in [
        "! grep -rn 'SIM-BUG' src",
        "! grep -rn \"NOT HERE\" src",
        "grep -c fn src/a.rs src/b.rs",
        "grep -q missing src/b.rs",
        "ls src/none",
    ] {
        let direct = one(dir.path(), command);
        let through_sh = one(dir.path(), &format!("{command};"));
        assert_eq!(
            (direct.passed, direct.exit_code, &direct.output),
            (through_sh.passed, through_sh.exit_code, &through_sh.output),
            "{command}"
        );
    }
    let found = one(dir.path(), "! grep -rn 'SIM-BUG' src");
    assert_eq!((found.passed, found.exit_code), (false, Some(1)));
    assert_eq!(found.output, "src/a.rs:2:// SIM-BUG: off by one\n");
    let clean = one(dir.path(), "! grep -rn \"NOT HERE\" src");
    assert_eq!((clean.passed, clean.exit_code), (true, Some(0)));
}

/// The program of a plain command line is shiftboss's own child: no shell
/// stands between them (its parent is this process), while a command sh
/// must read runs under a shell.
#[test]
fn a_plain_command_line_starts_its_program_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "parent", "#!/bin/sh\necho $PPID\nexit 1\n");
    let me = std::process::id().to_string();
    let direct = one(dir.path(), "! ./parent");
    assert!(direct.passed, "{direct:?}");
    assert_eq!(direct.output.trim(), me);
    let through_sh = one(dir.path(), "! ./parent;");
    assert!(through_sh.passed, "{through_sh:?}");
    assert_ne!(through_sh.output.trim(), me, "sh forks for `!`");
}

/// What the program cannot be started as is left to sh: a name no `PATH`
/// entry holds (sh's own message, exit 127) and a script without a `#!`
/// line (sh runs it). sh's exported PWD is there without sh too.
#[test]
fn what_does_not_start_as_a_program_is_left_to_sh() {
    let dir = tempfile::tempdir().unwrap();
    let missing = one(dir.path(), "no-such-gate-program --flag");
    assert_eq!((missing.passed, missing.exit_code), (false, Some(127)));
    assert!(missing.output.contains("not found"), "{missing:?}");

    script(dir.path(), "bare", "echo run by sh\n");
    let bare = one(dir.path(), "./bare");
    assert!(bare.passed, "{bare:?}");
    assert_eq!(bare.output, "run by sh\n");

    let env = one(dir.path(), "env");
    let pwd = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        env.output
            .lines()
            .any(|l| l == format!("PWD={}", pwd.display())),
        "{}",
        env.output
    );
    assert!(!env.output.contains("CARGO"), "{}", env.output);
}

/// A program started without sh is held to the same limits: killed with
/// its group at the time limit, and a program killed by a signal fails
/// its gate even under `!`.
#[test]
fn a_program_without_sh_is_timed_and_a_killed_one_fails() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_gates(
        dir.path(),
        &cmds(&["sleep 30"]),
        Duration::from_millis(200),
        &[],
    );
    let r = &report.results[0];
    assert!(r.timed_out && !r.passed && r.exit_code.is_none(), "{r:?}");

    let killed = one(dir.path(), "! sh -c 'kill -9 $$'");
    assert!(!killed.passed, "{killed:?}");
    assert_eq!(killed.exit_code, None);
    assert!(killed.output.contains("killed by signal 9"), "{killed:?}");
}
