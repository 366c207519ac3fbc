//! What the bridge follows and where results go: command-line flags, or the same in a TOML
//! file (`--config`). Everything is checked here, before a single connection is made.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

use crate::net::{Endpoint, TlsTrust};

/// `myna-bridge`: follows myna-kiosk result streams as reception and writes every result into
/// a folder (and to a webhook), each exactly once, acknowledging it on the kiosk only after.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// A TOML file with the settings below (flags given as well are refused, to keep one source).
    #[arg(long, conflicts_with_all = ["kiosk", "token_file", "out", "state", "webhook", "ca", "pin_sha256"])]
    pub config: Option<PathBuf>,
    /// A kiosk to follow, `NAME=URL` (`NAME`: letters, digits, `-`, `_`; it names the files).
    #[arg(long, value_name = "NAME=URL")]
    pub kiosk: Vec<String>,
    /// The reception token for the kiosks given with `--kiosk` (file, mode 0600 on Unix; a
    /// relative name is looked up in systemd's `$CREDENTIALS_DIRECTORY` when that is set).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The folder results are written to, one JSON file per result.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where each kiosk's cursor is kept (default: `OUT/.myna-bridge`).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Also POST every result here (JSON); 2xx means delivered, anything else is retried.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// For `https://` kiosks: trust this CA (or self-signed kiosk certificate), PEM.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// For `https://` kiosks: accept exactly the certificate with this SHA-256 (hex).
    #[arg(long, value_name = "HEX")]
    pub pin_sha256: Option<String>,
    /// The longest wait between two retries (reconnect, webhook, ack), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub max_backoff: u64,
    /// No byte from a kiosk for this long (it sends a keep-alive every 15 s) counts as a cut
    /// network: the bridge reconnects. Also bounds the wait for any answer. In seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 45)]
    pub idle_timeout: u64,
    /// Log as JSON lines.
    #[arg(long)]
    pub log_json: bool,
}

/// The `--config` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    out: PathBuf,
    state: Option<PathBuf>,
    webhook: Option<String>,
    webhook_ca: Option<PathBuf>,
    max_backoff_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    #[serde(default)]
    kiosk: Vec<FileKiosk>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKiosk {
    name: String,
    url: String,
    token_file: PathBuf,
    ca: Option<PathBuf>,
    pin_sha256: Option<String>,
}

/// One kiosk to follow.
#[derive(Debug, Clone)]
pub struct Kiosk {
    pub name: String,
    pub endpoint: Endpoint,
    /// Never printed: `Debug` shows its length only.
    pub token: Token,
}

/// A bearer token, kept out of logs and `Debug`.
#[derive(Clone)]
pub struct Token(pub String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({} chars)", self.0.len())
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub kiosks: Vec<Kiosk>,
    pub out: PathBuf,
    pub state: PathBuf,
    pub webhook: Option<Endpoint>,
    pub max_backoff: Duration,
    pub idle_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Toml(PathBuf, toml::de::Error),
    #[error("--kiosk {0:?}: expected NAME=URL")]
    KioskSyntax(String),
    #[error("kiosk name {0:?}: use letters, digits, '-' and '_' only (1 to 64)")]
    KioskName(String),
    #[error("kiosk {0:?} is given twice")]
    KioskTwice(String),
    #[error("no kiosk to follow: give --kiosk NAME=URL (or [[kiosk]] in --config)")]
    NoKiosk,
    #[error("--out is required")]
    NoOut,
    #[error("--token-file is required with --kiosk")]
    NoToken,
    #[error("token file {0}: readable by others (mode {1:o}); make it 0600")]
    TokenMode(PathBuf, u32),
    #[error("token file {0}: empty")]
    TokenEmpty(PathBuf),
    #[error("{0}: {1}")]
    Endpoint(String, String),
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A relative token file under systemd is a credential (`LoadCredential=NAME:/etc/…`): the
/// service reads its private copy, and the file in /etc can stay root's own.
fn credential_path(path: &Path) -> PathBuf {
    match std::env::var_os("CREDENTIALS_DIRECTORY") {
        Some(dir) if path.is_relative() => Path::new(&dir).join(path),
        _ => path.to_path_buf(),
    }
}

fn read_token(path: &Path) -> Result<Token, ConfigError> {
    let path = &credential_path(path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = std::fs::metadata(path).map_err(|e| ConfigError::Read(path.into(), e))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(ConfigError::TokenMode(path.into(), mode));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(ConfigError::TokenEmpty(path.into()));
    }
    Ok(Token(token.to_string()))
}

fn trust(ca: Option<&Path>, pin: Option<&str>) -> TlsTrust {
    TlsTrust { ca: ca.map(Path::to_path_buf), pin_sha256: pin.map(str::to_string) }
}

fn kiosk(name: &str, url: &str, token_file: &Path, trust: TlsTrust) -> Result<Kiosk, ConfigError> {
    if !valid_name(name) {
        return Err(ConfigError::KioskName(name.to_string()));
    }
    let endpoint = Endpoint::parse(url, trust).map_err(|e| ConfigError::Endpoint(url.to_string(), e))?;
    Ok(Kiosk { name: name.to_string(), endpoint, token: read_token(token_file)? })
}

impl Config {
    pub fn from_args(args: &Args) -> Result<Config, ConfigError> {
        let config = match &args.config {
            Some(path) => Self::from_file(path)?,
            None => Self::from_flags(args)?,
        };
        let mut names: Vec<&str> = config.kiosks.iter().map(|k| k.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::KioskTwice(w[0].to_string()));
        }
        if config.kiosks.is_empty() {
            return Err(ConfigError::NoKiosk);
        }
        Ok(config)
    }

    fn from_flags(args: &Args) -> Result<Config, ConfigError> {
        let out = args.out.clone().ok_or(ConfigError::NoOut)?;
        let mut kiosks = vec![];
        for k in &args.kiosk {
            let (name, url) = k.split_once('=').ok_or_else(|| ConfigError::KioskSyntax(k.clone()))?;
            let token_file = args.token_file.as_deref().ok_or(ConfigError::NoToken)?;
            kiosks.push(kiosk(name, url, token_file, trust(args.ca.as_deref(), args.pin_sha256.as_deref()))?);
        }
        let webhook = match &args.webhook {
            Some(url) => {
                Some(Endpoint::parse(url, TlsTrust::default()).map_err(|e| ConfigError::Endpoint(url.clone(), e))?)
            }
            None => None,
        };
        Ok(Config {
            kiosks,
            state: args.state.clone().unwrap_or_else(|| out.join(".myna-bridge")),
            out,
            webhook,
            max_backoff: Duration::from_secs(args.max_backoff.max(1)),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        })
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
        let f: File = toml::from_str(&text).map_err(|e| ConfigError::Toml(path.into(), e))?;
        let mut kiosks = vec![];
        for k in &f.kiosk {
            kiosks.push(kiosk(&k.name, &k.url, &k.token_file, trust(k.ca.as_deref(), k.pin_sha256.as_deref()))?);
        }
        let webhook = match &f.webhook {
            Some(url) => Some(
                Endpoint::parse(url, trust(f.webhook_ca.as_deref(), None))
                    .map_err(|e| ConfigError::Endpoint(url.clone(), e))?,
            ),
            None => None,
        };
        Ok(Config {
            kiosks,
            state: f.state.unwrap_or_else(|| f.out.join(".myna-bridge")),
            out: f.out,
            webhook,
            max_backoff: Duration::from_secs(f.max_backoff_secs.unwrap_or(30).max(1)),
            idle_timeout: Duration::from_secs(f.idle_timeout_secs.unwrap_or(45).max(1)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("myna-bridge-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn token(dir: &Path, mode: u32) -> PathBuf {
        let p = dir.join(format!("token-{mode:o}"));
        std::fs::write(&p, "reception-token-0123456789\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        p
    }

    fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let path = dir().join(format!("bridge-{}.toml", text.len()));
        std::fs::write(&path, text).unwrap();
        let args = Args::try_parse_from(["myna-bridge", "--config", path.to_str().unwrap()]).unwrap();
        Config::from_args(&args)
    }

    #[test]
    fn a_toml_file_names_every_kiosk_with_its_own_token() {
        let t = token(&dir(), 0o600);
        let c = from_toml(&format!(
            "out = \"/srv/results\"\nwebhook = \"http://127.0.0.1:9000/hook\"\n\n\
             [[kiosk]]\nname = \"entrance\"\nurl = \"http://192.0.2.10:8787\"\ntoken_file = \"{0}\"\n\n\
             [[kiosk]]\nname = \"annex-2\"\nurl = \"http://192.0.2.11:8787\"\ntoken_file = \"{0}\"\n",
            t.display()
        ))
        .unwrap();
        assert_eq!(c.kiosks.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["entrance", "annex-2"]);
        assert_eq!(c.state, Path::new("/srv/results/.myna-bridge"));
        assert!(c.webhook.is_some());
        assert!(!format!("{c:?}").contains("reception-token"), "the token never shows in Debug");
    }

    #[test]
    fn mistakes_are_refused_before_anything_runs() {
        let t = token(&dir(), 0o600).display().to_string();
        let kiosk = |name: &str, url: &str, extra: &str| {
            from_toml(&format!(
                "out = \"/o\"\n[[kiosk]]\nname = \"{name}\"\nurl = \"{url}\"\ntoken_file = \"{t}\"\n{extra}"
            ))
        };
        assert!(matches!(kiosk("a/b", "http://h", ""), Err(ConfigError::KioskName(_))));
        assert!(matches!(kiosk("a", "ftp://h", ""), Err(ConfigError::Endpoint(..))));
        let no_trust = kiosk("a", "https://h", "").unwrap_err().to_string();
        assert!(no_trust.contains("--ca") && no_trust.contains("--pin-sha256"), "{no_trust}");
        assert!(matches!(kiosk("a", "https://h", "pin_sha256 = \"abc\""), Err(ConfigError::Endpoint(..))));
        assert!(matches!(kiosk("a", "http://h", "colour = 1"), Err(ConfigError::Toml(..))));
        #[cfg(unix)]
        {
            let open = token(&dir(), 0o644);
            let args = Args::try_parse_from([
                "myna-bridge",
                "--kiosk",
                "a=http://h",
                "--out",
                "/o",
                "--token-file",
                open.to_str().unwrap(),
            ])
            .unwrap();
            assert!(matches!(Config::from_args(&args), Err(ConfigError::TokenMode(..))));
        }
        let args = Args::try_parse_from([
            "myna-bridge",
            "--kiosk",
            "a=http://h",
            "--kiosk",
            "a=http://i",
            "--out",
            "/o",
            "--token-file",
            &t,
        ])
        .unwrap();
        assert!(matches!(Config::from_args(&args), Err(ConfigError::KioskTwice(_))));
    }
}

#[cfg(test)]
mod example {
    use super::*;

    /// The example README points to parses, its relative token a systemd credential.
    #[test]
    fn the_example_file_is_a_valid_configuration() {
        let creds = std::env::temp_dir().join(format!("myna-bridge-creds-{}", std::process::id()));
        std::fs::create_dir_all(&creds).unwrap();
        let token = creds.join("entrance.token");
        std::fs::write(&token, "reception-token-0123456789\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o400)).unwrap();
        }
        // Only this test runs with a relative token path; the others give absolute ones.
        std::env::set_var("CREDENTIALS_DIRECTORY", &creds);
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/bridge.example.toml");
        let args = Args::try_parse_from(["myna-bridge", "--config", example]).unwrap();
        let c = Config::from_args(&args).unwrap();
        assert_eq!(c.kiosks[0].name, "entrance");
        assert_eq!(c.kiosks[0].token.0, "reception-token-0123456789");
        assert_eq!(c.state, Path::new("/var/lib/myna-bridge"));
        let _ = std::fs::remove_dir_all(&creds);
    }
}
