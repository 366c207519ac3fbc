//! The performance benchmark (`src/bin/bench.rs`, issue #10): every figure in one run, through
//! the rig's pcscd + vpcd, with the daemon binary as a clinic runs it. Figures only: a missed
//! target is reported, never an error.

pub mod card;
pub mod card_read;
pub mod checkin;
pub mod daemon;
pub mod footprint;
pub mod http;
pub mod load;
pub mod soak;
pub mod stats;
pub mod subscribers;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::rig::{Rig, READER};
use card::Latency;
use daemon::Daemon;
use stats::{ms, Summary};

#[derive(Debug, Clone)]
pub struct Options {
    pub smoke: bool,
    pub latency: Latency,
    /// Certificate reads and check-ins per path.
    pub rounds: usize,
    pub opensc_rounds: usize,
    pub starts: usize,
    pub wrk_seconds: u64,
    pub wrk_connections: usize,
    pub wrk_threads: usize,
    pub subscribers: usize,
    pub sse_checkins: usize,
    /// The cards' latency during the SSE fan-out.
    pub sse_latency: Latency,
    pub bin: PathBuf,
}

/// The SSE fan-out's lines (the full run and `--sse-only`).
fn sse_rows(t: &mut Table, sse: &load::Sse, asked: usize) {
    t.target(
        format!("SSE subscribers served (from {}; every event delivered)", sse.from),
        format!("{} ({} missed)", sse.subscribers, sse.missed),
        format!("{}", asked.max(500)),
        sse.missed == 0 && sse.subscribers >= 500,
    );
    let l = sse.card_latency;
    t.row(
        format!("  {} PIN check-ins meanwhile; the cards' latency per APDU / SIGN", sse.triggers / 3),
        if l == Latency::NONE {
            "none (views back to back)".to_string()
        } else {
            format!("{} / +{} ms", l.apdu.as_millis(), l.sign.as_millis())
        },
        "",
    );
    t.row("  delivery p50 (command sent → session event)", msf(sse.delivery.p50), "");
    t.target("  delivery p99", msf(sse.delivery.p99), "< 10 ms", sse.delivery.p99 < Duration::from_millis(10));
    t.row("  daemon CPU per trigger (all threads, user + kernel)", sse.cpu_per_trigger.map_or("—".into(), msf), "");
    t.row(
        "  the subscribers' client CPU per trigger (this process, same cores)",
        sse.client_cpu_per_trigger.map_or("—".into(), msf),
        "",
    );
    t.row(
        "  last of all subscribers, p50 / max per trigger",
        format!("{} / {}", msf(sse.fan_out.p50), msf(sse.fan_out.max)),
        "",
    );
    for (command, s) in &sse.by_command {
        t.row(format!("  after POST {command}: delivery p50 / p99"), format!("{} / {}", msf(s.p50), msf(s.p99)), "");
    }
}

/// One line of the table: a figure, ours beside the peer's, the target and whether it is met.
struct Row {
    figure: String,
    ours: String,
    peer: String,
    target: String,
    met: Option<bool>,
}

#[derive(Default)]
struct Table {
    rows: Vec<(Option<String>, Row)>,
}

impl Table {
    fn section(&mut self, title: &str) {
        self.rows.push((
            Some(title.into()),
            Row { figure: String::new(), ours: String::new(), peer: String::new(), target: String::new(), met: None },
        ));
    }

    fn row(&mut self, figure: impl Into<String>, ours: impl Into<String>, peer: impl Into<String>) {
        self.rows.push((
            None,
            Row { figure: figure.into(), ours: ours.into(), peer: peer.into(), target: String::new(), met: None },
        ));
    }

    fn target(&mut self, figure: impl Into<String>, ours: impl Into<String>, target: impl Into<String>, met: bool) {
        self.rows.push((
            None,
            Row {
                figure: figure.into(),
                ours: ours.into(),
                peer: String::new(),
                target: target.into(),
                met: Some(met),
            },
        ));
    }

    /// The last row gets the peer's figure too.
    fn peer(&mut self, peer: impl Into<String>) {
        if let Some((_, r)) = self.rows.last_mut() {
            r.peer = peer.into();
        }
    }

    fn targets(&self) -> Vec<Value> {
        let mut section = String::new();
        let mut out = Vec::new();
        for (s, r) in &self.rows {
            if let Some(s) = s {
                section = s.clone();
            }
            if let Some(met) = r.met {
                out.push(
                    json!({"part": section, "figure": r.figure, "measured": r.ours, "target": r.target, "met": met}),
                );
            }
        }
        out
    }

    fn render(&self) -> String {
        let head = ["figure", "ours", "peer (OpenSC)", "target", ""];
        let cells = |r: &Row| {
            let status = match r.met {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "",
            };
            [r.figure.clone(), r.ours.clone(), r.peer.clone(), r.target.clone(), status.to_string()]
        };
        let mut width = head.map(|h| h.chars().count());
        for (s, r) in &self.rows {
            if s.is_none() {
                for (w, c) in width.iter_mut().zip(cells(r)) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let line = |c: [String; 5]| {
            let padded: Vec<String> = c
                .iter()
                .zip(width)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(head.map(String::from));
        out += &line(width.map(|w| "-".repeat(w)));
        for (s, r) in &self.rows {
            match s {
                Some(title) => out += &line([format!("**{title}**"), "".into(), "".into(), "".into(), "".into()]),
                None => out += &line(cells(r)),
            }
        }
        out
    }
}

fn msf(d: Duration) -> String {
    let v = ms(d);
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn p50_p99(s: &Summary) -> String {
    format!("{} / {}", msf(s.p50), msf(s.p99))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("—".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

pub fn machine() -> Value {
    // runs: lscpu nproc uname sh free (machine facts; a missing one leaves its figure empty)
    let cmd = |c: &str, args: &[&str]| {
        Command::new(c).args(args).output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let model: String = cmd("lscpu", &[])
        .and_then(|o| {
            o.lines().find(|l| l.starts_with("Model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().into())
        })
        .unwrap_or_else(|| "?".into());
    json!({
        "cores": cmd("nproc", &[]).unwrap_or_default(),
        "cpu": model,
        "kernel": cmd("uname", &["-sr"]).unwrap_or_default(),
        "memory": cmd("sh", &["-c", "free -h | awk '/Mem:/ {print $2}'"]).unwrap_or_default(),
    })
}

/// Inside `tests/rig/isolated.sh` (its own network namespace) a LAN-side address on `lo` for
/// the SSE subscribers: the daemon admits 256 loopback connections, and hundreds of
/// subscribers are reception PCs on the LAN. Never touches a shared host's network.
fn lan_address() -> Option<std::net::IpAddr> {
    if std::env::var("MYNA_RIG_ISOLATED").as_deref() != Ok("1") {
        return None;
    }
    let ip = std::net::Ipv4Addr::new(10, 87, 87, 1);
    let _ = Command::new("ip").args(["addr", "add", &format!("{ip}/32"), "dev", "lo"]).output();
    let present = Command::new("ip")
        .args(["-4", "addr", "show", "dev", "lo"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&ip.to_string()));
    present.then_some(std::net::IpAddr::V4(ip))
}

/// Part 3's SSE fan-out alone (`--sse-only`): one daemon, the subscribers, `sse_checkins`
/// check-ins. For comparing daemons back to back in seconds; the full run is the record.
pub async fn run_sse(opts: &Options) -> Result<(String, Value), String> {
    let rig = Rig::get().ok_or("the bench needs the rig: bash tests/rig/isolated.sh target/release/bench")?;
    let vpcd = rig.vpcd_addr();
    let machine = machine();
    let lan = lan_address();
    let state = std::env::temp_dir().join(format!("myna-bench-{}", std::process::id()));
    let daemon = tokio::task::block_in_place(|| Daemon::start(&opts.bin, READER, &state, 2048, lan.is_some()))?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sse = load::sse(&daemon, vpcd, opts.subscribers, opts.sse_checkins, opts.sse_latency, lan)
        .await
        .map_err(|e| format!("SSE: {e}\n{}", daemon.log()))?;
    if !tokio::task::block_in_place(|| daemon.stop()) {
        return Err("the daemon did not stop cleanly on SIGTERM".into());
    }
    let mut t = Table::default();
    t.section(&format!(
        "SSE fan-out only ({} cores shared by client and daemon, {} triggers)",
        machine["cores"].as_str().unwrap_or("?"),
        sse.triggers
    ));
    sse_rows(&mut t, &sse, opts.subscribers);
    t.row(format!("RSS with {} SSE subscribers", sse.subscribers), mib(sse.rss_kib), "");
    t.peer("");
    let value = json!({"machine": machine, "sse_only": true, "api_load": {"sse": sse.json()}, "targets": t.targets()});
    Ok((t.render(), value))
}

/// Runs every part; the table and the JSON. `Err` only when something did not work.
pub async fn run(opts: &Options) -> Result<(String, Value), String> {
    let rig = Rig::get().ok_or("the bench needs the rig: bash tests/rig/isolated.sh target/release/bench")?;
    let vpcd = rig.vpcd_addr();
    let machine = machine();
    let mut t = Table::default();
    let lat = opts.latency;
    eprintln!("bench: 1/4 certificate read, ours and OpenSC's");
    let read = tokio::task::block_in_place(|| card_read::run(vpcd, lat, opts.rounds, opts.opensc_rounds));

    let lan = lan_address();
    let state = std::env::temp_dir().join(format!("myna-bench-{}", std::process::id()));
    eprintln!("bench: 4/4 (first) start-to-READY, {} starts", opts.starts);
    let mut ready = Vec::new();
    let mut reader_ready = Vec::new();
    let mut daemon = None;
    for i in 0..opts.starts {
        let d = tokio::task::block_in_place(|| Daemon::start(&opts.bin, READER, &state, 2048, lan.is_some()))?;
        ready.push(d.ready_after);
        if let Some(r) = footprint::reader_ready_after(&d).await {
            reader_ready.push(r);
        }
        if i + 1 == opts.starts {
            daemon = Some(d);
        } else if !tokio::task::block_in_place(|| d.stop()) {
            return Err("the daemon did not stop cleanly on SIGTERM".into());
        }
    }
    let daemon = daemon.ok_or("--starts must be at least 1")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = daemon.status_kib("VmRSS");

    eprintln!("bench: 2/4 check-ins, {} per path", opts.rounds);
    let checkins =
        checkin::run(&daemon, vpcd, lat, opts.rounds).await.map_err(|e| format!("check-in: {e}\n{}", daemon.log()))?;

    eprintln!(
        "bench: 3/4 wrk {} connections {} s, then {} SSE subscribers",
        opts.wrk_connections, opts.wrk_seconds, opts.subscribers
    );
    let wrk =
        tokio::task::block_in_place(|| load::wrk(&daemon, opts.wrk_connections, opts.wrk_threads, opts.wrk_seconds))?;
    let sse = load::sse(&daemon, vpcd, opts.subscribers, opts.sse_checkins, opts.sse_latency, lan)
        .await
        .map_err(|e| format!("SSE: {e}\n{}", daemon.log()))?;
    let peak_rss = daemon.status_kib("VmHWM");
    if !tokio::task::block_in_place(|| daemon.stop()) {
        return Err("the daemon did not stop cleanly on SIGTERM".into());
    }
    let binaries = footprint::binaries(&opts.bin);

    // The table.
    t.section(&format!("1. user-auth certificate through pcscd + vpcd (card: {} ms/APDU)", lat.apdu.as_millis()));
    for m in &read.modes {
        let mode = if m.extended { "extended length" } else { "short APDUs" };
        t.target(
            format!("{mode}: APDUs to read it ({} B)", m.cert_len),
            m.read_apdus.to_string(),
            format!("≤ {}", m.target()),
            m.read_apdus <= m.target(),
        );
        t.row(
            format!("{mode}: APDUs, connect → certificate"),
            m.our_apdus.to_string(),
            m.opensc_apdus.map_or_else(|| m.opensc_error.clone().unwrap_or("—".into()), |n| n.to_string()),
        );
        t.row(
            format!("{mode}: wall time p50 (OpenSC: whole pkcs15-tool run)"),
            card_read::wall(&m.our_wall),
            card_read::wall(&m.opensc_wall),
        );
    }
    t.row("pcscd + vpcd transfer per APDU p50 / p99 (card time taken out)", p50_p99(&read.transfer_quickack), "");
    for c in &checkins {
        t.section(&format!(
            "2. check-in, {} path: card placed → result ({} ms/APDU, +{} ms SIGN, {} APDUs), p50",
            c.path.name(),
            lat.apdu.as_millis(),
            lat.sign.as_millis(),
            c.apdus()
        ));
        t.row("total", msf(c.total().p50), "");
        t.row("pcscd detection (placed → card powered)", msf(c.detection().p50), "");
        t.row("card (APDU round trips at the card, SIGN included)", msf(c.card().p50), "");
        t.row("automated client (event in → request out)", msf(c.client().p50), "");
        let d = c.daemon();
        t.target(
            "daemon's own (p50; max)",
            format!("{}; {}", msf(d.p50), msf(d.max)),
            "< 10 ms",
            d.p50 < Duration::from_millis(10),
        );
        t.row(
            "  of which: card powered → first APDU (pcscd notice, session start, connect)",
            msf(c.reaction().p50),
            "",
        );
        t.row("  of which: between the APDUs of one card operation (pcscd IPC)", msf(c.apdu_gaps().p50), "");
        t.row("  min over the rounds (the floor without other load)", msf(d.min), "");
        let share = c.share_p50() * 100.0;
        t.target("daemon's share of the total", format!("{share:.2} %"), "< 5 %", share < 5.0);
    }
    t.section(&format!(
        "3. API under load (loopback, {} cores shared by client and daemon)",
        machine["cores"].as_str().unwrap_or("?")
    ));
    t.target(
        format!("GET /v1/session, {} connections (wrk -t{} {} s)", wrk.connections, wrk.threads, wrk.seconds),
        format!("{:.0} req/s", wrk.requests_per_sec),
        "≥ 20000 req/s",
        wrk.requests_per_sec >= 20000.0 && wrk.errors.is_empty(),
    );
    t.row("  latency p50", msf(wrk.p50), "");
    t.target("  latency p99", msf(wrk.p99), "< 5 ms", wrk.p99 < Duration::from_millis(5));
    sse_rows(&mut t, &sse, opts.subscribers);
    t.section("4. footprint");
    t.target("idle RSS", mib(idle_rss), "< 16 MiB", idle_rss.is_some_and(|k| k < 16 * 1024));
    t.row(format!("RSS with {} SSE subscribers", sse.subscribers), mib(sse.rss_kib), "");
    t.row("peak RSS of the run (VmHWM)", mib(peak_rss), "");
    let ready_s = Summary::of(&ready);
    t.target(
        "start → READY=1 p50 (reader present)",
        msf(ready_s.p50),
        "< 200 ms",
        ready_s.n > 0 && ready_s.p50 < Duration::from_millis(200),
    );
    t.row("start → /v1/health reader ok, p50", msf(Summary::of(&reader_ready).p50), "");
    for b in &binaries {
        let v = match &b.size {
            Ok(n) => format!("{:.2} MiB", *n as f64 / 1048576.0),
            Err(e) => e.clone(),
        };
        t.row(format!("stripped release binary, {}", b.arch), v, "");
    }
    t.peer("");

    let value = json!({
        "machine": machine,
        "smoke": opts.smoke,
        "card_latency": {"apdu_ms": ms(lat.apdu), "sign_ms": ms(lat.sign)},
        "certificate_read": read.json(),
        "checkin": checkins.iter().map(|c| c.json()).collect::<Vec<_>>(),
        "api_load": {"get_session": wrk.json(), "sse": sse.json()},
        "footprint": {
            "idle_rss_kib": idle_rss,
            "rss_with_subscribers_kib": sse.rss_kib,
            "peak_rss_kib": peak_rss,
            "start_to_ready": ready_s.json(),
            "start_to_reader_ok": Summary::of(&reader_ready).json(),
            "binaries": binaries.iter().map(|b| b.json()).collect::<Vec<_>>(),
        },
        "targets": t.targets(),
    });
    let header = format!(
        "myna-kiosk bench{} — {} cores, {}, {}\n",
        if opts.smoke { " (smoke: few iterations, figures indicative only)" } else { "" },
        machine["cores"].as_str().unwrap_or("?"),
        machine["cpu"].as_str().unwrap_or("?"),
        machine["kernel"].as_str().unwrap_or("?"),
    );
    Ok((header + &t.render(), value))
}
