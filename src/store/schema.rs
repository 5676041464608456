//! Versioned migrations. The schema version lives in `PRAGMA user_version`.
//!
//! Migration `n` (1-based) is `MIGRATIONS[n - 1]`. To change the schema,
//! append a new migration; never edit one that has shipped. Each migration
//! runs in its own transaction together with the `user_version` bump, so a
//! database is always at exactly one known version.

/// The schema this code writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The oldest schema a read-only open reads as it is: later migrations
/// only add or drop indexes, which change how fast a read is, never its
/// answer.
pub const READABLE_FROM: u32 = 2;

pub const MIGRATIONS: &[&str] = &[
    // 1: the event log, meta, and the projections.
    r#"
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    agent   TEXT,
    task    TEXT,
    convoy  TEXT,
    model   TEXT,
    session TEXT,
    kind    TEXT NOT NULL,
    data    TEXT NOT NULL
);
CREATE INDEX events_task ON events(task);
CREATE INDEX events_agent ON events(agent);
CREATE INDEX events_kind ON events(kind);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    convoy        TEXT NOT NULL,
    status        TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    agent         TEXT,
    session       TEXT,
    branch        TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    gate_failures INTEGER NOT NULL DEFAULT 0,
    cost_pico     INTEGER NOT NULL DEFAULT 0,
    started_at    INTEGER,
    finished_at   INTEGER,
    merged_commit TEXT,
    reason        TEXT,
    queued_seq    INTEGER,
    waiting_on    TEXT,
    added_seq     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX tasks_added ON tasks(added_seq);

CREATE TABLE agents (
    id                 TEXT PRIMARY KEY,
    model              TEXT NOT NULL,
    runtime            TEXT NOT NULL,
    phase              TEXT NOT NULL,
    held               INTEGER NOT NULL DEFAULT 0,
    task               TEXT,
    session            TEXT,
    sessions           INTEGER NOT NULL DEFAULT 0,
    cost_pico          INTEGER NOT NULL DEFAULT 0,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    tasks_merged       INTEGER NOT NULL DEFAULT 0,
    tasks_failed       INTEGER NOT NULL DEFAULT 0,
    rework             INTEGER NOT NULL DEFAULT 0,
    alerts             INTEGER NOT NULL DEFAULT 0,
    last_alert         TEXT,
    last_alert_at      INTEGER,
    registered_seq     INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE concerns (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    summary     TEXT NOT NULL,
    confidence  REAL NOT NULL,
    impact      TEXT NOT NULL,
    routing     TEXT NOT NULL,
    disposition TEXT NOT NULL,
    reason      TEXT,
    agent       TEXT,
    task        TEXT,
    raised_at   INTEGER NOT NULL,
    raised_seq  INTEGER NOT NULL,
    disposed_at INTEGER,
    disposed_by TEXT
);
CREATE INDEX concerns_disposition ON concerns(disposition);

CREATE TABLE pause_points (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    agent      TEXT,
    task       TEXT,
    state      TEXT NOT NULL,
    raised_at  INTEGER NOT NULL,
    raised_seq INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT
);

CREATE TABLE merges (
    seq        INTEGER PRIMARY KEY,
    task       TEXT,
    agent      TEXT,
    convoy     TEXT,
    outcome    TEXT NOT NULL,
    commit_sha TEXT,
    tier       TEXT,
    files      TEXT,
    at         INTEGER NOT NULL
);

CREATE TABLE usage_by_model (
    model       TEXT PRIMARY KEY,
    input       INTEGER NOT NULL DEFAULT 0,
    output      INTEGER NOT NULL DEFAULT 0,
    cache_read  INTEGER NOT NULL DEFAULT 0,
    cache_write INTEGER NOT NULL DEFAULT 0,
    cost_pico   INTEGER NOT NULL DEFAULT 0
);
"#,
    // 2: checkpoints of the fold (a cache: see `checkpoint.rs`).
    r#"
CREATE TABLE checkpoints (
    seq          INTEGER PRIMARY KEY,
    format       INTEGER NOT NULL,
    tail_sha     BLOB NOT NULL,
    digest_state BLOB NOT NULL,
    payload_sha  BLOB NOT NULL,
    payload      BLOB NOT NULL,
    written_at   INTEGER NOT NULL
);
"#,
    // 3: each task's last event of a kind (the console's start asks for
    // the last `gate_finished` of every task) read from the index alone,
    // not from every row of that kind.
    r#"
CREATE INDEX events_kind_task ON events(kind, task);
"#,
    // 4: every read of the log by kind is answered by `events_kind_task`
    // (the last event of a kind per task), and every append wrote both.
    r#"
DROP INDEX IF EXISTS events_kind;
"#,
];
