//! The integration suite: one binary, a module per area. Every test here talks to the
//! real emulator started by `scripts/test` (its URL in `PROTOCTL_TEST_ENDPOINT`).

mod e2e;
mod stacks;
mod support;
