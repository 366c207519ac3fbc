//! The seam between card logic and a reader: it only moves bytes.
//!
//! Backends (PC/SC, the in-process virtual card) implement [`CardTransport`]. Everything that
//! knows about APDUs sits above, starting with [`exchange`], the single place that follows
//! `61xx` (GET RESPONSE) and `6Cxx` (resend with the right `Le`, never for a VERIFY).

use zeroize::Zeroizing;

use crate::apdu::{Command, Response, StatusWord, INS_GET_RESPONSE, INS_VERIFY};
use crate::code::Code;

/// Moves one command APDU to the card and its response back. Nothing more.
pub trait CardTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// Whether this reader path carries extended-length APDUs. Backends answer from what they
    /// know of the reader (some mis-handle them); callers still fall back if the card refuses.
    fn supports_extended_length(&self) -> bool {
        false
    }
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        (**self).supports_extended_length()
    }
}

/// What a reader reports about the card slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceEvent {
    /// A card arrived; `atr` is informative only (never identify a card by it).
    Inserted { reader: String, atr: Vec<u8> },
    /// The card left the field.
    Removed { reader: String },
    /// No usable reader (unplugged, or the PC/SC service is down).
    ReaderGone { reason: String },
    /// A reader is usable again, with no card on it.
    ReaderReady { reader: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("the card was removed")]
    CardRemoved,
    #[error("no card on the reader")]
    NoCard,
    #[error("the card reader is unavailable")]
    ReaderUnavailable,
    #[error("the PC/SC service is not running")]
    NoService,
    #[error("the card did not answer in time")]
    Timeout,
    /// The reader or driver refused the APDU as such (e.g. extended length it cannot carry).
    #[error("the reader cannot carry this command: {0}")]
    Unsupported(String),
    /// The card answered something that is not an APDU response.
    #[error("malformed answer from the card: {0}")]
    Malformed(String),
    #[error("card communication failed: {0}")]
    Other(String),
}

impl TransportError {
    pub fn code(&self) -> Code {
        match self {
            TransportError::CardRemoved => Code::CardRemoved,
            TransportError::NoCard => Code::NoCard,
            TransportError::ReaderUnavailable | TransportError::NoService => Code::ReaderUnavailable,
            TransportError::Timeout => Code::CardTimeout,
            TransportError::Unsupported(_) | TransportError::Malformed(_) | TransportError::Other(_) => {
                Code::CardUnreadable
            }
        }
    }
}

/// Upper bound on response bytes gathered through `61xx` chains: far above anything a JPKI
/// card sends, low enough that a misbehaving card cannot make us allocate without limit.
pub const MAX_CHAINED_RESPONSE: usize = 70_000;

/// Sends `cmd` and returns the card's final answer, following `61xx` and `6Cxx`.
///
/// A VERIFY (any INS `20`) is never resent on `6Cxx`: each VERIFY may spend one of a counter's
/// tries (3 for the PIN, 10 for 照合番号B, persistent across clinics), and a VERIFY carries no
/// `Le` to correct, so the `6Cxx` goes back to the caller as the card's answer.
///
/// The serialised command is wiped after sending because VERIFY carries a secret.
pub fn exchange<T: CardTransport + ?Sized>(transport: &mut T, cmd: &Command) -> Result<Response, TransportError> {
    let mut response = send(transport, cmd)?;
    if let (StatusWord::WrongLe { exact }, false) = (response.status, cmd.ins == INS_VERIFY) {
        // The card told us how many bytes it has: ask again, once, for exactly that. The copy
        // of a VERIFY's PIN is a `Command` too, so it wipes itself.
        let mut retry = cmd.clone();
        retry.le = Some(exact);
        response = send(transport, &retry)?;
    }
    let mut status = response.status;
    let mut data = response.into_data();
    while let StatusWord::MoreData { available } = status {
        if data.len() + available > MAX_CHAINED_RESPONSE {
            return Err(TransportError::Malformed("response chain too long".into()));
        }
        let get = Command::new(0x00, INS_GET_RESPONSE, 0, 0).with_le(available);
        let next = send(transport, &get)?;
        if next.data.is_empty() && matches!(next.status, StatusWord::MoreData { .. }) {
            return Err(TransportError::Malformed("GET RESPONSE made no progress".into()));
        }
        extend_wiping(&mut data, &next.data);
        status = next.status;
    }
    Ok(Response { data: std::mem::take(&mut *data), status })
}

/// `extend_from_slice`, except that growing wipes the buffer left behind: a chained answer can
/// be a face photo.
fn extend_wiping(buf: &mut Zeroizing<Vec<u8>>, more: &[u8]) {
    if buf.capacity() - buf.len() < more.len() {
        let mut grown = Vec::with_capacity((buf.len() + more.len()).max(2 * buf.capacity()));
        grown.extend_from_slice(buf);
        *buf = Zeroizing::new(grown);
    }
    buf.extend_from_slice(more);
}

fn send<T: CardTransport + ?Sized>(transport: &mut T, cmd: &Command) -> Result<Response, TransportError> {
    let bytes =
        Zeroizing::new(cmd.to_bytes().ok_or_else(|| TransportError::Unsupported("command too long to encode".into()))?);
    let raw = transport.transmit(&bytes)?;
    Response::from_bytes(raw).ok_or_else(|| TransportError::Malformed("answer shorter than a status word".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a script and records what it was sent.
    struct Scripted {
        answers: Vec<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl CardTransport for Scripted {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(apdu.to_vec());
            if self.answers.is_empty() {
                return Err(TransportError::CardRemoved);
            }
            Ok(self.answers.remove(0))
        }
    }

    fn read() -> Command {
        Command::new(0, 0xB0, 0, 0).with_le(256)
    }

    #[test]
    fn follows_61xx_with_get_response() {
        let mut t = Scripted {
            answers: vec![vec![1, 2, 0x61, 0x03], vec![3, 4, 5, 0x61, 0x01], vec![6, 0x90, 0]],
            sent: vec![],
        };
        let r = exchange(&mut t, &read()).unwrap();
        assert_eq!(r.data, [1, 2, 3, 4, 5, 6]);
        assert_eq!(r.status, StatusWord::Ok);
        assert_eq!(t.sent[1], [0, 0xC0, 0, 0, 3]);
        assert_eq!(t.sent[2], [0, 0xC0, 0, 0, 1]);
    }

    #[test]
    fn resends_once_on_6cxx_with_the_exact_le() {
        let mut t = Scripted { answers: vec![vec![0x6C, 0x05], vec![9, 9, 9, 9, 9, 0x90, 0]], sent: vec![] };
        let r = exchange(&mut t, &read()).unwrap();
        assert_eq!(r.data.len(), 5);
        assert_eq!(t.sent[1], [0, 0xB0, 0, 0, 5]);
    }

    #[test]
    fn a_verify_answered_6cxx_is_never_resent() {
        for verify in [
            Command::new(0, INS_VERIFY, 0, 0x80).with_data(*b"4711"),
            Command::new(0, INS_VERIFY, 0, 0x80),
            Command::new(0, INS_VERIFY, 0, 0x80).with_data(*b"55010120304321").with_le(256),
        ] {
            let mut t = Scripted { answers: vec![vec![0x6C, 0x05], vec![0x90, 0]], sent: vec![] };
            let r = exchange(&mut t, &verify).unwrap();
            assert_eq!(t.sent.len(), 1, "the VERIFY went to the card {} times", t.sent.len());
            assert_eq!(r.status, StatusWord::WrongLe { exact: 5 });
        }
    }

    #[test]
    fn a_card_that_chains_forever_is_stopped() {
        let answers =
            std::iter::repeat_n(vec![0u8; 258].into_iter().chain([0x61, 0x00]).skip(2).collect::<Vec<u8>>(), 400)
                .collect();
        let mut t = Scripted { answers, sent: vec![] };
        assert!(matches!(exchange(&mut t, &read()), Err(TransportError::Malformed(_))));
        assert!(t.sent.len() < 300);
    }

    #[test]
    fn one_byte_answer_is_malformed_not_a_panic() {
        let mut t = Scripted { answers: vec![vec![0x90]], sent: vec![] };
        assert!(matches!(exchange(&mut t, &read()), Err(TransportError::Malformed(_))));
    }

    #[test]
    fn removal_surfaces_as_card_removed() {
        let mut t = Scripted { answers: vec![vec![0x61, 0x10]], sent: vec![] };
        assert_eq!(exchange(&mut t, &read()).unwrap_err(), TransportError::CardRemoved);
        assert_eq!(TransportError::CardRemoved.code(), "CARD_REMOVED");
    }
}
