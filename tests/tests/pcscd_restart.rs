//! pcscd dies and comes back while the presence monitor waits: the kiosk reports "no reader"
//! and recovers by itself, without a daemon restart. Its own test binary, because it takes
//! pcscd away from everything else for a while.

use std::sync::mpsc;
use std::time::Duration;

use myna_card::jpki::{CardKind, JpkiClient};
use myna_card::transport::PresenceEvent;
use myna_kiosk_tests::rig::{Rig, READER};
use myna_pcsc::{PcscConnector, PresenceMonitor, ReaderSelector};
use myna_virtual_card::{Profile, VirtualCard};

#[test]
fn pcscd_killed_and_restarted_gives_no_reader_then_recovery() {
    let Some(rig) = Rig::get() else { return };
    let (tx, rx) = mpsc::channel();
    let monitor = PresenceMonitor::spawn(ReaderSelector::default(), move |e| tx.send(e).is_ok());
    let next = || rx.recv_timeout(Duration::from_secs(15)).expect("a presence event");
    assert_eq!(next(), PresenceEvent::ReaderReady { reader: READER.into() });

    // A card on the reader when pcscd dies: the reader is reported gone first (the session it
    // cuts ends for that reason), then the card removed.
    let placed = rig.insert(VirtualCard::new(Profile::Valid));
    assert!(matches!(next(), PresenceEvent::Inserted { .. }));
    rig.kill_pcscd();
    match next() {
        PresenceEvent::ReaderGone { reason } => assert!(reason.contains("pcscd"), "{reason}"),
        other => panic!("expected ReaderGone, got {other:?}"),
    }
    assert_eq!(next(), PresenceEvent::Removed { reader: READER.into() });
    assert_eq!(monitor.current().get(), None, "no reader to connect to while pcscd is down");
    assert!(PcscConnector::new(monitor.current()).connect().is_err());
    drop(placed.remove());

    // Still down a while later: reported once, not again and again.
    assert!(rx.recv_timeout(Duration::from_millis(1500)).is_err(), "ReaderGone is reported once");

    rig.start_pcscd();
    assert_eq!(next(), PresenceEvent::ReaderReady { reader: READER.into() });
    let placed = rig.insert(VirtualCard::new(Profile::Android));
    assert!(matches!(next(), PresenceEvent::Inserted { .. }));
    let conn = PcscConnector::new(monitor.current()).connect().expect("connecting after recovery");
    assert_eq!(JpkiClient::new(conn).identify().unwrap(), CardKind::Android);
    rig.remove(placed);
    assert_eq!(next(), PresenceEvent::Removed { reader: READER.into() });
    monitor.stop();
}
