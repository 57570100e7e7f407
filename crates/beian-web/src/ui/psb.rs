//! The applicant's PSB application page: the 30-day deadline, the fields the applicant
//! completes (with the PSB rules' findings beside them), what the system filled in, the
//! responsibility statement to accept, submission, and once approved the PSB number with its
//! footer. Values shown masked and sent back unchanged are kept (`Psb::update_psb`).

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use beian_app::psb::PsbView;
use beian_core::message::Lang;
use beian_core::rules::Finding;
use uuid::Uuid;

use super::i18n::Msgs;
use super::{
    Chrome, FindingLine, PageCtx, Pairs, SignedIn, app_error, error_page, finding_lines, posted,
    refusal_message, render,
};
use crate::AppState;
use beian_app::i18n::Text;

pub(super) struct TextField {
    id: &'static str,
    label_key: &'static str,
    kind: &'static str,
    multiline: bool,
    value: String,
    error: Option<String>,
}

pub(super) struct Opt {
    code: String,
    label: String,
    checked: bool,
}

pub(super) struct Group {
    name: &'static str,
    label_key: &'static str,
    kind: &'static str,
    options: Vec<Opt>,
    hint_key: Option<&'static str>,
    error: Option<String>,
}

pub(super) struct Snippet {
    format: String,
    label_key: String,
    text: String,
}

#[derive(Template)]
#[template(path = "psb.html")]
struct PsbPage {
    c: Chrome,
    id: Uuid,
    order_id: Uuid,
    version: i64,
    icp_number: String,
    state: &'static str,
    state_key: String,
    notice: Option<String>,
    notice_ok: bool,
    due: String,
    days: DaysWords,
    overdue: bool,
    psb_number: Option<String>,
    footer: Option<String>,
    /// The footer for site generators: WordPress, Hexo/NexT, Hugo, VitePress.
    snippets: Vec<Snippet>,
    /// The PSB officer's reasons, each with the field it names in words.
    reasons: Vec<(String, beian_app::ReviewFinding)>,
    editable: bool,
    text_fields: Vec<TextField>,
    groups: Vec<Group>,
    access: String,
    responsible: String,
    statement_version: String,
    statement_text: String,
    accepted_at: Option<String>,
    /// Each with the field it names, in words.
    findings: Vec<(FindingLine, String)>,
    /// No finding is an error.
    submittable: bool,
}

/// The form's fields and the application's JSON paths they stand for.
const TEXT_FIELDS: [(&str, &str, &str, &str); 10] = [
    ("website_name", "psb.website_name", "text", "website_name"),
    ("domains", "psb.domains", "textarea", "domains"),
    ("ip", "psb.ip", "text", "ip"),
    ("go_live", "psb.go_live", "date", "go_live"),
    ("filing_area", "psb.filing_area", "text", "filing_area"),
    ("registrar_name", "psb.registrar.name", "text", "registrar"),
    ("registrar_region", "psb.registrar.region", "text", "registrar.region"),
    ("registrar_phone", "psb.registrar.phone", "text", "registrar.phone"),
    ("emergency_name", "psb.emergency.name", "text", "emergency"),
    ("emergency_mobile", "psb.emergency.mobile", "text", "emergency.mobile"),
];

/// A PSB application's field path in words, as the page labels it (`registrar.region` is the
/// registrar's region): the nearest labelled field at or above the path.
fn field_label(lang: Lang, path: &str) -> String {
    const OTHERS: [(&str, &str); 7] = [
        ("service_types", "psb.service_types"),
        ("interactive", "psb.interactive"),
        ("dangerous_goods", "psb.dangerous_goods"),
        ("languages", "psb.languages"),
        ("access", "psb.access"),
        ("responsible", "psb.responsible"),
        ("statement", "psb.statement"),
    ];
    let at_or_below = |name: &str| {
        path.strip_prefix(name).is_some_and(|r| r.is_empty() || r.starts_with('.') || r.starts_with('['))
    };
    let key = TEXT_FIELDS
        .iter()
        .map(|(_, key, _, name)| (*name, *key))
        .chain(OTHERS)
        .filter(|(name, _)| at_or_below(name))
        .max_by_key(|(name, _)| name.len())
        .map_or("psb.title", |(_, key)| key);
    Msgs::of(lang).get(key).to_owned()
}

fn choice_label(lang: Lang, c: &beian_core::psb::Choice) -> String {
    if lang == Lang::En { c.en.clone() } else { c.zh.clone() }
}

/// The first finding whose field is `path` or lies under it, in the page's language.
fn finding_for(findings: &[Finding], lang: Lang, path: &str) -> Option<String> {
    findings
        .iter()
        .find(|f| {
            f.field == path
                || f.field.starts_with(&format!("{path}."))
                || f.field.starts_with(&format!("{path}["))
        })
        .map(|f| if lang == Lang::En { f.message.en.clone() } else { f.message.zh.clone() })
}

async fn render_page(
    s: &AppState,
    p: &PageCtx,
    v: PsbView,
    notice: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let findings = s.app.psb().check_psb_application(&p.ctx, v.id).await.unwrap_or_default();
    let lang = p.lang;
    let a = &v.application;
    let value = |id: &str| -> String {
        match id {
            "website_name" => a.website_name.clone(),
            "domains" => a.domains.join("\n"),
            "ip" => a.ip.clone(),
            "go_live" => a.go_live.to_string(),
            "filing_area" => a.filing_area.clone(),
            "registrar_name" => a.registrar.name.clone(),
            "registrar_region" => a.registrar.region.clone(),
            "registrar_phone" => a.registrar.phone.clone(),
            "emergency_name" => a.emergency.name.clone(),
            _ => a.emergency.mobile.clone(),
        }
    };
    let text_fields = TEXT_FIELDS
        .iter()
        .map(|(id, label_key, kind, path)| TextField {
            id,
            label_key,
            kind,
            multiline: *kind == "textarea",
            value: value(id),
            error: finding_for(&findings, lang, path),
        })
        .collect();
    let group = |name: &'static str,
                 label_key: &'static str,
                 kind: &'static str,
                 choices: &[beian_core::psb::Choice],
                 chosen: &[String],
                 hint_key: Option<&'static str>| Group {
        name,
        label_key,
        kind,
        options: choices
            .iter()
            .map(|c| Opt {
                code: c.code.clone(),
                label: choice_label(lang, c),
                checked: chosen.contains(&c.code),
            })
            .collect(),
        hint_key,
        error: finding_for(&findings, lang, name),
    };
    let yes_no = [
        beian_core::psb::Choice {
            code: "true".into(),
            zh: Msgs::of(Lang::Zh).get("psb.yes").into(),
            en: Msgs::of(Lang::En).get("psb.yes").into(),
            interactive: false,
        },
        beian_core::psb::Choice {
            code: "false".into(),
            zh: Msgs::of(Lang::Zh).get("psb.no").into(),
            en: Msgs::of(Lang::En).get("psb.no").into(),
            interactive: false,
        },
    ];
    let groups = vec![
        group(
            "service_types",
            "psb.service_types",
            "checkbox",
            beian_core::psb::service_types(),
            &a.service_types,
            None,
        ),
        group(
            "interactive",
            "psb.interactive",
            "radio",
            &yes_no,
            &[a.interactive.to_string()],
            Some("psb.interactive.hint"),
        ),
        group(
            "dangerous_goods",
            "psb.dangerous_goods",
            "checkbox",
            beian_core::psb::dangerous_goods(),
            &a.dangerous_goods,
            None,
        ),
        group("languages", "psb.languages", "checkbox", beian_core::psb::languages(), &a.languages, None),
    ];
    let footer = v.footer.as_ref().map(|f| f.html.clone());
    let snippets = v
        .footer
        .iter()
        .flat_map(|f| f.snippets.iter())
        .filter(|(format, _)| format.as_str() != "html")
        .map(|(format, text)| Snippet {
            format: format.clone(),
            label_key: format!("snippet.{format}"),
            text: text.clone(),
        })
        .collect();
    let submittable = !beian_core::rules::has_errors(&findings);
    let page = PsbPage {
        c: Chrome::new(p, "psb.title"),
        id: v.id,
        order_id: v.order_id,
        version: v.version,
        icp_number: v.icp_number.clone(),
        state: v.state.as_str(),
        state_key: format!("psb.state.{}", v.state.as_str()),
        notice: notice.as_ref().map(|n| n.0.clone()),
        notice_ok: notice.as_ref().is_some_and(|n| n.1),
        due: v.deadline.due.to_string(),
        days: DaysWords::of(lang, v.deadline.days_left),
        overdue: v.deadline.overdue,
        psb_number: v.psb_number.clone(),
        footer,
        snippets,
        reasons: v.review_findings.iter().map(|r| (field_label(lang, &r.field), r.clone())).collect(),
        editable: v.state.is_editable(),
        text_fields,
        groups,
        access: format!("{} · {} · {}", a.access.name, a.access.region, a.access.phone),
        responsible: format!("{} · {}", a.responsible.name, a.responsible.mobile),
        statement_version: v.statement.version.clone(),
        statement_text: if lang == Lang::En { v.statement.en.clone() } else { v.statement.zh.clone() },
        accepted_at: a.statement.as_ref().map(|st| {
            let t = st.accepted_at.to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"));
            format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
        }),
        submittable,
        findings: finding_lines(lang, &findings)
            .into_iter()
            .map(|f| {
                let words = field_label(lang, &f.field);
                (f, words)
            })
            .collect(),
    };
    render(&page, status)
}

fn parse_id(p: &PageCtx, id: &str) -> Result<Uuid, Box<Response>> {
    id.parse().map_err(|_| Box::new(error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")))
}

pub(super) async fn page(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&p, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match s.app.psb().get_psb(&p.ctx, id, false).await {
        Ok(v) => render_page(&s, &p, v, None, StatusCode::OK).await,
        Err(e) => app_error(&p, e),
    }
}

fn one(f: &Pairs, k: &str) -> Option<String> {
    posted(f, k).map(|v| v.trim().to_owned())
}

fn all(f: &Pairs, k: &str) -> Vec<String> {
    f.iter().filter(|(key, _)| key == k).map(|(_, v)| v.trim().to_owned()).collect()
}

/// The id and the version every post carries (the page layer has checked its form token); an
/// error page otherwise.
fn guard(p: &PageCtx, f: &Pairs, id: &str) -> Result<(Uuid, i64), Box<Response>> {
    let id = parse_id(p, id)?;
    let version = one(f, "version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Box::new(error_page(p.lang, StatusCode::BAD_REQUEST, "error.not_found")))?;
    Ok((id, version))
}

/// After a step: the page again, with a notice (the reason, when the step was refused).
async fn after(s: &AppState, p: &PageCtx, id: Uuid, result: Result<PsbView, AppError>) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/app/psb/{id}")).into_response(),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            let msg = refusal_message(p.lang, &e);
            match s.app.psb().get_psb(&p.ctx, id, false).await {
                Ok(v) => render_page(s, p, v, Some((msg, false)), StatusCode::UNPROCESSABLE_ENTITY).await,
                Err(e) => app_error(p, e),
            }
        }
        Err(e) => app_error(p, e),
    }
}

/// Saves the form: the applicant's fields over the stored application.
pub(super) async fn save(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let (id, version) = match guard(&p, &f, &id) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let current = match s.app.psb().get_psb(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let mut a = current.application;
    let text = |k: &str| one(&f, k).unwrap_or_default();
    a.website_name = text("website_name");
    a.domains = text("domains").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    a.ip = text("ip");
    match time::Date::parse(&text("go_live"), time::macros::format_description!("[year]-[month]-[day]")) {
        Ok(d) => a.go_live = d,
        Err(_) => {
            // Nothing is saved: the page comes back saying which field is wrong.
            let e = AppError::field("go_live", "DATE_INVALID", Text::new("problem.date_invalid.go_live"));
            return after(&s, &p, id, Err(e)).await;
        }
    }
    a.filing_area = text("filing_area");
    a.registrar.name = text("registrar_name");
    a.registrar.region = text("registrar_region");
    a.registrar.phone = text("registrar_phone");
    a.emergency.name = text("emergency_name");
    a.emergency.mobile = text("emergency_mobile");
    a.service_types = all(&f, "service_types");
    a.interactive = one(&f, "interactive").as_deref() == Some("true");
    a.dangerous_goods = all(&f, "dangerous_goods");
    a.languages = all(&f, "languages");
    let r = s.app.psb().update_psb(&p.ctx, id, Some(version), a).await;
    after(&s, &p, id, r).await
}

/// A step form's common path: id and version checked, the step taken, then [`after`].
async fn step<Fut>(
    s: &AppState,
    p: &PageCtx,
    f: &Pairs,
    id: &str,
    take: impl FnOnce(Uuid, i64) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<PsbView, AppError>>,
{
    match guard(p, f, id) {
        Ok((id, version)) => {
            let result = take(id, version).await;
            after(s, p, id, result).await
        }
        Err(r) => *r,
    }
}

pub(super) async fn accept_statement(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    step(&s, &p, &f, &id, |id, v| s.app.psb().accept_psb_statement(&p.ctx, id, Some(v))).await
}

pub(super) async fn submit(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    step(&s, &p, &f, &id, |id, v| s.app.psb().submit_psb(&p.ctx, id, Some(v))).await
}

/// The days to the PSB deadline in words — "还剩 30 天" / "30 days left", or "已逾期 2 天" /
/// "2 days overdue" — split around the number so a page can mark it up.
#[derive(Debug, Clone)]
pub(super) struct DaysWords {
    pub(super) before: String,
    pub(super) n: i64,
    pub(super) after: String,
}

impl DaysWords {
    pub(super) fn of(lang: Lang, days_left: i64) -> DaysWords {
        let (key, n) = if days_left < 0 {
            ("order.psb.days_overdue", -days_left)
        } else {
            ("order.psb.days_left", days_left)
        };
        let text = Msgs::of(lang).get(key);
        let (before, after) = text.split_once("{n}").unwrap_or((text, ""));
        DaysWords { before: before.to_owned(), n, after: after.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psb_paths_are_named_as_the_page_names_them() {
        let t = Msgs::of(Lang::Zh);
        assert_eq!(field_label(Lang::Zh, "registrar.region"), t.get("psb.registrar.region"));
        assert_eq!(field_label(Lang::Zh, "registrar"), t.get("psb.registrar.name"));
        assert_eq!(field_label(Lang::Zh, "domains[1]"), t.get("psb.domains"));
        assert_eq!(field_label(Lang::Zh, "service_types"), t.get("psb.service_types"));
        assert_eq!(field_label(Lang::Zh, "nothing.known"), t.get("psb.title"));
    }
}
