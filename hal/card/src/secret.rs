//! Secrets the kiosk handles for a moment: the PIN, collation number B and the face photo.
//!
//! Each type keeps its bytes in a buffer that is zeroed on drop, prints as a redaction in
//! `Debug`, has no `Display`, no `Serialize` and no `Clone`, so a secret cannot end up in a log,
//! a result or an error message by accident. Validation errors never echo the input.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use crate::code::Code;

/// The 4-digit PIN of the user-authentication certificate.
pub struct Pin(Zeroizing<[u8; 4]>);

impl Pin {
    /// Accepts exactly four ASCII digits, nothing else (no spaces, no full-width digits).
    pub fn parse(input: &str) -> Result<Pin, SecretError> {
        let bytes = input.as_bytes();
        if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(SecretError::PinFormat);
        }
        let mut digits = Zeroizing::new([0u8; 4]);
        digits.copy_from_slice(bytes);
        Ok(Pin(digits))
    }

    pub fn expose(&self) -> &[u8; 4] {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

/// Collation number B (the card-face AP's password): birth date (era YYMMDD), card expiry year
/// (YYYY) and a 4-digit security code, 14 ASCII digits printed on the card face. It opens the
/// card-face AP (10 tries).
pub struct CollationB(Zeroizing<[u8; 14]>);

impl CollationB {
    pub fn parse(input: &str) -> Result<CollationB, SecretError> {
        let bytes = input.as_bytes();
        if bytes.len() != 14 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(SecretError::CollationFormat);
        }
        // The shape is checked before anything reaches the card (each wrong one spends one of
        // 10 tries): birth date YYMMDD (era year for Japanese nationals, so YY alone says
        // nothing), a card expiry year (cards exist since 2016), a 4-digit security code.
        let num = |r: std::ops::Range<usize>| bytes[r].iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
        let (month, day, expiry_year) = (num(2..4), num(4..6), num(6..10));
        let days_in_month = match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return Err(SecretError::CollationFormat),
        };
        if !(1..=days_in_month).contains(&day) || !(2016..=2100).contains(&expiry_year) {
            return Err(SecretError::CollationFormat);
        }
        let mut digits = Zeroizing::new([0u8; 14]);
        digits.copy_from_slice(bytes);
        Ok(CollationB(digits))
    }

    pub fn expose(&self) -> &[u8; 14] {
        &self.0
    }
}

impl fmt::Debug for CollationB {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CollationB(<redacted>)")
    }
}

/// The face photo (JPEG 2000) from the card face, handed once to the face-check module.
pub struct FacePhoto(Zeroizing<Vec<u8>>);

impl FacePhoto {
    pub fn new(bytes: Vec<u8>) -> Self {
        FacePhoto(Zeroizing::new(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Moves the bytes out, still in a wiping buffer (for an HTTP response body).
    pub fn into_bytes(mut self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(std::mem::take(&mut *self.0))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for FacePhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FacePhoto(<{} bytes redacted>)", self.0.len())
    }
}

impl Drop for FacePhoto {
    fn drop(&mut self) {
        // Zeroizing wipes the initialised bytes; also wipe spare capacity left by reads.
        self.0.zeroize();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a PIN is exactly 4 digits")]
    PinFormat,
    #[error("collation number B is 14 digits: birth date YYMMDD, expiry year YYYY, security code")]
    CollationFormat,
}

impl SecretError {
    pub fn code(&self) -> Code {
        match self {
            SecretError::PinFormat => Code::PinFormat,
            SecretError::CollationFormat => Code::CollationBFormat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collation_b_has_the_shape_printed_on_the_card() {
        // 昭和55年2月17日 (era year 55), card expiring in 2035, security code 2285.
        assert!(CollationB::parse("55021720352285").is_ok());
        // A foreign resident born 2000-02-29 (Western year 00), expiry 2030.
        assert!(CollationB::parse("00022920301234").is_ok());
        for bad in [
            "5502172035228",   // 13 digits
            "550217203522850", // 15
            "5502172035228a",
            "55130120351234", // month 13
            "55023020351234", // 30 February
            "55043120351234", // 31 April
            "55020020351234", // day 0
            "55021719801234", // expiry year before any My Number card
            "19800217203522", // a Western YYYYMMDD typed first: month 80
        ] {
            assert_eq!(CollationB::parse(bad).unwrap_err(), SecretError::CollationFormat, "{bad}");
        }
    }

    #[test]
    fn pin_accepts_only_four_ascii_digits() {
        assert!(Pin::parse("0000").is_ok());
        assert_eq!(Pin::parse("1234").unwrap().expose(), b"1234");
        for bad in ["", "123", "12345", "12a4", " 123", "１２３４", "12 4", "-123"] {
            assert_eq!(Pin::parse(bad).unwrap_err(), SecretError::PinFormat, "{bad:?}");
        }
    }

    #[test]
    fn secrets_redact_in_debug_and_errors() {
        let pin = Pin::parse("4711").unwrap();
        assert!(!format!("{pin:?}").contains("4711"));
        let b = CollationB::parse("55010120341234").unwrap();
        assert!(!format!("{b:?}").contains("5501"));
        let photo = FacePhoto::new(vec![0x6A; 10]);
        assert_eq!(format!("{photo:?}"), "FacePhoto(<10 bytes redacted>)");
        let err = Pin::parse("47x1").unwrap_err();
        assert!(!format!("{err:?} {err}").contains("47x1"));
    }

    #[test]
    fn collation_b_checks_shape() {
        assert!(CollationB::parse("55010120341234").is_ok());
        for bad in ["5501012034123", "550101203412345", "55130120341234", "55010020341234", "5501012034123a"] {
            assert!(CollationB::parse(bad).is_err(), "{bad}");
        }
    }
}
