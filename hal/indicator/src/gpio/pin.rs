//! The one thing the lamps and buzzer need from a pin, so their mixing and polarity logic runs
//! (and is tested) off a Pi too, the way embedded-hal drivers take any `digital::OutputPin`.

use std::fmt;

use rppal::gpio::OutputPin;

/// An output pin: rppal's on a Pi, a recorder in tests.
///
/// `Send`: the player drives its outputs from its own thread.
pub trait Pin: Send {
    /// Why a tone cannot start, for the log.
    type Error: fmt::Display;

    fn set_high(&mut self);
    fn set_low(&mut self);
    /// Software PWM at `hz`, high for `duty` (0.0 to 1.0) of each period.
    fn set_pwm_frequency(&mut self, hz: f64, duty: f64) -> Result<(), Self::Error>;
    /// Stops the software PWM. The level it leaves is not defined: set one after.
    fn clear_pwm(&mut self) -> Result<(), Self::Error>;
}

impl Pin for OutputPin {
    type Error = rppal::gpio::Error;

    // Spelled out: a plain `self.set_high()` would read as recursion.
    fn set_high(&mut self) {
        OutputPin::set_high(self)
    }

    fn set_low(&mut self) {
        OutputPin::set_low(self)
    }

    fn set_pwm_frequency(&mut self, hz: f64, duty: f64) -> Result<(), Self::Error> {
        OutputPin::set_pwm_frequency(self, hz, duty)
    }

    fn clear_pwm(&mut self) -> Result<(), Self::Error> {
        OutputPin::clear_pwm(self)
    }
}
