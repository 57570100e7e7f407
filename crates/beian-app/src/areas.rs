//! The use cases by area: `app.orders()`, `app.review()`, `app.seam()`, … each a handle over
//! the one shared [`App`] whose methods live in the area's files (`orders.rs`,
//! `order_state.rs`, … for [`Orders`]). One area calls another through its handle
//! (`self.review().…`), so who uses whom reads from the code; the plumbing every area shares
//! (store, keys, clock, configuration) stays on `App`, reached through `Deref`.
//!
//! This module only declares the handles; it must never hold a use case.

use crate::App;

macro_rules! areas {
    ($($(#[$doc:meta])* $accessor:ident => $ty:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy)]
            pub struct $ty<'a>(&'a App);

            impl std::ops::Deref for $ty<'_> {
                type Target = App;
                fn deref(&self) -> &App {
                    self.0
                }
            }

            impl std::fmt::Debug for $ty<'_> {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_tuple(stringify!($ty)).field(self.0).finish()
                }
            }
        )*

        impl App {
            $(
                $(#[$doc])*
                pub fn $accessor(&self) -> $ty<'_> {
                    $ty(self)
                }
            )*
        }
    };
}

areas! {
    /// Accounts, sessions, API tokens and password resets (`auth.rs`).
    auth => Auth;
    /// The subjects an applicant manages (`subjects.rs`).
    subjects => Subjects;
    /// Orders: create, edit, check, submit, withdraw, their state's one writer, what they still
    /// need, cancellation reasons (`orders.rs`, `order_state.rs`, `requirements.rs`,
    /// `cancellation.rs`).
    orders => Orders;
    /// The guided start of a filing and change drafts on the data as filed (`drafts.rs`,
    /// `changes.rs`).
    drafts => Drafts;
    /// Orders idle with their applicant: reminders, then closure (`expiry.rs`).
    expiry => Expiry;
    /// Uploaded documents and face checks (`documents.rs`).
    documents => Documents;
    /// The provider's first review and the bureau's blacklists' flags (`review.rs`,
    /// `blacklist.rs`).
    review => Review;
    /// The seam to the regulator: deliveries, its events, what is on record, and MIIT's
    /// interface V3.0 (`seam/`).
    seam => Seam;
    /// Public-security filing of filed websites (`psb.rs`).
    psb => Psb;
    /// Footers, footer scans and hosting checks of filed websites (`footers.rs`, `scans.rs`,
    /// `hosting.rs`).
    compliance => Compliance;
    /// Unfiled websites on the provider's addresses and the block list (`unfiled.rs`).
    unfiled => Unfiled;
    /// The bureau's verification tasks and inspection results (`verification.rs`).
    verification => VerificationTasks;
    /// The provider's address blocks and their filing (`ip_filing.rs`).
    ip_filing => IpAddresses;
    /// Administration: profile, templates, audit, calendar, dashboard, metrics (`profile.rs`,
    /// `calendar.rs`, `dashboard.rs`, `metrics.rs`).
    admin => Admin;
    /// The job runner and its schedules (`jobs.rs`).
    jobs => Jobs;
    /// Messages to people and further recipients (`notify.rs`, `recipients.rs`).
    notify => Notify;
    /// Webhooks and chat robots (`webhooks/`).
    webhooks => Webhooks;
}
