//! Part 3: the API under load from other processes on loopback: `GET /v1/session` with wrk,
//! and one session change delivered to hundreds of SSE subscribers.

use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::card::{self, Latency};
use super::checkin::{wait_quiet, Path, Patient, Triggers};
use super::daemon::{Daemon, RECEPTION};
use super::http::Error;
use super::stats::{ms, Summary};
use super::subscribers::Subscribers;

#[derive(Debug, Clone)]
pub struct Wrk {
    pub connections: usize,
    pub threads: usize,
    pub seconds: u64,
    pub requests_per_sec: f64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub requests: u64,
    /// Non-2xx answers and socket errors: any makes the figures suspect.
    pub errors: String,
    pub version: String,
}

impl Wrk {
    pub fn json(&self) -> Value {
        json!({
            "tool": self.version,
            "connections": self.connections,
            "threads": self.threads,
            "seconds": self.seconds,
            "requests": self.requests,
            "requests_per_sec": self.requests_per_sec.round(),
            "p50_ms": ms(self.p50),
            "p90_ms": ms(self.p90),
            "p99_ms": ms(self.p99),
            "errors": self.errors,
        })
    }
}

/// `wrk --latency` against `GET /v1/session` with a reception token (a Lua script sets the
/// header: wrk has no flag that survives its own scripts).
pub fn wrk(daemon: &Daemon, connections: usize, threads: usize, seconds: u64) -> Result<Wrk, String> {
    let script = daemon.dir.join("auth.lua");
    std::fs::write(&script, format!("wrk.headers[\"Authorization\"] = \"Bearer {RECEPTION}\"\n"))
        .map_err(|e| e.to_string())?;
    let url = format!("http://127.0.0.1:{}/v1/session", daemon.port);
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string(), "-d", &format!("{seconds}s")])
        .args(["--latency", "-s"])
        .arg(&script)
        .arg(&url)
        .output()
        .map_err(|e| format!("wrk: {e} (apt-get install -y --no-install-recommends --no-remove wrk)"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr)));
    }
    parse_wrk(&text, connections, threads, seconds).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

fn parse_wrk(text: &str, connections: usize, threads: usize, seconds: u64) -> Option<Wrk> {
    let field = |prefix: &str| {
        text.lines().map(str::trim).find(|l| l.starts_with(prefix)).map(|l| l[prefix.len()..].trim().to_string())
    };
    let pct = |p: &str| field(p).and_then(|v| duration(&v));
    let requests =
        text.lines().find(|l| l.contains("requests in")).and_then(|l| l.split_whitespace().next()?.parse().ok())?;
    let mut errors = Vec::new();
    if let Some(e) = field("Socket errors:") {
        errors.push(format!("socket errors: {e}"));
    }
    if let Some(e) = field("Non-2xx or 3xx responses:") {
        errors.push(format!("non-2xx: {e}"));
    }
    let version = Command::new("wrk")
        .arg("-v")
        .output()
        .ok()
        .and_then(|o| {
            let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            all.lines().next().map(|l| l.split(" [").next().unwrap_or(l).trim().to_string())
        })
        .unwrap_or_else(|| "wrk".into());
    Some(Wrk {
        connections,
        threads,
        seconds,
        requests_per_sec: field("Requests/sec:")?.parse().ok()?,
        p50: pct("50%")?,
        p90: pct("90%")?,
        p99: pct("99%")?,
        requests,
        errors: errors.join(", "),
        version,
    })
}

/// wrk's "123.45us", "1.20ms", "2.00s".
fn duration(v: &str) -> Option<Duration> {
    let v = v.split_whitespace().next()?;
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    Some(Duration::from_secs_f64(num.parse::<f64>().ok()? * scale))
}

#[derive(Debug, Clone)]
pub struct Sse {
    pub subscribers: usize,
    /// Every subscriber connected and had its first event.
    pub all_connected_after: Duration,
    pub rss_kib: Option<u64>,
    pub triggers: usize,
    /// Kiosk command sent → the session event it caused, at each subscriber.
    pub delivery: Summary,
    /// Per trigger: the last subscriber's delivery (the whole fan-out).
    pub fan_out: Summary,
    pub missed: usize,
    /// Where the subscribers connected from.
    pub from: String,
    /// The daemon's CPU time (every thread, user and kernel) while the check-ins ran, per
    /// trigger: what one fan-out costs, less at the mercy of other load than the delivery times.
    pub cpu_per_trigger: Option<Duration>,
    /// The same for the bench's own process (the 500 subscribers' client, on the same cores).
    pub client_cpu_per_trigger: Option<Duration>,
    /// Delivery by the command that caused it (where a tail comes from).
    pub by_command: Vec<(&'static str, Summary)>,
    pub card_latency: Latency,
}

impl Sse {
    pub fn json(&self) -> Value {
        json!({
            "subscribers": self.subscribers,
            "all_connected_ms": ms(self.all_connected_after),
            "daemon_rss_kib": self.rss_kib,
            "triggers": self.triggers,
            "delivery": self.delivery.json(),
            "last_subscriber_per_trigger": self.fan_out.json(),
            "missed": self.missed,
            "from": self.from,
            "card_latency": {"apdu_ms": ms(self.card_latency.apdu), "sign_ms": ms(self.card_latency.sign)},
            "daemon_cpu_per_trigger_ms": self.cpu_per_trigger.map(ms),
            "client_cpu_per_trigger_ms": self.client_cpu_per_trigger.map(ms),
            "delivery_by_command": self.by_command.iter().map(|(c, s)| (c.to_string(), s.json())).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// `subscribers` connections on `GET /v1/events` while `checkins` PIN check-ins run: each
/// command the kiosk sends is a trigger, stamped as it leaves; each subscriber's first
/// `session` event after the stamp is its delivery.
///
/// `latency`: the cards' latency model. The field's (part 2's) keeps the PIN's `verifying`
/// and `consent` views a SIGN apart, as a real card does; zero makes them two fan-outs back
/// to back, harsher than any card.
///
/// `lan`: connect the subscribers from this (non-loopback) address, as reception PCs would;
/// loopback clients count against the daemon's smaller local allowance.
pub async fn sse(
    daemon: &Daemon,
    vpcd: SocketAddr,
    subscribers: usize,
    checkins: usize,
    latency: Latency,
    lan: Option<IpAddr>,
) -> Result<Sse, Error> {
    let addr = lan.map_or_else(|| daemon.addr(), |ip| SocketAddr::new(ip, daemon.port));
    let started = Instant::now();
    let mut subs = Subscribers::start();
    subs.open(addr, RECEPTION, subscribers).await?;
    let counter = subs.reads.clone();
    let stores = subs.logs();
    let deadline = Instant::now() + Duration::from_secs(20);
    while stores.iter().any(|s| s.lock().expect("not poisoned").events.is_empty()) {
        if Instant::now() > deadline {
            return Err("not every SSE subscriber got its first event within 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let all_connected_after = started.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_kib = daemon.status_kib("VmRSS");

    let mut patient = Patient::connect(daemon.tcp()).await?;
    let mut triggers = Triggers { quiet: counter.clone(), stamps: Vec::new() };
    let cpu_before = cpu_time(daemon.pid());
    let client_before = cpu_time(std::process::id());
    // The cards are made first (each issues its certificates: RSA signatures), and a card is
    // lifted only once the last fan-out has reached everyone: the measuring client's own work
    // never competes with a fan-out it measures.
    let cards: Vec<_> = (0..checkins).map(|i| card::card(latency, true, 0x5000 + i as u64)).collect();
    for card in cards {
        patient.idle().await?;
        let placed = tokio::task::block_in_place(|| card::place(vpcd, card));
        let outcome = patient.check_in(Path::Pin, Some(&mut triggers)).await;
        wait_quiet(&counter).await;
        tokio::task::block_in_place(|| card::lift(placed));
        outcome?;
    }
    patient.idle().await?;
    wait_quiet(&counter).await;
    // CPU time spent since `before`, per trigger.
    let per_trigger = |pid: u32, before: Option<Duration>| {
        let spent = cpu_time(pid).zip(before).map(|(after, before)| after.saturating_sub(before));
        spent.filter(|_| !triggers.stamps.is_empty()).map(|c| c / triggers.stamps.len() as u32)
    };
    let cpu_per_trigger = per_trigger(daemon.pid(), cpu_before);
    let client_cpu_per_trigger = per_trigger(std::process::id(), client_before);

    let mut delivery = Vec::new();
    let mut by_command: Vec<(&'static str, Vec<Duration>)> = Vec::new();
    let mut last = vec![Duration::ZERO; triggers.stamps.len()];
    let mut missed = 0;
    for store in stores {
        let log = store.lock().expect("not poisoned");
        for (i, (stamp, command)) in triggers.stamps.iter().enumerate() {
            match log.events.iter().find(|(at, session)| *session && at >= stamp) {
                Some((at, _)) => {
                    let d = *at - *stamp;
                    delivery.push(d);
                    match by_command.iter_mut().find(|(c, _)| c == command) {
                        Some((_, v)) => v.push(d),
                        None => by_command.push((*command, vec![d])),
                    }
                    last[i] = last[i].max(d);
                }
                None => missed += 1,
            }
        }
    }
    Ok(Sse {
        subscribers,
        all_connected_after,
        rss_kib,
        triggers: triggers.stamps.len(),
        delivery: Summary::of(&delivery),
        fan_out: Summary::of(&last),
        missed,
        card_latency: latency,
        by_command: by_command.iter().map(|(c, v)| (*c, Summary::of(v))).collect(),
        from: lan.map_or("loopback".into(), |ip| format!("{ip} (LAN side)")),
        cpu_per_trigger,
        client_cpu_per_trigger,
    })
}

/// CPU time (user + kernel) of `pid` so far, threads that ended included (`/proc/PID/stat`,
/// clock ticks of 10 ms: the loop runs long enough for that to be fine).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name (in parentheses, may hold spaces): state is field 3, utime 14.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_latency_output() {
        let out = "Running 10s test @ http://127.0.0.1:1/v1/session\n  2 threads and 64 connections\n\
                   \x20 Latency Distribution\n     50%  1.23ms\n     75%  2.00ms\n     90%  3.10ms\n     99%  850.00us\n\
                   \x20 212345 requests in 10.00s, 80.00MB read\nRequests/sec:  21234.50\nTransfer/sec:      8.00MB\n";
        let w = parse_wrk(out, 64, 2, 10).expect("parsed");
        assert_eq!(w.requests, 212345);
        assert_eq!(w.requests_per_sec, 21234.5);
        assert_eq!(w.p50, Duration::from_secs_f64(0.00123));
        assert_eq!(w.p99, Duration::from_secs_f64(0.00085));
        assert_eq!(duration("2.00s"), Some(Duration::from_secs(2)));
    }
}
