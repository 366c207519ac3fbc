//! Outputs that only record: the signals started and every pin-level change, with monotonic
//! time offsets. For tests (what a patient would see and hear) and `--mock`.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Led, Loudness, Outputs, Signal};

/// One recorded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Since the mock was made.
    pub at: Duration,
    pub what: What,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// The player started this signal's pattern.
    Signal(Signal),
    Led(Led, bool),
    /// `Some`: sounding; `None`: silent.
    Buzzer(Option<Loudness>),
    /// Every output switched off at once.
    AllOff,
}

impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::Signal(s) => write!(f, "signal: {s}"),
            What::Led(led, on) => write!(f, "{} {}", led.name(), if *on { "on" } else { "off" }),
            What::Buzzer(Some(Loudness::Normal)) => f.write_str("buzzer on"),
            What::Buzzer(Some(Loudness::Low)) => f.write_str("buzzer on (low)"),
            What::Buzzer(None) => f.write_str("buzzer off"),
            What::AllOff => f.write_str("all off"),
        }
    }
}

impl Event {
    /// `+0.080s  buzzer off`, timed from `origin` (e.g. the signal's start).
    pub fn line_from(&self, origin: Duration) -> String {
        format!("+{:.3}s  {}", self.at.saturating_sub(origin).as_secs_f64(), self.what)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line_from(Duration::ZERO))
    }
}

/// The record keeps the latest changes only: `--mock` runs for days under the autopilot, and
/// an unbounded list grew the daemon by ~450 bytes a check-in (issue #21). Once it holds
/// twice this many, the older half goes (amortised: one move per `KEPT` pushes).
pub const KEPT: usize = 1024;

struct Recording {
    start: Instant,
    /// The latest changes, oldest first: between `KEPT` and `2 * KEPT` of them once full.
    events: Vec<Event>,
    lit: [bool; 3],
    buzzer: Option<Loudness>,
}

fn index(led: Led) -> usize {
    match led {
        Led::Green => 0,
        Led::Amber => 1,
        Led::Red => 2,
    }
}

/// The shared record of a [`MockOutputs`]: cheap to clone, readable from any thread.
#[derive(Clone)]
pub struct MockRecord {
    inner: Arc<(Mutex<Recording>, Condvar)>,
}

impl MockRecord {
    fn lock(&self) -> MutexGuard<'_, Recording> {
        // A poisoned lock still holds a consistent record: every write is one push.
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, what: What) {
        let mut r = self.lock();
        let at = r.start.elapsed();
        match what {
            What::Led(led, on) => r.lit[index(led)] = on,
            What::Buzzer(b) => r.buzzer = b,
            What::AllOff => {
                r.lit = [false; 3];
                r.buzzer = None;
            }
            What::Signal(_) => {}
        }
        if r.events.len() >= 2 * KEPT {
            r.events.drain(..KEPT);
        }
        r.events.push(Event { at, what });
        drop(r);
        self.inner.1.notify_all();
    }

    /// The changes so far, in order (the latest [`KEPT`] at least, once there were more).
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// The signals the player started, in order.
    pub fn signals(&self) -> Vec<Signal> {
        self.lock()
            .events
            .iter()
            .filter_map(|e| match e.what {
                What::Signal(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub fn is_lit(&self, led: Led) -> bool {
        self.lock().lit[index(led)]
    }

    /// The buzzer now: `Some` while it sounds.
    pub fn buzzer(&self) -> Option<Loudness> {
        self.lock().buzzer
    }

    /// No LED lit and the buzzer silent.
    pub fn all_dark(&self) -> bool {
        let r = self.lock();
        r.lit == [false; 3] && r.buzzer.is_none()
    }

    /// Waits until `pred` holds for the events so far, or `timeout` passes. Returns whether
    /// it holds.
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&[Event]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut r = self.lock();
        loop {
            if pred(&r.events) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            r = self.inner.1.wait_timeout(r, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

impl fmt::Debug for MockRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockRecord").field("events", &self.lock().events).finish()
    }
}

/// Outputs that record instead of driving pins.
#[derive(Debug, Clone)]
pub struct MockOutputs {
    record: MockRecord,
}

impl MockOutputs {
    pub fn new() -> Self {
        let recording = Recording { start: Instant::now(), events: Vec::new(), lit: [false; 3], buzzer: None };
        MockOutputs { record: MockRecord { inner: Arc::new((Mutex::new(recording), Condvar::new())) } }
    }

    /// The record, to read while the outputs belong to a player.
    pub fn record(&self) -> MockRecord {
        self.record.clone()
    }
}

impl Default for MockOutputs {
    fn default() -> Self {
        Self::new()
    }
}

impl Outputs for MockOutputs {
    fn name(&self) -> &'static str {
        "mock"
    }

    fn set_led(&mut self, led: Led, on: bool) {
        self.record.push(What::Led(led, on));
    }

    fn set_buzzer(&mut self, on: Option<Loudness>) {
        self.record.push(What::Buzzer(on));
    }

    fn all_off(&mut self) {
        self.record.push(What::AllOff);
    }

    fn signal(&mut self, signal: Signal) {
        self.record.push(What::Signal(signal));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_stays_bounded_and_keeps_the_latest_changes() {
        let mut outputs = MockOutputs::new();
        let record = outputs.record();
        // A year of check-ins in miniature: far more changes than the record keeps.
        for i in 0..(10 * KEPT) {
            outputs.set_led(Led::Green, i % 2 == 0);
        }
        outputs.set_led(Led::Red, true);
        let events = record.events();
        assert!(events.len() >= KEPT && events.len() <= 2 * KEPT, "{} events kept", events.len());
        assert_eq!(events.last().map(|e| e.what), Some(What::Led(Led::Red, true)));
        assert!(events.windows(2).all(|w| w[0].at <= w[1].at), "still in order");
        // The live state is not part of the trimmed history.
        assert!(record.is_lit(Led::Red));
    }
}
