//! What the kiosk learns from a card before anyone authenticates: its kind, the user-auth
//! certificate's facts, where it stands on the validity calendar, and whether its chain reaches
//! a configured trust anchor. Reads only public data (no PIN, no 個人番号).

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
    #[error("the certificate is {0}")]
    NotUsable(&'static str),
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
            CheckError::NotUsable(_) => &catalogue::CERT_EXPIRED,
        }
    }
}

/// Identifies the card and checks its user-authentication certificate at `now`.
pub fn check_card<T: CardTransport>(
    client: &mut JpkiClient<T>,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
) -> Result<CardReport, CheckError> {
    let kind = client.identify()?;
    if !kind.is_health_insurance_capable() {
        return Err(CheckError::UnsupportedKind(kind.as_str()));
    }
    let der = client.read_certificate(CertSlot::UserAuth)?;
    let certificate = Certificate::from_der(&der)?;
    let chain = anchors.verify(&certificate)?;
    let validity = certificate.validity_at(now, !kind.is_smartphone());
    if !validity.is_usable() {
        return Err(CheckError::NotUsable(validity.as_str()));
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
        assert_eq!(check(Profile::Android, &a).unwrap().kind, CardKind::Android);
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
