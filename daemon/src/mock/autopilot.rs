//! An automated patient (and face module, and staff member) that answers every prompt at once
//! through the same [`DriverHandle`] the API uses. For demos on mock hardware and for benches.

use std::sync::Arc;
use std::time::Duration;

use myna_api::proto::{AuthEvidence, ConsentAnswer, Method, Outcome, PrescriptionForm, Prompt, SessionResult};
use myna_card::secret::{CollationB, Pin};
use myna_virtual_card::{CardOptions, Profile, VirtualCard, DEFAULT_COLLATION_B, DEFAULT_PIN};
use tokio::sync::broadcast::error::RecvError;

use super::reader::MockReader;
use crate::driver::{DriverHandle, Reply};
use crate::session::Command;

/// Which method the automated patient prefers when offered a choice.
#[derive(Debug, Clone, Copy)]
pub struct Preference(pub Method);

/// Taps `card`, answers prompts until the session finishes, takes the card away and returns
/// the result. Gives up after `limit`.
pub async fn tap_and_check_in(
    handle: &DriverHandle,
    reader: &MockReader,
    card: VirtualCard,
    prefer: Preference,
    limit: Duration,
) -> Option<SessionResult> {
    // Subscribe before the tap: a refused card finishes before anyone answers anything.
    let mut results = handle.subscribe_results();
    let mut views = handle.watch_view();
    reader.tap(card).await;
    let work = async {
        let mut face_photo_taken = false;
        loop {
            let view = views.borrow_and_update().clone();
            let command = match view.prompt {
                Prompt::ChooseMethod { methods } => {
                    let m = if methods.contains(&prefer.0) { prefer.0 } else { methods[0] };
                    Some(Command::ChooseMethod(m))
                }
                Prompt::EnterPin { .. } => Some(Command::SubmitPin {
                    pin: Pin::parse(DEFAULT_PIN).expect("default PIN"),
                    confirm_last_try: true,
                }),
                Prompt::FaceCheck { .. } if !face_photo_taken => {
                    face_photo_taken = true;
                    Some(Command::FaceReference {
                        collation_b: CollationB::parse(DEFAULT_COLLATION_B).expect("default 照合番号B"),
                    })
                }
                Prompt::FaceCheck { .. } => Some(Command::FaceVerdict { matched: true, score: Some(0.95) }),
                Prompt::StaffCheck => Some(Command::Visual { confirmed: true, staff_id: "autopilot".into() }),
                Prompt::Consent { .. } => Some(Command::Consent(ConsentAnswer::All { all: true })),
                Prompt::Prescription { .. } => {
                    Some(Command::Consent(ConsentAnswer::Prescription { prescription: PrescriptionForm::Electronic }))
                }
                Prompt::PlaceCard
                | Prompt::OutOfService
                | Prompt::Reading
                | Prompt::Verifying
                | Prompt::TakeCard { .. } => None,
            };
            if let Some(command) = command {
                if let Reply::Gone = handle.send(view.id.clone(), command).await {
                    return None;
                }
                // A photo reply arrives with the state already changed: look again at once.
                continue;
            }
            tokio::select! {
                r = results.recv() => match r {
                    Ok(result) => return Some(Arc::unwrap_or_clone(result)),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                changed = views.changed() => if changed.is_err() { return None },
            }
        }
    };
    let result = tokio::time::timeout(limit, work).await.ok().flatten();
    reader.remove().await;
    result
}

/// True when the result is what the automated patient aimed for.
pub fn succeeded(result: &SessionResult) -> bool {
    result.outcome == Outcome::Verified
}

/// `run --mock --autopilot`: patients tap every profile in turn, each preferring the next
/// method, `interval` apart; with `once`, one round and return.
pub async fn run(handle: &DriverHandle, reader: &MockReader, interval: Duration, once: bool) {
    let mut serial = 0x1000u64;
    let methods = [Method::Pin, Method::Face, Method::Visual];
    loop {
        for (i, profile) in Profile::ALL.into_iter().enumerate() {
            serial += 2;
            let card = VirtualCard::with_options(profile, CardOptions { serial, ..Default::default() });
            let prefer = Preference(methods[i % methods.len()]);
            tracing::info!(%profile, prefer = ?prefer.0, "autopilot: patient taps a card");
            match tap_and_check_in(handle, reader, card, prefer, Duration::from_secs(30)).await {
                Some(r) => tracing::info!(
                    %profile,
                    outcome = ?r.outcome,
                    method = r.auth.as_ref().map_or("none", auth_method),
                    error = r.error.as_ref().map_or("none", |e| e.code.as_str()),
                    "autopilot: check-in finished"
                ),
                None => tracing::warn!(%profile, "autopilot: no result"),
            }
            tokio::time::sleep(interval).await;
        }
        if once {
            tracing::info!("autopilot: every profile checked in once; exiting");
            return;
        }
    }
}

fn auth_method(a: &AuthEvidence) -> &'static str {
    match a {
        AuthEvidence::Pin { .. } => "pin",
        AuthEvidence::Face { .. } => "face",
        AuthEvidence::Visual { .. } => "visual",
    }
}
