//! The message catalogues of everything the provider says to people — the pages, and the texts
//! the application writes itself (webhook and robot messages): `i18n/zh-CN.toml` (the default)
//! and `i18n/en.toml`, flat keys to strings, compiled into the binary. One home per language,
//! so a state or a kind reads the same on a page and in a chat robot; inline `zh`/`en` pairs
//! still in the code move here as they are touched (issue 18).

use std::sync::OnceLock;

use beian_core::message::{Catalogue, Lang};

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

    /// `key` in both languages, Chinese first.
    pub fn both(key: &str) -> (String, String) {
        (Msgs::of(Lang::Zh).get(key).to_owned(), Msgs::of(Lang::En).get(key).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
