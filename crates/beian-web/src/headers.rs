//! Response headers that keep a browser safe: one layer over the whole service gives every
//! response the defaults (a strict Content-Security-Policy, no sniffing, no framing, a tight
//! referrer policy, and HSTS when configured) without overwriting what a route set for
//! itself; documents get their own, stricter set ([`document`]).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_store::Uuid;

use crate::AppState;

/// The policy of every page: scripts, styles and everything else from this origin only.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// A document's policy: shown on its own it runs nothing and reaches nothing.
pub const DOCUMENT_CSP: &str = "sandbox; default-src 'none'";

/// HSTS when the service is only reached over HTTPS (`hsts = true`): a year, subdomains too.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The defaults, set where the route did not set its own.
pub async fn defaults(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if s.app.config().hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    r
}

/// A stored document as a download: never rendered inline by this origin, sandboxed if a
/// browser shows it anyway, never cached, its type as sniffed at upload.
pub fn document(id: Uuid, content_type: &str, bytes: Vec<u8>) -> Response {
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"document-{}.{ext}\"", id.simple()))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCUMENT_CSP));
    r
}
