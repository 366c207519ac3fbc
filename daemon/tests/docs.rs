//! The manual page and shell completions the package installs are generated from the command
//! line (clap_mangen, clap_complete) and checked in under daemon/doc/: they must match what the
//! binary prints now. `MYNA_BLESS=1 cargo test -p myna-kiosk --test docs` rewrites them.

use std::path::Path;
use std::process::Command;

fn generated(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_myna-kiosk")).args(args).output().expect("run myna-kiosk");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn check(file: &str, args: &[&str]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("doc").join(file);
    let now = generated(args);
    if std::env::var_os("MYNA_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == now,
        "{} is not what `myna-kiosk {}` prints: run MYNA_BLESS=1 cargo test -p myna-kiosk --test docs",
        path.display(),
        args.join(" ")
    );
}

#[test]
fn the_manual_page_is_current_and_describes_the_packaged_kiosk() {
    check("myna-kiosk.8", &["manpage"]);
    let page = generated(&["manpage"]);
    for sub in ["run", "check\\-config", "readers", "indicators"] {
        assert!(page.contains(sub), "the page lacks {sub}");
    }
    assert!(!page.contains("virtual\\-card"), "the bench's virtual-card is not in the package");
}

#[test]
fn the_completions_are_current() {
    check("completions/myna-kiosk.bash", &["completions", "bash"]);
    check("completions/_myna-kiosk", &["completions", "zsh"]);
    check("completions/myna-kiosk.fish", &["completions", "fish"]);
}
