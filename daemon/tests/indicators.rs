//! What a patient sees and hears through the real driver: each outcome's signal sequence on the
//! mock indicators, with the virtual card and the automated patient. Building the indicators
//! from the configuration (mock, none, GPIO off a Pi → degraded), switching them off on
//! shutdown, and `myna-kiosk indicators test`.

mod support;

use std::process::Command;
use std::time::Duration;

use myna_api::proto::{Method, Outcome};
use myna_indicator::mock::{Event, MockRecord, What};
use myna_indicator::{Led, Signal};
use myna_kiosk::config::{Config, IndicatorBackend};
use myna_kiosk::driver::DriverHandle;
use myna_kiosk::indicators::{self, Indicators};
use myna_kiosk::journal::Journal;
use myna_kiosk::mock::autopilot::{self, Preference};
use myna_kiosk::mock::reader::MockReader;
use myna_kiosk::recorder::Recorder;
use myna_virtual_card::{Profile, VirtualCard};
use support::driver::mock_driver;

/// Generous: only a broken driver or player waits this long.
const WAIT: Duration = Duration::from_secs(30);

fn mock_indicators() -> (Indicators, MockRecord) {
    let indicators = indicators::build(&Config::default().indicators, true);
    let record = indicators.mock_record().expect("--mock records");
    assert_eq!(indicators.health(), "ok (mock)");
    (indicators, record)
}

fn start(indicators: Indicators) -> (DriverHandle, MockReader, tokio::task::JoinHandle<()>) {
    let (driver, handle, reader) = mock_driver(Recorder::new(Journal::in_memory()), indicators);
    let task = tokio::spawn(driver.run());
    (handle, reader, task)
}

/// Waits on the record's change notification (on a blocking thread, so the driver on this
/// runtime goes on) until `record` holds at least `n` signals, for [`WAIT`] at most.
async fn signals_at_least(record: &MockRecord, n: usize) -> Vec<Signal> {
    let watched = record.clone();
    let signals = move |events: &[Event]| events.iter().filter(|e| matches!(e.what, What::Signal(_))).count();
    tokio::task::spawn_blocking(move || watched.wait_until(WAIT, |events| signals(events) >= n)).await.unwrap();
    record.signals()
}

/// A patient taps `profile`, prefers `method`, and takes the card away at the end.
async fn check_in(profile: Profile, method: Method, outcome: Outcome, expected: &[Signal]) -> MockRecord {
    let (indicators, record) = mock_indicators();
    let (handle, reader, _task) = start(indicators);
    let result = autopilot::tap_and_check_in(&handle, &reader, VirtualCard::new(profile), Preference(method), WAIT)
        .await
        .unwrap_or_else(|| panic!("{profile}: no result"));
    assert_eq!(result.outcome, outcome, "{profile}");
    let signals = signals_at_least(&record, expected.len()).await;
    assert_eq!(signals, expected, "{profile}");
    record
}

#[tokio::test]
async fn a_pin_check_in_shows_detected_waiting_working_success_then_idle() {
    use Signal::*;
    let record = check_in(
        Profile::Valid,
        Method::Pin,
        Outcome::Verified,
        // idle, tap, choose a method, enter the PIN, the card verifies and signs, consent,
        // checked in, card taken.
        &[Idle, CardDetected, WaitingForPatient, WaitingForPatient, Working, WaitingForPatient, Success, Idle],
    )
    .await;
    // While success showed, the patient saw green and heard its beep (the pins as they stood
    // when the next signal started; unchanged outputs are not written again).
    let events = record.events();
    let success = events.iter().position(|e| e.what == What::Signal(Success)).unwrap();
    let next = events[success..].iter().position(|e| e.what == What::Signal(Idle)).unwrap() + success;
    let (mut green, mut red, mut amber, mut buzzer) = (false, false, false, false);
    for e in &events[..next] {
        match e.what {
            What::Led(Led::Green, on) => green = on,
            What::Led(Led::Amber, on) => amber = on,
            What::Led(Led::Red, on) => red = on,
            What::Buzzer(b) => buzzer = b.is_some(),
            What::AllOff => (green, amber, red, buzzer) = (false, false, false, false),
            What::Signal(_) => {}
        }
    }
    assert!(green && !amber && !red && buzzer, "{:#?}", &events[..next]);
}

#[tokio::test]
async fn a_refused_card_shows_error() {
    use Signal::*;
    for profile in [Profile::Expired, Profile::NotJpki] {
        check_in(profile, Method::Pin, Outcome::Failed, &[Idle, CardDetected, Error, Idle]).await;
    }
}

#[tokio::test]
async fn the_last_try_card_shows_attention() {
    use Signal::*;
    check_in(
        Profile::PinLastTry,
        Method::Pin,
        Outcome::Verified,
        &[Idle, CardDetected, WaitingForPatient, Attention, Working, WaitingForPatient, Success, Idle],
    )
    .await;
}

#[tokio::test]
async fn a_locked_card_waits_for_staff() {
    use Signal::*;
    check_in(
        Profile::PinLocked,
        Method::Visual,
        Outcome::Verified,
        &[Idle, CardDetected, WaitingForPatient, WaitingForStaff, WaitingForPatient, Success, Idle],
    )
    .await;
}

#[tokio::test]
async fn shutdown_switches_every_output_off() {
    let (indicators, record) = mock_indicators();
    let off = indicators.off_switch();
    let (handle, reader, task) = start(indicators);
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    assert!(signals_at_least(&record, 3).await.len() >= 3, "{:?}", record.signals());
    // What run() does on SIGTERM: switch off, whatever the driver is doing.
    off.off();
    assert!(record.all_dark(), "{:#?}", record.events());
    // And when the driver stops, dropping the indicators leaves everything off too.
    drop(handle);
    drop(reader);
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
    assert!(record.all_dark());
    assert_eq!(record.events().last().map(|e| e.what), Some(What::AllOff));
}

#[test]
fn the_configuration_chooses_the_backend_and_missing_gpio_is_degraded() {
    let mut cfg = Config::default().indicators;
    cfg.backend = IndicatorBackend::None;
    let mut none = indicators::build(&cfg, false);
    assert_eq!(none.health(), "off");
    assert!(none.mock_record().is_none());
    myna_kiosk::driver::SignalSink::show(&mut none, Signal::Error);
    // --mock uses the mock whatever the file says.
    assert_eq!(indicators::build(&cfg, true).health(), "ok (mock)");
    cfg.backend = IndicatorBackend::Mock;
    assert_eq!(indicators::build(&cfg, false).health(), "ok (mock)");

    let is_pi = std::fs::read_to_string("/proc/device-tree/model").is_ok_and(|m| m.contains("Raspberry Pi"));
    if !is_pi {
        cfg.backend = IndicatorBackend::Gpio;
        let mut gpio = indicators::build(&cfg, false);
        assert!(gpio.is_degraded());
        assert!(gpio.health().starts_with("degraded: cannot open GPIO"), "{}", gpio.health());
        // The kiosk keeps working: signals go nowhere, nothing panics.
        for s in Signal::ALL {
            myna_kiosk::driver::SignalSink::show(&mut gpio, s);
        }
        gpio.off();
        gpio.off_switch().off();
    }
}

#[test]
fn indicators_test_mock_walks_every_signal_and_prints_the_timeline() {
    let out = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["indicators", "test", "--mock", "--seconds", "0.1"])
        .output()
        .expect("run myna-kiosk");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "exit {:?}: {stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let mut last = 0;
    for signal in Signal::ALL {
        let at = stdout
            .find(&format!("\n{}: ", signal.name()))
            .unwrap_or_else(|| panic!("{signal} not announced:\n{stdout}"));
        assert!(at > last, "{signal} out of order:\n{stdout}");
        last = at;
    }
    let block = |name: &str| -> Vec<&str> {
        stdout
            .lines()
            .skip_while(|l| !l.starts_with(&format!("{name}: ")))
            .skip(1)
            .take_while(|l| l.starts_with("  +"))
            .collect()
    };
    assert_eq!(block("idle").first(), Some(&"  +0.000s  green on"), "{stdout}");
    let error = block("error");
    assert!(error.contains(&"  +0.000s  red on"), "{stdout}");
    assert!(error.iter().any(|l| l.ends_with("buzzer on")), "{stdout}");
    let card = block("card detected");
    assert!(card.iter().any(|l| l.ends_with("amber on")), "{stdout}");
    assert!(card.iter().any(|l| l.ends_with("buzzer off")), "a short beep ends within 0.1 s:\n{stdout}");
    // Each signal starts from dark, so its block shows everything it switches on.
    assert_eq!(error[..2], ["  +0.000s  red on", "  +0.000s  buzzer on"], "{stdout}");
    let attention = block("attention");
    assert!(attention.contains(&"  +0.000s  red on") && attention.contains(&"  +0.000s  buzzer on"), "{stdout}");
    assert!(block("offline").iter().all(|l| !l.contains("buzzer")), "{stdout}");
    assert!(stdout.ends_with("\nall off\n"), "{stdout}");
}

#[test]
fn indicators_test_without_gpio_fails_clearly() {
    let is_pi = std::fs::read_to_string("/proc/device-tree/model").is_ok_and(|m| m.contains("Raspberry Pi"));
    if is_pi {
        return;
    }
    let dir = std::env::temp_dir().join(format!("myna-indicators-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "[indicators]\nbackend = \"gpio\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["indicators", "test", "--seconds", "0.1", "--config"])
        .arg(&config)
        .output()
        .expect("run myna-kiosk");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot open GPIO") && stderr.contains("--mock"), "{stderr}");
    let bad = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["indicators", "test", "--mock", "--seconds", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("more than 0"));
    let _ = std::fs::remove_dir_all(&dir);
}
