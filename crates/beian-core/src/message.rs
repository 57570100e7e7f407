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
