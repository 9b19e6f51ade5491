//! The integration suite: one binary, a module per area. Every test here talks to the
//! real emulator started by `scripts/test` (its URL in `PROTOCTL_TEST_ENDPOINT`).

mod cfn_front;
mod e2e;
mod faults;
mod investigate;
mod reliability;
mod write_paths;
// ── dynamodb (issue 3) ──
mod dynamodb;
// ── s3 (issue 4) ──
mod s3;
// ── logs (issue 5) ──
mod logs;
// ── invoke (issue 6) ──
mod invoke;
// ── teardown (issue 7) ──
mod stacks;
mod support;
mod teardown;
mod teardown_blockers;
mod teardown_retained;
