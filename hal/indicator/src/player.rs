//! The pattern player: one thread per indicator, fed over a channel.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::NaiveTime;

use super::pattern::{self, Lights, Repeat, Step};
use super::{Indicator, IndicatorHealth, Led, Loudness, Outputs, Signal, VolumePolicy};

/// How long [`Indicator::off`] waits for the player thread to confirm.
const OFF_WAIT: Duration = Duration::from_secs(2);

enum Cmd {
    Show(Signal),
    Off(mpsc::Sender<()>),
    Stop,
    PanicInNextStep,
}

/// What the player needs besides its outputs.
pub struct PlayerOptions {
    pub volume: VolumePolicy,
    /// The local time of day, asked when a signal starts (to apply quiet hours).
    pub clock: Box<dyn FnMut() -> NaiveTime + Send>,
}

impl Default for PlayerOptions {
    fn default() -> Self {
        PlayerOptions { volume: VolumePolicy::default(), clock: Box::new(|| chrono::Local::now().time()) }
    }
}

impl PlayerOptions {
    /// `volume` on the system's local clock.
    pub fn new(volume: VolumePolicy) -> Self {
        PlayerOptions { volume, ..PlayerOptions::default() }
    }

    /// `volume`, with the time of day always `time` (tests, benches).
    pub fn at_fixed_time(volume: VolumePolicy, time: NaiveTime) -> Self {
        PlayerOptions { volume, clock: Box::new(move || time) }
    }
}

impl std::fmt::Debug for PlayerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlayerOptions").field("volume", &self.volume).finish_non_exhaustive()
    }
}

/// Plays signal patterns on its own thread, driving an [`Outputs`] backend.
///
/// [`Indicator::show`] only sends the signal over a channel. Dropping the player stops the
/// thread and switches every output off before `drop` returns; a panic on the thread switches
/// them off too (the outputs live in a guard whose `Drop` calls [`Outputs::all_off`]).
pub struct Player {
    tx: mpsc::Sender<Cmd>,
    thread: Option<JoinHandle<()>>,
    backend: &'static str,
}

impl Player {
    /// Starts the player thread. Nothing is shown until the first [`Indicator::show`].
    pub fn start<O: Outputs + 'static>(outputs: O, options: PlayerOptions) -> std::io::Result<Player> {
        let backend = outputs.name();
        let (tx, rx) = mpsc::channel();
        let outputs: Box<dyn Outputs> = Box::new(outputs);
        let thread = std::thread::Builder::new().name("indicators".into()).spawn(move || play(rx, outputs, options))?;
        Ok(Player { tx, thread: Some(thread), backend })
    }

    /// Test hook: the player thread panics at the next step of the pattern it plays.
    #[doc(hidden)]
    pub fn inject_panic_in_next_step(&mut self) {
        let _ = self.tx.send(Cmd::PanicInNextStep);
    }

    fn thread_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Indicator for Player {
    fn show(&mut self, signal: Signal) {
        // A dead thread has already switched everything off; health reports it.
        let _ = self.tx.send(Cmd::Show(signal));
    }

    fn off(&mut self) {
        switch_off(&self.tx);
    }

    fn health(&self) -> IndicatorHealth {
        if self.thread_alive() {
            IndicatorHealth::Ok(self.backend)
        } else {
            IndicatorHealth::Degraded(format!("the {} indicator thread stopped; every output is off", self.backend))
        }
    }

    fn off_switch(&self) -> OffSwitch {
        OffSwitch { tx: Some(self.tx.clone()) }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.tx.send(Cmd::Stop);
        if let Some(thread) = self.thread.take() {
            // Err: the thread panicked, and its guard already switched the outputs off.
            let _ = thread.join();
        }
    }
}

/// Switches every output of a player off from elsewhere, e.g. on SIGTERM once the player
/// belongs to the session driver. Cheap to clone; does nothing once the player is gone.
#[derive(Clone)]
pub struct OffSwitch {
    tx: Option<mpsc::Sender<Cmd>>,
}

impl OffSwitch {
    /// A switch with nothing behind it.
    pub fn none() -> Self {
        OffSwitch { tx: None }
    }

    /// Every output off; returns once the player confirms it (or its thread is gone).
    pub fn off(&self) {
        if let Some(tx) = &self.tx {
            switch_off(tx);
        }
    }
}

impl std::fmt::Debug for OffSwitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffSwitch").field("connected", &self.tx.is_some()).finish()
    }
}

fn switch_off(tx: &mpsc::Sender<Cmd>) {
    let (ack_tx, ack_rx) = mpsc::channel();
    if tx.send(Cmd::Off(ack_tx)).is_ok() {
        // Err: the thread ended (its guard switched everything off) or is stuck.
        if ack_rx.recv_timeout(OFF_WAIT).is_err() {
            tracing::warn!("indicators: the player did not confirm switching off");
        }
    }
}

/// The outputs and their current levels. Whatever ends the thread (a return or a panic), its
/// `Drop` switches every output off.
struct OutputsGuard {
    outputs: Box<dyn Outputs>,
    lights: Lights,
    buzzer: Option<Loudness>,
}

impl OutputsGuard {
    /// Writes only what changes; everything that goes off goes off before anything goes on.
    fn apply(&mut self, lights: Lights, buzzer: Option<Loudness>) {
        for led in Led::ALL {
            if self.lights.is_lit(led) && !lights.is_lit(led) {
                self.outputs.set_led(led, false);
            }
        }
        if self.buzzer.is_some() && buzzer.is_none() {
            self.outputs.set_buzzer(None);
        }
        for led in Led::ALL {
            if !self.lights.is_lit(led) && lights.is_lit(led) {
                self.outputs.set_led(led, true);
            }
        }
        if buzzer.is_some() && buzzer != self.buzzer {
            self.outputs.set_buzzer(buzzer);
        }
        self.lights = lights;
        self.buzzer = buzzer;
    }

    fn all_off(&mut self) {
        self.outputs.all_off();
        self.lights = Lights::DARK;
        self.buzzer = None;
    }
}

impl Drop for OutputsGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!("indicators: the pattern thread panicked; every output is switched off");
        }
        self.outputs.all_off();
    }
}

/// One track being played.
struct TrackPlay<T: Copy> {
    steps: Vec<Step<T>>,
    repeat: Repeat,
    index: usize,
    /// When the current step ends; `None`: the track never changes again.
    next: Option<Instant>,
    off: T,
}

impl<T: Copy> TrackPlay<T> {
    fn new(steps: Vec<Step<T>>, repeat: Repeat, start: Instant, off: T) -> Self {
        let cycle_ms: u64 = steps.iter().map(|s| u64::from(s.ms)).sum();
        let next = match steps.first() {
            // An empty track, or a cycle of no length, holds its first state.
            None => None,
            Some(_) if repeat == Repeat::Forever && cycle_ms == 0 => None,
            Some(first) => Some(start + ms(first.ms)),
        };
        TrackPlay { steps, repeat, index: 0, next, off }
    }

    fn state(&self) -> T {
        self.steps.get(self.index).map_or(self.off, |s| s.state)
    }

    /// Moves to the next step if the current one has ended by `now`. One step at a time, each
    /// held for its full length from when it started: a late wake-up (a loaded Pi) delays the
    /// rest of the pattern but never drops or shortens a step, so a patient always hears every
    /// beep of the rhythm.
    fn advance(&mut self, now: Instant) {
        let Some(at) = self.next else { return };
        if at > now {
            return;
        }
        self.index += 1;
        if self.index == self.steps.len() {
            match self.repeat {
                Repeat::Forever => self.index = 0,
                Repeat::Once => {
                    self.next = None;
                    return;
                }
            }
        }
        self.next = Some(now + ms(self.steps[self.index].ms));
    }
}

fn ms(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

struct Playing {
    leds: TrackPlay<Lights>,
    beeps: TrackPlay<bool>,
    loudness: Option<Loudness>,
}

impl Playing {
    fn new(signal: Signal, volume: super::Volume, start: Instant) -> Self {
        let p = pattern::pattern(signal);
        Playing {
            leds: TrackPlay::new(p.leds.steps.to_vec(), p.leds.repeat, start, Lights::DARK),
            beeps: TrackPlay::new(pattern::beeps_at(signal, volume), p.beeps.repeat, start, false),
            loudness: volume.loudness(),
        }
    }

    fn next_change(&self) -> Option<Instant> {
        match (self.leds.next, self.beeps.next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn advance(&mut self, now: Instant) {
        self.leds.advance(now);
        self.beeps.advance(now);
    }

    fn lights(&self) -> Lights {
        self.leds.state()
    }

    fn buzzer(&self) -> Option<Loudness> {
        if self.beeps.state() {
            self.loudness
        } else {
            None
        }
    }
}

fn play(rx: mpsc::Receiver<Cmd>, outputs: Box<dyn Outputs>, mut options: PlayerOptions) {
    let mut out = OutputsGuard { outputs, lights: Lights::DARK, buzzer: None };
    let mut playing: Option<Playing> = None;
    let mut panic_armed = false;
    loop {
        let received = match playing.as_ref().and_then(Playing::next_change) {
            Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(Cmd::Show(signal)) => {
                out.outputs.signal(signal);
                let volume = options.volume.at((options.clock)());
                let p = Playing::new(signal, volume, Instant::now());
                out.apply(p.lights(), p.buzzer());
                playing = Some(p);
            }
            Ok(Cmd::Off(ack)) => {
                playing = None;
                out.all_off();
                let _ = ack.send(());
            }
            Ok(Cmd::PanicInNextStep) => panic_armed = true,
            Ok(Cmd::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if let Some(p) = playing.as_mut() {
                    if panic_armed {
                        panic!("test hook: a pattern step panicked");
                    }
                    p.advance(Instant::now());
                    out.apply(p.lights(), p.buzzer());
                }
            }
        }
    }
    // `out` drops here: every output off.
}
