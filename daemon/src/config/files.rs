//! The files a configuration names, loaded the one way `run` and `check-config` both use: trust
//! anchors and API token files (TLS files: `myna_api::server::tls_config`). Token files may come
//! from systemd credentials (`LoadCredential=`), so they can stay readable by root only.

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use myna_api::auth::Tokens;
use myna_card::cert::TrustAnchors;
use myna_card::jpki::face_proof::FaceCa;

use super::Config;

/// The shortest token accepted, inline or from a file (as `config::api` checks inline ones).
pub const MIN_TOKEN_CHARS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the token file {0}: {1}")]
    TokenFile(PathBuf, std::io::Error),
    #[error(
        "the token file {0} is readable by its group or others (mode {1:04o}): chmod 600 it, owned by the service user, or pass it as a systemd credential"
    )]
    TokenFileMode(PathBuf, u32),
    #[error("the token file {0} holds a token of {1} characters: a token has at least {MIN_TOKEN_CHARS}")]
    TokenFileShort(PathBuf, usize),
    #[error("trust anchor {0}: {1}")]
    Anchor(PathBuf, String),
}

/// The certificates in `[trust] anchors`, and the card-face CA keys: the built-in J-LIS one
/// real cards chain to (see hardware.md) and those in `[trust] card_face_cas`.
pub fn trust_anchors(config: &Config) -> Result<TrustAnchors, FileError> {
    let mut anchors = TrustAnchors::default();
    for path in config.trust.anchors.get_ref() {
        let pem = std::fs::read(path).map_err(|e| FileError::Anchor(path.clone(), e.to_string()))?;
        anchors.add_pem(&pem).map_err(|e| FileError::Anchor(path.clone(), e.to_string()))?;
    }
    anchors.add_face_ca(FaceCa::jlis());
    for path in &config.trust.card_face_cas {
        let pem = std::fs::read_to_string(path).map_err(|e| FileError::Anchor(path.clone(), e.to_string()))?;
        anchors.add_face_ca(FaceCa::from_pem(&pem).map_err(|e| FileError::Anchor(path.clone(), e))?);
    }
    Ok(anchors)
}

/// Where a token file is read from: a relative path names a systemd credential (the unit's
/// `LoadCredential=`, found in `$CREDENTIALS_DIRECTORY`), an absolute one a file.
pub fn token_path(file: &Path) -> PathBuf {
    match std::env::var_os("CREDENTIALS_DIRECTORY") {
        Some(dir) if file.is_relative() => Path::new(&dir).join(file),
        _ => file.to_path_buf(),
    }
}

/// The `[[api.tokens]]` of a configuration, token files read (and refused if they are not
/// private or hold a short token).
pub fn configured_tokens(config: &Config) -> Result<Tokens, FileError> {
    let mut tokens = Tokens::new();
    for t in &config.api.tokens {
        let t = t.get_ref();
        let value = match (&t.token, &t.token_file) {
            (Some(v), _) => v.clone(),
            (None, Some(f)) => read_token_file(&token_path(f))?,
            (None, None) => continue,
        };
        tokens.add(value, t.roles.clone());
    }
    Ok(tokens)
}

/// A token from `path`: the file must be private to its owner (mode `0600` or stricter) and
/// hold a token of at least [`MIN_TOKEN_CHARS`] (surrounding whitespace trimmed). The mode is
/// checked on the open file, so what is checked is what is read.
fn read_token_file(path: &Path) -> Result<String, FileError> {
    let err = |e| FileError::TokenFile(path.to_path_buf(), e);
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mode = file.metadata().map_err(err)?.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(FileError::TokenFileMode(path.to_path_buf(), mode));
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(err)?;
    let token = text.trim().to_string();
    let chars = token.chars().count();
    if chars < MIN_TOKEN_CHARS {
        return Err(FileError::TokenFileShort(path.to_path_buf(), chars));
    }
    Ok(token)
}
