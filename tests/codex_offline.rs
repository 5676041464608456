//! The real Codex CLI contacts nothing but its API: shiftboss, Codex and a
//! scripted OpenAI API run together inside a network namespace of their own
//! (`unshare -n`: only a loopback), and `strace` lists every address any of
//! their processes connects or sends to.
//!
//! The test re-runs itself inside the namespace; it needs `unshare`
//! (as root, or with user namespaces), `ip` and `strace` (`.ci/run`
//! installs them).

#[allow(dead_code)]
mod support;

use serde_json::Value;
use std::process::Command;
use support::agents::{BIN, codex, init_with_tasks};
use support::openai;
use support::repo::{git, new_repo};

const INSIDE: &str = "SHIFTBOSS_TEST_NETNS";

fn task_of(text: &str) -> String {
    text.split("Your task is ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap_or("unknown")
        .to_string()
}

fn script(body: &str, turn: usize) -> openai::Reply {
    let task = task_of(body);
    match turn {
        0 => openai::Reply::Exec(format!(
            "mkdir -p src && printf 'work on {task}\\n' > src/{task}.txt && git add -A && \
             git -c user.name=codex -c user.email=codex@example.invalid commit -qm '{task}: the change'"
        )),
        _ => openai::Reply::Text(format!("::done::{task} is finished")),
    }
}

fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every address in a `strace` line's socket address (`sin_addr`, `sin6_addr`
/// with their port), e.g. `127.0.0.1:41234`.
fn addresses(trace: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in trace.lines() {
        let port = line
            .split("htons(")
            .nth(1)
            .and_then(|r| r.split(')').next());
        let addr = line
            .split("inet_addr(\"")
            .nth(1)
            .or_else(|| line.split("inet_pton(AF_INET6, \"").nth(1))
            .and_then(|r| r.split('"').next());
        if let (Some(port), Some(addr)) = (port, addr) {
            out.push(format!("{addr}:{port}"));
        }
    }
    out
}

#[test]
fn codex_contacts_nothing_but_its_api() {
    let Some(codex) = codex() else {
        eprintln!("skipped: Codex is not installed (.ci/run installs it)");
        return;
    };
    if std::env::var_os(INSIDE).is_none() {
        // As root a network namespace alone; otherwise inside a user
        // namespace of its own, where this user is root.
        let unshare = ["-n", "-rn"]
            .into_iter()
            .find(|flag| works("unshare", &[flag, "true"]));
        let (Some(unshare), true) = (unshare, works("strace", &["-V"])) else {
            eprintln!("skipped: needs unshare -n and strace (.ci/run installs them)");
            return;
        };
        // Run this test again, alone, inside a new network namespace.
        let out = Command::new("unshare")
            .arg(unshare)
            .arg(std::env::current_exe().unwrap())
            .args([
                "codex_contacts_nothing_but_its_api",
                "--exact",
                "--nocapture",
            ])
            .env(INSIDE, "1")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
        return;
    }
    // Inside: a loopback and nothing else.
    assert!(works("ip", &["link", "set", "lo", "up"]), "bring lo up");
    let api = openai::Server::start(script);
    let api_addr = api
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_string();
    let (tmp, repo) = new_repo(&[("README.md", "hello\n")]);
    let env = [("OPENAI_API_KEY", "sk-openai-test-0123456789")];
    let config = format!(
        "[swarm]\nagents = 1\nmax_live = 1\nruntime = \"codex\"\nmodels = [\"gpt-5-codex\"]\n\
         [agent]\ncodex = \"{}\"\ncodex_base_url = \"{}\"\nstop_grace = \"2s\"\n\
         codex_sandbox = \"danger-full-access\"\n",
        codex.display(),
        api.url
    );
    init_with_tasks(&repo, tmp.path(), &env, &config, &["n-1"]);
    let trace = tmp.path().join("trace.txt");
    let out = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=connect,sendto,sendmsg,sendmmsg",
            "-o",
        ])
        .arg(&trace)
        .arg(BIN)
        .args(["up", "--headless", "--until-idle", "--json"])
        .current_dir(&repo)
        .envs(env)
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sum: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["merges"], 1, "{sum}");
    assert_eq!(git(&repo, &["show", "main:src/n-1.txt"]), "work on n-1\n");
    assert_eq!(api.served().requests, 2);

    let trace = std::fs::read_to_string(&trace).unwrap();
    let contacted = addresses(&trace);
    assert!(
        contacted.contains(&api_addr),
        "the API was reached: {contacted:?}\n{trace}"
    );
    let others: Vec<&String> = contacted.iter().filter(|a| **a != api_addr).collect();
    assert!(
        others.is_empty(),
        "contacted besides the API ({api_addr}): {others:?}\n{trace}"
    );
}
