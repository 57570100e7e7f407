//! The regulator's officer console as pages: sign in, the queues of the desks the account
//! sits at (the bureau's ICP filings, the PSB officer's applications), one submission with PII
//! masked and the automatic checks, approve (numbers issued) or reject with field-level
//! reasons; and the officer's V3.0 actions (`interface`: unfiled websites, verification tasks,
//! inspections). The same `Store`/`Service` calls as the JSON console API, so a page cannot do what
//! the API would refuse; every view and decision is audited.
//!
//! The session is the API's bearer token, kept in an HttpOnly, SameSite=Strict cookie scoped
//! to `/console`; every form carries a token derived from it (a cross-site post has neither).
//! Pages are plain HTML without script, every value escaped, in the language `pages` picks;
//! this module must never show an
//! unmasked certificate number or phone.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use beian_store::Uuid;
use serde_json::Value;
use sha2::{Digest, Sha256};

use beian_core::message::Lang;
use beian_core::model::{OrderKind, SubjectNature};
use beian_core::province::ProvinceCode;

use crate::bureau::{Account, BureauError, Desk, Reason, Role};
use crate::pages::{Chrome, ClientIp, esc};
use crate::service::Service;

mod interface;

const COOKIE: &str = "beian_reg_console";

pub(crate) fn routes() -> Router<Service> {
    Router::new()
        .route("/console", get(queues))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/interface", get(interface::page))
        .route("/console/interface/{action}", post(interface::act))
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
    crate::pages::cookie(h, COOKIE).map(str::to_owned)
}

/// The form token of a session: derived from the session token, never the token itself.
fn csrf_of(token: &str) -> String {
    let digest = Sha256::digest(format!("console-csrf:{token}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
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

/// The message key of a refusal.
fn error_key(e: &BureauError) -> &'static str {
    match e {
        BureauError::Forbidden => "error.forbidden",
        BureauError::NotFound => "error.not_found",
        BureauError::NotInReview(_) => "error.not_in_review",
        BureauError::ReasonsRequired => "error.reasons_required",
        _ => "error.failed",
    }
}

/// A console page that only says why it refused.
fn refusal(c: &Chrome, status: StatusCode, key: &str) -> Response {
    c.page(status, "console.title", &format!("<p role=\"alert\">{}</p>", esc(c.t.get(key))))
}

fn login_form(c: &Chrome, alert: Option<&str>) -> String {
    let t = c.t;
    let alert = alert.map_or_else(String::new, |k| format!("<p role=\"alert\">{}</p>", esc(t.get(k))));
    format!(
        "{alert}<form method=\"post\" action=\"/console/login\">\
         <label for=\"username\">{user}</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>\
         <label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <p><button type=\"submit\">{sign_in}</button></p></form>",
        user = esc(t.get("console.username")),
        password = esc(t.get("console.password")),
        sign_in = esc(t.get("console.sign_in")),
    )
}

async fn login_page(c: Chrome) -> Response {
    c.page(StatusCode::OK, "console.login_title", &login_form(&c, None))
}

async fn login(
    State(svc): State<Service>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    Form(f): Form<Pairs>,
) -> Response {
    let (user, password) = (one(&f, "username"), one(&f, "password"));
    let refuse = |key: &str, status| c.page(status, "console.login_title", &login_form(&c, Some(key)));
    let now = svc.now();
    let allowed = user.len() <= 64
        && password.len() <= 256
        && svc.store.allow_login(user, ip.as_deref(), now).await.unwrap_or(false);
    if !allowed {
        return refuse("console.too_many", StatusCode::TOO_MANY_REQUESTS);
    }
    match svc.store.login(user, password, now).await {
        Ok((token, who)) => {
            let entry = svc.entry(&who.username, "bureau.login", Some(who.id.to_string()), "OK", &ip);
            audit_now(&svc, &entry).await;
            let mut r = Redirect::to("/console").into_response();
            let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(_) => refuse("console.wrong_login", StatusCode::UNAUTHORIZED),
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

/// Writes an audit entry on its own; a failure to audit a view does not refuse the view.
async fn audit_now(svc: &Service, entry: &crate::audit::AuditEntry) {
    if let Ok(mut tx) = svc.store.begin().await
        && crate::audit::record(&mut tx, entry).await.is_ok()
    {
        let _ = tx.commit().await;
    }
}

fn sign_out_form(c: &Chrome, csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/console/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">{}</button></form>",
        esc(c.t.get("console.sign_out"))
    )
}

async fn queues(State(svc): State<Service>, c: Chrome, h: HeaderMap) -> Response {
    let (who, csrf) = match session(&svc, &h).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = c.t;
    let mut body = format!(
        "<p>{} · {}</p>{}",
        esc(&who.username),
        who.province.map_or_else(
            || esc(t.get("console.all_provinces")),
            |p| {
                let p = p.province();
                esc(if c.lang == beian_core::message::Lang::En { p.name_en } else { p.name })
            }
        ),
        sign_out_form(&c, &csrf)
    );
    if matches!(who.role, Role::Bureau | Role::Admin) {
        body.push_str(&format!(
            "<p><a href=\"/console/interface\">{}</a></p>",
            esc(t.get("console.miit.link"))
        ));
    }
    let desks: &[(Desk, &str, &str)] = match who.role {
        Role::Bureau => &[(Desk::Bureau, "icp", "console.icp_waiting")],
        Role::Psb => &[(Desk::Psb, "psb", "console.psb_waiting")],
        Role::Admin => {
            &[(Desk::Bureau, "icp", "console.icp_waiting"), (Desk::Psb, "psb", "console.psb_waiting")]
        }
    };
    for (desk, key, title) in desks {
        let items = match desk {
            Desk::Bureau => svc.store.bureau_queue(&svc.keys, &who).await,
            Desk::Psb => svc.store.psb_queue(&svc.keys, &who).await,
        };
        let items = match items {
            Ok(v) => v,
            Err(e) => return refusal(&c, StatusCode::FORBIDDEN, error_key(&e)),
        };
        body.push_str(&format!("<h2>{} ({})</h2>", esc(t.get(title)), items.len()));
        if items.is_empty() {
            body.push_str(&format!("<p>{}</p>", esc(t.get("console.nothing"))));
            continue;
        }
        let head: String = ["console.received", "console.subject", "console.kind", "console.provider"]
            .iter()
            .map(|k| format!("<th scope=\"col\">{}</th>", esc(t.get(k))))
            .collect();
        body.push_str(&format!("<table><thead><tr>{head}</tr></thead><tbody>"));
        for i in items {
            body.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"/console/{key}/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                time_of(i.received_at),
                i.id,
                esc(&i.subject_name),
                esc(&value_in_words(&c, "kind", &i.kind)),
                esc(&i.provider)
            ));
        }
        body.push_str("</tbody></table>");
    }
    c.page(StatusCode::OK, "console.title", &body)
}

/// A JSON path in words (`websites[1].head.mobile` → 网站2 · 负责人 · 手机号码): each
/// segment's name from the catalogue (`field.head`), an index counted from one; a segment the
/// catalogue does not name stays as it is. A person's `name` is 姓名, anything else's 名称.
fn path_in_words(c: &Chrome, path: &str) -> String {
    let mut previous = "";
    path.split('.')
        .map(|segment| {
            let (base, index) = match segment.split_once('[') {
                Some((b, rest)) => (b, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (segment, None),
            };
            let person = matches!(previous, "head" | "responsible" | "emergency" | "emergency_contact");
            previous = base;
            let key = if base == "name" && person {
                "field.person_name".to_owned()
            } else {
                format!("field.{base}")
            };
            let name = if c.t.has(&key) { c.t.get(&key).to_owned() } else { base.to_owned() };
            match (index, c.lang) {
                (Some(i), Lang::En) => format!("{name} {}", i + 1),
                (Some(i), Lang::Zh) => format!("{name}{}", i + 1),
                (None, _) => name,
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A coded value in words where the field holds a code (kinds, natures, statuses, provinces,
/// yes/no); free text is shown as it is.
fn value_in_words(c: &Chrome, path: &str, value: &str) -> String {
    let field = path.rsplit('.').next().unwrap_or(path);
    let pick = |(zh, en): (&str, &str)| if c.lang == Lang::En { en } else { zh }.to_owned();
    let coded = matches!(field, "kind" | "nature" | "subject_nature" | "status" | "platform")
        || value == "true"
        || value == "false";
    let key = format!("value.{value}");
    if coded && c.t.has(&key) {
        return c.t.get(&key).to_owned();
    }
    let as_json = Value::String(value.to_owned());
    match field {
        "kind" => serde_json::from_value::<OrderKind>(as_json)
            .map_or_else(|_| value.to_owned(), |k| k.label(c.lang).to_owned()),
        "nature" | "subject_nature" => serde_json::from_value::<SubjectNature>(as_json)
            .map_or_else(|_| value.to_owned(), |n| n.label(c.lang).to_owned()),
        "province" => ProvinceCode::parse(value).map_or_else(
            || value.to_owned(),
            |p| {
                let p = p.province();
                pick((p.name, p.name_en))
            },
        ),
        "region" => beian_core::division::divisions().describe(value),
        _ => value.to_owned(),
    }
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
        Value::Array(a) if a.is_empty() => {}
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
    c: Chrome,
    h: HeaderMap,
    Path((desk, id)): Path<(String, String)>,
) -> Response {
    let (who, csrf) = match session(&svc, &h).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (Some(desk), Ok(id)) = (desk_of(&desk), id.parse::<Uuid>()) else {
        return refusal(&c, StatusCode::NOT_FOUND, "error.not_found");
    };
    render_submission(&svc, &c, &who, &csrf, desk, id, None).await
}

async fn render_submission(
    svc: &Service,
    c: &Chrome,
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
            return refusal(c, code, error_key(&e));
        }
    };
    let action = match desk {
        Desk::Bureau => "bureau.view",
        Desk::Psb => "psb.view",
    };
    let entry = svc.entry(&who.username, action, Some(id.to_string()), "OK", &None);
    audit_now(svc, &entry).await;
    let t = c.t;
    let key = if desk == Desk::Bureau { "icp" } else { "psb" };
    let mut body = String::new();
    if let Some(n) = notice {
        body.push_str(&format!("<p role=\"status\" id=\"notice\">{}</p>", esc(n)));
    }
    body.push_str(&format!(
        "<p><a href=\"/console\">{}</a></p><p>{}: <strong id=\"status\">{}</strong> · {}: {}</p>",
        esc(t.get("console.back")),
        esc(t.get("console.status")),
        esc(&value_in_words(c, "status", &status)),
        esc(t.get("console.provider")),
        esc(&provider)
    ));
    if !checks.is_empty() {
        body.push_str(&format!("<h2>{}</h2><ul id=\"checks\">", esc(t.get("console.checks"))));
        for check in &checks {
            body.push_str(&format!(
                "<li>{} <code>{}</code>: {}</li>",
                esc(&path_in_words(c, &check.field)),
                esc(&check.field),
                esc(&check.reason)
            ));
        }
        body.push_str("</ul>");
    }
    let mut table = Vec::new();
    rows(&doc, String::new(), &mut table);
    body.push_str(&format!("<h2>{}</h2><table><tbody>", esc(t.get("console.data"))));
    for (k, v) in table {
        body.push_str(&format!(
            "<tr><th scope=\"row\">{}<br><code class=\"path\">{}</code></th><td>{}</td></tr>",
            esc(&path_in_words(c, &k)),
            esc(&k),
            esc(&value_in_words(c, &k, &v))
        ));
    }
    body.push_str("</tbody></table>");
    if status == desk.stage().as_str() {
        body.push_str(&format!(
            "<h2>{}</h2><form method=\"post\" action=\"/console/{key}/{id}/approve\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" id=\"approve\">{}</button></form>",
            esc(t.get("console.decision")),
            esc(t.get("console.approve"))
        ));
        body.push_str(&format!(
            "<form method=\"post\" action=\"/console/{key}/{id}/reject\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">"
        ));
        for i in 1..=3 {
            let (field, reason) = checks
                .get(i - 1)
                .map_or((String::new(), String::new()), |c| (c.field.clone(), c.reason.clone()));
            body.push_str(&format!(
                "<fieldset><legend>{}</legend><label for=\"field-{i}\">{}</label><input id=\"field-{i}\" name=\"field\" value=\"{}\"><label for=\"reason-{i}\">{}</label><input id=\"reason-{i}\" name=\"reason\" value=\"{}\"></fieldset>",
                esc(&t.get("console.reason_n").replace("{n}", &i.to_string())),
                esc(t.get("console.field")),
                esc(&field),
                esc(t.get("console.reason")),
                esc(&reason)
            ));
        }
        body.push_str(&format!(
            "<p><button type=\"submit\" id=\"reject\">{}</button></p></form>",
            esc(t.get("console.reject"))
        ));
    }
    c.page(StatusCode::OK, "console.review_title", &body)
}

/// The checks every decision starts with: session, form token, desk, id.
async fn decision_inputs(
    svc: &Service,
    c: &Chrome,
    h: &HeaderMap,
    desk: &str,
    id: &str,
    f: &Pairs,
) -> Result<(Account, String, Desk, Uuid), Response> {
    let (who, csrf) = session(svc, h).await?;
    if one(f, "csrf") != csrf {
        return Err(refusal(c, StatusCode::FORBIDDEN, "console.expired"));
    }
    match (desk_of(desk), id.parse::<Uuid>()) {
        (Some(d), Ok(id)) => Ok((who, csrf, d, id)),
        _ => Err(refusal(c, StatusCode::NOT_FOUND, "error.not_found")),
    }
}

async fn approve(
    State(svc): State<Service>,
    c: Chrome,
    h: HeaderMap,
    Path((desk, id)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let (who, csrf, desk, id) = match decision_inputs(&svc, &c, &h, &desk, &id, &f).await {
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
        Ok(numbers) => c.t.get("console.approved").replace("{numbers}", numbers),
        Err(e) => c.t.get(error_key(e)).to_owned(),
    };
    render_submission(&svc, &c, &who, &csrf, desk, id, Some(&notice)).await
}

async fn reject(
    State(svc): State<Service>,
    c: Chrome,
    h: HeaderMap,
    Path((desk, id)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let (who, csrf, desk, id) = match decision_inputs(&svc, &c, &h, &desk, &id, &f).await {
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
    let notice = c.t.get(match &result {
        Ok(()) => "console.rejected",
        Err(e) => error_key(e),
    });
    render_submission(&svc, &c, &who, &csrf, desk, id, Some(notice)).await
}
