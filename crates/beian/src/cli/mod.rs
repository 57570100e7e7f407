//! Command definitions and dispatch.

mod check;
mod config;
mod footer;
mod id;
mod number;
mod regulator;
pub mod scan;
mod seed;
mod serve;

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use beian_core::message::Lang;
use clap::{Parser, Subcommand, ValueEnum};
use time::{Date, OffsetDateTime, UtcOffset};

/// beian — China website and app filing (ICP备案 / 公安联网备案) tools.
#[derive(Debug, Parser)]
#[command(name = "beian", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Identifiers: resident IDs, unified social credit codes, organization codes.
    #[command(subcommand)]
    Id(IdCommand),
    /// ICP filing, ICP licence and public-security numbers.
    #[command(subcommand)]
    Number(NumberCommand),
    /// Run the rule engine on an order (JSON) and report findings.
    Check(check::CheckArgs),
    /// Check live sites' footers: numbers, links, provincial lines (also `beian-scan`).
    Scan(scan::ScanArgs),
    /// Ready-to-paste footers (HTML, WordPress, Hexo/NexT, Hugo, VitePress) for a filed site.
    Footer(footer::FooterArgs),
    /// Run the provider service: JSON API and job workers.
    Serve(serve::ServiceArgs),
    /// Apply database migrations.
    Migrate(serve::ServiceArgs),
    /// Run the service with demo accounts and data on an embedded default (SQLite).
    Demo(serve::DemoArgs),
    /// The simulated regulator (MIIT, provincial bureaus, PSB platform) as its own service.
    #[command(subcommand)]
    Regulator(regulator::RegulatorCommand),
    /// Accounts of the service: staff are made here (or by an admin on the admin page).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Configuration tools.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Fill a database with bulk data for the load benchmark (not for production).
    #[command(hide = true)]
    BenchSeed(seed::SeedArgs),
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Create an account — a reviewer, an admin or an applicant — on the service's database;
    /// the password is read from --password-env's variable or stdin, never a flag.
    Add(serve::AccountAddArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Show the effective configuration (secrets hidden) and what is wrong with it.
    Check(serve::ServiceArgs),
}

#[derive(Debug, Subcommand)]
enum IdCommand {
    /// Check certificate numbers given as arguments, or one per line on stdin; prints one
    /// JSON object per input.
    Check(id::IdCheckArgs),
}

#[derive(Debug, Subcommand)]
enum NumberCommand {
    /// Parse numbers given as arguments, or one per line on stdin; prints one JSON object
    /// per input.
    Parse(number::ParseArgs),
    /// Find every number in text or HTML read from stdin; prints one JSON object per number.
    Extract(number::ExtractArgs),
}

/// Output language for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

/// A command failure that is the user's to fix (bad file, bad JSON): one line, exit 2.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

pub fn run(cli: Cli) -> Result<ExitCode, UserError> {
    let result = match cli.command {
        Command::Id(IdCommand::Check(a)) => id::run(a),
        Command::Number(NumberCommand::Parse(a)) => number::parse(a),
        Command::Number(NumberCommand::Extract(a)) => number::extract(a),
        Command::Check(a) => check::run(a),
        Command::Footer(a) => footer::run(a),
        Command::Scan(a) => scan::run(a),
        Command::Serve(a) => serve::serve(a),
        Command::Migrate(a) => serve::migrate(a),
        Command::Demo(a) => serve::demo(a),
        Command::Regulator(c) => regulator::run(c),
        Command::Account(AccountCommand::Add(a)) => serve::account_add(a),
        Command::Config(ConfigCommand::Check(a)) => serve::config_check(a),
        Command::BenchSeed(a) => seed::run(a),
    };
    match result {
        // A closed pipe (`beian … | head`) is not an error worth reporting.
        Err(e) if e.0.contains("Broken pipe") => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

/// Creates `dir` if missing and makes it its owner's alone (0700): a data folder holds the
/// keys, the database and the documents.
pub(crate) fn private_dir(dir: &std::path::Path) -> Result<(), UserError> {
    let fail = |e: std::io::Error| UserError(format!("cannot create {}: {e}", dir.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(fail)?;
        let mode = std::fs::metadata(dir).map_err(fail)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
                UserError(format!("{} is readable by others and cannot be made private: {e}", dir.display()))
            })?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(fail)?;
    Ok(())
}

/// Makes a SQLite database file (and its WAL and shared-memory files, when present) its
/// owner's alone (0600); a `postgres://` URL is left alone.
pub(crate) fn private_database(url: &str) -> Result<(), UserError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(());
    }
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let file = format!("{path}{suffix}");
        if std::path::Path::new(&file).exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| UserError(format!("cannot make {file} private: {e}")))?;
        }
    }
    Ok(())
}

/// A secret (a password, a certificate number) from the environment variable `var`, else
/// the first line of stdin: never a flag, which every user of the machine can read.
pub(crate) fn secret_input(var: &str) -> Result<String, UserError> {
    match std::env::var(var) {
        Ok(v) => Ok(v),
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| UserError(e.to_string()))?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}

/// A secret of `n` letters and digits (a password, or an AES key or IV as a bureau issues
/// them), drawn without bias: bytes past the last whole multiple of 62 are thrown away.
pub(crate) fn alnum_secret(n: usize) -> Result<String, UserError> {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(n);
    let mut raw = [0u8; 64];
    while out.len() < n {
        beian_crypto::random_bytes(&mut raw).map_err(|e| UserError(e.to_string()))?;
        for b in raw.iter().filter(|b| **b < 248) {
            if out.len() < n {
                out.push(ALPHABET[usize::from(*b) % 62] as char);
            }
        }
    }
    Ok(out)
}

/// Today's date in China (UTC+8), or the date given with `--today`.
pub fn today(given: Option<Date>) -> Date {
    given.unwrap_or_else(|| {
        let cst = UtcOffset::from_hms(8, 0, 0).expect("valid offset");
        OffsetDateTime::now_utc().to_offset(cst).date()
    })
}

/// Parses `YYYY-MM-DD` for `--today`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, format).map_err(|_| format!("`{s}` is not a date like 2026-11-28"))
}

/// Feeds each input to `each`: the arguments if any, else stdin line by line (invalid UTF-8
/// is replaced, never fatal). Output goes through one buffered, locked stdout.
pub fn for_each_input(
    args: &[String],
    mut each: impl FnMut(&str, &mut dyn Write) -> io::Result<()>,
) -> Result<(), UserError> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let io_err = |e: io::Error| UserError(format!("cannot write output: {e}"));
    if !args.is_empty() {
        for a in args {
            each(a, &mut out).map_err(io_err)?;
        }
    } else {
        let stdin = io::stdin();
        let mut input = io::BufReader::with_capacity(1 << 16, stdin.lock());
        let mut line = Vec::with_capacity(64);
        loop {
            line.clear();
            let n = input
                .read_until(b'\n', &mut line)
                .map_err(|e| UserError(format!("cannot read stdin: {e}")))?;
            if n == 0 {
                break;
            }
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            let text = String::from_utf8_lossy(&line);
            each(&text, &mut out).map_err(io_err)?;
        }
    }
    out.flush().map_err(io_err)
}
