//! The config file `shiftboss init` writes. A test checks that it parses to
//! `Config::default()` and that it sets every key, so it cannot drift.

pub(super) const TEMPLATE: &str = r#"# shiftboss config: .shiftboss/config.toml
#
# Every setting below is at its default; delete any you do not change.
# Durations are written like "90s", "10m", "2h" or "1h 30m".
# Money is in US dollars.

[swarm]
# Size of the agent pool: builder-01 ... builder-12 (1 to 1000).
agents = 12
# Concurrency cap: how many agent sessions run at once (1 to 1000).
max_live = 12
# The target branch. Agents never push to it; only the merge queue moves it.
target = "main"
# How agents run: "sim" (the built-in simulated agent), "claude" (Claude Code),
# "codex" (Codex CLI) or "command" (any command speaking the line protocol).
runtime = "sim"
# Models, assigned to the agents in turn (builder-01 gets the first, ...).
# Each needs a [prices."<model>"] table below.
models = ["claude-sonnet-4-5"]
# Seed for everything random in the scheduler and the simulator; the same
# seed replays the same day.
seed = 1

# The price table, in dollars per million tokens, for computing burn.
# input excludes cache reads and writes; cache_read and cache_write default to 0.
# Tables you add here join these; a table with the same name replaces one.
[prices."claude-sonnet-4-5"]
input = 3.0
output = 15.0
cache_read = 0.3
cache_write = 3.75
# Context window in tokens (for context use and handoff).
context = 200000
# The most output tokens one call returns; a usage report above it is refused.
max_output = 128000

[prices."claude-haiku-4-5"]
input = 1.0
output = 5.0
cache_read = 0.1
cache_write = 1.25
# Context window in tokens (for context use and handoff).
context = 200000
# The most output tokens one call returns; a usage report above it is refused.
max_output = 128000

[prices."claude-opus-4-1"]
input = 15.0
output = 75.0
cache_read = 1.5
cache_write = 18.75
# Context window in tokens (for context use and handoff).
context = 200000
# The most output tokens one call returns; a usage report above it is refused.
max_output = 128000

[prices."gpt-5-codex"]
input = 1.25
output = 10.0
cache_read = 0.125
cache_write = 0.0
# Context window in tokens (for context use and handoff).
context = 400000
# The most output tokens one call returns; a usage report above it is refused.
max_output = 128000

# Hard spending limits in dollars; 0 means no limit.
[budgets]
# Per agent per day; over it the agent is stopped.
agent = 40.0
# Per task; over it the task is stopped and blocked.
task = 15.0
# The whole swarm per day.
day = 500.0
# Share of `day` (0 to 1) at which no new work starts; running work finishes.
day_soft = 0.9

# T1 mechanical checks on every agent.
[watchdog]
# How often the checks run.
tick = "30s"
# No output for longer than this => the agent is stalled.
stall_after = "10m"
# A task running longer than this => over time.
task_time_bound = "2h"
# The same output line this many times in a row => the agent is looping (2 or more).
loop_repeats = 20
# Share of its model's context window (0 to 1) at which an agent hands off its
# work to a fresh session on the same branch (0 = never).
handoff_at = 0.8
# The window the output-flood check counts an agent's output over.
flood_window = "10s"
# More lines than this in one window => output flood: the agent is stopped
# like a looping one (0 = no limit).
flood_lines = 100000
# More bytes than this in one window (dropped bytes of overlong lines
# included) => output flood (0 = no limit).
flood_bytes = 67108864
# T2 triage: a concern routed to triage gets a verdict within this time —
# resolved when its cause is clear and handled (restarted and working), else
# escalated to you with a recommendation ("0s": no triage).
triage_after = "10m"

# Quality checks on an agent's branch before it enters the merge queue.
[gates]
# Shell commands run in the agent's worktree; each must exit 0.
# For example: commands = ["cargo fmt --check", "cargo test"]
commands = []
# A gate command running longer than this fails.
timeout = "10m"
# After this many gate rejections the task fails with a concern (1 or more).
max_rejections = 3
# Every path a branch changes must lie inside its task's owned scope (tasks
# without a scope are not checked).
scope = true
# Paths no agent may change: the conventions agents read, agent settings,
# shiftboss's own files, CI configuration.
protected = ["CLAUDE.md", "AGENTS.md", ".claude/**", ".shiftboss/**", ".github/workflows/**", ".gitlab-ci.yml", ".circleci/**", ".buildkite/**", "Jenkinsfile", "azure-pipelines.yml", ".ci/**"]
# `doctor` warns about settings in the repository's .git/config that make git
# run a program (core.fsmonitor, core.hooksPath, core.sshCommand, core.pager,
# core.editor, filter.*.clean/smudge/process, diff.*.textconv, include.path
# and includeIf.*.path, which pull in another file, …). Keys you
# set on purpose go here, e.g. ["filter.lfs.clean", "filter.lfs.smudge"].
allowed_git_config = []

# The merge queue: the only way into the target branch. Entries are merged
# onto the target in memory, the merged result passes the gates, and only
# then does the target move. Conflicts go through the tiers clean, auto
# (append-only files merged as a union, then a replay of the branch), ai
# (below), and reimagine (the task is redone on the current target).
[merge]
# Entries tested together; a failing batch is split in halves to find the
# culprit (1 = one at a time, up to 64).
batch = 8
# Batches gated at once as a merge train: each batch's merged result is
# built on the one before it and all are gated together, each in a queue
# worktree of its own; when one fails, those behind it are merged and gated
# again on the new target (1 = one batch at a time, up to 16).
train = 1
# Files merged as a union of both sides' lines (changelogs, lists).
append_only = ["CHANGELOG.md", "CHANGES.md"]
# A task whose owned scope holds files that work in flight already changed:
# "run" starts it anyway (the board shows the overlap), "delay" waits.
on_overlap = "run"

# The ai tier: a model resolves conflicted files; the result is gated and
# checked to keep every line both sides added. Off while provider is "".
[merge.ai]
# "anthropic" (Messages API) or "openai" (any OpenAI-compatible endpoint).
provider = ""
# The API's base URL; "" for the provider's own.
base_url = ""
# The model that resolves conflicts, e.g. "claude-sonnet-4-5".
model = ""
# The environment variable holding the API key; "" for the provider's usual
# one (ANTHROPIC_API_KEY or OPENAI_API_KEY). Its value never reaches the log.
api_key_env = ""
# A request running longer than this fails (the entry goes to reimagine).
timeout = "2m"

# Pause points: stops where work waits for the operator to approve or reject.
[pause]
# A pause point before every merge into the target branch.
before_merge = false
# A pause point before merges into target branches matching these globs,
# e.g. ["main", "release/*"].
before_merge_into = []
# Dollars; a task whose spend passes this stops at a pause point (0 = off).
task_spend = 0.0

# Nothing waits silently: what waits for you is raised again, and counted as
# overdue on the console.
[inbox]
# Open concerns (not acknowledged) unanswered this long (by impact; each time
# after twice as long), and pause points after `pause`; "0s" never.
reraise_after = { critical = "10m", high = "30m", medium = "2h", low = "8h", pause = "30m" }
# A pause point undecided this long is escalated with a critical concern
# ("0s" = never). Nothing is ever approved by a timeout.
pause_timeout = "2h"
# Pause kinds a timeout also rejects (work kept, the step not taken):
# agent_request, merge, spend.
reject_on_timeout = []

# Mail between agents. An agent writes to its lead, the operator and its own
# team with `::mail to=...::text`; mail between agents of different teams (or
# of none) is refused unless the pair is listed here.
[mail]
# Pairs of agents that may write to each other, e.g. [["builder-01", "builder-02"]].
allow = []

# Capability routing: among idle agents, the one whose record on the task's
# kind (docs, tests, bugfix, migration, refactor, ops, implementation) fits
# best takes it.
[routing]
# Route by agents' records (off by default).
by_cv = false
# Every Nth start goes to the idle agent with the fewest finished tasks, so
# new agents get work (0 = never).
explore_every = 5

# Model tiers: a task runs on the model of the tier its kind asks for (its own
# `tier` first). Off while no tier names a model; once one does, all three must.
[tiers]
# The fast tier's model, for mechanical work, e.g. "claude-haiku-4-5".
fast = ""
# The standard tier's model, for implementation, e.g. "claude-sonnet-4-5".
standard = ""
# The deep tier's model, for orchestration, review and migrations, e.g. "claude-opus-4-1".
deep = ""
# The tier of a kind, e.g. { docs = "fast", migration = "deep" }; unlisted
# kinds: docs, tests and ops fast, migration, orchestration and review deep,
# the rest standard.
kinds = {}
# A task sent back this many times moves up a tier (0 = never).
rework_up = 2

# Tasks imported from GitHub issues (`shiftboss task import --github`).
[intake.github]
# A merged task says so on its issue (a comment through the REST API, with
# the token in GITHUB_TOKEN or GH_TOKEN).
comment_on_merge = false

# T2 triage: concerns routed to it get a verdict (resolve, act, escalate to
# you) within [watchdog] triage_after.
[triage]
# Act on its own: restart a task fresh, give it to another agent or a bigger
# model, raise its budget. false: it only recommends.
act = true
# Models from smallest to biggest, for "a bigger model"; each needs a price.
model_ladder = []
# A budget raise: at most this share of the task budget, never past the day's.
raise_budget_share = 0.5
# And at most this many dollars (0 = no limit beside the share).
raise_budget_max_usd = 0.0

# A model triage asks for a verdict (off unless provider is set): the
# concern, its events and the agent's output tail, redacted. Its tokens are
# shiftboss's own spend, within the day's budget.
[triage.llm]
# "anthropic" or "openai" (any OpenAI-compatible endpoint).
provider = ""
# The API's base URL; "" for the provider's own.
base_url = ""
# The model asked, e.g. "claude-haiku-4-5"; priced from [prices].
model = ""
# The environment variable holding the API key.
api_key_env = ""
# For the whole call; past it the heuristics decide.
timeout = "30s"

# How real agent processes run (runtime = "command", "claude" or "codex"). Each runs in its own worktree and process group with a scrubbed
# environment.
[agent]
# With runtime = "command": the program and its arguments, e.g. ["./agent.sh"].
# It gets its prompt on stdin and in $SHIFTBOSS_PROMPT_FILE, and may print
# protocol lines (::progress, ::concern, ::pause, ::usage, ::mail, ::done, ::failed).
command = []
# How long a stopped agent has to exit after SIGTERM before SIGKILL.
stop_grace = "10s"
# Extra environment variables agents may see (names only).
pass_env = []
# With runtime = "claude": the Claude Code binary (its native binary, not the
# npm wrapper). It reaches its API through ANTHROPIC_API_KEY and, if set,
# ANTHROPIC_BASE_URL.
claude = "claude"
# The tools Claude Code may use without asking.
allowed_tools = ["Bash", "Edit", "Read"]
# Claude Code's permission mode (as root it refuses to skip permissions).
permission_mode = "acceptEdits"
# With runtime = "codex": the Codex binary (its native binary). It reaches
# its API through OPENAI_API_KEY.
codex = "codex"
# Codex's Responses API endpoint; empty for OpenAI's own.
codex_base_url = ""
# Codex's sandbox: read-only, workspace-write (the worktree; Codex keeps .git
# read-only there, so shiftboss commits the agent's work when it is done) or
# danger-full-access.
codex_sandbox = "workspace-write"
# Models that run in another runtime than swarm.runtime, by name or prefix,
# e.g. by_model = { "gpt-5" = "codex" } beside runtime = "claude".
by_model = {}
# An agent's API refusing (rate limit, overload, server error): the task
# retries after a growing backoff, and fails with a concern saying what the
# API answered after this many refusals in a row (1 or more) ...
api_refusals = 6
# ... or once it has been refused for this long, whichever comes first.
api_refusal_time = "30m"

# Every real agent runs under bubblewrap (bwrap): its worktree and its own
# branches writable, the rest of the repository read-only, the operator's
# checkout absent, a private /tmp, its own PID namespace, and its HOME in
# .shiftboss/agents/<agent>/. Without bwrap, `up` refuses unless mode = "off".
[sandbox]
# "on" or "off" (agents run unconfined; the console's header says so).
mode = "on"
# "on" (the host's network, for agents' APIs) or "none".
network = "on"
# Extra paths agents may read (absolute or relative to the repository).
ro = []
# Extra paths agents may write, e.g. a shared build cache.
rw = []

# The reviews (`shiftboss report`).
[review]
# When the operator's day starts, local time: `--since morning` is today at
# this time, `yesterday` the day before.
day_starts = "06:00"
# The share (0 to 1) of the day's merged tasks the evening review offers to
# be judged good or bad, to calibrate the gates (sampled by task id).
calibration_share = 0.2

# The night shift, started from the evening review (`N`): only tasks marked
# `night = true` (or added with `task add --night`) start, until the end time
# or the budget, whichever comes first; then no new work starts until you
# end the night.
[night]
# Dollars the night may spend (0: no budget of its own).
budget = 0.0
# Local time from which no new work starts.
ends = "06:00"

# How the console looks.
[ui]
# Symbols: "unicode", "ascii" (for fonts that lack them), or "auto" (ascii
# when LC_ALL, LC_CTYPE or LANG names no UTF-8 locale). `--glyphs` wins.
glyphs = "auto"

# What the review grades each metric against (docs/metrics.md defines them).
# Inside the target: green; outside it but not past the warning line: amber;
# past the warning line: red; past the critical line: critical. A line is
# comparisons joined by `and` (a target) or `or` (a warning or critical line)
# of shares (70%), lengths (2h) or money ($3). The informational metrics
# (throughput_per_hour, cycle_time_p50, cycle_time_p90, rework_share,
# agent_utilisation, time_to_clear_p50, cost_per_merged_task,
# false_pass_rate, false_reject_rate) take the same
# three lines and have none by default.
[targets.first_try_success]
# Merged tasks whose first branch gate run passed, over merged tasks.
target = "> 70%"
# Red past this line ...
warning = "< 60%"
# ... critical past this one.
critical = "< 50%"

[targets.integration_without_rework]
# Landings not sent back by the merged-result gate or a conflict, over landings.
target = "> 90%"
# Red past this line ...
warning = "< 80%"
# ... critical past this one.
critical = "< 70%"

[targets.escalation_rate]
# Finished tasks with a concern routed to the human, over finished tasks.
target = ">= 5% and <= 20%"
# Red past this line ...
warning = "> 30% or < 5%"
# ... critical past this one.
critical = "> 50% or <= 0%"

[targets.coordination_ratio]
# Tokens spent on coordination (shiftboss's own calls, hand-offs) over all.
target = ">= 15% and <= 30%"
# Red past this line ...
warning = "> 40%"
# ... critical past this one.
critical = "> 50%"

[targets.context_at_completion]
# The last session's context use at its last call, median over merged tasks.
target = ">= 50% and <= 80%"
# Red past this line.
warning = "> 90% or < 30%"

# The simulated runtime (runtime = "sim"); it rehearses a swarm's day in
# virtual time.
[sim]
# How long a task's normal work takes, in virtual minutes: [min, max].
task_minutes = [20, 90]
# Commits per task: [min, max].
commits = [2, 5]
# Tokens a simulated agent uses per virtual minute of work.
tokens_per_minute = 12000
# Virtual minutes a gate run takes.
gate_minutes = 2
# The file a conflicting edit touches: a bare name lands in the task's own
# area (src/auth/registry.rs for a task owning src/auth/**).
conflict_file = "registry.rs"
# Behaviour rates: the probability that a task attempt shows the fault
# (each 0 to 1, together at most 1; the rest of the attempts are normal).
# Stops producing output.
stall = 0.0
# The process lives on but does nothing useful.
zombie = 0.0
# Burns tokens far past its budget.
runaway = 0.0
# Raises a concern for the operator.
concern = 0.0
# Asks for a pause point before a risky step.
pause = 0.0
# Edits conflict_file, so its merge conflicts.
conflict = 0.0
# Leaves a bug the gate catches (the SIM-BUG marker).
gate_fail = 0.0
# The process dies without saying it was done.
crash = 0.0

# The simulated operator (docs/operator-load.md): in `demo --headless`, a
# policy that answers the inbox through the operator's commands on the
# virtual clock. Off here; scenarios such as the standard day turn it on.
[sim.operator]
# Answer pause points and the human's concerns by itself.
enabled = false
# One decision at a time, each this long.
decision_time = "30s"
# Pause points whose reason contains any of these are rejected; the rest approved.
reject_when = []

# How long it takes to answer: concerns by impact (low ones are left in the
# log), and pause points.
[sim.operator.answer_after]
# A critical concern.
critical = "5m"
# A high-impact concern.
high = "10m"
# A medium-impact concern.
medium = "20m"
# A pause point.
pause = "8m"
# Teams: a lead over one to eight coders (four recommended), owning convoys.
# The lead (an agent, or "operator") takes its convoys' epics and breaks them
# into coder tasks with `::task` lines; its coders take those, and with an
# agent lead their work lands on the team's branch `shiftboss/team/<name>`;
# once it has, the lead integrates it from there onto the target (a pause
# point first with `approve_integration = true`). Teams start in phase
# order: a phase waits for the teams of earlier phases to land their convoys
# (`parallel = true`: at once). None by default: every agent takes any task.
# [[teams]]
# name = "platform"
# lead = "lead-platform"
# lead_prompt = "Keep each coder task inside one folder."
# coders = ["builder-01", "builder-02", "builder-03", "builder-04"]
# convoys = ["platform"]
# phase = 1
# parallel = false
# approve_integration = false
"#;

/// The template with a real runtime: the CLI found, else `command` with the
/// example command commented out (a config without it does not load, and
/// the error names `agent.command`).
pub(super) fn for_runtime(agent_cli: Option<super::Runtime>) -> String {
    let runtime = agent_cli.map(|r| r.as_str()).unwrap_or("command");
    let mut t = TEMPLATE.replacen(
        "runtime = \"sim\"",
        &format!(
            "# The simulator runs only in `shiftboss demo` and `shiftboss up --simulate`.\nruntime = \"{runtime}\""
        ),
        1,
    );
    if agent_cli.is_none() {
        t = t.replacen(
            "command = []",
            "# Set this to your agent before `shiftboss up`, e.g.:\n# command = [\"./agent.sh\"]",
            1,
        );
    }
    t
}
