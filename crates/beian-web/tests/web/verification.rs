//! Verification tasks and inspections, end to end over MIIT's interface V3.0 on both backends:
//! the simulator asks the provider to verify a filing (twice while open: one work item), a
//! reviewer checks the site live and answers, the bureau takes the answer; a second task whose
//! answer the bureau refuses is refused on the item; an inspection finding is shown with the
//! site's latest scan and acknowledged. Every file either way matches its XSD.

use std::sync::Arc;

use crate::common::world::*;
use crate::common::{field_codes, hidden};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SUBJECT_NUMBER: &str = "浙ICP备2026000001号";
const SITE_NUMBER: &str = "浙ICP备2026000001号-1";

/// An officer signed in to the regulator's console, with its form token.
struct Console {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Console {
    /// Posts one of the interface page's forms; the status and the page answered.
    async fn act(&self, action: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .http
            .post(format!("{}/console/interface/{action}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }
}

async fn console(base: &str, user: &str) -> Console {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/console/login"))
        .form(&[("username", user), ("password", crate::common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{user} signed in");
    let page = http.get(format!("{base}/console")).send().await.unwrap().text().await.unwrap();
    let csrf =
        page.split("name=\"csrf\" value=\"").nth(1).unwrap_or_default().split('"').next().unwrap_or_default();
    Console { http, base: base.to_owned(), csrf: csrf.to_owned() }
}

async fn items(w: &World, state: &str) -> Vec<Value> {
    let r = w.reviewer.get(&format!("/api/v1/review/verifications?state={state}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_task_is_checked_live_answered_and_taken_and_an_inspection_acknowledged() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let addr = site_server(Arc::new(std::sync::atomic::AtomicBool::new(true))).await;
        let w = world_miit_scanning(pdb, rdb, addr).await;
        w.settle().await;
        let (subject, _) = w.file_to_numbers(sites(&[0])).await;
        w.resolver.set("aliyun.com", &["47.96.1.1".parse().unwrap()]);

        // An officer asks from the console (a bureau of another province cannot, nor the PSB
        // desk), and asks again before the answer: one work item.
        let gd = console(&w.reg_base, "bureau-gd").await;
        let (status, text) =
            gd.act("verify", &[("unit_id", &MIIT_UNIT.to_string()), ("number", SUBJECT_NUMBER)]).await;
        assert!(
            status == StatusCode::OK && text.contains("没有该报备单位代码的本省接入商"),
            "{label}: {text}"
        );
        let psb = console(&w.reg_base, "psb-zj").await;
        let r = psb.http.get(format!("{}/console/interface", w.reg_base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{label}");
        let zj = console(&w.reg_base, "bureau-zj").await;
        let (status, text) = zj
            .act(
                "verify",
                &[
                    ("unit_id", &MIIT_UNIT.to_string()),
                    ("number", SUBJECT_NUMBER),
                    ("note", "请于5个工作日内核实"),
                ],
            )
            .await;
        assert!(status == StatusCode::OK && text.contains("已下发"), "{label}: {text}");
        w.settle().await;
        let note = Some("请于5个工作日内核实".to_owned());
        let ztid = w.regulator.miit_issue_verification(MIIT_UNIT, SUBJECT_NUMBER, note).await.unwrap();
        w.settle().await;
        let open = items(&w, "open").await;
        assert_eq!(open.len(), 1, "{label}: {open:?}");
        let t = &open[0];
        assert_eq!(
            (&t["kind"], &t["bureau_subject_id"], &t["subject_id"], &t["subject_name"], &t["note"]),
            (&json!("task"), &json!(ztid), &json!(subject), &json!(SUBJECT), &json!("请于5个工作日内核实")),
            "{label}: {t}"
        );
        assert_eq!(t["websites"][0]["number"], SITE_NUMBER, "{label}: {t}");
        assert!(
            t["websites"][0]["domains"].as_array().unwrap().contains(&json!("aliyun.com")),
            "{label}: {t}"
        );
        assert!(!t.to_string().contains("13800138000"), "{label}: no phone shown");
        let id = t["id"].as_str().unwrap().to_owned();
        let path = |what: &str| format!("/api/v1/review/verifications/{id}/{what}");

        // Only staff see or act on it.
        assert_eq!(
            w.owner.get("/api/v1/review/verifications").await.status,
            StatusCode::FORBIDDEN,
            "{label}"
        );
        let r = w.owner.post(&path("answer"), json!({ "passed": true, "opinion": "属实" })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}");
        let bogus = w.reviewer.get("/api/v1/review/verifications?state=closed").await;
        assert_eq!(
            field_codes(&bogus),
            vec![("state".into(), "VERIFICATION_STATE_UNKNOWN".into())],
            "{label}"
        );

        // The live check: on our addresses, answering, the footer carrying the number.
        let checked = w.reviewer.post(&path("check"), json!({})).await;
        assert_eq!(checked.status, StatusCode::OK, "{label}: {}", checked.body);
        let live = &checked.body["websites"][0]["live"][0];
        assert_eq!(
            (&live["domain"], &live["on_our_addresses"], &live["reachable"], &live["footer_ok"]),
            (&json!("aliyun.com"), &json!(true), &json!(true), &json!(true)),
            "{label}: {live}"
        );
        assert!(checked.body["checked_at"].is_string(), "{label}");

        // Bad answers: each refused with its field, nothing sent.
        let uploads = w.provider.app.store().miit_uploads().await.unwrap().len();
        let r = w.reviewer.post(&path("answer"), json!({ "passed": true, "opinion": " " })).await;
        assert_eq!(field_codes(&r), vec![("opinion".into(), "VERIFICATION_TEXT_INVALID".into())], "{label}");
        let r = w.reviewer.post(&path("answer"), json!({ "passed": false, "opinion": "不属实" })).await;
        assert_eq!(field_codes(&r), vec![("errors".into(), "VERIFICATION_TEXT_INVALID".into())], "{label}");
        let r =
            w.reviewer.post(&path("answer"), json!({ "passed": true, "opinion": "长".repeat(1025) })).await;
        assert_eq!(field_codes(&r), vec![("opinion".into(), "VERIFICATION_TEXT_INVALID".into())], "{label}");
        let r =
            w.reviewer.post(&path("answer"), json!({ "passed": true, "opinion": "属实", "pass": 1 })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: an unknown member");
        let r = w.reviewer.post(&path("acknowledge"), json!({})).await;
        assert_eq!(r.body["code"], "VERIFICATION_NOT_AN_INSPECTION", "{label}: {}", r.body);
        let r = w
            .reviewer
            .post(
                &format!("/api/v1/review/verifications/{}/answer", uuid::Uuid::new_v4()),
                json!({ "passed": true, "opinion": "属实" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{label}");
        assert_eq!(w.provider.app.store().miit_uploads().await.unwrap().len(), uploads, "{label}");

        // Answered: passed, sent as HSJG; a second answer is refused; the bureau takes it.
        let r = w
            .reviewer
            .post(&path("answer"), json!({ "passed": true, "opinion": "已电话及现场核实，信息属实" }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        assert_eq!((&r.body["state"], &r.body["passed"]), (&json!("answered"), &json!(true)), "{label}");
        let twice = w.reviewer.post(&path("answer"), json!({ "passed": true, "opinion": "属实" })).await;
        assert_eq!(
            (twice.status, &twice.body["code"]),
            (StatusCode::CONFLICT, &json!("VERIFICATION_CLOSED")),
            "{label}"
        );
        w.settle().await;
        assert_eq!(
            w.regulator.miit_verification_answer(MIIT_UNIT, ztid).await.unwrap(),
            Some((true, "已电话及现场核实，信息属实".to_owned())),
            "{label}"
        );
        let one = w.reviewer.get(&format!("/api/v1/review/verifications/{id}")).await;
        assert_eq!(one.body["state"], "accepted", "{label}: {}", one.body);

        // A new task; meanwhile the bureau closed it on its side, so it refuses the answer.
        w.regulator.miit_issue_verification(MIIT_UNIT, SUBJECT_NUMBER, None).await.unwrap();
        w.settle().await;
        let open = items(&w, "open").await;
        assert_eq!(open.len(), 1, "{label}: a new task after the answer: {open:?}");
        let second = open[0]["id"].as_str().unwrap().to_owned();
        assert_ne!(second, id, "{label}");
        let mut tx = w.regulator.store.begin().await.unwrap();
        beian_store::on!(tx &mut tx, |c| sqlx::query("UPDATE reg_miit_tasks SET answered_at = 1 WHERE answered_at IS NULL").execute(c).await.unwrap().rows_affected());
        tx.commit().await.unwrap();
        let r = w
            .reviewer
            .post(
                &format!("/api/v1/review/verifications/{second}/answer"),
                json!({ "passed": false, "opinion": "网站负责人信息与实际不符", "errors": "网站负责人已离职" }),
            )
            .await;
        assert_eq!(r.body["state"], "answered", "{label}: {}", r.body);
        w.settle().await;
        let refused = w.reviewer.get(&format!("/api/v1/review/verifications/{second}")).await.body;
        assert_eq!(refused["state"], "refused", "{label}: {refused}");
        assert!(refused["result"].as_str().unwrap().starts_with("5999"), "{label}: {refused}");

        // An inspection: the access is filed where the site is not (多报). With the day's scan
        // of the site, the item shows its latest scan; the reviewer acknowledges it.
        w.provider.app.compliance().schedule_daily_scans().await.unwrap();
        w.clock().advance(time::Duration::days(1));
        w.settle().await;
        let ip: std::net::Ipv4Addr = "203.0.113.7".parse().unwrap();
        // A day later the console session has ended: the officer signs in again.
        let zj = console(&w.reg_base, "bureau-zj").await;
        let (status, text) = zj
            .act(
                "inspect",
                &[("unit_id", &MIIT_UNIT.to_string()), ("number", SITE_NUMBER), ("ip", &ip.to_string())],
            )
            .await;
        assert!(status == StatusCode::OK && text.contains("已下发"), "{label}: {text}");
        w.settle().await;
        let open = items(&w, "open").await;
        assert_eq!(open.len(), 1, "{label}: {open:?}");
        let i = &open[0];
        let site = &i["websites"][0];
        assert_eq!(
            (&i["kind"], &site["number"], &site["finding"], &site["finding_ip"], &site["domains"]),
            (
                &json!("inspection"),
                &json!(SITE_NUMBER),
                &json!("ACCESS_OVER_REPORTED"),
                &json!("203.0.113.7"),
                &json!(["aliyun.com"])
            ),
            "{label}: {i}"
        );
        assert_eq!(site["latest_scan"]["verdict"], "compliant", "{label}: {site}");
        let iid = i["id"].as_str().unwrap();
        let r = w
            .reviewer
            .post(
                &format!("/api/v1/review/verifications/{iid}/answer"),
                json!({ "passed": true, "opinion": "x" }),
            )
            .await;
        assert_eq!(r.body["code"], "VERIFICATION_NOT_A_TASK", "{label}: {}", r.body);
        // On the reviewer's page: the items with the finding, acknowledged through its form.
        let page = w.reviewer.get("/admin/verifications").await;
        assert_eq!(page.status, StatusCode::OK, "{label}");
        let html = page.body.as_str().unwrap_or_default().to_owned();
        for needle in
            [SUBJECT, SITE_NUMBER, "多报", "核实通过", &format!("/admin/verifications/{iid}/acknowledge")]
        {
            assert!(html.contains(needle), "{label}: {needle} in {html}");
        }
        let form = vec![
            ("csrf_token", hidden(&html, "csrf_token")),
            ("opinion", "已核实：站点已迁出，待取消接入".into()),
        ];
        let path = format!("/admin/verifications/{iid}/acknowledge");
        let r = crate::common::Client::send(w.reviewer.request(Method::POST, &path).form(&form)).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: back on the page");
        let i = w.reviewer.get(&format!("/api/v1/review/verifications/{iid}")).await.body;
        assert_eq!(
            (&i["state"], &i["opinion"]),
            (&json!("acknowledged"), &json!("已核实：站点已迁出，待取消接入")),
            "{label}: {i}"
        );
        let again =
            w.reviewer.post(&format!("/api/v1/review/verifications/{iid}/acknowledge"), json!({})).await;
        assert_eq!(again.body["code"], "VERIFICATION_CLOSED", "{label}: {}", again.body);
        // A form without its token changes nothing; a reviewer opens no other admin tab.
        let r = crate::common::Client::send(
            w.reviewer
                .form_request(Method::POST, &format!("/admin/verifications/{second}/check"))
                .form(&[("x", "1")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}");
        assert_eq!(w.reviewer.get("/admin/users").await.status, StatusCode::NOT_FOUND, "{label}");
        assert_eq!(w.owner.get("/admin/verifications").await.status, StatusCode::NOT_FOUND, "{label}");
        assert!(items(&w, "open").await.is_empty(), "{label}");
        w.validate_miit_files(label).await;
    }
}
