//! `/metrics` as an operator's Prometheus reads it: OpenMetrics text with the session and card
//! histograms, the build, the reader's, journal's and results' state, and interrupted sessions
//! counted like the others.

mod support;

use std::collections::BTreeMap;

use chrono::{TimeDelta, Utc};
use http::StatusCode;
use myna_kiosk::journal::Journal;
use myna_kiosk::recorder::Recorder;
use myna_kiosk::session::SessionConfig;
use serde_json::json;
use support::http::{call, tap, wait_prompt, Router};
use support::{EVERY_ROLE, KIOSK, RECEPTION, STAFF};

/// Each sample line (`name{labels}` → value), after checking the text is OpenMetrics.
fn samples(text: &str) -> BTreeMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text ends with # EOF:\n{text}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("a sample line: {l}"));
            (name.to_string(), value.parse().unwrap_or_else(|_| panic!("a number: {l}")))
        })
        .collect()
}

async fn scrape(f: &Router) -> BTreeMap<String, f64> {
    let a = call(f, "GET", "/metrics", Some(STAFF), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    samples(std::str::from_utf8(&a.body).unwrap())
}

fn get(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    *m.get(name).unwrap_or_else(|| panic!("no {name} in {:#?}", m.keys().collect::<Vec<_>>()))
}

#[tokio::test]
async fn a_pin_check_in_fills_the_histograms_and_the_gauges_follow_the_acks() {
    let f = Router::new(Journal::in_memory(), SessionConfig::default(), true, &EVERY_ROLE);
    let m = scrape(&f).await;
    assert_eq!(get(&m, "myna_sessions_total{outcome=\"verified\"}"), 0.0, "every outcome is there from the start");
    assert_eq!(get(&m, "myna_session_duration_seconds_count"), 0.0);
    assert_eq!(get(&m, "myna_reader_up"), 1.0);
    assert_eq!(get(&m, "myna_journal_up"), 1.0);
    assert_eq!(get(&m, "myna_results_unacknowledged"), 0.0);
    let version = format!("myna_kiosk_build_info{{version=\"{}\"}}", myna_kiosk::VERSION);
    assert_eq!(get(&m, &version), 1.0);

    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "consent").await;
    call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": true }))).await;
    wait_prompt(&f, "take_card").await;

    let m = scrape(&f).await;
    assert_eq!(get(&m, "myna_sessions_total{outcome=\"verified\"}"), 1.0);
    assert_eq!(get(&m, "myna_session_duration_seconds_count"), 1.0);
    assert_eq!(get(&m, "myna_session_duration_seconds_bucket{le=\"+Inf\"}"), 1.0);
    assert!(get(&m, "myna_session_duration_seconds_sum") > 0.0);
    for op in ["check", "verify_pin_and_sign"] {
        let count = format!("myna_card_operation_duration_seconds_count{{op=\"{op}\",result=\"ok\"}}");
        assert_eq!(get(&m, &count), 1.0, "{op}");
        let inf = format!("myna_card_operation_duration_seconds_bucket{{le=\"+Inf\",op=\"{op}\",result=\"ok\"}}");
        assert_eq!(get(&m, &inf), 1.0, "{op}");
    }
    assert_eq!(get(&m, "myna_results_unacknowledged"), 1.0);

    let id = call(&f, "GET", "/v1/results", Some(RECEPTION), None).await.json()["results"][0]["id"].clone();
    call(&f, "POST", &format!("/v1/results/{}/ack", id.as_str().unwrap()), Some(RECEPTION), None).await;
    assert_eq!(get(&scrape(&f).await, "myna_results_unacknowledged"), 0.0);
}

#[tokio::test]
async fn a_wrong_pin_is_timed_under_its_code() {
    let f = Router::new(Journal::in_memory(), SessionConfig::default(), true, &EVERY_ROLE);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "9999" }))).await;
    let v = wait_prompt(&f, "enter_pin").await;
    assert_eq!(v["prompt"]["tries_left"], 2);
    let m = scrape(&f).await;
    let wrong = "myna_card_operation_duration_seconds_count{op=\"verify_pin_and_sign\",result=\"PIN_WRONG\"}";
    assert_eq!(get(&m, wrong), 1.0);
}

/// Sessions a crash left in progress become `interrupted` results at start: they are counted
/// (they used to bypass the counters).
#[test]
fn interrupted_sessions_are_counted() {
    let journal = Journal::in_memory();
    let started = Utc::now() - TimeDelta::seconds(40);
    journal.begin("s-crashed", started).unwrap();
    let recorder = Recorder::new(journal.clone());
    let interrupted = recorder.recover(Utc::now()).unwrap();
    assert_eq!(interrupted.len(), 1);
    let text = recorder.metrics.render(&myna_kiosk::metrics::Scrape {
        unacknowledged: journal.unacknowledged().ok(),
        journal: journal.stats(),
        reader_up: false,
        journal_up: true,
    });
    let m = samples(&text);
    assert_eq!(get(&m, "myna_sessions_total{outcome=\"interrupted\"}"), 1.0);
    assert_eq!(get(&m, "myna_session_duration_seconds_count"), 1.0);
    assert_eq!(get(&m, "myna_results_unacknowledged"), 1.0);
    assert_eq!(get(&m, "myna_reader_up"), 0.0);
}

/// The example alert rules (docs/prometheus/alerts.yml) name only metrics the daemon exports,
/// and cover a reader down, a broken journal and results left unacknowledged.
#[tokio::test]
async fn the_example_alert_rules_name_exported_metrics() {
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/prometheus/alerts.yml")).unwrap();
    let f = Router::new(Journal::in_memory(), SessionConfig::default(), true, &EVERY_ROLE);
    let exported = scrape(&f).await;
    let names: Vec<&str> = exported.keys().map(|k| k.split('{').next().unwrap()).collect();
    let mut named = 0;
    for line in rules.lines().filter(|l| l.trim_start().starts_with("expr:")) {
        for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("myna_") {
                assert!(names.contains(&word), "alerts.yml names {word}, which /metrics does not have");
                named += 1;
            }
        }
    }
    assert!(named >= 5, "{named}");
    for metric in ["myna_reader_up", "myna_journal_up", "myna_results_unacknowledged"] {
        assert!(rules.contains(&format!("expr: {metric}")), "an alert on {metric}");
    }
}
