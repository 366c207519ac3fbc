//! The OpenAPI document (`api/openapi.json`) against the router it describes.
//!
//! - The served document is the checked-in one, and it is internally consistent.
//! - Every route the router answers is in it, every operation in it is answered, with the roles
//!   the router enforces, and every other method or path is 405 or 404.
//! - Real answers (PIN, face and staff check-ins, refused cards, a timeout, cancels, a removed
//!   card, SSE events and the errors), driven through the router with the real DaemonBackend and
//!   the virtual card, validate against the schema the document declares for their path, method,
//!   status and content type. Object schemas are checked strictly here (no undocumented field),
//!   so a renamed, added or missing field fails. Request bodies the router accepts validate
//!   against the declared request schema too.

#[path = "openapi/contract.rs"]
mod contract;
#[path = "openapi/downgrade.rs"]
mod downgrade;
#[path = "openapi/generate.rs"]
mod generate;
mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use myna_api::backend::Role;
use myna_api::router::{ApiBody, OPENAPI};
use myna_api::routes::Route;
use myna_kiosk::journal::Journal;
use myna_kiosk::session::{SessionConfig, Timeouts};
use myna_virtual_card::{DEFAULT_COLLATION_B, TEST_PHOTO_JP2};
use serde_json::{json, Value};
use support::http::{call, call_for, named, tap, wait_prompt, Answer, Changes, EventStream, Http, Router, SseEvent};
use support::{BENCH, FACE, KIOSK, RECEPTION, STAFF};

/// Where the document is registered for `$ref` resolution.
const DOC_URI: &str = "urn:myna-kiosk:openapi";

const ROLES: [(&str, Role, &str); 5] = [
    ("kiosk", Role::Kiosk, KIOSK),
    ("reception", Role::Reception, RECEPTION),
    ("staff", Role::Staff, STAFF),
    ("face", Role::Face, FACE),
    ("bench", Role::Bench, BENCH),
];

// ---------------------------------------------------------------------------------------------
// The document and its validators

struct Spec {
    /// The document as served.
    doc: Value,
    /// The document with strict object schemas, for `$ref` resolution.
    registry: jsonschema::Registry<'static>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc: Value = serde_json::from_str(OPENAPI).expect("api/openapi.json is JSON");
        let mut strict_doc = doc.clone();
        strict(&mut strict_doc["components"]["schemas"]);
        let registry = jsonschema::Registry::new()
            .add(DOC_URI, strict_doc)
            .expect("register the document")
            .prepare()
            .expect("the document's references resolve");
        Spec { doc, registry, validators: Mutex::new(HashMap::new()) }
    })
}

/// No undocumented fields: every object schema with `properties` gets
/// `additionalProperties: false` unless it says otherwise. The published document stays open
/// (clients must ignore fields they do not know); this test keeps it complete.
fn strict(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let is_object = o.get("type").and_then(Value::as_str) == Some("object");
            if is_object && o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            o.values_mut().for_each(strict);
        }
        Value::Array(a) => a.iter_mut().for_each(strict),
        _ => {}
    }
}

/// `#/…` references made absolute, so a schema taken out of the document resolves in it.
fn absolutize(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if r.starts_with('#') {
                    *r = format!("{DOC_URI}{r}");
                }
            }
            o.values_mut().for_each(absolutize);
        }
        Value::Array(a) => a.iter_mut().for_each(absolutize),
        _ => {}
    }
}

/// The roles an operation's security requirements name (one requirement per role).
fn roles_of(op: &Value) -> Vec<&str> {
    let requirements = op["security"].as_array().expect("every operation states its security");
    requirements
        .iter()
        .map(|r| {
            let r = r.as_object().expect("a requirement is an object");
            assert_eq!(r.len(), 1, "one scheme per requirement (any one role suffices): {r:?}");
            r.keys().next().expect("one key").as_str()
        })
        .collect()
}

enum Lookup<'a> {
    Operation(&'a str, &'a Value),
    NoMethod(&'a str),
    NoPath,
}

fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

impl Spec {
    fn paths(&self) -> &serde_json::Map<String, Value> {
        self.doc["paths"].as_object().expect("paths")
    }

    fn operations(&self) -> Vec<(String, String, &Value)> {
        let mut out = vec![];
        for (template, item) in self.paths() {
            for (method, op) in item.as_object().unwrap() {
                if ["get", "post", "put", "patch", "delete", "head", "options", "trace"].contains(&method.as_str()) {
                    out.push((method.to_uppercase(), template.clone(), op));
                }
            }
        }
        out
    }

    fn lookup(&self, method: &str, path: &str) -> Lookup<'_> {
        let path = path.split('?').next().unwrap_or("");
        for (template, item) in self.paths() {
            if template_matches(template, path) {
                return match item.get(method.to_ascii_lowercase()) {
                    Some(op) => Lookup::Operation(template, op),
                    None => Lookup::NoMethod(template),
                };
            }
        }
        Lookup::NoPath
    }

    /// Follows a local `$ref` (a response object) inside the document.
    fn deref<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .doc
                .pointer(r.strip_prefix('#').expect("local reference"))
                .unwrap_or_else(|| panic!("{r} does not resolve")),
            None => v,
        }
    }

    fn validator(&self, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut schema = schema.clone();
        absolutize(&mut schema);
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap();
        if let Some(v) = cache.get(&key) {
            return v.clone();
        }
        let v = jsonschema::options()
            .with_registry(&self.registry)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("schema {key} does not compile: {e}"));
        let v = Arc::new(v);
        cache.insert(key, v.clone());
        v
    }

    fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        self.validator(schema).iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
    }

    fn assert_valid(&self, schema: &Value, instance: &Value, what: &str) {
        let errors = self.errors(schema, instance);
        assert!(errors.is_empty(), "{what}: does not match {schema}:\n  {}\n{instance:#}", errors.join("\n  "));
    }

    fn schema_named(&self, name: &str) -> Value {
        assert!(self.doc["components"]["schemas"].get(name).is_some(), "no schema {name}");
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// The answer is documented for its path, method and status, with its content type and
    /// headers, and a JSON body matches the declared schema.
    fn check_response(&self, method: &str, path: &str, a: &Answer) {
        let what = format!("{method} {path} -> {}", a.status);
        assert_eq!(a.headers.get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]), "{what}");
        let global = |name: &str| self.deref(&self.doc["components"]["responses"][name]).clone();
        let response = match self.lookup(method, path) {
            Lookup::Operation(template, op) => {
                let r = op["responses"].get(a.status.as_str()).unwrap_or_else(|| {
                    panic!("{what}: status {} is not documented for {method} {template}", a.status.as_u16())
                });
                self.deref(r).clone()
            }
            Lookup::NoMethod(template) => {
                assert_eq!(
                    a.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{what}: {method} is not documented on {template}"
                );
                global("MethodNotAllowed")
            }
            Lookup::NoPath => {
                assert_eq!(a.status, StatusCode::NOT_FOUND, "{what}: the path is not documented");
                global("NotFound")
            }
        };
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            for (name, header) in headers {
                let present = a.headers.get(name.to_ascii_lowercase().as_str());
                if header["required"] == true {
                    assert!(present.is_some(), "{what}: header {name} missing");
                }
                if let Some(v) = present {
                    let v = Value::String(v.to_str().unwrap().to_string());
                    self.assert_valid(&header["schema"], &v, &format!("{what}: header {name}"));
                }
            }
        }
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(a.body.is_empty(), "{what}: a body where the document declares none");
            return;
        };
        let media = content.get(&a.content_type).unwrap_or_else(|| {
            panic!("{what}: content type {:?} is not documented ({:?})", a.content_type, content.keys())
        });
        if a.content_type.ends_with("json") {
            let body: Value =
                serde_json::from_slice(&a.body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {:?}", a.body));
            self.assert_valid(&media["schema"], &body, &what);
        }
    }

    /// A body the router accepted matches the declared request schema; one it refused as
    /// malformed (`BAD_REQUEST_BODY`) does not.
    fn check_request(&self, method: &str, path: &str, body: &Value, a: &Answer) {
        let Lookup::Operation(template, op) = self.lookup(method, path) else { return };
        let Some(schema) = op.get("requestBody").map(|r| &r["content"]["application/json"]["schema"]) else {
            return;
        };
        let what = format!("request {body} to {method} {template} -> {}", a.status);
        if a.status.is_success() {
            self.assert_valid(schema, body, &what);
        } else if a.status == StatusCode::BAD_REQUEST && a.code() == "BAD_REQUEST_BODY" {
            assert!(!self.errors(schema, body).is_empty(), "{what}: refused, yet the document accepts it");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The daemon behind the router, as in tests/api.rs, with the journal in a temporary directory

struct Fixture {
    router: Router,
    spec: &'static Spec,
    dir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.dir);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum JournalAt {
    TempDir,
    /// A path that cannot be a directory: the journal is unavailable.
    Broken,
}

fn fixture(name: &str, bench: bool) -> Fixture {
    fixture_with(name, bench, SessionConfig::default(), JournalAt::TempDir)
}

fn fixture_with(name: &str, bench: bool, config: SessionConfig, journal_at: JournalAt) -> Fixture {
    let dir = std::env::temp_dir().join(format!("myna-openapi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&dir);
    if journal_at == JournalAt::Broken {
        std::fs::write(&dir, b"not a directory").unwrap();
    }
    let tokens = ROLES.map(|(_, role, token)| (token, role));
    Fixture { router: Router::new(Journal::open(&dir), config, bench, &tokens), spec: spec(), dir }
}

/// Every exchange through the fixture is checked against the document: the answer, and a JSON
/// request body against the declared request schema. An event stream is not read (see
/// [`events`]).
impl Http for Fixture {
    async fn send(&self, req: Request<Full<Bytes>>) -> Answer {
        let (method, path) = (req.method().to_string(), req.uri().to_string());
        let json_body: Option<Value> = match req.headers().get("content-type") {
            Some(ct) if ct == "application/json" => {
                serde_json::from_slice(&req.body().clone().collect().await.unwrap().to_bytes()).ok()
            }
            _ => None,
        };
        let a = self.router.send(req).await;
        self.spec.check_response(&method, &path, &a);
        if let Some(body) = &json_body {
            self.spec.check_request(&method, &path, body, &a);
        }
        a
    }

    fn token(&self, role: Role) -> String {
        self.router.token(role)
    }

    async fn changes(&self) -> Changes {
        self.router.changes().await
    }

    fn context(&self) -> String {
        self.router.context()
    }
}

fn expect(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!((a.status, a.code().as_str()), (status, code), "{}", String::from_utf8_lossy(&a.body));
}

async fn remove(f: &Fixture) {
    assert_eq!(call(f, "DELETE", "/v1/bench/card", Some(BENCH), None).await.status, StatusCode::OK);
    wait_prompt(f, "place_card").await;
}

async fn results(f: &Fixture, after: u64) -> Vec<Value> {
    let page = call(f, "GET", &format!("/v1/results?after={after}&limit=1000"), Some(RECEPTION), None).await;
    assert_eq!(page.status, StatusCode::OK);
    page.json()["results"].as_array().unwrap().clone()
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// `GET /v1/events` through the router, its answer checked against the document.
async fn open_events(f: &Fixture, last_event_id: Option<&str>) -> EventStream<ApiBody> {
    let (head, stream) = f.router.events(RECEPTION, last_event_id).await;
    f.spec.check_response("GET", "/v1/events", &head);
    assert_eq!(head.status, StatusCode::OK);
    stream
}

/// Every event's data matches the schema the document declares for its type in
/// `x-sse-events`, and only results carry an id (their seq).
fn checked(f: &Fixture, evs: &[SseEvent]) -> Vec<SseEvent> {
    let declared = &f.spec.doc["paths"]["/v1/events"]["get"]["x-sse-events"];
    for e in evs {
        let schema = declared.get(&e.event).unwrap_or_else(|| panic!("event type {:?} is not documented", e.event));
        f.spec.assert_valid(schema, &e.data, &format!("SSE {} event", e.event));
        match e.event.as_str() {
            "result" | "result_summary" => assert_eq!(e.id, e.data["seq"].as_u64(), "a result event's id is its seq"),
            _ => assert_eq!(e.id, None, "only result events (and their summaries) carry an id"),
        }
    }
    evs.to_vec()
}

/// `GET /v1/events` through the router, read until `done`, every event checked.
async fn events(f: &Fixture, last_event_id: Option<&str>, done: impl Fn(&[SseEvent]) -> bool) -> Vec<SseEvent> {
    checked(f, open_events(f, last_event_id).await.until(done).await)
}

/// Drift the test must catch: a renamed field, a missing one, an undocumented one, a wrong
/// enum string.
fn assert_drift_is_caught(spec: &Spec, schema: &str, valid: &Value, field: &str) {
    let schema = spec.schema_named(schema);
    spec.assert_valid(&schema, valid, "the unchanged instance");
    let obj = valid.as_object().unwrap();
    assert!(obj.contains_key(field), "{field} in {valid}");
    let mut renamed = obj.clone();
    let v = renamed.remove(field).unwrap();
    renamed.insert(format!("{field}_renamed"), v);
    assert!(!spec.errors(&schema, &Value::Object(renamed)).is_empty(), "renaming {field} goes unnoticed");
    let mut missing = obj.clone();
    missing.remove(field);
    assert!(!spec.errors(&schema, &Value::Object(missing)).is_empty(), "dropping {field} goes unnoticed");
    let mut added = obj.clone();
    added.insert("undocumented".into(), json!(1));
    assert!(!spec.errors(&schema, &Value::Object(added)).is_empty(), "an undocumented field goes unnoticed");
}

// ---------------------------------------------------------------------------------------------
// The document itself

#[tokio::test]
async fn the_served_document_is_the_checked_in_one() {
    let f = fixture("served", true);
    let a = call(&f, "GET", "/v1/openapi.json", None, None).await;
    assert_eq!((a.status, a.content_type.as_str()), (StatusCode::OK, "application/json"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/openapi.json");
    let file = std::fs::read(path).unwrap();
    assert_eq!(&a.body[..], &file[..], "GET /v1/openapi.json serves api/openapi.json byte for byte");
    let served = a.json();
    let checked_in: Value = serde_json::from_slice(&file).unwrap();
    assert_eq!(served, checked_in);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1."), "OpenAPI 3.1: {}", served["openapi"]);
    assert!(served["info"]["title"].is_string() && served["info"]["version"].is_string());

    // Pretty-printed with a 2-space indent, so diffs stay readable.
    let text = String::from_utf8(file).unwrap();
    assert!(text.lines().count() > 500 && text.ends_with("}\n"), "pretty-printed, one final newline");
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        assert!(indent % 2 == 0 && !line.starts_with('\t'), "line {}: {line:?}", n + 1);
    }
}

#[test]
fn the_document_is_consistent() {
    let spec = spec();
    let doc = &spec.doc;
    // Every local reference resolves.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = vec![];
    refs(doc, &mut all);
    assert!(all.len() > 50);
    for r in all {
        assert!(doc.pointer(r.strip_prefix('#').unwrap()).is_some(), "{r} does not resolve");
    }
    // Every schema compiles (with its references) under JSON Schema 2020-12.
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        spec.validator(&spec.schema_named(name));
    }
    // Operations: unique ids, security requirements naming known roles, a success
    // answer, and the error answers that the router gives to every guarded operation.
    let known: BTreeSet<&str> = ROLES.iter().map(|r| r.0).collect();
    let mut ids = BTreeSet::new();
    for (method, template, op) in spec.operations() {
        let at = format!("{method} {template}");
        assert!(ids.insert(op["operationId"].as_str().unwrap().to_string()), "{at}: duplicate operationId");
        let roles = roles_of(op);
        assert!(roles.iter().all(|r| known.contains(r)), "{at}: unknown role in {roles:?}");
        let description = op["description"].as_str().unwrap();
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{at}: no success answer");
        if !roles.is_empty() {
            assert!(responses.contains_key("401") && responses.contains_key("403"), "{at}: 401 and 403");
            for r in &roles {
                assert!(description.contains(&format!("`{r}`")), "{at}: the description names role {r}");
            }
        }
        if let Some(body) = op.get("requestBody") {
            assert!(body["content"]["application/json"]["schema"].is_object(), "{at}: JSON request body");
            for s in ["400", "413", "415"] {
                assert!(responses.contains_key(s), "{at}: a JSON body can be answered {s}");
            }
        }
        for (status, r) in responses {
            let r = spec.deref(r);
            assert!(r["description"].is_string(), "{at} {status}: description");
            if status.starts_with('4') || status.starts_with('5') {
                let problem = r["content"].get("application/problem+json").is_some();
                assert!(problem || template == "/v1/health", "{at} {status}: errors are problem+json");
            }
        }
    }
    for role in &known {
        assert_eq!(doc["components"]["securitySchemes"][role]["scheme"], "bearer", "a scheme for {role}");
    }
}

#[tokio::test]
async fn the_document_and_the_router_name_the_same_routes() {
    let spec = spec();
    let documented: BTreeSet<(String, String)> = spec.operations().into_iter().map(|(m, t, _)| (m, t)).collect();
    // The router's own table: a route added there without the document fails here.
    let routed: BTreeSet<(String, String)> =
        Route::table().iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not routed"
    );
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routed but not documented"
    );

    let f = fixture("routes", true);
    // A real result, so /v1/results/{id} and its ack answer 200.
    tap(&f, "expired").await;
    wait_prompt(&f, "take_card").await;
    remove(&f).await;
    let id = results(&f, 0).await[0]["id"].as_str().unwrap().to_string();

    for (method, template, op) in spec.operations() {
        let path = template.replace("{id}", &id);
        let roles = roles_of(op);
        let at = format!("{method} {path}");
        if roles.is_empty() {
            let a = call(&f, &method, &path, None, None).await;
            assert!(a.status.is_success(), "{at} without a token: {}", a.status);
            continue;
        }
        assert_eq!(call(&f, &method, &path, None, None).await.status, StatusCode::UNAUTHORIZED, "{at} without token");
        let wrong = call(&f, &method, &path, Some("not-a-token"), None).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{at} with an unknown token");
        for (role, _, token) in ROLES {
            let a = call(&f, &method, &path, Some(token), None).await;
            if roles.contains(&role) {
                assert!(
                    !matches!(
                        a.status,
                        StatusCode::UNAUTHORIZED
                            | StatusCode::FORBIDDEN
                            | StatusCode::NOT_FOUND
                            | StatusCode::METHOD_NOT_ALLOWED
                    ),
                    "{at} as {role} (security {roles:?}): {}",
                    a.status
                );
            } else {
                let got = (a.status, a.code());
                assert_eq!(got, (StatusCode::FORBIDDEN, "FORBIDDEN".into()), "{at} as {role} (security {roles:?})");
            }
        }
    }

    // Any other method on a documented path is 405; other paths are 404.
    for (template, item) in spec.paths() {
        let path = template.replace("{id}", &id);
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
            if item.get(method.to_ascii_lowercase()).is_none() {
                let a = call(&f, method, &path, Some(BENCH), None).await;
                expect(&a, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
            }
        }
    }
    for path in [
        "/",
        "/v1",
        "/v2/health",
        "/v1/sessions",
        "/v1/session/face",
        "/v1/session/unknown",
        "/v1/session/pin/again",
        "/v1/results/a/b",
        "/v1/results/a/ack/b",
        "/v1/bench",
        "/v1/bench/cards",
        "/v1/events/x",
        "/v1/health/x",
        "/v1/openapi.yaml",
        "/metrics/x",
        "/openapi.json",
    ] {
        for method in ["GET", "POST", "DELETE"] {
            for token in [None, Some(KIOSK), Some(RECEPTION)] {
                let a = call(&f, method, path, token, None).await;
                expect(&a, StatusCode::NOT_FOUND, "NOT_FOUND");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Real answers

#[tokio::test]
async fn a_pin_check_in_validates_and_so_do_its_events() {
    let f = fixture("pin", true);
    assert_eq!(call(&f, "GET", "/v1/health", None, None).await.json()["status"], "ok");
    let idle = call(&f, "GET", "/v1/session", Some(RECEPTION), None).await.json();
    assert_eq!(idle["prompt"]["kind"], "place_card");
    // Reception's nonce, given while idle, is the one the card signs.
    let nonce = base64_of(&[7u8; 32]);
    let a = call(&f, "POST", "/v1/session/challenge", Some(RECEPTION), Some(json!({ "challenge": nonce }))).await;
    assert_eq!(a.status, StatusCode::OK);
    tap(&f, "valid").await;
    let view = wait_prompt(&f, "choose_method").await;
    assert_eq!(view["allowed_actions"], json!(["method", "cancel", "extend", "challenge"]));
    assert_drift_is_caught(f.spec, "SessionView", &view, "allowed_actions");
    assert_drift_is_caught(f.spec, "CertificateInfo", &view["card"]["certificate"], "not_after");

    let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(a.json()["prompt"], json!({ "kind": "enter_pin", "tries_left": 3, "last_try": false }));
    assert_drift_is_caught(f.spec, "PromptEnterPin", &a.json()["prompt"], "last_try");
    expect(
        &call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "123" }))).await,
        StatusCode::BAD_REQUEST,
        "PIN_FORMAT",
    );
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234", "confirm_last_try": false })))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let consent = wait_prompt(&f, "consent").await;
    assert_eq!(consent["prompt"]["index"], 1);
    let a = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "medication": true }))).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "limit_amount": false }))).await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "take_card").await;

    let list = results(&f, 0).await;
    let r = &list[0];
    assert_eq!((r["seq"].as_u64(), r["outcome"].as_str()), (Some(1), Some("verified")));
    assert_eq!(r["auth"]["method"], "pin");
    assert_eq!(r["auth"]["challenge"], nonce);
    assert_eq!((&r["proof"]["holder_verified_by"], &r["proof"]["pin_signature"]), (&json!("pin"), &json!("verified")));
    assert_eq!(r["consent"]["items"], json!({ "medication": true, "limit_amount": false }));
    assert_drift_is_caught(f.spec, "SessionResult", r, "seq");
    assert_drift_is_caught(f.spec, "SessionResult", r, "outcome");
    assert_drift_is_caught(f.spec, "AuthEvidencePin", &r["auth"], "signature");
    assert_drift_is_caught(f.spec, "ConsentRecord", &r["consent"], "valid_until");
    let mut wrong_enum = r.clone();
    wrong_enum["outcome"] = json!("Verified");
    assert!(!f.spec.errors(&f.spec.schema_named("SessionResult"), &wrong_enum).is_empty());

    let id = r["id"].as_str().unwrap();
    let one = call(&f, "GET", &format!("/v1/results/{id}"), Some(RECEPTION), None).await;
    assert_eq!(one.json(), *r);
    let ack = call(&f, "POST", &format!("/v1/results/{id}/ack"), Some(RECEPTION), None).await;
    assert_eq!(ack.json(), json!({ "acknowledged": id }));
    assert_eq!(call(&f, "POST", &format!("/v1/results/{id}/ack"), Some(RECEPTION), None).await.status, StatusCode::OK);
    let page = call(&f, "GET", "/v1/results?after=1", Some(RECEPTION), None).await.json();
    assert_eq!(page, json!({ "results": [], "next_after": 1 }));
    let metrics = call(&f, "GET", "/metrics", Some(STAFF), None).await;
    assert_eq!(metrics.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert!(String::from_utf8_lossy(&metrics.body).contains("myna_sessions_total{outcome=\"verified\"} 1"));

    // SSE: resuming from 0 replays the result (id 1), then the current session.
    let evs = events(&f, Some("0"), |e| e.iter().any(|e| e.event == "session")).await;
    assert_eq!((evs[0].id, evs[0].event.as_str()), (Some(1), "result"));
    assert_eq!(evs[0].data, *r);
    // A fresh subscriber sees the session; the next result arrives live with the next id.
    let mut live = open_events(&f, None).await;
    live.until(|e| e.iter().any(|e| e.event == "session")).await;
    remove(&f).await;
    tap(&f, "not-jpki").await;
    let live = checked(&f, live.until(|e| e.iter().any(|e| e.event == "result")).await);
    let result = live.iter().find(|e| e.event == "result").unwrap();
    assert_eq!((result.id, result.data["outcome"].as_str()), (Some(2), Some("failed")));
    assert!(live.iter().any(|e| e.event == "session"));

    wait_prompt(&f, "take_card").await;
    remove(&f).await;
    expect(&call(&f, "DELETE", "/v1/bench/card", Some(BENCH), None).await, StatusCode::CONFLICT, "NO_CARD");
}

#[tokio::test]
async fn face_and_staff_check_ins_validate() {
    let f = fixture("face", true);
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "face" }))).await;
    assert_eq!(a.json()["prompt"]["kind"], "face_check");
    let verdict = |matched: bool, score: Value| json!({ "matched": matched, "score": score });
    let a = call(&f, "POST", "/v1/session/face/verdict", Some(FACE), Some(verdict(true, json!(null)))).await;
    expect(&a, StatusCode::CONFLICT, "PHOTO_FIRST");
    let reference = |b: &str| json!({ "collation_b": b });
    let a = call(&f, "POST", "/v1/session/face/reference", Some(FACE), Some(reference("123"))).await;
    expect(&a, StatusCode::BAD_REQUEST, "COLLATION_B_FORMAT");
    // A misread 照合番号B: 422, and the module may ask again.
    let a = call(&f, "POST", "/v1/session/face/reference", Some(FACE), Some(reference("55010120349999"))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", a.body);
    let a = call(&f, "POST", "/v1/session/face/reference", Some(FACE), Some(reference(DEFAULT_COLLATION_B))).await;
    assert_eq!((a.status, a.content_type.as_str()), (StatusCode::OK, "image/jp2"));
    assert_eq!(&a.body[..], TEST_PHOTO_JP2);
    let a = call(&f, "POST", "/v1/session/face/reference", Some(FACE), Some(reference(DEFAULT_COLLATION_B))).await;
    expect(&a, StatusCode::CONFLICT, "PHOTO_ALREADY_GIVEN");
    let a = call(&f, "POST", "/v1/session/face/verdict", Some(FACE), Some(verdict(true, json!(7.5)))).await;
    expect(&a, StatusCode::BAD_REQUEST, "SCORE_RANGE");
    let a = call(&f, "POST", "/v1/session/face/verdict", Some(FACE), Some(json!({ "matched": false }))).await;
    assert_eq!(a.json()["notices"][0]["code"], "FACE_RETRY");
    let a = call(&f, "POST", "/v1/session/face/verdict", Some(FACE), Some(verdict(true, json!(0.97)))).await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "consent").await;
    let a = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": true }))).await;
    assert_eq!(a.status, StatusCode::OK);
    wait_prompt(&f, "take_card").await;
    remove(&f).await;

    // Staff compare the card photo with the patient (offered once the PIN is locked).
    tap(&f, "pin-locked").await;
    wait_prompt(&f, "choose_method").await;
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "visual" }))).await;
    let v = wait_prompt(&f, "staff_check").await;
    assert_eq!(v["allowed_actions"], json!(["visual", "cancel", "extend", "challenge"]));
    let visual = |id: &str| json!({ "confirmed": true, "staff_id": id });
    expect(
        &call(&f, "POST", "/v1/session/visual", Some(STAFF), Some(visual(""))).await,
        StatusCode::BAD_REQUEST,
        "STAFF_ID_FORMAT",
    );
    expect(
        &call(&f, "POST", "/v1/session/visual", Some(KIOSK), Some(visual("n-7"))).await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    );
    assert_eq!(
        call(&f, "POST", "/v1/session/visual", Some(STAFF), Some(visual("nurse-7"))).await.status,
        StatusCode::OK
    );
    wait_prompt(&f, "consent").await;
    call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "all": false }))).await;
    wait_prompt(&f, "take_card").await;

    let list = results(&f, 0).await;
    assert_eq!(list[0]["auth"], json!({ "method": "face", "score": 0.97 }));
    assert_eq!(list[0]["consent"]["items"], json!({ "medication": true, "limit_amount": true }));
    assert_eq!(list[1]["auth"], json!({ "method": "visual", "staff_id": "nurse-7" }));
    assert_eq!(list[1]["consent"]["items"], json!({ "medication": false, "limit_amount": false }));
    assert_drift_is_caught(f.spec, "AuthEvidenceFace", &list[0]["auth"], "score");
    assert_drift_is_caught(f.spec, "AuthEvidenceVisual", &list[1]["auth"], "staff_id");
    // What the card proved: the face path checked photo and chip; staff alone proved nothing.
    let proof = |by: &str, chip: &str, photo: &str| json!({ "holder_verified_by": by, "pin_signature": "not_checked", "chip_challenge": chip, "photo_signature": photo });
    assert_eq!(list[0]["proof"], proof("face", "verified", "verified"));
    assert_eq!(list[1]["proof"], proof("visual", "not_checked", "not_checked"));
    assert_drift_is_caught(f.spec, "CardProof", &list[0]["proof"], "chip_challenge");
    assert_drift_is_caught(f.spec, "SessionResult", &list[0], "proof");
    let evs = events(&f, Some("0"), |e| e.iter().filter(|e| e.event == "result").count() == 2).await;
    assert_eq!(evs.iter().filter_map(|e| e.id).collect::<Vec<_>>(), [1, 2]);

    // Staff get summaries of the same results, as documented, and never the results.
    let (head, mut stream) = f.router.events(STAFF, Some("0")).await;
    assert_eq!(head.status, StatusCode::OK);
    let evs = checked(&f, stream.until(|e| e.iter().any(|e| e.event == "session")).await);
    let summaries: Vec<&SseEvent> = evs.iter().filter(|e| e.event == "result_summary").collect();
    assert_eq!(summaries.iter().map(|e| e.id).collect::<Vec<_>>(), [Some(1), Some(2)]);
    assert_eq!(summaries[1].data["method"], "visual");
    assert!(evs.iter().all(|e| e.event != "result"), "{evs:?}");
    assert_drift_is_caught(f.spec, "ResultSummary", &summaries[0].data, "method");
}

#[tokio::test]
async fn refused_cards_cancels_removals_and_timeouts_validate() {
    let f = fixture("refused", true);
    for (profile, code) in [("expired", "CERT_EXPIRED"), ("not-jpki", "NOT_MY_NUMBER_CARD"), ("juki", "JUKI_CARD")] {
        tap(&f, profile).await;
        let v = wait_prompt(&f, "take_card").await;
        assert_eq!(v["prompt"]["outcome"], "failed", "{profile}");
        remove(&f).await;
        let r = results(&f, 0).await.pop().unwrap();
        assert_eq!((r["outcome"].as_str(), r["error"]["code"].as_str()), (Some("failed"), Some(code)));
        assert_eq!((&r["card"], &r["auth"], &r["consent"]), (&Value::Null, &Value::Null, &Value::Null));
    }
    // Expiring soon, cancelled by staff with `{}`; a second cancel finds nothing to cancel.
    tap(&f, "expiring-soon").await;
    wait_prompt(&f, "choose_method").await;
    assert_eq!(call(&f, "POST", "/v1/session/cancel", Some(STAFF), Some(json!({}))).await.status, StatusCode::OK);
    let v = wait_prompt(&f, "take_card").await;
    assert_eq!(v["prompt"]["outcome"], "cancelled");
    expect(&call(&f, "POST", "/v1/session/cancel", Some(KIOSK), None).await, StatusCode::CONFLICT, "NOT_WAITING");
    remove(&f).await;
    // Grace: medication is not asked; the kiosk cancels without a body mid-consent.
    tap(&f, "grace").await;
    wait_prompt(&f, "choose_method").await;
    call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    let v = wait_prompt(&f, "consent").await;
    assert_eq!(v["prompt"]["item"], "limit_amount");
    let a = call(&f, "POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "medication": true }))).await;
    expect(&a, StatusCode::CONFLICT, "CONSENT_ITEM_NOT_ASKED");
    assert_eq!(call(&f, "POST", "/v1/session/cancel", Some(KIOSK), None).await.status, StatusCode::OK);
    wait_prompt(&f, "take_card").await;
    remove(&f).await;
    // One PIN try left: refused without the confirmation, then the card is pulled away.
    tap(&f, "pin-last-try").await;
    wait_prompt(&f, "choose_method").await;
    let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(a.json()["prompt"], json!({ "kind": "enter_pin", "tries_left": 1, "last_try": true }));
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    expect(&a, StatusCode::CONFLICT, "LAST_TRY_NOT_CONFIRMED");
    remove(&f).await;

    let list = results(&f, 0).await;
    let outcomes: Vec<&str> = list.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["failed", "failed", "failed", "cancelled", "cancelled", "card_removed"]);
    assert_eq!(list[3]["guidance"][0]["code"], "CERT_EXPIRING_SOON");
    assert_eq!(list[4]["consent"]["items"], json!({ "limit_amount": false }));
    assert_drift_is_caught(f.spec, "Notice", &list[0]["error"], "code");
    let evs = events(&f, Some("4"), |e| e.iter().any(|e| e.event == "session")).await;
    assert_eq!(evs.iter().filter_map(|e| e.id).collect::<Vec<_>>(), [5, 6]);

    // A patient who walks away: the method prompt times out.
    let config = SessionConfig {
        timeouts: Timeouts { choose_method: Duration::from_millis(200), ..Timeouts::default() },
        ..SessionConfig::default()
    };
    let f = fixture_with("timeout", true, config, JournalAt::TempDir);
    tap(&f, "valid").await;
    let v = wait_prompt(&f, "take_card").await;
    assert_eq!(v["prompt"]["outcome"], "timed_out");
    let r = results(&f, 0).await.pop().unwrap();
    assert_eq!(r["outcome"], "timed_out");
    assert!(r["card"]["certificate"]["der"].is_string());
}

#[tokio::test]
async fn error_answers_validate() {
    let f = fixture("errors", true);
    // 401, with WWW-Authenticate (checked against the document by `call`).
    for token in [None, Some("not-a-token")] {
        expect(&call(&f, "GET", "/v1/session", token, None).await, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    // 403, 404, 405.
    expect(&call(&f, "GET", "/v1/results", Some(KIOSK), None).await, StatusCode::FORBIDDEN, "FORBIDDEN");
    expect(&call(&f, "GET", "/v1/events", Some(FACE), None).await, StatusCode::FORBIDDEN, "FORBIDDEN");
    expect(&call(&f, "GET", "/v1/nothing", Some(KIOSK), None).await, StatusCode::NOT_FOUND, "NOT_FOUND");
    expect(&call(&f, "GET", "/v1/results/nope", Some(RECEPTION), None).await, StatusCode::NOT_FOUND, "NOT_FOUND");
    expect(&call(&f, "POST", "/v1/results/nope/ack", Some(RECEPTION), None).await, StatusCode::NOT_FOUND, "NOT_FOUND");
    let a = call(&f, "DELETE", "/v1/session", Some(KIOSK), None).await;
    expect(&a, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    // 409: idle, no session is waiting for consent (a command for any session is for another one);
    // 428: a command that names no session.
    let all = Some(json!({ "all": true }));
    let a = call_for(&f, Some("\"s-0000000000000000\""), "POST", "/v1/session/consent", Some(KIOSK), all.clone()).await;
    expect(&a, StatusCode::CONFLICT, "SESSION_MISMATCH");
    let a = call_for(&f, None, "POST", "/v1/session/consent", Some(KIOSK), all).await;
    expect(&a, StatusCode::PRECONDITION_REQUIRED, "SESSION_REQUIRED");
    // 400: bad queries, event ids, bodies (refused bodies must not match the request schema).
    for q in ["limit=0", "limit=1001", "after=-1", "after=x", "page=2"] {
        let a = call(&f, "GET", &format!("/v1/results?{q}"), Some(RECEPTION), None).await;
        expect(&a, StatusCode::BAD_REQUEST, "BAD_QUERY");
    }
    let req = Request::get("/v1/events")
        .header("authorization", format!("Bearer {RECEPTION}"))
        .header("last-event-id", "abc")
        .body(Full::new(Bytes::new()))
        .unwrap();
    expect(&f.send(req).await, StatusCode::BAD_REQUEST, "BAD_EVENT_ID");
    let a = call(&f, "GET", "/v1/events?after=x", Some(RECEPTION), None).await;
    expect(&a, StatusCode::BAD_REQUEST, "BAD_EVENT_ID");
    tap(&f, "valid").await;
    wait_prompt(&f, "choose_method").await;
    for body in [json!({ "method": "iris" }), json!({ "method": "pin", "extra": 1 }), json!([]), json!({})] {
        let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), Some(body)).await;
        expect(&a, StatusCode::BAD_REQUEST, "BAD_REQUEST_BODY");
    }
    let a = call(&f, "POST", "/v1/session/challenge", Some(RECEPTION), Some(json!({ "challenge": "c2hvcnQ=" }))).await;
    expect(&a, StatusCode::BAD_REQUEST, "CHALLENGE_FORMAT");
    let a = call(&f, "POST", "/v1/session/cancel", Some(KIOSK), Some(json!({ "reason": "x" }))).await;
    expect(&a, StatusCode::BAD_REQUEST, "BAD_REQUEST_BODY");
    let a = call(&f, "POST", "/v1/bench/card", Some(BENCH), Some(json!({ "profile": "gold" }))).await;
    expect(&a, StatusCode::BAD_REQUEST, "UNKNOWN_PROFILE");
    // 409: a command the session is not waiting for.
    let a = call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    expect(&a, StatusCode::CONFLICT, "NOT_WAITING");
    // 415 and 413.
    let post = |ct: &str, body: Bytes| {
        Request::post("/v1/session/method")
            .header("authorization", format!("Bearer {KIOSK}"))
            .header("content-type", ct)
            .body(Full::new(body))
            .unwrap()
    };
    let a = f.send(named(&f, post("text/plain", Bytes::from_static(b"{\"method\":\"pin\"}"))).await).await;
    expect(&a, StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    let a = call(&f, "POST", "/v1/session/method", Some(KIOSK), None).await;
    expect(&a, StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    let big = format!("{{\"method\":\"{}\"}}", "x".repeat(70_000));
    let a = f.send(named(&f, post("application/json", Bytes::from(big))).await).await;
    expect(&a, StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE");
    // 429: a PIN flood.
    let mut statuses = vec![];
    for _ in 0..7 {
        statuses.push(call(&f, "POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "12" }))).await.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");

    // Without --mock the bench routes do not exist.
    let f = fixture("no-bench", false);
    let a = call(&f, "POST", "/v1/bench/card", Some(BENCH), Some(json!({ "profile": "valid" }))).await;
    expect(&a, StatusCode::NOT_FOUND, "NOT_FOUND");
    expect(&call(&f, "DELETE", "/v1/bench/card", Some(BENCH), None).await, StatusCode::NOT_FOUND, "NOT_FOUND");

    // 503: the journal cannot be written.
    let f = fixture_with("broken", true, SessionConfig::default(), JournalAt::Broken);
    let h = call(&f, "GET", "/v1/health", None, None).await;
    assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.json()["status"], "unavailable");
    assert!(h.json()["journal"].as_str().unwrap().starts_with("error: "));
    assert_drift_is_caught(f.spec, "Health", &h.json(), "journal");
    for (method, path) in [("GET", "/v1/results"), ("GET", "/v1/results/x"), ("POST", "/v1/results/x/ack")] {
        let a = call(&f, method, path, Some(RECEPTION), None).await;
        expect(&a, StatusCode::SERVICE_UNAVAILABLE, "JOURNAL_UNAVAILABLE");
    }
    // No session starts: the screen sends the patient to the desk.
    tap(&f, "valid").await;
    let v = wait_prompt(&f, "out_of_service").await;
    assert_eq!(v["notices"][0]["code"], "JOURNAL_UNAVAILABLE");
}
