//! What can go wrong with the journal, as the kiosk reports it.

use myna_api::proto::Notice;

use crate::catalogue;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("the journal's disk is full")]
    Full,
    #[error("the journal is read-only")]
    ReadOnly,
    #[error("the journal is corrupt: {0}")]
    Corrupt(String),
    #[error("less than the reserve of {reserve_mib} MiB free on the journal's disk ({free_mib} MiB)")]
    LowSpace { free_mib: u64, reserve_mib: u64 },
    #[error("journal error: {0}")]
    Other(String),
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(DiskFull) => JournalError::Full,
            Some(ReadOnly) | Some(CannotOpen) if e.to_string().contains("readonly") => JournalError::ReadOnly,
            Some(ReadOnly) => JournalError::ReadOnly,
            Some(DatabaseCorrupt) | Some(NotADatabase) => JournalError::Corrupt(e.to_string()),
            _ => JournalError::Other(e.to_string()),
        }
    }
}

impl JournalError {
    pub fn notice(&self) -> Notice {
        catalogue::JOURNAL_UNAVAILABLE.notice_with(&self.to_string())
    }
}
