//! What the public reaches without a key: the SMS verification page and API, the public query
//! (like beian.miit.gov.cn), and the simulated phones' outbox.
//!
//! The outbox shows the texts the simulator "sent" — it stands in for the persons' phones, so
//! a demo or an integration test can read the codes. The API answers only for a mobile number
//! the caller already knows; the page lists recent texts with masked numbers. A real
//! deployment of this simulator for training should not be reachable from the internet.
//!
//! Pages are plain HTML forms (no script), every value escaped, in the language `pages` picks.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::message::Lang;
use beian_openapi::Op;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::http::{Problem, internal, parse_json, problem, take, verify_problem};
use crate::pages::{Chrome, ClientIp, esc};
use crate::records::{PublicRecord, Query as RecordQuery};
use crate::service::Api;
use crate::service::Service;
use crate::verification::{self, Outcome, VerifyError};

/// The public JSON operations: no sign-in.
pub(crate) fn operations(api: Api) -> Api {
    let op = |summary| Op::new("public", summary).public();
    api.op(
        "post",
        "/api/v1/sms/verify",
        post(verify_api),
        op("Enter a texted code with the mobile and the last six characters of the certificate: 200 when verified, 422 with the entries left when wrong")
            .body::<VerifyBody>()
            .returns::<VerifyOut>(200)
            .returns::<VerifyOut>(422),
    )
    .op(
        "get",
        "/api/v1/sms/outbox",
        get(outbox_api),
        op("The simulated phone of a mobile number: the texts it was sent, newest first")
            .required_query(&[("mobile", "the mobile number")])
            .returns::<Vec<OutboxItem>>(200),
    )
    .op(
        "get",
        "/api/v1/query",
        get(query_api),
        op("The public query (like beian.miit.gov.cn): filed services by domain, number or the subject's exact name")
            .query(&[
                ("domain", "a domain"),
                ("number", "a subject or service number"),
                ("name", "the subject's exact name"),
            ])
            .returns::<Vec<PublicRecord>>(200),
    )
}

/// The public pages: the SMS entry, the simulated phones, the query.
pub(crate) fn pages() -> Router<Service> {
    Router::new()
        .route("/sms", get(verify_page).post(verify_form))
        .route("/outbox", get(outbox_page))
        .route("/query", get(query_page))
        .route("/lang/{lang}", get(crate::pages::switch_lang))
}

/// An entry on the verification page or API.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    mobile: String,
    cert_last_six: String,
    code: String,
}

/// What an entry did.
#[derive(Serialize, JsonSchema)]
struct VerifyOut {
    /// `verified`, `already_verified`, `wrong`, `returned` (too many wrong entries) or `expired`.
    outcome: &'static str,
    /// Wrong entries still tolerated before the order returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    left: Option<u8>,
    /// Whether every person has verified and the order went to the bureau.
    all_done: bool,
}

async fn run_verify(svc: &Service, b: &VerifyBody, ip: Option<&str>, lang: Lang) -> Result<Outcome, Problem> {
    let too_long = b.mobile.len() > 32 || b.cert_last_six.len() > 32 || b.code.len() > 16;
    if too_long {
        return Err(verify_problem(&VerifyError::MobileInvalid, lang));
    }
    let now = svc.now();
    let key = format!("sms-ip:{}", ip.unwrap_or_default());
    if !svc
        .store
        .allow(&key, crate::limits::SMS_ENTRIES_PER_ADDRESS, now)
        .await
        .map_err(|e| internal(lang, &e))?
    {
        return Err(crate::bureau_api::too_many(lang));
    }
    let mut tx = svc.store.begin().await.map_err(|e| internal(lang, &e))?;
    let outcome = verification::verify(&mut tx, &svc.keys, &b.mobile, &b.cert_last_six, &b.code, now)
        .await
        .map_err(|e| verify_problem(&e, lang))?;
    tx.commit().await.map_err(|e| internal(lang, &e))?;
    Ok(outcome)
}

fn verify_out(o: &Outcome) -> VerifyOut {
    match o {
        Outcome::Verified { all_done } => VerifyOut { outcome: "verified", left: None, all_done: *all_done },
        Outcome::AlreadyVerified => VerifyOut { outcome: "already_verified", left: None, all_done: false },
        Outcome::Wrong { left } => VerifyOut { outcome: "wrong", left: Some(*left), all_done: false },
        Outcome::Returned => VerifyOut { outcome: "returned", left: Some(0), all_done: false },
        Outcome::Expired => VerifyOut { outcome: "expired", left: None, all_done: false },
    }
}

async fn verify_api(State(svc): State<Service>, req: axum::extract::Request) -> Result<Response, Problem> {
    let req = take(req).await?;
    let b: VerifyBody = parse_json(&req.body, req.lang)?;
    let o = run_verify(&svc, &b, req.ip.as_deref(), req.lang).await?;
    let status = if matches!(o, Outcome::Wrong { .. } | Outcome::Returned | Outcome::Expired) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(verify_out(&o))).into_response())
}

/// The verification page's body, with the last entry's outcome (`ok` or `bad`, and its text).
fn verify_body(c: &Chrome, status: Option<(&str, &str)>) -> String {
    let t = c.t;
    let status = status.map_or_else(String::new, |(class, m)| {
        format!("<p role=\"status\" class=\"{class}\">{}</p>", esc(m))
    });
    format!(
        "<p>{intro}</p>{status}<form method=\"post\" action=\"/sms\">\
         <label for=\"mobile\">{mobile}</label><input id=\"mobile\" name=\"mobile\" inputmode=\"numeric\" autocomplete=\"tel\" required>\
         <label for=\"cert_last_six\">{cert}</label><input id=\"cert_last_six\" name=\"cert_last_six\" maxlength=\"6\" autocomplete=\"off\" required>\
         <label for=\"code\">{code}</label><input id=\"code\" name=\"code\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"one-time-code\" required>\
         <p><button type=\"submit\">{verify}</button></p></form>",
        intro = esc(t.get("sms.intro")),
        mobile = esc(t.get("sms.mobile")),
        cert = esc(t.get("sms.cert_last_six")),
        code = esc(t.get("sms.code")),
        verify = esc(t.get("sms.verify")),
    )
}

async fn verify_page(c: Chrome) -> Response {
    c.page(StatusCode::OK, "sms.title", &verify_body(&c, None))
}

async fn verify_form(
    State(svc): State<Service>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    form: Result<axum::Form<VerifyBody>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(form) = form else {
        return c.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sms.title",
            &verify_body(&c, Some(("bad", c.t.get("sms.fill_all")))),
        );
    };
    let t = c.t;
    let outcome = run_verify(&svc, &form.0, ip.as_deref(), c.lang).await;
    let msg = match &outcome {
        Ok(Outcome::Verified { all_done: true }) => t.get("sms.verified_all").to_owned(),
        Ok(Outcome::Verified { all_done: false }) => t.get("sms.verified_some").to_owned(),
        Ok(Outcome::AlreadyVerified) => t.get("sms.already").to_owned(),
        Ok(Outcome::Wrong { left }) => t.get("sms.wrong").replace("{left}", &left.to_string()),
        Ok(Outcome::Returned) => t.get("sms.returned").to_owned(),
        Ok(Outcome::Expired) => t.get("sms.expired").to_owned(),
        Err(p) => p.title.clone(),
    };
    let class =
        if matches!(outcome, Ok(Outcome::Verified { .. } | Outcome::AlreadyVerified)) { "ok" } else { "bad" };
    c.page(StatusCode::OK, "sms.title", &verify_body(&c, Some((class, &msg))))
}

#[derive(Deserialize)]
struct OutboxQuery {
    mobile: Option<String>,
}

/// A text the simulator sent.
#[derive(Serialize, JsonSchema)]
struct OutboxItem {
    /// The mobile number, masked.
    to: String,
    body: String,
    #[serde(with = "beian_seam::wire::times::rfc3339")]
    #[schemars(schema_with = "beian_seam::wire::times::schema")]
    at: i64,
}

async fn outbox(svc: &Service, mobile: Option<&str>, lang: Lang) -> Result<Vec<OutboxItem>, Problem> {
    let index = match mobile {
        Some(m) => {
            let m = beian_core::id::Mobile::parse(m)
                .map_err(|_| verify_problem(&VerifyError::MobileInvalid, lang))?
                .value
                .to_string();
            Some(svc.keys.blind_index("mobile", &m))
        }
        None => None,
    };
    let rows =
        crate::verification::outbox(&svc.store, index.as_deref()).await.map_err(|e| internal(lang, &e))?;
    Ok(rows.into_iter().map(|(to, body, at)| OutboxItem { to, body, at }).collect())
}

/// The JSON answers' language: the caller's `Accept-Language`.
fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

async fn outbox_api(State(svc): State<Service>, headers: HeaderMap, q: Query<OutboxQuery>) -> Response {
    let lang = lang_of(&headers);
    let Some(m) = q.0.mobile else {
        return Problem {
            field: Some("mobile".into()),
            ..problem(StatusCode::UNPROCESSABLE_ENTITY, "MOBILE_REQUIRED", "problem.mobile_required", lang)
        }
        .into_response();
    };
    match outbox(&svc, Some(&m), lang).await {
        Ok(items) => axum::Json(items).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn outbox_page(State(svc): State<Service>, c: Chrome) -> Response {
    match outbox(&svc, None, c.lang).await {
        Ok(items) => {
            let t = c.t;
            let table = if items.is_empty() {
                format!("<p>{}</p>", esc(t.get("outbox.empty")))
            } else {
                let rows: String = items
                    .iter()
                    .map(|i| {
                        format!("<tr><td>{}</td><td lang=\"zh-CN\">{}</td></tr>", esc(&i.to), esc(&i.body))
                    })
                    .collect();
                format!(
                    "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table>",
                    esc(t.get("outbox.to")),
                    esc(t.get("outbox.text"))
                )
            };
            c.page(StatusCode::OK, "outbox.title", &format!("<p>{}</p>{table}", esc(t.get("outbox.intro"))))
        }
        Err(p) => p.into_response(),
    }
}

/// `?domain=`, `?number=` or `?name=` (the subject's exact name).
#[derive(Deserialize, Default)]
struct QueryParams {
    domain: Option<String>,
    number: Option<String>,
    name: Option<String>,
}

impl QueryParams {
    fn query(&self) -> Option<RecordQuery> {
        let nonempty = |s: &Option<String>| {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 200).map(str::to_owned)
        };
        nonempty(&self.domain)
            .map(RecordQuery::Domain)
            .or_else(|| nonempty(&self.number).map(RecordQuery::Number))
            .or_else(|| nonempty(&self.name).map(RecordQuery::SubjectName))
    }
}

async fn run_query(svc: &Service, q: &QueryParams, lang: Lang) -> Result<Vec<PublicRecord>, Problem> {
    let Some(query) = q.query() else {
        return Err(Problem {
            field: Some("domain".into()),
            ..problem(StatusCode::UNPROCESSABLE_ENTITY, "QUERY_REQUIRED", "problem.query_required", lang)
        });
    };
    svc.store.query(&query).await.map_err(|e| internal(lang, &e))
}

async fn query_api(State(svc): State<Service>, headers: HeaderMap, q: Query<QueryParams>) -> Response {
    match run_query(&svc, &q.0, lang_of(&headers)).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn query_page(State(svc): State<Service>, c: Chrome, q: Query<QueryParams>) -> Response {
    let t = c.t;
    let value = |v: &Option<String>| esc(v.as_deref().unwrap_or(""));
    let form = format!(
        "<form method=\"get\" action=\"/query\">\
         <label for=\"q-domain\">{domain}</label><input id=\"q-domain\" name=\"domain\" value=\"{d}\">\
         <label for=\"q-number\">{number}</label><input id=\"q-number\" name=\"number\" value=\"{n}\">\
         <label for=\"q-name\">{name}</label><input id=\"q-name\" name=\"name\" value=\"{s}\">\
         <p><button type=\"submit\">{search}</button></p></form>",
        domain = esc(t.get("query.domain")),
        number = esc(t.get("query.number")),
        name = esc(t.get("query.name")),
        search = esc(t.get("query.search")),
        d = value(&q.0.domain),
        n = value(&q.0.number),
        s = value(&q.0.name),
    );
    let results = if q.0.query().is_none() {
        String::new()
    } else {
        match run_query(&svc, &q.0, c.lang).await {
            Ok(r) if r.is_empty() => format!("<p role=\"status\">{}</p>", esc(t.get("query.none"))),
            Ok(r) => {
                let rows: String = r
                    .iter()
                    .map(|x| {
                        format!(
                            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(&x.subject_name),
                            esc(&x.subject_nature),
                            esc(&x.service_number),
                            esc(&x.service_name),
                            esc(&x.domains.join(" ")),
                            esc(&x.approved_on)
                        )
                    })
                    .collect();
                let head: String = [
                    "query.subject",
                    "query.nature",
                    "query.number",
                    "query.service",
                    "query.domains",
                    "query.approved",
                ]
                .iter()
                .map(|k| format!("<th scope=\"col\">{}</th>", esc(t.get(k))))
                .collect();
                format!("<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            }
            Err(p) => format!("<p role=\"alert\">{}</p>", esc(&p.title)),
        }
    };
    c.page(StatusCode::OK, "query.title", &format!("{form}{results}"))
}
