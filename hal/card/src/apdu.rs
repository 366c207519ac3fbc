//! Command APDUs and the status words a JPKI card answers with.
//!
//! The builder knows ISO 7816-4 short and extended encodings; the status word enum carries the
//! data callers branch on (tries left, bytes available) so nobody compares raw `u16`s.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Largest `Le` a short APDU can ask for (`Le = 00` means 256).
pub const SHORT_LE_MAX: usize = 256;
/// Largest `Le` an extended APDU can ask for (`Le = 00 00` means 65536).
pub const EXTENDED_LE_MAX: usize = 65_536;

/// A command APDU. Build with [`Command::new`] and the `with_*` methods.
///
/// The data of a VERIFY is a PIN or collation number B: the buffer wipes itself on drop, clones
/// included.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Expected response length; `None` means no response data is expected (case 1/3).
    pub le: Option<usize>,
    /// Ask for extended length encoding even when short would do.
    pub extended: bool,
}

impl Command {
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command { cla, ins, p1, p2, data: Vec::new(), le: None, extended: false }
    }

    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    pub fn extended(mut self) -> Self {
        self.extended = true;
        self
    }

    /// Whether this command must be sent in extended form.
    pub fn needs_extended(&self) -> bool {
        self.extended || self.data.len() > 255 || self.le.is_some_and(|le| le > SHORT_LE_MAX)
    }

    /// Serialises the command. Returns `None` for a command no encoding can carry
    /// (data over 65535 bytes, `Le` over 65536).
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        if self.data.len() > 65_535 || self.le.is_some_and(|le| le == 0 || le > EXTENDED_LE_MAX) {
            return None;
        }
        let mut out = Vec::with_capacity(7 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if self.needs_extended() {
            if !self.data.is_empty() {
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if self.data.is_empty() {
                    out.push(0);
                }
                // 65536 is encoded as 00 00.
                out.extend_from_slice(&((le % EXTENDED_LE_MAX) as u16).to_be_bytes());
            }
        } else {
            if !self.data.is_empty() {
                out.push(self.data.len() as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                // 256 is encoded as 00.
                out.push((le % SHORT_LE_MAX) as u8);
            }
        }
        Some(out)
    }

    /// True for VERIFY: its data is a secret and must never be shown.
    pub fn carries_secret(&self) -> bool {
        self.ins == INS_VERIFY && !self.data.is_empty()
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Command");
        d.field("header", &format_args!("{:02X} {:02X} {:02X} {:02X}", self.cla, self.ins, self.p1, self.p2));
        if self.carries_secret() {
            d.field("data", &format_args!("<{} bytes redacted>", self.data.len()));
        } else {
            d.field("data", &format_args!("{}", hex::encode_upper(&self.data)));
        }
        d.field("le", &self.le).finish()
    }
}

/// Wipes the data bytes and the spare capacity in place. The length is kept: a wiped buffer reads
/// as zeros, which a test can see without unsafe code.
fn wipe_in_place(data: &mut Vec<u8>) {
    data.as_mut_slice().zeroize();
    data.spare_capacity_mut().zeroize();
}

impl Zeroize for Command {
    fn zeroize(&mut self) {
        wipe_in_place(&mut self.data);
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Command {}

pub const INS_SELECT: u8 = 0xA4;
pub const INS_READ_BINARY: u8 = 0xB0;
pub const INS_VERIFY: u8 = 0x20;
pub const INS_GET_RESPONSE: u8 = 0xC0;
/// JPKI's proprietary COMPUTE DIGITAL SIGNATURE (CLA 80).
pub const INS_JPKI_SIGN: u8 = 0x2A;

/// A decoded status word. Variants carry what the caller needs to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWord {
    /// `9000`
    Ok,
    /// `61xx`: more response bytes are waiting for GET RESPONSE (`00` = 256 or more).
    MoreData { available: usize },
    /// `6282`: end of file reached before `Le` bytes were read.
    EndOfFile,
    /// `63Cx`: verification failed, `x` tries left (`63C0`: this attempt used the last one).
    WrongPin { tries_left: u8 },
    /// `6700`
    WrongLength,
    /// `6982`
    SecurityStatusNotSatisfied,
    /// `6983` / `6984`: authentication method blocked / reference data not usable.
    Blocked,
    /// `6985`
    ConditionsNotSatisfied,
    /// `6986`
    CommandNotAllowed,
    /// `6A82`: file or application not found.
    NotFound,
    /// `6A86`
    IncorrectP1P2,
    /// `6B00`: offset outside the file.
    OffsetOutOfRange,
    /// `6Cxx`: wrong `Le`; the card says `xx` bytes are available.
    WrongLe { exact: usize },
    /// `6D00`
    InsNotSupported,
    /// `6E00`
    ClaNotSupported,
    /// Anything else, kept raw for diagnostics.
    Other(u16),
}

impl StatusWord {
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        match (sw1, sw2) {
            (0x90, 0x00) => StatusWord::Ok,
            (0x61, n) => StatusWord::MoreData { available: if n == 0 { 256 } else { n as usize } },
            (0x62, 0x82) => StatusWord::EndOfFile,
            (0x63, x) if x & 0xF0 == 0xC0 => StatusWord::WrongPin { tries_left: x & 0x0F },
            (0x67, 0x00) => StatusWord::WrongLength,
            (0x69, 0x82) => StatusWord::SecurityStatusNotSatisfied,
            (0x69, 0x83) | (0x69, 0x84) => StatusWord::Blocked,
            (0x69, 0x85) => StatusWord::ConditionsNotSatisfied,
            (0x69, 0x86) => StatusWord::CommandNotAllowed,
            (0x6A, 0x82) => StatusWord::NotFound,
            (0x6A, 0x86) => StatusWord::IncorrectP1P2,
            (0x6B, 0x00) => StatusWord::OffsetOutOfRange,
            (0x6C, n) => StatusWord::WrongLe { exact: if n == 0 { 256 } else { n as usize } },
            (0x6D, 0x00) => StatusWord::InsNotSupported,
            (0x6E, 0x00) => StatusWord::ClaNotSupported,
            (a, b) => StatusWord::Other(u16::from_be_bytes([a, b])),
        }
    }

    /// The two bytes as the card sent them (`6Cxx` and `61xx` re-encoded).
    pub fn to_u16(self) -> u16 {
        match self {
            StatusWord::Ok => 0x9000,
            StatusWord::MoreData { available } => 0x6100 | (available % 256) as u16,
            StatusWord::EndOfFile => 0x6282,
            StatusWord::WrongPin { tries_left } => 0x63C0 | (tries_left & 0x0F) as u16,
            StatusWord::WrongLength => 0x6700,
            StatusWord::SecurityStatusNotSatisfied => 0x6982,
            StatusWord::Blocked => 0x6984,
            StatusWord::ConditionsNotSatisfied => 0x6985,
            StatusWord::CommandNotAllowed => 0x6986,
            StatusWord::NotFound => 0x6A82,
            StatusWord::IncorrectP1P2 => 0x6A86,
            StatusWord::OffsetOutOfRange => 0x6B00,
            StatusWord::WrongLe { exact } => 0x6C00 | (exact % 256) as u16,
            StatusWord::InsNotSupported => 0x6D00,
            StatusWord::ClaNotSupported => 0x6E00,
            StatusWord::Other(sw) => sw,
        }
    }

    /// Success, including the "fewer bytes than asked" warning a READ BINARY may give.
    pub fn is_success(self) -> bool {
        matches!(self, StatusWord::Ok | StatusWord::EndOfFile)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.to_u16())
    }
}

/// A response APDU split into its data and status word.
///
/// The data can be a face photo: the buffer wipes itself on drop. Take it out with
/// [`Response::into_data`], which keeps it in a wiping buffer.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub status: StatusWord,
}

impl Response {
    /// Splits raw bytes from the card. Fewer than two bytes is not a response.
    pub fn from_bytes(mut raw: Vec<u8>) -> Option<Self> {
        if raw.len() < 2 {
            return None;
        }
        let sw2 = raw.pop()?;
        let sw1 = raw.pop()?;
        Some(Response { data: raw, status: StatusWord::from_bytes(sw1, sw2) })
    }

    /// Moves the data out, still in a wiping buffer.
    pub fn into_data(mut self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(std::mem::take(&mut self.data))
    }
}

impl Zeroize for Response {
    fn zeroize(&mut self) {
        wipe_in_place(&mut self.data);
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Response {}

impl fmt::Debug for Response {
    // Response data can be a signature or a photo: show its size, not its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response").field("data_len", &self.data.len()).field("status", &self.status).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_encodings_cover_all_four_cases() {
        assert_eq!(Command::new(0, 0xA4, 2, 0x0C).to_bytes().unwrap(), [0, 0xA4, 2, 0x0C]);
        assert_eq!(
            Command::new(0, 0xA4, 2, 0x0C).with_data([0, 0x0A]).to_bytes().unwrap(),
            [0, 0xA4, 2, 0x0C, 2, 0, 0x0A]
        );
        assert_eq!(Command::new(0, 0xB0, 1, 2).with_le(256).to_bytes().unwrap(), [0, 0xB0, 1, 2, 0]);
        assert_eq!(
            Command::new(0x80, 0x2A, 0, 0x80).with_data([1, 2]).with_le(256).to_bytes().unwrap(),
            [0x80, 0x2A, 0, 0x80, 2, 1, 2, 0]
        );
    }

    #[test]
    fn extended_encodings() {
        assert_eq!(Command::new(0, 0xB0, 0, 0).with_le(65_536).to_bytes().unwrap(), [0, 0xB0, 0, 0, 0, 0, 0]);
        assert_eq!(Command::new(0, 0xB0, 0, 0).with_le(1000).to_bytes().unwrap(), [0, 0xB0, 0, 0, 0, 0x03, 0xE8]);
        let data = vec![7u8; 300];
        let bytes = Command::new(0x80, 0x2A, 0, 0x80).with_data(data).with_le(256).to_bytes().unwrap();
        assert_eq!(&bytes[4..7], &[0, 0x01, 0x2C]);
        assert_eq!(&bytes[307..], &[0x01, 0x00]);
        assert!(Command::new(0, 0xB0, 0, 0).with_le(65_537).to_bytes().is_none());
        assert!(Command::new(0, 0xB0, 0, 0).with_le(0).to_bytes().is_none());
    }

    #[test]
    fn status_words_decode_with_their_data() {
        assert_eq!(StatusWord::from_bytes(0x63, 0xC2), StatusWord::WrongPin { tries_left: 2 });
        assert_eq!(StatusWord::from_bytes(0x63, 0xC0), StatusWord::WrongPin { tries_left: 0 });
        assert_eq!(StatusWord::from_bytes(0x69, 0x84), StatusWord::Blocked);
        assert_eq!(StatusWord::from_bytes(0x69, 0x83), StatusWord::Blocked);
        assert_eq!(StatusWord::from_bytes(0x61, 0x00), StatusWord::MoreData { available: 256 });
        assert_eq!(StatusWord::from_bytes(0x6C, 0x10), StatusWord::WrongLe { exact: 16 });
        assert_eq!(StatusWord::from_bytes(0x6A, 0x82), StatusWord::NotFound);
        assert_eq!(StatusWord::from_bytes(0x6B, 0x00), StatusWord::OffsetOutOfRange);
        assert_eq!(StatusWord::from_bytes(0x62, 0x82), StatusWord::EndOfFile);
        assert_eq!(StatusWord::from_bytes(0x63, 0x00), StatusWord::Other(0x6300));
        for sw in [
            0x9000u16, 0x6282, 0x63C1, 0x6700, 0x6982, 0x6984, 0x6985, 0x6A82, 0x6A86, 0x6B00, 0x6C20, 0x6D00, 0x6E00,
            0x6F00,
        ] {
            let [a, b] = sw.to_be_bytes();
            assert_eq!(StatusWord::from_bytes(a, b).to_u16(), sw);
        }
    }

    #[test]
    fn verify_data_never_shows_in_debug() {
        let cmd = Command::new(0, INS_VERIFY, 0, 0x80).with_data(*b"4711");
        let shown = format!("{cmd:?}");
        assert!(!shown.contains("34373131"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn commands_and_responses_wipe_their_data() {
        // Drop calls `zeroize`: the marker trait holds that promise, the rest checks the wipe.
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Command>();
        wiped_on_drop::<Response>();

        let mut cmd = Command::new(0, INS_VERIFY, 0, 0x80).with_data(*b"4711");
        let retry = cmd.clone();
        cmd.zeroize();
        assert_eq!(cmd.data, [0; 4]);
        // A clone (the 6Cxx retry) is a Command too, so it wipes itself when it drops.
        assert_eq!(retry.data, *b"4711");

        let mut r = Response::from_bytes(vec![0x6A, 0x50, 0x90, 0x00]).unwrap();
        r.zeroize();
        assert_eq!(r.data, [0; 2]);
        assert_eq!(r.status, StatusWord::Ok);
    }

    #[test]
    fn response_needs_a_status_word() {
        assert!(Response::from_bytes(vec![0x90]).is_none());
        let r = Response::from_bytes(vec![1, 2, 0x90, 0]).unwrap();
        assert_eq!(r.data, [1, 2]);
        assert_eq!(r.status, StatusWord::Ok);
    }
}
