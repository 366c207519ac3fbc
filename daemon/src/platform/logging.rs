//! Log setup. Started by systemd with stderr on the journal (`JOURNAL_STREAM`): native journal
//! entries, with priorities (`journalctl -p warning`) and searchable fields (`MYNA_SESSION=`,
//! `MYNA_CODE=`), and no timestamp of our own (the journal has one). Otherwise human-readable
//! lines on stderr, or JSON lines.

use std::os::unix::fs::MetadataExt as _;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

/// `MYNA_LOG` overrides the configured level (handy on a bench).
pub fn init(json: bool, level: &str) {
    let filter = || {
        EnvFilter::try_from_env("MYNA_LOG")
            .or_else(|_| EnvFilter::try_new(level))
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    let journal = stderr_is_the_journal();
    if journal && !json {
        if let Ok(layer) = tracing_journald::layer() {
            let layer = layer.with_field_prefix(Some("MYNA".into())).with_syslog_identifier("myna-kiosk".into());
            // A second init (tests) is harmless: keep the first subscriber.
            let _ = tracing_subscriber::registry().with(filter()).with(layer).try_init();
            return;
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match (json, journal) {
        (true, _) => builder.json().try_init(),
        // The journal stamps each line already.
        (false, true) => builder.without_time().try_init(),
        (false, false) => builder.try_init(),
    };
}

/// systemd sets `JOURNAL_STREAM` to the device and inode of the stream it connects stderr to; a
/// child whose stderr was redirected elsewhere inherits the variable, so both must match.
pub fn stderr_is_the_journal() -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else { return false };
    let Ok(meta) = std::fs::metadata("/proc/self/fd/2") else { return false };
    value.to_str().is_some_and(|v| names_stream(v, meta.dev(), meta.ino()))
}

/// `JOURNAL_STREAM`'s `DEVICE:INODE` is this stream.
fn names_stream(value: &str, dev: u64, ino: u64) -> bool {
    value.split_once(':').is_some_and(|(d, i)| d.parse() == Ok(dev) && i.parse() == Ok(ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stream_journal_stream_names_is_the_journal() {
        assert!(names_stream("8:4242", 8, 4242));
        // Inherited by a child whose stderr goes elsewhere: another inode.
        assert!(!names_stream("8:4242", 8, 4243));
        assert!(!names_stream("9:4242", 8, 4242));
        assert!(!names_stream("8", 8, 4242));
        assert!(!names_stream("", 8, 4242));
    }
}
