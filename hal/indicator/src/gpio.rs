//! The Raspberry Pi's GPIO pins (rppal): three LEDs or one RGB LED, and an active or passive
//! buzzer. Pin numbers are BCM numbers.
//!
//! Off a Pi, [`GpioOutputs::open`] fails (`Unknown Raspberry Pi model`): the caller carries on
//! without indicators and reports them degraded.

use rppal::gpio::{Gpio, OutputPin};

use super::{Led, Loudness, Outputs};

/// PWM duty cycle of a passive buzzer at normal volume (the loudest a square wave gets).
pub const PASSIVE_DUTY_NORMAL: f64 = 0.5;
/// PWM duty cycle of a passive buzzer at volume "low": a softer tone.
pub const PASSIVE_DUTY_LOW: f64 = 0.1;

/// How the LEDs are wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedWiring {
    /// Three LEDs, top to bottom red, amber, green.
    Traffic { green: u8, amber: u8, red: u8, active_low: bool },
    /// One RGB LED: amber is red + green; blue is not used by any pattern and kept off.
    Rgb { red: u8, green: u8, blue: u8, active_low: bool },
}

/// How the buzzer is wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuzzerWiring {
    None,
    /// Has its own oscillator: the pin switches it on and off.
    Active {
        pin: u8,
        active_low: bool,
    },
    /// Needs a tone: software PWM at `tone_hz`.
    Passive {
        pin: u8,
        active_low: bool,
        tone_hz: u32,
    },
}

/// The whole wiring. The default is the one in `hardware.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wiring {
    pub leds: LedWiring,
    pub buzzer: BuzzerWiring,
}

impl Default for Wiring {
    fn default() -> Self {
        Wiring {
            leds: LedWiring::Traffic { green: 17, amber: 27, red: 22, active_low: false },
            buzzer: BuzzerWiring::Active { pin: 18, active_low: false },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GpioError {
    #[error("cannot open GPIO: {0}")]
    Open(#[source] rppal::gpio::Error),
    #[error("cannot use GPIO {pin} for the {what}: {source}")]
    Pin {
        pin: u8,
        what: &'static str,
        #[source]
        source: rppal::gpio::Error,
    },
}

/// One output pin and its polarity.
#[derive(Debug)]
struct Line {
    pin: OutputPin,
    active_low: bool,
}

impl Line {
    fn open(gpio: &Gpio, pin: u8, active_low: bool, what: &'static str) -> Result<Line, GpioError> {
        let p = gpio.get(pin).map_err(|source| GpioError::Pin { pin, what, source })?;
        // Starts off, whatever the polarity.
        let mut pin = if active_low { p.into_output_high() } else { p.into_output_low() };
        // An active-low pin released to an input would float and glow: keep driving "off".
        pin.set_reset_on_drop(!active_low);
        Ok(Line { pin, active_low })
    }

    fn set(&mut self, on: bool) {
        if on != self.active_low {
            self.pin.set_high();
        } else {
            self.pin.set_low();
        }
    }
}

#[derive(Debug)]
enum Lamps {
    Traffic { green: Line, amber: Line, red: Line },
    Rgb { red: Line, green: Line, blue: Line },
}

#[derive(Debug)]
struct Buzzer {
    line: Line,
    /// A passive buzzer's tone.
    tone_hz: Option<u32>,
}

/// The LEDs and buzzer on the Pi's GPIO pins.
#[derive(Debug)]
pub struct GpioOutputs {
    lamps: Lamps,
    buzzer: Option<Buzzer>,
    /// Logical LEDs lit (green, amber, red): an RGB LED mixes them.
    lit: [bool; 3],
    pwm_warned: bool,
}

impl GpioOutputs {
    /// Claims the pins, every output off. Fails off a Pi, without permission, or on a pin in use.
    pub fn open(wiring: &Wiring) -> Result<GpioOutputs, GpioError> {
        let gpio = Gpio::new().map_err(GpioError::Open)?;
        let lamps = match wiring.leds {
            LedWiring::Traffic { green, amber, red, active_low } => Lamps::Traffic {
                green: Line::open(&gpio, green, active_low, "green LED")?,
                amber: Line::open(&gpio, amber, active_low, "amber LED")?,
                red: Line::open(&gpio, red, active_low, "red LED")?,
            },
            LedWiring::Rgb { red, green, blue, active_low } => Lamps::Rgb {
                red: Line::open(&gpio, red, active_low, "RGB LED's red")?,
                green: Line::open(&gpio, green, active_low, "RGB LED's green")?,
                blue: Line::open(&gpio, blue, active_low, "RGB LED's blue")?,
            },
        };
        let buzzer = match wiring.buzzer {
            BuzzerWiring::None => None,
            BuzzerWiring::Active { pin, active_low } => {
                Some(Buzzer { line: Line::open(&gpio, pin, active_low, "buzzer")?, tone_hz: None })
            }
            BuzzerWiring::Passive { pin, active_low, tone_hz } => {
                Some(Buzzer { line: Line::open(&gpio, pin, active_low, "buzzer")?, tone_hz: Some(tone_hz) })
            }
        };
        Ok(GpioOutputs { lamps, buzzer, lit: [false; 3], pwm_warned: false })
    }

    fn drive_lamps(&mut self) {
        let [green, amber, red] = self.lit;
        match &mut self.lamps {
            Lamps::Traffic { green: g, amber: a, red: r } => {
                g.set(green);
                a.set(amber);
                r.set(red);
            }
            Lamps::Rgb { red: r, green: g, blue: b } => {
                r.set(red || amber);
                g.set(green || amber);
                b.set(false);
            }
        }
    }
}

impl Outputs for GpioOutputs {
    fn name(&self) -> &'static str {
        "gpio"
    }

    fn set_led(&mut self, led: Led, on: bool) {
        let i = match led {
            Led::Green => 0,
            Led::Amber => 1,
            Led::Red => 2,
        };
        self.lit[i] = on;
        self.drive_lamps();
    }

    fn set_buzzer(&mut self, on: Option<Loudness>) {
        let Some(buzzer) = &mut self.buzzer else { return };
        match (buzzer.tone_hz, on) {
            (None, on) => buzzer.line.set(on.is_some()),
            (Some(hz), Some(loudness)) => {
                let duty = match loudness {
                    Loudness::Normal => PASSIVE_DUTY_NORMAL,
                    Loudness::Low => PASSIVE_DUTY_LOW,
                };
                // Software PWM drives the pin high for the duty part: invert for active-low.
                let duty = if buzzer.line.active_low { 1.0 - duty } else { duty };
                if let Err(e) = buzzer.line.pin.set_pwm_frequency(f64::from(hz), duty) {
                    if !self.pwm_warned {
                        self.pwm_warned = true;
                        tracing::warn!(error = %e, "indicators: the passive buzzer's tone cannot be started");
                    }
                }
            }
            (Some(_), None) => {
                let _ = buzzer.line.pin.clear_pwm();
                buzzer.line.set(false);
            }
        }
    }

    fn all_off(&mut self) {
        self.lit = [false; 3];
        self.drive_lamps();
        if let Some(buzzer) = &mut self.buzzer {
            if buzzer.tone_hz.is_some() {
                let _ = buzzer.line.pin.clear_pwm();
            }
            buzzer.line.set(false);
        }
    }
}

impl Drop for GpioOutputs {
    fn drop(&mut self) {
        self.all_off();
    }
}
