//! Shared pieces of the fuzz targets: cards whose answers come from the fuzzer, a card that
//! serves fuzzer-made files faithfully, and the daemon's API stack without a socket.
//!
//! Nothing here is used by the daemon; see `fuzz/README.md` for the targets.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use myna_card::jpki::{aid, ef};
use myna_card::transport::{CardTransport, TransportError};
use myna_virtual_card::test_pki;

/// The instant every card target checks certificates at. The seeds (`seedgen`) issue their
/// certificates around it, so a seed walks the whole happy path.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 3, 0, 0).single().expect("a fixed instant")
}

/// The PIN and 照合番号B the targets submit. The seeds' cards accept them.
pub const FUZZ_PIN: &str = "4711";
pub const FUZZ_COLLATION_B: &str = "55010120349876";

/// Whether an APDU selects the 券面事項入力補助AP (the 個人番号): the kiosk must never do it.
pub fn selects_text_input_helper(apdu: &[u8]) -> bool {
    apdu.len() >= 5 && apdu[1] == 0xA4 && apdu[2] == 0x04 && apdu[5..].starts_with(aid::TEXT_INPUT_HELPER)
}

// ---------------------------------------------------------------------------------------------
// Scripted card: every answer comes from the fuzzer.

/// The script format of `jpki_client`: a flags byte, then answers, each a big-endian `u16`
/// length and that many bytes. Lengths `0xFFF0..=0xFFFF` are not answers but transport
/// errors (see [`Script::next_answer`]). When the script ends the card is removed.
#[derive(Debug, Clone)]
pub struct Script {
    pub extended_length: bool,
    answers: Vec<Result<Vec<u8>, TransportError>>,
}

impl Script {
    pub fn parse(input: &[u8]) -> Script {
        let Some((&flags, mut rest)) = input.split_first() else {
            return Script { extended_length: false, answers: vec![] };
        };
        let mut answers = Vec::new();
        while rest.len() >= 2 {
            let len = u16::from_be_bytes([rest[0], rest[1]]);
            rest = &rest[2..];
            if len >= 0xFFF0 {
                answers.push(Err(Self::error(len)));
                continue;
            }
            let n = (len as usize).min(rest.len());
            answers.push(Ok(rest[..n].to_vec()));
            rest = &rest[n..];
        }
        Script { extended_length: flags & 1 != 0, answers }
    }

    fn error(code: u16) -> TransportError {
        match code & 0x7 {
            0 => TransportError::Unsupported("fuzz".into()),
            1 => TransportError::Timeout,
            2 => TransportError::Malformed("fuzz".into()),
            3 => TransportError::NoCard,
            4 => TransportError::ReaderUnavailable,
            5 => TransportError::Other("fuzz".into()),
            6 => TransportError::NoService,
            _ => TransportError::CardRemoved,
        }
    }

    /// Serialises answers back into the script format (used by `seedgen`).
    pub fn encode(extended_length: bool, answers: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![u8::from(extended_length)];
        for a in answers {
            let len = u16::try_from(a.len()).expect("an answer fits the script format");
            assert!(len < 0xFFF0, "answer too long for the script format");
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(a);
        }
        out
    }
}

/// A card that answers from a [`Script`], shared so every connection the worker opens reads on.
#[derive(Clone)]
pub struct ScriptedCard {
    inner: Arc<Mutex<ScriptState>>,
}

struct ScriptState {
    script: Script,
    next: usize,
    sent: Vec<Vec<u8>>,
}

impl ScriptedCard {
    pub fn new(script: Script) -> Self {
        ScriptedCard { inner: Arc::new(Mutex::new(ScriptState { script, next: 0, sent: vec![] })) }
    }

    /// Every command APDU received so far.
    pub fn sent(&self) -> Vec<Vec<u8>> {
        self.inner.lock().expect("not poisoned").sent.clone()
    }
}

impl CardTransport for ScriptedCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut s = self.inner.lock().expect("not poisoned");
        s.sent.push(apdu.to_vec());
        let i = s.next;
        s.next += 1;
        s.script.answers.get(i).cloned().unwrap_or(Err(TransportError::CardRemoved))
    }

    fn supports_extended_length(&self) -> bool {
        self.inner.lock().expect("not poisoned").script.extended_length
    }
}

impl myna_kiosk::card_worker::Connector for ScriptedCard {
    fn connect(&mut self) -> Result<Box<dyn CardTransport + Send>, TransportError> {
        Ok(Box::new(self.clone()))
    }
}

/// Records what another transport answers, to turn a real exchange into a [`Script`] seed.
pub struct Recording<T: CardTransport> {
    pub inner: T,
    pub answers: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl<T: CardTransport> CardTransport for Recording<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.transmit(apdu)?;
        self.answers.lock().expect("not poisoned").push(answer.clone());
        Ok(answer)
    }

    fn supports_extended_length(&self) -> bool {
        self.inner.supports_extended_length()
    }
}

// ---------------------------------------------------------------------------------------------
// File card: a well-behaved card whose file contents come from the fuzzer.

/// Answers like a My Number card (AIDs, SELECT, READ BINARY short and extended with `6282` at
/// the end of a file, VERIFY, SIGN), but EF `000A` (the user-auth certificate) and the
/// card-face record EF `0002` hold whatever the target puts there. Lets the fuzzer attack the
/// *content* of files without having to discover the protocol first.
pub struct FileCard {
    pub auth_cert: Vec<u8>,
    pub face_record: Vec<u8>,
    pub extended_length: bool,
    app: u8,
    ef: u16,
}

const TOKEN_LABEL: &[u8] = b"JPKIAPICCTOKEN2";

impl FileCard {
    pub fn new(auth_cert: Vec<u8>, face_record: Vec<u8>, extended_length: bool) -> Self {
        FileCard { auth_cert, face_record, extended_length, app: 0, ef: 0 }
    }

    fn file(&self) -> Option<Vec<u8>> {
        match (self.app, self.ef) {
            (1, ef::TOKEN_INFO) => {
                let mut label = TOKEN_LABEL.to_vec();
                label.resize(32, b' ');
                Some(label)
            }
            (1, ef::AUTH_CERT) => Some(self.auth_cert.clone()),
            (1, ef::AUTH_CA_CERT) => Some(test_pki().auth_ca_der.clone()),
            (2, ef::FACE_RECORD) => Some(self.face_record.clone()),
            _ => None,
        }
    }
}

fn sw(word: u16) -> Vec<u8> {
    word.to_be_bytes().to_vec()
}

impl CardTransport for FileCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if apdu.len() < 4 {
            return Ok(sw(0x6700));
        }
        let (cla, ins, p1, p2) = (apdu[0], apdu[1], apdu[2], apdu[3]);
        let body = &apdu[4..];
        // Lc + data (short or extended) and Le, as the client encodes them.
        let (data, le): (&[u8], Option<usize>) = match body {
            [] => (&[], None),
            [le] => (&[], Some(if *le == 0 { 256 } else { *le as usize })),
            [0, hi, lo] => {
                let le = u16::from_be_bytes([*hi, *lo]) as usize;
                (&[], Some(if le == 0 { 65_536 } else { le }))
            }
            [lc, rest @ ..] if *lc != 0 && rest.len() >= *lc as usize => {
                let data = &rest[..*lc as usize];
                let le = rest.get(*lc as usize).map(|&b| if b == 0 { 256 } else { b as usize });
                (data, le)
            }
            [0, hi, lo, rest @ ..] => {
                let lc = u16::from_be_bytes([*hi, *lo]) as usize;
                (&rest[..lc.min(rest.len())], None)
            }
            _ => return Ok(sw(0x6700)),
        };
        let answer = match (cla, ins) {
            (0x00, 0xA4) if p1 == 0x04 => {
                if data == aid::JPKI {
                    self.app = 1;
                    sw(0x9000)
                } else if data == aid::CARD_FACE {
                    self.app = 2;
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            (0x00, 0xA4) if p1 == 0x02 && data.len() == 2 => {
                self.ef = u16::from_be_bytes([data[0], data[1]]);
                sw(0x9000)
            }
            (0x00, 0xB0) => {
                let Some(file) = self.file() else { return Ok(sw(0x6986)) };
                let offset = u16::from_be_bytes([p1, p2]) as usize;
                if offset > file.len() {
                    return Ok(sw(0x6B00));
                }
                let want = le.unwrap_or(256);
                let end = (offset + want).min(file.len());
                let mut out = file[offset..end].to_vec();
                out.extend_from_slice(&sw(if end - offset < want { 0x6282 } else { 0x9000 }));
                out
            }
            // An empty VERIFY reads the counter; any PIN or 照合番号B is accepted.
            (0x00, 0x20) if data.is_empty() => sw(0x63C3),
            (0x00, 0x20) => sw(0x9000),
            (0x80, 0x2A) => {
                let mut out = vec![0x5A; 256];
                out.extend_from_slice(&sw(0x9000));
                out
            }
            _ => sw(0x6D00),
        };
        Ok(answer)
    }

    fn supports_extended_length(&self) -> bool {
        self.extended_length
    }
}

/// Panics if `shown` (a `Debug` or error text) contains `secret` while the fuzzer's own input
/// did not: secrets must never reach panics, logs or error messages.
pub fn assert_not_shown(shown: &str, secret: &str, input: &[u8]) {
    if shown.contains(secret) && !input.windows(secret.len()).any(|w| w == secret.as_bytes()) {
        panic!("a secret reached a Debug or error text");
    }
}
