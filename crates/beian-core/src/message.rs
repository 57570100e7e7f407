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

#[cfg(test)]
mod tests {
    use super::Lang;

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
