//! The detail screen's task: the stack, its resources and its latest events.

use super::effects::{Env, Run};
use crate::app::Action;
use crate::app::detail::{DetailData, DetailEffect, DetailMsg};
use crate::aws::{AwsContext, cloudformation};

impl Run for DetailEffect {
    async fn run(self, env: Env) {
        let Self::Load {
            request_id,
            stack_id,
            ..
        } = self;
        let result = Box::new(load_detail(&env.aws, &stack_id).await);
        let _ = env
            .tx
            .send(Action::Detail(DetailMsg::Loaded { request_id, result }));
    }
}

async fn load_detail(aws: &AwsContext, stack_id: &str) -> Result<DetailData, String> {
    // The context is the stack's own (its profile and region): the runner chose it.
    let (stack, resources, events) = tokio::join!(
        cloudformation::describe(aws, stack_id),
        cloudformation::resources(aws, stack_id),
        cloudformation::events(aws, stack_id, 50),
    );
    let stack = stack
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the stack no longer exists".to_string())?;
    Ok(DetailData {
        stack,
        resources: resources.map_err(|e| e.to_string())?,
        events: events.map_err(|e| e.to_string())?,
    })
}
