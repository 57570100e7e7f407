//! The officer's V3.0 actions as a console page: list a domain found unfiled on a provider's
//! address (WBAWZLB), ask a provider to verify a filing (HSRW), hand down an inspection finding
//! (HCJG) — what `beian regulator unfiled|verify|inspect` do, for an officer at a browser.
//!
//! A bureau account acts on providers of its own province only; every action is audited. The
//! same form token as the rest of the console guards each post.

use std::net::Ipv4Addr;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::bureau::{Account, Role};
use crate::pages::{Chrome, ClientIp, esc};
use crate::service::Service;

use super::{Pairs, audit_now, one, refusal, session, sign_out_form};

/// A form's fields: (name, label key, input type).
type Fields = &'static [(&'static str, &'static str, &'static str)];

const FORMS: [(&str, &str, Fields); 3] = [
    (
        "unfiled",
        "console.miit.unfiled",
        &[
            ("unit_id", "console.miit.unit_id", "number"),
            ("domain", "console.miit.domain", "text"),
            ("ip", "console.miit.ip", "text"),
        ],
    ),
    (
        "verify",
        "console.miit.verify",
        &[
            ("unit_id", "console.miit.unit_id", "number"),
            ("number", "console.miit.subject_number", "text"),
            ("note", "console.miit.note", "text"),
        ],
    ),
    (
        "inspect",
        "console.miit.inspect",
        &[
            ("unit_id", "console.miit.unit_id", "number"),
            ("number", "console.miit.site_number", "text"),
            ("ip", "console.miit.ip", "text"),
            ("under", "console.miit.under", "checkbox"),
        ],
    ),
];

fn render(c: &Chrome, csrf: &str, notice: Option<(&str, bool)>) -> Response {
    let t = c.t;
    let mut body = String::new();
    if let Some((text, ok)) = notice {
        body.push_str(&format!("<p role=\"{}\">{}</p>", if ok { "status" } else { "alert" }, esc(text)));
    }
    body.push_str(&format!("<p>{}</p>", esc(t.get("console.miit.note_text"))));
    for (action, title, fields) in FORMS {
        body.push_str(&format!(
            "<h2>{}</h2><form method=\"post\" action=\"/console/interface/{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">",
            esc(t.get(title))
        ));
        for (name, label, kind) in fields {
            let id = format!("{action}-{name}");
            if *kind == "checkbox" {
                body.push_str(&format!(
                    "<label><input type=\"checkbox\" id=\"{id}\" name=\"{name}\" value=\"1\"> {}</label>",
                    esc(t.get(label))
                ));
            } else {
                body.push_str(&format!(
                    "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{name}\" type=\"{kind}\">",
                    esc(t.get(label))
                ));
            }
        }
        body.push_str(&format!(
            "<p><button type=\"submit\">{}</button></p></form>",
            esc(t.get("console.miit.send"))
        ));
    }
    body.push_str(&sign_out_form(c, csrf));
    c.page(StatusCode::OK, "console.miit.title", &body)
}

/// Bureau officers and administrators only: the refusal for anyone else.
fn unless_officer(c: &Chrome, who: &Account) -> Option<Response> {
    match who.role {
        Role::Bureau | Role::Admin => None,
        Role::Psb => Some(refusal(c, StatusCode::FORBIDDEN, "error.forbidden")),
    }
}

pub(super) async fn page(State(svc): State<Service>, c: Chrome, h: HeaderMap) -> Response {
    let (who, csrf) = match session(&svc, &h).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = unless_officer(&c, &who) {
        return r;
    }
    render(&c, &csrf, None)
}

pub(super) async fn act(
    State(svc): State<Service>,
    c: Chrome,
    h: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(action): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let (who, csrf) = match session(&svc, &h).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = unless_officer(&c, &who) {
        return r;
    }
    if one(&f, "csrf") != csrf {
        return refusal(&c, StatusCode::FORBIDDEN, "console.expired");
    }
    let t = c.t;
    let Ok(unit) = one(&f, "unit_id").trim().parse::<i64>() else {
        return render(&c, &csrf, Some((t.get("console.miit.bad_unit"), false)));
    };
    // An officer of one province acts on that province's providers only.
    let account = match svc.store.miit_account(&svc.keys, unit).await {
        Ok(Some(a)) if who.province.is_none_or(|p| p == a.province) => a,
        _ => return render(&c, &csrf, Some((t.get("console.miit.bad_unit"), false))),
    };
    let address = |k: &str| one(&f, k).trim().parse::<Ipv4Addr>().ok();
    let number = one(&f, "number").trim();
    let result = match action.as_str() {
        "unfiled" => match address("ip") {
            Some(ip) => svc.miit_list_unfiled(account.isp_id, one(&f, "domain"), ip).await.map(|_| ()),
            None => return render(&c, &csrf, Some((t.get("console.miit.bad_ip"), false))),
        },
        "verify" => {
            let note =
                Some(one(&f, "note").trim()).filter(|n| !n.is_empty()).map(|n| n.chars().take(200).collect());
            svc.miit_issue_verification(account.isp_id, number, note).await.map(|_| ())
        }
        "inspect" => {
            svc.miit_issue_inspection(account.isp_id, number, !one(&f, "under").is_empty(), address("ip"))
                .await
        }
        _ => return refusal(&c, StatusCode::NOT_FOUND, "error.not_found"),
    };
    let outcome = if result.is_ok() { "OK" } else { "REFUSED" };
    let entry = svc.entry(&who.username, &format!("miit.{action}"), Some(unit.to_string()), outcome, &ip);
    audit_now(&svc, &entry).await;
    match result {
        Ok(()) => render(&c, &csrf, Some((t.get("console.miit.sent"), true))),
        Err(e) => {
            let text = format!("{}{e}", t.get("console.miit.failed"));
            render(&c, &csrf, Some((&text, false)))
        }
    }
}
