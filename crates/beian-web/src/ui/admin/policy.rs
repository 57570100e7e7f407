//! The policy tab: the provincial values, word lists and rule catalogue in force, each with its
//! source and date.

use super::kit::*;

#[derive(Debug, Default, Deserialize)]
pub(in crate::ui) struct PolicyQuery {
    #[serde(default)]
    province: String,
}

/// The policy data in force: one province's values with their sources and date, the word
/// lists, the rule catalogue. Read-only: the data ships with the release.
pub(in crate::ui) async fn policy(
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<PolicyQuery>,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let set = PolicySet::builtin();
    let code = beian_core::province::ProvinceCode::parse(&q.province)
        .unwrap_or_else(|| beian_core::province::ProvinceCode::parse("33").expect("33 is a province"));
    let provinces = beian_core::province::provinces()
        .iter()
        .map(|pr| (pr.code.to_string(), if p.lang == Lang::En { pr.name_en } else { pr.name }.to_owned()))
        .collect();
    let pol = set.province(code);
    let mut values = Section::new(format!("{} · {}", t(&p, "admin.policy.values"), code.province().name));
    values.note = Some(format!(
        "{}: {} · {}: {}",
        t(&p, "admin.source"),
        pol.sources.join("; "),
        t(&p, "admin.date"),
        pol.date
    ));
    values.forms.push(FormSpec {
        action: "/admin/policy".into(),
        method: "get",
        fields: vec![select("province", &t(&p, "home.col.province"), &code.to_string(), provinces)],
        submit: t(&p, "admin.show"),
        id: "policy-province".into(),
    });
    let map = serde_json::to_value(&pol.values).unwrap_or_default();
    values.table = Some(Table {
        headers: vec![t(&p, "admin.col.key"), t(&p, "admin.col.value")],
        rows: map
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| Row {
                cells: vec![mono(k.clone()), mono(v.as_str().map_or_else(|| v.to_string(), str::to_owned))],
                actions: Vec::new(),
            })
            .collect(),
    });
    let w = &set.words;
    let mut words = Section::new(t(&p, "admin.policy.words"));
    let lists = [
        ("national", &w.national),
        ("sensitive", &w.sensitive),
        ("government", &w.government),
        ("individual_forbidden", &w.individual_forbidden),
        ("individual_discouraged", &w.individual_discouraged),
        ("company_forms", &w.company_forms),
        ("app_marketing", &w.app_marketing),
    ];
    words.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.list"),
            t(&p, "admin.col.words"),
            t(&p, "admin.source"),
            t(&p, "admin.date"),
        ],
        rows: lists
            .iter()
            .map(|(name, l)| Row {
                cells: vec![
                    mono(*name),
                    cell(l.words.join("、")),
                    cell(l.source.clone()),
                    cell(l.date.clone()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    let mut rules = Section::new(t(&p, "admin.policy.rules"));
    rules.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.code"),
            t(&p, "admin.col.severity"),
            t(&p, "admin.col.message"),
            t(&p, "admin.source"),
        ],
        rows: set
            .rules()
            .map(|r| Row {
                cells: vec![
                    mono(r.code.clone()),
                    cell(
                        format!("{:?}", pol.severity.get(&r.code).copied().unwrap_or(r.severity))
                            .to_lowercase(),
                    ),
                    cell(if p.lang == Lang::En { r.en.clone() } else { r.zh.clone() }),
                    cell(r.source.clone()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    Ok(page(&p, "policy", None, vec![values, words, rules]))
}
