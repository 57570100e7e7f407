//! Field paths in words: the order's JSON paths (`websites[0].head.mobile`) that findings,
//! reviewer reasons and changes name, labelled the way the form steps label their fields
//! (`网站 1 负责人 · 手机号码`). People never read a path; the form schema is the one place
//! that knows what each field is called.

use super::*;

/// Every field of an order's form steps, by path, with its label.
pub(in crate::ui) struct FieldLabels {
    /// (path, "group · field", group legend), in form order.
    fields: Vec<(String, String, String)>,
    lang: Lang,
}

impl FieldLabels {
    /// The labels of `order`'s fields (its sites and apps numbered as the steps show them).
    pub(in crate::ui) fn of(order: &Value, lang: Lang) -> FieldLabels {
        let mut fields = Vec::new();
        for g in FORM_STEPS.iter().flat_map(|st| build_groups(st, order, &[], &[], lang)) {
            for f in g.fields {
                fields.push((f.name, format!("{} · {}", g.legend, f.label), g.legend.clone()));
            }
        }
        FieldLabels { fields, lang }
    }

    /// The words for `path`: its field, the nearest field above it (`websites[0].domains[1]` is
    /// the site's domains), the group it heads (`websites[0]` is 网站 1), else what it is.
    pub(in crate::ui) fn get(&self, path: &str) -> String {
        let below = |name: &str, p: &str| {
            p.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
        };
        if let Some((_, text, _)) =
            self.fields.iter().filter(|(n, _, _)| below(n, path)).max_by_key(|(n, _, _)| n.len())
        {
            return text.clone();
        }
        if let Some((_, _, legend)) = self.fields.iter().find(|(n, _, _)| below(path, n)) {
            return legend.clone();
        }
        let t = Msgs::of(self.lang);
        let key = match path.split(['.', '[']).next().unwrap_or_default() {
            "kind" => "wz.field.kind".to_owned(),
            "target_numbers" => "wz.field.target_numbers".to_owned(),
            "cancel_reason" => "cancel.reason".to_owned(),
            _ => format!("wz.step.{}", step_of(path)),
        };
        t.get(&key).to_owned()
    }

    /// Every field: (path, words), in form order.
    pub(in crate::ui) fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, t, _)| (n.as_str(), t.as_str()))
    }

    /// The labels of the fields `changed` touches, once each, in form order.
    pub(in crate::ui) fn touched(&self, changed: &beian_core::model::Changes) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (name, text, _) in &self.fields {
            if changed.touches(name) && !out.contains(text) {
                out.push(text.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_named_as_the_form_names_them() {
        let ex: Value =
            serde_json::from_str(include_str!("../../../../../docs/examples/first-filing-company.json"))
                .unwrap();
        let l = FieldLabels::of(&ex["order"], Lang::Zh);
        assert_eq!(l.get("websites[1].name"), "网站 2 · 网站名称");
        assert_eq!(l.get("websites[0].domains[1]"), l.get("websites[0].domains"));
        assert_eq!(l.get("websites[2]"), "网站 3");
        assert_eq!(l.get("subject.head.mobile"), l.get("subject.head.mobile.x"));
        assert!(!l.get("subject.head.mobile").contains("subject"), "{}", l.get("subject.head.mobile"));
        assert_eq!(l.get("kind"), "办理类型");
        for path in ["subject.region", "websites[0].access.ips", "target_numbers", "whatever[3].x"] {
            let text = l.get(path);
            assert!(!text.contains('[') && !text.contains('.') && !text.is_empty(), "{path}: {text}");
        }
        let en = FieldLabels::of(&ex["order"], Lang::En);
        assert_eq!(en.get("kind"), "Order kind");
    }
}
