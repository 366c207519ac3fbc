//! The generated parts of `api/openapi.json`, rebuilt from the code that owns them; the rest of
//! the document is written by hand. `generate(doc)` returns the document with:
//!
//! - `components.schemas.Code`: every code a `Notice` or `Problem` carries, from the message
//!   catalogue (`daemon/src/catalogue.rs`) and the API's own errors (`api/src/error.rs`), each
//!   with its Japanese and English text; `Notice.code` and `Problem.code` refer to it.
//! - One bearer security scheme per role, and each operation's `security` from the route table
//!   (`Route::roles`): one requirement per role, any one suffices.
//! - An example for every problem answer that has none written by hand: one per code its
//!   description names ("Codes: `…`"), with the catalogue's text.
//!
//! After changing the catalogue, the routes or the hand-written parts, regenerate with
//! `MYNA_BLESS=1 cargo test -p myna-kiosk --test openapi` (this also rewrites
//! `api/openapi-3.0.json`) and commit both files.

use myna_api::backend::Role;
use myna_api::error::ApiError;
use myna_api::problem::Problem;
use myna_api::routes::Route;
use myna_kiosk::catalogue;
use serde_json::{json, Map, Value};

/// Every role, in the order the security schemes are listed.
pub const ROLES: [Role; 5] = [Role::Kiosk, Role::Reception, Role::Staff, Role::Face, Role::Bench];

/// One code: what it is called, what a person is told, and when it appears.
pub struct CodeText {
    pub code: String,
    pub ja: String,
    pub en: String,
    pub when: String,
}

/// The catalogue first (in its order), then the API's own errors; a code both name (`NO_CARD`)
/// is listed once, with the catalogue's text.
pub fn codes() -> Vec<CodeText> {
    let mut out: Vec<CodeText> = catalogue::ALL
        .iter()
        .map(|t| CodeText { code: t.code.into(), ja: t.ja.into(), en: t.en.into(), when: t.when.into() })
        .collect();
    for e in ApiError::own() {
        let p = e.to_problem();
        if !out.iter().any(|c| c.code == p.code) {
            let when = format!("An HTTP API error: {} {}.", p.status, p.title);
            out.push(CodeText { code: p.code, ja: p.ja, en: p.en, when });
        }
    }
    out
}

fn code_schema() -> Value {
    let codes = codes();
    let mut table = String::from(
        "Every code a `Notice` or `Problem` carries, with the text the daemon shows. Codes never change \
         once released; new ones are added (treat an unknown code like an unknown error). `{detail}` \
         stands for a detail filled in at run time.\n\n| code | ja | en | when |\n|---|---|---|---|\n",
    );
    for c in &codes {
        table.push_str(&format!("| `{}` | {} | {} | {} |\n", c.code, cell(&c.ja), cell(&c.en), cell(&c.when)));
    }
    json!({
        "type": "string",
        "description": table,
        "enum": codes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
        // openapi-generator's name for per-value descriptions.
        "x-enum-descriptions": codes.iter().map(|c| format!("{} / {} (when: {})", c.en, c.ja, c.when)).collect::<Vec<_>>(),
    })
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn security_schemes() -> Value {
    let mut m = Map::new();
    for role in ROLES {
        m.insert(
            role.as_str().into(),
            json!({
                "type": "http",
                "scheme": "bearer",
                "description": format!(
                    "`Authorization: Bearer <token>` with a token that has the role `{}` (`[[api.tokens]]` in the \
                     configuration; with `--mock` and none configured, the tokens printed at start and written to \
                     `mock-state/tokens.json`). A missing or unknown token is 401, a token without the role 403.",
                    role.as_str()
                ),
            }),
        );
    }
    Value::Object(m)
}

/// `[]` for a public route, else `[{role: []}, …]`: OpenAPI's "any one of these".
fn security_of(route: Route) -> Value {
    match route.roles() {
        None => json!([]),
        Some(roles) => roles.iter().map(|r| json!({ r.as_str(): [] })).collect(),
    }
}

/// The backticked codes a description names, in order, that the code list knows.
fn named_codes(description: &str, known: &[CodeText]) -> Vec<String> {
    description.split('`').skip(1).step_by(2).filter(|w| known.iter().any(|c| c.code == *w)).map(str::to_string).fold(
        vec![],
        |mut v, c| {
            if !v.contains(&c) {
                v.push(c);
            }
            v
        },
    )
}

/// Examples for a problem answer at `status` that has none: one per code its description names.
fn problem_examples(response: &mut Value, status: &str, instance: &str, known: &[CodeText]) {
    let description = response["description"].as_str().unwrap_or_default().to_string();
    let Some(content) = response.pointer_mut("/content/application~1problem+json") else { return };
    if content.get("example").is_some() {
        return;
    }
    let status: u16 = status.parse().unwrap_or(400);
    let mut examples = Map::new();
    for code in named_codes(&description, known) {
        let c = known.iter().find(|c| c.code == code).expect("named_codes keeps known codes");
        let p = Problem::new(status, &c.code, &c.ja, &c.en).at(instance);
        examples.insert(code, json!({ "value": serde_json::to_value(p).expect("a Problem serialises") }));
    }
    if examples.is_empty() {
        content.as_object_mut().expect("content is an object").shift_remove("examples");
    } else {
        content["examples"] = Value::Object(examples);
    }
}

/// The document with its generated parts rebuilt (idempotent).
pub fn generate(doc: &Value) -> Value {
    let mut doc = doc.clone();
    let known = codes();
    let schemas = &mut doc["components"]["schemas"];
    schemas["Code"] = code_schema();
    for owner in ["Notice", "Problem"] {
        schemas[owner]["properties"]["code"] = json!({ "$ref": "#/components/schemas/Code" });
    }
    doc["components"]["securitySchemes"] = security_schemes();
    // Every operation says who may call it; nothing is inherited.
    doc.as_object_mut().expect("the document is an object").shift_remove("security");
    for (method, template, route) in Route::table() {
        let at = format!("/paths/{}/{}", template.replace('/', "~1"), method.as_str().to_ascii_lowercase());
        let op = doc.pointer_mut(&at).unwrap_or_else(|| panic!("{method} {template} is not in the document"));
        op["security"] = security_of(*route);
        op.as_object_mut().expect("an operation is an object").shift_remove("x-roles");
        let instance = template.replace("{id}", "s-6beb6975b7833c2e");
        for (status, response) in op["responses"].as_object_mut().expect("responses").iter_mut() {
            problem_examples(response, status, &instance, &known);
        }
    }
    // Shared answers: their example names a typical path.
    for (name, response) in doc["components"]["responses"].as_object_mut().expect("components.responses").iter_mut() {
        let status = shared_status(name);
        problem_examples(response, status, "/v1/session/pin", &known);
    }
    doc
}

/// The status each shared answer is used for.
fn shared_status(name: &str) -> &'static str {
    match name {
        "BadRequest" => "400",
        "Unauthorized" => "401",
        "Forbidden" => "403",
        "NotFound" => "404",
        "MethodNotAllowed" => "405",
        "RequestTimeout" => "408",
        "Conflict" => "409",
        "PayloadTooLarge" => "413",
        "UnsupportedMediaType" => "415",
        "SessionRequired" => "428",
        "TooManyRequests" => "429",
        "Unavailable" => "503",
        _ => "200",
    }
}

/// The document as written to disk: two-space JSON and a final newline.
pub fn to_text(doc: &Value) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("a JSON value serialises");
    s.push('\n');
    s
}
