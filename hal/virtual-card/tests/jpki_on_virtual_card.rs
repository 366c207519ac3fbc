//! The JPKI client against the virtual My Number card, in process: every profile, every status
//! word path the kiosk meets, chunked and extended reads, PIN counters, signing, the face photo.

use chrono::{DateTime, Utc};
use myna_card::apdu::StatusWord;
use myna_card::cert::{Certificate, TrustAnchors, Validity};
use myna_card::jpki::{aid, CardKind, CertSlot, FaceRead, JpkiClient, JpkiError, PinStatus};
use myna_card::secret::{CollationB, Pin};
use myna_card::transport::{CardTransport, TransportError};
use myna_virtual_card::{
    test_trust_anchors, CardOptions, Profile, VirtualCard, DEFAULT_COLLATION_B, DEFAULT_PIN, TEST_PHOTO_JP2,
};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T03:00:00Z").unwrap().with_timezone(&Utc)
}

fn card(profile: Profile) -> VirtualCard {
    VirtualCard::with_options(profile, CardOptions { now: now(), ..CardOptions::default() })
}

fn card_with(profile: Profile, f: impl FnOnce(&mut CardOptions)) -> VirtualCard {
    let mut o = CardOptions { now: now(), ..CardOptions::default() };
    f(&mut o);
    VirtualCard::with_options(profile, o)
}

/// Reads the photo with the test card-face CA trusted, as the kiosk does.
fn read_face<T: CardTransport>(c: &mut JpkiClient<T>, b: &CollationB) -> Result<FaceRead, JpkiError> {
    c.read_face_photo(b, test_trust_anchors().face_cas(), &[7u8; 32])
}

fn pin(s: &str) -> Pin {
    Pin::parse(s).unwrap()
}

#[test]
fn every_profile_identifies_and_classifies_as_its_name_says() {
    for profile in Profile::ALL {
        let mut c = JpkiClient::new(card(profile));
        let kind = c.identify().unwrap();
        let expected = match profile {
            Profile::NotJpki => CardKind::NotJpki,
            Profile::Juki => CardKind::Juki,
            Profile::Android => CardKind::Android,
            Profile::Iphone => CardKind::Iphone,
            _ => CardKind::MyNumberCard,
        };
        assert_eq!(kind, expected, "{profile}");
        if kind == CardKind::NotJpki {
            assert_eq!(c.read_certificate(CertSlot::UserAuth).unwrap_err(), JpkiError::NotJpki);
            continue;
        }
        if kind == CardKind::Android {
            // A phone keeps its user-auth certificate behind its own PIN.
            assert_eq!(
                c.read_certificate(CertSlot::UserAuth).unwrap_err(),
                JpkiError::Card(StatusWord::SecurityStatusNotSatisfied)
            );
            c.verify_pin(&pin(DEFAULT_PIN)).unwrap();
        }
        let cert = Certificate::from_der(&c.read_certificate(CertSlot::UserAuth).unwrap()).unwrap();
        let validity = cert.validity_at(now(), !kind.is_smartphone());
        let expected_validity = match profile {
            Profile::ExpiringSoon => Validity::ExpiringSoon,
            Profile::Grace => Validity::Grace,
            Profile::Expired => Validity::Expired,
            _ => Validity::Valid,
        };
        assert_eq!(validity, expected_validity, "{profile}");
        // Its chain reaches the test CA, and never the real J-LIS anchors.
        test_trust_anchors().verify(&cert).unwrap_or_else(|e| panic!("{profile}: {e}"));
        let mut jlis = TrustAnchors::default();
        jlis.add_pem(include_bytes!("../../../jpki-ca/auth_ca_2023.pem")).unwrap();
        assert!(jlis.verify(&cert).is_err(), "{profile}");
        assert!(cert.subject.starts_with("CN=") || cert.subject.contains("CN="), "{}", cert.subject);
        assert!(
            cert.issuer.contains("O=JPKI-TEST") && cert.issuer.contains("JPKI for user authentication"),
            "{}",
            cert.issuer
        );

        let ca = Certificate::from_der(&c.read_certificate(CertSlot::UserAuthCa).unwrap()).unwrap();
        assert_eq!(ca.subject, cert.issuer);
        let expected_pin = match profile {
            Profile::PinLastTry => PinStatus::TriesLeft(1),
            Profile::PinLocked => PinStatus::Blocked,
            Profile::NoPin => PinStatus::NotSet,
            _ => PinStatus::TriesLeft(3),
        };
        if kind == CardKind::Iphone {
            // Modelled: the wallet authorises, the applet takes no VERIFY, not even an empty one.
            assert_eq!(c.pin_status().unwrap_err(), JpkiError::Card(StatusWord::InsNotSupported));
            continue;
        }
        assert_eq!(c.pin_status().unwrap(), expected_pin, "{profile}");
    }
}

#[test]
fn user_cert_has_the_jlis_shape() {
    let mut c = JpkiClient::new(card(Profile::Valid));
    let der = c.read_certificate(CertSlot::UserAuth).unwrap();
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let cert = Certificate::from_der(&der).unwrap();
    assert_eq!(
        cert.issuer,
        "C=JP, O=JPKI-TEST, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems"
    );
    assert!(cert.subject.ends_with("C=JP") && cert.subject.starts_with("CN="), "{}", cert.subject);
    // The user-auth certificate carries no name, address or birth date.
    assert!(!cert.subject.contains("O=") && !cert.subject.contains("L="));
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::CertificatePolicies;
    let parsed = x509_cert::Certificate::from_der(&der).unwrap();
    let policy = parsed
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == x509_cert::der::oid::db::rfc5280::ID_CE_CERTIFICATE_POLICIES)
        .map(|e| CertificatePolicies::from_der(e.extn_value.as_bytes()).unwrap().0[0].policy_identifier.to_string())
        .expect("certificate policies extension");
    assert_eq!(policy, myna_virtual_card::AUTH_POLICY_OID);
}

#[test]
fn short_reads_use_two_plus_ceil_size_over_256_apdus() {
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.extended_length = false));
    let der = c.read_certificate(CertSlot::UserAuth).unwrap();
    assert_ne!(der.len() % 256, 0, "the test needs a length that is not a multiple of 256");
    assert_eq!(c.apdu_count(), 2 + der.len().div_ceil(256), "SELECT AP + SELECT EF + chunks, no header read");
    // Every READ BINARY was short (5 bytes) and stayed within the 15-bit offset space.
    let log = c.transport().log().entries();
    assert!(log.iter().filter(|a| a[1] == 0xB0).all(|a| a.len() == 5 && a[2] & 0x80 == 0));
    // The card's file has FF filler after the DER: nothing of it came back.
    assert_ne!(*der.last().unwrap(), 0xFF);
}

#[test]
fn extended_reads_take_three_apdus() {
    let mut c = JpkiClient::new(card(Profile::Valid));
    let der = c.read_certificate(CertSlot::UserAuth).unwrap();
    assert!(der.len() > 256);
    assert_eq!(c.apdu_count(), 3);
    Certificate::from_der(&der).unwrap();
}

#[test]
fn extended_reads_continue_when_the_card_caps_a_response() {
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.max_extended_response = 500));
    let der = c.read_certificate(CertSlot::UserAuth).unwrap();
    assert_eq!(c.apdu_count(), 2 + der.len().div_ceil(500));
    Certificate::from_der(&der).unwrap();
}

/// A reader that claims extended length in front of a card path that refuses it.
struct ClaimsExtended(VirtualCard);
impl CardTransport for ClaimsExtended {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.transmit(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        true
    }
}

#[test]
fn extended_refused_falls_back_to_short_reads() {
    let reference = JpkiClient::new(card(Profile::Valid)).read_certificate(CertSlot::UserAuth).unwrap();
    let mut c = JpkiClient::new(ClaimsExtended(card_with(Profile::Valid, |o| o.extended_length = false)));
    assert_eq!(c.read_certificate(CertSlot::UserAuth).unwrap(), reference);
    // One refused extended READ, then short reads; the next read goes short straight away.
    assert_eq!(c.apdu_count(), 3 + reference.len().div_ceil(256));
    let before = c.apdu_count();
    c.read_certificate(CertSlot::UserAuthCa).unwrap();
    assert!(c.transport().0.log().entries()[before..].iter().all(|a| a[1] != 0xB0 || a.len() == 5));
}

#[test]
fn lying_length_headers_give_clear_errors_with_bounded_reads() {
    // Claims 64 KiB: refused from the header alone, before reading on.
    let mut huge = vec![0x30, 0x82, 0xFF, 0xF0];
    huge.resize(300, 0x42);
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| {
        o.auth_cert_override = Some(huge);
        o.extended_length = false;
    }));
    assert!(matches!(c.read_certificate(CertSlot::UserAuth), Err(JpkiError::TooLarge { claimed: 0xFFF4, .. })));
    assert_eq!(c.apdu_count(), 3);

    // Claims 6000 bytes in a file that holds far fewer (no filler counts as content past its end).
    let mut short = vec![0x30, 0x82, 0x17, 0x6C];
    short.resize(600, 0x42);
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.auth_cert_override = Some(short)));
    let err = c.read_certificate(CertSlot::UserAuth).unwrap_err();
    assert!(matches!(err, JpkiError::Truncated | JpkiError::TooLarge { .. }), "{err:?}");

    // An empty, erased EF of FF bytes: no certificate on this card.
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.auth_cert_override = Some(vec![0xFF; 64])));
    assert_eq!(c.read_certificate(CertSlot::UserAuth).unwrap_err(), JpkiError::NoCertificate);

    // Not DER at all.
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.auth_cert_override = Some(vec![0x04; 64])));
    assert_eq!(c.read_certificate(CertSlot::UserAuth).unwrap_err(), JpkiError::NotDer);

    // Well-formed header, garbage inside: the read succeeds, parsing fails cleanly.
    let mut junk = vec![0x30, 0x82, 0x01, 0x00];
    junk.resize(0x104, 0x00);
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.auth_cert_override = Some(junk)));
    let der = c.read_certificate(CertSlot::UserAuth).unwrap();
    assert!(Certificate::from_der(&der).is_err());
}

#[test]
fn pin_status_spends_no_try() {
    let mut c = JpkiClient::new(card(Profile::Valid));
    for _ in 0..5 {
        assert_eq!(c.pin_status().unwrap(), PinStatus::TriesLeft(3));
    }
    assert_eq!(c.transport().pin_tries_left(), Some(3));
}

#[test]
fn wrong_pins_count_down_then_lock_and_the_right_one_resets() {
    let mut c = JpkiClient::new(card(Profile::Valid));
    assert_eq!(c.verify_pin(&pin("0000")).unwrap_err(), JpkiError::WrongPin { tries_left: 2 });
    assert_eq!(c.pin_status().unwrap(), PinStatus::TriesLeft(2));
    c.verify_pin(&pin("1234")).unwrap();
    // The empty VERIFY answers 63Cx even right after a correct PIN.
    assert_eq!(c.pin_status().unwrap(), PinStatus::TriesLeft(3));
    assert_eq!(c.verify_pin(&pin("1111")).unwrap_err(), JpkiError::WrongPin { tries_left: 2 });
    assert_eq!(c.verify_pin(&pin("2222")).unwrap_err(), JpkiError::WrongPin { tries_left: 1 });
    assert_eq!(c.verify_pin(&pin("3333")).unwrap_err(), JpkiError::WrongPin { tries_left: 0 });
    assert_eq!(c.pin_status().unwrap(), PinStatus::Blocked);
    // Locked: even the right PIN is refused and nothing resets the counter.
    assert_eq!(c.verify_pin(&pin("1234")).unwrap_err(), JpkiError::PinBlocked);
    // A new connection after a reset starts a new client, as a new session does.
    let mut vc = c.into_transport();
    vc.reset();
    let mut c = JpkiClient::new(vc);
    assert_eq!(c.pin_status().unwrap(), PinStatus::Blocked);
}

#[test]
fn last_try_and_locked_and_face_only_profiles() {
    let mut c = JpkiClient::new(card(Profile::PinLastTry));
    assert_eq!(c.verify_pin(&pin("9999")).unwrap_err(), JpkiError::WrongPin { tries_left: 0 });
    let mut c = JpkiClient::new(card(Profile::PinLastTry));
    c.verify_pin(&pin("1234")).unwrap();
    assert_eq!(c.pin_status().unwrap(), PinStatus::TriesLeft(3));
    let mut c = JpkiClient::new(card(Profile::PinLocked));
    assert_eq!(c.verify_pin(&pin("1234")).unwrap_err(), JpkiError::PinBlocked);
    let mut c = JpkiClient::new(card(Profile::NoPin));
    assert_eq!(c.verify_pin(&pin("1234")).unwrap_err(), JpkiError::PinNotSet);
}

#[test]
fn a_custom_pin_works() {
    let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.pin = "0420".into()));
    assert!(c.verify_pin(&pin("1234")).is_err());
    c.verify_pin(&pin("0420")).unwrap();
}

#[test]
fn signing_needs_the_pin_in_this_connection_and_verifies() {
    let mut c = JpkiClient::new(card(Profile::Valid));
    let cert = Certificate::from_der(&c.read_certificate(CertSlot::UserAuth).unwrap()).unwrap();
    let challenge = [7u8; 32];
    assert_eq!(c.sign_sha256(&challenge).unwrap_err(), JpkiError::PinNotVerified);
    c.verify_pin(&pin("1234")).unwrap();
    let sig = c.sign_sha256(&challenge).unwrap();
    assert_eq!(sig.len(), 256);
    cert.verify_signature(&challenge, &sig).unwrap();
    assert!(cert.verify_signature(&[8u8; 32], &sig).is_err());
    // A reset (a new connection after RESET) loses the verified state.
    let mut vc = c.into_transport();
    vc.reset();
    let mut c = JpkiClient::new(vc);
    assert_eq!(c.sign_sha256(&challenge).unwrap_err(), JpkiError::PinNotVerified);
}

#[test]
fn face_photo_needs_collation_b_and_returns_only_the_photo() {
    let mut c = JpkiClient::new(card(Profile::Valid));
    let photo = read_face(&mut c, &CollationB::parse(DEFAULT_COLLATION_B).unwrap()).unwrap();
    assert_eq!(photo.photo.expose(), TEST_PHOTO_JP2);

    let mut c = JpkiClient::new(card(Profile::Valid));
    let wrong = CollationB::parse("55010120349999").unwrap();
    assert_eq!(read_face(&mut c, &wrong).unwrap_err(), JpkiError::WrongCollationB { tries_left: 9 });
    for left in (0..9).rev() {
        assert_eq!(read_face(&mut c, &wrong).unwrap_err(), JpkiError::WrongCollationB { tries_left: left });
    }
    assert_eq!(
        read_face(&mut c, &CollationB::parse(DEFAULT_COLLATION_B).unwrap()).unwrap_err(),
        JpkiError::CollationBBlocked
    );

    for profile in [Profile::Android, Profile::Juki, Profile::NotJpki] {
        let mut c = JpkiClient::new(card(profile));
        let b = CollationB::parse(DEFAULT_COLLATION_B).unwrap();
        assert_eq!(read_face(&mut c, &b).unwrap_err(), JpkiError::NoCardFace, "{profile}");
    }
}

/// Everything the kiosk does with one card, as the session will do it.
fn whole_flow<T: CardTransport>(c: &mut JpkiClient<T>) -> Result<(), JpkiError> {
    c.identify()?;
    c.read_certificate(CertSlot::UserAuth)?;
    c.read_certificate(CertSlot::UserAuthCa)?;
    c.pin_status()?;
    c.verify_pin(&pin("1234"))?;
    c.sign_sha256(&[1u8; 32])?;
    read_face(c, &CollationB::parse(DEFAULT_COLLATION_B).unwrap())?;
    Ok(())
}

#[test]
fn the_normal_flow_never_selects_the_my_number_application() {
    let vc = card(Profile::Valid);
    let log = vc.log();
    let mut c = JpkiClient::new(vc);
    whole_flow(&mut c).unwrap();
    let aids = log.selected_aids();
    assert!(aids.iter().any(|a| a == aid::JPKI) && aids.iter().any(|a| a == aid::CARD_FACE));
    assert!(!aids.iter().any(|a| a == aid::TEXT_INPUT_HELPER), "selected the text-input helper AP");
    // Positive control: the card does carry that application, so the check can fail.
    let mut raw = card(Profile::Valid);
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(aid::TEXT_INPUT_HELPER);
    assert_eq!(raw.process(&select), [0x90, 0x00]);
}

#[test]
fn the_apdu_log_never_holds_the_pin_or_collation_b() {
    let vc = card_with(Profile::Valid, |o| o.pin = "8642".into());
    let log = vc.log();
    let mut c = JpkiClient::new(vc);
    c.verify_pin(&pin("8642")).unwrap();
    read_face(&mut c, &CollationB::parse(DEFAULT_COLLATION_B).unwrap()).unwrap();
    let all: Vec<u8> = log.entries().concat();
    assert!(!all.windows(4).any(|w| w == b"8642"));
    assert!(!all.windows(14).any(|w| w == DEFAULT_COLLATION_B.as_bytes()));
}

#[test]
fn removal_after_any_apdu_is_a_clean_card_removed() {
    let total = {
        let mut c = JpkiClient::new(card(Profile::Valid));
        whole_flow(&mut c).unwrap();
        c.apdu_count()
    };
    for n in 0..total {
        let mut c = JpkiClient::new(card_with(Profile::Valid, |o| o.remove_after_apdus = Some(n)));
        let err = whole_flow(&mut c).unwrap_err();
        assert_eq!(err, JpkiError::Transport(TransportError::CardRemoved), "after {n} APDUs");
    }
}

#[test]
fn a_pin_that_is_not_four_digits_never_reaches_the_card() {
    let vc = card(Profile::Valid);
    let log = vc.log();
    for bad in ["123", "12345", "abcd", "１２３４"] {
        assert!(Pin::parse(bad).is_err());
    }
    // The client only takes a parsed Pin, so nothing was sent.
    let _client = JpkiClient::new(vc);
    assert!(log.is_empty());
}

#[test]
fn card_status_words_for_bad_commands() {
    let mut vc = card(Profile::Valid);
    let select_jpki = [&[0x00, 0xA4, 0x04, 0x0C, 0x0A][..], aid::JPKI].concat();
    let sw = |r: Vec<u8>| {
        let n = r.len();
        StatusWord::from_bytes(r[n - 2], r[n - 1])
    };
    assert_eq!(sw(vc.process(&[0x00, 0xA4, 0x04, 0x0C, 0x02, 0xAA, 0xBB])), StatusWord::NotFound);
    assert_eq!(sw(vc.process(&select_jpki)), StatusWord::Ok);
    assert_eq!(sw(vc.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x99])), StatusWord::NotFound);
    // The signature certificate needs the signature password.
    assert_eq!(sw(vc.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x01])), StatusWord::Ok);
    assert_eq!(sw(vc.process(&[0x00, 0xB0, 0x00, 0x00, 0x00])), StatusWord::SecurityStatusNotSatisfied);
    // Offset past the end of the file.
    assert_eq!(sw(vc.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A])), StatusWord::Ok);
    assert_eq!(sw(vc.process(&[0x00, 0xB0, 0x7F, 0x00, 0x00])), StatusWord::OffsetOutOfRange);
    // Keys are never readable.
    assert_eq!(sw(vc.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17])), StatusWord::Ok);
    assert_eq!(sw(vc.process(&[0x00, 0xB0, 0x00, 0x00, 0x00])), StatusWord::SecurityStatusNotSatisfied);
    // Signing without the PIN.
    let mut sign = vec![0x80, 0x2A, 0x00, 0x80, 0x20];
    sign.extend_from_slice(&[0u8; 32]);
    sign.push(0);
    assert_eq!(sw(vc.process(&sign)), StatusWord::SecurityStatusNotSatisfied);
    assert_eq!(sw(vc.process(&[0x00, 0x20, 0x01, 0x80])), StatusWord::IncorrectP1P2);
    assert_eq!(sw(vc.process(&[0x00, 0x20])), StatusWord::WrongLength);
    assert_eq!(sw(vc.process(&[0x00, 0xB0, 0, 0, 5, 1])), StatusWord::WrongLength);
    assert_eq!(sw(vc.process(&[0x00, 0x99, 0, 0])), StatusWord::InsNotSupported);
    assert_eq!(sw(vc.process(&[0x42, 0xB0, 0, 0, 0])), StatusWord::ClaNotSupported);
    // Extended length refused when the card path does not take it.
    let mut short_only = card_with(Profile::Valid, |o| o.extended_length = false);
    assert_eq!(sw(short_only.process(&[0x00, 0xB0, 0, 0, 0, 0x01, 0x00])), StatusWord::WrongLength);
}

#[test]
fn the_virtual_card_survives_random_bytes() {
    let mut vc = card(Profile::Valid);
    let mut x: u32 = 0x1234_5678;
    for len in 0..600 {
        let apdu: Vec<u8> = (0..len % 300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let r = vc.process(&apdu);
        assert!(r.len() >= 2);
    }
}

#[test]
fn an_iphone_signs_once_its_wallet_has_authorised_and_takes_no_verify() {
    let digest = [7u8; 32];
    let mut authorised = JpkiClient::new(card(Profile::Iphone));
    assert_eq!(authorised.identify().unwrap(), CardKind::Iphone);
    let cert = Certificate::from_der(&authorised.read_certificate(CertSlot::UserAuth).unwrap()).unwrap();
    let signature = authorised.sign_sha256(&digest).unwrap();
    cert.verify_signature(&digest, &signature).unwrap();
    // Modelled: the applet takes no VERIFY (whether a real one answers it is unknown).
    assert_eq!(authorised.verify_pin(&pin(DEFAULT_PIN)).unwrap_err(), JpkiError::Card(StatusWord::InsNotSupported));

    let mut not_yet = JpkiClient::new(card_with(Profile::Iphone, |o| o.wallet_authorised = false));
    assert_eq!(not_yet.sign_sha256(&digest).unwrap_err(), JpkiError::PinNotVerified);
}

#[test]
fn an_android_phone_signs_only_after_its_own_pin() {
    let mut c = JpkiClient::new(card(Profile::Android));
    assert_eq!(c.pin_status().unwrap(), PinStatus::TriesLeft(3));
    assert_eq!(c.sign_sha256(&[1u8; 32]).unwrap_err(), JpkiError::PinNotVerified);
    c.verify_pin(&pin(DEFAULT_PIN)).unwrap();
    c.read_certificate(CertSlot::UserAuth).unwrap();
    c.sign_sha256(&[1u8; 32]).unwrap();
}
