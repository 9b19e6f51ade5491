//! Runs the invoke screen's effects: sign-in, one call, a fan-out streaming samples back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Action;
use crate::app::invoke::{InvokeEffect, InvokeMsg, PayloadStore, SignInResult, signed_in};
use crate::aws::AwsContext;
use crate::aws::cognito::{self, SignIn, TokenCache};
use crate::aws::invoke::{build_target, fan_out};
use crate::domain::tokens::cache_key;

/// Does `fx` and sends its result(s) back on `tx`.
pub async fn run(fx: InvokeEffect, aws: Arc<AwsContext>, tx: UnboundedSender<Action>) {
    let now = chrono::Utc::now();
    match fx {
        InvokeEffect::Resume { request_id, user } => {
            let result = match TokenCache::platform() {
                Ok(cache) => cognito::cached_tokens(&aws, &cache, &user, now)
                    .await
                    .map(|t| t.map_or(SignInResult::None, SignInResult::Tokens))
                    .map_err(|e| e.message),
                Err(e) => Err(e.message),
            };
            let _ = tx.send(signed_in(request_id, result));
        }
        InvokeEffect::SignIn {
            request_id,
            user,
            password,
            flow,
        } => {
            let result = match cognito::sign_in(&aws, &user, &password.0, flow, now).await {
                Ok(SignIn::Tokens(t)) => store(&user, t),
                Ok(SignIn::NewPasswordRequired { session }) => {
                    Ok(SignInResult::NewPasswordRequired { session })
                }
                Err(e) => Err(e.message),
            };
            let _ = tx.send(signed_in(request_id, result));
        }
        InvokeEffect::NewPassword {
            request_id,
            user,
            session,
            password,
        } => {
            let result =
                match cognito::complete_new_password(&aws, &user, &session, &password.0, now).await
                {
                    Ok(t) => store(&user, t),
                    Err(e) => Err(e.message),
                };
            let _ = tx.send(signed_in(request_id, result));
        }
        InvokeEffect::Call {
            request_id,
            spec,
            now,
        } => {
            let result = match build_target(&aws, spec, true, now) {
                Ok(target) => target.call().await.map_err(|e| e.message),
                Err(e) => Err(e),
            };
            let _ = tx.send(Action::Invoke(InvokeMsg::Called {
                request_id,
                result: Box::new(result),
            }));
        }
        InvokeEffect::FanOut {
            request_id,
            spec,
            now,
            count,
            concurrency,
            cancel,
        } => {
            let target = match build_target(&aws, spec, false, now) {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.send(Action::Invoke(InvokeMsg::Called {
                        request_id,
                        result: Box::new(Err(e)),
                    }));
                    let _ = tx.send(Action::Invoke(InvokeMsg::FanOutDone { request_id }));
                    return;
                }
            };
            fan_out(&target, count, concurrency, &cancel, |s| {
                let _ = tx.send(Action::Invoke(InvokeMsg::Sample {
                    request_id,
                    sample: s.clone(),
                }));
            })
            .await;
            let _ = tx.send(Action::Invoke(InvokeMsg::FanOutDone { request_id }));
        }
        fx @ (InvokeEffect::LastUser { .. }
        | InvokeEffect::LoadSaved { .. }
        | InvokeEffect::SavePayload { .. }) => {
            if let Ok(Some(msg)) = tokio::task::spawn_blocking(move || disk(fx)).await {
                let _ = tx.send(Action::Invoke(msg));
            }
        }
    }
}

/// The payload files: read and written here, on a blocking thread, never by `update`.
impl PayloadStore {
    fn path(&self, stack: &str, function: &str) -> PathBuf {
        self.dir()
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
        std::fs::create_dir_all(self.dir()).map_err(|e| format!("cannot save the payload: {e}"))?;
        let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
        std::fs::write(self.path(stack, function), text)
            .map_err(|e| format!("cannot save the payload: {e}"))
    }
}

/// The invoke screen's disk work (token cache, saved payloads); `None` for other effects.
pub fn disk(fx: InvokeEffect) -> Option<InvokeMsg> {
    Some(match fx {
        InvokeEffect::LastUser { pool, client } => InvokeMsg::LastUser(
            TokenCache::platform()
                .ok()
                .and_then(|c| c.last_user(&pool, &client))
                .unwrap_or_default(),
        ),
        InvokeEffect::LoadSaved {
            store,
            stack,
            function,
        } => InvokeMsg::SavedLoaded {
            saved: store.load(&stack, &function),
            function,
        },
        InvokeEffect::SavePayload {
            store,
            stack,
            function,
            name,
            payload,
        } => InvokeMsg::PayloadSaved {
            result: store
                .save(&stack, &function, &name, &payload)
                .map(|()| (name, store.load(&stack, &function))),
            function,
        },
        _ => return None,
    })
}

fn store(
    user: &cognito::PoolUser,
    tokens: crate::domain::tokens::Tokens,
) -> Result<SignInResult, String> {
    TokenCache::platform()
        .and_then(|c| c.store(user, &tokens))
        .map_err(|e| e.message)?;
    Ok(SignInResult::Tokens(tokens))
}

impl super::effects::Run for crate::app::Scoped<Box<InvokeEffect>> {
    async fn run(self, env: super::effects::Env) {
        run(*self.work, env.aws, env.tx).await;
    }
}
