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

/// The kernel's own state: `adjtimex` with no modes only reads (it needs no capability; the
/// systemd unit allows the call).
pub struct KernelClock;

impl ClockSyncSource for KernelClock {
    fn state(&self) -> ClockSync {
        // SAFETY: `timex` is plain data; with `modes` 0 the call only fills it in.
        let mut tx: libc::timex = unsafe { std::mem::zeroed() };
        let state = unsafe { libc::adjtimex(&mut tx) };
        if state == -1 {
            return ClockSync::Unknown(std::io::Error::last_os_error().to_string());
        }
        if state == libc::TIME_ERROR || tx.status & libc::STA_UNSYNC != 0 {
            ClockSync::NotSynchronized
        } else {
            ClockSync::Synchronized
        }
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
