//! What the applicant is told of the regulator's steps: the notice (e-mail, and a text for
//! what needs action) for each event, the bureau's field-level reasons, and who a recipient
//! path names.

use beian_core::message::Lang;
use beian_store::Uuid;

use super::record::Filing;
use crate::i18n::Msgs;
use crate::notify::{Args, Notice};
use crate::views::ReviewFinding;

/// A notice's arguments, by language.
type ArgsOf<'a> = Box<dyn Fn(Lang) -> Args + 'a>;

/// The applicant-facing notice for a regulator step, if it deserves one.
pub(crate) fn notice_for(
    base: &str,
    order_id: Uuid,
    kind: &str,
    detail: &serde_json::Value,
    filing: Option<&Filing>,
) -> Option<Notice> {
    let link = format!("{}/api/v1/orders/{order_id}", base.trim_end_matches('/'));
    let lines = |lang: Lang,
                 key: &str,
                 items: &mut dyn Iterator<Item = Vec<(&'static str, String)>>|
     -> String { items.map(|args| Msgs::fill(lang, key, &args)).collect() };
    let (args, sms): (ArgsOf<'_>, bool) = match kind {
        "sms_sent" => {
            let persons = move |lang: Lang| {
                let recipients =
                    detail["recipients"].as_array().into_iter().flatten().filter_map(|p| p.as_str());
                let list = lines(
                    lang,
                    "notice.list_item",
                    &mut recipients.map(|p| vec![("item", recipient_label(p, lang))]),
                );
                vec![("persons", list)]
            };
            (Box::new(persons), true)
        }
        "bureau_review" => (Box::new(|_| Vec::new()), false),
        "sms_timeout" | "sms_failed" => (Box::new(|_| Vec::new()), true),
        "approved" => {
            let numbers = move |lang: Lang| {
                let services = filing.into_iter().flat_map(|f| f.decision.services.iter());
                let list = lines(
                    lang,
                    "notice.number_item",
                    &mut services.map(|s| vec![("name", s.name.clone()), ("number", s.number.clone())]),
                );
                let subject_number =
                    filing.and_then(|f| f.decision.subject_number.clone()).unwrap_or_default();
                vec![("subject_number", subject_number), ("numbers", list)]
            };
            (Box::new(numbers), true)
        }
        "rejected" => {
            let reasons = move |lang: Lang| {
                let list = lines(
                    lang,
                    "notice.reason",
                    &mut reasons_of(detail).into_iter().map(|r| vec![("error", r.error)]),
                );
                vec![("reasons", list)]
            };
            (Box::new(reasons), true)
        }
        _ => return None,
    };
    Some(Notice::from_catalogue(kind, args, &link, sms))
}

/// The field-level reasons of a `rejected` event (the bureau's or a PSB officer's).
pub(crate) fn reasons_of(detail: &serde_json::Value) -> Vec<ReviewFinding> {
    detail["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| ReviewFinding {
                    field: r["field"].as_str().unwrap_or_default().to_owned(),
                    error: r["reason"].as_str().unwrap_or_default().to_owned(),
                    suggestion: String::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Who a recipient path names, in words: `websites[1].head` → 网站2负责人 / head of website 2.
pub fn recipient_label(path: &str, lang: Lang) -> String {
    let indexed = |prefix: &str| -> Option<usize> {
        path.strip_prefix(prefix)?.strip_suffix("].head")?.parse::<usize>().ok().map(|i| i + 1)
    };
    if path == "subject.head" {
        Msgs::fill(lang, "recipient.subject_head", &[])
    } else if let Some(n) = indexed("websites[") {
        Msgs::fill(lang, "recipient.website_head", &[("n", n.to_string())])
    } else if let Some(n) = indexed("apps[") {
        Msgs::fill(lang, "recipient.app_head", &[("n", n.to_string())])
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recipients_are_named_in_words() {
        use beian_core::message::Lang::{En, Zh};
        assert_eq!(super::recipient_label("subject.head", Zh), "主体负责人");
        assert_eq!(super::recipient_label("subject.head", En), "head of the subject");
        assert_eq!(super::recipient_label("websites[1].head", Zh), "网站2负责人");
        assert_eq!(super::recipient_label("apps[0].head", En), "head of app 1");
        assert_eq!(super::recipient_label("websites[x].head", Zh), "websites[x].head");
    }
}
