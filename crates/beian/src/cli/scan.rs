//! `beian scan` (also installed as `beian-scan`): check live sites' footers.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use beian_core::message::Lang;
use beian_core::number::{self, Number};
use beian_scan::fetch::parse_target;
use beian_scan::{Expected, FetchOptions, Limits, Scanner, SiteReport, Verdict};
use clap::{Args, ValueEnum};
use serde::Deserialize;

use super::{LangArg, UserError};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Sites to scan (`https://example.com`, or a bare host read as http).
    urls: Vec<String>,
    /// Read sites from this file, one per line (`#` comments; `-` for stdin).
    #[arg(long)]
    file: Option<String>,
    /// What each site should show: JSON lines `{"url": …, "icp": …, "psb": …, "unit": …}`,
    /// matched to the scanned sites by host. Without URLs or --file, its sites are scanned.
    #[arg(long)]
    expect: Option<String>,
    /// Scan every website filed through the provider's service, each expected to show its
    /// numbers as the database has them. The database is the service's (`--config`,
    /// `--data-dir`, `--database-url`, `BEIAN_…`); nothing is written to it.
    #[arg(long)]
    database: bool,
    /// The service's settings file (with --database).
    #[arg(long, requires = "database")]
    config: Option<PathBuf>,
    /// The service's data directory (with --database).
    #[arg(long, requires = "database")]
    data_dir: Option<PathBuf>,
    /// The service's PostgreSQL database (with --database).
    #[arg(long, requires = "database")]
    database_url: Option<String>,
    /// Output: one JSON object per site, or a table.
    #[arg(long, value_enum, default_value_t = OutputArg::Jsonl)]
    output: OutputArg,
    /// Sites fetched at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Sites of one host fetched at once.
    #[arg(long, default_value_t = 2)]
    per_host: usize,
    /// Threads that fetch and read pages (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds allowed for one site, redirects and body included.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
    /// Bytes of a home page read at most.
    #[arg(long, default_value_t = 4 << 20)]
    max_body: usize,
    /// Redirects followed at most.
    #[arg(long, default_value_t = 5)]
    max_redirects: usize,
    /// Also connect to loopback and private addresses: a staging site on the intranet, a
    /// local test server. Site addresses come from applicants, so use it only on a list you
    /// wrote yourself.
    #[arg(long)]
    allow_private: bool,
    /// Connect every host to this address instead of resolving it (local benchmarks).
    #[arg(long, hide = true)]
    connect_to: Option<SocketAddr>,
    /// Print nothing per site, only a summary line on stderr (benchmarks).
    #[arg(long, hide = true)]
    quiet: bool,
    /// Language of messages.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputArg {
    Jsonl,
    Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectLine {
    url: String,
    #[serde(default)]
    icp: Option<String>,
    #[serde(default)]
    psb: Option<String>,
    #[serde(default)]
    unit: Option<String>,
}

fn read_lines(path: &str) -> Result<Vec<String>, UserError> {
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        let f = std::fs::File::open(path).map_err(|e| UserError(format!("cannot read {path}: {e}")))?;
        Box::new(io::BufReader::new(f))
    };
    let mut out = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| UserError(format!("cannot read {path}: {e}")))?;
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

fn host_of(url: &str) -> Option<String> {
    parse_target(url).ok()?.host_str().map(str::to_owned)
}

/// Parses the expectation file into (url, expectation) per host.
fn read_expectations(path: &str) -> Result<Vec<(String, String, Expected)>, UserError> {
    let mut out = Vec::new();
    for (i, line) in read_lines(path)?.iter().enumerate() {
        let at = |what: String| UserError(format!("{path}:{}: {what}", i + 1));
        let e: ExpectLine =
            serde_json::from_str(line).map_err(|e| at(format!("not an expectation line: {e}")))?;
        let host = host_of(&e.url).ok_or_else(|| at(format!("url `{}` is not an http(s) URL", e.url)))?;
        let icp = match e.icp.as_deref().map(number::parse).transpose() {
            Ok(None) => None,
            Ok(Some(p)) => match p.number {
                Number::IcpFiling(n) => Some(n),
                other => return Err(at(format!("icp `{other}` is not an ICP filing number"))),
            },
            Err(err) => return Err(at(format!("icp: {err}"))),
        };
        let psb = match e.psb.as_deref().map(number::parse).transpose() {
            Ok(None) => None,
            Ok(Some(p)) => match p.number {
                Number::Psb(n) => Some(n),
                other => return Err(at(format!("psb `{other}` is not a PSB number"))),
            },
            Err(err) => return Err(at(format!("psb: {err}"))),
        };
        let unit = e.unit.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        out.push((e.url, host, Expected { icp, psb, unit_name: unit }));
    }
    Ok(out)
}

pub fn run(a: ScanArgs) -> Result<ExitCode, UserError> {
    let lang = Lang::from(a.lang);
    let mut expectations = a.expect.as_deref().map(read_expectations).transpose()?.unwrap_or_default();
    if a.database {
        let service = super::serve::ServiceArgs::for_database(
            a.config.clone(),
            a.data_dir.clone(),
            a.database_url.clone(),
        );
        for (url, e) in super::serve::scan_targets(service)? {
            let host = host_of(&url).ok_or_else(|| UserError(format!("filed site `{url}` is not a URL")))?;
            expectations.push((url, host, e));
        }
        if expectations.is_empty() {
            eprintln!("beian scan: no websites are filed in this database");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let mut urls = a.urls.clone();
    if let Some(f) = &a.file {
        urls.extend(read_lines(f)?);
    }
    if urls.is_empty() {
        urls = expectations.iter().map(|(u, _, _)| u.clone()).collect();
    }
    if urls.is_empty() {
        return Err(UserError("no sites to scan: give URLs, --file, --expect or --database".into()));
    }
    let by_host: HashMap<&str, &Expected> = expectations.iter().map(|(_, h, e)| (h.as_str(), e)).collect();
    let sites: Vec<(String, Expected)> = urls
        .into_iter()
        .map(|u| {
            let e =
                host_of(&u).and_then(|h| by_host.get(h.as_str()).map(|e| (*e).clone())).unwrap_or_default();
            (u, e)
        })
        .collect();
    if a.timeout == 0 || a.max_body == 0 || a.concurrency == 0 || a.per_host == 0 || a.threads == Some(0) {
        return Err(UserError(
            "--timeout, --max-body, --concurrency, --per-host and --threads must be positive".into(),
        ));
    }
    let fetch = FetchOptions {
        timeout: Duration::from_secs(a.timeout),
        max_body: a.max_body,
        max_redirects: a.max_redirects,
        allow_private: a.allow_private,
        connect_to: a.connect_to,
        ..FetchOptions::default()
    };
    let limits = Limits { concurrency: a.concurrency, per_host: a.per_host };
    let scanner = Scanner::new(fetch, limits, lang).map_err(|e| UserError(e.to_string()))?;
    let total = sites.len();
    let started = std::time::Instant::now();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    let mut write_err: Option<io::Error> = None;
    if a.output == OutputArg::Table && !a.quiet {
        let _ = writeln!(
            out,
            "{:<16} {:>6}  {:<40} {:<28} {:<28} findings",
            "verdict", "status", "url", "icp", "psb"
        );
    }
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let scanned = scanner.scan_on_threads(sites, threads, |r: SiteReport| {
        if !matches!(r.verdict, Verdict::Compliant | Verdict::NotInStaticHtml | Verdict::Incomplete) {
            failed += 1;
        }
        *counts.entry(r.verdict.as_str()).or_default() += 1;
        if a.quiet || write_err.is_some() {
            return;
        }
        let res = match a.output {
            OutputArg::Jsonl => serde_json::to_writer(&mut out, &r)
                .map_err(io::Error::other)
                .and_then(|_| out.write_all(b"\n")),
            OutputArg::Table => writeln!(out, "{}", table_row(&r)),
        };
        if let Err(e) = res {
            write_err = Some(e);
        }
    });
    scanned.map_err(|e| UserError(format!("cannot run the scan: {e}")))?;
    if let Some(e) = write_err {
        return Err(UserError(format!("cannot write output: {e}")));
    }
    out.flush().map_err(|e| UserError(format!("cannot write output: {e}")))?;
    let secs = started.elapsed().as_secs_f64();
    let mut summary: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    summary.sort();
    eprintln!(
        "scanned {total} sites in {secs:.2} s ({:.0} pages/s): {}",
        total as f64 / secs.max(1e-9),
        summary.join(", ")
    );
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn table_row(r: &SiteReport) -> String {
    let find = |kind: beian_core::number::NumberKind| {
        r.numbers
            .iter()
            .find(|n| n.kind == Some(kind))
            .and_then(|n| n.number.clone())
            .unwrap_or_else(|| "-".into())
    };
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    format!(
        "{:<16} {:>6}  {:<40} {:<28} {:<28} {}",
        r.verdict.as_str(),
        r.status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
        r.url,
        find(beian_core::number::NumberKind::IcpFiling),
        find(beian_core::number::NumberKind::Psb),
        codes.join(",")
    )
}
