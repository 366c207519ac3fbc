//! The performance benchmark (issue #10): certificate read (ours beside OpenSC's), whole
//! check-ins split into pcscd / card / client / daemon time, the API under load, footprint.
//! Prints one table and writes JSON. Exits non-zero only when something failed to run, never
//! on a missed target. Needs the pcscd + vpcd rig:
//!
//!   cargo build --release -p myna-kiosk -p myna-kiosk-tests --bin myna-kiosk --bin bench
//!   bash tests/rig/isolated.sh target/release/bench [--smoke] [--json FILE]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use myna_kiosk_tests::bench::{self, card::Latency, Options};

#[derive(Parser)]
#[command(about = "myna-kiosk performance benchmark (run inside tests/rig/isolated.sh)")]
struct Args {
    /// Write every figure as JSON here.
    #[arg(long, default_value = "target/bench.json")]
    json: PathBuf,
    /// A few iterations of each part (CI): well under a minute, figures indicative only.
    #[arg(long)]
    smoke: bool,
    /// The virtual card's latency per APDU (a real card: ~10 ms).
    #[arg(long, default_value_t = 10)]
    apdu_latency_ms: u64,
    /// Added to SIGN (a real card: ~400 ms).
    #[arg(long, default_value_t = 400)]
    sign_latency_ms: u64,
    /// Certificate reads and check-ins per path (default 10, smoke 2).
    #[arg(long)]
    rounds: Option<usize>,
    /// wrk's duration in seconds (default 10, smoke 2).
    #[arg(long)]
    wrk_seconds: Option<u64>,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value_t = 500)]
    subscribers: usize,
    /// Only part 3's SSE fan-out (one daemon, the subscribers, a few check-ins): for comparing
    /// daemons back to back. The full run is the record.
    #[arg(long)]
    sse_only: bool,
    /// PIN check-ins (3 triggers each) during the SSE fan-out (default 30, smoke 1). A p99 of
    /// 500 deliveries per trigger is decided by the slowest few triggers: over 30 triggers one
    /// slow fsync or stall of the machine moved it by up to 5 ms; 90 estimate the tail steadily.
    #[arg(long)]
    sse_checkins: Option<usize>,
    /// Zero card latency during the SSE fan-out: the PIN's two views go out back to back
    /// (harsher than a real card, whose SIGN keeps them ~400 ms apart).
    #[arg(long)]
    sse_zero_latency: bool,
    /// The daemon binary (default: myna-kiosk next to this one).
    #[arg(long)]
    daemon: Option<PathBuf>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = Args::parse();
    let smoke = a.smoke;
    let latency =
        Latency { apdu: Duration::from_millis(a.apdu_latency_ms), sign: Duration::from_millis(a.sign_latency_ms) };
    let opts = Options {
        smoke,
        latency,
        rounds: a.rounds.unwrap_or(if smoke { 2 } else { 10 }).max(1),
        opensc_rounds: if smoke { 1 } else { 5 },
        starts: if smoke { 2 } else { 5 },
        wrk_seconds: a.wrk_seconds.unwrap_or(if smoke { 2 } else { 10 }),
        wrk_connections: a.connections,
        wrk_threads: 2,
        subscribers: a.subscribers,
        sse_latency: if a.sse_zero_latency { Latency::NONE } else { latency },
        sse_checkins: a.sse_checkins.unwrap_or(if smoke { 1 } else { 30 }).max(1),
        bin: a.daemon.unwrap_or_else(bench::daemon::binary),
    };
    let started = Instant::now();
    let ran = if a.sse_only { bench::run_sse(&opts).await } else { bench::run(&opts).await };
    match ran {
        Ok((table, json)) => {
            println!("{table}");
            let text = serde_json::to_string_pretty(&json).expect("JSON");
            if let Err(e) = std::fs::write(&a.json, text + "\n") {
                eprintln!("bench: cannot write {}: {e}", a.json.display());
                std::process::exit(1);
            }
            println!("bench: {:.0} s; JSON in {}", started.elapsed().as_secs_f64(), a.json.display());
        }
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    }
}
