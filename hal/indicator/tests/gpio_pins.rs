//! The GPIO lamp and buzzer logic on fake pins that record every level: which pin lights for
//! which LED, active-low polarity, RGB mixing, and the active and passive buzzers. (On a Pi the
//! same code drives rppal's pins; off a Pi it otherwise never runs.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use myna_indicator::gpio::{BuzzerWiring, GpioOutputs, LedWiring, Pin, Wiring, PASSIVE_DUTY_LOW, PASSIVE_DUTY_NORMAL};
use myna_indicator::{Led, Loudness, Outputs};

/// What a pin was told, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Level {
    High,
    Low,
    Pwm { hz: f64, duty: f64 },
    ClearPwm,
}
use Level::{ClearPwm, High, Low, Pwm};

/// Every pin's history, by pin number.
#[derive(Debug, Clone, Default)]
struct Board(Arc<Mutex<BTreeMap<u8, Vec<Level>>>>);

impl Board {
    fn outputs(&self, wiring: Wiring) -> GpioOutputs<FakePin> {
        GpioOutputs::from_pins(&wiring, |number| {
            let old = self.0.lock().unwrap().insert(number, Vec::new());
            assert!(old.is_none(), "pin {number} made twice");
            FakePin { number, board: self.clone() }
        })
    }

    fn history(&self, pin: u8) -> Vec<Level> {
        self.0.lock().unwrap().get(&pin).cloned().unwrap_or_else(|| panic!("pin {pin} never made"))
    }

    /// The last thing `pin` was told.
    fn last(&self, pin: u8) -> Level {
        *self.history(pin).last().unwrap_or_else(|| panic!("pin {pin} never driven"))
    }

    /// The last level of each pin.
    fn levels<const N: usize>(&self, pins: [u8; N]) -> [Level; N] {
        pins.map(|p| self.last(p))
    }

    fn pins(&self) -> BTreeSet<u8> {
        self.0.lock().unwrap().keys().copied().collect()
    }
}

#[derive(Debug)]
struct FakePin {
    number: u8,
    board: Board,
}

impl FakePin {
    fn push(&self, level: Level) {
        self.board.0.lock().unwrap().get_mut(&self.number).unwrap().push(level);
    }
}

impl Pin for FakePin {
    type Error = String;

    fn set_high(&mut self) {
        self.push(High);
    }
    fn set_low(&mut self) {
        self.push(Low);
    }
    fn set_pwm_frequency(&mut self, hz: f64, duty: f64) -> Result<(), String> {
        self.push(Pwm { hz, duty });
        Ok(())
    }
    fn clear_pwm(&mut self) -> Result<(), String> {
        self.push(ClearPwm);
        Ok(())
    }
}

const GREEN: u8 = 17;
const AMBER: u8 = 27;
const RED: u8 = 22;

fn traffic(active_low: bool, buzzer: BuzzerWiring) -> Wiring {
    Wiring { leds: LedWiring::Traffic { green: GREEN, amber: AMBER, red: RED, active_low }, buzzer }
}

#[test]
fn traffic_wiring_lights_the_pin_of_each_led() {
    let board = Board::default();
    let mut outputs = board.outputs(traffic(false, BuzzerWiring::None));
    assert_eq!(board.pins(), BTreeSet::from([GREEN, AMBER, RED]), "no buzzer pin");
    assert_eq!(board.levels([GREEN, AMBER, RED]), [Low, Low, Low], "every LED starts off");

    for (led, want) in [(Led::Green, [High, Low, Low]), (Led::Amber, [Low, High, Low]), (Led::Red, [Low, Low, High])] {
        outputs.set_led(led, true);
        assert_eq!(board.levels([GREEN, AMBER, RED]), want, "{} on", led.name());
        outputs.set_led(led, false);
        assert_eq!(board.levels([GREEN, AMBER, RED]), [Low, Low, Low], "{} off", led.name());
    }

    outputs.set_led(Led::Green, true);
    outputs.set_led(Led::Red, true);
    assert_eq!(board.levels([GREEN, AMBER, RED]), [High, Low, High], "two LEDs at once");
    outputs.set_buzzer(Some(Loudness::Normal));
    assert_eq!(board.levels([GREEN, AMBER, RED]), [High, Low, High], "no buzzer: nothing else moves");
    outputs.all_off();
    assert_eq!(board.levels([GREEN, AMBER, RED]), [Low, Low, Low]);
}

#[test]
fn active_low_inverts_every_level_and_starts_high() {
    let board = Board::default();
    let mut outputs = board.outputs(traffic(true, BuzzerWiring::Active { pin: 18, active_low: true }));
    for pin in [GREEN, AMBER, RED, 18] {
        assert_eq!(board.history(pin), vec![High], "pin {pin} starts off, which is high");
    }

    outputs.set_led(Led::Amber, true);
    assert_eq!(board.levels([GREEN, AMBER, RED]), [High, Low, High]);
    outputs.set_buzzer(Some(Loudness::Normal));
    assert_eq!(board.last(18), Low, "buzzer on");
    outputs.set_led(Led::Amber, false);
    outputs.set_buzzer(None);
    assert_eq!(board.levels([GREEN, AMBER, RED, 18]), [High, High, High, High]);
}

#[test]
fn rgb_mixes_amber_from_red_and_green_and_keeps_blue_off() {
    const R: u8 = 5;
    const G: u8 = 6;
    const B: u8 = 13;
    for active_low in [false, true] {
        let (on, off) = if active_low { (Low, High) } else { (High, Low) };
        let board = Board::default();
        let wiring =
            Wiring { leds: LedWiring::Rgb { red: R, green: G, blue: B, active_low }, buzzer: BuzzerWiring::None };
        let mut outputs = board.outputs(wiring);
        assert_eq!(board.levels([R, G, B]), [off, off, off], "starts off (active_low {active_low})");

        outputs.set_led(Led::Amber, true);
        assert_eq!(board.levels([R, G, B]), [on, on, off], "amber (active_low {active_low})");
        outputs.set_led(Led::Red, true);
        outputs.set_led(Led::Amber, false);
        assert_eq!(board.levels([R, G, B]), [on, off, off], "red (active_low {active_low})");
        outputs.set_led(Led::Red, false);
        outputs.set_led(Led::Green, true);
        assert_eq!(board.levels([R, G, B]), [off, on, off], "green (active_low {active_low})");
        // Amber going off must not put out green, which is lit on its own.
        outputs.set_led(Led::Amber, true);
        outputs.set_led(Led::Amber, false);
        assert_eq!(board.levels([R, G, B]), [off, on, off], "green after amber (active_low {active_low})");
        drop(outputs);
        assert_eq!(board.levels([R, G, B]), [off, off, off], "dropped (active_low {active_low})");

        let blue = board.history(B);
        assert!(blue.len() > 1, "blue is driven with the others");
        assert!(blue.iter().all(|l| *l == off), "blue lit: {blue:?}");
    }
}

#[test]
fn an_active_buzzer_switches_its_pin_whatever_the_loudness() {
    let board = Board::default();
    let mut outputs = board.outputs(traffic(false, BuzzerWiring::Active { pin: 18, active_low: false }));
    assert_eq!(board.history(18), vec![Low]);
    outputs.set_buzzer(Some(Loudness::Normal));
    assert_eq!(board.last(18), High);
    outputs.set_buzzer(None);
    assert_eq!(board.last(18), Low);
    outputs.set_buzzer(Some(Loudness::Low));
    assert_eq!(board.last(18), High);
    outputs.all_off();
    assert_eq!(board.last(18), Low);
    assert!(board.history(18).iter().all(|l| matches!(l, High | Low)), "no PWM on an active buzzer");
}

#[test]
fn a_passive_buzzer_plays_its_tone_with_the_duty_of_the_loudness() {
    let board = Board::default();
    let buzzer = BuzzerWiring::Passive { pin: 12, active_low: false, tone_hz: 2700 };
    let mut outputs = board.outputs(traffic(false, buzzer));
    assert_eq!(board.history(12), vec![Low]);

    outputs.set_buzzer(Some(Loudness::Normal));
    assert_eq!(board.last(12), Pwm { hz: 2700.0, duty: PASSIVE_DUTY_NORMAL });
    outputs.set_buzzer(Some(Loudness::Low));
    assert_eq!(board.last(12), Pwm { hz: 2700.0, duty: PASSIVE_DUTY_LOW });
    outputs.set_buzzer(None);
    assert_eq!(board.history(12)[3..], [ClearPwm, Low], "silence stops the tone, then drives off");

    outputs.set_buzzer(Some(Loudness::Normal));
    drop(outputs);
    assert_eq!(board.history(12)[5..], [Pwm { hz: 2700.0, duty: PASSIVE_DUTY_NORMAL }, ClearPwm, Low], "drop silences");
}

#[test]
fn an_active_low_passive_buzzer_gets_the_inverted_duty() {
    let board = Board::default();
    let buzzer = BuzzerWiring::Passive { pin: 12, active_low: true, tone_hz: 4000 };
    let mut outputs = board.outputs(traffic(false, buzzer));
    assert_eq!(board.history(12), vec![High]);

    outputs.set_buzzer(Some(Loudness::Normal));
    assert_eq!(board.last(12), Pwm { hz: 4000.0, duty: 1.0 - PASSIVE_DUTY_NORMAL });
    outputs.set_buzzer(Some(Loudness::Low));
    assert_eq!(board.last(12), Pwm { hz: 4000.0, duty: 1.0 - PASSIVE_DUTY_LOW });
    outputs.set_buzzer(None);
    assert_eq!(board.history(12)[3..], [ClearPwm, High]);
}
