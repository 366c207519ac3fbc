//! Records finished results in the journal and keeps the counters `/metrics` reports.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use myna_api::proto::{Notice, Outcome, SessionResult};

use crate::driver::ResultSink;
use crate::journal::{Journal, JournalStats};

#[derive(Default)]
struct Counters {
    by_outcome: BTreeMap<&'static str, u64>,
    duration_ms_sum: u64,
    card_errors: u64,
}

/// Counters since the daemon started (Prometheus computes rates from them).
#[derive(Clone, Default)]
pub struct Metrics(Arc<Mutex<Counters>>);

impl Metrics {
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn count(&self, r: &SessionResult) {
        let mut c = self.lock();
        *c.by_outcome.entry(r.outcome.as_str()).or_default() += 1;
        let started = DateTime::parse_from_rfc3339(&r.started_at);
        let finished = DateTime::parse_from_rfc3339(&r.finished_at);
        if let (Ok(s), Ok(f)) = (started, finished) {
            c.duration_ms_sum += (f - s).num_milliseconds().max(0) as u64;
        }
        if r.error.as_ref().is_some_and(|e| matches!(e.code.as_str(), "CARD_UNREADABLE" | "CARD_TIMEOUT")) {
            c.card_errors += 1;
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self, unacknowledged: Option<u64>) -> String {
        let c = self.lock();
        let mut out = String::new();
        out.push_str("# HELP myna_sessions_total Finished check-in sessions by outcome.\n");
        out.push_str("# TYPE myna_sessions_total counter\n");
        for o in Outcome::ALL {
            let name = o.as_str();
            let n = c.by_outcome.get(name).copied().unwrap_or(0);
            out.push_str(&format!("myna_sessions_total{{outcome=\"{name}\"}} {n}\n"));
        }
        let count: u64 = c.by_outcome.values().sum();
        out.push_str("# HELP myna_session_duration_seconds Time from card tap to result.\n");
        out.push_str("# TYPE myna_session_duration_seconds summary\n");
        out.push_str(&format!("myna_session_duration_seconds_sum {:.3}\n", c.duration_ms_sum as f64 / 1000.0));
        out.push_str(&format!("myna_session_duration_seconds_count {count}\n"));
        out.push_str("# HELP myna_card_errors_total Sessions that failed because the card could not be read.\n");
        out.push_str("# TYPE myna_card_errors_total counter\n");
        out.push_str(&format!("myna_card_errors_total {}\n", c.card_errors));
        Self::render_unacknowledged(&mut out, unacknowledged);
        out
    }

    /// The journal's part of `/metrics`: rows that do not parse, and what retention removed.
    pub fn render_journal(stats: &JournalStats) -> String {
        let mut out = String::new();
        out.push_str("# HELP myna_journal_unreadable_rows Stored results that do not parse (met by readers).\n");
        out.push_str("# TYPE myna_journal_unreadable_rows gauge\n");
        out.push_str(&format!("myna_journal_unreadable_rows {}\n", stats.unreadable.len()));
        out.push_str("# HELP myna_journal_pruned_total Results deleted by retention, by whether reception had acknowledged them.\n");
        out.push_str("# TYPE myna_journal_pruned_total counter\n");
        out.push_str(&format!("myna_journal_pruned_total{{acknowledged=\"true\"}} {}\n", stats.pruned_acknowledged));
        out.push_str(&format!("myna_journal_pruned_total{{acknowledged=\"false\"}} {}\n", stats.pruned_unacknowledged));
        out
    }

    fn render_unacknowledged(out: &mut String, unacknowledged: Option<u64>) {
        if let Some(n) = unacknowledged {
            out.push_str("# HELP myna_results_unacknowledged Results not yet acknowledged by reception.\n");
            out.push_str("# TYPE myna_results_unacknowledged gauge\n");
            out.push_str(&format!("myna_results_unacknowledged {n}\n"));
        }
    }
}

/// The driver's result sink: the journal first (durable), then the counters.
#[derive(Clone)]
pub struct Recorder {
    pub journal: Journal,
    pub metrics: Metrics,
}

impl Recorder {
    pub fn new(journal: Journal) -> Self {
        Recorder { journal, metrics: Metrics::default() }
    }
}

impl ResultSink for Recorder {
    fn begin(&mut self, id: &str, started_at: DateTime<Utc>) -> Result<(), String> {
        self.journal.begin(id, started_at).map_err(|e| e.to_string())
    }

    fn record(&mut self, result: SessionResult) -> Result<SessionResult, String> {
        let durable = self.journal.record(result, Utc::now()).map_err(|e| e.to_string())?;
        self.metrics.count(&durable);
        Ok(durable)
    }

    fn problem(&self) -> Option<Notice> {
        self.journal.problem().map(|e| e.notice())
    }

    fn ready(&mut self) -> Option<Notice> {
        self.journal.ready().err().map(|e| e.notice())
    }
}
