//! API tokens as a clinic configures them: the kiosk screen's token is never one that can do
//! more (check-config and run refuse it), and token files must be private and long enough, at
//! start and on SIGHUP (a refused reload keeps the tokens in force).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::wait::poll_until;
use support::{Daemon, BENCH, KIOSK};

const SECRET: &str = "kiosk-and-reception-0123456789";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-tokens-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn myna(args: &[&str], config: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"));
    c.args(args).arg("--config").arg(config);
    if args[0] == "run" {
        let state = config.with_file_name("state");
        c.arg("--state-dir").arg(state).args(["--listen", "127.0.0.1:0"]);
    }
    // A daemon that starts after all would never end: give it a bound.
    let mut child = c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn write_config(d: &Path, text: &str) -> PathBuf {
    let p = d.join("config.toml");
    // The repository's JPKI CA: check-config loads the anchors, which the package installs elsewhere.
    let anchors = format!("[trust]\nanchors = [\"{}/../jpki-ca/auth_ca_2023.pem\"]\n", env!("CARGO_MANIFEST_DIR"));
    std::fs::write(&p, format!("[indicators]\nbackend = \"none\"\n{anchors}{text}")).unwrap();
    p
}

#[test]
fn a_token_with_the_kiosk_role_and_another_is_refused_by_name_never_by_value() {
    let d = dir("kiosk-plus");
    for (entry, named) in [
        (
            format!(
                "[[api.tokens]]\nname = \"front desk\"\ntoken = \"{SECRET}\"\nroles = [\"kiosk\", \"reception\"]\n"
            ),
            "api.tokens[1] (\"front desk\")",
        ),
        (format!("[[api.tokens]]\ntoken = \"{SECRET}\"\nroles = [\"staff\", \"kiosk\"]\n"), "api.tokens[1]"),
    ] {
        let config = write_config(&d, &format!("[[api.tokens]]\ntoken = \"{KIOSK}\"\nroles = [\"kiosk\"]\n\n{entry}"));
        for args in [&["check-config"][..], &["run", "--mock"][..]] {
            let out = myna(args, &config);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} accepted it: {stderr}");
            assert!(stderr.contains(named), "{args:?} names the token: {stderr}");
            assert!(stderr.contains("kiosk role goes alone"), "{args:?}: {stderr}");
            assert!(!stderr.contains(SECRET) && !String::from_utf8_lossy(&out.stdout).contains(SECRET), "{stderr}");
        }
    }
    // Kiosk alone, and every other role together, are fine.
    let config = write_config(
        &d,
        &format!(
            "[[api.tokens]]\ntoken = \"{KIOSK}\"\nroles = [\"kiosk\"]\n\n[[api.tokens]]\ntoken = \"{SECRET}\"\nroles = [\"reception\", \"staff\", \"face\", \"bench\"]\n"
        ),
    );
    let out = myna(&["check-config"], &config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

fn token_file(d: &Path, name: &str, content: &str, mode: u32) -> PathBuf {
    let p = d.join(name);
    std::fs::write(&p, content).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p
}

fn file_config(kiosk_file: &Path) -> String {
    format!(
        "[[api.tokens]]\nname = \"kiosk screen\"\ntoken_file = \"{}\"\nroles = [\"kiosk\"]\n\n[[api.tokens]]\ntoken = \"{BENCH}\"\nroles = [\"bench\"]\n",
        kiosk_file.display()
    )
}

#[test]
fn token_files_must_be_private_and_long_enough_at_start() {
    let d = dir("files");
    let long = "file-token-0123456789abcdef";
    for (content, mode, why) in [
        (format!("{long}\n"), 0o640, "readable by its group or others (mode 0640)"),
        (format!("{long}\n"), 0o604, "readable by its group or others (mode 0604)"),
        ("short-token\n".to_string(), 0o600, "holds a token of 11 characters: a token has at least 16"),
        ("   \n".to_string(), 0o600, "holds a token of 0 characters"),
    ] {
        let f = token_file(&d, "kiosk.token", &content, mode);
        let config = write_config(&d, &file_config(&f));
        let out = myna(&["run", "--mock"], &config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "started with a {mode:o} file holding {content:?}: {stderr}");
        assert!(stderr.contains(&f.display().to_string()) && stderr.contains(why), "{stderr}");
        assert!(!stderr.contains(long), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_with_a_bad_token_file_keeps_the_tokens_in_force() {
    let d = dir("reload");
    let good = token_file(&d, "kiosk.token", &format!("{KIOSK}\n"), 0o600);
    let daemon = Daemon::start("tokens-reload", &file_config(&good), &["--mock", "--state-dir", "{dir}/state"]);
    daemon.wait_until("health", |v| v["status"] == "ok", "/v1/health", None).await;
    let (status, _) = daemon.call("GET", "/v1/session", Some(KIOSK), None).await;
    assert_eq!(status, 200, "a private token file of 0600 is read");

    for (refusals, (content, mode)) in
        [("new-kiosk-token-0123456789\n", 0o644), ("tiny\n", 0o600)].into_iter().enumerate()
    {
        let bad = token_file(&d, "bad.token", content, mode);
        std::fs::write(&daemon.config, format!("[indicators]\nbackend = \"none\"\n{}", file_config(&bad))).unwrap();
        daemon.signal("-HUP");
        let n = refusals + 1;
        let _ = poll_until(
            || std::future::ready(daemon.log()),
            |log| log.matches("configuration reload refused").count() >= n,
        )
        .await;
        let log = daemon.log();
        assert_eq!(log.matches("configuration reload refused").count(), n, "{log}");
        assert!(log.contains(&bad.display().to_string()), "the log names the file: {log}");
        let (status, _) = daemon.call("GET", "/v1/session", Some(KIOSK), None).await;
        assert_eq!(status, 200, "the old tokens stay in force");
        let (status, _) = daemon.call("GET", "/v1/session", Some(content.trim()), None).await;
        assert_eq!(status, 401, "the refused file's token is not taken");
    }
    let log = daemon.stop();
    assert!(!log.contains(KIOSK) && !log.contains("new-kiosk-token"), "tokens never reach the log");
    let _ = std::fs::remove_dir_all(&d);
}
