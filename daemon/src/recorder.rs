//! Records finished results in the journal, then counts them in the metrics.

use chrono::{DateTime, Utc};
use myna_api::proto::{Notice, SessionResult};

use crate::driver::ResultSink;
use crate::journal::{Journal, JournalError};
pub use crate::metrics::Metrics;

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

    /// At start: sessions a crash or power cut left in progress become `interrupted` results,
    /// counted like any other.
    pub fn recover(&self, now: DateTime<Utc>) -> Result<Vec<SessionResult>, JournalError> {
        let interrupted = self.journal.recover(now)?;
        for r in &interrupted {
            self.metrics.count(r);
        }
        Ok(interrupted)
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
