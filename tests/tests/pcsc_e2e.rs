//! The JPKI client through the real PC/SC stack: pcscd, the vpcd reader driver, and the
//! virtual card on the other end of vpcd's socket. The same code path as a clinic's reader.

use std::sync::mpsc;
use std::time::Duration;

use myna_card::cert::Certificate;
use myna_card::jpki::{CardKind, CertSlot, JpkiClient, JpkiError, PinStatus};
use myna_card::secret::Pin;
use myna_card::transport::{PresenceEvent, TransportError};
use myna_kiosk_tests::rig::{Rig, READER};
use myna_pcsc::{PcscConnection, PresenceMonitor, ReaderSelector};
use myna_virtual_card::{test_trust_anchors, CardOptions, Profile, VirtualCard};

fn connect() -> JpkiClient<PcscConnection> {
    JpkiClient::new(PcscConnection::open(READER).expect("exclusive connection to the vpcd reader"))
}

fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

#[test]
fn identify_read_both_certificates_pin_and_sign_through_pcscd() {
    let Some(rig) = Rig::get() else { return };
    let card = rig.insert(VirtualCard::new(Profile::Valid));
    let mut client = connect();
    assert_eq!(client.identify().unwrap(), CardKind::MyNumberCard);

    let cert_der = client.read_certificate(CertSlot::UserAuth).unwrap();
    let ca_der = client.read_certificate(CertSlot::UserAuthCa).unwrap();
    let cert = Certificate::from_der(&cert_der).unwrap();
    let ca = Certificate::from_der(&ca_der).unwrap();
    test_trust_anchors().verify(&cert).expect("the user cert chains to the test CA");
    assert!(ca.is_self_issued(), "EF 000B holds the CA certificate");

    assert_eq!(client.pin_status().unwrap(), PinStatus::TriesLeft(3));
    assert_eq!(client.pin_status().unwrap(), PinStatus::TriesLeft(3), "reading the counter spends no try");
    assert_eq!(client.verify_pin(&pin("9999")), Err(JpkiError::WrongPin { tries_left: 2 }));
    client.verify_pin(&pin("1234")).unwrap();
    assert_eq!(client.pin_status().unwrap(), PinStatus::TriesLeft(3), "a right PIN resets the counter");

    let challenge = b"reception challenge 2026-11-23";
    let signature = client.sign_sha256(challenge).unwrap();
    cert.verify_signature(challenge, &signature).expect("the signature verifies with the card's certificate");
    drop(client);

    let card = rig.remove(card);
    // Nothing but JPKI was selected: the 入力補助AP (個人番号) stays untouched over PC/SC too.
    assert!(card.log().selected_aids().iter().all(|a| a.as_slice() == myna_card::jpki::aid::JPKI));
}

#[test]
fn certificates_take_few_apdus_through_vpcd() {
    let Some(rig) = Rig::get() else { return };
    for extended in [true, false] {
        let card =
            VirtualCard::with_options(Profile::Valid, CardOptions { extended_length: extended, ..Default::default() });
        let log = card.log();
        let placed = rig.insert(card);
        let mut client = connect();
        client.identify().unwrap();
        log.clear();
        let der = client.read_certificate(CertSlot::UserAuth).unwrap();
        let short_reads = 2 + der.len().div_ceil(256);
        // Extended: SELECT + one READ BINARY, or one more if the first answer was short. A card
        // that refuses extended length learnt it while identifying: only short reads here.
        let expected = if extended { 2..=3 } else { short_reads..=short_reads };
        assert!(
            expected.contains(&log.len()),
            "extended={extended}: {} APDUs for a {}-byte certificate (expected {expected:?})",
            log.len(),
            der.len()
        );
        drop(client);
        rig.remove(placed);
    }
}

#[test]
fn a_new_connection_has_no_verified_pin() {
    let Some(rig) = Rig::get() else { return };
    let card = rig.insert(VirtualCard::new(Profile::Valid));
    let mut client = connect();
    client.identify().unwrap();
    client.verify_pin(&pin("1234")).unwrap();
    drop(client); // disconnect with RESET
    let mut client = connect();
    client.identify().unwrap();
    assert_eq!(client.sign_sha256(b"x"), Err(JpkiError::PinNotVerified));
    drop(client);
    rig.remove(card);
}

#[test]
fn removal_in_the_middle_of_a_read_is_card_removed() {
    let Some(rig) = Rig::get() else { return };
    // identify: 3 APDUs; SELECT EF 000A: 1; then the card leaves during the READ BINARYs.
    let card = VirtualCard::with_options(
        Profile::Valid,
        CardOptions { remove_after_apdus: Some(5), extended_length: false, ..Default::default() },
    );
    let placed = rig.insert(card);
    let mut client = connect();
    client.identify().unwrap();
    let err = client.read_certificate(CertSlot::UserAuth).unwrap_err();
    assert_eq!(err, JpkiError::Transport(TransportError::CardRemoved));
    drop(client);
    let (_, ended) = placed.wait();
    assert_eq!(ended.unwrap(), myna_virtual_card::vpcd::Ended::CardPulled);
    myna_kiosk_tests::rig::wait_for(|| myna_kiosk_tests::rig::card_present() == Some(false), "the slot to empty");
}

#[test]
fn removal_in_the_middle_of_verify_is_card_removed_and_spends_no_try() {
    let Some(rig) = Rig::get() else { return };
    // identify (3) + SELECT EF 0018 (1) + empty VERIFY (1) → the real VERIFY never arrives.
    let card =
        VirtualCard::with_options(Profile::Valid, CardOptions { remove_after_apdus: Some(5), ..Default::default() });
    let placed = rig.insert(card);
    let mut client = connect();
    client.identify().unwrap();
    assert_eq!(client.pin_status().unwrap(), PinStatus::TriesLeft(3));
    assert_eq!(client.verify_pin(&pin("9999")), Err(JpkiError::Transport(TransportError::CardRemoved)));
    drop(client);
    let (card, _) = placed.wait();
    assert_eq!(card.pin_tries_left(), Some(3), "the VERIFY never reached the card");
    myna_kiosk_tests::rig::wait_for(|| myna_kiosk_tests::rig::card_present() == Some(false), "the slot to empty");
}

#[test]
fn the_presence_monitor_reports_ready_inserted_and_removed() {
    let Some(rig) = Rig::get() else { return };
    let (tx, rx) = mpsc::channel();
    let monitor = PresenceMonitor::spawn(ReaderSelector::new("Virtual PCD", false), move |e| tx.send(e).is_ok());
    let next = || rx.recv_timeout(Duration::from_secs(10)).expect("a presence event");
    assert_eq!(next(), PresenceEvent::ReaderReady { reader: READER.into() });
    assert_eq!(monitor.current().get().as_deref(), Some(READER));

    let placed = rig.insert(VirtualCard::new(Profile::Valid));
    match next() {
        PresenceEvent::Inserted { reader, atr } => {
            assert_eq!(reader, READER);
            assert_eq!(atr, VirtualCard::new(Profile::Valid).atr(), "pcscd passes the card's ATR on");
        }
        other => panic!("expected Inserted, got {other:?}"),
    }
    // Our own exclusive connection changes the reader state, but it is no new card.
    let conn = myna_pcsc::PcscConnector::new(monitor.current()).connect().unwrap();
    drop(conn);
    rig.remove(placed);
    assert_eq!(next(), PresenceEvent::Removed { reader: READER.into() });
    assert!(rx.recv_timeout(Duration::from_millis(800)).is_err(), "no further events");
    monitor.stop();
}

#[test]
fn a_reader_name_that_matches_nothing_is_reported_as_no_reader() {
    let Some(_rig) = Rig::get() else { return };
    let (tx, rx) = mpsc::channel();
    let monitor = PresenceMonitor::spawn(ReaderSelector::new("RC-S300", false), move |e| tx.send(e).is_ok());
    match rx.recv_timeout(Duration::from_secs(10)).unwrap() {
        PresenceEvent::ReaderGone { reason } => assert!(reason.contains("RC-S300"), "{reason}"),
        other => panic!("expected ReaderGone, got {other:?}"),
    }
    assert_eq!(monitor.current().get(), None);
    monitor.stop();
}
