//! The profiles of the user's AWS config files, for the profile picker.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn home() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
}

/// The config and credentials files the SDK reads (honouring `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`).
pub fn config_files() -> Vec<PathBuf> {
    let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let h = home();
    [
        env("AWS_CONFIG_FILE").or_else(|| h.as_ref().map(|h| h.join(".aws/config"))),
        env("AWS_SHARED_CREDENTIALS_FILE")
            .or_else(|| h.as_ref().map(|h| h.join(".aws/credentials"))),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Profile names from the text of a config file (`[profile x]`, `[default]`) or a
/// credentials file (`[x]`); `sso-session` and `services` sections are not profiles.
pub fn profiles_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let inner = l.strip_prefix('[')?.strip_suffix(']')?.trim();
            if inner.starts_with("sso-session ") || inner.starts_with("services ") {
                return None;
            }
            let name = inner.strip_prefix("profile ").unwrap_or(inner).trim();
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

/// Every profile name in the user's AWS files, sorted, `default` first when present.
pub fn list_profiles() -> Vec<String> {
    let mut set = BTreeSet::new();
    for f in config_files() {
        if let Ok(text) = std::fs::read_to_string(&f) {
            set.extend(profiles_in(&text));
        }
    }
    let mut out: Vec<String> = Vec::with_capacity(set.len());
    if set.remove("default") {
        out.push("default".to_string());
    }
    out.extend(set);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections() {
        let text = "[default]\nregion=x\n[profile dev]\n[ profile  prod ]\n[sso-session corp]\n[services s]\n# [profile commented]\n[plain]\n";
        assert_eq!(profiles_in(text), ["default", "dev", "prod", "plain"]);
    }
}
