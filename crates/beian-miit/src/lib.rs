//! # beian-miit
//!
//! MIIT's enterprise interface, 《ICP/IP地址/域名信息备案管理系统企业系统接口规范（3.0版）》: the
//! web service through which an access provider's system uploads filings to the provincial
//! bureau (省局系统) and downloads its results. Both sides of beian use this crate — the
//! provider as a client, the regulator simulator as the bureau — so the two cannot disagree.
//!
//! ## Layout
//!
//! - [`schema`]: the upload and download files and the methods' answers as typed Rust,
//!   generated from the published XSDs (`spec/`).
//! - [`xml`]: reading and writing them exactly as the XSDs define them, in GBK.
//! - [`package`]: zip, hash, AES and base64 around a file on the wire.
//! - [`auth`]: `randVal` and `pwdHash`.
//! - [`soap`]: the six methods as SOAP calls, and their WSDL.
//! - [`answer`]: the `<return>` answers' shared parts.
//! - [`jcdm`]: the bureau's base code tables, through which every coded field goes.
//! - [`mapping`]: beian's orders to records and back, through the code tables.
//! - [`hours`]: the hours a bureau takes uploads in.
//! - [`codes`]: every status and result code with its official text (`spec/codes.tsv`).
//!
//! ## What this crate must never do
//!
//! IO of any kind (network, files, clock, randomness: all are passed in), and log or print
//! a value of a file: they carry certificate numbers and phones.

pub mod answer;
pub mod auth;
pub mod codes;
pub mod hours;
pub mod jcdm;
pub mod mapping;
pub mod package;
pub mod schema;
pub mod soap;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod xml;

#[cfg(test)]
mod schema_tests;
