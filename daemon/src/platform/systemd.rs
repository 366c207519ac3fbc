//! Talking to systemd: READY=1 once the kiosk can serve, STATUS= lines a technician reads in
//! `systemctl status`, and WATCHDOG=1 pings that stop when the session driver stops working.
//! Without `NOTIFY_SOCKET` (not under systemd) every call is a no-op.

use std::time::Duration;

use myna_api::proto::Prompt;
use sd_notify::NotifyState;

use crate::driver::DriverHandle;

pub fn ready(status: &str) {
    let _ = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

pub fn status(status: &str) {
    let _ = sd_notify::notify(&[NotifyState::Status(status)]);
}

/// A reload starts: systemd shows "reloading" until [`reloaded`] (`systemctl reload` waits).
pub fn reloading() {
    let mut states = vec![NotifyState::Reloading, NotifyState::Status("reloading the configuration")];
    // systemd 253 and later need the clock to tell this reload from an earlier one.
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    let _ = sd_notify::notify(&states);
}

/// The reload is over, applied or refused.
pub fn reloaded(status: &str) {
    ready(status);
}

pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

fn describe(prompt: &Prompt) -> &'static str {
    match prompt {
        Prompt::PlaceCard => "idle: waiting for a card",
        Prompt::OutOfService => "out of service: see /v1/health",
        Prompt::TakeCard { .. } => "session finished: waiting for the card to be taken",
        _ => "session in progress",
    }
}

/// Pings the watchdog at half its interval, but only while the driver's loop is making
/// progress: a stuck driver must get the service restarted, not kept alive by a timer.
pub async fn watchdog(handle: DriverHandle) {
    let Some(interval) = sd_notify::watchdog_enabled() else {
        status_loop(handle).await;
        return;
    };
    let period = (interval / 2).max(Duration::from_millis(50));
    let mut last_beat = handle.heartbeat();
    let mut last_status = "";
    let mut warned = false;
    loop {
        tokio::time::sleep(period).await;
        let beat = handle.heartbeat();
        if let Some(fatal) = handle.fatal() {
            // The kiosk cannot work until it restarts: let the watchdog fire.
            if !warned {
                tracing::error!(code = %fatal.code, "watchdog pings stopped so systemd restarts the service");
                warned = true;
            }
        } else if beat != last_beat {
            last_beat = beat;
            warned = false;
            let _ = sd_notify::notify(&[NotifyState::Watchdog]);
        } else if !warned {
            tracing::error!("the session driver is not making progress: watchdog pings stopped");
            warned = true;
        }
        let now = describe(&handle.view().prompt);
        if now != last_status {
            status(now);
            last_status = now;
        }
    }
}

async fn status_loop(handle: DriverHandle) {
    let mut views = handle.watch_view();
    let mut last = "";
    loop {
        let now = describe(&views.borrow_and_update().prompt);
        if now != last {
            status(now);
            last = now;
        }
        if views.changed().await.is_err() {
            return;
        }
    }
}
