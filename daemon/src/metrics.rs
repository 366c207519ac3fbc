//! What `/metrics` reports, kept with the prometheus-client crate and served as OpenMetrics
//! text: sessions by outcome (interrupted ones too), how long they and each card operation
//! took, the build, and the reader's, journal's and results' state at scrape time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::DateTime;
use myna_api::proto::{Outcome, SessionResult};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::journal::JournalStats;

/// `/metrics`' content type: the encoder writes OpenMetrics 1.0 text, `# EOF` included.
pub use myna_api::router::METRICS_CONTENT_TYPE as CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpLabel {
    op: String,
    /// `ok` or the card's error code.
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AckLabel {
    acknowledged: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn session_buckets() -> Histogram {
    // A check-in takes seconds to a few minutes (consent questions, staff called over).
    Histogram::new([1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0])
}

fn card_buckets() -> Histogram {
    // One APDU exchange is milliseconds; a slow card or reader takes seconds.
    Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
}

struct Inner {
    registry: Registry,
    sessions: Family<OutcomeLabel, Counter>,
    duration: Histogram,
    card_errors: Counter,
    card_ops: Histograms<OpLabel>,
    unacknowledged: Gauge,
    journal_unreadable: Gauge,
    pruned: Family<AckLabel, Counter>,
    /// Retention's counts at the last scrape: the counters grow by the difference.
    pruned_seen: [AtomicU64; 2],
    reader_up: Gauge,
    journal_up: Gauge,
    /// One scrape at a time: gauges are set, then the registry is encoded.
    scrape: Mutex<()>,
}

/// The daemon's metrics; clones share them.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

/// What `/metrics` reads at scrape time.
pub struct Scrape {
    /// `None` when the journal cannot say: the gauge reads -1 then (0 would claim all is delivered).
    pub unacknowledged: Option<u64>,
    pub journal: JournalStats,
    /// A reader is there and the card thread runs.
    pub reader_up: bool,
    /// The journal can record results.
    pub journal_up: bool,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let sessions = Family::<OutcomeLabel, Counter>::default();
        registry.register("myna_sessions", "Finished check-in sessions by outcome", sessions.clone());
        let duration = session_buckets();
        registry.register("myna_session_duration_seconds", "Time from card tap to result", duration.clone());
        let card_errors = Counter::default();
        registry.register(
            "myna_card_errors",
            "Sessions that failed because the card could not be read",
            card_errors.clone(),
        );
        let card_ops: Histograms<OpLabel> = Family::new_with_constructor(card_buckets);
        registry.register(
            "myna_card_operation_duration_seconds",
            "Card operations (check, verify_pin_and_sign, read_photo) by result",
            card_ops.clone(),
        );
        let unacknowledged = Gauge::default();
        registry.register(
            "myna_results_unacknowledged",
            "Results not yet acknowledged by reception",
            unacknowledged.clone(),
        );
        let journal_unreadable = Gauge::default();
        registry.register(
            "myna_journal_unreadable_rows",
            "Stored results that do not parse (met by readers)",
            journal_unreadable.clone(),
        );
        let pruned = Family::<AckLabel, Counter>::default();
        registry.register(
            "myna_journal_pruned",
            "Results deleted by retention, by whether reception had acknowledged them",
            pruned.clone(),
        );
        let reader_up = Gauge::default();
        registry.register(
            "myna_reader_up",
            "1 when a card reader is there and the card thread runs",
            reader_up.clone(),
        );
        let journal_up = Gauge::default();
        registry.register("myna_journal_up", "1 when the journal can record results", journal_up.clone());
        registry.register(
            "myna_kiosk_build",
            "The running daemon's version",
            Info::new(vec![("version".to_string(), crate::VERSION.to_string())]),
        );
        // Every series from the start, so a rate over a fresh counter is 0, not absent.
        for o in Outcome::ALL {
            let _ = sessions.get_or_create(&OutcomeLabel { outcome: o.as_str().into() });
        }
        for a in ["true", "false"] {
            let _ = pruned.get_or_create(&AckLabel { acknowledged: a.into() });
        }
        Metrics(Arc::new(Inner {
            registry,
            sessions,
            duration,
            card_errors,
            card_ops,
            unacknowledged,
            journal_unreadable,
            pruned,
            pruned_seen: [AtomicU64::new(0), AtomicU64::new(0)],
            reader_up,
            journal_up,
            scrape: Mutex::new(()),
        }))
    }
}

impl Metrics {
    /// A finished session, interrupted ones (recovered at start) included.
    pub fn count(&self, r: &SessionResult) {
        let m = &self.0;
        m.sessions.get_or_create(&OutcomeLabel { outcome: r.outcome.as_str().into() }).inc();
        let started = DateTime::parse_from_rfc3339(&r.started_at);
        let finished = DateTime::parse_from_rfc3339(&r.finished_at);
        if let (Ok(s), Ok(f)) = (started, finished) {
            m.duration.observe((f - s).num_milliseconds().max(0) as f64 / 1000.0);
        }
        if r.error.as_ref().is_some_and(|e| matches!(e.code.as_str(), "CARD_UNREADABLE" | "CARD_TIMEOUT")) {
            m.card_errors.inc();
        }
    }

    /// One card operation: its name, `ok` or the card's error code, and how long it took.
    pub fn card_op(&self, op: &str, result: &str, took: Duration) {
        let label = OpLabel { op: op.into(), result: result.into() };
        self.0.card_ops.get_or_create(&label).observe(took.as_secs_f64());
    }

    /// OpenMetrics text ([`CONTENT_TYPE`]).
    pub fn render(&self, s: &Scrape) -> String {
        let m = &self.0;
        let _one = m.scrape.lock().unwrap_or_else(|p| p.into_inner());
        m.unacknowledged.set(s.unacknowledged.map_or(-1, |n| n.min(i64::MAX as u64) as i64));
        m.journal_unreadable.set(s.journal.unreadable.len() as i64);
        for (i, (label, now)) in [("true", s.journal.pruned_acknowledged), ("false", s.journal.pruned_unacknowledged)]
            .into_iter()
            .enumerate()
        {
            let before = m.pruned_seen[i].swap(now, Ordering::Relaxed);
            m.pruned.get_or_create(&AckLabel { acknowledged: label.into() }).inc_by(now.saturating_sub(before));
        }
        m.reader_up.set(s.reader_up as i64);
        m.journal_up.set(s.journal_up as i64);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &m.registry);
        out
    }
}
