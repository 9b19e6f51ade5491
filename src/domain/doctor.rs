//! `doctor`'s checks as data, and the pure parts of them: the terminal's abilities from
//! its environment, region names, SSO sessions from the AWS config and token cache, and
//! what the IAM simulator's answers mean for a policy.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One check: what was checked, whether it passed, what was found, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: String,
    pub ok: bool,
    pub detail: String,
    /// One line saying what to do; `None` when there is nothing to fix.
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(check: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    /// A failed check with its fix.
    pub fn fail(
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            check: check.into(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// True when every check passed.
pub fn all_ok(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.ok)
}

/// The commercial, GovCloud and China regions AWS publishes.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known region closest to a mistyped one (at most three edits away).
pub fn closest_region(region: &str) -> Option<&'static str> {
    KNOWN_REGIONS
        .iter()
        .map(|r| (edit_distance(region, r), *r))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, r)| r)
}

/// The region check of one region name (`source` says where it came from).
pub fn region_check(name: &str, region: &str, source: &str) -> Check {
    if KNOWN_REGIONS.contains(&region) {
        return Check::pass(name, format!("{region} ({source})"));
    }
    let shown = crate::domain::sanitize::sanitize(region);
    let fix = match closest_region(region) {
        Some(r) => format!("did you mean {r}? Pass --region {r} or correct it in {source}"),
        None => format!("use an AWS region name such as us-east-1 in {source}"),
    };
    Check::fail(
        name,
        format!("{shown:?} is not an AWS region ({source})"),
        fix,
    )
}

/// What the SSO set-up of a profile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sso {
    /// The profile does not sign in through IAM Identity Center.
    NotUsed,
    /// A cached session token valid until then.
    Valid(DateTime<Utc>),
    /// The cached token expired then.
    Expired(DateTime<Utc>),
    /// No cached token for the profile's start URL: never logged in, or logged out.
    NoToken { start_url: String },
}

/// The keys of the `[profile NAME]` (or `[default]`) section and of `[sso-session S]`.
fn section<'a>(config: &'a str, header: &str) -> Vec<(&'a str, &'a str)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in config.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            let inner = t.trim_start_matches('[').trim_end_matches(']').trim();
            inside = inner.split_whitespace().collect::<Vec<_>>().join(" ") == header;
            continue;
        }
        if inside && let Some((k, v)) = t.split_once('=') {
            out.push((k.trim(), v.trim()));
        }
    }
    out
}

/// The SSO state of `profile` from the AWS config text and the token cache files' texts.
pub fn sso_state(config: &str, profile: &str, cache: &[String], now: DateTime<Utc>) -> Sso {
    let header = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let keys = section(config, &header);
    let get = |keys: &[(&str, &str)], k: &str| {
        keys.iter()
            .find(|(kk, _)| *kk == k)
            .map(|(_, v)| (*v).to_string())
    };
    let start_url = match get(&keys, "sso_session") {
        Some(s) => get(
            &section(config, &format!("sso-session {s}")),
            "sso_start_url",
        ),
        None => get(&keys, "sso_start_url"),
    };
    let Some(start_url) = start_url else {
        return Sso::NotUsed;
    };
    let expiry = cache
        .iter()
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .filter(|v| {
            v["startUrl"].as_str() == Some(start_url.as_str()) && v["accessToken"].is_string()
        })
        .filter_map(|v| {
            v["expiresAt"]
                .as_str()
                .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        })
        .map(|t| t.with_timezone(&Utc))
        .max();
    match expiry {
        Some(t) if t > now => Sso::Valid(t),
        Some(t) => Sso::Expired(t),
        None => Sso::NoToken { start_url },
    }
}

/// The SSO check of a profile from its state.
pub fn sso_check(profile: &str, state: &Sso) -> Check {
    let shown = crate::domain::sanitize::sanitize(profile);
    let login = format!("run `aws sso login --profile {shown}`");
    match state {
        Sso::NotUsed => Check::pass("sso", format!("profile {shown} does not use SSO")),
        Sso::Valid(t) => Check::pass(
            "sso",
            format!(
                "the SSO session of profile {shown} is valid until {}",
                crate::domain::time::rfc3339(*t)
            ),
        ),
        Sso::Expired(t) => Check::fail(
            "sso",
            format!(
                "the SSO session of profile {shown} expired at {}",
                crate::domain::time::rfc3339(*t)
            ),
            login,
        ),
        Sso::NoToken { start_url } => Check::fail(
            "sso",
            format!(
                "profile {shown} signs in through SSO ({}) but there is no cached session",
                crate::domain::sanitize::sanitize(start_url)
            ),
            login,
        ),
    }
}

/// The permissions check of one documented policy from the simulator's decisions
/// (`(action, allowed)`).
pub fn policy_check(policy: &str, decisions: &[(String, bool)]) -> Check {
    let name = format!("permissions:{policy}");
    let denied: Vec<&str> = decisions
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(a, _)| a.as_str())
        .collect();
    if denied.is_empty() {
        return Check::pass(
            name,
            format!(
                "all {} actions of the {policy} policy are allowed",
                decisions.len()
            ),
        );
    }
    Check::fail(
        name,
        format!(
            "{} of {} actions are denied: {}",
            denied.len(),
            decisions.len(),
            crate::domain::sanitize::sanitize(&denied.join(", "))
        ),
        format!(
            "attach the {policy} policy of docs/iam.md (assets/iam/{policy}.json) to your role or user"
        ),
    )
}

/// The terminal checks: colours, OSC 52 clipboard, mouse, from the environment.
pub fn terminal_checks(
    env: &dyn Fn(&str) -> Option<String>,
    clipboard: crate::config::ClipboardMode,
    mouse: bool,
) -> Vec<Check> {
    use crate::config::ClipboardMode;
    let term = env("TERM").unwrap_or_default();
    let program = env("TERM_PROGRAM").unwrap_or_default();
    let colorterm = env("COLORTERM").unwrap_or_default();
    let in_tmux = env("TMUX").is_some_and(|t| !t.is_empty());
    let dumb = term.is_empty() || term == "dumb";
    let mut out = Vec::new();
    let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
    out.push(if no_color {
        Check::pass(
            "terminal:colours",
            "NO_COLOR is set: the console draws without colour",
        )
    } else if dumb {
        Check::fail(
            "terminal:colours",
            format!("TERM is {term:?}: no colours and no cursor movement"),
            "run the console in a terminal emulator with TERM set (e.g. xterm-256color)",
        )
    } else if colorterm == "truecolor" || colorterm == "24bit" {
        Check::pass(
            "terminal:colours",
            format!("24-bit colour (TERM={term}, COLORTERM={colorterm})"),
        )
    } else if term.contains("256color") {
        Check::pass("terminal:colours", format!("256 colours (TERM={term})"))
    } else {
        Check::pass(
            "terminal:colours",
            format!("basic colours (TERM={term}); themes look best with 256 colours"),
        )
    });
    let osc52_known_bad =
        program == "Apple_Terminal" || term == "linux" || term.starts_with("screen") && !in_tmux;
    out.push(match clipboard {
        ClipboardMode::None => Check::pass("terminal:osc52", "copying is off ([ui] clipboard = \"none\")"),
        ClipboardMode::Native => Check::pass("terminal:osc52", "copies go to the desktop clipboard ([ui] clipboard = \"native\")"),
        ClipboardMode::Osc52 if dumb || osc52_known_bad => Check::fail(
            "terminal:osc52",
            format!(
                "this terminal ({}) does not set the clipboard from OSC 52",
                if program.is_empty() { term.clone() } else { program.clone() }
            ),
            "set [ui] clipboard = \"native\" in the config file, or use a terminal with OSC 52 (iTerm2, kitty, WezTerm, Alacritty, Windows Terminal, foot)",
        ),
        ClipboardMode::Osc52 if in_tmux => Check::pass(
            "terminal:osc52",
            "inside tmux: copies reach the outer terminal when tmux has `set -g set-clipboard on`",
        ),
        ClipboardMode::Osc52 => Check::pass("terminal:osc52", format!("copies go through OSC 52 (TERM={term})")),
    });
    out.push(if !mouse {
        Check::pass("terminal:mouse", "the mouse is off ([ui] mouse = false)")
    } else if dumb || term == "linux" {
        Check::fail(
            "terminal:mouse",
            format!("TERM is {term:?}: mouse reports are not available"),
            "set [ui] mouse = false, or use a terminal emulator with mouse support",
        )
    } else {
        Check::pass("terminal:mouse", format!("mouse reports on (TERM={term})"))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClipboardMode;
    use chrono::TimeZone;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(kk, _)| *kk == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn regions_are_checked_with_a_suggestion() {
        assert!(region_check("region", "eu-west-1", "--region").ok);
        let bad = region_check("region", "us-eats-1", "--region");
        assert!(!bad.ok);
        assert!(bad.fix.as_deref().unwrap().contains("us-east-1"), "{bad:?}");
        let far = region_check("region", "mars", "AWS_REGION");
        assert!(far.fix.as_deref().unwrap().contains("such as"), "{far:?}");
    }

    #[test]
    fn sso_sessions_are_read_from_the_config_and_cache() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let config = "[profile dev]\nsso_session = corp\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\n[profile legacy]\nsso_start_url = https://old.awsapps.com/start\n\n[profile keys]\nregion = us-east-1\n";
        let cache = vec![
            r#"{"startUrl":"https://corp.awsapps.com/start","accessToken":"t","expiresAt":"2026-06-01T11:00:00Z"}"#.to_string(),
            "not json".to_string(),
        ];
        assert_eq!(sso_state(config, "keys", &cache, now), Sso::NotUsed);
        let expired = sso_state(config, "dev", &cache, now);
        assert!(matches!(expired, Sso::Expired(_)));
        let c = sso_check("dev", &expired);
        assert!(
            !c.ok && c.fix.as_deref() == Some("run `aws sso login --profile dev`"),
            "{c:?}"
        );
        assert!(matches!(
            sso_state(config, "legacy", &cache, now),
            Sso::NoToken { .. }
        ));
        let later = vec![cache[0].replace("11:00", "13:00")];
        assert!(matches!(
            sso_state(config, "dev", &later, now),
            Sso::Valid(_)
        ));
    }

    #[test]
    fn a_denied_action_names_the_policy_to_attach() {
        let ok = policy_check("read", &[("logs:FilterLogEvents".into(), true)]);
        assert!(ok.ok);
        let denied = policy_check(
            "teardown",
            &[
                ("cloudformation:DeleteStack".into(), false),
                ("s3:DeleteObject".into(), true),
            ],
        );
        assert!(!denied.ok);
        assert!(denied.detail.contains("cloudformation:DeleteStack"));
        assert!(denied.fix.unwrap().contains("assets/iam/teardown.json"));
    }

    #[test]
    fn terminal_abilities_come_from_the_environment() {
        let good = terminal_checks(
            &env_of(&[("TERM", "xterm-256color"), ("COLORTERM", "truecolor")]),
            ClipboardMode::Osc52,
            true,
        );
        assert!(all_ok(&good), "{good:?}");
        let dumb = terminal_checks(&env_of(&[("TERM", "dumb")]), ClipboardMode::Osc52, true);
        assert_eq!(dumb.iter().filter(|c| !c.ok).count(), 3, "{dumb:?}");
        let apple = terminal_checks(
            &env_of(&[
                ("TERM", "xterm-256color"),
                ("TERM_PROGRAM", "Apple_Terminal"),
            ]),
            ClipboardMode::Osc52,
            false,
        );
        let osc = apple.iter().find(|c| c.check == "terminal:osc52").unwrap();
        assert!(
            !osc.ok && osc.fix.as_deref().unwrap().contains("native"),
            "{osc:?}"
        );
        let no_color = terminal_checks(
            &env_of(&[("TERM", "dumb"), ("NO_COLOR", "1")]),
            ClipboardMode::None,
            false,
        );
        assert!(all_ok(&no_color), "{no_color:?}");
    }
}
