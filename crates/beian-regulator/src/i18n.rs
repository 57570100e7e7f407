//! The regulator's message catalogues — its pages and its API's problems: `i18n/zh-CN.toml`
//! (the default) and `i18n/en.toml`, flat keys to strings, compiled into the binary. The
//! simulator speaks for the bureau and shares no texts with the provider (only `beian-core`).

use std::sync::OnceLock;

use beian_core::message::{Catalogue, Lang};

/// The catalogue of `lang`.
pub(crate) fn msgs(lang: Lang) -> &'static Catalogue {
    static ZH: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    let load = |text| Catalogue::parse(text).expect("the regulator's message catalogue is valid TOML");
    match lang {
        Lang::En => EN.get_or_init(|| load(include_str!("../i18n/en.toml"))),
        Lang::Zh => ZH.get_or_init(|| load(include_str!("../i18n/zh-CN.toml"))),
    }
}

/// The text under `key` in `lang`, each `{name}` filled with its argument.
pub(crate) fn fill(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    msgs(lang).fill(key, args)
}

/// `key` in both languages as one text (`中文 / English`), for what is stored once and read by
/// either side (an automatic check's reason).
pub(crate) fn bilingual(key: &str, args: &[(&str, String)]) -> String {
    format!("{} / {}", fill(Lang::Zh, key, args), fill(Lang::En, key, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem and check text the code names is in the catalogue, with the same
    /// `{arguments}` in both languages.
    #[test]
    fn every_text_the_code_names_exists_with_the_same_arguments() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        let mut found = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for prefix in ["problem.", "check."] {
                    for key in Catalogue::keys_named_in(&text, prefix) {
                        assert!(
                            msgs(Lang::Zh).has(&key),
                            "{key} ({}) is not in the catalogue",
                            path.display()
                        );
                        found += 1;
                    }
                }
            }
        }
        assert!(found > 25, "the scan saw the keys ({found})");
        for prefix in ["problem.", "check."] {
            assert_eq!(msgs(Lang::Zh).argument_mismatches(msgs(Lang::En), prefix), Vec::<String>::new());
        }
    }
}
