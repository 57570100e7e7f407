//! The `beian` command line. This crate only parses arguments, reads and writes streams and
//! maps outcomes to exit codes; every decision is made in `beian-core`.
//!
//! Exit codes are part of the contract: 0 = everything valid, 1 = some input invalid (or an
//! order with blocking findings), 2 = usage error or unreadable input.

use std::process::ExitCode;

use beian::cli;
use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("beian: {e}");
            ExitCode::from(2)
        }
    }
}
