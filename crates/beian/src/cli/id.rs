//! `beian id check`.

use std::io::{self, Write};
use std::process::ExitCode;

use beian_core::id::{CertKind, check_cert};
use beian_core::message::Lang;
use clap::{Args, ValueEnum};
use serde::Serialize;
use time::Date;

use super::{LangArg, UserError, for_each_input, parse_date, today};

#[derive(Debug, Args)]
pub struct IdCheckArgs {
    /// Which certificate to check; `auto` guesses from the shape.
    #[arg(long, value_enum, default_value_t = KindArg::Auto)]
    kind: KindArg,
    /// Language of messages.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// Check birth dates against this day instead of today (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
    /// Values to check; read from stdin, one per line, when none are given.
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Auto,
    ResidentId,
    Uscc,
    OrgCode,
}

#[derive(Serialize)]
struct Line<'a> {
    input: &'a str,
    #[serde(flatten)]
    check: beian_core::id::CertCheck,
}

pub fn run(a: IdCheckArgs) -> Result<ExitCode, UserError> {
    let kind = match a.kind {
        KindArg::Auto => None,
        KindArg::ResidentId => Some(CertKind::ResidentId),
        KindArg::Uscc => Some(CertKind::Uscc),
        KindArg::OrgCode => Some(CertKind::OrgCode),
    };
    let lang: Lang = a.lang.into();
    let day = today(a.today);
    let mut all_valid = true;
    for_each_input(&a.values, |input, out| {
        let check = check_cert(input, kind, day, lang);
        all_valid &= check.valid;
        write_json_line(out, &Line { input, check })
    })?;
    Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub fn write_json_line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
