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

/// One catalogue entry. An `en` holding `{detail}` is filled in by [`Text::notice_with`]; a
/// `{until}` in both languages by [`Text::notice_until`]. `when` says when the code appears
/// (for reception vendors: README's table and the OpenAPI document are built from it).
#[derive(Debug, PartialEq, Eq)]
pub struct Text {
    pub code: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    pub when: &'static str,
}

impl Text {
    pub fn notice(&self) -> Notice {
        Notice { code: self.code.into(), ja: self.ja.into(), en: self.en.into() }
    }

    pub fn notice_with(&self, detail: &str) -> Notice {
        Notice { en: self.en.replace("{detail}", detail), ..self.notice() }
    }

    /// Fills `{until}` with a date, written for each language.
    pub fn notice_until(&self, ja: &str, en: &str) -> Notice {
        Notice { code: self.code.into(), ja: self.ja.replace("{until}", ja), en: self.en.replace("{until}", en) }
    }

    /// This entry's notice with `next` (a `NEXT_…` entry: what the patient can do now)
    /// appended; the code stays this entry's.
    pub fn followed_by(&self, next: &Text) -> Notice {
        Notice { code: self.code.into(), ja: format!("{}{}", self.ja, next.ja), en: format!("{} {}", self.en, next.en) }
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
    ($($code:ident: $ja:literal, $en:literal, $when:literal;)*) => {
        $(pub const $code: Text = Text { code: stringify!($code), ja: $ja, en: $en, when: $when };)*

        /// Every entry, in declaration order.
        pub const ALL: &[&Text] = &[$(&$code),*];
    };
}

catalogue! {
    // The card crate's codes: see `card`.
    CARD_REMOVED:
        "カードが読み取りの途中で取り外されました。もう一度カードを置いてください。",
        "The card was taken off the reader before check-in finished. Please place it again.",
        "The card left the reader before the session finished (result outcome card_removed).";
    NO_CARD:
        "カードが置かれていません。カードリーダーにカードを置いてください。",
        "There is no card on the reader. Please place your card on the reader.",
        "A card operation found no card on the reader.";
    READER_UNAVAILABLE:
        "カードリーダーが使えません。受付で、マイナ保険証と資格情報のお知らせをお見せください。スマートフォンのマイナポータルの資格情報の画面でもかまいません。",
        "The card reader is not working. At the desk, please show your My Number card with your Eligibility Information Notice (資格情報のお知らせ), or the eligibility screen of My Portal (マイナポータル) on your phone.",
        "No reader (pcscd stopped, reader unplugged): the screen is out_of_service with this notice, and a session it cuts ends failed with this code.";
    CARD_TIMEOUT:
        "カードから応答がありません。カードを置き直してください。それでも読み取れないときは、受付で、マイナ保険証と資格情報のお知らせをお見せください。",
        "The card is not answering. Please place it again. If it still cannot be read, please show your My Number card with your Eligibility Information Notice (資格情報のお知らせ) at the desk.",
        "A card operation took longer than the card-operation timeout (result outcome timed_out).";
    CARD_UNREADABLE:
        "カードを読み取れませんでした。カードを置き直してください。それでも読み取れないときは、受付で、マイナ保険証と資格情報のお知らせ（またはスマートフォンのマイナポータルの資格情報の画面）をお見せください。",
        "The card could not be read. Please place it again. If it still cannot be read, please show your My Number card with your Eligibility Information Notice (資格情報のお知らせ), or the eligibility screen of My Portal (マイナポータル) on your phone, at the desk.",
        "The card answered in a way the kiosk cannot use (a worn card, a reader fault).";
    NOT_MY_NUMBER_CARD:
        "マイナンバーカードではないようです。マイナ保険証（マイナンバーカード）を置いてください。資格確認書をお持ちの方は、受付でお見せください。",
        "This does not seem to be a My Number card. Please place your My Number card. If you have an Eligibility Certificate (資格確認書), please show it at the desk.",
        "The card has no JPKI application (another IC card), or a JPKI token the kiosk does not know.";
    PIN_LOCKED:
        "暗証番号がロックされています。お住まいの市区町村の窓口か、コンビニのキオスク端末（署名用パスワードが必要です）で再設定できます。",
        "Your PIN is locked. You can reset it at your municipal office, or at a convenience-store kiosk if you know your signature password.",
        "The PIN is locked, when the card is read or after the third wrong PIN; the text goes on with what the patient can do now (a NEXT_ entry).";
    PIN_LAST_TRY:
        "暗証番号の入力は残り1回です。間違えるとロックされます。",
        "You have one PIN try left. A wrong PIN will lock it.",
        "One PIN try is left: beside the PIN prompt, before the first entry too.";
    PIN_WRONG:
        "暗証番号が違います。もう一度入力してください。",
        "That PIN is not correct. Please enter it again.",
        "A wrong PIN, with tries left (with PIN_LAST_TRY when one is left).";
    PIN_NOT_SET:
        "このカードは、暗証番号のない顔認証マイナンバーカードです。",
        "This card has no PIN (a face-recognition My Number card).",
        "The card has no PIN (顔認証マイナンバーカード); the text goes on with what the patient can do now (a NEXT_ entry).";
    FACE_REFERENCE_FAILED:
        "カードの顔写真を確認できませんでした。",
        "The photo on your card could not be checked.",
        "The card-face photo could not be read (照合番号B locked, the card face failed): no face check in this session; the text goes on with what the patient can do now (a NEXT_ entry).";
    CERT_UNREADABLE:
        "カードの電子証明書を読み取れませんでした。受付で、マイナ保険証と資格情報のお知らせをお見せください。",
        "The certificate on your card could not be read. Please show your My Number card with your Eligibility Information Notice (資格情報のお知らせ) at the desk.",
        "The user-authentication certificate could not be read or parsed.";
    CERT_UNTRUSTED:
        "このカードを確認できませんでした。受付にお申し出ください。",
        "This card could not be confirmed. Please ask at the desk.",
        "The certificate does not chain to a configured J-LIS trust anchor.";
    PIN_FORMAT:
        "暗証番号は数字4桁で入力してください。",
        "Please enter your PIN as 4 digits.",
        "A PIN that is not 4 digits (API 400; no try spent).";
    COLLATION_B_FORMAT:
        "照合番号Bは数字14桁です（生年月日6桁〔日本国籍の方は和暦の年〕・カードの有効期限の西暦年4桁・セキュリティコード4桁）。",
        "照合番号B (collation number B) is 14 digits: birth date YYMMDD (the Japanese era year for Japanese nationals), the card's expiry year YYYY and the 4-digit security code.",
        "The face module sent a 照合番号B that is not 14 digits or not a plausible date and year (API 400; nothing reaches the card).";

    // The card check.
    JUKI_CARD:
        "住民基本台帳カードは、保険証として使えません。マイナ保険証（マイナンバーカード）を置いてください。",
        "A Basic Resident Register card (住基カード) cannot be used as a health insurance card. Please place your My Number card.",
        "An old 住基カード was placed.";
    CERT_EXPIRED:
        "電子証明書の有効期限が切れているため、このカードは保険証として使えません。資格確認書をお持ちの方は、受付でお見せください。電子証明書は、お住まいの市区町村の窓口で再発行できます。",
        "The certificate on your card has expired, so the card cannot be used as a health insurance card. If you have an Eligibility Certificate (資格確認書), please show it at the desk. Your municipal office can issue a new certificate.",
        "The certificate expired and its grace period is over (a phone has none), or it is not valid yet.";

    // The session's guidance and results.
    CERT_EXPIRING_SOON:
        "マイナ保険証の電子証明書の有効期限が近づいています。お住まいの市区町村の窓口で更新してください。",
        "The certificate on your My Number card expires soon. Please renew it at your municipal office.",
        "Within three months before the certificate expires; the check-in goes on.";
    CERT_GRACE:
        "電子証明書の有効期限が切れています。{until}までは保険証として使えますが、お薬などの情報は共有されません。お早めに、お住まいの市区町村の窓口で手続きしてください。",
        "The certificate on your card has expired. You can use the card as your health insurance card until {until}, but your medication and other medical information will not be shared. Please go to your municipal office soon.",
        "The certificate expired but is in its grace period (to the end of the third month after expiry); medication and medical-history consent are not asked.";
    NO_AUTH_METHOD:
        "この端末では本人確認ができません。受付にお申し出ください。",
        "This kiosk cannot confirm your identity. Please ask at the desk.",
        "None of the methods the clinic enables fits this card.";
    FACE_FAILED:
        "顔認証ができませんでした。",
        "The face check did not succeed.",
        "Face mismatches reached session.face_attempts; the text goes on with what the patient can do now (a NEXT_ entry).";
    FACE_RETRY:
        "顔認証ができませんでした。マスクや帽子を外し、カメラを見て、もう一度お試しください。",
        "The face check did not match. Please take off your mask or hat, look at the camera and try again.",
        "A face mismatch, with attempts left.";
    VISUAL_REJECTED:
        "職員による本人確認ができませんでした。受付にお申し出ください。",
        "Our staff could not confirm your identity. Please ask at the desk.",
        "Staff rejected the visual check.";
    SIGNATURE_INVALID:
        "カードを確認できませんでした。受付にお申し出ください。",
        "Your card could not be confirmed. Please ask at the desk.",
        "The card's signature over the challenge does not verify with its certificate.";
    CANCELLED:
        "受付を中止しました。カードをお取りください。",
        "Check-in was cancelled. Please take your card.",
        "The kiosk or staff cancelled the session (result outcome cancelled).";
    TIMED_OUT:
        "時間が過ぎたため、受付を中止しました。カードをお取りください。もう一度受付するときは、カードを置き直してください。",
        "Check-in stopped because the time ran out. Please take your card. To try again, place it on the reader again.",
        "A waiting step's timeout passed (result outcome timed_out).";
    CHECKED_IN:
        "受付が完了しました。カードをお取りください。",
        "You are checked in. Please take your card.",
        "The session ended verified.";

    // Commands the session refuses.
    NOT_WAITING:
        "いまはこの操作はできません。",
        "This action is not possible at this step.",
        "A command that does not fit the current step (API 409).";
    METHOD_NOT_ALLOWED:
        "この方法は選べません。画面に表示されている方法からお選びください。",
        "This method is not available. Please choose one of the methods shown.",
        "A method not among prompt.methods (API 409).";
    LAST_TRY_NOT_CONFIRMED:
        "暗証番号の入力は残り1回です。間違えるとロックされることを確認してから、確定してください。",
        "You have one PIN try left. Please confirm that a wrong PIN will lock it, then press OK.",
        "A PIN on the last try without confirm_last_try (API 409).";
    PHOTO_ALREADY_GIVEN:
        "顔写真は、この受付ですでに渡しています。",
        "The reference photo was already handed over in this session.",
        "A second face/reference in one session (API 409).";
    PHOTO_FIRST:
        "先に顔写真を取得してください。",
        "Request the reference photo before reporting a verdict.",
        "A face/verdict before face/reference (API 409).";
    CONSENT_ITEM_NOT_ASKED:
        "この項目は、この受付では確認していません。",
        "This consent item is not asked in this session.",
        "A consent answer for an item (or the prescription form) this session does not ask (API 409).";
    CONSENT_ALL_NOT_OFFERED:
        "この医療機関では、まとめて同意は使えません。",
        "Consent to all is not offered by this clinic.",
        "{\"all\":true} while session.consent_all_shortcut is off (API 409).";
    // The API's wording: its own check of the base64 body answers first, with these texts.
    CHALLENGE_FORMAT:
        "チャレンジは16〜64バイトをBase64で指定してください。",
        "challenge is 16 to 64 bytes, base64 encoded.",
        "A reception challenge that is not 16 to 64 bytes of base64 (API 400).";
    STAFF_ID_REQUIRED:
        "職員IDが必要です。",
        "A staff identifier is required.",
        "A visual check without a staff id (API 400).";
    // A command that names another session (a late cancel after the next patient tapped).
    SESSION_MISMATCH:
        "この操作は前の方の受付に対するものです。画面を確認してください。",
        "This command is for another session: check the screen.",
        "A command whose If-Match names a session that is not in progress (API 409).";
    // A command that names no session (If-Match).
    SESSION_REQUIRED:
        "どの受付に対する操作か指定してください（If-Match）。",
        "Name the session this command is for (If-Match: \"<session id>\").",
        "A session command without If-Match (API 428).";
    // What the API answers for a malformed staff id (the session's own refusal says less).
    STAFF_ID_FORMAT:
        "職員IDは1〜64文字で指定してください。",
        "staff_id is 1 to 64 printable characters.",
        "A staff id that is empty, too long or not printable (API 400).";

    // The card-face proof (issue 22): the photo is not handed to the face module.
    PHOTO_SIGNATURE_INVALID:
        "カードの顔写真を確認できませんでした。",
        "The photo on your card could not be confirmed.",
        "The card-face record's issuer signature (or its EF 0004 certificate) does not verify: the photo is never given to the face module; the text goes on with what the patient can do now (a NEXT_ entry).";
    CARD_FACE_CHIP_FAILED:
        "カードのICチップを確認できませんでした。",
        "The chip in your card could not be confirmed.",
        "The card-face chip did not sign the fresh challenge with the key its signed record names (copied files): the face path ends; the text goes on with what the patient can do now (a NEXT_ entry).";

    // The daemon and its journal.
    DAEMON_STOPPING:
        "この端末は停止中です。受付にお申し出ください。",
        "This kiosk is shutting down. Please go to the desk.",
        "The daemon is stopping (API 503 while it shuts down).";
    JOURNAL_UNAVAILABLE:
        "ただいま、この端末では受付できません。受付にお申し出ください。",
        "This kiosk cannot record check-ins right now ({detail}). Please go to the desk.",
        "Results cannot be written (disk full, journal broken): out_of_service and health unavailable.";
    JOURNAL_ROW_UNREADABLE:
        "保存された受付結果を読み取れません。この方の受付は、窓口で確認してください。",
        "A stored check-in result cannot be read ({detail}). Please confirm this check-in at the desk.",
        "A journal row that no longer parses, in place of its result.";
    CARD_THREAD_DEAD:
        "ただいま、この端末ではカードを読み取れません。端末を再起動しています。受付にお申し出ください。",
        "The kiosk cannot read cards until it restarts (its card thread stopped). Please go to the desk.",
        "The card thread died: out_of_service until systemd restarts the daemon.";
    INTERRUPTED:
        "受付の途中で端末が止まりました。もう一度カードを置いてください。",
        "The kiosk stopped during this check-in. Please place your card again.",
        "A session the daemon did not finish (power cut, crash), recorded at the next start (outcome interrupted).";

    // The bench (`--mock` only).
    BENCH_DISABLED:
        "ベンチ機能は --mock のときだけ使えます。",
        "The bench exists only with --mock.",
        "A bench endpoint on a daemon without --mock (API 404).";
    // The detail is the virtual card's own message, which lists the known profiles.
    UNKNOWN_PROFILE:
        "不明なカードプロファイルです。",
        "{detail}",
        "POST /v1/bench/card with a profile the virtual card does not have (API 400).";

    // What the patient can do next, appended to PIN_LOCKED, PIN_NOT_SET, FACE_FAILED and
    // FACE_REFERENCE_FAILED from the methods really offered: never a code of their own.
    NEXT_PIN:
        "暗証番号で受付できます。",
        "You can check in with your PIN.",
        "Appended to a notice when the PIN is the one method left.";
    NEXT_FACE:
        "顔認証で受付できます。",
        "You can check in with a face check.",
        "Appended to a notice when the face check is the one method left.";
    NEXT_STAFF:
        "職員が本人確認をして、受付できます。",
        "A staff member can confirm your identity to check you in.",
        "Appended to a notice when the staff check is the one method left.";
    NEXT_PIN_OR_STAFF:
        "暗証番号か、職員による本人確認で受付できます。",
        "You can check in with your PIN, or a staff member can confirm your identity.",
        "Appended to a notice when the PIN and the staff check are left.";
    NEXT_FACE_OR_STAFF:
        "顔認証か、職員による本人確認で受付できます。",
        "You can check in with a face check, or a staff member can confirm your identity.",
        "Appended to a notice when the face check and the staff check are left.";
    NEXT_CHOOSE:
        "画面に表示されている方法からお選びください。",
        "Please choose one of the ways shown.",
        "Appended to a notice when several other methods are left.";
    NEXT_USE_THE_CARD:
        "マイナンバーカード本体を置いてください。",
        "Please place your My Number card itself.",
        "Appended to a notice on a smartphone when no method is left.";
    NEXT_ASK_AT_DESK:
        "受付にお申し出ください。",
        "Please ask at the desk.",
        "Appended to a notice when no method is left.";

    // The extend-time action (「時間を延長」).
    EXTEND_LIMIT_REACHED:
        "これ以上、時間は延長できません。",
        "The time cannot be extended any further.",
        "POST /v1/session/extend after the step was already extended as often as allowed (API 409).";
    // A 照合番号B the card refused, which the face module may read again.
    COLLATION_B_RETRY:
        "カードの読み取りをやり直します。そのままお待ちください。",
        "Reading your card again. Please wait.",
        "The face module's 照合番号B was refused by the card and may be read again (answer to face/reference).";

    // Smartphones and certificate edge cases.
    PHONE_PIN:
        "スマートフォンに設定した、スマホ用電子証明書の暗証番号（数字4桁）を入力してください。カードの暗証番号とは別のものです。",
        "Please enter the 4-digit PIN you set on your phone for its certificate (スマホ用利用者証明用電子証明書). It is not your card's PIN.",
        "Beside the PIN prompt when the token is an Android phone.";
    PHONE_PIN_LOCKED:
        "スマートフォンの暗証番号がロックされています。マイナンバーカード本体を置いてください。カードをお持ちでないときは、受付にお申し出ください。",
        "The PIN on your phone is locked. Please place your My Number card itself. If you do not have it with you, please ask at the desk.",
        "An Android phone whose own PIN is locked (no face or staff check for a phone).";
    PHONE_NOT_AUTHORISED:
        "iPhoneでの認証がまだです。サイドボタンを2回押し、Face ID（またはTouch ID）で認証してから、もう一度カードリーダーにかざしてください。",
        "Your iPhone has not been authorised yet. Press the side button twice, authorise with Face ID (or Touch ID), then hold your iPhone to the reader again.",
        "An iPhone answered 6982 to the signature: its wallet has not authorised this check-in.";
    PHONE_CERT_EXPIRED:
        "スマートフォンの電子証明書が使えなくなっています。カードの電子証明書の有効期限が切れると、スマートフォンでは受付できません。受付で、マイナンバーカード本体か資格確認書をお見せください。電子証明書は、お住まいの市区町村の窓口で更新できます。",
        "The certificate on your phone can no longer be used: a phone stops working when the card's certificate expires. At the desk, please show your My Number card itself or your Eligibility Certificate (資格確認書). The certificate is renewed at your municipal office.",
        "A phone's certificate has expired: phones get no grace period.";
    UNKNOWN_TOKEN:
        "新しい種類のカードかスマートフォンとして読み取ります。うまくいかないときは、受付にお申し出ください。",
        "Reading this as a newer kind of card or phone. If it does not work, please ask at the desk.",
        "A token that answers the JPKI application with a label the kiosk does not know: read as JPKI, the label is logged.";
    COLLATION_B_TRIES_LOW:
        "カードの顔写真は読み取りません。カードの照合番号の残り回数が少ないためです。",
        "Your card's photo will not be read: few tries are left on the card for it.",
        "The card-face application has the configured reserve of 照合番号B tries or fewer: nothing is sent; the text goes on with what the patient can do now (a NEXT_ entry).";
    COLLATION_B_MISREADS:
        "カードの照合番号を読み取れませんでした。",
        "The number on your card could not be read.",
        "照合番号B was refused by the card as often as allowed in one session: the face path ends; the text goes on with what the patient can do now (a NEXT_ entry).";
    FACE_PHOTO_MISSING:
        "このカードには顔写真が記録されていないため、顔認証は使えません。",
        "This card holds no photo, so a face check cannot be used.",
        "The card-face application holds no photo (DF27 missing): the face path ends; the text goes on with what the patient can do now (a NEXT_ entry).";
    CERT_NOT_ISSUED:
        "このカードには、保険証として使うための電子証明書が入っていません。受付で、資格確認書をお持ちの方はお見せください。電子証明書は、お住まいの市区町村の窓口で発行を受けられます。",
        "This card holds no certificate for use as a health insurance card. At the desk, please show your Eligibility Certificate (資格確認書) if you have one. The certificate is issued at your municipal office.",
        "The card has no user-authentication certificate (never issued, or revoked at the counter).";
    CERT_NOT_YET_VALID:
        "ただいま、この端末はお使いいただけません。受付にお申し出ください。職員の方は、端末の日付と時刻を確認してください。",
        "This kiosk cannot be used right now. Please go to the desk. (Staff: please check the kiosk's date and time.)",
        "A certificate is not yet valid: almost always the kiosk's clock (a Pi has no RTC); out of service until a card reads right.";
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
        Code::CollationBTriesLow => &COLLATION_B_TRIES_LOW,
        Code::FacePhotoMissing => &FACE_PHOTO_MISSING,
        Code::CertNotIssued => &CERT_NOT_ISSUED,
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
    fn every_entry_has_both_languages_a_when_and_a_detail_only_in_english() {
        for text in ALL {
            assert!(!text.ja.is_empty() && !text.en.is_empty() && !text.when.is_empty(), "{}", text.code);
            assert!(!text.ja.contains("{detail}"), "{}", text.code);
            assert_eq!(text.ja.contains("{until}"), text.en.contains("{until}"), "{}", text.code);
        }
        let n = JOURNAL_UNAVAILABLE.notice_with("disk full");
        assert_eq!(n.en, "This kiosk cannot record check-ins right now (disk full). Please go to the desk.");
        assert_eq!(n.ja, JOURNAL_UNAVAILABLE.ja);
    }
}
