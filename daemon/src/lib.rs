//! myna-kiosk: the daemon inside a self-service check-in kiosk for the マイナ保険証.
//!
//! It reads the card's JPKI user-authentication certificate, hands PIN entry or face check to
//! the right party, asks consent, and gives the result to reception software over a local API.

pub mod api_backend;
pub mod autopilot;
pub mod card_check;
pub mod card_worker;
pub mod config;
pub mod driver;
pub mod hardening;
pub mod indicators;
pub mod journal;
pub mod logging;
pub mod mock_reader;
pub mod mock_tokens;
pub mod pcsc_reader;
pub mod readers_cmd;
pub mod recorder;
pub mod run;
pub mod session;
pub mod systemd;
pub mod virtual_card_cmd;

/// `0.1.0 (git 1234abcd5678)`: what `--version` prints and health reports.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("MYNA_GIT_REV"), ")");
