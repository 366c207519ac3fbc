//! Part 4: start-to-READY, memory, and the stripped binary's size.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::daemon::Daemon;
use super::http::Client;

/// The daemon's `/v1/health` says its reader is found: from spawn, given READY's time.
pub async fn reader_ready_after(daemon: &Daemon) -> Option<Duration> {
    let mut c = Client::new(daemon.unix(), "");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(a) = c.call("GET", "/v1/health", None).await {
            if a.json()["reader"].as_str().is_some_and(|r| r.starts_with("ok")) {
                return Some(daemon.spawned.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

#[derive(Debug, Clone)]
pub struct Binary {
    pub arch: &'static str,
    pub path: String,
    /// Stripped size in bytes, or why there is none.
    pub size: Result<u64, String>,
}

impl Binary {
    pub fn json(&self) -> Value {
        match &self.size {
            Ok(b) => json!({"arch": self.arch, "path": self.path, "stripped_bytes": b}),
            Err(e) => json!({"arch": self.arch, "path": self.path, "stripped_bytes": null, "note": e}),
        }
    }
}

/// A stripped copy's size (the release profile strips symbols already; `strip` takes what is
/// left, as a package build would).
fn stripped(arch: &'static str, bin: &Path, strip: &str, missing: &str) -> Binary {
    let path = bin.display().to_string();
    if !bin.exists() {
        return Binary { arch, path, size: Err(missing.into()) };
    }
    let out = std::env::temp_dir().join(format!("myna-bench-{arch}-{}", std::process::id()));
    // runs: strip aarch64-linux-gnu-strip
    let size = match Command::new(strip).arg("-o").arg(&out).arg(bin).status() {
        Ok(s) if s.success() => std::fs::metadata(&out).map(|m| m.len()).map_err(|e| e.to_string()),
        Ok(s) => Err(format!("{strip} failed ({s})")),
        Err(e) => Err(format!("{strip}: {e}")),
    };
    let _ = std::fs::remove_file(&out);
    Binary { arch, path, size }
}

/// amd64 (this build) and arm64 (the cross build, if it was made).
pub fn binaries(amd64: &Path) -> Vec<Binary> {
    let target = amd64.parent().and_then(Path::parent).unwrap_or(Path::new("target"));
    let arm64 = target.join("aarch64-unknown-linux-gnu/release/myna-kiosk");
    vec![
        stripped("amd64", amd64, "strip", "not built (cargo build --release -p myna-kiosk)"),
        stripped("arm64", &arm64, "aarch64-linux-gnu-strip", "not built (run bash tests/cross-build.sh)"),
    ]
}
