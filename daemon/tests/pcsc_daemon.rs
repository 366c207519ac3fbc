//! The daemon as a clinic runs it — no `--mock` — with the virtual card on a vpcd reader
//! inside pcscd: a patient checks in with the PIN over the HTTP API, and a missing reader is
//! reported by `/v1/health`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use myna_hal::virtual_card::{test_pki, Profile, VirtualCard};
use myna_kiosk_tests::rig::{Rig, READER};
use serde_json::{json, Value};

const KIOSK: &str = "kiosk-token-0123456789";
const RECEPTION: &str = "reception-token-0123456789";

struct Daemon {
    child: Child,
    socket: PathBuf,
    dir: PathBuf,
}

impl Daemon {
    fn start(name: &str, reader: &str) -> Daemon {
        let dir = std::env::temp_dir().join(format!("myna-pcsc-daemon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("test-ca.pem");
        std::fs::write(&ca, test_pki().auth_ca_pem()).unwrap();
        let config = dir.join("config.toml");
        std::fs::write(
            &config,
            format!(
                r#"[reader]
name = "{reader}"
exact = true

[api]
listen = "127.0.0.1:0"

[[api.tokens]]
token = "{KIOSK}"
roles = ["kiosk"]

[[api.tokens]]
token = "{RECEPTION}"
roles = ["reception"]

[trust]
anchors = ["{}"]

[journal]
dir = "{}"

[indicators]
backend = "none"
"#,
                ca.display(),
                dir.join("journal").display()
            ),
        )
        .unwrap();
        let socket = dir.join("api.sock");
        let log = std::fs::File::create(dir.join("daemon.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
            .args(["run", "--config"])
            .arg(&config)
            .arg("--unix")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Daemon { child, socket, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let stream = tokio::net::UnixStream::connect(&self.socket).await.expect("the daemon's Unix socket");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        let mut req = Request::builder().method(method).uri(path).header("host", "kiosk");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Full::new(Bytes::from(b.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let resp = sender.send_request(req.body(body).unwrap()).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn wait_until(
        &self,
        what: &str,
        mut ok: impl FnMut(&Value) -> bool,
        path: &str,
        token: Option<&str>,
    ) -> Value {
        for _ in 0..300 {
            if self.socket.exists() {
                let (_, v) = self.call("GET", path, token, None).await;
                if ok(&v) {
                    return v;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; daemon log:\n{}", self.log());
    }

    async fn wait_prompt(&self, kind: &str) -> Value {
        self.wait_until(kind, |v| v["prompt"]["kind"] == kind, "/v1/session", Some(KIOSK)).await
    }

    fn stop(mut self) -> String {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let status = self.child.wait().unwrap();
        let log = self.log();
        assert!(status.success(), "the daemon stops cleanly on SIGTERM: {status:?}\n{log}");
        log
    }
}

fn tidy(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_check_in_through_pcscd_and_the_api() {
    let Some(rig) = Rig::get() else { return };
    let daemon = Daemon::start("pin", READER);
    let health = daemon.wait_until("the reader", |v| v["reader"] == format!("ok ({READER})"), "/v1/health", None).await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["mock"], false);

    let card = VirtualCard::new(Profile::Valid);
    let placed = rig.insert(card);
    daemon.wait_prompt("choose_method").await;
    let (status, v) = daemon.call("POST", "/v1/session/method", Some(KIOSK), Some(json!({ "method": "pin" }))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["prompt"]["tries_left"], 3, "the counter read through pcscd");
    let (status, _) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "9999" }))).await;
    assert_eq!(status, 200);
    let v = daemon.wait_until("2 tries left", |v| v["prompt"]["tries_left"] == 2, "/v1/session", Some(KIOSK)).await;
    assert_eq!(v["prompt"]["kind"], "enter_pin");
    let (status, _) = daemon.call("POST", "/v1/session/pin", Some(KIOSK), Some(json!({ "pin": "1234" }))).await;
    assert_eq!(status, 200);
    daemon.wait_prompt("consent").await;
    let (status, _) = daemon
        .call("POST", "/v1/session/consent", Some(KIOSK), Some(json!({ "medication": true, "limit_amount": true })))
        .await;
    assert_eq!(status, 200);
    daemon.wait_prompt("take_card").await;
    let card = rig.remove(placed);
    daemon.wait_prompt("place_card").await;

    let (_, page) = daemon.call("GET", "/v1/results?after=0", Some(RECEPTION), None).await;
    let r = &page["results"][0];
    assert_eq!(r["outcome"], "verified", "{page}");
    assert_eq!(r["auth"]["method"], "pin");
    assert!(r["auth"]["signature"].as_str().is_some_and(|s| s.len() > 300), "the card's signature is in the result");
    assert_eq!(card.pin_tries_left(), Some(3), "the right PIN reset the counter");
    let log = daemon.stop();
    assert!(!log.contains("9999") && !log.contains("1234"), "no PIN in the log");
    tidy(&Path::new(&std::env::temp_dir()).join(format!("myna-pcsc-daemon-pin-{}", std::process::id())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_matching_reader_makes_the_kiosk_unavailable_not_dead() {
    let Some(_rig) = Rig::get() else { return };
    let daemon = Daemon::start("noreader", "Sony FeliCa RC-S300/P");
    let health = daemon
        .wait_until("health", |v| v["reader"].as_str().is_some_and(|r| r.contains("RC-S300")), "/v1/health", None)
        .await;
    assert_eq!(health["status"], "unavailable");
    assert!(health["reader"].as_str().unwrap().starts_with("unavailable: no card reader matching"), "{health}");
    daemon.stop();
    tidy(&Path::new(&std::env::temp_dir()).join(format!("myna-pcsc-daemon-noreader-{}", std::process::id())));
}
