//! Which resource of a stack tree the user named (`--table`, `--bucket`, `FUNCTION`).

use super::{AwsError, ErrorKind};
use crate::domain::nested::{PATH_SEP, relative_path};
use crate::domain::sanitize::sanitize;
use crate::domain::stack::StackResource;

/// The resource's place in its tree: its stack's path, then its logical id.
fn full_path(r: &StackResource) -> String {
    format!("{}{PATH_SEP}{}", r.stack_path, r.logical_id)
}

/// How a candidate is listed: its physical name, and its stack's path when it is nested.
fn shown(r: &StackResource, root: &str) -> String {
    let name = r.physical_id.as_deref().unwrap_or(&r.logical_id);
    if relative_path(root, &r.stack_path).is_empty() {
        name.to_string()
    } else {
        format!("{name} (in {})", r.stack_path)
    }
}

/// Finds the resource a user named, at any level of the stack tree: a logical id, its path
/// (`Data/ItemsTable` or `shop/Data/ItemsTable`), a physical id, or (for functions) the
/// Serverless short name (the physical name without the `<stack>-` prefix). With no name,
/// the only resource of that type. A name that fits resources at two levels is refused with
/// their paths; errors list the candidates.
pub fn pick_resource<'a>(
    resources: &'a [StackResource],
    resource_type: &str,
    what: &str,
    stack_name: &str,
    wanted: Option<&str>,
) -> Result<&'a StackResource, AwsError> {
    let candidates: Vec<&StackResource> = resources
        .iter()
        .filter(|r| r.resource_type == resource_type)
        .collect();
    let names = || {
        candidates
            .iter()
            .map(|r| shown(r, stack_name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let shown_stack = sanitize(stack_name).into_owned();
    let Some(w) = wanted else {
        return match candidates.as_slice() {
            [one] => Ok(one),
            [] => Err(AwsError::new(
                ErrorKind::NotFound,
                format!("stack {shown_stack:?} has no {what}"),
            )),
            _ => Err(AwsError::new(
                ErrorKind::Invalid,
                format!(
                    "stack {shown_stack:?} has {} {what}s: name one of {}",
                    candidates.len(),
                    sanitize(&names())
                ),
            )),
        };
    };
    let prefix = format!("{stack_name}-");
    let by_logical = |r: &StackResource| r.logical_id == w;
    let by_path = |r: &StackResource| {
        let full = full_path(r);
        full == w || relative_path(stack_name, &full) == w
    };
    let by_physical = |r: &StackResource| r.physical_id.as_deref() == Some(w);
    let by_short_name = |r: &StackResource| {
        r.physical_id
            .as_deref()
            .and_then(|p| p.strip_prefix(&prefix))
            .is_some_and(|short| short == w)
    };
    let tiers: [&dyn Fn(&StackResource) -> bool; 4] =
        [&by_logical, &by_path, &by_physical, &by_short_name];
    for fits in tiers {
        let found: Vec<&StackResource> = candidates.iter().copied().filter(|r| fits(r)).collect();
        match found.as_slice() {
            [] => {}
            [one] => return Ok(one),
            many => {
                let paths = many.iter().map(|r| full_path(r)).collect::<Vec<_>>();
                return Err(AwsError::new(
                    ErrorKind::Invalid,
                    format!(
                        "{what} {:?} is used at {} levels of stack {shown_stack:?}: {}; name one by its path or physical id",
                        sanitize(w),
                        many.len(),
                        sanitize(&paths.join(", "))
                    ),
                ));
            }
        }
    }
    Err(AwsError::new(
        ErrorKind::NotFound,
        format!(
            "{what} {:?} not found in stack {shown_stack:?} (it has: {})",
            sanitize(w),
            sanitize(&names())
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(logical: &str, physical: &str, t: &str) -> StackResource {
        at("shop-dev", logical, physical, t)
    }

    fn at(path: &str, logical: &str, physical: &str, t: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(physical.into()),
            resource_type: t.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: path.into(),
        }
    }

    #[test]
    fn picks_by_logical_physical_and_short_name() {
        let rs = vec![
            res(
                "CreateLambdaFunction",
                "shop-dev-create",
                "AWS::Lambda::Function",
            ),
            res(
                "ListLambdaFunction",
                "shop-dev-list",
                "AWS::Lambda::Function",
            ),
            res("ItemsTable", "shop-items", "AWS::DynamoDB::Table"),
        ];
        let f = "AWS::Lambda::Function";
        assert_eq!(
            pick_resource(&rs, f, "function", "shop-dev", Some("CreateLambdaFunction"))
                .unwrap()
                .logical_id,
            "CreateLambdaFunction"
        );
        assert_eq!(
            pick_resource(&rs, f, "function", "shop-dev", Some("shop-dev-list"))
                .unwrap()
                .logical_id,
            "ListLambdaFunction"
        );
        assert_eq!(
            pick_resource(&rs, f, "function", "shop-dev", Some("create"))
                .unwrap()
                .logical_id,
            "CreateLambdaFunction"
        );
        let err = pick_resource(&rs, f, "function", "shop-dev", None).unwrap_err();
        assert!(err.message.contains("2 functions"), "{}", err.message);
        let t = pick_resource(&rs, "AWS::DynamoDB::Table", "table", "shop-dev", None).unwrap();
        assert_eq!(t.logical_id, "ItemsTable");
        let err = pick_resource(&rs, f, "function", "shop-dev", Some("nope")).unwrap_err();
        assert!(err.is_not_found());
        assert!(err.message.contains("shop-dev-create"));
    }

    #[test]
    fn names_from_any_level_and_two_levels_refused_with_paths() {
        let t = "AWS::DynamoDB::Table";
        let rs = vec![
            at("shop", "Items", "shop-items", t),
            at("shop/Data", "Items", "shop-Data-X-items", t),
            at("shop/Data/Archive", "Old", "old-table", t),
        ];
        let got = pick_resource(&rs, t, "table", "shop", Some("Old")).unwrap();
        assert_eq!(got.stack_path, "shop/Data/Archive");
        let err = pick_resource(&rs, t, "table", "shop", Some("Items")).unwrap_err();
        assert!(
            err.message
                .contains("used at 2 levels of stack \"shop\": shop/Items, shop/Data/Items"),
            "{}",
            err.message
        );
        let got = pick_resource(&rs, t, "table", "shop", Some("Data/Items")).unwrap();
        assert_eq!(got.physical_id.as_deref(), Some("shop-Data-X-items"));
        let got = pick_resource(&rs, t, "table", "shop", Some("shop/Items")).unwrap();
        assert_eq!(got.stack_path, "shop");
        let got = pick_resource(&rs, t, "table", "shop", Some("shop-Data-X-items")).unwrap();
        assert_eq!(got.stack_path, "shop/Data");
        let err = pick_resource(&rs, t, "table", "shop", None).unwrap_err();
        assert!(
            err.message.contains("old-table (in shop/Data/Archive)"),
            "{}",
            err.message
        );
    }
}
