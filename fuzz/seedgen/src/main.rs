//! Writes seeds into `fuzz/corpus/<target>/`: real answers of the virtual card, real
//! certificates, the card-face record, README's API examples and the example config.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml -p myna-kiosk-fuzz-seeds -- fuzz/corpus`
//! Seeds are named, so running it again rewrites the same files; fuzzer finds kept beside them
//! have hash names and are left alone.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use myna_card::secret::{CollationB, Pin};
use myna_card::transport::{CardTransport, TransportError};
use myna_kiosk::card_worker::{CardWorker, Connector};
use myna_kiosk::session::CardOp;
use myna_kiosk_fuzz::{fixed_now, Recording, Script, FUZZ_COLLATION_B, FUZZ_PIN};
use myna_virtual_card::{
    card_face_record, pem_encode, test_pki, test_trust_anchors, CardOptions, Profile, VirtualCard, TEST_PHOTO_JP2,
};

fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// The recording card behind every connection the worker opens (the card keeps its state).
#[derive(Clone)]
struct SharedCard(Arc<Mutex<Recording<VirtualCard>>>);

impl CardTransport for SharedCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.lock().unwrap().transmit(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        self.0.lock().unwrap().supports_extended_length()
    }
}

impl Connector for SharedCard {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        Ok(Box::new(self.clone()))
    }
}

/// The answers of a PIN session (Check, VERIFY + SIGN, and the photo read the target also
/// tries) or of a face session (Check, the photo), in the `jpki_client` script format.
fn session_answers(profile: Profile, extended: bool, face: bool) -> Vec<u8> {
    let options = CardOptions {
        pin: FUZZ_PIN.into(),
        collation_b: FUZZ_COLLATION_B.into(),
        now: fixed_now(),
        extended_length: extended,
        ..CardOptions::default()
    };
    let answers = Arc::new(Mutex::new(vec![]));
    let card = Recording { inner: VirtualCard::with_options(profile, options), answers: answers.clone() };
    // Check, VERIFY + SIGN and the photo, as the worker performs a session.
    let mut worker = CardWorker::new(SharedCard(Arc::new(Mutex::new(card))), test_trust_anchors());
    let _ = worker.perform(CardOp::Check, fixed_now());
    if !face {
        let _ = worker.perform(
            CardOp::VerifyPinAndSign {
                pin: Pin::parse(FUZZ_PIN).unwrap(),
                challenge: Some(vec![0xC5; 32]),
                read_certificate: None,
            },
            fixed_now(),
        );
    }
    let _ =
        worker.perform(CardOp::ReadPhoto { collation_b: CollationB::parse(FUZZ_COLLATION_B).unwrap(), reserve: 5 }, fixed_now());
    let answers = answers.lock().unwrap().clone();
    let mut script = Script::encode(extended, &answers);
    // Flags bit 1: the target's engine runs a face session.
    script[0] |= u8::from(face) << 1;
    script
}

fn main() {
    let root: PathBuf = std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()).into();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");

    // apdu_response: single answers as a backend hands them up.
    for (name, bytes) in [
        ("ok", vec![0x90, 0x00]),
        ("data-ok", vec![0x30, 0x82, 0x05, 0x10, 0x90, 0x00]),
        ("eof", vec![0x01, 0x02, 0x62, 0x82]),
        ("wrong-pin-2", vec![0x63, 0xC2]),
        ("blocked", vec![0x69, 0x84]),
        ("more-data", vec![0x61, 0x10]),
        ("wrong-le", vec![0x6C, 0x20]),
        ("not-found", vec![0x6A, 0x82]),
        ("chain", Script::encode(false, &[vec![1, 2, 0x61, 0x03], vec![3, 4, 5, 0x61, 0x01], vec![6, 0x90, 0]])),
        ("resend", Script::encode(false, &[vec![0x6C, 0x05], vec![9, 9, 9, 9, 9, 0x90, 0]])),
    ] {
        write(&root, "apdu_response", name, &bytes);
    }

    // jpki_client: whole sessions as the virtual card answers them.
    for profile in [
        Profile::Valid,
        Profile::PinLastTry,
        Profile::PinLocked,
        Profile::NoPin,
        Profile::Juki,
        Profile::Android,
        Profile::Expired,
        Profile::NotJpki,
    ] {
        for extended in [true, false] {
            let name = format!("{}-{}", profile.name(), if extended { "extended" } else { "short" });
            write(&root, "jpki_client", &name, &session_answers(profile, extended, false));
        }
        if matches!(profile, Profile::Valid | Profile::NoPin) {
            write(&root, "jpki_client", &format!("{}-face", profile.name()), &session_answers(profile, true, true));
        }
    }

    // cert_der: the card's certificate (bare and as the EF holds it), the CAs.
    let pki = test_pki();
    let now = fixed_now();
    let cert =
        pki.issue_auth_cert(0x1000, "FUZZ", now - chrono::TimeDelta::days(365), now + chrono::TimeDelta::days(365));
    write(&root, "cert_der", "auth-cert", &cert);
    let mut filled = cert.clone();
    filled.resize(0x800, 0xFF);
    write(&root, "cert_der", "auth-cert-in-ef", &filled);
    write(&root, "cert_der", "test-auth-ca", &pki.auth_ca_der);
    write(&root, "cert_der", "test-auth-ca-pem", pem_encode(&pki.auth_ca_der).as_bytes());
    for f in ["auth_ca_2015.pem", "auth_ca_2023.pem"] {
        let pem = std::fs::read(repo.join("jpki-ca").join(f)).unwrap();
        let der = myna_card::cert::Certificate::from_pem(&pem).unwrap().remove(0).der;
        write(&root, "cert_der", f.trim_end_matches(".pem"), &der);
    }

    // face_record: the card-face record, bare, with the EF's filler, and with a tiny photo.
    let record = card_face_record(TEST_PHOTO_JP2, "19800101", "20340101", false);
    write(&root, "face_record", "record", &record);
    let mut filled = record.clone();
    filled.resize(record.len() + 64, 0xFF);
    write(&root, "face_record", "record-in-ef", &filled);
    let j2k = [0xFF, 0x4F, 0xFF, 0x51, 0, 0];
    write(&root, "face_record", "record-j2k", &card_face_record(&j2k, "20010203", "20300101", false));

    // api_request: README's examples, and a whole check-in as a screen drives it.
    let api = [
        ("health", "GET /v1/health\n\n"),
        ("session", "GET /v1/session\n\n"),
        ("results", "GET /v1/results?after=0&limit=100\n\n"),
        ("result", "GET /v1/results/s-6beb6975b7833c2e\n\n"),
        ("ack", "POST /v1/results/s-6beb6975b7833c2e/ack\n\n"),
        ("events", "GET /v1/events\nlast-event-id: 1\n\n"),
        ("metrics", "GET /metrics\n\n"),
        ("method", "POST /v1/session/method\n\n{\"method\":\"pin\"}"),
        ("pin", "POST /v1/session/pin\n\n{\"pin\":\"1234\",\"confirm_last_try\":false}"),
        ("consent-one", "POST /v1/session/consent\n\n{\"medication\":true}"),
        ("consent-all", "POST /v1/session/consent\n\n{\"all\":true}"),
        ("cancel", "POST /v1/session/cancel\n\n"),
        ("challenge", "POST /v1/session/challenge\n\n{\"challenge\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}"),
        ("face-reference", "POST /v1/session/face/reference\n\n{\"collation_b\":\"55010120341234\"}"),
        ("face-verdict", "POST /v1/session/face/verdict\n\n{\"matched\":true,\"score\":0.97}"),
        ("visual", "POST /v1/session/visual\n\n{\"confirmed\":true,\"staff_id\":\"nurse-7\"}"),
        ("bench-tap", "POST /v1/bench/card\n\n{\"profile\":\"valid\"}"),
        ("bench-remove", "DELETE /v1/bench/card\n\n"),
        ("unauthorized", "GET /v1/session\nauthorization: Bearer nope\n\n"),
        ("kiosk-page", "GET /kiosk/token\nhost: localhost\n\n"),
        (
            "flow-pin",
            "POST /v1/bench/card\n\n{\"profile\":\"valid\"}\n%%\nPOST /v1/session/challenge\n\n{\"challenge\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}\n%%\n\
             POST /v1/session/method\n\n{\"method\":\"pin\"}\n%%\nPOST /v1/session/pin\n\n{\"pin\":\"1234\"}\n%%\n\
             POST /v1/session/consent\n\n{\"all\":true}\n%%\nDELETE /v1/bench/card\n\n\n%%\nGET /v1/results?after=0&limit=10\n\n",
        ),
        (
            "flow-face",
            "POST /v1/bench/card\n\n{\"profile\":\"no-pin\"}\n%%\nPOST /v1/session/method\n\n{\"method\":\"face\"}\n%%\n\
             POST /v1/session/face/reference\n\n{\"collation_b\":\"55010120341234\"}\n%%\n\
             POST /v1/session/face/verdict\n\n{\"matched\":true,\"score\":0.97}\n%%\nPOST /v1/session/consent\n\n{\"medication\":true,\"diagnosis\":false}",
        ),
        (
            "flow-visual",
            "POST /v1/bench/card\n\n{\"profile\":\"grace\",\"pin\":\"0000\"}\n%%\nPOST /v1/session/method\n\n{\"method\":\"visual\"}\n%%\n\
             POST /v1/session/visual\n\n{\"confirmed\":true,\"staff_id\":\"nurse-7\"}\n%%\nPOST /v1/session/cancel\n\n{}",
        ),
    ];
    for (name, text) in api {
        write(&root, "api_request", name, text.as_bytes());
    }

    // config: the shipped example, an empty file (every default), a LAN kiosk with tokens.
    write(&root, "config", "config.example.toml", &std::fs::read(repo.join("daemon/config.example.toml")).unwrap());
    write(&root, "config", "empty.toml", b"");
    write(
        &root,
        "config",
        "lan.toml",
        b"[reader]\nname = \"SONY\"\nexact = false\n\n[session]\nmethods = [\"pin\", \"face\", \"visual\"]\n\
          consent_items = [\"medication\", \"diagnosis\"]\nface_attempts = 3\n\n[session.timeouts]\npin_entry_secs = 60\n\n\
          [api]\nlisten = \"192.168.1.20:8787\"\nallow_plain_http_on_lan = true\n\n\
          [[api.tokens]]\nname = \"reception PC\"\ntoken = \"reception-token-0123456789\"\nroles = [\"reception\", \"staff\"]\n\n\
          [[api.tokens]]\ntoken_file = \"/etc/myna-kiosk/kiosk.token\"\nroles = [\"kiosk\"]\n\n\
          [journal]\ndir = \"/var/lib/myna-kiosk\"\nacknowledged_retention_hours = 48\n\n[log]\nformat = \"json\"\nlevel = \"myna_kiosk=debug,info\"\n\n\
          [indicators]\nbackend = \"gpio\"\n[indicators.leds]\nkind = \"rgb\"\ngreen = 5\nred = 6\nblue = 13\n\
          [indicators.buzzer]\nkind = \"passive\"\npin = 12\ntone_hz = 2000\n[indicators.quiet_hours]\nfrom = \"22:00\"\nto = \"07:00\"\n",
    );
    println!("seeds written under {}", root.display());
}
