//! The invoke screen's state: sign in once, pick a function (or the API), edit a JSON
//! payload validated as you type, call once or fan out with live statistics.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;
use tokio_util::sync::CancellationToken;

use super::Effect;
use super::widgets::TextInput;
use super::widgets::input::Edit;
use crate::domain::cognito::{self, PoolUser};
use crate::domain::invoke::{
    CallSpec, EventShape, Outcome, Request, Sample, Summary, Via, api_base_url, method_or_default,
    parse_payload, stage_of,
};
use crate::domain::stack::Stack;
use crate::domain::tokens::Tokens;

mod messages;
mod update;

use crate::app::Scoped;
use crate::app::keymap::Command;
pub use messages::{
    InvokeEffect, InvokeMsg, PayloadStore, Secret, Settings, SignInResult, signed_in,
};

const MAX_FIELD: usize = 200;
const MAX_PAYLOAD: usize = 64 * 1024;

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

/// Closing the screen stops the fan-out.
impl Drop for FanOut {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl FanOut {
    /// The statistics so far.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.samples, self.total)
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
    pub scroll: super::widgets::Scroll,
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
        let pool = cognito::pool_for(&s.cognito, Some(&stack));
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
            scroll: super::widgets::Scroll::default(),
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
        Some(Effect::Invoke(Scoped::new(
            self.stack.scope(),
            Box::new(InvokeEffect::LoadSaved {
                store,
                stack: self.stack.name.clone(),
                function: f.to_string(),
            }),
        )))
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

impl super::Update for InvokeMsg {
    fn update(self, app: &mut super::App) -> Vec<super::Effect> {
        app.invoke_msg(self)
    }
}

impl super::ScreenState for InvokeState {
    fn command(app: &mut super::App, cmd: Command) -> Vec<super::Effect> {
        app.invoke_command(cmd)
    }

    fn hints(_app: &super::App, _page: super::Screen) -> Vec<Command> {
        vec![
            Command::InvokeCall,
            Command::InvokeFanOut,
            Command::InvokeEditPayload,
            Command::InvokeSavePayload,
            Command::Back,
        ]
    }

    fn input_focused(app: &super::App) -> bool {
        app.invoke_input_focused()
    }

    fn input(app: &mut super::App, key: crossterm::event::KeyEvent) -> Vec<super::Effect> {
        app.invoke_key(key)
    }

    fn edited(
        app: &mut super::App,
        target: super::EditTarget,
        text: &str,
    ) -> Option<Vec<super::Effect>> {
        (target == super::EditTarget::InvokePayload).then(|| app.invoke_edited(text.to_string()))
    }
}
