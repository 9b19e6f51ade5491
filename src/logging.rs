//! Tracing to a file (never to the terminal): level from `PROTOCTL_LOG`, default `info`.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// The default log file: `protoctl.log` in the platform data dir.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "protoctl")
        .map(|d| d.data_local_dir().join("protoctl.log"))
}

/// Starts logging to `path` (or the default). Failure to open the file leaves logging off.
pub fn init(path: Option<&Path>) {
    let Some(path) = path.map(Path::to_path_buf).or_else(default_path) else {
        return;
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = OpenOptions::new().create(true).append(true).open(&path) else {
        return;
    };
    let filter = EnvFilter::try_from_env("PROTOCTL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}
