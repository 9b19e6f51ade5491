//! The integration suite: one binary, a module per area. Every test here talks to the
//! real emulator started by `scripts/test` (its URL in `PROTOCTL_TEST_ENDPOINT`).

mod e2e;
// ── dynamodb (issue 3) ──
mod dynamodb;
// ── s3 (issue 4) ──
// ── logs (issue 5) ──
// ── invoke (issue 6) ──
// ── teardown (issue 7) ──
mod stacks;
mod support;
