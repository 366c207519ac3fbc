//! The configuration file (TOML, `/etc/myna-kiosk/config.toml` by default).
//!
//! Every key has a default, so an empty file is a working kiosk on loopback. Unknown keys and
//! bad values are rejected at start with the file, line and column and a clear message: a
//! typo must never silently turn a safety setting off.

mod api;
pub mod files;
mod indicators;
mod session;

use std::fmt::Display;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use api::{plain_http_refusal, ApiConfig, TlsConfig, TokenConfig};
pub use indicators::{
    BuzzerConfig, BuzzerKind, IndicatorBackend, IndicatorsConfig, LedKind, LedsConfig, QuietHoursConfig, VolumeSetting,
};
pub use session::{SessionSection, TimeoutsSection};

use crate::journal::Retention;
use crate::session::SessionConfig;

pub const DEFAULT_PATH: &str = "/etc/myna-kiosk/config.toml";

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub reader: ReaderConfig,
    pub session: SessionSection,
    pub api: ApiConfig,
    pub trust: TrustConfig,
    pub journal: JournalConfig,
    pub log: LogConfig,
    pub indicators: IndicatorsConfig,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReaderConfig {
    /// A reader whose name contains this text; empty: the first contactless reader.
    pub name: String,
    /// Require the exact name rather than a part of it.
    pub exact: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustConfig {
    /// PEM files of the J-LIS user-authentication CAs (both generations).
    pub anchors: Spanned<Vec<PathBuf>>,
    /// Report health `degraded` while the kernel clock is not synchronized (every certificate
    /// decision depends on the date). Off only where the clock is kept by other means.
    pub clock_sync: bool,
    /// PEM `PUBLIC KEY` files of card-face CAs trusted beside the built-in J-LIS one (a rotated
    /// key; a bench's test CA). The photo and chip proof chain to one of these.
    pub card_face_cas: Vec<PathBuf>,
}

impl Default for TrustConfig {
    fn default() -> Self {
        TrustConfig {
            anchors: Spanned::new(
                0..0,
                vec![
                    PathBuf::from("/usr/share/myna-kiosk/jpki-ca/auth_ca_2015.pem"),
                    PathBuf::from("/usr/share/myna-kiosk/jpki-ca/auth_ca_2023.pem"),
                ],
            ),
            clock_sync: true,
            card_face_cas: vec![],
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// Where the journal lives (systemd's StateDirectory).
    pub dir: PathBuf,
    pub acknowledged_retention_hours: Spanned<u64>,
    pub unacknowledged_retention_days: Spanned<u64>,
    /// Free space (MiB) the journal's disk must keep: below it new sessions are refused.
    pub reserve_mib: Spanned<u64>,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            dir: PathBuf::from("/var/lib/myna-kiosk"),
            acknowledged_retention_hours: Spanned::new(0..0, 24),
            unacknowledged_retention_days: Spanned::new(0..0, 7),
            reserve_mib: Spanned::new(0..0, crate::journal::DEFAULT_RESERVE >> 20),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter such as `info` or `myna_kiosk=debug,info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text, level: "info".into() }
    }
}

/// A rejected configuration: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<(usize, usize)>,
    pub message: String,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// What every section's checks share: errors that point into the file, and the range rule.
pub(crate) struct Check<'a> {
    text: &'a str,
    file: &'a str,
}

impl Check<'_> {
    /// An error at `span` (a default value has the empty span and no place in the file).
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line: (span.end > 0).then(|| line_col(self.text, span.start)),
            message: message.into(),
        }
    }

    /// `key: between LO and HI[unit]` unless `v` is in `range`.
    fn range<T: PartialOrd + Display>(
        &self,
        v: &Spanned<T>,
        range: RangeInclusive<T>,
        key: &str,
        unit: &str,
    ) -> Result<(), ConfigError> {
        if range.contains(v.get_ref()) {
            return Ok(());
        }
        Err(self.err(v.span(), format!("{key}: between {} and {}{unit}", range.start(), range.end())))
    }
}

/// The configuration a command runs with, and the file it came from: the file given, else
/// none with `--mock` (defaults) or the default path. The one place that decides.
pub fn load_for(path: Option<&Path>, mock: bool) -> Result<(Config, Option<PathBuf>), ConfigError> {
    match (path, mock) {
        (Some(path), _) => Ok((Config::load(path)?, Some(path.to_path_buf()))),
        (None, true) => Ok((Config::default(), None)),
        (None, false) => Ok((Config::load(Path::new(DEFAULT_PATH))?, Some(PathBuf::from(DEFAULT_PATH)))),
    }
}

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: None,
            message: format!("cannot read the file: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            line: e.span().map(|s| line_col(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        config.validate(&Check { text, file })?;
        Ok(config)
    }

    fn validate(&self, check: &Check) -> Result<(), ConfigError> {
        self.session.validate(check)?;
        self.api.validate(check)?;
        if self.trust.anchors.get_ref().is_empty() {
            return Err(check.err(self.trust.anchors.span(), "trust.anchors: at least one CA certificate file"));
        }
        let j = &self.journal;
        check.range(&j.acknowledged_retention_hours, 1..=24 * 30, "journal.acknowledged_retention_hours", "")?;
        check.range(&j.unacknowledged_retention_days, 1..=90, "journal.unacknowledged_retention_days", "")?;
        check.range(&j.reserve_mib, 1..=4096, "journal.reserve_mib", " MiB")?;
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(
                check.err(0..0, format!("log.level: {:?} is not a valid filter (try \"info\")", self.log.level))
            );
        }
        self.indicators.validate(check)
    }

    pub fn session_config(&self) -> SessionConfig {
        self.session.engine_config()
    }

    pub fn retention(&self) -> Retention {
        Retention {
            acknowledged: Duration::from_secs(3600 * self.journal.acknowledged_retention_hours.get_ref()),
            unacknowledged: Duration::from_secs(86_400 * self.journal.unacknowledged_retention_days.get_ref()),
        }
    }
}

fn has_duplicates<T: PartialEq>(v: &[T]) -> bool {
    v.iter().enumerate().any(|(i, a)| v[..i].contains(a))
}
