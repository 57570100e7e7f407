//! The pages read the provider's message catalogues (`beian_app::i18n`, shared with the texts
//! the application writes itself). Templates never hold user-facing text of their own; a test
//! checks that every key a template names exists.

pub use beian_app::i18n::Msgs;

#[cfg(test)]
mod tests {
    use super::*;
    use beian_core::message::Lang;

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
