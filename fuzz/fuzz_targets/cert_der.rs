//! Certificate checks on arbitrary DER: parsing, the chain to the trust anchors, validity
//! classes, signature checks, PEM, and the same bytes served as EF 000A by a well-behaved card
//! through the daemon's `check_card`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myna_card::cert::{Certificate, TrustAnchors};
use myna_card::jpki::JpkiClient;
use myna_kiosk::card_check::check_card;
use myna_kiosk_fuzz::{fixed_now, FileCard};
use myna_virtual_card::test_trust_anchors;

fuzz_target!(|data: &[u8]| {
    let anchors = test_trust_anchors();
    let now = fixed_now();

    if let Ok(cert) = Certificate::from_der(data) {
        let _ = cert.validity_at(now, true);
        let _ = cert.validity_at(now, false);
        let _ = cert.is_self_issued();
        let _ = anchors.verify(&cert);
        // As an anchor itself (a configured CA file may be anything).
        let _ = TrustAnchors::new(vec![cert.clone()]).verify(&cert);
        if cert.public_key().is_ok() {
            let _ = cert.verify_signature(b"challenge", &data[data.len().saturating_sub(256)..]);
        }
        let _ = format!("{cert:?}");
    }
    // The CA files the config names are PEM text.
    let _ = Certificate::from_pem(data);

    // The bytes as the card's certificate file, read as a session reads it (both APDU forms).
    for extended in [true, false] {
        let mut client = JpkiClient::new(FileCard::new(data.to_vec(), vec![], extended));
        let result = check_card(&mut client, &anchors, now);
        if let Ok(report) = &result {
            assert!(data.starts_with(&report.certificate.der));
        }
        let _ = result.map_err(|e| e.to_string());
    }
});
