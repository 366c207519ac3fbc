//! Placing the virtual card on the shared vpcd reader and reading its timeline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::rig;
use myna_virtual_card::vpcd::{Exchange, VpcdCard};
use myna_virtual_card::{CardOptions, Profile, VirtualCard};

/// The virtual card's latency model (a real card: ~10 ms per APDU, ~400 ms more for SIGN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub apdu: Duration,
    pub sign: Duration,
}

impl Latency {
    /// A card that answers at once.
    pub const NONE: Latency = Latency { apdu: Duration::ZERO, sign: Duration::ZERO };
}

pub fn card(latency: Latency, extended: bool, serial: u64) -> VirtualCard {
    VirtualCard::with_options(
        Profile::Valid,
        CardOptions {
            extended_length: extended,
            apdu_latency: latency.apdu,
            sign_latency: latency.sign,
            serial,
            ..CardOptions::default()
        },
    )
}

/// Places `card` and waits until pcscd talks to it (a message on its own timeline: other
/// engineers' cards on the same reader do not count). Other tests may hold the reader: the
/// card is lifted and placed again until it is seen.
pub fn place(vpcd: SocketAddr, mut card: VirtualCard) -> VpcdCard {
    for attempt in 0..8 {
        let placed = VpcdCard::insert(vpcd, card).expect("connecting the virtual card to vpcd");
        let timeline = placed.timeline();
        if poll(|| !timeline.exchanges().is_empty(), Duration::from_secs(3)) {
            return placed;
        }
        eprintln!("bench: the card was not seen on the reader (in use by another test?); placing it again");
        card = placed.remove();
        std::thread::sleep(Duration::from_millis(500 * (attempt + 1)));
    }
    panic!("pcscd never saw the bench's card on {}", rig::READER);
}

/// Lifts the card and waits until pcscd no longer reports one.
pub fn lift(placed: VpcdCard) -> VirtualCard {
    let card = placed.remove();
    poll(|| rig::card_present() != Some(true), Duration::from_secs(10));
    card
}

pub fn poll(mut done: impl FnMut() -> bool, limit: Duration) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// The card's own time (processing and latency model) over the APDUs in `exchanges`.
pub fn card_time(exchanges: &[Exchange]) -> Duration {
    exchanges.iter().filter(|e| e.is_apdu()).map(Exchange::card_time).sum()
}
