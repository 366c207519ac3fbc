//! What issue 17 added to the kiosk screen's API, through the router without a socket: more
//! time on a step (「時間を延長」) and the prescription choice.

mod support;

use http::StatusCode;
use myna_api::proto::ConsentItem;
use myna_kiosk::journal::Journal;
use myna_kiosk::session::SessionConfig;
use serde_json::json;
use support::http::{call, tap, wait_prompt, Router};
use support::{EVERY_ROLE, FACE, KIOSK, RECEPTION, STAFF};

fn fixture(config: SessionConfig) -> Router {
    Router::new(Journal::in_memory(), config, true, &EVERY_ROLE)
}

#[tokio::test]
async fn more_time_over_the_api_for_the_kiosk_and_staff_and_bounded() {
    let f = fixture(SessionConfig::default());
    // Idle: no session to name, nothing to extend.
    let a = call(&f, "POST", "/v1/session/extend", Some(KIOSK), None).await;
    assert_eq!(a.status, StatusCode::PRECONDITION_REQUIRED, "{}", a.json());
    tap(&f, "valid").await;
    let v = wait_prompt(&f, "choose_method").await;
    assert!(v["allowed_actions"].as_array().unwrap().contains(&json!("extend")), "{v}");
    let before = v["deadline_ms"].as_u64().unwrap();
    let a = call(&f, "POST", "/v1/session/extend", Some(KIOSK), None).await;
    assert_eq!(a.status, StatusCode::OK);
    let after = a.json()["deadline_ms"].as_u64().unwrap();
    assert!(after > before + 50_000, "60 s more: {before} → {after}");
    // Staff may ask for the patient; reception and the face module may not.
    assert_eq!(call(&f, "POST", "/v1/session/extend", Some(STAFF), Some(json!({}))).await.status, StatusCode::OK);
    assert_eq!(call(&f, "POST", "/v1/session/extend", Some(RECEPTION), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&f, "POST", "/v1/session/extend", Some(FACE), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        call(&f, "POST", "/v1/session/extend", Some(KIOSK), Some(json!({ "minutes": 60 }))).await.status,
        StatusCode::BAD_REQUEST,
        "no client says how long"
    );
    assert_eq!(call(&f, "POST", "/v1/session/extend", Some(KIOSK), None).await.status, StatusCode::OK);
    let a = call(&f, "POST", "/v1/session/extend", Some(KIOSK), None).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "EXTEND_LIMIT_REACHED".into()));
    assert!(a.json()["ja"].as_str().unwrap().contains("延長"), "{}", a.json());
    let v = call(&f, "GET", "/v1/session", Some(KIOSK), None).await.json();
    assert!(!v["allowed_actions"].as_array().unwrap().contains(&json!("extend")), "{v}");
    assert!(v["deadline_ms"].as_u64().unwrap() <= 120_000, "never more than twice the step's time: {v}");
}

#[tokio::test]
async fn the_prescription_choice_over_the_api() {
    let cfg = SessionConfig {
        consent_items: vec![ConsentItem::Medication, ConsentItem::ElectronicPrescription],
        ..SessionConfig::default()
    };
    let f = fixture(cfg);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    wait_prompt(&f, "consent").await;
    assert_eq!(
        call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": true }))).await.status,
        StatusCode::OK
    );
    let v = wait_prompt(&f, "prescription").await;
    assert_eq!(v["prompt"]["choices"], json!(["electronic", "paper"]), "{v}");
    let bad = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "prescription": "yes" }))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let a = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "prescription": "paper" }))).await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "take_card").await;
    let r = call(&f, "GET", "/v1/results", Some(RECEPTION), None).await.json();
    assert_eq!(r["results"][0]["consent"]["items"], json!({ "medication": true, "electronic_prescription": false }));
}
