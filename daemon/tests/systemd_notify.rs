//! systemd notification as a service manager sees it: READY=1 once the API is up, then regular
//! WATCHDOG=1 pings, which stop when the session driver hangs.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn ready_then_watchdog_pings_that_stop_when_the_driver_hangs() {
    let dir = std::env::temp_dir().join(format!("myna-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock_path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();

    let hang_after = Duration::from_millis(2000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["run", "--mock", "--listen", "127.0.0.1:0", "--test-hang-driver-after"])
        .arg(hang_after.as_secs_f64().to_string())
        .arg("--state-dir")
        .arg(dir.join("state"))
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "400000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut messages: Vec<(Duration, String)> = vec![];
    let mut buf = [0u8; 1024];
    while started.elapsed() < hang_after + Duration::from_millis(2500) {
        if let Ok(n) = sock.recv(&mut buf) {
            messages.push((started.elapsed(), String::from_utf8_lossy(&buf[..n]).to_string()));
        }
    }
    child.kill().unwrap();
    let _ = child.wait();

    let ready = messages.iter().position(|(_, m)| m.lines().any(|l| l == "READY=1")).expect("READY=1 sent");
    assert!(messages[ready].1.contains("STATUS="), "READY comes with a status line");
    let pings: Vec<Duration> =
        messages.iter().filter(|(_, m)| m.lines().any(|l| l == "WATCHDOG=1")).map(|(t, _)| *t).collect();
    let before_hang = pings.iter().filter(|t| **t < hang_after).count();
    assert!(before_hang >= 3, "regular pings while the driver works: {pings:?}");
    // Allow one check period of slack after the hang, then silence.
    let late = pings.iter().filter(|t| **t > hang_after + Duration::from_millis(600)).count();
    assert_eq!(late, 0, "pings continued after the driver hung: {pings:?}");
    assert!(messages.iter().any(|(_, m)| m.contains("STATUS=idle")), "{messages:?}");
}

/// A reload as systemd sees it: RELOADING=1 (with the monotonic clock systemd 253+ wants) when
/// SIGHUP arrives, READY=1 when it is over, whether the file loaded or was refused.
#[test]
fn sighup_sends_reloading_then_ready() {
    let dir = std::env::temp_dir().join(format!("myna-notify-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock_path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "[session]\nconsent_items = [\"medication\"]\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["run", "--mock", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 1024];
    let mut next = |what: &str| -> String {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(n) = sock.recv(&mut buf) {
                let m = String::from_utf8_lossy(&buf[..n]).to_string();
                if m.lines().any(|l| l == what) {
                    return m;
                }
            }
        }
        panic!("no {what} within 10 s");
    };
    next("READY=1");
    let hup = |pid: u32| Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap();
    hup(child.id());
    let reloading = next("RELOADING=1");
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    assert!(next("READY=1").contains("STATUS=configuration reloaded"));
    // A file that no longer loads: refused, and systemd still hears the reload end.
    std::fs::write(&config, "this is not toml\n").unwrap();
    hup(child.id());
    next("RELOADING=1");
    assert!(next("READY=1").contains("STATUS=configuration reload refused"));
    child.kill().unwrap();
    let _ = child.wait();
}
