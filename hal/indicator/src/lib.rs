//! Status LEDs and buzzer behind a semantic signal.
//!
//! The session says *what* to tell the patient ([`Signal`]); the patterns ([`pattern`]) say how
//! that looks and sounds; a [`Player`] plays them on its own thread and drives an [`Outputs`]
//! backend: the Pi's GPIO ([`gpio`]) or a recorder for tests and the bench ([`mock`]).
//!
//! Guarantees: [`Indicator::show`] never blocks (a blink never delays an APDU); a new signal
//! replaces the one before at once; every output goes off when the player is dropped or told
//! [`Indicator::off`], and also when its thread panics.

pub mod gpio;
pub mod mock;
pub mod pattern;
mod player;

use std::fmt;

use chrono::NaiveTime;

pub use player::{OffSwitch, Player, PlayerOptions};

/// What the kiosk tells the patient. The patterns are in [`pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Waiting for a card.
    Idle,
    /// A card was tapped.
    CardDetected,
    /// Reading the card, signing.
    Working,
    /// The patient must act: enter the PIN, answer consent, look at the camera.
    WaitingForPatient,
    /// Staff must check the patient.
    WaitingForStaff,
    /// Checked in: take your card.
    Success,
    /// Refused: ask staff.
    Error,
    /// Last PIN try: confirm first.
    Attention,
    /// No reader, or results cannot be recorded.
    Offline,
}

impl Signal {
    /// Every signal, in the order of the table in `hardware.md` (and of `indicators test`).
    pub const ALL: [Signal; 9] = [
        Signal::Idle,
        Signal::CardDetected,
        Signal::Working,
        Signal::WaitingForPatient,
        Signal::WaitingForStaff,
        Signal::Success,
        Signal::Error,
        Signal::Attention,
        Signal::Offline,
    ];

    /// The name used in `hardware.md` and printed by `myna-kiosk indicators test`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Idle => "idle",
            Signal::CardDetected => "card detected",
            Signal::Working => "working",
            Signal::WaitingForPatient => "waiting for the patient",
            Signal::WaitingForStaff => "waiting for staff",
            Signal::Success => "success",
            Signal::Error => "error",
            Signal::Attention => "attention",
            Signal::Offline => "offline",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One status LED, by its place in the traffic-light column (red top, amber middle, green
/// bottom). With an RGB LED amber is red + green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Led {
    Green,
    Amber,
    Red,
}

impl Led {
    pub const ALL: [Led; 3] = [Led::Green, Led::Amber, Led::Red];

    pub fn name(self) -> &'static str {
        match self {
            Led::Green => "green",
            Led::Amber => "amber",
            Led::Red => "red",
        }
    }
}

/// How loud a beep is. (Volume "off" never reaches the outputs: the beeps are not played.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loudness {
    Normal,
    /// Short beeps; a passive buzzer also gets a lower PWM duty cycle.
    Low,
}

/// The buzzer volume setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Volume {
    Off,
    Low,
    Normal,
}

impl Volume {
    /// How a beep sounds at this volume; `None`: not at all.
    pub fn loudness(self) -> Option<Loudness> {
        match self {
            Volume::Off => None,
            Volume::Low => Some(Loudness::Low),
            Volume::Normal => Some(Loudness::Normal),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Volume::Off => "off",
            Volume::Low => "low",
            Volume::Normal => "normal",
        }
    }
}

/// Quieter hours in local time, `from` inclusive to `to` exclusive; may wrap midnight
/// (`22:00`–`07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub to: NaiveTime,
    pub volume: Volume,
}

impl QuietHours {
    /// Whether `time` (local time of day) falls in these hours. `from == to` is no hours at all.
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.from <= self.to {
            self.from <= time && time < self.to
        } else {
            time >= self.from || time < self.to
        }
    }
}

/// The volume setting and the optional quiet hours: which volume applies at a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumePolicy {
    pub normal: Volume,
    pub quiet_hours: Option<QuietHours>,
}

impl Default for VolumePolicy {
    fn default() -> Self {
        VolumePolicy { normal: Volume::Normal, quiet_hours: None }
    }
}

impl VolumePolicy {
    /// The volume at `local` (local time of day). Quiet hours never make the kiosk louder.
    pub fn at(&self, local: NaiveTime) -> Volume {
        match self.quiet_hours {
            Some(q) if q.contains(local) => q.volume.min(self.normal),
            _ => self.normal,
        }
    }
}

/// Where the player's pin levels go: GPIO pins, or a recorder.
pub trait Outputs: Send {
    /// A short name for health and logs: `gpio`, `mock`.
    fn name(&self) -> &'static str;
    fn set_led(&mut self, led: Led, on: bool);
    /// `Some(loudness)`: sound; `None`: silence.
    fn set_buzzer(&mut self, on: Option<Loudness>);
    /// Every LED and the buzzer off. Must not panic: it runs while a panic unwinds.
    fn all_off(&mut self);
    /// The player starts the pattern of `signal` (a recorder notes it; pins ignore it).
    fn signal(&mut self, _signal: Signal) {}
}

impl<O: Outputs + ?Sized> Outputs for Box<O> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn set_led(&mut self, led: Led, on: bool) {
        (**self).set_led(led, on)
    }
    fn set_buzzer(&mut self, on: Option<Loudness>) {
        (**self).set_buzzer(on)
    }
    fn all_off(&mut self) {
        (**self).all_off()
    }
    fn signal(&mut self, signal: Signal) {
        (**self).signal(signal)
    }
}

/// How the indicators are doing, for `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorHealth {
    /// Working, on this backend (`gpio`, `mock`).
    Ok(&'static str),
    /// Configured but not working: the kiosk carries on without them.
    Degraded(String),
    /// Switched off in the configuration.
    Off,
}

impl IndicatorHealth {
    pub fn is_degraded(&self) -> bool {
        matches!(self, IndicatorHealth::Degraded(_))
    }
}

impl fmt::Display for IndicatorHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndicatorHealth::Ok(backend) => write!(f, "ok ({backend})"),
            IndicatorHealth::Degraded(reason) => write!(f, "degraded: {reason}"),
            IndicatorHealth::Off => f.write_str("off"),
        }
    }
}

/// The status LEDs and buzzer as the session sees them.
pub trait Indicator: Send {
    /// Starts showing `signal`, replacing what was shown. Returns at once.
    fn show(&mut self, signal: Signal);
    /// Every output off; returns once they are (the SIGTERM path). A later `show` lights
    /// them again.
    fn off(&mut self);
    fn health(&self) -> IndicatorHealth;
    /// A switch that turns every output off from elsewhere (after the indicator has been
    /// handed to the session driver).
    fn off_switch(&self) -> OffSwitch {
        OffSwitch::none()
    }
}

/// An indicator with no outputs: `backend = "none"`, or GPIO that could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoIndicator {
    health: IndicatorHealth,
}

impl NoIndicator {
    /// Switched off in the configuration.
    pub fn off() -> Self {
        NoIndicator { health: IndicatorHealth::Off }
    }

    /// Wanted but unavailable: health says why.
    pub fn degraded(reason: impl Into<String>) -> Self {
        NoIndicator { health: IndicatorHealth::Degraded(reason.into()) }
    }
}

impl Indicator for NoIndicator {
    fn show(&mut self, _signal: Signal) {}
    fn off(&mut self) {}
    fn health(&self) -> IndicatorHealth {
        self.health.clone()
    }
}
