//! One exclusive connection to the card for a whole session.

use std::ffi::CString;

use pcsc::{Card, Context, Disposition, Protocols, Scope, ShareMode};

use super::monitor::CurrentReader;
use super::{map_error, quirks};
use myna_card::transport::{CardTransport, TransportError};

/// Opens connections to the card on the reader the presence monitor is watching.
#[derive(Clone)]
pub struct PcscConnector {
    current: CurrentReader,
}

impl PcscConnector {
    pub fn new(current: CurrentReader) -> Self {
        PcscConnector { current }
    }

    /// An exclusive connection: no other program can talk to the card while a session runs.
    pub fn connect(&self) -> Result<PcscConnection, TransportError> {
        let reader = self.current.get().ok_or(TransportError::ReaderUnavailable)?;
        PcscConnection::open(&reader)
    }
}

pub struct PcscConnection {
    // Dropped before the context (field order): the card handle belongs to it.
    card: Option<Card>,
    _ctx: Context,
    reader: String,
    extended: bool,
    buf: Vec<u8>,
}

impl PcscConnection {
    pub fn open(reader: &str) -> Result<PcscConnection, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::ReaderUnavailable)?;
        let ctx = Context::establish(Scope::User).map_err(super::map_error)?;
        let card = ctx.connect(&name, ShareMode::Exclusive, Protocols::ANY).map_err(map_error)?;
        Ok(PcscConnection {
            card: Some(card),
            _ctx: ctx,
            reader: reader.to_string(),
            extended: quirks::extended_length(reader),
            buf: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        })
    }

    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// A failed transmit while the card left the field is reported by some drivers as a
    /// communication error: ask the reader whether the card is still there.
    fn classify(&self, e: pcsc::Error) -> TransportError {
        let mapped = map_error(e);
        if !matches!(mapped, TransportError::Other(_)) {
            return mapped;
        }
        match self.card.as_ref().map(|c| c.status2_owned()) {
            Some(Ok(s)) if s.status().contains(pcsc::Status::PRESENT) => mapped,
            Some(Err(e)) if !matches!(map_error(e), TransportError::Other(_)) => map_error(e),
            _ => TransportError::CardRemoved,
        }
    }
}

impl CardTransport for PcscConnection {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let card = self.card.as_ref().ok_or(TransportError::CardRemoved)?;
        let result = card.transmit(apdu, &mut self.buf).map(<[u8]>::to_vec);
        // The buffer may hold card data (a photo, a signature): do not keep it around.
        zeroize::Zeroize::zeroize(&mut self.buf[..]);
        match result {
            // A card always ends its answer with a status word. Nothing at all is what a
            // reader driver (vpcd among them) passes on when the card left mid-command.
            Ok(answer) if answer.is_empty() => Err(TransportError::CardRemoved),
            Ok(answer) => Ok(answer),
            Err(e) => Err(self.classify(e)),
        }
    }

    fn supports_extended_length(&self) -> bool {
        self.extended
    }
}

impl Drop for PcscConnection {
    /// RESET on disconnect: a verified PIN never outlives the session.
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            if let Err((card, e)) = card.disconnect(Disposition::ResetCard) {
                tracing::debug!(error = %e, reader = %self.reader, "disconnect with reset failed; unpowering");
                let _ = card.disconnect(Disposition::UnpowerCard);
            }
        }
    }
}
