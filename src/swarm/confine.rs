//! Putting a real agent's launch into the sandbox: its own HOME (and the
//! runtime's config in it) outside the worktree, then the bwrap command line.

use super::runtimes::AgentRuntime;
use crate::runtime::process::Launch;
use crate::runtime::sandbox::{Place, Sandbox};
use std::path::Path;

/// Where shiftboss keeps an agent's HOME: `.shiftboss/agents/<agent>/`.
pub(super) fn agent_home(shiftboss_dir: &Path, agent: &str) -> std::path::PathBuf {
    shiftboss_dir.join("agents").join(agent)
}

/// `launch`, run under `sandbox` in `worktree` as `agent`; its prompt and
/// decision files are in `prompts_dir` (read-only inside).
pub(super) fn confine(
    sandbox: &Sandbox,
    runtime: &AgentRuntime,
    root: &Path,
    prompts_dir: &Path,
    agent: &str,
    worktree: &Path,
    mut launch: Launch,
) -> std::io::Result<Launch> {
    let wt = git2::Repository::open(worktree).map_err(std::io::Error::other)?;
    let admin_dir = wt.path().to_path_buf();
    let git_dir = wt.commondir().to_path_buf();
    // Prompts live in `.shiftboss/prompts`; agents' homes beside them.
    let home = agent_home(prompts_dir.parent().unwrap_or(prompts_dir), agent);
    std::fs::create_dir_all(&home)?;
    match runtime {
        AgentRuntime::Codex { codex_home, .. } => {
            // Codex writes its sessions under CODEX_HOME: a copy of its config
            // in the agent's own HOME, never the shared one.
            let own = home.join("codex");
            std::fs::create_dir_all(&own)?;
            std::fs::copy(codex_home.join("config.toml"), own.join("config.toml"))?;
            launch.env.retain(|(k, _)| k != "CODEX_HOME");
            launch
                .env
                .push(("CODEX_HOME".into(), own.display().to_string()));
        }
        AgentRuntime::Claude { .. } => {
            // Claude Code's own permissions: edits and reads in the worktree,
            // never in the repository's git directory.
            let file = home.join("claude-settings.json");
            let settings = serde_json::json!({
                "permissions": {
                    "allow": [
                        format!("Edit(/{}/**)", worktree.display()),
                        format!("Read(/{}/**)", worktree.display()),
                    ],
                    "deny": [format!("Edit(/{}/**)", git_dir.display())],
                    "additionalDirectories": [],
                }
            });
            std::fs::write(&file, serde_json::to_string_pretty(&settings)?)?;
            launch.args.push("--settings".into());
            launch.args.push(file.display().to_string());
        }
        AgentRuntime::Command { .. } | AgentRuntime::Sim => {}
    }
    // Its HOME's git identity is the agent's (its own `-c user.name=…` or
    // the repository's config still win).
    let gitconfig = home.join(".gitconfig");
    if !gitconfig.exists() {
        std::fs::write(
            &gitconfig,
            format!("[user]\n\tname = {agent}\n\temail = {agent}@shiftboss.invalid\n"),
        )?;
    }
    let read = [prompts_dir.to_path_buf()];
    std::fs::create_dir_all(prompts_dir)?;
    let place = Place {
        root,
        worktree,
        git_dir: &git_dir,
        admin_dir: &admin_dir,
        agent,
        home: &home,
        read: &read,
    };
    launch.args = sandbox.wrap(&place, &launch.program, &launch.args)?;
    launch.program = sandbox.bwrap.display().to_string();
    Ok(launch)
}
