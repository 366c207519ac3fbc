//! `GET /v1/events` through the router: who gets results (reception), who a summary (staff)
//! and who session views only (kiosk), live and on replay; and a catch-up the journal cannot
//! serve never turns into a stream that goes live past what the client missed.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use myna_api::backend::Role;
use myna_api::proto::{AuthEvidence, ConsentRecord, SessionResult};
use myna_api::router::{route, Api, ApiBody};
use support::{fixture, notice, token, Fake};

enum Resume {
    None,
    Header(&'static str),
    Query(&'static str),
}

async fn open(api: &Api<Fake>, role: Role, resume: Resume) -> (StatusCode, ApiBody) {
    let uri = match resume {
        Resume::Query(q) => format!("/v1/events?after={q}"),
        _ => "/v1/events".to_string(),
    };
    let mut req = Request::get(uri).header("authorization", format!("Bearer {}", token(role)));
    if let Resume::Header(id) = resume {
        req = req.header("last-event-id", id);
    }
    let r = route(api, req.body(Empty::<Bytes>::new()).unwrap()).await;
    let (parts, body) = r.into_parts();
    (parts.status, body)
}

/// Reads the stream until `done` holds for the text so far, the stream ends, or `wait` passes.
/// Returns the text and whether the stream ended.
async fn read(body: &mut ApiBody, wait: Duration, done: impl Fn(&str) -> bool) -> (String, bool) {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !done(&text) {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(f))) => text.push_str(&String::from_utf8_lossy(f.data_ref().map_or(&[][..], |b| &b[..]))),
            Ok(_) => return (text, true),
            Err(_) => break,
        }
    }
    (text, false)
}

fn sessions(text: &str) -> usize {
    text.matches("event: session\n").count()
}

/// A result with everything a result can carry that is health data.
fn full_result(seq: u64) -> SessionResult {
    let mut r = Fake::new().results[0].clone();
    r.id = format!("r-{seq}");
    r.seq = seq;
    r.auth = Some(AuthEvidence::Pin { challenge: "Q0hBTExFTkdF".into(), signature: "U0lHTkFUVVJF".into() });
    r.consent = Some(ConsentRecord {
        items: Default::default(),
        answered_at: "2026-01-15T03:00:20.000Z".into(),
        valid_until: "2026-01-16T03:00:20.000Z".into(),
    });
    r.error = Some(notice("SOME_CODE"));
    r
}

fn fake_with_full_results() -> Fake {
    Fake { results: (1..=5).map(full_result).collect(), ..Fake::new() }
}

const WAIT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn only_reception_gets_results_on_replay() {
    let (api, _stop) = fixture(fake_with_full_results());
    for resume in [|| Resume::Header("0"), || Resume::Query("0")] {
        // Reception: every stored result, then the session.
        let (status, mut body) = open(&api, Role::Reception, resume()).await;
        assert_eq!(status, StatusCode::OK);
        let (text, _) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
        assert_eq!(text.matches("event: result\n").count(), 5, "{text}");
        assert!(text.contains("U0lHTkFUVVJF"), "reception gets the signature: {text}");

        // Kiosk: the session only.
        let (status, mut body) = open(&api, Role::Kiosk, resume()).await;
        assert_eq!(status, StatusCode::OK);
        let (text, _) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
        assert_eq!(sessions(&text), 1, "{text}");
        assert!(!text.contains("event: result"), "the kiosk token reads no results: {text}");
        assert!(!text.contains("r-1"), "{text}");

        // Staff: summaries (outcome, method, time, code), nothing more.
        let (status, mut body) = open(&api, Role::Staff, resume()).await;
        assert_eq!(status, StatusCode::OK);
        let (text, _) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
        assert!(!text.contains("event: result\n"), "the staff token reads no results: {text}");
        assert_eq!(text.matches("event: result_summary\n").count(), 5, "{text}");
        for secret in ["U0lHTkFUVVJF", "Q0hBTExFTkdF", "answered_at", "consent", "SOME_CODE（日本語）"] {
            assert!(!text.contains(secret), "a summary carries no {secret}: {text}");
        }
        let first = text.lines().find(|l| l.starts_with("data: {\"id\":\"r-1\"")).expect("summary of r-1");
        let summary: serde_json::Value = serde_json::from_str(&first["data: ".len()..]).unwrap();
        assert_eq!(
            summary,
            serde_json::json!({
                "id": "r-1", "seq": 1, "outcome": "verified", "method": "pin",
                "finished_at": "2026-01-15T03:00:30.000Z", "code": "SOME_CODE"
            })
        );
        assert!(text.contains("id: 1\nevent: result_summary\n"), "summaries resume by seq: {text}");
    }
}

#[tokio::test]
async fn only_reception_gets_live_results() {
    let (api, _stop) = fixture(fake_with_full_results());
    let mut streams = vec![];
    for role in [Role::Kiosk, Role::Staff, Role::Reception] {
        let (status, mut body) = open(&api, role, Resume::None).await;
        assert_eq!(status, StatusCode::OK);
        let (text, _) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
        assert!(!text.contains("event: result"), "{role:?}: {text}");
        streams.push((role, body));
    }
    api.backend.live.send(Arc::new(full_result(6))).unwrap();
    for (role, mut body) in streams {
        let (text, _) = read(&mut body, Duration::from_millis(500), |t| t.contains("\n\n")).await;
        match role {
            Role::Reception => assert!(text.starts_with("id: 6\nevent: result\n"), "{text}"),
            Role::Staff => {
                assert!(text.starts_with("id: 6\nevent: result_summary\n"), "{text}");
                assert!(!text.contains("U0lHTkFUVVJF"), "{text}");
            }
            _ => assert_eq!(text, "", "the kiosk gets no result event"),
        }
    }
}

#[tokio::test]
async fn a_catch_up_the_journal_cannot_serve_is_refused_not_skipped() {
    let (api, _stop) = fixture(Fake { journal_down: true, ..Fake::new() });
    let (status, mut body) = open(&api, Role::Reception, Resume::Header("0")).await;
    // Either refused outright, or a stream that ends without going live: never the session
    // view and live events, which would move the client's Last-Event-ID past what it missed.
    let (text, ended) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
    assert_eq!(sessions(&text), 0, "{status}: {text}");
    assert!(status == StatusCode::SERVICE_UNAVAILABLE || ended, "{status}: {text}");
    assert!(text.contains("JOURNAL_UNAVAILABLE") || status == StatusCode::OK, "{status}: {text}");
    // Without resuming there is nothing to catch up on: the stream goes live.
    let (status, mut body) = open(&api, Role::Reception, Resume::None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sessions(&read(&mut body, WAIT, |t| sessions(t) >= 1).await.0), 1);
}

#[tokio::test]
async fn a_catch_up_that_fails_half_way_closes_the_stream() {
    // More results than one catch-up page; the journal fails on the second page.
    let mut fake = Fake::new();
    let template = fake.results[0].clone();
    fake.results = (1..=1200).map(|seq| SessionResult { id: format!("r-{seq}"), seq, ..template.clone() }).collect();
    fake.journal_reads_left = Some(1.into());
    let (api, _stop) = fixture(fake);
    let (status, mut body) = open(&api, Role::Reception, Resume::Header("0")).await;
    assert_eq!(status, StatusCode::OK);
    let (text, ended) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
    let delivered = text.matches("event: result\n").count();
    assert!(delivered > 0 && delivered < 1200, "{delivered} results");
    // The stream ends where the journal failed: the client's Last-Event-ID is the last result
    // it really got, and it resumes from there.
    assert!(ended, "the stream ended");
    assert_eq!(sessions(&text), 0, "it never went live past the missing results");
}

#[tokio::test]
async fn a_subscriber_too_slow_for_the_live_feed_gets_the_missed_results_from_the_store() {
    // The live feed holds 4 results; 5 arrive while the subscriber reads nothing, so it lags.
    // The journal (the fake's store) has them: they come from there, in order, none twice.
    let mut fake = fake_with_full_results();
    fake.results = (1..=5).map(full_result).collect();
    let (api, _stop) = fixture(fake);
    let (status, mut body) = open(&api, Role::Reception, Resume::None).await;
    assert_eq!(status, StatusCode::OK);
    let (text, _) = read(&mut body, WAIT, |t| sessions(t) >= 1).await;
    assert!(!text.contains("event: result\n"), "nothing to catch up on: {text}");
    for seq in 1..=5 {
        api.backend.live.send(Arc::new(full_result(seq))).unwrap();
    }
    let (text, _) = read(&mut body, WAIT, |t| t.matches("event: result\n").count() >= 5).await;
    let seqs: Vec<u64> = text.lines().filter_map(|l| l.strip_prefix("id: ")?.parse().ok()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5], "{text}");
    // Nothing more: what survived in the live feed was already sent from the store.
    let (more, _) = read(&mut body, Duration::from_millis(300), |_| false).await;
    assert!(!more.contains("event: result\n"), "{more}");
}
