//! What the daemon needs from the operating system: systemd notifications, process hardening,
//! logging, exit codes, the clock's sync state.

pub mod clock_sync;
pub mod exit;
pub mod hardening;
pub mod logging;
pub mod systemd;
