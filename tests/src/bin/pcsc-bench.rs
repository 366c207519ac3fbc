//! PC/SC figures through pcscd + vpcd (the rig of `tests/run-all.sh`): how long from a card
//! touching the reader to its first APDU answered, and what one APDU and a whole card check
//! cost. Figures only, no pass/fail.
//!
//!   source tests/rig/pcscd.sh && rig_install && rig_start_pcscd
//!   cargo run --release -p myna-kiosk-tests --bin pcsc-bench [-- ROUNDS]
//!   rig_stop_pcscd

use std::sync::mpsc;
use std::time::{Duration, Instant};

use myna_card::jpki::{CertSlot, JpkiClient};
use myna_card::transport::{CardTransport, PresenceEvent};
use myna_kiosk_tests::rig::{Rig, READER};
use myna_pcsc::{PcscConnection, PresenceMonitor, ReaderSelector};
use myna_virtual_card::vpcd::VpcdCard;
use myna_virtual_card::{CardOptions, Profile, VirtualCard};

const SELECT_JPKI: [u8; 15] =
    [0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let rig = Rig::get().expect("the rig (MYNA_SKIP_PCSC is for tests only)");
    println!("pcsc-bench: pcscd + vpcd on 127.0.0.1:{}, {rounds} rounds", rig.vpcd_addr().port());

    let (tx, rx) = mpsc::channel();
    let monitor = PresenceMonitor::spawn(ReaderSelector::new(READER, true), move |e| tx.send(e).is_ok());
    wait_event(&rx, |e| matches!(e, PresenceEvent::ReaderReady { .. }));

    // 1. Tap to first answered APDU, as the daemon sees it: presence event, exclusive
    //    connect, SELECT JPKI AP.
    let (mut detect, mut first) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t0 = Instant::now();
        let placed = VpcdCard::insert(rig.vpcd_addr(), VirtualCard::new(Profile::Valid)).unwrap();
        wait_event(&rx, |e| matches!(e, PresenceEvent::Inserted { .. }));
        let t1 = Instant::now();
        let mut conn = PcscConnection::open(READER).unwrap();
        conn.transmit(&SELECT_JPKI).unwrap();
        let t2 = Instant::now();
        detect.push(t1 - t0);
        first.push(t2 - t1);
        drop(conn);
        drop(placed);
        wait_event(&rx, |e| matches!(e, PresenceEvent::Removed { .. }));
    }
    report("card on vpcd -> Inserted event (pcscd polls ~0.4 s)", &mut detect);
    report("Inserted -> connect + first APDU answered", &mut first);

    // 2. One APDU's round trip, and a whole card check, with and without TCP_QUICKACK.
    for quickack in [true, false] {
        let placed = VpcdCard::insert_with(rig.vpcd_addr(), VirtualCard::new(Profile::Valid), quickack).unwrap();
        wait_event(&rx, |e| matches!(e, PresenceEvent::Inserted { .. }));
        let mut conn = PcscConnection::open(READER).unwrap();
        let n = if quickack { 20 * rounds } else { rounds };
        let mut rtt = Vec::new();
        for _ in 0..n {
            let t = Instant::now();
            conn.transmit(&SELECT_JPKI).unwrap();
            rtt.push(t.elapsed());
        }
        report(&format!("APDU round trip (SELECT), TCP_QUICKACK {}", on(quickack)), &mut rtt);
        let mut check = Vec::new();
        let mut apdus = 0;
        for _ in 0..rounds.min(5) {
            let t = Instant::now();
            let mut client = JpkiClient::new(&mut conn);
            client.identify().unwrap();
            client.read_certificate(CertSlot::UserAuth).unwrap();
            client.read_certificate(CertSlot::UserAuthCa).unwrap();
            client.pin_status().unwrap();
            apdus = client.apdu_count();
            check.push(t.elapsed());
        }
        report(
            &format!("card check ({apdus} APDUs: identify, 2 certs, PIN tries), TCP_QUICKACK {}", on(quickack)),
            &mut check,
        );
        drop(conn);
        drop(placed);
        wait_event(&rx, |e| matches!(e, PresenceEvent::Removed { .. }));
    }

    // 3. Certificate reads: extended length vs short APDUs (2 + ceil(size/256)).
    for extended in [true, false] {
        let card =
            VirtualCard::with_options(Profile::Valid, CardOptions { extended_length: extended, ..Default::default() });
        let placed = VpcdCard::insert(rig.vpcd_addr(), card).unwrap();
        wait_event(&rx, |e| matches!(e, PresenceEvent::Inserted { .. }));
        let mut client = JpkiClient::new(PcscConnection::open(READER).unwrap());
        client.identify().unwrap();
        let before = client.apdu_count();
        let t = Instant::now();
        let der = client.read_certificate(CertSlot::UserAuth).unwrap();
        let took = t.elapsed();
        println!(
            "  user-auth certificate ({} bytes), extended length {}: {} APDUs, {:.2} ms",
            der.len(),
            on(extended),
            client.apdu_count() - before,
            ms(took)
        );
        drop(client);
        drop(placed);
        wait_event(&rx, |e| matches!(e, PresenceEvent::Removed { .. }));
    }
    monitor.stop();
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn wait_event(rx: &mpsc::Receiver<PresenceEvent>, want: impl Fn(&PresenceEvent) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if want(&e) => return,
            Ok(_) => {}
            Err(_) => panic!("no presence event within 15 s"),
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    println!(
        "  {what}: median {:.2} ms, p95 {:.2} ms, min {:.2} ms, max {:.2} ms (n={})",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}
