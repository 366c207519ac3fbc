//! Card presence on a dedicated thread: `SCardGetStatusChange` blocks, so it must never run
//! on the async runtime. Events go to a sink (the daemon forwards them to tokio).
//!
//! The thread owns recovery: while pcscd is down or the reader is unplugged it reports
//! [`PresenceEvent::ReaderGone`] once and keeps retrying; when the reader is back it reports
//! [`PresenceEvent::ReaderReady`] (and `Inserted` if a card is already on it).

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use pcsc::{Context, ReaderState, Scope, State, PNP_NOTIFICATION};

use super::{context_lost, readers::ReaderSelector};
use myna_card::transport::PresenceEvent;

/// How long one status wait blocks before the thread looks at its stop flag again. `cancel()`
/// interrupts the wait at once; this only bounds the case where pcscd ignores it.
const WAIT: Duration = Duration::from_secs(2);
/// Pause between attempts to reach pcscd or to find the reader.
const RETRY: Duration = Duration::from_millis(500);

/// The reader the monitor is watching, shared with the connector.
#[derive(Clone, Default)]
pub struct CurrentReader(Arc<Mutex<Option<String>>>);

impl CurrentReader {
    pub fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    fn set(&self, reader: Option<String>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = reader;
    }
}

pub struct PresenceMonitor {
    stop: Arc<AtomicBool>,
    context: Arc<Mutex<Option<Context>>>,
    thread: Option<JoinHandle<()>>,
    current: CurrentReader,
}

impl PresenceMonitor {
    /// Starts watching. `sink` gets every event; when it returns `false` (nobody listens any
    /// more) the thread ends.
    pub fn spawn(selector: ReaderSelector, sink: impl FnMut(PresenceEvent) -> bool + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let context = Arc::new(Mutex::new(None));
        let current = CurrentReader::default();
        let mut watcher = Watcher {
            selector,
            sink: Box::new(sink),
            stop: stop.clone(),
            context: context.clone(),
            current: current.clone(),
            announced: Announced::Nothing,
            card: None,
        };
        let thread = std::thread::Builder::new()
            .name("pcsc-presence".into())
            .spawn(move || watcher.run())
            .expect("spawning the presence thread");
        PresenceMonitor { stop, context, thread: Some(thread), current }
    }

    /// The reader in use, for the connector.
    pub fn current(&self) -> CurrentReader {
        self.current.clone()
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(ctx) = self.context.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = ctx.cancel();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for PresenceMonitor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What the listener was last told, so each change is reported once.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Announced {
    Nothing,
    Gone(String),
    Ready(String),
}

enum Ended {
    Stopped,
    /// pcscd went away (or restarted): establish a new context.
    ContextLost,
}

struct Watcher {
    selector: ReaderSelector,
    sink: Box<dyn FnMut(PresenceEvent) -> bool + Send>,
    stop: Arc<AtomicBool>,
    context: Arc<Mutex<Option<Context>>>,
    current: CurrentReader,
    announced: Announced,
    /// The reader with a card on it, and the card's event count there.
    card: Option<(String, u32)>,
}

impl Watcher {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn emit(&mut self, event: PresenceEvent) -> bool {
        if !(self.sink)(event) {
            self.stop.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }

    fn run(&mut self) {
        while !self.stopped() {
            match Context::establish(Scope::User) {
                Ok(ctx) => {
                    *self.context.lock().unwrap_or_else(|p| p.into_inner()) = Some(ctx.clone());
                    // A stop that came while no context was stored would be missed otherwise.
                    if self.stopped() {
                        break;
                    }
                    let ended = self.watch(&ctx);
                    *self.context.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    if let Ended::Stopped = ended {
                        break;
                    }
                }
                Err(e) => self.gone(&format!("the PC/SC service (pcscd) is not reachable: {e}")),
            }
            self.pause();
        }
        self.current.set(None);
    }

    fn pause(&self) {
        let mut left = RETRY;
        while !left.is_zero() && !self.stopped() {
            let step = left.min(Duration::from_millis(50));
            std::thread::sleep(step);
            left -= step;
        }
    }

    /// Reports the reader as gone (once), then a card on it as removed: in that order, so a
    /// session the loss cuts ends for the reader's reason, not as a card taken away early.
    fn gone(&mut self, reason: &str) {
        self.current.set(None);
        if !matches!(&self.announced, Announced::Gone(_)) {
            // Debug only: the daemon's driver logs the event it is sent (once, for every backend).
            tracing::debug!(reason, "card reader unavailable");
            self.announced = Announced::Gone(reason.to_string());
            self.emit(PresenceEvent::ReaderGone { reason: reason.to_string() });
        }
        if let Some((reader, _)) = self.card.take() {
            self.emit(PresenceEvent::Removed { reader });
        }
    }

    fn ready(&mut self, reader: &str) {
        self.current.set(Some(reader.to_string()));
        if self.announced != Announced::Ready(reader.to_string()) {
            tracing::debug!(reader, "card reader ready");
            self.announced = Announced::Ready(reader.to_string());
            self.emit(PresenceEvent::ReaderReady { reader: reader.to_string() });
        }
    }

    fn watch(&mut self, ctx: &Context) -> Ended {
        loop {
            if self.stopped() {
                return Ended::Stopped;
            }
            let names: Vec<String> = match ctx.list_readers_owned() {
                Ok(n) => n.into_iter().map(|c| c.to_string_lossy().into_owned()).collect(),
                Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
                Err(e) if context_lost(e) => {
                    self.gone(&format!("the PC/SC service (pcscd) stopped: {e}"));
                    return Ended::ContextLost;
                }
                Err(e) => {
                    self.gone(&format!("cannot list readers: {e}"));
                    return Ended::ContextLost;
                }
            };
            let Some(reader) = self.selector.pick(&names).cloned() else {
                let reason = if self.selector.name.is_empty() {
                    "no card reader is connected".to_string()
                } else {
                    format!("no card reader matching \"{}\" is connected", self.selector.name)
                };
                self.gone(&reason);
                // Wait for a reader to be plugged in (or for the next look).
                let mut pnp = [ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
                match ctx.get_status_change(WAIT, &mut pnp) {
                    Err(pcsc::Error::Cancelled) => return Ended::Stopped,
                    Err(e) if context_lost(e) => return Ended::ContextLost,
                    // Without PnP support (or when it fires constantly) do not spin.
                    _ => self.pause(),
                }
                continue;
            };
            self.ready(&reader);
            match self.follow(ctx, &reader) {
                Follow::Rescan => continue,
                Follow::Ended(e) => return e,
            }
        }
    }

    /// Follows one reader's card slot until the reader goes away.
    fn follow(&mut self, ctx: &Context, reader: &str) -> Follow {
        let Ok(name) = CString::new(reader) else { return Follow::Rescan };
        let mut states = [ReaderState::new(name, State::UNAWARE)];
        loop {
            if self.stopped() {
                return Follow::Ended(Ended::Stopped);
            }
            match ctx.get_status_change(WAIT, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => continue,
                Err(pcsc::Error::Cancelled) => return Follow::Ended(Ended::Stopped),
                Err(e) if context_lost(e) => {
                    self.gone(&format!("the PC/SC service (pcscd) stopped: {e}"));
                    return Follow::Ended(Ended::ContextLost);
                }
                Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => {
                    self.gone("the card reader was unplugged");
                    return Follow::Rescan;
                }
                Err(e) => {
                    self.gone(&format!("watching the reader failed: {e}"));
                    return Follow::Ended(Ended::ContextLost);
                }
            }
            let state = states[0].event_state();
            if state.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE) {
                self.gone("the card reader was unplugged");
                return Follow::Rescan;
            }
            let count = states[0].event_count();
            let present = state.contains(State::PRESENT) && !state.contains(State::MUTE);
            let atr = states[0].atr().to_vec();
            self.slot_changed(reader, present, count, atr);
            states[0].sync_current_state();
        }
    }

    fn slot_changed(&mut self, reader: &str, present: bool, count: u32, atr: Vec<u8>) {
        match (&self.card, present) {
            (None, true) => {
                self.card = Some((reader.to_string(), count));
                self.emit(PresenceEvent::Inserted { reader: reader.to_string(), atr });
            }
            (Some(_), false) => {
                self.card = None;
                self.emit(PresenceEvent::Removed { reader: reader.to_string() });
            }
            // pcsc-lite counts insertions and removals (16 bits): two or more between two looks
            // is a quick re-tap, still a new card and a new session.
            (Some((_, seen)), true) if count.wrapping_sub(*seen) & 0xFFFF >= 2 => {
                self.card = Some((reader.to_string(), count));
                self.emit(PresenceEvent::Removed { reader: reader.to_string() });
                self.emit(PresenceEvent::Inserted { reader: reader.to_string(), atr });
            }
            (Some((_, seen)), true) if count != *seen => {
                self.card = Some((reader.to_string(), count));
            }
            _ => {}
        }
    }
}

enum Follow {
    Rescan,
    Ended(Ended),
}
