//! The domain: plain synchronous Rust, no terminal and no network.

pub mod abandon;
pub mod archive;
pub mod cognito;
pub mod console_url;
pub mod cost;
pub mod discovery;
pub mod doctor;
pub mod dynamo;
pub mod errors;
pub mod function_cache;
#[cfg(test)]
mod hostile_input_tests;
pub mod iam;
pub mod invoke;
pub mod log_groups;
pub mod log_poll;
pub mod logbuf;
pub mod nested;
pub mod queries;
pub mod report;
pub mod s3;
pub mod sanitize;
pub mod srp;
pub mod stack;
pub mod teardown;
pub mod text;
pub mod time;
pub mod tokens;
