//! The regulator's officer console as pages: sign in, the queues of the desks the account
//! sits at (the bureau's ICP filings, the PSB officer's applications), one submission with PII
//! masked and the automatic checks, approve (numbers issued) or reject with field-level
//! reasons. The same `Store`/`Service` calls as the JSON console API, so a page cannot do what
//! the API would refuse; every view and decision is audited.
//!
//! The session is the API's bearer token, kept in an HttpOnly, SameSite=Strict cookie scoped
//! to `/console`; every form carries a token derived from it (a cross-site post has neither).
//! Pages are plain HTML without script, every value escaped; this module must never show an
//! unmasked certificate number or phone.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use beian_store::Uuid;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::api::Service;
use crate::bureau::{Account, BureauError, Desk, Reason, Role};
use crate::public_api::{esc, page};

const COOKIE: &str = "beian_reg_console";

pub(crate) fn routes() -> Router<Service> {
    Router::new()
        .route("/console", get(queues))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/{desk}/{id}", get(submission))
        .route("/console/{desk}/{id}/approve", post(approve))
        .route("/console/{desk}/{id}/reject", post(reject))
        .layer(axum::middleware::from_fn(headers))
}

async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

type Pairs = Vec<(String, String)>;

fn one<'a>(f: &'a Pairs, k: &str) -> &'a str {
    f.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str())
}

fn token_of(h: &HeaderMap) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_owned))
}

/// The form token of a session: derived from the session token, never the token itself.
fn csrf_of(token: &str) -> String {
    let digest = Sha256::digest(format!("console-csrf:{token}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let mut r = page(title, body).into_response();
    *r.status_mut() = status;
    r
}

fn to_login() -> Response {
    Redirect::to("/console/login").into_response()
}

/// The signed-in account and its form token, or the sign-in page.
async fn session(svc: &Service, h: &HeaderMap) -> Result<(Account, String), Response> {
    let token = token_of(h).ok_or_else(to_login)?;
    let who = svc.store.session(&token, svc.now()).await.map_err(|_| to_login())?;
    Ok((who, csrf_of(&token)))
}

fn desk_of(name: &str) -> Option<Desk> {
    match name {
        "icp" => Some(Desk::Bureau),
        "psb" => Some(Desk::Psb),
        _ => None,
    }
}

fn error_text(e: &BureauError) -> &'static str {
    match e {
        BureauError::Forbidden => "无权执行此操作。This account may not do that.",
        BureauError::NotFound => "没有这个提交。No such submission.",
        BureauError::NotInReview(_) => {
            "该提交不在待审核阶段（可能已被处理）。It is not waiting for a decision (it may have been decided)."
        }
        BureauError::ReasonsRequired => {
            "驳回须写明至少一条原因（字段与说明）。A rejection needs at least one reason (field and text)."
        }
        _ => "处理失败，请稍后再试。Something went wrong; try again later.",
    }
}

const LOGIN_FORM: &str = "<form method=\"post\" action=\"/console/login\">\
    <label for=\"username\">用户名 Username</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>\
    <label for=\"password\">密码 Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
    <p><button type=\"submit\">登录 Sign in</button></p></form>";

async fn login_page() -> Response {
    html(StatusCode::OK, "管局审核系统登录 · Regulator console sign-in", LOGIN_FORM)
}

async fn login(State(svc): State<Service>, Form(f): Form<Pairs>) -> Response {
    let (user, password) = (one(&f, "username"), one(&f, "password"));
    let refuse = |msg: &str, status| {
        html(
            status,
            "管局审核系统登录 · Regulator console sign-in",
            &format!("<p role=\"alert\">{}</p>{LOGIN_FORM}", esc(msg)),
        )
    };
    let now = svc.now();
    let allowed = user.len() <= 64
        && password.len() <= 256
        && svc
            .store
            .allow(&format!("login:{user}"), crate::limits::LOGINS_PER_ACCOUNT, now)
            .await
            .unwrap_or(false);
    if !allowed {
        return refuse(
            "尝试次数过多，请15分钟后再试。Too many attempts; try again in 15 minutes.",
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match svc.store.login(user, password, now).await {
        Ok((token, _)) => {
            let mut r = Redirect::to("/console").into_response();
            let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(_) => refuse("用户名或密码错误。Wrong username or password.", StatusCode::UNAUTHORIZED),
    }
}

async fn logout() -> Response {
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("beian_reg_console=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0"),
    );
    r
}

fn time_of(micros: i64) -> String {
    beian_store::from_micros(micros)
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"))
        .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"))
        .unwrap_or_default()
}

fn sign_out_form(csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">退出 Sign out</button></form>"
    )
}

async fn queues(State(svc): State<Service>, h: HeaderMap) -> Response {
    let (who, csrf) = match session(&svc, &h).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut body = format!(
        "<p>{} · {}</p>{}",
        esc(&who.username),
        who.province.map_or_else(|| "全国 all provinces".to_owned(), |p| p.province().name.to_owned()),
        sign_out_form(&csrf)
    );
    let desks: &[(Desk, &str, &str)] = match who.role {
        Role::Bureau => &[(Desk::Bureau, "icp", "ICP备案待审核 · ICP filings waiting")],
        Role::Psb => &[(Desk::Psb, "psb", "公安备案待审核 · PSB applications waiting")],
        Role::Admin => &[
            (Desk::Bureau, "icp", "ICP备案待审核 · ICP filings waiting"),
            (Desk::Psb, "psb", "公安备案待审核 · PSB applications waiting"),
        ],
    };
    for (desk, key, title) in desks {
        let items = match desk {
            Desk::Bureau => svc.store.bureau_queue(&svc.keys, &who).await,
            Desk::Psb => svc.store.psb_queue(&svc.keys, &who).await,
        };
        let items = match items {
            Ok(v) => v,
            Err(e) => return html(StatusCode::FORBIDDEN, "管局审核系统 · Regulator console", error_text(&e)),
        };
        body.push_str(&format!("<h2>{title} ({})</h2>", items.len()));
        if items.is_empty() {
            body.push_str("<p>暂无待审核。Nothing is waiting.</p>");
            continue;
        }
        body.push_str("<table><thead><tr><th scope=\"col\">收到 Received</th><th scope=\"col\">主体 Subject</th><th scope=\"col\">类型 Kind</th><th scope=\"col\">接入商 Provider</th></tr></thead><tbody>");
        for i in items {
            body.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"/console/{key}/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                time_of(i.received_at),
                i.id,
                esc(&i.subject_name),
                esc(&i.kind),
                esc(&i.provider)
            ));
        }
        body.push_str("</tbody></table>");
    }
    html(StatusCode::OK, "管局审核系统 · Regulator console", &body)
}

/// A masked document as rows of (JSON path, value), for reading without a schema.
fn rows(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                rows(x, p, out);
            }
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            out.push((
                path,
                a.iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("、"),
            ));
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                rows(x, format!("{path}[{i}]"), out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((path, s.clone())),
        other => out.push((path, other.to_string())),
    }
}

async fn submission(
    State(svc): State<Service>,
    h: HeaderMap,
    Path((desk, id)): Path<(String, String)>,
) -> Response {
    let (who, csrf) = match session(&svc, &h).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (Some(desk), Ok(id)) = (desk_of(&desk), id.parse::<Uuid>()) else {
        return html(
            StatusCode::NOT_FOUND,
            "管局审核系统 · Regulator console",
            error_text(&BureauError::NotFound),
        );
    };
    render_submission(&svc, &who, &csrf, desk, id, None).await
}

async fn render_submission(
    svc: &Service,
    who: &Account,
    csrf: &str,
    desk: Desk,
    id: Uuid,
    notice: Option<&str>,
) -> Response {
    let loaded = match desk {
        Desk::Bureau => {
            svc.store.review(&svc.keys, who, id).await.map(|r| (r.status, r.order, r.checks, r.provider))
        }
        Desk::Psb => svc
            .store
            .psb_review(&svc.keys, who, id)
            .await
            .map(|r| (r.status, r.application, r.checks, r.provider)),
    };
    let (status, doc, checks, provider) = match loaded {
        Ok(x) => x,
        Err(e) => {
            let code = if matches!(e, BureauError::Forbidden | BureauError::NotFound) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            return html(code, "管局审核系统 · Regulator console", error_text(&e));
        }
    };
    let action = match desk {
        Desk::Bureau => "bureau.view",
        Desk::Psb => "psb.view",
    };
    let entry = svc.entry(&who.username, action, Some(id.to_string()), "OK", &None);
    if let Ok(mut tx) = svc.store.begin().await
        && crate::audit::record(&mut tx, &entry).await.is_ok()
    {
        let _ = tx.commit().await;
    }
    let key = if desk == Desk::Bureau { "icp" } else { "psb" };
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(&format!("<p role=\"status\" id=\"notice\">{}</p>", esc(n)));
    }
    body.push_str(&format!(
        "<p><a href=\"/console\">返回队列 Back to the queue</a></p><p>状态 Status: <strong id=\"status\">{}</strong> · 接入商 Provider: {}</p>",
        esc(&status),
        esc(&provider)
    ));
    if !checks.is_empty() {
        body.push_str("<h2>自动核查 Automatic checks</h2><ul id=\"checks\">");
        for c in &checks {
            body.push_str(&format!("<li><code>{}</code> {}</li>", esc(&c.field), esc(&c.reason)));
        }
        body.push_str("</ul>");
    }
    let mut table = Vec::new();
    rows(&doc, String::new(), &mut table);
    body.push_str("<h2>申报信息 Filed data</h2><table><tbody>");
    for (k, v) in table {
        body.push_str(&format!(
            "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td></tr>",
            esc(&k),
            esc(&v)
        ));
    }
    body.push_str("</tbody></table>");
    if status == desk.stage().as_str() {
        body.push_str(&format!(
            "<h2>审核 Decision</h2><form method=\"post\" action=\"/console/{key}/{id}/approve\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"approve\">通过 Approve</button></form>"
        ));
        body.push_str(&format!(
            "<form method=\"post\" action=\"/console/{key}/{id}/reject\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">"
        ));
        for i in 1..=3 {
            let (field, reason) = checks
                .get(i - 1)
                .map_or((String::new(), String::new()), |c| (c.field.clone(), c.reason.clone()));
            body.push_str(&format!(
                "<fieldset><legend>驳回原因 Reason {i}</legend><label for=\"field-{i}\">字段 Field (websites[0].name)</label><input id=\"field-{i}\" name=\"field\" value=\"{}\"><label for=\"reason-{i}\">说明 Reason</label><input id=\"reason-{i}\" name=\"reason\" value=\"{}\"></fieldset>",
                esc(&field),
                esc(&reason)
            ));
        }
        body.push_str("<p><button type=\"submit\" id=\"reject\">驳回 Reject</button></p></form>");
    }
    html(StatusCode::OK, "审核 · Review", &body)
}

/// The checks every decision starts with: session, form token, desk, id.
async fn decision_inputs(
    svc: &Service,
    h: &HeaderMap,
    desk: &str,
    id: &str,
    f: &Pairs,
) -> Result<(Account, String, Desk, Uuid), Response> {
    let (who, csrf) = session(svc, h).await?;
    if one(f, "csrf") != csrf {
        return Err(html(
            StatusCode::FORBIDDEN,
            "管局审核系统 · Regulator console",
            "页面已过期，请重新打开。The page expired; open it again.",
        ));
    }
    match (desk_of(desk), id.parse::<Uuid>()) {
        (Some(d), Ok(id)) => Ok((who, csrf, d, id)),
        _ => Err(html(
            StatusCode::NOT_FOUND,
            "管局审核系统 · Regulator console",
            error_text(&BureauError::NotFound),
        )),
    }
}

async fn approve(
    State(svc): State<Service>,
    h: HeaderMap,
    Path((desk, id)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let (who, csrf, desk, id) = match decision_inputs(&svc, &h, &desk, &id, &f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = match desk {
        Desk::Bureau => svc.approve_as(&who, id, None).await.map(|d| {
            let mut numbers: Vec<String> = d.subject_number.into_iter().collect();
            numbers.extend(d.services.into_iter().map(|s| s.number));
            numbers.join("、")
        }),
        Desk::Psb => svc.approve_psb_as(&who, id, None).await.map(|d| d.psb_number),
    };
    let notice = match &result {
        Ok(numbers) => format!("已通过，备案号 Approved, numbers issued: {numbers}"),
        Err(e) => error_text(e).to_owned(),
    };
    render_submission(&svc, &who, &csrf, desk, id, Some(&notice)).await
}

async fn reject(
    State(svc): State<Service>,
    h: HeaderMap,
    Path((desk, id)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let (who, csrf, desk, id) = match decision_inputs(&svc, &h, &desk, &id, &f).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let fields = f.iter().filter(|(k, _)| k == "field").map(|(_, v)| v.trim());
    let texts = f.iter().filter(|(k, _)| k == "reason").map(|(_, v)| v.trim());
    let reasons: Vec<Reason> = fields
        .zip(texts)
        .filter(|(field, text)| !field.is_empty() && !text.is_empty())
        .take(20)
        .map(|(field, reason)| Reason {
            field: field.chars().take(200).collect(),
            reason: reason.chars().take(500).collect(),
        })
        .collect();
    let result = async {
        let mut tx = svc.store.begin().await?;
        crate::bureau::reject(&mut tx, &svc.keys, &who, desk, id, &reasons, svc.now()).await?;
        let action = if desk == Desk::Bureau { "bureau.reject" } else { "psb.reject" };
        svc.commit_audited(tx, &who, action, id.to_string(), &None).await?;
        Ok::<_, BureauError>(())
    }
    .await;
    let notice = match &result {
        Ok(()) => "已驳回，原因已通知接入商。Rejected; the provider is told the reasons.",
        Err(e) => error_text(e),
    };
    render_submission(&svc, &who, &csrf, desk, id, Some(notice)).await
}
