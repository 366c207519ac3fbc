//! Whether the kernel's clock is synchronized (NTP, chrony, systemd-timesyncd all tell the
//! kernel through adjtimex). A Raspberry Pi has no RTC: until it syncs, its clock may be days
//! off, and every certificate decision (valid, expiring, grace, not yet valid) depends on it.

use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockSync {
    Synchronized,
    NotSynchronized,
    /// The state could not be read; no reason to refuse patients.
    Unknown(String),
}

impl ClockSync {
    /// For `GET /v1/health`.
    pub fn describe(&self) -> String {
        match self {
            ClockSync::Synchronized => "synchronized".into(),
            ClockSync::NotSynchronized => {
                "degraded: the system clock is not synchronized (certificate dates depend on it)".into()
            }
            ClockSync::Unknown(why) => format!("unknown: {why}"),
        }
    }

    pub fn degrades_health(&self) -> bool {
        *self == ClockSync::NotSynchronized
    }
}

/// Where the sync state comes from: the kernel in production, a fixed answer in tests.
pub trait ClockSyncSource: Send + Sync {
    fn state(&self) -> ClockSync;
}

/// The kernel's own state: `adjtimex` with no modes only reads (it needs no capability). The
/// systemd unit keeps `ProtectClock=yes`, whose filter denies the call (EPERM, by the unit's
/// `SystemCallErrorNumber=`): there the answer comes from systemd-timesyncd's flag instead.
pub struct KernelClock;

/// systemd-timesyncd (Raspberry Pi OS's and Debian's default NTP client) keeps this directory
/// while it runs and touches `synchronized` in it once the clock is synchronized.
const TIMESYNCD_DIR: &str = "/run/systemd/timesync";

impl ClockSyncSource for KernelClock {
    fn state(&self) -> ClockSync {
        // SAFETY: `timex` is plain data; with `modes` 0 the call only fills it in.
        let mut tx: libc::timex = unsafe { std::mem::zeroed() };
        let state = unsafe { libc::adjtimex(&mut tx) };
        if state == -1 {
            let err = std::io::Error::last_os_error();
            return timesyncd_state(std::path::Path::new(TIMESYNCD_DIR), &err.to_string());
        }
        if state == libc::TIME_ERROR || tx.status & libc::STA_UNSYNC != 0 {
            ClockSync::NotSynchronized
        } else {
            ClockSync::Synchronized
        }
    }
}

/// The state systemd-timesyncd reports in `dir`, when the kernel cannot be asked (`why`).
fn timesyncd_state(dir: &std::path::Path, why: &str) -> ClockSync {
    if dir.join("synchronized").exists() {
        ClockSync::Synchronized
    } else if dir.is_dir() {
        ClockSync::NotSynchronized
    } else {
        ClockSync::Unknown(format!("adjtimex: {why}; no systemd-timesyncd state either"))
    }
}

/// A fixed answer: tests, and machines whose clock is kept by other means (`[trust]
/// clock_sync = false`: a container whose host keeps the time).
pub struct Fixed(pub ClockSync);

impl ClockSyncSource for Fixed {
    fn state(&self) -> ClockSync {
        self.0.clone()
    }
}

/// The source `[trust] clock_sync` asks for.
pub fn source(check_kernel: bool) -> Arc<dyn ClockSyncSource> {
    if check_kernel {
        Arc::new(KernelClock)
    } else {
        Arc::new(Fixed(ClockSync::Unknown("not checked (--mock, or [trust] clock_sync = false)".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_unit_the_timesyncd_flag_says_whether_the_clock_is_synchronized() {
        let dir = std::env::temp_dir().join(format!("myna-timesync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(timesyncd_state(&dir, "denied"), ClockSync::Unknown(_)), "no timesyncd: unknown");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(timesyncd_state(&dir, "denied"), ClockSync::NotSynchronized, "timesyncd, not synced yet");
        std::fs::write(dir.join("synchronized"), b"").unwrap();
        assert_eq!(timesyncd_state(&dir, "denied"), ClockSync::Synchronized);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
