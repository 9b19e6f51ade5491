//! The integration suite: one binary, a module per area. Every test here talks to the
//! real emulator started by `scripts/test` (its URL in `PROTOCTL_TEST_ENDPOINT`).

mod accounts;
mod auth_faults;
mod cfn_front;
mod cognito_front;
mod cost;
mod doctor;
mod dynamodb;
mod e2e;
mod faults;
mod interrupted;
mod investigate;
mod invoke;
mod live_tail_front;
mod log_groups;
mod logs;
mod nested;
mod reliability;
mod s3;
mod shelf_console;
mod shelve;
mod shelve_faults;
mod shelve_yaml;
mod stacks;
mod support;
mod teardown;
mod teardown_blockers;
mod teardown_retained;
mod write_paths;
