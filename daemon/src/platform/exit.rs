//! Exit codes as daemons use them (sysexits.h), so systemd and scripts can tell a bad
//! configuration, which a restart cannot mend (`RestartPreventExitStatus=78` in the unit), from a
//! missing service, which it may.

use std::process::ExitCode;

/// A configuration that does not load: a file, a value, an anchor, TLS or token file (78).
pub const CONFIG: u8 = 78;
/// A service the command needs is not there: pcscd, a listening address (69).
pub const UNAVAILABLE: u8 = 69;

pub fn config() -> ExitCode {
    ExitCode::from(CONFIG)
}

pub fn unavailable() -> ExitCode {
    ExitCode::from(UNAVAILABLE)
}
