//! Where an archive is written or read: a folder, or an S3 prefix (`s3://bucket/prefix`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// A place holding archives (or one archive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// The place `name` inside this one (a sub-folder, or a longer prefix).
    #[must_use]
    pub fn join(&self, name: &str) -> Self {
        match self {
            Self::Dir(p) => Self::Dir(p.join(name)),
            Self::S3 { bucket, prefix } => Self::S3 {
                bucket: bucket.clone(),
                prefix: format!("{}{name}/", with_slash(prefix)),
            },
        }
    }
}

fn with_slash(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

impl FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("{s:?} names no bucket: use s3://BUCKET/PREFIX"));
            }
            return Ok(Self::S3 {
                bucket: bucket.to_string(),
                prefix: with_slash(prefix),
            });
        }
        if s.is_empty() {
            return Err("the archive location is empty".into());
        }
        Ok(Self::Dir(PathBuf::from(s)))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(p) => write!(f, "{}", p.display()),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// The default place for archives: `archives/` in the platform data dir.
pub fn default_location() -> Option<Location> {
    directories::ProjectDirs::from("", "", "protoctl")
        .map(|d| Location::Dir(d.data_local_dir().join("archives")))
}

/// The archive locations of the config (`[shelve] locations`), or the default one: the
/// first is where shelving writes. A bad entry is an error naming it.
pub fn configured(locations: &[String]) -> Result<Vec<Location>, String> {
    if locations.is_empty() {
        return default_location()
            .map(|l| vec![l])
            .ok_or_else(|| "no data dir for archives: set [shelve] locations".to_string());
    }
    locations
        .iter()
        .map(|s| {
            s.parse::<Location>()
                .map_err(|e| format!("[shelve] locations: {e}"))
        })
        .collect()
}

/// The archive's name inside its location: the stack name and the time, sortable.
pub fn archive_name(stack: &str, at: DateTime<Utc>) -> String {
    format!(
        "{}-{}",
        super::path_segment(stack),
        at.format("%Y%m%dT%H%M%SZ")
    )
}
