//! The web pages: server-rendered HTML (askama templates compiled into the binary), htmx and
//! one small script as embedded assets, nothing from a CDN. Chinese by default, English by a
//! remembered switch; every string comes from the message catalogues ([`i18n`]).
//!
//! Pages use the same session cookie as the JSON API and the same `App` calls, so a page
//! cannot do what the API would refuse. Every state-changing form carries the session's CSRF
//! token (htmx sends it as a header), cross-site unsafe requests are refused by their
//! `Origin`/`Sec-Fetch-Site`, and every page is sent with a Content-Security-Policy that
//! allows no inline script. This module must never render a value unescaped or put PII in a
//! URL.

pub mod i18n;
mod psb;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use beian_app::{AppError, Ctx, OrderView};
use beian_core::message::Lang;
use beian_core::workflow::OrderState;
use serde::Deserialize;
use uuid::Uuid;

use crate::middleware::session_cookie;
use crate::{AppState, SESSION_COOKIE};
use i18n::Msgs;

/// The cookie that remembers the language.
pub const LANG_COOKIE: &str = "beian_lang";
/// The sign-in form's double-submit token (there is no session yet to hold one).
const LOGIN_COOKIE: &str = "beian_login";

/// The page routes.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/signup", get(signup_page).post(signup))
        .route("/lang/{lang}", get(switch_lang))
        .route("/app", get(home))
        .route("/app/orders/{id}", get(order_page))
        .route("/app/psb/{id}", get(psb::page).post(psb::save))
        .route("/app/psb/{id}/statement", post(psb::accept_statement))
        .route("/app/psb/{id}/submit", post(psb::submit))
        .route("/review", get(review_queue))
        .route("/review/orders/{id}", get(review_order))
        .route("/review/orders/{id}/claim", post(claim))
        .route("/review/orders/{id}/verification", post(verification))
        .route("/review/orders/{id}/approve", post(approve))
        .route("/review/orders/{id}/reject", post(reject))
        .route("/review/orders/{id}/release", post(release))
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
        .layer(axum::middleware::from_fn(security_headers))
}

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The file names carry their version (htmx) or change with a release; a day is safe.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}

/// Headers every page and asset carries.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}

/// Who is asking, in which language, with which CSRF token: put into every page request.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub ctx: Ctx,
    pub csrf: Option<String>,
    pub lang: Lang,
    /// The request's path and query, for the language switch to come back to.
    pub path: String,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name && !v.is_empty()).then_some(v)
        })
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
    let mut csrf = None;
    if let Some(token) = session_cookie(headers) {
        match s.app.session_principal(&token).await {
            Ok(Some((p, c))) => {
                ctx.principal = Some(p);
                csrf = Some(c);
            }
            Ok(None) => {}
            Err(_) => return error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal"),
        }
    }
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    req.extensions_mut().insert(PageCtx { ctx, csrf, lang, path });
    next.run(req).await
}

/// What the layout needs: language, user, CSRF token, the way back for the language switch.
#[derive(Debug)]
pub struct Chrome {
    pub t: &'static Msgs,
    pub lang_tag: &'static str,
    pub other_lang: &'static str,
    pub other_lang_tag: &'static str,
    pub title: String,
    pub user: Option<String>,
    /// A reviewer or admin: the review console is in the menu.
    pub staff: bool,
    pub csrf: Option<String>,
    pub back: String,
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
            csrf: p.csrf.clone(),
            back: p.path.clone(),
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
    let p = PageCtx { ctx: Ctx::default(), csrf: None, lang, path: "/app".into() };
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
    Redirect::to(if p.ctx.principal.is_some() { "/app" } else { "/login" }).into_response()
}

#[derive(Debug, Deserialize)]
struct BackQuery {
    back: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    form_token: String,
    back: String,
    email: String,
    error: Option<&'static str>,
}

fn cookie_attrs(s: &AppState) -> &'static str {
    if s.secure_cookies {
        "; HttpOnly; SameSite=Lax; Path=/; Secure"
    } else {
        "; HttpOnly; SameSite=Lax; Path=/"
    }
}

fn login_form(
    s: &AppState,
    p: &PageCtx,
    headers: &HeaderMap,
    back: String,
    email: String,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let token = form_token(headers);
    let page = LoginPage { c: Chrome::new(p, "login.title"), form_token: token.clone(), back, email, error };
    with_form_cookie(s, render(&page, status), &token)
}

async fn login_page(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Query(q): Query<BackQuery>,
) -> Response {
    if p.ctx.principal.is_some() {
        return Redirect::to(&local_path(q.back.as_deref())).into_response();
    }
    login_form(&s, &p, &headers, local_path(q.back.as_deref()), String::new(), None, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    back: Option<String>,
}

async fn login(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let back = local_path(f.back.as_deref());
    if cookie(&headers, LOGIN_COOKIE) != Some(f.csrf_token.as_str()) {
        return login_form(&s, &p, &headers, back, f.email, Some("login.expired"), StatusCode::FORBIDDEN);
    }
    match s.app.login(&p.ctx, &f.email, &f.password).await {
        Ok(session) => signed_in(&s, session, &back),
        Err(AppError::InvalidCredentials | AppError::RateLimited { .. } | AppError::Validation(_)) => {
            login_form(&s, &p, &headers, back, f.email, Some("login.failed"), StatusCode::UNAUTHORIZED)
        }
        Err(e) => app_error(&p, e),
    }
}

/// The sign-in form's token: the browser's `beian_login` cookie, or a fresh one.
fn form_token(headers: &HeaderMap) -> String {
    match cookie(headers, LOGIN_COOKIE) {
        Some(t) if t.len() == 43 => t.to_owned(),
        _ => beian_app::crypto::random_token().unwrap_or_default(),
    }
}

fn with_form_cookie(s: &AppState, mut r: Response, token: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{LOGIN_COOKIE}={token}{}", cookie_attrs(s))) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
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
        AppError::Conflict { zh, en, .. } => {
            vec![FieldMsg {
                field: String::new(),
                message: if lang == Lang::En { en.clone() } else { zh.clone() },
            }]
        }
        _ => Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    c: Chrome,
    form_token: String,
    display_name: String,
    email: String,
    errors: Vec<FieldMsg>,
}

impl SignupPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

async fn signup_page(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
) -> Response {
    if p.ctx.principal.is_some() {
        return Redirect::to("/app").into_response();
    }
    let token = form_token(&headers);
    let page = SignupPage {
        c: Chrome::new(&p, "signup.title"),
        form_token: token.clone(),
        display_name: String::new(),
        email: String::new(),
        errors: Vec::new(),
    };
    with_form_cookie(&s, render(&page, StatusCode::OK), &token)
}

#[derive(Debug, Deserialize)]
struct SignupForm {
    display_name: String,
    email: String,
    password: String,
    csrf_token: String,
}

/// Self-registration as an applicant, then signed in at once.
async fn signup(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Response {
    let token = form_token(&headers);
    let again = |errors: Vec<FieldMsg>, status| {
        let page = SignupPage {
            c: Chrome::new(&p, "signup.title"),
            form_token: token.clone(),
            display_name: f.display_name.clone(),
            email: f.email.clone(),
            errors,
        };
        with_form_cookie(&s, render(&page, status), &token)
    };
    if cookie(&headers, LOGIN_COOKIE) != Some(f.csrf_token.as_str()) {
        let msg = Msgs::of(p.lang).get("login.expired").to_owned();
        return again(vec![FieldMsg { field: String::new(), message: msg }], StatusCode::FORBIDDEN);
    }
    let account = beian_app::auth::NewAccount {
        email: f.email.clone(),
        password: f.password.clone(),
        display_name: f.display_name.clone(),
        role: None,
    };
    match s.app.register(&p.ctx, account).await {
        Ok(_) => match s.app.login(&p.ctx, &f.email, &f.password).await {
            Ok(session) => signed_in(&s, session, "/app"),
            Err(e) => app_error(&p, e),
        },
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            again(field_messages(p.lang, &e), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::RateLimited { .. }) => {
            let msg = Msgs::of(p.lang).get("login.failed").to_owned();
            again(vec![FieldMsg { field: String::new(), message: msg }], StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => app_error(&p, e),
    }
}

/// The redirect after a sign-in: the session cookie set, the form cookie cleared.
fn signed_in(s: &AppState, session: beian_app::auth::LoginSession, back: &str) -> Response {
    let max_age = (session.expires_at - s.app.clock().now()).whole_seconds().max(0);
    let mut r = Redirect::to(back).into_response();
    let set = format!("{SESSION_COOKIE}={}{}; Max-Age={max_age}", session.token, cookie_attrs(s));
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    let clear = format!("{LOGIN_COOKIE}={}; Max-Age=0", cookie_attrs(s));
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf_token: String,
}

async fn logout(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if p.csrf.as_deref() != Some(f.csrf_token.as_str()) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    if let Some(token) = session_cookie(&headers) {
        let _ = s.app.logout(&p.ctx, &token).await;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{SESSION_COOKIE}={}; Max-Age=0", cookie_attrs(&s))) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn switch_lang(
    State(s): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let mut r = Redirect::to(&local_path(q.back.as_deref())).into_response();
    // A year; not HttpOnly-relevant, but kept like the others.
    let set = format!("{LANG_COOKIE}={value}{}; Max-Age=31536000", cookie_attrs(&s));
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
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

fn kind_key(kind: beian_core::model::OrderKind) -> String {
    let name =
        serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    format!("kind.{name}")
}

struct SubjectLine {
    name: String,
    province: String,
    number: Option<String>,
}

struct OrderLine {
    id: Uuid,
    kind_key: String,
    subject: String,
    state: &'static str,
    state_key: String,
    updated: Stamp,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    subjects: Vec<SubjectLine>,
    orders: Vec<OrderLine>,
}

async fn home(State(s): State<AppState>, axum::Extension(p): axum::Extension<PageCtx>) -> Response {
    if p.ctx.principal.is_none() {
        return to_login(&p.path);
    }
    let subjects = match s.app.list_subjects(&p.ctx, None, 100).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let orders = match s.app.list_orders(&p.ctx, None, 100).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let name_of =
        |id: Uuid| subjects.iter().find(|x| x.id == id).map(|x| x.subject.name.clone()).unwrap_or_default();
    let orders = orders
        .iter()
        .map(|o| OrderLine {
            id: o.id,
            kind_key: kind_key(o.order.kind),
            subject: name_of(o.subject_id),
            state: o.state.name(),
            state_key: format!("state.{}", o.state.name()),
            updated: Stamp::of(&o.updated_at),
        })
        .collect();
    let subjects = subjects
        .iter()
        .map(|x| SubjectLine {
            name: x.subject.name.clone(),
            province: x.province.clone(),
            number: x.filed_number.clone(),
        })
        .collect();
    render(&HomePage { c: Chrome::new(&p, "home.title"), subjects, orders }, StatusCode::OK)
}

/// The stages an order passes on its way to numbers, in order.
const STAGES: [&str; 7] =
    ["draft", "submitted", "in_review", "queued_for_regulator", "sms_pending", "bureau_review", "filed"];

struct StageLine {
    key: String,
    status: &'static str,
    at: Option<Stamp>,
}

struct SmsBox {
    deadline: Stamp,
    pending: Vec<String>,
    verified: Vec<String>,
}

struct ServiceLine {
    name: String,
    number: String,
    footer: Option<String>,
}

struct PsbLine {
    id: Uuid,
    icp_number: String,
    state: &'static str,
    state_key: String,
    due: String,
    days_left: i64,
    overdue: bool,
    number: Option<String>,
}

struct TimelineLine {
    at: Stamp,
    actor_key: String,
    state_key: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    c: Chrome,
    kind_key: String,
    subject: String,
    stages: Vec<StageLine>,
    state_key: String,
    stage_since: Stamp,
    sla_due: Option<Stamp>,
    next_key: String,
    sms: Option<SmsBox>,
    reasons: Vec<beian_app::ReviewFinding>,
    subject_number: Option<String>,
    services: Vec<ServiceLine>,
    psb: Vec<PsbLine>,
    timeline: Vec<TimelineLine>,
}

/// Where in [`STAGES`] the order stands: a returned order is back with the applicant (draft),
/// one awaiting mail is still in review; a withdrawn one stands nowhere.
fn stage_index(state: &OrderState) -> Option<usize> {
    let name = match state {
        OrderState::Returned { .. } => "draft",
        OrderState::AwaitingMail => "in_review",
        other => other.name(),
    };
    STAGES.iter().position(|s| *s == name)
}

async fn order_page(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
) -> Response {
    if p.ctx.principal.is_none() {
        return to_login(&p.path);
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    let o: OrderView = match s.app.get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let timeline = match s.app.order_timeline(&p.ctx, id).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let psb = if o.state == OrderState::Filed {
        s.app.psb_applications(&p.ctx, o.subject_id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let current = stage_index(&o.state);
    let stages = STAGES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let at = timeline.iter().rev().find(|e| e.to_state == *name).map(|e| Stamp::of(&e.at));
            let status = match current {
                Some(c) if i < c => "done",
                Some(c) if i == c => {
                    if *name == "filed" {
                        "done"
                    } else {
                        "current"
                    }
                }
                _ => "todo",
            };
            StageLine { key: format!("state.{name}"), status, at }
        })
        .collect();
    let sms = match &o.state {
        OrderState::SmsPending { pending, verified, sms_deadline, .. } => Some(SmsBox {
            deadline: Stamp::of(&beian_app::rfc3339(beian_store::micros(*sms_deadline))),
            pending: pending.iter().map(|r| label(p.lang, r)).collect(),
            verified: verified.iter().map(|r| label(p.lang, r)).collect(),
        }),
        _ => None,
    };
    let (subject_number, services) = match &o.filing {
        Some(f) => (
            f.decision.subject_number.clone(),
            f.decision
                .services
                .iter()
                .map(|x| ServiceLine {
                    name: x.name.clone(),
                    number: x.number.clone(),
                    footer: f.footers.get(&x.number).cloned(),
                })
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    let page = OrderPage {
        c: Chrome::new(&p, "order.title"),
        kind_key: kind_key(o.order.kind),
        subject: o.order.subject.name.clone(),
        stages,
        state_key: format!("state.{}", o.state.name()),
        stage_since: Stamp::of(&o.stage_since),
        sla_due: o.sla_due.as_deref().map(Stamp::of),
        next_key: format!("next.{}", o.state.name()),
        sms,
        reasons: o.review_findings.clone(),
        subject_number,
        services,
        psb: psb
            .iter()
            .map(|a| PsbLine {
                id: a.id,
                icp_number: a.icp_number.clone(),
                state: a.state.as_str(),
                state_key: format!("psb.state.{}", a.state.as_str()),
                due: a.deadline.due.to_string(),
                days_left: a.deadline.days_left,
                overdue: a.deadline.overdue,
                number: a.psb_number.clone(),
            })
            .collect(),
        timeline: timeline
            .iter()
            .map(|e| TimelineLine {
                at: Stamp::of(&e.at),
                actor_key: format!("actor.{}", e.actor_role),
                state_key: format!("state.{}", e.to_state),
            })
            .collect(),
    };
    render(&page, StatusCode::OK)
}

struct Tab {
    state: &'static str,
    key: String,
    count: i64,
}

struct QueueLine {
    id: Uuid,
    version: i64,
    kind_key: String,
    subject: String,
    province: String,
    waiting_days: i64,
    due: Option<String>,
    /// `overdue`, `soon` (due today or tomorrow) or `ok`.
    sla: &'static str,
    reviewer_key: &'static str,
    claimable: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    c: Chrome,
    state: String,
    tabs: Vec<Tab>,
    rows: Vec<QueueLine>,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct QueueParams {
    state: Option<String>,
    notice: Option<String>,
}

const QUEUE_STATES: [&str; 6] =
    ["submitted", "in_review", "awaiting_mail", "queued_for_regulator", "sms_pending", "bureau_review"];

/// The reviewer's queue: a tab per stage with its count, the oldest first, SLA colours.
async fn review_queue(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(q): Query<QueueParams>,
) -> Response {
    let Some(me) = p.ctx.principal.clone() else { return to_login(&p.path) };
    let state = q.state.filter(|x| QUEUE_STATES.contains(&x.as_str())).unwrap_or_else(|| "submitted".into());
    let counts = match s.app.queue_counts(&p.ctx).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let query =
        beian_app::review::QueueQuery { state: Some(state.clone()), limit: Some(100), ..Default::default() };
    let page = match s.app.review_queue(&p.ctx, query).await {
        Ok(v) => v,
        Err(e) => return app_error(&p, e),
    };
    let today = s.app.clock().today();
    let now = s.app.clock().now();
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let since =
                time::OffsetDateTime::parse(&i.stage_since, &time::format_description::well_known::Rfc3339)
                    .unwrap_or(now);
            let due = i.sla_due.as_deref().and_then(|d| {
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
            });
            let sla = match due {
                Some(d) if d < today => "overdue",
                Some(d) if (d - today).whole_days() <= 1 => "soon",
                _ => "ok",
            };
            let kind = serde_json::from_value(serde_json::Value::String(i.kind.clone()))
                .map(kind_key)
                .unwrap_or_else(|_| format!("kind.{}", i.kind));
            QueueLine {
                id: i.id,
                version: i.version,
                kind_key: kind,
                subject: i.subject_name,
                province: i.province,
                waiting_days: (now - since).whole_days(),
                due: i.sla_due,
                sla,
                reviewer_key: match i.reviewer_id {
                    Some(r) if r == me.id => "review.mine",
                    Some(_) => "review.others",
                    None => "review.nobody",
                },
                claimable: i.state == "submitted",
            }
        })
        .collect();
    let tabs = counts
        .into_iter()
        .filter_map(|c| {
            let st = QUEUE_STATES.iter().find(|x| **x == c.state)?;
            Some(Tab { state: st, key: format!("state.{st}"), count: c.count })
        })
        .collect();
    let notice = (q.notice.as_deref() == Some("stale")).then_some("review.stale");
    render(&ReviewPage { c: Chrome::new(&p, "review.title"), state, tabs, rows, notice }, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct VersionForm {
    csrf_token: String,
    version: i64,
}

/// Claims an order from the queue (the version seen, so two reviewers cannot both claim it).
async fn claim(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    if p.csrf.as_deref() != Some(f.csrf_token.as_str()) {
        return error_page(p.lang, StatusCode::FORBIDDEN, "error.forbidden");
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    match s.app.claim_order(&p.ctx, id, Some(f.version)).await {
        Ok(_) => Redirect::to(&format!("/review/orders/{id}")).into_response(),
        Err(AppError::PreconditionFailed { .. } | AppError::Conflict { .. }) => {
            Redirect::to("/review?state=submitted&notice=stale").into_response()
        }
        Err(e) => app_error(&p, e),
    }
}

struct SubjectBlock {
    name: String,
    certificate: String,
    region: String,
    address: String,
    head: String,
    mobile: String,
}

struct WebsiteBlock {
    name: String,
    domains: String,
    ips: String,
    head: String,
    mobile: String,
}

struct FindingLine {
    severity: &'static str,
    severity_key: String,
    field: String,
    message: String,
    suggestion: String,
}

struct DocLine {
    id: Uuid,
    kind_key: String,
    /// Whose document, in words.
    who: String,
    size_kb: i64,
}

#[derive(Template)]
#[template(path = "review_order.html")]
struct ReviewOrderPage {
    c: Chrome,
    id: Uuid,
    version: i64,
    kind_key: String,
    state: &'static str,
    state_key: String,
    notice: Option<String>,
    subject: SubjectBlock,
    websites: Vec<WebsiteBlock>,
    findings: Vec<FindingLine>,
    documents: Vec<DocLine>,
    claimed: bool,
    verification: Option<String>,
    templates: Vec<beian_app::profile::TemplateView>,
    reason_rows: [u8; 3],
    field_paths: Vec<String>,
}

/// The reviewer's view of an order: what the applicant entered (PII masked), the automatic
/// checks, the documents, and — once claimed — the identity check and the decision.
async fn review_order_page(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let Some(me) = p.ctx.principal.as_ref() else { return to_login(&p.path) };
    if !me.role.is_staff() {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    }
    let o = match s.app.get_order(&p.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return app_error(p, e),
    };
    let documents = s.app.list_documents(&p.ctx, id).await.unwrap_or_default();
    let templates = s.app.templates(&p.ctx).await.unwrap_or_default();
    let en = p.lang == Lang::En;
    let pick = |t: &beian_core::rules::Text| if en { t.en.clone() } else { t.zh.clone() };
    let order = &o.order;
    let subject = SubjectBlock {
        name: order.subject.name.clone(),
        certificate: order.subject.certificate.number.clone(),
        region: order.subject.region.clone(),
        address: order.subject.mailing_address.clone(),
        head: order.subject.head.name.clone(),
        mobile: order.subject.head.mobile.clone(),
    };
    let websites = order
        .websites
        .iter()
        .map(|w| WebsiteBlock {
            name: w.name.clone(),
            domains: w.domains.join(", "),
            ips: w.access.ips.join(", "),
            head: w.head.name.clone(),
            mobile: w.head.mobile.clone(),
        })
        .collect();
    let findings = o
        .findings
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
                message: pick(&f.message),
                suggestion: pick(&f.suggestion),
            }
        })
        .collect::<Vec<_>>();
    let mut field_paths: Vec<String> = o.findings.iter().map(|f| f.field.clone()).collect();
    field_paths.extend(["subject.name", "subject.head", "subject.mailing_address"].map(String::from));
    field_paths.extend((0..order.websites.len()).flat_map(|i| {
        [format!("websites[{i}].name"), format!("websites[{i}].domains"), format!("websites[{i}].head")]
    }));
    field_paths.dedup();
    let verification = o.verification.as_ref().map(|v| {
        let verdict = Msgs::of(p.lang).get(if v.passed { "rv.passed" } else { "rv.failed" });
        format!("{verdict} · {} · {}", v.note, Stamp::of(&v.at).short)
    });
    let page = ReviewOrderPage {
        c: Chrome::new(p, "rv.title"),
        id,
        version: o.version,
        kind_key: kind_key(o.order.kind),
        state: o.state.name(),
        state_key: format!("state.{}", o.state.name()),
        notice,
        subject,
        websites,
        findings,
        documents: documents
            .iter()
            .map(|d| DocLine {
                id: d.id,
                kind_key: format!("doc.{}", d.kind),
                who: if d.subject_path == "subject" {
                    Msgs::of(p.lang).get("rv.subject").to_owned()
                } else {
                    label(p.lang, &d.subject_path)
                },
                size_kb: (d.size + 1023) / 1024,
            })
            .collect(),
        claimed: o.state == OrderState::InReview && o.reviewer_id == Some(me.id),
        verification,
        templates,
        reason_rows: [1, 2, 3],
        field_paths,
    };
    render(&page, status)
}

/// Why a page request stops early: the status and the message key of its error page.
type Refusal = (StatusCode, &'static str);

fn uuid_or_404(id: &str) -> Result<Uuid, Refusal> {
    id.parse().map_err(|_| (StatusCode::NOT_FOUND, "error.not_found"))
}

async fn review_order(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
) -> Response {
    match uuid_or_404(&id) {
        Ok(id) => review_order_page(&s, &p, id, None, StatusCode::OK).await,
        Err((status, key)) => error_page(p.lang, status, key),
    }
}

/// After a decision: back to the queue on success; the same page with the reason otherwise.
async fn decided(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    result: Result<beian_app::OrderView, AppError>,
) -> Response {
    match result {
        Ok(o) if o.state == OrderState::InReview => {
            Redirect::to(&format!("/review/orders/{id}")).into_response()
        }
        // Decided: on to the next order waiting.
        Ok(_) => Redirect::to("/review").into_response(),
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::PreconditionFailed { .. }),
        ) => {
            let msg =
                match &e {
                    AppError::PreconditionFailed { .. } => Msgs::of(p.lang).get("review.stale").to_owned(),
                    other => field_messages(p.lang, other)
                        .into_iter()
                        .map(|m| {
                            if m.field.is_empty() { m.message } else { format!("{}: {}", m.field, m.message) }
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                };
            review_order_page(s, p, id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => app_error(p, e),
    }
}

/// The checks every decision form passes first: the session's CSRF token and an order id.
fn decision_guard(p: &PageCtx, csrf: &str, id: &str) -> Result<Uuid, Refusal> {
    if p.csrf.as_deref() != Some(csrf) {
        return Err((StatusCode::FORBIDDEN, "error.forbidden"));
    }
    uuid_or_404(id)
}

#[derive(Debug, Deserialize)]
struct VerificationForm {
    csrf_token: String,
    version: i64,
    passed: bool,
    #[serde(default)]
    note: String,
}

async fn verification(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VerificationForm>,
) -> Response {
    let id = match decision_guard(&p, &f.csrf_token, &id) {
        Ok(id) => id,
        Err((status, key)) => return error_page(p.lang, status, key),
    };
    let r = s.app.record_verification(&p.ctx, id, Some(f.version), f.passed, f.note).await;
    decided(&s, &p, id, r).await
}

async fn approve(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    let id = match decision_guard(&p, &f.csrf_token, &id) {
        Ok(id) => id,
        Err((status, key)) => return error_page(p.lang, status, key),
    };
    let r = s.app.approve_order(&p.ctx, id, Some(f.version)).await;
    decided(&s, &p, id, r).await
}

async fn release(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    let id = match decision_guard(&p, &f.csrf_token, &id) {
        Ok(id) => id,
        Err((status, key)) => return error_page(p.lang, status, key),
    };
    let r = s.app.release_order(&p.ctx, id, Some(f.version)).await;
    decided(&s, &p, id, r).await
}

/// A rejection: up to three reasons, each a template (its texts overridable) or free text;
/// empty rows are ignored.
async fn reject(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let id = match decision_guard(&p, &get("csrf_token").unwrap_or_default(), &id) {
        Ok(id) => id,
        Err((status, key)) => return error_page(p.lang, status, key),
    };
    let Some(version) = get("version").and_then(|v| v.parse().ok()) else {
        return error_page(p.lang, StatusCode::BAD_REQUEST, "error.not_found");
    };
    let items: Vec<beian_app::review::RejectReason> = (1..=3)
        .filter_map(|i| {
            let r = beian_app::review::RejectReason {
                template_id: get(&format!("template_{i}")).and_then(|t| t.parse().ok()),
                field: get(&format!("field_{i}")),
                error: get(&format!("error_{i}")),
                suggestion: get(&format!("suggestion_{i}")),
            };
            (r.template_id.is_some() || r.field.is_some() || r.error.is_some()).then_some(r)
        })
        .collect();
    let result = match s.app.resolve_reasons(items).await {
        Ok(findings) => s.app.reject_order(&p.ctx, id, Some(version), findings).await,
        Err(e) => Err(e),
    };
    decided(&s, &p, id, result).await
}

/// A recipient path in words, in the page's language.
fn label(lang: Lang, path: &str) -> String {
    let both = beian_app::regulator::recipient_label(path);
    match both.split_once(" / ") {
        Some((zh, en)) => if lang == Lang::En { en } else { zh }.to_owned(),
        None => both,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_kind_actor_and_psb_state_has_a_message() {
        for lang in [Lang::Zh, Lang::En] {
            let t = Msgs::of(lang);
            let mut keys: Vec<String> = STAGES.iter().map(|s| format!("state.{s}")).collect();
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
