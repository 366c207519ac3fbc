//! A faithful virtual My Number card, at the APDU level.
//!
//! One card serves three uses: in process behind [`CardTransport`] for unit tests and `--mock`,
//! and over vpcd so pcscd and OpenSC see it as a real card. Behaviour follows
//! `shared/domain/jpki-card.md`: AIDs, EFs with `FF` filler, short and extended READ BINARY,
//! VERIFY counters (`63Cx`, `63C0`, then `6984`), security state lost on reset, `6982` for the
//! signature certificate without its password, SIGN with a real RSA-2048 key, and the card-face
//! AP opened by 照合番号B (10 tries). Phones answer as `shared/domain/phones.md` has them: an
//! Android phone keeps EF `000A` behind its PIN (`6982` before VERIFY); an iPhone signs once its
//! wallet has authorised (modelled, not captured: it takes no VERIFY).

mod face;
mod options;
mod parse;
mod pki;
mod profile;
mod slot;
pub mod vpcd;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Months, TimeDelta, Utc};
use rsa::Pkcs1v15Sign;
use zeroize::Zeroizing;

pub use face::{card_face_record, face_certificate, test_face_ca, test_face_ca_pem, TEST_FACE_CA_ID, TEST_PHOTO_JP2};
use options::garbage;
pub use options::{ApduLog, CardOptions, Fault, FaultKind};
use parse::ParsedApdu;
pub use pki::{pem_encode, test_pki, test_trust_anchors, TestPki, AUTH_POLICY_OID, TEST_AUTH_CA_DN, TEST_SIGN_CA_DN};
pub use profile::{Profile, UnknownProfile};
pub use slot::{SlotConnection, VirtualSlot};

use myna_card::jpki::{aid, ef};
use myna_card::transport::{CardTransport, TransportError};

/// The pseudo-ATR a contactless reader builds for this card (informative only).
pub const ATR: &[u8] = &[0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F];

pub const DEFAULT_PIN: &str = "1234";
pub const DEFAULT_SIGN_PASSWORD: &str = "ABC123";
/// Birth date 昭和55年1月1日 (`550101`), card expiry 2034, security code 1234.
pub const DEFAULT_COLLATION_B: &str = "55010120341234";

const PIN_TRIES: u8 = 3;
const SIGN_PASSWORD_TRIES: u8 = 5;
const COLLATION_B_TRIES: u8 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum App {
    Jpki,
    CardFace,
    TextHelper,
    Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Free,
    /// Readable after the signature password.
    SignPassword,
    /// Readable after the user-auth PIN (an Android phone's user-auth certificate).
    AuthPin,
    /// Readable after 照合番号B (the card-face record).
    CollationB,
    /// Keys and PINs are never readable.
    Never,
}

struct File {
    data: Vec<u8>,
    access: Access,
}

/// A password-like reference (PIN, signature password, 照合番号B) with its counter.
struct Secret {
    value: Zeroizing<Vec<u8>>,
    tries_left: u8,
    max_tries: u8,
    verified: bool,
    usable: bool,
}

impl Secret {
    fn new(value: &str, max_tries: u8, tries_left: u8, usable: bool) -> Self {
        Secret { value: Zeroizing::new(value.as_bytes().to_vec()), tries_left, max_tries, verified: false, usable }
    }
}

/// The card. Feed it raw APDUs with [`VirtualCard::process`] or use it as a [`CardTransport`].
pub struct VirtualCard {
    profile: Profile,
    options: CardOptions,
    files: HashMap<(App, u16), File>,
    secrets: HashMap<(App, u16), Secret>,
    app: Option<App>,
    ef: Option<u16>,
    log: ApduLog,
    transmitted: usize,
    /// Every APDU since the card was placed (resets do not clear it): where a fault starts.
    since_placed: usize,
    removed: bool,
}

impl VirtualCard {
    pub fn new(profile: Profile) -> Self {
        Self::with_options(profile, CardOptions::default())
    }

    pub fn with_options(profile: Profile, options: CardOptions) -> Self {
        let pki = test_pki();
        let now = options.now;
        let (not_before, not_after) = cert_window(profile, now);
        let cn = format!("{:016X}TEST{:04X}", 0x4A50_4B49_0000_0000u64 | options.serial, options.serial & 0xFFFF);
        let auth_cert = options
            .auth_cert_override
            .clone()
            .unwrap_or_else(|| pki.issue_auth_cert(options.serial, &cn, not_before, not_after));
        let sign_cert = pki.issue_sign_cert(options.serial + 1, &cn, not_before, not_after);

        let mut files = HashMap::new();
        let mut secrets = HashMap::new();
        if let Some(label) = options.token_label.as_deref().or(profile.token_label()) {
            let mut token = format!("{label:<32}").into_bytes();
            token.resize(160, 0x20);
            files.insert((App::Jpki, ef::TOKEN_INFO), File { data: token, access: Access::Free });
            files.insert(
                (App::Jpki, ef::CERT_AVAILABILITY),
                File { data: vec![0x8F, 0x8F, 0x00], access: Access::Free },
            );
            let auth_access = if profile == Profile::Android { Access::AuthPin } else { Access::Free };
            files.insert((App::Jpki, ef::AUTH_CERT), File { data: with_filler(auth_cert, 0x800), access: auth_access });
            files.insert(
                (App::Jpki, ef::AUTH_CA_CERT),
                File { data: with_filler(pki.auth_ca_der.clone(), 0x800), access: Access::Free },
            );
            files.insert(
                (App::Jpki, ef::SIGN_CERT),
                File { data: with_filler(sign_cert, 0x800), access: Access::SignPassword },
            );
            files.insert(
                (App::Jpki, ef::SIGN_CA_CERT),
                File { data: with_filler(pki.sign_ca_der.clone(), 0x800), access: Access::Free },
            );
            files.insert((App::Jpki, ef::AUTH_KEY), File { data: vec![], access: Access::Never });
            files.insert((App::Jpki, ef::SIGN_KEY), File { data: vec![], access: Access::Never });
            secrets.insert(
                (App::Jpki, ef::AUTH_PIN),
                Secret::new(&options.pin, PIN_TRIES, profile.initial_pin_tries(), profile.has_pin()),
            );
            secrets.insert(
                (App::Jpki, ef::SIGN_PASSWORD),
                Secret::new(DEFAULT_SIGN_PASSWORD, SIGN_PASSWORD_TRIES, SIGN_PASSWORD_TRIES, true),
            );
        }
        if profile.has_card_face() {
            face::install(&mut files, &mut secrets, &options);
            // The 入力補助AP holds the 個人番号 behind its own PIN; present so tests can prove the
            // kiosk never goes there.
            files.insert((App::TextHelper, 0x0001), File { data: b"123456789012".to_vec(), access: Access::Never });
        }

        VirtualCard {
            profile,
            options,
            files,
            secrets,
            app: None,
            ef: None,
            log: ApduLog::default(),
            transmitted: 0,
            since_placed: 0,
            removed: false,
        }
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    pub fn atr(&self) -> &'static [u8] {
        ATR
    }

    pub fn log(&self) -> ApduLog {
        self.log.clone()
    }

    pub fn options(&self) -> &CardOptions {
        &self.options
    }

    /// PIN tries left (for tests and the bench panel).
    pub fn pin_tries_left(&self) -> Option<u8> {
        self.secrets.get(&(App::Jpki, ef::AUTH_PIN)).map(|s| s.tries_left)
    }

    /// Power cycle or warm reset: selection and every security state are lost; counters stay.
    pub fn reset(&mut self) {
        self.app = None;
        self.ef = None;
        for s in self.secrets.values_mut() {
            s.verified = false;
        }
    }

    /// Puts the card back on the reader after [`CardOptions::remove_after_apdus`] took it away.
    pub fn reinsert(&mut self) {
        self.removed = false;
        self.transmitted = 0;
        self.options.remove_after_apdus = None;
        self.reset();
    }

    /// The latency a real card would add for this APDU under the configured model.
    pub fn latency_for(&self, apdu: &[u8]) -> Duration {
        let sign = apdu.len() > 1 && apdu[0] == 0x80 && apdu[1] == 0x2A;
        self.options.apdu_latency + if sign { self.options.sign_latency } else { Duration::ZERO }
    }

    /// Answers one raw command APDU with `data SW1 SW2`. Never panics, whatever the bytes.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.log.push(apdu);
        let Some(cmd) = ParsedApdu::parse(apdu) else {
            return sw(0x6700);
        };
        if cmd.extended && !self.options.extended_length {
            return sw(0x6700);
        }
        match (cmd.cla, cmd.ins) {
            (0x00, 0xA4) => self.select(&cmd),
            (0x00, 0xB0) => self.read_binary(&cmd),
            (0x00, 0x20) => self.verify(&cmd),
            (0x80, 0x2A) => self.sign(&cmd),
            (0x00 | 0x80, _) => sw(0x6D00),
            _ => sw(0x6E00),
        }
    }

    fn select(&mut self, cmd: &ParsedApdu) -> Vec<u8> {
        match (cmd.p1, cmd.p2 & 0xF3) {
            (0x04, 0x00) => {
                let app = match cmd.data {
                    d if d == aid::JPKI && self.profile.token_label().is_some() => App::Jpki,
                    d if d == aid::CARD_FACE && self.profile.has_card_face() => App::CardFace,
                    d if d == aid::TEXT_INPUT_HELPER && self.profile.has_card_face() => App::TextHelper,
                    d if d == aid::COMMON && self.profile.has_card_face() => App::Common,
                    _ => return sw(0x6A82),
                };
                self.app = Some(app);
                self.ef = None;
                sw(0x9000)
            }
            (0x02, 0x00) => {
                let Some(app) = self.app else {
                    return sw(0x6A82);
                };
                let [hi, lo] = match cmd.data {
                    [hi, lo] => [*hi, *lo],
                    _ => return sw(0x6700),
                };
                let fid = u16::from_be_bytes([hi, lo]);
                if self.files.contains_key(&(app, fid)) || self.secrets.contains_key(&(app, fid)) {
                    self.ef = Some(fid);
                    sw(0x9000)
                } else {
                    sw(0x6A82)
                }
            }
            _ => sw(0x6A86),
        }
    }

    fn read_binary(&mut self, cmd: &ParsedApdu) -> Vec<u8> {
        if cmd.p1 & 0x80 != 0 {
            // SFI addressing: optional on real cards; this card does not offer it.
            return sw(0x6A86);
        }
        let (Some(app), Some(fid)) = (self.app, self.ef) else {
            return sw(0x6986);
        };
        let Some(file) = self.files.get(&(app, fid)) else {
            return sw(0x6986);
        };
        match file.access {
            Access::Free => {}
            Access::SignPassword | Access::AuthPin => {
                let guard = if file.access == Access::AuthPin { ef::AUTH_PIN } else { ef::SIGN_PASSWORD };
                if !self.secrets.get(&(App::Jpki, guard)).is_some_and(|s| s.verified) {
                    return sw(0x6982);
                }
            }
            Access::CollationB => {
                if !self.secrets.get(&(App::CardFace, ef::FACE_COLLATION_B)).is_some_and(|s| s.verified) {
                    return sw(0x6982);
                }
            }
            Access::Never => return sw(0x6982),
        }
        let offset = u16::from_be_bytes([cmd.p1, cmd.p2]) as usize;
        if offset >= file.data.len() {
            return sw(0x6B00);
        }
        let Some(le) = cmd.le else { return sw(0x6700) };
        let cap = if cmd.extended { self.options.max_extended_response } else { 256 };
        let n = le.min(cap).min(file.data.len() - offset);
        let mut out = file.data[offset..offset + n].to_vec();
        out.extend_from_slice(&[0x90, 0x00]);
        out
    }

    fn verify(&mut self, cmd: &ParsedApdu) -> Vec<u8> {
        if cmd.p1 != 0x00 || cmd.p2 != 0x80 {
            return sw(0x6A86);
        }
        let (Some(app), Some(fid)) = (self.app, self.ef) else {
            return sw(0x6986);
        };
        if self.profile == Profile::Iphone && app == App::Jpki {
            // Assumed: the wallet authorises, the applet takes no VERIFY.
            return sw(0x6D00);
        }
        let Some(secret) = self.secrets.get_mut(&(app, fid)) else {
            return sw(0x6986);
        };
        if !secret.usable {
            // Face-only card: assumption kept in one place (see jpki::PinStatus::NotSet).
            return sw(0x6985);
        }
        if cmd.data.is_empty() {
            return if secret.tries_left == 0 { sw(0x6984) } else { sw(0x63C0 | secret.tries_left as u16) };
        }
        if secret.tries_left == 0 {
            return sw(0x6984);
        }
        if cmd.data == secret.value.as_slice() {
            secret.tries_left = secret.max_tries;
            secret.verified = true;
            sw(0x9000)
        } else {
            secret.tries_left -= 1;
            secret.verified = false;
            sw(0x63C0 | secret.tries_left as u16)
        }
    }

    fn sign(&mut self, cmd: &ParsedApdu) -> Vec<u8> {
        if self.app == Some(App::CardFace) {
            return self.sign_card_face(cmd);
        }
        if cmd.p1 != 0x00 || cmd.p2 != 0x80 {
            return sw(0x6A86);
        }
        let (Some(App::Jpki), Some(fid)) = (self.app, self.ef) else {
            return sw(0x6986);
        };
        let (key, guard) = match fid {
            ef::AUTH_KEY => (&test_pki().card_auth_key, ef::AUTH_PIN),
            ef::SIGN_KEY => (&test_pki().card_sign_key, ef::SIGN_PASSWORD),
            _ => return sw(0x6986),
        };
        let authorised = if self.profile == Profile::Iphone && fid == ef::AUTH_KEY {
            self.options.wallet_authorised
        } else {
            self.secrets.get(&(App::Jpki, guard)).is_some_and(|s| s.verified)
        };
        if !authorised {
            return sw(0x6982);
        }
        pkcs1_sign(key, cmd.data)
    }
}

/// Pads the DigestInfo it is given (PKCS#1 v1.5 type 1) and signs, as the card does.
pub(crate) fn pkcs1_sign(key: &rsa::RsaPrivateKey, data: &[u8]) -> Vec<u8> {
    // The card pads the DigestInfo it is given (PKCS#1 v1.5 type 1) and signs: RSA-2048
    // leaves room for at most 245 bytes.
    if data.is_empty() || data.len() > 245 {
        return sw(0x6700);
    }
    match key.sign(Pkcs1v15Sign::new_unprefixed(), data) {
        Ok(mut sig) => {
            sig.extend_from_slice(&[0x90, 0x00]);
            sig
        }
        Err(_) => sw(0x6F00),
    }
}

impl CardTransport for VirtualCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        if let Some(limit) = self.options.remove_after_apdus {
            if self.transmitted >= limit {
                self.removed = true;
                self.reset();
                return Err(TransportError::CardRemoved);
            }
        }
        self.transmitted += 1;
        self.since_placed += 1;
        if let Some(fault) = self.options.fault.filter(|f| self.since_placed > f.after_apdus) {
            return match fault.kind {
                FaultKind::Mute => Err(TransportError::Timeout),
                FaultKind::Garbage => Ok(garbage(self.since_placed)),
            };
        }
        let latency = self.latency_for(apdu);
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        Ok(self.process(apdu))
    }

    fn supports_extended_length(&self) -> bool {
        self.options.extended_length
    }
}

/// Certificate dates for a profile, relative to `now`.
fn cert_window(profile: Profile, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let years = |n: u32| Months::new(12 * n);
    let not_after = match profile {
        Profile::ExpiringSoon => now + TimeDelta::days(40),
        Profile::Grace => now - TimeDelta::days(20),
        Profile::Expired => now.checked_sub_months(Months::new(7)).unwrap_or(now),
        _ => now.checked_add_months(years(3)).unwrap_or(now),
    };
    let not_before = not_after.checked_sub_months(years(5)).unwrap_or(not_after);
    (not_before, not_after)
}

/// Pads a file's content with `FF` up to at least `min_size`, as card EFs are.
fn with_filler(mut data: Vec<u8>, min_size: usize) -> Vec<u8> {
    let size = min_size.max(data.len().div_ceil(256) * 256 + 256);
    data.resize(size, 0xFF);
    data
}

fn sw(word: u16) -> Vec<u8> {
    word.to_be_bytes().to_vec()
}
