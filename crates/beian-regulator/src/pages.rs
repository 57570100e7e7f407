//! The regulator's page shell and its languages. Every page (SMS verification, public query,
//! outbox, officer console) is Chinese by default and English when asked: the choice is a
//! link (`/lang/en?back=…`) remembered in a cookie for a year. Texts come from `i18n/{zh-CN,en}.toml`, never from the handlers; a test
//! checks that every key the pages name exists in both.
//!
//! This module must never put a value into a page unescaped; the body it wraps is built by
//! callers that escape theirs.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use beian_core::message::{Catalogue, Lang};

pub(crate) use crate::i18n::msgs;
use serde::Deserialize;

pub(crate) use beian_core::text::escape_html as esc;

const LANG_COOKIE: &str = "beian_reg_lang";

pub(crate) fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
}

/// The language of a page: the remembered choice, else Chinese — like the provider's pages
/// and MIIT's own (the JSON API follows `Accept-Language` instead).
fn lang_of(h: &HeaderMap) -> Lang {
    match cookie(h, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// What a page needs around its body: the language, its messages and the way back to this
/// page after switching language.
pub(crate) struct Chrome {
    pub(crate) lang: Lang,
    pub(crate) t: &'static Catalogue,
    back: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Chrome, Infallible> {
        let lang = lang_of(&parts.headers);
        // Only the path: a query may carry what was typed (a mobile number on the outbox).
        Ok(Chrome { lang, t: msgs(lang), back: parts.uri.path().to_owned() })
    }
}

impl Chrome {
    /// A whole page titled by the message `title`.
    pub(crate) fn page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let t = self.t;
        let (other, other_tag) = match self.lang {
            Lang::Zh => ("en", "en"),
            Lang::En => ("zh", "zh-CN"),
        };
        let back = esc(&self.back);
        let html = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><style>body{{font-family:sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}\
             label{{display:block;margin:.5rem 0 .2rem}}input,button{{font-size:1rem;padding:.4rem}}input{{box-sizing:border-box;max-width:100%}}\
             table{{border-collapse:collapse;display:block;overflow-x:auto}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}}\
             nav a{{margin-right:.8rem;display:inline-block}}code.path{{font-size:.75rem;color:#57606a;font-weight:normal}}.ok,.bad{{padding:.5rem .75rem;border-left:4px solid}}.ok{{background:#dafbe1;border-color:#1a7f37}}.bad{{background:#ffebe9;border-color:#cf222e}}th{{vertical-align:top}}:focus-visible{{outline:3px solid #1a56db;outline-offset:2px}}</style></head>\
             <body><header><nav aria-label=\"{nav}\"><a href=\"/sms\">{sms}</a><a href=\"/query\">{query}</a><a href=\"/outbox\">{outbox}</a><a href=\"/console\">{console}</a>\
             <a href=\"/lang/{other}?back={back}\" lang=\"{other_tag}\" id=\"lang-switch\">{switch}</a></nav></header>\
             <main><h1>{title}</h1>{body}</main></body></html>",
            lang = if self.lang == Lang::En { "en" } else { "zh-CN" },
            title = esc(t.get(title)),
            nav = esc(t.get("nav.label")),
            sms = esc(t.get("nav.sms")),
            query = esc(t.get("nav.query")),
            outbox = esc(t.get("nav.outbox")),
            console = esc(t.get("nav.console")),
            switch = esc(t.get("lang.switch")),
        );
        (status, Html(html)).into_response()
    }
}

/// The regulator's front page: what it serves and where, so a newcomer who opens the address
/// finds the pages and the interface's addresses.
pub(crate) async fn index(c: Chrome) -> Response {
    let t = c.t;
    let item = |href: &str, key: &str| format!("<li><a href=\"{href}\">{}</a></li>", esc(t.get(key)));
    let mut body = format!("<p>{}</p><ul>", esc(t.get("index.intro")));
    for (href, key) in
        [("/sms", "nav.sms"), ("/query", "nav.query"), ("/outbox", "nav.outbox"), ("/console", "nav.console")]
    {
        body.push_str(&item(href, key));
    }
    body.push_str(&format!("</ul><h2>{}</h2><ul>", esc(t.get("index.miit"))));
    for e in beian_miit::soap::Endpoint::ALL {
        let wsdl = format!("{}?wsdl", e.path());
        body.push_str(&format!("<li><a href=\"{0}\"><code>{0}</code></a></li>", esc(&wsdl)));
    }
    body.push_str(&format!(
        "</ul><p>{} <a href=\"/api/openapi.json\">/api/openapi.json</a></p>",
        esc(t.get("index.health"))
    ));
    c.page(StatusCode::OK, "index.title", &body)
}

/// The client's address when the server was started with connection info (it is in tests that
/// go through the router directly only when they add it).
pub(crate) struct ClientIp(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Infallible> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

#[derive(Deserialize)]
pub(crate) struct Back {
    back: Option<String>,
}

/// `GET /lang/{zh|en}?back=/path`: remembers the choice and goes back (only to a local path).
pub(crate) async fn switch_lang(Path(lang): Path<String>, Query(q): Query<Back>) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let back = match q.back.as_deref() {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b,
        _ => "/sms",
    };
    let mut r = Redirect::to(back).into_response();
    let set = format!("{LANG_COOKIE}={value}; Path=/; SameSite=Lax; HttpOnly; Max-Age=31536000");
    if let Ok(v) = HeaderValue::from_str(&set) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let (only_zh, only_en) = msgs(Lang::Zh).differences(msgs(Lang::En));
        assert_eq!(only_zh, Vec::<&str>::new(), "only in zh-CN");
        assert_eq!(only_en, Vec::<&str>::new(), "only in en");
    }

    /// Every string literal in the page modules shaped like a message key (`console.approve`,
    /// with a namespace the catalogue uses) has a message.
    #[test]
    fn every_key_the_pages_name_exists() {
        let zh = msgs(Lang::Zh);
        let spaces: BTreeSet<&str> = zh.keys().filter_map(|k| k.split('.').next()).collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut seen = 0;
        for file in ["pages.rs", "public_api.rs", "console.rs"] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for literal in code.split('"').skip(1).step_by(2) {
                let Some((space, rest)) = literal.split_once('.') else { continue };
                let shaped = !rest.is_empty()
                    && rest.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch.is_ascii_digit());
                if shaped && spaces.contains(space) {
                    assert!(zh.has(literal), "{file} names `{literal}`, which is not in the catalogue");
                    seen += 1;
                }
            }
        }
        assert!(seen > 50, "the scan found the pages' keys ({seen})");
    }
}
