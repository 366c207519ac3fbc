//! The contract as code generators read it: the checked-in documents are the generated ones,
//! every code is in the `Code` enum, every request and answer has an example that validates,
//! and the 3.0.3 rendering says the same as the 3.1 one.

use std::path::Path;

use serde_json::{json, Value};

use super::downgrade::downgrade;
use super::generate::{codes, generate, to_text};
use super::{call, expect, fixture, spec, StatusCode, RECEPTION};

const V31: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/openapi.json");
const V30: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/openapi-3.0.json");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// With `MYNA_BLESS=1` the documents are rewritten instead (then this passes; commit them).
#[test]
fn the_checked_in_documents_are_the_generated_ones() {
    let doc: Value = serde_json::from_str(&read(V31)).expect("api/openapi.json is JSON");
    let v31 = generate(&doc);
    let v30 = downgrade(&v31);
    let bless = std::env::var_os("MYNA_BLESS").is_some_and(|v| v == "1");
    for (path, want) in [(V31, to_text(&v31)), (V30, to_text(&v30))] {
        if bless {
            std::fs::write(path, &want).unwrap_or_else(|e| panic!("{path}: {e}"));
            continue;
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        let name = Path::new(path).file_name().unwrap().to_string_lossy();
        assert!(
            have == want,
            "api/{name} is not the generated document (the catalogue, the routes or the hand-written parts \
             changed). Regenerate: MYNA_BLESS=1 cargo test -p myna-kiosk --test openapi, then commit it."
        );
    }
}

#[test]
fn every_code_is_in_the_enum_with_both_texts() {
    let doc = &spec().doc;
    let code = &doc["components"]["schemas"]["Code"];
    let listed: Vec<&str> = code["enum"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let all = codes();
    assert!(all.len() >= 60, "the catalogue and the API's own errors: {}", all.len());
    let descriptions = code["x-enum-descriptions"].as_array().unwrap();
    assert_eq!(descriptions.len(), listed.len(), "one description per code");
    for c in &all {
        let i = listed.iter().position(|l| *l == c.code).unwrap_or_else(|| panic!("{} not in Code", c.code));
        let d = descriptions[i].as_str().unwrap();
        assert!(d.contains(&c.ja) && d.contains(&c.en), "{}: {d}", c.code);
        assert!(code["description"].as_str().unwrap().contains(&format!("| `{}` |", c.code)), "{}", c.code);
    }
    for owner in ["Notice", "Problem"] {
        let r = &doc["components"]["schemas"][owner]["properties"]["code"]["$ref"];
        assert_eq!(r, "#/components/schemas/Code", "{owner}.code is a Code");
    }
    // A code outside the catalogue does not validate (so real answers with one fail the tests
    // that check them against the document).
    let notice = json!({ "code": "NOT_IN_THE_CATALOGUE", "ja": "x", "en": "x" });
    assert!(!spec().errors(&spec().schema_named("Notice"), &notice).is_empty());
}

/// Every media type an example can be given for, with the example values it gives.
fn media_examples(spec_doc: &Value) -> Vec<(String, Value, Vec<Value>)> {
    let mut out = vec![];
    let mut visit = |at: String, content: &Value| {
        for (media, m) in content.as_object().into_iter().flatten() {
            if !media.ends_with("json") {
                continue;
            }
            let mut values = vec![];
            if let Some(e) = m.get("example") {
                values.push(e.clone());
            }
            for (_, e) in m.get("examples").and_then(Value::as_object).into_iter().flatten() {
                values.push(e["value"].clone());
            }
            out.push((format!("{at} {media}"), m["schema"].clone(), values));
        }
    };
    for (template, item) in spec_doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(body) = op.get("requestBody") {
                visit(format!("{method} {template} request"), &body["content"]);
            }
            for (status, r) in op["responses"].as_object().unwrap() {
                if r.get("$ref").is_none() {
                    visit(format!("{method} {template} {status}"), &r["content"]);
                }
            }
        }
    }
    for (name, r) in spec_doc["components"]["responses"].as_object().unwrap() {
        visit(format!("components.responses.{name}"), &r["content"]);
    }
    out
}

#[test]
fn every_request_and_answer_has_examples_that_validate() {
    let spec = spec();
    let all = media_examples(&spec.doc);
    assert!(all.len() > 50, "{}", all.len());
    for (at, schema, examples) in all {
        assert!(!examples.is_empty(), "{at}: no example");
        for e in &examples {
            spec.assert_valid(&schema, e, &format!("{at}: example"));
            if let Some(instance) = e.get("instance") {
                assert!(instance.as_str().unwrap().starts_with("/v1/"), "{at}: instance {instance}");
            }
        }
    }
}

#[tokio::test]
async fn a_problem_names_its_request_in_instance() {
    let f = fixture("instance", true);
    let a = call(&f, "GET", "/v1/results/no-such-result?x=1", Some(RECEPTION), None).await;
    expect(&a, StatusCode::NOT_FOUND, "NOT_FOUND");
    // The path only: a query may carry what a client should not see echoed into logs.
    assert_eq!(a.json()["instance"], "/v1/results/no-such-result");
    let a = call(&f, "POST", "/v1/session/pin", Some(super::KIOSK), Some(json!({ "pin": "1234" }))).await;
    expect(&a, StatusCode::PRECONDITION_REQUIRED, "SESSION_REQUIRED");
    assert_eq!(a.json()["instance"], "/v1/session/pin");
}

#[path = "equivalence.rs"]
mod equivalence;
