//! The form schema: which fields each step shows (as the order's JSON paths), with their labels,
//! input kinds, choices and the rows of lists (platforms, pre-approvals). Data about the form,
//! not the order: nothing here reads or writes a draft.

use super::*;

/// One choice of a select or a checkbox group.
pub(in crate::ui) struct Opt {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// A message beside a field: a rule finding (error, warning, review) or the reviewer's reason.
pub(in crate::ui) struct Note {
    pub(super) class: &'static str,
    pub(super) message: String,
    pub(super) suggestion: String,
}

/// One control of a step.
pub(in crate::ui) struct Field {
    pub(super) name: String,
    pub(super) id: String,
    pub(super) label: String,
    /// text, email, tel, date, lines, select, multi, check, valid_until
    pub(super) input: &'static str,
    pub(super) value: String,
    pub(super) options: Vec<Opt>,
    pub(super) checked: bool,
    pub(super) hint: Option<String>,
    pub(super) notes: Vec<Note>,
    /// Shown but not editable: what a change order cannot change.
    pub(super) fixed: bool,
}

impl Field {
    pub(super) fn invalid(&self) -> bool {
        self.notes.iter().any(|n| n.class == "error" || n.class == "reviewer")
    }
}

/// A fieldset of a step.
pub(in crate::ui) struct Group {
    pub(super) legend: String,
    pub(super) fields: Vec<Field>,
    /// The action of its remove button (`remove_website:1`, `remove_app:0`).
    pub(super) remove: Option<String>,
}

/// What a control is, before it is filled from the order.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Input {
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
pub(super) struct Rows {
    pub(super) field: &'static str,
    /// The row's choice; a row with data must have it.
    pub(super) choice: &'static str,
    pub(super) others: &'static [&'static str],
    pub(super) max: usize,
    /// The catalogue key of the error a row without its choice gets.
    pub(super) missing: &'static str,
}

pub(super) const PLATFORMS: Rows = Rows {
    field: "platforms",
    choice: "platform",
    others: &["package_id", "signature_hash", "public_key"],
    max: 3,
    missing: "problem.choice_invalid.platform",
};

pub(super) const PRE_APPROVALS: Rows = Rows {
    field: "pre_approvals",
    choice: "kind",
    others: &["number"],
    max: 4,
    missing: "problem.choice_invalid.pre_approval",
};

/// How many websites and apps the order has, and how many rows of each kind each shows.
pub(super) struct Shape {
    /// Per website: its pre-approval rows.
    pub(super) site_pre: Vec<usize>,
    /// Per app: its platform rows and its pre-approval rows.
    pub(super) app_rows: Vec<(usize, usize)>,
}

impl Shape {
    pub(super) fn of(view: &Value) -> Shape {
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
    pub(super) fn lists(&self) -> [(&'static str, &'static Rows, Vec<usize>); 3] {
        [
            ("websites", &PRE_APPROVALS, self.site_pre.clone()),
            ("apps", &PLATFORMS, self.app_rows.iter().map(|r| r.0).collect()),
            ("apps", &PRE_APPROVALS, self.app_rows.iter().map(|r| r.1).collect()),
        ]
    }
}

/// What a website and an app both have: domains, service content, languages.
pub(super) fn content_specs(p: &str, domains_hint: &'static str, out: &mut Vec<Spec>) {
    out.push(Spec {
        hint_key: Some(domains_hint),
        ..spec(format!("{p}.domains"), "wz.site.domains", Input::Lines)
    });
    out.push(spec(format!("{p}.service_content"), "wz.site.content", Input::Multi(Choices::ServiceContent)));
    out.push(spec(format!("{p}.languages"), "wz.site.languages", Input::Multi(Choices::Languages)));
}

/// A service's head: "the subject head" or a person of its own.
pub(super) fn head_specs(p: &str) -> Vec<Spec> {
    let mut head = vec![spec(format!("{p}.head.same"), "wz.site.same_head", Input::Check)];
    person_specs(&format!("{p}.head"), &mut head);
    head
}

/// The pre-approval rows of the service at `p`.
pub(super) fn pre_approval_specs(p: &str, rows: usize, out: &mut Vec<Spec>) {
    for j in 0..rows {
        let q = format!("{p}.pre_approvals[{j}]");
        out.push(Spec {
            hint_key: (j == 0).then_some("wz.pre.hint"),
            ..spec(format!("{q}.kind"), "wz.pre.kind", Input::PreApproval)
        });
        out.push(spec(format!("{q}.number"), "wz.pre.number", Input::Text("text")));
    }
}

pub(super) struct Spec {
    pub(super) path: String,
    pub(super) label_key: &'static str,
    pub(super) input: Input,
    pub(super) optional: bool,
    pub(super) hint_key: Option<&'static str>,
}

pub(super) fn spec(path: String, label_key: &'static str, input: Input) -> Spec {
    Spec { path, label_key, input, optional: false, hint_key: None }
}

pub(super) fn person_specs(prefix: &str, out: &mut Vec<Spec>) {
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
pub(super) enum Choices {
    ServiceContent,
    Languages,
}

impl Choices {
    pub(super) fn list(self) -> &'static [String] {
        match self {
            Choices::ServiceContent => &form_choices().service_content,
            Choices::Languages => &form_choices().languages,
        }
    }
}

/// The controls of a form step, grouped, for an order of `shape`; each group with the action
/// of its remove button (a website or an app beyond the first service).
pub(super) fn step_specs(step: &str, shape: &Shape) -> Vec<(String, Option<String>, Vec<Spec>)> {
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

pub(super) fn enum_key<T: serde::Serialize>(x: T) -> String {
    serde_json::to_value(x).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub(super) fn options(input: Input, lang: Lang) -> Vec<(String, String)> {
    let t = Msgs::of(lang);
    match input {
        Input::Nature => SubjectNature::ALL.iter().map(|n| (enum_key(n), n.label(lang).to_owned())).collect(),
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
