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

/// `key` from the core's own catalogue ([`words`]) in `lang`, its `{arguments}` filled: how
/// the core's problems word themselves (`id.<code>`, `number.<code>`, `transition.<code>` …).
pub fn say(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    words(lang).fill(key, args)
}

/// A word of the core's catalogue that outlives the call (a label, a rule's argument); the
/// key itself when missing, which the catalogue tests keep from happening.
pub fn word(lang: Lang, key: &'static str) -> &'static str {
    words(lang).map.get(key).map_or(key, String::as_str)
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
    use super::{Catalogue, Lang, Problem};

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

    /// The codes `source` gives in its `fn code` arms (`Variant => "CODE"`).
    fn codes_in(source: &str) -> Vec<&str> {
        source
            .split("=> \"")
            .skip(1)
            .filter_map(|part| part.split_once('"').map(|(code, _)| code))
            .filter(|c| {
                c.len() > 3 && c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
            })
            .collect()
    }

    #[test]
    fn every_problem_the_core_gives_is_worded_in_both_languages() {
        // Every code a problem type names has its message, so a new variant cannot reach a
        // user as a bare key.
        let sources = [
            ("id.", include_str!("id/mod.rs")),
            ("number.", include_str!("number/mod.rs")),
            ("transition.", include_str!("workflow.rs")),
            ("transition.", include_str!("psb_workflow.rs")),
            ("calendar.", include_str!("calendar.rs")),
        ];
        let mut checked = 0;
        for lang in [Lang::Zh, Lang::En] {
            for (prefix, source) in sources {
                let code_fn = &source[source.find("fn code(&self)").expect("a code fn")..];
                let code_fn = &code_fn[..code_fn.find("\n    }\n").unwrap()];
                for code in codes_in(code_fn) {
                    assert!(super::words(lang).has(&format!("{prefix}{code}")), "{prefix}{code} ({lang:?})");
                    checked += 1;
                }
            }
            // The words the rules and the labels name.
            let rules = [
                include_str!("rules/apps.rs"),
                include_str!("rules/domains.rs"),
                include_str!("rules/order.rs"),
                include_str!("rules/persons.rs"),
                include_str!("rules/psb.rs"),
                include_str!("rules/services.rs"),
                include_str!("rules/subject.rs"),
                include_str!("model/kind.rs"),
                include_str!("model/mod.rs"),
            ];
            for source in rules {
                for prefix in ["arg.", "order_kind.", "nature."] {
                    for key in Catalogue::keys_named_in(source, prefix) {
                        assert!(super::words(lang).has(&key), "{key} ({lang:?})");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 150, "the scan saw the codes ({checked})");
    }

    #[test]
    fn problems_fill_their_arguments_in_both_languages() {
        use crate::id::{DomainName, Email, IdError, PublicIp};
        use crate::number::{NumberError, NumberKind};
        use crate::workflow::TransitionError;
        let problems: Vec<Box<dyn Problem>> = vec![
            Box::new(IdError::ResidentIdLength { len: 17 }),
            Box::new(IdError::ResidentIdChar { pos: 3 }),
            Box::new(IdError::OrgCodeChecksum { expected: 'X' }),
            Box::new(IdError::ResidentIdRegion { code: 11 }),
            Box::new(DomainName::parse("a..com").unwrap_err()),
            Box::new(Email::parse("no-at-sign").unwrap_err()),
            Box::new(PublicIp::parse("10.0.0.1").unwrap_err()),
            Box::new(NumberError::PrefixWrong { found: '京', expected: '沪', kind: NumberKind::Psb }),
            Box::new(NumberError::SerialLength { len: 5, expected: "6–10" }),
            Box::new(NumberError::PsbProvinceMismatch { prefix: '京', digits: "31".into() }),
            Box::new(TransitionError::NotReady {
                error_findings: 2,
                documents_complete: false,
                identity_verified: false,
            }),
            Box::new(TransitionError::NotIdleLongEnough { idle_days: 3, expiry_days: 30 }),
        ];
        for p in &problems {
            for lang in [Lang::Zh, Lang::En] {
                let m = p.message(lang);
                assert!(!m.contains('{') && !m.contains("id.reason") && !m.contains("number.what"), "{m}");
            }
        }
        let zh: Vec<String> = problems.iter().map(|p| p.message(Lang::Zh)).collect();
        assert_eq!(zh[0], "居民身份证号码应为18位，当前为17位。");
        assert_eq!(zh[3], "前6位地址码000011不在GB/T 2260行政区划代码表（含历史代码）中。");
        assert_eq!(zh[4], "域名格式不正确：有空的一级（两个点相连）。");
        assert_eq!(problems[5].message(Lang::En), "The e-mail address is malformed: missing @.");
        assert_eq!(
            problems[7].message(Lang::En),
            "`京` is not a public-security number prefix; that province uses `沪`."
        );
        assert_eq!(zh[10], "暂不能提交：还有2项校验错误，资料未上传齐全，未完成真实性核验。");
        assert_eq!(
            problems[10].message(Lang::En),
            "Cannot submit yet: 2 check error(s) remain, documents are incomplete, identity verification is not done."
        );
        assert_eq!(crate::model::OrderKind::FirstFiling.label(Lang::Zh), "首次备案");
        assert_eq!(crate::model::SubjectNature::SoleProprietor.label(Lang::En), "sole proprietor");
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
