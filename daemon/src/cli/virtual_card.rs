//! `myna-kiosk virtual-card`: the virtual My Number card on a vpcd reader, for tests and
//! benches through the real PC/SC stack. Never on a kiosk: vpcd listens on every interface.

use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use myna_virtual_card::vpcd::{self, Ended};
use myna_virtual_card::{CardOptions, Fault, FaultKind, Profile, VirtualCard};

#[derive(clap::Args)]
pub struct VirtualCardArgs {
    /// vpcd's address (the vpcd entry's port in pcscd's reader config).
    #[arg(long, default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// valid, expiring-soon, grace, expired, pin-last-try, pin-locked, no-pin, juki, android,
    /// iphone, not-jpki.
    #[arg(long, default_value = "valid")]
    profile: Profile,
    /// The card's PIN (4 digits).
    #[arg(long, default_value = myna_virtual_card::DEFAULT_PIN)]
    pin: String,
    /// The card's 照合番号B (birth date YYMMDD + expiry YYYY + security code).
    #[arg(long, default_value = myna_virtual_card::DEFAULT_COLLATION_B)]
    collation_b: String,
    /// Pull the card away when the APDU after this many arrives.
    #[arg(long)]
    remove_after_apdus: Option<usize>,
    /// The card refuses extended-length APDUs.
    #[arg(long)]
    no_extended: bool,
    /// Added to every APDU (a real card: ~10 ms).
    #[arg(long, default_value_t = 0)]
    apdu_latency_ms: u64,
    /// Added to SIGN (a real card: ~400 ms).
    #[arg(long, default_value_t = 0)]
    sign_latency_ms: u64,
    /// A broken card: `mute` stops answering, `garbage` answers nonsense (see --fault-after-apdus).
    #[arg(long)]
    fault: Option<FaultKind>,
    /// The fault starts with the APDU after this many.
    #[arg(long, default_value_t = 0, requires = "fault")]
    fault_after_apdus: usize,
    /// Write the test CA that issued the card's certificate (PEM) here, for a kiosk's
    /// `[trust] anchors` on a bench (tests/booted/), and exit.
    #[arg(long)]
    write_test_ca: Option<std::path::PathBuf>,
    /// Bench only: do not set TCP_QUICKACK (shows what it saves).
    #[arg(long, hide = true)]
    no_quickack: bool,
}

pub fn main(args: VirtualCardArgs) -> ExitCode {
    if let Some(path) = &args.write_test_ca {
        if let Err(e) = std::fs::write(path, myna_virtual_card::test_pki().auth_ca_pem()) {
            eprintln!("cannot write the test CA to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    let options = CardOptions {
        pin: args.pin,
        collation_b: args.collation_b,
        remove_after_apdus: args.remove_after_apdus,
        extended_length: !args.no_extended,
        apdu_latency: Duration::from_millis(args.apdu_latency_ms),
        sign_latency: Duration::from_millis(args.sign_latency_ms),
        fault: args.fault.map(|kind| Fault { after_apdus: args.fault_after_apdus, kind }),
        ..Default::default()
    };
    let mut card = VirtualCard::with_options(args.profile, options);
    let stream = match TcpStream::connect(&args.vpcd) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot reach vpcd at {}: {e} (is pcscd running with a vpcd reader?)", args.vpcd);
            return ExitCode::FAILURE;
        }
    };
    let closer = match stream.try_clone() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // Closing the connection is taking the card away: do it on Ctrl-C / SIGTERM.
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    rt.spawn(async move {
        crate::run::shutdown_signal().await;
        let _ = closer.shutdown(Shutdown::Both);
    });
    println!("virtual card ({}) on vpcd {}: serving until stopped", args.profile, args.vpcd);
    let quickack = !args.no_quickack;
    let ended = rt.block_on(async move {
        tokio::task::spawn_blocking(move || (vpcd::serve(&stream, &mut card, quickack), card.log().len())).await
    });
    match ended {
        Ok((Ok(Ended::Closed), n)) => {
            println!("card removed after {n} APDUs");
            ExitCode::SUCCESS
        }
        Ok((Ok(Ended::CardPulled), n)) => {
            println!("card pulled away after {n} APDUs (--remove-after-apdus)");
            ExitCode::SUCCESS
        }
        Ok((Err(e), _)) => {
            eprintln!("vpcd connection failed: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
