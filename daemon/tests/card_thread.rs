//! Review finding 11: the card thread died and the kiosk only logged it. Health must become
//! unavailable and the systemd watchdog must go hungry so the service is restarted.

mod support;

use std::time::Duration;

use myna_api::backend::Backend;
use myna_card::transport::{CardTransport, TransportError};
use myna_kiosk::card_worker::{CardWorker, Connector};
use myna_kiosk::driver::{Driver, DriverHandle};
use myna_kiosk::journal::Journal;
use myna_kiosk::mock::reader::MockReader;
use myna_kiosk::recorder::Recorder;
use myna_kiosk::session::{Engine, SessionConfig};
use myna_virtual_card::{test_trust_anchors, Profile, VirtualCard};
use support::driver::backend_on;
use support::wait::WAIT;

/// A connector whose connect panics: the card thread dies on the first card.
struct Panics;

impl Connector for Panics {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        panic!("test: the card thread dies here");
    }
}

fn start() -> (DriverHandle, MockReader, Recorder) {
    let (reader, presence) = MockReader::new();
    let recorder = Recorder::new(Journal::in_memory());
    let worker = CardWorker::new(Panics, test_trust_anchors());
    let (driver, handle) =
        Driver::new(Engine::new(SessionConfig::default()), worker, presence, recorder.clone(), |_s| {});
    tokio::spawn(driver.with_liveness(Duration::from_millis(10)).run());
    (handle, reader, recorder)
}

async fn beats_over(handle: &DriverHandle, span: Duration) -> u64 {
    let before = handle.heartbeat();
    tokio::time::sleep(span).await;
    handle.heartbeat() - before
}

#[tokio::test]
async fn a_dead_card_thread_makes_health_unavailable_and_stops_the_heartbeat() {
    let (handle, reader, recorder) = start();
    let backend = backend_on(handle.clone(), &recorder);
    assert!(beats_over(&handle, Duration::from_millis(200)).await > 3, "a live driver beats");
    assert_eq!(backend.health().status, "ok");

    reader.tap(VirtualCard::new(Profile::Valid)).await;
    let started = std::time::Instant::now();
    while backend.health().status != "unavailable" {
        assert!(started.elapsed() < WAIT, "health stays {:?} with a dead card thread", backend.health());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let h = backend.health();
    assert!(h.reader.contains("CARD_THREAD_DEAD"), "{h:?}");
    // Nothing feeds the watchdog any more: systemd restarts the service.
    assert_eq!(beats_over(&handle, Duration::from_millis(300)).await, 0, "the heartbeat still advances");
}

/// What the service manager sees: WATCHDOG=1 pings while the kiosk works, none once the card
/// thread has died, so systemd restarts the service (WatchdogSec).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watchdog_goes_hungry_when_the_card_thread_dies() {
    use std::os::unix::net::UnixDatagram;
    let dir = std::env::temp_dir().join(format!("myna-card-thread-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    sock.set_nonblocking(true).unwrap();
    // Only this test reads these (sd_notify, from the watchdog task below).
    std::env::set_var("NOTIFY_SOCKET", &path);
    std::env::set_var("WATCHDOG_USEC", "100000");
    let (handle, reader, _recorder) = start();
    tokio::spawn(myna_kiosk::platform::systemd::watchdog(handle.clone()));
    let pings = |span: Duration| {
        let sock = &sock;
        async move {
            let end = std::time::Instant::now() + span;
            let mut n = 0;
            let mut buf = [0u8; 512];
            while std::time::Instant::now() < end {
                while let Ok(len) = sock.recv(&mut buf) {
                    n += String::from_utf8_lossy(&buf[..len]).lines().filter(|l| *l == "WATCHDOG=1").count();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            n
        }
    };
    assert!(pings(Duration::from_millis(400)).await >= 3, "a working kiosk feeds the watchdog");
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    let started = std::time::Instant::now();
    while handle.fatal().is_none() {
        assert!(started.elapsed() < WAIT, "the card thread's death was not noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // One period of slack for a ping already on its way, then silence.
    pings(Duration::from_millis(100)).await;
    assert_eq!(pings(Duration::from_millis(500)).await, 0, "the watchdog is still fed");
    assert_eq!(handle.fatal().unwrap().code, "CARD_THREAD_DEAD");
}
