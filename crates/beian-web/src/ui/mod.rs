//! The web pages: server-rendered HTML (askama templates compiled into the binary), htmx and
//! one small script as embedded assets, nothing from a CDN. Chinese by default, English by a
//! remembered switch; every string comes from the message catalogues ([`i18n`]).
//!
//! Pages use the same session cookie as the JSON API and the same `App` calls, so a page
//! cannot do what the API would refuse. Every state-changing form carries the session's CSRF
//! token (htmx sends it as a header), checked here once for every post before any handler
//! runs; cross-site unsafe requests are refused by their
//! `Origin`/`Sec-Fetch-Site`, and every page is sent with a Content-Security-Policy that
//! allows no inline script. This module must never render a value unescaped or put PII in a
//! URL.

mod account;
mod admin;
mod applicant;
mod cancel;
mod change;
pub mod i18n;
mod psb;
mod queue;
mod review;
mod subjects;
mod wizard;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use beian_app::{AppError, Ctx};
use beian_core::message::Lang;
use uuid::Uuid;

use crate::AppState;
use crate::middleware::{cookie, session_cookie};
use i18n::Msgs;

/// The cookie that remembers the language.
pub const LANG_COOKIE: &str = "beian_lang";
/// The sign-in form's double-submit token (there is no session yet to hold one).
const LOGIN_COOKIE: &str = "beian_login";

/// The page routes.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/signup", get(account::signup_page).post(account::signup))
        .route("/forgot", get(account::forgot_page).post(account::forgot))
        .route("/reset-password", get(account::reset_page).post(account::reset))
        .route("/lang/{lang}", get(account::switch_lang))
        .route("/app", get(applicant::home))
        .route("/app/recipients", post(applicant::add_recipient))
        .route("/app/recipients/{id}/delete", post(applicant::delete_recipient))
        .route("/app/orders/{id}", get(applicant::order_page))
        .route("/app/subjects/{id}", get(subjects::page))
        .route("/app/subjects/{id}/new", post(subjects::start))
        .route("/app/subjects/{id}/cancel", get(cancel::page).post(cancel::create))
        .route("/app/subjects/{id}/change", get(change::page).post(change::create))
        .route("/app/new", get(wizard::start_form).post(wizard::start))
        .route("/app/orders/{id}/edit/{step}", get(wizard::edit).post(wizard::save))
        .route(
            "/app/orders/{id}/documents",
            post(wizard::upload).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/app/orders/{id}/submit", post(wizard::submit))
        .route("/app/documents/{id}", get(wizard::document))
        .route("/app/psb/{id}", get(psb::page).post(psb::save))
        .route("/app/psb/{id}/statement", post(psb::accept_statement))
        .route("/app/psb/{id}/submit", post(psb::submit))
        .route("/admin", get(admin::dashboard))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{id}", post(admin::update_user))
        .route("/admin/profile", get(admin::profile).post(admin::save_profile))
        .route("/admin/pools", get(admin::pools).post(admin::add_pool))
        .route("/admin/pools/{id}/delete", post(admin::delete_pool))
        .route("/admin/pools/{id}/usage", post(admin::pool_usage))
        .route("/admin/pools/sources", post(admin::add_source))
        .route("/admin/pools/sources/{id}/delete", post(admin::delete_source))
        .route("/admin/ip-filing/{what}/{id}/{action}", post(admin::filing_step))
        .route("/admin/unfiled", get(admin::unfiled))
        .route("/admin/unfiled/{id}/handle", post(admin::handle_case))
        .route("/admin/unfiled/block", post(admin::block))
        .route("/admin/unfiled/unblock/{domain}", post(admin::unblock))
        .route("/admin/verifications", get(admin::verifications))
        .route("/admin/verifications/{id}/check", post(admin::check))
        .route("/admin/verifications/{id}/answer", post(admin::answer))
        .route("/admin/verifications/{id}/acknowledge", post(admin::acknowledge))
        .route("/admin/service-numbers", get(admin::service_numbers).post(admin::add_service_number))
        .route("/admin/templates", get(admin::templates).post(admin::add_template))
        .route("/admin/templates/{id}/delete", post(admin::delete_template))
        .route("/admin/policy", get(admin::policy))
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/webhooks", get(admin::webhooks).post(admin::add_webhook))
        .route("/admin/webhooks/{id}/{action}", post(admin::webhook_step))
        .route("/admin/webhooks/deliveries/{id}/retry", post(admin::retry_delivery))
        .route("/admin/jobs", get(admin::jobs))
        .route("/admin/jobs/{id}/retry", post(admin::retry_job))
        .route("/admin/jobs/retry-deliveries", post(admin::retry_deliveries))
        .route("/admin/calendar", get(admin::calendar).post(admin::put_calendar_year))
        .route("/admin/calendar/{year}/delete", post(admin::delete_calendar_year))
        .route("/admin/audit", get(admin::audit))
        .route("/review", get(queue::queue))
        .route("/review/batch", post(queue::batch))
        .route("/review/orders/{id}", get(review::order))
        .route("/review/orders/{id}/claim", post(review::claim))
        .route("/review/orders/{id}/reveal", post(review::reveal))
        .route("/review/orders/{id}/verification", post(review::verification))
        .route("/review/orders/{id}/approve", post(review::approve))
        .route("/review/orders/{id}/reject", post(review::reject))
        .route("/review/orders/{id}/release", post(review::release))
        .route("/review/orders/{id}/request-materials", post(review::request_materials))
        .route("/review/orders/{id}/materials-received", post(review::materials_received))
        .route(
            "/assets/app.css",
            get(|| async { asset(include_bytes!("../../assets/ui/app.css"), "text/css") }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset(include_bytes!("../../assets/ui/app.js"), "text/javascript") }),
        )
        .route(
            "/assets/htmx-4.0.1.min.js",
            get(|| async { asset(include_bytes!("../../assets/ui/htmx-4.0.1.min.js"), "text/javascript") }),
        )
        .layer(axum::middleware::from_fn_with_state(state, page_session))
}

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The file names carry their version (htmx) or change with a release; a day is safe.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}

/// Who is asking, in which language, with which CSRF token: put into every page request.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub ctx: Ctx,
    pub csrf: Option<String>,
    /// Seconds until the session ends, for the timeout warning.
    pub session_left: Option<i64>,
    pub lang: Lang,
    /// The request's path and query, for the language switch to come back to.
    pub path: String,
}

impl PageCtx {
    /// Whether a form carried this session's CSRF token (never true without a session). The page
    /// layer checks every other post; only the document upload, whose token is inside its
    /// multipart stream, asks this itself.
    pub fn token_ok(&self, sent: Option<&str>) -> bool {
        matches!((self.csrf.as_deref(), sent), (Some(c), Some(t)) if beian_app::crypto::same_secret(t, c))
    }
}

/// Whether an unsafe request comes from this site: a cross-site `Sec-Fetch-Site`, or an
/// `Origin` whose host differs from `Host`, is refused. Requests without either header (old
/// browsers, scripts) still need the CSRF token.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
        _ => true,
    }
}

async fn page_session(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let headers = req.headers();
    let lang = match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    };
    if !matches!(*req.method(), Method::GET | Method::HEAD) && !same_origin(headers) {
        return error_page(lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let mut ctx = Ctx { principal: None, ip, request_id: None };
    let (mut csrf, mut session_left) = (None, None);
    if let Some(token) = session_cookie(headers) {
        match s.app.auth().session_with_expiry(&token).await {
            Ok(Some((p, c, ends))) => {
                ctx.principal = Some(p);
                csrf = Some(c);
                session_left = Some((ends - s.app.now_us()) / 1_000_000);
            }
            Ok(None) => {}
            Err(_) => return error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal"),
        }
    }
    // The form token, checked once here for every post a session makes; the handlers never
    // see a forged one.
    if !matches!(*req.method(), Method::GET | Method::HEAD)
        && let Some(expected) = csrf.as_deref()
        && !checks_own_token(req.uri().path())
    {
        let (sent, passed) = match sent_token(req).await {
            Ok(read) => read,
            Err(status) => return error_page(lang, status, "error.too_large"),
        };
        if !sent.is_some_and(|t| beian_app::crypto::same_secret(&t, expected)) {
            return error_page(lang, StatusCode::FORBIDDEN, "error.forbidden");
        }
        req = passed;
    }
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    req.extensions_mut().insert(PageCtx { ctx, csrf, session_left, lang, path });
    next.run(req).await
}

/// A page form's body is read whole to find its token; no form of these pages comes near this.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// Posts that check a token of their own: the account forms (a double-submit cookie, since there
/// may be no session yet), signing out (never refused: a page left open past its token must
/// still sign out) and a document upload, whose token comes first in its multipart stream and
/// is checked there before the file is read.
fn checks_own_token(path: &str) -> bool {
    matches!(path, "/login" | "/signup" | "/forgot" | "/reset-password" | "/logout")
        || (path.starts_with("/app/orders/") && path.ends_with("/documents"))
}

/// The form token an unsafe request sent: its `X-CSRF-Token` header (htmx sends one), or the
/// `csrf_token` field of a url-encoded form, whose body is read here and handed on unchanged.
async fn sent_token(req: Request) -> Result<(Option<String>, Request), StatusCode> {
    if let Some(token) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        let token = token.to_owned();
        return Ok((Some(token), req));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
    let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf_token").map(|(_, v)| v.into_owned());
    Ok((token, Request::from_parts(parts, axum::body::Body::from(bytes))))
}

/// What the layout needs: language, user, CSRF token, the way back for the language switch.
#[derive(Debug)]
pub struct Chrome {
    pub t: &'static beian_core::message::Catalogue,
    pub lang_tag: &'static str,
    pub other_lang: &'static str,
    pub other_lang_tag: &'static str,
    pub title: String,
    pub user: Option<String>,
    /// A reviewer or admin: the review console is in the menu.
    pub staff: bool,
    /// An admin: the admin pages are in the menu.
    pub admin: bool,
    pub csrf: Option<String>,
    pub back: String,
    /// Seconds until the session ends: the page warns a few minutes before.
    pub session_left: Option<i64>,
}

impl Chrome {
    fn new(p: &PageCtx, title_key: &str) -> Chrome {
        let t = Msgs::of(p.lang);
        let (lang_tag, other_lang, other_lang_tag) =
            if p.lang == Lang::En { ("en", "zh", "zh-CN") } else { ("zh-CN", "en", "en") };
        Chrome {
            t,
            lang_tag,
            other_lang,
            other_lang_tag,
            title: t.get(title_key).to_owned(),
            user: p.ctx.principal.as_ref().map(|u| u.display_name.clone()),
            staff: p.ctx.principal.as_ref().is_some_and(|u| u.role.is_staff()),
            admin: p.ctx.principal.as_ref().is_some_and(|u| u.role == beian_app::Role::Admin),
            csrf: p.csrf.clone(),
            back: p.path.clone(),
            session_left: p.session_left,
        }
    }
}

fn render<T: Template>(t: &T, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = (status, html).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!("template error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    message_key: &'static str,
}

fn error_page(lang: Lang, status: StatusCode, message_key: &'static str) -> Response {
    let p = PageCtx { ctx: Ctx::default(), csrf: None, session_left: None, lang, path: "/app".into() };
    render(&ErrorPage { c: Chrome::new(&p, "error.title"), message_key }, status)
}

/// An `App` error as a page: not signed in → the sign-in page; not found → 404.
fn app_error(p: &PageCtx, e: AppError) -> Response {
    match e {
        AppError::Unauthenticated => to_login(&p.path),
        AppError::NotFound | AppError::Forbidden => {
            error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")
        }
        e => {
            tracing::error!("page error: {e}");
            error_page(p.lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    }
}

/// A page's session when someone is signed in; anyone else is sent to the sign-in page, which
/// brings them back here. One check for every page that needs an account, instead of one per
/// handler.
pub(crate) struct SignedIn(pub PageCtx);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Response> {
        match parts.extensions.get::<PageCtx>() {
            Some(p) if p.ctx.principal.is_some() => Ok(SignedIn(p.clone())),
            Some(p) => Err(to_login(&p.path)),
            None => Err(to_login(parts.uri.path())),
        }
    }
}

fn to_login(back: &str) -> Response {
    let q: String = url_encode(back);
    Redirect::to(&format!("/login?back={q}")).into_response()
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local path to return to: only `/…`, never `//host` or a scheme (no open redirect).
fn local_path(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_owned(),
        _ => "/app".to_owned(),
    }
}

async fn index(axum::Extension(p): axum::Extension<PageCtx>) -> Response {
    let to = match p.ctx.principal.as_ref().map(|x| x.role) {
        None => "/login",
        Some(beian_app::Role::Reviewer | beian_app::Role::Admin) => "/review",
        Some(_) => "/app",
    };
    Redirect::to(to).into_response()
}

fn cookie_attrs(s: &AppState) -> &'static str {
    if s.secure_cookies {
        "; HttpOnly; SameSite=Lax; Path=/; Secure"
    } else {
        "; HttpOnly; SameSite=Lax; Path=/"
    }
}

/// What a form post sends: repeated keys (checkboxes) kept as pairs, in order.
pub(super) type Pairs = Vec<(String, String)>;

/// The first value posted under `k`, as sent.
pub(super) fn posted<'a>(f: &'a Pairs, k: &str) -> Option<&'a str> {
    f.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

/// A problem with one field (or the form, when `field` is empty), in the page's language.
#[derive(Debug, Clone)]
pub struct FieldMsg {
    pub field: String,
    pub message: String,
}

fn field_messages(lang: Lang, e: &AppError) -> Vec<FieldMsg> {
    match e {
        AppError::Validation(list) => list
            .iter()
            .map(|f| FieldMsg {
                field: f.field.clone(),
                message: if lang == Lang::En { f.message_en.clone() } else { f.message_zh.clone() },
            })
            .collect(),
        AppError::Conflict { text, .. } => {
            vec![FieldMsg { field: String::new(), message: text.render(lang) }]
        }
        _ => Vec::new(),
    }
}

/// A rule finding as the pages list it, in the page's language.
pub(super) struct FindingLine {
    pub(super) severity: &'static str,
    pub(super) severity_key: String,
    pub(super) field: String,
    pub(super) message: String,
    pub(super) suggestion: String,
}

fn finding_lines(lang: Lang, findings: &[beian_core::rules::Finding]) -> Vec<FindingLine> {
    findings
        .iter()
        .map(|f| {
            let severity = match f.severity {
                beian_core::policy::Severity::Error => "error",
                beian_core::policy::Severity::Warning => "warning",
                beian_core::policy::Severity::Review => "review",
            };
            FindingLine {
                severity,
                severity_key: format!("rv.severity.{severity}"),
                field: f.field.clone(),
                message: f.message.get(lang).to_owned(),
                suggestion: f.suggestion.get(lang).to_owned(),
            }
        })
        .collect()
}

/// Why a step on a page was refused, in one line of the page's language.
fn refusal_message(lang: Lang, e: &AppError) -> String {
    match e {
        AppError::PreconditionFailed { .. } => Msgs::of(lang).get("review.stale").to_owned(),
        other => field_messages(lang, other)
            .into_iter()
            .map(|m| if m.field.is_empty() { m.message } else { format!("{}: {}", m.field, m.message) })
            .collect::<Vec<_>>()
            .join("；"),
    }
}

/// A timestamp as `<time datetime>` wants it and as people read it (China time).
#[derive(Debug, Clone)]
pub struct Stamp {
    pub iso: String,
    pub short: String,
}

impl Stamp {
    fn of(rfc3339: &str) -> Stamp {
        let short = rfc3339.get(..16).map_or_else(|| rfc3339.to_owned(), |s| s.replace('T', " "));
        Stamp { iso: rfc3339.to_owned(), short }
    }
}

/// A filed website or app with its latest footer scan, as the review and subject pages list it.
pub(super) struct FiledLine {
    number: String,
    domains: String,
    /// `ok`, `bad` or `unknown`.
    footer: &'static str,
    footer_key: &'static str,
}

fn filed_lines(filed: Vec<beian_core::rules::FiledService>) -> Vec<FiledLine> {
    filed
        .into_iter()
        .map(|f| {
            let (footer, footer_key) = match (f.reachable, f.footer_ok) {
                (Some(false), _) => ("bad", "rv.filed.unreachable"),
                (_, Some(true)) => ("ok", "rv.filed.footer_ok"),
                (_, Some(false)) => ("bad", "rv.filed.footer_bad"),
                _ => ("unknown", "rv.filed.not_scanned"),
            };
            FiledLine { number: f.number, domains: f.domains.join(", "), footer, footer_key }
        })
        .collect()
}

/// A province's name in the page's language (the code itself when unknown).
/// What a due date says when it reaches a year with no holiday data on file.
fn calendar_note(p: &PageCtx, year: i32) -> String {
    i18n::Msgs::of(p.lang).get("calendar.unknown_year").replace("{year}", &year.to_string())
}

fn province_name(lang: Lang, code: &str) -> String {
    beian_core::province::ProvinceCode::parse(code).map_or_else(
        || code.to_owned(),
        |c| {
            let p = c.province();
            if lang == Lang::En { p.name_en } else { p.name }.to_owned()
        },
    )
}

/// What to say beside a person's face photo about the automatic face check: a CSS class and
/// the text, or nothing when there is no automatic check (manual verification) or no photo.
fn face_note(lang: Lang, slot: &beian_app::drafts::DocumentSlot) -> Option<(&'static str, String)> {
    use beian_app::verify::FaceState;
    let t = Msgs::of(lang);
    let fill = |key: &str| {
        let c = slot.face_check.as_ref()?;
        Some(
            t.get(key)
                .replace("{verifier}", &c.verifier)
                .replace("{score}", &c.score.map_or_else(|| "—".to_owned(), |s| s.to_string()))
                .replace("{reason}", c.reason.as_deref().unwrap_or("—")),
        )
    };
    match slot.face? {
        FaceState::Checking => Some(("face-checking", t.get("face.checking").to_owned())),
        FaceState::Passed => Some(("face-passed", fill("face.passed")?)),
        FaceState::Failed => Some(("face-failed", fill("face.failed")?)),
        FaceState::Missing | FaceState::Uploaded => None,
    }
}

fn kind_key(kind: beian_core::model::OrderKind) -> String {
    let name =
        serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    format!("kind.{name}")
}

/// Why a page request stops early: the status and the message key of its error page.
type Refusal = (StatusCode, &'static str);

/// A filed subject's overview, for the pages that change or cancel its filing; otherwise the
/// page that says why not (`not_filed`, a message key) or what went wrong.
async fn filed_overview(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    not_filed: &'static str,
) -> Result<beian_app::subjects::SubjectOverview, Response> {
    let o = s.app.subjects().subject_overview(&p.ctx, id).await.map_err(|e| app_error(p, e))?;
    if o.subject.filed_number.is_none() {
        return Err(error_page(p.lang, StatusCode::CONFLICT, not_filed));
    }
    Ok(o)
}

/// A form page's status: refused (422) when it shows errors.
fn form_status(errors: &[FieldMsg]) -> StatusCode {
    if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

/// The `{id}` of a page's path as a UUID; anything else answers the not-found page in the
/// page's language before the handler runs.
pub(in crate::ui) struct PathId(pub(in crate::ui) Uuid);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Response> {
        let lang = parts.extensions.get::<PageCtx>().map_or(Lang::Zh, |p| p.lang);
        let not_found = || error_page(lang, StatusCode::NOT_FOUND, "error.not_found");
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await.map_err(|_| not_found())?;
        id.parse().map(PathId).map_err(|_| not_found())
    }
}

fn uuid_or_404(id: &str) -> Result<Uuid, Refusal> {
    id.parse().map_err(|_| (StatusCode::NOT_FOUND, "error.not_found"))
}

/// A recipient path in words, in the page's language.
fn label(lang: Lang, path: &str) -> String {
    // Whose document: the subject itself or a service, not only a person.
    let service =
        |prefix: &str| path.strip_prefix(prefix)?.strip_suffix(']')?.parse::<usize>().ok().map(|i| i + 1);
    if path == "subject" {
        Msgs::fill(lang, "owner.subject", &[])
    } else if let Some(n) = service("websites[") {
        Msgs::fill(lang, "owner.website", &[("n", n.to_string())])
    } else if let Some(n) = service("apps[") {
        Msgs::fill(lang, "owner.app", &[("n", n.to_string())])
    } else {
        beian_app::seam::notices::recipient_label(path, lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_owners_are_named_in_words() {
        assert_eq!(label(Lang::Zh, "subject"), "主办单位");
        assert_eq!(label(Lang::En, "websites[1]"), "website 2");
        assert_eq!(label(Lang::Zh, "apps[0]"), "APP1");
        assert_eq!(label(Lang::Zh, "websites[0].head"), "网站1负责人");
        assert_eq!(label(Lang::En, "subject.head"), "head of the subject");
    }

    #[test]
    fn every_state_kind_actor_and_psb_state_has_a_message() {
        for lang in [Lang::Zh, Lang::En] {
            let t = Msgs::of(lang);
            let mut keys: Vec<String> = applicant::STAGES.iter().map(|s| format!("state.{s}")).collect();
            keys.extend(["returned", "awaiting_mail", "withdrawn"].map(|s| format!("state.{s}")));
            keys.extend(keys.clone().iter().map(|k| k.replace("state.", "next.")));
            for kind in beian_core::model::OrderKind::ALL {
                keys.push(kind_key(kind));
            }
            keys.extend(
                ["applicant", "reviewer", "admin", "regulator", "system"].map(|a| format!("actor.{a}")),
            );
            keys.extend(
                ["draft", "submitted", "psb_review", "approved", "rejected"]
                    .map(|s| format!("psb.state.{s}")),
            );
            keys.extend(beian_app::documents::DOCUMENT_KINDS.iter().map(|k| format!("doc.{k}")));
            keys.extend(
                beian_core::footer::SnippetFormat::ALL
                    .iter()
                    .filter(|f| **f != beian_core::footer::SnippetFormat::Html)
                    .map(|f| format!("snippet.{}", serde_json::to_value(f).unwrap().as_str().unwrap())),
            );
            for k in keys {
                assert_ne!(t.get(&k), k, "{lang:?}: {k}");
            }
        }
    }

    #[test]
    fn only_local_paths_are_followed_back() {
        assert_eq!(local_path(Some("/app/orders/1?x=2")), "/app/orders/1?x=2");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "app"] {
            assert_eq!(local_path(Some(bad)), "/app", "{bad}");
        }
        assert_eq!(local_path(None), "/app");
    }

    #[test]
    fn cross_site_unsafe_requests_are_told_apart() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert!(same_origin(&h(&[("host", "a.example"), ("origin", "https://a.example")])));
        assert!(!same_origin(&h(&[("host", "a.example"), ("origin", "https://evil.example")])));
        assert!(!same_origin(&h(&[("sec-fetch-site", "cross-site")])));
        assert!(same_origin(&h(&[("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&h(&[])));
    }
}
