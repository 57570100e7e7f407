//! Bilingual, code-addressed messages.
//!
//! Every error and finding a user can see has a stable machine code (`RESIDENT_ID_CHECKSUM`)
//! and a message in Simplified Chinese and English. The code is the contract: clients
//! switch on it, translators and tests key on it. Messages may be reworded; codes may not.

use serde::Serialize;

/// The two languages beian speaks. Chinese comes first: it is what applicants read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN", alias = "zh")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// The language of an `Accept-Language` header value: English when the first preference
    /// is `en…`, otherwise Chinese (also when the header is missing).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let first = header.unwrap_or("").trim_start();
        if first.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("en")) { Lang::En } else { Lang::Zh }
    }

    /// Picks the string for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A problem a user can see: stable code plus a message in each language.
pub trait Problem: std::fmt::Debug {
    /// Stable, upper-snake-case machine code.
    fn code(&self) -> &'static str;
    /// The message in the given language.
    fn message(&self, lang: Lang) -> String;
}

/// A serializable snapshot of a [`Problem`], as the CLI and API print it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Message {
    pub code: String,
    pub message: String,
}

impl Message {
    pub fn of(problem: &dyn Problem, lang: Lang) -> Self {
        Message { code: problem.code().to_owned(), message: problem.message(lang) }
    }
}

/// The core libraries' own words in `lang` — the footer scanner's findings (`scan.<code>`) —
/// from `i18n/{zh-CN,en}.toml`, compiled in. The provider's and the regulator's products keep
/// catalogues of their own; these are the words a library says wherever it is used.
pub fn words(lang: Lang) -> &'static Catalogue {
    static ZH: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    static EN: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    let load = |text| Catalogue::parse(text).expect("the core's message catalogue is valid TOML");
    match lang {
        Lang::En => EN.get_or_init(|| load(include_str!("../i18n/en.toml"))),
        _ => ZH.get_or_init(|| load(include_str!("../i18n/zh-CN.toml"))),
    }
}

/// One language's page messages: flat keys to strings, read from a TOML catalogue compiled
/// into the binary. Each service with pages keeps its own catalogues; tests in those crates
/// check that every key a page names exists and that both languages have the same keys.
#[derive(Debug)]
pub struct Catalogue {
    map: std::collections::HashMap<String, String>,
}

impl Catalogue {
    /// Parses a catalogue; the text is compiled in, so an error is a build defect.
    pub fn parse(text: &str) -> Result<Catalogue, toml::de::Error> {
        Ok(Catalogue { map: toml::from_str(text)? })
    }

    /// The message for `key`; the key itself when missing (the tests keep that from happening).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map_or(key, String::as_str)
    }

    /// The message for `key` with each `{name}` filled from `args`, in one pass: a value is
    /// never read again, so a name or a domain that itself holds `{…}` stays as typed. A
    /// `{name}` without an argument stays as written.
    pub fn fill(&self, key: &str, args: &[(&str, String)]) -> String {
        let template = self.get(key);
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').and_then(|close| {
                let name = &after[..close];
                args.iter().find(|(n, _)| *n == name).map(|(_, v)| (v, close))
            }) {
                Some((value, close)) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Whether `key` has a message.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The keys in one catalogue and not the other, each way: both empty when they match.
    pub fn differences<'a>(&'a self, other: &'a Catalogue) -> (Vec<&'a str>, Vec<&'a str>) {
        let only = |a: &'a Catalogue, b: &Catalogue| {
            let mut v: Vec<&str> = a.keys().filter(|k| !b.has(k)).collect();
            v.sort_unstable();
            v
        };
        (only(self, other), only(other, self))
    }

    /// The keys under `prefix` (`problem.`) that `source` names as string literals. A key is
    /// lower-case words, digits, dots and underscores, so a literal that only builds one
    /// (`"problem.{}"`) is not taken for one.
    pub fn keys_named_in(source: &str, prefix: &str) -> Vec<String> {
        let is_key = |k: &str| {
            !k.is_empty()
                && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._".contains(&b))
        };
        source
            .split(&format!("\"{prefix}"))
            .skip(1)
            .filter_map(|part| part.find('"').map(|end| &part[..end]).filter(|k| is_key(k)))
            .map(|k| format!("{prefix}{k}"))
            .collect()
    }

    /// The keys under `prefix` whose `{arguments}` differ from those in `other`.
    pub fn argument_mismatches(&self, other: &Catalogue, prefix: &str) -> Vec<String> {
        fn args(s: &str) -> Vec<&str> {
            let mut v: Vec<&str> =
                s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n)).collect();
            v.sort_unstable();
            v
        }
        let mut out: Vec<String> = self
            .keys()
            .filter(|k| k.starts_with(prefix) && args(self.get(k)) != args(other.get(k)))
            .map(str::to_owned)
            .collect();
        out.sort();
        out
    }

    /// The keys `source` names as `<call>"key"` (for example `t.get("`) that have no message;
    /// the count of keys found is returned too so a test can tell that the scan saw them.
    pub fn missing_in<'a>(&self, source: &'a str, call: &str) -> (Vec<&'a str>, usize) {
        let mut missing = Vec::new();
        let mut found = 0;
        for part in source.split(call).skip(1) {
            let Some(end) = part.find('"') else { continue };
            found += 1;
            if !self.has(&part[..end]) {
                missing.push(&part[..end]);
            }
        }
        (missing, found)
    }
}

#[cfg(test)]
mod tests {
    use super::{Catalogue, Lang};

    #[test]
    fn catalogues_report_keys_missing_either_way() {
        let a = Catalogue::parse("x = \"1\"\ny = \"2\"").unwrap();
        let b = Catalogue::parse("y = \"2\"\nz = \"3\"").unwrap();
        assert_eq!(a.differences(&b), (vec!["x"], vec!["z"]));
        assert_eq!(a.get("x"), "1");
        assert_eq!(a.get("nope"), "nope");
        let (missing, found) = a.missing_in("t.get(\"x\") t.get(\"q\")", "t.get(\"");
        assert_eq!((missing, found), (vec!["q"], 2));
        let named = Catalogue::keys_named_in("Text::new(\"p.a_1\") x(\"p.b\") format!(\"p.{}\")", "p.");
        assert_eq!(named, vec!["p.a_1", "p.b"]);
        let zh = Catalogue::parse("\"p.a\" = \"{n}个\"\n\"p.b\" = \"{x}\"").unwrap();
        let en = Catalogue::parse("\"p.a\" = \"{n} of them\"\n\"p.b\" = \"{y}\"").unwrap();
        assert_eq!(zh.argument_mismatches(&en, "p."), vec!["p.b"]);
        // One pass: what an argument brings in is not filled again.
        let t = Catalogue::parse("\"m\" = \"网站“{site}”将于{due}到期 {other}\"").unwrap();
        let args = [("site", "我的{due}站".to_owned()), ("due", "2027-01-05".to_owned())];
        assert_eq!(t.fill("m", &args), "网站“我的{due}站”将于2027-01-05到期 {other}");
        assert!(Catalogue::parse("x = 1").is_err(), "values are strings");
    }

    #[test]
    fn the_core_catalogues_have_the_same_keys_and_arguments() {
        let (zh, en) = (super::words(Lang::Zh), super::words(Lang::En));
        assert_eq!(zh.differences(en), (Vec::<&str>::new(), Vec::<&str>::new()));
        assert_eq!(zh.argument_mismatches(en, ""), Vec::<String>::new());
        assert_eq!(en.get("scan.detail_separator"), ": ");
    }

    #[test]
    fn accept_language_picks_english_only_when_preferred_first() {
        for (header, want) in [
            (None, Lang::Zh),
            (Some(""), Lang::Zh),
            (Some("e"), Lang::Zh),
            (Some("zh-CN,en;q=0.8"), Lang::Zh),
            (Some("中文"), Lang::Zh),
            (Some(" en-US,en;q=0.9"), Lang::En),
            (Some("EN"), Lang::En),
        ] {
            assert_eq!(Lang::from_accept_language(header), want, "{header:?}");
        }
    }
}
