//! The Raspberry Pi's GPIO pins (rppal): three LEDs or one RGB LED, and an active or passive
//! buzzer. Pin numbers are BCM numbers.
//!
//! The lamp and buzzer logic takes any [`Pin`], so it is tested off a Pi with fake pins
//! ([`GpioOutputs::from_pins`]).
//!
//! Off a Pi, [`GpioOutputs::open`] fails (`Unknown Raspberry Pi model`): the caller carries on
//! without indicators and reports them degraded.

mod outputs;
mod pin;

use rppal::gpio::{Gpio, OutputPin};

pub use outputs::GpioOutputs;
use outputs::Line;
pub use pin::Pin;

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

impl GpioOutputs<OutputPin> {
    /// Claims the pins, every output off. Fails off a Pi, without permission, or on a pin in use.
    pub fn open(wiring: &Wiring) -> Result<GpioOutputs, GpioError> {
        let gpio = Gpio::new().map_err(GpioError::Open)?;
        GpioOutputs::build(wiring, |pin, active_low, what| open_line(&gpio, pin, active_low, what))
    }
}

fn open_line(gpio: &Gpio, pin: u8, active_low: bool, what: &'static str) -> Result<Line<OutputPin>, GpioError> {
    let p = gpio.get(pin).map_err(|source| GpioError::Pin { pin, what, source })?;
    // Starts off, whatever the polarity.
    let mut pin = if active_low { p.into_output_high() } else { p.into_output_low() };
    // An active-low pin released to an input would float and glow: keep driving "off".
    pin.set_reset_on_drop(!active_low);
    Ok(Line { pin, active_low })
}
