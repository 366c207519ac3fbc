//! The journal: seq order, exactly-once recording, interrupted sessions, acks, several readers,
//! retention with injected time, and the failures a kiosk must survive (full, read-only,
//! corrupt) without verifying patients it cannot record.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use myna_api::proto::{AuthEvidence, Outcome, Prompt, SessionResult};
use myna_kiosk::journal::{Journal, JournalError, Retention, FILE_NAME};
use myna_kiosk::recorder::Recorder;
use myna_virtual_card::{Profile, VirtualCard};
use support::driver::{mock_driver, wait_view};

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
    j.record(result("acked", "STAFF-MARKER-ACKED"), t0()).unwrap();
    j.record(result("pending", "STAFF-MARKER-PENDING"), t0()).unwrap();
    j.ack("acked", t0() + TimeDelta::hours(1)).unwrap();
    assert_eq!(j.prune(t0() + TimeDelta::hours(24), retention).unwrap(), 0, "acked 23 h ago: kept");
    assert_eq!(j.prune(t0() + TimeDelta::hours(25), retention).unwrap(), 1);
    assert!(j.get("acked").unwrap().is_none());
    assert!(j.get("pending").unwrap().is_some(), "unacknowledged results wait for their reader");
    assert_eq!(j.prune(t0() + TimeDelta::days(7) - TimeDelta::seconds(1), retention).unwrap(), 0);
    assert_eq!(j.prune(t0() + TimeDelta::days(7), retention).unwrap(), 1);
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
    assert_eq!(j.prune(t0() + TimeDelta::seconds(61), short).unwrap(), 1);
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
    use myna_api::backend::{Backend, Health, HealthStatus};
    use myna_kiosk::api_backend::DaemonBackend;
    let d = dir("health");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(FILE_NAME), b"garbage ".repeat(1000)).unwrap();
    let journal = Journal::open(&d);
    let recorder = Recorder::new(journal.clone());
    let (_driver, handle, _reader) = mock_driver(recorder.clone(), |_s| {});
    let ok = |s: &str| s.to_string();
    let backend = DaemonBackend {
        handle,
        journal,
        metrics: recorder.metrics.clone(),
        bench: None,
        health: Health {
            status: HealthStatus::Ok,
            version: ok("t"),
            reader: ok("ok"),
            indicators: ok("ok"),
            journal: ok("ok"),
            mock: false,
        },
        reader: None,
    };
    let h = backend.health();
    assert_eq!(h.status, "unavailable");
    assert!(h.journal.starts_with("error: the journal is corrupt"), "{}", h.journal);
    assert!(backend.results_after(0, 10).is_err());
}
