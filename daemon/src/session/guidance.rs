//! The catalogue entries the session engine names, under the names it uses. The texts live in
//! [`crate::catalogue`], with every other code.

use myna_api::proto::Notice;

pub use crate::catalogue::{notice_of, Text};
pub use crate::catalogue::{
    CARD_REMOVED, CERT_EXPIRING_SOON, CERT_GRACE, CHECKED_IN as TAKE_CARD, FACE_FAILED, FACE_RETRY,
    NO_AUTH_METHOD as NO_METHOD, SIGNATURE_INVALID, TIMED_OUT, VISUAL_REJECTED,
};

pub fn notice(text: &Text) -> Notice {
    text.notice()
}
