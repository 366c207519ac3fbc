//! `myna-kiosk indicators test`: walks every signal on the configured LEDs and buzzer (or the
//! mock backend, printing the pin-level timeline).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use myna_indicator::gpio::GpioOutputs;
use myna_indicator::mock::{Event, What};
use myna_indicator::pattern::pattern;
use myna_indicator::{PlayerOptions, Signal};

use crate::config::{IndicatorBackend, IndicatorsConfig};
use crate::driver::SignalSink;
use crate::indicators::{self, build_with};

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
        /// Test seam (bench builds): GPIO logic with a passive buzzer on pins whose soft PWM
        /// makes rppal's system calls, for the syscall audit off a Pi.
        #[cfg(feature = "mock")]
        #[arg(long, hide = true, conflicts_with = "mock")]
        soft_pwm_probe: bool,
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
    #[cfg(feature = "mock")]
    let IndicatorsCommand::Test { mock, config, seconds, soft_pwm_probe } = command;
    #[cfg(not(feature = "mock"))]
    let (IndicatorsCommand::Test { mock, config, seconds }, soft_pwm_probe) = (command, false);
    let config = match crate::config::load_for(config.as_deref(), mock) {
        Ok((c, _)) => c,
        Err(e) => {
            eprintln!("{e}");
            return crate::platform::exit::config();
        }
    };
    crate::platform::logging::init(false, &config.log.level);
    let mut stdout = std::io::stdout().lock();
    let hold = Duration::from_secs_f64(seconds);
    let walked = if soft_pwm_probe {
        walk_probe(&config.indicators, hold, &mut stdout)
    } else {
        walk(&config.indicators, mock, hold, &mut stdout)
    };
    match walked {
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
    let indicators = if mock {
        build_with(cfg, true, PlayerOptions::new(policy))
    } else {
        match cfg.backend {
            IndicatorBackend::None => {
                return Err("[indicators] backend = \"none\": there is nothing to test (try --mock)".into())
            }
            _ => {
                let outputs = GpioOutputs::open(&cfg.wiring()).map_err(|e| format!("{e} (try --mock)"))?;
                indicators::on_gpio(outputs, PlayerOptions::new(policy)).map_err(io)?
            }
        }
    };
    let backend = if mock { "mock" } else { "gpio" };
    play_all(indicators, backend, volume.name(), hold, out)
}

/// The walk on the GPIO logic with a passive buzzer (the configured pin and tone, else
/// hardware.md's) whose pins run [`crate::cli::soft_pwm_probe`]'s rppal-like soft PWM.
#[cfg(feature = "mock")]
fn walk_probe(cfg: &IndicatorsConfig, hold: Duration, out: &mut dyn Write) -> Result<(), String> {
    use myna_indicator::gpio::BuzzerWiring;
    let policy = cfg.volume_policy();
    let volume = policy.at(chrono::Local::now().time());
    let mut wiring = cfg.wiring();
    wiring.buzzer = match wiring.buzzer {
        BuzzerWiring::Passive { .. } => wiring.buzzer,
        BuzzerWiring::Active { pin, active_low } => BuzzerWiring::Passive { pin, active_low, tone_hz: 2000 },
        BuzzerWiring::None => BuzzerWiring::Passive { pin: 18, active_low: false, tone_hz: 2000 },
    };
    let outputs = GpioOutputs::from_pins(&wiring, |_| crate::cli::soft_pwm_probe::SoftPwmProbePin::default());
    let indicators = indicators::on_gpio(outputs, PlayerOptions::new(policy)).map_err(|e| e.to_string())?;
    play_all(indicators, "gpio (soft PWM probe)", volume.name(), hold, out)
}

#[cfg(not(feature = "mock"))]
fn walk_probe(_: &IndicatorsConfig, _: Duration, _: &mut dyn Write) -> Result<(), String> {
    unreachable!("the flag exists in bench builds only")
}

fn play_all(
    mut indicators: indicators::Indicators,
    backend: &str,
    volume: &str,
    hold: Duration,
    out: &mut dyn Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    writeln!(out, "indicators test on {backend}: buzzer volume now {volume}, {} s per signal", hold.as_secs_f64())
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
