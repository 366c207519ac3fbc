//! The journal against SQLite: order, exactly once, recovery, retention, failures.

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
