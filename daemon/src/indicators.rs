//! The status LEDs and buzzer as `[indicators]` describes them, and
//! `myna-kiosk indicators test`.
//!
//! [`build`] never fails: GPIO that cannot be opened (not a Pi, no permission) logs one warning
//! and leaves the kiosk checking patients in without indicators, reported degraded in health.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use myna_indicator::gpio::GpioOutputs;
use myna_indicator::mock::{Event, MockOutputs, MockRecord, What};
use myna_indicator::pattern::pattern;
use myna_indicator::{Indicator, NoIndicator, OffSwitch, Outputs, Player, PlayerOptions, Signal};

use crate::config::{Config, IndicatorBackend, IndicatorsConfig, DEFAULT_PATH};
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

fn start<O: Outputs + 'static>(outputs: O, options: PlayerOptions) -> Box<dyn Indicator> {
    match Player::start(outputs, options) {
        Ok(player) => Box::new(player),
        Err(e) => {
            tracing::warn!(error = %e, "indicators: cannot start the pattern thread");
            Box::new(NoIndicator::degraded(format!("cannot start the pattern thread: {e}")))
        }
    }
}

/// `myna-kiosk indicators …`
#[derive(clap::Subcommand)]
pub enum IndicatorsCommand {
    /// Walk every signal in order (its name printed first), then switch everything off.
    Test {
        /// The mock backend: print the pin-level timeline of every signal.
        #[arg(long)]
        mock: bool,
        /// The configuration file (default /etc/myna-kiosk/config.toml; with --mock only if given).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Seconds each signal plays (fractions allowed).
        #[arg(long, default_value_t = 3.0, value_parser = parse_seconds)]
        seconds: f64,
    },
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!("{s:?}: seconds, more than 0 and at most 3600 (e.g. 3 or 0.5)")),
    }
}

/// Runs an `indicators` subcommand.
pub fn main(command: IndicatorsCommand) -> ExitCode {
    let IndicatorsCommand::Test { mock, config, seconds } = command;
    let config = match (&config, mock) {
        (Some(path), _) => Config::load(path),
        (None, true) => Ok(Config::default()),
        (None, false) => Config::load(std::path::Path::new(DEFAULT_PATH)),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(false, &config.log.level);
    let mut stdout = std::io::stdout().lock();
    match walk(&config.indicators, mock, Duration::from_secs_f64(seconds), &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("indicators test: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Shows every signal in [`Signal::ALL`] order for `hold` each, printing its name (and what it
/// should look and sound like) before it plays, then switches everything off. With the mock
/// backend (`mock`, or `backend = "mock"`), prints the pin-level timeline of each signal.
/// Unlike [`build`], GPIO that cannot be opened is an error here: the test is for the pins.
pub fn walk(cfg: &IndicatorsConfig, mock: bool, hold: Duration, out: &mut dyn Write) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let policy = cfg.volume_policy();
    let volume = policy.at(chrono::Local::now().time());
    let mock = mock || cfg.backend == IndicatorBackend::Mock;
    let mut indicators = if mock {
        build_with(cfg, true, PlayerOptions::new(policy))
    } else {
        match cfg.backend {
            IndicatorBackend::None => {
                return Err("[indicators] backend = \"none\": there is nothing to test (try --mock)".into())
            }
            _ => {
                let outputs = GpioOutputs::open(&cfg.wiring()).map_err(|e| format!("{e} (try --mock)"))?;
                let player = Player::start(outputs, PlayerOptions::new(policy)).map_err(io)?;
                Indicators { inner: Box::new(player), mock: None }
            }
        }
    };
    let backend = if mock { "mock" } else { "gpio" };
    writeln!(
        out,
        "indicators test on {backend}: buzzer volume now {}, {} s per signal",
        volume.name(),
        hold.as_secs_f64()
    )
    .map_err(io)?;
    let record = indicators.mock_record();
    for signal in Signal::ALL {
        let p = pattern(signal);
        writeln!(out, "{signal}: {}; {}", p.looks, p.sounds).map_err(io)?;
        out.flush().map_err(io)?;
        let seen = record.as_ref().map_or(0, |r| r.events().len());
        indicators.show(signal);
        std::thread::sleep(hold);
        // Dark between signals: each starts from nothing, on the pins and in the timeline.
        indicators.off();
        if let Some(record) = &record {
            print_timeline(out, &record.events()[seen..], signal).map_err(io)?;
        }
    }
    writeln!(out, "all off").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(())
}

/// The events from `signal`'s start up to the switch-off after it, timed from its start.
fn print_timeline(out: &mut dyn Write, events: &[Event], signal: Signal) -> std::io::Result<()> {
    let Some(start) = events.iter().position(|e| e.what == What::Signal(signal)) else { return Ok(()) };
    let origin = events[start].at;
    for e in events[start + 1..].iter().take_while(|e| e.what != What::AllOff) {
        writeln!(out, "  {}", e.line_from(origin))?;
    }
    Ok(())
}
