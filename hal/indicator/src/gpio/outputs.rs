//! The lamps and buzzer over any [`Pin`]: which pin lights for which LED, RGB mixing, polarity,
//! and the passive buzzer's tone.

use std::convert::Infallible;

use rppal::gpio::OutputPin;

use super::{BuzzerWiring, LedWiring, Pin, Wiring, PASSIVE_DUTY_LOW, PASSIVE_DUTY_NORMAL};
use crate::{Led, Loudness, Outputs};

/// One output pin and its polarity.
#[derive(Debug)]
pub(super) struct Line<P> {
    pub(super) pin: P,
    pub(super) active_low: bool,
}

impl<P: Pin> Line<P> {
    fn set(&mut self, on: bool) {
        if on != self.active_low {
            self.pin.set_high();
        } else {
            self.pin.set_low();
        }
    }
}

#[derive(Debug)]
enum Lamps<P> {
    Traffic { green: Line<P>, amber: Line<P>, red: Line<P> },
    Rgb { red: Line<P>, green: Line<P>, blue: Line<P> },
}

#[derive(Debug)]
struct Buzzer<P> {
    line: Line<P>,
    /// A passive buzzer's tone.
    tone_hz: Option<u32>,
}

/// The LEDs and buzzer on the Pi's GPIO pins ([`GpioOutputs::open`]), or on any other [`Pin`]s
/// ([`GpioOutputs::from_pins`]).
#[derive(Debug)]
pub struct GpioOutputs<P: Pin = OutputPin> {
    lamps: Lamps<P>,
    buzzer: Option<Buzzer<P>>,
    /// Logical LEDs lit (green, amber, red): an RGB LED mixes them.
    lit: [bool; 3],
    pwm_warned: bool,
}

impl<P: Pin> GpioOutputs<P> {
    /// Outputs on the pins `pin` makes from each pin number in `wiring`, every one driven off at
    /// once. For tests, with pins that record their levels; on a Pi use [`GpioOutputs::open`].
    pub fn from_pins(wiring: &Wiring, mut pin: impl FnMut(u8) -> P) -> Self {
        let built = Self::build(wiring, |number, active_low, _what| {
            let mut line = Line { pin: pin(number), active_low };
            line.set(false);
            Ok::<_, Infallible>(line)
        });
        match built {
            Ok(outputs) => outputs,
            Err(never) => match never {},
        }
    }

    /// Makes the lines in `wiring`'s order (which is the order `open` claims the pins in).
    pub(super) fn build<E>(
        wiring: &Wiring,
        mut line: impl FnMut(u8, bool, &'static str) -> Result<Line<P>, E>,
    ) -> Result<Self, E> {
        let lamps = match wiring.leds {
            LedWiring::Traffic { green, amber, red, active_low } => Lamps::Traffic {
                green: line(green, active_low, "green LED")?,
                amber: line(amber, active_low, "amber LED")?,
                red: line(red, active_low, "red LED")?,
            },
            LedWiring::Rgb { red, green, blue, active_low } => Lamps::Rgb {
                red: line(red, active_low, "RGB LED's red")?,
                green: line(green, active_low, "RGB LED's green")?,
                blue: line(blue, active_low, "RGB LED's blue")?,
            },
        };
        let buzzer = match wiring.buzzer {
            BuzzerWiring::None => None,
            BuzzerWiring::Active { pin, active_low } => {
                Some(Buzzer { line: line(pin, active_low, "buzzer")?, tone_hz: None })
            }
            BuzzerWiring::Passive { pin, active_low, tone_hz } => {
                Some(Buzzer { line: line(pin, active_low, "buzzer")?, tone_hz: Some(tone_hz) })
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

impl<P: Pin> Outputs for GpioOutputs<P> {
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

impl<P: Pin> Drop for GpioOutputs<P> {
    fn drop(&mut self) {
        self.all_off();
    }
}
