//! The step's field groups as the page shows them: each field with its value, its choices and the
//! notes (engine findings and reviewer reasons) that name it or something below it.

use super::*;

/// The notes of a field: findings on it or below it (`websites[0].domains[1]` belongs to
/// `websites[0].domains`), the reviewer's reasons likewise.
pub(super) fn notes_for(
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

pub(super) fn build_groups(
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
                        fixed: false,
                    }
                })
                .collect();
            Group { legend, fields, remove }
        })
        .collect()
}

/// Every domain of the order's websites and apps, in order, once each.
pub(super) fn order_domains(view: &Value) -> Vec<String> {
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
pub(super) const FACTS: [(&str, &str, &str); 4] = [
    ("registrar", "wz.facts.registrar", "text"),
    ("realname_verified_on", "wz.facts.realname", "date"),
    ("expires_on", "wz.facts.expires", "date"),
    ("holder_name", "wz.facts.holder", "text"),
];

pub(super) fn fact_groups(
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
                fixed: false,
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
                fixed: false,
            }));
            Group { legend: format!("{} · {domain}", t.get("wz.group.facts")), fields, remove: None }
        })
        .collect()
}
