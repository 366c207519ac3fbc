//! The card-face record of the 券面事項確認AP (EF `0002`), with test stand-ins for every field.

/// A real JPEG 2000 (JP2) greyscale stand-in photo, made by `hal/virtual-card/fixtures/make-fixtures.sh`.
pub const TEST_PHOTO_JP2: &[u8] = include_bytes!("../fixtures/face.jp2");

fn tlv(out: &mut Vec<u8>, tag: &[u8], value: &[u8]) {
    out.extend_from_slice(tag);
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

/// `FF 20 82 LL LL { DF21 … DF2A }` as the card carries it. Only DF27 is what a kiosk may use;
/// the other fields are here so a client that kept them would be caught by tests.
pub fn card_face_record(photo: &[u8], birth_date: &str, expiry: &str) -> Vec<u8> {
    let mut inner = Vec::new();
    tlv(&mut inner, &[0xDF, 0x21], &[0x00, 0x10, 0x00, 0x20, 0x00, 0x30]); // offsets (opaque here)
    tlv(&mut inner, &[0xDF, 0x22], birth_date.as_bytes());
    tlv(&mut inner, &[0xDF, 0x23], b"1");
    tlv(&mut inner, &[0xDF, 0x24], &[0x5A; 270]); // card-face signing public key (stand-in)
    tlv(&mut inner, &[0xDF, 0x25], b"\x89PNG name image stand-in");
    tlv(&mut inner, &[0xDF, 0x26], b"\x89PNG address image stand-in");
    tlv(&mut inner, &[0xDF, 0x27], photo);
    tlv(&mut inner, &[0xDF, 0x28], &[0xA5; 256]); // signature over the fields (stand-in)
    tlv(&mut inner, &[0xDF, 0x29], expiry.as_bytes());
    tlv(&mut inner, &[0xDF, 0x2A], b"\x89PNG security code image stand-in");
    let mut out = Vec::with_capacity(inner.len() + 5);
    out.extend_from_slice(&[0xFF, 0x20, 0x82]);
    out.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    out.extend_from_slice(&inner);
    out
}
