//! A virtual reader slot: the bench (or a test) taps and removes virtual cards, the daemon
//! connects to whatever card is there. Removing or swapping the card breaks the connection
//! exactly as a real removal does.

use std::sync::{Arc, Mutex, MutexGuard};

use super::VirtualCard;
use myna_card::transport::{CardTransport, TransportError};

#[derive(Default)]
struct SlotState {
    card: Option<VirtualCard>,
    /// Bumped on every tap and removal so a connection notices its card is gone.
    generation: u64,
}

#[derive(Clone, Default)]
pub struct VirtualSlot(Arc<Mutex<SlotState>>);

impl VirtualSlot {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        // A panic elsewhere must not make the slot unusable for the next patient.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Places a card on the reader (replacing any card there).
    pub fn tap(&self, card: VirtualCard) {
        let mut s = self.lock();
        s.card = Some(card);
        s.generation += 1;
    }

    /// Takes the card away; returns it so a test can inspect or tap it again.
    pub fn remove(&self) -> Option<VirtualCard> {
        let mut s = self.lock();
        s.generation += 1;
        s.card.take()
    }

    pub fn is_present(&self) -> bool {
        self.lock().card.is_some()
    }

    /// Runs `f` on the card on the reader, if any.
    pub fn with_card<R>(&self, f: impl FnOnce(&mut VirtualCard) -> R) -> Option<R> {
        self.lock().card.as_mut().map(f)
    }

    /// Connects to the card on the reader.
    pub fn connect(&self) -> Result<SlotConnection, TransportError> {
        let mut s = self.lock();
        let generation = s.generation;
        let card = s.card.as_mut().ok_or(TransportError::NoCard)?;
        card.reset();
        Ok(SlotConnection { slot: self.clone(), generation, extended: card.options().extended_length })
    }
}

/// One connection to the card that was on the slot when it was made.
pub struct SlotConnection {
    slot: VirtualSlot,
    generation: u64,
    extended: bool,
}

impl CardTransport for SlotConnection {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut s = self.slot.lock();
        if s.generation != self.generation {
            return Err(TransportError::CardRemoved);
        }
        let card = s.card.as_mut().ok_or(TransportError::CardRemoved)?;
        let result = card.transmit(apdu);
        if result == Err(TransportError::CardRemoved) {
            // The card's own "remove after N APDUs" fired: it left the reader.
            s.card = None;
            s.generation += 1;
        }
        result
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }
}

impl Drop for SlotConnection {
    /// Disconnecting resets the card, as the PC/SC backend's RESET disposition does.
    fn drop(&mut self) {
        let mut s = self.slot.lock();
        if s.generation == self.generation {
            if let Some(card) = s.card.as_mut() {
                card.reset();
            }
        }
    }
}
