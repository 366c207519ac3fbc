//! The hardware side of myna-kiosk, synchronous and free of sessions and HTTP.
//!
//! - [`apdu`] and [`transport`]: bytes to and from a card, status words, the one exchange loop.
//! - [`jpki`]: what the kiosk asks of a My Number card, over any transport.
//! - [`cert`]: certificate facts, validity classes, chain and signature checks.
//! - [`secret`]: PIN, 照合番号B and photo buffers that redact and wipe themselves.
//! - [`virtual_card`]: a faithful virtual My Number card for tests, benches and `--mock`.
//! - [`pcsc_backend`]: the real reader through pcscd (also how tests reach the card on vpcd).
//! - [`indicator`]: status LEDs and buzzer behind a semantic signal trait.

pub mod apdu;
pub mod cert;
pub mod indicator;
pub mod jpki;
pub mod message;
pub mod pcsc_backend;
pub mod secret;
pub mod transport;
pub mod virtual_card;

pub use message::{Coded, Message};
