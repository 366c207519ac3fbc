//! The status LEDs and buzzer: the pattern table is what hardware.md promises, every signal looks
//! (and every beeping signal sounds) different, the player plays the table on its own thread,
//! a new signal replaces the old at once, and every output goes off on drop, on `off()` and when
//! the pattern thread panics. Volume, quiet hours, and GPIO off a Pi.
//!
//! Nothing here asserts an upper bound on time (a loaded machine may be slow): the recorded
//! timeline is checked for order, and for offsets never *earlier* than the table says.

use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveTime;
use myna_indicator::gpio::{GpioOutputs, Wiring};
use myna_indicator::mock::{Event, MockOutputs, MockRecord, What};
use myna_indicator::pattern::{
    beeps_at, pattern, Lights, Repeat, Step, LONG_BEEP_MS, LOW_VOLUME_MAX_BEEP_MS, PATTERNS, SHORT_BEEP_MS,
};
use myna_indicator::{
    Indicator, IndicatorHealth, Led, Loudness, Outputs, Player, PlayerOptions, QuietHours, Signal, Volume, VolumePolicy,
};

/// Generous: only a broken player waits this long.
const WAIT: Duration = Duration::from_secs(20);

fn player_with(volume: VolumePolicy, time: &str) -> (Player, MockRecord) {
    let outputs = MockOutputs::new();
    let record = outputs.record();
    let player = Player::start(outputs, PlayerOptions::at_fixed_time(volume, hm(time))).unwrap();
    (player, record)
}

fn player() -> (Player, MockRecord) {
    player_with(VolumePolicy::default(), "10:00")
}

fn hm(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}

/// The events after the last start of `signal`.
fn after_start(events: &[Event], signal: Signal) -> (Duration, Vec<Event>) {
    let i = events.iter().rposition(|e| e.what == What::Signal(signal)).expect("signal started");
    (events[i].at, events[i + 1..].to_vec())
}

fn wait(record: &MockRecord, what: &str, pred: impl Fn(&[Event]) -> bool) {
    assert!(record.wait_until(WAIT, pred), "{what}: not seen in {WAIT:?}; recorded: {:#?}", record.events());
}

// ---- the table -------------------------------------------------------------------------

/// The beeps as (on ms, gap after ms) pairs.
fn beeps(signal: Signal) -> Vec<u32> {
    pattern(signal).beeps.steps.iter().filter(|s| s.state).map(|s| s.ms).collect()
}

fn only(signal: Signal, led: Led) -> bool {
    pattern(signal).leds.steps.iter().all(|s| s.state.lit().iter().all(|l| *l == led))
}

fn steady(signal: Signal) -> bool {
    let steps = pattern(signal).leds.steps;
    let first = steps[0].state;
    first != Lights::DARK && steps.iter().all(|s| s.state == first)
}

/// A blink: lit for the first step, dark for the rest of the cycle.
fn blink(signal: Signal) -> (u32, u32) {
    let leds = pattern(signal).leds;
    assert_eq!(leds.steps.len(), 2, "{signal}");
    assert_ne!(leds.steps[0].state, Lights::DARK, "{signal}");
    assert_eq!(leds.steps[1].state, Lights::DARK, "{signal}");
    (leds.steps[0].ms, leds.length_ms())
}

#[test]
fn the_table_is_the_one_in_hardware_md() {
    use Signal::*;
    assert_eq!(PATTERNS.map(|p| p.signal), Signal::ALL, "one entry per signal, in order");
    for p in &PATTERNS {
        assert_eq!(p.leds.repeat, Repeat::Forever, "{}: LEDs show for as long as the signal", p.signal);
        assert_eq!(p.beeps.repeat, Repeat::Once, "{}: beeps play once", p.signal);
        assert!(p.leds.steps.iter().all(|s| s.ms > 0), "{}", p.signal);
        assert!(p.beeps.steps.iter().all(|s| s.ms > 0), "{}", p.signal);
    }
    let (short, long) = (SHORT_BEEP_MS, LONG_BEEP_MS);
    assert!(long >= 3 * short, "a long beep is clearly longer than a short one");

    // idle: green, a short blink every 3 s; silent.
    assert!(only(Idle, Led::Green));
    let (on, cycle) = blink(Idle);
    assert!(on <= 200 && cycle == 3000, "{on} {cycle}");
    assert!(beeps(Idle).is_empty());
    // card detected: amber steady; 1 short beep.
    assert!(only(CardDetected, Led::Amber) && steady(CardDetected));
    assert_eq!(beeps(CardDetected), [short]);
    // working: amber blinking 2 × per second; silent.
    assert!(only(Working, Led::Amber));
    assert_eq!(blink(Working), (250, 500));
    assert!(beeps(Working).is_empty());
    // waiting for the patient: green blinking once per second; 2 short beeps.
    assert!(only(WaitingForPatient, Led::Green));
    assert_eq!(blink(WaitingForPatient), (500, 1000));
    assert_eq!(beeps(WaitingForPatient), [short, short]);
    // waiting for staff: amber and red alternating; short + long beep.
    let staff: Vec<Lights> = pattern(WaitingForStaff).leds.steps.iter().map(|s| s.state).collect();
    assert_eq!(staff, [Lights::AMBER, Lights::RED]);
    assert_eq!(beeps(WaitingForStaff), [short, long]);
    // success: green steady; 1 long beep.
    assert!(only(Success, Led::Green) && steady(Success));
    assert_eq!(beeps(Success), [long]);
    // error: red steady; 3 long beeps.
    assert!(only(Error, Led::Red) && steady(Error));
    assert_eq!(beeps(Error), [long, long, long]);
    // attention: red blinking 4 × per second; 4 fast beeps.
    assert!(only(Attention, Led::Red));
    assert_eq!(blink(Attention), (125, 250));
    let fast = beeps(Attention);
    assert_eq!(fast.len(), 4);
    assert!(fast.iter().all(|ms| *ms < short), "{fast:?}");
    assert!(pattern(Attention).beeps.steps.iter().all(|s| s.ms < short), "fast: the gaps are short too");
    // offline: red, a short blink every 2 s; silent.
    assert!(only(Offline, Led::Red));
    let (on, cycle) = blink(Offline);
    assert!(on <= 200 && cycle == 2000, "{on} {cycle}");
    assert!(beeps(Offline).is_empty());

    // And hardware.md's table says the same words.
    let doc = include_str!("../../../hardware.md");
    for p in &PATTERNS {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", p.signal.name())))
            .unwrap_or_else(|| panic!("hardware.md has no row for {}", p.signal));
        assert!(row.ends_with(&format!("| {} | {} |", p.looks, p.sounds)), "{row}");
    }
}

#[test]
fn every_signal_looks_different_and_every_beeping_signal_sounds_different() {
    for (i, a) in PATTERNS.iter().enumerate() {
        for b in &PATTERNS[..i] {
            // Lights carry the LED's position, so this holds without telling colours apart.
            assert_ne!(a.leds.steps, b.leds.steps, "{} and {} look the same", a.signal, b.signal);
            if !a.beeps.steps.is_empty() && !b.beeps.steps.is_empty() {
                for volume in [Volume::Normal, Volume::Low] {
                    assert_ne!(
                        beeps_at(a.signal, volume),
                        beeps_at(b.signal, volume),
                        "{} and {} sound the same at {volume:?}",
                        a.signal,
                        b.signal
                    );
                }
            }
        }
    }
    // Only the background states are silent; everything a patient must notice beeps.
    let silent: Vec<Signal> = PATTERNS.iter().filter(|p| p.beeps.steps.is_empty()).map(|p| p.signal).collect();
    assert_eq!(silent, [Signal::Idle, Signal::Working, Signal::Offline]);
}

#[test]
fn low_volume_caps_every_beep_and_off_has_none() {
    for signal in Signal::ALL {
        let normal = beeps_at(signal, Volume::Normal);
        let low = beeps_at(signal, Volume::Low);
        assert_eq!(normal, pattern(signal).beeps.steps, "{signal}");
        assert!(beeps_at(signal, Volume::Off).is_empty(), "{signal}");
        let on = |v: &[Step<bool>]| v.iter().filter(|s| s.state).count();
        assert_eq!(on(&low), on(&normal), "{signal}: as many beeps at low volume");
        assert!(low.iter().filter(|s| s.state).all(|s| s.ms <= LOW_VOLUME_MAX_BEEP_MS), "{signal}: {low:?}");
        // The rhythm keeps its timing: every beep starts when it would at normal volume.
        let starts = |v: &[Step<bool>]| {
            let mut t = 0;
            let mut out = vec![];
            for s in v {
                if s.state {
                    out.push(t);
                }
                t += s.ms;
            }
            out
        };
        assert_eq!(starts(&low), starts(&normal), "{signal}");
    }
}

#[test]
fn quiet_hours_may_wrap_midnight() {
    let night = VolumePolicy {
        normal: Volume::Normal,
        quiet_hours: Some(QuietHours { from: hm("22:00"), to: hm("07:00"), volume: Volume::Off }),
    };
    for (time, volume) in [
        ("21:59", Volume::Normal),
        ("22:00", Volume::Off),
        ("23:59", Volume::Off),
        ("00:00", Volume::Off),
        ("03:00", Volume::Off),
        ("06:59", Volume::Off),
        ("07:00", Volume::Normal),
        ("12:00", Volume::Normal),
    ] {
        assert_eq!(night.at(hm(time)), volume, "{time}");
    }
    let lunch = VolumePolicy {
        normal: Volume::Normal,
        quiet_hours: Some(QuietHours { from: hm("12:30"), to: hm("14:00"), volume: Volume::Low }),
    };
    for (time, volume) in
        [("12:29", Volume::Normal), ("12:30", Volume::Low), ("13:59", Volume::Low), ("14:00", Volume::Normal)]
    {
        assert_eq!(lunch.at(hm(time)), volume, "{time}");
    }
    // Quiet hours never make the kiosk louder than its volume setting.
    let quiet_anyway = VolumePolicy { normal: Volume::Off, ..lunch };
    assert_eq!(quiet_anyway.at(hm("13:00")), Volume::Off);
}

// ---- the player ------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Led(Led, bool),
    Buzzer(bool),
}

/// Output changes with their time from the signal's start: nominal (ms) or recorded.
type Timeline<T> = Vec<(T, Change)>;

/// What the table says the outputs do from the signal's start: (nominal ms, change), LEDs and
/// buzzer apart. One LED cycle and the first change of the next; every beep.
fn expected(signal: Signal, volume: Volume) -> (Timeline<u32>, Timeline<u32>) {
    let leds = pattern(signal).leds.steps;
    let mut led_changes = vec![];
    let (mut lit, mut t) = (Lights::DARK, 0);
    for step in leds.iter().chain(std::iter::once(&leds[0])) {
        for led in Led::ALL {
            if lit.is_lit(led) && !step.state.is_lit(led) {
                led_changes.push((t, Change::Led(led, false)));
            }
        }
        for led in Led::ALL {
            if !lit.is_lit(led) && step.state.is_lit(led) {
                led_changes.push((t, Change::Led(led, true)));
            }
        }
        lit = step.state;
        t += step.ms;
    }
    let mut buzzer_changes = vec![];
    let (mut on, mut t) = (false, 0);
    for step in beeps_at(signal, volume).iter().chain(std::iter::once(&Step { state: false, ms: 0 })) {
        if step.state != on {
            buzzer_changes.push((t, Change::Buzzer(step.state)));
        }
        on = step.state;
        t += step.ms;
    }
    (led_changes, buzzer_changes)
}

/// The recorded changes after `signal` started: (offset, change), LEDs and buzzer apart.
fn recorded(events: &[Event], signal: Signal) -> (Timeline<Duration>, Timeline<Duration>, Vec<Loudness>) {
    let (start, after) = after_start(events, signal);
    let (mut leds, mut buzzer, mut loudness) = (vec![], vec![], vec![]);
    for e in after {
        let offset = e.at - start;
        match e.what {
            What::Led(led, on) => leds.push((offset, Change::Led(led, on))),
            What::Buzzer(b) => {
                buzzer.push((offset, Change::Buzzer(b.is_some())));
                loudness.extend(b);
            }
            What::Signal(_) | What::AllOff => break,
        }
    }
    (leds, buzzer, loudness)
}

fn check_plays_as_table(signal: Signal, volume: Volume) {
    let (mut player, record) = player_with(VolumePolicy { normal: volume, quiet_hours: None }, "10:00");
    player.show(signal);
    let (want_leds, want_buzzer) = expected(signal, volume);
    wait(&record, &format!("{signal}: one LED cycle and every beep"), |events| {
        if !events.iter().any(|e| e.what == What::Signal(signal)) {
            return false;
        }
        let (leds, buzzer, _) = recorded(events, signal);
        leds.len() >= want_leds.len() && buzzer.len() >= want_buzzer.len()
    });
    let (leds, buzzer, loudness) = recorded(&record.events(), signal);
    for (what, want, got) in [("LEDs", &want_leds, &leds), ("buzzer", &want_buzzer, &buzzer)] {
        let got_changes: Vec<Change> = got.iter().take(want.len()).map(|(_, c)| *c).collect();
        let want_changes: Vec<Change> = want.iter().map(|(_, c)| *c).collect();
        assert_eq!(got_changes, want_changes, "{signal} {what} at {volume:?}");
        for ((nominal, change), (offset, _)) in want.iter().zip(got.iter()) {
            assert!(
                *offset >= Duration::from_millis(u64::from(*nominal)),
                "{signal}: {change:?} at {offset:?}, before the table's {nominal} ms"
            );
        }
    }
    let want_loudness = volume.loudness();
    assert!(loudness.iter().all(|l| Some(*l) == want_loudness), "{signal}: {loudness:?} at {volume:?}");
    if signal == Signal::Attention && volume == Volume::Normal {
        assert_eq!(buzzer.iter().filter(|(_, c)| *c == Change::Buzzer(true)).count(), 4, "4 fast beeps");
    }
}

#[test]
fn each_signal_plays_as_its_table_entry() {
    // In parallel: idle's cycle alone is 3 s.
    std::thread::scope(|s| {
        for signal in Signal::ALL {
            s.spawn(move || check_plays_as_table(signal, Volume::Normal));
        }
    });
}

#[test]
fn error_is_red_steady_and_three_long_beeps_card_detected_one_short_beep() {
    let (mut player, record) = player();
    player.show(Signal::Error);
    wait(&record, "three beeps", |e| e.iter().filter(|e| e.what == What::Buzzer(None)).count() >= 3);
    let (_, after) = after_start(&record.events(), Signal::Error);
    let whats: Vec<What> = after.iter().map(|e| e.what).collect();
    let on = What::Buzzer(Some(Loudness::Normal));
    let off = What::Buzzer(None);
    assert_eq!(whats, [What::Led(Led::Red, true), on, off, on, off, on, off]);
    // Long beeps: each ends no earlier than the table says (400, 400 + 200 + 400, …).
    let (start, _) = after_start(&record.events(), Signal::Error);
    let long = u64::from(LONG_BEEP_MS);
    for (i, end) in after.iter().filter(|e| e.what == off).enumerate() {
        let nominal = Duration::from_millis((i as u64 + 1) * long + i as u64 * 200);
        assert!(end.at - start >= nominal, "beep {i} ended at {:?}", end.at - start);
    }

    player.show(Signal::CardDetected);
    wait(&record, "one beep", |e| {
        let i = e.iter().rposition(|e| e.what == What::Signal(Signal::CardDetected));
        i.is_some_and(|i| e[i..].iter().any(|e| e.what == What::Buzzer(None)))
    });
    let (_, after) = after_start(&record.events(), Signal::CardDetected);
    let whats: Vec<What> = after.iter().map(|e| e.what).collect();
    assert_eq!(whats, [What::Led(Led::Red, false), What::Led(Led::Amber, true), on, off]);
}

#[test]
fn a_new_signal_replaces_the_old_at_once() {
    let (mut player, record) = player();
    player.show(Signal::Error);
    wait(&record, "red and the first beep", |e| e.iter().any(|e| e.what == What::Buzzer(Some(Loudness::Normal))));
    player.show(Signal::Idle);
    wait(&record, "idle's first blink ends", |e| {
        let i = e.iter().rposition(|e| e.what == What::Signal(Signal::Idle));
        i.is_some_and(|i| e[i..].iter().any(|e| e.what == What::Led(Led::Green, false)))
    });
    let events = record.events();
    let (_, after) = after_start(&events, Signal::Idle);
    let switch = events.iter().rposition(|e| e.what == What::Signal(Signal::Idle)).unwrap();
    let position = |what: What| after.iter().position(|e| e.what == what);
    let blink_ends = position(What::Led(Led::Green, false)).unwrap();
    // Error's red (and its beep, if it still sounded) stop at once: before idle's pattern
    // takes its first step.
    assert!(position(What::Led(Led::Red, false)).is_some_and(|i| i < blink_ends), "{after:#?}");
    let sounding_at_switch = events[..switch]
        .iter()
        .rev()
        .find_map(|e| match e.what {
            What::Buzzer(b) => Some(b.is_some()),
            _ => None,
        })
        .unwrap_or(false);
    if sounding_at_switch {
        assert!(position(What::Buzzer(None)).is_some_and(|i| i < blink_ends), "{after:#?}");
    }
    // Error's other two beeps would have come by now (its beeps end at 1.6 s; idle's next
    // blink is at 3 s): none did.
    wait(&record, "idle's second blink", |e| {
        let i = e.iter().rposition(|e| e.what == What::Signal(Signal::Idle)).unwrap();
        e[i..].iter().filter(|e| e.what == What::Led(Led::Green, true)).count() >= 2
    });
    let (_, after) = after_start(&record.events(), Signal::Idle);
    assert_eq!(after.iter().filter(|e| e.what == What::Led(Led::Red, false)).count(), 1);
    assert!(after.iter().filter(|e| e.what == What::Buzzer(None)).count() <= 1);
    assert!(
        after
            .iter()
            .all(|e| matches!(e.what, What::Led(Led::Green, _) | What::Led(Led::Red, false) | What::Buzzer(None))),
        "only idle's green after the switch: {after:#?}"
    );
}

/// Outputs that block on every write until released: a stuck pin must never stall `show`.
struct Stuck {
    release: mpsc::Receiver<()>,
    inner: MockOutputs,
}

impl Outputs for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }
    fn set_led(&mut self, led: Led, on: bool) {
        let _ = self.release.recv();
        self.inner.set_led(led, on);
    }
    fn set_buzzer(&mut self, on: Option<Loudness>) {
        let _ = self.release.recv();
        self.inner.set_buzzer(on);
    }
    fn all_off(&mut self) {
        self.inner.all_off();
    }
    fn signal(&mut self, signal: Signal) {
        self.inner.signal(signal);
    }
}

#[test]
fn show_returns_at_once_even_while_the_outputs_are_stuck() {
    let (release, release_rx) = mpsc::channel();
    let inner = MockOutputs::new();
    let record = inner.record();
    let mut player = Player::start(Stuck { release: release_rx, inner }, PlayerOptions::default()).unwrap();
    player.show(Signal::Error);
    wait(&record, "the player is inside a write", |e| e.iter().any(|e| e.what == What::Signal(Signal::Error)));
    let (done_tx, done) = mpsc::channel();
    let shower = std::thread::spawn(move || {
        for signal in Signal::ALL.into_iter().cycle().take(100) {
            player.show(signal);
        }
        done_tx.send(()).unwrap();
        player
    });
    // The outputs are still stuck; every show already returned.
    assert!(done.recv_timeout(WAIT).is_ok(), "show() waited for the outputs");
    drop(release); // unstick every write
    let player = shower.join().unwrap();
    drop(player);
    assert!(record.all_dark());
}

#[test]
fn every_output_goes_off_when_the_player_is_dropped() {
    let (mut player, record) = player();
    player.show(Signal::Success);
    wait(&record, "green and the beep", |e| e.iter().any(|e| e.what == What::Buzzer(Some(Loudness::Normal))));
    assert!(record.is_lit(Led::Green));
    drop(player);
    // Drop waits for the thread: off by the time it returns.
    assert!(record.all_dark(), "{:#?}", record.events());
    assert_eq!(record.events().last().map(|e| e.what), Some(What::AllOff));
}

#[test]
fn off_switches_everything_off_before_it_returns_and_show_lights_again() {
    let (mut player, record) = player();
    let switch = player.off_switch();
    player.show(Signal::Error);
    wait(&record, "red and a beep", |e| e.iter().any(|e| e.what == What::Buzzer(Some(Loudness::Normal))));
    player.off();
    assert!(record.all_dark());
    // Nothing of the error pattern comes back on its own.
    let n = record.events().len();
    player.show(Signal::Working);
    wait(&record, "working blinks", |e| e[n..].iter().any(|e| e.what == What::Led(Led::Amber, true)));
    assert!(record.events()[n..].iter().all(|e| !matches!(e.what, What::Buzzer(Some(_)) | What::Led(Led::Red, true))));
    // The switch works from another thread while the player lives elsewhere (SIGTERM path).
    std::thread::spawn(move || switch.off()).join().unwrap();
    assert!(record.all_dark());
    assert_eq!(player.health(), IndicatorHealth::Ok("mock"));
}

#[test]
fn every_output_goes_off_when_the_pattern_thread_panics() {
    let (mut player, record) = player();
    player.show(Signal::Error);
    wait(&record, "red and a beep", |e| e.iter().any(|e| e.what == What::Buzzer(Some(Loudness::Normal))));
    assert!(record.is_lit(Led::Red) || record.buzzer().is_some());
    player.inject_panic_in_next_step();
    wait(&record, "everything off after the panic", |e| e.last().is_some_and(|e| e.what == What::AllOff));
    assert!(record.all_dark());
    // Health says so once the thread is gone; showing more is harmless and lights nothing.
    let deadline = std::time::Instant::now() + WAIT;
    while !player.health().is_degraded() {
        assert!(std::time::Instant::now() < deadline, "health never turned degraded");
        std::thread::sleep(Duration::from_millis(10));
    }
    let n = record.events().len();
    player.show(Signal::Success);
    player.off();
    drop(player);
    assert_eq!(record.events().len(), n, "nothing plays after the thread died");
    assert!(record.all_dark());
}

/// The beeps of an attention signal: once its four beeps (if any) have ended and its red LED has
/// blinked five times (past the 420 ms the beeps take), nothing more can come.
fn count_beeps(record: &MockRecord) -> usize {
    let beeps = |e: &[Event]| e.iter().filter(|e| matches!(e.what, What::Buzzer(Some(_)))).count();
    let ended = |e: &[Event]| e.iter().filter(|e| e.what == What::Buzzer(None)).count();
    wait(record, "five red blinks, and every beep that started has ended", |e| {
        e.iter().filter(|e| e.what == What::Led(Led::Red, true)).count() >= 5 && ended(e) == beeps(e)
    });
    beeps(&record.events())
}

#[test]
fn volume_off_plays_no_beep_and_low_plays_capped_beeps() {
    // Attention's red blinks 4 × per second: once the 5th blink has been recorded, every
    // earlier step (all four beeps end by 420 ms) has been played.
    for (volume, beeps) in [(Volume::Off, 0), (Volume::Low, 4), (Volume::Normal, 4)] {
        let (mut player, record) = player_with(VolumePolicy { normal: volume, quiet_hours: None }, "10:00");
        player.show(Signal::Attention);
        assert_eq!(count_beeps(&record), beeps, "{volume:?}: {:#?}", record.events());
        assert!(record.events().iter().all(|e| match e.what {
            What::Buzzer(Some(l)) => Some(l) == volume.loudness(),
            _ => true,
        }));
    }
    check_plays_as_table(Signal::Error, Volume::Low);
}

#[test]
fn quiet_hours_silence_the_player() {
    let policy = VolumePolicy {
        normal: Volume::Normal,
        quiet_hours: Some(QuietHours { from: hm("22:00"), to: hm("07:00"), volume: Volume::Off }),
    };
    for (time, beeps) in [("23:30", 0), ("06:00", 0), ("12:00", 4)] {
        let (mut player, record) = player_with(policy, time);
        player.show(Signal::Attention);
        assert_eq!(count_beeps(&record), beeps, "at {time}");
    }
}

// ---- GPIO ------------------------------------------------------------------------------

#[test]
fn gpio_off_a_pi_is_an_error_not_a_panic() {
    let is_pi = std::fs::read_to_string("/proc/device-tree/model").is_ok_and(|m| m.contains("Raspberry Pi"));
    match GpioOutputs::open(&Wiring::default()) {
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("cannot open GPIO") || message.starts_with("cannot use GPIO"), "{message}");
        }
        Ok(mut outputs) => {
            assert!(is_pi, "GPIO opened on a machine that is not a Raspberry Pi");
            outputs.all_off();
        }
    }
    if !is_pi {
        let e = GpioOutputs::open(&Wiring::default()).unwrap_err();
        assert!(e.to_string().contains("Unknown Raspberry Pi model"), "{e}");
    }
}
