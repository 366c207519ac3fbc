//! A mock kiosk: `myna-kiosk run --mock` on a random port with its own state directory and the
//! tokens of [`super`], restartable on the same journal; and a patient who checks in there.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use myna_bridge::net::{Endpoint, TlsTrust};
use serde_json::{json, Value};

use super::{BENCH, KIOSK, RECEPTION};

/// The daemon binary. Cargo builds it for the daemon's own tests only, so it is looked for
/// beside this test's target directory (a `cargo test --workspace` run builds it first), or at
/// `MYNA_KIOSK_BIN`.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MYNA_KIOSK_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(Path::parent).unwrap().join(format!("myna-kiosk{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is missing: build it first (cargo build -p myna-kiosk)", path.display());
    path
}

pub struct Kiosk {
    child: Child,
    pub addr: SocketAddr,
    pub state: PathBuf,
    extra: Vec<String>,
    /// Set when the kiosk serves TLS: how the test's own calls trust it.
    tls: Option<TlsTrust>,
}

impl Kiosk {
    /// A kiosk on `state` (created if new), plain HTTP.
    pub fn start(state: &Path) -> Kiosk {
        Kiosk::start_with(state, &[], None)
    }

    /// A kiosk serving TLS with the PEM files `cert` and `key`; the test's calls trust `trust`.
    pub fn start_tls(state: &Path, cert: &Path, key: &Path, trust: TlsTrust) -> Kiosk {
        let extra =
            ["--tls-cert".to_string(), cert.display().to_string(), "--tls-key".into(), key.display().to_string()];
        Kiosk::start_with(state, &extra, Some(trust))
    }

    fn start_with(state: &Path, extra: &[String], tls: Option<TlsTrust>) -> Kiosk {
        std::fs::create_dir_all(state).unwrap();
        let config = state.join("config.toml");
        let tokens = [(KIOSK, "kiosk"), (RECEPTION, "reception"), (BENCH, "bench")];
        let toml: String =
            tokens.iter().map(|(t, r)| format!("[[api.tokens]]\ntoken = \"{t}\"\nroles = [\"{r}\"]\n\n")).collect();
        std::fs::write(&config, toml).unwrap();
        let mut child = Command::new(binary())
            .args(["--log-json", "run", "--mock", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--state-dir")
            .arg(state)
            .args(extra)
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
            let line = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the kiosk started");
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(listen) = v["fields"]["listen"].as_str() {
                break listen.parse().unwrap();
            }
        };
        Kiosk { child, addr, state: state.to_path_buf(), extra: extra.to_vec(), tls }
    }

    /// SIGKILL (a power cut), then a new start on the same journal (on another port).
    pub fn restart(mut self) -> Kiosk {
        self.child.kill().unwrap();
        let _ = self.child.wait();
        Kiosk::start_with(&self.state.clone(), &self.extra.clone(), self.tls.clone())
    }

    /// One request straight to the kiosk (not through a proxy): status and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> (u16, Value) {
        let endpoint = match &self.tls {
            Some(trust) => Endpoint::parse(&format!("https://{}", self.addr), trust.clone()).unwrap(),
            None => Endpoint::parse(&format!("http://{}", self.addr), TlsTrust::default()).unwrap(),
        };
        let mut req = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
        if let Some(id) = if_match {
            req = req.header("if-match", format!("\"{id}\""));
        }
        let bytes = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Bytes::from(v.to_string())
            }
            None => Bytes::new(),
        };
        let answer = endpoint.send(req.body(Full::new(bytes)).unwrap()).await.unwrap();
        let status = answer.status().as_u16();
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        (status, value)
    }

    /// Every result the kiosk holds.
    pub async fn results(&self) -> Vec<Value> {
        let (status, page) = self.call("GET", "/v1/results?after=0&limit=1000", RECEPTION, None, None).await;
        assert_eq!(status, 200, "{page}");
        page["results"].as_array().unwrap().clone()
    }

    /// `myna_results_unacknowledged` from `/metrics`.
    pub async fn unacknowledged(&self) -> u64 {
        let (status, text) = self.call("GET", "/metrics", RECEPTION, None, None).await;
        assert_eq!(status, 200);
        let text = text.as_str().unwrap_or_default().to_string();
        let line = text.lines().find(|l| l.starts_with("myna_results_unacknowledged ")).expect("the gauge");
        line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64
    }

    /// How many results are acknowledged (never more than the truth: the results are counted
    /// before the unacknowledged ones, so a result finishing in between is not taken for an ack).
    pub async fn acknowledged(&self) -> u64 {
        let all = self.results().await.len() as u64;
        all.saturating_sub(self.unacknowledged().await)
    }

    /// Waits until the session shows `kind`; returns the session's id.
    async fn prompt(&self, kind: &str) -> String {
        super::until(&format!("prompt {kind}"), || async {
            let (_, v) = self.call("GET", "/v1/session", KIOSK, None, None).await;
            (v["prompt"]["kind"] == kind).then(|| v["id"].as_str().unwrap_or_default().to_string())
        })
        .await
    }

    /// A patient taps the card and stops there (the session is left in progress).
    pub async fn tap(&self) -> String {
        let (status, v) = self.call("POST", "/v1/bench/card", BENCH, Some(json!({ "profile": "valid" })), None).await;
        assert_eq!(status, 200, "{v}");
        self.prompt("choose_method").await
    }

    /// A whole PIN check-in, card taken away at the end.
    pub async fn check_in(&self) {
        let id = self.tap().await;
        let id = Some(id.as_str());
        let step = |path: &'static str, body: Value| async move {
            let (status, v) = self.call("POST", path, KIOSK, Some(body), id).await;
            assert_eq!(status, 200, "{path}: {v}");
        };
        step("/v1/session/method", json!({ "method": "pin" })).await;
        self.prompt("enter_pin").await;
        step("/v1/session/pin", json!({ "pin": "1234" })).await;
        self.prompt("consent").await;
        step("/v1/session/consent", json!({ "all": true })).await;
        self.prompt("take_card").await;
        self.call("DELETE", "/v1/bench/card", BENCH, None, None).await;
        self.prompt("place_card").await;
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
