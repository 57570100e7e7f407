//! The web service's tests over HTTP, in one binary so that the workspace links them once:
//! `cancel` (cancellations on pages), `change` (changes on pages, from the data as filed), `e2e` (the API on both backends, with a real SMTP server), `filing` (whole filings against
//! the regulator simulator), `idempotency` (same-key requests across instances), `identity`
//! (the identity-verification port), `ip_filing` (the provider's IP address filing), `pages`
//! (the server-rendered pages), `unfiled` (unfiled websites and the block list),
//! `verification` (the bureau's verification tasks and inspections) and `webhooks` (webhooks,
//! chat robots and further notification recipients).
//!
//! Two test binaries stay apart on purpose: `upload_memory` reads the process's peak memory,
//! which only means the server's when nothing else runs in the process, and `browser` drives a
//! real Chromium, whose start-up time must not share the clock of other tests.

#[path = "../common/mod.rs"]
mod common;

mod cancel;
mod change;
mod e2e;
mod filing;
mod idempotency;
mod identity;
mod ip_filing;
mod pages;
mod unfiled;
mod verification;
mod webhooks;
