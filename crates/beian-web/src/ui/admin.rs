//! The provider administrator's pages: users and roles, the provider profile, IP pools,
//! service numbers and quotas, rejection templates, the policy data in force (provincial
//! values, word lists, the rule catalogue — each with its source and date), the SMS/e-mail
//! outbox, dead-letter jobs with retry, and the audit log with filters and CSV export.
//!
//! Every page is one generic layout (`admin.html`): sections of tables and small forms, so a
//! new admin view is data, not a template. Every step is an `App` call, which checks the admin
//! role itself; this module never decides who may do what.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::{AppError, Role};
use beian_core::message::Lang;
use beian_core::policy::PolicySet;
use serde::Deserialize;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, PageCtx, Pairs, app_error, error_page, posted, refusal_message, render, to_login, url_encode,
};
use crate::AppState;

/// The admin pages, in menu order: (path segment, title key).
pub(super) const TABS: [(&str, &str); 10] = [
    ("", "admin.dashboard"),
    ("users", "admin.users"),
    ("profile", "admin.profile"),
    ("pools", "admin.pools"),
    ("service-numbers", "admin.service_numbers"),
    ("templates", "admin.templates"),
    ("policy", "admin.policy"),
    ("outbox", "admin.outbox"),
    ("jobs", "admin.jobs"),
    ("audit", "admin.audit"),
];

pub(super) struct Cell {
    text: String,
    href: Option<String>,
    mono: bool,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell { text: text.into(), href: None, mono: false }
}

fn mono(text: impl Into<String>) -> Cell {
    Cell { text: text.into(), href: None, mono: true }
}

/// A small POST form in a table row (delete, retry, save).
pub(super) struct RowAction {
    action: String,
    label: String,
    fields: Vec<Input>,
}

pub(super) struct Row {
    cells: Vec<Cell>,
    actions: Vec<RowAction>,
}

pub(super) struct Table {
    headers: Vec<String>,
    rows: Vec<Row>,
}

impl Table {
    fn has_actions(&self) -> bool {
        self.rows.iter().any(|r| !r.actions.is_empty())
    }
}

pub(super) struct Input {
    name: String,
    label: String,
    /// text, number, select, checkbox, hidden
    kind: &'static str,
    value: String,
    options: Vec<(String, String)>,
    checked: bool,
    id: String,
}

pub(super) struct FormSpec {
    action: String,
    method: &'static str,
    fields: Vec<Input>,
    submit: String,
    id: String,
}

pub(super) struct Section {
    title: String,
    note: Option<String>,
    /// Links shown under the title (an export, another view).
    links: Vec<(String, String)>,
    table: Option<Table>,
    forms: Vec<FormSpec>,
    /// Server-rendered SVG (the dashboard's charts); generated here from numbers only.
    svg: Option<String>,
}

impl Section {
    pub(super) fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            note: None,
            links: Vec::new(),
            table: None,
            forms: Vec::new(),
            svg: None,
        }
    }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    tab: &'static str,
    tabs: Vec<(&'static str, &'static str)>,
    notice: Option<(String, bool)>,
    sections: Vec<Section>,
}

static FIELD_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn input(name: &str, label: &str, kind: &'static str, value: impl Into<String>) -> Input {
    // Ids only need to be unique within the page.
    let n = FIELD_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Input {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        value: value.into(),
        options: Vec::new(),
        checked: false,
        id: format!("f-{name}-{n}"),
    }
}

/// A row's button that posts to `action` with nothing but the token (delete, run again).
fn button(action: String, label: String) -> RowAction {
    RowAction { action, label, fields: Vec::new() }
}

/// The "add" form under a table.
fn add_form(p: &PageCtx, action: &str, id: &str, fields: Vec<Input>) -> FormSpec {
    FormSpec { action: action.into(), method: "post", fields, submit: t(p, "admin.add"), id: id.into() }
}

fn select(name: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Input {
    Input { options, ..input(name, label, "select", value) }
}

pub(super) fn page(
    p: &PageCtx,
    tab: &'static str,
    notice: Option<(String, bool)>,
    sections: Vec<Section>,
) -> Response {
    let title = TABS.iter().find(|(t, _)| *t == tab).map_or("admin.title", |(_, k)| k);
    let refused = matches!(notice, Some((_, false)));
    let page = AdminPage { c: Chrome::new(p, title), tab, tabs: TABS.to_vec(), notice, sections };
    let mut r = render(&page, StatusCode::OK);
    if refused {
        // Shown once: the flash cookie goes with this page.
        r.headers_mut().insert(
            axum::http::header::SET_COOKIE,
            axum::http::HeaderValue::from_static(
                "beian_admin_flash=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict",
            ),
        );
    }
    r
}

/// Nothing for a signed-in admin; otherwise the sign-in page or not found.
pub(super) fn unless_admin(p: &PageCtx) -> Option<Response> {
    match p.ctx.principal.as_ref() {
        None => Some(to_login(&p.path)),
        Some(u) if u.role == Role::Admin => None,
        Some(_) => Some(error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")),
    }
}

fn one<'a>(f: &'a Pairs, k: &str) -> &'a str {
    posted(f, k).map_or("", str::trim)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Notice {
    #[serde(default)]
    done: String,
}

fn done_notice(p: &PageCtx, n: &Notice) -> Option<(String, bool)> {
    (!n.done.is_empty()).then(|| (Msgs::of(p.lang).get("admin.done").to_owned(), true))
}

/// A POST from an admin page: token checked, the step taken, back to `tab` (with the reason
/// when refused).
async fn step<Fut, T>(p: &PageCtx, f: &Pairs, tab: &'static str, take: Fut) -> Response
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    if !p.token_ok(Some(one(f, "csrf_token"))) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    match take.await {
        Ok(_) => Redirect::to(&format!("/admin/{tab}?done=1")).into_response(),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            // The reason travels in a short-lived cookie, not the URL: a link cannot put words
            // on an admin page.
            let msg = refusal_message(p.lang, &e);
            let mut r = Redirect::to(&format!("/admin/{tab}")).into_response();
            let cookie =
                format!("{FLASH}={}; Path=/admin; Max-Age=60; HttpOnly; SameSite=Strict", url_encode(&msg));
            if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(axum::http::header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => app_error(p, e),
    }
}

/// The cookie that carries a refusal from a POST to the page it redirects to.
const FLASH: &str = "beian_admin_flash";

#[derive(Debug, Default, Deserialize)]
pub(super) struct Outcome {
    #[serde(default)]
    done: String,
}

impl Outcome {
    /// "Saved" after a step, or the refusal the step left in the flash cookie.
    fn notice(&self, p: &PageCtx, h: &HeaderMap) -> Option<(String, bool)> {
        match crate::middleware::cookie(h, FLASH).and_then(percent_decode) {
            Some(msg) => Some((msg.chars().take(300).collect(), false)),
            None => done_notice(p, &Notice { done: self.done.clone() }),
        }
    }
}

/// Undoes [`url_encode`]; `None` for anything malformed.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn t(p: &PageCtx, key: &str) -> String {
    Msgs::of(p.lang).get(key).to_owned()
}

fn role_options(p: &PageCtx) -> Vec<(String, String)> {
    ["applicant", "reviewer", "admin"].iter().map(|r| ((*r).to_owned(), t(p, &format!("role.{r}")))).collect()
}

pub(super) async fn users(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let list = match s.app.accounts_with_state(&p.ctx, 200).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let rows = list
        .into_iter()
        .map(|(u, disabled)| Row {
            cells: vec![cell(u.display_name.clone()), mono(beian_app::mask_email_public(&u.email))],
            actions: vec![RowAction {
                action: format!("/admin/users/{}", u.id),
                label: t(&p, "admin.save"),
                fields: vec![
                    select("role", &t(&p, "admin.col.role"), u.role.as_str(), role_options(&p)),
                    Input {
                        checked: disabled,
                        ..input("disabled", &t(&p, "admin.col.disabled"), "checkbox", "true")
                    },
                ],
            }],
        })
        .collect();
    let mut sec = Section::new(t(&p, "admin.users"));
    sec.note = Some(t(&p, "admin.users.note"));
    sec.table = Some(Table {
        headers: vec![t(&p, "admin.col.name"), t(&p, "admin.col.email"), t(&p, "admin.col.role")],
        rows,
    });
    page(&p, "users", o.notice(&p, &h), vec![sec])
}

pub(super) async fn update_user(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    let role = match one(&f, "role") {
        "applicant" => Role::Applicant,
        "reviewer" => Role::Reviewer,
        "admin" => Role::Admin,
        _ => return error_page(p.lang, StatusCode::BAD_REQUEST, "error.not_found"),
    };
    let disabled = !one(&f, "disabled").is_empty();
    step(&p, &f, "users", s.app.update_account(&p.ctx, id, role, disabled)).await
}

pub(super) async fn profile(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let view = match s.app.provider_profile(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let pr = view.profile.unwrap_or(beian_app::profile::ProviderProfile {
        name: String::new(),
        region: String::new(),
        phone: String::new(),
        organization_code: String::new(),
        access_method: String::new(),
    });
    let methods = beian_core::psb::access_methods()
        .iter()
        .map(|c| (c.code.clone(), if p.lang == Lang::En { c.en.clone() } else { c.zh.clone() }))
        .collect();
    let mut sec = Section::new(t(&p, "admin.profile"));
    sec.note = Some(t(&p, "admin.profile.note"));
    sec.forms.push(FormSpec {
        action: "/admin/profile".into(),
        method: "post",
        fields: vec![
            input("version", "", "hidden", view.version.to_string()),
            input("name", &t(&p, "admin.profile.name"), "text", pr.name),
            input("region", &t(&p, "admin.profile.region"), "text", pr.region),
            input("phone", &t(&p, "admin.profile.phone"), "text", pr.phone),
            input("organization_code", &t(&p, "admin.profile.org"), "text", pr.organization_code),
            select("access_method", &t(&p, "admin.profile.method"), &pr.access_method, methods),
        ],
        submit: t(&p, "admin.save"),
        id: "profile-form".into(),
    });
    page(&p, "profile", o.notice(&p, &h), vec![sec])
}

pub(super) async fn save_profile(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let profile = beian_app::profile::ProviderProfile {
        name: one(&f, "name").to_owned(),
        region: one(&f, "region").to_owned(),
        phone: one(&f, "phone").to_owned(),
        organization_code: one(&f, "organization_code").to_owned(),
        access_method: one(&f, "access_method").to_owned(),
    };
    let version = one(&f, "version").parse().ok();
    step(&p, &f, "profile", s.app.put_provider_profile(&p.ctx, version, profile)).await
}

pub(super) async fn pools(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let list = match s.app.ip_pools(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let mut sec = Section::new(t(&p, "admin.pools"));
    sec.note = Some(t(&p, "admin.pools.note"));
    sec.table = Some(Table {
        headers: vec![t(&p, "admin.col.cidr"), t(&p, "admin.col.note"), t(&p, "admin.col.created")],
        rows: list
            .into_iter()
            .map(|x| Row {
                cells: vec![mono(x.cidr), cell(x.note), cell(short_time(&x.created_at))],
                actions: vec![button(format!("/admin/pools/{}/delete", x.id), t(&p, "admin.delete"))],
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/pools",
        "pool-form",
        vec![
            input("cidr", &t(&p, "admin.col.cidr"), "text", ""),
            input("note", &t(&p, "admin.col.note"), "text", ""),
        ],
    ));
    page(&p, "pools", o.notice(&p, &h), vec![sec])
}

pub(super) async fn add_pool(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    step(&p, &f, "pools", s.app.add_ip_pool(&p.ctx, one(&f, "cidr"), one(&f, "note"))).await
}

pub(super) async fn delete_pool(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    step(&p, &f, "pools", s.app.delete_ip_pool(&p.ctx, id)).await
}

pub(super) async fn service_numbers(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let list = match s.app.service_numbers(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let mut sec = Section::new(t(&p, "admin.service_numbers"));
    sec.note = Some(t(&p, "admin.service_numbers.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.code"),
            t(&p, "admin.col.instance"),
            t(&p, "admin.col.used"),
            t(&p, "admin.col.quota"),
        ],
        rows: list
            .into_iter()
            .map(|n| Row {
                cells: vec![
                    mono(n.code),
                    mono(n.instance),
                    cell(n.used.to_string()),
                    cell(n.quota.to_string()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/service-numbers",
        "service-number-form",
        vec![
            input("instance", &t(&p, "admin.col.instance"), "text", ""),
            input("quota", &t(&p, "admin.col.quota"), "number", "5"),
        ],
    ));
    page(&p, "service-numbers", o.notice(&p, &h), vec![sec])
}

pub(super) async fn add_service_number(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = beian_app::profile::ServiceNumberInput {
        instance: one(&f, "instance").to_owned(),
        quota: one(&f, "quota").parse().unwrap_or(-1),
    };
    step(&p, &f, "service-numbers", s.app.create_service_number(&p.ctx, input)).await
}

pub(super) async fn templates(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let list = match s.app.templates(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let mut sec = Section::new(t(&p, "admin.templates"));
    sec.note = Some(t(&p, "admin.templates.note"));
    sec.table = Some(Table {
        headers: vec![t(&p, "rv.reason.field"), t(&p, "rv.reason.error"), t(&p, "rv.reason.suggestion")],
        rows: list
            .into_iter()
            .map(|x| Row {
                cells: vec![mono(x.field), cell(x.error), cell(x.suggestion)],
                actions: vec![button(format!("/admin/templates/{}/delete", x.id), t(&p, "admin.delete"))],
            })
            .collect(),
    });
    sec.forms.push(add_form(
        &p,
        "/admin/templates",
        "template-form",
        vec![
            input("field", &t(&p, "rv.reason.field"), "text", ""),
            input("error", &t(&p, "rv.reason.error"), "text", ""),
            input("suggestion", &t(&p, "rv.reason.suggestion"), "text", ""),
        ],
    ));
    page(&p, "templates", o.notice(&p, &h), vec![sec])
}

pub(super) async fn add_template(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = beian_app::profile::TemplateInput {
        field: one(&f, "field").to_owned(),
        error: one(&f, "error").to_owned(),
        suggestion: one(&f, "suggestion").to_owned(),
    };
    step(&p, &f, "templates", s.app.create_template(&p.ctx, input)).await
}

pub(super) async fn delete_template(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    step(&p, &f, "templates", s.app.delete_template(&p.ctx, id)).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PolicyQuery {
    #[serde(default)]
    province: String,
}

/// The policy data in force: one province's values with their sources and date, the word
/// lists, the rule catalogue. Read-only: the data ships with the release.
pub(super) async fn policy(
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<PolicyQuery>,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
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
    page(&p, "policy", None, vec![values, words, rules])
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct OutboxQuery {
    #[serde(default)]
    channel: String,
}

pub(super) async fn outbox(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<OutboxQuery>,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let channel = if q.channel == "sms" { "sms" } else { "email" };
    let list = match s.app.messages(&p.ctx, channel, None).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let mut sec =
        Section::new(format!("{} · {}", t(&p, "admin.outbox"), t(&p, &format!("admin.channel.{channel}"))));
    sec.links = vec![
        ("/admin/outbox?channel=email".into(), t(&p, "admin.channel.email")),
        ("/admin/outbox?channel=sms".into(), t(&p, "admin.channel.sms")),
    ];
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.created"),
            t(&p, "admin.col.recipient"),
            t(&p, "admin.col.subject"),
            t(&p, "admin.col.status"),
        ],
        rows: list
            .into_iter()
            .map(|m| Row {
                cells: vec![
                    cell(short_time(&m.created_at)),
                    mono(m.recipient),
                    cell(if m.subject.is_empty() { m.body.chars().take(80).collect() } else { m.subject }),
                    cell(match m.error {
                        Some(e) => format!("{} · {}", m.status, e.chars().take(120).collect::<String>()),
                        None => m.status,
                    }),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    page(&p, "outbox", None, vec![sec])
}

pub(super) async fn jobs(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let list = match s.app.dead_jobs(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let waiting = match s.app.waiting_deliveries(&p.ctx).await {
        Ok(n) => n,
        Err(e) => return app_error(&p, e),
    };
    let mut deliveries = Section::new(t(&p, "admin.deliveries"));
    deliveries.note = Some(t(&p, "admin.deliveries.note").replace("{n}", &waiting.to_string()));
    deliveries.forms.push(FormSpec {
        action: "/admin/jobs/retry-deliveries".into(),
        method: "post",
        fields: Vec::new(),
        submit: t(&p, "admin.deliveries.retry"),
        id: "retry-deliveries".into(),
    });
    let mut sec = Section::new(t(&p, "admin.jobs"));
    sec.note = Some(t(&p, "admin.jobs.note"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.created"),
            t(&p, "admin.col.kind"),
            t(&p, "admin.col.attempts"),
            t(&p, "admin.col.error"),
        ],
        rows: list
            .into_iter()
            .map(|j| Row {
                cells: vec![
                    cell(short_time(&j.created_at)),
                    mono(j.kind),
                    cell(j.attempts.to_string()),
                    cell(j.last_error.unwrap_or_default().chars().take(200).collect::<String>()),
                ],
                actions: vec![button(format!("/admin/jobs/{}/retry", j.id), t(&p, "admin.retry"))],
            })
            .collect(),
    });
    page(&p, "jobs", o.notice(&p, &h), vec![deliveries, sec])
}

pub(super) async fn retry_deliveries(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    step(&p, &f, "jobs", async { s.app.retry_deliveries_now(&p.ctx).await.map(|_| ()) }).await
}

pub(super) async fn retry_job(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    step(&p, &f, "jobs", s.app.retry_dead_job(&p.ctx, id)).await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    /// The page's cursor: entries older than this one (anything else: the newest page).
    #[serde(default)]
    before: String,
}

/// Audit entries per page.
const AUDIT_ROWS: i64 = 50;

pub(super) async fn audit(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let object = Some((q.object_type.trim().to_owned(), q.object_id.trim().to_owned()))
        .filter(|(ty, id)| !ty.is_empty() && !id.is_empty());
    let list = match s.app.audit_log_newest(&p.ctx, object.clone(), q.before.parse().ok(), AUDIT_ROWS).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let mut sec = Section::new(t(&p, "admin.audit"));
    let csv = match &object {
        Some((ty, id)) => format!(
            "/api/v1/admin/audit?format=csv&object_type={}&object_id={}",
            url_encode(ty),
            url_encode(id)
        ),
        None => "/api/v1/admin/audit?format=csv&limit=1000".into(),
    };
    sec.links = vec![(csv, t(&p, "admin.audit.csv"))];
    if let Some(last) = list.last().filter(|_| list.len() as i64 == AUDIT_ROWS) {
        let older = format!(
            "/admin/audit?object_type={}&object_id={}&before={}",
            url_encode(&q.object_type),
            url_encode(&q.object_id),
            last.id
        );
        sec.links.push((older, t(&p, "home.more")));
    }
    sec.forms.push(FormSpec {
        action: "/admin/audit".into(),
        method: "get",
        fields: vec![
            input("object_type", &t(&p, "admin.col.object_type"), "text", q.object_type.clone()),
            input("object_id", &t(&p, "admin.col.object_id"), "text", q.object_id.clone()),
        ],
        submit: t(&p, "review.filter.apply"),
        id: "audit-filter".into(),
    });
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.at"),
            t(&p, "admin.col.role"),
            t(&p, "admin.col.action"),
            t(&p, "admin.col.object"),
            t(&p, "admin.col.ip"),
        ],
        rows: list
            .into_iter()
            .map(|a| Row {
                cells: vec![
                    cell(short_time(&a.at)),
                    cell(a.actor_role),
                    mono(a.action),
                    Cell {
                        href: Some(format!(
                            "/admin/audit?object_type={}&object_id={}",
                            url_encode(&a.object_type),
                            url_encode(&a.object_id)
                        )),
                        ..mono(format!("{} {}", a.object_type, a.object_id))
                    },
                    mono(a.ip.unwrap_or_default()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    page(&p, "audit", None, vec![sec])
}

fn short_time(rfc3339: &str) -> String {
    super::Stamp::of(rfc3339).short
}

/// A horizontal bar chart as inline SVG: one bar per (label, value), the value printed at the
/// bar's end. Labels are escaped here; numbers are formatted by us. No script, no style
/// attribute (the CSP allows neither inline).
pub(super) fn bar_chart(title: &str, bars: &[(String, f64, String)], color: &str) -> String {
    use beian_core::text::escape_html as esc;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9);
    let (row, label_w, bar_w) = (26.0, 190.0, 300.0);
    let height = row * bars.len().max(1) as f64 + 8.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>{t}</title>",
        t = esc(title),
        w = label_w + bar_w + 90.0,
    );
    for (i, (label, value, shown)) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let len = (value / max * bar_w).max(if *value > 0.0 { 2.0 } else { 0.0 });
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1f2328\">{l}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{len:.1}\" height=\"{h}\" rx=\"3\" fill=\"{color}\"></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"13\" fill=\"#57606a\">{v}</text>",
            lx = label_w - 8.0,
            ty = y + 15.0,
            l = esc(label),
            bx = label_w,
            h = row - 8.0,
            vx = label_w + len + 6.0,
            v = esc(shown),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A line of daily shares (0–100 %) as inline SVG, with the first and last day labelled.
pub(super) fn share_chart(title: &str, days: &[(String, f64)]) -> String {
    use beian_core::text::escape_html as esc;
    let (w, h, pad) = (560.0, 160.0, 30.0);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>{t}</title>\
         <line x1=\"{pad}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#d0d7de\"></line>\
         <text x=\"2\" y=\"{top}\" font-size=\"11\" fill=\"#57606a\">100%</text><text x=\"2\" y=\"{b}\" font-size=\"11\" fill=\"#57606a\">0%</text>",
        t = esc(title),
        b = h - pad,
        r = w - 10.0,
        top = pad - 8.0 + 8.0,
    );
    if !days.is_empty() {
        let step = if days.len() > 1 { (w - pad - 20.0) / (days.len() - 1) as f64 } else { 0.0 };
        let point = |i: usize, v: f64| (pad + step * i as f64, (h - pad) - v / 100.0 * (h - 2.0 * pad));
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, (_, v))| {
                let (x, y) = point(i, *v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        svg.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"2\"></polyline>",
            points.join(" ")
        ));
        for (i, (_, v)) in days.iter().enumerate() {
            let (x, y) = point(i, *v);
            svg.push_str(&format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#1a7f37\"></circle>"));
        }
        let first = &days[0].0;
        let last = &days[days.len() - 1].0;
        svg.push_str(&format!(
            "<text x=\"{pad}\" y=\"{y}\" font-size=\"11\" fill=\"#57606a\">{}</text><text x=\"{r}\" y=\"{y}\" text-anchor=\"end\" font-size=\"11\" fill=\"#57606a\">{}</text>",
            esc(first),
            esc(last),
            y = h - 8.0,
            r = w - 10.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The dashboard: orders by stage, stage times, what returns were about, footer compliance.
pub(super) async fn dashboard(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
) -> Response {
    if let Some(r) = unless_admin(&p) {
        return r;
    }
    let d = match s.app.dashboard(&p.ctx).await {
        Ok(d) => d,
        Err(e) => return app_error(&p, e),
    };
    let state_label = |st: &str| t(&p, &format!("state.{st}"));
    let mut sections = Vec::new();

    let title = t(&p, "admin.dash.by_state");
    let bars: Vec<(String, f64, String)> =
        d.by_state.iter().map(|(st, n)| (state_label(st), *n as f64, n.to_string())).collect();
    let mut sec = Section::new(title.clone());
    sec.svg = Some(bar_chart(&title, &bars, "#0b5cad"));
    sec.table = Some(Table {
        headers: vec![t(&p, "admin.col.state"), t(&p, "admin.col.count")],
        rows: d
            .by_state
            .iter()
            .map(|(st, n)| Row {
                cells: vec![cell(state_label(st)), cell(n.to_string())],
                actions: Vec::new(),
            })
            .collect(),
    });
    sections.push(sec);

    let title = format!("{} ({} {})", t(&p, "admin.dash.stage_times"), d.window_days, t(&p, "review.days"));
    let hours = |h: f64| if h >= 48.0 { format!("{:.1} d", h / 24.0) } else { format!("{h:.1} h") };
    let bars: Vec<(String, f64, String)> = d
        .stage_times
        .iter()
        .map(|st| {
            (
                state_label(&st.state),
                st.p90_hours,
                format!("{} / {}", hours(st.median_hours), hours(st.p90_hours)),
            )
        })
        .collect();
    let mut sec = Section::new(title.clone());
    sec.note = Some(t(&p, "admin.dash.stage_times.note"));
    sec.svg = Some(bar_chart(&title, &bars, "#9a6700"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.state"),
            t(&p, "admin.dash.median"),
            t(&p, "admin.dash.p90"),
            t(&p, "admin.col.count"),
        ],
        rows: d
            .stage_times
            .iter()
            .map(|st| Row {
                cells: vec![
                    cell(state_label(&st.state)),
                    cell(hours(st.median_hours)),
                    cell(hours(st.p90_hours)),
                    cell(st.samples.to_string()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    sections.push(sec);

    let title = t(&p, "admin.dash.returns");
    let bars: Vec<(String, f64, String)> =
        d.return_fields.iter().map(|(f, n)| (f.clone(), *n as f64, n.to_string())).collect();
    let mut sec = Section::new(title.clone());
    if bars.is_empty() {
        sec.note = Some(t(&p, "admin.dash.none"));
    } else {
        sec.svg = Some(bar_chart(&title, &bars, "#cf222e"));
    }
    sections.push(sec);

    let title = t(&p, "admin.dash.compliance");
    let days: Vec<(String, f64)> = d
        .compliance
        .iter()
        .map(|c| (c.day.to_string(), 100.0 * c.compliant as f64 / c.scanned.max(1) as f64))
        .collect();
    let mut sec = Section::new(title.clone());
    if days.is_empty() {
        sec.note = Some(t(&p, "admin.dash.none"));
    } else {
        sec.svg = Some(share_chart(&title, &days));
        sec.note = d.compliance.last().map(|c| format!("{}: {}/{}", c.day, c.compliant, c.scanned));
    }
    sections.push(sec);
    page(&p, "", None, sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flashed_reason_reads_back_as_it_was_and_junk_reads_as_nothing() {
        for text in ["地址段无效：47.96.0.0/33", "a; b=c %", ""] {
            assert_eq!(percent_decode(&url_encode(text)).as_deref(), Some(text));
        }
        assert_eq!(percent_decode("%E4%B8"), None, "cut inside a character");
        assert_eq!(percent_decode("%zz"), None);
    }

    #[test]
    fn charts_escape_their_labels() {
        let svg = bar_chart("<t>", &[("<script>".into(), 1.0, "1".into())], "#000");
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"), "{svg}");
        assert!(share_chart("t", &[]).starts_with("<svg"));
    }
}
