//! What the invoke screen asks for and gets back: its settings, effects, messages, and the
//! saved-payload store the runner reads and writes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use crate::app::Action;
use crate::config::{CognitoConfig, Config};
use crate::domain::cognito::{Flow, PoolUser};
use crate::domain::invoke::{CallSpec, Outcome, Sample};
use crate::domain::tokens::Tokens;

/// What the invoke screen needs from the config file (`[cognito]`, `[invoke]`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub cognito: CognitoConfig,
    pub event_shape: String,
    pub api_url: Option<String>,
    /// Where saved payloads live (`None`: no data dir on this platform).
    pub payloads: Option<PayloadStore>,
}

impl Settings {
    /// The config's `[cognito]` and `[invoke]`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            cognito: config.cognito.clone(),
            event_shape: config.invoke.event_shape.clone(),
            api_url: config.invoke.api_url.clone(),
            payloads: PayloadStore::platform(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

/// A password in flight; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// Network work of the invoke screen.
#[derive(Debug, Clone)]
pub enum InvokeEffect {
    /// Load the cached sign-in (refreshing it when under five minutes remain).
    Resume { request_id: u64, user: PoolUser },
    SignIn {
        request_id: u64,
        user: PoolUser,
        password: Secret,
        flow: Flow,
    },
    NewPassword {
        request_id: u64,
        user: PoolUser,
        session: String,
        password: Secret,
    },
    Call {
        request_id: u64,
        spec: CallSpec,
        now: chrono::DateTime<chrono::Utc>,
    },
    FanOut {
        request_id: u64,
        spec: CallSpec,
        now: chrono::DateTime<chrono::Utc>,
        count: usize,
        concurrency: usize,
        cancel: CancellationToken,
    },
    /// The user last signed in to the pool (from the token cache).
    LastUser { pool: String, client: String },
    /// Read the saved payloads of a stack's function.
    LoadSaved {
        store: PayloadStore,
        stack: String,
        function: String,
    },
    /// Save `payload` as `name` for a stack's function.
    SavePayload {
        store: PayloadStore,
        stack: String,
        function: String,
        name: String,
        payload: String,
    },
}

/// How a sign-in attempt ended, for the screen.
#[derive(Debug)]
pub enum SignInResult {
    Tokens(Tokens),
    /// No cached sign-in (Resume only).
    None,
    NewPasswordRequired {
        session: String,
    },
}

/// Results of the invoke screen's work.
#[derive(Debug)]
pub enum InvokeMsg {
    /// The user last signed in to the pool (empty when none).
    LastUser(String),
    /// The saved payloads of `function`.
    SavedLoaded {
        function: String,
        saved: BTreeMap<String, String>,
    },
    /// A payload was saved as `name` (the function's payloads now), or why not.
    PayloadSaved {
        function: String,
        result: Result<(String, BTreeMap<String, String>), String>,
    },
    SignedIn {
        request_id: u64,
        result: Result<SignInResult, String>,
    },
    Called {
        request_id: u64,
        result: Box<Result<Outcome, String>>,
    },
    Sample {
        request_id: u64,
        sample: Sample,
    },
    FanOutDone {
        request_id: u64,
    },
}

/// Where named payloads are kept: one JSON map per stack + function in the platform data
/// dir. The files are read and written by the task runner, never by `update`.
#[derive(Debug, Clone)]
pub struct PayloadStore {
    dir: PathBuf,
}

impl PayloadStore {
    /// The store in the platform data dir.
    pub fn platform() -> Option<Self> {
        directories::ProjectDirs::from("", "", "protoctl").map(|d| Self {
            dir: d.data_local_dir().join("payloads"),
        })
    }

    /// A store in `dir` (tests).
    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The folder the store keeps its files in (the task runner reads and writes them).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

/// The action a finished sign-in sends back.
pub fn signed_in(request_id: u64, result: Result<SignInResult, String>) -> Action {
    Action::Invoke(InvokeMsg::SignedIn { request_id, result })
}
