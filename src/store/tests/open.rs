//! Opening a log: migrations, read-only opens beside a writer or none, missing paths, newer schemas, files that are not logs.

use super::*;

#[test]
fn migrations_are_idempotent_on_reopen() {
    let (_dir, path) = db();
    let events = scenario();
    {
        let mut s = Store::open(&path).unwrap();
        s.append(&events).unwrap();
        s.set_meta("k", "v1").unwrap();
        s.set_meta("k", "v2").unwrap();
    }
    for _ in 0..3 {
        let s = Store::open(&path).unwrap();
        assert_eq!(user_version(&s.conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(s.load_events().unwrap(), events);
        assert_eq!(s.meta("k").unwrap().as_deref(), Some("v2"));
        assert_eq!(s.meta("missing").unwrap(), None);
        let mode: String = s
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

#[test]
fn readonly_open_of_a_missing_file_names_the_path() {
    let (_dir, path) = db();
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }));
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(!path.exists(), "a read-only open creates nothing");
}

#[test]
fn open_in_a_missing_directory_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("state.db");
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NoDirectory { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn readonly_reads_while_a_writer_is_open_and_cannot_write() {
    let (_dir, path) = db();
    let mut w = Store::open(&path).unwrap();
    w.append(&scenario()).unwrap();
    let mut r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.event_count().unwrap(), scenario().len() as u64);
    w.append(&scenario()[..3]).unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64 + 3);
    assert_eq!(r.task_rows().unwrap(), w.task_rows().unwrap());
    let err = r.append(&scenario()[..1]).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(r.set_meta("a", "b").is_err());
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn readonly_open_of_a_log_no_writer_holds_creates_no_files() {
    let (dir, path) = db();
    {
        let mut w = Store::open(&path).unwrap();
        w.append(&scenario()).unwrap();
    }
    let before = files_in(dir.path());
    assert_eq!(before, ["state.db"], "a clean close leaves the log alone");
    let r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.event_count().unwrap(), scenario().len() as u64);
    assert_eq!(r.digest().unwrap(), r.digest().unwrap());
    drop(r);
    assert_eq!(files_in(dir.path()), before, "no -wal or -shm written");
}

#[test]
fn readonly_view_follows_a_writer_that_starts_after_it() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    let mut r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.last_seq().unwrap(), 0);
    let mut w = Store::open(&path).unwrap();
    w.append(&scenario()).unwrap();
    r.follow_writers().unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64);
    w.append(&scenario()[..2]).unwrap();
    r.follow_writers().unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64 + 2);
}

#[test]
fn newer_schema_is_refused() {
    let (_dir, path) = db();
    drop(Store::open(&path).unwrap());
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    for err in [
        Store::open(&path).unwrap_err(),
        Store::open_readonly(&path).unwrap_err(),
    ] {
        assert!(
            matches!(err, StoreError::NewerSchema { found, known, .. }
                if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("newer"), "{msg}");
    }
}

#[test]
fn readonly_refuses_files_that_are_not_event_logs() {
    let (_dir, path) = db();
    std::fs::write(&path, b"").unwrap();
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotAnEventLog { .. }), "{err}");

    std::fs::write(
        &path,
        b"this is not sqlite, it is a long enough text file to have a header",
    )
    .unwrap();
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let err = Store::open(&path).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

/// A log from before the `(kind, task)` index: read as it is by a read-only
/// open (the index changes no answer), given the index by the next writer;
/// one older still is refused read-only with the way out.
#[test]
fn a_log_without_the_latest_index_is_read_and_the_next_writer_adds_it() {
    let (_dir, path) = db();
    {
        let mut w = Store::open(&path).unwrap();
        w.append(&scenario()).unwrap();
    }
    let index_count = |c: &Connection| -> i64 {
        c.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'events_kind_task'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("DROP INDEX events_kind_task").unwrap();
        c.pragma_update(None, "user_version", 2).unwrap();
        assert_eq!(index_count(&c), 0);
    }
    let r = Store::open_readonly(&path).unwrap();
    assert_eq!(r.last_seq().unwrap(), scenario().len() as u64);
    drop(r);
    drop(Store::open(&path).unwrap());
    let c = Connection::open(&path).unwrap();
    assert_eq!(index_count(&c), 1);
    assert_eq!(user_version(&c).unwrap(), SCHEMA_VERSION);
    // The index on kind alone is gone.
    let kind_alone: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'events_kind'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind_alone, 0);

    c.pragma_update(None, "user_version", 1).unwrap();
    drop(c);
    let err = Store::open_readonly(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::OlderSchema { found: 1, .. }),
        "{err}"
    );
}
