//! What a change order changes: the fields of a draft that differ from the data as filed, and
//! the change kind that follows from them (变更主体 / 变更网站 / 变更备案 / 变更接入), the way the
//! provider consoles work the kind out instead of asking the applicant to pick it.
//!
//! Pure: both orders are arguments. Values are compared as the applicant means them — an
//! empty text, an empty list and an absent value are the same, surrounding spaces do not count
//! — so that saving a form unchanged never reads as a change.

use serde_json::Value;

use super::{Order, OrderKind};

/// The JSON paths of the fields a draft changed against the data as filed, in the order's
/// field order (`subject.name`, `websites[0].head.mobile`, `websites[0].domains`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub fields: Vec<String>,
}

impl Changes {
    /// Some field of the subject (or its head) changed.
    pub fn subject(&self) -> bool {
        self.fields.iter().any(|f| f.starts_with("subject"))
    }

    /// Some field of a website or app outside its access information changed.
    pub fn services(&self) -> bool {
        self.fields.iter().any(|f| is_service(f) && !is_access(f))
    }

    /// Some access information (IP, provider resource, service number) changed.
    pub fn access(&self) -> bool {
        self.fields.iter().any(|f| is_access(f))
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether `path` or something below it changed (for marking a form field).
    pub fn touches(&self, path: &str) -> bool {
        self.fields.iter().any(|f| {
            f == path
                || f.strip_prefix(path).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
                || path
                    .strip_prefix(f.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    /// The change kind these changes make, `None` when nothing changed. A service's access
    /// changed together with the service itself is part of 变更网站 (the consoles' 变更网站
    /// includes the 接入信息); access alone is 变更接入; the subject with anything else is 变更备案.
    pub fn kind(&self) -> Option<OrderKind> {
        match (self.subject(), self.services(), self.access()) {
            (false, false, false) => None,
            (true, false, false) => Some(OrderKind::ChangeSubject),
            (false, false, true) => Some(OrderKind::ChangeAccess),
            (false, true, _) => Some(OrderKind::ChangeService),
            (true, _, _) => Some(OrderKind::ChangeFiling),
        }
    }
}

fn is_service(path: &str) -> bool {
    path.starts_with("websites") || path.starts_with("apps")
}

fn is_access(path: &str) -> bool {
    is_service(path) && path.contains(".access")
}

/// The fields of `draft` that differ from `filed` (subject, websites and apps; the kind, the
/// remark and the cancellation fields are not filed data). Websites and apps are compared by
/// position: a change draft keeps the filed services in their order.
pub fn changes(filed: &Order, draft: &Order) -> Changes {
    let mut fields = Vec::new();
    let (a, b) = (serde_json::to_value(filed), serde_json::to_value(draft));
    if let (Ok(a), Ok(b)) = (a, b) {
        for key in ["subject", "websites", "apps"] {
            walk(key, a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null), &mut fields);
        }
    }
    Changes { fields }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if is_blank(a) && is_blank(b) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().collect();
            keys.extend(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                let null = Value::Null;
                walk(&format!("{path}.{k}"), x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() && x.iter().all(Value::is_object) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}[{i}]"), p, q, out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let norm = |v: &Vec<Value>| v.iter().map(trimmed).collect::<Vec<_>>();
            if norm(x) != norm(y) {
                out.push(path.to_owned());
            }
        }
        _ if trimmed(a) != trimmed(b) => out.push(path.to_owned()),
        _ => {}
    }
}

fn trimmed(v: &Value) -> Value {
    match v {
        Value::String(s) if s.trim().is_empty() => Value::Null,
        Value::String(s) => Value::String(s.trim().to_owned()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filed() -> Order {
        let v: Value =
            serde_json::from_str(include_str!("../../../../docs/examples/first-filing-company.json"))
                .unwrap();
        serde_json::from_value(v["order"].clone()).unwrap()
    }

    #[test]
    fn what_changed_decides_the_kind() {
        let base = filed();
        assert_eq!(changes(&base, &base).kind(), None);

        let mut d = base.clone();
        d.websites[0].name = "新的网站名称".into();
        let c = changes(&base, &d);
        assert_eq!(c.fields, vec!["websites[0].name".to_owned()]);
        assert_eq!(c.kind(), Some(OrderKind::ChangeService));
        assert!(c.touches("websites[0].name") && c.touches("websites[0]") && !c.touches("websites[1].name"));

        d.websites[0].access.ips = vec!["47.96.1.99".into()];
        assert_eq!(changes(&base, &d).kind(), Some(OrderKind::ChangeService), "service and its access");

        let mut d = base.clone();
        d.websites[1].access.ips = vec!["47.96.1.98".into()];
        assert_eq!(changes(&base, &d).kind(), Some(OrderKind::ChangeAccess));

        let mut d = base.clone();
        d.subject.head.mobile = "13900000000".into();
        let c = changes(&base, &d);
        assert_eq!(
            (c.fields.clone(), c.kind()),
            (vec!["subject.head.mobile".to_owned()], Some(OrderKind::ChangeSubject))
        );

        d.websites[0].languages.push("en".into());
        assert_eq!(changes(&base, &d).kind(), Some(OrderKind::ChangeFiling));
    }

    #[test]
    fn blanks_and_spaces_are_not_changes() {
        let mut base = filed();
        base.subject.head.office_phone = None;
        let mut d = base.clone();
        d.subject.head.office_phone = Some(String::new());
        d.websites[0].remark = Some("  ".into());
        d.subject.name = format!(" {} ", base.subject.name);
        assert_eq!(changes(&base, &d), Changes::default());
        // The kind and the remark of the order itself are not filed data.
        d.kind = OrderKind::ChangeAccess;
        d.remark = Some("变更说明".into());
        assert!(changes(&base, &d).is_empty());
    }

    proptest! {
        /// Any single text edit of a site name is found at that site, and nowhere else.
        #[test]
        fn an_edit_is_found_where_it_is(i in 0usize..3, name in "[\\p{Han}a-z]{1,12}") {
            let base = filed();
            prop_assume!(i < base.websites.len() && base.websites[i].name != name);
            let mut d = base.clone();
            d.websites[i].name = name;
            let c = changes(&base, &d);
            prop_assert_eq!(c.fields, vec![format!("websites[{i}].name")]);
            prop_assert_eq!(changes(&d, &base).kind(), Some(OrderKind::ChangeService));
        }
    }
}
