//! Rules on websites and apps as services: names, service content, languages, remarks and
//! pre-approvals (rules.md §2.4, §3.1, §3.3, §3.6). Word lists come from `data/words.toml`.

use std::collections::BTreeSet;

use super::{Cx, arg, bi, han_count, is_han, word};
use crate::id::DomainName;
use crate::model::{OrderKind, Service, SubjectNature};
use crate::number::ServiceKind;

/// Symbols allowed in a service name besides letters, digits and ideographs.
const ALLOWED_SYMBOLS: &[char] = &['(', ')', '（', '）', '-', '－', '·', ' '];

pub(super) fn check(cx: &mut Cx<'_>) {
    let services = cx.paths.services(cx.order);
    for s in &services {
        name(cx, s);
        if carries_service_data(cx.order.kind) {
            content(cx, s);
        }
        pre_approvals(cx, s);
    }
}

/// Order kinds whose services carry full service data (content, language, remark).
fn carries_service_data(kind: OrderKind) -> bool {
    kind.adds_services()
        || matches!(kind, OrderKind::NewAccess | OrderKind::ChangeService | OrderKind::ChangeFiling)
}

fn name(cx: &mut Cx<'_>, s: &Service<'_>) {
    let field = format!("{}.name", s.path);
    let name = s.name.trim();
    if name.is_empty() {
        cx.emit("SERVICE_NAME_MISSING", field, &[]);
        return;
    }
    let website = s.kind == ServiceKind::Website;
    let form = if name.chars().all(|c| c.is_ascii_digit()) {
        Some("arg.digits_only")
    } else if name.contains('.') && DomainName::parse(name).is_ok() {
        Some("arg.a_domain_name")
    } else if website && !name.chars().any(is_han) {
        Some("arg.latin_only")
    } else {
        None
    };
    if let Some(reason) = form {
        cx.emit("SERVICE_NAME_FORM", field.clone(), &[word("reason", reason)]);
    } else if website && han_count(name) < cx.policy.values.site_name_min_han {
        let min = cx.policy.values.site_name_min_han.to_string();
        cx.emit("SERVICE_NAME_TOO_SHORT", field.clone(), &[arg("min", min)]);
    }
    if let Some(sym) = name.chars().find(|c| !(c.is_alphanumeric() || ALLOWED_SYMBOLS.contains(c))) {
        cx.emit("SERVICE_NAME_SYMBOLS", field.clone(), &[arg("symbol", sym.to_string())]);
    }
    let nature = cx.order.subject.nature;
    let words = &cx.set.words;
    let mut hits: Vec<(&'static str, String)> = Vec::new();
    if !matches!(nature, SubjectNature::Government | SubjectNature::Military) {
        if let Some(w) = words.national.find_in(name) {
            hits.push(("SERVICE_NAME_NATIONAL", w.to_owned()));
        }
        if let Some(w) = words.government.find_in(name) {
            hits.push(("SERVICE_NAME_GOVERNMENT", w.to_owned()));
        }
    }
    if let Some(w) = words.sensitive.find_in(name) {
        hits.push(("SERVICE_NAME_SENSITIVE", w.to_owned()));
    }
    if let Some(w) = words.international.find_in(name) {
        hits.push(("SERVICE_NAME_INTERNATIONAL", w.to_owned()));
    }
    if nature.is_individual() {
        if let Some(w) = words.company_forms.find_in(name) {
            hits.push(("SERVICE_NAME_COMPANY_FORM", w.to_owned()));
        } else if let Some(w) = words.individual_forbidden.find_in(name) {
            hits.push(("SERVICE_NAME_INDIVIDUAL", w.to_owned()));
        } else if let Some(w) = words.individual_discouraged.find_in(name) {
            hits.push(("SERVICE_NAME_INDIVIDUAL_DISCOURAGED", w.to_owned()));
        }
    }
    for (code, word) in hits {
        cx.emit(code, field.clone(), &[arg("word", word)]);
    }
    let mut needs: Vec<(String, String, String, String)> = Vec::new();
    for (key, kind) in &words.pre_approval_kinds {
        if s.pre_approvals.iter().any(|p| &p.kind == key) {
            continue;
        }
        if let Some(word) = kind.keywords.iter().find(|k| name.contains(k.as_str())) {
            needs.push((word.clone(), kind.name.clone(), key.replace('_', " "), kind.document.clone()));
        }
    }
    for (word, kind_zh, kind_en, document) in needs {
        cx.emit(
            "SERVICE_NAME_PRE_APPROVAL",
            field.clone(),
            &[arg("word", word), bi("kind", kind_zh, kind_en), arg("document", document)],
        );
    }
    if !nature.is_individual()
        && let Some(org) = other_organisation(name, &cx.order.subject.name, &words.company_forms.words)
    {
        let subject = cx.order.subject.name.trim().to_owned();
        cx.emit("SERVICE_NAME_OTHER_ORG", field.clone(), &[arg("org", org), arg("subject", subject)]);
        return;
    }
    if website && !nature.is_individual() && !related(name, &cx.order.subject.name) {
        cx.emit("SERVICE_NAME_UNRELATED", field, &[]);
    }
}

/// An organisation a service name names (the ideographs before a form word such as 有限公司 or
/// 集团) that is not the subject: the run shares fewer than four consecutive ideographs (or
/// all of a shorter run) with the subject's name.
fn other_organisation(name: &str, subject: &str, forms: &[String]) -> Option<String> {
    let (at, form) = forms
        .iter()
        .filter_map(|f| name.find(f.as_str()).map(|i| (i, f)))
        .min_by_key(|(i, f)| (*i, usize::MAX - f.len()))?;
    let before: Vec<char> = name[..at].chars().collect();
    let start = before.iter().rposition(|c| !(is_han(*c) || "（）()".contains(*c))).map_or(0, |i| i + 1);
    let core: Vec<char> = before[start..].iter().copied().filter(|c| is_han(*c)).collect();
    if core.len() < 2 {
        return None;
    }
    let subject: Vec<char> = subject.chars().filter(|c| is_han(*c)).collect();
    let shared = longest_common_run(&core, &subject);
    (shared < core.len().min(4)).then(|| format!("{}{form}", before[start..].iter().collect::<String>()))
}

/// Length of the longest run of characters both slices contain.
fn longest_common_run(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut row = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                row[j + 1] = prev[j] + 1;
                best = best.max(row[j + 1]);
            }
        }
        prev = row;
    }
    best
}

/// Whether a site name shares a two-ideograph run with the unit's name (a full or short name).
fn related(site: &str, unit: &str) -> bool {
    let chars: Vec<char> = site.chars().filter(|c| is_han(*c)).collect();
    if chars.len() < 2 {
        return true;
    }
    chars.windows(2).any(|w| unit.contains(&w.iter().collect::<String>()))
}

fn content(cx: &mut Cx<'_>, s: &Service<'_>) {
    let individual = cx.order.subject.nature.is_individual();
    let field = format!("{}.service_content", s.path);
    if s.service_content.iter().all(|c| c.trim().is_empty()) {
        cx.emit("SERVICE_CONTENT_MISSING", field.clone(), &[]);
    }
    let max = cx.policy.values.max_service_content_items;
    if s.service_content.len() > max {
        cx.emit("SERVICE_CONTENT_TOO_MANY", field.clone(), &[arg("max", max.to_string())]);
    }
    text_mentions(cx, s, individual);
    if individual {
        let allowed = &cx.set.words.service_content.individual_allowed;
        if let Some((i, item)) = s.service_content.iter().enumerate().find(|(_, c)| !allowed.contains(c)) {
            let allowed = allowed.join("”“");
            cx.emit(
                "SERVICE_CONTENT_INDIVIDUAL",
                format!("{field}[{i}]"),
                &[arg("allowed", allowed), arg("item", item.as_str())],
            );
        }
        let min = cx.policy.values.individual_remark_min_chars;
        if s.remark.is_none_or(|r| r.trim().chars().count() < min) {
            cx.emit("SERVICE_REMARK_REQUIRED", format!("{}.remark", s.path), &[arg("min", min.to_string())]);
        }
    }
    if s.languages.iter().all(|l| l.trim().is_empty()) {
        cx.emit("SERVICE_LANGUAGE_MISSING", format!("{}.languages", s.path), &[]);
    }
}

/// What a service's content items and remark say it offers: content needing a pre-approval
/// not declared (rules.md §1.7, §3.6), and for individuals interactive features (§3.3).
fn text_mentions(cx: &mut Cx<'_>, s: &Service<'_>, individual: bool) {
    let texts: Vec<(String, &str)> = s
        .service_content
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{}.service_content[{i}]", s.path), c.as_str()))
        .chain(s.remark.map(|r| (format!("{}.remark", s.path), r)))
        .collect();
    let words = &cx.set.words;
    let mut findings: Vec<(&'static str, String, Vec<super::Arg<'static>>)> = Vec::new();
    for (key, kind) in &words.pre_approval_kinds {
        // Declared, or already found in the name (one finding per kind is enough).
        if s.pre_approvals.iter().any(|p| &p.kind == key)
            || kind.keywords.iter().any(|k| s.name.contains(k.as_str()))
        {
            continue;
        }
        let hit = texts.iter().find_map(|(field, text)| {
            kind.text_keywords.iter().find(|k| text.contains(k.as_str())).map(|k| (field, k))
        });
        if let Some((field, word)) = hit {
            let args = vec![
                arg("word", word.clone()),
                bi("kind", kind.name.clone(), key.replace('_', " ")),
                arg("document", kind.document.clone()),
            ];
            findings.push(("SERVICE_TEXT_PRE_APPROVAL", field.clone(), args));
        }
    }
    if individual
        && let Some((field, word)) =
            texts.iter().find_map(|(field, text)| words.interactive.find_in(text).map(|w| (field, w)))
    {
        findings.push(("SERVICE_REMARK_INTERACTIVE", field.clone(), vec![arg("word", word.to_owned())]));
    }
    for (code, field, args) in findings {
        cx.emit(code, field, &args);
    }
}

fn pre_approvals(cx: &mut Cx<'_>, s: &Service<'_>) {
    if s.pre_approvals.is_empty() {
        return;
    }
    if cx.order.subject.nature.is_individual() {
        cx.emit("PRE_APPROVAL_INDIVIDUAL", format!("{}.pre_approvals", s.path), &[]);
    }
    let mut seen = BTreeSet::new();
    for (i, p) in s.pre_approvals.iter().enumerate() {
        let field = format!("{}.pre_approvals[{i}]", s.path);
        if !cx.set.words.pre_approval_kinds.contains_key(&p.kind) {
            cx.emit("PRE_APPROVAL_KIND_UNKNOWN", format!("{field}.kind"), &[arg("kind", p.kind.as_str())]);
        }
        if !seen.insert(p.kind.as_str()) {
            cx.emit("PRE_APPROVAL_DUPLICATE", format!("{field}.kind"), &[arg("kind", p.kind.as_str())]);
        }
        if p.number.trim().is_empty() {
            cx.emit(
                "PRE_APPROVAL_NUMBER_MISSING",
                format!("{field}.number"),
                &[arg("kind", p.kind.as_str())],
            );
        }
    }
}
