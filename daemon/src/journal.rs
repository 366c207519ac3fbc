//! The durable journal: finished results for at-least-once delivery, and the one row that
//! marks a session in progress so a crash is recorded as `interrupted` on the next start.
//!
//! SQLite in WAL mode with `synchronous=FULL`: a result is on disk before it gets its `seq`
//! and before anyone hears of it. Writes are few and small (SD cards wear out): one row when
//! a session starts, one transaction when it ends. Deleted data is overwritten
//! (`secure_delete`) and its pages returned to the file system (`incremental_vacuum`):
//! results are health-related personal data.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use myna_api::proto::{Notice, Outcome, SessionResult};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::catalogue;

pub const FILE_NAME: &str = "journal.sqlite3";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Acknowledged results are deleted this long after acknowledgement.
    pub acknowledged: Duration,
    /// Unacknowledged results are deleted this long after they were recorded.
    pub unacknowledged: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { acknowledged: Duration::from_secs(24 * 3600), unacknowledged: Duration::from_secs(7 * 24 * 3600) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("the journal's disk is full")]
    Full,
    #[error("the journal is read-only")]
    ReadOnly,
    #[error("the journal is corrupt: {0}")]
    Corrupt(String),
    #[error("journal error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(DiskFull) => JournalError::Full,
            Some(ReadOnly) | Some(CannotOpen) if e.to_string().contains("readonly") => JournalError::ReadOnly,
            Some(ReadOnly) => JournalError::ReadOnly,
            Some(DatabaseCorrupt) | Some(NotADatabase) => JournalError::Corrupt(e.to_string()),
            _ => JournalError::Other(e.to_string()),
        }
    }
}

impl JournalError {
    pub fn notice(&self) -> Notice {
        catalogue::JOURNAL_UNAVAILABLE.notice_with(&self.to_string())
    }
}

struct Inner {
    conn: Option<Connection>,
    /// The last failure: health reports it and new sessions are refused until a write works.
    broken: Option<JournalError>,
}

/// Shared by the driver (records) and the API (reads, acknowledges). Cheap to clone.
#[derive(Clone)]
pub struct Journal(Arc<Mutex<Inner>>);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    acked_at INTEGER
);
CREATE TABLE IF NOT EXISTS in_progress (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL
);
";

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl Journal {
    /// Opens (or creates) the journal in `dir`. A journal that cannot be opened is returned
    /// broken rather than failing the daemon: health says why and sessions are refused.
    pub fn open(dir: &Path) -> Journal {
        let result = std::fs::create_dir_all(dir)
            .map_err(|e| JournalError::Other(format!("{}: {e}", dir.display())))
            .and_then(|()| Self::connect(&dir.join(FILE_NAME), OpenFlags::default()));
        match result {
            Ok(conn) => Journal(Arc::new(Mutex::new(Inner { conn: Some(conn), broken: None }))),
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "journal unavailable: sessions are refused");
                Journal(Arc::new(Mutex::new(Inner { conn: None, broken: Some(e) })))
            }
        }
    }

    /// A journal in memory (tests and benches; nothing survives the process).
    pub fn in_memory() -> Journal {
        let conn = Self::connect(Path::new(":memory:"), OpenFlags::default()).expect("in-memory SQLite");
        Journal(Arc::new(Mutex::new(Inner { conn: Some(conn), broken: None })))
    }

    /// Opens `path` read-only (tests of a read-only medium).
    pub fn open_read_only(path: &Path) -> Journal {
        match Self::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
            Ok(conn) => Journal(Arc::new(Mutex::new(Inner { conn: Some(conn), broken: None }))),
            Err(e) => Journal(Arc::new(Mutex::new(Inner { conn: None, broken: Some(e) }))),
        }
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, JournalError> {
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_secs(2))?;
        let read_only = flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY);
        if !read_only {
            // Must precede the first table for auto_vacuum to take effect.
            conn.execute_batch(
                // cache_size: 512 KiB, not SQLite's 2 MiB: the kiosk reads recent rows only, and a
                // Pi Zero 2 W shares 512 MB with a browser.
                "PRAGMA auto_vacuum = INCREMENTAL;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA secure_delete = ON;
                 PRAGMA cache_size = -512;",
            )?;
            conn.execute_batch(SCHEMA)?;
        }
        // Read something: a corrupt or foreign file fails here, not at the first patient.
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(JournalError::Corrupt(check));
        }
        Ok(conn)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the connection, remembering a failure for health and clearing it on success.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>) -> Result<T, JournalError> {
        let mut inner = self.lock();
        let Some(conn) = inner.conn.as_mut() else {
            return Err(inner.broken.clone().unwrap_or(JournalError::Other("not open".into())));
        };
        match f(conn) {
            Ok(v) => {
                inner.broken = None;
                Ok(v)
            }
            Err(e) => {
                let e = JournalError::from(e);
                tracing::error!(error = %e, "journal write or read failed");
                inner.broken = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Caps the database size in pages: how tests make the disk "full" without a tiny mount.
    #[doc(hidden)]
    pub fn limit_pages_for_test(&self, pages: u32) {
        let _ = self.with(|c| c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(())));
    }

    /// `None` when the journal works; otherwise why it does not.
    pub fn problem(&self) -> Option<JournalError> {
        self.lock().broken.clone()
    }

    /// Marks a session as started: after a crash it is recorded as interrupted.
    pub fn begin(&self, id: &str, started_at: DateTime<Utc>) -> Result<(), JournalError> {
        let started = started_at.to_rfc3339_opts(SecondsFormat::Millis, true);
        self.with(|c| {
            c.execute("INSERT OR REPLACE INTO in_progress (id, started_at) VALUES (?1, ?2)", params![id, started])
        })?;
        Ok(())
    }

    /// Stores a finished result and clears its in-progress mark, atomically and durably.
    pub fn record(&self, mut result: SessionResult, now: DateTime<Utc>) -> Result<SessionResult, JournalError> {
        self.with(|c| {
            let tx = c.transaction()?;
            // A result already recorded (the same session id) keeps its first seq: exactly once.
            let existing: Option<(i64, String)> = tx
                .query_row("SELECT seq, body FROM results WHERE id = ?1", params![result.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((_, body)) = existing {
                tx.execute("DELETE FROM in_progress WHERE id = ?1", params![result.id])?;
                tx.commit()?;
                return Ok(serde_json::from_str(&body).unwrap_or(result));
            }
            tx.execute("INSERT INTO results (id, body, recorded_at) VALUES (?1, '', ?2)", params![result.id, ms(now)])?;
            let seq = tx.last_insert_rowid();
            result.seq = seq as u64;
            let body = serde_json::to_string(&result).unwrap_or_default();
            tx.execute("UPDATE results SET body = ?1 WHERE seq = ?2", params![body, seq])?;
            tx.execute("DELETE FROM in_progress WHERE id = ?1", params![result.id])?;
            tx.commit()?;
            Ok(result)
        })
    }

    /// At start: every session a crash left in progress becomes an `interrupted` result.
    pub fn recover(&self, now: DateTime<Utc>) -> Result<Vec<SessionResult>, JournalError> {
        let pending: Vec<(String, String)> = self.with(|c| {
            let mut st = c.prepare("SELECT id, started_at FROM in_progress ORDER BY rowid")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })?;
        let mut recorded = vec![];
        for (id, started_at) in pending {
            let result = SessionResult {
                id,
                seq: 0,
                outcome: Outcome::Interrupted,
                started_at,
                finished_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
                card: None,
                auth: None,
                consent: None,
                guidance: vec![],
                error: Some(catalogue::INTERRUPTED.notice()),
            };
            recorded.push(self.record(result, now)?);
        }
        Ok(recorded)
    }

    pub fn after(&self, after: u64, limit: usize) -> Result<Vec<SessionResult>, JournalError> {
        // Seqs are SQLite rowids (i64): an `after` beyond them means "nothing newer", never a
        // negative number that matches every result (found by fuzz target api_request).
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut st = c.prepare_cached("SELECT body FROM results WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let rows = st.query_map(params![after, limit], |r| r.get::<_, String>(0))?;
            rows.map(|b| b.map(|b| serde_json::from_str(&b).ok())).filter_map(Result::transpose).collect()
        })
    }

    pub fn get(&self, id: &str) -> Result<Option<SessionResult>, JournalError> {
        self.with(|c| {
            c.query_row("SELECT body FROM results WHERE id = ?1", params![id], |r| r.get::<_, String>(0))
                .optional()
                .map(|b| b.and_then(|b| serde_json::from_str(&b).ok()))
        })
    }

    /// Marks a result delivered (idempotent). `false` if there is no such result.
    pub fn ack(&self, id: &str, now: DateTime<Utc>) -> Result<bool, JournalError> {
        self.with(|c| {
            let n =
                c.execute("UPDATE results SET acked_at = COALESCE(acked_at, ?2) WHERE id = ?1", params![id, ms(now)])?;
            Ok(n > 0)
        })
    }

    /// Deletes what retention says must go and gives the space back. Returns rows deleted.
    pub fn prune(&self, now: DateTime<Utc>, retention: Retention) -> Result<usize, JournalError> {
        let acked_before = ms(now) - retention.acknowledged.as_millis() as i64;
        let recorded_before = ms(now) - retention.unacknowledged.as_millis() as i64;
        self.with(|c| {
            let n = c.execute(
                "DELETE FROM results WHERE (acked_at IS NOT NULL AND acked_at <= ?1) OR recorded_at <= ?2",
                params![acked_before, recorded_before],
            )?;
            if n > 0 {
                c.execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")?;
            }
            Ok(n)
        })
    }

    pub fn unacknowledged(&self) -> Result<u64, JournalError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM results WHERE acked_at IS NULL", [], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz/corpus/api_request/results-after-max): `GET /v1/results?after=<u64::MAX>`
    /// answered every result from the start, as `after` wrapped to -1 on its way to SQLite.
    #[test]
    fn after_beyond_i64_finds_nothing_newer() {
        let j = Journal::in_memory();
        let result: SessionResult = serde_json::from_str(
            r#"{"id":"s-1","seq":0,"outcome":"cancelled","started_at":"2026-01-01T00:00:00.000Z",
                "finished_at":"2026-01-01T00:00:01.000Z","card":null,"auth":null,"consent":null,
                "guidance":[],"error":null}"#,
        )
        .unwrap();
        j.record(result, Utc::now()).unwrap();
        assert_eq!(j.after(0, 100).unwrap().len(), 1);
        for after in [u64::MAX, i64::MAX as u64 + 1, i64::MAX as u64] {
            assert!(j.after(after, 100).unwrap().is_empty(), "after={after}");
        }
        assert_eq!(j.after(0, usize::MAX).unwrap().len(), 1);
    }
}
