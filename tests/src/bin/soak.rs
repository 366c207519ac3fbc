//! The memory soak (issue #21): the release daemon under `run --mock --autopilot` for tens of
//! thousands of check-ins, RSS printed against check-ins. A benchmark, not a test: it exits 1
//! when RSS still grows over the second half of the run after warm-up (slope above
//! `--bound` bytes per check-in), 2 when something did not run. Needs no pcscd:
//!
//!   cargo build --release -p myna-kiosk -p myna-kiosk-tests --bin myna-kiosk --bin soak
//!   target/release/soak [--checkins 50000] [--json FILE]

use std::path::PathBuf;

use clap::Parser;
use myna_kiosk_tests::bench::{self, soak};

#[derive(Parser)]
#[command(about = "myna-kiosk memory soak: RSS against check-ins under the autopilot")]
struct Args {
    /// Check-ins to run, warm-up included.
    #[arg(long, default_value_t = 55_000)]
    checkins: u64,
    /// Check-ins before the measured window.
    #[arg(long, default_value_t = 5_000)]
    warmup: u64,
    /// Sample RSS every this many check-ins.
    #[arg(long, default_value_t = 1_000)]
    every: u64,
    /// Most growth tolerated over the second half, bytes per check-in (default: 1 MiB over
    /// 50,000 check-ins).
    #[arg(long, default_value_t = 1048576.0 / 50_000.0)]
    bound: f64,
    /// Seconds between patients.
    #[arg(long, default_value_t = 0.0)]
    tap_interval: f64,
    #[arg(long, default_value = "target/soak.json")]
    json: PathBuf,
    /// The daemon binary (default: myna-kiosk next to this one).
    #[arg(long)]
    daemon: Option<PathBuf>,
}

fn main() {
    let a = Args::parse();
    let opts = soak::Options {
        bin: a.daemon.unwrap_or_else(bench::daemon::binary),
        checkins: a.checkins,
        warmup: a.warmup.min(a.checkins),
        every: a.every.max(1),
        bound: a.bound,
        tap_interval: a.tap_interval,
    };
    let (samples, v) = match soak::run(&opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    };
    let (first, last) = (samples.first().expect("sampled"), samples.last().expect("sampled"));
    println!(
        "soak: {} check-ins in {:.0} s; RSS {:.2} → {:.2} MiB; after warm-up ({} check-ins) {:+} KiB",
        last.checkins,
        last.at.as_secs_f64(),
        first.rss_kib as f64 / 1024.0,
        last.rss_kib as f64 / 1024.0,
        opts.warmup,
        v.growth_after_warmup_kib
    );
    println!(
        "soak: slope over the second half {:.2} bytes/check-in ({:+.0} KiB per 50,000; bound {:.1}): {}",
        v.slope_bytes_per_checkin,
        v.per_50k_kib,
        opts.bound,
        if v.flat { "FLAT" } else { "GROWS" }
    );
    let text = serde_json::to_string_pretty(&soak::json(&opts, &samples, &v)).expect("JSON");
    if let Err(e) = std::fs::write(&a.json, text + "\n") {
        eprintln!("soak: cannot write {}: {e}", a.json.display());
        std::process::exit(2);
    }
    if !v.flat {
        std::process::exit(1);
    }
}
