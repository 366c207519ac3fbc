//! Length and tag parsers for what the card's files hold: the DER header of a certificate and
//! the BER TLVs of the card-face record. Pure functions, bounded by their input (fuzzed).

use super::JpkiError;

/// Total length of the DER object at the start of `buf`, or `None` if the header is not all
/// there yet. Anything but a SEQUENCE with a definite length is refused.
pub(super) fn der_object_len(buf: &[u8]) -> Result<Option<usize>, JpkiError> {
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
pub(super) struct Tlv<'a> {
    pub(super) tag: u32,
    pub(super) value: &'a [u8],
    /// Tag, length and value as written (what a signature over the field covers).
    pub(super) whole: &'a [u8],
    pub(super) rest: &'a [u8],
}

/// Reads one BER TLV (multi-byte tags, short and long definite lengths). Bounded by `input`.
pub(super) fn next_tlv(input: &[u8]) -> Result<Tlv<'_>, JpkiError> {
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
    Ok(Tlv { tag, value, whole: &input[..end], rest: &input[end..] })
}

/// The value of the object at the start of `input`, which must have tag `tag`.
pub(super) fn constructed(input: &[u8], tag: u32) -> Result<&[u8], JpkiError> {
    let outer = next_tlv(input)?;
    if outer.tag != tag {
        return Err(JpkiError::BadFaceRecord);
    }
    Ok(outer.value)
}

/// The TLVs one after another in `input` (a constructed object's value); a malformed one is
/// the last item.
pub(super) fn tlvs(input: &[u8]) -> impl Iterator<Item = Result<Tlv<'_>, JpkiError>> {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let now = rest.take().filter(|r| !r.is_empty())?;
        let tlv = next_tlv(now);
        if let Ok(t) = &tlv {
            rest = Some(t.rest);
        }
        Some(tlv)
    })
}

pub(super) const TAG_FACE_RECORD: u32 = 0xFF20;
const TAG_FACE_PHOTO: u32 = 0xDF27;

/// Total length of the card-face record from its first bytes (`FF 20 82 LL LL …`).
pub(super) fn face_record_len(head: &[u8]) -> Result<usize, JpkiError> {
    two_byte_tag_object_len(head, [0xFF, 0x20])
}

/// Total length of the BER object at the start of `head` with a two-byte tag (`FF 20`, `7F 21`):
/// the card-face record and the card-face AP's certificate both open this way.
pub(super) fn two_byte_tag_object_len(head: &[u8], tag: [u8; 2]) -> Result<usize, JpkiError> {
    if head.len() < 3 || head[..2] != tag {
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
    for tlv in tlvs(constructed(record, TAG_FACE_RECORD)?) {
        let tlv = tlv?;
        if tlv.tag == TAG_FACE_PHOTO {
            if tlv.value.is_empty() {
                return Err(JpkiError::NoPhoto);
            }
            let jp2 = tlv.value.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]);
            let j2k = tlv.value.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]);
            return if jp2 || j2k { Ok(tlv.value) } else { Err(JpkiError::BadFaceRecord) };
        }
    }
    // A well-formed record without DF27: a card issued with no photo.
    Err(JpkiError::NoPhoto)
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
