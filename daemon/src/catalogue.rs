//! Every text the daemon shows a patient or reception: one entry per code, in Japanese and
//! English. The card crate returns codes ([`myna_card::Code`]); the session, the card check,
//! the journal and the API backend name their entries here. Codes never change once released;
//! texts may be improved.

use myna_api::proto::Notice;
use myna_card::cert::CertError;
use myna_card::jpki::JpkiError;
use myna_card::secret::SecretError;
use myna_card::transport::TransportError;
use myna_card::Code;

/// One catalogue entry. An `en` holding `{detail}` is filled in by [`Text::notice_with`].
#[derive(Debug, PartialEq, Eq)]
pub struct Text {
    pub code: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
}

impl Text {
    pub fn notice(&self) -> Notice {
        Notice { code: self.code.into(), ja: self.ja.into(), en: self.en.into() }
    }

    pub fn notice_with(&self, detail: &str) -> Notice {
        Notice { en: self.en.replace("{detail}", detail), ..self.notice() }
    }
}

/// Anything a patient or reception may be told about: it names its entry.
pub trait Explained {
    fn text(&self) -> &'static Text;
}

pub fn notice_of(e: &impl Explained) -> Notice {
    e.text().notice()
}

/// Declares each entry as a constant named by its code, so no code can appear twice, and
/// [`ALL`] from the same list.
macro_rules! catalogue {
    ($($code:ident: $ja:literal, $en:literal;)*) => {
        $(pub const $code: Text = Text { code: stringify!($code), ja: $ja, en: $en };)*

        /// Every entry, in declaration order.
        pub const ALL: &[&Text] = &[$(&$code),*];
    };
}

catalogue! {
    // The card crate's codes: see `card`.
    CARD_REMOVED:
        "カードが途中で離されました。もう一度カードを置いてください。",
        "The card was removed too early. Please place your card again.";
    NO_CARD:
        "カードが置かれていません。",
        "No card is on the reader.";
    READER_UNAVAILABLE:
        "カードリーダーが使えません。マイナンバーカードと資格情報のお知らせ（またはマイナポータルの資格情報画面）を受付でお見せください。",
        "The card reader is unavailable. Please show your My Number card with the 資格情報のお知らせ (or the My Portal eligibility screen) at the desk.";
    CARD_TIMEOUT:
        "カードが応答しません。カードを置き直してください。",
        "The card is not answering. Please place your card again.";
    CARD_UNREADABLE:
        "カードを読み取れませんでした。置き直してもだめな場合は受付にお申し出ください。",
        "The card could not be read. If placing it again does not help, please ask at the desk.";
    NOT_MY_NUMBER_CARD:
        "マイナンバーカードではないようです。マイナ保険証（マイナンバーカード）を置いてください。",
        "This does not seem to be a My Number card. Please place your My Number card.";
    PIN_LOCKED:
        "暗証番号がロックされています。市区町村の窓口またはコンビニのキオスク端末で再設定できます。顔認証または職員による目視確認で受付できます。",
        "The PIN is locked. It can be reset at your municipal office or a convenience-store kiosk. You can check in with face recognition or a visual check by staff.";
    PIN_LAST_TRY:
        "暗証番号が違います。あと1回間違えるとロックされます。",
        "Wrong PIN. One more wrong entry will lock it.";
    PIN_WRONG:
        "暗証番号が違います。もう一度入力してください。",
        "Wrong PIN. Please enter it again.";
    PIN_NOT_SET:
        "このカードは顔認証マイナンバーカードです。顔認証または目視確認で受付します。",
        "This card is face-recognition only. Please use face recognition or a staff check.";
    FACE_REFERENCE_FAILED:
        "カードの顔写真を読み取れませんでした。暗証番号または職員による確認で受付します。",
        "The photo on the card could not be read. Please use your PIN or a staff check.";
    CERT_UNREADABLE:
        "カードの電子証明書を読み取れませんでした。受付にお申し出ください。",
        "The certificate on the card could not be read. Please ask at the desk.";
    CERT_UNTRUSTED:
        "カードの電子証明書を確認できませんでした。受付にお申し出ください。",
        "The certificate on the card could not be verified. Please ask at the desk.";
    PIN_FORMAT:
        "暗証番号は数字4桁で入力してください。",
        "The PIN is exactly 4 digits.";
    COLLATION_B_FORMAT:
        "照合番号Bは数字14桁（生年月日6桁・有効期限の西暦4桁・セキュリティコード4桁）です。",
        "照合番号B is 14 digits: birth date (6), card expiry year (4) and security code (4).";

    // The card check.
    JUKI_CARD:
        "住民基本台帳カードは保険証として使えません。マイナンバーカードをお使いください。",
        "A 住基カード (Basic Resident Register card) cannot be used. Please use your My Number card.";
    CERT_EXPIRED:
        "電子証明書の有効期限が切れています（猶予期間も過ぎています）。市区町村の窓口で更新するか、資格確認書を受付でお見せください。",
        "The card's certificate has expired, beyond the grace period. Please renew it at your municipal office, or show your 資格確認書 at the desk.";

    // The session's guidance and results.
    CERT_EXPIRING_SOON:
        "マイナンバーカードの電子証明書の有効期限が近づいています。お住まいの市区町村の窓口で更新してください。",
        "Your My Number card's certificate expires soon. Please renew it at your municipal office.";
    CERT_GRACE:
        "電子証明書の有効期限が切れています（猶予期間中）。資格確認のみ行い、お薬などの情報共有はできません。市区町村の窓口で更新してください。",
        "Your certificate has expired and is in its grace period: only eligibility can be confirmed, no medication or medical-history sharing. Please renew it at your municipal office.";
    NO_AUTH_METHOD:
        "このカードでは本人確認ができません。受付にお申し出ください。",
        "Identity cannot be confirmed with this card here. Please ask at the desk.";
    FACE_FAILED:
        "顔認証ができませんでした。暗証番号または職員による確認をお選びください。",
        "Face check failed. Please choose the PIN or a check by staff.";
    FACE_RETRY:
        "顔認証ができませんでした。マスクを外し、カメラを見てもう一度お試しください。",
        "Face check did not match. Please remove your mask, look at the camera and try again.";
    VISUAL_REJECTED:
        "職員による本人確認ができませんでした。受付にお申し出ください。",
        "Staff could not confirm your identity. Please ask at the desk.";
    SIGNATURE_INVALID:
        "カードの署名を確認できませんでした。受付にお申し出ください。",
        "The card's signature could not be verified. Please ask at the desk.";
    CANCELLED:
        "受付を中止しました。カードをお取りください。",
        "Check-in cancelled. Please take your card.";
    TIMED_OUT:
        "時間切れのため受付を中止しました。カードをお取りください。",
        "The check-in timed out. Please take your card.";
    CHECKED_IN:
        "受付が完了しました。カードをお取りください。",
        "You are checked in. Please take your card.";

    // Commands the session refuses.
    NOT_WAITING:
        "現在この操作はできません。",
        "The session is not waiting for this action now.";
    METHOD_NOT_ALLOWED:
        "この方法は選べません。表示されている方法からお選びください。",
        "This method is not available. Please choose one of the methods shown.";
    LAST_TRY_NOT_CONFIRMED:
        "残り1回です。間違えるとロックされることを確認してから入力してください。",
        "One try left: confirm that a wrong PIN will lock the card before submitting.";
    PHOTO_ALREADY_GIVEN:
        "顔写真はこの受付ですでに渡しています。",
        "The reference photo was already handed over in this session.";
    PHOTO_FIRST:
        "先に顔写真を取得してください。",
        "Request the reference photo before reporting a verdict.";
    CONSENT_ITEM_NOT_ASKED:
        "この項目はこの受付では確認していません。",
        "This consent item is not asked in this session.";
    CONSENT_ALL_NOT_OFFERED:
        "まとめて同意はこの医療機関では使えません。",
        "Consent to all is not offered by this clinic.";
    // The API's wording: its own check of the base64 body answers first, with these texts.
    CHALLENGE_FORMAT:
        "チャレンジは16〜64バイトをBase64で指定してください。",
        "challenge is 16 to 64 bytes, base64 encoded.";
    STAFF_ID_REQUIRED:
        "職員IDが必要です。",
        "A staff identifier is required.";
    // A command that names another session (a late cancel after the next patient tapped).
    SESSION_MISMATCH:
        "この操作は前の方の受付に対するものです。画面を確認してください。",
        "This command is for another session: check the screen.";
    // A command that names no session (If-Match).
    SESSION_REQUIRED:
        "どの受付に対する操作か指定してください（If-Match）。",
        "Name the session this command is for (If-Match: \"<session id>\").";
    // What the API answers for a malformed staff id (the session's own refusal says less).
    STAFF_ID_FORMAT:
        "職員IDは1〜64文字で指定してください。",
        "staff_id is 1 to 64 printable characters.";

    // The card-face proof (issue 22): the photo is not handed to the face module.
    PHOTO_SIGNATURE_INVALID:
        "カードの顔写真が正しいものか確認できませんでした。暗証番号または職員による確認で受付します。",
        "The photo on the card could not be verified as issued with the card. Please use your PIN or a staff check.";
    CARD_FACE_CHIP_FAILED:
        "カードのICチップを確認できませんでした。暗証番号または職員による確認で受付します。",
        "The card's chip could not be verified. Please use your PIN or a staff check.";

    // The daemon and its journal.
    DAEMON_STOPPING:
        "受付を停止しています。",
        "The kiosk is shutting down.";
    JOURNAL_UNAVAILABLE:
        "受付結果を記録できないため、現在この端末は使えません。受付にお申し出ください。",
        "This kiosk cannot record check-ins right now ({detail}). Please go to the desk.";
    JOURNAL_ROW_UNREADABLE:
        "保存された受付結果を読み取れません。この方の受付は窓口で確認してください。",
        "A stored check-in result cannot be read ({detail}). Please confirm this check-in at the desk.";
    CARD_THREAD_DEAD:
        "カードを読み取れない状態です。端末を再起動しています。受付にお申し出ください。",
        "The kiosk cannot read cards until it restarts (its card thread stopped). Please go to the desk.";
    INTERRUPTED:
        "受付の途中で端末が停止しました。もう一度カードを置いてください。",
        "The kiosk stopped during this check-in. Please place the card again.";

    // The bench (`--mock` only).
    BENCH_DISABLED:
        "ベンチ機能は --mock のときだけ使えます。",
        "The bench exists only with --mock.";
    // The detail is the virtual card's own message, which lists the known profiles.
    UNKNOWN_PROFILE:
        "不明なカードプロファイルです。",
        "{detail}";
}

/// The entry for a code from the card crate. A new card code does not build without its text.
pub fn card(code: Code) -> &'static Text {
    match code {
        Code::CardRemoved => &CARD_REMOVED,
        Code::NoCard => &NO_CARD,
        Code::ReaderUnavailable => &READER_UNAVAILABLE,
        Code::CardTimeout => &CARD_TIMEOUT,
        Code::CardUnreadable => &CARD_UNREADABLE,
        Code::NotMyNumberCard => &NOT_MY_NUMBER_CARD,
        Code::PinLocked => &PIN_LOCKED,
        Code::PinLastTry => &PIN_LAST_TRY,
        Code::PinWrong => &PIN_WRONG,
        Code::PinNotSet => &PIN_NOT_SET,
        Code::FaceReferenceFailed => &FACE_REFERENCE_FAILED,
        Code::CertUnreadable => &CERT_UNREADABLE,
        Code::CertUntrusted => &CERT_UNTRUSTED,
        Code::PinFormat => &PIN_FORMAT,
        Code::CollationBFormat => &COLLATION_B_FORMAT,
    }
}

impl Explained for TransportError {
    fn text(&self) -> &'static Text {
        card(self.code())
    }
}

impl Explained for JpkiError {
    fn text(&self) -> &'static Text {
        card(self.code())
    }
}

impl Explained for CertError {
    fn text(&self) -> &'static Text {
        card(self.code())
    }
}

impl Explained for SecretError {
    fn text(&self) -> &'static Text {
        card(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_code_has_its_own_entry() {
        for &code in Code::ALL {
            let text = card(code);
            assert_eq!(text.code, code.as_str());
            assert!(ALL.contains(&text), "{code}");
        }
    }

    #[test]
    fn every_entry_has_both_languages_and_a_detail_only_in_english() {
        for text in ALL {
            assert!(!text.ja.is_empty() && !text.en.is_empty(), "{}", text.code);
            assert!(!text.ja.contains("{detail}"), "{}", text.code);
        }
        let n = JOURNAL_UNAVAILABLE.notice_with("disk full");
        assert_eq!(n.en, "This kiosk cannot record check-ins right now (disk full). Please go to the desk.");
        assert_eq!(n.ja, JOURNAL_UNAVAILABLE.ja);
    }
}
