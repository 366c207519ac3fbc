//! How long the tests wait, and the one way to look again for what nothing announces.

use std::future::Future;
use std::time::Duration;

/// The upper bound of every wait in these tests: generous, so only a hang reaches it, and a
/// hang then fails instead of blocking the run.
pub const WAIT: Duration = Duration::from_secs(20);

/// Between two looks, where there is no notification to wait on (a daemon's health, a log
/// line, a connection slot the server frees).
pub const POLL: Duration = Duration::from_millis(20);

/// Looks with `look` until `done` holds for what it saw, for [`WAIT`] at most. `Err` carries
/// the last look, for the caller's failure message.
pub async fn poll_until<T, F, Fut>(look: F, done: impl FnMut(&T) -> bool) -> Result<T, T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    poll_within(WAIT, look, done).await
}

/// [`poll_until`] with a bound of its own.
pub async fn poll_within<T, F, Fut>(within: Duration, mut look: F, mut done: impl FnMut(&T) -> bool) -> Result<T, T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let seen = look().await;
        if done(&seen) {
            return Ok(seen);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(seen);
        }
        tokio::time::sleep(POLL).await;
    }
}
