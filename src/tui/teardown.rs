//! The console's teardown task: executes the plans one stack after another, streaming
//! progress back as actions; stops at the first stack that is not deleted.

use crate::app::teardown::{TeardownEffect, TeardownMsg};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use std::collections::HashMap;

use super::contexts::Contexts;
use crate::app::Action;
use crate::aws::AwsContext;
use crate::aws::audit::{Audit, random_id};
use crate::aws::teardown::{self};
use crate::domain::stack::{Stack, by_scope};
use crate::domain::teardown::run::{OutcomeKind, Settings, StackPlan};

/// How the stacks of a teardown are reached: the session (with the account the plan was
/// made in), or for a stack found by a `[discovery] profiles` entry, that profile's context.
pub struct Reach<'a> {
    pub session: &'a AwsContext,
    pub account: &'a str,
    pub contexts: &'a Contexts,
}

impl Reach<'_> {
    /// The context and account of one stack: its own profile's and region's, the guards
    /// checked again against that account.
    async fn of(
        &self,
        sp: &StackPlan,
        known: &mut HashMap<String, String>,
    ) -> Result<(AwsContext, String), String> {
        let scope = sp.stack.scope();
        let ctx = self
            .contexts
            .for_scope(self.session, &scope)
            .await
            .map_err(|e| e.to_string())?;
        let Some(profile) = scope.profile else {
            return Ok((ctx, self.account.to_string()));
        };
        if let Some(a) = known.get(&profile) {
            return Ok((ctx, a.clone()));
        }
        let account = teardown::caller_account(&ctx)
            .await
            .map_err(|e| e.to_string())?;
        known.insert(profile, account.clone());
        Ok((ctx, account))
    }
}

/// Does one teardown effect: the plan (its answer on `tx`), or the run (its progress, each
/// outcome, then `Finished`).
pub async fn effect(
    fx: TeardownEffect,
    aws: &AwsContext,
    contexts: &Contexts,
    filters: &[crate::domain::discovery::TagFilter],
    tx: &UnboundedSender<Action>,
) {
    match fx {
        TeardownEffect::Plan {
            request_id,
            stacks,
            mut settings,
        } => {
            settings.filters = filters.to_vec();
            let result = Box::new(plan(aws, contexts, stacks, &settings).await);
            let _ = tx.send(Action::Teardown(TeardownMsg::Planned {
                request_id,
                result,
            }));
        }
        TeardownEffect::Run {
            plans,
            account,
            mut settings,
            cancel,
        } => {
            settings.filters = filters.to_vec();
            let reach = Reach {
                session: aws,
                account: &account,
                contexts,
            };
            Box::pin(run(&reach, &plans, &settings, &cancel, tx)).await;
            let _ = tx.send(Action::Teardown(TeardownMsg::Finished));
        }
    }
}

/// Plans a teardown of stacks that may live in several accounts: each group in its own
/// account and region, its guards checked against its own account. The account text is
/// the accounts involved, comma-separated.
async fn plan(
    aws: &AwsContext,
    contexts: &Contexts,
    stacks: Vec<Stack>,
    settings: &crate::domain::teardown::run::Settings,
) -> Result<(String, Vec<crate::domain::teardown::run::StackPlan>), String> {
    let mut accounts: Vec<String> = Vec::new();
    let mut plans = Vec::new();
    for (scope, group) in by_scope(stacks) {
        let ctx = contexts
            .for_scope(aws, &scope)
            .await
            .map_err(|e| e.to_string())?;
        let (account, planned) = crate::aws::teardown::plan_many(&ctx, group, settings)
            .await
            .map_err(|e| e.to_string())?;
        if !accounts.contains(&account) {
            accounts.push(account);
        }
        plans.extend(planned);
    }
    Ok((accounts.join(", "), plans))
}

/// Tears the planned stacks down in order, reporting progress and each outcome.
pub async fn run(
    reach: &Reach<'_>,
    plans: &[StackPlan],
    settings: &Settings,
    cancel: &CancellationToken,
    tx: &UnboundedSender<Action>,
) {
    let Some(path) = Audit::default_path() else {
        let _ = tx.send(Action::Teardown(TeardownMsg::Progress {
            stack_id: plans
                .first()
                .map(|p| p.stack.id.clone())
                .unwrap_or_default(),
            progress: teardown::Progress::Phase("refused: no data dir for the audit log".into()),
        }));
        return;
    };
    let audit = Audit::new(path);
    let run_id = random_id();
    let mut known = HashMap::new();
    for sp in plans {
        let id = sp.stack.id.clone();
        let (aws, account) = match reach.of(sp, &mut known).await {
            Ok(found) => found,
            Err(e) => {
                let _ = tx.send(Action::Teardown(TeardownMsg::Progress {
                    stack_id: id,
                    progress: teardown::Progress::Phase(format!("refused: {e}")),
                }));
                return;
            }
        };
        let sender = tx.clone();
        let progress = move |p| {
            let _ = sender.send(Action::Teardown(TeardownMsg::Progress {
                stack_id: id.clone(),
                progress: p,
            }));
        };
        let outcome = teardown::execute(
            &aws,
            sp,
            &account,
            settings,
            &audit,
            &run_id,
            &[],
            &progress,
            cancel,
        )
        .await;
        let stop = outcome.result != OutcomeKind::Deleted;
        let _ = tx.send(Action::Teardown(TeardownMsg::Outcome(outcome)));
        if stop {
            break;
        }
    }
}

impl super::effects::Run for TeardownEffect {
    async fn run(self, env: super::effects::Env) {
        effect(self, &env.aws, &env.contexts, &env.filters, &env.tx).await;
    }
}
