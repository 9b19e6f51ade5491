//! The invoke screen's keys, commands and results.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio_util::sync::CancellationToken;

use super::{
    FanOut, Field, InvokeEffect, InvokeMsg, InvokeState, MAX_PAYLOAD, Secret, SignInResult,
};
use crate::app::Scoped;
use crate::app::keymap::{Command, Key, Scope};
use crate::app::{App, Effect, Level, Screen};
use crate::domain::cognito::Flow;
use crate::domain::invoke::{MAX_CONCURRENCY, MAX_COUNT};

impl App {
    /// Opens the invoke screen for the detail's stack (key `i`).
    pub(crate) fn open_invoke(&mut self) -> Vec<Effect> {
        if self.invoke_refused() {
            return Vec::new();
        }
        let Some(detail) = self.views.detail() else {
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
            self.settings.invoke.payloads.clone(),
            &self.settings.invoke,
        );
        self.open_invoke_with(state)
    }

    /// Under `--read-only`: says invoke is refused and returns true.
    pub(crate) fn invoke_refused(&mut self) -> bool {
        if self.header.read_only {
            self.notify(
                Level::Error,
                "refused: invoke is a write and --read-only is set",
            );
        }
        self.header.read_only
    }

    /// Shows `state` and resumes a cached sign-in when there is one.
    pub(crate) fn open_invoke_with(&mut self, mut state: InvokeState) -> Vec<Effect> {
        let saved = state.load_saved();
        self.views.open(state);
        let mut effects = self.invoke_resume();
        effects.extend(saved);
        effects
    }

    /// Resumes the cached sign-in of the typed user; with no user typed, asks the token
    /// cache who signed in last.
    fn invoke_resume(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let Some(st) = self.views.invoke_mut() else {
            return Vec::new();
        };
        st.request_id = request_id;
        if st.user.is_empty()
            && let Ok((pool, client)) = &st.pool
        {
            return vec![Effect::Invoke(Scoped::new(
                st.stack.scope(),
                Box::new(InvokeEffect::LastUser {
                    pool: pool.clone(),
                    client: client.clone(),
                }),
            ))];
        }
        match st.pool_user() {
            Ok(user) => {
                st.signing_in = true;
                vec![Effect::Invoke(Scoped::new(
                    st.stack.scope(),
                    Box::new(InvokeEffect::Resume { request_id, user }),
                ))]
            }
            Err(e) => {
                if st.pool.is_err() {
                    st.error = Some(e);
                }
                Vec::new()
            }
        }
    }

    /// Closes the screen (dropping it stops a running fan-out).
    fn close_invoke(&mut self) {
        self.views.pop();
    }

    /// True while the invoke screen has the keyboard (it is a form).
    pub(crate) fn invoke_input_focused(&self) -> bool {
        self.screen() == Screen::Invoke && self.views.invoke().is_some() && !self.show_help
    }

    /// A key on the invoke screen: form editing first, then the key map.
    pub(crate) fn invoke_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let Some(st) = self.views.invoke_mut() else {
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
                    .views
                    .invoke()
                    .and_then(|s| s.fanout.as_ref())
                    .is_some_and(|f| !f.done);
                if running {
                    if let Some(f) = self.views.invoke_mut().and_then(|s| s.fanout.as_mut()) {
                        f.cancel.cancel();
                        f.done = true;
                    }
                    self.notify(Level::Info, "fan-out cancelled");
                } else {
                    self.close_invoke();
                }
            }
            Command::Up | Command::Down => {
                if let Some(st) = self.views.invoke_mut() {
                    st.move_focus(cmd == Command::Up);
                }
            }
            Command::InvokeCall => return self.invoke_call(),
            Command::InvokeFanOut => return self.invoke_fan_out(),
            Command::InvokeEditPayload => {
                if let Some(st) = self.views.invoke() {
                    return vec![Effect::EditText {
                        target: crate::app::EditTarget::InvokePayload,
                        initial: st.payload.to_string(),
                        extension: "json",
                    }];
                }
            }
            Command::InvokeSavePayload => return self.invoke_save(),
            Command::PageDown | Command::PageUp | Command::Top => {
                let page = self.page_rows.max(1);
                if let Some(st) = self.views.invoke_mut() {
                    // The response wraps: its height is the renderer's to know.
                    st.scroll.navigate(cmd, page, None);
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
        if let Some(st) = self.views.invoke_mut() {
            st.payload.set(text);
            st.validate();
            st.focus = Field::Payload;
        }
        Vec::new()
    }

    fn invoke_save(&mut self) -> Vec<Effect> {
        let Some(st) = self.views.invoke_mut() else {
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
                return vec![Effect::Invoke(Scoped::new(
                    st.stack.scope(),
                    Box::new(InvokeEffect::SavePayload {
                        store: store.clone(),
                        stack: st.stack.name.clone(),
                        function: f.to_string(),
                        name: name.to_string(),
                        payload: st.payload.to_string(),
                    }),
                ))];
            }
        };
        self.notify(Level::Error, error);
        Vec::new()
    }

    fn invoke_sign_in(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let Some(st) = self.views.invoke_mut() else {
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
            return vec![Effect::Invoke(Scoped::new(
                st.stack.scope(),
                Box::new(InvokeEffect::NewPassword {
                    request_id,
                    user,
                    session,
                    password,
                }),
            ))];
        }
        let flow = match Flow::parse(&st.settings.cognito.auth_flow) {
            Ok(f) => f,
            Err(e) => {
                st.signing_in = false;
                st.error = Some(e);
                return Vec::new();
            }
        };
        vec![Effect::Invoke(Scoped::new(
            st.stack.scope(),
            Box::new(InvokeEffect::SignIn {
                request_id,
                user,
                password,
                flow,
            }),
        ))]
    }

    fn invoke_call(&mut self) -> Vec<Effect> {
        let request_id = self.request_id();
        let now = self.clock.now();
        let ready = self.connection.is_some();
        let Some(st) = self.views.invoke_mut() else {
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
                vec![Effect::Invoke(Scoped::new(
                    st.stack.scope(),
                    Box::new(InvokeEffect::Call {
                        request_id,
                        spec,
                        now,
                    }),
                ))]
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
        let ready = self.connection.is_some();
        let Some(st) = self.views.invoke_mut() else {
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
                vec![Effect::Invoke(Scoped::new(
                    st.stack.scope(),
                    Box::new(InvokeEffect::FanOut {
                        request_id,
                        spec,
                        now,
                        count,
                        concurrency,
                        cancel,
                    }),
                ))]
            }
            Err(e) => {
                st.error = Some(e);
                Vec::new()
            }
        }
    }

    /// A result of the invoke screen's work (stale ones dropped).
    pub(crate) fn invoke_msg(&mut self, msg: InvokeMsg) -> Vec<Effect> {
        let Some(st) = self.views.invoke_mut() else {
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
                        st.scroll.reset();
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
