//! The kiosk's real reader: pcscd's presence events forwarded to the driver, connections for
//! the card worker, and the reader's state for `/v1/health`.

use std::sync::{Arc, Mutex};

use myna_card::transport::{CardTransport, PresenceEvent, TransportError};
use myna_pcsc::{PcscConnector, PresenceMonitor, ReaderSelector};
use tokio::sync::mpsc;

use crate::card_worker::Connector;

impl Connector for PcscConnector {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        Ok(Box::new(PcscConnector::connect(self)?))
    }
}

/// What `/v1/health` says about the reader; `None` while it works.
#[derive(Clone, Default)]
pub struct ReaderHealth(Arc<Mutex<ReaderState>>);

#[derive(Clone, Default)]
struct ReaderState {
    reader: Option<String>,
    problem: Option<String>,
}

impl ReaderHealth {
    /// `ok (<reader>)`, or why there is none.
    pub fn describe(&self) -> Result<String, String> {
        let s = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match (s.reader, s.problem) {
            (_, Some(problem)) => Err(problem),
            (Some(reader), None) => Ok(format!("ok ({reader})")),
            (None, None) => Err("looking for a card reader".into()),
        }
    }

    fn update(&self, ev: &PresenceEvent) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match ev {
            PresenceEvent::ReaderGone { reason } => {
                s.reader = None;
                s.problem = Some(reason.clone());
            }
            PresenceEvent::ReaderReady { reader } | PresenceEvent::Inserted { reader, .. } => {
                s.reader = Some(reader.clone());
                s.problem = None;
            }
            PresenceEvent::Removed { .. } => {}
        }
    }
}

pub struct PcscReader {
    /// Stops the presence thread when dropped.
    _monitor: PresenceMonitor,
    pub connector: PcscConnector,
    pub health: ReaderHealth,
}

impl PcscReader {
    /// Starts watching the configured reader; events arrive on the returned receiver.
    pub fn start(selector: ReaderSelector) -> (PcscReader, mpsc::Receiver<PresenceEvent>) {
        let (tx, rx) = mpsc::channel(16);
        let health = ReaderHealth::default();
        let seen = health.clone();
        let monitor = PresenceMonitor::spawn(selector, move |ev| {
            seen.update(&ev);
            // The presence thread is not async: block it, never the runtime.
            tx.blocking_send(ev).is_ok()
        });
        let connector = PcscConnector::new(monitor.current());
        (PcscReader { _monitor: monitor, connector, health }, rx)
    }
}
