//! What the public reaches without a key: the SMS verification page and API, the public query
//! (like beian.miit.gov.cn), and the simulated phones' outbox.
//!
//! The outbox shows the texts the simulator "sent" — it stands in for the persons' phones, so
//! a demo or an integration test can read the codes. The API answers only for a mobile number
//! the caller already knows; the page lists recent texts with masked numbers. A real
//! deployment of this simulator for training should not be reachable from the internet.
//!
//! Pages are plain HTML forms (no script), every value escaped.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use beian_core::message::Lang;
use beian_store::on;
use serde::{Deserialize, Serialize};

use crate::api::{Problem, Service, internal, parse_json, problem, take, verify_problem};
use crate::records::{PublicRecord, Query as RecordQuery};
use crate::verification::{self, Outcome, VerifyError};

pub(crate) fn routes() -> Router<Service> {
    Router::new()
        .route("/api/v1/sms/verify", axum::routing::post(verify_api))
        .route("/sms", get(verify_page).post(verify_form))
        .route("/api/v1/sms/outbox", get(outbox_api))
        .route("/outbox", get(outbox_page))
        .route("/api/v1/query", get(query_api))
        .route("/query", get(query_page))
}

/// Escapes text for HTML.
pub(crate) use beian_core::text::escape_html as esc;

pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}label{{display:block;margin:.5rem 0}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}}</style></head>\
         <body><h1>{t}</h1>{body}<p><a href=\"/sms\">短信核验 SMS verification</a> · <a href=\"/query\">备案查询 Public query</a> · <a href=\"/outbox\">模拟短信 Outbox</a> · <a href=\"/console\">管局审核 Console</a></p></body></html>",
        t = esc(title)
    ))
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// An entry on the verification page or API.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    mobile: String,
    cert_last_six: String,
    code: String,
}

#[derive(Serialize)]
struct VerifyOut {
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

async fn verify_api(State(svc): State<Service>, req: axum::extract::Request) -> Response {
    let inner = async {
        let req = take(req).await?;
        let b: VerifyBody = parse_json(&req.body, req.lang)?;
        let o = run_verify(&svc, &b, req.ip.as_deref(), req.lang).await?;
        let status = if matches!(o, Outcome::Wrong { .. } | Outcome::Returned | Outcome::Expired) {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        Ok::<_, Problem>((status, axum::Json(verify_out(&o))).into_response())
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
}

const VERIFY_FORM: &str = "<form method=\"post\" action=\"/sms\">\
    <label>手机号码 Mobile <input name=\"mobile\" inputmode=\"numeric\" autocomplete=\"tel\" required></label>\
    <label>证件号码后六位 Last six characters of the certificate number <input name=\"cert_last_six\" maxlength=\"6\" required></label>\
    <label>短信验证码 Code <input name=\"code\" inputmode=\"numeric\" maxlength=\"6\" autocomplete=\"one-time-code\" required></label>\
    <button>核验 Verify</button></form>";

async fn verify_page() -> Html<String> {
    page(
        "工信部ICP备案短信核验 · MIIT SMS verification",
        &format!("<p>请在收到短信后24小时内完成核验。Verify within 24 hours of the text.</p>{VERIFY_FORM}"),
    )
}

async fn verify_form(State(svc): State<Service>, req: axum::extract::Request) -> Response {
    use axum::extract::FromRequest;
    let lang = lang_of(req.headers());
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let form = axum::Form::<VerifyBody>::from_request(req, &()).await;
    let Ok(form) = form else {
        let msg = "请填写手机号码、证件号码后六位和验证码。Fill in the mobile, the certificate's last six characters and the code.";
        let body = format!("<p role=\"status\">{}</p>{VERIFY_FORM}", esc(msg));
        let mut resp = page("工信部ICP备案短信核验 · MIIT SMS verification", &body).into_response();
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return resp;
    };
    let msg = match run_verify(&svc, &form.0, ip.as_deref(), lang).await {
        Ok(Outcome::Verified { all_done: true }) => {
            "核验成功，备案已提交管局审核。Verified; the filing is now with the bureau.".to_owned()
        }
        Ok(Outcome::Verified { all_done: false }) => {
            "核验成功，尚有其他负责人未核验。Verified; other persons still need to verify.".to_owned()
        }
        Ok(Outcome::AlreadyVerified) => "您已核验过。You have already verified.".to_owned(),
        Ok(Outcome::Wrong { left }) => format!(
            "验证码、手机号码或证件号码后六位有误，还可再错{left}次。Wrong code, mobile or certificate digits; {left} more wrong entries are tolerated."
        ),
        Ok(Outcome::Returned) => {
            "错误次数过多，备案已退回接入商。Too many wrong entries: the filing was returned to the provider.".to_owned()
        }
        Ok(Outcome::Expired) => {
            "已超过24小时，备案已退回接入商。More than 24 hours passed: the filing was returned to the provider."
                .to_owned()
        }
        Err(p) => format!("{} {}", p.zh, p.en),
    };
    page(
        "工信部ICP备案短信核验 · MIIT SMS verification",
        &format!("<p role=\"status\">{}</p>{VERIFY_FORM}", esc(&msg)),
    )
    .into_response()
}

#[derive(Deserialize)]
struct OutboxQuery {
    mobile: Option<String>,
}

#[derive(Serialize)]
struct OutboxItem {
    to: String,
    body: String,
    at: i64,
}

async fn outbox(svc: &Service, mobile: Option<&str>, lang: Lang) -> Result<Vec<OutboxItem>, Problem> {
    let rows: Vec<(String, String, i64)> = match mobile {
        Some(m) => {
            let m = beian_core::id::Mobile::parse(m)
                .map_err(|_| verify_problem(&VerifyError::MobileInvalid, lang))?
                .value
                .to_string();
            let index = svc.keys.blind_index("mobile", &m);
            on!(store svc.store.store(), |c| sqlx::query_as(
                "SELECT mobile_masked, body, created_at FROM reg_sms_outbox WHERE mobile_index = $1 ORDER BY created_at DESC, id DESC LIMIT 50",
            )
            .bind(index)
            .fetch_all(c)
            .await)
        }
        None => on!(store svc.store.store(), |c| sqlx::query_as(
            "SELECT mobile_masked, body, created_at FROM reg_sms_outbox ORDER BY created_at DESC, id DESC LIMIT 50",
        )
        .fetch_all(c)
        .await),
    }
    .map_err(|e| internal(lang, &e))?;
    Ok(rows.into_iter().map(|(to, body, at)| OutboxItem { to, body, at }).collect())
}

async fn outbox_api(State(svc): State<Service>, headers: HeaderMap, q: Query<OutboxQuery>) -> Response {
    let lang = lang_of(&headers);
    let Some(m) = q.0.mobile else {
        return Problem {
            field: Some("mobile".into()),
            ..problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "MOBILE_REQUIRED",
                "请给出手机号码",
                "Give the mobile number",
                lang,
            )
        }
        .into_response();
    };
    match outbox(&svc, Some(&m), lang).await {
        Ok(items) => axum::Json(items).into_response(),
        Err(p) => p.into_response(),
    }
}

async fn outbox_page(State(svc): State<Service>, headers: HeaderMap) -> Response {
    match outbox(&svc, None, lang_of(&headers)).await {
        Ok(items) => {
            let rows: String = items
                .iter()
                .map(|i| format!("<tr><td>{}</td><td>{}</td></tr>", esc(&i.to), esc(&i.body)))
                .collect();
            page(
                "模拟短信发件箱 · Simulated SMS outbox",
                &format!(
                    "<p>模拟器不发送真实短信，这里是各负责人的“手机”。The simulator sends no real texts: these are the persons' phones.</p>\
                     <table><tr><th>手机 To</th><th>短信 Text</th></tr>{rows}</table>"
                ),
            )
            .into_response()
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
            ..problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "QUERY_REQUIRED",
                "请输入域名、备案号或主办单位名称",
                "Give a domain, a filing number or the subject's name",
                lang,
            )
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

async fn query_page(State(svc): State<Service>, headers: HeaderMap, q: Query<QueryParams>) -> Response {
    let form = "<form method=\"get\" action=\"/query\">\
        <label>域名 Domain <input name=\"domain\"></label><label>备案号 Number <input name=\"number\"></label>\
        <label>主办单位名称 Subject name <input name=\"name\"></label><button>查询 Search</button></form>";
    let results = if q.0.query().is_none() {
        String::new()
    } else {
        match run_query(&svc, &q.0, lang_of(&headers)).await {
            Ok(r) if r.is_empty() => "<p>没有符合条件的记录。No records match.</p>".to_owned(),
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
                format!(
                    "<table><tr><th>主办单位 Subject</th><th>性质 Nature</th><th>备案号 Number</th><th>名称 Name</th><th>域名 Domains</th><th>审核通过日期 Approved</th></tr>{rows}</table>"
                )
            }
            Err(p) => format!("<p>{}</p>", esc(&format!("{} {}", p.zh, p.en))),
        }
    };
    page("ICP备案查询 · Public query", &format!("{form}{results}")).into_response()
}
