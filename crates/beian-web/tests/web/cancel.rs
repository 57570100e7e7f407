//! Cancellations on pages, end to end against the regulator on both backends: the owner of a
//! filed subject withdraws this provider's access from its two websites at once (取消接入) from
//! the subject's page — the reason from the list, what follows said, a confirmation asked —
//! submits on the confirmation step, the provider reviews, and the bureau receives the order
//! with its reason and decides; the sites are left without access. Over V3.0 each site is its
//! own entry, decided on its own: the order waits for both verdicts and follows each.

use crate::common::world::*;
use crate::common::{Client, hidden};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const ONE: &str = "浙ICP备2026000001号-1";
const TWO: &str = "浙ICP备2026000001号-2";

async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = Client::send(c.form_request(Method::POST, path).form(fields)).await;
    (r.status, r.body.as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_to_two_sites_is_withdrawn_at_once_from_the_subjects_page() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let (w, _) = world(pdb, rdb, true, None).await;
        let (subject, _) = w.file_to_numbers(sites(&[0, 1])).await;

        // The subject's page links the cancellations; the page lists the sites, the bureau's
        // reasons and what follows.
        let subject_page = w.owner.get(&format!("/app/subjects/{subject}")).await;
        assert!(
            subject_page.body.as_str().unwrap().contains(&format!("/app/subjects/{subject}/cancel")),
            "{label}"
        );
        let path = format!("/app/subjects/{subject}/cancel");
        let page = w.owner.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{label}");
        let html = page.body.as_str().unwrap().to_owned();
        for needle in [ONE, TWO, "更换接入服务商", "网站关闭", "公安联网备案", "空壳网站"]
        {
            assert!(html.contains(needle), "{label}: {needle} in {html}");
        }
        let csrf = hidden(&html, "csrf_token");

        // Refused: no confirmation; a website cancellation naming two; nothing chosen.
        let access =
            [("csrf_token", csrf.as_str()), ("kind", "cancel_access"), ("numbers", ONE), ("numbers", TWO)];
        let (status, body) =
            form(&w.owner, &path, &[&access[..], &[("cancel_reason", "更换接入服务商")]].concat()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(body.contains("请确认已知悉办理后的影响"), "{label}: {body}");
        let service = [
            ("csrf_token", csrf.as_str()),
            ("kind", "cancel_service"),
            ("numbers", ONE),
            ("numbers", TWO),
            ("confirm", "1"),
        ];
        let (status, body) = form(&w.owner, &path, &service).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY && body.contains("注销网站每次办理一个网站"),
            "{label}: {body}"
        );
        let (status, body) = form(
            &w.owner,
            &path,
            &[("csrf_token", csrf.as_str()), ("kind", "cancel_access"), ("confirm", "1")],
        )
        .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY && body.contains("请选择至少一个网站"),
            "{label}: {body}"
        );
        let (status, body) = form(
            &w.owner,
            &path,
            &[&access[..], &[("cancel_reason", "随便写的理由"), ("confirm", "1")]].concat(),
        )
        .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY && body.contains("请从注销理由列表中选择"),
            "{label}: {body}"
        );
        let (status, _) =
            form(&w.owner, &path, &[("kind", "cancel_access"), ("numbers", ONE), ("confirm", "1")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}: no form token");
        let orders = w.owner.get("/api/v1/orders").await.body;
        let open: Vec<&Value> =
            orders.as_array().unwrap().iter().filter(|o| o["order"]["kind"] == "cancel_access").collect();
        assert!(open.is_empty(), "{label}: nothing created by a refused form");

        // Both sites, the reason, confirmed: the order lands on its confirmation step.
        let (status, body) = form(
            &w.owner,
            &path,
            &[
                &access[..],
                &[("cancel_reason", "更换接入服务商"), ("remark", "迁往自建机房"), ("confirm", "1")],
            ]
            .concat(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert!(body.contains("id=\"submit\""), "{label}: the confirmation step: {body}");
        let orders = w.owner.get("/api/v1/orders").await.body;
        let id =
            orders.as_array().unwrap().iter().find(|o| o["order"]["kind"] == "cancel_access").unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
        let o = w.order(&id).await;
        assert_eq!(o["order"]["target_numbers"], serde_json::json!([ONE, TWO]), "{label}: {o}");
        assert_eq!(o["order"]["cancel_reason"], "更换接入服务商", "{label}");

        // Its documents (the cancellation's checklist, uploaded as the documents step would),
        // submitted on the page, reviewed by the provider, decided by the bureau.
        let needs = w.owner.get(&format!("/api/v1/orders/{id}/requirements")).await.body;
        for d in needs["documents"].as_array().unwrap() {
            let (kind, at) = (d["kind"].as_str().unwrap(), d["path"].as_str().unwrap());
            let r = w.owner.upload(&id, kind, at, crate::common::photo(), "image/png").await;
            assert_eq!(r.status, StatusCode::CREATED, "{label}: {kind} {at}: {}", r.body);
        }
        let confirm =
            w.owner.get(&format!("/app/orders/{id}/edit/confirm")).await.body.as_str().unwrap().to_owned();
        let version =
            confirm.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let (status, body) = form(
            &w.owner,
            &format!("/app/orders/{id}/submit"),
            &[("csrf_token", &hidden(&confirm, "csrf_token")), ("version", &version)],
        )
        .await;
        let notice: String =
            body.split("role=\"status\"").nth(1).unwrap_or(&body).chars().take(800).collect();
        assert_eq!(status, StatusCode::OK, "{label}: {notice}");
        let s = w.state(&id).await;
        assert_eq!(s["state"], "submitted", "{label}: {s}");
        let etag = w.owner.get(&format!("/api/v1/orders/{id}")).await.etag();
        let claimed = w.reviewer.act(&id, "claim", None, &etag).await;
        let verified = w
            .reviewer
            .act(
                &id,
                "verification",
                Some(serde_json::json!({ "passed": true, "note": "一致" })),
                &claimed.etag(),
            )
            .await;
        let approved = w.reviewer.act(&id, "approve", None, &verified.etag()).await;
        assert_eq!(approved.body["state"]["state"], "queued_for_regulator", "{label}: {}", approved.body);
        w.settle().await;
        let item = w.bureau_item(SUBJECT).await;
        let seen = w.bureau.get(&format!("/api/v1/bureau/submissions/{item}")).await;
        assert!(
            seen.body.to_string().contains("更换接入服务商"),
            "{label}: the reason reached the bureau: {}",
            seen.body
        );
        let r =
            w.bureau.post(&format!("/api/v1/bureau/submissions/{item}/approve"), serde_json::json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        w.settle().await;
        assert_eq!(w.state(&id).await["state"], "filed", "{label}");
        let shells = w.bureau.get("/api/v1/bureau/empty-shells").await.body.to_string();
        assert!(shells.contains(ONE) && shells.contains(TWO), "{label}: both left without access: {shells}");
    }
}

/// An order's documents uploaded as its checklist asks, submitted, and taken through the
/// provider's review to the bureau.
async fn submit_and_review(w: &World, id: &str, label: &str) {
    let needs = w.owner.get(&format!("/api/v1/orders/{id}/requirements")).await.body;
    for d in needs["documents"].as_array().unwrap() {
        let (kind, at) = (d["kind"].as_str().unwrap(), d["path"].as_str().unwrap());
        let r = w.owner.upload(id, kind, at, crate::common::photo(), "image/png").await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {kind} {at}: {}", r.body);
    }
    let etag = w.owner.get(&format!("/api/v1/orders/{id}")).await.etag();
    let submitted = w.owner.act(id, "submit", None, &etag).await;
    assert_eq!(submitted.status, StatusCode::OK, "{label}: {}", submitted.body);
    let claimed = w.reviewer.act(id, "claim", None, &submitted.etag()).await;
    let passed = serde_json::json!({ "passed": true, "note": "一致" });
    let verified = w.reviewer.act(id, "verification", Some(passed), &claimed.etag()).await;
    let approved = w.reviewer.act(id, "approve", None, &verified.etag()).await;
    assert_eq!(approved.body["state"]["state"], "queued_for_regulator", "{label}: {}", approved.body);
    w.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_v3_two_sites_access_is_decided_site_by_site_and_the_order_follows_both() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let w = world_miit(pdb, rdb).await;
        w.settle().await;
        let (subject, _) = w.file_to_numbers(sites(&[0, 1])).await;
        let path = format!("/app/subjects/{subject}/cancel");
        let html = w.owner.get(&path).await.body.as_str().unwrap().to_owned();
        // The reasons are the bureau's table as it came down (JCDM).
        assert!(html.contains("更换接入服务商"), "{label}: {html}");
        let csrf = hidden(&html, "csrf_token");
        let both = [
            ("csrf_token", csrf.as_str()),
            ("kind", "cancel_access"),
            ("numbers", ONE),
            ("numbers", TWO),
            ("cancel_reason", "更换接入服务商"),
            ("confirm", "1"),
        ];
        let (status, body) = form(&w.owner, &path, &both).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        let orders = w.owner.get("/api/v1/orders").await.body;
        let o = orders.as_array().unwrap().iter().find(|o| o["order"]["kind"] == "cancel_access").unwrap();
        assert_eq!(o["order"]["target_numbers"], serde_json::json!([ONE, TWO]), "{label}");
        let id = o["id"].as_str().unwrap().to_owned();
        submit_and_review(&w, &id, label).await;

        // One ZXBA record with an entry per site: the bureau decides each on its own. The
        // first verdict leaves the order waiting for the second.
        let queue = w.bureau.get("/api/v1/bureau/queue").await.body;
        let items: Vec<String> = queue
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["subject_name"] == SUBJECT)
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(items.len(), 2, "{label}: {queue}");
        let r = w
            .bureau
            .post(&format!("/api/v1/bureau/submissions/{}/approve", items[0]), serde_json::json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        w.settle().await;
        let state = w.state(&id).await;
        assert_ne!(state["state"], "filed", "{label}: one verdict of two: {state}");
        let why = serde_json::json!({ "reasons": [{ "field": "target_numbers", "reason": "该网站仍在使用本接入商的地址" }] });
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{}/reject", items[1]), why).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        w.settle().await;

        // Both in: the order is filed with what the bureau withdrew, and says what it refused;
        // the refused site is still on file here, the other is not.
        let o = w.order(&id).await;
        assert_eq!(o["state"]["state"], "filed", "{label}: {o}");
        let withdrawn = o["filing"]["access_withdrawn"].as_array().unwrap().clone();
        let refused = o["filing"]["refused"].as_array().unwrap().clone();
        assert_eq!((withdrawn.len(), refused.len()), (1, 1), "{label}: {}", o["filing"]);
        let kept = if withdrawn[0] == ONE { TWO } else { ONE };
        assert!(refused[0].as_str().unwrap().starts_with(kept), "{label}: {refused:?}");
        let filed = w.provider.app.seam().filed_services(subject.parse().unwrap()).await.unwrap();
        let numbers: Vec<&str> = filed.iter().map(|s| s.number.as_str()).collect();
        assert_eq!(numbers, [kept], "{label}");
        w.validate_miit_files(label).await;
    }
}
