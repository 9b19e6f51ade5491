//! The invoke screen's state: sign in once, pick a function (or the API), edit a JSON
//! payload validated as you type, call once or fan out with live statistics.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio_util::sync::CancellationToken;

use super::keymap::{Command, Key, Scope};
use super::widgets::TextInput;
use super::widgets::input::Edit;
use super::{Action, App, Effect, Level, Screen};
use crate::aws::cognito::{self, Flow, PoolUser};
use crate::aws::invoke::{MAX_CONCURRENCY, MAX_COUNT};
use crate::config::{CognitoConfig, Config};
use crate::domain::invoke::{
    CallSpec, EventShape, Outcome, Request, Sample, Summary, Via, api_base_url, method_or_default,
    parse_payload, stage_of,
};
use crate::domain::stack::Stack;
use crate::domain::tokens::{Tokens, cache_key};

const MAX_FIELD: usize = 200;
const MAX_PAYLOAD: usize = 64 * 1024;

/// What the invoke screen needs from the config file (`[cognito]`, `[invoke]`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub cognito: CognitoConfig,
    pub event_shape: String,
    pub api_url: Option<String>,
}

impl Settings {
    /// The config's `[cognito]` and `[invoke]`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            cognito: config.cognito.clone(),
            event_shape: config.invoke.event_shape.clone(),
            api_url: config.invoke.api_url.clone(),
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

/// The form fields, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    User,
    Password,
    Function,
    Via,
    Method,
    Path,
    Payload,
    Name,
    Count,
    Concurrency,
}

const SIGN_IN_FIELDS: [Field; 2] = [Field::User, Field::Password];
const FORM_FIELDS: [Field; 8] = [
    Field::Function,
    Field::Via,
    Field::Method,
    Field::Path,
    Field::Payload,
    Field::Name,
    Field::Count,
    Field::Concurrency,
];

/// A running or finished fan-out.
#[derive(Debug)]
pub struct FanOut {
    pub total: usize,
    pub concurrency: usize,
    pub samples: Vec<Sample>,
    pub done: bool,
    pub cancel: CancellationToken,
}

impl FanOut {
    /// The statistics so far.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.samples, self.total)
    }
}

/// Named payloads of one stack + function: a JSON map in the platform data dir.
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

    fn path(&self, stack: &str, function: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", cache_key(stack, function, "payloads")))
    }

    /// The saved payloads, by name.
    pub fn load(&self, stack: &str, function: &str) -> BTreeMap<String, String> {
        std::fs::read_to_string(self.path(stack, function))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Saves `payload` as `name`.
    pub fn save(
        &self,
        stack: &str,
        function: &str,
        name: &str,
        payload: &str,
    ) -> Result<(), String> {
        let mut all = self.load(stack, function);
        all.insert(name.to_string(), payload.to_string());
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("cannot save the payload: {e}"))?;
        let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
        std::fs::write(self.path(stack, function), text)
            .map_err(|e| format!("cannot save the payload: {e}"))
    }
}

/// State of the invoke screen.
pub struct InvokeState {
    pub stack: Stack,
    pub functions: Vec<String>,
    pub api_url: Option<String>,
    pub pool: Result<(String, String), String>,
    pub user: TextInput,
    pub password: TextInput,
    pub new_password_session: Option<String>,
    pub tokens: Option<Tokens>,
    pub signing_in: bool,
    pub focus: Field,
    pub function: usize,
    pub via: Via,
    pub method: TextInput,
    pub path: TextInput,
    pub payload: TextInput,
    pub payload_error: Option<String>,
    pub name: TextInput,
    pub saved: BTreeMap<String, String>,
    pub store: Option<PayloadStore>,
    pub count: TextInput,
    pub concurrency: TextInput,
    pub request_id: u64,
    pub busy: bool,
    pub response: Option<Outcome>,
    pub error: Option<String>,
    pub fanout: Option<FanOut>,
    /// First response line shown (page up / page down).
    pub scroll: u16,
    /// `[cognito]` and `[invoke]` of the config.
    pub settings: Settings,
}

impl InvokeState {
    /// A screen for `stack` with its `functions` (physical names).
    pub fn new(
        stack: Stack,
        functions: Vec<String>,
        store: Option<PayloadStore>,
        settings: &Settings,
    ) -> Self {
        let s = settings.clone();
        let pool = cognito::pool_for(&s.cognito, Some(&stack)).map_err(|e| e.message);
        let api_url = api_base_url(None, &stack, s.api_url.as_deref());
        Self {
            user: s.cognito.username.clone().unwrap_or_default().into(),
            stack,
            functions,
            api_url,
            pool,
            password: TextInput::default(),
            new_password_session: None,
            tokens: None,
            signing_in: false,
            focus: Field::User,
            function: 0,
            via: Via::Lambda,
            method: "GET".into(),
            path: "/".into(),
            payload: TextInput::default(),
            payload_error: None,
            name: "default".into(),
            saved: BTreeMap::new(),
            store,
            count: "100".into(),
            concurrency: "10".into(),
            request_id: 0,
            busy: false,
            response: None,
            error: None,
            fanout: None,
            scroll: 0,
            settings: s,
        }
    }

    /// The selected function's name.
    pub fn function_name(&self) -> Option<&str> {
        self.functions.get(self.function).map(String::as_str)
    }

    /// The fields the focus cycles through now.
    pub fn fields(&self) -> &'static [Field] {
        if self.tokens.is_some() {
            &FORM_FIELDS
        } else {
            &SIGN_IN_FIELDS
        }
    }

    fn pool_user(&self) -> Result<PoolUser, String> {
        let (pool, client) = self.pool.clone()?;
        if self.user.trim().is_empty() {
            return Err("type the user name first".into());
        }
        Ok(PoolUser {
            user_pool_id: pool,
            client_id: client,
            client_secret: self.settings.cognito.client_secret.clone(),
            username: self.user.trim().to_string(),
        })
    }

    /// The effect that reads the selected function's saved payloads.
    fn load_saved(&mut self) -> Option<Effect> {
        self.saved.clear();
        let (store, f) = (self.store.clone()?, self.function_name()?);
        Some(Effect::Invoke(Box::new(InvokeEffect::LoadSaved {
            store,
            stack: self.stack.name.clone(),
            function: f.to_string(),
        })))
    }

    fn move_focus(&mut self, back: bool) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = fields.len();
        self.focus = fields[if back { (i + n - 1) % n } else { (i + 1) % n }];
    }

    /// Cycles the focused choice; returns the effect a new function needs.
    fn cycle(&mut self, back: bool) -> Option<Effect> {
        match self.focus {
            Field::Function if !self.functions.is_empty() => {
                let n = self.functions.len();
                self.function = if back {
                    (self.function + n - 1) % n
                } else {
                    (self.function + 1) % n
                };
                return self.load_saved();
            }
            Field::Via => {
                self.via = match self.via {
                    Via::Lambda => Via::Api,
                    Via::Api => Via::Lambda,
                };
            }
            Field::Name if !self.saved.is_empty() => {
                let names: Vec<&String> = self.saved.keys().collect();
                let i = names.iter().position(|n| self.name == n.as_str());
                let next = match (i, back) {
                    (None, _) => 0,
                    (Some(i), false) => (i + 1) % names.len(),
                    (Some(i), true) => (i + names.len() - 1) % names.len(),
                };
                self.name.set(names[next].clone());
                self.payload.set(self.saved[self.name.as_str()].clone());
                self.validate();
            }
            _ => {}
        }
        None
    }

    /// True when ←/→ cycle the focused field's choices (function, via, saved payloads)
    /// rather than move a text cursor.
    fn cycles(&self) -> bool {
        match self.focus {
            Field::Function | Field::Via => true,
            Field::Name => !self.saved.is_empty(),
            _ => false,
        }
    }

    /// An editing key for the focused text field (payload changes are validated).
    fn edit(&mut self, key: KeyEvent) {
        if let Some((t, max)) = self.text_mut()
            && t.handle(key, max) == Edit::Changed
            && self.focus == Field::Payload
        {
            self.validate();
        }
    }

    fn text_mut(&mut self) -> Option<(&mut TextInput, usize)> {
        Some(match self.focus {
            Field::User => (&mut self.user, MAX_FIELD),
            Field::Password => (&mut self.password, MAX_FIELD),
            Field::Method => (&mut self.method, 10),
            Field::Path => (&mut self.path, 2048),
            Field::Payload => (&mut self.payload, MAX_PAYLOAD),
            Field::Name => (&mut self.name, 64),
            Field::Count => (&mut self.count, 6),
            Field::Concurrency => (&mut self.concurrency, 3),
            Field::Function | Field::Via => return None,
        })
    }

    /// Re-checks the payload (on every keystroke).
    pub fn validate(&mut self) {
        self.payload_error = parse_payload(&self.payload).err();
    }

    fn request(&self) -> Request {
        Request {
            method: method_or_default(Some(&self.method), !self.payload.trim().is_empty()),
            path: if self.path.trim().is_empty() {
                "/".into()
            } else {
                self.path.trim().to_string()
            },
            headers: Vec::new(),
            body: (!self.payload.trim().is_empty()).then(|| {
                parse_payload(&self.payload)
                    .map_or_else(|_| self.payload.to_string(), |v| v.to_string())
            }),
        }
    }

    /// What to call, from the form (the token must be there); the runner builds the
    /// target with the core's builder.
    fn call_spec(&self) -> Result<CallSpec, String> {
        if let Some(e) = &self.payload_error {
            return Err(e.clone());
        }
        let tokens = self.tokens.as_ref().ok_or("sign in first")?;
        let token = if self.settings.cognito.token == "access" {
            &tokens.access_token
        } else {
            &tokens.id_token
        };
        let spec = CallSpec {
            via: self.via,
            function: self.function_name().map(str::to_string),
            request: self.request(),
            token: Some(token.clone()),
            raw_event: None,
            shape: EventShape::parse(&self.settings.event_shape)?,
            stage: stage_of(
                self.stack
                    .outputs
                    .get("ServiceEndpoint")
                    .map(String::as_str),
            ),
            base_url: self.api_url.clone(),
        };
        match self.via {
            Via::Lambda => {
                if spec.function.is_none() {
                    return Err("the stack has no function".into());
                }
                spec.lambda_event(chrono::DateTime::<chrono::Utc>::default())?;
            }
            Via::Api => {
                if spec.base_url.is_none() {
                    return Err(
                        "the stack has no ServiceEndpoint output (set [invoke] api_url)".into(),
                    );
                }
            }
        }
        Ok(spec)
    }
}

impl App {
    /// Opens the invoke screen for the detail's stack (key `i`).
    pub(crate) fn open_invoke(&mut self) -> Vec<Effect> {
        if self.header.read_only {
            self.notify(
                Level::Error,
                "refused: invoke is a write and --read-only is set",
            );
            return Vec::new();
        }
        let Some(detail) = self.detail.as_ref() else {
            return Vec::new();
        };
        let functions: Vec<String> = detail
            .data
            .as_ref()
            .map(|d| {
                d.resources
                    .iter()
                    .filter(|r| r.resource_type == "AWS::Lambda::Function")
                    .map(|r| {
                        r.physical_id
                            .clone()
                            .unwrap_or_else(|| r.logical_id.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let state = InvokeState::new(
            detail.stack.clone(),
            functions,
            PayloadStore::platform(),
            &self.settings.invoke,
        );
        self.open_invoke_with(state)
    }

    /// Shows `state` and resumes a cached sign-in when there is one.
    pub(crate) fn open_invoke_with(&mut self, mut state: InvokeState) -> Vec<Effect> {
        let saved = state.load_saved();
        self.invoke = Some(state);
        self.screens.push(Screen::Invoke);
        let mut effects = self.invoke_resume();
        effects.extend(saved);
        effects
    }

    /// Resumes the cached sign-in of the typed user; with no user typed, asks the token
    /// cache who signed in last.
    fn invoke_resume(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        st.request_id = request_id;
        if st.user.is_empty()
            && let Ok((pool, client)) = &st.pool
        {
            return vec![Effect::Invoke(Box::new(InvokeEffect::LastUser {
                pool: pool.clone(),
                client: client.clone(),
            }))];
        }
        match st.pool_user() {
            Ok(user) => {
                st.signing_in = true;
                vec![Effect::Invoke(Box::new(InvokeEffect::Resume {
                    request_id,
                    user,
                }))]
            }
            Err(e) => {
                if st.pool.is_err() {
                    st.error = Some(e);
                }
                Vec::new()
            }
        }
    }

    fn close_invoke(&mut self) {
        if let Some(f) = self.invoke.take().and_then(|st| st.fanout) {
            f.cancel.cancel();
        }
        self.screens.pop();
    }

    /// True while the invoke screen has the keyboard (it is a form).
    pub(crate) fn invoke_input_focused(&self) -> bool {
        self.screen() == Screen::Invoke && self.invoke.is_some() && !self.show_help
    }

    /// A key on the invoke screen: form editing first, then the key map.
    pub(crate) fn invoke_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Tab => st.move_focus(false),
            KeyCode::BackTab => st.move_focus(true),
            KeyCode::Left | KeyCode::Right if st.cycles() => {
                return st.cycle(key.code == KeyCode::Left).into_iter().collect();
            }
            KeyCode::Enter if plain => match st.focus {
                Field::Payload => {
                    st.payload.insert('\n', MAX_PAYLOAD);
                    st.validate();
                }
                Field::User => st.focus = Field::Password,
                Field::Password => return self.invoke_sign_in(),
                _ => return self.invoke_call(),
            },
            // Editing keys go to the focused text field; home/end and the other control
            // keys keep their bindings (response scroll, editor, save).
            KeyCode::Backspace | KeyCode::Delete | KeyCode::Left | KeyCode::Right => {
                st.edit(key);
            }
            KeyCode::Char('w') if key.modifiers == KeyModifiers::CONTROL => st.edit(key),
            KeyCode::Char(_) if plain => st.edit(key),
            _ => {
                if let Some(cmd) = self.keymap.lookup(Scope::Invoke, Key::from_event(key)) {
                    return self.invoke_command(cmd);
                }
            }
        }
        Vec::new()
    }

    /// A bound command on the invoke screen.
    pub(crate) fn invoke_command(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Quit => self.should_quit = true,
            Command::Help => self.show_help = !self.show_help,
            Command::Back => {
                let running = self
                    .invoke
                    .as_ref()
                    .and_then(|s| s.fanout.as_ref())
                    .is_some_and(|f| !f.done);
                if running {
                    if let Some(f) = self.invoke.as_mut().and_then(|s| s.fanout.as_mut()) {
                        f.cancel.cancel();
                        f.done = true;
                    }
                    self.notify(Level::Info, "fan-out cancelled");
                } else {
                    self.close_invoke();
                }
            }
            Command::Up | Command::Down => {
                if let Some(st) = self.invoke.as_mut() {
                    st.move_focus(cmd == Command::Up);
                }
            }
            Command::InvokeCall => return self.invoke_call(),
            Command::InvokeFanOut => return self.invoke_fan_out(),
            Command::InvokeEditPayload => {
                if let Some(st) = self.invoke.as_ref() {
                    return vec![Effect::EditText {
                        tag: "invoke:payload".into(),
                        initial: st.payload.to_string(),
                        extension: "json",
                    }];
                }
            }
            Command::InvokeSavePayload => return self.invoke_save(),
            Command::PageDown | Command::PageUp | Command::Top => {
                let page = u16::try_from(self.page_rows.max(1)).unwrap_or(u16::MAX);
                if let Some(st) = self.invoke.as_mut() {
                    st.scroll = match cmd {
                        Command::PageDown => st.scroll.saturating_add(page),
                        Command::PageUp => st.scroll.saturating_sub(page),
                        _ => 0,
                    };
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// `$EDITOR` returned the payload.
    pub(crate) fn invoke_edited(&mut self, mut text: String) -> Vec<Effect> {
        if let Some((end, _)) = text.char_indices().nth(MAX_PAYLOAD) {
            text.truncate(end);
        }
        if let Some(st) = self.invoke.as_mut() {
            st.payload.set(text);
            st.validate();
            st.focus = Field::Payload;
        }
        Vec::new()
    }

    fn invoke_save(&mut self) -> Vec<Effect> {
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        let error = match (&st.store, st.function_name(), &st.payload_error) {
            (_, _, Some(e)) => e.clone(),
            (None, _, _) => "no data directory to save payloads in".to_string(),
            (_, None, _) => "no function selected".to_string(),
            (Some(store), Some(f), None) => {
                let name = if st.name.trim().is_empty() {
                    "default"
                } else {
                    st.name.trim()
                };
                return vec![Effect::Invoke(Box::new(InvokeEffect::SavePayload {
                    store: store.clone(),
                    stack: st.stack.name.clone(),
                    function: f.to_string(),
                    name: name.to_string(),
                    payload: st.payload.to_string(),
                }))];
            }
        };
        self.notify(Level::Error, error);
        Vec::new()
    }

    fn invoke_sign_in(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        let user = match st.pool_user() {
            Ok(u) => u,
            Err(e) => {
                st.error = Some(e);
                return Vec::new();
            }
        };
        if st.password.is_empty() {
            st.error = Some("type the password first".into());
            return Vec::new();
        }
        let password = Secret(st.password.take());
        st.request_id = request_id;
        st.signing_in = true;
        st.error = None;
        if let Some(session) = st.new_password_session.take() {
            return vec![Effect::Invoke(Box::new(InvokeEffect::NewPassword {
                request_id,
                user,
                session,
                password,
            }))];
        }
        let flow = match Flow::parse(&st.settings.cognito.auth_flow) {
            Ok(f) => f,
            Err(e) => {
                st.signing_in = false;
                st.error = Some(e.message);
                return Vec::new();
            }
        };
        vec![Effect::Invoke(Box::new(InvokeEffect::SignIn {
            request_id,
            user,
            password,
            flow,
        }))]
    }

    fn invoke_call(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let now = self.clock.now();
        let ready = self.aws.is_some();
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        if st.busy || !ready {
            return Vec::new();
        }
        match st.call_spec() {
            Ok(spec) => {
                st.request_id = request_id;
                st.busy = true;
                st.error = None;
                st.fanout = None;
                vec![Effect::Invoke(Box::new(InvokeEffect::Call {
                    request_id,
                    spec,
                    now,
                }))]
            }
            Err(e) => {
                st.error = Some(e);
                Vec::new()
            }
        }
    }

    fn invoke_fan_out(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let now = self.clock.now();
        let ready = self.aws.is_some();
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        if st.busy || st.fanout.as_ref().is_some_and(|f| !f.done) {
            return Vec::new();
        }
        let count = st
            .count
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_COUNT).contains(n));
        let conc = st
            .concurrency
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_CONCURRENCY).contains(n));
        let (Some(count), Some(concurrency)) = (count, conc) else {
            st.error = Some(format!(
                "fan-out needs N in 1..={MAX_COUNT} and C in 1..={MAX_CONCURRENCY}"
            ));
            return Vec::new();
        };
        if !ready {
            return Vec::new();
        }
        match st.call_spec() {
            Ok(spec) => {
                let cancel = CancellationToken::new();
                st.request_id = request_id;
                st.error = None;
                st.response = None;
                st.fanout = Some(FanOut {
                    total: count,
                    concurrency,
                    samples: Vec::with_capacity(count),
                    done: false,
                    cancel: cancel.clone(),
                });
                vec![Effect::Invoke(Box::new(InvokeEffect::FanOut {
                    request_id,
                    spec,
                    now,
                    count,
                    concurrency,
                    cancel,
                }))]
            }
            Err(e) => {
                st.error = Some(e);
                Vec::new()
            }
        }
    }

    /// A result of the invoke screen's work (stale ones dropped).
    pub(crate) fn invoke_msg(&mut self, msg: InvokeMsg) -> Vec<Effect> {
        let Some(st) = self.invoke.as_mut() else {
            return Vec::new();
        };
        let id = match &msg {
            InvokeMsg::LastUser(user) => {
                if st.user.is_empty() {
                    st.user.set(user.clone());
                }
                if st.user.is_empty() {
                    return Vec::new();
                }
                return self.invoke_resume();
            }
            InvokeMsg::SavedLoaded { function, saved } => {
                if st.function_name() == Some(function.as_str()) {
                    st.saved.clone_from(saved);
                }
                return Vec::new();
            }
            InvokeMsg::PayloadSaved { function, result } => {
                match result {
                    Ok((name, saved)) => {
                        if st.function_name() == Some(function.as_str()) {
                            st.saved.clone_from(saved);
                        }
                        let text = format!("payload saved as {name:?}");
                        self.notify(Level::Info, text);
                    }
                    Err(e) => {
                        let e = e.clone();
                        self.notify(Level::Error, e);
                    }
                }
                return Vec::new();
            }
            InvokeMsg::SignedIn { request_id, .. }
            | InvokeMsg::Called { request_id, .. }
            | InvokeMsg::Sample { request_id, .. }
            | InvokeMsg::FanOutDone { request_id } => *request_id,
        };
        if id != st.request_id {
            return Vec::new();
        }
        match msg {
            InvokeMsg::SignedIn { result, .. } => {
                st.signing_in = false;
                match result {
                    Ok(SignInResult::Tokens(t)) => {
                        st.tokens = Some(t);
                        st.focus = Field::Function;
                        st.error = None;
                    }
                    Ok(SignInResult::None) => {
                        st.focus = if st.user.is_empty() {
                            Field::User
                        } else {
                            Field::Password
                        }
                    }
                    Ok(SignInResult::NewPasswordRequired { session }) => {
                        st.new_password_session = Some(session);
                        st.focus = Field::Password;
                        st.error =
                            Some("a new password is required: type it and press enter".into());
                    }
                    Err(e) => {
                        st.focus = Field::Password;
                        st.error = Some(e);
                    }
                }
            }
            InvokeMsg::Called { result, .. } => {
                st.busy = false;
                match *result {
                    Ok(o) => {
                        st.response = Some(o);
                        st.scroll = 0;
                    }
                    Err(e) => st.error = Some(e),
                }
            }
            InvokeMsg::Sample { sample, .. } => {
                if let Some(f) = st.fanout.as_mut()
                    && f.samples.len() < f.total
                {
                    f.samples.push(sample);
                }
            }
            InvokeMsg::FanOutDone { .. } => {
                if let Some(f) = st.fanout.as_mut() {
                    f.done = true;
                }
            }
            InvokeMsg::LastUser(_)
            | InvokeMsg::SavedLoaded { .. }
            | InvokeMsg::PayloadSaved { .. } => {}
        }
        Vec::new()
    }
}

/// The action a finished sign-in sends back.
pub fn signed_in(request_id: u64, result: Result<SignInResult, String>) -> Action {
    Action::Invoke(InvokeMsg::SignedIn { request_id, result })
}
