//! The tables against the fold: every row of every projection compared with
//! the rows written afresh from a [`SwarmState`] (the tables are kept batch
//! by batch from what each batch touched; this finds a row left behind).

use super::{Store, StoreError, projections, schema};
use crate::domain::{SwarmState, Touched};
use rusqlite::Connection;
use rusqlite::types::Value;

/// Each projection with the order its rows are compared in.
const TABLES: [(&str, &str); 6] = [
    ("tasks", "id"),
    ("agents", "id"),
    ("concerns", "id"),
    ("pause_points", "id"),
    ("merges", "seq"),
    ("usage_by_model", "model"),
];

/// Everything in `state`, as if every entity had just been touched.
fn everything(state: &SwarmState) -> Touched {
    Touched {
        tasks: state.tasks.keys().cloned().collect(),
        agents: state.agents.keys().cloned().collect(),
        concerns: state.rows.concerns.keys().cloned().collect(),
        pauses: state.rows.pauses.keys().cloned().collect(),
        models: state.usage_by_model.keys().cloned().collect(),
        merges: (0..state.merge_log.len()).collect(),
    }
}

fn rows(conn: &Connection, table: &str, key: &str) -> rusqlite::Result<Vec<Vec<Value>>> {
    let mut st = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
    let n = st.column_count();
    let rows = st.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?;
    rows.collect()
}

impl Store {
    /// The rows of the projections that differ from the rows `state` makes,
    /// one line per difference (empty: the tables are the fold).
    pub fn tables_differ_from(&self, state: &SwarmState) -> Result<Vec<String>, StoreError> {
        let err = self.sql_err();
        let fresh = Connection::open_in_memory().map_err(&err)?;
        for sql in schema::MIGRATIONS {
            fresh.execute_batch(sql).map_err(&err)?;
        }
        projections::write(&fresh, state, &everything(state)).map_err(|e| StoreError::Project {
            path: self.path.clone(),
            what: e.what,
            source: e.source,
        })?;
        let mut out = Vec::new();
        for (table, key) in TABLES {
            let have = rows(&self.conn, table, key).map_err(&err)?;
            let want = rows(&fresh, table, key).map_err(&err)?;
            if have.len() != want.len() {
                out.push(format!(
                    "{table}: {} rows, the fold has {}",
                    have.len(),
                    want.len()
                ));
            }
            for (h, w) in have.iter().zip(&want) {
                if h != w {
                    out.push(format!("{table}: {h:?} != the fold's {w:?}"));
                }
            }
        }
        Ok(out)
    }
}
