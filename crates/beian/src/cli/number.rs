//! `beian number parse` and `beian number extract`.

use std::io::Read;
use std::process::ExitCode;

use beian_core::message::{Lang, Message};
use beian_core::number::{self, Number, NumberKind, ServiceKind};
use clap::Args;
use serde::Serialize;

use super::id::write_json_line;
use super::{LangArg, UserError, for_each_input};

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Language of messages.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// Numbers to parse; read from stdin, one per line, when none are given.
    numbers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Also print candidates that look like numbers but are wrong (wrong prefix,
    /// placeholder), with their error.
    #[arg(long)]
    all: bool,
    /// Language of messages.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
}

#[derive(Serialize)]
struct Parsed<'a> {
    input: &'a str,
    valid: bool,
    kind: Option<NumberKind>,
    province: Option<String>,
    normalized: Option<String>,
    subject_number: Option<String>,
    service_seq: Option<u32>,
    service_kind: Option<ServiceKind>,
    deviations: Vec<Message>,
    error: Option<Message>,
}

fn describe<'a>(input: &'a str, lang: Lang) -> Parsed<'a> {
    match number::parse(input) {
        Ok(p) => {
            let n: &Number = &p.number;
            Parsed {
                input,
                valid: true,
                kind: Some(n.kind()),
                province: n.province().map(|p| p.to_string()),
                normalized: Some(n.to_string()),
                subject_number: n.subject_number(),
                service_seq: n.service().map(|s| s.seq),
                service_kind: n.service().map(|s| s.kind),
                deviations: p.deviations.iter().map(|d| Message::of(d, lang)).collect(),
                error: None,
            }
        }
        Err(e) => Parsed {
            input,
            valid: false,
            kind: None,
            province: None,
            normalized: None,
            subject_number: None,
            service_seq: None,
            service_kind: None,
            deviations: Vec::new(),
            error: Some(Message::of(&e, lang)),
        },
    }
}

pub fn parse(a: ParseArgs) -> Result<ExitCode, UserError> {
    let lang = a.lang.into();
    let mut all_valid = true;
    for_each_input(&a.numbers, |input, out| {
        let p = describe(input, lang);
        all_valid &= p.valid;
        write_json_line(out, &p)
    })?;
    Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[derive(Serialize)]
struct Found<'a> {
    text: &'a str,
    normalized: Option<String>,
    kind: Option<NumberKind>,
    offset: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Message>,
}

pub fn extract(a: ExtractArgs) -> Result<ExitCode, UserError> {
    let lang: Lang = a.lang.into();
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| UserError(format!("cannot read stdin: {e}")))?;
    // Offsets are byte offsets into the input; for input that is not UTF-8 they refer to
    // the text after invalid bytes were replaced.
    let text = String::from_utf8_lossy(&bytes);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io_err = |e: std::io::Error| UserError(format!("cannot write output: {e}"));
    for e in number::extract(&text) {
        let found = match &e.result {
            Ok(p) => Found {
                text: e.text,
                normalized: Some(p.number.to_string()),
                kind: Some(p.number.kind()),
                offset: e.start,
                error: None,
            },
            Err(err) if a.all => Found {
                text: e.text,
                normalized: None,
                kind: None,
                offset: e.start,
                error: Some(Message::of(err, lang)),
            },
            Err(_) => continue,
        };
        write_json_line(&mut out, &found).map_err(io_err)?;
    }
    std::io::Write::flush(&mut out).map_err(io_err)?;
    Ok(ExitCode::SUCCESS)
}
