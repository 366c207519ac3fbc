//! `api/openapi-3.0.json`: the 3.1 document rewritten mechanically for OpenAPI 3.0.3, for the
//! generators that reject 3.1 or mishandle `anyOf` with `null` (NSwag among them).
//!
//! | 3.1 (JSON Schema 2020-12)            | 3.0.3                                          |
//! |--------------------------------------|------------------------------------------------|
//! | `type: [T, "null"]`                  | `type: T, nullable: true`                      |
//! | `anyOf: [{$ref}, {type: "null"}]`    | `allOf: [{$ref}], nullable: true`              |
//! | `$ref` with sibling keywords         | `allOf: [{$ref}]` beside them                  |
//! | `const: v`                           | `enum: [v]`                                    |
//! | `examples: [a, …]` (in a schema)     | `example: a`                                   |
//! | `contentEncoding: base64`            | `format: byte` (`contentMediaType` → `x-…`)    |
//! | binary `contentMediaType`            | `format: binary`                               |
//! | `propertyNames: {$ref: <enum>}`      | one property per enum value, no others         |
//! | `jsonSchemaDialect`, license `identifier` | dropped (license `url` given instead)    |
//!
//! [`upgrade`] reads a 3.0.3 schema back as JSON Schema the way generators do (`nullable`
//! beside `allOf: [$ref]` makes the reference nullable); the tests check that both documents
//! accept and refuse the same instances.

use serde_json::{json, Map, Value};

pub const LICENSE_URL: &str = "https://www.apache.org/licenses/LICENSE-2.0";

pub fn downgrade(doc: &Value) -> Value {
    let mut out = doc.clone();
    out["openapi"] = json!("3.0.3");
    let o = out.as_object_mut().expect("the document is an object");
    o.shift_remove("jsonSchemaDialect");
    if let Some(license) = out["info"].get_mut("license").and_then(Value::as_object_mut) {
        license.shift_remove("identifier");
        license.insert("url".into(), json!(LICENSE_URL));
    }
    let schemas = doc["components"]["schemas"].clone();
    let mut walker = Walker { schemas: &schemas };
    walker.document(&mut out);
    out
}

struct Walker<'a> {
    schemas: &'a Value,
}

impl Walker<'_> {
    /// Schemas sit under `schema` (parameters, media types), `components.schemas` and inside
    /// other schemas; everything else in the document is left as it is.
    fn document(&mut self, v: &mut Value) {
        match v {
            Value::Object(o) => {
                for (k, child) in o.iter_mut() {
                    match k.as_str() {
                        "schema" => self.schema(child),
                        "schemas" => child.as_object_mut().into_iter().flatten().for_each(|(_, s)| self.schema(s)),
                        // Message examples are instances, not schemas.
                        "example" | "examples" | "x-sse-events" => {}
                        _ => self.document(child),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|c| self.document(c)),
            _ => {}
        }
    }

    fn schema(&mut self, v: &mut Value) {
        let Some(o) = v.as_object_mut() else { return };
        // Children first.
        for key in ["items", "additionalProperties", "propertyNames", "not"] {
            if let Some(c) = o.get_mut(key) {
                self.schema(c);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(a)) = o.get_mut(key) {
                a.iter_mut().for_each(|c| self.schema(c));
            }
        }
        if let Some(Value::Object(props)) = o.get_mut("properties") {
            props.values_mut().for_each(|c| self.schema(c));
        }

        if let Some(Value::Array(types)) = o.get("type").cloned() {
            let non_null: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            assert_eq!(non_null.len(), 1, "a type list other than [T, null] has no 3.0 form: {types:?}");
            o.insert("type".into(), non_null[0].clone());
            if non_null.len() < types.len() {
                o.insert("nullable".into(), json!(true));
            }
        }
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(alts)) = o.get(key) else { continue };
            let is_null = |s: &Value| s == &json!({ "type": "null" });
            if alts.len() == 2 && alts.iter().any(is_null) {
                let other = alts.iter().find(|s| !is_null(s)).cloned().expect("two alternatives");
                o.shift_remove(key);
                o.insert("allOf".into(), json!([other]));
                o.insert("nullable".into(), json!(true));
            }
        }
        if let Some(c) = o.shift_remove("const") {
            o.insert("enum".into(), json!([c]));
        }
        if let Some(Value::Array(ex)) = o.shift_remove("examples") {
            if let Some(first) = ex.into_iter().next() {
                o.insert("example".into(), first);
            }
        }
        if o.shift_remove("contentEncoding").is_some_and(|e| e == "base64") {
            o.insert("format".into(), json!("byte"));
        }
        if let Some(media) = o.shift_remove("contentMediaType") {
            if !o.contains_key("format") {
                o.insert("format".into(), json!("binary"));
            }
            o.insert("x-contentMediaType".into(), media);
        }
        if let Some(names) = o.shift_remove("propertyNames") {
            let values = self.enum_of(&names).expect("propertyNames names an enum");
            let each = o.shift_remove("additionalProperties").unwrap_or(json!({}));
            let props: Map<String, Value> =
                values.iter().map(|v| (v.as_str().expect("string keys").to_string(), each.clone())).collect();
            o.insert("properties".into(), Value::Object(props));
            o.insert("additionalProperties".into(), json!(false));
        }
        if o.contains_key("$ref") && o.len() > 1 {
            let r = o.shift_remove("$ref").expect("checked");
            o.insert("allOf".into(), json!([{ "$ref": r }]));
        }
    }

    fn enum_of(&self, s: &Value) -> Option<Vec<Value>> {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix("#/components/schemas/")?;
            return self.enum_of(&self.schemas[name]);
        }
        s.get("enum").and_then(Value::as_array).cloned()
    }
}

/// A 3.0.3 schema read as JSON Schema 2020-12, as generators read it.
pub fn upgrade(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut o: Map<String, Value> = o.iter().map(|(k, v)| (k.clone(), upgrade(v))).collect();
            // An instance keyword's value is data, not a schema: keep it as it is.
            for key in ["example", "enum", "default"] {
                if let Some(x) = v.get(key) {
                    o.insert(key.into(), x.clone());
                }
            }
            if o.shift_remove("nullable") == Some(json!(true)) {
                if let Some(t) = o.get("type").cloned() {
                    o.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = o.get_mut("enum") {
                        e.push(Value::Null);
                    }
                } else if let Some(Value::Array(all)) = o.shift_remove("allOf") {
                    let inner = if all.len() == 1 { all[0].clone() } else { json!({ "allOf": all }) };
                    o.insert("anyOf".into(), json!([inner, { "type": "null" }]));
                }
            }
            if let Some(e) = o.shift_remove("example") {
                o.insert("examples".into(), json!([e]));
            }
            o.retain(|k, _| !k.starts_with("x-"));
            Value::Object(o)
        }
        Value::Array(a) => Value::Array(a.iter().map(upgrade).collect()),
        other => other.clone(),
    }
}
