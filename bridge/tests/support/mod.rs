//! What the bridge's tests drive: mock kiosks (`myna-kiosk run --mock` processes), a TCP
//! proxy in front of each that can cut the network, a webhook that can fail, and the bridge
//! binary itself.

#![allow(dead_code)] // each test binary uses part of it

pub mod kiosk;
pub mod proxy;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The reception token every test kiosk accepts (the bridge reads it from a file).
pub const RECEPTION: &str = "reception-token-0123456789";
pub const KIOSK: &str = "kiosk-token-0123456789";
pub const BENCH: &str = "bench-token-0123456789";

/// Every wait in these tests ends by this bound: only a hang reaches it.
pub const WAIT: Duration = Duration::from_secs(30);

/// A fresh directory for `name` under the temp dir.
pub fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-bridge-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The reception token in a file only its owner reads, as the bridge requires.
pub fn token_file(dir: &Path) -> PathBuf {
    let path = dir.join("reception.token");
    std::fs::write(&path, format!("{RECEPTION}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

/// A running `myna-bridge`; its log goes to `log`.
pub struct Bridge {
    child: Child,
    pub log: PathBuf,
}

impl Bridge {
    pub fn start(args: &[String], log: &Path) -> Bridge {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_myna-bridge"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start myna-bridge");
        Bridge { child, log: log.to_path_buf() }
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }

    /// Still running (it never exits on its own while a follower goes on).
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM; the bridge must exit 0.
    pub fn stop(mut self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the bridge stops cleanly on SIGTERM: {status:?}\n{}", self.log());
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result files in `out` (names ending in `.json`, in name order; none before it exists).
pub fn result_files(out: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(out) else { return vec![] };
    let mut names: Vec<String> = dir
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Everything in `out` except the bridge's state folder: result files and any leftovers.
pub fn everything_in(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".myna-bridge")
        .collect();
    names.sort();
    names
}

/// Looks with `look` until it returns `Some`, every 50 ms, for [`WAIT`] at most.
pub async fn until<T, F, Fut>(what: &str, mut look: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = look().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
