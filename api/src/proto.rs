//! Wire types: what the kiosk screen, reception software, the face module and staff tools see.
//!
//! Prompts and answers are serde-tagged enums (as greetd's IPC does) so a screen is driven by
//! data: `{"kind":"enter_pin","tries_left":3,"last_try":false}` says what to show, nothing else
//! needs guessing. Field names are part of the public contract: add, never rename.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Gives a fieldless wire enum `ALL`, `as_str` (its serde name) and `== "name"`, so code and
/// tests compare with the wire name without a list of their own. Tested against serde below.
macro_rules! wire_names {
    ($t:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($t::$v => $s),+
                }
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, name: &&str) -> bool {
                self.as_str() == *name
            }
        }
    };
}
pub(crate) use wire_names;

/// How the patient proves they hold the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The 4-digit user-authentication PIN, verified by the card itself.
    Pin,
    /// A face-check module compares the live face with the card photo.
    Face,
    /// Staff compare the card photo with the patient.
    Visual,
}

/// Information the patient may agree to share (the online system's consent flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentItem {
    /// 薬剤情報 (`PharmacistsInfoConsFlg`)
    Medication,
    /// 限度額適用認定証関連情報 (`LimitApplicationCertificateRelatedConsFlg`)
    LimitAmount,
    /// 診療情報 (`DiagnosisInfoConsFlg`)
    Diagnosis,
    /// 特定健診情報 (`SpecificHealthCheckupsInfoConsFlg`)
    HealthCheckups,
    /// 手術情報 (`OperationInfoConsFlg`)
    Surgery,
    /// 特定疾病療養受療証 (`SpecificDiseasesCertificateRelatedConsFlg`)
    SpecificDiseases,
    /// 処方箋の発行形態: yes = electronic (電子処方箋), no = paper (`PrescriptionIssueSelect`).
    ElectronicPrescription,
}

impl ConsentItem {
    pub const ALL: [ConsentItem; 7] = [
        ConsentItem::Medication,
        ConsentItem::LimitAmount,
        ConsentItem::Diagnosis,
        ConsentItem::HealthCheckups,
        ConsentItem::Surgery,
        ConsentItem::SpecificDiseases,
        ConsentItem::ElectronicPrescription,
    ];

    /// Information the patient agrees to share: every item but the prescription form, which
    /// is a choice (電子 / 紙), not a consent. 「まとめて同意」 covers exactly these.
    pub fn is_information(self) -> bool {
        self != ConsentItem::ElectronicPrescription
    }

    /// Medication and medical-history sharing: not offered while a certificate is in grace.
    pub fn is_medical_history(self) -> bool {
        matches!(
            self,
            ConsentItem::Medication | ConsentItem::Diagnosis | ConsentItem::HealthCheckups | ConsentItem::Surgery
        )
    }

    pub fn question(self) -> (&'static str, &'static str) {
        match self {
            ConsentItem::Medication => (
                "過去のお薬の情報を、この医療機関の医師・薬剤師に提供することに同意しますか？",
                "Do you agree that the doctors and pharmacists here may see your past medication?",
            ),
            ConsentItem::LimitAmount => (
                "医療費の自己負担の上限額（限度額）の情報を、この医療機関に提供することに同意しますか？",
                "Do you agree that this clinic may see your limit on out-of-pocket medical costs (限度額)?",
            ),
            ConsentItem::Diagnosis => (
                "過去の診療の情報を、この医療機関の医師に提供することに同意しますか？",
                "Do you agree that the doctors here may see your past diagnoses and treatments?",
            ),
            ConsentItem::HealthCheckups => (
                "特定健診などの健診の結果を、この医療機関に提供することに同意しますか？",
                "Do you agree that this clinic may see your health check-up results (特定健診)?",
            ),
            ConsentItem::Surgery => (
                "過去の手術の情報を、この医療機関の医師に提供することに同意しますか？",
                "Do you agree that the doctors here may see your past operations?",
            ),
            ConsentItem::SpecificDiseases => (
                "特定疾病療養受療証の情報を、この医療機関に提供することに同意しますか？",
                "Do you agree that this clinic may see your specified-disease certificate (特定疾病療養受療証)?",
            ),
            ConsentItem::ElectronicPrescription => {
                ("処方箋の受け取り方を選んでください。", "How would you like to receive your prescription?")
            }
        }
    }
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Verified,
    Failed,
    Cancelled,
    CardRemoved,
    TimedOut,
    /// The daemon stopped (power cut, crash) while the session was in progress.
    Interrupted,
}

wire_names!(Outcome {
    Verified => "verified",
    Failed => "failed",
    Cancelled => "cancelled",
    CardRemoved => "card_removed",
    TimedOut => "timed_out",
    Interrupted => "interrupted",
});

/// A message for a person: stable code, Japanese and English text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub code: String,
    pub ja: String,
    pub en: String,
}

/// What the kiosk screen should show now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Prompt {
    /// Idle: "place your card".
    PlaceCard,
    /// The kiosk cannot check patients in now (see the notices): "please go to the desk".
    OutOfService,
    /// Reading the card: "please wait, do not remove the card".
    Reading,
    ChooseMethod {
        methods: Vec<Method>,
    },
    EnterPin {
        tries_left: u8,
        /// One try left: the kiosk must ask for explicit confirmation before submitting.
        last_try: bool,
    },
    /// The card is checking the PIN and signing.
    Verifying,
    /// Waiting for the face-check module.
    FaceCheck {
        attempts_left: u8,
    },
    /// Waiting for a staff member to compare the card photo with the patient.
    StaffCheck,
    Consent {
        item: ConsentItem,
        question_ja: String,
        question_en: String,
        /// 1-based position among the items asked.
        index: usize,
        total: usize,
        /// Whether "consent to all" (まとめて同意) may be offered.
        allow_all: bool,
    },
    /// How the patient wants the prescription (処方箋の発行形態): a choice between `choices`
    /// (電子処方箋 / 紙の処方箋), answered with `{"prescription": "electronic"}` or `"paper"`.
    Prescription {
        question_ja: String,
        question_en: String,
        choices: Vec<PrescriptionForm>,
        /// 1-based position among the consent items and this choice.
        index: usize,
        total: usize,
    },
    /// Finished: "please take your card".
    TakeCard {
        outcome: Outcome,
    },
}

/// A `POST /v1/session/<action>` command; `allowed_actions` lists those that fit now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionAction {
    Method,
    Pin,
    #[serde(rename = "face/reference")]
    FaceReference,
    #[serde(rename = "face/verdict")]
    FaceVerdict,
    Visual,
    Consent,
    Cancel,
    Challenge,
    /// 「時間を延長」: more time for the step on screen (bounded: see the daemon).
    Extend,
}

wire_names!(SessionAction {
    Method => "method",
    Pin => "pin",
    FaceReference => "face/reference",
    FaceVerdict => "face/verdict",
    Visual => "visual",
    Consent => "consent",
    Cancel => "cancel",
    Challenge => "challenge",
    Extend => "extend",
});

/// The current session as `GET /v1/session` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// `null` while no card is on the reader.
    pub id: Option<String>,
    pub prompt: Prompt,
    /// The `POST /v1/session/...` actions that fit now, e.g. `["pin","cancel"]`.
    pub allowed_actions: Vec<SessionAction>,
    pub pin_tries_left: Option<u8>,
    /// Milliseconds until the current step times out.
    pub deadline_ms: Option<u64>,
    /// Guidance to show beside the prompt (wrong PIN, renew soon, …).
    pub notices: Vec<Notice>,
    pub card: Option<CardInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInfo {
    pub kind: CardKind,
    pub certificate: Option<CertificateInfo>,
}

/// What the JPKI application says the card is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    MyNumberCard,
    /// A smartphone certificate (スマホ用電子証明書).
    Android,
    Iphone,
    /// The old 住基カード: not a マイナ保険証.
    Juki,
    NotJpki,
    /// A JPKI token with a label we do not know.
    UnknownJpki,
}

wire_names!(CardKind {
    MyNumberCard => "my_number_card",
    Android => "android",
    Iphone => "iphone",
    Juki => "juki",
    NotJpki => "not_jpki",
    UnknownJpki => "unknown_jpki",
});

/// Where the certificate stands on the validity calendar (JST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    Valid,
    /// Renew soon: the kiosk shows a notice.
    ExpiringSoon,
    /// Expired but in the grace period: eligibility only, no medical-history consent.
    Grace,
    Expired,
    /// Never in a view (such a card is refused before one is shown); named so the daemon's
    /// mapping is total.
    NotYetValid,
}

wire_names!(CertStatus {
    Valid => "valid",
    ExpiringSoon => "expiring_soon",
    Grace => "grace",
    Expired => "expired",
    NotYetValid => "not_yet_valid",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// The user-authentication certificate, DER in base64: what the online eligibility
    /// system keys on.
    pub der: String,
    pub serial: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub status: CertStatus,
    /// Subjects from the certificate's issuer to the trust anchor.
    pub chain: Vec<String>,
    /// The last day the card may still be used after the certificate expired (JST date,
    /// `YYYY-MM-DD`); `None` for a phone, which has no grace.
    #[serde(default)]
    pub grace_until: Option<String>,
}

/// Evidence of how the patient authenticated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum AuthEvidence {
    /// The card signed `challenge` (base64) with its user-auth key after a correct PIN;
    /// `signature` (base64) is RSA PKCS#1 v1.5 over SHA-256(challenge), verified by the kiosk.
    Pin {
        challenge: String,
        signature: String,
    },
    Face {
        score: Option<f64>,
    },
    Visual {
        staff_id: String,
    },
}

/// One thing the card can prove, as a result reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofCheck {
    /// Checked, and it held.
    Verified,
    /// Checked, and it did not hold: treat the card as not proved.
    Failed,
    /// Not attempted in this session.
    #[default]
    NotChecked,
}

wire_names!(ProofCheck {
    Verified => "verified",
    Failed => "failed",
    NotChecked => "not_checked",
});

/// How the holder was verified and what the card itself proved in this session, so a face or
/// staff check on a copied certificate or a forged photo never looks like a proved card.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardProof {
    /// How the holder was verified: `pin`, `face` or `visual` (staff); `null` if not verified.
    pub holder_verified_by: Option<Method>,
    /// The user-authentication key signed a fresh challenge after the card checked the PIN,
    /// verified against the certificate that chains to J-LIS.
    pub pin_signature: ProofCheck,
    /// The card-face application's chip signed a fresh nonce with the key the issuer-signed
    /// card-face record names: this chip is the card, not a copy of its files.
    pub chip_challenge: ProofCheck,
    /// The issuer's signature over the card-face record (photo and chip key), through the
    /// card-face certificate (EF 0004) to the card-face CA. A photo that fails is never handed
    /// to the face module.
    pub photo_signature: ProofCheck,
}

impl AuthEvidence {
    pub fn method(&self) -> Method {
        match self {
            AuthEvidence::Pin { .. } => Method::Pin,
            AuthEvidence::Face { .. } => Method::Face,
            AuthEvidence::Visual { .. } => Method::Visual,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// Each configured item: true consented, false not (silence is not consent).
    pub items: BTreeMap<ConsentItem, bool>,
    pub answered_at: String,
    /// Consent is valid for 24 hours.
    pub valid_until: String,
}

/// A finished session, as delivered to reception software.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResult {
    pub id: String,
    /// Delivery order, assigned when the result is made durable.
    pub seq: u64,
    pub outcome: Outcome,
    pub started_at: String,
    pub finished_at: String,
    pub card: Option<CardInfo>,
    pub auth: Option<AuthEvidence>,
    /// What the card proved and how the holder was verified. Results stored before this field
    /// existed read as nothing proved.
    #[serde(default)]
    pub proof: CardProof,
    pub consent: Option<ConsentRecord>,
    pub guidance: Vec<Notice>,
    pub error: Option<Notice>,
}

/// `GET /v1/results`: one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsPage {
    pub results: Vec<SessionResult>,
    /// Pass as `after` to get the next page.
    pub next_after: u64,
}

/// The prescription form (`PrescriptionIssueSelect`: 1 electronic, 2 paper). Recorded in the
/// result as `electronic_prescription`: true for electronic, false for paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionForm {
    /// 電子処方箋
    Electronic,
    /// 紙の処方箋
    Paper,
}

wire_names!(PrescriptionForm {
    Electronic => "electronic",
    Paper => "paper",
});

/// `POST /v1/session/consent`: per item, or everything at once. The bodies carry no tag, so
/// serde tells them apart by shape: a body with a boolean `all` is `All`, whatever else it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConsentAnswer {
    /// `{"all": true}`: まとめて同意 (or `false`: decline). Applies to the information items
    /// not yet answered: never to the prescription form, never over an explicit answer.
    All { all: bool },
    /// `{"prescription": "electronic"}` or `"paper"`: the answer to the prescription prompt.
    Prescription { prescription: PrescriptionForm },
    /// `{"medication": true, "limit_amount": false}`: an answer per item asked.
    Items(BTreeMap<ConsentItem, bool>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_name<T: Serialize>(v: T) -> String {
        serde_json::to_value(v).unwrap().as_str().unwrap().to_string()
    }

    fn check<T: Copy + Serialize + PartialEq<&'static str> + std::fmt::Debug>(all: &[T], name: fn(T) -> &'static str) {
        for &v in all {
            assert_eq!(name(v), serde_name(v));
            assert_eq!(v, name(v));
        }
    }

    #[test]
    fn a_result_stored_before_proof_existed_reads_as_nothing_proved() {
        let old = r#"{"id":"s-1","seq":1,"outcome":"verified","started_at":"2026-01-15T03:00:00.000Z",
            "finished_at":"2026-01-15T03:00:30.000Z","card":null,"auth":{"method":"visual","staff_id":"n-1"},
            "consent":null,"guidance":[],"error":null}"#;
        let r: SessionResult = serde_json::from_str(old).unwrap();
        assert_eq!(r.proof, CardProof::default());
        let v = serde_json::to_value(r.proof).unwrap();
        assert_eq!(v["holder_verified_by"], serde_json::Value::Null);
        assert_eq!(v["chip_challenge"], "not_checked");
    }

    #[test]
    fn wire_names_are_the_serde_names() {
        check(SessionAction::ALL, SessionAction::as_str);
        check(Outcome::ALL, Outcome::as_str);
        check(CardKind::ALL, CardKind::as_str);
        check(CertStatus::ALL, CertStatus::as_str);
        check(PrescriptionForm::ALL, PrescriptionForm::as_str);
        check(ProofCheck::ALL, ProofCheck::as_str);
        check(crate::backend::HealthStatus::ALL, crate::backend::HealthStatus::as_str);
        assert_ne!(SessionAction::Pin, "cancel");
    }
}
