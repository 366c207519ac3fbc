//! The reader `--mock` uses: a virtual slot plus the presence events a real reader would send.

use myna_card::transport::PresenceEvent;
use myna_virtual_card::{VirtualCard, VirtualSlot};
use tokio::sync::mpsc;

pub const MOCK_READER_NAME: &str = "Virtual Reader (mock)";

#[derive(Clone)]
pub struct MockReader {
    slot: VirtualSlot,
    presence: mpsc::Sender<PresenceEvent>,
}

impl MockReader {
    /// The reader, and the presence stream to give the driver.
    pub fn new() -> (MockReader, mpsc::Receiver<PresenceEvent>) {
        let (tx, rx) = mpsc::channel(16);
        (MockReader { slot: VirtualSlot::new(), presence: tx }, rx)
    }

    /// The connector side, for the card worker.
    pub fn slot(&self) -> VirtualSlot {
        self.slot.clone()
    }

    /// Places `card` on the reader (a card already there is taken away first).
    pub async fn tap(&self, card: VirtualCard) {
        if self.slot.is_present() {
            self.remove().await;
        }
        let atr = card.atr().to_vec();
        self.slot.tap(card);
        let _ = self.presence.send(PresenceEvent::Inserted { reader: MOCK_READER_NAME.into(), atr }).await;
    }

    /// Takes the card away, if one is there.
    pub async fn remove(&self) -> Option<VirtualCard> {
        let card = self.slot.remove();
        if card.is_some() {
            let _ = self.presence.send(PresenceEvent::Removed { reader: MOCK_READER_NAME.into() }).await;
        }
        card
    }
}
