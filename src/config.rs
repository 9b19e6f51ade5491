//! The configuration file: every key documented in `config.example.toml`.
//!
//! Unknown keys and bad values are errors that name the file, the line and the key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::domain::discovery::TagFilter;

/// The discovery tag used when neither the config nor `--tag` names one.
pub const DEFAULT_DISCOVERY_TAG: &str = "protoctl:prototype";

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub discovery: DiscoveryConfig,
    pub aws: AwsConfig,
    pub ui: UiConfig,
    pub abandon: AbandonConfig,
    pub teardown: TeardownConfig,
    pub cognito: CognitoConfig,
    pub s3: S3Config,
    pub logs: LogsConfig,
    pub dynamodb: DynamoConfig,
    pub invoke: InvokeConfig,
    /// `[queries]`: Logs Insights defaults and saved queries.
    pub queries: QueriesConfig,
    /// `[cost]`: the monthly estimate's window, prices and currency label.
    pub cost: CostConfig,
    /// `[shelve]`: where archives go and where the console's shelf looks for them.
    pub shelve: ShelveConfig,
    /// Key binding overrides: `[keys.<screen>] "<key>" = "<action>"`.
    pub keys: toml::Table,
}

/// `[discovery]`: which stacks are prototypes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoveryConfig {
    /// Tag filters, `KEY=VALUE` or `KEY`; all must match.
    #[serde(deserialize_with = "de_tags")]
    pub tags: Vec<TagFilter>,
    /// Regions to discover in at once (empty: the one region of the SDK config).
    pub regions: Vec<String>,
    /// AWS profiles whose accounts are listed together (empty: the one profile in use).
    pub profiles: Vec<String>,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            tags: vec![TagFilter {
                key: DEFAULT_DISCOVERY_TAG.to_string(),
                value: None,
            }],
            regions: Vec::new(),
            profiles: Vec::new(),
        }
    }
}

/// `[aws]`: where the SDK connects and how long it may take.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    #[serde(deserialize_with = "de_duration")]
    pub operation_timeout: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub attempt_timeout: Duration,
    pub max_attempts: u32,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            profile: None,
            region: None,
            endpoint_url: None,
            operation_timeout: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(20),
            max_attempts: 5,
        }
    }
}

/// `[ui]`: the console's look and feel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    pub theme: Theme,
    pub mouse: bool,
    pub clipboard: ClipboardMode,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: Theme::Dark,
            mouse: false,
            clipboard: ClipboardMode::Osc52,
        }
    }
}

/// Where copied text goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClipboardMode {
    /// The terminal's clipboard through OSC 52 (works over SSH).
    #[default]
    Osc52,
    /// The desktop clipboard through `pbcopy`, `wl-copy`, `xclip` or `xsel`.
    Native,
    /// Copying is off.
    None,
}

/// A colour theme.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    #[default]
    Dark,
    Light,
    HighContrast,
}

impl Theme {
    /// Parses a theme name as written in the config (`dark`, `light`, `high-contrast`).
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "dark" => Some(Self::Dark),
            "light" => Some(Self::Light),
            "high-contrast" => Some(Self::HighContrast),
            _ => None,
        }
    }
}

/// `[abandon]`: when a prototype counts as abandoned.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbandonConfig {
    #[serde(deserialize_with = "de_duration")]
    pub after: Duration,
    /// `KEY=VALUE` tags that protect a stack from teardown.
    pub keep_tags: Vec<String>,
    /// Tags that carry an expiry time (RFC3339 or a date).
    pub ttl_tags: Vec<String>,
}

impl Default for AbandonConfig {
    fn default() -> Self {
        Self {
            after: Duration::from_secs(30 * 86_400),
            keep_tags: vec![
                "protoctl:keep=true".into(),
                "cloud-nuke-excluded=true".into(),
            ],
            ttl_tags: vec!["expires-at".into(), "cloud-nuke-after".into()],
        }
    }
}

/// `[teardown]`: account guards.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeardownConfig {
    pub blocked_accounts: Vec<String>,
    /// When non-empty, only these accounts may be torn down in.
    pub allowed_accounts: Vec<String>,
    /// Buckets emptied at once.
    pub concurrency: usize,
}

/// `[shelve]`: archive locations (folders or `s3://BUCKET/PREFIX`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShelveConfig {
    /// The first is where `shelve` (and the console's `S`) writes when `--to` is not given;
    /// the console's `:archives` lists them all. Empty: `archives/` in the data dir.
    pub locations: Vec<String>,
}

/// `[cognito]`: the shared user pool prototypes sign in with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CognitoConfig {
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub username: Option<String>,
    /// `srp` (default) or `password` (USER_PASSWORD_AUTH).
    pub auth_flow: String,
    /// Which token goes into the Authorization header: `id` (default) or `access`.
    pub token: String,
}

impl Default for CognitoConfig {
    fn default() -> Self {
        Self {
            user_pool_id: None,
            client_id: None,
            client_secret: None,
            username: None,
            auth_flow: "srp".into(),
            token: "id".into(),
        }
    }
}

/// `[s3]`: previews and links.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Config {
    pub preview_kib: u64,
    #[serde(deserialize_with = "de_duration")]
    pub presign_expiry: Duration,
    /// The most objects the browser loads into one listing before it stops paging.
    pub max_objects: usize,
}

impl Default for S3Config {
    fn default() -> Self {
        Self {
            preview_kib: 64,
            presign_expiry: Duration::from_secs(3600),
            max_objects: DEFAULT_MAX_ROWS,
        }
    }
}

/// `[logs]`: the tail buffer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    pub buffer: usize,
    #[serde(deserialize_with = "de_duration")]
    pub since: Duration,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            buffer: 10_000,
            since: Duration::from_secs(3600),
        }
    }
}

/// `[dynamodb]`: paging and export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DynamoConfig {
    pub page_size: i32,
    pub export_segments: i32,
    /// The most items the items screen loads before it stops paging.
    pub max_rows: usize,
}

impl Default for DynamoConfig {
    fn default() -> Self {
        Self {
            page_size: 200,
            export_segments: 4,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}

/// Rows a paging screen loads at most unless the config says otherwise.
pub const DEFAULT_MAX_ROWS: usize = 500_000;

/// `[invoke]`: how functions are called.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvokeConfig {
    /// `rest` (API Gateway v1 proxy event, default) or `http` (v2).
    pub event_shape: String,
    /// Base URL when a stack has no ServiceEndpoint output.
    pub api_url: Option<String>,
}

impl Default for InvokeConfig {
    fn default() -> Self {
        Self {
            event_shape: "rest".into(),
            api_url: None,
        }
    }
}

/// `[queries]`: the default window of `query` and the user's saved Logs Insights queries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueriesConfig {
    /// How far back a query reads unless `--since` says otherwise.
    #[serde(deserialize_with = "de_duration")]
    pub since: Duration,
    /// `[[queries.saved]]` entries.
    pub saved: Vec<SavedQueryConfig>,
}

impl Default for QueriesConfig {
    fn default() -> Self {
        Self {
            since: Duration::from_secs(3600),
            saved: Vec::new(),
        }
    }
}

/// One `[[queries.saved]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedQueryConfig {
    /// The name `--saved` takes.
    pub name: String,
    /// The Logs Insights query text.
    pub text: String,
    /// One line shown next to the name.
    #[serde(default)]
    pub description: Option<String>,
    /// Only for stacks whose name matches this pattern (`*` matches anything); default: all.
    #[serde(default)]
    pub stacks: Option<String>,
}

/// Where `cost` reads what a stack costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum CostSource {
    /// Usage (CloudWatch metrics, sizes, the template) times the bundled list prices.
    #[default]
    Usage,
    /// Cost Explorer's actual cost by the `aws:cloudformation:stack-name` tag.
    Explorer,
}

/// `[cost]`: the monthly estimate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// `usage` (default) or `explorer`.
    pub source: CostSource,
    /// Days of usage measured (scaled to a 30-day month).
    pub days: u32,
    /// The label figures are shown with (prices overridden in another currency).
    pub currency: Option<String>,
    /// Unit price overrides: `"KEY" = price` in every region, `"REGION/KEY" = price` in one.
    pub prices: std::collections::BTreeMap<String, f64>,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            source: CostSource::Usage,
            days: 30,
            currency: None,
            prices: std::collections::BTreeMap::new(),
        }
    }
}

impl CostConfig {
    /// The bundled price table with this section's overrides and currency.
    pub fn price_table(
        &self,
    ) -> Result<crate::domain::cost::PriceTable, crate::domain::cost::PriceError> {
        crate::domain::cost::PriceTable::bundled()?
            .with_overrides(&self.prices, self.currency.as_deref())
    }
}

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

fn de_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TagFilter>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter()
        .map(|s| s.parse::<TagFilter>().map_err(serde::de::Error::custom))
        .collect()
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    parse_duration(&raw).map_err(serde::de::Error::custom)
}

/// Parses `90s`, `15m`, `2h`, `30d`, `1w` (a plain number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: use e.g. 90s, 15m, 2h, 30d"))?;
    let mult = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "{s:?} is not a duration: use e.g. 90s, 15m, 2h, 30d"
            ));
        }
    };
    n.checked_mul(mult)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/tmp/c.toml"))
    }

    #[test]
    fn defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.discovery.tags[0].key, DEFAULT_DISCOVERY_TAG);
        assert_eq!(c.abandon.after, Duration::from_secs(30 * 86_400));
        assert_eq!(c.logs.buffer, 10_000);
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../config.example.toml");
        let c = parse(text).unwrap();
        assert!(!c.discovery.tags.is_empty());
    }

    #[test]
    fn full_values() {
        let c = parse(
            "[discovery]\ntags = [\"team=proto\", \"stage\"]\n[abandon]\nafter = \"45d\"\n[ui]\ntheme = \"high-contrast\"\n",
        )
        .unwrap();
        assert_eq!(c.discovery.tags.len(), 2);
        assert_eq!(c.discovery.tags[1].value, None);
        assert_eq!(c.abandon.after, Duration::from_secs(45 * 86_400));
        assert_eq!(c.ui.theme, Theme::HighContrast);
    }

    #[rstest]
    #[case::unknown_key("[discovery]\ntags = []\ncolour = 1\n", 3, "colour", "unknown field")]
    #[case::unknown_section("\n\n[nope]\nx = 1\n", 3, "nope", "unknown field")]
    #[case::bad_type("[logs]\nbuffer = \"many\"\n", 2, "buffer", "invalid type")]
    #[case::bad_duration("[abandon]\nafter = \"soon\"\n", 2, "after", "not a duration")]
    #[case::bad_tag("[discovery]\ntags = [\"=x\"]\n", 2, "tags", "empty key")]
    #[case::bad_theme("[ui]\ntheme = \"neon\"\n", 2, "theme", "unknown variant")]
    #[case::bad_clipboard(
        "[ui]\nclipboard = \"carrier-pigeon\"\n",
        2,
        "clipboard",
        "unknown variant"
    )]
    #[case::syntax("[ui\n", 1, "ui", "")]
    #[case::cost_key(
        "[cost]\ncurrency = \"EUR\"\n[cost.prices]\n\"lambda.reqs\" = 1.0\n",
        4,
        "cost.prices.\"lambda.reqs\"",
        "unknown price"
    )]
    #[case::cost_value(
        "[cost.prices]\n\"eu-west-1/s3.standard\" = -2.0\n",
        2,
        "cost.prices.\"eu-west-1/s3.standard\"",
        "finite number"
    )]
    #[case::cost_days("[cost]\ndays = 0\n", 2, "cost.days", "between 1 and 455")]
    #[case::cost_source("[cost]\nsource = \"bill\"\n", 2, "source", "unknown variant")]
    fn errors_name_file_line_key(
        #[case] text: &str,
        #[case] line: usize,
        #[case] key: &str,
        #[case] msg: &str,
    ) {
        let err = parse(text).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("/tmp/c.toml"), "{shown}");
        assert!(shown.contains(&format!("line {line}")), "{shown}");
        assert!(shown.contains(&format!("`{key}`")), "{shown}");
        assert!(shown.contains(msg), "{shown}");
        assert!(!shown.contains('\n'), "one line: {shown}");
    }

    #[rstest]
    #[case("90s", 90)]
    #[case("15m", 900)]
    #[case("2h", 7200)]
    #[case("30d", 2_592_000)]
    #[case("1w", 604_800)]
    #[case("12", 12)]
    fn durations(#[case] s: &str, #[case] secs: u64) {
        assert_eq!(parse_duration(s).unwrap(), Duration::from_secs(secs));
    }

    #[rstest]
    #[case("")]
    #[case("m")]
    #[case("5y")]
    #[case("-5m")]
    #[case("99999999999999999999d")]
    fn bad_durations(#[case] s: &str) {
        assert!(parse_duration(s).is_err());
    }

    #[rstest]
    #[case::unknown_command(
        "[keys.global]\n\"x\" = \"explode\"\n",
        2,
        "keys.global.\"x\"",
        "unknown command"
    )]
    #[case::unknown_key(
        "\n[keys.stacks]\n\"j\" = \"down\"\n\"hyper-k\" = \"up\"\n",
        4,
        "keys.stacks.\"hyper-k\"",
        "unknown key"
    )]
    #[case::unknown_scope(
        "[keys.nowhere]\n\"q\" = \"quit\"\n",
        1,
        "keys.nowhere",
        "unknown key-map scope"
    )]
    #[case::conflict(
        "[keys.stacks]\n\"G\" = \"bottom\"\n\"shift-g\" = \"top\"\n",
        3,
        "keys.stacks.\"shift-g\"",
        "conflicting bindings"
    )]
    fn keymap_errors_name_file_line_key(
        #[case] text: &str,
        #[case] line: usize,
        #[case] key: &str,
        #[case] msg: &str,
    ) {
        let shown = parse(text).unwrap_err().to_string();
        assert!(shown.contains(&format!("line {line}")), "{shown}");
        assert!(shown.contains(&format!("`{key}`")), "{shown}");
        assert!(shown.contains(msg), "{shown}");
    }

    #[test]
    fn keymap_overrides_are_accepted() {
        let c = parse("[keys.global]\n\"ctrl-q\" = \"quit\"\n\"q\" = \"none\"\n").unwrap();
        assert!(c.keys.contains_key("global"));
    }

    #[test]
    fn saved_queries() {
        let c = parse(
            "[queries]\nsince = \"2h\"\n[[queries.saved]]\nname = \"slow\"\ntext = \"fields @duration\"\nstacks = \"orders-*\"\n",
        )
        .unwrap();
        assert_eq!(c.queries.since, Duration::from_secs(7200));
        assert_eq!(c.queries.saved[0].name, "slow");
        assert_eq!(c.queries.saved[0].stacks.as_deref(), Some("orders-*"));
        let err = parse("[[queries.saved]]\nname = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `text`"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/protoctl.toml"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/protoctl.toml"));
    }
}
