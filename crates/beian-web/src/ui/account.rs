//! Accounts on the pages: sign-in (a double-submit token, as there is no session yet),
//! sign-up with field errors beside their fields, sign-out with the session's token, and the
//! remembered language switch. Never follows a `back` that is not a local path.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use beian_core::message::Lang;
use serde::Deserialize;

use super::i18n::Msgs;
use super::{
    Chrome, FieldMsg, LANG_COOKIE, LOGIN_COOKIE, PageCtx, app_error, cookie, cookie_attrs, field_messages,
    local_path, refusal_message, render,
};
use crate::middleware::session_cookie;
use crate::{AppState, SESSION_COOKIE};

#[derive(Debug, Deserialize)]
pub(super) struct BackQuery {
    back: Option<String>,
    /// `1` after a password reset: the sign-in page says so.
    #[serde(default)]
    reset: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    c: Chrome,
    form_token: String,
    back: String,
    email: String,
    error: Option<&'static str>,
    info: Option<&'static str>,
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
    let page = LoginPage {
        c: Chrome::new(p, "login.title"),
        form_token: token.clone(),
        back,
        email,
        error,
        info: None,
    };
    with_form_cookie(s, render(&page, status), &token)
}

pub(super) async fn login_page(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Query(q): Query<BackQuery>,
) -> Response {
    if p.ctx.principal.is_some() {
        return Redirect::to(&local_path(q.back.as_deref())).into_response();
    }
    let token = form_token(&headers);
    let page = LoginPage {
        c: Chrome::new(&p, "login.title"),
        form_token: token.clone(),
        back: local_path(q.back.as_deref()),
        email: String::new(),
        error: None,
        info: q.reset.is_some().then_some("reset.done"),
    };
    with_form_cookie(&s, render(&page, StatusCode::OK), &token)
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub(super) struct ForgotPage {
    c: Chrome,
    form_token: String,
    sent: bool,
    error: Option<String>,
}

pub(super) async fn forgot_page(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
) -> Response {
    let token = form_token(&headers);
    let page = ForgotPage {
        c: Chrome::new(&p, "forgot.title"),
        form_token: token.clone(),
        sent: false,
        error: None,
    };
    with_form_cookie(&s, render(&page, StatusCode::OK), &token)
}

#[derive(Debug, Deserialize)]
pub(super) struct ForgotForm {
    email: String,
    csrf_token: String,
}

/// Asks for a reset link; the answer is the same whether or not the address is registered.
pub(super) async fn forgot(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> Response {
    let token = form_token(&headers);
    let page = |sent, error, status| {
        let page = ForgotPage { c: Chrome::new(&p, "forgot.title"), form_token: token.clone(), sent, error };
        with_form_cookie(&s, render(&page, status), &token)
    };
    if cookie(&headers, LOGIN_COOKIE) != Some(f.csrf_token.as_str()) {
        return page(false, Some(Msgs::of(p.lang).get("login.expired").to_owned()), StatusCode::FORBIDDEN);
    }
    match s.app.auth().request_password_reset(&p.ctx, &f.email).await {
        Ok(()) => page(true, None, StatusCode::OK),
        Err(AppError::RateLimited { .. }) => {
            page(false, Some(Msgs::of(p.lang).get("login.locked").to_owned()), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => app_error(&p, e),
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
pub(super) struct ResetPage {
    c: Chrome,
    form_token: String,
    token: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub(super) async fn reset_page(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let form = form_token(&headers);
    let page = ResetPage {
        c: Chrome::new(&p, "reset.title"),
        form_token: form.clone(),
        token: q.token,
        error: None,
    };
    with_form_cookie(&s, render(&page, StatusCode::OK), &form)
}

#[derive(Debug, Deserialize)]
pub(super) struct ResetForm {
    token: String,
    password: String,
    csrf_token: String,
}

/// Sets the new password; then to the sign-in page, which says so.
pub(super) async fn reset(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Form(f): Form<ResetForm>,
) -> Response {
    let form = form_token(&headers);
    let again = |error: String, status| {
        let page = ResetPage {
            c: Chrome::new(&p, "reset.title"),
            form_token: form.clone(),
            token: f.token.clone(),
            error: Some(error),
        };
        with_form_cookie(&s, render(&page, status), &form)
    };
    if cookie(&headers, LOGIN_COOKIE) != Some(f.csrf_token.as_str()) {
        return again(Msgs::of(p.lang).get("login.expired").to_owned(), StatusCode::FORBIDDEN);
    }
    match s.app.auth().reset_password(&p.ctx, &f.token, &f.password).await {
        Ok(()) => Redirect::to("/login?reset=1").into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            again(refusal_message(p.lang, &e), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::RateLimited { .. }) => {
            again(Msgs::of(p.lang).get("login.locked").to_owned(), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => app_error(&p, e),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    email: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    back: Option<String>,
}

pub(super) async fn login(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let back = local_path(f.back.as_deref());
    if cookie(&headers, LOGIN_COOKIE) != Some(f.csrf_token.as_str()) {
        return login_form(&s, &p, &headers, back, f.email, Some("login.expired"), StatusCode::FORBIDDEN);
    }
    match s.app.auth().login(&p.ctx, &f.email, &f.password).await {
        Ok(session) => signed_in(&s, session, &back),
        Err(AppError::InvalidCredentials | AppError::Validation(_)) => {
            login_form(&s, &p, &headers, back, f.email, Some("login.failed"), StatusCode::UNAUTHORIZED)
        }
        // The same answer as the API's: 429 with Retry-After, and a page that says to wait.
        Err(AppError::RateLimited { retry_after_secs }) => {
            let mut r = login_form(
                &s,
                &p,
                &headers,
                back,
                f.email,
                Some("login.locked"),
                StatusCode::TOO_MANY_REQUESTS,
            );
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
            r
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

#[derive(Template)]
#[template(path = "signup.html")]
pub(super) struct SignupPage {
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

pub(super) async fn signup_page(
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
pub(super) struct SignupForm {
    display_name: String,
    email: String,
    password: String,
    csrf_token: String,
}

/// Self-registration as an applicant, then signed in at once.
pub(super) async fn signup(
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
    match s.app.auth().register(&p.ctx, account).await {
        Ok(_) => match s.app.auth().login(&p.ctx, &f.email, &f.password).await {
            Ok(session) => {
                // E-mails go out in the language the account signed up in.
                let ctx = beian_app::Ctx { principal: Some(session.principal.clone()), ..p.ctx.clone() };
                if let Err(e) = s.app.auth().set_language(&ctx, p.lang).await {
                    return app_error(&p, e);
                }
                signed_in(&s, session, "/app")
            }
            Err(e) => app_error(&p, e),
        },
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            again(field_messages(p.lang, &e), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::RateLimited { .. }) => {
            let msg = Msgs::of(p.lang).get("login.locked").to_owned();
            again(vec![FieldMsg { field: String::new(), message: msg }], StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => app_error(&p, e),
    }
}

/// The redirect after a sign-in: the session cookie set, the form cookie cleared.
fn signed_in(s: &AppState, session: beian_app::auth::LoginSession, back: &str) -> Response {
    let max_age = (session.expires_at - s.app.clock().now()).whole_seconds().max(0);
    // Staff who were not on their way somewhere land on their queue, not the applicant home.
    let staff = matches!(session.principal.role, beian_app::Role::Reviewer | beian_app::Role::Admin);
    let back = if staff && back == "/app" { "/review" } else { back };
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

/// Ends the session whether or not the form carried its token: signing out is never
/// refused (a page left open past its token must still sign out), and a cross-site post
/// cannot end it, since the session cookie is `SameSite=Lax` and so not sent with one.
pub(super) async fn logout(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = session_cookie(&headers) {
        let _ = s.app.auth().logout(&p.ctx, &token).await;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{SESSION_COOKIE}={}; Max-Age=0", cookie_attrs(&s))) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub(super) async fn switch_lang(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(lang): Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    // A signed-in person's e-mails follow the language they read the pages in.
    if p.ctx.principal.is_some() {
        let chosen = if value == "en" { Lang::En } else { Lang::Zh };
        if let Err(e) = s.app.auth().set_language(&p.ctx, chosen).await {
            return app_error(&p, e);
        }
    }
    let mut r = Redirect::to(&local_path(q.back.as_deref())).into_response();
    // A year; not HttpOnly-relevant, but kept like the others.
    let set = format!("{LANG_COOKIE}={value}{}; Max-Age=31536000", cookie_attrs(&s));
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
