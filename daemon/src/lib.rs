//! myna-kiosk: the daemon inside a self-service check-in kiosk for the マイナ保険証.
//!
//! It reads the card's JPKI user-authentication certificate, hands PIN entry or face check to
//! the right party, asks consent, and gives the result to reception software over a local API.
//!
//! - [`session`]: the check-in as a pure state machine (events in, actions out, no I/O).
//! - [`driver`], [`card_worker`], [`card_check`]: the one loop that performs the actions, and
//!   the card thread it talks to; [`clock`]: the time it reads, injected.
//! - [`journal`], [`recorder`]: results kept durably until reception acknowledges them;
//!   [`metrics`]: what `/metrics` reports.
//! - [`api_backend`]: the daemon behind the HTTP API (`myna-api`).
//! - [`catalogue`]: every code a patient or reception may see, with its Japanese and English.
//! - [`config`]: the TOML file, by section.
//! - [`run`]: wires it all for `myna-kiosk run`; [`cli`]: the other subcommands.
//! - [`platform`]: systemd, process hardening, logging.
//! - [`mock`] (feature `mock`): the virtual reader, bench tokens and the autopilot for
//!   `run --mock`; the packaged kiosk is built without it.

pub mod api_backend;
pub mod card_check;
pub mod card_worker;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod config;
pub mod driver;
pub mod indicators;
pub mod journal;
pub mod metrics;
#[cfg(feature = "mock")]
pub mod mock;
pub mod pcsc_reader;
pub mod platform;
pub mod recorder;
pub mod run;
pub mod session;

/// `0.1.0 (git 1234abcd5678)`: what `--version` prints and health reports.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("MYNA_GIT_REV"), ")");
