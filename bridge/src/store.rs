//! What the bridge keeps on disk: result files in the out folder, never rewritten with other
//! content, and each kiosk's cursor in the state folder. Every write is whole or absent after a
//! crash: a temp file is written and flushed to disk, then given its name, then the directory
//! entry itself is flushed.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} already exists with other content: refusing to overwrite it (a kiosk whose journal was reset needs a new name)")]
    Conflict(PathBuf),
    #[error("{0}: unreadable state ({1}); fix or remove it")]
    BadState(PathBuf, String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io(path.to_path_buf(), e)
}

/// The file name of `kiosk`'s result `seq`: sorts in seq order per kiosk.
pub fn result_name(kiosk: &str, seq: u64) -> String {
    format!("{kiosk}-{seq:012}.json")
}

fn temp_for(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

fn write_synced(path: &Path, content: &[u8]) -> Result<(), StoreError> {
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(path).map_err(io(path))?;
    f.write_all(content).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Flushes `dir`'s entries (a new name) to disk. Windows has no such call for directories;
/// NTFS journals its metadata.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates `dir` and removes the temp files a crash left in it.
pub fn prepare_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let name = entry.map_err(io(dir))?.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(dir.join(&name));
        }
    }
    Ok(())
}

/// What [`write_new`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// The file did not exist and now does.
    New,
    /// It existed already with exactly this content (written before a crash or a replay).
    Same,
}

fn compare(path: &Path, content: &[u8]) -> Result<Written, StoreError> {
    let existing = std::fs::read(path).map_err(io(path))?;
    if existing != content {
        return Err(StoreError::Conflict(path.to_path_buf()));
    }
    // A process killed before it flushed the file's directory may have left it in the page
    // cache only: flush both now, before the caller acknowledges what the file holds.
    // (Windows flushes only through a handle opened for writing.)
    let handle = if cfg!(unix) { File::open(path) } else { OpenOptions::new().write(true).open(path) };
    handle.and_then(|f| f.sync_all()).map_err(io(path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))?;
    Ok(Written::Same)
}

/// Writes `content` as `path` unless the file exists; an existing file is never changed.
pub fn write_new(path: &Path, content: &[u8]) -> Result<Written, StoreError> {
    if path.exists() {
        return compare(path, content);
    }
    let temp = temp_for(path);
    write_synced(&temp, content)?;
    // A hard link never replaces an existing name, so even a file that appeared meanwhile is
    // kept. File systems without hard links (FAT, some shares) get a rename instead.
    let linked = match std::fs::hard_link(&temp, path) {
        Ok(()) => Ok(Written::New),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => compare(path, content),
        Err(_) if !path.exists() => std::fs::rename(&temp, path).map(|_| Written::New).map_err(io(path)),
        Err(e) => Err(StoreError::Io(path.to_path_buf(), e)),
    };
    let _ = std::fs::remove_file(&temp);
    let written = linked?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))?;
    Ok(written)
}

/// Replaces `path` with `content` as a whole.
pub fn replace(path: &Path, content: &[u8]) -> Result<(), StoreError> {
    let temp = temp_for(path);
    write_synced(&temp, content)?;
    std::fs::rename(&temp, path).map_err(io(path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// A kiosk's progress: every result up to `acked` is in the folder (and at the webhook) and
/// acknowledged; the webhook has taken every result up to `webhooked`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub acked: u64,
    pub webhooked: u64,
}

pub fn cursor_path(state: &Path, kiosk: &str) -> PathBuf {
    state.join(format!("{kiosk}.cursor.json"))
}

/// The saved cursor, or the start for a kiosk never followed.
pub fn load_cursor(path: &Path) -> Result<Cursor, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| StoreError::BadState(path.to_path_buf(), e.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Cursor::default()),
        Err(e) => Err(StoreError::Io(path.to_path_buf(), e)),
    }
}

pub fn save_cursor(path: &Path, cursor: Cursor) -> Result<(), StoreError> {
    replace(path, &serde_json::to_vec(&cursor).expect("two numbers serialise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("myna-bridge-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        prepare_dir(&d).unwrap();
        d
    }

    #[test]
    fn an_existing_file_is_kept_and_other_content_refused() {
        let d = dir("keep");
        let p = d.join(result_name("k1", 3));
        assert_eq!(write_new(&p, b"one").unwrap(), Written::New);
        assert_eq!(write_new(&p, b"one").unwrap(), Written::Same);
        assert!(matches!(write_new(&p, b"two"), Err(StoreError::Conflict(_))));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1, "no temp file left");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn leftover_temp_files_are_cleared_and_cursors_round_trip() {
        let d = dir("cursor");
        std::fs::write(d.join(".k1-000000000001.json.tmp"), b"half").unwrap();
        prepare_dir(&d).unwrap();
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
        let p = cursor_path(&d, "k1");
        assert_eq!(load_cursor(&p).unwrap(), Cursor::default());
        save_cursor(&p, Cursor { acked: 4, webhooked: 5 }).unwrap();
        assert_eq!(load_cursor(&p).unwrap(), Cursor { acked: 4, webhooked: 5 });
        let _ = std::fs::remove_dir_all(&d);
    }
}
