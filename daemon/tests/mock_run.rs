//! README's first command as a user runs it: the daemon on mock hardware, with the automated
//! patient checking in every virtual card profile through the real async driver.

use std::process::Command;

fn run_autopilot_once() -> Vec<serde_json::Value> {
    let state = std::env::temp_dir().join(format!("myna-mock-run-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["--log-json", "run", "--mock", "--autopilot", "--once", "--tap-interval", "0"])
        .args(["--listen", "127.0.0.1:0", "--state-dir"])
        .arg(&state)
        .env("MYNA_LOG", "info")
        .output()
        .expect("run myna-kiosk");
    assert!(out.status.success(), "exit {:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect()
}

#[test]
fn mock_run_checks_in_every_profile_as_the_kiosk_must() {
    let lines = run_autopilot_once();
    let outcome = |profile: &str| -> (String, String) {
        let f = &lines
            .iter()
            .find(|l| l["fields"]["profile"] == profile && l["fields"]["message"] == "autopilot: check-in finished")
            .unwrap_or_else(|| panic!("no outcome for {profile}"))["fields"];
        let detail = if f["outcome"] == "Verified" { &f["method"] } else { &f["error"] };
        let detail = detail.as_str().unwrap_or_default();
        (f["outcome"].as_str().unwrap().to_string(), detail.to_string())
    };
    let expect = |p: &str, o: &str, d: &str| assert_eq!(outcome(p), (o.to_string(), d.to_string()), "{p}");
    expect("valid", "Verified", "pin");
    expect("expiring-soon", "Verified", "face");
    // The staff check is a fallback: a patient who would like it but whose PIN works gets the PIN.
    expect("grace", "Verified", "pin");
    expect("expired", "Failed", "CERT_EXPIRED");
    expect("pin-locked", "Verified", "visual");
    expect("no-pin", "Verified", "face");
    expect("juki", "Failed", "JUKI_CARD");
    expect("android", "Verified", "pin");
    expect("not-jpki", "Failed", "NOT_MY_NUMBER_CARD");
    let finished = lines.iter().filter(|l| l["fields"]["message"] == "session finished").count();
    assert_eq!(finished, 11, "one durable result per patient");
}

#[test]
fn version_names_the_git_revision() {
    let out = Command::new(env!("CARGO_BIN_EXE_myna-kiosk")).arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("myna-kiosk 0.1.0 (git "), "{text}");
}
