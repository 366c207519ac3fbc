//! Part 2: whole check-ins through pcscd + vpcd, the daemon on the real PC/SC backend, a kiosk
//! screen (and face module) answering every prompt at once, split into pcscd's detection, the
//! card's time, the automated client's time and the daemon's own time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::card::{self, Latency};
use super::daemon::{Daemon, FACE, KIOSK, RECEPTION};
use super::http::{self, Client, Endpoint, Error, Event, Sink};
use super::stats::{covered, ms, Span, Summary};
use myna_virtual_card::vpcd::MessageKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Pin,
    Face,
}

impl Path {
    pub fn name(self) -> &'static str {
        match self {
            Path::Pin => "pin",
            Path::Face => "face",
        }
    }
}

/// One check-in, card placed to `result` event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Round {
    pub total: Duration,
    /// Card placed → pcscd powered it (its ATR read): pcscd's polling of the reader.
    pub detection: Duration,
    /// ATR → first APDU: pcscd telling the daemon, the session start (journal), the connect.
    /// Part of `daemon`.
    pub reaction: Duration,
    /// Sum of the card's APDU times (processing and latency model, SIGN included).
    pub card: Duration,
    /// The automated client between an event arriving and its request leaving.
    pub client: Duration,
    /// Everything else: see README "Performance".
    pub daemon: Duration,
    /// Part of `daemon`: between two APDUs of one card operation (no client request between
    /// them): pcscd's IPC and vpcd both ways, and the daemon's code between the APDUs.
    pub apdu_gaps: Duration,
    pub apdus: usize,
}

#[derive(Debug, Clone)]
pub struct PathReport {
    pub path: Path,
    pub rounds: Vec<Round>,
}

impl PathReport {
    fn pick(&self, f: impl Fn(&Round) -> Duration) -> Summary {
        Summary::of(&self.rounds.iter().map(f).collect::<Vec<_>>())
    }
    pub fn total(&self) -> Summary {
        self.pick(|r| r.total)
    }
    pub fn detection(&self) -> Summary {
        self.pick(|r| r.detection)
    }
    pub fn reaction(&self) -> Summary {
        self.pick(|r| r.reaction)
    }
    pub fn card(&self) -> Summary {
        self.pick(|r| r.card)
    }
    pub fn client(&self) -> Summary {
        self.pick(|r| r.client)
    }
    pub fn daemon(&self) -> Summary {
        self.pick(|r| r.daemon)
    }
    pub fn apdu_gaps(&self) -> Summary {
        self.pick(|r| r.apdu_gaps)
    }
    /// The daemon's share of the total, per round; its median.
    pub fn share_p50(&self) -> f64 {
        let mut s: Vec<f64> =
            self.rounds.iter().map(|r| r.daemon.as_secs_f64() / r.total.as_secs_f64().max(1e-9)).collect();
        s.sort_by(f64::total_cmp);
        s.get(s.len().saturating_sub(1) / 2).copied().unwrap_or(0.0)
    }
    pub fn apdus(&self) -> usize {
        self.rounds.last().map_or(0, |r| r.apdus)
    }

    pub fn json(&self) -> Value {
        json!({
            "path": self.path.name(),
            "apdus": self.apdus(),
            "total": self.total().json(),
            "pcscd_detection": self.detection().json(),
            "card": self.card().json(),
            "client": self.client().json(),
            "daemon_own": self.daemon().json(),
            "daemon_own_of_which_card_powered_to_first_apdu": self.reaction().json(),
            "daemon_own_of_which_between_apdus": self.apdu_gaps().json(),
            "daemon_share_p50_percent": (self.share_p50() * 1e4).round() / 1e2,
            "rounds_ms": self.rounds.iter().map(|r| json!({
                "total": ms(r.total), "detection": ms(r.detection), "card": ms(r.card),
                "client": ms(r.client), "daemon": ms(r.daemon), "reaction": ms(r.reaction),
                "between_apdus": ms(r.apdu_gaps),
            })).collect::<Vec<_>>(),
        })
    }
}

/// The kiosk screen and face module, reacting to the daemon's events.
pub struct Patient {
    endpoint: Endpoint,
    events: mpsc::UnboundedReceiver<Event>,
    kiosk: Client,
    face: Client,
    _stream: tokio::task::JoinHandle<()>,
}

/// Before each command the patient may wait for something (the SSE bench waits until every
/// subscriber has the previous event) and note when the command left.
pub struct Triggers {
    pub quiet: Arc<AtomicUsize>,
    /// When each command left, and which (its path).
    pub stamps: Vec<(Instant, &'static str)>,
}

impl Patient {
    pub async fn connect(endpoint: Endpoint) -> Result<Patient, Error> {
        let (sink, events) = Sink::events();
        // The stream reception follows: session views and the result events, which (health
        // data) only reception receives.
        let stream = http::subscribe(&endpoint, RECEPTION, sink).await?;
        Ok(Patient {
            kiosk: Client::new(endpoint.clone(), KIOSK),
            face: Client::new(endpoint.clone(), FACE),
            endpoint,
            events,
            _stream: stream,
        })
    }

    async fn next(&mut self) -> Result<Event, Error> {
        match tokio::time::timeout(Duration::from_secs(30), self.events.recv()).await {
            Ok(Some(e)) => Ok(e),
            Ok(None) => Err("the event stream ended".into()),
            Err(_) => Err("no event from the daemon within 30 s".into()),
        }
    }

    /// Waits until the session is idle again (`place_card`).
    pub async fn idle(&mut self) -> Result<(), Error> {
        let mut c = Client::new(self.endpoint.clone(), KIOSK);
        let now = c.call("GET", "/v1/session", None).await?.json();
        if now["prompt"]["kind"] == "place_card" {
            while self.events.try_recv().is_ok() {}
            return Ok(());
        }
        loop {
            if self.next().await?.prompt().as_deref() == Some("place_card") {
                return Ok(());
            }
        }
    }

    /// Answers every prompt of one session at once until its `result` event; returns when it
    /// arrived and the client's own time (event in → request out), as spans.
    pub async fn check_in(
        &mut self,
        path: Path,
        mut triggers: Option<&mut Triggers>,
    ) -> Result<(Instant, Vec<Span>), Error> {
        let mut done: Vec<String> = Vec::new();
        let mut own = Vec::new();
        loop {
            let ev = self.next().await?;
            if ev.name == "result" {
                let outcome = ev.json()["outcome"].as_str().unwrap_or("?").to_string();
                if outcome != "verified" {
                    return Err(format!("check-in ended {outcome}: {}", ev.data).into());
                }
                return Ok((ev.at, own));
            }
            let Some(prompt) = ev.prompt() else { continue };
            let session = ev.json()["id"].as_str().map(str::to_string);
            if done.contains(&prompt) {
                continue;
            }
            let (client, role_path, body) = match (prompt.as_str(), path) {
                ("choose_method", _) => (0, "/v1/session/method", json!({"method": path.name()})),
                ("enter_pin", _) => (0, "/v1/session/pin", json!({"pin": "1234", "confirm_last_try": false})),
                ("face_check", _) => (1, "/v1/session/face/reference", json!({"collation_b": "55010120341234"})),
                ("consent", _) => (0, "/v1/session/consent", json!({"all": true})),
                _ => continue,
            };
            done.push(prompt.clone());
            if let Some(t) = triggers.as_deref_mut() {
                wait_quiet(&t.quiet).await;
            }
            let start = Instant::now();
            own.push(Span::new(ev.at, start));
            if let Some(t) = triggers.as_deref_mut() {
                t.stamps.push((start, role_path));
            }
            let who = if client == 0 { &mut self.kiosk } else { &mut self.face };
            let answer = who.call_for(session.as_deref(), "POST", role_path, Some(body)).await?;
            if answer.status != 200 {
                return Err(format!("POST {role_path}: HTTP {} {:?}", answer.status, answer.body).into());
            }
            if prompt == "face_check" {
                // The photo is in hand: the module "compares" at once.
                let start = Instant::now();
                own.push(Span::new(self.face.calls.last().map_or(start, |c| c.to), start));
                let v = self
                    .face
                    .call_for(
                        session.as_deref(),
                        "POST",
                        "/v1/session/face/verdict",
                        Some(json!({"matched": true, "score": 0.97})),
                    )
                    .await?;
                if v.status != 200 {
                    return Err(format!("POST face/verdict: HTTP {}", v.status).into());
                }
            }
        }
    }
}

/// Until no SSE chunk arrived for 30 ms (every subscriber has the previous event).
pub async fn wait_quiet(counter: &AtomicUsize) {
    let mut last = counter.load(Ordering::Relaxed);
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let now = counter.load(Ordering::Relaxed);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= Duration::from_millis(30) {
            return;
        }
    }
}

/// `rounds` check-ins per path with the card's latency model.
pub async fn run(daemon: &Daemon, vpcd: SocketAddr, latency: Latency, rounds: usize) -> Result<Vec<PathReport>, Error> {
    let mut patient = Patient::connect(daemon.tcp()).await?;
    let mut reports = Vec::new();
    let mut serial = 0x3000;
    for path in [Path::Pin, Path::Face] {
        let mut report = PathReport { path, rounds: Vec::new() };
        for _ in 0..rounds {
            patient.idle().await?;
            serial += 1;
            let placed = tokio::task::block_in_place(|| card::place(vpcd, card::card(latency, true, serial)));
            let t0 = placed.inserted_at();
            let timeline = placed.timeline();
            let outcome = patient.check_in(path, None).await;
            tokio::task::block_in_place(|| card::lift(placed));
            let (end, client_spans) = outcome?;
            report.rounds.push(split(t0, end, &timeline.exchanges(), &client_spans));
        }
        reports.push(report);
    }
    patient.idle().await?;
    Ok(reports)
}

/// Splits card placed (`t0`) → result event (`end`).
fn split(t0: Instant, end: Instant, exchanges: &[myna_virtual_card::vpcd::Exchange], client: &[Span]) -> Round {
    let within: Vec<_> = exchanges.iter().filter(|e| e.received < end).collect();
    let first_apdu = within.iter().position(|e| e.is_apdu());
    let powered = match first_apdu {
        Some(i) => within[..i].iter().rev().find(|e| matches!(e.kind, MessageKind::Control(_))).map(|e| e.answered),
        None => None,
    };
    let first_apdu_at = first_apdu.map_or(end, |i| within[i].received);
    let detected = powered.unwrap_or(first_apdu_at).max(t0);
    let card_spans: Vec<Span> =
        within.iter().filter(|e| e.is_apdu()).map(|e| Span::new(e.received, e.answered.min(end))).collect();
    let busy: Vec<Span> = card_spans.iter().chain(client).copied().collect();
    let total = end.saturating_duration_since(t0);
    let detection = detected - t0;
    let after_detection = Span::new(detected, end);
    let daemon = after_detection.len().saturating_sub(covered(&busy, after_detection));
    let apdu_gaps = card_spans
        .windows(2)
        .filter(|w| !client.iter().any(|c| c.from >= w[0].to && c.from < w[1].from))
        .map(|w| w[1].from.saturating_duration_since(w[0].to))
        .sum();
    Round {
        apdu_gaps,
        total,
        detection,
        reaction: first_apdu_at.saturating_duration_since(detected),
        card: card_spans.iter().map(Span::len).sum(),
        client: client.iter().map(Span::len).sum(),
        daemon,
        apdus: card_spans.len(),
    }
}
