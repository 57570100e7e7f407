//! The message catalogues of everything the provider says to people — the pages, the use cases'
//! errors, and the texts the application writes itself (webhook and robot messages):
//! `i18n/zh-CN.toml` (the default) and `i18n/en.toml`, flat keys to strings, compiled into the
//! binary. One home per language, so a state or a kind reads the same on a page and in a chat
//! robot, and a use case never writes a sentence: it names a [`Text`] (a key and its
//! arguments), which is worded when it is shown. The rules' and identifiers' own messages stay
//! in the core's catalogue (`beian-core/data/rules.toml`), reached through [`Text::of`].

use std::fmt::Display;
use std::sync::OnceLock;

use beian_core::message::{Catalogue, Lang, Problem};

/// One language's messages.
#[derive(Debug)]
pub struct Msgs;

impl Msgs {
    /// The catalogue of `lang`.
    pub fn of(lang: Lang) -> &'static Catalogue {
        static ZH: OnceLock<Catalogue> = OnceLock::new();
        static EN: OnceLock<Catalogue> = OnceLock::new();
        let load = |text| Catalogue::parse(text).expect("the message catalogue is valid TOML");
        match lang {
            Lang::En => EN.get_or_init(|| load(include_str!("../i18n/en.toml"))),
            _ => ZH.get_or_init(|| load(include_str!("../i18n/zh-CN.toml"))),
        }
    }

    /// The text under `key` in `lang`, each `{name}` filled with its argument.
    pub fn fill(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        Msgs::of(lang).fill(key, args)
    }

    /// `key` in both languages as one text (`中文 / English`), for what is stored once and read
    /// by anyone (an audit note, a block list entry's reason).
    pub fn bilingual(key: &str, args: &[(&str, String)]) -> String {
        format!("{} / {}", Msgs::fill(Lang::Zh, key, args), Msgs::fill(Lang::En, key, args))
    }

    /// `key` in both languages, Chinese first.
    pub fn both(key: &str) -> (String, String) {
        (Msgs::of(Lang::Zh).get(key).to_owned(), Msgs::of(Lang::En).get(key).to_owned())
    }
}

/// A user-facing text not yet in a language: a catalogue key with its arguments (`{name}` in
/// the catalogue's text), or a message the core worded (a rule's, a refused transition's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Key { key: &'static str, args: Vec<(&'static str, String)> },
    Worded { zh: String, en: String },
}

impl Text {
    /// The catalogue's text under `key` (a test checks that every key named so exists).
    pub fn new(key: &'static str) -> Text {
        Text(Repr::Key { key, args: Vec::new() })
    }

    /// Fills `{name}` with `value`.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Display) -> Text {
        if let Repr::Key { args, .. } = &mut self.0 {
            args.push((name, value.to_string()));
        }
        self
    }

    /// A core problem's message, worded by the core's catalogue.
    pub fn of(p: &dyn Problem) -> Text {
        Text(Repr::Worded { zh: p.message(Lang::Zh), en: p.message(Lang::En) })
    }

    /// A message worded elsewhere already: a rule's finding (the core's catalogue), or a
    /// parser's own words about a malformed request. Never for a sentence written here.
    pub fn worded(zh: &str, en: &str) -> Text {
        Text(Repr::Worded { zh: zh.to_owned(), en: en.to_owned() })
    }

    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match &self.0 {
            Repr::Worded { zh, en } => lang.pick(zh, en).to_owned(),
            Repr::Key { key, args } => Msgs::fill(lang, key, args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_worded_in_the_language_asked_with_its_arguments() {
        let t = Text::new("problem.service_number_exhausted").arg("code", "FW-1");
        assert_eq!(t.render(Lang::Zh), "备案服务号FW-1不存在或额度不足。");
        assert_eq!(t.render(Lang::En), "Service number FW-1 does not exist or has too few uses left.");
    }

    /// Every problem text the code names (a `problem.…` literal, in `Text::new` or in a table
    /// of keys) is in the catalogue, and its two languages take the same arguments.
    #[test]
    fn every_text_named_in_code_exists_with_the_same_arguments_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = 0;
        for krate in ["beian-app", "beian-web"] {
            let mut stack = vec![root.join(krate).join("src")];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).unwrap();
                    for key in Catalogue::keys_named_in(&text, "problem.") {
                        assert!(
                            Msgs::of(Lang::Zh).has(&key),
                            "{key} ({}) is not in the catalogue",
                            path.display()
                        );
                        found += 1;
                    }
                }
            }
        }
        assert!(found > 50, "the scan saw the keys ({found})");
        let mismatched = Msgs::of(Lang::Zh).argument_mismatches(Msgs::of(Lang::En), "problem.");
        assert_eq!(mismatched, Vec::<String>::new(), "the same arguments in both languages");
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let (only_zh, only_en) = Msgs::of(Lang::Zh).differences(Msgs::of(Lang::En));
        assert_eq!(only_zh, Vec::<&str>::new(), "only in zh-CN");
        assert_eq!(only_en, Vec::<&str>::new(), "only in en");
    }

    /// Every order kind and state, and every PSB state, has its words: the webhooks and robots
    /// name them from here.
    #[test]
    fn every_kind_and_state_has_words() {
        let names = beian_core::model::OrderKind::ALL
            .iter()
            .map(|k| format!("kind.{}", k.key()))
            .chain(
                [
                    "draft",
                    "submitted",
                    "in_review",
                    "awaiting_mail",
                    "returned",
                    "queued_for_regulator",
                    "sms_pending",
                    "bureau_review",
                    "filed",
                    "withdrawn",
                ]
                .map(|s| format!("state.{s}")),
            )
            .chain(
                beian_core::psb_workflow::PsbState::ALL.iter().map(|s| format!("psb.state.{}", s.as_str())),
            );
        for key in names {
            for lang in [Lang::Zh, Lang::En] {
                assert!(Msgs::of(lang).has(&key), "{key} in {lang:?}");
            }
        }
    }
}
