//! Several accounts at once: one context per `[discovery] profiles` entry (each with that
//! profile's own credentials, whatever the environment holds), discovery fanned out over
//! every profile and region in parallel, each stack tagged with the account, alias,
//! profile and region it lives in; and the one stack a user's `STACK` argument names.

use serde::Serialize;

use super::{AwsContext, AwsError, AwsOptions, ErrorKind, cloudformation, identity};
use crate::domain::discovery::{self, TagFilter};
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;
use crate::domain::teardown::account_from_stack_id;

/// Where stacks are looked for: a context and, in several-account mode, the profile and
/// the account's alias.
#[derive(Debug, Clone)]
pub struct Place {
    pub ctx: AwsContext,
    /// The `[discovery] profiles` entry (`None`: the one context of the global options).
    pub profile: Option<String>,
    pub account_alias: Option<String>,
}

/// A prototype stack and where it lives.
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    #[serde(flatten)]
    pub stack: Stack,
    /// The 12-digit account id (from the stack id).
    pub account: String,
    pub account_alias: Option<String>,
    pub profile: Option<String>,
    /// The stack's page in the AWS console.
    pub console_url: String,
    /// The context that reaches the stack (its account and region).
    #[serde(skip)]
    pub ctx: AwsContext,
}

impl Located {
    /// The ACCOUNT column: the id, and the alias in brackets where there is one.
    pub fn account_label(&self) -> String {
        match &self.account_alias {
            Some(a) => format!("{} ({})", self.account, a),
            None => self.account.clone(),
        }
    }
}

/// The context of one profile: the global options with that profile, and the profile's
/// own credentials (so exported access keys do not make every profile the same account).
pub async fn profile_context(opts: &AwsOptions, profile: &str) -> Result<AwsContext, AwsError> {
    AwsContext::load(&AwsOptions {
        profile: Some(profile.to_string()),
        profile_credentials: true,
        ..opts.clone()
    })
    .await
    .map_err(|e| {
        AwsError::new(
            e.kind,
            format!("profile {}: {}", sanitize(profile), e.message),
        )
    })
}

/// The places to look in: one per profile (loaded in parallel, with the account alias), or
/// the base context alone when no profiles are configured.
pub async fn places(
    base: &AwsContext,
    opts: &AwsOptions,
    profiles: &[String],
) -> Result<Vec<Place>, AwsError> {
    if profiles.is_empty() {
        return Ok(vec![Place {
            ctx: base.clone(),
            profile: None,
            account_alias: None,
        }]);
    }
    let loaded = futures::future::join_all(profiles.iter().map(|p| profile_place(opts, p))).await;
    loaded.into_iter().collect()
}

/// The place of one profile: its context and its account's alias.
pub async fn profile_place(opts: &AwsOptions, profile: &str) -> Result<Place, AwsError> {
    let ctx = profile_context(opts, profile).await?;
    let account_alias = identity::account_alias(&ctx).await;
    Ok(Place {
        ctx,
        profile: Some(profile.to_string()),
        account_alias,
    })
}

/// Every (place, region) pair: the configured regions, or each place's own region.
fn targets(places: &[Place], regions: &[String]) -> Vec<Place> {
    places
        .iter()
        .flat_map(|p| {
            if regions.is_empty() {
                vec![p.clone()]
            } else {
                regions
                    .iter()
                    .map(|r| Place {
                        ctx: p.ctx.with_region(r),
                        ..p.clone()
                    })
                    .collect()
            }
        })
        .collect()
}

fn located(mut stack: Stack, place: &Place) -> Located {
    stack.profile.clone_from(&place.profile);
    stack.account_alias.clone_from(&place.account_alias);
    Located {
        account: account_from_stack_id(&stack.id).unwrap_or_default(),
        account_alias: place.account_alias.clone(),
        profile: place.profile.clone(),
        console_url: crate::domain::console_url::stack(&stack.region, &stack.id),
        ctx: place.ctx.clone(),
        stack,
    }
}

/// The shelf: the prototype stacks of every place and region, queried in parallel, sorted
/// by name, account and region. A stack two profiles both reach is listed once. The first
/// failure is returned, naming its profile.
pub async fn discover_all(
    places: &[Place],
    regions: &[String],
    filters: &[TagFilter],
) -> Result<Vec<Located>, AwsError> {
    let (all, mut failed) = discover_each(places, regions, filters).await;
    if failed.is_empty() {
        Ok(all)
    } else {
        Err(failed.remove(0))
    }
}

/// The shelf as far as it can be read: the stacks of every place and region that answered
/// (as [`discover_all`] sorts them) and, apart, the failure of each that did not (naming
/// its profile), so one unreachable account does not hide the others.
pub async fn discover_each(
    places: &[Place],
    regions: &[String],
    filters: &[TagFilter],
) -> (Vec<Located>, Vec<AwsError>) {
    let targets = targets(places, regions);
    let found = futures::future::join_all(targets.iter().map(|t| async move {
        cloudformation::discover(&t.ctx, filters)
            .await
            .map(|stacks| {
                stacks
                    .into_iter()
                    .map(|s| located(s, t))
                    .collect::<Vec<_>>()
            })
            .map_err(|e| in_place(e, t))
    }))
    .await;
    let mut all: Vec<Located> = Vec::new();
    let mut failed = Vec::new();
    for r in found {
        match r {
            Ok(stacks) => {
                for l in stacks {
                    if !all.iter().any(|a| a.stack.id == l.stack.id) {
                        all.push(l);
                    }
                }
            }
            Err(e) => failed.push(e),
        }
    }
    all.sort_by(|a, b| {
        (&a.stack.name, &a.account, &a.stack.region).cmp(&(
            &b.stack.name,
            &b.account,
            &b.stack.region,
        ))
    });
    (all, failed)
}

fn in_place(e: AwsError, place: &Place) -> AwsError {
    match &place.profile {
        Some(p) => AwsError::new(
            e.kind,
            format!(
                "profile {} ({}): {}",
                sanitize(p),
                place.ctx.region,
                e.message
            ),
        ),
        None => e,
    }
}

/// The one prototype stack a `STACK` argument names. A stack id (ARN) goes to the place
/// whose account and region it names; a bare name is looked up everywhere and refused when
/// it matches stacks in more than one place, listing them.
pub async fn locate(
    places: &[Place],
    regions: &[String],
    filters: &[TagFilter],
    name_or_id: &str,
) -> Result<Located, AwsError> {
    if let Some(account) = account_from_stack_id(name_or_id) {
        let region = cloudformation::region_of_id(name_or_id).unwrap_or_default();
        let wanted = &account;
        let accounts = futures::future::join_all(places.iter().map(|p| async move {
            match p.profile {
                // One context: the stack is looked for there, whatever account it names.
                None => Ok(wanted.clone()),
                Some(_) => identity::caller(&p.ctx)
                    .await
                    .map(|(a, _)| a)
                    .map_err(|e| in_place(e, p)),
            }
        }))
        .await;
        let mut reached = Vec::new();
        for (p, a) in places.iter().zip(accounts) {
            let a = a?;
            if a == account {
                let place = Place {
                    ctx: p.ctx.with_region(&region),
                    ..p.clone()
                };
                let stack = cloudformation::resolve(&place.ctx, name_or_id, filters).await?;
                return Ok(located(stack, &place));
            }
            reached.push(format!(
                "{} → {a}",
                p.profile.as_deref().unwrap_or("default")
            ));
        }
        return Err(AwsError::new(
            ErrorKind::NotFound,
            format!(
                "no profile of [discovery] profiles reaches account {} ({})",
                sanitize(&account),
                sanitize(&reached.join(", "))
            ),
        ));
    }
    let targets = targets(places, regions);
    let found = futures::future::join_all(targets.iter().map(|t| async move {
        cloudformation::describe(&t.ctx, name_or_id)
            .await
            .map(|s| s.map(|s| located(s, t)))
            .map_err(|e| in_place(e, t))
    }))
    .await;
    let mut matches: Vec<Located> = Vec::new();
    for r in found {
        if let Some(l) = r? {
            let live = !discovery::is_deleted_status(&l.stack.status);
            if live && !matches.iter().any(|m| m.stack.id == l.stack.id) {
                matches.push(l);
            }
        }
    }
    match matches.len() {
        0 => Err(AwsError::new(
            ErrorKind::NotFound,
            format!(
                "stack {:?} not found in any profile or region of [discovery] (run `protoctl stacks` to list them)",
                sanitize(name_or_id)
            ),
        )),
        1 => {
            let l = matches.remove(0);
            cloudformation::resolve(&l.ctx, &l.stack.id, filters).await?;
            Ok(l)
        }
        n => Err(AwsError::new(
            ErrorKind::Invalid,
            format!(
                "stack {:?} is in {n} places: {}; pass its stack id (ARN) instead",
                sanitize(name_or_id),
                matches
                    .iter()
                    .map(|m| format!(
                        "{} (account {}, profile {}, {})",
                        sanitize(&m.stack.id),
                        sanitize(&m.account_label()),
                        sanitize(m.profile.as_deref().unwrap_or("default")),
                        m.stack.region
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_comes_from_the_stack_id() {
        assert_eq!(
            account_from_stack_id("arn:aws:cloudformation:eu-west-1:222222222222:stack/a/b")
                .as_deref(),
            Some("222222222222")
        );
        assert_eq!(account_from_stack_id("orders-dev"), None);
        assert_eq!(
            account_from_stack_id("arn:aws:cloudformation:eu-west-1::stack/a/b"),
            None
        );
    }
}
