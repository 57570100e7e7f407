//! A subject's page, for an agency or company with several: the subject as on file (masked),
//! its services filed here with their latest footer scans, its orders, and a short form that
//! starts a filing for it (a new website or app) with the subject's details taken from what is
//! on file — the certificate is not typed again.
//!
//! Editing a subject's details happens in the wizard's subject steps of an order: a filed
//! subject's details change at the bureau through a change filing, never on a page alone.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use beian_app::AppError;
use uuid::Uuid;

use super::applicant::OrderLine;
use super::i18n::Msgs;
use super::{
    Chrome, FieldMsg, FiledLine, PageCtx, Pairs, SignedIn, app_error, error_page, field_messages,
    filed_lines, posted, province_name, render, uuid_or_404,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "subject.html")]
pub(super) struct SubjectPage {
    c: Chrome,
    id: Uuid,
    name: String,
    number: Option<String>,
    /// (label key, value) rows of the subject's details, PII masked.
    facts: Vec<(&'static str, String)>,
    filed: Vec<FiledLine>,
    orders: Vec<OrderLine>,
    open_order: Option<Uuid>,
    /// The start form as posted, when it was refused.
    service: String,
    domain: String,
    existing: String,
    errors: Vec<FieldMsg>,
}

impl SubjectPage {
    /// The start form's text inputs: (name, label key, value as posted).
    fn inputs(&self) -> [(&'static str, &'static str, &str); 2] {
        [
            ("domain", "wz.start.domain", &self.domain),
            ("existing_number", "wz.start.existing", &self.existing),
        ]
    }

    fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }
}

async fn render_page(
    s: &AppState,
    p: &PageCtx,
    id: Uuid,
    form: (String, String, String),
    errors: Vec<FieldMsg>,
) -> Response {
    let o = match s.app.subjects().subject_overview(&p.ctx, id).await {
        Ok(o) => o,
        Err(e) => return app_error(p, e),
    };
    let t = Msgs::of(p.lang);
    let subject = &o.subject.subject;
    let cert_kind = serde_json::to_value(subject.certificate.kind).ok();
    let cert_kind = cert_kind.as_ref().and_then(|v| v.as_str()).unwrap_or_default();
    let facts = vec![
        ("wz.subject.nature", subject.nature.label(p.lang).to_owned()),
        ("home.col.province", province_name(p.lang, &o.subject.province)),
        (
            "wz.subject.cert_number",
            format!("{} · {}", t.get(&format!("cert.{cert_kind}")), subject.certificate.number),
        ),
        ("subj.region", beian_core::division::divisions().describe(&subject.region)),
        ("subj.address", subject.mailing_address.clone()),
        ("subj.head", subject.head.name.clone()),
    ];
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let (service, domain, existing) = form;
    let page = SubjectPage {
        c: Chrome::new(p, "subj.title"),
        id,
        name: subject.name.clone(),
        number: o.subject.filed_number.clone(),
        facts,
        filed: filed_lines(o.filed),
        orders: o.orders.into_iter().map(OrderLine::from).collect(),
        open_order: o.open_order,
        service,
        domain,
        existing,
        errors,
    };
    render(&page, status)
}

/// `GET /app/subjects/{id}`.
pub(super) async fn page(
    State(s): State<AppState>,
    SignedIn(p): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match uuid_or_404(&id) {
        Ok(id) => render_page(&s, &p, id, ("website".into(), String::new(), String::new()), Vec::new()).await,
        Err((status, key)) => error_page(p.lang, status, key),
    }
}

/// `POST /app/subjects/{id}/new`: starts (or resumes) a filing for the subject.
pub(super) async fn start(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let subject_id = match uuid_or_404(&id) {
        Ok(id) => id,
        Err((status, key)) => return error_page(p.lang, status, key),
    };
    let text = |k: &str| posted(&f, k).map(str::trim).unwrap_or_default().to_owned();
    let (service, domain, existing) = (text("service"), text("domain"), text("existing_number"));
    let result = s
        .app
        .drafts()
        .start_filing_for_subject(
            &p.ctx,
            subject_id,
            domain.clone(),
            service == "app",
            Some(existing.clone()).filter(|n| !n.is_empty()),
        )
        .await;
    match result {
        Ok(started) => {
            let q = if started.resumed { "?resumed=1" } else { "" };
            Redirect::to(&format!("/app/orders/{}/edit/websites{q}", started.order_id)).into_response()
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let errors = field_messages(p.lang, &e);
            render_page(&s, &p, subject_id, (service, domain, existing), errors).await
        }
        Err(e) => app_error(&p, e),
    }
}
