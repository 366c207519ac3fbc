//! The configuration file (TOML, `/etc/myna-kiosk/config.toml` by default).
//!
//! Every key has a default, so an empty file is a working kiosk on loopback. Unknown keys and
//! bad values are rejected at start with the file, line and column and a clear message: a
//! typo must never silently turn a safety setting off.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use myna_api::backend::Role;
use myna_api::proto::{ConsentItem, Method};
use myna_indicator::gpio::{BuzzerWiring, LedWiring, Wiring};
use myna_indicator::{QuietHours, Volume, VolumePolicy};
use serde::Deserialize;
use toml::Spanned;

use crate::journal::Retention;
use crate::session::{SessionConfig, Timeouts};

pub const DEFAULT_PATH: &str = "/etc/myna-kiosk/config.toml";

#[derive(Debug, Default, Deserialize)]
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReaderConfig {
    /// A reader whose name contains this text; empty: the first contactless reader.
    pub name: String,
    /// Require the exact name rather than a part of it.
    pub exact: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSection {
    pub methods: Spanned<Vec<Method>>,
    pub consent_items: Spanned<Vec<ConsentItem>>,
    pub consent_all_shortcut: bool,
    pub face_attempts: Spanned<u8>,
    pub timeouts: TimeoutsSection,
}

impl Default for SessionSection {
    fn default() -> Self {
        let d = SessionConfig::default();
        SessionSection {
            methods: Spanned::new(0..0, d.methods),
            consent_items: Spanned::new(0..0, d.consent_items),
            consent_all_shortcut: d.consent_all_shortcut,
            face_attempts: Spanned::new(0..0, d.face_attempts),
            timeouts: TimeoutsSection::default(),
        }
    }
}

/// Timeouts in seconds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutsSection {
    pub card_operation_secs: Spanned<u64>,
    pub choose_method_secs: Spanned<u64>,
    pub pin_entry_secs: Spanned<u64>,
    pub face_check_secs: Spanned<u64>,
    pub staff_check_secs: Spanned<u64>,
    pub consent_secs: Spanned<u64>,
    pub take_card_secs: Spanned<u64>,
}

impl Default for TimeoutsSection {
    fn default() -> Self {
        let t = Timeouts::default();
        let s = |d: Duration| Spanned::new(0..0, d.as_secs());
        TimeoutsSection {
            card_operation_secs: s(t.card_operation),
            choose_method_secs: s(t.choose_method),
            pin_entry_secs: s(t.pin_entry),
            face_check_secs: s(t.face_check),
            staff_check_secs: s(t.staff_check),
            consent_secs: s(t.consent),
            take_card_secs: s(t.take_card),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub listen: Spanned<SocketAddr>,
    pub unix_socket: Option<PathBuf>,
    /// Plain HTTP on a non-loopback address (only on a trusted clinic LAN).
    pub allow_plain_http_on_lan: bool,
    pub tls: Option<TlsConfig>,
    /// Connections from other machines served at once.
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// A file holding the token (preferred: the config file stays shareable).
    pub token_file: Option<PathBuf>,
    /// The token itself.
    pub token: Option<String>,
    pub roles: Vec<Role>,
    /// A name for logs ("reception PC"); the token itself is never logged.
    #[serde(default)]
    pub name: String,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustConfig {
    /// PEM files of the J-LIS user-authentication CAs (both generations).
    pub anchors: Spanned<Vec<PathBuf>>,
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
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// Where the journal lives (systemd's StateDirectory).
    pub dir: PathBuf,
    pub acknowledged_retention_hours: Spanned<u64>,
    pub unacknowledged_retention_days: Spanned<u64>,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            dir: PathBuf::from("/var/lib/myna-kiosk"),
            acknowledged_retention_hours: Spanned::new(0..0, 24),
            unacknowledged_retention_days: Spanned::new(0..0, 7),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Deserialize)]
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

/// `[indicators]`: the status LEDs and the buzzer (see hardware.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndicatorsConfig {
    pub backend: IndicatorBackend,
    pub leds: LedsConfig,
    pub buzzer: BuzzerConfig,
    pub quiet_hours: Option<QuietHoursConfig>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorBackend {
    /// The Pi's GPIO pins.
    #[default]
    Gpio,
    /// Records only (what `--mock` always uses).
    Mock,
    /// Drives nothing.
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedKind {
    /// Green, amber and red LEDs.
    #[default]
    Traffic,
    /// One RGB LED: amber is red + green.
    Rgb,
}

/// BCM pin numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedsConfig {
    pub kind: LedKind,
    pub green: Spanned<i64>,
    /// Traffic lights only (default 27).
    pub amber: Option<Spanned<i64>>,
    pub red: Spanned<i64>,
    /// RGB LED only (default 27).
    pub blue: Option<Spanned<i64>>,
    pub active_low: bool,
}

const DEFAULT_AMBER_OR_BLUE_PIN: i64 = 27;

impl Default for LedsConfig {
    fn default() -> Self {
        LedsConfig {
            kind: LedKind::Traffic,
            green: Spanned::new(0..0, 17),
            amber: None,
            red: Spanned::new(0..0, 22),
            blue: None,
            active_low: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuzzerKind {
    /// Beeps when powered.
    #[default]
    Active,
    /// Needs a tone (software PWM at tone_hz).
    Passive,
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeSetting {
    #[default]
    Normal,
    Low,
    Off,
}

impl From<VolumeSetting> for Volume {
    fn from(v: VolumeSetting) -> Volume {
        match v {
            VolumeSetting::Normal => Volume::Normal,
            VolumeSetting::Low => Volume::Low,
            VolumeSetting::Off => Volume::Off,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuzzerConfig {
    pub kind: BuzzerKind,
    pub pin: Spanned<i64>,
    pub active_low: bool,
    /// Passive buzzers only.
    pub tone_hz: Spanned<u32>,
    pub volume: VolumeSetting,
}

impl Default for BuzzerConfig {
    fn default() -> Self {
        BuzzerConfig {
            kind: BuzzerKind::Active,
            pin: Spanned::new(0..0, 18),
            active_low: false,
            tone_hz: Spanned::new(0..0, 2700),
            volume: VolumeSetting::Normal,
        }
    }
}

/// Quieter hours, local time (`"12:30"`), `from` inclusive to `to` exclusive; may wrap midnight.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursConfig {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    #[serde(default = "quiet_volume_default")]
    pub volume: VolumeSetting,
}

fn quiet_volume_default() -> VolumeSetting {
    VolumeSetting::Low
}

/// `HH:MM`, 00:00–23:59.
fn time_of_day(s: &str) -> Option<chrono::NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

impl IndicatorsConfig {
    fn amber_pin(&self) -> i64 {
        self.leds.amber.as_ref().map_or(DEFAULT_AMBER_OR_BLUE_PIN, |p| *p.get_ref())
    }

    fn blue_pin(&self) -> i64 {
        self.leds.blue.as_ref().map_or(DEFAULT_AMBER_OR_BLUE_PIN, |p| *p.get_ref())
    }

    /// The pins for the GPIO backend (a validated configuration has them all in 0–27).
    pub fn wiring(&self) -> Wiring {
        let pin = |v: i64| u8::try_from(v).unwrap_or(u8::MAX);
        let l = &self.leds;
        let leds = match l.kind {
            LedKind::Traffic => LedWiring::Traffic {
                green: pin(*l.green.get_ref()),
                amber: pin(self.amber_pin()),
                red: pin(*l.red.get_ref()),
                active_low: l.active_low,
            },
            LedKind::Rgb => LedWiring::Rgb {
                red: pin(*l.red.get_ref()),
                green: pin(*l.green.get_ref()),
                blue: pin(self.blue_pin()),
                active_low: l.active_low,
            },
        };
        let b = &self.buzzer;
        let buzzer = match b.kind {
            BuzzerKind::None => BuzzerWiring::None,
            BuzzerKind::Active => BuzzerWiring::Active { pin: pin(*b.pin.get_ref()), active_low: b.active_low },
            BuzzerKind::Passive => BuzzerWiring::Passive {
                pin: pin(*b.pin.get_ref()),
                active_low: b.active_low,
                tone_hz: *b.tone_hz.get_ref(),
            },
        };
        Wiring { leds, buzzer }
    }

    /// The buzzer volume and quiet hours.
    pub fn volume_policy(&self) -> VolumePolicy {
        let quiet_hours = self.quiet_hours.as_ref().and_then(|q| {
            Some(QuietHours {
                from: time_of_day(q.from.get_ref())?,
                to: time_of_day(q.to.get_ref())?,
                volume: q.volume.into(),
            })
        });
        VolumePolicy { normal: self.buzzer.volume.into(), quiet_hours }
    }

    fn validate(&self, err: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError) -> Result<(), ConfigError> {
        let l = &self.leds;
        let default_pin = Spanned::new(0..0, DEFAULT_AMBER_OR_BLUE_PIN);
        let mut pins: Vec<(&str, &Spanned<i64>)> = vec![("indicators.leds.green", &l.green)];
        match l.kind {
            LedKind::Traffic => {
                if let Some(blue) = &l.blue {
                    return Err(err(
                        blue.span(),
                        "indicators.leds.blue: only an RGB LED (kind = \"rgb\") has a blue pin".into(),
                    ));
                }
                pins.push(("indicators.leds.amber", l.amber.as_ref().unwrap_or(&default_pin)));
            }
            LedKind::Rgb => {
                if let Some(amber) = &l.amber {
                    return Err(err(
                        amber.span(),
                        "indicators.leds.amber: an RGB LED shows amber as red + green; give its blue pin instead"
                            .into(),
                    ));
                }
            }
        }
        pins.push(("indicators.leds.red", &l.red));
        if l.kind == LedKind::Rgb {
            pins.push(("indicators.leds.blue", l.blue.as_ref().unwrap_or(&default_pin)));
        }
        if self.buzzer.kind != BuzzerKind::None {
            pins.push(("indicators.buzzer.pin", &self.buzzer.pin));
        }
        for (name, pin) in &pins {
            if !(0..=27).contains(pin.get_ref()) {
                return Err(err(
                    pin.span(),
                    format!("{name}: GPIO {} does not exist (BCM numbers 0–27)", pin.get_ref()),
                ));
            }
        }
        for (i, (name, pin)) in pins.iter().enumerate() {
            if let Some((first, earlier)) = pins[..i].iter().find(|(_, p)| p.get_ref() == pin.get_ref()) {
                // Point at the key the file sets (a default has no place in the file).
                let span = if pin.span().end > 0 { pin.span() } else { earlier.span() };
                return Err(err(span, format!("{name}: GPIO {} is already used by {first}", pin.get_ref())));
            }
        }
        if !(100..=10_000).contains(self.buzzer.tone_hz.get_ref()) {
            return Err(err(self.buzzer.tone_hz.span(), "indicators.buzzer.tone_hz: between 100 and 10000".into()));
        }
        if let Some(q) = &self.quiet_hours {
            let mut times = vec![];
            for (name, v) in [("from", &q.from), ("to", &q.to)] {
                match time_of_day(v.get_ref()) {
                    Some(t) => times.push(t),
                    None => {
                        return Err(err(
                            v.span(),
                            format!(
                                "indicators.quiet_hours.{name}: {:?} is not a time of day (\"HH:MM\", 00:00–23:59)",
                                v.get_ref()
                            ),
                        ))
                    }
                }
            }
            if times[0] == times[1] {
                return Err(err(q.to.span(), "indicators.quiet_hours: from and to are the same time".into()));
            }
        }
        Ok(())
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
        config.validate(text, file)?;
        Ok(config)
    }

    fn validate(&self, text: &str, file: &str) -> Result<(), ConfigError> {
        let err = |span: std::ops::Range<usize>, message: String| ConfigError {
            file: file.to_string(),
            line: (span.end > 0).then(|| line_col(text, span.start)),
            message,
        };
        let s = &self.session;
        if s.methods.get_ref().is_empty() {
            return Err(err(
                s.methods.span(),
                "session.methods: enable at least one of \"pin\", \"face\", \"visual\"".into(),
            ));
        }
        if has_duplicates(s.methods.get_ref()) {
            return Err(err(s.methods.span(), "session.methods: a method is listed twice".into()));
        }
        if has_duplicates(s.consent_items.get_ref()) {
            return Err(err(s.consent_items.span(), "session.consent_items: an item is listed twice".into()));
        }
        if !(1..=10).contains(s.face_attempts.get_ref()) {
            return Err(err(s.face_attempts.span(), "session.face_attempts: between 1 and 10".into()));
        }
        let t = &s.timeouts;
        for (name, v) in [
            ("card_operation_secs", &t.card_operation_secs),
            ("choose_method_secs", &t.choose_method_secs),
            ("pin_entry_secs", &t.pin_entry_secs),
            ("face_check_secs", &t.face_check_secs),
            ("staff_check_secs", &t.staff_check_secs),
            ("consent_secs", &t.consent_secs),
            ("take_card_secs", &t.take_card_secs),
        ] {
            if !(1..=3600).contains(v.get_ref()) {
                return Err(err(v.span(), format!("session.timeouts.{name}: between 1 and 3600 seconds")));
            }
        }
        let a = &self.api;
        if !a.listen.get_ref().ip().is_loopback() && a.tls.is_none() && !a.allow_plain_http_on_lan {
            return Err(err(
                a.listen.span(),
                format!(
                    "api.listen = \"{}\" is not a loopback address: add [api.tls] cert and key, or set allow_plain_http_on_lan = true for a trusted clinic LAN",
                    a.listen.get_ref()
                ),
            ));
        }
        if !(1..=65_536).contains(a.max_connections.get_ref()) {
            return Err(err(a.max_connections.span(), "api.max_connections: between 1 and 65536".into()));
        }
        if !(1..=65_536).contains(a.max_local_connections.get_ref()) {
            return Err(err(a.max_local_connections.span(), "api.max_local_connections: between 1 and 65536".into()));
        }
        if !(1..=300).contains(a.header_read_timeout_secs.get_ref()) {
            return Err(err(
                a.header_read_timeout_secs.span(),
                "api.header_read_timeout_secs: between 1 and 300".into(),
            ));
        }
        for tok in &a.tokens {
            let span = tok.span();
            let t = tok.get_ref();
            match (&t.token, &t.token_file) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(err(span, "api.tokens: give exactly one of token or token_file".into()));
                }
                (Some(v), None) if v.len() < 16 => {
                    return Err(err(span, "api.tokens: a token has at least 16 characters".into()));
                }
                _ => {}
            }
            if t.roles.is_empty() {
                return Err(err(span, "api.tokens: each token needs at least one role".into()));
            }
        }
        if self.trust.anchors.get_ref().is_empty() {
            return Err(err(self.trust.anchors.span(), "trust.anchors: at least one CA certificate file".into()));
        }
        let j = &self.journal;
        if !(1..=24 * 30).contains(j.acknowledged_retention_hours.get_ref()) {
            return Err(err(
                j.acknowledged_retention_hours.span(),
                "journal.acknowledged_retention_hours: between 1 and 720".into(),
            ));
        }
        if !(1..=90).contains(j.unacknowledged_retention_days.get_ref()) {
            return Err(err(
                j.unacknowledged_retention_days.span(),
                "journal.unacknowledged_retention_days: between 1 and 90".into(),
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(err(0..0, format!("log.level: {:?} is not a valid filter (try \"info\")", self.log.level)));
        }
        self.indicators.validate(&err)?;
        Ok(())
    }

    pub fn session_config(&self) -> SessionConfig {
        let s = &self.session;
        let t = &s.timeouts;
        let secs = |v: &Spanned<u64>| Duration::from_secs(*v.get_ref());
        SessionConfig {
            methods: s.methods.get_ref().clone(),
            consent_items: s.consent_items.get_ref().clone(),
            consent_all_shortcut: s.consent_all_shortcut,
            face_attempts: *s.face_attempts.get_ref(),
            timeouts: Timeouts {
                card_operation: secs(&t.card_operation_secs),
                choose_method: secs(&t.choose_method_secs),
                pin_entry: secs(&t.pin_entry_secs),
                face_check: secs(&t.face_check_secs),
                staff_check: secs(&t.staff_check_secs),
                consent: secs(&t.consent_secs),
                take_card: secs(&t.take_card_secs),
            },
        }
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
