//! The card-face record (`FF20` TLV holding DF21..DF2A): the TLV walk that finds the photo,
//! and the same bytes served as EF 0002 by a well-behaved card through `read_face_photo`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use myna_card::jpki::{find_face_photo, JpkiClient};
use myna_card::secret::CollationB;
use myna_kiosk_fuzz::{FileCard, FUZZ_COLLATION_B};

fuzz_target!(|data: &[u8]| {
    let direct = find_face_photo(data);
    if let Ok(photo) = direct {
        // The photo is a part of the record, never more.
        assert!(photo.len() < data.len());
    }
    for extended in [true, false] {
        let mut client = JpkiClient::new(FileCard::new(vec![], data.to_vec(), extended));
        let b = CollationB::parse(FUZZ_COLLATION_B).unwrap();
        // No card-face CA trusted: the proof fails, the photo is still found the same way.
        match client.read_face_photo(&b, &[], &[0u8; 32]).map(|read| read.photo) {
            Ok(photo) => {
                assert!(photo.len() <= myna_card::jpki::MAX_FACE_RECORD_LEN);
                // The card served the record whole: the client finds what the parser finds.
                if data.len() <= myna_card::jpki::MAX_FACE_RECORD_LEN {
                    assert_eq!(direct.as_ref().ok().copied(), Some(photo.expose()));
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
