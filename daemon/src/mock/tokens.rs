//! With `--mock` and no configured tokens: one fresh token per role, printed once and written
//! to a file only the user can read, so a bench tester can call the API at once.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use myna_api::auth::Tokens;
use myna_api::backend::Role;
use rand::RngCore;

pub const ROLES: [Role; 5] = [Role::Kiosk, Role::Reception, Role::Staff, Role::Face, Role::Bench];

fn fresh_token() -> String {
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Generates the tokens, writes `path` (mode 0600) and returns them with their roles.
pub fn generate(path: &Path) -> std::io::Result<(Tokens, Vec<(Role, String)>)> {
    let pairs: Vec<(Role, String)> = ROLES.iter().map(|r| (*r, fresh_token())).collect();
    let json = serde_json::to_string_pretty(
        &pairs.iter().map(|(r, t)| (r.as_str(), t.as_str())).collect::<std::collections::BTreeMap<_, _>>(),
    )?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Replace atomically; the new file is created 0600 before anything is written to it.
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    f.write_all(json.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    let mut tokens = Tokens::new();
    for (role, token) in &pairs {
        tokens.add(token.clone(), vec![*role]);
    }
    Ok((tokens, pairs))
}
