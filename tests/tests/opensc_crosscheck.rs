//! An independent client agrees with the virtual card: OpenSC's own JPKI driver (a separate
//! implementation of the same card) identifies it, reads its PIN counter and signs with it
//! through pcscd + vpcd, and the signature verifies with the certificate's public key.

use std::path::PathBuf;
use std::process::Command;

use myna_card::cert::Certificate;
use myna_card::jpki::{CertSlot, JpkiClient};
use myna_kiosk_tests::rig::{Rig, READER};
use myna_pcsc::PcscConnection;
use myna_virtual_card::{Profile, VirtualCard};

// runs: opensc-tool pkcs15-tool pkcs11-tool
fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e} (is opensc installed?)"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

fn pkcs11_module() -> String {
    [
        "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/opensc-pkcs11.so",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("OpenSC's PKCS#11 module (apt-get install opensc)")
    .to_string()
}

/// `Tries left` of the PIN block whose title contains `label`.
fn tries_left(list_pins: &str, label: &str) -> Option<u8> {
    let block = list_pins.split("PIN [").find(|b| b.starts_with(label))?;
    let line = block.lines().find(|l| l.trim_start().starts_with("Tries left"))?;
    line.split(':').nth(1)?.trim().parse().ok()
}

#[test]
fn opensc_identifies_counts_pins_and_signs_like_our_client() {
    let Some(rig) = Rig::get() else { return };
    let dir = tempdir();
    let placed = rig.insert(VirtualCard::new(Profile::Valid));

    assert_eq!(run("opensc-tool", &["--reader", "0", "-n"]).lines().last(), Some("jpki"), "OpenSC's driver");
    let pins = run("pkcs15-tool", &["--reader", "0", "--list-pins"]);
    assert_eq!(tries_left(&pins, "User Authentication PIN"), Some(3), "{pins}");

    let module = pkcs11_module();
    let msg = dir.join("challenge");
    let sig = dir.join("signature");
    let cert = dir.join("cert.der");
    std::fs::write(&msg, b"challenge from reception, 2026-11-23").unwrap();
    let p11 = |extra: &[&str]| {
        let mut args = vec!["--module", module.as_str(), "--slot-index", "0"];
        args.extend_from_slice(extra);
        run("pkcs11-tool", &args)
    };
    p11(&["--login", "--pin", "1234", "--sign", "-m", "SHA256-RSA-PKCS", "--id", "01", "-i", s(&msg), "-o", s(&sig)]);
    p11(&["--read-object", "--type", "cert", "--id", "01", "-o", s(&cert)]);

    let opensc_cert = std::fs::read(&cert).unwrap();
    let signature = std::fs::read(&sig).unwrap();
    assert_eq!(signature.len(), 256, "RSA-2048");
    let parsed = Certificate::from_der(&opensc_cert).unwrap();
    parsed
        .verify_signature(b"challenge from reception, 2026-11-23", &signature)
        .expect("OpenSC's signature verifies with the certificate's key");

    // Our client reads the very same certificate through pcscd.
    let mut ours = JpkiClient::new(PcscConnection::open(READER).unwrap());
    ours.identify().unwrap();
    assert_eq!(ours.read_certificate(CertSlot::UserAuth).unwrap(), opensc_cert);
    drop(ours);

    let card = rig.remove(placed);
    assert_eq!(card.pin_tries_left(), Some(3), "OpenSC's right PIN left the counter full");
}

#[test]
fn a_wrong_pin_through_opensc_spends_one_try_on_our_card() {
    let Some(rig) = Rig::get() else { return };
    let placed = rig.insert(VirtualCard::new(Profile::Valid));
    let module = pkcs11_module();
    let out = Command::new("pkcs11-tool")
        .args(["--module", &module, "--slot-index", "0", "--login", "--pin", "9999", "--list-objects"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a wrong PIN must not log in");
    let pins = run("pkcs15-tool", &["--reader", "0", "--list-pins"]);
    assert_eq!(tries_left(&pins, "User Authentication PIN"), Some(2), "{pins}");
    let card = rig.remove(placed);
    assert_eq!(card.pin_tries_left(), Some(2));
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("myna-opensc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
