//! Power cuts and crashes: the daemon is killed with SIGKILL at many points of sessions and
//! restarted on the same state directory. Every result that had been announced is still
//! there, exactly once and in order, and every session cut short is recorded as interrupted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

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

    fn http(&self, method: &str, path: &str, role: &str, body: Option<Value>) -> (u16, Value) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let ct = if body.is_empty() { String::new() } else { "Content-Type: application/json\r\n".into() };
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: k\r\nConnection: close\r\nAuthorization: Bearer {}\r\n{ct}Content-Length: {}\r\n\r\n{body}",
            self.tokens[role],
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out[9..12].parse().unwrap();
        let json = out.split_once("\r\n\r\n").map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null)).unwrap();
        (status, json)
    }

    fn prompt_is(&self, kind: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, v) = self.http("GET", "/v1/session", "kiosk", None);
            if v["prompt"]["kind"] == kind {
                return v;
            }
            assert!(Instant::now() < deadline, "prompt {kind} not reached: {v}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn results(&self) -> Vec<Value> {
        let (status, v) = self.http("GET", "/v1/results?after=0&limit=1000", "reception", None);
        assert_eq!(status, 200);
        v["results"].as_array().unwrap().clone()
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL: no chance to clean up
        let _ = self.child.wait();
    }
}

/// The steps of a PIN check-in; `stop_at` names where the power goes.
fn session(d: &Daemon, stop_at: &str) -> Option<String> {
    d.http("POST", "/v1/bench/card", "bench", Some(json!({ "profile": "valid" })));
    let id = d.prompt_is("choose_method")["id"].as_str().unwrap().to_string();
    if stop_at == "choose_method" {
        return Some(id);
    }
    d.http("POST", "/v1/session/method", "kiosk", Some(json!({ "method": "pin" })));
    d.prompt_is("enter_pin");
    if stop_at == "enter_pin" {
        return Some(id);
    }
    d.http("POST", "/v1/session/pin", "kiosk", Some(json!({ "pin": "1234" })));
    d.prompt_is("consent");
    if stop_at == "consent" {
        return Some(id);
    }
    d.http("POST", "/v1/session/consent", "kiosk", Some(json!({ "all": true })));
    d.prompt_is("take_card");
    if stop_at == "take_card" {
        return None;
    }
    d.http("DELETE", "/v1/bench/card", "bench", None);
    d.prompt_is("place_card");
    None
}

fn state_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn sigkill_at_every_step_loses_no_announced_result_and_marks_interrupted_sessions() {
    let state = state_dir();
    let mut announced: Vec<(u64, String)> = vec![];
    let mut interrupted: Vec<String> = vec![];
    for stop_at in ["choose_method", "enter_pin", "consent", "take_card", "idle", "consent"] {
        let d = Daemon::start(&state);
        // One complete check-in first: its result is announced before the kill.
        session(&d, "done");
        let cut = if stop_at == "idle" { None } else { session(&d, stop_at) };
        for r in d.results() {
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
        let after = d.results();
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
