//! The stack detail: resources grouped by service, outputs, recent stack events.

use std::collections::BTreeMap;

use super::keymap::Command;
use super::list::ListState;
use super::widgets::Loadable;
use crate::domain::nested::{PATH_SEP, relative_path};
use crate::domain::stack::StackEvent;
use crate::domain::stack::{Stack, StackResource};

/// What the detail screen loads for a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailData {
    pub stack: Stack,
    pub resources: Vec<StackResource>,
    pub events: Vec<StackEvent>,
}

/// The focused pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Resources,
    Outputs,
    Events,
}

/// One row of the resource tree: a nested stack's heading, a service heading or a resource.
/// The root's resources come first; each nested stack follows as a heading (its path under
/// the root) with its own resources grouped by service under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceRow {
    Stack {
        path: String,
        depth: usize,
        count: usize,
    },
    Group {
        service: &'static str,
        count: usize,
        depth: usize,
    },
    Resource(usize),
}

/// State of the stack detail screen.
#[derive(Debug)]
pub struct DetailState {
    pub stack: Stack,
    /// The stack's resources and events: the latest request and how it stands.
    pub load: Loadable,
    pub data: Option<DetailData>,
    pub rows: Vec<ResourceRow>,
    pub pane: Pane,
    pub resources: ListState,
    pub outputs: ListState,
    pub events: ListState,
}

/// The service a resource type belongs to, for grouping.
pub fn service_of(resource_type: &str) -> &'static str {
    match resource_type.split("::").nth(1).unwrap_or("") {
        "Lambda" => "Lambda",
        "DynamoDB" => "DynamoDB",
        "S3" => "S3",
        "ApiGateway" | "ApiGatewayV2" => "API Gateway",
        "Logs" => "Logs",
        "IAM" => "IAM",
        "Cognito" => "Cognito",
        "SQS" => "SQS",
        "SNS" => "SNS",
        "Events" => "EventBridge",
        _ => "Other",
    }
}

const SERVICE_ORDER: [&str; 11] = [
    "Lambda",
    "API Gateway",
    "DynamoDB",
    "S3",
    "Logs",
    "Cognito",
    "SQS",
    "SNS",
    "EventBridge",
    "IAM",
    "Other",
];

/// How deep the stack at `path` sits under `root` (0 for the root, 1 for a stack nested in
/// it, ...): the indent of that stack's rows.
pub fn stack_depth(root: &str, path: &str) -> usize {
    match relative_path(root, path) {
        "" => 0,
        rel => rel.split(PATH_SEP).count(),
    }
}

/// The rows of a root's resource tree: for each stack (the root first, then its nested
/// stacks in tree order, each after a heading), its resources grouped by service.
fn tree_rows(root: &str, resources: &[StackResource]) -> Vec<ResourceRow> {
    // Keyed so the root sorts first, then each nested stack after its parent.
    let mut stacks: BTreeMap<(bool, Vec<&str>), Vec<usize>> = BTreeMap::new();
    for (i, r) in resources.iter().enumerate() {
        let rel = relative_path(root, &r.stack_path);
        let key = (!rel.is_empty(), rel.split(PATH_SEP).collect());
        stacks.entry(key).or_default().push(i);
    }
    let mut rows = Vec::new();
    for ((nested, parts), own) in stacks {
        let depth = parts.len() * usize::from(nested);
        if nested {
            rows.push(ResourceRow::Stack {
                path: parts.join(&PATH_SEP.to_string()),
                depth,
                count: own.len(),
            });
        }
        for service in SERVICE_ORDER {
            let members: Vec<usize> = own
                .iter()
                .copied()
                .filter(|&i| service_of(&resources[i].resource_type) == service)
                .collect();
            if members.is_empty() {
                continue;
            }
            rows.push(ResourceRow::Group {
                service,
                count: members.len(),
                depth,
            });
            rows.extend(members.into_iter().map(ResourceRow::Resource));
        }
    }
    rows
}

impl DetailState {
    /// A detail for `stack`, nothing loaded yet.
    pub fn new(stack: Stack) -> Self {
        Self {
            stack,
            load: Loadable::default(),
            data: None,
            rows: Vec::new(),
            pane: Pane::Resources,
            resources: ListState::default(),
            outputs: ListState::default(),
            events: ListState::default(),
        }
    }

    /// Stores loaded data and builds the grouped rows.
    pub fn set(&mut self, mut data: DetailData) {
        // DescribeStacks knows nothing of the profile that reaches the stack: keep it.
        data.stack.profile.clone_from(&self.stack.profile);
        data.stack
            .account_alias
            .clone_from(&self.stack.account_alias);
        self.stack = data.stack.clone();
        let rows = tree_rows(&data.stack.name, &data.resources);
        self.resources.set_len(rows.len());
        self.outputs.set_len(data.stack.outputs.len());
        self.events.set_len(data.events.len());
        self.rows = rows;
        self.data = Some(data);
        self.load.set_loaded();
    }

    /// Moves focus to the next (or previous) pane.
    pub fn cycle_pane(&mut self, back: bool) {
        self.pane = match (self.pane, back) {
            (Pane::Resources, false) | (Pane::Events, true) => Pane::Outputs,
            (Pane::Outputs, false) | (Pane::Resources, true) => Pane::Events,
            (Pane::Events, false) | (Pane::Outputs, true) => Pane::Resources,
        };
    }

    /// Moves the cursor of the focused pane.
    pub fn navigate(&mut self, cmd: Command, page: usize) {
        let list = match self.pane {
            Pane::Resources => &mut self.resources,
            Pane::Outputs => &mut self.outputs,
            Pane::Events => &mut self.events,
        };
        list.navigate(cmd, page);
    }

    /// The resource under the cursor (not a group heading).
    pub fn selected_resource(&self) -> Option<&StackResource> {
        match self.rows.get(self.resources.selected)? {
            ResourceRow::Resource(i) => self.data.as_ref()?.resources.get(*i),
            ResourceRow::Group { .. } | ResourceRow::Stack { .. } => None,
        }
    }
}

use super::{Effect, Level, detail};

/// A stack's detail: its keys and commands, and the screens it opens.
impl super::App {
    /// A command on a stack's detail.
    pub(super) fn detail_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        match cmd {
            Command::Back => {
                self.views.pop();
                Vec::new()
            }
            Command::Refresh => self.reload_detail(),
            Command::NextPane | Command::PrevPane => {
                if let Some(d) = self.views.detail_mut() {
                    d.cycle_pane(cmd == Command::PrevPane);
                }
                Vec::new()
            }
            Command::Open => self.open_selected_resource(),
            Command::DynamoTables => self.open_dynamo_tables(),
            Command::S3Buckets => self.open_s3(),
            Command::Logs | Command::LogsFunction => self.open_logs(cmd == Command::LogsFunction),
            Command::Invoke => self.open_invoke(),
            Command::Errors => self.open_errors(),
            Command::Query => self.open_query(),
            Command::Cost => self.open_cost(),
            Command::Teardown => {
                let stack = self.views.detail().map(|d| d.stack.clone());
                self.open_teardown(stack.into_iter().collect())
            }
            Command::Shelve => {
                let stack = self.views.detail().map(|d| d.stack.clone());
                self.open_shelve(stack)
            }
            other => {
                if let Some(d) = self.views.detail_mut() {
                    d.navigate(other, page);
                }
                Vec::new()
            }
        }
    }

    /// `enter` on a resource of the detail: its table's items, its bucket, its function's logs.
    pub(super) fn open_selected_resource(&mut self) -> Vec<Effect> {
        let Some(d) = self.views.detail() else {
            return Vec::new();
        };
        if d.pane != detail::Pane::Resources {
            return Vec::new();
        }
        let kind = d.selected_resource().map(|r| r.resource_type.clone());
        match kind.as_deref() {
            Some("AWS::DynamoDB::Table") => self.open_dynamo_tables(),
            Some("AWS::S3::Bucket") => self.open_s3(),
            Some("AWS::Lambda::Function") => self.open_logs(true),
            Some(_) => {
                self.notify(
                    Level::Info,
                    "enter opens tables (t), buckets (b) and functions' logs (L)",
                );
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    pub(super) fn open_detail(&mut self) -> Vec<Effect> {
        let Some(stack) = self.stacks.selected().cloned() else {
            return Vec::new();
        };
        self.views.open(DetailState::new(stack));
        self.reload_detail()
    }

    pub(super) fn reload_detail(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        let Some(d) = self.views.detail_mut() else {
            return Vec::new();
        };
        let request_id = d.load.start(&mut self.requests);
        vec![Effect::Detail(DetailEffect::Load {
            scope: d.stack.scope(),
            request_id,
            stack_id: d.stack.id.clone(),
        })]
    }
}

/// The detail screen's task result.
#[derive(Debug)]
pub enum DetailMsg {
    Loaded {
        request_id: u64,
        result: Box<Result<DetailData, String>>,
    },
}

/// The detail screen's work.
#[derive(Debug, Clone)]
pub enum DetailEffect {
    /// Read the stack, its resources and its latest events.
    Load {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        stack_id: String,
    },
}

impl super::Work for DetailEffect {
    fn scope(&self) -> Option<&crate::domain::stack::Scope> {
        let Self::Load { scope, .. } = self;
        Some(scope)
    }
}

impl super::Update for DetailMsg {
    fn update(self, app: &mut super::App) -> Vec<Effect> {
        let Self::Loaded { request_id, result } = self;
        let Some(detail) = app.views.detail_mut() else {
            return Vec::new();
        };
        match detail.load.finish(request_id, *result) {
            None => {}
            Some(Ok(data)) => detail.set(data),
            Some(Err(e)) => app.notify(Level::Error, e),
        }
        Vec::new()
    }
}

impl super::ScreenState for DetailState {
    fn command(app: &mut super::App, cmd: Command) -> Vec<Effect> {
        let page = app.page_rows.max(1);
        app.detail_command(cmd, page)
    }

    fn copy_target(app: &super::App, _page: super::Screen) -> Option<(&'static str, String)> {
        let d = app.views.detail()?;
        match d.pane {
            Pane::Resources => d
                .selected_resource()
                .and_then(|r| r.physical_id.clone())
                .map(|id| ("physical id", id)),
            Pane::Outputs => d
                .stack
                .outputs
                .values()
                .nth(d.outputs.selected)
                .map(|v| ("output", v.clone())),
            Pane::Events => Some(("stack id", d.stack.id.clone())),
        }
    }

    /// The stack's page, or the selected resource's.
    fn console_target(app: &super::App, _page: super::Screen) -> Option<String> {
        use crate::domain::console_url;
        let d = app.views.detail()?;
        let stack = console_url::stack(&d.stack.region, &d.stack.id);
        if d.pane != Pane::Resources {
            return Some(stack);
        }
        let Some(r) = d.selected_resource() else {
            return Some(stack);
        };
        r.physical_id
            .as_deref()
            .and_then(|id| console_url::resource(&d.stack.region, &r.resource_type, id))
    }

    /// The capability screens its stack has (all of them while the resources load), then
    /// the panes and the way back.
    fn hints(app: &super::App, _page: super::Screen) -> Vec<Command> {
        let has = |kind: &str| {
            app.views
                .detail()
                .and_then(|d| d.data.as_ref())
                .is_none_or(|data| data.resources.iter().any(|r| r.resource_type == kind))
        };
        let mut v = Vec::new();
        if has("AWS::DynamoDB::Table") {
            v.push(Command::DynamoTables);
        }
        if has("AWS::S3::Bucket") {
            v.push(Command::S3Buckets);
        }
        v.push(Command::Logs);
        v.push(Command::Errors);
        v.push(Command::Query);
        if has("AWS::Lambda::Function") {
            v.push(Command::LogsFunction);
            if !app.header.read_only {
                v.push(Command::Invoke);
            }
        }
        v.push(Command::Cost);
        v.push(Command::Teardown);
        v.extend([
            Command::NextPane,
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Quit,
        ]);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services() {
        assert_eq!(service_of("AWS::Lambda::Function"), "Lambda");
        assert_eq!(service_of("AWS::ApiGateway::RestApi"), "API Gateway");
        assert_eq!(service_of("Custom::Thing"), "Other");
        assert_eq!(service_of(""), "Other");
    }

    fn res(path: &str, logical: &str, kind: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(format!("{logical}-phys")),
            resource_type: kind.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: path.into(),
        }
    }

    #[test]
    fn two_level_tree_rows_group_each_stack_under_its_heading() {
        // Deliberately out of tree order: the rows must not depend on the listing order.
        let resources = vec![
            res("shop/Data/Archive", "Bucket", "AWS::S3::Bucket"),
            res("shop/Data", "Table", "AWS::DynamoDB::Table"),
            res("shop", "Fn", "AWS::Lambda::Function"),
            res("shop/Data", "Archive", "AWS::CloudFormation::Stack"),
            res("shop", "Data", "AWS::CloudFormation::Stack"),
        ];
        let rows = tree_rows("shop", &resources);
        let group = |service, count, depth| ResourceRow::Group {
            service,
            count,
            depth,
        };
        let stack = |path: &str, depth, count| ResourceRow::Stack {
            path: path.into(),
            depth,
            count,
        };
        assert_eq!(
            rows,
            vec![
                group("Lambda", 1, 0),
                ResourceRow::Resource(2),
                group("Other", 1, 0),
                ResourceRow::Resource(4),
                stack("Data", 1, 2),
                group("DynamoDB", 1, 1),
                ResourceRow::Resource(1),
                group("Other", 1, 1),
                ResourceRow::Resource(3),
                stack("Data/Archive", 2, 1),
                group("S3", 1, 2),
                ResourceRow::Resource(0),
            ]
        );
        assert_eq!(stack_depth("shop", "shop"), 0);
        assert_eq!(stack_depth("shop", "shop/Data/Archive"), 2);
    }

    #[test]
    fn a_heading_selects_no_resource() {
        let mut d = DetailState::new(crate::ui::tests::demo_stack(
            "shop",
            "CREATE_COMPLETE",
            1,
            &[],
        ));
        let mut data = crate::ui::tests::detail_data(d.stack.clone());
        data.resources = vec![
            res("shop", "Data", "AWS::CloudFormation::Stack"),
            res("shop/Data", "Table", "AWS::DynamoDB::Table"),
        ];
        d.set(data);
        let picked: Vec<Option<String>> = (0..d.rows.len())
            .map(|i| {
                d.resources.selected = i;
                d.selected_resource().map(|r| r.logical_id.clone())
            })
            .collect();
        assert_eq!(
            picked,
            vec![None, Some("Data".into()), None, None, Some("Table".into())]
        );
    }
}
