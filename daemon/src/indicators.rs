//! The status LEDs and buzzer as `[indicators]` describes them (the CLI's `indicators test` is
//! in `cli/indicators.rs`).
//!
//! [`build`] never fails: GPIO that cannot be opened (not a Pi, no permission) logs one warning
//! and leaves the kiosk checking patients in without indicators, reported degraded in health.

use myna_indicator::gpio::{GpioOutputs, Pin};
use myna_indicator::mock::{MockOutputs, MockRecord};
use myna_indicator::{Indicator, NoIndicator, OffSwitch, Outputs, Player, PlayerOptions, Signal};

use crate::config::{IndicatorBackend, IndicatorsConfig};
use crate::driver::SignalSink;

/// The daemon's indicators: what the driver shows signals on.
pub struct Indicators {
    inner: Box<dyn Indicator>,
    mock: Option<MockRecord>,
}

impl Indicators {
    /// For `GET /v1/health`: `ok (gpio)`, `ok (mock)`, `degraded: <reason>` or `off`.
    pub fn health(&self) -> String {
        self.inner.health().to_string()
    }

    pub fn is_degraded(&self) -> bool {
        self.inner.health().is_degraded()
    }

    /// With the mock backend: what a patient would have seen and heard.
    pub fn mock_record(&self) -> Option<MockRecord> {
        self.mock.clone()
    }

    /// Switches every output off even after the indicators went to the driver (SIGTERM).
    pub fn off_switch(&self) -> OffSwitch {
        self.inner.off_switch()
    }

    /// Every output off; returns once they are.
    pub fn off(&mut self) {
        self.inner.off();
    }
}

impl SignalSink for Indicators {
    fn show(&mut self, signal: Signal) {
        self.inner.show(signal);
    }
}

/// Builds the indicators: with `mock` the mock backend whatever the configuration says,
/// otherwise the configured backend. Time of day (quiet hours) from the local clock.
pub fn build(cfg: &IndicatorsConfig, mock: bool) -> Indicators {
    build_with(cfg, mock, PlayerOptions::new(cfg.volume_policy()))
}

/// [`build`] with the player's options given (tests: a fixed time of day).
pub fn build_with(cfg: &IndicatorsConfig, mock: bool, options: PlayerOptions) -> Indicators {
    let backend = if mock { IndicatorBackend::Mock } else { cfg.backend };
    match backend {
        IndicatorBackend::None => Indicators { inner: Box::new(NoIndicator::off()), mock: None },
        IndicatorBackend::Mock => {
            let outputs = MockOutputs::new();
            let record = outputs.record();
            Indicators { inner: start(outputs, options), mock: Some(record) }
        }
        IndicatorBackend::Gpio => match GpioOutputs::open(&cfg.wiring()) {
            Ok(outputs) => Indicators { inner: start(outputs, options), mock: None },
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "indicators: no status LEDs or buzzer (GPIO unavailable); the kiosk keeps checking patients in"
                );
                Indicators { inner: Box::new(NoIndicator::degraded(e.to_string())), mock: None }
            }
        },
    }
}

/// GPIO outputs that must work (the CLI's pin test): a player thread that cannot start is an error.
pub fn on_gpio<P: Pin + 'static>(outputs: GpioOutputs<P>, options: PlayerOptions) -> std::io::Result<Indicators> {
    Ok(Indicators { inner: Box::new(Player::start(outputs, options)?), mock: None })
}

fn start<O: Outputs + 'static>(outputs: O, options: PlayerOptions) -> Box<dyn Indicator> {
    match Player::start(outputs, options) {
        Ok(player) => Box::new(player),
        Err(e) => {
            tracing::warn!(error = %e, "indicators: cannot start the pattern thread");
            Box::new(NoIndicator::degraded(format!("cannot start the pattern thread: {e}")))
        }
    }
}
