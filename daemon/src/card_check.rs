//! What the kiosk learns from a card: its kind, the user-auth certificate's facts, where it
//! stands on the validity calendar, and whether its chain reaches a configured trust anchor.
//! Reads only public data (no 個人番号). A card's certificate is read before anyone
//! authenticates; an Android phone's only after its PIN ([`CardKind::certificate_needs_pin`]).

use chrono::{DateTime, Utc};
use myna_card::cert::{CertError, Certificate, Chain, TrustAnchors, Validity};
use myna_card::jpki::{CardKind, CertSlot, JpkiClient, JpkiError};
use myna_card::transport::CardTransport;

use crate::catalogue::{self, Explained, Text};

#[derive(Debug, Clone)]
pub struct CardReport {
    pub kind: CardKind,
    pub certificate: Certificate,
    pub validity: Validity,
    pub chain: Chain,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Card(#[from] JpkiError),
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error("this card is not a マイナ保険証 ({0})")]
    UnsupportedKind(&'static str),
    #[error("the certificate is {validity}")]
    NotUsable { validity: &'static str, phone: bool },
}

impl CheckError {
    pub fn code(&self) -> &'static str {
        self.text().code
    }
}

impl Explained for CheckError {
    fn text(&self) -> &'static Text {
        match self {
            CheckError::Card(e) => e.text(),
            CheckError::Certificate(e) => e.text(),
            CheckError::UnsupportedKind("juki") => &catalogue::JUKI_CARD,
            CheckError::UnsupportedKind(_) => &catalogue::NOT_MY_NUMBER_CARD,
            CheckError::NotUsable { validity: "not_yet_valid", .. } => &catalogue::CERT_NOT_YET_VALID,
            // A phone gets no grace and stops when the card's certificate does.
            CheckError::NotUsable { phone: true, .. } => &catalogue::PHONE_CERT_EXPIRED,
            CheckError::NotUsable { .. } => &catalogue::CERT_EXPIRED,
        }
    }
}

/// Identifies the card and checks its user-authentication certificate at `now`.
pub fn check_card<T: CardTransport>(
    client: &mut JpkiClient<T>,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
) -> Result<CardReport, CheckError> {
    let kind = identify(client)?;
    check_certificate(client, kind, anchors, now)
}

/// Identifies the token and refuses those that cannot be a マイナ保険証.
pub fn identify<T: CardTransport>(client: &mut JpkiClient<T>) -> Result<CardKind, CheckError> {
    let kind = client.identify()?;
    if !kind.is_health_insurance_capable() {
        return Err(CheckError::UnsupportedKind(kind.as_str()));
    }
    Ok(kind)
}

/// Reads the user-authentication certificate of a token already identified as `kind` and
/// checks it at `now` (on an Android phone, only after its PIN was verified).
pub fn check_certificate<T: CardTransport>(
    client: &mut JpkiClient<T>,
    kind: CardKind,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
) -> Result<CardReport, CheckError> {
    let der = client.read_certificate(CertSlot::UserAuth)?;
    let certificate = Certificate::from_der(&der)?;
    let chain = anchors.verify(&certificate)?;
    let validity = certificate.validity_at(now, !kind.is_smartphone());
    if !validity.is_usable() {
        return Err(CheckError::NotUsable { validity: validity.as_str(), phone: kind.is_smartphone() });
    }
    Ok(CardReport { kind, certificate, validity, chain })
}

#[cfg(all(test, feature = "mock"))]
mod tests {
    use super::*;
    use myna_virtual_card::{test_trust_anchors, CardOptions, Profile, VirtualCard};

    fn check(profile: Profile, anchors: &TrustAnchors) -> Result<CardReport, CheckError> {
        let now = Utc::now();
        let card = VirtualCard::with_options(profile, CardOptions { now, ..Default::default() });
        check_card(&mut JpkiClient::new(card), anchors, now)
    }

    #[test]
    fn each_profile_gets_its_outcome() {
        let a = test_trust_anchors();
        assert_eq!(check(Profile::Valid, &a).unwrap().validity, Validity::Valid);
        assert_eq!(check(Profile::ExpiringSoon, &a).unwrap().validity, Validity::ExpiringSoon);
        assert_eq!(check(Profile::Grace, &a).unwrap().validity, Validity::Grace);
        // A phone keeps its certificate behind the PIN: identified first, read after VERIFY.
        let mut phone = JpkiClient::new(VirtualCard::new(Profile::Android));
        assert_eq!(identify(&mut phone).unwrap(), CardKind::Android);
        assert_eq!(check(Profile::Android, &a).unwrap_err().code(), "CARD_UNREADABLE");
        assert_eq!(check(Profile::Expired, &a).unwrap_err().code(), "CERT_EXPIRED");
        assert_eq!(check(Profile::Juki, &a).unwrap_err().code(), "JUKI_CARD");
        assert_eq!(check(Profile::NotJpki, &a).unwrap_err().code(), "NOT_MY_NUMBER_CARD");
    }

    #[test]
    fn a_chain_to_no_configured_anchor_is_refused() {
        let mut jlis_only = TrustAnchors::default();
        jlis_only.add_pem(include_bytes!("../../jpki-ca/auth_ca_2023.pem")).unwrap();
        assert_eq!(check(Profile::Valid, &jlis_only).unwrap_err().code(), "CERT_UNTRUSTED");
        assert_eq!(check(Profile::Valid, &TrustAnchors::default()).unwrap_err().code(), "CERT_UNTRUSTED");
    }
}
