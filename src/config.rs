//! The configuration file: every key documented in `config.example.toml`.
//!
//! Unknown keys and bad values are errors that name the file, the line and the key.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::domain::discovery::TagFilter;

mod load;

pub use load::ConfigError;

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
mod tests;
