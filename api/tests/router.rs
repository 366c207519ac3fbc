//! The router against a small in-memory backend: the gate (tokens, roles), 404 and 405, how a
//! refused command is answered, what reaches the backend, and results paging. No daemon.

mod support;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use myna_api::backend::{CommandOutcome, HealthStatus, RefusalKind, Role};
use myna_api::router::{route, Api};
use myna_api::routes::Route;
use serde_json::{json, Value};
use support::{fixture, if_match, notice, token, Fake, ROLES};

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

async fn call(api: &Api<Fake>, method: &Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    // Session commands name the session shown now, as every client does.
    if method == Method::POST && path.starts_with("/v1/session/") {
        if let Some(tag) = if_match(api) {
            req = req.header("if-match", tag);
        }
    }
    let bytes = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    let r = route(api, req.body(Full::new(bytes)).unwrap()).await;
    let (parts, body) = r.into_parts();
    // An event stream never ends: its head is the answer.
    let body = if parts.headers["content-type"] == "text/event-stream" {
        Value::Null
    } else {
        let bytes = body.collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    Answer { status: parts.status, headers: parts.headers, body }
}

async fn post(api: &Api<Fake>, path: &str, role: Role, body: Value) -> Answer {
    call(api, &Method::POST, path, Some(token(role)), Some(body)).await
}

#[tokio::test]
async fn every_route_lets_in_its_roles_and_only_them() {
    let (api, _stop) = fixture(Fake::new());
    for (method, template, route) in Route::table() {
        let path = template.replace("{id}", "r-1");
        let at = format!("{method} {path}");
        let Some(allowed) = route.roles() else {
            assert_eq!(call(&api, method, &path, None, None).await.status, StatusCode::OK, "{at}");
            continue;
        };
        for t in [None, Some("not-a-token")] {
            let a = call(&api, method, &path, t, None).await;
            assert_eq!((a.status, a.code()), (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"), "{at} {t:?}");
            assert_eq!(a.headers["www-authenticate"], "Bearer", "{at}");
        }
        for (role, t) in ROLES {
            let a = call(&api, method, &path, Some(t), None).await;
            if allowed.contains(&role) {
                let shut = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
                assert!(!shut.contains(&a.status), "{at} as {role:?}: {}", a.status);
            } else {
                assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "FORBIDDEN"), "{at} as {role:?}");
            }
        }
    }
    // Who may do what, said once more here so a wrong entry in the table fails.
    let (pin, visual, challenge) = ("/v1/session/pin", "/v1/session/visual", "/v1/session/challenge");
    for (path, role, body) in [
        (pin, Role::Reception, json!({ "pin": "1234" })),
        (pin, Role::Staff, json!({ "pin": "1234" })),
        (visual, Role::Kiosk, json!({ "confirmed": true, "staff_id": "n-7" })),
        (challenge, Role::Kiosk, json!({ "challenge": "AAAA" })),
        ("/v1/session/face/verdict", Role::Staff, json!({ "matched": true })),
    ] {
        assert_eq!(post(&api, path, role, body).await.status, StatusCode::FORBIDDEN, "{path} as {role:?}");
    }
    let results = call(&api, &Method::GET, "/v1/results", Some(token(Role::Kiosk)), None).await;
    assert_eq!(results.status, StatusCode::FORBIDDEN);
    // Nothing refused at the gate reached the daemon.
    assert!(api.backend.commands().iter().all(|c| !c.starts_with("Pin") && !c.starts_with("Visual")));
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() {
    let (api, _stop) = fixture(Fake::new());
    let kiosk = Some(token(Role::Kiosk));
    for path in ["/", "/v1", "/v2/health", "/v1/session/face", "/v1/session/pin/again", "/v1/results/a/b"] {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let a = call(&api, &method, path, kiosk, None).await;
            assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "NOT_FOUND"), "{method} {path}");
            assert_eq!(a.body["en"], "Not found.");
        }
    }
    for (method, path, allow) in [
        (Method::DELETE, "/v1/session", "GET"),
        (Method::GET, "/v1/session/pin", "POST"),
        (Method::PUT, "/v1/health", "GET"),
        (Method::GET, "/v1/results/r-1/ack", "POST"),
        (Method::GET, "/v1/bench/card", "POST, DELETE"),
    ] {
        // Before the token is looked at: no token needed to learn the method is wrong.
        let a = call(&api, &method, path, None, None).await;
        assert_eq!((a.status, a.code()), (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"), "{method} {path}");
        // RFC 9110: a 405 says which methods the path has.
        assert_eq!(a.headers.get("allow").map(|v| v.to_str().unwrap()), Some(allow), "{method} {path}");
    }
    // Without --mock the bench routes do not exist, even for the bench token.
    let (api, _stop) = fixture(Fake { bench: false, ..Fake::new() });
    let a = post(&api, "/v1/bench/card", Role::Bench, json!({ "profile": "valid" })).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = call(&api, &Method::DELETE, "/v1/bench/card", Some(token(Role::Bench)), None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_command_keeps_the_daemons_words_with_the_status_of_its_kind() {
    let (api, _stop) = fixture(Fake::new());
    for (kind, status) in
        [(RefusalKind::Invalid, 400), (RefusalKind::WrongState, 409), (RefusalKind::PhotoUnavailable, 422)]
    {
        api.backend.answer(CommandOutcome::Refused { kind, notice: notice("NOT_NOW") });
        let a = post(&api, "/v1/session/visual", Role::Staff, json!({ "confirmed": true, "staff_id": " n-7 " })).await;
        assert_eq!(a.status.as_u16(), status, "{kind:?}");
        assert_eq!(a.headers["content-type"], "application/problem+json");
        let want = json!({
            "type": "urn:myna-kiosk:problem:not-now",
            "status": status,
            "code": "NOT_NOW",
            "title": "NOT_NOW in English",
            "ja": "NOT_NOW（日本語）",
            "en": "NOT_NOW in English",
            "instance": "/v1/session/visual",
        });
        assert_eq!(a.body, want);
    }
    api.backend.answer(CommandOutcome::Unavailable(notice("DAEMON_STOPPING")));
    let a = post(&api, "/v1/session/cancel", Role::Kiosk, json!({})).await;
    assert_eq!((a.status, a.code()), (StatusCode::SERVICE_UNAVAILABLE, "DAEMON_STOPPING"));
    // Accepted: the answer is the session as it is now.
    let a = post(&api, "/v1/session/cancel", Role::Kiosk, json!({})).await;
    assert_eq!((a.status, &a.body["id"]), (StatusCode::OK, &json!("s-1")));
}

#[tokio::test]
async fn the_router_checks_shapes_and_the_daemon_the_values() {
    let (api, _stop) = fixture(Fake::new());
    // Values go to the daemon as sent: it owns the rules for them.
    post(&api, "/v1/session/visual", Role::Staff, json!({ "confirmed": true, "staff_id": "  " })).await;
    post(&api, "/v1/session/challenge", Role::Reception, json!({ "challenge": " not base64 " })).await;
    post(&api, "/v1/session/pin", Role::Kiosk, json!({ "pin": "12" })).await;
    assert_eq!(
        api.backend.commands(),
        [
            r#"Visual { confirmed: true, staff_id: "  " }"#,
            r#"Challenge(" not base64 ")"#,
            "Pin { pin: Secret(<redacted>), confirm_last_try: false }",
        ]
    );
    // A body of the wrong shape, or a score out of range, never gets there.
    let a = post(&api, "/v1/session/pin", Role::Kiosk, json!({ "pin": 1234 })).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "BAD_REQUEST_BODY"));
    assert!(!a.body.to_string().contains("1234"), "the body is never echoed");
    let a = post(&api, "/v1/session/method", Role::Kiosk, json!({ "method": "pin", "x": 1 })).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "BAD_REQUEST_BODY"));
    let a = post(&api, "/v1/session/face/verdict", Role::Face, json!({ "matched": true, "score": 1.5 })).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "SCORE_RANGE"));
    let a = call(&api, &Method::POST, "/v1/session/method", Some(token(Role::Kiosk)), None).await;
    assert_eq!((a.status, a.code()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"));
    assert_eq!(api.backend.commands().len(), 3);
}

#[tokio::test]
async fn pin_floods_stop_at_the_router() {
    let (api, _stop) = fixture(Fake::new());
    let mut statuses = vec![];
    for _ in 0..7 {
        statuses.push(post(&api, "/v1/session/pin", Role::Kiosk, json!({ "pin": "1234" })).await.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert_eq!(api.backend.commands().len(), 5);
}

#[tokio::test]
async fn results_come_in_pages_that_follow_on() {
    let (api, _stop) = fixture(Fake::new());
    let reception = Some(token(Role::Reception));
    let page = |q: &'static str| {
        let api = &api;
        async move {
            let a = call(api, &Method::GET, &format!("/v1/results{q}"), reception, None).await;
            assert_eq!(a.status, StatusCode::OK, "{q}");
            let seqs: Vec<u64> =
                a.body["results"].as_array().unwrap().iter().map(|r| r["seq"].as_u64().unwrap()).collect();
            (seqs, a.body["next_after"].as_u64().unwrap())
        }
    };
    assert_eq!(page("").await, (vec![1, 2, 3, 4, 5], 5));
    assert_eq!(page("?limit=2").await, (vec![1, 2], 2));
    assert_eq!(page("?after=2&limit=2").await, (vec![3, 4], 4));
    assert_eq!(page("?after=4&limit=2").await, (vec![5], 5));
    // Nothing new: the next page starts where this one asked.
    assert_eq!(page("?after=9").await, (vec![], 9));
    for q in ["limit=0", "limit=1001", "after=-1", "after=x", "page=2"] {
        let a = call(&api, &Method::GET, &format!("/v1/results?{q}"), reception, None).await;
        assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "BAD_QUERY"), "{q}");
    }
    let one = call(&api, &Method::GET, "/v1/results/r-3", reception, None).await;
    assert_eq!((one.status, &one.body["seq"]), (StatusCode::OK, &json!(3)));
    let ack = call(&api, &Method::POST, "/v1/results/r-3/ack", reception, None).await;
    assert_eq!((ack.status, ack.body), (StatusCode::OK, json!({ "acknowledged": "r-3" })));
    for (method, path) in [(Method::GET, "/v1/results/r-9"), (Method::POST, "/v1/results/r-9/ack")] {
        assert_eq!(call(&api, &method, path, reception, None).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The journal down: 503 in the daemon's words.
    let (api, _stop) = fixture(Fake { journal_down: true, ..Fake::new() });
    for (method, path) in [(Method::GET, "/v1/results"), (Method::GET, "/v1/results/r-1")] {
        let a = call(&api, &method, path, reception, None).await;
        assert_eq!((a.status, a.code()), (StatusCode::SERVICE_UNAVAILABLE, "JOURNAL_UNAVAILABLE"), "{path}");
    }
}

#[tokio::test]
async fn health_is_503_only_when_the_kiosk_cannot_check_in() {
    for (status, http) in [
        (HealthStatus::Ok, StatusCode::OK),
        (HealthStatus::Degraded, StatusCode::OK),
        (HealthStatus::Unavailable, StatusCode::SERVICE_UNAVAILABLE),
    ] {
        let (api, _stop) = fixture(Fake { health: status, ..Fake::new() });
        let a = call(&api, &Method::GET, "/v1/health", None, None).await;
        assert_eq!((a.status, a.body["status"].as_str().unwrap()), (http, status.as_str()));
    }
}

#[tokio::test]
async fn the_bench_answers_in_the_daemons_words() {
    let (api, _stop) = fixture(Fake::new());
    let a = post(&api, "/v1/bench/card", Role::Bench, json!({ "profile": "gold" })).await;
    assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, "UNKNOWN_PROFILE"));
    let a = call(&api, &Method::DELETE, "/v1/bench/card", Some(token(Role::Bench)), None).await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "NO_CARD"));
}

#[tokio::test]
async fn session_commands_name_their_session_in_if_match() {
    let (api, _stop) = fixture(Fake::new());
    // The view names its session: the entity tag a client sends back.
    let a = call(&api, &Method::GET, "/v1/session", Some(token(Role::Staff)), None).await;
    assert_eq!(a.headers["etag"], "\"s-1\"");
    let send = |tag: Option<&'static str>, path: &'static str, role: Role| {
        let mut req = Request::post(path).header("authorization", format!("Bearer {}", token(role)));
        if let Some(t) = tag {
            req = req.header("if-match", t);
        }
        let body = if path.ends_with("challenge") { json!({ "challenge": "AAAA" }) } else { json!({}) };
        let req =
            req.header("content-type", "application/json").body(Full::new(Bytes::from(body.to_string()))).unwrap();
        let api = &api;
        async move { route(api, req).await.status() }
    };
    // No If-Match, or one that names no one session: 428, and the daemon never hears of it.
    for tag in [None, Some("*"), Some("W/\"s-1\""), Some("s-1"), Some("\"s-1\", \"s-2\""), Some("\"\"")] {
        assert_eq!(send(tag, "/v1/session/cancel", Role::Staff).await, StatusCode::PRECONDITION_REQUIRED, "{tag:?}");
    }
    let a = call(&api, &Method::GET, "/v1/session", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(api.backend.commands().is_empty());
    // The named session goes to the daemon with the command; it compares.
    assert_eq!(send(Some("\"s-7\""), "/v1/session/cancel", Role::Staff).await, StatusCode::OK);
    // A challenge may name none: it is then for the next session.
    assert_eq!(send(None, "/v1/session/challenge", Role::Reception).await, StatusCode::OK);
    assert_eq!(*api.backend.sessions.lock().unwrap(), vec![Some("s-7".to_string()), None]);
}
