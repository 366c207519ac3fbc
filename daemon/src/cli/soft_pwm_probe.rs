//! Test seam for the syscall audit (tests/syscall-audit.sh), bench builds only: pins whose
//! software PWM makes the system calls rppal's does, so the passive buzzer's path can be traced
//! off a Pi. rppal 0.22.1 (`gpio/soft_pwm.rs`, `SoftPwm::new`) starts one thread per tone that
//! asks for SCHED_RR at the highest priority and ignores the answer, sets its timer slack to
//! 1 ns, then toggles the pin on a monotonic clock with sleeps. The GPIO register writes are
//! left out (no Pi); everything the kernel sees stays. Keep in step when rppal is upgraded.

use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use myna_indicator::gpio::Pin;

/// A pin that starts and stops an rppal-like soft PWM thread.
#[derive(Default)]
pub struct SoftPwmProbePin {
    pwm: Option<(Sender<()>, JoinHandle<()>)>,
}

impl Pin for SoftPwmProbePin {
    type Error = std::io::Error;

    fn set_high(&mut self) {}

    fn set_low(&mut self) {}

    fn set_pwm_frequency(&mut self, hz: f64, duty: f64) -> Result<(), Self::Error> {
        if self.pwm.is_some() {
            // rppal reconfigures its running thread over a channel: no new system call.
            return Ok(());
        }
        let period = Duration::from_secs_f64(1.0 / hz.max(1.0));
        let high = period.mul_f64(duty.clamp(0.0, 1.0));
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new().name("soft-pwm-probe".into()).spawn(move || {
            // SAFETY: plain system calls with valid arguments, as rppal makes them.
            unsafe {
                let param = libc::sched_param { sched_priority: libc::sched_get_priority_max(libc::SCHED_RR) };
                libc::sched_setscheduler(0, libc::SCHED_RR, &param);
                libc::prctl(libc::PR_SET_TIMERSLACK, 1);
            }
            // No busy wait (rppal's is pure user space): sleeps alone, so the probe cannot hog a core.
            while stopped.try_recv().is_err() {
                let start = Instant::now();
                std::thread::sleep(high);
                std::thread::sleep(period.saturating_sub(start.elapsed()));
            }
        })?;
        self.pwm = Some((stop, thread));
        Ok(())
    }

    fn clear_pwm(&mut self) -> Result<(), Self::Error> {
        if let Some((stop, thread)) = self.pwm.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
        Ok(())
    }
}
