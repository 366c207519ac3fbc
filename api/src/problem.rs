//! `application/problem+json` (RFC 9457) errors with a stable `code` and ja/en text.

use serde::{Deserialize, Serialize};

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the problem type; ours are `urn:myna-kiosk:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status code.
    pub status: u16,
    /// Stable machine-readable code, e.g. `PIN_FORMAT`.
    pub code: String,
    /// Short English summary (RFC 9457 `title`).
    pub title: String,
    pub ja: String,
    pub en: String,
    /// The request this problem answers (RFC 9457 `instance`): its path, e.g.
    /// `/v1/session/pin`. Absent only where no request is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl Problem {
    pub fn new(status: u16, code: &str, ja: &str, en: &str) -> Self {
        Problem {
            kind: format!("urn:myna-kiosk:problem:{}", code.to_ascii_lowercase().replace('_', "-")),
            status,
            code: code.to_string(),
            title: en.to_string(),
            ja: ja.to_string(),
            en: en.to_string(),
            instance: None,
        }
    }

    pub fn at(self, instance: &str) -> Self {
        Problem { instance: Some(instance.to_string()), ..self }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"status\":500,\"code\":\"INTERNAL\"}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_serialises_with_rfc9457_field_names() {
        let p = Problem::new(400, "PIN_FORMAT", "暗証番号は数字4桁です。", "The PIN is exactly 4 digits.");
        let v: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(v["type"], "urn:myna-kiosk:problem:pin-format");
        assert_eq!(v["status"], 400);
        assert_eq!(v["code"], "PIN_FORMAT");
        assert_eq!(v["ja"], "暗証番号は数字4桁です。");
        assert_eq!(v["title"], "The PIN is exactly 4 digits.");
    }
}
