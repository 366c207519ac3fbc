//! The My Number card protocol, synchronous and free of sessions, HTTP and any one reader.
//!
//! - [`apdu`] and [`transport`]: bytes to and from a card, status words, the one exchange loop.
//! - [`jpki`]: what the kiosk asks of a My Number card, over any transport.
//! - [`cert`]: certificate facts, validity classes, chain and signature checks.
//! - [`secret`]: PIN, collation number B and photo buffers that redact and wipe themselves.
//! - [`code`]: the stable code every error names. Texts for patients live in the daemon.
//!
//! The backends that move the bytes are crates of their own: `myna-pcsc` (the real reader
//! through pcscd) and `myna-virtual-card` (the emulator, for tests and `--mock` only).

pub mod apdu;
pub mod cert;
pub mod code;
pub mod jpki;
pub mod secret;
pub mod transport;

pub use code::Code;
