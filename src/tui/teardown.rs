//! The console's teardown task: executes the plans one stack after another, streaming
//! progress back as actions; stops at the first stack that is not deleted.

use crate::app::teardown::TeardownMsg;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use std::collections::HashMap;

use super::contexts::Contexts;
use crate::app::Action;
use crate::aws::AwsContext;
use crate::aws::audit::{Audit, random_id};
use crate::aws::teardown::{self};
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
