//! The journal: seq order, exactly-once recording, interrupted sessions, acks, several readers,
//! retention with injected time, and the failures a kiosk must survive (full, read-only,
//! corrupt) without verifying patients it cannot record.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use myna_api::proto::{AuthEvidence, CardProof, Method, Outcome, Prompt, ProofCheck, SessionResult};
use myna_kiosk::journal::{Journal, JournalError, Retention, FILE_NAME};
use myna_kiosk::recorder::Recorder;
use myna_virtual_card::{Profile, VirtualCard};
use support::driver::{backend_on, mock_driver, wait_view};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z").unwrap().with_timezone(&Utc)
}

fn result(id: &str, staff: &str) -> SessionResult {
    SessionResult {
        id: id.into(),
        seq: 0,
        outcome: Outcome::Verified,
        started_at: "2026-11-23T00:00:00.000Z".into(),
        finished_at: "2026-11-23T00:00:05.000Z".into(),
        card: None,
        auth: Some(AuthEvidence::Visual { staff_id: staff.into() }),
        // Staff looked at a card whose files were copied: the journal keeps saying so.
        proof: CardProof {
            holder_verified_by: Some(Method::Visual),
            pin_signature: ProofCheck::NotChecked,
            chip_challenge: ProofCheck::Failed,
            photo_signature: ProofCheck::Verified,
        },
        consent: None,
        guidance: vec![],
        error: None,
    }
}

#[test]
fn results_survive_a_restart_in_order_and_exactly_once() {
    let d = dir("order");
    let j = Journal::open(&d);
    let a = j.record(result("a", "s"), t0()).unwrap();
    let b = j.record(result("b", "s"), t0()).unwrap();
    assert_eq!((a.seq, b.seq), (1, 2));
    // Recording the same session again (a retry after a crash) keeps its first seq.
    assert_eq!(j.record(result("a", "s"), t0()).unwrap().seq, 1);
    drop(j);
    let j = Journal::open(&d);
    let c = j.record(result("c", "s"), t0()).unwrap();
    assert_eq!(c.seq, 3);
    let all = j.after(0, 100).unwrap();
    assert_eq!(all.iter().map(|r| (r.id.as_str(), r.seq)).collect::<Vec<_>>(), [("a", 1), ("b", 2), ("c", 3)]);
    assert_eq!(j.after(1, 1).unwrap()[0].id, "b");
    assert_eq!(j.get("b").unwrap().unwrap().seq, 2);
    assert!(j.get("zzz").unwrap().is_none());
    // What the card proved survives the restart with the rest (a copied chip stays `failed`).
    assert_eq!(j.get("a").unwrap().unwrap().proof, result("a", "s").proof);
    assert_eq!(j.get("a").unwrap().unwrap().proof.chip_challenge, ProofCheck::Failed);
}

#[test]
fn a_session_in_progress_at_a_crash_is_recorded_as_interrupted_once() {
    let d = dir("interrupted");
    let j = Journal::open(&d);
    j.begin("s-1", t0()).unwrap();
    j.begin("s-2", t0()).unwrap();
    j.record(result("s-2", "x"), t0()).unwrap();
    drop(j);
    let j = Journal::open(&d);
    let recovered = j.recover(t0() + TimeDelta::minutes(1)).unwrap();
    assert_eq!(recovered.len(), 1);
    let r = &recovered[0];
    assert_eq!((r.id.as_str(), r.outcome, r.seq), ("s-1", Outcome::Interrupted, 2));
    assert!(r.auth.is_none(), "never recorded as verified");
    assert_eq!(r.error.as_ref().unwrap().code, "INTERRUPTED");
    drop(j);
    let j = Journal::open(&d);
    assert!(j.recover(t0()).unwrap().is_empty());
    assert_eq!(j.after(0, 10).unwrap().len(), 2);
}

#[test]
fn acks_are_per_result_and_readers_keep_their_own_cursor() {
    let j = Journal::in_memory();
    for id in ["a", "b", "c"] {
        j.record(result(id, "s"), t0()).unwrap();
    }
    assert!(j.ack("b", t0()).unwrap());
    assert!(j.ack("b", t0()).unwrap(), "idempotent");
    assert!(!j.ack("nope", t0()).unwrap());
    assert_eq!(j.unacknowledged().unwrap(), 2);
    // Two reception clients read independently; an ack by one hides nothing from the other.
    let reader1: Vec<_> = j.after(0, 10).unwrap().into_iter().map(|r| r.seq).collect();
    let reader2: Vec<_> = j.after(2, 10).unwrap().into_iter().map(|r| r.seq).collect();
    assert_eq!((reader1, reader2), (vec![1, 2, 3], vec![3]));
}

#[test]
fn retention_deletes_on_schedule_and_really_removes_the_data() {
    let d = dir("retention");
    let j = Journal::open(&d);
    let retention = Retention::default();
    // The daemon runs as long as the wall clock says (see the clock-jump test for when not).
    j.record(result("acked", "STAFF-MARKER-ACKED"), t0()).unwrap();
    j.record(result("pending", "STAFF-MARKER-PENDING"), t0()).unwrap();
    j.advance_uptime_for_test(Duration::from_secs(7 * 86_400));
    j.ack("acked", t0() + TimeDelta::hours(1)).unwrap();
    assert_eq!(j.prune(t0() + TimeDelta::hours(24), retention).unwrap().total(), 0, "acked 23 h ago: kept");
    let pruned = j.prune(t0() + TimeDelta::hours(25), retention).unwrap();
    assert_eq!((pruned.acknowledged, pruned.unacknowledged), (1, 0));
    assert!(j.get("acked").unwrap().is_none());
    assert!(j.get("pending").unwrap().is_some(), "unacknowledged results wait for their reader");
    assert_eq!(j.prune(t0() + TimeDelta::days(7) - TimeDelta::seconds(1), retention).unwrap().total(), 0);
    let pruned = j.prune(t0() + TimeDelta::days(7), retention).unwrap();
    assert_eq!((pruned.acknowledged, pruned.unacknowledged), (0, 1));
    let stats = j.stats();
    assert_eq!((stats.pruned_acknowledged, stats.pruned_unacknowledged), (1, 1));
    assert!(j.after(0, 10).unwrap().is_empty());
    // Nothing of either result is left in the files.
    drop(j);
    for entry in std::fs::read_dir(&d).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for marker in [&b"STAFF-MARKER-ACKED"[..], b"STAFF-MARKER-PENDING"] {
            assert!(!bytes.windows(marker.len()).any(|w| w == marker), "deleted data still on disk");
        }
    }
    // Custom retention.
    let j = Journal::in_memory();
    j.record(result("x", "s"), t0()).unwrap();
    j.ack("x", t0()).unwrap();
    let short = Retention { acknowledged: Duration::from_secs(60), unacknowledged: Duration::from_secs(3600) };
    assert_eq!(j.prune(t0() + TimeDelta::seconds(61), short).unwrap().acknowledged, 1);
}

#[test]
fn a_full_disk_is_reported_and_clears_when_writes_work_again() {
    let j = Journal::in_memory();
    j.record(result("a", "s"), t0()).unwrap();
    j.limit_pages_for_test(1);
    let big = result("b", &"x".repeat(20_000));
    assert_eq!(j.record(big, t0()).unwrap_err(), JournalError::Full);
    assert_eq!(j.problem(), Some(JournalError::Full));
    assert_eq!(j.problem().unwrap().notice().code, "JOURNAL_UNAVAILABLE");
    j.limit_pages_for_test(100_000);
    j.record(result("c", "s"), t0()).unwrap();
    assert_eq!(j.problem(), None);
}

#[test]
fn a_corrupt_or_read_only_store_is_reported_not_fatal() {
    let d = dir("corrupt");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(FILE_NAME), b"this is not a database, just bytes on a worn SD card ".repeat(200)).unwrap();
    let j = Journal::open(&d);
    assert!(matches!(j.problem(), Some(JournalError::Corrupt(_))), "{:?}", j.problem());
    assert!(j.record(result("a", "s"), t0()).is_err());

    let d = dir("readonly");
    Journal::open(&d).record(result("a", "s"), t0()).unwrap();
    let j = Journal::open_read_only(&d.join(FILE_NAME));
    assert_eq!(j.after(0, 10).unwrap().len(), 1, "reads still work");
    assert_eq!(j.record(result("b", "s"), t0()).unwrap_err(), JournalError::ReadOnly);
    assert_eq!(j.problem(), Some(JournalError::ReadOnly));
}

#[tokio::test]
async fn the_kiosk_refuses_sessions_it_cannot_record() {
    let journal = Journal::in_memory();
    journal.limit_pages_for_test(1);
    let (driver, handle, reader) = mock_driver(Recorder::new(journal.clone()), |_s| {});
    tokio::spawn(driver.run());
    // Fill the store so the next write fails.
    let _ = journal.record(result("filler", &"x".repeat(20_000)), t0());
    assert!(journal.problem().is_some());
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    let view = wait_view(&handle, "out of service shown", |v| v.prompt == Prompt::OutOfService).await;
    assert_eq!(view.notices[0].code, "JOURNAL_UNAVAILABLE");
    assert!(view.id.is_none(), "no session started");
    // Space again: the next card checks in.
    journal.limit_pages_for_test(100_000);
    journal.prune(t0(), Retention::default()).unwrap();
    reader.remove().await;
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    wait_view(&handle, "back in service", |v| matches!(v.prompt, Prompt::ChooseMethod { .. })).await;
}

#[tokio::test]
async fn health_reports_an_unusable_journal() {
    use myna_api::backend::Backend;
    let d = dir("health");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(FILE_NAME), b"garbage ".repeat(1000)).unwrap();
    let journal = Journal::open(&d);
    let recorder = Recorder::new(journal.clone());
    let (_driver, handle, _reader) = mock_driver(recorder.clone(), |_s| {});
    let backend = backend_on(handle, &recorder);
    let h = backend.health();
    assert_eq!(h.status, "unavailable");
    assert!(h.journal.starts_with("error: the journal is corrupt"), "{}", h.journal);
    assert!(backend.results_after(0, 10).is_err());
}

/// Review finding 5: a failed write was forgotten after any successful read, so `/metrics`
/// turned health back to 200 while the disk was still full.
#[test]
fn a_failed_write_is_not_forgotten_by_reads() {
    let j = Journal::in_memory();
    j.record(result("a", "s"), t0()).unwrap();
    j.limit_pages_for_test(1);
    assert_eq!(j.record(result("b", &"x".repeat(20_000)), t0()).unwrap_err(), JournalError::Full);
    // Everything a reader or the API does that is no result-sized write.
    j.after(0, 10).unwrap();
    j.get("a").unwrap();
    j.unacknowledged().unwrap();
    assert_eq!(j.problem(), Some(JournalError::Full), "a read cleared the failed write");
    // Small writes that work prove nothing either: an ack, a retention pass, a session mark.
    j.ack("a", t0()).unwrap();
    j.prune(t0(), Retention::default()).unwrap();
    assert_eq!(j.problem(), Some(JournalError::Full), "a small write cleared the failed write");
    // A session start tries a result-sized write: still full, still refused.
    assert_eq!(j.ready(), Err(JournalError::Full));
    j.limit_pages_for_test(100_000);
    assert_eq!(j.ready(), Ok(()), "the probe worked: back in service");
    assert_eq!(j.problem(), None);
}

#[tokio::test]
async fn after_a_failed_write_a_read_does_not_put_the_kiosk_back_in_service() {
    let journal = Journal::in_memory();
    let (driver, handle, reader) = mock_driver(Recorder::new(journal.clone()), |_s| {});
    tokio::spawn(driver.run());
    journal.record(result("a", "s"), t0()).unwrap();
    journal.limit_pages_for_test(1);
    assert!(journal.record(result("b", &"x".repeat(20_000)), t0()).is_err());
    // Reception polls results, a monitor reads /metrics.
    journal.after(0, 100).unwrap();
    journal.unacknowledged().unwrap();
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    let view = wait_view(&handle, "out of service shown", |v| v.prompt == Prompt::OutOfService).await;
    assert_eq!(view.notices[0].code, "JOURNAL_UNAVAILABLE");
    assert!(view.id.is_none(), "no session started");
}

#[tokio::test]
async fn below_the_disk_reserve_new_sessions_are_refused() {
    let d = dir("reserve");
    let journal = Journal::open(&d);
    journal.set_reserve(64 << 20);
    let (driver, handle, reader) = mock_driver(Recorder::new(journal.clone()), |_s| {});
    tokio::spawn(driver.run());
    journal.free_space_for_test(Some(10 << 20));
    assert!(matches!(journal.problem(), Some(JournalError::LowSpace { free_mib: 10, reserve_mib: 64 })));
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    let view = wait_view(&handle, "out of service shown", |v| v.prompt == Prompt::OutOfService).await;
    assert_eq!(view.notices[0].code, "JOURNAL_UNAVAILABLE");
    assert!(view.id.is_none(), "no session started");
    // Space again (retention ran, a technician cleaned up): the next card checks in.
    journal.free_space_for_test(Some(65 << 20));
    assert_eq!(journal.problem(), None);
    reader.remove().await;
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    wait_view(&handle, "back in service", |v| matches!(v.prompt, Prompt::ChooseMethod { .. })).await;
    // The real statvfs: this disk has far more than 1 MiB free (or the test host is full).
    journal.free_space_for_test(None);
    journal.set_reserve(1);
    assert_eq!(journal.problem(), None);
}

fn corrupt_row(d: &std::path::Path, id: &str) {
    let c = rusqlite::Connection::open(d.join(FILE_NAME)).unwrap();
    c.execute("UPDATE results SET body = '{\"id\": \"torn' WHERE id = ?1", [id]).unwrap();
}

/// Review finding 8: a row whose JSON no longer parses was dropped without a word, and a page
/// of such rows left `next_after` where it was, so the reader's cursor never moved again.
#[test]
fn a_row_that_does_not_parse_is_reported_and_never_blocks_the_cursor() {
    let d = dir("unreadable");
    let j = Journal::open(&d);
    for id in ["a", "b", "c"] {
        j.record(result(id, "s"), t0()).unwrap();
    }
    corrupt_row(&d, "b");
    // Paged one by one, as a reader with a small limit does: each page moves the cursor.
    let mut cursor = 0;
    let mut seen = vec![];
    for _ in 0..3 {
        let page = j.after(cursor, 1).unwrap();
        assert_eq!(page.len(), 1, "page after {cursor} is empty: the cursor is stuck");
        cursor = page[0].seq;
        seen.push(page.into_iter().next().unwrap());
    }
    assert_eq!(seen.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!((seen[0].id.as_str(), seen[2].id.as_str()), ("a", "c"));
    let torn = &seen[1];
    assert_eq!(torn.id, "b", "the row's own id, not a guess");
    assert_ne!(torn.outcome, Outcome::Verified, "never pretends");
    assert_eq!(torn.error.as_ref().map(|e| e.code.as_str()), Some("JOURNAL_ROW_UNREADABLE"));
    assert!(torn.auth.is_none() && torn.card.is_none());
    assert!(j.after(3, 10).unwrap().is_empty());
    assert_eq!(j.get("b").unwrap().unwrap().error.unwrap().code, "JOURNAL_ROW_UNREADABLE");
    assert!(j.problem().is_none(), "the kiosk can still record: no reason to refuse patients");
    assert_eq!(j.stats().unreadable, [2]);
    let metrics = journal_metrics(&j);
    assert!(metrics.contains("myna_journal_unreadable_rows 1\n"), "{metrics}");
}

#[tokio::test]
async fn health_reports_unreadable_rows() {
    use myna_api::backend::Backend;
    let d = dir("unreadable-health");
    let journal = Journal::open(&d);
    for id in ["a", "b"] {
        journal.record(result(id, "s"), t0()).unwrap();
    }
    corrupt_row(&d, "a");
    let recorder = Recorder::new(journal.clone());
    let (_driver, handle, _reader) = mock_driver(recorder.clone(), |_s| {});
    let backend = backend_on(handle, &recorder);
    let page = backend.results_after(0, 10).unwrap();
    assert_eq!(page.len(), 2);
    let h = backend.health();
    assert_eq!(h.status, "degraded");
    assert!(h.journal.contains("JOURNAL_ROW_UNREADABLE"), "{}", h.journal);
    assert!(backend.metrics().contains("myna_journal_unreadable_rows 1\n"), "{}", backend.metrics());
}

/// Review finding 9: retention deleted undelivered results on wall-clock age alone, so a Pi
/// without a real-time clock that jumps forward lost what reception never got.
#[test]
fn a_forward_clock_jump_keeps_unacknowledged_results() {
    let j = Journal::in_memory();
    j.record(result("pending", "s"), t0()).unwrap();
    j.record(result("acked", "s"), t0()).unwrap();
    j.ack("acked", t0()).unwrap();
    // The clock jumps 30 days; the daemon itself has been running for a moment.
    j.prune(t0() + TimeDelta::days(30), Retention::default()).unwrap();
    assert!(j.get("pending").unwrap().is_some(), "an undelivered result was deleted on a clock jump");
    assert!(j.get("acked").unwrap().is_none(), "reception has it: wall-clock age is enough");
    let stats = j.stats();
    assert_eq!((stats.pruned_acknowledged, stats.pruned_unacknowledged), (1, 0));
    // Once the daemon has held it for its days too, it goes, and is counted.
    j.advance_uptime_for_test(Duration::from_secs(7 * 86_400));
    let pruned = j.prune(t0() + TimeDelta::days(30), Retention::default()).unwrap();
    assert_eq!((pruned.acknowledged, pruned.unacknowledged), (0, 1));
    assert!(j.get("pending").unwrap().is_none());
    let metrics = journal_metrics(&j);
    assert!(metrics.contains("myna_journal_pruned_total{acknowledged=\"false\"} 1"), "{metrics}");
    assert!(metrics.contains("myna_journal_pruned_total{acknowledged=\"true\"} 1"), "{metrics}");
}

/// The daemon's running time is kept across restarts: a result held 4 days before a restart
/// and 3 after has been held 7 days.
#[test]
fn held_time_adds_up_across_restarts() {
    let d = dir("uptime");
    let j = Journal::open(&d);
    j.record(result("pending", "s"), t0()).unwrap();
    j.advance_uptime_for_test(Duration::from_secs(4 * 86_400));
    assert_eq!(j.prune(t0() + TimeDelta::days(30), Retention::default()).unwrap().total(), 0);
    drop(j);
    let j = Journal::open(&d);
    assert_eq!(j.prune(t0() + TimeDelta::days(30), Retention::default()).unwrap().total(), 0, "4 days held");
    j.advance_uptime_for_test(Duration::from_secs(3 * 86_400));
    assert_eq!(j.prune(t0() + TimeDelta::days(30), Retention::default()).unwrap().unacknowledged, 1);
}

/// `/metrics` as a daemon with this journal (and a reader) reports it.
fn journal_metrics(j: &Journal) -> String {
    use myna_kiosk::metrics::{Metrics, Scrape};
    let scrape = Scrape {
        unacknowledged: j.unacknowledged().ok(),
        journal: j.stats(),
        reader_up: true,
        journal_up: j.problem().is_none(),
    };
    Metrics::default().render(&scrape)
}
