//! `api/openapi-3.0.json` says the same as `api/openapi.json`: the same operations, parameters,
//! answers and security; no 3.1-only keyword left; and every schema accepts and refuses the same
//! instances (the examples, their parts, and each with a field removed, null or mistyped).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::super::downgrade::{downgrade, upgrade};
use super::super::{spec, strict};
use super::media_examples;

fn documents() -> (Value, Value) {
    let v31 = spec().doc.clone();
    let v30: Value = serde_json::from_str(&super::read(super::V30)).expect("api/openapi-3.0.json is JSON");
    (v31, v30)
}

/// Method, path, parameters, statuses, content types, security, operation id of each operation.
fn outline(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {template}");
            out.insert(format!("{at} id={} security={}", op["operationId"], op["security"]));
            for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten() {
                let p = p.get("$ref").and_then(Value::as_str).map_or(p, |r| doc.pointer(&r[1..]).unwrap());
                out.insert(format!("{at} parameter {} in {} required={}", p["name"], p["in"], p["required"]));
            }
            if let Some(b) = op.get("requestBody") {
                out.insert(format!("{at} body {:?}", b["content"].as_object().unwrap().keys().collect::<Vec<_>>()));
            }
            for (status, r) in op["responses"].as_object().unwrap() {
                let r = r.get("$ref").and_then(Value::as_str).map_or(r, |p| doc.pointer(&p[1..]).unwrap());
                let media: Vec<&String> =
                    r.get("content").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k).collect();
                out.insert(format!("{at} {status} {media:?}"));
            }
        }
    }
    out
}

#[test]
fn the_3_0_document_has_the_same_operations_and_no_3_1_keyword() {
    let (v31, v30) = documents();
    assert_eq!(v30["openapi"], "3.0.3");
    assert!(v30.get("jsonSchemaDialect").is_none() && v30["info"]["license"].get("identifier").is_none());
    assert_eq!(outline(&v30), outline(&v31));
    assert_eq!(v30["components"]["securitySchemes"], v31["components"]["securitySchemes"]);

    // 3.0 schemas: one type (nullable beside it), no const, no schema `examples`, no
    // `propertyNames`, no `$ref` beside other keywords, no `contentEncoding`.
    fn check(v: &Value, at: &str, bad: &mut Vec<String>) {
        let Some(o) = v.as_object() else { return };
        for key in ["const", "examples", "propertyNames", "contentEncoding", "contentMediaType", "$defs", "prefixItems"]
        {
            if o.contains_key(key) {
                bad.push(format!("{at}: {key}"));
            }
        }
        if o.get("type").is_some_and(|t| !t.is_string()) || o.get("type") == Some(&json!("null")) {
            bad.push(format!("{at}: type {}", o["type"]));
        }
        if o.contains_key("$ref") && o.len() > 1 {
            bad.push(format!("{at}: $ref with siblings"));
        }
        for (k, c) in o {
            match k.as_str() {
                "properties" => c.as_object().unwrap().iter().for_each(|(n, c)| check(c, &format!("{at}.{n}"), bad)),
                "items" | "additionalProperties" | "not" => check(c, &format!("{at}.{k}"), bad),
                "allOf" | "anyOf" | "oneOf" => {
                    c.as_array().unwrap().iter().for_each(|c| check(c, &format!("{at}.{k}"), bad))
                }
                _ => {}
            }
        }
    }
    let mut bad = vec![];
    for (name, s) in v30["components"]["schemas"].as_object().unwrap() {
        check(s, name, &mut bad);
    }
    fn schemas_in(v: &Value, at: String, bad: &mut Vec<String>) {
        match v {
            Value::Object(o) => o.iter().for_each(|(k, c)| {
                if k == "schema" {
                    check(c, &at, bad);
                } else if k != "schemas" {
                    schemas_in(c, format!("{at}/{k}"), bad);
                }
            }),
            Value::Array(a) => a.iter().for_each(|c| schemas_in(c, at.clone(), bad)),
            _ => {}
        }
    }
    schemas_in(&v30, String::new(), &mut bad);
    assert!(bad.is_empty(), "3.1-only keywords in api/openapi-3.0.json:\n{}", bad.join("\n"));
}

/// The examples, every object or array inside them, and each object with one field removed,
/// null, a string or a number.
fn corpus(doc: &Value) -> Vec<Value> {
    fn parts(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(o) => {
                out.push(v.clone());
                for k in o.keys() {
                    let mut without = o.clone();
                    without.remove(k);
                    out.push(Value::Object(without));
                    for other in [Value::Null, json!("x"), json!(1)] {
                        let mut changed = o.clone();
                        changed.insert(k.clone(), other);
                        out.push(Value::Object(changed));
                    }
                }
                o.values().for_each(|c| parts(c, out));
            }
            Value::Array(a) => {
                out.push(v.clone());
                a.iter().for_each(|c| parts(c, out));
            }
            other => out.push(other.clone()),
        }
    }
    let mut out = vec![];
    for (_, _, examples) in media_examples(doc) {
        examples.iter().for_each(|e| parts(e, &mut out));
    }
    let mut seen = BTreeSet::new();
    out.retain(|v| seen.insert(v.to_string()));
    out
}

fn absolutize(v: &mut Value, uri: &str) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if r.starts_with('#') {
                    *r = format!("{uri}{r}");
                }
            }
            o.values_mut().for_each(|c| absolutize(c, uri));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| absolutize(c, uri)),
        _ => {}
    }
}

#[test]
fn every_3_0_schema_accepts_and_refuses_what_its_3_1_schema_does() {
    let (v31, v30) = documents();
    // The checked-in 3.0 document is this one (the generation test checks it byte for byte).
    assert_eq!(downgrade(&v31), v30);
    let mut strict31 = v31.clone();
    strict(&mut strict31["components"]["schemas"]);
    let mut read30 = v30.clone();
    read30["components"]["schemas"] = upgrade(&v30["components"]["schemas"]);
    strict(&mut read30["components"]["schemas"]);
    let registry = jsonschema::Registry::new()
        .add("urn:v31", strict31)
        .and_then(|r| r.add("urn:v30", read30))
        .expect("register both documents")
        .prepare()
        .expect("their references resolve");
    let validator = |uri: &str, name: &str| {
        let mut s = json!({ "$ref": format!("#/components/schemas/{name}") });
        absolutize(&mut s, uri);
        jsonschema::options().with_registry(&registry).build(&s).unwrap_or_else(|e| panic!("{uri} {name}: {e}"))
    };
    let instances = corpus(&v31);
    assert!(instances.len() > 500, "{}", instances.len());
    let (mut checked, mut accepted) = (0, 0);
    for name in v31["components"]["schemas"].as_object().unwrap().keys() {
        let (a, b) = (validator("urn:v31", name), validator("urn:v30", name));
        for i in &instances {
            let ok = a.is_valid(i);
            assert_eq!(b.is_valid(i), ok, "{name}: 3.1 says {ok} for {i}");
            checked += 1;
            accepted += ok as usize;
        }
    }
    // Not a vacuous comparison: both verdicts occur often.
    assert!(accepted > 200 && checked - accepted > 200, "{accepted} of {checked} accepted");
}
