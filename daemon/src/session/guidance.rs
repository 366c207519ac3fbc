//! Session-level guidance: every message a patient or reception may see from the session,
//! with a stable code and Japanese and English text. Card- and certificate-level messages come
//! from `hal` through `Coded`.

use myna_api::proto::Notice;
use myna_card::{Coded, Message};

pub const CERT_EXPIRING_SOON: Message = Message::new(
    "CERT_EXPIRING_SOON",
    "マイナンバーカードの電子証明書の有効期限が近づいています。お住まいの市区町村の窓口で更新してください。",
    "Your My Number card's certificate expires soon. Please renew it at your municipal office.",
);
pub const CERT_GRACE: Message = Message::new(
    "CERT_GRACE",
    "電子証明書の有効期限が切れています（猶予期間中）。資格確認のみ行い、お薬などの情報共有はできません。市区町村の窓口で更新してください。",
    "Your certificate has expired and is in its grace period: only eligibility can be confirmed, no medication or medical-history sharing. Please renew it at your municipal office.",
);
pub const NO_METHOD: Message = Message::new(
    "NO_AUTH_METHOD",
    "このカードでは本人確認ができません。受付にお申し出ください。",
    "Identity cannot be confirmed with this card here. Please ask at the desk.",
);
pub const FACE_FAILED: Message = Message::new(
    "FACE_FAILED",
    "顔認証ができませんでした。暗証番号または職員による確認をお選びください。",
    "Face check failed. Please choose the PIN or a check by staff.",
);
pub const FACE_RETRY: Message = Message::new(
    "FACE_RETRY",
    "顔認証ができませんでした。マスクを外し、カメラを見てもう一度お試しください。",
    "Face check did not match. Please remove your mask, look at the camera and try again.",
);
pub const VISUAL_REJECTED: Message = Message::new(
    "VISUAL_REJECTED",
    "職員による本人確認ができませんでした。受付にお申し出ください。",
    "Staff could not confirm your identity. Please ask at the desk.",
);
pub const SIGNATURE_INVALID: Message = Message::new(
    "SIGNATURE_INVALID",
    "カードの署名を確認できませんでした。受付にお申し出ください。",
    "The card's signature could not be verified. Please ask at the desk.",
);
pub const CANCELLED: Message = Message::new(
    "CANCELLED",
    "受付を中止しました。カードをお取りください。",
    "Check-in cancelled. Please take your card.",
);
pub const TIMED_OUT: Message = Message::new(
    "TIMED_OUT",
    "時間切れのため受付を中止しました。カードをお取りください。",
    "The check-in timed out. Please take your card.",
);
pub const CARD_REMOVED: Message = Message::new(
    "CARD_REMOVED",
    "カードが途中で離されました。もう一度カードを置いてください。",
    "The card was removed too early. Please place your card again.",
);
pub const TAKE_CARD: Message = Message::new(
    "CHECKED_IN",
    "受付が完了しました。カードをお取りください。",
    "You are checked in. Please take your card.",
);

pub fn notice(m: &Message) -> Notice {
    Notice { code: m.code.to_string(), ja: m.ja.to_string(), en: m.en.to_string() }
}

pub fn notice_of(e: &impl Coded) -> Notice {
    notice(&e.message())
}
