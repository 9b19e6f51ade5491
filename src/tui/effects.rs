//! Starts each effect as a task; every result comes back on the action channel.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::contexts::Contexts;
use crate::app::{Action, Effect};
use crate::aws::{AwsContext, AwsOptions};
use crate::domain::discovery::TagFilter;

/// Spawns the network work the app asks for.
pub struct Runner {
    tx: UnboundedSender<Action>,
    filters: Arc<Vec<TagFilter>>,
    /// Extra regions to discover in at once (`[discovery] regions`).
    regions: Arc<Vec<String>>,
    /// The session's options and a context per `[discovery] profiles` entry.
    contexts: Contexts,
}

impl Runner {
    /// A runner sending results on `tx`.
    pub fn new(
        tx: UnboundedSender<Action>,
        filters: Vec<TagFilter>,
        regions: Vec<String>,
        profiles: Vec<String>,
        options: AwsOptions,
    ) -> Self {
        Self {
            tx,
            filters: Arc::new(filters),
            regions: Arc::new(regions),
            contexts: Contexts::new(options, profiles),
        }
    }

    /// Starts `effect` in a task (AWS work waits for the session's context). An effect of
    /// a stack's screen runs in that stack's scope: the context of the profile that found
    /// it, in its region.
    pub fn spawn(&self, effect: Effect) {
        match effect {
            Effect::SwitchAws { profile, region } => {
                let opts = self.contexts.switch(profile, region);
                let tx = self.tx.clone();
                let contexts = self.contexts.clone();
                tokio::spawn(async move {
                    let res = match AwsContext::load(&opts).await {
                        Ok(ctx) => {
                            let connection = ctx.connection();
                            contexts.set_session(Arc::new(ctx));
                            Ok(connection)
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Action::AwsReady(res));
                });
            }
            Effect::ListProfiles => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Action::ProfilesListed(crate::aws::profiles::list_profiles()));
                });
            }
            other => self.spawn_aws(other),
        }
    }

    fn spawn_aws(&self, effect: Effect) {
        let Some(session) = self.contexts.session() else {
            return;
        };
        let tx = self.tx.clone();
        let filters = Arc::clone(&self.filters);
        let regions = Arc::clone(&self.regions);
        let contexts = self.contexts.clone();
        tokio::spawn(async move {
            let aws = match effect.scope().cloned() {
                Some(scope) => match contexts.for_scope(&session, &scope).await {
                    Ok(ctx) => Arc::new(ctx),
                    Err(e) => {
                        let _ = tx.send(Action::Notice(e.to_string()));
                        return;
                    }
                },
                None => Arc::clone(&session),
            };
            let env = Env {
                aws,
                contexts,
                filters,
                regions,
                tx,
            };
            run_route(effect, env).await;
        });
    }
}

/// What a capability's task gets: the context of its stack's scope (or the session's), the
/// shelf's contexts, filters and regions, and the channel its results go back on.
pub struct Env {
    pub aws: Arc<AwsContext>,
    pub contexts: Contexts,
    pub filters: Arc<Vec<TagFilter>>,
    pub regions: Arc<Vec<String>>,
    pub tx: UnboundedSender<Action>,
}

/// A capability's effects: the task that does the work and sends its results (and progress)
/// back as actions.
pub trait Run {
    fn run(self, env: Env) -> impl Future<Output = ()> + Send;
}

/// Runs a capability's effect (every registered route); the loop's own effects never get
/// here.
macro_rules! runner {
    ($( $(#[$doc:meta])* $route:ident($msg:ty, $fx:ty), )*) => {
        async fn run_route(effect: Effect, env: Env) {
            match effect {
                $( Effect::$route(fx) => Run::run(fx, env).await, )*
                Effect::CopyToClipboard(_)
                | Effect::CopyNamed { .. }
                | Effect::EditText { .. }
                | Effect::SwitchAws { .. }
                | Effect::ListProfiles => {}
            }
        }
    };
}

crate::app::screens::with_routes!(runner);
