//! The provider administrator's pages: users and roles, the provider profile, IP pools,
//! the bureau's work items (unfiled websites, verification tasks and inspections: the two tabs a
//! reviewer opens too), service numbers and quotas, rejection templates, the policy data in force (provincial
//! values, word lists, the rule catalogue — each with its source and date), the SMS/e-mail
//! outbox, webhooks and chat robots with their delivery log, dead-letter jobs with retry, and the audit log with filters and CSV export.
//!
//! Every page is one generic layout (`admin.html`): sections of tables and small forms, so a
//! new admin view is data, not a template. Every step is an `App` call, which checks the admin
//! role itself; this module never decides who may do what.

mod audit;
mod calendar;
mod dashboard;
mod jobs;
mod kit;
mod outbox;
mod policy;
mod pools;
mod profile;
mod service_numbers;
mod templates;
mod unfiled;
mod users;
mod verifications;
mod webhooks;

pub(super) use audit::audit;
pub(super) use calendar::{calendar, delete_calendar_year, put_calendar_year};
pub(super) use dashboard::dashboard;
pub(super) use jobs::{jobs, retry_deliveries, retry_job};
pub(super) use outbox::outbox;
pub(super) use policy::policy;
pub(super) use pools::{add_pool, add_source, delete_pool, delete_source, filing_step, pool_usage, pools};
pub(super) use profile::{profile, save_profile};
pub(super) use service_numbers::{add_service_number, service_numbers};
pub(super) use templates::{add_template, delete_template, templates};
pub(super) use unfiled::{block, handle_case, unblock, unfiled};
pub(super) use users::{update_user, users};
pub(super) use verifications::{acknowledge, answer, check, verifications};
pub(super) use webhooks::{add_webhook, retry_delivery, webhook_step, webhooks};

/// The tabs a reviewer opens too: the bureau's work items, which reviewers answer.
pub(super) const STAFF_TABS: [&str; 2] = ["unfiled", "verifications"];

/// The admin pages, in menu order: (path segment, title key).
pub(super) const TABS: [(&str, &str); 14] = [
    ("", "admin.dashboard"),
    ("users", "admin.users"),
    ("profile", "admin.profile"),
    ("pools", "admin.pools"),
    ("unfiled", "admin.unfiled"),
    ("verifications", "admin.verifications"),
    ("service-numbers", "admin.service_numbers"),
    ("templates", "admin.templates"),
    ("policy", "admin.policy"),
    ("outbox", "admin.outbox"),
    ("webhooks", "admin.webhooks"),
    ("jobs", "admin.jobs"),
    ("calendar", "admin.calendar"),
    ("audit", "admin.audit"),
];
