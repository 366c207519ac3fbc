//! `[api]`: where the HTTP API listens, its limits, TLS and tokens.

use std::net::SocketAddr;
use std::path::PathBuf;

use myna_api::backend::Role;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Check, ConfigError};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub listen: Spanned<SocketAddr>,
    pub unix_socket: Option<PathBuf>,
    /// Plain HTTP on a non-loopback address (only on a trusted clinic LAN).
    pub allow_plain_http_on_lan: bool,
    pub tls: Option<TlsConfig>,
    /// Connections from other machines served at once; one address holds at most a quarter of
    /// them (at least one), so one host cannot keep reception out.
    pub max_connections: Spanned<usize>,
    /// Connections from this machine (loopback, the Unix socket), counted apart.
    pub max_local_connections: Spanned<usize>,
    pub header_read_timeout_secs: Spanned<u64>,
    pub tokens: Vec<Spanned<TokenConfig>>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: Spanned::new(0..0, "127.0.0.1:8787".parse().expect("constant address")),
            unix_socket: None,
            allow_plain_http_on_lan: false,
            tls: None,
            max_connections: Spanned::new(0..0, 256),
            max_local_connections: Spanned::new(0..0, 256),
            header_read_timeout_secs: Spanned::new(0..0, 10),
            tokens: vec![],
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// A file holding the token (preferred: the config file stays shareable).
    pub token_file: Option<PathBuf>,
    /// The token itself (`check-config --print` shows it redacted).
    #[serde(serialize_with = "redacted", skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub roles: Vec<Role>,
    /// A name for logs ("reception PC"); the token itself is never logged.
    #[serde(default)]
    pub name: String,
}

fn redacted<S: serde::Serializer>(token: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match token {
        Some(_) => s.serialize_str("<redacted>"),
        None => s.serialize_none(),
    }
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConfig")
            .field("name", &self.name)
            .field("token_file", &self.token_file)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("roles", &self.roles)
            .finish()
    }
}

/// Why plain HTTP on `listen` is refused, if it is: a non-loopback address needs TLS, or the
/// explicit trusted-LAN switch. The one rule for the file and the command line.
pub fn plain_http_refusal(listen: SocketAddr, tls: bool, allow_plain_http_on_lan: bool) -> Option<String> {
    (!listen.ip().is_loopback() && !tls && !allow_plain_http_on_lan).then(|| {
        format!(
            "api.listen = \"{listen}\" is not a loopback address: add [api.tls] cert and key, or set allow_plain_http_on_lan = true for a trusted clinic LAN"
        )
    })
}

impl ApiConfig {
    pub(super) fn validate(&self, check: &Check) -> Result<(), ConfigError> {
        if let Some(why) = plain_http_refusal(*self.listen.get_ref(), self.tls.is_some(), self.allow_plain_http_on_lan)
        {
            return Err(check.err(self.listen.span(), why));
        }
        check.range(&self.max_connections, 1..=65_536, "api.max_connections", "")?;
        check.range(&self.max_local_connections, 1..=65_536, "api.max_local_connections", "")?;
        check.range(&self.header_read_timeout_secs, 1..=300, "api.header_read_timeout_secs", "")?;
        for (index, tok) in self.tokens.iter().enumerate() {
            let span = tok.span();
            let t = tok.get_ref();
            match (&t.token, &t.token_file) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(check.err(span, "api.tokens: give exactly one of token or token_file"));
                }
                (Some(v), None) if v.len() < 16 => {
                    return Err(check.err(span, "api.tokens: a token has at least 16 characters"));
                }
                _ => {}
            }
            if t.roles.is_empty() {
                return Err(check.err(span, "api.tokens: each token needs at least one role"));
            }
            if t.roles.contains(&Role::Kiosk) && t.roles.iter().any(|r| *r != Role::Kiosk) {
                // Named by its name or place, never its value.
                let which = if t.name.is_empty() {
                    format!("api.tokens[{index}]")
                } else {
                    format!("api.tokens[{index}] (\"{}\")", t.name)
                };
                return Err(check.err(
                    span,
                    format!(
                        "{which}: the kiosk role goes alone; this token also has {}. The kiosk screen's token is given to any \
                         program on the kiosk (GET /kiosk/token): give the other roles their own token",
                        t.roles.iter().filter(|r| **r != Role::Kiosk).map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}
