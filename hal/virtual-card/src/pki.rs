//! The virtual card's PKI: a test CA with the J-LIS DN shape but `O=JPKI-TEST`.
//!
//! Keys are fixed test fixtures (`hal/virtual-card/fixtures/`, made by `make-fixtures.sh`); certificates are
//! issued at run time so each profile's dates stay where the profile needs them, whatever the
//! day. The CA certificates are deterministic (fixed serial and dates, PKCS#1 v1.5 signatures),
//! so a trust anchor exported once stays valid.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use der::asn1::UtcTime;
use der::Encode;
use myna_card::cert::{Certificate, TrustAnchors};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::builder::{Builder, CertificateBuilder, Profile as CertProfile};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::CertificatePolicies;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

/// The user-authentication certificate policy J-LIS uses.
pub const AUTH_POLICY_OID: &str = "1.2.392.200149.8.5.1.3.30";

pub const TEST_AUTH_CA_DN: &str =
    "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI-TEST,C=JP";
pub const TEST_SIGN_CA_DN: &str =
    "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for digital signature,O=JPKI-TEST,C=JP";

pub struct TestPki {
    pub auth_ca_key: RsaPrivateKey,
    pub sign_ca_key: RsaPrivateKey,
    pub card_auth_key: RsaPrivateKey,
    pub card_sign_key: RsaPrivateKey,
    /// DER of the self-signed test user-auth CA.
    pub auth_ca_der: Vec<u8>,
    /// DER of the self-signed test signature CA.
    pub sign_ca_der: Vec<u8>,
}

/// The process-wide test PKI (keys parsed and CA certificates issued once).
pub fn test_pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let key = |pem: &str| RsaPrivateKey::from_pkcs8_pem(pem).expect("fixture key parses");
        let auth_ca_key = key(include_str!("../fixtures/test_ca_auth.key.pem"));
        let sign_ca_key = key(include_str!("../fixtures/test_ca_sign.key.pem"));
        // Same window as the 2023 J-LIS generation.
        let from = ts("2023-07-16T01:01:04Z");
        let to = ts("2033-07-15T14:59:59Z");
        let auth_ca_der = issue(&auth_ca_key, None, TEST_AUTH_CA_DN, &auth_ca_key.to_public_key(), 1, from, to, false);
        let sign_ca_der = issue(&sign_ca_key, None, TEST_SIGN_CA_DN, &sign_ca_key.to_public_key(), 2, from, to, false);
        TestPki {
            auth_ca_key,
            sign_ca_key,
            card_auth_key: key(include_str!("../fixtures/card_auth.key.pem")),
            card_sign_key: key(include_str!("../fixtures/card_sign.key.pem")),
            auth_ca_der,
            sign_ca_der,
        }
    })
}

/// Trust anchors holding the test user-auth CA and the test card-face CA, nothing else: what
/// every test that checks a virtual card's chain configures.
pub fn test_trust_anchors() -> TrustAnchors {
    let mut anchors =
        TrustAnchors::new(vec![Certificate::from_der(&test_pki().auth_ca_der).expect("the test CA parses")]);
    anchors.add_face_ca(crate::face::test_face_ca());
    anchors
}

impl TestPki {
    /// The test user-auth CA as PEM, to configure as a trust anchor for `--mock` and tests.
    pub fn auth_ca_pem(&self) -> String {
        pem_encode(&self.auth_ca_der)
    }

    /// A user-authentication certificate (`CN=<opaque id>, C=JP`) for the card key.
    pub fn issue_auth_cert(
        &self,
        serial: u64,
        cn: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Vec<u8> {
        let ca = (&self.auth_ca_key, TEST_AUTH_CA_DN);
        card_cert(ca, &self.card_auth_key, true, serial, cn, (not_before, not_after))
    }

    /// A signature certificate (its real counterpart carries name and address; ours does not).
    pub fn issue_sign_cert(
        &self,
        serial: u64,
        cn: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Vec<u8> {
        let ca = (&self.sign_ca_key, TEST_SIGN_CA_DN);
        card_cert(ca, &self.card_sign_key, false, serial, cn, (not_before, not_after))
    }
}

/// A card certificate (`C=JP, CN=cn`) for `card_key`, issued by `ca` (key and DN).
fn card_cert(
    ca: (&RsaPrivateKey, &str),
    card_key: &RsaPrivateKey,
    auth_policy: bool,
    serial: u64,
    cn: &str,
    (not_before, not_after): (DateTime<Utc>, DateTime<Utc>),
) -> Vec<u8> {
    let subject = format!("C=JP,CN={cn}");
    issue(ca.0, Some(ca.1), &subject, &card_key.to_public_key(), serial, not_before, not_after, auth_policy)
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("constant date").with_timezone(&Utc)
}

fn utc_time(t: DateTime<Utc>) -> Time {
    let secs = t.timestamp().clamp(0, 2_524_607_999); // UTCTime ends in 2049
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs as u64)).expect("in UTCTime range"))
}

#[allow(clippy::too_many_arguments)]
fn issue(
    signer_key: &RsaPrivateKey,
    issuer: Option<&str>,
    subject: &str,
    subject_key: &RsaPublicKey,
    serial: u64,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    auth_policy: bool,
) -> Vec<u8> {
    let signer = SigningKey::<Sha256>::new(signer_key.clone());
    let profile = match issuer {
        None => CertProfile::Root,
        Some(dn) => CertProfile::Leaf {
            issuer: Name::from_str(dn).expect("issuer DN"),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
    };
    let spki_der = subject_key.to_public_key_der().expect("encode public key");
    let spki = SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes()).expect("spki");
    let validity = Validity { not_before: utc_time(not_before), not_after: utc_time(not_after) };
    let mut builder = CertificateBuilder::new(
        profile,
        SerialNumber::from(serial),
        validity,
        Name::from_str(subject).expect("subject DN"),
        spki,
        &signer,
    )
    .expect("certificate builder");
    if auth_policy {
        let policies = CertificatePolicies(vec![PolicyInformation {
            policy_identifier: der::oid::ObjectIdentifier::new_unwrap(AUTH_POLICY_OID),
            policy_qualifiers: None,
        }]);
        builder.add_extension(&policies).expect("policy extension");
    }
    let cert = builder.build::<rsa::pkcs1v15::Signature>().expect("sign certificate");
    cert.to_der().expect("encode certificate")
}

pub fn pem_encode(der: &[u8]) -> String {
    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der).expect("PEM encoding of a small DER")
}
