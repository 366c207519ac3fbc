//! What can go wrong talking JPKI to a card.

use crate::apdu::StatusWord;
use crate::code::Code;
use crate::transport::TransportError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JpkiError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("not a JPKI card")]
    NotJpki,
    #[error("the card has no card-face application")]
    NoCardFace,
    #[error("file {0:04X} not found on the card")]
    FileNotFound(u16),
    #[error("wrong PIN, {tries_left} tries left")]
    WrongPin { tries_left: u8 },
    #[error("the PIN is locked")]
    PinBlocked,
    #[error("the card has no PIN (face-only card)")]
    PinNotSet,
    #[error("the PIN has not been verified in this connection")]
    PinNotVerified,
    #[error("wrong collation number B, {tries_left} tries left")]
    WrongCollationB { tries_left: u8 },
    #[error("collation number B is locked")]
    CollationBBlocked,
    #[error("only {tries_left} collation number B tries left: none is spent")]
    CollationBTriesLow { tries_left: u8 },
    #[error("the card-face record holds no photo")]
    NoPhoto,
    #[error("the card holds no user-authentication certificate")]
    NoCertificate,
    #[error("the object claims {claimed} bytes, more than the {limit} accepted")]
    TooLarge { claimed: usize, limit: usize },
    #[error("the file ended before the object it holds")]
    Truncated,
    #[error("the file does not hold a DER certificate")]
    NotDer,
    #[error("the card-face record is malformed")]
    BadFaceRecord,
    #[error("the card answered {0}")]
    Card(StatusWord),
}

impl JpkiError {
    pub fn code(&self) -> Code {
        match self {
            JpkiError::Transport(e) => e.code(),
            JpkiError::NotJpki => Code::NotMyNumberCard,
            JpkiError::WrongPin { tries_left: 0 } | JpkiError::PinBlocked => Code::PinLocked,
            JpkiError::WrongPin { tries_left: 1 } => Code::PinLastTry,
            JpkiError::WrongPin { .. } => Code::PinWrong,
            JpkiError::PinNotSet => Code::PinNotSet,
            JpkiError::WrongCollationB { .. } | JpkiError::CollationBBlocked => Code::FaceReferenceFailed,
            JpkiError::CollationBTriesLow { .. } => Code::CollationBTriesLow,
            JpkiError::NoPhoto => Code::FacePhotoMissing,
            JpkiError::NoCertificate => Code::CertNotIssued,
            JpkiError::PinNotVerified
            | JpkiError::NoCardFace
            | JpkiError::FileNotFound(_)
            | JpkiError::TooLarge { .. }
            | JpkiError::Truncated
            | JpkiError::NotDer
            | JpkiError::BadFaceRecord
            | JpkiError::Card(_) => Code::CardUnreadable,
        }
    }
}
