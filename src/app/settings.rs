//! The config's settings the console uses, handed to `App::new` as one value.

use chrono::{DateTime, Utc};

use super::{dynamo, invoke};
use crate::config::{Config, LogsConfig, QueriesConfig, S3Config, Theme};

/// Everything the screens read from the config file.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The colour theme at start (switchable from the palette).
    pub theme: Theme,
    pub dynamo: dynamo::DynamoSettings,
    /// `[s3]` (preview size, presign expiry).
    pub s3: S3Config,
    /// `[logs]` (buffer size, default time range).
    pub logs: LogsConfig,
    /// `[queries]` (default window, saved queries).
    pub queries: QueriesConfig,
    /// `[cognito]` and `[invoke]`.
    pub invoke: invoke::Settings,
    /// `[abandon]` and `[teardown]`: guards and abandonment rules (filters are the runner's).
    pub teardown: crate::domain::teardown::run::Settings,
    /// `[cost]`: the window and the prices of the `$/MO` column and the `$` screen.
    pub cost: super::cost::Settings,
    /// `[shelve] locations`: where `S` writes (the first) and `:archives` looks.
    pub shelve_locations: Vec<String>,
    /// The home folder, for `~/` in typed paths (read once at start).
    pub home: Option<std::path::PathBuf>,
}

impl Settings {
    /// The settings of `config`; `read_only` and `now` feed the teardown guards.
    pub fn from_config(config: &Config, read_only: bool, now: DateTime<Utc>) -> Self {
        Self {
            theme: config.ui.theme,
            dynamo: dynamo::DynamoSettings {
                page_size: config.dynamodb.page_size.max(1),
                export_segments: config.dynamodb.export_segments.max(1),
                max_rows: config.dynamodb.max_rows.max(1),
            },
            s3: config.s3.clone(),
            logs: config.logs.clone(),
            queries: config.queries.clone(),
            invoke: invoke::Settings::from_config(config),
            teardown: crate::domain::teardown::run::Settings::from_config(
                config,
                Vec::new(),
                read_only,
                now,
            ),
            cost: super::cost::Settings::from_config(config),
            shelve_locations: config.shelve.locations.clone(),
            home: std::env::var_os("HOME").map(std::path::PathBuf::from),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: Theme::Dark,
            dynamo: dynamo::DynamoSettings::default(),
            s3: S3Config::default(),
            logs: LogsConfig::default(),
            queries: QueriesConfig::default(),
            invoke: invoke::Settings::default(),
            teardown: super::teardown::default_settings(),
            cost: super::cost::Settings::default(),
            shelve_locations: Vec::new(),
            home: std::env::var_os("HOME").map(std::path::PathBuf::from),
        }
    }
}
