//! What each signal looks and sounds like: data, not code.
//!
//! A pattern is two tracks played side by side from the moment the signal starts: the LEDs and
//! the buzzer. A track is a list of steps (a state held for some milliseconds) that either
//! repeats for as long as the signal is shown or plays once, after which its outputs are off.
//! The table matches "What the patient sees and hears" in `hardware.md`:
//!
//! - every signal has its own LED pattern, told apart by **which LED** (position in the
//!   red/amber/green column) and **how it blinks**, so colour vision is not needed;
//! - every signal that calls for the patient's attention has its own **beep rhythm**, so sight
//!   is not needed; the three background states (idle, working, offline) are silent, since a
//!   kiosk that beeps while nothing happens would be switched off by the clinic.

use super::{Led, Signal, Volume};

/// Which LEDs are lit during a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lights {
    pub green: bool,
    pub amber: bool,
    pub red: bool,
}

impl Lights {
    pub const DARK: Lights = Lights { green: false, amber: false, red: false };
    pub const GREEN: Lights = Lights { green: true, amber: false, red: false };
    pub const AMBER: Lights = Lights { green: false, amber: true, red: false };
    pub const RED: Lights = Lights { green: false, amber: false, red: true };

    pub fn is_lit(self, led: Led) -> bool {
        match led {
            Led::Green => self.green,
            Led::Amber => self.amber,
            Led::Red => self.red,
        }
    }

    /// The LEDs lit, in [`Led::ALL`] order.
    pub fn lit(self) -> Vec<Led> {
        Led::ALL.into_iter().filter(|l| self.is_lit(*l)).collect()
    }
}

/// A state held for `ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Step<T> {
    pub state: T,
    pub ms: u32,
}

/// Whether a track starts again after its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repeat {
    /// A cycle, for as long as the signal is shown.
    Forever,
    /// Once; then the track's outputs are off.
    Once,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Track<T: 'static> {
    pub steps: &'static [Step<T>],
    pub repeat: Repeat,
}

impl<T> Track<T> {
    /// One cycle (or the whole one-shot track) in milliseconds.
    pub fn length_ms(&self) -> u32 {
        self.steps.iter().map(|s| s.ms).sum()
    }
}

/// The LEDs and the beeps of one signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pattern {
    pub signal: Signal,
    pub leds: Track<Lights>,
    /// `true`: buzzer on.
    pub beeps: Track<bool>,
    /// The `hardware.md` row, for `indicators test`.
    pub looks: &'static str,
    pub sounds: &'static str,
}

/// A short beep (ms).
pub const SHORT_BEEP_MS: u32 = 80;
/// A long beep (ms).
pub const LONG_BEEP_MS: u32 = 400;
/// A fast beep, and the gap between fast beeps (ms).
pub const FAST_BEEP_MS: u32 = 60;
/// The longest beep at volume "low" (ms).
pub const LOW_VOLUME_MAX_BEEP_MS: u32 = 60;
/// The shortest beep at volume "low" (ms): shorter is a click, not a beep.
pub const LOW_VOLUME_MIN_BEEP_MS: u32 = 20;

const fn s<T>(state: T, ms: u32) -> Step<T> {
    Step { state, ms }
}

const fn cycle<T>(steps: &'static [Step<T>]) -> Track<T> {
    Track { steps, repeat: Repeat::Forever }
}

const fn once<T>(steps: &'static [Step<T>]) -> Track<T> {
    Track { steps, repeat: Repeat::Once }
}

/// A light that stays on: a one-step cycle never changes.
const STEADY_MS: u32 = 1000;

const SILENT: Track<bool> = once(&[]);

/// The table, in [`Signal::ALL`] order.
pub const PATTERNS: [Pattern; 9] = [
    Pattern {
        signal: Signal::Idle,
        leds: cycle(&[s(Lights::GREEN, 150), s(Lights::DARK, 2850)]),
        beeps: SILENT,
        looks: "green: a short blink every 3 s",
        sounds: "silent",
    },
    Pattern {
        signal: Signal::CardDetected,
        leds: cycle(&[s(Lights::AMBER, STEADY_MS)]),
        beeps: once(&[s(true, SHORT_BEEP_MS)]),
        looks: "amber steady",
        sounds: "1 short beep",
    },
    Pattern {
        signal: Signal::Working,
        leds: cycle(&[s(Lights::AMBER, 250), s(Lights::DARK, 250)]),
        beeps: SILENT,
        looks: "amber blinking 2 × per second",
        sounds: "silent",
    },
    Pattern {
        signal: Signal::WaitingForPatient,
        leds: cycle(&[s(Lights::GREEN, 500), s(Lights::DARK, 500)]),
        beeps: once(&[s(true, SHORT_BEEP_MS), s(false, 150), s(true, SHORT_BEEP_MS)]),
        looks: "green blinking once per second",
        sounds: "2 short beeps",
    },
    Pattern {
        signal: Signal::WaitingForStaff,
        leds: cycle(&[s(Lights::AMBER, 500), s(Lights::RED, 500)]),
        beeps: once(&[s(true, SHORT_BEEP_MS), s(false, 150), s(true, LONG_BEEP_MS)]),
        looks: "amber and red alternating",
        sounds: "short + long beep",
    },
    Pattern {
        signal: Signal::Success,
        leds: cycle(&[s(Lights::GREEN, STEADY_MS)]),
        beeps: once(&[s(true, LONG_BEEP_MS)]),
        looks: "green steady",
        sounds: "1 long beep",
    },
    Pattern {
        signal: Signal::Error,
        leds: cycle(&[s(Lights::RED, STEADY_MS)]),
        beeps: once(&[
            s(true, LONG_BEEP_MS),
            s(false, 200),
            s(true, LONG_BEEP_MS),
            s(false, 200),
            s(true, LONG_BEEP_MS),
        ]),
        looks: "red steady",
        sounds: "3 long beeps",
    },
    Pattern {
        signal: Signal::Attention,
        leds: cycle(&[s(Lights::RED, 125), s(Lights::DARK, 125)]),
        beeps: once(&[
            s(true, FAST_BEEP_MS),
            s(false, FAST_BEEP_MS),
            s(true, FAST_BEEP_MS),
            s(false, FAST_BEEP_MS),
            s(true, FAST_BEEP_MS),
            s(false, FAST_BEEP_MS),
            s(true, FAST_BEEP_MS),
        ]),
        looks: "red blinking 4 × per second",
        sounds: "4 fast beeps",
    },
    Pattern {
        signal: Signal::Offline,
        leds: cycle(&[s(Lights::RED, 150), s(Lights::DARK, 1850)]),
        beeps: SILENT,
        looks: "red: a short blink every 2 s",
        sounds: "silent",
    },
];

/// The pattern of `signal`.
pub fn pattern(signal: Signal) -> &'static Pattern {
    let p = &PATTERNS[Signal::ALL.iter().position(|s| *s == signal).expect("every signal is in ALL")];
    debug_assert_eq!(p.signal, signal);
    p
}

/// How long a beep of `ms` lasts at volume "low": at most [`LOW_VOLUME_MAX_BEEP_MS`], scaled
/// so a long beep stays longer than a short one.
pub fn low_volume_beep_ms(ms: u32) -> u32 {
    (ms * LOW_VOLUME_MAX_BEEP_MS / LONG_BEEP_MS).clamp(LOW_VOLUME_MIN_BEEP_MS, LOW_VOLUME_MAX_BEEP_MS).min(ms)
}

/// The beep steps of `signal` as played at `volume`: none when off; at "low" every beep is
/// shortened (the rest of its step is silence, so the rhythm keeps its timing).
pub fn beeps_at(signal: Signal, volume: Volume) -> Vec<Step<bool>> {
    let steps = pattern(signal).beeps.steps;
    match volume {
        Volume::Off => vec![],
        Volume::Normal => steps.to_vec(),
        Volume::Low => {
            let mut out: Vec<Step<bool>> = Vec::with_capacity(steps.len() * 2);
            for step in steps {
                let (on, off) = if step.state {
                    let on = low_volume_beep_ms(step.ms);
                    (on, step.ms - on)
                } else {
                    (0, step.ms)
                };
                if on > 0 {
                    out.push(s(true, on));
                }
                if off > 0 {
                    match out.last_mut() {
                        Some(last) if !last.state => last.ms += off,
                        _ => out.push(s(false, off)),
                    }
                }
            }
            // A one-shot track ends silent anyway: a trailing pause only delays nothing.
            if out.last().is_some_and(|l| !l.state) {
                out.pop();
            }
            out
        }
    }
}
