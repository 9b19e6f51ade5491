//! Reading the config file: the platform path, the TOML, and errors that name the line
//! and key at fault (the key map and the cost prices are checked here too).

use std::path::{Path, PathBuf};

use super::Config;

/// A configuration file that could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}, line {line}, key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

impl Config {
    /// The default config path: `config.toml` in the platform config dir.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "protoctl")
            .map(|d| d.config_dir().join("config.toml"))
    }

    /// Loads `explicit` (which must exist) or the default path (which may be absent).
    pub fn load(explicit: Option<&Path>) -> Result<(Self, Option<PathBuf>), ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match Self::default_path() {
                Some(p) if p.exists() => p,
                _ => return Ok((Self::default(), None)),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let cfg = Self::parse(&text, &path)?;
        Ok((cfg, Some(path)))
    }

    /// Parses config text; `path` only names the file in errors. The key map is checked
    /// too, so a bad binding fails every command, not only the console.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let cfg = toml::from_str::<Self>(text).map_err(|e| invalid(text, path, &e))?;
        if let Err(e) = crate::app::keymap::Keymap::load(&cfg.keys) {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line: key_line(text, &e.scope, &e.key),
                key: if e.key.is_empty() {
                    format!("keys.{}", e.scope)
                } else {
                    format!("keys.{}.\"{}\"", e.scope, e.key)
                },
                message: e.message,
            });
        }
        if let Err(e) = cfg.cost.price_table() {
            let bad = match &e {
                crate::domain::cost::PriceError::UnknownKey(k, _)
                | crate::domain::cost::PriceError::BadValue(k) => k.clone(),
                _ => String::new(),
            };
            let line = text
                .lines()
                .position(|l| !bad.is_empty() && l.contains(bad.as_str()))
                .map_or(0, |i| i + 1);
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                key: format!("cost.prices.\"{bad}\""),
                message: e.to_string(),
            });
        }
        if cfg.cost.days == 0 || cfg.cost.days > 455 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line: text
                    .lines()
                    .position(|l| l.trim_start().starts_with("days"))
                    .map_or(0, |i| i + 1),
                key: "cost.days".into(),
                message: "days must be between 1 and 455 (CloudWatch keeps hourly data 455 days)"
                    .into(),
            });
        }
        Ok(cfg)
    }
}

fn invalid(text: &str, path: &Path, e: &toml::de::Error) -> ConfigError {
    let (line, key) = match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line_no = text[..start].matches('\n').count() + 1;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_text = text[line_start..].lines().next().unwrap_or("");
            (
                line_no,
                key_of_line(line_text, &text[start..span.end.min(text.len())]),
            )
        }
        None => (0, String::new()),
    };
    let message = e.message().lines().next().unwrap_or("invalid").to_string();
    let key = if key.is_empty() {
        unknown_field_name(&message).unwrap_or_else(|| "?".into())
    } else {
        key
    };
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        key,
        message,
    }
}

/// The line of `key` in the `[keys.<scope>]` table (or of the table header itself).
fn key_line(text: &str, scope: &str, key: &str) -> usize {
    let header = format!("[keys.{scope}]");
    let mut in_table = false;
    let mut header_line = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_table = t.replace(' ', "") == header;
            if in_table {
                header_line = i + 1;
            }
            continue;
        }
        if in_table && !key.is_empty() {
            let lhs = t
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .trim_matches('\'');
            if lhs == key {
                return i + 1;
            }
        }
    }
    header_line
}

/// The key named on a config line: the left of `=`, or a `[table]` header.
fn key_of_line(line: &str, spanned: &str) -> String {
    let line = line.trim();
    if let Some((k, _)) = line.split_once('=') {
        return k.trim().trim_matches('"').to_string();
    }
    if line.starts_with('[') {
        return line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_string();
    }
    spanned.trim().trim_matches('"').to_string()
}

fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next().map(ToString::to_string)
}
