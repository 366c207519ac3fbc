//! How long results are kept, and the daemon's own running time that retention trusts
//! besides the wall clock.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{ms, Journal, JournalError, SAVE_UPTIME};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Acknowledged results are deleted this long after acknowledgement.
    pub acknowledged: Duration,
    /// Unacknowledged results are deleted this long after they were recorded, by the wall
    /// clock *and* by the daemon's own running time (see [`Journal::prune`]).
    pub unacknowledged: Duration,
}

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub acknowledged: usize,
    pub unacknowledged: usize,
}

impl Pruned {
    pub fn total(&self) -> usize {
        self.acknowledged + self.unacknowledged
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention { acknowledged: Duration::from_secs(24 * 3600), unacknowledged: Duration::from_secs(7 * 24 * 3600) }
    }
}

#[derive(Default, Clone, Copy)]
pub(super) struct Pruned64 {
    pub(super) acknowledged: u64,
    pub(super) unacknowledged: u64,
}

/// The daemon's own running time, accumulated across runs in the journal: what retention
/// trusts besides the wall clock, which a Pi without a real-time clock may jump.
pub(super) struct Uptime {
    /// Stored at open: the running time of earlier runs (up to their last write).
    pub(super) base_ms: i64,
    pub(super) since: Instant,
    pub(super) test_offset_ms: i64,
}

impl Uptime {
    pub(super) fn new(base_ms: i64) -> Self {
        Uptime { base_ms, since: Instant::now(), test_offset_ms: 0 }
    }

    pub(super) fn now_ms(&self) -> i64 {
        self.base_ms + self.since.elapsed().as_millis() as i64 + self.test_offset_ms
    }
}

impl Journal {
    /// Deletes what retention says must go and gives the space back.
    ///
    /// Acknowledged results go by wall-clock age: reception has them. An unacknowledged result
    /// goes only when it is past its age by the wall clock *and* the daemon has held it that
    /// long by its own running time (monotonic, added up across runs in the journal): a Pi
    /// without a real-time clock can jump forward by weeks, and that jump alone must never
    /// delete what reception never got. Time the kiosk is switched off does not count, so an
    /// undelivered result may stay longer than its days; never shorter.
    pub fn prune(&self, now: DateTime<Utc>, retention: Retention) -> Result<Pruned, JournalError> {
        let acked_before = ms(now) - retention.acknowledged.as_millis() as i64;
        let recorded_before = ms(now) - retention.unacknowledged.as_millis() as i64;
        self.run(false, |c, inner| {
            let uptime = inner.uptime.now_ms();
            let held_before = uptime - retention.unacknowledged.as_millis() as i64;
            let tx = c.transaction()?;
            let acknowledged =
                tx.execute("DELETE FROM results WHERE acked_at IS NOT NULL AND acked_at <= ?1", params![acked_before])?;
            let unacknowledged = tx.execute(
                "DELETE FROM results WHERE acked_at IS NULL AND recorded_at <= ?1 AND COALESCE(held_from, 0) <= ?2",
                params![recorded_before, held_before],
            )?;
            // The running time matters only while something waits for reception.
            let waiting: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM results WHERE acked_at IS NULL)", [], |r| r.get(0))?;
            if waiting {
                tx.execute(SAVE_UPTIME, params![uptime])?;
            }
            tx.commit()?;
            let pruned = Pruned { acknowledged, unacknowledged };
            if pruned.total() > 0 {
                c.execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")?;
                inner.pruned.acknowledged += acknowledged as u64;
                inner.pruned.unacknowledged += unacknowledged as u64;
                // Unreadable rows retention removed are no longer a problem to report.
                let gone: Vec<i64> = inner
                    .unreadable
                    .iter()
                    .copied()
                    .filter(|seq| {
                        c.query_row("SELECT 1 FROM results WHERE seq = ?1", params![seq], |_| Ok(()))
                            .optional()
                            .map(|r| r.is_none())
                            .unwrap_or(false)
                    })
                    .collect();
                for seq in gone {
                    inner.unreadable.remove(&seq);
                }
            }
            Ok(pruned)
        })
    }
}
