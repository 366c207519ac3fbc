//! Performs the session's card operations on one card connection. Synchronous: the driver runs
//! it on a dedicated thread so a slow card never blocks the API or the timers.

use chrono::{DateTime, Utc};
use myna_card::cert::TrustAnchors;
use myna_card::jpki::JpkiClient;
use myna_card::transport::{CardTransport, TransportError};
use rand::RngCore;

use crate::card_check::{check_card, CheckError};
use crate::session::{CardAnswer, CardFacts, CardOp, PinSigned};

/// Opens an exclusive connection to the card currently on the reader.
pub trait Connector: Send {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError>;
}

pub struct CardWorker<C: Connector> {
    connector: C,
    anchors: TrustAnchors,
    client: Option<JpkiClient<Box<dyn CardTransport + Send>>>,
}

impl<C: Connector> CardWorker<C> {
    pub fn new(connector: C, anchors: TrustAnchors) -> Self {
        CardWorker { connector, anchors, client: None }
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
        match op {
            CardOp::Check => {
                // A new session starts on a fresh connection.
                self.client = None;
                let anchors = self.anchors.clone();
                let result = (|| {
                    let client = self.client().map_err(|e| CheckError::Card(e.into()))?;
                    let report = check_card(client, &anchors, wall)?;
                    let pin = client.pin_status()?;
                    Ok(Box::new(CardFacts { report, pin }))
                })();
                if result.is_err() {
                    self.client = None;
                }
                Some(CardAnswer::Checked(result))
            }
            CardOp::VerifyPinAndSign { pin, challenge } => {
                let result = (|| {
                    let client = self.client()?;
                    client.verify_pin(&pin)?;
                    drop(pin);
                    let challenge = challenge.unwrap_or_else(|| {
                        let mut c = vec![0u8; 32];
                        rand::rngs::OsRng.fill_bytes(&mut c);
                        c
                    });
                    let signature = client.sign_sha256(&challenge)?;
                    Ok(PinSigned { challenge, signature })
                })();
                Some(CardAnswer::PinSigned(result))
            }
            CardOp::ReadPhoto { collation_b } => {
                // Only on the connection the certificate was read on: a new one could be
                // another card, and the photo and chip proof must belong to this one.
                let mut nonce = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut nonce);
                let anchors = self.anchors.clone();
                let result = match self.client.as_mut() {
                    Some(c) => c.read_face_photo(&collation_b, anchors.face_cas(), &nonce),
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

#[cfg(feature = "mock")]
impl Connector for myna_virtual_card::VirtualSlot {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        Ok(Box::new(myna_virtual_card::VirtualSlot::connect(self)?))
    }
}
