//! `run --mock` (feature `mock`): the in-process virtual reader, the bench tokens it prints,
//! and the automated patient. Nothing here is in the packaged kiosk.

pub mod autopilot;
pub mod reader;
pub mod tokens;

use myna_api::backend::{Health, HealthStatus};
use myna_card::cert::TrustAnchors;
pub use myna_virtual_card::test_trust_anchors;

use crate::api_backend::DaemonBackend;
use crate::card_worker::CardWorker;
use crate::driver::Driver;
use crate::journal::Journal;
use crate::recorder::Recorder;
use crate::session::{Engine, SessionConfig};
use reader::MockReader;

impl DaemonBackend {
    /// The whole daemon in process on the virtual reader, health "ok": the driver (spawned on
    /// the current tokio runtime), the card thread, `journal` and metrics. What tests and the
    /// fuzz targets put behind the router; `bench` keeps the virtual reader for the bench routes.
    pub fn in_process(
        journal: Journal,
        config: SessionConfig,
        anchors: TrustAnchors,
        bench: bool,
    ) -> std::sync::Arc<DaemonBackend> {
        let (reader, presence) = MockReader::new();
        let recorder = Recorder::new(journal);
        let worker = CardWorker::new(reader.slot(), anchors);
        let (driver, handle) = Driver::new(Engine::new(config), worker, presence, recorder.clone(), |_s| {});
        tokio::spawn(driver.run());
        let health = Health {
            status: HealthStatus::Ok,
            version: "in-process".into(),
            reader: "ok (virtual)".into(),
            indicators: "ok (mock)".into(),
            journal: "ok".into(),
            mock: bench,
        };
        std::sync::Arc::new(DaemonBackend {
            handle,
            journal: recorder.journal.clone(),
            metrics: recorder.metrics.clone(),
            bench: bench.then_some(reader),
            health,
            reader: None,
        })
    }
}
