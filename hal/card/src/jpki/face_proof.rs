//! What the card-face AP (券面事項確認AP) proves beyond the PIN: that the photo is the one the
//! issuer signed, and that this chip holds the key those signed records name (not a copy of
//! its files).
//!
//! Three keys, three steps (public facts, documented in the MIT-licensed `myna-card` crate
//! 3.3.4, `src/ap/surface.rs`; this is our own code):
//! 1. EF `0004` is a card-verifiable certificate (`7F21 { 5F4E body, 5F37 signature }`, the body
//!    being issuer key id (16) + subject key id (16) + RSA key as `90` exponent / `91` modulus),
//!    signed PKCS#1 v1.5 / SHA-256 by a CA key that is **not on the card**: the verifier holds
//!    it ([`FaceCa`]), looked up by the issuer key id.
//! 2. EF `0002` is signed (DF28) by the key that certificate certifies. The signature covers
//!    three groups hashed apart — DF22+DF23+DF24, DF25+DF26, DF27 (the photo) — their SHA-256
//!    digests concatenated inside one SHA-256 DigestInfo (a 96-byte OCTET STRING).
//! 3. DF24 inside that record is the chip's own key. COMPUTE SIGNATURE (`80 2A 00 00`, P2 00 =
//!    the AP's default key) over a SHA-256 DigestInfo needs no credential: a fresh nonce signed
//!    by it proves the chip is here.

use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};

use super::tlv::{constructed, tlvs, TAG_FACE_RECORD};
use super::JpkiError;

/// The outcome of one check, as results report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofCheck {
    Verified,
    Failed,
    /// Not attempted (e.g. the card face was never opened in this session).
    NotChecked,
}

/// What the card-face AP proved in one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceProof {
    /// The issuer's signature over the photo (and the chip key), through EF `0004` to a
    /// trusted card-face CA.
    pub photo_signature: ProofCheck,
    /// A fresh nonce signed by the chip, checked with the key from the verified record.
    pub chip_challenge: ProofCheck,
}

/// A card-face CA key: what EF `0004` certificates are checked against. Never from the card.
#[derive(Clone, PartialEq, Eq)]
pub struct FaceCa {
    /// 証明者鍵ID: the 16 bytes a certificate names its signer by. `None` (a key configured from
    /// a file): tried for any certificate; its signature decides, as with the J-LIS CAs.
    pub key_id: Option<[u8; 16]>,
    pub key: RsaPublicKey,
}

impl std::fmt::Debug for FaceCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key_id {
            Some(id) => write!(f, "FaceCa({})", String::from_utf8_lossy(&id[..7])),
            None => f.write_str("FaceCa(configured)"),
        }
    }
}

/// The production 券面事項確認AP CA (証明者鍵ID `5000023`), as published in `myna-card` 3.3.4
/// `src/ca.rs` (measured from real cards there; J-LIS does not publish it). See hardware.md.
const JLIS_CARD_FACE_CA_ID: [u8; 16] = *b"5000023\x08\x05001\0\0\0\0";
const JLIS_CARD_FACE_CA_MODULUS: &str = "b2f740f0ad86d17cf3f537d23b4b3c65a3cb58474d857f55d0b9bc0411b1cb0849068de332a50d63b3e6921c9ccbe6156496efb04be8ffcc74fde9a228a36ad7edce9793204e35973dc911108365002c40169e0b60018dfb99e1e2310d9a110ff0fc269f1f220c63b8a1510de5a6898220c78908fc280d8aa95d5d113b7cf00700f3ff5ad8b3d6ad2eb53c7d563498b4a938deffc9bda32bf4146c1b07ef870d99eb35de5d70ac18715874277a13151d217d04d42e97923923a40fbc7d06faa8338ccbe876620f9b8ef4471cd4b9e29d4ea621e0fb8f1dc04b487210097dbaaf3d8e0550c76a5b97cf202fa47c7a2622f1c084e65c13d13b8e7ab226f5f51f87";

impl FaceCa {
    /// The production card-face CA real cards chain to.
    pub fn jlis() -> FaceCa {
        let modulus = hex::decode(JLIS_CARD_FACE_CA_MODULUS).expect("constant hex");
        FaceCa::new(JLIS_CARD_FACE_CA_ID, &modulus, &[0x01, 0x00, 0x01]).expect("constant key")
    }

    pub fn new(key_id: [u8; 16], modulus: &[u8], exponent: &[u8]) -> Result<FaceCa, JpkiError> {
        Ok(FaceCa { key_id: Some(key_id), key: rsa_key(modulus, exponent)? })
    }

    /// A CA key from a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) file: a rotated production key,
    /// or a bench's test CA.
    pub fn from_pem(pem: &str) -> Result<FaceCa, String> {
        use rsa::pkcs8::DecodePublicKey;
        let key = RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())?;
        Ok(FaceCa { key_id: None, key })
    }

    fn may_have_signed(&self, key_id: &[u8]) -> bool {
        self.key_id.as_ref().map_or(true, |id| id == key_id)
    }
}

fn rsa_key(modulus: &[u8], exponent: &[u8]) -> Result<RsaPublicKey, JpkiError> {
    RsaPublicKey::new(BigUint::from_bytes_be(modulus), BigUint::from_bytes_be(exponent))
        .map_err(|_| JpkiError::BadFaceRecord)
}

/// An RSA key as the card writes it: `90` exponent and `91` modulus, other objects ignored.
fn card_key(data: &[u8]) -> Result<RsaPublicKey, JpkiError> {
    let (mut e, mut n) = (None, None);
    for tlv in tlvs(data) {
        let tlv = tlv?;
        match tlv.tag {
            0x90 => e = Some(tlv.value),
            0x91 => n = Some(tlv.value),
            _ => {}
        }
    }
    rsa_key(n.ok_or(JpkiError::BadFaceRecord)?, e.ok_or(JpkiError::BadFaceRecord)?)
}

/// EF `0004`: the certificate of the key that signs the card-face records.
struct FaceCertificate<'a> {
    issuer_key_id: &'a [u8],
    body: &'a [u8],
    key: RsaPublicKey,
    signature: &'a [u8],
}

const CVC_BODY_LEN: usize = 16 + 16 + 265;

fn parse_certificate(der: &[u8]) -> Result<FaceCertificate<'_>, JpkiError> {
    let (mut body, mut signature) = (None, None);
    for tlv in tlvs(constructed(der, 0x7F21)?) {
        let tlv = tlv?;
        match tlv.tag {
            0x5F4E => body = Some(tlv.value),
            0x5F37 => signature = Some(tlv.value),
            _ => {}
        }
    }
    let body = body.ok_or(JpkiError::BadFaceRecord)?;
    if body.len() != CVC_BODY_LEN {
        return Err(JpkiError::BadFaceRecord);
    }
    Ok(FaceCertificate {
        issuer_key_id: &body[..16],
        body,
        key: card_key(&body[32..])?,
        signature: signature.ok_or(JpkiError::BadFaceRecord)?,
    })
}

/// The parts of EF `0002` the proof needs: the three signed groups, the signature, the chip key.
struct SignedRecord<'a> {
    groups: [Vec<&'a [u8]>; 3],
    signature: &'a [u8],
    chip_key: &'a [u8],
}

fn parse_record(record: &[u8]) -> Result<SignedRecord<'_>, JpkiError> {
    let mut groups: [Vec<&[u8]>; 3] = Default::default();
    let (mut signature, mut chip_key) = (None, None);
    for tlv in tlvs(constructed(record, TAG_FACE_RECORD)?) {
        let tlv = tlv?;
        // Each group covers its fields as written: tag, length and value.
        let whole = tlv.whole;
        match tlv.tag {
            0xDF22 | 0xDF23 => groups[0].push(whole),
            0xDF24 => {
                groups[0].push(whole);
                chip_key = Some(tlv.value);
            }
            0xDF25 | 0xDF26 => groups[1].push(whole),
            0xDF27 => groups[2].push(whole),
            0xDF28 => signature = Some(tlv.value),
            _ => {}
        }
    }
    let complete = groups[0].len() == 3 && groups[1].len() == 2 && groups[2].len() == 1;
    if !complete {
        return Err(JpkiError::BadFaceRecord);
    }
    Ok(SignedRecord {
        groups,
        signature: signature.ok_or(JpkiError::BadFaceRecord)?,
        chip_key: chip_key.ok_or(JpkiError::BadFaceRecord)?,
    })
}

/// The SHA-256 DigestInfo over `digest` of any length (the record signs three digests in one).
pub fn sha256_digest_info(digest: &[u8]) -> Vec<u8> {
    use der::asn1::{Null, OctetStringRef};
    use der::{Encode, Sequence};
    #[derive(Sequence)]
    struct Algorithm {
        oid: der::asn1::ObjectIdentifier,
        params: Null,
    }
    #[derive(Sequence)]
    struct DigestInfo<'a> {
        algorithm: Algorithm,
        digest: OctetStringRef<'a>,
    }
    let info = DigestInfo {
        algorithm: Algorithm { oid: der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"), params: Null },
        digest: OctetStringRef::new(digest).expect("a digest is short"),
    };
    info.to_der().expect("a DigestInfo encodes")
}

/// Checks EF `0004` against the trusted CAs and EF `0002` against the key it certifies.
/// Returns the chip key the record carries, now known to be the issuer's.
pub fn verify_record(cas: &[FaceCa], certificate: &[u8], record: &[u8]) -> Result<RsaPublicKey, ProofError> {
    let cert = parse_certificate(certificate).map_err(|_| ProofError::Malformed)?;
    let mut candidates = cas.iter().filter(|ca| ca.may_have_signed(cert.issuer_key_id)).peekable();
    if candidates.peek().is_none() {
        return Err(ProofError::UnknownCa);
    }
    let digest = Sha256::digest(cert.body);
    if !candidates.any(|ca| ca.key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, cert.signature).is_ok()) {
        return Err(ProofError::CertificateSignature);
    }
    let rec = parse_record(record).map_err(|_| ProofError::Malformed)?;
    let mut digests = Vec::with_capacity(96);
    for group in &rec.groups {
        let mut h = Sha256::new();
        for part in group {
            h.update(part);
        }
        digests.extend_from_slice(&h.finalize());
    }
    cert.key
        .verify(Pkcs1v15Sign::new_unprefixed(), &sha256_digest_info(&digests), rec.signature)
        .map_err(|_| ProofError::RecordSignature)?;
    card_key(rec.chip_key).map_err(|_| ProofError::Malformed)
}

/// Checks the chip's signature over `nonce` (PKCS#1 v1.5, SHA-256) with the verified chip key.
pub fn verify_chip(chip_key: &RsaPublicKey, nonce: &[u8], signature: &[u8]) -> bool {
    chip_key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(nonce), signature).is_ok()
}

/// Why the card-face records did not verify (logged; the result says only `failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the card-face certificate or record is malformed")]
    Malformed,
    #[error("the card-face certificate names a CA the kiosk does not trust")]
    UnknownCa,
    #[error("the card-face certificate's signature does not verify")]
    CertificateSignature,
    #[error("the card-face record's signature does not verify")]
    RecordSignature,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_info_of_one_and_three_digests() {
        let one = sha256_digest_info(&[0xAA; 32]);
        assert_eq!(one[..19], Pkcs1v15Sign::new::<Sha256>().prefix[..]);
        let three = sha256_digest_info(&[0xAA; 96]);
        assert_eq!(&three[..2], &[0x30, 0x71]);
        assert_eq!(&three[17..19], &[0x04, 0x60]);
        assert_eq!(three.len(), 115);
    }

    #[test]
    fn the_production_ca_key_is_rsa_2048() {
        use rsa::traits::PublicKeyParts;
        let ca = FaceCa::jlis();
        assert_eq!(ca.key.size(), 256);
        assert_eq!(&ca.key_id.unwrap()[..7], b"5000023");
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let cas = [FaceCa::jlis()];
        assert_eq!(verify_record(&cas, &[], &[]), Err(ProofError::Malformed));
        assert_eq!(verify_record(&cas, &[0x7F, 0x21, 0x82, 0xFF], &[0xFF, 0x20]), Err(ProofError::Malformed));
        let mut cvc = vec![0x7F, 0x21, 0x03, 0x5F, 0x4E, 0x00];
        assert_eq!(verify_record(&cas, &cvc, &[]), Err(ProofError::Malformed));
        cvc.clear();
        assert!(parse_record(&[0xFF, 0x20, 0x00]).is_err());
    }
}
