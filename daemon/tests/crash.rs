//! Power cuts and crashes: the daemon is killed with SIGKILL at many points of sessions and
//! restarted on the same state directory. Every result that had been announced is still
//! there, exactly once and in order, and every session cut short is recorded as interrupted.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use myna_api::backend::Role;
use serde_json::{json, Value};
use support::http::{wait_prompt, Answer, Changes, Http, Socket};

struct Daemon {
    child: Child,
    addr: SocketAddr,
    tokens: HashMap<String, String>,
}

impl Daemon {
    fn start(state: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
            .args(["--log-json", "run", "--mock", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(state)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start myna-kiosk");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("daemon started");
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(listen) = v["fields"]["listen"].as_str() {
                break listen.parse().unwrap();
            }
        };
        let tokens: HashMap<String, String> =
            serde_json::from_str(&std::fs::read_to_string(state.join("tokens.json")).unwrap()).unwrap();
        Daemon { child, addr, tokens }
    }

    fn endpoint(&self) -> Socket {
        Socket::Tcp(self.addr)
    }

    /// One request with `role`'s token.
    async fn call(&self, method: &str, path: &str, role: Role, body: Option<Value>) -> Answer {
        support::http::call(self, method, path, Some(&self.token(role)), body).await
    }

    async fn results(&self) -> Vec<Value> {
        let a = self.call("GET", "/v1/results?after=0&limit=1000", Role::Reception, None).await;
        assert_eq!(a.status, 200);
        a.json()["results"].as_array().unwrap().clone()
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no chance to clean up
        let _ = self.child.wait();
    }
}

/// The tokens `run --mock` wrote to its state directory, the API on TCP.
impl Http for Daemon {
    async fn send(&self, req: Request<Full<Bytes>>) -> Answer {
        self.endpoint().send(req).await
    }

    fn token(&self, role: Role) -> String {
        self.tokens[role.as_str()].clone()
    }

    async fn changes(&self) -> Changes {
        Changes::Events(Box::new(self.endpoint().events(&self.token(Role::Kiosk), None).await))
    }
}

/// The steps of a PIN check-in; `stop_at` names where the power goes.
async fn session(d: &Daemon, stop_at: &str) -> Option<String> {
    d.call("POST", "/v1/bench/card", Role::Bench, Some(json!({ "profile": "valid" }))).await;
    let id = wait_prompt(d, "choose_method").await["id"].as_str().unwrap().to_string();
    if stop_at == "choose_method" {
        return Some(id);
    }
    d.call("POST", "/v1/session/method", Role::Kiosk, Some(json!({ "method": "pin" }))).await;
    wait_prompt(d, "enter_pin").await;
    if stop_at == "enter_pin" {
        return Some(id);
    }
    d.call("POST", "/v1/session/pin", Role::Kiosk, Some(json!({ "pin": "1234" }))).await;
    wait_prompt(d, "consent").await;
    if stop_at == "consent" {
        return Some(id);
    }
    d.call("POST", "/v1/session/consent", Role::Kiosk, Some(json!({ "all": true }))).await;
    wait_prompt(d, "take_card").await;
    if stop_at == "take_card" {
        return None;
    }
    d.call("DELETE", "/v1/bench/card", Role::Bench, None).await;
    wait_prompt(d, "place_card").await;
    None
}

fn state_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_every_step_loses_no_announced_result_and_marks_interrupted_sessions() {
    let state = state_dir();
    let mut announced: Vec<(u64, String)> = vec![];
    let mut interrupted: Vec<String> = vec![];
    for stop_at in ["choose_method", "enter_pin", "consent", "take_card", "idle", "consent"] {
        let d = Daemon::start(&state);
        // One complete check-in first: its result is announced before the kill.
        session(&d, "done").await;
        let cut = if stop_at == "idle" { None } else { session(&d, stop_at).await };
        for r in d.results().await {
            let entry = (r["seq"].as_u64().unwrap(), r["id"].as_str().unwrap().to_string());
            if !announced.contains(&entry) {
                announced.push(entry);
            }
        }
        d.kill();
        if let Some(id) = cut {
            interrupted.push(id);
        }

        let d = Daemon::start(&state);
        let after = d.results().await;
        let seqs: Vec<u64> = after.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{stop_at}: in order: {seqs:?}");
        for (seq, id) in &announced {
            let found: Vec<_> = after.iter().filter(|r| r["id"] == id.as_str()).collect();
            assert_eq!(found.len(), 1, "{stop_at}: {id} exactly once");
            assert_eq!(found[0]["seq"].as_u64(), Some(*seq), "{stop_at}: {id} keeps its seq");
        }
        for id in &interrupted {
            let found: Vec<_> = after.iter().filter(|r| r["id"] == id.as_str()).collect();
            assert_eq!(found.len(), 1, "{stop_at}: interrupted {id} recorded once");
            assert_eq!(found[0]["outcome"], "interrupted", "{stop_at}: never verified");
            assert!(found[0]["auth"].is_null());
        }
        d.kill();
    }
    assert!(announced.len() >= 7 && interrupted.len() == 4, "{announced:?} {interrupted:?}");
}
