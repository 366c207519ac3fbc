//! The daemon as a clinic runs it — no `--mock` — with the virtual card on a vpcd reader
//! inside pcscd: a patient checks in with the PIN over the HTTP API, face check-ins carry what
//! the card proved, and a missing reader is reported by `/v1/health`.

mod support;

use myna_card::jpki::{aid, ef};
use myna_kiosk_tests::rig::{Rig, READER};
use myna_virtual_card::{CardOptions, Profile, VirtualCard, DEFAULT_COLLATION_B};
use serde_json::json;
use support::{check_in, pcsc_config, Daemon, FACE, KIOSK, RECEPTION};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_check_in_through_pcscd_and_the_api() {
    let Some(rig) = Rig::get() else { return };
    let daemon = Daemon::start("pcsc-pin", &pcsc_config(READER), &[]);
    let health = daemon.wait_until("the reader", |v| v["reader"] == format!("ok ({READER})"), "/v1/health", None).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["mock"], false);

    let card = VirtualCard::new(Profile::Valid);
    let placed = rig.insert(card);
    daemon.wait_prompt("choose_method").await;
    let (status, v) = daemon.call("POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["prompt"]["tries_left"], 3, "the counter read through pcscd: {v}");
    let (status, _) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "9999" }))).await;
    assert_eq!(status, 200);
    let v = daemon.wait_until("2 tries left", |v| v["prompt"]["tries_left"] == 2, "/v1/session", Some(KIOSK)).await;
    assert_eq!(v["prompt"]["kind"], "enter_pin");
    let (status, _) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    assert_eq!(status, 200);
    daemon.wait_prompt("consent").await;
    let (status, _) = daemon
        .call("POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "medication": true, "limit_amount": true })))
        .await;
    assert_eq!(status, 200);
    daemon.wait_prompt("take_card").await;
    let card = rig.remove(placed);
    daemon.wait_prompt("place_card").await;

    let (_, page) = daemon.call("GET", "/v1/results?after=0", Some(RECEPTION), None).await;
    let r = &page["results"][0];
    assert_eq!(r["outcome"], "verified", "{page}");
    assert_eq!(r["auth"]["method"], "pin");
    assert!(r["auth"]["signature"].as_str().is_some_and(|s| s.len() > 300), "the card's signature is in the result");
    assert_eq!(card.pin_tries_left(), Some(3), "the right PIN reset the counter");
    let log = daemon.stop();
    assert!(!log.contains("9999") && !log.contains("1234"), "no PIN in the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_matching_reader_makes_the_kiosk_unavailable_not_dead() {
    let Some(_rig) = Rig::get() else { return };
    let daemon = Daemon::start("pcsc-noreader", &pcsc_config("Sony FeliCa RC-S300/P"), &[]);
    let health = daemon
        .wait_until("health", |v| v["reader"].as_str().is_some_and(|r| r.contains("RC-S300")), "/v1/health", None)
        .await;
    assert_eq!(health["status"], "unavailable");
    assert!(health["reader"].as_str().unwrap().starts_with("unavailable: no card reader matching"), "{health}");
    daemon.stop();
}

/// What the card proved, through pcscd: a genuine card face proves photo and chip; a tampered
/// photo and files copied onto another chip are refused to the face module (422 with their
/// code), the patient goes on with the PIN, and the result says what failed. The 個人番号 is
/// never approached on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_check_ins_through_pcscd_carry_the_card_proof() {
    let Some(rig) = Rig::get() else { return };
    let daemon = Daemon::start("pcsc-face-proof", &pcsc_config(READER), &[]);
    daemon.wait_until("the reader", |v| v["reader"] == format!("ok ({READER})"), "/v1/health", None).await;
    let proof = |by: &str, pin: &str, chip: &str, photo: &str| json!({ "holder_verified_by": by, "pin_signature": pin, "chip_challenge": chip, "photo_signature": photo });
    let never_near_the_my_number = |card: &VirtualCard| {
        let entries = card.log().entries();
        for fid in [ef::FACE_MY_NUMBER, ef::FACE_COLLATION_A] {
            let select = [&[0x00, 0xA4, 0x02, 0x0C, 0x02][..], &fid.to_be_bytes()].concat();
            assert!(!entries.iter().any(|a| a.as_slice() == select.as_slice()), "selected EF {fid:04X}");
        }
        assert!(!card.log().selected_aids().iter().any(|a| a == aid::TEXT_INPUT_HELPER), "selected the 入力補助AP");
    };

    let placed = rig.insert(VirtualCard::new(Profile::Valid));
    let r = check_in(&daemon, "face", 0).await;
    assert_eq!(
        (&r["outcome"], &r["proof"]),
        (&json!("verified"), &proof("face", "not_checked", "verified", "verified"))
    );
    never_near_the_my_number(&rig.remove(placed));
    daemon.wait_prompt("place_card").await;

    let cases = [
        (
            CardOptions { tampered_photo: true, ..CardOptions::default() },
            "PHOTO_SIGNATURE_INVALID",
            ("not_checked", "failed"),
        ),
        (CardOptions { copied_chip: true, ..CardOptions::default() }, "CARD_FACE_CHIP_FAILED", ("failed", "verified")),
    ];
    for (seq, (options, code, (chip, photo))) in (1..).zip(cases) {
        let placed = rig.insert(VirtualCard::with_options(Profile::Valid, options));
        daemon.wait_prompt("choose_method").await;
        daemon.call("POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "face" }))).await;
        let reference = json!({ "collation_b": DEFAULT_COLLATION_B });
        let (status, problem) = daemon.call("POST", "/v1/session/face/reference", Some(FACE), Some(reference)).await;
        assert_eq!((status, &problem["code"]), (422, &json!(code)), "{problem}");
        let v = daemon.wait_prompt("choose_method").await;
        assert_eq!(v["prompt"]["methods"], json!(["pin", "visual"]));
        let r = check_in(&daemon, "pin", seq).await;
        assert_eq!((&r["outcome"], &r["proof"]), (&json!("verified"), &proof("pin", "verified", chip, photo)));
        assert!(r["guidance"].as_array().unwrap().iter().any(|g| g["code"] == code), "{r}");
        never_near_the_my_number(&rig.remove(placed));
        daemon.wait_prompt("place_card").await;
    }
    daemon.stop();
}
