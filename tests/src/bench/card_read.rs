//! Part 1: the user-auth certificate read through pcscd + vpcd, by our JPKI client and by
//! OpenSC (`pkcs15-tool --read-certificate 01`, its own JPKI driver) on the same card.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::rig::{self, READER};
use base64::Engine as _;
use myna_card::jpki::{CertSlot, JpkiClient};
use myna_card::transport::CardTransport;
use myna_pcsc::PcscConnection;
use myna_virtual_card::vpcd::VpcdCard;
use myna_virtual_card::ApduLog;
use serde_json::{json, Value};

use super::card::{self, Latency};
use super::stats::{ms, Summary};

const SELECT_JPKI: [u8; 15] =
    [0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

/// One way of reading (extended length or short APDUs), ours and OpenSC's.
#[derive(Debug, Clone)]
pub struct Mode {
    pub extended: bool,
    pub cert_len: usize,
    /// `read_certificate` alone: SELECT EF and READ BINARY (what the target counts).
    pub read_apdus: usize,
    /// Connect → certificate in hand: identify, then the read.
    pub our_apdus: usize,
    pub our_wall: Summary,
    pub opensc_apdus: Option<usize>,
    pub opensc_wall: Summary,
    pub opensc_same_cert: Option<bool>,
    pub opensc_error: Option<String>,
}

impl Mode {
    /// 2 + ceil(size/256) with short APDUs (one refused extended attempt, SELECT EF, the
    /// reads), 3 with extended length.
    pub fn target(&self) -> usize {
        if self.extended {
            3
        } else {
            2 + self.cert_len.div_ceil(256)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub modes: Vec<Mode>,
    pub opensc_version: String,
    /// One APDU's trip through pcscd and vpcd, the card's own time taken out.
    pub transfer_quickack: Summary,
    pub transfer_no_quickack: Summary,
}

impl Report {
    pub fn json(&self) -> Value {
        json!({
            "opensc_version": self.opensc_version,
            "modes": self.modes.iter().map(|m| json!({
                "extended_length": m.extended,
                "certificate_bytes": m.cert_len,
                "read_apdus": m.read_apdus,
                "read_apdus_target_max": m.target(),
                "ours": { "apdus": m.our_apdus, "wall": m.our_wall.json() },
                "opensc": {
                    "apdus": m.opensc_apdus,
                    "wall_incl_process_start": m.opensc_wall.json(),
                    "same_certificate": m.opensc_same_cert,
                    "error": m.opensc_error,
                },
            })).collect::<Vec<_>>(),
            "pcsc_transfer_per_apdu": {
                "tcp_quickack_on": self.transfer_quickack.json(),
                "tcp_quickack_off": self.transfer_no_quickack.json(),
            },
        })
    }
}

pub fn run(vpcd: SocketAddr, latency: Latency, rounds: usize, opensc_rounds: usize) -> Report {
    let mut modes = Vec::new();
    for extended in [true, false] {
        let card = card::card(latency, extended, 0x2000);
        let log = card.log();
        let placed = card::place(vpcd, card);
        card::poll(|| rig::card_present() == Some(true), Duration::from_secs(5));
        modes.push(measure(&log, extended, rounds, opensc_rounds));
        card::lift(placed);
    }
    let transfer_quickack = transfer(vpcd, true, rounds * 10);
    let transfer_no_quickack = transfer(vpcd, false, rounds.clamp(2, 5));
    Report { modes, opensc_version: opensc_version(), transfer_quickack, transfer_no_quickack }
}

/// APDUs are counted on the card's own log, cleared before each read.
fn measure(log: &ApduLog, extended: bool, rounds: usize, opensc_rounds: usize) -> Mode {
    let mut walls = Vec::new();
    let (mut read_apdus, mut our_apdus, mut der) = (0, 0, Vec::new());
    let mut tries = 0;
    while walls.len() < rounds {
        tries += 1;
        log.clear();
        let t = Instant::now();
        let mut client = JpkiClient::new(PcscConnection::open(READER).expect("connecting to the card"));
        client.identify().expect("identify");
        let before = client.apdu_count();
        der = client.read_certificate(CertSlot::UserAuth).expect("reading the certificate");
        read_apdus = client.apdu_count() - before;
        let sent = client.apdu_count();
        drop(client);
        let wall = t.elapsed();
        our_apdus = log.len();
        // Another engineer's client on the shared reader would add APDUs: measure again.
        if our_apdus == sent || tries > rounds * 3 {
            walls.push(wall);
        }
    }
    let mut opensc_walls = Vec::new();
    let (mut opensc_apdus, mut same, mut error) = (None, None, None);
    for _ in 0..opensc_rounds {
        log.clear();
        let t = Instant::now();
        let out = Command::new("pkcs15-tool").args(["--reader", "0", "--read-certificate", "01"]).output();
        let wall = t.elapsed();
        match out {
            Ok(o) if o.status.success() => {
                opensc_walls.push(wall);
                opensc_apdus = Some(log.len());
                same = Some(pem_der(&String::from_utf8_lossy(&o.stdout)).is_some_and(|d| d == der));
            }
            Ok(o) => {
                error = Some(format!("pkcs15-tool: {}", String::from_utf8_lossy(&o.stderr).trim()));
                break;
            }
            Err(e) => {
                error = Some(format!("pkcs15-tool: {e} (apt-get install opensc)"));
                break;
            }
        }
    }
    Mode {
        extended,
        cert_len: der.len(),
        read_apdus,
        our_apdus,
        our_wall: Summary::of(&walls),
        opensc_apdus,
        opensc_wall: Summary::of(&opensc_walls),
        opensc_same_cert: same,
        opensc_error: error,
    }
}

fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body = pem.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END CERTIFICATE-----").next()?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// One APDU's round trip as a PC/SC client sees it, minus the card's own time: what pcscd,
/// the vpcd driver and the TCP hop cost per APDU (a card without latency model).
fn transfer(vpcd: SocketAddr, quickack: bool, n: usize) -> Summary {
    let mut placed = None;
    for _ in 0..5 {
        let p = VpcdCard::insert_with(vpcd, card::card(Latency::NONE, true, 0x2100), quickack).expect("vpcd");
        let timeline = p.timeline();
        if card::poll(|| !timeline.exchanges().is_empty(), Duration::from_secs(3)) {
            placed = Some(p);
            break;
        }
        p.remove();
        std::thread::sleep(Duration::from_millis(500));
    }
    let placed = placed.expect("pcscd never saw the bench's card");
    card::poll(|| rig::card_present() == Some(true), Duration::from_secs(5));
    let timeline = placed.timeline();
    let mut conn = PcscConnection::open(READER).expect("connecting to the card");
    let mut samples = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        conn.transmit(&SELECT_JPKI).expect("SELECT");
        let rtt = t.elapsed();
        let card = timeline.exchanges().iter().rev().find(|e| e.is_apdu() && e.received >= t).map(|e| e.card_time());
        samples.push(rtt.saturating_sub(card.unwrap_or_default()));
    }
    drop(conn);
    card::lift(placed);
    Summary::of(&samples)
}

fn opensc_version() -> String {
    let out = Command::new("opensc-tool").arg("--info").output();
    out.ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout).lines().next().map(|l| l.split(" [").next().unwrap_or(l).into())
        })
        .unwrap_or_else(|| "OpenSC (not installed)".into())
}

/// For the table: "52.1 ms".
pub fn wall(s: &Summary) -> String {
    if s.n == 0 {
        "—".into()
    } else {
        format!("{:.1} ms", ms(s.p50))
    }
}
