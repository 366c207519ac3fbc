//! The `myna-kiosk` command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use myna_kiosk::cli;
use myna_kiosk::config::{self, Config, LogFormat, DEFAULT_PATH};
use myna_kiosk::platform::{hardening, logging};
use myna_kiosk::run::{self, Autopilot, RunOptions};
use myna_kiosk::VERSION;

#[derive(Parser)]
#[command(name = "myna-kiosk", version = VERSION, about = "Self-service check-in kiosk daemon for the マイナ保険証")]
struct Cli {
    /// Log as JSON lines instead of text (overrides [log] format).
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the kiosk daemon.
    Run(RunArgs),
    /// Check a configuration file without starting the daemon.
    CheckConfig {
        #[arg(long, default_value = DEFAULT_PATH)]
        config: PathBuf,
    },
    /// List the card readers pcscd sees and mark the one the kiosk uses.
    Readers {
        #[arg(long, default_value = DEFAULT_PATH)]
        config: PathBuf,
    },
    /// Test and bench tool: serve the virtual My Number card on a vpcd reader (never on a
    /// kiosk: vpcd listens on every interface).
    #[cfg(feature = "mock")]
    VirtualCard(cli::virtual_card::VirtualCardArgs),
    /// Status LEDs and buzzer: `indicators test` walks every signal.
    Indicators {
        #[command(subcommand)]
        command: cli::indicators::IndicatorsCommand,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Use the virtual card and mock indicators instead of the reader and GPIO.
    #[arg(long)]
    mock: bool,
    /// The configuration file (default /etc/myna-kiosk/config.toml; with --mock only if given).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address of the HTTP API (overrides [api] listen).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Also serve the API on this Unix socket (overrides [api] unix_socket).
    #[arg(long)]
    unix: Option<PathBuf>,
    /// Where the daemon keeps its journal (and, with --mock, the generated bench tokens).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Accept plain HTTP on a non-loopback address (only on a trusted clinic LAN).
    #[arg(long)]
    allow_plain_http_on_lan: bool,
    /// PEM certificate chain for TLS on --listen (required for a non-loopback address).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// With --mock: an automated patient taps every virtual card profile in turn and answers
    /// every prompt (PIN, face, staff, consent) at once.
    #[arg(long, requires = "mock")]
    autopilot: bool,
    /// With --autopilot: seconds between patients.
    #[arg(long, default_value_t = 3.0, requires = "autopilot")]
    tap_interval: f64,
    /// With --autopilot: one round of profiles, then exit.
    #[arg(long, requires = "autopilot")]
    once: bool,
    /// Test hook (--mock only): the session driver hangs after this many seconds.
    #[arg(long, hide = true, requires = "mock")]
    test_hang_driver_after: Option<f64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckConfig { config } => check_config(&config),
        Command::Run(args) => run(args, cli.log_json),
        Command::Readers { config } => readers(&config),
        #[cfg(feature = "mock")]
        Command::VirtualCard(args) => cli::virtual_card::main(args),
        Command::Indicators { command } => cli::indicators::main(command),
    }
}

fn check_config(path: &Path) -> ExitCode {
    match Config::load(path) {
        Ok(_) => {
            println!("{}: ok", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn readers(path: &Path) -> ExitCode {
    // Without a configuration file, any reader will do (as the daemon would choose).
    let config = if path.exists() { Config::load(path) } else { Ok(Config::default()) };
    match config {
        Ok(c) => cli::readers::main(&c),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: RunArgs, log_json: bool) -> ExitCode {
    // Before anything can hold a PIN.
    let dumps = hardening::no_core_dumps();
    let (config, config_path) = match config::load_for(args.config.as_deref(), args.mock) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    logging::init(log_json || config.log.format == LogFormat::Json, &config.log.level);
    if let Err(e) = dumps {
        tracing::warn!(error = %e, "could not disable core dumps: a crash could write secrets to disk");
    }
    let mut opts = RunOptions::new(args.mock, config);
    opts.config_path = config_path;
    opts.listen = args.listen;
    opts.unix = args.unix;
    opts.state_dir = args.state_dir;
    opts.allow_plain_http_on_lan = args.allow_plain_http_on_lan;
    opts.tls = args.tls_cert.zip(args.tls_key);
    opts.autopilot = args
        .autopilot
        .then(|| Autopilot { interval: Duration::from_secs_f64(args.tap_interval.max(0.0)), once: args.once });
    opts.hang_driver_after = args.test_hang_driver_after.map(|s| Duration::from_secs_f64(s.max(0.0)));
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(2)
        }
    }
}
