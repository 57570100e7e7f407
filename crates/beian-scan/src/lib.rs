//! # beian-scan
//!
//! The footer compliance scanner: fetches a filed site's home page and checks that it shows
//! the right ICP number with its trailing `号`, linked to MIIT, the PSB number linked to the
//! platform with its badge, the provincial lines (Jiangsu's `版权所有`), and no stale links or
//! other people's numbers.
//!
//! ## Layout
//!
//! - [`fetch`]: safe fetching — a resolver that refuses non-public addresses, redirects
//!   followed hop by hop, a body cap and a deadline, no proxies.
//! - [`charset`]: which encoding a page is in (BOM, header, `<meta>`, then UTF-8 or GB18030).
//! - [`page`]: the streaming parse, keeping only visible text, links and script hints.
//! - [`assess`]: the pure check of a page against what it should show, with stable codes.
//! - [`scan`]: many sites at once, bounded overall and per host, one report per site.
//!
//! ## What this crate must never do
//!
//! Connect to a loopback, private, link-local or metadata address unless the caller asked
//! for it explicitly (tests, local benchmarks); read an unbounded body; call a footer it
//! cannot see (rendered by JavaScript) non-compliant.

pub mod assess;
pub mod charset;
pub mod fetch;
pub mod further;
pub mod page;
pub mod scan;

pub use assess::{Expected, Verdict};
pub use fetch::FetchOptions;
pub use scan::{Limits, Scanner, SiteReport};
