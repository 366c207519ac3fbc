//! Log setup: human-readable lines on stderr (the journal adds timestamps), or JSON.

use tracing_subscriber::EnvFilter;

/// `MYNA_LOG` overrides the configured level (handy on a bench).
pub fn init(json: bool, level: &str) {
    let filter = EnvFilter::try_from_env("MYNA_LOG")
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
