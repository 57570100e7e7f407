//! `beian-scan URL… | --file LIST`: the compliance scanner on its own, the same as
//! `beian scan`.

use std::process::ExitCode;

use beian::cli;
use clap::Parser;

fn main() -> ExitCode {
    let args = std::iter::once("beian".into())
        .chain(std::iter::once("scan".into()))
        .chain(std::env::args_os().skip(1));
    let cli = cli::Cli::parse_from(args);
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("beian-scan: {e}");
            ExitCode::from(2)
        }
    }
}
