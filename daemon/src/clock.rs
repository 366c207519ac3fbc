//! Where the driver reads the time, injected (as ntpd-rs does): the monotonic clock for
//! deadlines, the wall clock only for stamps and certificate dates (the Pi has no RTC, so
//! the wall clock may jump; deadlines must not).
//!
//! [`SystemClock`] is the real one; [`ManualClock`] stands still until a test moves it, so
//! driver tests run on paused time while the card thread works in real time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::session::Now;

pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Now;
    /// Resolves once `now().mono` has reached `deadline`.
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// The runtime's monotonic clock and the system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Now {
        Now { mono: tokio::time::Instant::now().into_std(), wall: Utc::now() }
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)))
    }
}

/// A clock that moves only when told: both readings advance together.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<watch::Sender<(Instant, DateTime<Utc>)>>,
}

impl ManualClock {
    pub fn new(wall: DateTime<Utc>) -> Self {
        ManualClock { now: Arc::new(watch::Sender::new((Instant::now(), wall))) }
    }

    /// Moves time on by `d`; sleepers whose deadline has come wake.
    pub fn advance(&self, d: Duration) {
        self.now.send_modify(|(mono, wall)| {
            *mono += d;
            *wall += d;
        });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Now {
        let (mono, wall) = *self.now.borrow();
        Now { mono, wall }
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            // A dropped clock never reaches the deadline.
            if rx.wait_for(|(mono, _)| *mono >= deadline).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}
