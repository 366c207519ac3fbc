//! The daemon as a clinic runs it — no `--mock` — with the virtual card on a vpcd reader
//! inside pcscd: a patient checks in with the PIN over the HTTP API, and a missing reader is
//! reported by `/v1/health`.

mod support;

use myna_kiosk_tests::rig::{Rig, READER};
use myna_virtual_card::{Profile, VirtualCard};
use serde_json::json;
use support::{pcsc_config, Daemon, KIOSK, RECEPTION};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_check_in_through_pcscd_and_the_api() {
    let Some(rig) = Rig::get() else { return };
    let daemon = Daemon::start("pcsc-pin", &pcsc_config(READER), &[]);
    let health = daemon.wait_until("the reader", |v| v["reader"] == format!("ok ({READER})"), "/v1/health", None).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["mock"], false);

    let card = VirtualCard::new(Profile::Valid);
    let placed = rig.insert(card);
    daemon.wait_prompt("choose_method").await;
    let (status, v) = daemon.call("POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["prompt"]["tries_left"], 3, "the counter read through pcscd: {v}");
    let (status, _) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "9999" }))).await;
    assert_eq!(status, 200);
    let v = daemon.wait_until("2 tries left", |v| v["prompt"]["tries_left"] == 2, "/v1/session", Some(KIOSK)).await;
    assert_eq!(v["prompt"]["kind"], "enter_pin");
    let (status, _) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    assert_eq!(status, 200);
    daemon.wait_prompt("consent").await;
    let (status, _) = daemon
        .call("POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "medication": true, "limit_amount": true })))
        .await;
    assert_eq!(status, 200);
    daemon.wait_prompt("take_card").await;
    let card = rig.remove(placed);
    daemon.wait_prompt("place_card").await;

    let (_, page) = daemon.call("GET", "/v1/results?after=0", Some(RECEPTION), None).await;
    let r = &page["results"][0];
    assert_eq!(r["outcome"], "verified", "{page}");
    assert_eq!(r["auth"]["method"], "pin");
    assert!(r["auth"]["signature"].as_str().is_some_and(|s| s.len() > 300), "the card's signature is in the result");
    assert_eq!(card.pin_tries_left(), Some(3), "the right PIN reset the counter");
    let log = daemon.stop();
    assert!(!log.contains("9999") && !log.contains("1234"), "no PIN in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_matching_reader_makes_the_kiosk_unavailable_not_dead() {
    let Some(_rig) = Rig::get() else { return };
    let daemon = Daemon::start("pcsc-noreader", &pcsc_config("Sony FeliCa RC-S300/P"), &[]);
    let health = daemon
        .wait_until("health", |v| v["reader"].as_str().is_some_and(|r| r.contains("RC-S300")), "/v1/health", None)
        .await;
    assert_eq!(health["status"], "unavailable");
    assert!(health["reader"].as_str().unwrap().starts_with("unavailable: no card reader matching"), "{health}");
    daemon.stop();
}
