//! Stored rows back into results: one that no longer parses is reported, never skipped.

use chrono::{DateTime, SecondsFormat, Utc};
use myna_api::proto::{Outcome, SessionResult};

use super::Inner;
use crate::catalogue;

/// A row as stored, parsed or not.
pub(super) fn parse_row(inner: &mut Inner, seq: i64, id: String, body: &str, recorded_at: i64) -> SessionResult {
    match serde_json::from_str::<SessionResult>(body) {
        Ok(r) => r,
        Err(e) => {
            if inner.unreadable.insert(seq) {
                tracing::error!(
                    seq,
                    session = %id,
                    error = %e,
                    code = catalogue::JOURNAL_ROW_UNREADABLE.code,
                    "a stored result does not parse: reported to readers as a failed result with this code"
                );
            }
            unreadable_result(seq, id, recorded_at, &e.to_string())
        }
    }
}

/// What readers get for a row that does not parse: its seq (so cursors move past it), its id
/// (so it can be acknowledged), no evidence and an outcome that is never "verified".
fn unreadable_result(seq: i64, id: String, recorded_at: i64, why: &str) -> SessionResult {
    let at = DateTime::<Utc>::from_timestamp_millis(recorded_at)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    SessionResult {
        id,
        seq: seq as u64,
        outcome: Outcome::Failed,
        started_at: at.clone(),
        finished_at: at,
        card: None,
        auth: None,
        proof: Default::default(),
        consent: None,
        guidance: vec![],
        error: Some(catalogue::JOURNAL_ROW_UNREADABLE.notice_with(&format!("seq {seq}: {why}"))),
    }
}
