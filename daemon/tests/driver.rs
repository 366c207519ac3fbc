//! The async driver: commands through the handle, the photo handed to the face module once,
//! refusals, results with their seq, removal, and a card operation that never blocks the API.

mod support;

use std::sync::Arc;
use std::time::Duration;

use myna_api::proto::{Method, Outcome, Prompt};
use myna_card::secret::{CollationB, Pin};
use myna_kiosk::clock::ManualClock;
use myna_kiosk::driver::{DriverHandle, Reply};
use myna_kiosk::journal::Journal;
use myna_kiosk::mock::reader::MockReader;
use myna_kiosk::recorder::Recorder;
use myna_kiosk::session::{Command, Refusal, SessionConfig};
use myna_virtual_card::{CardOptions, Profile, VirtualCard, DEFAULT_COLLATION_B, TEST_PHOTO_JP2};
use support::driver::{mock_driver, wait_view};

fn start() -> (DriverHandle, MockReader) {
    start_on(None)
}

/// The driver on the system clock, or on `clock` (which moves only when the test says).
fn start_on(clock: Option<ManualClock>) -> (DriverHandle, MockReader) {
    let (driver, handle, reader) = mock_driver(Recorder::new(Journal::in_memory()), |_s: myna_indicator::Signal| {});
    let driver = match clock {
        Some(clock) => driver.with_clock(Arc::new(clock)),
        None => driver,
    };
    tokio::spawn(driver.run());
    (handle, reader)
}

async fn wait_for(handle: &DriverHandle, pred: impl Fn(&Prompt) -> bool) -> Prompt {
    wait_view(handle, "prompt", |v| pred(&v.prompt)).await.prompt
}

#[tokio::test]
async fn a_face_check_in_through_the_handle() {
    let (handle, reader) = start();
    let mut results = handle.subscribe_results();
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    wait_for(&handle, |p| matches!(p, Prompt::ChooseMethod { .. })).await;

    let refused = handle
        .send(handle.view().id, Command::SubmitPin { pin: Pin::parse("1234").unwrap(), confirm_last_try: false })
        .await;
    assert!(matches!(refused, Reply::Refused(Refusal::NotWaiting("pin"))), "{refused:?}");

    assert!(matches!(handle.send(handle.view().id, Command::ChooseMethod(Method::Face)).await, Reply::Accepted));
    let reference = |b: &str| Command::FaceReference { collation_b: CollationB::parse(b).unwrap() };
    match handle.send(handle.view().id, reference(DEFAULT_COLLATION_B)).await {
        Reply::Photo(photo) => assert_eq!(photo.expose(), TEST_PHOTO_JP2),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        handle.send(handle.view().id, reference(DEFAULT_COLLATION_B)).await,
        Reply::Refused(Refusal::PhotoAlreadyGiven)
    ));
    assert!(matches!(
        handle.send(handle.view().id, Command::FaceVerdict { matched: true, score: Some(0.9) }).await,
        Reply::Accepted
    ));
    wait_for(&handle, |p| matches!(p, Prompt::Consent { .. })).await;
    let all = myna_api::proto::ConsentAnswer::All { all: true };
    assert!(matches!(handle.send(handle.view().id, Command::Consent(all)).await, Reply::Accepted));
    let result = tokio::time::timeout(Duration::from_secs(5), results.recv()).await.unwrap().unwrap();
    assert_eq!((result.outcome, result.seq), (Outcome::Verified, 1));
    assert_eq!(handle.view().prompt, Prompt::TakeCard { outcome: Outcome::Verified });
    reader.remove().await;
    wait_for(&handle, |p| *p == Prompt::PlaceCard).await;
}

#[tokio::test]
async fn a_wrong_collation_b_is_answered_not_hung() {
    let (handle, reader) = start();
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    wait_for(&handle, |p| matches!(p, Prompt::ChooseMethod { .. })).await;
    handle.send(handle.view().id, Command::ChooseMethod(Method::Face)).await;
    let wrong = Command::FaceReference { collation_b: CollationB::parse("55010120349999").unwrap() };
    match handle.send(handle.view().id, wrong).await {
        // The module may read the card face again: not "the photo could not be read".
        Reply::PhotoRefused(n) => assert_eq!(n.code, "COLLATION_B_RETRY"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_slow_card_does_not_block_the_api_and_removal_ends_the_session() {
    let (handle, reader) = start();
    let mut results = handle.subscribe_results();
    // Every APDU takes 300 ms: the check is still running when the card is pulled.
    let card = VirtualCard::with_options(
        Profile::Valid,
        CardOptions { apdu_latency: Duration::from_millis(300), ..Default::default() },
    );
    reader.tap(card).await;
    wait_for(&handle, |p| *p == Prompt::Reading).await;
    let started = std::time::Instant::now();
    let _ = handle.view();
    assert!(matches!(handle.send(handle.view().id, Command::Challenge(vec![7; 32])).await, Reply::Accepted));
    assert!(started.elapsed() < Duration::from_millis(250), "the API waited for the card");
    reader.remove().await;
    let result = tokio::time::timeout(Duration::from_secs(5), results.recv()).await.unwrap().unwrap();
    assert_eq!(result.outcome, Outcome::CardRemoved);
    wait_for(&handle, |p| *p == Prompt::PlaceCard).await;
    // The next patient checks in normally.
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    wait_for(&handle, |p| matches!(p, Prompt::ChooseMethod { .. })).await;
}

#[tokio::test]
async fn on_paused_time_a_patient_who_walks_away_times_out_at_the_deadline_not_before() {
    let clock = ManualClock::new(chrono::Utc::now());
    let (handle, reader) = start_on(Some(clock.clone()));
    let mut results = handle.subscribe_results();
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    wait_for(&handle, |p| matches!(p, Prompt::ChooseMethod { .. })).await;
    let choose = SessionConfig::default().timeouts.choose_method;
    assert_eq!(handle.view().deadline_ms, Some(choose.as_millis() as u64), "no time passes on its own");

    // A second short of the deadline: still waiting for the patient.
    clock.advance(choose - Duration::from_secs(1));
    assert!(matches!(handle.send(handle.view().id, Command::Challenge(vec![7; 32])).await, Reply::Accepted));
    assert!(matches!(handle.view().prompt, Prompt::ChooseMethod { .. }), "{:?}", handle.view());
    assert!(results.try_recv().is_err(), "no result before the deadline");

    clock.advance(Duration::from_secs(1));
    let result = tokio::time::timeout(Duration::from_secs(5), results.recv()).await.unwrap().unwrap();
    assert_eq!(result.outcome, Outcome::TimedOut);
    assert_eq!(result.error.as_ref().map(|e| e.code.clone()), Some("TIMED_OUT".to_string()));
    // Stamps come from the injected wall clock: the whole minute passed in it.
    let took = chrono::DateTime::parse_from_rfc3339(&result.finished_at).unwrap()
        - chrono::DateTime::parse_from_rfc3339(&result.started_at).unwrap();
    assert_eq!(took.num_seconds(), choose.as_secs() as i64);
}

/// Review finding 7: cancel (or a timeout, or removal) while the photo was being read left
/// the face/reference request waiting for an answer that never came.
#[tokio::test]
async fn a_face_reference_in_flight_is_answered_when_the_session_is_cancelled() {
    let (handle, reader) = start();
    let card = VirtualCard::with_options(
        Profile::Valid,
        CardOptions { apdu_latency: Duration::from_millis(150), ..Default::default() },
    );
    reader.tap(card).await;
    wait_for(&handle, |p| matches!(p, Prompt::ChooseMethod { .. })).await;
    assert!(matches!(handle.send(handle.view().id, Command::ChooseMethod(Method::Face)).await, Reply::Accepted));
    use myna_api::proto::SessionAction as A;
    let h = handle.clone();
    let session = handle.view().id;
    let reference = tokio::spawn(async move {
        h.send(session, Command::FaceReference { collation_b: CollationB::parse(DEFAULT_COLLATION_B).unwrap() }).await
    });
    // The photo is being read (many slow APDUs) when staff cancel.
    wait_view(&handle, "photo being read", |v| {
        matches!(v.prompt, Prompt::FaceCheck { .. })
            && !v.allowed_actions.contains(&A::FaceReference)
            && !v.allowed_actions.contains(&A::FaceVerdict)
    })
    .await;
    let cancelled = std::time::Instant::now();
    assert!(matches!(handle.send(handle.view().id, Command::Cancel).await, Reply::Accepted));
    let reply = tokio::time::timeout(Duration::from_millis(300), reference)
        .await
        .expect("face/reference still waits after the session ended")
        .unwrap();
    match reply {
        Reply::PhotoRefused(n) => assert_eq!(n.code, "CANCELLED"),
        other => panic!("{other:?}"),
    }
    assert!(cancelled.elapsed() < Duration::from_millis(300));
}

/// The PIN check-in of the card on the reader, through the handle, naming the session the view
/// shows; returns the challenge the card signed (base64).
async fn pin_check_in(handle: &DriverHandle) -> String {
    let mut results = handle.subscribe_results();
    wait_for(handle, |p| matches!(p, Prompt::ChooseMethod { .. })).await;
    assert!(matches!(handle.send(handle.view().id, Command::ChooseMethod(Method::Pin)).await, Reply::Accepted));
    let pin = Command::SubmitPin { pin: Pin::parse("1234").unwrap(), confirm_last_try: false };
    assert!(matches!(handle.send(handle.view().id, pin).await, Reply::Accepted));
    wait_for(handle, |p| matches!(p, Prompt::Consent { .. })).await;
    let all = myna_api::proto::ConsentAnswer::All { all: true };
    assert!(matches!(handle.send(handle.view().id, Command::Consent(all)).await, Reply::Accepted));
    let result = tokio::time::timeout(Duration::from_secs(5), results.recv()).await.unwrap().unwrap();
    assert_eq!(result.outcome, Outcome::Verified);
    match &result.auth {
        Some(myna_api::proto::AuthEvidence::Pin { challenge, .. }) => challenge.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_challenge_that_names_no_session_expires_and_a_later_patient_never_signs_it() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let clock = ManualClock::new(chrono::Utc::now());
    let (handle, reader) = start_on(Some(clock.clone()));
    // Reception's nonce while the kiosk is idle, naming no session: for the next patient.
    let nonce = vec![0x5A; 32];
    assert!(matches!(handle.send(None, Command::Challenge(nonce.clone())).await, Reply::Accepted));
    // Nobody comes for longer than a challenge waits.
    clock.advance(myna_kiosk::session::CHALLENGE_FOR_NEXT + Duration::from_secs(1));
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    let signed = pin_check_in(&handle).await;
    assert_ne!(signed, b64(&nonce), "a patient long after reception's challenge signed it");
    reader.remove().await;
    wait_for(&handle, |p| *p == Prompt::PlaceCard).await;
    // Within the time, the next patient signs it (and only that one).
    assert!(matches!(handle.send(None, Command::Challenge(nonce.clone())).await, Reply::Accepted));
    clock.advance(myna_kiosk::session::CHALLENGE_FOR_NEXT - Duration::from_secs(1));
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    assert_eq!(pin_check_in(&handle).await, b64(&nonce));
    reader.remove().await;
    wait_for(&handle, |p| *p == Prompt::PlaceCard).await;
    reader.tap(VirtualCard::new(Profile::Valid)).await;
    assert_ne!(pin_check_in(&handle).await, b64(&nonce));
}
