//! The card-face AP (券面事項確認AP) as the kiosk uses it: the photo behind 照合番号B, and the
//! proof that photo and chip are the card's ([`face_proof`](super::face_proof)). Never
//! 照合番号A, never EF `0005`.

use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

use super::face_proof::{self, FaceCa, FaceProof, ProofCheck};
use super::tlv::{face_record_len, find_face_photo, two_byte_tag_object_len};
use super::{ef, JpkiClient, JpkiError, Selected, FACE_HEADER_LEN, MAX_FACE_RECORD_LEN};
use crate::apdu::{Command, StatusWord, INS_JPKI_SIGN, INS_VERIFY, SHORT_LE_MAX};
use crate::jpki::PinStatus;
use crate::secret::{CollationB, FacePhoto};
use crate::transport::CardTransport;

/// Largest card-face certificate we read (297-byte body, 256-byte signature, headers).
const MAX_FACE_CERT_LEN: usize = 1024;

impl<T: CardTransport> JpkiClient<T> {
    /// 照合番号B tries left on the card-face AP, read with an empty VERIFY (no try spent).
    pub fn collation_b_status(&mut self) -> Result<PinStatus, JpkiError> {
        if !self.select_ap(Selected::CardFace)? {
            return Err(JpkiError::NoCardFace);
        }
        self.select_ef(ef::FACE_COLLATION_B)?;
        match self.run(&Command::new(0x00, INS_VERIFY, 0x00, 0x80))?.status {
            StatusWord::WrongPin { tries_left: 0 } | StatusWord::Blocked => Ok(PinStatus::Blocked),
            StatusWord::WrongPin { tries_left } => Ok(PinStatus::TriesLeft(tries_left)),
            sw => Err(JpkiError::Card(sw)),
        }
    }

    /// [`Self::read_face_photo`], but only while more than `reserve` tries are left: the
    /// card-face AP's 10 tries survive across sessions and clinics, and a face module that
    /// misreads the card face must not lock it. The counter is read first; with `reserve` or
    /// fewer left, no VERIFY is sent.
    pub fn read_face_photo_keeping(
        &mut self,
        collation_b: &CollationB,
        reserve: u8,
        cas: &[FaceCa],
        nonce: &[u8],
    ) -> Result<FaceRead, JpkiError> {
        match self.collation_b_status()? {
            PinStatus::TriesLeft(n) if n > reserve => self.read_face_photo(collation_b, cas, nonce),
            PinStatus::TriesLeft(n) => Err(JpkiError::CollationBTriesLow { tries_left: n }),
            PinStatus::Blocked | PinStatus::NotSet => Err(JpkiError::CollationBBlocked),
        }
    }

    /// Opens the card-face AP with collation number B and returns only the face photo (DF27),
    /// with what the card proved about it ([`FaceProof`]): the issuer's signature over the
    /// record, checked through EF `0004` to one of `cas`, and `nonce` signed by the chip with the
    /// key that record names. The rest of the card-face record (name, address, birth date
    /// images) is wiped unread. Never presents 照合番号A, never reads EF `0005`.
    pub fn read_face_photo(
        &mut self,
        collation_b: &CollationB,
        cas: &[FaceCa],
        nonce: &[u8],
    ) -> Result<FaceRead, JpkiError> {
        if !self.select_ap(Selected::CardFace)? {
            return Err(JpkiError::NoCardFace);
        }
        self.select_ef(ef::FACE_COLLATION_B)?;
        let verify = Command::new(0x00, INS_VERIFY, 0x00, 0x80).with_data(collation_b.expose().to_vec());
        match self.run(&verify)?.status {
            StatusWord::Ok => {}
            StatusWord::WrongPin { tries_left } => return Err(JpkiError::WrongCollationB { tries_left }),
            StatusWord::Blocked => return Err(JpkiError::CollationBBlocked),
            sw => return Err(JpkiError::Card(sw)),
        }
        self.select_ef(ef::FACE_RECORD)?;
        let mut record = self.read_chunk(0, FACE_HEADER_LEN, false)?;
        let total = face_record_len(&record)?;
        if total > MAX_FACE_RECORD_LEN {
            return Err(JpkiError::TooLarge { claimed: total, limit: MAX_FACE_RECORD_LEN });
        }
        // Reserve once so the buffer never reallocates and leaves unwiped copies behind.
        let reserve = total.saturating_sub(record.len());
        record.reserve_exact(reserve);
        self.read_rest(&mut record, total)?;
        record.truncate(total);
        let photo = FacePhoto::new(find_face_photo(&record)?.to_vec());
        let proof = self.prove_face(&record, cas, nonce)?;
        Ok(FaceRead { photo, proof })
    }

    /// Checks the record's signature through EF `0004`, then challenges the chip. A check that
    /// fails is reported in the proof, not as an error: the result must say so.
    fn prove_face(&mut self, record: &[u8], cas: &[FaceCa], nonce: &[u8]) -> Result<FaceProof, JpkiError> {
        let failed = FaceProof { photo_signature: ProofCheck::Failed, chip_challenge: ProofCheck::NotChecked };
        let certificate = match self.read_face_certificate() {
            Ok(c) => c,
            Err(e @ (JpkiError::Transport(_) | JpkiError::Card(StatusWord::SecurityStatusNotSatisfied))) => {
                return Err(e)
            }
            Err(e) => {
                tracing::warn!(error = %e, "card-face certificate unreadable");
                return Ok(failed);
            }
        };
        let chip_key = match face_proof::verify_record(cas, &certificate, record) {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "card-face record does not verify");
                return Ok(failed);
            }
        };
        let mut digest_info = Pkcs1v15Sign::new::<Sha256>().prefix.to_vec();
        digest_info.extend_from_slice(&Sha256::digest(nonce));
        // P2 00: the AP's own key; no credential needed. The card-face AP is still selected.
        let cmd = Command::new(0x80, INS_JPKI_SIGN, 0x00, 0x00).with_data(digest_info).with_le(SHORT_LE_MAX);
        let r = self.run(&cmd)?;
        let chip_challenge = match r.status {
            StatusWord::Ok if face_proof::verify_chip(&chip_key, nonce, &r.data) => ProofCheck::Verified,
            sw => {
                tracing::warn!(status = %sw, "the chip did not prove the card-face key");
                ProofCheck::Failed
            }
        };
        Ok(FaceProof { photo_signature: ProofCheck::Verified, chip_challenge })
    }

    /// EF `0004` of the card-face AP (selected), trimmed of filler.
    fn read_face_certificate(&mut self) -> Result<Vec<u8>, JpkiError> {
        self.select_ef(ef::FACE_CERTIFICATE)?;
        let mut buf = self.read_chunk(0, FACE_HEADER_LEN, false)?;
        let total = two_byte_tag_object_len(&buf, [0x7F, 0x21])?;
        if total > MAX_FACE_CERT_LEN {
            return Err(JpkiError::TooLarge { claimed: total, limit: MAX_FACE_CERT_LEN });
        }
        self.read_rest(&mut buf, total)?;
        buf.truncate(total);
        Ok(std::mem::take(&mut *buf))
    }
}

/// The face photo with what the card proved about it.
#[derive(Debug)]
pub struct FaceRead {
    pub photo: FacePhoto,
    pub proof: FaceProof,
}
