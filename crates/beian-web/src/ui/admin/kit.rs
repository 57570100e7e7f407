//! The admin pages' layout kit: sections of tables and small forms rendered by one template
//! (`admin.html`), the POST step that carries a refusal back in a short-lived cookie, and the
//! helpers every tab uses. It holds no tab's content and never decides who may do what (the
//! `App` call does).

pub(super) use askama::Template;
pub(super) use axum::extract::{Form, Path, Query, State};
pub(super) use axum::http::{HeaderMap, StatusCode};
pub(super) use axum::response::{IntoResponse, Redirect, Response};
pub(super) use beian_app::{AppError, Role};
pub(super) use beian_core::message::Lang;
pub(super) use beian_core::policy::PolicySet;
pub(super) use serde::Deserialize;
pub(super) use uuid::Uuid;

pub(super) use super::super::i18n::Msgs;
pub(super) use super::super::{
    Chrome, PageCtx, Pairs, PathId, app_error, error_page, posted, refusal_message, render, to_login,
    url_encode,
};
use super::TABS;
pub(super) use crate::AppState;

pub(super) struct Cell {
    pub(super) text: String,
    pub(super) href: Option<String>,
    pub(super) mono: bool,
}

pub(super) fn cell(text: impl Into<String>) -> Cell {
    Cell { text: text.into(), href: None, mono: false }
}

pub(super) fn mono(text: impl Into<String>) -> Cell {
    Cell { text: text.into(), href: None, mono: true }
}

/// A small POST form in a table row (delete, retry, save).
pub(super) struct RowAction {
    pub(super) action: String,
    pub(super) label: String,
    pub(super) fields: Vec<Input>,
}

pub(super) struct Row {
    pub(super) cells: Vec<Cell>,
    pub(super) actions: Vec<RowAction>,
}

pub(super) struct Table {
    pub(super) headers: Vec<String>,
    pub(super) rows: Vec<Row>,
}

impl Table {
    pub(super) fn has_actions(&self) -> bool {
        self.rows.iter().any(|r| !r.actions.is_empty())
    }
}

pub(super) struct Input {
    pub(super) name: String,
    pub(super) label: String,
    /// text, number, select, checkbox, hidden
    pub(super) kind: &'static str,
    pub(super) value: String,
    pub(super) options: Vec<(String, String)>,
    pub(super) checked: bool,
    pub(super) id: String,
}

pub(super) struct FormSpec {
    pub(super) action: String,
    pub(super) method: &'static str,
    pub(super) fields: Vec<Input>,
    pub(super) submit: String,
    pub(super) id: String,
}

pub(super) struct Section {
    pub(super) title: String,
    pub(super) note: Option<String>,
    /// Links shown under the title (an export, another view).
    pub(super) links: Vec<(String, String)>,
    pub(super) table: Option<Table>,
    pub(super) forms: Vec<FormSpec>,
    /// Server-rendered SVG (the dashboard's charts); generated here from numbers only.
    pub(super) svg: Option<String>,
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
    pub(super) c: Chrome,
    pub(super) tab: &'static str,
    pub(super) tabs: Vec<(&'static str, &'static str)>,
    pub(super) notice: Option<(String, bool)>,
    pub(super) sections: Vec<Section>,
}

static FIELD_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(super) fn input(name: &str, label: &str, kind: &'static str, value: impl Into<String>) -> Input {
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
pub(super) fn button(action: String, label: String) -> RowAction {
    RowAction { action, label, fields: Vec::new() }
}

/// The "add" form under a table.
pub(super) fn add_form(p: &PageCtx, action: &str, id: &str, fields: Vec<Input>) -> FormSpec {
    FormSpec { action: action.into(), method: "post", fields, submit: t(p, "admin.add"), id: id.into() }
}

pub(super) fn select(name: &str, label: &str, value: &str, options: Vec<(String, String)>) -> Input {
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
    let admin = p.ctx.principal.as_ref().is_some_and(|u| u.role == Role::Admin);
    // A reviewer sees the tabs it may open.
    let tabs = TABS.iter().copied().filter(|(t, _)| admin || super::STAFF_TABS.contains(t)).collect();
    let page = AdminPage { c: Chrome::new(p, title), tab, tabs, notice, sections };
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

/// Every tab starts here: `Ok` for a signed-in admin; otherwise the sign-in page or not found.
// The error is the page to answer with, moved once into the handler's return: boxing it buys
// nothing.
#[allow(clippy::result_large_err)]
pub(super) fn admin_only(p: &PageCtx) -> Result<(), Response> {
    unless_admin(p).map_or(Ok(()), Err)
}

/// The start of a tab reviewers open too (`super::STAFF_TABS`): `Ok` for signed-in staff.
#[allow(clippy::result_large_err)]
pub(super) fn staff_only(p: &PageCtx) -> Result<(), Response> {
    match p.ctx.principal.as_ref() {
        None => Err(to_login(&p.path)),
        Some(u) if u.role.is_staff() => Ok(()),
        Some(_) => Err(error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")),
    }
}

/// Awaits one of a tab's loads; a refusal or failure answers its error page.
pub(super) async fn loaded<T>(
    p: &PageCtx,
    load: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, Response> {
    load.await.map_err(|e| app_error(p, e))
}

/// Nothing for a signed-in admin; otherwise the sign-in page or not found.
pub(super) fn unless_admin(p: &PageCtx) -> Option<Response> {
    match p.ctx.principal.as_ref() {
        None => Some(to_login(&p.path)),
        Some(u) if u.role == Role::Admin => None,
        Some(_) => Some(error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")),
    }
}

/// A tab's answer to an id that is not one (a link edited by hand).
pub(super) fn not_found(p: &PageCtx) -> Response {
    error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found")
}

pub(super) fn one<'a>(f: &'a Pairs, k: &str) -> &'a str {
    posted(f, k).map_or("", str::trim)
}

#[derive(Debug, Default, Deserialize)]
pub(in crate::ui) struct Notice {
    #[serde(default)]
    pub(super) done: String,
}

pub(super) fn done_notice(p: &PageCtx, n: &Notice) -> Option<(String, bool)> {
    (!n.done.is_empty()).then(|| (Msgs::of(p.lang).get("admin.done").to_owned(), true))
}

/// A POST from an admin page (its form token checked by the page layer): the step taken, back to
/// `tab` (with the reason when refused).
pub(super) async fn step<Fut, T>(p: &PageCtx, tab: &'static str, take: Fut) -> Response
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
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
pub(super) const FLASH: &str = "beian_admin_flash";

#[derive(Debug, Default, Deserialize)]
pub(in crate::ui) struct Outcome {
    #[serde(default)]
    pub(super) done: String,
}

impl Outcome {
    /// "Saved" after a step, or the refusal the step left in the flash cookie.
    pub(super) fn notice(&self, p: &PageCtx, h: &HeaderMap) -> Option<(String, bool)> {
        match crate::middleware::cookie(h, FLASH).and_then(percent_decode) {
            Some(msg) => Some((msg.chars().take(300).collect(), false)),
            None => done_notice(p, &Notice { done: self.done.clone() }),
        }
    }
}

/// Undoes [`url_encode`]; `None` for anything malformed.
pub(super) fn percent_decode(s: &str) -> Option<String> {
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

pub(super) fn t(p: &PageCtx, key: &str) -> String {
    Msgs::of(p.lang).get(key).to_owned()
}

pub(super) fn short_time(rfc3339: &str) -> String {
    super::super::Stamp::of(rfc3339).short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::admin::dashboard::{bar_chart, share_chart};

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
