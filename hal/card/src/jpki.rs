//! The JPKI client: what the kiosk asks of a My Number card, over any [`CardTransport`].
//!
//! It identifies the card, reads the user-authentication certificate and its CA, reads the PIN
//! retry counter without spending a try, verifies the PIN, signs, and reads the face photo with
//! 照合番号B. It never selects the 券面事項入力補助AP (the 個人番号): the kiosk has no business there.

use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::apdu::{
    Command, Response, StatusWord, EXTENDED_LE_MAX, INS_JPKI_SIGN, INS_READ_BINARY, INS_SELECT, INS_VERIFY,
    SHORT_LE_MAX,
};
use crate::message::{Coded, Message};
use crate::secret::{CollationB, FacePhoto, Pin};
use crate::transport::{exchange, CardTransport, TransportError};

/// Application identifiers (DF names).
pub mod aid {
    /// 公的個人認証AP
    pub const JPKI: &[u8] = &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    /// 券面事項確認AP: the card face, with the photo.
    pub const CARD_FACE: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
    /// 券面事項入力補助AP: holds the 個人番号. Named here only so tests can prove we never select it.
    pub const TEXT_INPUT_HELPER: &[u8] = &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
    /// 共通カードAP
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
    /// In the card-face AP: 照合番号B.
    pub const FACE_COLLATION_B: u16 = 0x0012;
    /// In the card-face AP: the card-face record (`FF20` TLV holding DF21..DF2A).
    pub const FACE_RECORD: u16 = 0x0002;
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

/// What kind of JPKI token answered, by the label in EF `0006`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardKind {
    /// `JPKIAPICCTOKEN2`
    MyNumberCard,
    /// `JPKIAPGPSETOKEN`: a smartphone certificate on Android.
    Android,
    /// `JPKIAPIOSTOKEN`: a smartphone certificate on iPhone.
    Iphone,
    /// `JPKIAPICCTOKEN`: the old 住基カード, not a マイナ保険証.
    Juki,
    /// The JPKI AP answered but with a label we do not know.
    UnknownJpki(String),
    /// No JPKI AP at all.
    NotJpki,
}

impl CardKind {
    pub fn from_label(label: &str) -> CardKind {
        match label {
            "JPKIAPICCTOKEN2" => CardKind::MyNumberCard,
            "JPKIAPGPSETOKEN" => CardKind::Android,
            "JPKIAPIOSTOKEN" => CardKind::Iphone,
            "JPKIAPICCTOKEN" => CardKind::Juki,
            other => CardKind::UnknownJpki(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            CardKind::MyNumberCard => "my_number_card",
            CardKind::Android => "android",
            CardKind::Iphone => "iphone",
            CardKind::Juki => "juki",
            CardKind::UnknownJpki(_) => "unknown_jpki",
            CardKind::NotJpki => "not_jpki",
        }
    }

    /// Smartphone certificates get no expiry grace.
    pub fn is_smartphone(&self) -> bool {
        matches!(self, CardKind::Android | CardKind::Iphone)
    }

    /// Whether this token can serve as a マイナ保険証 at all.
    pub fn is_health_insurance_capable(&self) -> bool {
        matches!(self, CardKind::MyNumberCard | CardKind::Android | CardKind::Iphone)
    }
}

/// The user-authentication PIN's state, read without spending a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    TriesLeft(u8),
    /// Locked: reset at the municipal office or a convenience-store kiosk.
    Blocked,
    /// The card has no usable PIN (a face-only 顔認証マイナンバーカード).
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
}

impl<T: CardTransport> JpkiClient<T> {
    pub fn new(transport: T) -> Self {
        JpkiClient { transport, selected: Selected::None, extended: Extended::Untested, apdus: 0 }
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
    pub fn read_certificate(&mut self, slot: CertSlot) -> Result<Vec<u8>, JpkiError> {
        self.require_jpki()?;
        self.select_ef(slot.ef())?;
        self.read_der_object(MAX_CERT_LEN)
    }

    /// Reads one DER object from the selected EF in as few READ BINARY as the path allows:
    /// the first read already returns data, and its header tells how much more to read.
    fn read_der_object(&mut self, max_len: usize) -> Result<Vec<u8>, JpkiError> {
        let mut buf = self.read_first_chunk(max_len)?;
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
        Ok(buf)
    }

    /// The first READ BINARY at offset 0: extended if the reader may take it, else 256 bytes.
    fn read_first_chunk(&mut self, max_len: usize) -> Result<Vec<u8>, JpkiError> {
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

    fn read_chunk(&mut self, offset: usize, le: usize, extended: bool) -> Result<Vec<u8>, JpkiError> {
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
            StatusWord::Ok | StatusWord::EndOfFile => Ok(r.data),
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
        let cmd = Command::new(0x00, INS_VERIFY, 0x00, 0x80).with_data(pin.expose().to_vec());
        let result = self.run(&cmd);
        wipe(cmd);
        match result?.status {
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
        let r = self.run(
            &Command::new(0x80, INS_JPKI_SIGN, 0x00, 0x80).with_data(digest_info.to_vec()).with_le(SHORT_LE_MAX),
        )?;
        match r.status {
            StatusWord::Ok if !r.data.is_empty() => Ok(r.data),
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

    /// Opens the card-face AP with 照合番号B and returns only the face photo (DF27).
    /// The rest of the card-face record (name, address, birth date images) is wiped unread.
    pub fn read_face_photo(&mut self, collation_b: &CollationB) -> Result<FacePhoto, JpkiError> {
        if !self.select_ap(Selected::CardFace)? {
            return Err(JpkiError::NoCardFace);
        }
        self.select_ef(ef::FACE_COLLATION_B)?;
        let cmd = Command::new(0x00, INS_VERIFY, 0x00, 0x80).with_data(collation_b.expose().to_vec());
        let result = self.run(&cmd);
        wipe(cmd);
        match result?.status {
            StatusWord::Ok => {}
            StatusWord::WrongPin { tries_left } => return Err(JpkiError::WrongCollationB { tries_left }),
            StatusWord::Blocked => return Err(JpkiError::CollationBBlocked),
            sw => return Err(JpkiError::Card(sw)),
        }
        self.select_ef(ef::FACE_RECORD)?;
        let mut record = Zeroizing::new(self.read_chunk(0, FACE_HEADER_LEN, false)?);
        let total = face_record_len(&record)?;
        if total > MAX_FACE_RECORD_LEN {
            return Err(JpkiError::TooLarge { claimed: total, limit: MAX_FACE_RECORD_LEN });
        }
        // Reserve once so the buffer never reallocates and leaves unwiped copies behind.
        let reserve = total.saturating_sub(record.len());
        record.reserve_exact(reserve);
        self.read_rest(&mut record, total)?;
        record.truncate(total);
        let photo = find_face_photo(&record)?;
        Ok(FacePhoto::new(photo.to_vec()))
    }
}

fn wipe(mut cmd: Command) {
    use zeroize::Zeroize;
    cmd.data.zeroize();
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

/// Total length of the DER object at the start of `buf`, or `None` if the header is not all
/// there yet. Anything but a SEQUENCE with a definite length is refused.
fn der_object_len(buf: &[u8]) -> Result<Option<usize>, JpkiError> {
    use der::{Decode, Header, Reader, SliceReader, Tag};
    match buf {
        [] => return Ok(None),
        [tag, ..] if *tag != 0x30 => return Err(JpkiError::NotDer),
        [_] => return Ok(None),
        // Indefinite length, or a length field longer than any certificate needs.
        [_, len, ..] if *len == 0x80 || *len > 0x84 => return Err(JpkiError::NotDer),
        _ => {}
    }
    // A long-form length announces its byte count in the second byte; wait for all of it.
    let needed = if buf[1] & 0x80 != 0 { 2 + (buf[1] & 0x7F) as usize } else { 2 };
    if buf.len() < needed {
        return Ok(None);
    }
    let mut reader = SliceReader::new(&buf[..needed]).map_err(|_| JpkiError::NotDer)?;
    let header = Header::decode(&mut reader).map_err(|_| JpkiError::NotDer)?;
    if header.tag != Tag::Sequence {
        return Err(JpkiError::NotDer);
    }
    let header_len = usize::try_from(reader.position()).map_err(|_| JpkiError::NotDer)?;
    let body = usize::try_from(header.length).map_err(|_| JpkiError::NotDer)?;
    Ok(Some(header_len + body))
}

/// One BER tag-length-value in the card-face record.
struct Tlv<'a> {
    tag: u32,
    value: &'a [u8],
    rest: &'a [u8],
}

/// Reads one BER TLV (multi-byte tags, short and long definite lengths). Bounded by `input`.
fn next_tlv(input: &[u8]) -> Result<Tlv<'_>, JpkiError> {
    let mut i = 0;
    let first = *input.first().ok_or(JpkiError::BadFaceRecord)?;
    let mut tag = first as u32;
    i += 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *input.get(i).ok_or(JpkiError::BadFaceRecord)?;
            i += 1;
            tag = (tag << 8) | b as u32;
            if b & 0x80 == 0 {
                break;
            }
            if i > 3 {
                return Err(JpkiError::BadFaceRecord);
            }
        }
    }
    let len_byte = *input.get(i).ok_or(JpkiError::BadFaceRecord)?;
    i += 1;
    let len = match len_byte {
        0x00..=0x7F => len_byte as usize,
        0x81 => {
            let b = *input.get(i).ok_or(JpkiError::BadFaceRecord)?;
            i += 1;
            b as usize
        }
        0x82 => {
            let hi = *input.get(i).ok_or(JpkiError::BadFaceRecord)?;
            let lo = *input.get(i + 1).ok_or(JpkiError::BadFaceRecord)?;
            i += 2;
            u16::from_be_bytes([hi, lo]) as usize
        }
        _ => return Err(JpkiError::BadFaceRecord),
    };
    let end = i.checked_add(len).ok_or(JpkiError::BadFaceRecord)?;
    let value = input.get(i..end).ok_or(JpkiError::Truncated)?;
    Ok(Tlv { tag, value, rest: &input[end..] })
}

const TAG_FACE_RECORD: u32 = 0xFF20;
const TAG_FACE_PHOTO: u32 = 0xDF27;

/// Total length of the card-face record from its first bytes (`FF 20 82 LL LL …`).
fn face_record_len(head: &[u8]) -> Result<usize, JpkiError> {
    if head.len() < 3 || head[0] != 0xFF || head[1] != 0x20 {
        return Err(JpkiError::BadFaceRecord);
    }
    let (len_len, len) = match head[2] {
        n @ 0x00..=0x7F => (1, n as usize),
        0x81 if head.len() >= 4 => (2, head[3] as usize),
        0x82 if head.len() >= 5 => (3, u16::from_be_bytes([head[3], head[4]]) as usize),
        _ => return Err(JpkiError::BadFaceRecord),
    };
    Ok(2 + len_len + len)
}

/// Finds the JPEG 2000 face photo (DF27) inside the card-face record.
pub fn find_face_photo(record: &[u8]) -> Result<&[u8], JpkiError> {
    let outer = next_tlv(record)?;
    if outer.tag != TAG_FACE_RECORD {
        return Err(JpkiError::BadFaceRecord);
    }
    let mut inner = outer.value;
    while !inner.is_empty() {
        let tlv = next_tlv(inner)?;
        if tlv.tag == TAG_FACE_PHOTO {
            let jp2 = tlv.value.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]);
            let j2k = tlv.value.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]);
            return if jp2 || j2k { Ok(tlv.value) } else { Err(JpkiError::BadFaceRecord) };
        }
        inner = tlv.rest;
    }
    Err(JpkiError::BadFaceRecord)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JpkiError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("not a JPKI card")]
    NotJpki,
    #[error("the card has no card-face application")]
    NoCardFace,
    #[error("file {0:04X} not found on the card")]
    FileNotFound(u16),
    #[error("wrong PIN, {tries_left} tries left")]
    WrongPin { tries_left: u8 },
    #[error("the PIN is locked")]
    PinBlocked,
    #[error("the card has no PIN (face-only card)")]
    PinNotSet,
    #[error("the PIN has not been verified in this connection")]
    PinNotVerified,
    #[error("wrong 照合番号B, {tries_left} tries left")]
    WrongCollationB { tries_left: u8 },
    #[error("照合番号B is locked")]
    CollationBBlocked,
    #[error("the object claims {claimed} bytes, more than the {limit} accepted")]
    TooLarge { claimed: usize, limit: usize },
    #[error("the file ended before the object it holds")]
    Truncated,
    #[error("the file does not hold a DER certificate")]
    NotDer,
    #[error("the card-face record is malformed")]
    BadFaceRecord,
    #[error("the card answered {0}")]
    Card(StatusWord),
}

impl Coded for JpkiError {
    fn message(&self) -> Message {
        match self {
            JpkiError::Transport(e) => e.message(),
            JpkiError::NotJpki => Message::new(
                "NOT_MY_NUMBER_CARD",
                "マイナンバーカードではないようです。マイナ保険証（マイナンバーカード）を置いてください。",
                "This does not seem to be a My Number card. Please place your My Number card.",
            ),
            JpkiError::WrongPin { tries_left: 0 } | JpkiError::PinBlocked => Message::new(
                "PIN_LOCKED",
                "暗証番号がロックされています。市区町村の窓口またはコンビニのキオスク端末で再設定できます。顔認証または職員による目視確認で受付できます。",
                "The PIN is locked. It can be reset at your municipal office or a convenience-store kiosk. You can check in with face recognition or a visual check by staff.",
            ),
            JpkiError::WrongPin { tries_left: 1 } => Message::new(
                "PIN_LAST_TRY",
                "暗証番号が違います。あと1回間違えるとロックされます。",
                "Wrong PIN. One more wrong entry will lock it.",
            ),
            JpkiError::WrongPin { .. } => Message::new(
                "PIN_WRONG",
                "暗証番号が違います。もう一度入力してください。",
                "Wrong PIN. Please enter it again.",
            ),
            JpkiError::PinNotSet => Message::new(
                "PIN_NOT_SET",
                "このカードは顔認証マイナンバーカードです。顔認証または目視確認で受付します。",
                "This card is face-recognition only. Please use face recognition or a staff check.",
            ),
            JpkiError::WrongCollationB { .. } | JpkiError::CollationBBlocked => Message::new(
                "FACE_REFERENCE_FAILED",
                "カードの顔写真を読み取れませんでした。暗証番号または職員による確認で受付します。",
                "The photo on the card could not be read. Please use your PIN or a staff check.",
            ),
            JpkiError::PinNotVerified
            | JpkiError::NoCardFace
            | JpkiError::FileNotFound(_)
            | JpkiError::TooLarge { .. }
            | JpkiError::Truncated
            | JpkiError::NotDer
            | JpkiError::BadFaceRecord
            | JpkiError::Card(_) => Message::new(
                "CARD_UNREADABLE",
                "カードを読み取れませんでした。置き直してもだめな場合は受付にお申し出ください。",
                "The card could not be read. If placing it again does not help, please ask at the desk.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_header_forms() {
        assert_eq!(der_object_len(&[0x30]).unwrap(), None);
        assert_eq!(der_object_len(&[0x30, 0x82, 0x05]).unwrap(), None);
        assert_eq!(der_object_len(&[0x30, 0x82, 0x05, 0x10]).unwrap(), Some(0x514));
        assert_eq!(der_object_len(&[0x30, 0x81, 0x80]).unwrap(), Some(0x83));
        assert_eq!(der_object_len(&[0x30, 0x05]).unwrap(), Some(7));
        assert_eq!(der_object_len(&[0xFF, 0xFF, 0xFF, 0xFF]), Err(JpkiError::NotDer));
        assert_eq!(der_object_len(&[0x04, 0x02, 0, 0]), Err(JpkiError::NotDer));
        // Indefinite length is not DER.
        assert_eq!(der_object_len(&[0x30, 0x80, 0, 0]), Err(JpkiError::NotDer));
        // A large length parses; the caller bounds it.
        assert_eq!(der_object_len(&[0x30, 0x83, 0x01, 0x00, 0x00]).unwrap(), Some(5 + 65_536));
    }

    #[test]
    fn face_record_parsing_is_bounded() {
        assert_eq!(face_record_len(&[0xFF, 0x20, 0x82, 0x01, 0x00, 0xDF, 0x21]).unwrap(), 0x105);
        assert_eq!(face_record_len(&[0xFF, 0x21, 0x82, 0x01, 0x00]), Err(JpkiError::BadFaceRecord));
        let jp2 = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 1, 2];
        let mut rec = vec![0xFF, 0x20, 0x10, 0xDF, 0x22, 0x02, 0x19, 0x80, 0xDF, 0x27, 0x0A];
        rec.extend_from_slice(&jp2);
        rec[2] = (rec.len() - 3) as u8;
        assert_eq!(find_face_photo(&rec).unwrap(), &jp2);
        // A length running past the end is an error, not a panic.
        let mut bad = rec.clone();
        bad[10] = 0x7F;
        assert!(find_face_photo(&bad).is_err());
        assert!(find_face_photo(&[]).is_err());
        assert!(find_face_photo(&[0xFF, 0x20, 0x82]).is_err());
    }
}
