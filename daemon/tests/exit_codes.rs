//! Exit codes a supervisor acts on (sysexits.h): a configuration that cannot load exits 78
//! (EX_CONFIG), which the unit's `RestartPreventExitStatus=78` keeps from a restart loop; no
//! pcscd exits 69 (EX_UNAVAILABLE).

use std::path::PathBuf;
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("myna-exit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kiosk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(args)
        // No pcscd, whatever runs on this machine: libpcsclite connects to this socket only.
        .env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
        .output()
        .expect("run myna-kiosk")
}

fn config(name: &str, text: &str) -> String {
    let path = dir(name).join("config.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_file_that_is_not_toml_exits_78_from_check_config_and_run() {
    let cfg = config("toml", "this is not toml\n");
    for args in [vec!["check-config", "--config", &cfg], vec!["run", "--config", &cfg]] {
        let out = kiosk(&args);
        assert_eq!(out.status.code(), Some(78), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_missing_trust_anchor_exits_78_from_run() {
    let d = dir("anchor");
    let cfg = config(
        "anchor",
        &format!(
            "[api]\nlisten = \"127.0.0.1:0\"\n[trust]\nanchors = [\"{}/absent.pem\"]\n[journal]\ndir = \"{}\"\n[indicators]\nbackend = \"none\"\n",
            d.display(),
            d.display()
        ),
    );
    let out = kiosk(&["run", "--config", &cfg]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains("absent.pem"), "the error names the file: {err}");
}

#[test]
fn readers_without_pcscd_exits_69() {
    let out = kiosk(&["readers", "--config", "/nonexistent/config.toml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{err}");
    assert!(err.contains("pcscd"), "{err}");
}
