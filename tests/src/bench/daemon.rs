//! The daemon binary as a clinic runs it (no `--mock`): the vpcd reader through pcscd, the
//! test CA as trust anchor, kiosk/reception/face tokens, started with `NOTIFY_SOCKET` pointing
//! at a datagram socket the bench owns so start-to-READY can be timed.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::http::Endpoint;

pub const KIOSK: &str = "bench-kiosk-token-0123456789";
pub const RECEPTION: &str = "bench-reception-token-0123456789";
pub const FACE: &str = "bench-face-token-0123456789";

/// The release binary next to this one (`target/release/myna-kiosk` for a release bench).
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MYNA_KIOSK_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.parent().expect("the bench lives in a directory").join("myna-kiosk")
}

/// `lan`: listen on every address with plain HTTP allowed, so the bench can connect from a
/// LAN-side address as reception PCs do (loopback clients have their own, smaller allowance).
fn config(reader: &str, dir: &Path, port: u16, max_connections: usize, lan: bool) -> String {
    let ca = dir.join("test-ca.pem");
    std::fs::write(&ca, myna_virtual_card::test_pki().auth_ca_pem()).expect("writing the test CA");
    // The face path proves the photo and the chip: the virtual card's card-face CA.
    let face_ca = dir.join("test-face-ca.pem");
    std::fs::write(&face_ca, myna_virtual_card::test_face_ca_pem()).expect("writing the test card-face CA");
    let mut c = format!(
        "[reader]\nname = \"{reader}\"\nexact = true\n\n\
         [api]\nlisten = \"{host}:{port}\"\nallow_plain_http_on_lan = {lan}\nmax_connections = {max_connections}\n\n\
         [trust]\nanchors = [\"{}\"]\ncard_face_cas = [\"{}\"]\n\n\
         [journal]\ndir = \"{}\"\n\n\
         [indicators]\nbackend = \"none\"\n",
        ca.display(),
        face_ca.display(),
        dir.join("journal").display(),
        host = if lan { "0.0.0.0" } else { "127.0.0.1" },
    );
    for (token, role) in [(KIOSK, "kiosk"), (RECEPTION, "reception"), (FACE, "face")] {
        c += &format!("\n[[api.tokens]]\ntoken = \"{token}\"\nroles = [\"{role}\"]\n");
    }
    c
}

/// A free loopback port (the daemon binds it a moment later).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    l.local_addr().expect("its address").port()
}

pub struct Daemon {
    child: Child,
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub port: u16,
    /// From spawn to READY=1 on the notify socket.
    pub ready_after: Duration,
    pub spawned: Instant,
}

impl Daemon {
    /// Starts `myna-kiosk run` in a fresh state directory `dir` and waits for READY=1.
    pub fn start(bin: &Path, reader: &str, dir: &Path, max_connections: usize, lan: bool) -> Result<Daemon, String> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = free_port();
        let config_path = dir.join("config.toml");
        std::fs::write(&config_path, config(reader, dir, port, max_connections, lan)).map_err(|e| e.to_string())?;
        let socket = dir.join("api.sock");
        let notify_path = dir.join("notify.sock");
        let notify = UnixDatagram::bind(&notify_path).map_err(|e| format!("notify socket: {e}"))?;
        notify.set_read_timeout(Some(Duration::from_millis(100))).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("daemon.log")).map_err(|e| e.to_string())?;
        let started = Instant::now();
        // runs: - (the daemon under test)
        let child = Command::new(bin)
            .args(["run", "--config"])
            .arg(&config_path)
            .arg("--unix")
            .arg(&socket)
            .env("NOTIFY_SOCKET", &notify_path)
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{}: {e} (build it: cargo build --release -p myna-kiosk)", bin.display()))?;
        let mut daemon =
            Daemon { child, dir: dir.to_path_buf(), socket, port, ready_after: Duration::ZERO, spawned: started };
        let mut buf = [0u8; 4096];
        loop {
            if let Ok(n) = notify.recv(&mut buf) {
                if String::from_utf8_lossy(&buf[..n]).lines().any(|l| l == "READY=1") {
                    daemon.ready_after = started.elapsed();
                    return Ok(daemon);
                }
            }
            if let Ok(Some(status)) = daemon.child.try_wait() {
                return Err(format!("the daemon exited ({status}) before READY=1:\n{}", daemon.log()));
            }
            if started.elapsed() > Duration::from_secs(15) {
                return Err(format!("no READY=1 within 15 s:\n{}", daemon.log()));
            }
        }
    }

    pub fn unix(&self) -> Endpoint {
        Endpoint::Unix(self.socket.clone())
    }

    /// The API on loopback.
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn tcp(&self) -> Endpoint {
        Endpoint::Tcp(self.addr())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    /// A `/proc/PID/status` figure in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, key: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// SIGTERM and wait; whether the daemon exited cleanly within 10 s.
    pub fn stop(mut self) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let _ = std::fs::remove_dir_all(&self.dir);
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
