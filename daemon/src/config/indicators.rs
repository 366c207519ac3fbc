//! `[indicators]`: the status LEDs and the buzzer, their pins and quiet hours.

use myna_indicator::gpio::{BuzzerWiring, LedWiring, Wiring};
use myna_indicator::{QuietHours, Volume, VolumePolicy};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Check, ConfigError};

/// `[indicators]`: the status LEDs and the buzzer (see hardware.md).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndicatorsConfig {
    pub backend: IndicatorBackend,
    pub leds: LedsConfig,
    pub buzzer: BuzzerConfig,
    pub quiet_hours: Option<QuietHoursConfig>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedKind {
    /// Green, amber and red LEDs.
    #[default]
    Traffic,
    /// One RGB LED: amber is red + green.
    Rgb,
}

/// BCM pin numbers.
#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuzzerKind {
    /// Beeps when powered.
    #[default]
    Active,
    /// Needs a tone (software PWM at tone_hz).
    Passive,
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
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
#[derive(Debug, Deserialize, Serialize)]
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

    pub(super) fn validate(&self, check: &Check) -> Result<(), ConfigError> {
        let err = |span, message: String| check.err(span, message);
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
        check.range(&self.buzzer.tone_hz, 100..=10_000, "indicators.buzzer.tone_hz", "")?;
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
