//! The real reader: PC/SC through pcscd, behind the same byte-moving seam as the virtual card.
//!
//! - [`readers`]: which reader to use (a configured name, or the first contactless one).
//! - [`monitor`]: card insert/remove on a dedicated thread (`SCardGetStatusChange`), surviving
//!   pcscd restarts and unplugged readers.
//! - [`connection`]: one exclusive connection per session, disconnected with RESET.
//! - [`quirks`]: what differs between reader models, keyed by reader name.

pub mod connection;
pub mod monitor;
pub mod quirks;
pub mod readers;

pub use connection::{PcscConnection, PcscConnector};
pub use monitor::{CurrentReader, PresenceMonitor};
pub use readers::{list_readers, ReaderInfo, ReaderSelector};

use myna_card::transport::TransportError;

/// Maps a PC/SC error to what the rest of the kiosk acts on.
pub(crate) fn map_error(e: pcsc::Error) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::RemovedCard | E::ResetCard => TransportError::CardRemoved,
        E::NoSmartcard => TransportError::NoCard,
        E::NoService | E::ServiceStopped | E::InvalidHandle => TransportError::NoService,
        E::ReaderUnavailable | E::UnknownReader | E::NoReadersAvailable => TransportError::ReaderUnavailable,
        E::Timeout => TransportError::Timeout,
        E::SharingViolation => TransportError::Other("the reader is in use by another program".into()),
        E::UnresponsiveCard | E::UnpoweredCard | E::UnsupportedCard => {
            TransportError::Other("the card does not answer the reader".into())
        }
        other => TransportError::Other(format!("PC/SC: {other}")),
    }
}

/// Errors after which the PC/SC context is dead and must be established again.
pub(crate) fn context_lost(e: pcsc::Error) -> bool {
    matches!(
        e,
        pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::InvalidHandle | pcsc::Error::CommError
    )
}
