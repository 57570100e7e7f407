//! The provider's side of the seam to the regulator: how an approved order reaches the bureau
//! and how the bureau's answers come back.
//!
//! - [`port`]: the signed JSON seam's port and its HTTP implementation;
//! - [`miit`]: MIIT's enterprise interface V3.0 — its port, upload files out, download files in;
//! - [`submission`]: the ids deliveries and incoming events are known by;
//! - [`delivery`]: the job that delivers an approved order (V3.0 or JSON), resends, polls;
//! - [`inbox`]: applying the regulator's events to orders, each once, in order;
//! - [`record`]: the filing on record, and what a subject has on file here;
//! - [`notices`]: what the applicant is told of each step.
//!
//! Order state is written by `Orders::write_order_state` only (`crate::order_state`), here as
//! for the applicant's and reviewer's actions. Nothing in this folder may send PII anywhere
//! but the regulator.

pub mod delivery;
pub mod inbox;
pub mod miit;
pub mod notices;
pub mod port;
pub mod record;
pub mod submission;

use std::sync::Arc;

pub use port::{HttpRegulator, Regulator, RegulatorError, RegulatorSeam, regulator_problem};
pub use record::Filing;
pub use submission::SubmissionId;

use crate::App;

impl App {
    /// The same app talking to a regulator. Call it while building, before the app is shared.
    pub fn with_regulator(self, seam: RegulatorSeam) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => App { inner: Arc::new(crate::Inner { regulator: Some(seam), ..inner }) },
            Err(inner) => App { inner },
        }
    }

    /// The regulator seam, when one is configured.
    pub fn regulator(&self) -> Option<&RegulatorSeam> {
        self.inner.regulator.as_ref()
    }
}
