//! Phones through the real PC/SC stack: the daemon as a clinic runs it, the virtual phone on a
//! vpcd reader inside pcscd, driven over the HTTP API. Android: straight to the phone's own PIN,
//! the certificate read after VERIFY. iPhone: no PIN pad and no VERIFY; not authorised in the
//! wallet, the patient is told to authorise and tap again.

mod support;

use myna_kiosk_tests::rig::{Rig, READER};
use myna_virtual_card::{CardOptions, Profile, VirtualCard};
use serde_json::{json, Value};
use support::{pcsc_config, Daemon, KIOSK, RECEPTION};

fn codes(notices: &Value) -> Vec<String> {
    notices.as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap().to_string()).collect()
}

async fn start(name: &str) -> Daemon {
    let daemon = Daemon::start(name, &pcsc_config(READER), &[]);
    daemon.wait_until("the reader", |v| v["reader"] == format!("ok ({READER})"), "/v1/health", None).await;
    daemon
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_android_phone_checks_in_with_its_own_pin_through_pcscd() {
    let Some(rig) = Rig::get() else { return };
    let daemon = start("pcsc-android").await;
    let placed = rig.insert(VirtualCard::new(Profile::Android));
    let v = daemon.wait_prompt("enter_pin").await;
    assert_eq!(v["prompt"]["tries_left"], 3, "{v}");
    assert!(codes(&v["notices"]).contains(&"PHONE_PIN".to_string()), "{v}");
    assert!(v["card"]["certificate"].is_null(), "no certificate before the phone's PIN: {v}");
    let (status, v) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    assert_eq!(status, 200, "{v}");
    daemon.wait_prompt("consent").await;
    let (status, _) = daemon.call("POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": true }))).await;
    assert_eq!(status, 200);
    daemon.wait_prompt("take_card").await;
    rig.remove(placed);

    let (_, page) = daemon.call("GET", "/v1/results?after=0", Some(RECEPTION), None).await;
    let r = &page["results"][0];
    assert_eq!(r["outcome"], "verified", "{page}");
    assert_eq!(r["card"]["kind"], "android");
    assert_eq!(r["card"]["certificate"]["status"], "valid", "read after VERIFY: {r}");
    assert_eq!(r["auth"]["method"], "pin");
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iphone_checks_in_with_no_pin_and_is_told_to_authorise_when_it_has_not() {
    let Some(rig) = Rig::get() else { return };
    let daemon = start("pcsc-iphone").await;

    let not_authorised = CardOptions { wallet_authorised: false, ..Default::default() };
    let placed = rig.insert(VirtualCard::with_options(Profile::Iphone, not_authorised));
    let v = daemon.wait_prompt("take_card").await;
    assert_eq!(v["prompt"]["outcome"], "failed", "{v}");
    assert!(codes(&v["notices"]).contains(&"PHONE_NOT_AUTHORISED".to_string()), "{v}");
    let phone = rig.remove(placed);
    assert!(!phone.log().entries().iter().any(|a| a[1] == 0x20), "a VERIFY reached the iPhone");
    daemon.wait_prompt("place_card").await;

    let placed = rig.insert(VirtualCard::new(Profile::Iphone));
    daemon.wait_prompt("consent").await;
    let (status, _) = daemon.call("POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": true }))).await;
    assert_eq!(status, 200);
    daemon.wait_prompt("take_card").await;
    let phone = rig.remove(placed);
    assert!(!phone.log().entries().iter().any(|a| a[1] == 0x20), "a VERIFY reached the iPhone");

    let (_, page) = daemon.call("GET", "/v1/results?after=0", Some(RECEPTION), None).await;
    let results = page["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{page}");
    assert_eq!(results[0]["error"]["code"], "PHONE_NOT_AUTHORISED");
    assert_eq!(results[1]["outcome"], "verified", "{page}");
    assert_eq!(results[1]["card"]["kind"], "iphone");
    assert!(results[1]["auth"]["signature"].as_str().is_some_and(|s| s.len() > 300), "{page}");
    daemon.stop();
}
