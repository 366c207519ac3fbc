//! Certificate facts and checks: parsing (x509-cert, the same RustCrypto DER stack rsa uses:
//! one X.509 stack in the binary, issue #21), the reception validity classes, the chain to
//! configured trust anchors, and card signatures (rsa).

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, TimeZone, Utc};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_cert::name::Name;

use crate::code::Code;

/// `sha256WithRSAEncryption`: what J-LIS issues and the only algorithm we accept.
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";

/// The facts about one certificate that the kiosk reports and decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    /// Serial number, upper-case hex without separators.
    pub serial: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    issuer_raw: Vec<u8>,
    subject_raw: Vec<u8>,
    spki_der: Vec<u8>,
    tbs_der: Vec<u8>,
    signature_alg: String,
    signature: Vec<u8>,
}

impl Certificate {
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertError> {
        let parse = |e: x509_cert::der::Error| CertError::Parse(e.to_string());
        // `from_der` refuses trailing bytes after the certificate.
        let cert = x509_cert::Certificate::from_der(der).map_err(parse)?;
        let tbs = &cert.tbs_certificate;
        let validity = &tbs.validity;
        let to_utc = |t: x509_cert::time::Time| {
            DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
                .ok_or_else(|| CertError::Parse("certificate date out of range".into()))
        };
        let encode = |n: &Name| n.to_der().map_err(parse);
        let signature = cert
            .signature
            .as_bytes()
            .ok_or_else(|| CertError::Parse("signature is not a whole number of bytes".into()))?;
        Ok(Certificate {
            der: der.to_vec(),
            serial: hex::encode_upper(tbs.serial_number.as_bytes()),
            subject: name_text(&tbs.subject),
            issuer: name_text(&tbs.issuer),
            not_before: to_utc(validity.not_before)?,
            not_after: to_utc(validity.not_after)?,
            issuer_raw: encode(&tbs.issuer)?,
            subject_raw: encode(&tbs.subject)?,
            spki_der: tbs.subject_public_key_info.to_der().map_err(parse)?,
            tbs_der: tbs_bytes(der).map_err(parse)?,
            signature_alg: cert.signature_algorithm.oid.to_string(),
            signature: signature.to_vec(),
        })
    }

    /// Parses every certificate in a PEM text (as the J-LIS CA files are distributed).
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Certificate>, CertError> {
        // x509-cert 0.2.5's load_pem_chain subtracts 1 from the length of the text without its
        // trailing line breaks: an empty or blank file (a CA file emptied by mistake) overflows.
        if pem.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            return Err(CertError::Parse("no CERTIFICATE block in PEM".into()));
        }
        let chain = x509_cert::Certificate::load_pem_chain(pem).map_err(|e| CertError::Parse(format!("PEM: {e}")))?;
        let out = chain
            .iter()
            .map(|c| Certificate::from_der(&c.to_der().map_err(|e| CertError::Parse(e.to_string()))?))
            .collect::<Result<Vec<_>, _>>()?;
        if out.is_empty() {
            return Err(CertError::Parse("no CERTIFICATE block in PEM".into()));
        }
        Ok(out)
    }

    pub fn public_key(&self) -> Result<RsaPublicKey, CertError> {
        RsaPublicKey::from_public_key_der(&self.spki_der).map_err(|_| CertError::NotRsa)
    }

    pub fn is_self_issued(&self) -> bool {
        self.issuer_raw == self.subject_raw
    }

    /// Checks an RSA PKCS#1 v1.5 SHA-256 signature over `message` made by this certificate's key,
    /// as the card's SIGN produces it.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<(), CertError> {
        let digest = Sha256::digest(message);
        self.verify_digest_signature(&digest, signature)
    }

    /// Same as [`Certificate::verify_signature`] for an already computed SHA-256 digest.
    pub fn verify_digest_signature(&self, digest: &[u8], signature: &[u8]) -> Result<(), CertError> {
        self.public_key()?.verify(Pkcs1v15Sign::new::<Sha256>(), digest, signature).map_err(|_| CertError::BadSignature)
    }

    /// Whether `issuer` signed this certificate (names match and the signature verifies).
    fn issued_by(&self, issuer: &Certificate) -> Result<(), CertError> {
        if self.issuer_raw != issuer.subject_raw {
            return Err(CertError::UntrustedIssuer(self.issuer.clone()));
        }
        if self.signature_alg != SHA256_WITH_RSA {
            return Err(CertError::UnsupportedAlgorithm(self.signature_alg.clone()));
        }
        issuer.verify_signature(&self.tbs_der, &self.signature)
    }

    pub fn validity_at(&self, now: DateTime<Utc>, grace_allowed: bool) -> Validity {
        Validity::classify(self.not_before, self.not_after, now, grace_allowed)
    }
}

/// A name as the kiosk reports it: RDNs in certificate order, `C=JP, O=JPKI, OU=…` (what
/// reception software has seen since the first release; RFC 4514 would reverse the order).
fn name_text(name: &Name) -> String {
    let rdns = name.0.iter().flat_map(|rdn| rdn.0.iter()).map(|atv| atv.to_string());
    rdns.collect::<Vec<_>>().join(", ")
}

/// The signed part exactly as it came (the signature covers these bytes, not a re-encoding).
fn tbs_bytes(der: &[u8]) -> x509_cert::der::Result<Vec<u8>> {
    let mut outer = SliceReader::new(der)?;
    let tbs = outer.sequence(|body| {
        let tbs = body.tlv_bytes()?;
        // The algorithm and signature follow; `from_der` has checked them.
        body.read_slice(body.remaining_len())?;
        Ok(tbs)
    })?;
    Ok(tbs.to_vec())
}

/// Japan Standard Time: the reception rules count months on the Japanese calendar.
fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("constant offset")
}

/// Where a certificate stands for reception on a given instant (`reception-rules.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Valid,
    /// Valid, and expiring within three months: continue, with a "renew" notice.
    ExpiringSoon,
    /// Expired, but before the end of the third month after the month of expiry:
    /// eligibility only, no medication or medical-history sharing.
    Grace,
    /// Expired beyond the grace period (or expired with no grace, as on a smartphone).
    Expired,
}

impl Validity {
    pub fn classify(
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
        now: DateTime<Utc>,
        grace_allowed: bool,
    ) -> Validity {
        if now < not_before {
            return Validity::NotYetValid;
        }
        if now <= not_after {
            let local_end = not_after.with_timezone(&jst());
            let alert_from = local_end.checked_sub_months(Months::new(3)).unwrap_or(local_end);
            return if now >= alert_from { Validity::ExpiringSoon } else { Validity::Valid };
        }
        if grace_allowed && now < grace_end(not_after) {
            Validity::Grace
        } else {
            Validity::Expired
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Validity::NotYetValid => "not_yet_valid",
            Validity::Valid => "valid",
            Validity::ExpiringSoon => "expiring_soon",
            Validity::Grace => "grace",
            Validity::Expired => "expired",
        }
    }

    /// Usable for check-in at all (with or without restrictions).
    pub fn is_usable(self) -> bool {
        matches!(self, Validity::Valid | Validity::ExpiringSoon | Validity::Grace)
    }
}

/// First instant after the grace period: 00:00 JST on the first day of the fourth month
/// after the month of expiry (expiry in February → usable to the end of May).
pub fn grace_end(not_after: DateTime<Utc>) -> DateTime<Utc> {
    let local = not_after.with_timezone(&jst());
    let first_of_expiry_month = NaiveDate::from_ymd_opt(local.year(), local.month(), 1).expect("valid month");
    let first_after_grace = first_of_expiry_month + Months::new(4);
    jst()
        .from_local_datetime(&first_after_grace.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// The last day of grace, as a JST date: the day before [`grace_end`] (the last day of the
/// third month after the month of expiry).
pub fn grace_last_day(not_after: DateTime<Utc>) -> NaiveDate {
    let end = grace_end(not_after).with_timezone(&jst()).date_naive();
    end.pred_opt().expect("a date after the epoch has a day before it")
}

/// The certificates the kiosk trusts as issuers of user-authentication certificates, and the
/// card-face CA keys it checks the card-face AP's certificate (EF `0004`) against.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    anchors: Vec<Certificate>,
    face_cas: Vec<crate::jpki::face_proof::FaceCa>,
}

/// How a certificate reached an anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Subject of the anchor that signed the certificate.
    pub anchor_subject: String,
    pub anchor_serial: String,
}

impl TrustAnchors {
    pub fn new(anchors: Vec<Certificate>) -> Self {
        TrustAnchors { anchors, face_cas: Vec::new() }
    }

    /// Trusts `ca` for the card-face AP's certificate (photo and chip proof).
    pub fn add_face_ca(&mut self, ca: crate::jpki::face_proof::FaceCa) {
        self.face_cas.push(ca);
    }

    pub fn face_cas(&self) -> &[crate::jpki::face_proof::FaceCa] {
        &self.face_cas
    }

    pub fn add_pem(&mut self, pem: &[u8]) -> Result<(), CertError> {
        self.anchors.extend(Certificate::from_pem(pem)?);
        Ok(())
    }

    pub fn add(&mut self, anchor: Certificate) {
        self.anchors.push(anchor);
    }

    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Verifies that `cert` was issued by one of the anchors. J-LIS reuses one DN across CA
    /// generations (2015, 2023), so every anchor with a matching name is tried.
    pub fn verify(&self, cert: &Certificate) -> Result<Chain, CertError> {
        let mut last = CertError::UntrustedIssuer(cert.issuer.clone());
        for anchor in &self.anchors {
            match cert.issued_by(anchor) {
                Ok(()) => {
                    return Ok(Chain { anchor_subject: anchor.subject.clone(), anchor_serial: anchor.serial.clone() })
                }
                Err(CertError::UntrustedIssuer(_)) => {}
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("the certificate cannot be parsed: {0}")]
    Parse(String),
    #[error("the certificate key is not RSA")]
    NotRsa,
    #[error("signature algorithm {0} is not accepted")]
    UnsupportedAlgorithm(String),
    #[error("no trust anchor issued this certificate (issuer {0})")]
    UntrustedIssuer(String),
    #[error("the signature does not verify")]
    BadSignature,
}

impl CertError {
    pub fn code(&self) -> Code {
        match self {
            CertError::Parse(_) | CertError::NotRsa | CertError::UnsupportedAlgorithm(_) => Code::CertUnreadable,
            CertError::UntrustedIssuer(_) | CertError::BadSignature => Code::CertUntrusted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn class(not_after: &str, now: &str, grace: bool) -> Validity {
        Validity::classify(at("2021-01-01T00:00:00Z"), at(not_after), at(now), grace)
    }

    #[test]
    fn validity_classes_on_their_boundaries() {
        // Expires 2026-02-15 23:59:59 JST, as J-LIS certificates end at 14:59:59Z.
        let end = "2026-02-15T14:59:59Z";
        assert_eq!(class(end, "2020-12-31T23:59:59Z", true), Validity::NotYetValid);
        assert_eq!(class(end, "2025-11-15T14:59:58Z", true), Validity::Valid);
        assert_eq!(class(end, "2025-11-15T14:59:59Z", true), Validity::ExpiringSoon);
        assert_eq!(class(end, "2026-02-15T14:59:59Z", true), Validity::ExpiringSoon);
        assert_eq!(class(end, "2026-02-15T15:00:00Z", true), Validity::Grace);
        // Grace runs to the end of May in Japan: 2026-05-31 23:59:59 JST.
        assert_eq!(class(end, "2026-05-31T14:59:59Z", true), Validity::Grace);
        assert_eq!(class(end, "2026-05-31T15:00:00Z", true), Validity::Expired);
        // A smartphone certificate has no grace.
        assert_eq!(class(end, "2026-02-15T15:00:00Z", false), Validity::Expired);
    }

    #[test]
    fn grace_counts_months_in_japan_time() {
        // 2025-10-31T15:00:00Z is already 1 November in Japan: grace ends with February.
        assert_eq!(grace_end(at("2025-10-31T15:00:00Z")), at("2026-02-28T15:00:00Z"));
        // Expiry in November crosses the year.
        assert_eq!(grace_end(at("2025-11-30T14:59:59Z")), at("2026-02-28T15:00:00Z"));
        assert_eq!(grace_end(at("2026-12-01T00:00:00Z")), at("2027-03-31T15:00:00Z"));
    }

    #[test]
    fn expiring_soon_uses_calendar_months() {
        // Expiry 31 May (JST): three months earlier is clamped to the last day of February.
        let end = "2026-05-31T14:59:59Z";
        assert_eq!(class(end, "2026-02-28T14:59:58Z", true), Validity::Valid);
        assert_eq!(class(end, "2026-02-28T14:59:59Z", true), Validity::ExpiringSoon);
    }

    const JLIS: &[(&str, &str)] = &[
        ("auth_ca_2015.pem", include_str!("../../../jpki-ca/auth_ca_2015.pem")),
        ("auth_ca_2023.pem", include_str!("../../../jpki-ca/auth_ca_2023.pem")),
        ("sign_ca_2015.pem", include_str!("../../../jpki-ca/sign_ca_2015.pem")),
        ("sign_ca_2023.pem", include_str!("../../../jpki-ca/sign_ca_2023.pem")),
    ];

    #[test]
    fn real_jlis_cas_parse_and_anchor_themselves() {
        for (name, pem) in JLIS {
            let certs = Certificate::from_pem(pem.as_bytes()).unwrap();
            assert_eq!(certs.len(), 1, "{name}");
            let ca = &certs[0];
            assert!(ca.subject.contains("O=JPKI"), "{name}: {}", ca.subject);
            assert!(ca.is_self_issued(), "{name}");
            assert!(ca.public_key().is_ok(), "{name}");
            // A self-signed root verifies against itself when used as an anchor.
            let anchors = TrustAnchors::new(vec![ca.clone()]);
            anchors.verify(ca).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let auth2023 = &Certificate::from_pem(JLIS[1].1.as_bytes()).unwrap()[0];
        assert_eq!(auth2023.not_after, at("2033-07-15T14:59:59Z"));
        assert!(auth2023.subject.contains("JPKI for user authentication"));
    }

    #[test]
    fn same_dn_across_generations_still_finds_the_right_anchor() {
        let a2015 = Certificate::from_pem(JLIS[0].1.as_bytes()).unwrap().remove(0);
        let a2023 = Certificate::from_pem(JLIS[1].1.as_bytes()).unwrap().remove(0);
        let anchors = TrustAnchors::new(vec![a2015.clone(), a2023.clone()]);
        assert_eq!(anchors.verify(&a2023).unwrap().anchor_serial, a2023.serial);
        assert_eq!(anchors.verify(&a2015).unwrap().anchor_serial, a2015.serial);
        // The signature CA is not an anchor for user-auth certificates.
        let sign = Certificate::from_pem(JLIS[3].1.as_bytes()).unwrap().remove(0);
        assert!(matches!(anchors.verify(&sign), Err(CertError::UntrustedIssuer(_))));
    }

    #[test]
    fn reported_facts_of_the_jlis_cas_are_those_reception_has_always_seen() {
        // As the first releases (x509-parser) reported them: the stack changed, the facts not.
        let auth =
            "C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems";
        let sign =
            "C=JP, O=JPKI, OU=JPKI for digital signature, OU=Japan Agency for Local Authority Information Systems";
        let expected = [
            ("01", auth, "2015-10-20T03:08:13+00:00", "2025-10-19T14:59:59+00:00", "30820408a0030201"),
            ("06D18006", auth, "2023-07-16T01:01:04+00:00", "2033-07-15T14:59:59+00:00", "3082040ba0030201"),
            ("01", sign, "2015-10-20T02:40:28+00:00", "2025-10-19T14:59:59+00:00", "308203f9a0030201"),
            ("067C6A21", sign, "2023-07-16T00:50:27+00:00", "2033-07-15T14:59:59+00:00", "308203fca0030201"),
        ];
        for ((name, pem), (serial, dn, from, to, tbs)) in JLIS.iter().zip(expected) {
            let c = Certificate::from_pem(pem.as_bytes()).unwrap().remove(0);
            assert_eq!((c.serial.as_str(), c.subject.as_str(), c.issuer.as_str()), (serial, dn, dn), "{name}");
            assert_eq!((c.not_before.to_rfc3339(), c.not_after.to_rfc3339()), (from.into(), to.into()), "{name}");
            assert_eq!(hex::encode(&c.tbs_der[..8]), tbs, "{name}");
            assert_eq!((c.signature_alg.as_str(), c.signature.len(), c.spki_der.len()), (SHA256_WITH_RSA, 256, 294));
        }
    }

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        assert!(matches!(Certificate::from_der(&[0x30, 0x82, 0xFF, 0xFF, 1, 2]), Err(CertError::Parse(_))));
        assert!(matches!(Certificate::from_der(&[]), Err(CertError::Parse(_))));
        // Trailing bytes after a good certificate are refused, not ignored.
        let mut der = Certificate::from_pem(JLIS[1].1.as_bytes()).unwrap().remove(0).der;
        der.push(0);
        assert!(matches!(Certificate::from_der(&der), Err(CertError::Parse(_))));
        assert!(Certificate::from_pem(b"no pem here").is_err());
        // Found by the cert_der fuzz target: an empty or blank PEM text panicked in x509-cert.
        for blank in [&b""[..], b"\n", b"\r\n\n"] {
            assert!(matches!(Certificate::from_pem(blank), Err(CertError::Parse(_))));
        }
    }
}
