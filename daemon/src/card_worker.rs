//! Performs the session's card operations on one card connection. Synchronous: the driver runs
//! it on a dedicated thread so a slow card never blocks the API or the timers.

use std::time::Instant;

use chrono::{DateTime, Utc};
use myna_card::cert::TrustAnchors;
use myna_card::jpki::JpkiClient;
use myna_card::transport::{CardTransport, TransportError};
use rand::RngCore;

use myna_card::apdu::StatusWord;
use myna_card::jpki::{CardKind, JpkiError, PinStatus};

use crate::card_check::{check_certificate, identify, CheckError};
use crate::metrics::Metrics;
use crate::session::{CardAnswer, CardFacts, CardOp, PinSigned};

/// Opens an exclusive connection to the card currently on the reader.
pub trait Connector: Send {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError>;
}

pub struct CardWorker<C: Connector> {
    connector: C,
    anchors: TrustAnchors,
    client: Option<JpkiClient<Box<dyn CardTransport + Send>>>,
    metrics: Option<Metrics>,
}

impl<C: Connector> CardWorker<C> {
    pub fn new(connector: C, anchors: TrustAnchors) -> Self {
        CardWorker { connector, anchors, client: None, metrics: None }
    }

    /// Times every operation into `metrics` (by name and result).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn connector_mut(&mut self) -> &mut C {
        &mut self.connector
    }

    /// APDUs sent on the current connection (for benches and logs).
    pub fn apdu_count(&self) -> usize {
        self.client.as_ref().map_or(0, JpkiClient::apdu_count)
    }

    fn client(&mut self) -> Result<&mut JpkiClient<Box<dyn CardTransport + Send>>, TransportError> {
        if self.client.is_none() {
            self.client = Some(JpkiClient::new(self.connector.connect()?));
        }
        Ok(self.client.as_mut().expect("just connected"))
    }

    /// Performs one operation; `Release` has no answer.
    pub fn perform(&mut self, op: CardOp, wall: DateTime<Utc>) -> Option<CardAnswer> {
        let name = match &op {
            CardOp::Check => "check",
            CardOp::VerifyPinAndSign { .. } => "verify_pin_and_sign",
            CardOp::SignAuthorised { .. } => "sign_authorised",
            CardOp::ReadPhoto { .. } => "read_photo",
            CardOp::Release => "release",
        };
        let started = Instant::now();
        let answer = self.perform_op(op, wall);
        if let (Some(metrics), Some(answer)) = (&self.metrics, &answer) {
            metrics.card_op(name, result_code(answer), started.elapsed());
        }
        answer
    }

    fn perform_op(&mut self, op: CardOp, wall: DateTime<Utc>) -> Option<CardAnswer> {
        match op {
            CardOp::Check => {
                // A new session starts on a fresh connection.
                self.client = None;
                let anchors = self.anchors.clone();
                let result = (|| {
                    let client = self.client().map_err(|e| CheckError::Card(e.into()))?;
                    let kind = identify(client)?;
                    let report = if kind.certificate_needs_pin() {
                        None
                    } else {
                        match check_certificate(client, kind.clone(), &anchors, wall) {
                            Ok(report) => Some(report),
                            // A token we do not know that keeps its certificate behind the PIN,
                            // as an Android phone does: read it after VERIFY.
                            Err(CheckError::Card(JpkiError::Card(StatusWord::SecurityStatusNotSatisfied)))
                                if matches!(kind, CardKind::UnknownJpki(_)) =>
                            {
                                None
                            }
                            Err(e) => return Err(e),
                        }
                    };
                    // An iPhone is sent no VERIFY at all, not even the empty one that reads
                    // the counter: the wallet authorises, and whether its applet answers VERIFY
                    // is unknown.
                    let pin = if kind.authorised_on_device() { PinStatus::NotSet } else { client.pin_status()? };
                    Ok(Box::new(CardFacts { kind, report, pin }))
                })();
                if result.is_err() {
                    self.client = None;
                }
                Some(CardAnswer::Checked(result))
            }
            CardOp::VerifyPinAndSign { pin, challenge, read_certificate } => {
                let anchors = self.anchors.clone();
                let result = (|| {
                    let client = self.client().map_err(|e| CheckError::Card(e.into()))?;
                    client.verify_pin(&pin)?;
                    drop(pin);
                    let report = match read_certificate {
                        Some(kind) => Some(Box::new(check_certificate(client, kind, &anchors, wall)?)),
                        None => None,
                    };
                    let challenge = challenge.unwrap_or_else(fresh_challenge);
                    let signature = client.sign_sha256(&challenge)?;
                    Ok(PinSigned { challenge, signature, report })
                })();
                Some(CardAnswer::PinSigned(result))
            }
            CardOp::SignAuthorised { challenge } => {
                let result = (|| {
                    let client = self.client().map_err(|e| CheckError::Card(e.into()))?;
                    let challenge = challenge.unwrap_or_else(fresh_challenge);
                    let signature = client.sign_sha256(&challenge)?;
                    Ok(PinSigned { challenge, signature, report: None })
                })();
                Some(CardAnswer::PinSigned(result))
            }
            CardOp::ReadPhoto { collation_b, reserve } => {
                // Only on the connection the certificate was read on: a new one could be
                // another card, and the photo and chip proof must belong to this one.
                let mut nonce = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut nonce);
                let anchors = self.anchors.clone();
                let result = match self.client.as_mut() {
                    Some(c) => c.read_face_photo_keeping(&collation_b, reserve, anchors.face_cas(), &nonce),
                    None => Err(TransportError::CardRemoved.into()),
                };
                Some(CardAnswer::Photo(result))
            }
            CardOp::Release => {
                // Dropping the connection disconnects with RESET: no verified PIN survives.
                self.client = None;
                None
            }
        }
    }
}

/// `ok`, or the code of what went wrong (a bounded set: a metrics label).
fn result_code(answer: &CardAnswer) -> &'static str {
    match answer {
        CardAnswer::Checked(Err(e)) | CardAnswer::PinSigned(Err(e)) => e.code(),
        CardAnswer::Photo(Err(e)) => e.code().as_str(),
        CardAnswer::Checked(Ok(_)) | CardAnswer::PinSigned(Ok(_)) | CardAnswer::Photo(Ok(_)) => "ok",
    }
}

/// A fresh random 32 bytes, when reception supplied no nonce.
fn fresh_challenge() -> Vec<u8> {
    let mut c = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut c);
    c
}

#[cfg(feature = "mock")]
impl Connector for myna_virtual_card::VirtualSlot {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        Ok(Box::new(myna_virtual_card::VirtualSlot::connect(self)?))
    }
}
