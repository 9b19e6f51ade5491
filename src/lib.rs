//! protoctl: a terminal console (and headless CLI) for the serverless prototype stacks on
//! your AWS shelf. See docs/architecture.md for the module map and the data flow.

pub mod app;
pub mod aws;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
#[cfg(test)]
mod layering_tests;
pub mod logging;
pub mod tui;
pub mod ui;

/// When the process started (set first thing in `main`), for start-up timings.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
