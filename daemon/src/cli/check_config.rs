//! `myna-kiosk check-config`: loads everything `run` would before it starts (the file, TLS
//! files, trust anchors, token files), so an installer and `ExecReload=` learn of a mistake
//! before the service does; `--print` shows the effective configuration, tokens redacted.

use std::path::Path;
use std::process::ExitCode;

use crate::config::files;
use crate::config::Config;
use crate::platform::exit;

pub fn main(path: &Path, print: bool) -> ExitCode {
    let mut config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return exit::config();
        }
    };
    // By hand there are no systemd credentials, and systemd 252 runs ExecReload= without access
    // to them: those token files are checked by the daemon itself, at start and on SIGHUP.
    let credentials = std::env::var_os("CREDENTIALS_DIRECTORY").filter(|d| std::fs::read_dir(d).is_ok());
    if credentials.is_none() {
        config.api.tokens.retain(|t| match &t.get_ref().token_file {
            Some(f) if f.is_relative() => {
                eprintln!(
                    "note: token_file \"{}\" is a systemd credential: checked by the service, not here",
                    f.display()
                );
                false
            }
            _ => true,
        });
    }
    if let Err(e) = load_files(&config) {
        eprintln!("{}: {e}", path.display());
        return exit::config();
    }
    if print {
        match toml::to_string_pretty(&config) {
            Ok(text) => print!("# {}: ok; the effective configuration, defaults filled in\n{text}", path.display()),
            Err(e) => {
                eprintln!("cannot print the configuration: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!("{}: ok", path.display());
    }
    ExitCode::SUCCESS
}

/// What `run` loads from the files the configuration names, loaded and dropped.
fn load_files(config: &Config) -> Result<(), String> {
    if let Some(tls) = &config.api.tls {
        myna_api::server::tls_config(&tls.cert, &tls.key).map_err(|e| format!("TLS: {e}"))?;
    }
    files::trust_anchors(config).map_err(|e| e.to_string())?;
    files::configured_tokens(config).map_err(|e| e.to_string())?;
    Ok(())
}
