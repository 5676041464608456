//! The runtimes agents run in, per model: the simulator, any command,
//! Codex, Claude Code; and how each is launched (its command line, the
//! environment it needs, the adapter that reads its output).

use crate::runtime::adapter::{Adapter, CommandAdapter};
use crate::runtime::claude::ClaudeAdapter;
use crate::runtime::codex::CodexAdapter;
use crate::runtime::process::Launch;
use std::path::PathBuf;
use std::time::Duration;

/// How agents run: simulated, or as real processes.
#[derive(Clone, Debug)]
pub enum AgentRuntime {
    Sim,
    /// Any program speaking the line protocol.
    Command {
        program: String,
        args: Vec<String>,
        /// Names of variables passed through from shiftboss's environment.
        pass_env: Vec<String>,
        stop_grace: Duration,
    },
    /// Codex (`codex exec --json`), through the provider in `codex_home`.
    Codex {
        bin: String,
        /// CODEX_HOME: its config.toml names shiftboss's provider.
        codex_home: PathBuf,
        /// Codex's sandbox; under `workspace-write` it keeps `.git`
        /// read-only, so shiftboss commits the agent's work when it is done.
        sandbox: String,
        pass_env: Vec<String>,
        stop_grace: Duration,
    },
    /// Claude Code in print mode with streaming JSON.
    Claude {
        bin: String,
        allowed_tools: Vec<String>,
        permission_mode: String,
        pass_env: Vec<String>,
        stop_grace: Duration,
    },
}

/// What Claude Code needs from shiftboss's environment, and the bounds put
/// on its retries and silent streams (shiftboss's watchdog stays on it too).
const CLAUDE_ENV: [&str; 3] = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
];
const CLAUDE_BOUNDS: [(&str, &str); 4] = [
    ("CLAUDE_CODE_MAX_RETRIES", "2"),
    ("CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", "120000"),
    ("DISABLE_AUTOUPDATER", "1"),
    ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
];

/// The runtime of each model: a default, and models that run elsewhere
/// (`claude-*` in Claude Code, `gpt-*` in Codex, in one swarm).
#[derive(Clone, Debug)]
pub struct Runtimes {
    pub default: AgentRuntime,
    /// (model name or prefix, its runtime).
    pub by_model: Vec<(String, AgentRuntime)>,
    /// The sandbox real agents run in (`None`: `[sandbox] mode = "off"`).
    pub sandbox: Option<crate::runtime::sandbox::Sandbox>,
    /// Team leads (`[[teams]]`) and their own prompts: their sessions'
    /// prompts say how to break work up and integrate it.
    pub leads: std::collections::BTreeMap<crate::domain::AgentId, String>,
}

impl Runtimes {
    pub fn only(runtime: AgentRuntime) -> Runtimes {
        Runtimes {
            default: runtime,
            by_model: Vec::new(),
            sandbox: None,
            leads: Default::default(),
        }
    }

    /// The runtime for a model: the longest entry its name starts with.
    pub fn for_model(&self, model: &str) -> &AgentRuntime {
        self.by_model
            .iter()
            .filter(|(m, _)| model.starts_with(m.as_str()))
            .max_by_key(|(m, _)| m.len())
            .map(|(_, r)| r)
            .unwrap_or(&self.default)
    }

    /// Only simulated agents: virtual durations apply.
    pub fn simulated(&self) -> bool {
        matches!(self.default, AgentRuntime::Sim)
            && self
                .by_model
                .iter()
                .all(|(_, r)| matches!(r, AgentRuntime::Sim))
    }
}

impl AgentRuntime {
    pub(super) fn stop_grace(&self) -> Duration {
        match self {
            AgentRuntime::Sim => Duration::ZERO,
            AgentRuntime::Command { stop_grace, .. }
            | AgentRuntime::Claude { stop_grace, .. }
            | AgentRuntime::Codex { stop_grace, .. } => *stop_grace,
        }
    }

    pub(super) fn pass_env(&self) -> &[String] {
        match self {
            AgentRuntime::Sim => &[],
            AgentRuntime::Command { pass_env, .. }
            | AgentRuntime::Claude { pass_env, .. }
            | AgentRuntime::Codex { pass_env, .. } => pass_env,
        }
    }

    /// How to start an agent with `prompt` on `model`, and how to read it.
    pub(super) fn launch(&self, prompt: &str, model: &str) -> Option<(Launch, Box<dyn Adapter>)> {
        match self {
            AgentRuntime::Sim => None,
            AgentRuntime::Command { program, args, .. } => Some((
                Launch {
                    program: program.clone(),
                    args: args.clone(),
                    env: Vec::new(),
                    stdin: Some(prompt.to_string()),
                },
                Box::new(CommandAdapter),
            )),
            AgentRuntime::Codex {
                bin,
                codex_home,
                sandbox,
                ..
            } => Some(codex(bin, codex_home, sandbox, prompt, model)),
            AgentRuntime::Claude {
                bin,
                allowed_tools,
                permission_mode,
                ..
            } => Some(claude(bin, allowed_tools, permission_mode, prompt, model)),
        }
    }
}

/// `codex exec --json` with shiftboss's provider, its key from shiftboss's
/// environment.
fn codex(
    bin: &str,
    codex_home: &std::path::Path,
    sandbox: &str,
    prompt: &str,
    model: &str,
) -> (Launch, Box<dyn Adapter>) {
    let mut env: Vec<(String, String)> = std::env::var("OPENAI_API_KEY")
        .ok()
        .map(|v| ("OPENAI_API_KEY".to_string(), v))
        .into_iter()
        .collect();
    env.push(("CODEX_HOME".into(), codex_home.display().to_string()));
    let args = vec![
        "exec".to_string(),
        "--json".into(),
        "--skip-git-repo-check".into(),
        "-s".into(),
        sandbox.to_string(),
        "-c".into(),
        "approval_policy=\"never\"".into(),
        "-c".into(),
        format!("model_provider=\"{}\"", crate::runtime::codex::PROVIDER),
        "-m".into(),
        model.to_string(),
        prompt.to_string(),
    ];
    let launch = Launch {
        program: bin.to_string(),
        args,
        env,
        stdin: None,
    };
    (launch, Box::new(CodexAdapter::new(model)))
}

/// Claude Code in print mode with streaming JSON, its retries and silent
/// streams bounded.
fn claude(
    bin: &str,
    allowed_tools: &[String],
    permission_mode: &str,
    prompt: &str,
    model: &str,
) -> (Launch, Box<dyn Adapter>) {
    let mut env: Vec<(String, String)> = CLAUDE_ENV
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    env.extend(
        CLAUDE_BOUNDS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let args = [
        "-p",
        prompt,
        "--bare",
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-partial-messages",
        "--allowedTools",
        &allowed_tools.join(","),
        "--permission-mode",
        permission_mode,
        "--model",
        model,
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let launch = Launch {
        program: bin.to_string(),
        args,
        env,
        stdin: None,
    };
    (launch, Box::new(ClaudeAdapter::default()))
}
