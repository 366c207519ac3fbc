//! The card-face proof against the virtual card: the issuer's signature over the photo through
//! EF `0004` to a trusted card-face CA, and a fresh nonce signed by the chip with the key the
//! verified record names. Tampered photos, copied chips and untrusted CAs are reported, and the
//! card's 個人番号 is never touched on the way.

use myna_card::cert::TrustAnchors;
use myna_card::jpki::face_proof::{FaceCa, FaceProof, ProofCheck};
use myna_card::jpki::{aid, ef, FaceRead, JpkiClient};
use myna_card::secret::CollationB;
use myna_virtual_card::{test_trust_anchors, ApduLog, CardOptions, Profile, VirtualCard, DEFAULT_COLLATION_B};

fn read_face(options: CardOptions, cas: &[FaceCa]) -> (FaceRead, ApduLog) {
    let vc = VirtualCard::with_options(Profile::Valid, options);
    let log = vc.log();
    let mut c = JpkiClient::new(vc);
    let b = CollationB::parse(DEFAULT_COLLATION_B).unwrap();
    (c.read_face_photo(&b, cas, b"a fresh nonce from the kiosk, 32").unwrap(), log)
}

fn trusted() -> Vec<FaceCa> {
    test_trust_anchors().face_cas().to_vec()
}

/// Whether the log shows any touch of 照合番号A, EF 0005 or the 入力補助AP.
fn assert_never_near_the_my_number(log: &ApduLog) {
    let entries = log.entries();
    for fid in [ef::FACE_MY_NUMBER, ef::FACE_COLLATION_A] {
        let select = [&[0x00, 0xA4, 0x02, 0x0C, 0x02][..], &fid.to_be_bytes()].concat();
        assert!(!entries.iter().any(|a| a.as_slice() == select.as_slice()), "selected EF {fid:04X}");
    }
    assert!(!log.selected_aids().iter().any(|a| a == aid::TEXT_INPUT_HELPER), "selected the 入力補助AP");
}

#[test]
fn a_genuine_card_proves_photo_and_chip() {
    let (read, log) = read_face(CardOptions::default(), &trusted());
    assert_eq!(read.proof, FaceProof { photo_signature: ProofCheck::Verified, chip_challenge: ProofCheck::Verified });
    // The challenge went to the card-face AP's own key: COMPUTE SIGNATURE with P2 00.
    assert!(log.entries().iter().any(|a| a[..4] == [0x80, 0x2A, 0x00, 0x00]));
    assert_never_near_the_my_number(&log);
}

#[test]
fn a_tampered_photo_fails_its_signature_and_the_chip_is_not_asked() {
    let (read, log) = read_face(CardOptions { tampered_photo: true, ..CardOptions::default() }, &trusted());
    assert_eq!(read.proof.photo_signature, ProofCheck::Failed);
    // The key in a forged record is the forger's: challenging it would prove nothing.
    assert_eq!(read.proof.chip_challenge, ProofCheck::NotChecked);
    assert!(!log.entries().iter().any(|a| a[..2] == [0x80, 0x2A]));
    assert_never_near_the_my_number(&log);
}

#[test]
fn copied_files_on_another_chip_fail_the_challenge() {
    let (read, log) = read_face(CardOptions { copied_chip: true, ..CardOptions::default() }, &trusted());
    assert_eq!(read.proof.photo_signature, ProofCheck::Verified);
    assert_eq!(read.proof.chip_challenge, ProofCheck::Failed);
    assert_never_near_the_my_number(&log);
}

#[test]
fn a_card_face_ca_the_kiosk_does_not_trust_proves_nothing() {
    // Production trust only (the J-LIS card-face CA): the test card's chain does not reach it.
    let mut production = TrustAnchors::default();
    production.add_face_ca(FaceCa::jlis());
    let (read, _) = read_face(CardOptions::default(), production.face_cas());
    assert_eq!(read.proof.photo_signature, ProofCheck::Failed);
    let (read, _) = read_face(CardOptions::default(), &[]);
    assert_eq!(read.proof.photo_signature, ProofCheck::Failed);
}

#[test]
fn the_card_face_certificate_is_readable_with_nothing_presented_but_the_record_is_not() {
    let mut card = VirtualCard::new(Profile::Valid);
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(aid::CARD_FACE);
    assert_eq!(card.process(&select), [0x90, 0x00]);
    assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x04]), [0x90, 0x00]);
    assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x02]), [0x7F, 0x21, 0x90, 0x00]);
    assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x02]), [0x90, 0x00]);
    assert_eq!(card.process(&[0x00, 0xB0, 0x00, 0x00, 0x02]), [0x69, 0x82]);
    // Positive control for the log check: the card does carry EF 0005.
    assert_eq!(card.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x05]), [0x90, 0x00]);
}
