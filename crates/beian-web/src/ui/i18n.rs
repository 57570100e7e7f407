//! The pages' message catalogues: `i18n/zh-CN.toml` (the default) and `i18n/en.toml`, flat
//! keys to strings, compiled into the binary. Templates never hold user-facing text of their
//! own; a test checks that both catalogues have the same keys and that every key a template
//! names exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use beian_core::message::Lang;

/// One language's messages.
#[derive(Debug)]
pub struct Msgs {
    map: HashMap<String, String>,
}

fn load(text: &str) -> Msgs {
    let map: HashMap<String, String> = toml::from_str(text).expect("the message catalogue is valid TOML");
    Msgs { map }
}

impl Msgs {
    /// The catalogue of `lang`.
    pub fn of(lang: Lang) -> &'static Msgs {
        static ZH: OnceLock<Msgs> = OnceLock::new();
        static EN: OnceLock<Msgs> = OnceLock::new();
        match lang {
            Lang::En => EN.get_or_init(|| load(include_str!("../../i18n/en.toml"))),
            _ => ZH.get_or_init(|| load(include_str!("../../i18n/zh-CN.toml"))),
        }
    }

    /// The message for `key`; the key itself when missing (a test keeps that from happening).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map_or(key, String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let zh: BTreeSet<&str> = Msgs::of(Lang::Zh).keys().collect();
        let en: BTreeSet<&str> = Msgs::of(Lang::En).keys().collect();
        assert_eq!(zh.difference(&en).collect::<Vec<_>>(), Vec::<&&str>::new(), "only in zh-CN");
        assert_eq!(en.difference(&zh).collect::<Vec<_>>(), Vec::<&&str>::new(), "only in en");
    }

    #[test]
    fn every_key_a_template_names_exists() {
        let zh = Msgs::of(Lang::Zh);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("t.get(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(zh.map.contains_key(key), "template key `{key}` is not in the catalogue");
                checked += 1;
            }
        }
        assert!(checked > 20, "the scan found the templates' keys ({checked})");
    }
}
