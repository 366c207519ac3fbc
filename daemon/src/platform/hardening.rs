//! What the process does to itself so that secrets cannot leave through the OS.

use std::io;

/// No core dump and no ptrace by other processes of the same user: a crash during VERIFY
/// must not write the PIN (or a face photo) to disk. The systemd unit also sets
/// `LimitCORE=0`; this covers a daemon started by hand or by another supervisor.
pub fn no_core_dumps() -> io::Result<()> {
    let zero = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain system calls with valid arguments; no memory is shared with the kernel
    // beyond the `rlimit` value, which outlives the call.
    unsafe {
        if libc::setrlimit(libc::RLIMIT_CORE, &zero) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether the process may dump core (for tests and `/v1/health` checks).
pub fn core_dumps_possible() -> bool {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: as above; `limit` is a valid out-pointer.
    let (dumpable, rlimit_ok) = unsafe {
        (libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0), libc::getrlimit(libc::RLIMIT_CORE, &mut limit) == 0)
    };
    dumpable != 0 || !rlimit_ok || limit.rlim_cur != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_the_call_no_core_dump_is_possible() {
        no_core_dumps().unwrap();
        assert!(!core_dumps_possible());
    }
}
