//! The memory soak (`src/bin/soak.rs`, issue #21): the daemon binary under `run --mock
//! --autopilot` for tens of thousands of check-ins, its RSS sampled against the check-ins done,
//! and the slope over the second half of the run after warm-up. A kiosk runs for months between
//! reboots: anything that grows per check-in shows here long before it shows in the field.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What the autopilot logs once per finished check-in (success or refusal alike).
const FINISHED: &str = "autopilot: check-in finished";
/// What it logs when a check-in produced no result: the soak is then not measuring check-ins.
const NO_RESULT: &str = "autopilot: no result";

#[derive(Debug, Clone)]
pub struct Options {
    pub bin: PathBuf,
    pub checkins: u64,
    /// Check-ins before the measured window (caches, pools and the journal's pages fill up).
    pub warmup: u64,
    /// Sample RSS every this many check-ins.
    pub every: u64,
    /// The most growth tolerated over the second half, in bytes per check-in.
    pub bound: f64,
    /// The autopilot's pause between patients, seconds.
    pub tap_interval: f64,
}

/// One RSS sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub checkins: u64,
    pub rss_kib: u64,
    pub at: Duration,
}

/// What the samples say.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Least-squares slope over the samples in the second half of the measured window.
    pub slope_bytes_per_checkin: f64,
    /// RSS at the last sample minus RSS at the end of warm-up.
    pub growth_after_warmup_kib: i64,
    /// The slope times 50,000 check-ins: the issue's figure.
    pub per_50k_kib: f64,
    pub flat: bool,
}

/// Least-squares slope of `y` over `x`; `None` with fewer than two distinct `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Judges the samples: the slope over the second half of what follows warm-up against `bound`.
pub fn judge(samples: &[Sample], warmup: u64, bound: f64) -> Option<Verdict> {
    let measured: Vec<&Sample> = samples.iter().filter(|s| s.checkins >= warmup).collect();
    let (first, last) = (measured.first()?, measured.last()?);
    let half = first.checkins + (last.checkins - first.checkins) / 2;
    let points: Vec<(f64, f64)> = measured
        .iter()
        .filter(|s| s.checkins >= half)
        .map(|s| (s.checkins as f64, s.rss_kib as f64 * 1024.0))
        .collect();
    let slope = slope(&points)?;
    Some(Verdict {
        slope_bytes_per_checkin: slope,
        growth_after_warmup_kib: last.rss_kib as i64 - first.rss_kib as i64,
        per_50k_kib: slope * 50_000.0 / 1024.0,
        flat: slope <= bound,
    })
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Running {
    child: Child,
    dir: PathBuf,
    finished: Arc<AtomicU64>,
    no_result: Arc<AtomicU64>,
}

impl Running {
    fn start(bin: &Path, tap_interval: f64) -> Result<Running, String> {
        let dir = std::env::temp_dir().join(format!("myna-soak-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        // runs: - (the daemon under test)
        let mut child = Command::new(bin)
            .args(["run", "--mock", "--autopilot", "--tap-interval", &tap_interval.to_string()])
            .args(["--listen", &format!("127.0.0.1:{port}"), "--state-dir"])
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let finished = Arc::new(AtomicU64::new(0));
        let no_result = Arc::new(AtomicU64::new(0));
        // The daemon logs on stderr; each finished check-in is one line.
        let stream = child.stderr.take().expect("piped");
        let (f, nr) = (finished.clone(), no_result.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if line.contains(FINISHED) {
                    f.fetch_add(1, Ordering::Relaxed);
                } else if line.contains(NO_RESULT) {
                    nr.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Ok(Running { child, dir, finished, no_result })
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the soak, printing each sample as it is taken. `Err` only when something did not run.
pub fn run(opts: &Options) -> Result<(Vec<Sample>, Verdict), String> {
    let d = Running::start(&opts.bin, opts.tap_interval)?;
    let pid = d.child.id();
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut next = 0;
    let mut last_progress = (0, Instant::now());
    println!("{:>10}  {:>9}  {:>8}", "check-ins", "RSS MiB", "seconds");
    let result = loop {
        let n = d.finished.load(Ordering::Relaxed);
        if n >= next {
            let Some(rss) = rss_kib(pid) else { break Err("the daemon exited during the soak".to_string()) };
            let s = Sample { checkins: n, rss_kib: rss, at: started.elapsed() };
            println!("{:>10}  {:>9.3}  {:>8.0}", s.checkins, s.rss_kib as f64 / 1024.0, s.at.as_secs_f64());
            samples.push(s);
            next = (n / opts.every + 1) * opts.every;
            if n >= opts.checkins {
                break Ok(());
            }
        }
        let failed = d.no_result.load(Ordering::Relaxed);
        if failed > 0 {
            break Err(format!("{failed} check-ins gave no result: the autopilot is stuck, not soaking"));
        }
        if n > last_progress.0 {
            last_progress = (n, Instant::now());
        } else if last_progress.1.elapsed() > Duration::from_secs(60) {
            break Err(format!("no check-in finished for 60 s (after {n})"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    d.stop();
    result?;
    let verdict = judge(&samples, opts.warmup, opts.bound).ok_or("too few samples after warm-up to judge")?;
    Ok((samples, verdict))
}

pub fn json(opts: &Options, samples: &[Sample], v: &Verdict) -> Value {
    json!({
        "checkins": opts.checkins,
        "warmup": opts.warmup,
        "tap_interval_s": opts.tap_interval,
        "bound_bytes_per_checkin": opts.bound,
        "slope_bytes_per_checkin": v.slope_bytes_per_checkin,
        "per_50000_checkins_kib": v.per_50k_kib,
        "growth_after_warmup_kib": v.growth_after_warmup_kib,
        "flat": v.flat,
        "samples": samples.iter().map(|s| json!({
            "checkins": s.checkins, "rss_kib": s.rss_kib, "seconds": s.at.as_secs_f64()
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss: impl Fn(u64) -> u64) -> Vec<Sample> {
        (0..=50).map(|i| i * 1000).map(|n| Sample { checkins: n, rss_kib: rss(n), at: Duration::ZERO }).collect()
    }

    #[test]
    fn a_leak_of_the_issues_size_fails_and_a_flat_line_with_page_noise_passes() {
        // Main's curve: ~370 bytes a check-in after a 9 MiB start.
        let leak = samples(|n| 9 * 1024 + n * 370 / 1024);
        let v = judge(&leak, 5000, 21.0).unwrap();
        assert!(!v.flat, "{v:?}");
        assert!((v.slope_bytes_per_checkin - 370.0).abs() < 5.0, "{v:?}");
        // Flat but for one 4 KiB page coming and going: no slope worth the name.
        let flat = samples(|n| 10 * 1024 + 4 * ((n / 1000) % 2));
        let v = judge(&flat, 5000, 21.0).unwrap();
        assert!(v.flat, "{v:?}");
        assert!(v.per_50k_kib.abs() < 64.0, "{v:?}");
    }

    #[test]
    fn warm_up_growth_is_not_judged_but_reported() {
        // Caches fill over the first 5,000 check-ins, then nothing grows.
        let s = samples(|n| 8 * 1024 + n.min(5000) / 10);
        let v = judge(&s, 5000, 21.0).unwrap();
        assert!(v.flat, "{v:?}");
        assert_eq!(v.growth_after_warmup_kib, 0);
        assert!(judge(&s[..1], 0, 21.0).is_none(), "one sample has no slope");
    }
}
