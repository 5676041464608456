//! Checkpoints of the fold: opening a log from its newest checkpoint and the
//! events after it gives exactly what folding the whole log gives, on the
//! standard day, on a day interrupted while a checkpoint was written, and
//! with a checkpoint corrupted (ignored, with a warning); the log digest
//! kept as a running value equals the one recomputed from the first row.

use rusqlite::Connection;
use shiftboss::domain::{Actor, ConvoyId, Event, EventKind, TaskId, TaskSpec};
use shiftboss::store::{Fold, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_shiftboss");

/// The standard day's log digest (as in `one_fold.rs`): checkpoints are
/// not events, and writing them changes nothing in the log.
const STANDARD_DAY_DIGEST: &str =
    "a82dddb8ba5b3147cc1690cf2fc84d515082d13de475e0d7cc407564ea185afb";

/// Events between checkpoints in these runs (the standard day has ~11.9k).
const EVERY: &str = "1000";

fn demo(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "demo",
        "--headless",
        "--json",
        "--agents",
        "30",
        "--state-dir",
    ])
    .arg(dir)
    .current_dir("/")
    .env("SHIFTBOSS_CHECKPOINT_EVERY", EVERY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run shiftboss")
}

fn status(dir: &Path) -> Output {
    Command::new(BIN)
        .args(["status", "--json"])
        .current_dir(dir)
        .output()
        .expect("run shiftboss status")
}

fn finished(out: &Output) -> serde_json::Value {
    // 0, or 3: the standard day plants failures.
    assert!(
        matches!(out.status.code(), Some(0) | Some(3)),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// The standard day, run once with checkpoints every [`EVERY`] events;
/// each test works on a copy of its state folder.
fn standard_day() -> &'static (tempfile::TempDir, serde_json::Value) {
    static DAY: OnceLock<(tempfile::TempDir, serde_json::Value)> = OnceLock::new();
    DAY.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let sum = finished(&demo(tmp.path(), &[]));
        (tmp, sum)
    })
}

fn db(dir: &Path) -> PathBuf {
    dir.join(".shiftboss/state.db")
}

/// A copy of the standard day's folder (the repository and the log).
fn copy_of_day() -> tempfile::TempDir {
    let (src, _) = standard_day();
    let dst = tempfile::tempdir().unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.path().display()))
        .arg(dst.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    dst
}

/// Everything a fold holds, compared in full.
fn same(a: &Fold, b: &Fold) {
    assert_eq!(a.seq(), b.seq());
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.facts, b.facts);
    assert_eq!(format!("{:?}", a.state), format!("{:?}", b.state));
}

#[test]
fn a_checkpoint_and_the_tail_fold_as_the_whole_standard_day_does() {
    let (dir, sum) = standard_day();
    assert_eq!(sum["log_digest"], STANDARD_DAY_DIGEST);

    let store = Store::open_readonly(&db(dir.path())).unwrap();
    let last = store.last_seq().unwrap();
    let kept = store.checkpoints().unwrap();
    assert_eq!(kept.len(), 2, "the two newest are kept: {kept:?}");
    assert!(
        kept[1] > last - 2000 && kept[1] <= last,
        "{kept:?} of {last}"
    );

    let loaded = store.load().unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.checkpoint, Some(kept[1]));
    let full = store.replay_fold().unwrap();
    assert_eq!(full.seq(), last);
    same(&loaded.fold, &full);
    assert_eq!(full.digest(), STANDARD_DAY_DIGEST);
    assert_eq!(store.full_digest().unwrap(), STANDARD_DAY_DIGEST);
    assert_eq!(store.digest().unwrap(), STANDARD_DAY_DIGEST);

    // `status` reads the same, and says nothing on stderr.
    let out = status(dir.path());
    let st = finished(&out);
    assert_eq!(st["log_digest"], STANDARD_DAY_DIGEST);
    assert_eq!(st["events"].as_u64(), Some(last));
    assert_eq!(st["merges"], sum["merges"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_day_interrupted_while_a_checkpoint_is_written_folds_right_and_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    // The third checkpoint write stops the process between writing the
    // new checkpoint and removing the old ones.
    let out = demo(
        tmp.path(),
        &[("SHIFTBOSS_FAILPOINT", "checkpoint-mid-write@3")],
    );
    assert_eq!(
        out.status.code(),
        Some(86),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("failpoint checkpoint-mid-write"));
    {
        let store = Store::open_readonly(&db(tmp.path())).unwrap();
        let last = store.last_seq().unwrap();
        let kept = store.checkpoints().unwrap();
        // The first two survive; nothing of the third.
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(last > kept[1], "events after the last checkpoint: {last}");
        assert!(last < 11_000, "the day was cut short: {last}");
        let loaded = store.load().unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.checkpoint, Some(kept[1]));
        same(&loaded.fold, &store.replay_fold().unwrap());
        assert_eq!(store.digest().unwrap(), store.full_digest().unwrap());
    }
    // The day goes on from there.
    let sum = finished(&demo(tmp.path(), &[]));
    assert_eq!(sum["resumed"], true);
    let store = Store::open_readonly(&db(tmp.path())).unwrap();
    let loaded = store.load().unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(loaded.checkpoint.is_some());
    let full = store.replay_fold().unwrap();
    same(&loaded.fold, &full);
    assert_eq!(sum["log_digest"], full.digest());
    assert_eq!(store.full_digest().unwrap(), full.digest());
}

/// Overwrite bytes in the middle of a checkpoint's payload, in its row.
fn corrupt_payload(db: &Path, seq: u64) {
    let conn = Connection::open(db).unwrap();
    let n = conn
        .execute(
            "UPDATE checkpoints
             SET payload = substr(payload, 1, 100) || zeroblob(8) || substr(payload, 109)
             WHERE seq = ?1",
            [seq as i64],
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_corrupt_checkpoint_is_ignored_with_a_warning_and_the_fold_is_right() {
    let dir = copy_of_day();
    let db = db(dir.path());
    let kept = Store::open_readonly(&db).unwrap().checkpoints().unwrap();
    assert_eq!(kept.len(), 2);

    // The newest corrupt: the older one serves.
    corrupt_payload(&db, kept[1]);
    let store = Store::open_readonly(&db).unwrap();
    let full = store.replay_fold().unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.checkpoint, Some(kept[0]));
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0].contains(&format!("checkpoint at event {} ignored", kept[1]))
            && loaded.warnings[0].contains("corrupt"),
        "{}",
        loaded.warnings[0]
    );
    same(&loaded.fold, &full);
    drop(store);

    // Both corrupt: the whole log is folded, and `status` says why on one
    // line per checkpoint, with the right digest.
    corrupt_payload(&db, kept[0]);
    let store = Store::open_readonly(&db).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.checkpoint, None);
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    same(&loaded.fold, &full);
    assert_eq!(store.digest().unwrap(), STANDARD_DAY_DIGEST);
    let out = status(dir.path());
    let st = finished(&out);
    assert_eq!(st["log_digest"], STANDARD_DAY_DIGEST);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("shiftboss: warning: ")
        && l.contains("checkpoint at event")
        && l.contains("ignored")));
}

#[test]
fn a_checkpoint_of_another_format_or_another_log_is_ignored() {
    let dir = copy_of_day();
    let db = db(dir.path());
    let kept = Store::open_readonly(&db).unwrap().checkpoints().unwrap();
    let conn = Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE checkpoints SET format = format + 1 WHERE seq = ?1",
        [kept[1] as i64],
    )
    .unwrap();
    // An event the older checkpoint covers, rewritten: it no longer
    // describes this log.
    conn.execute(
        "UPDATE events SET at = at + 1 WHERE seq = ?1",
        [kept[0] as i64],
    )
    .unwrap();
    drop(conn);
    let store = Store::open_readonly(&db).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.checkpoint, None);
    assert!(
        loaded.warnings[0].contains("format"),
        "{:?}",
        loaded.warnings
    );
    assert!(
        loaded.warnings[1].contains("not the ones it was made from"),
        "{:?}",
        loaded.warnings
    );
    same(&loaded.fold, &store.replay_fold().unwrap());
}

#[test]
fn the_running_digest_is_the_recomputed_one() {
    let (dir, _) = standard_day();
    let events = Store::open_readonly(&db(dir.path()))
        .unwrap()
        .load_events()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("state.db");
    let mut store = Store::open(&path).unwrap();
    for (i, batch) in events.chunks(777).enumerate() {
        store.append(batch).unwrap();
        assert_eq!(store.digest().unwrap(), store.full_digest().unwrap());
        if i % 4 == 1 {
            store.write_checkpoint().unwrap();
        }
        if i % 5 == 2 {
            // Opened again: from the checkpoint and the rows after it.
            drop(store);
            store = Store::open(&path).unwrap();
            assert_eq!(store.digest().unwrap(), store.full_digest().unwrap());
            let ro = Store::open_readonly(&path).unwrap();
            assert_eq!(ro.digest().unwrap(), store.full_digest().unwrap());
        }
    }
    assert_eq!(store.digest().unwrap(), STANDARD_DAY_DIGEST);
}

#[test]
fn a_writer_opened_again_reads_the_log_once() {
    let dir = copy_of_day();
    let db = db(dir.path());
    // No checkpoint: the writer folds the whole log as it opens.
    Connection::open(&db)
        .unwrap()
        .execute("DELETE FROM checkpoints", [])
        .unwrap();
    let mut store = Store::open(&db).unwrap();
    let loaded = store.resume().unwrap();
    assert_eq!(loaded.checkpoint, None);
    let seq = loaded.fold.seq();
    // Now an early event cannot be read back: an append that folded the
    // log again (as the first append after opening once did) fails on it.
    Connection::open(&db)
        .unwrap()
        .execute("UPDATE events SET data = 'garbage' WHERE seq = 2", [])
        .unwrap();
    assert!(Store::open_readonly(&db).unwrap().replay_fold().is_err());
    let ev = Event {
        at: loaded.fold.state.now,
        actor: Actor::Operator,
        agent: None,
        task: Some(TaskId("T-late".into())),
        convoy: Some(ConvoyId("late".into())),
        model: None,
        session: None,
        kind: EventKind::TaskAdded {
            spec: TaskSpec {
                id: TaskId("T-late".into()),
                title: "added after the day".into(),
                spec: "one more thing".into(),
                convoy: ConvoyId("late".into()),
                priority: 1,
                scope: vec!["src/late/**".into()],
                checks: vec![],
                after: vec![],
                tier: None,
                behaviour: None,
                night: false,
            },
        },
    };
    assert_eq!(store.append(&[ev]).unwrap(), seq + 1);
}
