use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use myna_bridge::config::{Args, Config};
use myna_bridge::follower::{Follower, Shared};
use myna_bridge::store;

/// Exit status for a configuration that cannot work (sysexits' EX_CONFIG): the systemd unit
/// does not restart on it.
const EX_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // No colour codes in journald or a log file.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if args.log_json {
        fmt.json().init();
    } else {
        fmt.init();
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("myna-bridge: {e}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    for dir in [&config.out, &config.state] {
        if let Err(e) = store::prepare_dir(dir) {
            eprintln!("myna-bridge: {e}");
            return ExitCode::from(EX_CONFIG);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    match runtime {
        Ok(rt) => rt.block_on(run(config)),
        Err(e) => {
            eprintln!("myna-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every kiosk's follower until a stop signal (exit 0: every step is on disk, nothing
/// to flush) or until all of them stopped on a fatal error (exit 1).
async fn run(config: Config) -> ExitCode {
    let shared = Arc::new(Shared {
        out: config.out.clone(),
        state: config.state.clone(),
        webhook: config.webhook.clone(),
        max_backoff: config.max_backoff,
        idle: config.idle_timeout,
    });
    let mut followers = tokio::task::JoinSet::new();
    for kiosk in config.kiosks {
        let name = kiosk.name.clone();
        match Follower::new(kiosk, shared.clone()) {
            Ok(f) => {
                followers.spawn(async move { (name, f.run().await) });
            }
            Err(e) => tracing::error!(kiosk = %name, "not followed: {e}"),
        }
    }
    loop {
        tokio::select! {
            done = followers.join_next() => match done {
                Some(Ok((name, fatal))) => tracing::error!(kiosk = %name, "STOPPED following this kiosk: {fatal}"),
                Some(Err(e)) => tracing::error!("a follower failed: {e}"),
                None => {
                    tracing::error!("no kiosk is followed any more");
                    return ExitCode::FAILURE;
                }
            },
            _ = stop_signal() => {
                tracing::info!("stopping");
                return ExitCode::SUCCESS;
            }
        }
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
