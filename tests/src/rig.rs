//! The pcscd + vpcd rig, as the tests see it.
//!
//! `tests/run-all.sh` starts a private pcscd with a vpcd reader and exports `MYNA_PCSC_RIG`
//! (its directory) and `MYNA_VPCD_PORT`. Without them a PC/SC test fails with how to get a
//! rig — it never passes silently. `MYNA_SKIP_PCSC=1` is the one explicit way to skip (a
//! developer without pcscd); CI never sets it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use myna_pcsc::list_readers;
use myna_virtual_card::vpcd::VpcdCard;
use myna_virtual_card::VirtualCard;

/// The first of the two readers a vpcd entry gives (the one on `MYNA_VPCD_PORT`).
pub const READER: &str = "Virtual PCD 00 00";

/// One reader, one card at a time: tests in a binary take turns.
static TURN: Mutex<()> = Mutex::new(());

pub struct Rig {
    dir: PathBuf,
    port: u16,
    _turn: MutexGuard<'static, ()>,
}

impl Rig {
    /// The rig, or `None` only when the developer explicitly skips with `MYNA_SKIP_PCSC=1`.
    pub fn get() -> Option<Rig> {
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        match (std::env::var("MYNA_PCSC_RIG"), std::env::var("MYNA_VPCD_PORT")) {
            (Ok(dir), Ok(port)) => {
                Some(Rig { dir: dir.into(), port: port.parse().expect("MYNA_VPCD_PORT is a port number"), _turn: turn })
            }
            _ if std::env::var("MYNA_SKIP_PCSC").as_deref() == Ok("1") => {
                eprintln!("MYNA_SKIP_PCSC=1: skipping a PC/SC end-to-end test");
                None
            }
            _ => panic!(
                "this test needs the pcscd + vpcd rig: run `bash tests/run-all.sh`, or \
                 `source tests/rig/pcscd.sh && rig_install && rig_start_pcscd` first \
                 (MYNA_SKIP_PCSC=1 skips it explicitly)"
            ),
        }
    }

    pub fn vpcd_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Places `card` on the vpcd reader and waits until pcscd sees it.
    ///
    /// Right after a card was pulled mid-command, vpcd can leave the next connection
    /// unnoticed for ~10 s; lifting the card and placing it again (as a patient would) is
    /// what gets it seen, so the rig does that after 1.5 s (pcscd polls every 0.4 s).
    pub fn insert(&self, mut card: VirtualCard) -> VpcdCard {
        for _ in 0..5 {
            let log = card.log();
            let placed = VpcdCard::insert(self.vpcd_addr(), card).expect("connecting the virtual card to vpcd");
            // Seen: pcscd reports it, or a client already talked to it (a daemon may connect,
            // and a card set to be pulled may be gone, before we look).
            let seen = || card_present() == Some(true) || !log.is_empty() || !placed.is_inserted();
            if poll(seen, Duration::from_millis(1500)) {
                return placed;
            }
            card = placed.remove();
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("pcscd never saw the virtual card on {READER}");
    }

    /// Takes the card away and waits until pcscd notices.
    pub fn remove(&self, card: VpcdCard) -> VirtualCard {
        let card = card.remove();
        wait_for(|| card_present() != Some(true), "pcscd to see the card leave");
        card
    }

    /// Kills the rig's pcscd (SIGKILL: like a crash) and waits until it is gone.
    pub fn kill_pcscd(&self) {
        let pid = std::fs::read_to_string(self.dir.join("pcscd.pid")).expect("the rig's pcscd.pid");
        let pid = pid.trim();
        let status = std::process::Command::new("kill").args(["-9", pid]).status().expect("kill");
        assert!(status.success(), "killing pcscd {pid}");
        let proc = PathBuf::from(format!("/proc/{pid}"));
        wait_for(|| !proc.exists() || zombie(&proc), "pcscd to die");
    }

    /// Starts pcscd again as the rig did (and records its new PID for the rig's stop).
    pub fn start_pcscd(&self) {
        let status = std::process::Command::new(self.dir.join("start-pcscd")).status().expect("start-pcscd");
        assert!(status.success(), "restarting pcscd");
    }
}

impl Rig {
    /// Starts pcscd again without the vpcd reader in its configuration: the reader unplugged
    /// while pcscd runs. [`Rig::kill_pcscd`] then [`Rig::start_pcscd`] plug it back in.
    pub fn start_pcscd_without_reader(&self) {
        let empty = self.dir.join("no-readers.conf.d");
        std::fs::create_dir_all(&empty).expect("an empty reader config directory");
        let status =
            std::process::Command::new(self.dir.join("start-pcscd")).arg(&empty).status().expect("start-pcscd");
        assert!(status.success(), "starting pcscd without the reader");
    }
}

fn zombie(proc: &std::path::Path) -> bool {
    std::fs::read_to_string(proc.join("stat")).is_ok_and(|s| s.contains(") Z"))
}

/// Whether pcscd reports a card on the rig's reader (`None`: reader not found).
pub fn card_present() -> Option<bool> {
    list_readers().ok()?.into_iter().find(|r| r.name == READER).map(|r| r.card_present)
}

/// Polls `done` for up to 10 s (pcscd polls vpcd every ~0.4 s).
pub fn wait_for(done: impl FnMut() -> bool, what: &str) {
    assert!(poll(done, Duration::from_secs(10)), "timed out waiting for {what}");
}

fn poll(mut done: impl FnMut() -> bool, limit: Duration) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}
