//! The JPKI client: what the kiosk asks of a My Number card, over any [`CardTransport`].
//!
//! It identifies the card, reads the user-authentication certificate and its CA, reads the PIN
//! retry counter without spending a try, verifies the PIN, signs, and reads the face photo with
//! collation number B. It never selects the text-input helper AP (it holds the individual number,
//! the "My Number" itself): the kiosk has no business there.

mod card_face;
mod error;
pub mod face_proof;
mod tlv;
mod token;

use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::apdu::{
    Command, Response, StatusWord, EXTENDED_LE_MAX, INS_JPKI_SIGN, INS_READ_BINARY, INS_SELECT, INS_VERIFY,
    SHORT_LE_MAX,
};
use crate::secret::Pin;
use crate::transport::{exchange, CardTransport, TransportError};

pub use card_face::FaceRead;
pub use error::JpkiError;
use tlv::der_object_len;
pub use tlv::find_face_photo;
pub use token::CardKind;

/// Application identifiers (DF names).
pub mod aid {
    /// The JPKI AP (public personal authentication).
    pub const JPKI: &[u8] = &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    /// The card-face confirmation AP: the card face, with the photo.
    pub const CARD_FACE: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
    /// The text-input helper AP: holds the individual number. Named here only so tests can prove
    /// we never select it.
    pub const TEXT_INPUT_HELPER: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
    /// The common card AP.
    pub const COMMON: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];
}

/// Elementary files of the JPKI AP and the card-face AP.
pub mod ef {
    pub const AUTH_CERT: u16 = 0x000A;
    pub const AUTH_CA_CERT: u16 = 0x000B;
    pub const AUTH_KEY: u16 = 0x0017;
    pub const AUTH_PIN: u16 = 0x0018;
    pub const SIGN_CERT: u16 = 0x0001;
    pub const SIGN_CA_CERT: u16 = 0x0002;
    pub const SIGN_KEY: u16 = 0x001A;
    pub const SIGN_PASSWORD: u16 = 0x001B;
    pub const TOKEN_INFO: u16 = 0x0006;
    pub const CERT_AVAILABILITY: u16 = 0x0008;
    /// In the card-face AP: collation number B (the AP's password).
    pub const FACE_COLLATION_B: u16 = 0x0012;
    /// In the card-face AP: the card-face record (`FF20` TLV holding DF21..DF2A).
    pub const FACE_RECORD: u16 = 0x0002;
    /// In the card-face AP: its card-verifiable certificate (`7F21`), readable with nothing
    /// presented: certifies the key that signs the card-face record.
    pub const FACE_CERTIFICATE: u16 = 0x0004;
    /// In the card-face AP: the rendered 個人番号 (opened by 照合番号A only). Named so tests can
    /// prove the kiosk never reads it.
    pub const FACE_MY_NUMBER: u16 = 0x0005;
    /// In the card-face AP: 照合番号A. Named so tests can prove the kiosk never presents it.
    pub const FACE_COLLATION_A: u16 = 0x0013;
}

/// Largest certificate we accept from EF `000A`/`000B`. J-LIS certificates are about 1.3 KB;
/// this bound keeps a lying length header from making us allocate or read without limit.
pub const MAX_CERT_LEN: usize = 8 * 1024;
/// Largest card-face record we read (it holds a few images; the photo is a few KB).
pub const MAX_FACE_RECORD_LEN: usize = 32 * 1024;
/// Bytes read first from the card-face record: enough for its tag and any length form.
const FACE_HEADER_LEN: usize = 7;
/// Bytes of EF `0006` that hold the token label (space padded).
const TOKEN_LABEL_LEN: usize = 32;

/// The user-authentication PIN's state, read without spending a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    TriesLeft(u8),
    /// Locked: reset at the municipal office or a convenience-store kiosk.
    Blocked,
    /// The card has no usable PIN (a face-only My Number card).
    NotSet,
}

/// Which certificate to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertSlot {
    UserAuth,
    UserAuthCa,
}

impl CertSlot {
    fn ef(self) -> u16 {
        match self {
            CertSlot::UserAuth => ef::AUTH_CERT,
            CertSlot::UserAuthCa => ef::AUTH_CA_CERT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    None,
    Jpki,
    CardFace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extended {
    /// Not tried yet on this card; try if the reader says it can.
    Untested,
    Works,
    /// The reader or card refused it: short APDUs from now on.
    Refused,
}

/// A JPKI client over one card connection. Create one per session.
pub struct JpkiClient<T: CardTransport> {
    transport: T,
    selected: Selected,
    extended: Extended,
    apdus: usize,
    /// The last DER object read began with `FF` filler: an erased EF.
    erased: bool,
}

impl<T: CardTransport> JpkiClient<T> {
    pub fn new(transport: T) -> Self {
        JpkiClient { transport, selected: Selected::None, extended: Extended::Untested, apdus: 0, erased: false }
    }

    /// Command APDUs sent so far, GET RESPONSE and retries included.
    pub fn apdu_count(&self) -> usize {
        self.apdus
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    pub fn into_transport(self) -> T {
        self.transport
    }

    fn run(&mut self, cmd: &Command) -> Result<Response, JpkiError> {
        let mut counting = Counting { inner: &mut self.transport, count: 0 };
        let result = exchange(&mut counting, cmd);
        self.apdus += counting.count;
        Ok(result?)
    }

    fn select_ap(&mut self, which: Selected) -> Result<bool, JpkiError> {
        if self.selected == which {
            return Ok(true);
        }
        let aid = match which {
            Selected::Jpki => aid::JPKI,
            Selected::CardFace => aid::CARD_FACE,
            Selected::None => return Ok(false),
        };
        let r = self.run(&Command::new(0x00, INS_SELECT, 0x04, 0x0C).with_data(aid))?;
        match r.status {
            StatusWord::Ok => {
                self.selected = which;
                Ok(true)
            }
            StatusWord::NotFound => {
                self.selected = Selected::None;
                Ok(false)
            }
            sw => Err(JpkiError::Card(sw)),
        }
    }

    fn select_ef(&mut self, fid: u16) -> Result<(), JpkiError> {
        let r = self.run(&Command::new(0x00, INS_SELECT, 0x02, 0x0C).with_data(fid.to_be_bytes()))?;
        match r.status {
            StatusWord::Ok => Ok(()),
            StatusWord::NotFound => Err(JpkiError::FileNotFound(fid)),
            sw => Err(JpkiError::Card(sw)),
        }
    }

    fn require_jpki(&mut self) -> Result<(), JpkiError> {
        if self.select_ap(Selected::Jpki)? {
            Ok(())
        } else {
            Err(JpkiError::NotJpki)
        }
    }

    /// Identifies the token by the JPKI AP and its EF `0006` label (never by ATR).
    pub fn identify(&mut self) -> Result<CardKind, JpkiError> {
        if !self.select_ap(Selected::Jpki)? {
            return Ok(CardKind::NotJpki);
        }
        self.select_ef(ef::TOKEN_INFO)?;
        let r = self.run(&Command::new(0x00, INS_READ_BINARY, 0, 0).with_le(TOKEN_LABEL_LEN))?;
        if !r.status.is_success() {
            return Err(JpkiError::Card(r.status));
        }
        let label: String =
            r.data.iter().take(TOKEN_LABEL_LEN).map(|&b| if b.is_ascii_graphic() { b as char } else { ' ' }).collect();
        Ok(CardKind::from_label(label.trim()))
    }

    /// Reads a certificate as DER, trimmed of the file's `FF` filler.
    ///
    /// An EF that is missing, or erased (nothing but `FF` filler where the DER should start),
    /// holds no certificate: never issued, or revoked at the counter. Unverified on real cards
    /// (EF `0008` may say the same; its bytes are not documented): the one place to change.
    pub fn read_certificate(&mut self, slot: CertSlot) -> Result<Vec<u8>, JpkiError> {
        self.require_jpki()?;
        match self.select_ef(slot.ef()) {
            Err(JpkiError::FileNotFound(_)) => return Err(JpkiError::NoCertificate),
            other => other?,
        }
        match self.read_der_object(MAX_CERT_LEN) {
            Err(JpkiError::NotDer) if self.erased => Err(JpkiError::NoCertificate),
            other => other,
        }
    }

    /// Reads one DER object from the selected EF in as few READ BINARY as the path allows:
    /// the first read already returns data, and its header tells how much more to read.
    fn read_der_object(&mut self, max_len: usize) -> Result<Vec<u8>, JpkiError> {
        let mut buf = self.read_first_chunk(max_len)?;
        self.erased = buf.len() >= 4 && buf[..4] == [0xFF; 4];
        let total = loop {
            match der_object_len(&buf)? {
                Some(total) => break total,
                // Header not complete yet (a card may return very few bytes): read on.
                None => {
                    let more = self.read_chunk(buf.len(), SHORT_LE_MAX, false)?;
                    if more.is_empty() {
                        return Err(JpkiError::Truncated);
                    }
                    buf.extend_from_slice(&more);
                }
            }
        };
        if total > max_len {
            return Err(JpkiError::TooLarge { claimed: total, limit: max_len });
        }
        self.read_rest(&mut buf, total)?;
        buf.truncate(total);
        // A certificate is public: it may leave the wiping buffer.
        Ok(std::mem::take(&mut *buf))
    }

    /// The first READ BINARY at offset 0: extended if the reader may take it, else 256 bytes.
    fn read_first_chunk(&mut self, max_len: usize) -> Result<Zeroizing<Vec<u8>>, JpkiError> {
        if self.extended != Extended::Refused && self.transport.supports_extended_length() {
            match self.read_chunk(0, max_len.min(EXTENDED_LE_MAX), true) {
                Ok(data) => {
                    self.extended = Extended::Works;
                    return Ok(data);
                }
                Err(JpkiError::Transport(TransportError::Unsupported(_)))
                | Err(JpkiError::Card(StatusWord::WrongLength))
                | Err(JpkiError::Card(StatusWord::IncorrectP1P2))
                | Err(JpkiError::Card(StatusWord::InsNotSupported))
                | Err(JpkiError::Card(StatusWord::Other(_))) => {
                    tracing::info!("extended-length READ BINARY refused; using short APDUs");
                    self.extended = Extended::Refused;
                }
                Err(e) => return Err(e),
            }
        }
        self.read_chunk(0, SHORT_LE_MAX, false)
    }

    /// Reads until `buf` holds `total` bytes.
    fn read_rest(&mut self, buf: &mut Vec<u8>, total: usize) -> Result<(), JpkiError> {
        while buf.len() < total {
            let want = total - buf.len();
            let extended = self.extended == Extended::Works;
            let le = if extended { want.min(EXTENDED_LE_MAX) } else { want.min(SHORT_LE_MAX) };
            let chunk = self.read_chunk(buf.len(), le, extended)?;
            if chunk.is_empty() {
                return Err(JpkiError::Truncated);
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(())
    }

    /// One READ BINARY. The chunk stays in a wiping buffer: it may be part of the card face.
    fn read_chunk(&mut self, offset: usize, le: usize, extended: bool) -> Result<Zeroizing<Vec<u8>>, JpkiError> {
        // P1 bit 8 set would mean SFI addressing: offsets are 15-bit.
        if offset > 0x7FFF {
            return Err(JpkiError::TooLarge { claimed: offset, limit: 0x7FFF });
        }
        let [p1, p2] = (offset as u16).to_be_bytes();
        let mut cmd = Command::new(0x00, INS_READ_BINARY, p1, p2).with_le(le);
        if extended {
            cmd = cmd.extended();
        }
        let r = self.run(&cmd)?;
        match r.status {
            StatusWord::Ok | StatusWord::EndOfFile => Ok(r.into_data()),
            StatusWord::OffsetOutOfRange => Err(JpkiError::Truncated),
            sw => Err(JpkiError::Card(sw)),
        }
    }

    /// Reads the user-auth PIN retry counter with an empty VERIFY: no try is spent.
    pub fn pin_status(&mut self) -> Result<PinStatus, JpkiError> {
        self.require_jpki()?;
        self.select_ef(ef::AUTH_PIN)?;
        let r = self.run(&Command::new(0x00, INS_VERIFY, 0x00, 0x80))?;
        match r.status {
            StatusWord::WrongPin { tries_left: 0 } | StatusWord::Blocked => Ok(PinStatus::Blocked),
            StatusWord::WrongPin { tries_left } => Ok(PinStatus::TriesLeft(tries_left)),
            // A face-only card refuses PIN use. Unverified on every card generation: the one
            // place to change if a real face-only card answers otherwise.
            StatusWord::ConditionsNotSatisfied => Ok(PinStatus::NotSet),
            sw => Err(JpkiError::Card(sw)),
        }
    }

    /// VERIFY the user-auth PIN. One call is one try on the card: callers never retry.
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), JpkiError> {
        self.require_jpki()?;
        self.select_ef(ef::AUTH_PIN)?;
        let verify = Command::new(0x00, INS_VERIFY, 0x00, 0x80).with_data(pin.expose().to_vec());
        match self.run(&verify)?.status {
            StatusWord::Ok => Ok(()),
            StatusWord::WrongPin { tries_left } => Err(JpkiError::WrongPin { tries_left }),
            StatusWord::Blocked => Err(JpkiError::PinBlocked),
            StatusWord::ConditionsNotSatisfied => Err(JpkiError::PinNotSet),
            sw => Err(JpkiError::Card(sw)),
        }
    }

    /// Signs a DER DigestInfo with the user-auth key (PIN must be verified in this connection).
    pub fn sign_digest_info(&mut self, digest_info: &[u8]) -> Result<Vec<u8>, JpkiError> {
        self.require_jpki()?;
        self.select_ef(ef::AUTH_KEY)?;
        let mut r = self.run(
            &Command::new(0x80, INS_JPKI_SIGN, 0x00, 0x80).with_data(digest_info.to_vec()).with_le(SHORT_LE_MAX),
        )?;
        match r.status {
            // A signature is public: it may leave the wiping buffer.
            StatusWord::Ok if !r.data.is_empty() => Ok(std::mem::take(&mut r.data)),
            StatusWord::Ok => Err(JpkiError::Card(StatusWord::Ok)),
            StatusWord::SecurityStatusNotSatisfied => Err(JpkiError::PinNotVerified),
            sw => Err(JpkiError::Card(sw)),
        }
    }

    /// Signs SHA-256(`message`) as RSA PKCS#1 v1.5 with the user-auth key.
    pub fn sign_sha256(&mut self, message: &[u8]) -> Result<Vec<u8>, JpkiError> {
        let mut digest_info = Pkcs1v15Sign::new::<Sha256>().prefix.to_vec();
        digest_info.extend_from_slice(&Sha256::digest(message));
        self.sign_digest_info(&digest_info)
    }
}

/// Counts APDUs for [`JpkiClient::apdu_count`] without the transport knowing.
struct Counting<'a, T: CardTransport> {
    inner: &'a mut T,
    count: usize,
}

impl<T: CardTransport> CardTransport for Counting<'_, T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.count += 1;
        self.inner.transmit(apdu)
    }
    fn supports_extended_length(&self) -> bool {
        self.inner.supports_extended_length()
    }
}
