//! The guided filing: a start page that works the order kind out (subject type, certificate,
//! domain, province → 首次备案 / 新增网站 / 新增接入, `App::start_filing`), then one page per
//! step — subject, persons, websites, access, documents, identity, confirmation.
//!
//! Every form step saves the draft (`App::save_draft`) and runs the server's rule engine; the
//! findings, and a returned order's reviewer reasons, are shown beside the fields they name.
//! With JavaScript, htmx posts the step on every change and morphs the answer in (the draft
//! saves itself, the messages appear as the applicant types); without it, "save and next"
//! does the same. No rule is written twice: the page only places what the engine said.
//!
//! Form field names are the order's JSON paths (`websites[0].head.mobile`), the same paths the
//! findings name. This module must never write a value it did not show: it edits the masked
//! view the applicant saw, and masked values sent back are kept by the app.

use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::drafts::FilingStart;
use beian_app::orders::OrderInput;
use beian_app::{AppError, FieldError, OrderView};
use beian_core::choices::form_choices;
use beian_core::message::Lang;
use beian_core::model::{Certificate, CertificateKind, Order, SubjectNature};
use beian_core::rules::Finding;
use serde_json::Value;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, FieldMsg, PageCtx, Pairs, app_error, error_page, field_messages, finding_lines, kind_key, label,
    posted, refusal_message, render, to_login,
};
use crate::AppState;

/// The steps after the start, in order.
pub(super) const STEPS: [&str; 7] =
    ["subject", "persons", "websites", "access", "documents", "verification", "confirm"];

/// The steps whose form edits the order's fields.
const FORM_STEPS: [&str; 4] = ["subject", "persons", "websites", "access"];

/// One choice of a select or a checkbox group.
pub(super) struct Opt {
    value: String,
    label: String,
    selected: bool,
}

/// A message beside a field: a rule finding (error, warning, review) or the reviewer's reason.
pub(super) struct Note {
    class: &'static str,
    message: String,
    suggestion: String,
}

/// One control of a step.
pub(super) struct Field {
    name: String,
    id: String,
    label: String,
    /// text, email, tel, date, lines, select, multi, check, valid_until
    input: &'static str,
    value: String,
    options: Vec<Opt>,
    checked: bool,
    hint: Option<String>,
    notes: Vec<Note>,
}

impl Field {
    fn invalid(&self) -> bool {
        self.notes.iter().any(|n| n.class == "error" || n.class == "reviewer")
    }
}

/// A fieldset of a step.
pub(super) struct Group {
    legend: String,
    fields: Vec<Field>,
    /// The action of its remove button (`remove_website:1`, `remove_app:0`).
    remove: Option<String>,
}

/// What a control is, before it is filled from the order.
#[derive(Clone, Copy, PartialEq)]
enum Input {
    Text(&'static str),
    Lines,
    Nature,
    CertKind {
        personal: bool,
    },
    Multi(Choices),
    Check,
    ValidUntil,
    /// app, mini program or quick app.
    AppKind,
    /// android, ios, harmonyos; "" on the blank row that adds a platform.
    Platform,
    /// A long single value (an app's public key): a text area, up to 4,096 characters.
    LongText,
    /// A pre-approval kind from `words.toml`; "" on the blank row.
    PreApproval,
}

/// Rows inside each service that the form shows with one blank row more, to add another: an
/// app's platforms, a service's pre-approvals (前置审批).
struct Rows {
    field: &'static str,
    /// The row's choice; a row with data must have it.
    choice: &'static str,
    others: &'static [&'static str],
    max: usize,
    missing_zh: &'static str,
    missing_en: &'static str,
}

const PLATFORMS: Rows = Rows {
    field: "platforms",
    choice: "platform",
    others: &["package_id", "signature_hash", "public_key"],
    max: 3,
    missing_zh: "请选择平台。",
    missing_en: "Choose the platform.",
};

const PRE_APPROVALS: Rows = Rows {
    field: "pre_approvals",
    choice: "kind",
    others: &["number"],
    max: 4,
    missing_zh: "请选择前置审批类型。",
    missing_en: "Choose the kind of pre-approval.",
};

/// How many websites and apps the order has, and how many rows of each kind each shows.
struct Shape {
    /// Per website: its pre-approval rows.
    site_pre: Vec<usize>,
    /// Per app: its platform rows and its pre-approval rows.
    app_rows: Vec<(usize, usize)>,
}

impl Shape {
    fn of(view: &Value) -> Shape {
        let services = |list: &str| view.get(list).and_then(Value::as_array).cloned().unwrap_or_default();
        let rows = |service: &Value, r: &Rows| {
            (service.get(r.field).and_then(Value::as_array).map_or(0, Vec::len) + 1).min(r.max)
        };
        Shape {
            site_pre: services("websites").iter().map(|w| rows(w, &PRE_APPROVALS)).collect(),
            app_rows: services("apps")
                .iter()
                .map(|a| (rows(a, &PLATFORMS), rows(a, &PRE_APPROVALS)))
                .collect(),
        }
    }

    /// (services list, rows kind, rows per service) for every row list of the order.
    fn lists(&self) -> [(&'static str, &'static Rows, Vec<usize>); 3] {
        [
            ("websites", &PRE_APPROVALS, self.site_pre.clone()),
            ("apps", &PLATFORMS, self.app_rows.iter().map(|r| r.0).collect()),
            ("apps", &PRE_APPROVALS, self.app_rows.iter().map(|r| r.1).collect()),
        ]
    }
}

/// What a website and an app both have: domains, service content, languages.
fn content_specs(p: &str, domains_hint: &'static str, out: &mut Vec<Spec>) {
    out.push(Spec {
        hint_key: Some(domains_hint),
        ..spec(format!("{p}.domains"), "wz.site.domains", Input::Lines)
    });
    out.push(spec(format!("{p}.service_content"), "wz.site.content", Input::Multi(Choices::ServiceContent)));
    out.push(spec(format!("{p}.languages"), "wz.site.languages", Input::Multi(Choices::Languages)));
}

/// A service's head: "the subject head" or a person of its own.
fn head_specs(p: &str) -> Vec<Spec> {
    let mut head = vec![spec(format!("{p}.head.same"), "wz.site.same_head", Input::Check)];
    person_specs(&format!("{p}.head"), &mut head);
    head
}

/// The pre-approval rows of the service at `p`.
fn pre_approval_specs(p: &str, rows: usize, out: &mut Vec<Spec>) {
    for j in 0..rows {
        let q = format!("{p}.pre_approvals[{j}]");
        out.push(Spec {
            hint_key: (j == 0).then_some("wz.pre.hint"),
            ..spec(format!("{q}.kind"), "wz.pre.kind", Input::PreApproval)
        });
        out.push(spec(format!("{q}.number"), "wz.pre.number", Input::Text("text")));
    }
}

struct Spec {
    path: String,
    label_key: &'static str,
    input: Input,
    optional: bool,
    hint_key: Option<&'static str>,
}

fn spec(path: String, label_key: &'static str, input: Input) -> Spec {
    Spec { path, label_key, input, optional: false, hint_key: None }
}

fn person_specs(prefix: &str, out: &mut Vec<Spec>) {
    out.push(spec(format!("{prefix}.name"), "wz.person.name", Input::Text("text")));
    out.push(spec(
        format!("{prefix}.certificate.kind"),
        "wz.person.cert_kind",
        Input::CertKind { personal: true },
    ));
    out.push(spec(format!("{prefix}.certificate.number"), "wz.person.cert_number", Input::Text("text")));
    out.push(Spec {
        hint_key: Some("wz.person.valid_until.hint"),
        ..spec(format!("{prefix}.certificate_valid_until"), "wz.person.valid_until", Input::ValidUntil)
    });
    out.push(spec(format!("{prefix}.mobile"), "wz.person.mobile", Input::Text("tel")));
    out.push(Spec {
        hint_key: Some("wz.person.emergency.hint"),
        ..spec(format!("{prefix}.emergency_phone"), "wz.person.emergency", Input::Text("tel"))
    });
    out.push(Spec {
        optional: true,
        ..spec(format!("{prefix}.office_phone"), "wz.person.office_phone", Input::Text("tel"))
    });
    out.push(spec(format!("{prefix}.email"), "wz.person.email", Input::Text("email")));
}

/// The multiple-choice lists of the form (`data/form_choices.toml`).
#[derive(Clone, Copy, PartialEq)]
enum Choices {
    ServiceContent,
    Languages,
}

impl Choices {
    fn list(self) -> &'static [String] {
        match self {
            Choices::ServiceContent => &form_choices().service_content,
            Choices::Languages => &form_choices().languages,
        }
    }
}

/// The controls of a form step, grouped, for an order of `shape`; each group with the action
/// of its remove button (a website or an app beyond the first service).
fn step_specs(step: &str, shape: &Shape) -> Vec<(String, Option<String>, Vec<Spec>)> {
    let sites = shape.site_pre.len();
    match step {
        "subject" => vec![(
            "wz.group.subject".into(),
            None,
            vec![
                spec("subject.nature".into(), "wz.subject.nature", Input::Nature),
                spec("subject.name".into(), "wz.subject.name", Input::Text("text")),
                spec(
                    "subject.certificate.kind".into(),
                    "wz.subject.cert_kind",
                    Input::CertKind { personal: false },
                ),
                Spec {
                    hint_key: Some("wz.subject.cert_number.hint"),
                    ..spec("subject.certificate.number".into(), "wz.subject.cert_number", Input::Text("text"))
                },
                Spec {
                    hint_key: Some("wz.subject.region.hint"),
                    ..spec("subject.region".into(), "wz.subject.region", Input::Text("text"))
                },
                spec("subject.certificate_address".into(), "wz.subject.cert_address", Input::Text("text")),
                Spec {
                    hint_key: Some("wz.subject.mailing.hint"),
                    ..spec("subject.mailing_address".into(), "wz.subject.mailing", Input::Text("text"))
                },
            ],
        )],
        "persons" => {
            let mut v = Vec::new();
            person_specs("subject.head", &mut v);
            v.push(spec("subject.head_is_legal_representative".into(), "wz.person.legal_rep", Input::Check));
            v.push(spec("subject.head.authorization_letter".into(), "wz.person.authorization", Input::Check));
            vec![("wz.group.subject_head".into(), None, v)]
        }
        "websites" => (0..sites)
            .flat_map(|i| {
                let p = format!("websites[{i}]");
                let mut site = vec![spec(format!("{p}.name"), "wz.site.name", Input::Text("text"))];
                content_specs(&p, "wz.site.domains.hint", &mut site);
                site.push(Spec {
                    optional: true,
                    ..spec(format!("{p}.remark"), "wz.site.remark", Input::Text("text"))
                });
                pre_approval_specs(&p, shape.site_pre[i], &mut site);
                let head = head_specs(&p);
                let remove = (i > 0).then(|| format!("remove_website:{i}"));
                [(format!("site:{i}"), remove, site), (format!("head:{i}"), None, head)]
            })
            .chain(shape.app_rows.iter().enumerate().flat_map(|(i, (rows, pre))| {
                let p = format!("apps[{i}]");
                let mut app = vec![
                    spec(format!("{p}.name"), "wz.app.name", Input::Text("text")),
                    spec(format!("{p}.kind"), "wz.app.kind", Input::AppKind),
                ];
                content_specs(&p, "wz.app.domains.hint", &mut app);
                for j in 0..*rows {
                    let q = format!("{p}.platforms[{j}]");
                    app.push(spec(format!("{q}.platform"), "wz.app.platform", Input::Platform));
                    app.push(spec(format!("{q}.package_id"), "wz.app.package_id", Input::Text("text")));
                    app.push(Spec {
                        hint_key: Some("wz.app.signature_hash.hint"),
                        ..spec(format!("{q}.signature_hash"), "wz.app.signature_hash", Input::Text("text"))
                    });
                    app.push(Spec {
                        hint_key: Some("wz.app.public_key.hint"),
                        ..spec(format!("{q}.public_key"), "wz.app.public_key", Input::LongText)
                    });
                }
                pre_approval_specs(&p, *pre, &mut app);
                let head = head_specs(&p);
                let remove = (sites + i > 0).then(|| format!("remove_app:{i}"));
                [(format!("app:{i}"), remove, app), (format!("apphead:{i}"), None, head)]
            }))
            .collect(),
        "access" => (0..sites)
            .map(|i| (format!("websites[{i}]"), format!("site:{i}")))
            .chain((0..shape.app_rows.len()).map(|i| (format!("apps[{i}]"), format!("app:{i}"))))
            .map(|(p, legend)| {
                let p = format!("{p}.access");
                (
                    legend,
                    None,
                    vec![
                        Spec {
                            hint_key: Some("wz.access.ips.hint"),
                            ..spec(format!("{p}.ips"), "wz.access.ips", Input::Lines)
                        },
                        Spec {
                            optional: true,
                            hint_key: Some("wz.access.service_number.hint"),
                            ..spec(
                                format!("{p}.service_number"),
                                "wz.access.service_number",
                                Input::Text("text"),
                            )
                        },
                    ],
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `websites[0].head.name` → the JSON value's path segments.
fn segments(path: &str) -> Vec<String> {
    path.replace('[', ".").replace(']', "").split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    segments(path).iter().try_fold(v, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn set(v: &mut Value, path: &str, new: Value) {
    let segs = segments(path);
    let mut cur = v;
    for (n, seg) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        cur = match cur {
            Value::Object(m) => {
                if last {
                    m.insert(seg.clone(), new);
                    return;
                }
                m.entry(seg.clone()).or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) if !last => x,
                Some(x) => {
                    *x = new;
                    return;
                }
                None => return,
            },
            _ => return,
        };
    }
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn id_of(path: &str) -> String {
    path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

fn enum_key<T: serde::Serialize>(x: T) -> String {
    serde_json::to_value(x).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn options(input: Input, lang: Lang) -> Vec<(String, String)> {
    let t = Msgs::of(lang);
    match input {
        Input::Nature => SubjectNature::ALL
            .iter()
            .map(|n| {
                let (zh, en) = n.label();
                (enum_key(n), if lang == Lang::En { en } else { zh }.to_owned())
            })
            .collect(),
        Input::CertKind { personal } => CertificateKind::ALL
            .iter()
            .filter(|k| !personal || k.is_personal())
            .map(|k| {
                let key = enum_key(k);
                (key.clone(), t.get(&format!("cert.{key}")).to_owned())
            })
            .collect(),
        Input::AppKind => ["app", "mini_program", "quick_app"]
            .iter()
            .map(|k| ((*k).to_owned(), t.get(&format!("svc.{k}")).to_owned()))
            .collect(),
        Input::Platform => ["", "android", "ios", "harmonyos"]
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    t.get(&format!("platform.{}", if k.is_empty() { "none" } else { k })).to_owned(),
                )
            })
            .collect(),
        Input::PreApproval => std::iter::once((String::new(), t.get("wz.pre.none").to_owned()))
            .chain(
                beian_core::policy::PolicySet::builtin()
                    .words
                    .pre_approval_kinds
                    .iter()
                    .map(|(key, k)| (key.clone(), format!("{} · {}", k.name, k.document))),
            )
            .collect(),
        Input::Multi(list) => list.list().iter().map(|s| (s.clone(), s.clone())).collect(),
        _ => Vec::new(),
    }
}

/// The notes of a field: findings on it or below it (`websites[0].domains[1]` belongs to
/// `websites[0].domains`), the reviewer's reasons likewise.
fn notes_for(
    path: &str,
    findings: &[Finding],
    reasons: &[beian_app::ReviewFinding],
    lang: Lang,
) -> Vec<Note> {
    let on = |field: &str| {
        field == path || field.starts_with(&format!("{path}.")) || field.starts_with(&format!("{path}["))
    };
    let mut notes: Vec<Note> = reasons
        .iter()
        .filter(|r| on(&r.field))
        .map(|r| Note { class: "reviewer", message: r.error.clone(), suggestion: r.suggestion.clone() })
        .collect();
    notes.extend(finding_lines(lang, findings).into_iter().filter(|f| on(&f.field)).map(|f| Note {
        class: f.severity,
        message: f.message,
        suggestion: f.suggestion,
    }));
    notes
}

fn build_groups(
    step: &str,
    view: &Value,
    findings: &[Finding],
    reasons: &[beian_app::ReviewFinding],
    lang: Lang,
) -> Vec<Group> {
    let t = Msgs::of(lang);
    let subject_head = view.pointer("/subject/head");
    step_specs(step, &Shape::of(view))
        .into_iter()
        .map(|(legend, remove, specs)| {
            let numbered =
                |key: &str, i: &str| format!("{} {}", t.get(key), i.parse::<usize>().unwrap_or(0) + 1);
            let legend = match legend.split_once(':') {
                Some(("site", i)) => numbered("wz.group.site", i),
                Some(("head", i)) => numbered("wz.group.site_head", i),
                Some(("app", i)) => numbered("wz.group.app", i),
                Some(("apphead", i)) => numbered("wz.group.app_head", i),
                _ => t.get(&legend).to_owned(),
            };
            let fields = specs
                .into_iter()
                .map(|s| {
                    let value = get(view, &s.path);
                    let checked = if s.path.ends_with(".head.same") {
                        let head = s.path.trim_end_matches(".same");
                        subject_head.is_some() && get(view, head) == subject_head
                    } else {
                        value.and_then(Value::as_bool).unwrap_or(false)
                    };
                    let chosen: Vec<String> = match value {
                        Some(Value::Array(a)) => {
                            a.iter().filter_map(Value::as_str).map(str::to_owned).collect()
                        }
                        other => vec![text_of(other)],
                    };
                    let (input, kind) = match s.input {
                        Input::Text(kind) => (kind, None),
                        Input::Lines => ("lines", None),
                        Input::Multi(_) => ("multi", None),
                        Input::Check => ("check", None),
                        Input::ValidUntil => ("valid_until", None),
                        Input::LongText => ("long", None),
                        other => ("select", Some(other)),
                    };
                    let mut opts: Vec<Opt> = options(kind.unwrap_or(s.input), lang)
                        .into_iter()
                        .map(|(v, l)| Opt { selected: chosen.contains(&v), value: v, label: l })
                        .collect();
                    // A value saved before the choices changed stays visible and selected.
                    if s.input != Input::Check {
                        for c in chosen.iter().filter(|c| !c.is_empty()) {
                            if !opts.is_empty() && !opts.iter().any(|o| &o.value == c) {
                                opts.push(Opt { value: c.clone(), label: c.clone(), selected: true });
                            }
                        }
                    }
                    let mut label = t.get(s.label_key).to_owned();
                    if s.optional {
                        label.push_str(t.get("wz.optional"));
                    }
                    Field {
                        id: id_of(&s.path),
                        notes: notes_for(&s.path, findings, reasons, lang),
                        name: s.path,
                        label,
                        input,
                        value: text_of(value),
                        options: opts,
                        checked,
                        hint: s.hint_key.map(|k| t.get(k).to_owned()),
                    }
                })
                .collect();
            Group { legend, fields, remove }
        })
        .collect()
}

/// Every domain of the order's websites and apps, in order, once each.
fn order_domains(view: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for list in ["websites", "apps"] {
        for service in view.get(list).and_then(Value::as_array).into_iter().flatten() {
            for d in service.get("domains").and_then(Value::as_array).into_iter().flatten() {
                if let Some(d) = d.as_str().map(str::trim).filter(|d| !d.is_empty())
                    && !out.iter().any(|x| x == d)
                {
                    out.push(d.to_owned());
                }
            }
        }
    }
    out
}

/// The registry facts the applicant reads from the registrar, per domain (`df.<n>.<fact>`
/// with the domain in `df.<n>.domain`): registrar, real-name verification day, expiry,
/// holder. Facts not on the form (the holder's certificate, what the provider looked up)
/// are kept.
const FACTS: [(&str, &str, &str); 4] = [
    ("registrar", "wz.facts.registrar", "text"),
    ("realname_verified_on", "wz.facts.realname", "date"),
    ("expires_on", "wz.facts.expires", "date"),
    ("holder_name", "wz.facts.holder", "text"),
];

fn fact_groups(
    view: &Value,
    facts: &std::collections::BTreeMap<String, beian_core::rules::DomainFacts>,
    lang: Lang,
) -> Vec<Group> {
    let t = Msgs::of(lang);
    order_domains(view)
        .into_iter()
        .enumerate()
        .map(|(i, domain)| {
            let known = serde_json::to_value(facts.get(&domain)).unwrap_or_default();
            let mut fields = vec![Field {
                name: format!("df.{i}.domain"),
                id: format!("df-{i}-domain"),
                label: String::new(),
                input: "hidden",
                value: domain.clone(),
                options: Vec::new(),
                checked: false,
                hint: None,
                notes: Vec::new(),
            }];
            fields.extend(FACTS.iter().map(|(key, label, kind)| Field {
                name: format!("df.{i}.{key}"),
                id: format!("df-{i}-{key}"),
                label: t.get(label).to_owned(),
                input: kind,
                value: text_of(known.get(*key)),
                options: Vec::new(),
                checked: false,
                hint: None,
                notes: Vec::new(),
            }));
            Group { legend: format!("{} · {domain}", t.get("wz.group.facts")), fields, remove: None }
        })
        .collect()
}

/// The posted registry facts over the stored ones; a date that is not one is refused.
fn apply_facts(
    f: &Pairs,
    stored: &std::collections::BTreeMap<String, beian_core::rules::DomainFacts>,
) -> Result<std::collections::BTreeMap<String, beian_core::rules::DomainFacts>, AppError> {
    let mut out = stored.clone();
    let mut errors = Vec::new();
    for i in 0..200 {
        let Some(domain) = posted(f, &format!("df.{i}.domain")).map(str::trim) else { break };
        let entry = out.entry(domain.to_owned()).or_default();
        let text = |key: &str| {
            posted(f, &format!("df.{i}.{key}"))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| v.chars().take(200).collect::<String>())
        };
        let date = |key: &str, errors: &mut Vec<FieldError>| match text(key) {
            None => None,
            Some(d) => match time::Date::parse(&d, time::macros::format_description!("[year]-[month]-[day]"))
            {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::text(
                        format!("df.{i}.{key}"),
                        "DATE_INVALID",
                        "日期应为“年-月-日”，如 2026-01-05。",
                        "The date must be year-month-day, e.g. 2026-01-05.",
                    ));
                    None
                }
            },
        };
        entry.registrar = text("registrar");
        entry.holder_name = text("holder_name");
        entry.realname_verified_on = date("realname_verified_on", &mut errors);
        entry.expires_on = date("expires_on", &mut errors);
    }
    if errors.is_empty() { Ok(out) } else { Err(AppError::Validation(errors)) }
}

/// Adds or removes a website or an app (`add_website`, `add_app`, `remove_website:1`,
/// `remove_app:0`), keeping at least one service and at most 20 of each.
fn change_services(view: &mut Value, action: &str) {
    let count = |v: &Value, k: &str| v.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    let total = count(view, "websites") + count(view, "apps");
    let head = view.pointer("/subject/head").cloned().unwrap_or(Value::Null);
    let (list, new) = match action {
        "add_website" => ("websites", serde_json::json!({ "name": "", "domains": [] })),
        "add_app" => {
            ("apps", serde_json::json!({ "name": "", "kind": "app", "platforms": [], "domains": [] }))
        }
        other => {
            let remove = other
                .strip_prefix("remove_website:")
                .map(|i| ("websites", i))
                .or_else(|| other.strip_prefix("remove_app:").map(|i| ("apps", i)));
            if let Some((list, i)) = remove
                && let Ok(i) = i.parse::<usize>()
                && total > 1
                && let Some(items) = view.get_mut(list).and_then(Value::as_array_mut)
                && i < items.len()
            {
                items.remove(i);
            }
            return;
        }
    };
    if count(view, list) >= 20 {
        return;
    }
    let mut new = new;
    set(&mut new, "service_content", Value::Array(Vec::new()));
    set(&mut new, "languages", serde_json::json!(["中文简体"]));
    set(&mut new, "pre_approvals", Value::Array(Vec::new()));
    set(&mut new, "access", serde_json::json!({ "ips": [] }));
    set(&mut new, "head", head);
    if let Some(obj) = view.as_object_mut() {
        let items = obj.entry(list).or_insert_with(|| Value::Array(Vec::new()));
        if let Some(items) = items.as_array_mut() {
            items.push(new);
        }
    }
}

/// The fields of a step's post that could not be taken: each with its error and what was
/// typed (to show again). The rest of the post is applied and saved without them.
#[derive(Debug, Default)]
struct Refused {
    errors: Vec<FieldError>,
    typed: Vec<(String, Value)>,
    /// Rows (a platform, a pre-approval) with data but no choice: the list's path, the row's
    /// index as posted, and the row. They are not saved, and are shown again where they were.
    rows: Vec<(String, usize, Value)>,
}

/// Puts a refused row back into the list at `path` (as `apps[0].platforms`) where it was posted.
fn insert_row(view: &mut Value, path: &str, at: usize, row: Value) {
    let pointer: String = segments(path).iter().map(|s| format!("/{s}")).collect();
    if let Some(items) = view.pointer_mut(&pointer).and_then(Value::as_array_mut) {
        items.insert(at.min(items.len()), row);
    }
}

/// Applies a step's form to the masked view of the order: only the step's fields change. A
/// field that cannot be read keeps its stored value and is returned as refused, so one bad
/// field never keeps its neighbours from being saved.
fn apply(step: &str, view: &mut Value, f: &Pairs) -> Result<Refused, AppError> {
    let shape = Shape::of(view);
    // The blank rows the form showed exist while the post is applied, and go again below if
    // they stayed blank.
    for (list, r, counts) in shape.lists() {
        for (service, rows) in
            view.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten().zip(counts)
        {
            if let Some(items) = service.get_mut(r.field).and_then(Value::as_array_mut) {
                while items.len() < rows {
                    let mut blank = serde_json::Map::new();
                    for k in std::iter::once(&r.choice).chain(r.others) {
                        blank.insert((*k).to_owned(), Value::String(String::new()));
                    }
                    items.push(Value::Object(blank));
                }
            }
        }
    }
    let mut same_head = Vec::new();
    let mut refused = Refused::default();
    // A refused value is not applied; it is kept as typed, to be shown again beside its error.
    let mut refuse = |_: &mut Value, path: &str, raw: String, e: FieldError| {
        refused.typed.push((path.to_owned(), Value::String(raw)));
        refused.errors.push(e);
    };
    let copied: Vec<String> =
        f.iter().filter_map(|(k, _)| k.strip_suffix(".head.same").map(|p| format!("{p}.head."))).collect();
    for (_, _, specs) in step_specs(step, &shape) {
        for s in specs {
            // A head copied from the subject head takes none of its own fields; a field the
            // post does not carry at all keeps its value (checkboxes excepted: absent is off).
            let absent = posted(f, &s.path).is_none() && !matches!(s.input, Input::Check | Input::Multi(_));
            if s.path.ends_with(".head.same") {
                if posted(f, &s.path).is_some() {
                    same_head.push(s.path.trim_end_matches(".same").to_owned());
                }
                continue;
            }
            if absent || copied.iter().any(|c| s.path.starts_with(c.as_str())) {
                continue;
            }
            let raw = posted(f, &s.path).map(str::trim).unwrap_or_default().to_owned();
            let new = match s.input {
                Input::Check => Value::Bool(posted(f, &s.path).is_some()),
                Input::Lines => Value::Array(
                    raw.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| Value::String(l.into()))
                        .collect(),
                ),
                Input::Multi(list) => Value::Array(
                    f.iter()
                        .filter(|(k, v)| {
                            k == &s.path
                                && (list.list().contains(v)
                                    || get(view, &s.path).is_some_and(|old| {
                                        old.as_array().is_some_and(|a| a.iter().any(|x| x == v))
                                    }))
                        })
                        .map(|(_, v)| Value::String(v.clone()))
                        .collect(),
                ),
                Input::ValidUntil => match raw.as_str() {
                    "" => Value::Null,
                    "long_term" => Value::String(raw),
                    d if time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                        .is_ok() =>
                    {
                        Value::String(raw)
                    }
                    _ => {
                        let e = FieldError::text(
                            &s.path,
                            "DATE_INVALID",
                            "有效期应为“年-月-日”（如 2035-06-30）或“长期”。",
                            "The validity must be year-month-day (e.g. 2035-06-30) or long-term.",
                        );
                        refuse(view, &s.path, raw, e);
                        continue;
                    }
                },
                Input::Nature
                | Input::CertKind { .. }
                | Input::AppKind
                | Input::Platform
                | Input::PreApproval => {
                    if !options(s.input, Lang::Zh).iter().any(|(v, _)| *v == raw) {
                        let e = FieldError::text(
                            &s.path,
                            "CHOICE_INVALID",
                            "请从列表中选择。",
                            "Choose one of the listed options.",
                        );
                        refuse(view, &s.path, raw, e);
                        continue;
                    }
                    Value::String(raw)
                }
                Input::Text(_) if s.optional && raw.is_empty() => Value::Null,
                Input::Text(_) | Input::LongText => {
                    let max = if s.input == Input::LongText { 4096 } else { 500 };
                    if raw.chars().count() > max {
                        let e = FieldError::text(
                            &s.path,
                            "TEXT_TOO_LONG",
                            &format!("内容过长（最多{max}个字符）。"),
                            &format!("Too long (at most {max} characters)."),
                        );
                        let cut = raw.chars().take(max).collect();
                        refuse(view, &s.path, cut, e);
                        continue;
                    }
                    Value::String(raw)
                }
            };
            set(view, &s.path, new);
        }
    }
    // Rows: a blank one is dropped; one with data needs its choice made.
    for (list, r, _) in shape.lists() {
        for (i, service) in view.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten().enumerate()
        {
            let Some(items) = service.get_mut(r.field).and_then(Value::as_array_mut) else { continue };
            let blank = |p: &Value, k: &str| p.get(k).and_then(Value::as_str).is_none_or(str::is_empty);
            items.retain(|p| !(blank(p, r.choice) && r.others.iter().all(|k| blank(p, k))));
            let mut kept = Vec::with_capacity(items.len());
            for (j, p) in items.drain(..).enumerate() {
                if blank(&p, r.choice) {
                    refused.errors.push(FieldError::text(
                        format!("{list}[{i}].{}[{j}].{}", r.field, r.choice),
                        "CHOICE_INVALID",
                        r.missing_zh,
                        r.missing_en,
                    ));
                    refused.rows.push((format!("{list}[{i}].{}", r.field), j, p));
                } else {
                    kept.push(p);
                }
            }
            *items = kept;
        }
    }
    if let Some(head) = view.pointer("/subject/head").cloned() {
        for path in same_head {
            set(view, &path, head.clone());
        }
    }
    Ok(refused)
}

#[derive(Template)]
#[template(path = "wizard.html")]
struct WizardPage {
    c: Chrome,
    id: Uuid,
    version: i64,
    kind_key: String,
    state_key: String,
    step: &'static str,
    steps: Vec<(&'static str, String, bool)>,
    next: Option<&'static str>,
    prev: Option<&'static str>,
    notice: Option<String>,
    notice_ok: bool,
    errors: Vec<FieldMsg>,
    groups: Vec<Group>,
    can_add_site: bool,
    /// Findings the step's fields do not show (or all of them on the confirmation step).
    others: Vec<(super::FindingLine, &'static str)>,
    reasons: Vec<beian_app::ReviewFinding>,
    uploads: Vec<UploadSlot>,
    max_upload: usize,
    submittable: bool,
}

/// One required document: what it is, whose, and what is uploaded for it.
pub(super) struct UploadSlot {
    kind: String,
    path: String,
    label: String,
    capture: &'static str,
    uploaded: Vec<(Uuid, bool)>,
    /// For a face photo: the same person's ID portrait, to compare side by side.
    portrait: Option<Uuid>,
    /// For a face photo: the automatic face check's state (class, text).
    face: Option<(&'static str, String)>,
    field_id: String,
    error: Option<String>,
}

fn doc_label(lang: Lang, kind: &str, path: &str) -> String {
    format!("{} · {}", Msgs::of(lang).get(&format!("doc.{kind}")), label(lang, path))
}

/// Which step a field path belongs to, for links from the confirmation list.
fn step_of(field: &str) -> &'static str {
    if field.starts_with("subject.head") {
        "persons"
    } else if field.starts_with("subject") {
        "subject"
    } else if field.contains(".access") {
        "access"
    } else if field.starts_with("websites") || field.starts_with("apps") {
        "websites"
    } else {
        "confirm"
    }
}

struct Rendered<'a> {
    step: &'static str,
    notice: Option<(String, bool)>,
    errors: Vec<FieldMsg>,
    upload_error: Option<(String, String, String)>,
    /// The form as posted, shown again when it was refused (nothing saved).
    posted: Option<&'a Value>,
}

async fn render_step(
    s: &AppState,
    p: &PageCtx,
    v: OrderView,
    r: Rendered<'_>,
    status: StatusCode,
) -> Response {
    let lang = p.lang;
    let findings = match s.app.order_findings(&p.ctx, v.id).await {
        Ok(f) => f,
        Err(e) => return app_error(p, e),
    };
    let view = match r.posted {
        Some(posted) => posted.clone(),
        None => serde_json::to_value(&v.order).unwrap_or_default(),
    };
    let step = r.step;
    // A refused post shows what was typed: the stored order's findings would not match it.
    let beside: &[Finding] = if r.posted.is_some() { &[] } else { &findings };
    let mut groups = build_groups(step, &view, beside, &v.review_findings, lang);
    if step == "access" {
        groups.extend(fact_groups(&view, &v.domain_facts, lang));
    }
    for e in &r.errors {
        if let Some(f) = groups.iter_mut().flat_map(|g| g.fields.iter_mut()).find(|f| f.name == e.field) {
            f.notes.insert(0, Note { class: "error", message: e.message.clone(), suggestion: String::new() });
        }
    }
    let shown: Vec<String> = groups.iter().flat_map(|g| g.fields.iter().map(|f| f.name.clone())).collect();
    let on_step = |field: &str| {
        shown
            .iter()
            .any(|n| field == n || field.starts_with(&format!("{n}.")) || field.starts_with(&format!("{n}[")))
    };
    let others = finding_lines(lang, &findings)
        .into_iter()
        .filter(|f| step == "confirm" || (step_of(&f.field) == step && !on_step(&f.field)))
        .map(|f| {
            let at = step_of(&f.field);
            (f, at)
        })
        .collect();
    let mut uploads = Vec::new();
    if matches!(step, "documents" | "verification" | "confirm") {
        let slots = match s.app.document_checklist(&p.ctx, v.id).await {
            Ok(x) => x,
            Err(e) => return app_error(p, e),
        };
        for slot in slots {
            let face = slot.kind == "face_photo";
            if (step == "documents" && face) || (step == "verification" && !face) {
                continue;
            }
            let field_id = id_of(&format!("{}-{}", slot.kind, slot.path));
            uploads.push(UploadSlot {
                label: doc_label(lang, &slot.kind, &slot.path),
                capture: if face { "user" } else { "environment" },
                uploaded: slot
                    .uploaded
                    .iter()
                    .map(|d| (d.id, d.content_type.starts_with("image/")))
                    .collect(),
                portrait: slot.portrait,
                face: super::face_note(lang, &slot),
                error: r
                    .upload_error
                    .as_ref()
                    .filter(|(k, pth, _)| *k == slot.kind && *pth == slot.path)
                    .map(|(_, _, m)| m.clone()),
                field_id,
                kind: slot.kind,
                path: slot.path,
            });
        }
    }
    let missing_docs = uploads.iter().any(|u| u.uploaded.is_empty());
    let idx = STEPS.iter().position(|x| *x == step).unwrap_or(0);
    let done_upto = idx;
    let page = WizardPage {
        c: Chrome::new(p, "wz.title"),
        id: v.id,
        version: v.version,
        kind_key: kind_key(v.order.kind),
        state_key: format!("state.{}", v.state.name()),
        step,
        steps: STEPS
            .iter()
            .enumerate()
            .map(|(i, st)| (*st, format!("wz.step.{st}"), i < done_upto))
            .collect(),
        next: STEPS.get(idx + 1).copied(),
        prev: idx.checked_sub(1).and_then(|i| STEPS.get(i)).copied(),
        notice: r.notice.as_ref().map(|n| n.0.clone()),
        notice_ok: r.notice.as_ref().is_some_and(|n| n.1),
        errors: r.errors.into_iter().filter(|e| !shown.contains(&e.field)).collect(),
        can_add_site: step == "websites",
        groups,
        others,
        reasons: v.review_findings.clone(),
        uploads,
        max_upload: s.app.config().max_upload_bytes,
        submittable: !(beian_core::rules::has_errors(&findings) || (step == "confirm" && missing_docs)),
    };
    render(&page, status)
}

fn parse_step(step: &str) -> Option<&'static str> {
    STEPS.iter().find(|s| **s == step).copied()
}

fn not_found(p: &PageCtx) -> Response {
    error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")
}

pub(super) async fn edit(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path((id, step)): Path<(String, String)>,
) -> Response {
    if p.ctx.principal.is_none() {
        return to_login(&p.path);
    }
    let (Ok(id), Some(step)) = (id.parse::<Uuid>(), parse_step(&step)) else { return not_found(&p) };
    let v = match s.app.get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    if !v.state.is_editable() {
        return Redirect::to(&format!("/app/orders/{id}")).into_response();
    }
    let resumed = p.path.contains("resumed=1");
    let notice = resumed.then(|| (Msgs::of(p.lang).get("wz.resumed").to_owned(), true));
    let r = Rendered { step, notice, errors: Vec::new(), upload_error: None, posted: None };
    render_step(&s, &p, v, r, StatusCode::OK).await
}

fn is_htmx(h: &HeaderMap) -> bool {
    h.get("hx-request").is_some()
}

/// Saves a form step. With htmx (a field changed), the step comes back with the engine's
/// findings beside the fields; otherwise the next step follows, unless a field on this step
/// is in error.
pub(super) async fn save(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let Some(step) = parse_step(&step).filter(|st| FORM_STEPS.contains(st)) else { return not_found(&p) };
    if !p.token_ok(posted(&f, "csrf_token")) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    let Some(version) = posted(&f, "version").and_then(|v| v.parse::<i64>().ok()) else {
        return not_found(&p);
    };
    let htmx = is_htmx(&headers);
    let action = posted(&f, "action").unwrap_or("next");
    let (mut view, mut saved, mut refused) =
        match save_step(&s, &p, id, step, &f, action, Some(version)).await {
            Ok(x) => x,
            Err(r) => return *r,
        };
    if matches!(saved, Err(AppError::PreconditionFailed { .. })) {
        // Saves as the applicant types overtake each other (a change, or "next", while the
        // previous save is in flight carries the old version): the step's fields as posted
        // win, once. Only this step's fields are written; the JSON API keeps strict If-Match.
        (view, saved, refused) = match save_step(&s, &p, id, step, &f, action, None).await {
            Ok(x) => x,
            Err(r) => return *r,
        };
    }
    match saved {
        // Saved, except fields that could not be read: the page comes back with those as
        // typed and why, everything else kept.
        Ok(v) if !refused.is_empty() => {
            let errors = field_messages(p.lang, &AppError::Validation(refused));
            let notice = Some((Msgs::of(p.lang).get("wz.partly_saved").to_owned(), false));
            let r = Rendered { step, notice, errors, upload_error: None, posted: Some(&view) };
            render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Ok(v) => {
            if htmx {
                let notice = Some((Msgs::of(p.lang).get("wz.saved").to_owned(), true));
                let r = Rendered { step, notice, errors: Vec::new(), upload_error: None, posted: None };
                return render_step(&s, &p, v, r, StatusCode::OK).await;
            }
            if action != "next" {
                return Redirect::to(&format!("/app/orders/{id}/edit/{step}")).into_response();
            }
            let findings = s.app.order_findings(&p.ctx, id).await.unwrap_or_default();
            let shape = Shape::of(&serde_json::to_value(&v.order).unwrap_or_default());
            let fields: Vec<String> = step_specs(step, &shape)
                .into_iter()
                .flat_map(|(_, _, specs)| specs.into_iter().map(|s| s.path))
                .collect();
            let blocking = findings.iter().any(|fi| {
                fi.severity == beian_core::policy::Severity::Error
                    && fields.iter().any(|n| {
                        fi.field == *n
                            || fi.field.starts_with(&format!("{n}."))
                            || fi.field.starts_with(&format!("{n}["))
                    })
            });
            if blocking {
                let notice = Some((Msgs::of(p.lang).get("wz.fix_first").to_owned(), false));
                let r = Rendered { step, notice, errors: Vec::new(), upload_error: None, posted: None };
                return render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            let next = STEPS[STEPS.iter().position(|x| *x == step).unwrap_or(0) + 1];
            Redirect::to(&format!("/app/orders/{id}/edit/{next}")).into_response()
        }
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            // Nothing was saved: the page comes back with what was typed and why.
            let current = match s.app.get_order(&p.ctx, id, false).await {
                Ok(c) => c,
                Err(e) => return app_error(&p, e),
            };
            let stale = matches!(e, AppError::PreconditionFailed { .. });
            let errors = field_messages(p.lang, &e);
            let on_fields = !stale && errors.iter().all(|m| m.field.contains('.'));
            let notice = Some((
                if on_fields {
                    Msgs::of(p.lang).get("wz.fix_first").to_owned()
                } else {
                    refusal_message(p.lang, &e)
                },
                false,
            ));
            let posted = (!stale).then_some(&view);
            let r = Rendered { step, notice, errors, upload_error: None, posted };
            render_step(&s, &p, current, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&p, e),
    }
}

/// What saving a step gave: the view as posted (to show again), the save's result, and the
/// fields that were not taken (saved without them).
type StepSave = (Value, Result<OrderView, AppError>, Vec<FieldError>);

/// Applies a step's post to the order as it is now and saves it (`version` `None`: whatever the
/// current version is), every field that can be read even when others cannot.
async fn save_step(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    step: &'static str,
    f: &Pairs,
    action: &str,
    version: Option<i64>,
) -> Result<StepSave, Box<Response>> {
    let v = match s.app.get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return Err(Box::new(app_error(p, e))),
    };
    let mut view = match serde_json::to_value(&v.order) {
        Ok(x) => x,
        Err(e) => return Err(Box::new(app_error(p, AppError::Internal(e.into())))),
    };
    let mut refused = Refused::default();
    let result = apply(step, &mut view, f).and_then(|r| {
        refused = r;
        change_services(&mut view, action);
        // The form only offers values the model takes; the error's text could echo what was
        // typed, so it is not shown.
        serde_json::from_value::<Order>(view.clone()).map_err(|_| {
            AppError::field(
                "body",
                "FORM_INVALID",
                "表单无法读取，请刷新页面后重试。",
                "The form cannot be read; reload the page and try again.",
            )
        })
    });
    let facts = if step == "access" { apply_facts(f, &v.domain_facts) } else { Ok(v.domain_facts.clone()) };
    let saved = match result.and_then(|order| facts.map(|facts| (order, facts))) {
        Ok((order, domain_facts)) => {
            let input = OrderInput {
                subject_id: v.subject_id,
                kind: None,
                websites: order.websites,
                apps: order.apps,
                target_numbers: order.target_numbers,
                remark: order.remark,
                domain_facts,
            };
            s.app.save_draft(&p.ctx, id, Some(version.unwrap_or(v.version)), order.subject, input).await
        }
        Err(e) => Err(e),
    };
    for (path, typed) in refused.typed {
        set(&mut view, &path, typed);
    }
    for (path, at, row) in refused.rows {
        insert_row(&mut view, &path, at, row);
    }
    Ok((view, saved, refused.errors))
}

/// The start page: what decides the order kind.
#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    c: Chrome,
    provinces: Vec<Opt>,
    natures: Vec<Opt>,
    cert_kinds: Vec<Opt>,
    services: Vec<Opt>,
    values: Vec<(String, String)>,
    errors: Vec<FieldMsg>,
}

impl StartPage {
    fn value(&self, name: &str) -> &str {
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }
}

fn start_page(
    p: &PageCtx,
    values: Vec<(String, String)>,
    errors: Vec<FieldMsg>,
    status: StatusCode,
) -> Response {
    let lang = p.lang;
    let chosen =
        |name: &str| values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let opts = |list: Vec<(String, String)>, name: &str| {
        let c = chosen(name);
        list.into_iter().map(|(value, label)| Opt { selected: value == c, value, label }).collect()
    };
    let provinces = beian_core::province::provinces()
        .iter()
        .map(|pr| (pr.code.to_string(), if lang == Lang::En { pr.name_en } else { pr.name }.to_owned()))
        .collect();
    let page = StartPage {
        c: Chrome::new(p, "wz.start.title"),
        provinces: opts(provinces, "province"),
        natures: opts(options(Input::Nature, lang), "nature"),
        cert_kinds: opts(options(Input::CertKind { personal: false }, lang), "cert_kind"),
        services: opts(
            ["website", "app"]
                .iter()
                .map(|k| ((*k).to_owned(), Msgs::of(lang).get(&format!("wz.start.service.{k}")).to_owned()))
                .collect(),
            "service",
        ),
        values,
        errors,
    };
    render(&page, status)
}

pub(super) async fn start_form(axum::Extension(p): axum::Extension<PageCtx>) -> Response {
    if p.ctx.principal.is_none() {
        return to_login(&p.path);
    }
    start_page(&p, vec![("province".into(), "33".into())], Vec::new(), StatusCode::OK)
}

pub(super) async fn start(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    if !p.token_ok(posted(&f, "csrf_token")) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let text = |k: &str| posted(&f, k).map(str::trim).unwrap_or_default().to_owned();
    let values: Vec<(String, String)> =
        ["province", "service", "nature", "cert_kind", "cert_number", "name", "domain", "existing_number"]
            .iter()
            .map(|k| ((*k).to_owned(), text(k)))
            .collect();
    let parsed = (|| {
        let province = beian_core::province::ProvinceCode::parse(&text("province")).ok_or_else(|| {
            AppError::field("province", "CHOICE_INVALID", "请选择省份。", "Choose a province.")
        })?;
        let nature: SubjectNature = serde_json::from_value(Value::String(text("nature"))).map_err(|_| {
            AppError::field("nature", "CHOICE_INVALID", "请选择主办单位性质。", "Choose the subject type.")
        })?;
        let kind: CertificateKind =
            serde_json::from_value(Value::String(text("cert_kind"))).map_err(|_| {
                AppError::field(
                    "cert_kind",
                    "CHOICE_INVALID",
                    "请选择证件类型。",
                    "Choose the certificate type.",
                )
            })?;
        if text("name").is_empty() {
            return Err(AppError::field(
                "name",
                "NAME_MISSING",
                "请填写主办单位名称。",
                "Enter the subject's name.",
            ));
        }
        Ok(FilingStart {
            province,
            nature,
            certificate: Certificate { kind, number: text("cert_number") },
            name: text("name"),
            domain: text("domain"),
            app: text("service") == "app",
            existing_number: Some(text("existing_number")).filter(|n| !n.is_empty()),
        })
    })();
    let result = match parsed {
        Ok(start) => s.app.start_filing(&p.ctx, start).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(started) => {
            let q = if started.resumed { "?resumed=1" } else { "" };
            Redirect::to(&format!("/app/orders/{}/edit/subject{q}", started.order_id)).into_response()
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            // The subject's certificate is checked as the subject's: name it as the form does.
            let errors = field_messages(p.lang, &e)
                .into_iter()
                .map(|mut m| {
                    m.field = match m.field.as_str() {
                        "subject.certificate.number" => "cert_number".into(),
                        "subject.name" => "name".into(),
                        _ => m.field,
                    };
                    m
                })
                .collect();
            start_page(&p, values, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => app_error(&p, e),
    }
}

/// An upload from the documents or identity step (a plain form post, or the page's script
/// with progress). The step comes back with the result beside the document.
pub(super) async fn upload(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    let t = Msgs::of(p.lang);
    let (mut kind, mut path, mut csrf, mut file, mut declared) =
        (String::new(), String::new(), String::new(), None::<Vec<u8>>, None);
    let mut failure: Option<String> = None;
    match mp {
        Ok(mut mp) => loop {
            match mp.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_owned();
                    if name == "file" {
                        // The form sends its token before the file (it comes first in the
                        // form), so a forged post is refused before its body is read.
                        if !p.token_ok(Some(&csrf)) {
                            // The rest of the body stays unread: the connection cannot carry
                            // another request, and the client must be told so.
                            let mut r = error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
                            r.headers_mut().insert(
                                axum::http::header::CONNECTION,
                                axum::http::HeaderValue::from_static("close"),
                            );
                            return r;
                        }
                        declared = field.content_type().map(str::to_owned);
                        match field.bytes().await {
                            Ok(b) => file = Some(b.to_vec()),
                            Err(_) => {
                                failure = Some(t.get("wz.upload.too_large").to_owned());
                                break;
                            }
                        }
                    } else {
                        let text = field.text().await.unwrap_or_default();
                        match name.as_str() {
                            "kind" => kind = text,
                            "subject_path" => path = text,
                            "csrf_token" => csrf = text,
                            _ => {}
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    failure = Some(t.get("wz.upload.too_large").to_owned());
                    break;
                }
            }
        },
        Err(_) => failure = Some(t.get("wz.upload.unreadable").to_owned()),
    }
    if p.csrf.is_none() || (failure.is_none() && !p.token_ok(Some(&csrf))) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let step = if kind == "face_photo" { "verification" } else { "documents" };
    let result = match (failure, file) {
        (Some(m), _) => Err(m),
        (None, None) => Err(t.get("wz.upload.no_file").to_owned()),
        (None, Some(bytes)) if bytes.is_empty() => Err(t.get("wz.upload.no_file").to_owned()),
        (None, Some(bytes)) => s
            .app
            .upload_document(
                &p.ctx,
                id,
                beian_app::documents::Upload {
                    kind: kind.clone(),
                    subject_path: path.clone(),
                    declared_type: declared,
                    bytes,
                },
            )
            .await
            .map_err(|e| match e {
                AppError::PayloadTooLarge { .. } => t.get("wz.upload.too_large").to_owned(),
                e => refusal_message(p.lang, &e),
            }),
    };
    let v = match s.app.get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    match result {
        Ok(_) => {
            let notice = Some((t.get("wz.upload.done").to_owned(), true));
            let r = Rendered { step, notice, errors: Vec::new(), upload_error: None, posted: None };
            render_step(&s, &p, v, r, StatusCode::OK).await
        }
        Err(m) => {
            let r = Rendered {
                step,
                notice: Some((m.clone(), false)),
                errors: Vec::new(),
                upload_error: Some((kind, path, m)),
                posted: None,
            };
            render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A document's bytes for the applicant's preview (every view is audited by the app).
pub(super) async fn document(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
) -> Response {
    if p.ctx.principal.is_none() {
        return to_login(&p.path);
    }
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    match s.app.view_document(&p.ctx, id).await {
        Ok((d, bytes)) => crate::headers::document(d.id, &d.content_type, bytes),
        Err(e) => app_error(&p, e),
    }
}

/// Submits the order from the confirmation step.
pub(super) async fn submit(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    if !p.token_ok(posted(&f, "csrf_token")) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let Ok(id) = id.parse::<Uuid>() else { return not_found(&p) };
    let version = posted(&f, "version").and_then(|v| v.parse().ok());
    match s.app.submit_order(&p.ctx, id, version).await {
        Ok(_) => Redirect::to(&format!("/app/orders/{id}")).into_response(),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            let v = match s.app.get_order(&p.ctx, id, false).await {
                Ok(v) => v,
                Err(e) => return app_error(&p, e),
            };
            let r = Rendered {
                step: "confirm",
                notice: Some((refusal_message(p.lang, &e), false)),
                errors: Vec::new(),
                upload_error: None,
                posted: None,
            };
            render_step(&s, &p, v, r, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(&p, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_write_the_order_json() {
        let mut v = serde_json::json!({ "websites": [{ "head": { "name": "a" } }], "subject": {} });
        assert_eq!(text_of(get(&v, "websites[0].head.name")), "a");
        set(&mut v, "websites[0].head.name", Value::String("b".into()));
        set(&mut v, "websites[0].head.office_phone", Value::String("1".into()));
        set(&mut v, "subject.head.name", Value::String("c".into()));
        // An index past the end is ignored, never a panic.
        set(&mut v, "websites[5].name", Value::String("x".into()));
        assert_eq!(v["websites"][0]["head"]["name"], "b");
        assert_eq!(v["websites"][0]["head"]["office_phone"], "1");
        assert_eq!(v["subject"]["head"]["name"], "c");
        assert_eq!(v["websites"].as_array().unwrap().len(), 1);
        assert_eq!(id_of("websites[0].head.name"), "websites-0--head-name");
    }

    #[test]
    fn every_field_path_of_every_step_exists_in_an_order() {
        let ex: Value =
            serde_json::from_str(include_str!("../../../../docs/examples/first-filing-company.json"))
                .unwrap();
        let order = &ex["order"];
        for step in FORM_STEPS {
            for (_, _, specs) in step_specs(step, &Shape { site_pre: vec![1; 3], app_rows: Vec::new() }) {
                for s in specs {
                    // Optional fields, checkboxes and the blank rows that add a row are not
                    // in every order.
                    if s.optional
                        || s.path.ends_with(".same")
                        || s.input == Input::Check
                        || s.path.contains("pre_approvals[")
                    {
                        continue;
                    }
                    assert!(get(order, &s.path).is_some(), "{step}: {}", s.path);
                }
            }
        }
    }

    #[test]
    fn findings_land_beside_their_fields_and_nowhere_else() {
        let f = |field: &str| beian_app::ReviewFinding {
            field: field.into(),
            error: "x".into(),
            suggestion: String::new(),
        };
        let reasons = [f("websites[0].domains[1]"), f("websites[10].name")];
        assert_eq!(notes_for("websites[0].domains", &[], &reasons, Lang::Zh).len(), 1);
        assert_eq!(notes_for("websites[1].name", &[], &reasons, Lang::Zh).len(), 0);
        assert_eq!(notes_for("websites[1]", &[], &reasons, Lang::Zh).len(), 0);
        assert_eq!(step_of("subject.head.mobile"), "persons");
        assert_eq!(step_of("websites[1].access.ips[0]"), "access");
        assert_eq!(step_of("websites[1].name"), "websites");
    }
}
