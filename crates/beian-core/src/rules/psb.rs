//! Rules on a public-security filing application (rules.md §5): the site's ICP number,
//! domains and public IP, the filing police area, service types and the interactive-services
//! question, dangerous-goods information (never for individuals), pre-licences, languages,
//! the access provider and registrar blocks, the responsible person and emergency contact,
//! the responsibility statement in force, and the 30-day deadline. Enumerations come from
//! `data/psb.toml`; messages from the rule catalog.

use time::Date;

use super::{Arg, Finding, arg, bi, detail, finding, word};
use crate::division::{Level, divisions};
use crate::id::{DomainName, Landline, Mobile, PublicIp};
use crate::number::{Number, parse};
use crate::policy::PolicySet;
use crate::province::ProvinceCode;
use crate::psb::{self, Choice, PsbApplication};

struct Out<'a> {
    set: &'a PolicySet,
    province: Option<ProvinceCode>,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn emit(&mut self, code: &str, field: impl Into<String>, args: &[Arg<'_>]) {
        let policy = self.province.map(|p| self.set.province(p));
        self.findings.push(finding(self.set, policy, code, field.into(), args));
    }
}

fn what(key: &'static str) -> Arg<'static> {
    word("what", key)
}

fn known(choices: &[Choice], code: &str) -> bool {
    choices.iter().any(|c| c.code == code)
}

/// Checks a PSB application on `today` with the built-in policy.
pub fn check_psb(app: &PsbApplication, today: Date) -> Vec<Finding> {
    let icp = parse(&app.icp_number).ok().map(|p| p.number);
    let province = icp.as_ref().and_then(Number::province);
    let mut out = Out { set: PolicySet::builtin(), province, findings: Vec::new() };
    let o = &mut out;

    match (parse(&app.icp_number), &icp) {
        (Err(e), _) => o.emit("PSB_ICP_NUMBER_INVALID", "icp_number", &[detail(&e)]),
        (Ok(_), Some(Number::IcpFiling(n))) if n.service().is_some() => {}
        _ => o.emit("PSB_ICP_NUMBER_INVALID", "icp_number", &[word("detail", "arg.website_number_expected")]),
    }

    if app.domains.iter().all(|d| d.trim().is_empty()) {
        o.emit("PSB_DOMAIN_MISSING", "domains", &[]);
    }
    for (i, d) in app.domains.iter().enumerate().filter(|(_, d)| !d.trim().is_empty()) {
        if let Err(e) = DomainName::parse(d) {
            o.emit(
                "PSB_DOMAIN_INVALID",
                format!("domains[{i}]"),
                &[arg("domain", d.trim().to_owned()), detail(&e)],
            );
        }
    }
    if let Err(e) = PublicIp::parse(&app.ip) {
        o.emit("PSB_IP_INVALID", "ip", &[arg("ip", app.ip.trim().to_owned()), detail(&e)]);
    }

    let area = app.filing_area.trim();
    let county =
        area.parse::<u32>().ok().filter(|_| area.len() == 6).filter(|c| {
            Level::of(*c) == Level::County && divisions().get(*c).is_some_and(|d| d.is_current())
        });
    match county {
        None => o.emit("PSB_FILING_AREA_INVALID", "filing_area", &[arg("area", area.to_owned())]),
        Some(_) => {
            if let (Some(ap), Some(p)) = (ProvinceCode::parse(&area[..2]), province)
                && ap != p
            {
                let (ap, p) = (ap.province(), p.province());
                o.emit(
                    "PSB_FILING_AREA_PROVINCE",
                    "filing_area",
                    &[
                        bi("area_province", ap.short_name, ap.name_en),
                        bi("province", p.short_name, p.name_en),
                    ],
                );
            }
        }
    }

    if app.service_types.is_empty() {
        o.emit("PSB_SERVICE_TYPE_MISSING", "service_types", &[]);
    }
    let mut interactive = app.interactive;
    for (i, code) in app.service_types.iter().enumerate() {
        match psb::service_types().iter().find(|c| c.code == *code) {
            None => o.emit(
                "PSB_SERVICE_TYPE_UNKNOWN",
                format!("service_types[{i}]"),
                &[arg("code", code.clone())],
            ),
            Some(c) => interactive |= c.interactive,
        }
    }
    if interactive {
        o.emit("PSB_INTERACTIVE_ASSESSMENT", "interactive", &[]);
    }

    if !app.dangerous_goods.is_empty() && app.subject_nature.is_individual() {
        o.emit("PSB_DANGEROUS_GOODS_INDIVIDUAL", "dangerous_goods", &[]);
    }
    for (i, code) in app.dangerous_goods.iter().enumerate() {
        if !known(psb::dangerous_goods(), code) {
            o.emit(
                "PSB_DANGEROUS_GOODS_UNKNOWN",
                format!("dangerous_goods[{i}]"),
                &[arg("code", code.clone())],
            );
        }
    }
    for (i, p) in app.pre_licences.iter().enumerate() {
        if p.kind.trim().is_empty() {
            o.emit(
                "PSB_PRE_LICENCE_INCOMPLETE",
                format!("pre_licences[{i}].kind"),
                &[what("arg.permit_kind")],
            );
        }
        if p.number.trim().is_empty() {
            o.emit(
                "PSB_PRE_LICENCE_INCOMPLETE",
                format!("pre_licences[{i}].number"),
                &[what("arg.permit_number")],
            );
        }
    }

    if app.languages.is_empty() {
        o.emit("PSB_LANGUAGE_MISSING", "languages", &[]);
    }
    for (i, code) in app.languages.iter().enumerate() {
        if !known(psb::languages(), code) {
            o.emit("PSB_LANGUAGE_UNKNOWN", format!("languages[{i}]"), &[arg("code", code.clone())]);
        }
    }

    let a = &app.access;
    for (value, field, key) in [
        (&a.name, "access.name", "arg.name"),
        (&a.region, "access.region", "arg.region"),
        (&a.phone, "access.phone", "arg.phone"),
        (&a.method, "access.method", "arg.access_method"),
    ] {
        if value.trim().is_empty() {
            o.emit("PSB_ACCESS_INCOMPLETE", field, &[what(key)]);
        }
    }
    if !a.method.trim().is_empty() && !known(psb::access_methods(), a.method.trim()) {
        o.emit("PSB_ACCESS_METHOD_UNKNOWN", "access.method", &[arg("code", a.method.clone())]);
    }
    let r = &app.registrar;
    for (value, field, key) in [
        (&r.name, "registrar.name", "arg.name"),
        (&r.region, "registrar.region", "arg.region"),
        (&r.phone, "registrar.phone", "arg.phone"),
    ] {
        if value.trim().is_empty() {
            o.emit("PSB_REGISTRAR_INCOMPLETE", field, &[what(key)]);
        }
    }

    people(o, app);

    let current = &psb::statement().version;
    if app.statement.as_ref().is_none_or(|s| &s.version != current) {
        o.emit("PSB_STATEMENT_NOT_ACCEPTED", "statement", &[arg("version", current.clone())]);
    }
    let d = psb::deadline(app.go_live, today);
    if d.overdue {
        o.emit("PSB_DEADLINE_PASSED", "go_live", &[arg("days", d.days_live.to_string())]);
    }
    out.findings
}

/// The responsible person (name and mobile) and the emergency contact (name and a mobile or
/// landline).
fn people(o: &mut Out<'_>, app: &PsbApplication) {
    let p = &app.responsible;
    if p.name.trim().is_empty() {
        o.emit("PSB_RESPONSIBLE_INCOMPLETE", "responsible.name", &[what("arg.person_name")]);
    }
    if p.mobile.trim().is_empty() {
        o.emit("PSB_RESPONSIBLE_INCOMPLETE", "responsible.mobile", &[what("arg.mobile_number")]);
    } else if let Err(e) = Mobile::parse(&p.mobile) {
        o.emit(
            "PSB_PHONE_INVALID",
            "responsible.mobile",
            &[word("who", "arg.responsible_person"), detail(&e)],
        );
    }
    let e = &app.emergency;
    if e.name.trim().is_empty() {
        o.emit("PSB_EMERGENCY_INCOMPLETE", "emergency.name", &[what("arg.person_name")]);
    }
    if e.mobile.trim().is_empty() {
        o.emit("PSB_EMERGENCY_INCOMPLETE", "emergency.mobile", &[what("arg.phone_number")]);
    } else if let (Err(err), Err(_)) = (Mobile::parse(&e.mobile), Landline::parse(&e.mobile)) {
        o.emit(
            "PSB_PHONE_INVALID",
            "emergency.mobile",
            &[word("who", "arg.emergency_contact"), detail(&err)],
        );
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeSet;

    use time::macros::{date, datetime};

    use super::*;
    use crate::model::{PreApproval, SubjectNature};
    use crate::psb::{Acceptance, AccessProvider, Registrar, prefill};
    use crate::rules::tests::company_order;

    const TODAY: Date = date!(2026 - 11 - 28);

    /// A complete application, pre-filled from the company fixture's first website as the
    /// provider would, with what only the applicant knows filled in.
    pub(in crate::rules) fn clean() -> PsbApplication {
        let access = AccessProvider {
            name: "阿里云计算有限公司".into(),
            region: "浙江省杭州市余杭区".into(),
            method: "virtual_space".into(),
            phone: "95187".into(),
            organization_code: "673959654".into(),
        };
        let registrar = Registrar {
            name: "阿里云计算有限公司（原万网）".into(),
            region: "浙江省杭州市余杭区".into(),
            phone: "010-65985888".into(),
        };
        let mut app = prefill(
            &company_order(),
            0,
            "浙ICP备2026012345号-1",
            None,
            date!(2026 - 11 - 10),
            access,
            registrar,
        )
        .unwrap();
        app.service_types = vec!["b".into()];
        app.statement = Some(Acceptance {
            version: psb::statement().version.clone(),
            accepted_at: datetime!(2026-11-28 10:00 UTC),
            actor: "applicant@example.cn".into(),
        });
        app
    }

    type Mutation = fn(&mut PsbApplication);

    fn cases() -> Vec<(&'static str, Mutation)> {
        vec![
            ("PSB_ICP_NUMBER_INVALID", |a| a.icp_number = "浙ICP备2026012345号".into()),
            ("PSB_DOMAIN_MISSING", |a| a.domains.clear()),
            ("PSB_DOMAIN_INVALID", |a| a.domains = vec!["not a domain".into()]),
            ("PSB_IP_INVALID", |a| a.ip = "192.168.1.10".into()),
            ("PSB_FILING_AREA_INVALID", |a| a.filing_area = "330199".into()),
            ("PSB_FILING_AREA_PROVINCE", |a| a.filing_area = "320102".into()),
            ("PSB_SERVICE_TYPE_MISSING", |a| a.service_types.clear()),
            ("PSB_SERVICE_TYPE_UNKNOWN", |a| a.service_types = vec!["09".into()]),
            ("PSB_INTERACTIVE_ASSESSMENT", |a| a.service_types = vec!["d".into()]),
            ("PSB_DANGEROUS_GOODS_INDIVIDUAL", |a| {
                a.subject_nature = SubjectNature::Individual;
                a.dangerous_goods = vec!["knives".into()];
            }),
            ("PSB_DANGEROUS_GOODS_UNKNOWN", |a| a.dangerous_goods = vec!["fireworks".into()]),
            ("PSB_PRE_LICENCE_INCOMPLETE", |a| {
                a.pre_licences =
                    vec![PreApproval { kind: "新闻".into(), number: " ".into(), document: None }]
            }),
            ("PSB_LANGUAGE_MISSING", |a| a.languages.clear()),
            ("PSB_LANGUAGE_UNKNOWN", |a| a.languages = vec!["klingon".into()]),
            ("PSB_ACCESS_INCOMPLETE", |a| a.access.region.clear()),
            ("PSB_ACCESS_METHOD_UNKNOWN", |a| a.access.method = "carrier pigeon".into()),
            ("PSB_REGISTRAR_INCOMPLETE", |a| a.registrar.phone.clear()),
            ("PSB_RESPONSIBLE_INCOMPLETE", |a| a.responsible.name.clear()),
            ("PSB_EMERGENCY_INCOMPLETE", |a| a.emergency.mobile.clear()),
            ("PSB_PHONE_INVALID", |a| a.emergency.mobile = "12345".into()),
            ("PSB_STATEMENT_NOT_ACCEPTED", |a| a.statement.as_mut().unwrap().version = "2019-01".into()),
            ("PSB_DEADLINE_PASSED", |a| a.go_live = date!(2026 - 10 - 01)),
        ]
    }

    fn codes(app: &PsbApplication) -> BTreeSet<String> {
        check_psb(app, TODAY).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn the_prefilled_application_is_clean_once_the_applicant_answers() {
        let app = clean();
        assert_eq!(app.website_name, company_order().websites[0].name);
        assert_eq!(app.ip, "47.96.1.10");
        assert_eq!(app.filing_area, "330106");
        assert!(codes(&app).is_empty(), "{:#?}", check_psb(&app, TODAY));
        // Before the applicant answers, the service type and the statement are what is missing.
        let mut fresh = app.clone();
        fresh.service_types.clear();
        fresh.statement = None;
        let want: BTreeSet<String> =
            ["PSB_SERVICE_TYPE_MISSING", "PSB_STATEMENT_NOT_ACCEPTED"].map(String::from).into();
        assert_eq!(codes(&fresh), want);
    }

    #[test]
    fn every_psb_rule_fires_on_its_failing_example() {
        let mut failures = Vec::new();
        for (code, mutate) in cases() {
            let mut app = clean();
            mutate(&mut app);
            let got = codes(&app);
            if !got.contains(code) {
                failures.push(format!("{code}: got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_psb_catalog_rule_has_a_case() {
        let tested: BTreeSet<&str> = cases().iter().map(|c| c.0).collect();
        let missing: Vec<&str> = PolicySet::builtin()
            .rules()
            .map(|r| r.code.as_str())
            .filter(|c| c.starts_with("PSB_") && !tested.contains(c))
            .collect();
        assert!(missing.is_empty(), "PSB rules without a case: {missing:?}");
    }

    #[test]
    fn findings_name_their_field_and_mask_nothing_they_should_not_show() {
        let mut app = clean();
        app.responsible.mobile = "1380013800".into();
        let f = check_psb(&app, TODAY);
        let phone = f.iter().find(|f| f.code == "PSB_PHONE_INVALID").unwrap();
        assert_eq!(phone.field, "responsible.mobile");
        assert!(!phone.message.zh.contains("1380013800"), "{}", phone.message.zh);
    }
}
