//! The console's teardown task: executes the plans one stack after another, streaming
//! progress back as actions; stops at the first stack that is not deleted.

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::app::Action;
use crate::aws::AwsContext;
use crate::aws::audit::{Audit, random_id};
use crate::aws::teardown::{self};
use crate::domain::teardown::run::{OutcomeKind, Settings, StackPlan};

/// Tears the planned stacks down in order, reporting progress and each outcome.
pub async fn run(
    aws: &AwsContext,
    plans: &[StackPlan],
    account: &str,
    settings: &Settings,
    cancel: &CancellationToken,
    tx: &UnboundedSender<Action>,
) {
    let Some(path) = Audit::default_path() else {
        let _ = tx.send(Action::TeardownProgress {
            stack_id: plans
                .first()
                .map(|p| p.stack.id.clone())
                .unwrap_or_default(),
            progress: teardown::Progress::Phase("refused: no data dir for the audit log".into()),
        });
        return;
    };
    let audit = Audit::new(path);
    let run_id = random_id();
    for sp in plans {
        let id = sp.stack.id.clone();
        let sender = tx.clone();
        let progress = move |p| {
            let _ = sender.send(Action::TeardownProgress {
                stack_id: id.clone(),
                progress: p,
            });
        };
        let outcome = teardown::execute(
            aws,
            sp,
            account,
            settings,
            &audit,
            &run_id,
            &[],
            &progress,
            cancel,
        )
        .await;
        let stop = outcome.result != OutcomeKind::Deleted;
        let _ = tx.send(Action::TeardownOutcome(outcome));
        if stop {
            break;
        }
    }
}
