//! `check-config` loads what `run` loads (trust anchors, token files, systemd credentials), so
//! `ExecReload=` and an installer learn of a broken file before the service does; `--print`
//! shows the effective configuration without a secret.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TOKEN: &str = "an-inline-secret-token-0123456789";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check(config: &Path, credentials: Option<&Path>, print: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"));
    cmd.args(["check-config", "--config"]).arg(config).env_remove("CREDENTIALS_DIRECTORY");
    if print {
        cmd.arg("--print");
    }
    if let Some(c) = credentials {
        cmd.env("CREDENTIALS_DIRECTORY", c);
    }
    cmd.output().expect("run myna-kiosk")
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The repository's JPKI CA: the default anchors are where the package installs them.
fn anchors() -> String {
    format!("[trust]\nanchors = [\"{}/../jpki-ca/auth_ca_2023.pem\"]\n", env!("CARGO_MANIFEST_DIR"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_missing_trust_anchor_fails_check_config_as_it_fails_run() {
    let d = dir("anchor");
    let cfg = d.join("config.toml");
    write(&cfg, &format!("[trust]\nanchors = [\"{}/absent.pem\"]\n", d.display()), 0o600);
    let out = check(&cfg, None, false);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("absent.pem"), "{}", stderr(&out));
}

#[test]
fn a_token_file_others_can_read_fails_check_config() {
    let d = dir("mode");
    let token = d.join("reception.token");
    write(&token, "a-reception-token-0123456789\n", 0o644);
    let cfg = d.join("config.toml");
    write(
        &cfg,
        &format!("{}[[api.tokens]]\ntoken_file = \"{}\"\nroles = [\"reception\"]\n", anchors(), token.display()),
        0o600,
    );
    let out = check(&cfg, None, false);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = check(&cfg, None, false);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_relative_token_file_is_a_systemd_credential() {
    let d = dir("credential");
    let creds = d.join("credentials");
    std::fs::create_dir(&creds).unwrap();
    let cfg = d.join("config.toml");
    write(
        &cfg,
        &format!("{}[[api.tokens]]\ntoken_file = \"reception.token\"\nroles = [\"reception\"]\n", anchors()),
        0o600,
    );
    // By hand, without credentials: noted, not read.
    let out = check(&cfg, None, false);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("systemd credential"), "{}", stderr(&out));
    // As the service: read from $CREDENTIALS_DIRECTORY, and checked.
    write(&creds.join("reception.token"), "short\n", 0o400);
    let out = check(&cfg, Some(&creds), false);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains(&creds.join("reception.token").display().to_string()), "{}", stderr(&out));
    write(&creds.join("reception.token"), "a-reception-token-0123456789\n", 0o400);
    let out = check(&cfg, Some(&creds), false);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn print_shows_the_effective_configuration_without_the_token() {
    let d = dir("print");
    let cfg = d.join("config.toml");
    write(&cfg, &format!("{}[[api.tokens]]\ntoken = \"{TOKEN}\"\nroles = [\"kiosk\"]\n", anchors()), 0o600);
    let out = check(&cfg, None, true);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(TOKEN), "the token is printed: {text}");
    assert!(text.contains("<redacted>"), "{text}");
    // Defaults filled in, and the output is a configuration check-config accepts again.
    assert!(text.contains("listen = \"127.0.0.1:8787\""), "{text}");
    let again = d.join("printed.toml");
    write(&again, &text.replace("<redacted>", "another-token-0123456789"), 0o600);
    let out = check(&again, None, false);
    assert!(out.status.success(), "the printed configuration does not load: {}\n{text}", stderr(&out));
}
