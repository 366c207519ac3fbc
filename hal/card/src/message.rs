//! Stable codes with Japanese and English text, shared by every error and guidance message.
//!
//! A patient reads `ja` (or `en`), reception software branches on `code`; codes never change
//! once released, texts may be improved.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub code: &'static str,
    pub ja: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Message {
    pub const fn new(code: &'static str, ja: &'static str, en: &'static str) -> Self {
        Message { code, ja: Cow::Borrowed(ja), en: Cow::Borrowed(en) }
    }
}

/// Anything that can explain itself to a patient and to reception software.
pub trait Coded {
    fn message(&self) -> Message;

    fn code(&self) -> &'static str {
        self.message().code
    }
}
