//! The domain: plain synchronous Rust, no terminal and no network.

pub mod abandon;
pub mod discovery;
pub mod dynamo;
pub mod errors;
pub mod function_cache;
#[cfg(test)]
mod hostile_input_tests;
pub mod invoke;
pub mod logbuf;
pub mod nested;
pub mod queries;
pub mod report;
pub mod sanitize;
pub mod srp;
pub mod stack;
pub mod teardown;
pub mod time;
pub mod tokens;
