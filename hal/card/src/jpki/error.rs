//! What can go wrong talking JPKI to a card.

use crate::apdu::StatusWord;
use crate::message::{Coded, Message};
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
    #[error("wrong 照合番号B, {tries_left} tries left")]
    WrongCollationB { tries_left: u8 },
    #[error("照合番号B is locked")]
    CollationBBlocked,
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

impl Coded for JpkiError {
    fn message(&self) -> Message {
        match self {
            JpkiError::Transport(e) => e.message(),
            JpkiError::NotJpki => Message::new(
                "NOT_MY_NUMBER_CARD",
                "マイナンバーカードではないようです。マイナ保険証（マイナンバーカード）を置いてください。",
                "This does not seem to be a My Number card. Please place your My Number card.",
            ),
            JpkiError::WrongPin { tries_left: 0 } | JpkiError::PinBlocked => Message::new(
                "PIN_LOCKED",
                "暗証番号がロックされています。市区町村の窓口またはコンビニのキオスク端末で再設定できます。顔認証または職員による目視確認で受付できます。",
                "The PIN is locked. It can be reset at your municipal office or a convenience-store kiosk. You can check in with face recognition or a visual check by staff.",
            ),
            JpkiError::WrongPin { tries_left: 1 } => Message::new(
                "PIN_LAST_TRY",
                "暗証番号が違います。あと1回間違えるとロックされます。",
                "Wrong PIN. One more wrong entry will lock it.",
            ),
            JpkiError::WrongPin { .. } => Message::new(
                "PIN_WRONG",
                "暗証番号が違います。もう一度入力してください。",
                "Wrong PIN. Please enter it again.",
            ),
            JpkiError::PinNotSet => Message::new(
                "PIN_NOT_SET",
                "このカードは顔認証マイナンバーカードです。顔認証または目視確認で受付します。",
                "This card is face-recognition only. Please use face recognition or a staff check.",
            ),
            JpkiError::WrongCollationB { .. } | JpkiError::CollationBBlocked => Message::new(
                "FACE_REFERENCE_FAILED",
                "カードの顔写真を読み取れませんでした。暗証番号または職員による確認で受付します。",
                "The photo on the card could not be read. Please use your PIN or a staff check.",
            ),
            JpkiError::PinNotVerified
            | JpkiError::NoCardFace
            | JpkiError::FileNotFound(_)
            | JpkiError::TooLarge { .. }
            | JpkiError::Truncated
            | JpkiError::NotDer
            | JpkiError::BadFaceRecord
            | JpkiError::Card(_) => Message::new(
                "CARD_UNREADABLE",
                "カードを読み取れませんでした。置き直してもだめな場合は受付にお申し出ください。",
                "The card could not be read. If placing it again does not help, please ask at the desk.",
            ),
        }
    }
}
