//! The domain: plain synchronous Rust, no terminal and no network.

pub mod abandon;
pub mod discovery;
pub mod dynamo;
pub mod errors;
pub mod function_cache;
pub mod invoke;
pub mod logbuf;
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
