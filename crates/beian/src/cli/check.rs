//! `beian check FILE.json`: the rule engine on one order, or with `--psb` on one
//! public-security filing application.
//!
//! The file holds either an order, or `{"order": …, "context": …}` where the context gives
//! what the order cannot say by itself (registry facts, IP pools, what is on file). The
//! context's `today` defaults to today (or `--today`).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::process::ExitCode;

use beian_app::i18n::Msgs;
use beian_core::message::Lang;
use beian_core::model::Order;
use beian_core::policy::Severity;
use beian_core::psb::PsbApplication;
use beian_core::rules::{self, Context, Finding};
use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;
use time::Date;

use super::{LangArg, UserError, parse_date, today};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The order as JSON (see docs/order.md), or `-` for stdin.
    file: String,
    /// Report language.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
    /// `text` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Check as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
    /// The file is a public-security filing application (docs/psb.schema.json), not an order.
    #[arg(long)]
    psb: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct Report<'a> {
    submittable: bool,
    errors: usize,
    warnings: usize,
    reviews: usize,
    findings: &'a [Finding],
}

pub fn run(a: CheckArgs) -> Result<ExitCode, UserError> {
    let (name, text) = read_input(&a.file)?;
    let lang: Lang = a.lang.into();
    let (findings, title) = if a.psb {
        let app: PsbApplication =
            serde_json::from_str(&text).map_err(|e| UserError(format!("{name}: PSB application: {e}")))?;
        let title = format!(
            "{name} — {} · {} · {}",
            Msgs::of(lang).get("cli.check.psb_filing"),
            app.icp_number,
            app.website_name
        );
        (rules::check_psb(&app, today(a.today)), title)
    } else {
        let (order, ctx) = load(&name, &text, today(a.today))?;
        (rules::check(&order, &ctx), title(&name, &order, lang))
    };
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let report = Report {
        submittable: !rules::has_errors(&findings),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        reviews: count(Severity::Review),
        findings: &findings,
    };
    let rendered = match a.format {
        Format::Json => serde_json::to_string_pretty(&report).map_err(|e| UserError(e.to_string()))? + "\n",
        Format::Text => render_text(&title, &report, lang),
    };
    std::io::stdout()
        .lock()
        .write_all(rendered.as_bytes())
        .map_err(|e| UserError(format!("cannot write output: {e}")))?;
    Ok(if report.submittable { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn read_input(file: &str) -> Result<(String, String), UserError> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| UserError(format!("cannot read stdin: {e}")))?;
    } else {
        bytes = std::fs::read(file).map_err(|e| UserError(format!("cannot read {file}: {e}")))?;
    }
    let name = if file == "-" { "<stdin>".to_owned() } else { file.to_owned() };
    let text = String::from_utf8(bytes).map_err(|_| UserError(format!("{name}: not UTF-8 text")))?;
    Ok((name, text))
}

/// Parses an order or an `{order, context}` envelope, with errors that name the place.
fn load(name: &str, text: &str, day: Date) -> Result<(Order, Context), UserError> {
    let located = |e: serde_json::Error| UserError(format!("{name}: {e}"));
    let value: Value = serde_json::from_str(text).map_err(located)?;
    let Value::Object(mut map) = value else {
        return Err(UserError(format!(
            "{name}: expected a JSON object (an order, or {{\"order\", \"context\"}})"
        )));
    };
    let in_envelope = map.contains_key("order");
    if let Some(extra) = map.keys().find(|k| in_envelope && !matches!(k.as_str(), "order" | "context")) {
        return Err(UserError(format!(
            "{name}: unknown top-level field `{extra}` (expected `order` and `context`)"
        )));
    }
    let order_value =
        if in_envelope { map.remove("order").unwrap_or(Value::Null) } else { Value::Object(map.clone()) };
    let order: Order =
        serde_json::from_value(order_value).map_err(|e| UserError(format!("{name}: order: {e}")))?;
    let mut ctx_value = if in_envelope {
        map.remove("context").unwrap_or(Value::Object(Default::default()))
    } else {
        Value::Object(Default::default())
    };
    let Value::Object(ctx_map) = &mut ctx_value else {
        return Err(UserError(format!("{name}: context must be an object")));
    };
    ctx_map.entry("today").or_insert_with(|| Value::String(day.to_string()));
    let ctx: Context =
        serde_json::from_value(ctx_value).map_err(|e| UserError(format!("{name}: context: {e}")))?;
    Ok((order, ctx))
}

/// The report's first line for an order.
fn title(name: &str, order: &Order, lang: Lang) -> String {
    let p = order.province.province();
    let args = [
        ("name", name.to_owned()),
        ("kind", Msgs::of(lang).get(&format!("kind.{}", order.kind.key())).to_owned()),
        ("province", lang.pick(p.short_name, p.name_en).to_owned()),
        ("subject", order.subject.name.clone()),
        ("services", order.service_count().to_string()),
    ];
    Msgs::fill(lang, "cli.check.title", &args)
}

fn render_text(title: &str, report: &Report<'_>, lang: Lang) -> String {
    let t = Msgs::of(lang);
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    for (severity, heading, mark) in [
        (Severity::Error, "cli.check.errors", "✗"),
        (Severity::Warning, "cli.check.warnings", "!"),
        (Severity::Review, "cli.check.reviews", "?"),
    ] {
        let group: Vec<&Finding> = report.findings.iter().filter(|f| f.severity == severity).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({})", t.get(heading), group.len());
        for f in group {
            let _ = writeln!(out, "  {mark} {}  [{}]", f.field, f.code);
            let _ = writeln!(out, "    {}", f.message.get(lang));
            let _ = writeln!(
                out,
                "    {}{}  {}{}",
                t.get("cli.check.fix"),
                f.suggestion.get(lang),
                t.get("cli.check.source"),
                f.source
            );
        }
    }
    let _ = writeln!(out);
    let result = if report.submittable {
        let args = [("warnings", report.warnings.to_string()), ("reviews", report.reviews.to_string())];
        Msgs::fill(lang, "cli.check.submittable", &args)
    } else {
        Msgs::fill(lang, "cli.check.blocked", &[("errors", report.errors.to_string())])
    };
    let _ = writeln!(out, "{result}");
    out
}
