//! The card-face AP (券面事項確認AP) as a real card carries it: EF `0002` the card-face record
//! signed by an issuer key, EF `0004` that key's card-verifiable certificate signed by a test
//! card-face CA, and the chip's own key (DF24) that signs challenges without a credential.
//! Every key is a test fixture of ours (`fixtures/make-fixtures.sh`); the CA is named by a key
//! id (`7000023…`) that no real hierarchy uses (J-LIS production is `5…`, its test cards `6…`).

use std::collections::HashMap;
use std::sync::OnceLock;

use myna_card::jpki::face_proof::{sha256_digest_info, FaceCa};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use crate::options::CardOptions;
use crate::parse::ParsedApdu;
use crate::{pkcs1_sign, sw, with_filler, Access, App, File, Secret, VirtualCard, COLLATION_B_TRIES};
use myna_card::jpki::ef;

/// A real JPEG 2000 (JP2) greyscale stand-in photo, made by `hal/virtual-card/fixtures/make-fixtures.sh`.
pub const TEST_PHOTO_JP2: &[u8] = include_bytes!("../fixtures/face.jp2");

/// 証明者鍵ID of the test card-face CA.
pub const TEST_FACE_CA_ID: [u8; 16] = *b"7000023\x08\x05001\0\0\0\0";
/// 被証明者鍵ID of the test issuer key EF `0004` certifies.
const TEST_FACE_ISSUER_ID: [u8; 16] = *b"7130001\x08\x05001\0\0\0\0";

pub(crate) struct FaceKeys {
    ca: RsaPrivateKey,
    issuer: RsaPrivateKey,
    /// The chip's own key: its public half is DF24 of the signed record.
    pub(crate) chip: RsaPrivateKey,
    /// Another chip, holding files copied from this card: it cannot sign as DF24.
    pub(crate) chip_copy: RsaPrivateKey,
}

pub(crate) fn face_keys() -> &'static FaceKeys {
    static KEYS: OnceLock<FaceKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = |pem: &str| RsaPrivateKey::from_pkcs8_pem(pem).expect("fixture key parses");
        FaceKeys {
            ca: key(include_str!("../fixtures/face_ca.key.pem")),
            issuer: key(include_str!("../fixtures/face_issuer.key.pem")),
            chip: key(include_str!("../fixtures/face_chip.key.pem")),
            chip_copy: key(include_str!("../fixtures/face_chip_copy.key.pem")),
        }
    })
}

/// The test card-face CA, to trust in tests and `--mock` (never in production).
pub fn test_face_ca() -> FaceCa {
    let ca = face_keys().ca.to_public_key();
    FaceCa::new(TEST_FACE_CA_ID, &ca.n().to_bytes_be(), &ca.e().to_bytes_be()).expect("fixture key")
}

/// The test card-face CA's public key as a PEM `PUBLIC KEY`, for `trust.card_face_cas` on a
/// bench that runs the daemon against the virtual card without `--mock`.
pub fn test_face_ca_pem() -> String {
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    face_keys().ca.to_public_key().to_public_key_pem(LineEnding::LF).expect("a public key encodes")
}

fn tlv(out: &mut Vec<u8>, tag: &[u8], value: &[u8]) {
    out.extend_from_slice(tag);
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

/// An RSA key the way the card writes it: `90` exponent, `91` modulus.
fn card_key(key: &RsaPublicKey) -> Vec<u8> {
    let mut out = Vec::new();
    tlv(&mut out, &[0x90], &key.e().to_bytes_be());
    tlv(&mut out, &[0x91], &key.n().to_bytes_be());
    out
}

/// EF `0004`: `7F21 { 5F4E issuer id + subject id + issuer key, 5F37 CA signature }`.
pub fn face_certificate() -> Vec<u8> {
    let keys = face_keys();
    let mut body = TEST_FACE_CA_ID.to_vec();
    body.extend_from_slice(&TEST_FACE_ISSUER_ID);
    body.extend_from_slice(&card_key(&keys.issuer.to_public_key()));
    let signature =
        keys.ca.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&body)).expect("RSA-2048 signs a SHA-256");
    let mut inner = Vec::new();
    tlv(&mut inner, &[0x5F, 0x4E], &body);
    tlv(&mut inner, &[0x5F, 0x37], &signature);
    let mut out = Vec::new();
    tlv(&mut out, &[0x7F, 0x21], &inner);
    out
}

/// `FF 20 82 LL LL { DF21 … DF2A }` as the card carries it, DF28 the issuer's signature over
/// the three groups (DF22–DF24, DF25–DF26, DF27). Only DF27 is what a kiosk may use; the other
/// fields are here so a client that kept them would be caught by tests. `tampered`: the photo
/// is replaced after signing (a forged card face).
pub fn card_face_record(photo: &[u8], birth_date: &str, expiry: &str, tampered: bool) -> Vec<u8> {
    let keys = face_keys();
    let mut groups = [Vec::new(), Vec::new(), Vec::new()];
    tlv(&mut groups[0], &[0xDF, 0x22], birth_date.as_bytes());
    tlv(&mut groups[0], &[0xDF, 0x23], b"1");
    tlv(&mut groups[0], &[0xDF, 0x24], &card_key(&keys.chip.to_public_key()));
    tlv(&mut groups[1], &[0xDF, 0x25], b"\x89PNG name image stand-in");
    tlv(&mut groups[1], &[0xDF, 0x26], b"\x89PNG address image stand-in");
    tlv(&mut groups[2], &[0xDF, 0x27], photo);
    let digests: Vec<u8> = groups.iter().flat_map(Sha256::digest).collect();
    let signature =
        keys.issuer.sign(Pkcs1v15Sign::new_unprefixed(), &sha256_digest_info(&digests)).expect("a 115-byte payload");
    if tampered {
        // Someone else's photo, same length: only the signature can tell.
        let mut other = photo.to_vec();
        if let Some(b) = other.last_mut() {
            *b ^= 0x5A;
        }
        groups[2].clear();
        tlv(&mut groups[2], &[0xDF, 0x27], &other);
    }
    let mut inner = Vec::new();
    tlv(&mut inner, &[0xDF, 0x21], &[0x00, 0x10, 0x00, 0x20, 0x00, 0x30]); // offsets (opaque here)
    inner.extend(groups.concat());
    tlv(&mut inner, &[0xDF, 0x28], &signature);
    tlv(&mut inner, &[0xDF, 0x29], expiry.as_bytes());
    tlv(&mut inner, &[0xDF, 0x2A], b"\x89PNG security code image stand-in");
    let mut out = Vec::with_capacity(inner.len() + 5);
    out.extend_from_slice(&[0xFF, 0x20, 0x82]);
    out.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    out.extend_from_slice(&inner);
    out
}

/// Puts the card-face AP's files and secrets on a card: the signed record behind 照合番号B, its
/// certificate (free), EF `0005` and 照合番号A (never used by the kiosk; here so tests can
/// prove it).
pub(crate) fn install(
    files: &mut HashMap<(App, u16), File>,
    secrets: &mut HashMap<(App, u16), Secret>,
    options: &CardOptions,
) {
    // A card issued with no photo holds an empty DF27.
    let photo = if options.no_face_photo { &[][..] } else { TEST_PHOTO_JP2 };
    let record = card_face_record(photo, "19800101", "20340101", options.tampered_photo);
    files.insert(
        (App::CardFace, ef::FACE_RECORD),
        File { data: with_filler(record, 0x1000), access: Access::CollationB },
    );
    files.insert(
        (App::CardFace, ef::FACE_CERTIFICATE),
        File { data: with_filler(face_certificate(), 0x400), access: Access::Free },
    );
    // The rendered 個人番号: only 照合番号A opens it. Present so tests can prove the kiosk
    // never reads it (nor presents 照合番号A).
    files.insert(
        (App::CardFace, ef::FACE_MY_NUMBER),
        File { data: b"\x89PNG my number image stand-in".to_vec(), access: Access::Never },
    );
    secrets.insert(
        (App::CardFace, ef::FACE_COLLATION_B),
        Secret::new(&options.collation_b, COLLATION_B_TRIES, options.collation_b_tries, true),
    );
    secrets.insert(
        (App::CardFace, ef::FACE_COLLATION_A),
        Secret::new("123456789012", COLLATION_B_TRIES, COLLATION_B_TRIES, true),
    );
}

impl VirtualCard {
    /// The card-face AP signs with its own key (P2 `00`), no credential needed.
    pub(crate) fn sign_card_face(&mut self, cmd: &ParsedApdu) -> Vec<u8> {
        if cmd.p1 != 0x00 || cmd.p2 != 0x00 {
            return sw(0x6A86);
        }
        let keys = face_keys();
        pkcs1_sign(if self.options.copied_chip { &keys.chip_copy } else { &keys.chip }, cmd.data)
    }
}
