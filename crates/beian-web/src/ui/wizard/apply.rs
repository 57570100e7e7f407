//! Applies a posted step to the masked view of the order: only the step's fields change, and a
//! field that cannot be read is refused on its own (kept as typed beside its error) while its
//! neighbours are saved.

use super::*;
use beian_app::i18n::Text;

/// The posted registry facts over the stored ones; a date that is not one is refused.
pub(super) fn apply_facts(
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
                        Text::new("problem.date_invalid.apply"),
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
pub(super) fn change_services(view: &mut Value, action: &str) {
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
pub(super) struct Refused {
    pub(super) errors: Vec<FieldError>,
    pub(super) typed: Vec<(String, Value)>,
    /// Rows (a platform, a pre-approval) with data but no choice: the list's path, the row's
    /// index as posted, and the row. They are not saved, and are shown again where they were.
    pub(super) rows: Vec<(String, usize, Value)>,
}

/// Puts a refused row back into the list at `path` (as `apps[0].platforms`) where it was posted.
pub(super) fn insert_row(view: &mut Value, path: &str, at: usize, row: Value) {
    let pointer: String = segments(path).iter().map(|s| format!("/{s}")).collect();
    if let Some(items) = view.pointer_mut(&pointer).and_then(Value::as_array_mut) {
        items.insert(at.min(items.len()), row);
    }
}

/// Applies a step's form to the masked view of the order: only the step's fields change. A
/// field that cannot be read keeps its stored value and is returned as refused, so one bad
/// field never keeps its neighbours from being saved.
pub(super) fn apply(step: &str, view: &mut Value, f: &Pairs) -> Result<Refused, AppError> {
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
                            Text::new("problem.date_invalid.valid_until"),
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
                        let e =
                            FieldError::text(&s.path, "CHOICE_INVALID", Text::new("problem.choice_invalid"));
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
                            Text::new("problem.text_too_long").arg("max", max),
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
                        Text::new(r.missing),
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
