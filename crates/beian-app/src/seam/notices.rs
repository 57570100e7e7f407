//! What the applicant is told of the regulator's steps: the notice (e-mail, and a text for
//! what needs action) for each event, the bureau's field-level reasons, and who a recipient
//! path names.

use beian_core::message::Lang;
use beian_store::Uuid;

use super::record::Filing;
use crate::notify::Notice;
use crate::views::ReviewFinding;

/// The applicant-facing notice for a regulator step, if it deserves one.
pub(crate) fn notice_for(
    base: &str,
    order_id: Uuid,
    kind: &str,
    detail: &serde_json::Value,
    filing: Option<&Filing>,
) -> Option<Notice> {
    let link = format!("{}/api/v1/orders/{order_id}", base.trim_end_matches('/'));
    let n = |zh: (&str, String), en: (&str, String), sms: Option<&str>| {
        Notice::new((zh.0.to_owned(), zh.1), (en.0.to_owned(), en.1), &link, sms.map(str::to_owned))
    };
    Some(match kind {
        "sms_sent" => {
            let persons = |lang| -> String {
                detail["recipients"]
                    .as_array()
                    .map(|r| {
                        r.iter().filter_map(|p| p.as_str()).map(|p| format!("- {}\n", recipient_label(p, lang))).collect()
                    })
                    .unwrap_or_default()
            };
            n(
                (
                    "请完成工信部短信核验",
                    format!("备案已提交工信部，以下负责人将收到核验短信，须在24小时内完成核验：\n{}", persons(Lang::Zh)),
                ),
                (
                    "Answer the MIIT verification SMS",
                    format!("The filing reached MIIT; these persons get a code and must verify within 24 hours:\n{}", persons(Lang::En)),
                ),
                Some("【备案】工信部核验短信已发送，请负责人在24小时内完成核验。"),
            )
        }
        "bureau_review" => n(
            ("短信核验完成，管局审核中", "所有负责人已完成短信核验，备案已进入管局审核（通常1–20个工作日）。".into()),
            (
                "Verified; the bureau is reviewing",
                "Every person verified; the provincial bureau reviews the filing now (usually 1–20 working days).".into(),
            ),
            None,
        ),
        "sms_timeout" => n(
            (
                "短信核验超时，备案已退回",
                "24小时内未完成短信核验，备案已退回（不是管局驳回）。请确认负责人手机号码后重新提交。".into(),
            ),
            (
                "SMS verification timed out",
                "Not every person verified within 24 hours; the filing came back (this is not a bureau rejection). Check the mobiles and submit again.".into(),
            ),
            Some("【备案】短信核验超时，备案已退回，请登录重新提交。"),
        ),
        "sms_failed" => n(
            ("短信核验错误次数过多，备案已退回", "短信核验输错超过5次，备案已退回。请重新提交后使用新的验证码核验。".into()),
            (
                "Too many wrong SMS codes",
                "More than five wrong codes were entered; the filing came back. Submit again and use the new codes.".into(),
            ),
            Some("【备案】短信核验错误次数过多，备案已退回。"),
        ),
        "approved" => {
            let numbers: String = filing
                .map(|f| f.decision.services.iter().map(|s| format!("- {}: {}\n", s.name, s.number)).collect())
                .unwrap_or_default();
            let subject_number = filing.and_then(|f| f.decision.subject_number.clone()).unwrap_or_default();
            n(
                (
                    "备案已通过管局审核",
                    format!("恭喜，备案已通过。主体备案号：{subject_number}\n{numbers}请在网站首页底部展示备案号并链接至 https://beian.miit.gov.cn/ ，并在网站开通后30日内办理公安联网备案。"),
                ),
                (
                    "Filing approved by the bureau",
                    format!("Approved. Subject number: {subject_number}\n{numbers}Show the number at the bottom of the home page linked to https://beian.miit.gov.cn/, and file with the public-security platform within 30 days of going live."),
                ),
                Some("【备案】您的备案已通过管局审核，备案号已下发。"),
            )
        }
        "rejected" => {
            let reasons: String = reasons_of(detail).iter().map(|r| format!("- {}\n", r.error)).collect();
            n(
                ("备案被管局驳回，请修改", format!("管局驳回了备案，原因如下（订单页面在每个字段旁标出了原因）：\n{reasons}")),
                (
                    "Filing rejected by the bureau",
                    format!("The bureau rejected the filing (the order's page shows each reason beside its field):\n{reasons}"),
                ),
                Some("【备案】您的备案被管局驳回，请登录查看原因并修改。"),
            )
        }
        _ => return None,
    })
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
    let en = lang == Lang::En;
    if path == "subject.head" {
        if en { "head of the subject".to_owned() } else { "主体负责人".to_owned() }
    } else if let Some(n) = indexed("websites[") {
        if en { format!("head of website {n}") } else { format!("网站{n}负责人") }
    } else if let Some(n) = indexed("apps[") {
        if en { format!("head of app {n}") } else { format!("APP{n}负责人") }
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
