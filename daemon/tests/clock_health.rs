//! Every certificate decision depends on the date, and a Pi has no RTC: health says so while
//! the kernel clock is not synchronized (the source is injected here; production reads the
//! kernel through adjtimex).

mod support;

use std::sync::Arc;

use myna_api::backend::Backend;
use myna_kiosk::card_worker::CardWorker;
use myna_kiosk::driver::Driver;
use myna_kiosk::journal::Journal;
use myna_kiosk::mock::reader::MockReader;
use myna_kiosk::platform::clock_sync::{ClockSync, Fixed};
use myna_kiosk::recorder::Recorder;
use myna_kiosk::session::{Engine, SessionConfig};
use myna_virtual_card::test_trust_anchors;
use support::driver::backend_on;

#[tokio::test]
async fn health_is_degraded_while_the_clock_is_not_synchronized() {
    let (reader, presence) = MockReader::new();
    let recorder = Recorder::new(Journal::in_memory());
    let worker = CardWorker::new(reader.slot(), test_trust_anchors());
    let (driver, handle) =
        Driver::new(Engine::new(SessionConfig::default()), worker, presence, recorder.clone(), |_s| {});
    tokio::spawn(driver.run());
    let mut backend = backend_on(handle, &recorder);
    let h = backend.health();
    assert_eq!(h.status, "ok");
    assert_eq!(h.clock, "synchronized");

    backend.clock = Arc::new(Fixed(ClockSync::NotSynchronized));
    let h = backend.health();
    assert_eq!(h.status, "degraded");
    assert!(h.clock.starts_with("degraded: the system clock is not synchronized"), "{}", h.clock);

    // Unknown (the call refused) is no reason to call the kiosk degraded.
    backend.clock = Arc::new(Fixed(ClockSync::Unknown("EPERM".into())));
    assert_eq!(backend.health().status, "ok");
}
