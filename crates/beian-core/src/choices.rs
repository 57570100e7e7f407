//! The fixed choices of the filing form (service content, languages), loaded from
//! `data/form_choices.toml` with its source and date. Forms offer these; the rule engine does
//! not depend on them (it checks what individuals may choose from `words.toml`).

use std::sync::OnceLock;

use serde::Deserialize;

/// What the filing form lets the applicant pick from.
#[derive(Debug, Deserialize)]
pub struct FormChoices {
    pub source: String,
    pub date: String,
    /// 网站服务内容.
    pub service_content: Vec<String>,
    /// 网站语言.
    pub languages: Vec<String>,
}

/// The built-in choices.
pub fn form_choices() -> &'static FormChoices {
    static C: OnceLock<FormChoices> = OnceLock::new();
    C.get_or_init(|| {
        toml::from_str(include_str!("../data/form_choices.toml")).expect("data/form_choices.toml is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choices_cover_what_the_rules_and_the_examples_use() {
        let c = form_choices();
        assert!(!c.source.is_empty() && c.date.len() == 10);
        let words = &crate::policy::PolicySet::builtin().words;
        for item in &words.service_content.individual_allowed {
            assert!(c.service_content.contains(item), "an individual's choice `{item}` is offered");
        }
        assert!(c.service_content.iter().any(|i| i == "企业官网"));
        assert!(c.languages.iter().any(|l| l == "中文简体"));
    }
}
