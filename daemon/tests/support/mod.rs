//! What the daemon's integration tests share: the driver on the virtual reader ([`driver`]),
//! the one HTTP client ([`http`]), how long to wait ([`wait`]), and the daemon binary as a
//! clinic runs it, driven over its Unix socket.

#![allow(dead_code)] // each test binary uses part of it

pub mod driver;
pub mod http;
pub mod wait;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use myna_api::backend::Role;
use serde_json::Value;

use self::http::{Answer, Changes, Http, Socket};

pub const KIOSK: &str = "kiosk-token-0123456789";
pub const RECEPTION: &str = "reception-token-0123456789";
pub const BENCH: &str = "bench-token-0123456789";
pub const FACE: &str = "face-token-0123456789";
pub const STAFF: &str = "staff-token-0123456789";
/// The test tokens, one per role: the daemon's configurations in these tests and the
/// in-process router ([`http::Router`]) give them out.
pub const EVERY_ROLE: [(&str, Role); 5] = [
    (KIOSK, Role::Kiosk),
    (RECEPTION, Role::Reception),
    (STAFF, Role::Staff),
    (FACE, Role::Face),
    (BENCH, Role::Bench),
];

/// A configuration for the real reader through pcscd: the reader `reader` (exact name), the
/// test CA as trust anchor (and the test card-face CA), kiosk, reception and face tokens, the
/// journal in `{dir}`.
pub fn pcsc_config(reader: &str) -> String {
    let ca = std::env::temp_dir().join(format!("myna-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, myna_virtual_card::test_pki().auth_ca_pem()).unwrap();
    let face_ca = std::env::temp_dir().join(format!("myna-test-face-ca-{}.pem", std::process::id()));
    std::fs::write(&face_ca, myna_virtual_card::test_face_ca_pem()).unwrap();
    let c = format!(
        "[reader]\nname = \"{reader}\"\nexact = true\n\n[api]\nlisten = \"127.0.0.1:0\"\n\n[trust]\nanchors = [\"{}\"]\n\
         card_face_cas = [\"{}\"]\n# The rig's clock is the host's: often unsynchronized in a container.\nclock_sync = false\n\n\
         [journal]\ndir = \"{{dir}}/journal\"\n\n[indicators]\nbackend = \"none\"\n",
        ca.display(),
        face_ca.display()
    );
    c + &tokens_toml(&[(KIOSK, Role::Kiosk), (RECEPTION, Role::Reception), (FACE, Role::Face)])
}

/// `[[api.tokens]]` entries for a daemon's configuration: each token with its one role.
pub fn tokens_toml(tokens: &[(&str, Role)]) -> String {
    let entry = |(token, role): &(&str, Role)| {
        format!("\n[[api.tokens]]\ntoken = \"{token}\"\nroles = [\"{}\"]\n", role.as_str())
    };
    tokens.iter().map(entry).collect()
}

pub struct Daemon {
    child: Child,
    pub socket: PathBuf,
    pub dir: PathBuf,
    pub config: PathBuf,
}

impl Daemon {
    /// A fresh state directory `name`, `config` written to `config.toml` in it (`{dir}` in
    /// the text and in `extra` is replaced by the directory), then `myna-kiosk run --config … --unix …`.
    pub fn start(name: &str, config: &str, extra: &[&str]) -> Daemon {
        let dir = std::env::temp_dir().join(format!("myna-daemon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config_path = dir.join("config.toml");
        std::fs::write(&config_path, config.replace("{dir}", &dir.display().to_string())).unwrap();
        let socket = dir.join("api.sock");
        let log = std::fs::File::create(dir.join("daemon.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
            .args(["run", "--config"])
            .arg(&config_path)
            .arg("--unix")
            .arg(&socket)
            .args(extra.iter().map(|a| a.replace("{dir}", &dir.display().to_string())))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Daemon { child, socket, dir, config: config_path }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Where the daemon listens.
    pub fn endpoint(&self) -> Socket {
        Socket::Unix(self.socket.clone())
    }

    /// One request: the status and the JSON body (`null` when there is none).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        http::call_json(self, method, path, token, body).await
    }

    /// Subscribes to `/v1/events`; everything the stream delivers is added to the text the
    /// receiver sees (and can wait on) until the task is aborted.
    pub async fn sse(&self, token: &str) -> (tokio::sync::watch::Receiver<String>, tokio::task::JoinHandle<()>) {
        let mut stream = self.endpoint().events(token, None).await;
        let (seen, text) = tokio::sync::watch::channel(String::new());
        let task = tokio::spawn(async move {
            while let Some(piece) = stream.read_more().await {
                seen.send_modify(|t| t.push_str(&piece));
            }
        });
        (text, task)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Looks at `GET path` until `ok` holds for it (for what no event announces: health, a
    /// reloaded token), for [`wait::WAIT`] at most.
    pub async fn wait_until(
        &self,
        what: &str,
        mut ok: impl FnMut(&Value) -> bool,
        path: &str,
        token: Option<&str>,
    ) -> Value {
        let look = move || async move {
            if self.socket.exists() {
                Some(self.call("GET", path, token, None).await.1)
            } else {
                None
            }
        };
        let seen = wait::poll_until(look, |v| v.as_ref().is_some_and(&mut ok)).await;
        seen.ok().flatten().unwrap_or_else(|| panic!("timed out waiting for {what}; daemon log:\n{}", self.log()))
    }

    pub async fn wait_prompt(&self, kind: &str) -> Value {
        http::wait_prompt(self, kind).await
    }

    /// SIGTERM; the daemon must exit cleanly. Returns its log and removes its directory.
    pub fn stop(self) -> String {
        let dir = self.dir.clone();
        let log = self.stop_keeping_dir();
        let _ = std::fs::remove_dir_all(&dir);
        log
    }

    /// SIGTERM and a clean exit; the state directory stays for inspection.
    pub fn stop_keeping_dir(mut self) -> String {
        self.signal("-TERM");
        let status = self.child.wait().unwrap();
        let log = self.log();
        assert!(status.success(), "the daemon stops cleanly on SIGTERM: {status:?}\n{log}");
        log
    }
}

impl Http for Daemon {
    async fn send(&self, req: hyper::Request<Full<Bytes>>) -> Answer {
        self.endpoint().send(req).await
    }

    fn token(&self, role: Role) -> String {
        EVERY_ROLE.iter().find(|(_, r)| *r == role).map(|(t, _)| t.to_string()).unwrap()
    }

    /// The kiosk's `/v1/events`: a session event for every change.
    async fn changes(&self) -> Changes {
        Changes::Events(Box::new(self.endpoint().events(KIOSK, None).await))
    }

    fn context(&self) -> String {
        format!("daemon log:\n{}", self.log())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Answers every prompt at once as a patient (and face module) would, until a new result
/// with `seq > after` exists. Returns it. Looks again whenever the session changes (a session or
/// result event on the kiosk's stream), for 30 s at most.
pub async fn check_in(d: &Daemon, method: &str, after: u64) -> Value {
    let mut changes = d.changes().await;
    let results = format!("/v1/results?after={after}");
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let (_, page) = d.call("GET", &results, Some(RECEPTION), None).await;
            if let Some(r) = page["results"].as_array().and_then(|r| r.first()) {
                return r.clone();
            }
            let (_, v) = d.call("GET", "/v1/session", Some(KIOSK), None).await;
            let answer = match v["prompt"]["kind"].as_str() {
                Some("choose_method") => Some(("/v1/session/method", KIOSK, serde_json::json!({ "method": method }))),
                Some("enter_pin") => Some(("/v1/session/pin", KIOSK, serde_json::json!({ "pin": "1234" }))),
                Some("face_check") => {
                    let (status, _) = d
                        .call(
                            "POST",
                            "/v1/session/face/reference",
                            Some(FACE),
                            Some(serde_json::json!({ "collation_b": myna_virtual_card::DEFAULT_COLLATION_B })),
                        )
                        .await;
                    (status == 200).then(|| {
                        ("/v1/session/face/verdict", FACE, serde_json::json!({ "matched": true, "score": 0.97 }))
                    })
                }
                Some("consent") => Some(("/v1/session/consent", KIOSK, serde_json::json!({ "all": true }))),
                _ => None,
            };
            if let Some((path, token, body)) = answer {
                // Refusals are expected when the card vanished between our look and our answer:
                // the session moved on, and that change is what we wait for next.
                d.call("POST", path, Some(token), Some(body)).await;
            }
            changes.next().await;
        }
    })
    .await;
    ended.unwrap_or_else(|_| panic!("the session never ended; log:\n{}", d.log()))
}
