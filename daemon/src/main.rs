//! The `myna-kiosk` command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use myna_kiosk::cli;
use myna_kiosk::config::{self, Config, LogFormat, DEFAULT_PATH};
use myna_kiosk::platform::{exit, hardening, logging};
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
    /// Check a configuration file and every file it names (TLS, trust anchors, tokens) without
    /// starting the daemon. Exits 78 when something does not load.
    CheckConfig {
        #[arg(long, default_value = DEFAULT_PATH)]
        config: PathBuf,
        /// Print the effective configuration (defaults filled in, tokens redacted).
        #[arg(long)]
        print: bool,
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
    /// Print shell completions (the package installs bash, zsh and fish ones).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page, myna-kiosk(8), as roff (the package installs it).
    #[command(hide = true)]
    Manpage,
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
        Command::CheckConfig { config, print } => cli::check_config::main(&config, print),
        Command::Run(args) => run(args, cli.log_json),
        Command::Readers { config } => readers(&config),
        #[cfg(feature = "mock")]
        Command::VirtualCard(args) => cli::virtual_card::main(args),
        Command::Indicators { command } => cli::indicators::main(command),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut docs_command(), "myna-kiosk", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Manpage => match clap_mangen::Man::new(docs_command()).section("8").render(&mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The command line as the packaged kiosk has it, for its manual page and completions: the
/// bench's `virtual-card` left out, the version without the git revision (the files are
/// checked in; daemon/tests/docs.rs keeps them current).
fn docs_command() -> clap::Command {
    let cmd = Cli::command().version(env!("CARGO_PKG_VERSION")).after_long_help(
        "Files:\n  /etc/myna-kiosk/config.toml  the configuration (check-config checks it; see README)\n  \
         /var/lib/myna-kiosk          the journal of check-ins (health data; removed on purge)\n\n\
         Exit status: 0 done; 1 failed; 69 a service is missing (pcscd for readers, the listen address for run); \
         78 the configuration or a file it names does not load (the unit does not restart on it).\n\n\
         The service: systemctl status myna-kiosk; journalctl -u myna-kiosk. \
         Manual: /usr/share/doc/myna-kiosk/README.md and hardware.md.",
    );
    #[cfg(feature = "mock")]
    let cmd = cmd.mut_subcommand("virtual-card", |s| s.hide(true));
    cmd
}

fn readers(path: &Path) -> ExitCode {
    // Without a configuration file, any reader will do (as the daemon would choose).
    let config = if path.exists() { Config::load(path) } else { Ok(Config::default()) };
    match config {
        Ok(c) => cli::readers::main(&c),
        Err(e) => {
            eprintln!("{e}");
            exit::config()
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
            return exit::config();
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
            ExitCode::from(e.exit_code())
        }
    }
}
