//! The session driver on the virtual reader, wired as `DaemonBackend::in_process` wires it,
//! for the tests that talk to the driver itself rather than to the API.

use myna_api::proto::SessionView;
use myna_kiosk::api_backend::{starting_health, DaemonBackend};
use myna_kiosk::card_worker::CardWorker;
use myna_kiosk::driver::{Driver, DriverHandle, SignalSink};
use myna_kiosk::mock::reader::MockReader;
use myna_kiosk::platform::clock_sync::{ClockSync, Fixed};
use myna_kiosk::recorder::Recorder;
use myna_kiosk::session::{Engine, SessionConfig};
use myna_virtual_card::test_trust_anchors;

use super::wait::WAIT;

/// The driver with the default session rules, the test CA as trust anchor, results to
/// `recorder` and signals to `signals`; not running yet (a test may give it a clock first, or
/// never run it). Returns it, its handle and the virtual reader it watches.
pub fn mock_driver<I: SignalSink>(recorder: Recorder, signals: I) -> (Driver<Recorder, I>, DriverHandle, MockReader) {
    let (reader, presence) = MockReader::new();
    let worker = CardWorker::new(reader.slot(), test_trust_anchors());
    let (driver, handle) = Driver::new(Engine::new(SessionConfig::default()), worker, presence, recorder, signals);
    (driver, handle, reader)
}

/// Waits on the view's change notification until `done` holds for it, for [`WAIT`] at most.
pub async fn wait_view(handle: &DriverHandle, what: &str, done: impl Fn(&SessionView) -> bool) -> SessionView {
    let mut views = handle.watch_view();
    let first = views.borrow().prompt.clone();
    tokio::time::timeout(WAIT, async {
        loop {
            let v = views.borrow_and_update().clone();
            if done(&v) {
                return v;
            }
            views.changed().await.expect("the driver runs");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} not reached in time; started at {first:?}, now {:?}", handle.view()))
}

/// The daemon behind the API over `handle` and `recorder`'s journal and metrics, with health
/// as a started kiosk on a working reader reports it (and no real reader to ask).
#[allow(dead_code)] // not every test binary that includes support asks the backend
pub fn backend_on(handle: DriverHandle, recorder: &Recorder) -> DaemonBackend {
    DaemonBackend {
        handle,
        journal: recorder.journal.clone(),
        metrics: recorder.metrics.clone(),
        bench: None,
        health: starting_health("t", "ok", "ok".into(), false, false),
        reader: None,
        clock: std::sync::Arc::new(Fixed(ClockSync::Synchronized)),
    }
}
