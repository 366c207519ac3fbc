//! Fault injection through pcscd + vpcd: the card is pulled away after every APDU index of a
//! whole PIN check-in and of a whole face check-in. Every case must end as a clean
//! `card_removed` result (never verified, never hung), the daemon keeps serving, and once the
//! card stays on the reader the check-in completes.

mod support;

use myna_kiosk_tests::rig::{card_present, wait_for, Rig, READER};
use myna_virtual_card::{CardOptions, Profile, VirtualCard, DEFAULT_COLLATION_B};
use support::{check_in, pcsc_config, Daemon};

async fn pull_after_every_apdu(rig: &Rig, d: &Daemon, method: &str, after: &mut u64) -> usize {
    for pull_at in 0.. {
        let card = VirtualCard::with_options(
            Profile::Valid,
            CardOptions { remove_after_apdus: Some(pull_at), serial: 0x2000 + pull_at as u64, ..Default::default() },
        );
        let log = card.log();
        let placed = rig.insert(card);
        let r = check_in(d, method, *after).await;
        *after = r["seq"].as_u64().unwrap();
        let sent = log.len();
        if r["outcome"] == "verified" {
            // The whole check-in fit in `pull_at` APDUs: nothing was pulled.
            assert!(sent <= pull_at, "verified although the card left after {pull_at} APDUs ({sent} sent)");
            rig.remove(placed);
            return pull_at;
        }
        assert_eq!(r["outcome"], "card_removed", "{method}, pulled after APDU {pull_at}: {r}");
        assert_eq!(r["error"]["code"], "CARD_REMOVED", "{r}");
        assert!(r["auth"].is_null(), "no authentication from a pulled card: {r}");
        drop(placed.wait());
        wait_for(|| card_present() != Some(true), "the slot to empty");
        let (status, h) = d.call("GET", "/v1/health", None, None).await;
        assert_eq!(status, 200, "still serving after a pull at {pull_at}: {h}");
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_after_any_apdu_ends_cleanly_and_the_next_one_checks_in() {
    let Some(rig) = Rig::get() else { return };
    let d = Daemon::start("faults", &pcsc_config(READER), &[]);
    d.wait_until("the reader", |v| v["status"] == "ok", "/v1/health", None).await;
    let mut after = 0;
    let pin_apdus = pull_after_every_apdu(&rig, &d, "pin", &mut after).await;
    let face_apdus = pull_after_every_apdu(&rig, &d, "face", &mut after).await;
    eprintln!("PIN check-in: {pin_apdus} APDUs, face check-in: {face_apdus} APDUs, each cut at every index");
    assert!(pin_apdus >= 8 && face_apdus >= 8, "both flows really talk to the card");
    let log = d.stop();
    assert!(!log.contains("1234") && !log.contains(DEFAULT_COLLATION_B), "no secret in the log");
}
