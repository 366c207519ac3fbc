//! The daemon on the real PC/SC stack against what a clinic's hardware does on a bad day: a slow
//! card, a card that stops answering, a card that answers garbage, pcscd killed while idle and
//! during a session, and the reader unplugged while pcscd runs. Every case ends with a clean
//! result (or none, when no card was there), the API keeps answering throughout, and the next
//! card checks in normally. One test, because the cases share one reader and one pcscd.

mod support;

use std::time::{Duration, Instant};

use myna_kiosk_tests::rig::{card_present, wait_for, Rig, READER};
use myna_virtual_card::{CardOptions, Fault, FaultKind, Profile, VirtualCard};
use serde_json::Value;
use support::wait::poll_until;
use support::{check_in, pcsc_config, Daemon, KIOSK};

/// A card operation that never comes back ends the session after this long.
const CARD_OPERATION_SECS: u64 = 3;

fn card(profile: Profile, serial: u64, options: CardOptions) -> VirtualCard {
    VirtualCard::with_options(profile, CardOptions { serial, ..options })
}

/// A healthy card checks in with a PIN.
async fn healthy_check_in(rig: &Rig, d: &Daemon, after: &mut u64, serial: u64, what: &str) {
    let placed = rig.insert(card(Profile::Valid, serial, CardOptions::default()));
    let r = check_in(d, "pin", *after).await;
    *after = r["seq"].as_u64().unwrap();
    assert_eq!(r["outcome"], "verified", "{what}: the next card checks in: {r}");
    rig.remove(placed);
}

async fn health(d: &Daemon) -> (u16, Value) {
    d.call("GET", "/v1/health", None, None).await
}

/// Health is not announced: look again until it says `status`.
async fn wait_health(d: &Daemon, status: u16, what: &str) -> Value {
    let seen = poll_until(|| health(d), |(s, _)| *s == status).await;
    seen.map(|(_, h)| h).unwrap_or_else(|(s, h)| panic!("{what}: health stayed {s}: {h}\n{}", d.log()))
}

/// The kiosk screen's view while the reader is gone.
async fn out_of_service_for_the_reader(d: &Daemon, what: &str) {
    let v = d.wait_prompt("out_of_service").await;
    let codes: Vec<&str> = v["notices"].as_array().unwrap().iter().filter_map(|n| n["code"].as_str()).collect();
    assert_eq!(codes, ["READER_UNAVAILABLE"], "{what}: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_cards_pcscd_crashes_and_an_unplugged_reader_end_cleanly_and_the_kiosk_recovers() {
    let Some(rig) = Rig::get() else { return };
    let config = pcsc_config(READER) + &format!("\n[session.timeouts]\ncard_operation_secs = {CARD_OPERATION_SECS}\n");
    let d = Daemon::start("resilience", &config, &[]);
    d.wait_until("the reader", |v| v["status"] == "ok", "/v1/health", None).await;
    let mut after = 0;

    // A slow card (a worn one, a reader at a low bit rate): slower, but it checks in.
    let slow = CardOptions {
        apdu_latency: Duration::from_millis(60),
        sign_latency: Duration::from_millis(900),
        ..Default::default()
    };
    let placed = rig.insert(card(Profile::Valid, 0x3000, slow));
    let r = check_in(&d, "pin", after).await;
    after = r["seq"].as_u64().unwrap();
    assert_eq!(r["outcome"], "verified", "a slow card: {r}");
    rig.remove(placed);

    // A card that stops answering, in the middle of reading it (0, 4), before the PIN (8) and
    // at the PIN check itself (9, 10): the session ends when the card operation's time is up,
    // the API answers meanwhile, and taking the card away frees the reader for the next one.
    for mute_after in [0, 4, 8, 9, 10] {
        let fault = Some(Fault { after_apdus: mute_after, kind: FaultKind::Mute });
        let mute = card(Profile::Valid, 0x3100 + mute_after as u64, CardOptions { fault, ..Default::default() });
        let log = mute.log();
        let placed = rig.insert(mute);
        let started = Instant::now();
        let r = check_in(&d, "pin", after).await;
        after = r["seq"].as_u64().unwrap();
        assert_ne!(r["outcome"], "verified", "mute after {mute_after}: {r}");
        assert!(r["auth"].is_null(), "no authentication from a mute card: {r}");
        let code = r["error"]["code"].as_str().unwrap_or_default().to_string();
        assert!(!code.is_empty(), "mute after {mute_after}: the patient is told why: {r}");
        if r["outcome"] == "timed_out" {
            assert_eq!(code, "CARD_TIMEOUT", "{r}");
        }
        assert!(log.len() >= mute_after, "the card answered {} APDUs before going mute", log.len());
        // Bounded: the card operation's limit plus the check-in's own steps, not the 30 s
        // the helper allows (this is a bound on a hang, not a speed target).
        eprintln!(
            "mute after {mute_after}: {} in {:?} ({} APDUs answered) {r}",
            r["outcome"],
            started.elapsed(),
            log.len()
        );
        assert!(started.elapsed() < Duration::from_secs(CARD_OPERATION_SECS + 12), "mute after {mute_after}");
        let (s, v) = d.call("GET", "/v1/session", Some(KIOSK), None).await;
        assert_eq!(s, 200, "the API answers while the card thread waits on the mute card: {v}");
        drop(placed.remove());
        wait_for(|| card_present() != Some(true), "the mute card to leave");
        healthy_check_in(&rig, &d, &mut after, 0x3200 + mute_after as u64, &format!("after mute {mute_after}")).await;
    }

    // A card that answers garbage from some APDU on: never verified, always a reason.
    for garbage_after in [0, 1, 2, 3, 5, 7, 8, 9, 10] {
        let fault = Some(Fault { after_apdus: garbage_after, kind: FaultKind::Garbage });
        let placed = rig.insert(card(Profile::Valid, 0x3300, CardOptions { fault, ..Default::default() }));
        let r = check_in(&d, "pin", after).await;
        after = r["seq"].as_u64().unwrap();
        assert_ne!(r["outcome"], "verified", "garbage after {garbage_after}: {r}");
        assert!(r["auth"].is_null(), "{r}");
        assert!(r["error"]["code"].is_string(), "garbage after {garbage_after}: {r}");
        rig.remove(placed);
    }
    healthy_check_in(&rig, &d, &mut after, 0x3400, "after the garbage cards").await;

    // pcscd crashes while the kiosk is idle: health says so (503, reception sends patients to
    // the desk), and once pcscd is back the kiosk recovers by itself.
    // The screen says so too: out of service with the reader's code (and where to go), not
    // "place your card" on a kiosk that cannot read one.
    rig.kill_pcscd();
    let h = wait_health(&d, 503, "pcscd killed while idle").await;
    assert_eq!(h["status"], "unavailable", "{h}");
    out_of_service_for_the_reader(&d, "pcscd killed while idle").await;
    rig.start_pcscd();
    wait_health(&d, 200, "pcscd back").await;
    d.wait_prompt("place_card").await;
    healthy_check_in(&rig, &d, &mut after, 0x3500, "after pcscd came back").await;

    // pcscd crashes in the middle of a session (the patient is choosing a method): the session
    // ends with the reader's code (not as a card taken away), no verification, the screen goes
    // out of service, and the kiosk recovers.
    let placed = rig.insert(card(Profile::Valid, 0x3600, CardOptions::default()));
    d.wait_prompt("choose_method").await;
    rig.kill_pcscd();
    let results = format!("/v1/results?after={after}");
    let first = |page: &Value| page["results"].as_array().and_then(|r| r.first()).cloned();
    let page =
        poll_until(|| d.call("GET", &results, Some(support::RECEPTION), None), |(_, page)| first(page).is_some())
            .await
            .unwrap_or_else(|_| panic!("no result after pcscd died mid-session\n{}", d.log()));
    let r = first(&page.1).unwrap();
    after = r["seq"].as_u64().unwrap();
    assert_eq!(r["outcome"], "failed", "pcscd killed mid-session: {r}");
    assert_eq!(r["error"]["code"], "READER_UNAVAILABLE", "pcscd killed mid-session: {r}");
    assert!(r["auth"].is_null(), "{r}");
    wait_health(&d, 503, "pcscd killed mid-session").await;
    out_of_service_for_the_reader(&d, "pcscd killed mid-session").await;
    drop(placed.remove());
    rig.start_pcscd();
    wait_health(&d, 200, "pcscd back after a mid-session crash").await;
    healthy_check_in(&rig, &d, &mut after, 0x3700, "after a mid-session pcscd crash").await;

    // The reader unplugged while pcscd keeps running, then plugged back in.
    rig.kill_pcscd();
    rig.start_pcscd_without_reader();
    let h = wait_health(&d, 503, "reader unplugged").await;
    assert!(h["reader"].as_str().unwrap_or_default().starts_with("unavailable"), "{h}");
    out_of_service_for_the_reader(&d, "reader unplugged").await;
    rig.kill_pcscd();
    rig.start_pcscd();
    wait_health(&d, 200, "reader plugged back in").await;
    healthy_check_in(&rig, &d, &mut after, 0x3800, "after the reader came back").await;

    let log = d.stop();
    assert!(!log.contains("panicked"), "no panic in the daemon:\n{log}");
}
