//! The contexts the console works in: the session's, and one per `[discovery] profiles`
//! entry (loaded once, with its account's alias, and kept), from which the scope of each
//! stack (the profile that found it and its region) picks the one its screens use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::aws::accounts::{self, Place};
use crate::aws::{AwsContext, AwsError, AwsOptions};
use crate::domain::stack::Scope;

/// The connection options and the loaded profile contexts, shared by the runner's tasks.
#[derive(Clone)]
pub struct Contexts {
    /// The options of the session, changed by profile/region switches.
    options: Arc<Mutex<AwsOptions>>,
    /// `[discovery] profiles`: empty for a one-account shelf.
    profiles: Arc<Vec<String>>,
    places: Arc<Mutex<HashMap<String, Place>>>,
    /// The session's context, once loaded (the app knows only that it is there).
    session: Arc<Mutex<Option<Arc<AwsContext>>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Contexts {
    pub fn new(options: AwsOptions, profiles: Vec<String>) -> Self {
        Self {
            options: Arc::new(Mutex::new(options)),
            profiles: Arc::new(profiles),
            places: Arc::new(Mutex::new(HashMap::new())),
            session: Arc::new(Mutex::new(None)),
        }
    }

    /// The session's context (`None` until it has loaded).
    pub fn session(&self) -> Option<Arc<AwsContext>> {
        lock(&self.session).clone()
    }

    /// Keeps the session's context just loaded.
    pub fn set_session(&self, ctx: Arc<AwsContext>) {
        *lock(&self.session) = Some(ctx);
    }

    /// The configured profiles of the shelf.
    pub fn profiles(&self) -> &[String] {
        &self.profiles
    }

    /// Switches the session's profile and/or region (`None`: keep) and forgets the loaded
    /// profile contexts (a region switch moves them too); returns the new options.
    pub fn switch(&self, profile: Option<String>, region: Option<String>) -> AwsOptions {
        let mut o = lock(&self.options);
        if profile.is_some() {
            o.profile = profile;
        }
        if region.is_some() {
            o.region = region;
        }
        lock(&self.places).clear();
        o.clone()
    }

    /// The place of one profile, loaded on first use.
    async fn place(&self, profile: &str) -> Result<Place, AwsError> {
        if let Some(p) = lock(&self.places).get(profile) {
            return Ok(p.clone());
        }
        let opts = lock(&self.options).clone();
        let place = accounts::profile_place(&opts, profile).await?;
        lock(&self.places).insert(profile.to_string(), place.clone());
        Ok(place)
    }

    /// The places of the shelf, loaded in parallel: those that load, and apart the failure
    /// of each profile that does not.
    pub async fn places(&self) -> (Vec<Place>, Vec<AwsError>) {
        let loaded = futures::future::join_all(self.profiles.iter().map(|p| self.place(p))).await;
        let mut places = Vec::new();
        let mut failed = Vec::new();
        for r in loaded {
            match r {
                Ok(p) => places.push(p),
                Err(e) => failed.push(e),
            }
        }
        (places, failed)
    }

    /// The context that reaches a stack of `scope`: its profile's (the session's when it
    /// has none), in its region.
    pub async fn for_scope(
        &self,
        session: &AwsContext,
        scope: &Scope,
    ) -> Result<AwsContext, AwsError> {
        let base = match &scope.profile {
            Some(p) => self.place(p).await?.ctx,
            None => session.clone(),
        };
        Ok(in_region(base, &scope.region))
    }
}

/// `ctx` moved to `region` (kept as it is for an empty or equal region).
fn in_region(ctx: AwsContext, region: &str) -> AwsContext {
    if region.is_empty() || region == ctx.region {
        ctx
    } else {
        ctx.with_region(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stack_without_a_profile_uses_the_session_in_its_own_region() {
        let contexts = Contexts::new(AwsOptions::default(), Vec::new());
        let session = (*crate::aws::test_context(None, "http://127.0.0.1:1")).clone();
        let scope = Scope {
            profile: None,
            region: "eu-west-1".into(),
        };
        let ctx = contexts.for_scope(&session, &scope).await.unwrap();
        assert_eq!(ctx.region, "eu-west-1");
        let same = contexts
            .for_scope(&session, &Scope::default())
            .await
            .unwrap();
        assert_eq!(same.region, session.region);
    }
}
