//! Which resources belong to which CloudFormation stacks, for a whole region at once:
//! CloudFormation tags every resource it creates with `aws:cloudformation:stack-name` (and
//! `…:stack-id`), and the Resource Groups Tagging API lists every tagged resource of the asked
//! types with its tags, 100 a page. One sweep replaces a `ListStackResources` per stack: for
//! the functions (the activity lookup) and for the types that can block a teardown (the
//! listing's blockers column).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::{AwsContext, AwsError};

/// The tag CloudFormation puts on every resource it creates: the stack's name.
pub const STACK_NAME_TAG: &str = "aws:cloudformation:stack-name";
/// The tag CloudFormation puts on every resource it creates: the stack's id.
pub const STACK_ID_TAG: &str = "aws:cloudformation:stack-id";

/// Function names of the region's CloudFormation-made functions, by stack. Each stack is
/// keyed by its id where the function carries the id tag, else by its name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackFunctions {
    pub by_stack: BTreeMap<String, Vec<String>>,
}

impl StackFunctions {
    /// The functions of the stack with this id (or, failing that, name); `None` when the sweep
    /// did not mention it.
    pub fn of(&self, stack_id: &str, stack_name: &str) -> Option<&[String]> {
        self.by_stack
            .get(stack_id)
            .or_else(|| self.by_stack.get(stack_name))
            .map(Vec::as_slice)
    }

    /// Whether the sweep found no CloudFormation-tagged function at all.
    pub fn is_empty(&self) -> bool {
        self.by_stack.is_empty()
    }

    /// Files one resource of the answer: its ARN and tags.
    fn add<'a>(&mut self, arn: &str, tags: impl Iterator<Item = (&'a str, &'a str)>) {
        let Some(function) = function_name_of(arn) else {
            return;
        };
        let (mut id, mut name) = (None, None);
        for (k, v) in tags {
            match k {
                STACK_ID_TAG => id = Some(v),
                STACK_NAME_TAG => name = Some(v),
                _ => {}
            }
        }
        if let Some(stack) = id.or(name) {
            self.by_stack
                .entry(stack.to_owned())
                .or_default()
                .push(function.to_owned());
        }
    }
}

/// The function name of a Lambda function ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`,
/// perhaps followed by `:QUALIFIER`).
pub fn function_name_of(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":function:")?;
    let name = rest.split(':').next()?;
    (!name.is_empty()).then_some(name)
}

/// Every CloudFormation-made Lambda function of the context's region, by stack: one
/// `GetResources` page per 100 functions.
pub async fn stack_functions(ctx: &AwsContext) -> Result<StackFunctions, AwsError> {
    let mut out = StackFunctions::default();
    sweep(ctx, &["lambda:function"], |arn, tags| out.add(arn, tags)).await?;
    Ok(out)
}

/// The resource types that can block a teardown (what the blockers check looks into), as
/// the tagging API names them: buckets, tables, repositories, and the types with a deletion
/// protection (`domain::teardown::PROTECTED_TYPES`).
pub const BLOCKABLE_TYPES: &[&str] = &[
    "s3",
    "dynamodb:table",
    "ecr:repository",
    "cognito-idp:userpool",
    "rds:cluster",
    "rds:db",
    "ec2:instance",
    "elasticloadbalancing:loadbalancer",
    "qldb:ledger",
];

/// The stacks (by id, and by name where a resource carries only the name) that own at least
/// one CloudFormation-tagged resource of some types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackSet {
    keys: BTreeSet<String>,
}

impl StackSet {
    /// Whether the sweep found a resource of the stack with this id (or name).
    pub fn mentions(&self, stack_id: &str, stack_name: &str) -> bool {
        self.keys.contains(stack_id) || self.keys.contains(stack_name)
    }

    /// Whether the sweep found no CloudFormation-tagged resource at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Files one resource of the answer by its tags.
    pub fn add<'a>(&mut self, tags: impl Iterator<Item = (&'a str, &'a str)>) {
        for (k, v) in tags {
            if k == STACK_ID_TAG || k == STACK_NAME_TAG {
                self.keys.insert(v.to_owned());
            }
        }
    }
}

/// The stacks of the context's region that own a CloudFormation-tagged resource of a type
/// that can block a teardown: one `GetResources` page per 100 such resources.
pub async fn stacks_with_blockable(ctx: &AwsContext) -> Result<StackSet, AwsError> {
    let mut out = StackSet::default();
    sweep(ctx, BLOCKABLE_TYPES, |_, tags| out.add(tags)).await?;
    Ok(out)
}

/// Every CloudFormation-tagged resource of `types` in the context's region, page by page:
/// `each` gets its ARN and tags.
async fn sweep(
    ctx: &AwsContext,
    types: &[&str],
    mut each: impl for<'a> FnMut(&'a str, &mut dyn Iterator<Item = (&'a str, &'a str)>),
) -> Result<(), AwsError> {
    let client = aws_sdk_resourcegroupstagging::Client::new(&ctx.sdk);
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_resources()
            .set_resource_type_filters(Some(types.iter().map(|t| (*t).to_owned()).collect()))
            .tag_filters(TagFilter::builder().key(STACK_NAME_TAG).build())
            .resources_per_page(100)
            .set_pagination_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetResources", e))?;
        for mapping in page.resource_tag_mapping_list() {
            if let Some(arn) = mapping.resource_arn() {
                let mut tags = mapping.tags().iter().map(|t| (t.key(), t.value()));
                each(arn, &mut tags);
            }
        }
        token = page
            .pagination_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "arn:aws:lambda:us-east-1:123456789012:function:orders-dev-create",
        Some("orders-dev-create")
    )]
    #[case("arn:aws:lambda:eu-west-1:123456789012:function:f:live", Some("f"))]
    #[case("arn:aws:lambda:us-east-1:123456789012:layer:l:1", None)]
    #[case("arn:aws:lambda:us-east-1:123456789012:function:", None)]
    #[case("not an arn", None)]
    fn function_names_from_arns(#[case] arn: &str, #[case] want: Option<&str>) {
        assert_eq!(function_name_of(arn), want);
    }

    #[test]
    fn functions_are_filed_by_stack_id_then_name() {
        let mut f = StackFunctions::default();
        let arn = |n: &str| format!("arn:aws:lambda:us-east-1:1:function:{n}");
        f.add(
            &arn("a"),
            [(STACK_NAME_TAG, "s1"), (STACK_ID_TAG, "id-1")].into_iter(),
        );
        f.add(&arn("b"), [(STACK_ID_TAG, "id-1")].into_iter());
        f.add(&arn("c"), [(STACK_NAME_TAG, "s2")].into_iter());
        f.add(&arn("d"), [("owner", "x")].into_iter());
        assert_eq!(
            f.of("id-1", "s1"),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(f.of("id-2", "s2"), Some(&["c".to_owned()][..]));
        assert_eq!(f.of("id-3", "s3"), None);
        assert!(!f.is_empty());
        assert!(StackFunctions::default().is_empty());
    }

    #[test]
    fn a_blockable_resource_names_its_stack_by_id_and_name() {
        let mut s = StackSet::default();
        assert!(s.is_empty());
        s.add([(STACK_NAME_TAG, "s1"), (STACK_ID_TAG, "id-1")].into_iter());
        s.add([(STACK_NAME_TAG, "s2")].into_iter());
        s.add([("owner", "x")].into_iter());
        assert!(s.mentions("id-1", "other") && s.mentions("id-x", "s1"));
        assert!(s.mentions("id-2", "s2"));
        assert!(!s.mentions("id-3", "s3"));
        assert!(!s.is_empty());
    }
}
