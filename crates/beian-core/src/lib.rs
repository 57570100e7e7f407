//! # beian-core
//!
//! China's website and app filing rules (ICP备案 and 公安联网备案) as a pure library.
//!
//! ## Layout
//!
//! - [`text`], [`message`]: input normalization and bilingual, code-addressed messages.
//! - [`division`], [`province`]: GB/T 2260 divisions (with history) and the 31 filing
//!   provinces with their ICP and PSB prefixes.
//! - [`id`]: identifiers — resident IDs, USCCs, organization codes, phones, e-mail, domain
//!   names, public IPs, HK/Macau permits.
//! - [`number`]: ICP filing numbers, commercial licence numbers, PSB numbers, and the
//!   extractor that finds them in text and HTML.
//! - [`model`]: the filing order (subject, persons, websites, apps, access) as serde types.
//! - [`policy`]: provincial differences, word lists and SMS recipients as data.
//! - [`calendar`]: public holidays and make-up working days per year, for working-day counts.
//! - [`psb`]: the public-security filing — application, pre-fill, deadline, number.
//! - [`psb_workflow`]: the PSB application's state machine, beside the order's.
//! - [`rules`]: the rule engine `check(&Order, &Context) -> Vec<Finding>` (and `check_psb`).
//! - [`workflow`]: the order state machine, one pure transition function.
//!
//! ## What this crate must never do
//!
//! No IO, no async, no clocks, no randomness: "today" and every outside fact arrive as
//! arguments. Everything here is deterministic so the same input gives the same answer in a
//! form, a bulk import, the reviewer console and the regulator simulator.

pub mod blocklist;
pub mod calendar;
pub mod choices;
pub mod division;
pub mod footer;
pub mod id;
pub mod message;
pub mod model;
pub mod number;
pub mod policy;
pub mod province;
pub mod psb;
pub mod psb_workflow;
pub mod record;
pub mod rules;
pub mod text;
pub mod workflow;
