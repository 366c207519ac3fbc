//! The virtual card on a vsmartcard `vpcd` reader inside pcscd: the card process connects to
//! vpcd over TCP (connected = card inserted, closed = card removed), so tests and benches go
//! through the real PC/SC stack exactly as a kiosk's reader does.
//!
//! Wire format, both ways: a 2-byte big-endian length, then the payload. A 1-byte message from
//! vpcd is control (`00` power off, `01` power on, `02` reset, `04` ATR); only `04` is answered.
//! Anything longer is a command APDU, answered with `data SW1 SW2`.
//!
//! Every message is also noted on a [`Timeline`] (when it was read in full, when its answer
//! was written): benches split a check-in's time into the card's own and everyone else's.
//!
//! Test and bench tool only: vpcd listens on every interface and must never be on a kiosk.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::VirtualCard;
use myna_card::transport::{CardTransport, TransportError};

const CTRL_POWER_OFF: u8 = 0x00;
const CTRL_POWER_ON: u8 = 0x01;
const CTRL_RESET: u8 = 0x02;
const CTRL_ATR: u8 = 0x04;

/// Why [`serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// vpcd (pcscd) closed the connection, or [`VpcdCard::remove`] shut it.
    Closed,
    /// The card's "remove after N APDUs" fired: it left the field mid-command.
    CardPulled,
}

/// What one message from vpcd was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A 1-byte control message (`00` power off, `01` power on, `02` reset, `04` ATR).
    Control(u8),
    /// A command APDU with its CLA and INS.
    Apdu { cla: u8, ins: u8 },
}

/// One message from vpcd as the card server saw it.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    pub kind: MessageKind,
    /// The whole message had been read.
    pub received: Instant,
    /// Its answer had been written (`received` for a message that gets none).
    pub answered: Instant,
}

impl Exchange {
    /// The card's own time for this message: processing plus the latency model.
    pub fn card_time(&self) -> Duration {
        self.answered.saturating_duration_since(self.received)
    }

    pub fn is_apdu(&self) -> bool {
        matches!(self.kind, MessageKind::Apdu { .. })
    }
}

/// Every message a card server received, in order, shared so a bench can read it while the
/// card is on the reader.
#[derive(Debug, Clone, Default)]
pub struct Timeline(Arc<Mutex<Vec<Exchange>>>);

impl Timeline {
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn clear(&self) {
        if let Ok(mut l) = self.0.lock() {
            l.clear();
        }
    }

    fn push(&self, e: Exchange) {
        if let Ok(mut l) = self.0.lock() {
            l.push(e);
        }
    }
}

/// Serves `card` on a connected vpcd stream until the connection ends.
///
/// `TCP_QUICKACK` is set before every read: Debian's vpcd writes length and payload
/// separately, and with delayed ACKs each APDU would wait ~40 ms for Nagle.
pub fn serve(stream: &TcpStream, card: &mut VirtualCard, quickack: bool) -> io::Result<Ended> {
    serve_inner(stream, card, quickack, None)
}

/// As [`serve`], noting every message on `timeline`.
pub fn serve_timed(
    stream: &TcpStream,
    card: &mut VirtualCard,
    quickack: bool,
    timeline: &Timeline,
) -> io::Result<Ended> {
    serve_inner(stream, card, quickack, Some(timeline))
}

fn serve_inner(
    stream: &TcpStream,
    card: &mut VirtualCard,
    quickack: bool,
    timeline: Option<&Timeline>,
) -> io::Result<Ended> {
    stream.set_nodelay(true)?;
    let sock = socket2::SockRef::from(stream);
    let mut stream = stream;
    loop {
        if quickack {
            sock.set_tcp_quickack(true)?;
        }
        let mut len = [0u8; 2];
        if let Err(e) = stream.read_exact(&mut len) {
            return closed_or(e);
        }
        let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
        if let Err(e) = stream.read_exact(&mut msg) {
            return closed_or(e);
        }
        let received = Instant::now();
        let kind = match msg.as_slice() {
            [c] => MessageKind::Control(*c),
            [cla, ins, ..] => MessageKind::Apdu { cla: *cla, ins: *ins },
            _ => MessageKind::Control(0xFF),
        };
        let answer = match msg.as_slice() {
            [CTRL_ATR] => Some(card.atr().to_vec()),
            // Power off or reset lose every security state; the counters stay.
            [CTRL_POWER_OFF] | [CTRL_RESET] => {
                card.reset();
                None
            }
            [CTRL_POWER_ON] | [_] | [] => None,
            apdu => match card.transmit(apdu) {
                Ok(resp) => Some(resp),
                Err(TransportError::CardRemoved) => return Ok(Ended::CardPulled),
                // A mute card: no answer ever again; pcscd waits until the card is taken away.
                Err(TransportError::Timeout) => return silent_until_closed(stream),
                Err(_) => Some(vec![0x6F, 0x00]),
            },
        };
        if let Some(answer) = answer {
            let mut out = Vec::with_capacity(answer.len() + 2);
            out.extend_from_slice(&(answer.len() as u16).to_be_bytes());
            out.extend_from_slice(&answer);
            if let Err(e) = stream.write_all(&out) {
                return closed_or(e);
            }
        }
        if let Some(t) = timeline {
            t.push(Exchange { kind, received, answered: Instant::now() });
        }
    }
}

/// Reads and drops whatever vpcd sends until the connection closes (the card is removed).
fn silent_until_closed(mut stream: &TcpStream) -> io::Result<Ended> {
    let mut sink = [0u8; 512];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return Ok(Ended::Closed),
            Ok(_) => {}
            Err(e) => return closed_or(e),
        }
    }
}

fn closed_or(e: io::Error) -> io::Result<Ended> {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::NotConnected => Ok(Ended::Closed),
        _ => Err(e),
    }
}

/// A virtual card placed on a vpcd reader, served on its own thread.
pub struct VpcdCard {
    stream: TcpStream,
    thread: Option<JoinHandle<(VirtualCard, io::Result<Ended>)>>,
    timeline: Timeline,
    inserted_at: Instant,
}

impl VpcdCard {
    /// Connects to vpcd at `addr` (the card is "inserted" once pcscd polls, within ~0.4 s).
    pub fn insert(addr: impl ToSocketAddrs, card: VirtualCard) -> io::Result<VpcdCard> {
        Self::insert_with(addr, card, true)
    }

    /// As [`VpcdCard::insert`], choosing whether to set `TCP_QUICKACK` (benches compare).
    pub fn insert_with(addr: impl ToSocketAddrs, mut card: VirtualCard, quickack: bool) -> io::Result<VpcdCard> {
        let inserted_at = Instant::now();
        let stream = TcpStream::connect(addr)?;
        let served = stream.try_clone()?;
        let timeline = Timeline::default();
        let noted = timeline.clone();
        let thread = std::thread::Builder::new().name("vpcd-card".into()).spawn(move || {
            let ended = serve_timed(&served, &mut card, quickack, &noted);
            let _ = served.shutdown(Shutdown::Both);
            (card, ended)
        })?;
        Ok(VpcdCard { stream, thread: Some(thread), timeline, inserted_at })
    }

    /// When the card was placed: just before it connected to vpcd.
    pub fn inserted_at(&self) -> Instant {
        self.inserted_at
    }

    /// Every message vpcd sent this card so far, with when it came and when it was answered.
    pub fn timeline(&self) -> Timeline {
        self.timeline.clone()
    }

    /// Whether the card is still on the reader (the connection is open).
    pub fn is_inserted(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Takes the card off the reader and returns it (with its log and counters).
    pub fn remove(mut self) -> VirtualCard {
        self.take().0
    }

    /// Waits until the card leaves by itself (vpcd closed, or "remove after N APDUs").
    pub fn wait(mut self) -> (VirtualCard, io::Result<Ended>) {
        let thread = self.thread.take().expect("not yet joined");
        thread.join().expect("the vpcd card thread never panics")
    }

    fn take(&mut self) -> (VirtualCard, io::Result<Ended>) {
        let _ = self.stream.shutdown(Shutdown::Both);
        let thread = self.thread.take().expect("not yet joined");
        thread.join().expect("the vpcd card thread never panics")
    }
}

impl Drop for VpcdCard {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.take();
        }
    }
}
