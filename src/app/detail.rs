//! The stack detail: resources grouped by service, outputs, recent stack events.

use super::keymap::Command;
use super::list::ListState;
use super::stacks::LoadState;
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

/// One row of the grouped resource list: a service heading or a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceRow {
    Group { service: &'static str, count: usize },
    Resource(usize),
}

/// State of the stack detail screen.
#[derive(Debug)]
pub struct DetailState {
    pub stack: Stack,
    pub load: LoadState,
    pub data: Option<DetailData>,
    pub rows: Vec<ResourceRow>,
    pub pane: Pane,
    pub resources: ListState,
    pub outputs: ListState,
    pub events: ListState,
    pub request_id: u64,
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

impl DetailState {
    /// A detail for `stack`, nothing loaded yet.
    pub fn new(stack: Stack) -> Self {
        Self {
            stack,
            load: LoadState::Idle,
            data: None,
            rows: Vec::new(),
            pane: Pane::Resources,
            resources: ListState::default(),
            outputs: ListState::default(),
            events: ListState::default(),
            request_id: 0,
        }
    }

    /// Marks a load in flight.
    pub fn start_loading(&mut self, request_id: u64) {
        self.request_id = request_id;
        self.load = LoadState::Loading;
    }

    /// Stores loaded data and builds the grouped rows.
    pub fn set(&mut self, data: DetailData) {
        self.stack = data.stack.clone();
        let mut rows = Vec::new();
        for service in SERVICE_ORDER {
            let members: Vec<usize> = data
                .resources
                .iter()
                .enumerate()
                .filter(|(_, r)| service_of(&r.resource_type) == service)
                .map(|(i, _)| i)
                .collect();
            if members.is_empty() {
                continue;
            }
            rows.push(ResourceRow::Group {
                service,
                count: members.len(),
            });
            rows.extend(members.into_iter().map(ResourceRow::Resource));
        }
        self.resources.set_len(rows.len());
        self.outputs.set_len(data.stack.outputs.len());
        self.events.set_len(data.events.len());
        self.rows = rows;
        self.data = Some(data);
        self.load = LoadState::Loaded;
    }

    /// Records a failed load.
    pub fn fail(&mut self, e: String) {
        self.load = LoadState::Failed(e);
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
            ResourceRow::Group { .. } => None,
        }
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
}
