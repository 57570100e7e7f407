//! The pages' message catalogues: `i18n/zh-CN.toml` (the default) and `i18n/en.toml`, flat
//! keys to strings, compiled into the binary. Templates never hold user-facing text of their
//! own; a test checks that both catalogues have the same keys and that every key a template
//! names exists.

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
            Lang::En => EN.get_or_init(|| load(include_str!("../../i18n/en.toml"))),
            _ => ZH.get_or_init(|| load(include_str!("../../i18n/zh-CN.toml"))),
        }
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

    #[test]
    fn every_key_a_template_names_exists() {
        let zh = Msgs::of(Lang::Zh);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let (missing, found) = zh.missing_in(&text, "t.get(\"");
            assert_eq!(missing, Vec::<&str>::new(), "template keys not in the catalogue");
            checked += found;
        }
        assert!(checked > 20, "the scan found the templates' keys ({checked})");
    }
}
