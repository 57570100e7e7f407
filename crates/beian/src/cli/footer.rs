//! `beian footer`: the ready-to-paste footers for one filed site, the same the service shows
//! on a filed order.

use std::process::ExitCode;

use beian_app::i18n::Msgs;
use beian_core::footer::{Footer, SnippetFormat};
use beian_core::message::{Lang, Message};
use beian_core::number::{self, Number};
use clap::{Args, ValueEnum};

use super::{LangArg, UserError, today};

#[derive(Debug, Args)]
pub struct FooterArgs {
    /// The site's ICP filing number (`浙ICP备2026012345号-1`); Guangdong footers show its
    /// subject part.
    #[arg(long)]
    icp: String,
    /// The site's public-security number (`浙公网安备33010602009975号`).
    #[arg(long)]
    psb: Option<String>,
    /// The subject's exact name (the Jiangsu `版权所有` line uses it).
    #[arg(long, default_value = "")]
    unit: String,
    /// First year of the copyright line (default: this year).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1994..=9999))]
    year: Option<i32>,
    /// Where the site serves the PSB badge image.
    #[arg(long)]
    badge: Option<String>,
    /// Which form to print; all of them by default.
    #[arg(long, value_enum, default_value_t = FormatArg::All)]
    format: FormatArg,
    /// Print one JSON object (`{"html": …, "wordpress": …}`) instead of text.
    #[arg(long)]
    json: bool,
    /// Language of error messages.
    #[arg(long, value_enum, default_value_t = LangArg::Zh)]
    lang: LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    All,
    Html,
    Wordpress,
    HexoNext,
    Hugo,
    Vitepress,
}

impl FormatArg {
    fn formats(self) -> Vec<SnippetFormat> {
        match self {
            FormatArg::All => SnippetFormat::ALL.to_vec(),
            FormatArg::Html => vec![SnippetFormat::Html],
            FormatArg::Wordpress => vec![SnippetFormat::Wordpress],
            FormatArg::HexoNext => vec![SnippetFormat::HexoNext],
            FormatArg::Hugo => vec![SnippetFormat::Hugo],
            FormatArg::Vitepress => vec![SnippetFormat::Vitepress],
        }
    }
}

fn refuse(flag: &str, input: &str, why: String) -> UserError {
    UserError(format!("--{flag} `{input}`: {why}"))
}

fn parse(flag: &str, input: &str, lang: Lang) -> Result<Number, UserError> {
    number::parse(input).map(|p| p.number).map_err(|e| {
        let m = Message::of(&e, lang);
        refuse(flag, input, format!("{} ({})", m.message, m.code))
    })
}

pub fn run(a: FooterArgs) -> Result<ExitCode, UserError> {
    let lang = Lang::from(a.lang);
    let icp = match parse("icp", &a.icp, lang)? {
        Number::IcpFiling(n) => n,
        other => {
            let why = Msgs::of(lang).get("cli.footer.not_icp");
            return Err(refuse("icp", &other.to_string(), why.to_owned()));
        }
    };
    let psb = match a.psb.as_deref().map(|p| parse("psb", p, lang)).transpose()? {
        None => None,
        Some(Number::Psb(n)) => Some(n),
        Some(other) => {
            let why = Msgs::of(lang).get("cli.footer.not_psb");
            return Err(refuse("psb", &other.to_string(), why.to_owned()));
        }
    };
    let mut footer = Footer::new(icp, psb, a.unit.trim(), a.year.unwrap_or_else(|| today(None).year()));
    if let Some(b) = a.badge {
        footer.badge_src = b;
    }
    if footer.copyright_line().is_some() && footer.unit_name.is_empty() {
        let why = Msgs::of(lang).get("cli.footer.unit_required");
        return Err(refuse("unit", "", why.to_owned()));
    }
    let formats = a.format.formats();
    let out = if a.json {
        let map: serde_json::Map<String, serde_json::Value> = formats
            .iter()
            .map(|f| {
                (
                    serde_json::to_value(f).expect("enum").as_str().expect("string").to_owned(),
                    footer.snippet(*f).into(),
                )
            })
            .collect();
        format!("{}\n", serde_json::Value::Object(map))
    } else if formats.len() == 1 {
        footer.snippet(formats[0])
    } else {
        formats
            .iter()
            .map(|f| {
                format!(
                    "===== {} =====\n{}",
                    serde_json::to_value(f).expect("enum").as_str().expect("string"),
                    footer.snippet(*f)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use beian_core::message::{Catalogue, Lang};

    use super::Msgs;

    /// Every `cli.…` text the commands name is in the catalogues.
    #[test]
    fn every_text_the_commands_name_exists() {
        let mut found = 0;
        for source in [include_str!("check.rs"), include_str!("footer.rs")] {
            for key in Catalogue::keys_named_in(source, "cli.") {
                assert!(Msgs::of(Lang::Zh).has(&key) && Msgs::of(Lang::En).has(&key), "{key}");
                found += 1;
            }
        }
        assert!(found >= 12, "the scan saw the keys ({found})");
    }
}
