//! The durable journal: finished results for at-least-once delivery, and the one row that
//! marks a session in progress so a crash is recorded as `interrupted` on the next start.
//!
//! SQLite in WAL mode with `synchronous=FULL`: a result is on disk before it gets its `seq`
//! and before anyone hears of it. Writes are few and small (SD cards wear out): one row when
//! a session starts, one transaction when it ends. Deleted data is overwritten
//! (`secure_delete`) and its pages returned to the file system (`incremental_vacuum`):
//! results are health-related personal data.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use myna_api::proto::{Outcome, SessionResult};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::catalogue;

mod error;
mod retention;
mod rows;

pub use error::JournalError;
pub use retention::{Pruned, Retention};
use retention::{Pruned64, Uptime};
use rows::parse_row;

pub const FILE_NAME: &str = "journal.sqlite3";

/// Free space the journal's file system must keep before a session starts (`[journal]
/// reserve_mib`): a session's own writes are tiny, its result with certificates is not, and a
/// patient must never be verified whose result then cannot be stored.
pub const DEFAULT_RESERVE: u64 = 64 * 1024 * 1024;

/// How much a probe writes when a past failure may be over: more than any result needs.
const PROBE_BYTES: usize = 64 * 1024;

/// What `/metrics` and health report about the journal besides its failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Seqs of stored rows that do not parse, as readers met them.
    pub unreadable: Vec<u64>,
    /// Rows retention deleted since the daemon started: (acknowledged, unacknowledged).
    pub pruned_acknowledged: u64,
    pub pruned_unacknowledged: u64,
}

struct Inner {
    conn: Option<Connection>,
    /// The last failure: health reports it and new sessions are refused until a result-sized
    /// write works (a result recorded, or [`Journal::ready`]'s probe). Reads never clear it:
    /// a read that works says nothing about whether the next result fits.
    broken: Option<JournalError>,
    /// The directory whose file system must keep `reserve` bytes free (none in memory).
    dir: Option<PathBuf>,
    reserve: u64,
    free_for_test: Option<u64>,
    /// Stored rows that did not parse (seqs), reported until retention removes them.
    unreadable: BTreeSet<i64>,
    pruned: Pruned64,
    uptime: Uptime,
}

impl Inner {
    fn new(conn: Option<Connection>, broken: Option<JournalError>) -> Self {
        let base = conn
            .as_ref()
            .and_then(|c| c.query_row("SELECT value FROM meta WHERE key = 'uptime_ms'", [], |r| r.get(0)).ok())
            .unwrap_or(0);
        Inner {
            conn,
            broken,
            dir: None,
            reserve: 0,
            free_for_test: None,
            unreadable: BTreeSet::new(),
            pruned: Pruned64::default(),
            uptime: Uptime::new(base),
        }
    }
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
    acked_at INTEGER,
    held_from INTEGER
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS probe (
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS in_progress (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL
);
";

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Keeps the daemon's running time in the journal (in the caller's transaction).
const SAVE_UPTIME: &str = "INSERT INTO meta (key, value) VALUES ('uptime_ms', ?1)
     ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)";

/// Free bytes for an unprivileged writer on the file system holding `dir`.
fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `path` is a valid C string and `st` a plain struct statvfs fills in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

impl Journal {
    /// Opens (or creates) the journal in `dir`. A journal that cannot be opened is returned
    /// broken rather than failing the daemon: health says why and sessions are refused.
    pub fn open(dir: &Path) -> Journal {
        let result = std::fs::create_dir_all(dir)
            .map_err(|e| JournalError::Other(format!("{}: {e}", dir.display())))
            .and_then(|()| Self::connect(&dir.join(FILE_NAME), OpenFlags::default()));
        match result {
            Ok(conn) => {
                let mut inner = Inner::new(Some(conn), None);
                inner.dir = Some(dir.to_path_buf());
                inner.reserve = DEFAULT_RESERVE;
                Journal(Arc::new(Mutex::new(inner)))
            }
            Err(e) => {
                tracing::error!(error = %e, dir = %dir.display(), "journal unavailable: sessions are refused");
                Journal(Arc::new(Mutex::new(Inner::new(None, Some(e)))))
            }
        }
    }

    /// A journal in memory (tests and benches; nothing survives the process).
    pub fn in_memory() -> Journal {
        let conn = Self::connect(Path::new(":memory:"), OpenFlags::default()).expect("in-memory SQLite");
        Journal(Arc::new(Mutex::new(Inner::new(Some(conn), None))))
    }

    /// Free space to keep on the journal's file system: below it new sessions are refused.
    pub fn set_reserve(&self, bytes: u64) {
        self.lock().reserve = bytes;
    }

    /// Test hook: the free space the reserve check sees, instead of statvfs's.
    #[doc(hidden)]
    pub fn free_space_for_test(&self, bytes: Option<u64>) {
        self.lock().free_for_test = bytes;
    }

    /// Test hook: the daemon has been running `d` longer than it has.
    #[doc(hidden)]
    pub fn advance_uptime_for_test(&self, d: Duration) {
        self.lock().uptime.test_offset_ms += d.as_millis() as i64;
    }

    /// Opens `path` read-only (tests of a read-only medium).
    pub fn open_read_only(path: &Path) -> Journal {
        match Self::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
            Ok(conn) => Journal(Arc::new(Mutex::new(Inner::new(Some(conn), None)))),
            Err(e) => Journal(Arc::new(Mutex::new(Inner::new(None, Some(e))))),
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
            // Journals from before retention counted the daemon's running time.
            let has_held_from: bool = conn.query_row(
                "SELECT COUNT(*) FROM pragma_table_info('results') WHERE name = 'held_from'",
                [],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )?;
            if !has_held_from {
                conn.execute_batch("ALTER TABLE results ADD COLUMN held_from INTEGER")?;
            }
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

    /// Runs `f` on the locked journal, remembering a failure for health. Only a result-sized
    /// write (`proves_writes`: a result recorded, the probe) clears an earlier failure: a read,
    /// an ack or a small mark that works says nothing about whether the next result fits.
    fn run<T>(
        &self,
        proves_writes: bool,
        f: impl FnOnce(&mut Connection, &mut Inner) -> Result<T, rusqlite::Error>,
    ) -> Result<T, JournalError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let Some(mut conn) = inner.conn.take() else {
            return Err(inner.broken.clone().unwrap_or(JournalError::Other("not open".into())));
        };
        let result = f(&mut conn, inner);
        inner.conn = Some(conn);
        match result {
            Ok(v) => {
                if proves_writes && inner.broken.take().is_some() {
                    tracing::info!("journal writes work again");
                }
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

    fn read<T>(
        &self,
        f: impl FnOnce(&mut Connection, &mut Inner) -> Result<T, rusqlite::Error>,
    ) -> Result<T, JournalError> {
        self.run(false, f)
    }

    /// Caps the database size in pages: how tests make the disk "full" without a tiny mount.
    #[doc(hidden)]
    pub fn limit_pages_for_test(&self, pages: u32) {
        if let Some(c) = self.lock().conn.as_ref() {
            let _ = c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()));
        }
    }

    /// `None` when the journal works; otherwise why it does not: a failed write not yet
    /// followed by a working one, or less free space than the reserve.
    pub fn problem(&self) -> Option<JournalError> {
        let inner = self.lock();
        inner.broken.clone().or_else(|| Self::low_space(&inner))
    }

    fn low_space(inner: &Inner) -> Option<JournalError> {
        let dir = inner.dir.as_ref()?;
        if inner.reserve == 0 {
            return None;
        }
        let free = match inner.free_for_test {
            Some(free) => free,
            None => match free_bytes(dir) {
                Ok(free) => free,
                // Unknown free space is no reason to refuse patients: writes still report.
                Err(e) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "cannot read the journal disk's free space");
                    return None;
                }
            },
        };
        (free < inner.reserve)
            .then(|| JournalError::LowSpace { free_mib: free >> 20, reserve_mib: inner.reserve.div_ceil(1 << 20) })
    }

    /// Before a session starts: `Ok` when a result could be recorded now. Checks the disk's
    /// reserve (one statvfs) and, only after a failure, writes and deletes a probe larger
    /// than any result: if that works, the failure is over.
    pub fn ready(&self) -> Result<(), JournalError> {
        if let Some(low) = Self::low_space(&self.lock()) {
            tracing::error!(error = %low, "journal reserve reached: new sessions are refused");
            return Err(low);
        }
        if self.lock().broken.is_none() {
            return Ok(());
        }
        self.run(true, |c, _| {
            let tx = c.transaction()?;
            tx.execute("INSERT INTO probe (data) VALUES (randomblob(?1))", params![PROBE_BYTES as i64])?;
            tx.execute("DELETE FROM probe", [])?;
            tx.commit()
        })
    }

    /// Unreadable rows met and retention's counts, for health and `/metrics`.
    pub fn stats(&self) -> JournalStats {
        let inner = self.lock();
        JournalStats {
            unreadable: inner.unreadable.iter().map(|s| *s as u64).collect(),
            pruned_acknowledged: inner.pruned.acknowledged,
            pruned_unacknowledged: inner.pruned.unacknowledged,
        }
    }

    /// Marks a session as started: after a crash it is recorded as interrupted.
    pub fn begin(&self, id: &str, started_at: DateTime<Utc>) -> Result<(), JournalError> {
        let started = started_at.to_rfc3339_opts(SecondsFormat::Millis, true);
        self.run(false, |c, _| {
            c.execute("INSERT OR REPLACE INTO in_progress (id, started_at) VALUES (?1, ?2)", params![id, started])
        })?;
        Ok(())
    }

    /// Stores a finished result and clears its in-progress mark, atomically and durably.
    pub fn record(&self, mut result: SessionResult, now: DateTime<Utc>) -> Result<SessionResult, JournalError> {
        self.run(true, |c, inner| {
            let held_from = inner.uptime.now_ms();
            let tx = c.transaction()?;
            // A result already recorded (the same session id) keeps its first seq: exactly once.
            let existing: Option<(i64, String)> = tx
                .query_row("SELECT seq, body FROM results WHERE id = ?1", params![result.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((seq, body)) = existing {
                tx.execute("DELETE FROM in_progress WHERE id = ?1", params![result.id])?;
                tx.commit()?;
                let id = result.id.clone();
                return Ok(parse_row(inner, seq, id, &body, ms(now)));
            }
            tx.execute(
                "INSERT INTO results (id, body, recorded_at, held_from) VALUES (?1, '', ?2, ?3)",
                params![result.id, ms(now), held_from],
            )?;
            let seq = tx.last_insert_rowid();
            result.seq = seq as u64;
            let body = serde_json::to_string(&result).unwrap_or_default();
            tx.execute("UPDATE results SET body = ?1 WHERE seq = ?2", params![body, seq])?;
            tx.execute("DELETE FROM in_progress WHERE id = ?1", params![result.id])?;
            tx.execute(SAVE_UPTIME, params![held_from])?;
            tx.commit()?;
            Ok(result)
        })
    }

    /// At start: every session a crash left in progress becomes an `interrupted` result.
    pub fn recover(&self, now: DateTime<Utc>) -> Result<Vec<SessionResult>, JournalError> {
        let pending: Vec<(String, String)> = self.read(|c, _| {
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
                proof: Default::default(),
                consent: None,
                guidance: vec![],
                error: Some(catalogue::INTERRUPTED.notice()),
            };
            recorded.push(self.record(result, now)?);
        }
        Ok(recorded)
    }

    /// Results after `after` in seq order, at most `limit`. A row that does not parse comes as
    /// a failed result with code `JOURNAL_ROW_UNREADABLE` and its own seq and id: reported,
    /// never skipped, and a reader's cursor moves past it.
    pub fn after(&self, after: u64, limit: usize) -> Result<Vec<SessionResult>, JournalError> {
        // Seqs are SQLite rowids (i64): an `after` beyond them means "nothing newer", never a
        // negative number that matches every result (found by fuzz target api_request).
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c, inner| {
            let mut st = c.prepare_cached(
                "SELECT seq, id, body, recorded_at FROM results WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = st.query_map(params![after, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })?;
            let rows: Vec<_> = rows.collect::<Result<_, _>>()?;
            Ok(rows.into_iter().map(|(seq, id, body, at)| parse_row(inner, seq, id, &body, at)).collect())
        })
    }

    pub fn get(&self, id: &str) -> Result<Option<SessionResult>, JournalError> {
        self.read(|c, inner| {
            let row = c
                .query_row("SELECT seq, id, body, recorded_at FROM results WHERE id = ?1", params![id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
                })
                .optional()?;
            Ok(row.map(|(seq, id, body, at)| parse_row(inner, seq, id, &body, at)))
        })
    }

    /// Marks a result delivered (idempotent). `false` if there is no such result.
    pub fn ack(&self, id: &str, now: DateTime<Utc>) -> Result<bool, JournalError> {
        self.run(false, |c, _| {
            let n =
                c.execute("UPDATE results SET acked_at = COALESCE(acked_at, ?2) WHERE id = ?1", params![id, ms(now)])?;
            Ok(n > 0)
        })
    }

    pub fn unacknowledged(&self) -> Result<u64, JournalError> {
        self.read(|c, _| c.query_row("SELECT COUNT(*) FROM results WHERE acked_at IS NULL", [], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
    }
}

#[cfg(test)]
mod tests;
