//! The `beian` command line as a library, so the `beian` and `beian-scan` binaries share one
//! definition. It only parses arguments, reads and writes streams and maps outcomes to exit
//! codes; every decision is made in the library crates.

pub mod cli;
