//! The whole ICP filing over HTTP only, provider and regulator as two services on loopback
//! (SQLite, and PostgreSQL when `BEIAN_TEST_DATABASE_URL` is set): applicant draft → provider
//! approval → delivery from the job queue → SMS codes read from the regulator's outbox and
//! entered on its verification API → bureau approval → numbers and footers on the provider's
//! order → a new-site order gets `-3`. Then the ways an order comes back (SMS timeout and a
//! successful resubmission, six wrong codes, bureau rejection), a regulator that is down
//! during delivery, and a provider that is down during a callback.
//!
//! Both services read one manual clock, so 24 hours pass in a millisecond and signatures stay
//! within their skew window.

use std::sync::Arc;

use crate::common::world::*;
use crate::common::{Client, PASSWORD, example};
use beian_app::Role;
use beian_store::testing::TestStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_filing_to_numbers_then_a_new_site_gets_the_next_number() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        let (w, _) = world(pdb, rdb, true, None).await;
        let (subject, order) = w.file(None, sites(&[0, 1])).await;
        w.settle().await;
        let s = w.state(&order).await;
        assert_eq!(s["state"], "sms_pending", "{s}");
        assert_eq!(s["pending"], json!(["subject.head", "websites[1].head"]), "one code per person");
        let footers = w.owner.get(&format!("/api/v1/orders/{order}/footers")).await;
        assert_eq!(
            (footers.status, footers.body["code"].as_str()),
            (StatusCode::CONFLICT, Some("ORDER_NOT_FILED")),
            "{}",
            footers.body
        );

        // A wrong entry counts (five more are taken, the last wrong one would return the
        // order); the right ones verify both persons.
        let wrong = w.verify(HEAD.0, HEAD.1, "000000").await;
        assert_eq!((wrong["outcome"].as_str(), wrong["left"].as_u64()), (Some("wrong"), Some(5)), "{wrong}");
        let code = w.code_for(HEAD.0).await;
        let v = w.verify(HEAD.0, HEAD.1, &code).await;
        assert_eq!((v["outcome"].as_str(), v["all_done"].as_bool()), (Some("verified"), Some(false)), "{v}");
        // Once verified, the same person typing again is never a wrong entry against the order.
        for _ in 0..6 {
            assert_eq!(w.verify(HEAD.0, HEAD.1, "000000").await["outcome"], "already_verified");
        }
        // The second person lost the text: the applicant has it sent again; the old code is
        // void, the new one verifies.
        let old = w.code_for(SITE_HEAD.0).await;
        let r = w
            .owner
            .post(&format!("/api/v1/orders/{order}/sms/resend"), json!({ "recipient": "websites[1].head" }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let nobody = w
            .owner
            .post(&format!("/api/v1/orders/{order}/sms/resend"), json!({ "recipient": "subject.head" }))
            .await;
        assert_eq!(
            (nobody.status, nobody.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED"),
            "verified already"
        );
        let code = w.code_for(SITE_HEAD.0).await;
        let code_changed = code != old;
        if code_changed {
            assert_eq!(
                w.verify(SITE_HEAD.0, SITE_HEAD.1, &old).await["outcome"],
                "wrong",
                "the old code is void"
            );
        }
        assert_eq!(w.verify(SITE_HEAD.0, SITE_HEAD.1, &code).await["all_done"], true);
        w.settle().await;
        let refreshed = w.owner.post(&format!("/api/v1/orders/{order}/regulator/refresh"), json!({})).await;
        assert_eq!(refreshed.body["state"]["state"], "bureau_review", "{}", refreshed.body);
        // Zhejiang's bureau has 30 working days (policy data): six weeks from today at most.
        let due = refreshed.body["sla_due"].as_str().unwrap_or_default().to_owned();
        let since = refreshed.body["stage_since"].as_str().unwrap_or_default()[..10].to_owned();
        assert!(due.as_str() > since.as_str() && due.len() == 10, "{due} after {since}");

        // Another province's reviewer does not see it; Zhejiang's approves it.
        let gd = bureau_login(&w.reg_base, "bureau-gd").await;
        assert_eq!(gd.get("/api/v1/bureau/queue").await.body, json!([]));
        let id = w.bureau_item(SUBJECT).await;
        let review = w.bureau.get(&format!("/api/v1/bureau/submissions/{id}")).await;
        let shown = review.body.to_string();
        assert!(
            !shown.contains("13800138000") && !shown.contains("330106198001011235"),
            "PII masked: {shown}"
        );
        assert_eq!(
            gd.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await.status,
            StatusCode::NOT_FOUND
        );
        let approved = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
        w.settle().await;

        let o = w.order(&order).await;
        assert_eq!(o["state"]["state"], "filed", "{}", o["state"]);
        let f = &o["filing"];
        assert_eq!(f["subject_number"], "浙ICP备2026000001号", "{f}");
        assert_eq!(f["services"][0]["number"], "浙ICP备2026000001号-1");
        assert_eq!(f["services"][1]["number"], "浙ICP备2026000001号-2");
        assert_eq!(f["services"][0]["domains"], json!(["aliyun.com"]));
        assert_eq!(f["services"][0]["kind"], "website");
        let footer = f["footers"]["浙ICP备2026000001号-1"].as_str().unwrap();
        assert!(
            footer.contains("https://beian.miit.gov.cn/") && footer.contains(">浙ICP备2026000001号-1</a>"),
            "{footer}"
        );

        // The timeline shows each regulator step.
        let tl = w.owner.get(&format!("/api/v1/orders/{order}/timeline")).await;
        let steps: Vec<&str> =
            tl.body.as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
        let mut expected = vec!["approve", "delivered", "sms_wrong_code", "sms_verified", "sms_resent"];
        if code_changed {
            expected.push("sms_wrong_code");
        }
        expected.extend(["sms_verified", "bureau_approved"]);
        assert!(steps.ends_with(&expected), "{steps:?}");

        // The public query finds it by domain, without PII.
        let q = Client::anonymous(&w.reg_base).get("/api/v1/query?domain=aliyun.com").await;
        assert_eq!(q.body[0]["service_number"], "浙ICP备2026000001号-1", "{}", q.body);
        assert_eq!(q.body[0]["subject_name"], SUBJECT);
        assert!(!q.body.to_string().contains("138"), "{}", q.body);

        // A new site for the same subject: 新增网站, number -3.
        let (_, second) = w.file(Some(&subject), sites(&[2])).await;
        assert_eq!(w.order(&second).await["order"]["kind"], "new_service_here");
        w.settle().await;
        for (m, six) in [HEAD, SITE_HEAD] {
            let code = w.code_for(m).await;
            assert_eq!(w.verify(m, six, &code).await["outcome"], "verified");
        }
        w.settle().await;
        assert_eq!(w.state(&second).await["state"], "bureau_review");
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        let o = w.order(&second).await;
        assert_eq!(o["filing"]["services"][0]["number"], "浙ICP备2026000001号-3", "{}", o["filing"]);
        // The applicant was told at every step.
        let admin = w.provider.login("admin@example.com").await;
        let mails = admin.get("/api/v1/admin/messages?channel=email").await;
        let subjects: Vec<&str> =
            mails.body.as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
        for s in ["短信核验", "管局审核中", "已通过管局审核"] {
            assert!(subjects.iter().any(|x| x.contains(s)), "{s} missing from {subjects:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_then_resubmission_then_bureau_rejection_and_six_wrong_codes() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        let (mut w, _) = world(pdb, rdb, true, None).await;

        // 24 hours pass without the second person: SMS timeout, not a bureau rejection.
        let (_, order) = w.file(None, sites(&[0, 1])).await;
        w.settle().await;
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        w.clock().advance(time::Duration::hours(24));
        w.settle().await;
        // The bureau's eight-hour session has ended too.
        w.bureau = bureau_login(&w.reg_base, "bureau-zj").await;
        let s = w.state(&order).await;
        assert_eq!(
            (s["state"].as_str(), s["reason"].as_str()),
            (Some("returned"), Some("sms_timeout")),
            "{s}"
        );
        let late = w.code_for(SITE_HEAD.0).await;
        assert_eq!(w.verify(SITE_HEAD.0, SITE_HEAD.1, &late).await["code"], "SMS_NOTHING_PENDING");

        // Resubmitted, it is a new submission with new codes, and it goes through.
        w.provider_approves(&order).await;
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "sms_pending");
        for (m, six) in [HEAD, SITE_HEAD] {
            let code = w.code_for(m).await;
            w.verify(m, six, &code).await;
        }
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "bureau_review");
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        let o = w.order(&order).await;
        assert_eq!(o["state"]["state"], "filed", "the resubmission succeeds: {}", o["state"]);
        assert_eq!(o["filing"]["subject_number"], "浙ICP备2026000001号");

        // A new site for it: the bureau rejects with a field-level reason, and the applicant
        // sees it on the order.
        let subject = o["subject_id"].as_str().unwrap().to_owned();
        let (_, order) = w.file(Some(&subject), sites(&[2])).await;
        w.settle().await;
        for (m, six) in [HEAD, SITE_HEAD] {
            let code = w.code_for(m).await;
            w.verify(m, six, &code).await;
        }
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        let empty =
            w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/reject"), json!({ "reasons": [] })).await;
        assert_eq!(
            (empty.status, empty.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "REJECT_REASONS_REQUIRED")
        );
        let r = w
            .bureau
            .post(
                &format!("/api/v1/bureau/submissions/{id}/reject"),
                json!({ "reasons": [{ "field": "websites[0].name", "reason": "网站名称不能使用“学习站”" }] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let again = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "SUBMISSION_NOT_IN_REVIEW"));
        w.settle().await;
        let o = w.order(&order).await;
        assert_eq!(o["state"]["reason"], "bureau_rejected", "{}", o["state"]);
        assert_eq!(o["review_findings"][0]["field"], "websites[0].name");

        // Six wrong codes return it as well.
        w.provider_approves(&order).await;
        w.settle().await;
        // `left` is what is still taken: five after the first wrong entry, one after the fifth.
        for i in 0..5 {
            let v = w.verify(HEAD.0, HEAD.1, "999999").await;
            assert_eq!((v["outcome"].as_str(), v["left"].as_u64()), (Some("wrong"), Some(5 - i)), "{v}");
        }
        assert_eq!(w.verify(HEAD.0, HEAD.1, "999999").await["outcome"], "returned");
        w.settle().await;
        assert_eq!(w.state(&order).await["reason"], "sms_failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regulator_down_then_up_and_provider_down_during_a_callback() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        // The provider's port is reserved but nobody answers on it yet: callbacks fail.
        let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let provider_addr = reserved.local_addr().unwrap();
        let (w, held) = world(pdb, rdb, false, None).await;
        drop(reserved);
        // Nobody listens on the regulator's address: connections are refused.
        let reg_addr = held.as_ref().unwrap().local_addr().unwrap();
        drop(held);
        let (_, order) = w.file(None, sites(&[0, 1])).await;

        // Regulator down: the order waits, queued, and the job is retried.
        assert!(w.provider.run_jobs().await >= 1);
        assert_eq!(w.state(&order).await["state"], "queued_for_regulator");
        let pending = w.provider.app.store().pending_jobs().await.unwrap();
        assert!(
            pending.iter().any(|j| j.kind == "deliver_to_regulator" && j.last_error.is_some()),
            "{pending:?}"
        );
        // Staff can list what waits for the regulator.
        let waiting = w.reviewer.get("/api/v1/review/queue?state=queued_for_regulator").await;
        assert_eq!(waiting.body["items"][0]["id"], order.as_str(), "{}", waiting.body);

        // It comes back: delivered exactly once, even if the job runs again.
        serve_regulator(&w.regulator, tokio::net::TcpListener::bind(reg_addr).await.unwrap()).await;
        w.clock().advance(time::Duration::seconds(30));
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "sms_pending");
        let count: i64 = beian_store::on!(store w.regulator.store.store(), |c| sqlx::query_scalar("SELECT COUNT(*) FROM reg_submissions")
            .fetch_one(c)
            .await
            .unwrap());
        assert_eq!(count, 1, "delivered once");

        // The provider goes away while the regulator has news; the callback is retried until
        // the provider, back on its address, acknowledges it.
        let mut tx = w.regulator.store.begin().await.unwrap();
        let dead = format!("http://{provider_addr}{}", beian_web::callback::CALLBACK_PATH);
        beian_store::on!(tx &mut tx, |c| sqlx::query("UPDATE reg_providers SET callback_url = $1").bind(&dead).execute(c).await.unwrap().rows_affected());
        tx.commit().await.unwrap();
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        w.regulator.run_due_jobs("test-regulator").await.unwrap();
        let jobs = w.regulator.store.store().pending_jobs().await.unwrap();
        assert!(jobs.iter().any(|j| j.kind == "callback" && j.last_error.is_some()), "{jobs:?}");
        assert_eq!(w.state(&order).await["verified"], json!([]), "not applied yet");
        let listener = tokio::net::TcpListener::bind(provider_addr).await.unwrap();
        tokio::spawn(beian_web::serve(listener, w.provider.app.clone(), false, std::future::pending()));
        w.clock().advance(time::Duration::seconds(30));
        w.regulator.run_due_jobs("test-regulator").await.unwrap();
        assert_eq!(w.state(&order).await["verified"], json!(["subject.head"]));
        let jobs = w.regulator.store.store().pending_jobs().await.unwrap();
        assert!(jobs.iter().all(|j| j.kind != "callback"), "acknowledged: {jobs:?}");
        // A callback without a valid signature is refused.
        let forged = Client::anonymous(&w.provider.base)
            .post(
                beian_web::callback::CALLBACK_PATH,
                json!({ "submission_id": "x", "status": "approved", "events": [] }),
            )
            .await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_site_and_cancelling_access_leaves_an_empty_shell() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        let (w, _) = world(pdb, rdb, true, None).await;
        let (subject, order) = w.file(None, sites(&[0, 1])).await;
        w.settle().await;
        for (m, six) in [HEAD, SITE_HEAD] {
            let code = w.code_for(m).await;
            w.verify(m, six, &code).await;
        }
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "filed");
        let query = |n: &str| {
            let c = Client::anonymous(&w.reg_base);
            let path = format!("/api/v1/query?number={n}");
            async move { c.get(&path).await.body }
        };
        assert_eq!(query("浙ICP备2026000001号-2").await.as_array().unwrap().len(), 1);

        // 注销网站: no SMS, straight to the bureau; the record is cancelled and leaves the query.
        let (_, cancel) = w
            .file_order(
                Some(&subject),
                json!({ "kind": "cancel_service", "target_numbers": ["浙ICP备2026000001号-2"] }),
            )
            .await;
        w.settle().await;
        assert_eq!(w.state(&cancel).await["state"], "bureau_review");
        let id = w.bureau_item(SUBJECT).await;
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(r.body["cancelled"], json!(["浙ICP备2026000001号-2"]), "{}", r.body);
        w.settle().await;
        assert_eq!(w.state(&cancel).await["state"], "filed");
        assert_eq!(query("浙ICP备2026000001号-2").await, json!([]));

        // 取消接入 at the only provider: the site becomes an empty shell the bureau cancels.
        let (_, unhost) = w
            .file_order(
                Some(&subject),
                json!({ "kind": "cancel_access", "target_numbers": ["浙ICP备2026000001号-1"] }),
            )
            .await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(r.body["empty_shells"], json!(["浙ICP备2026000001号-1"]), "{}", r.body);
        w.settle().await;
        assert_eq!(w.state(&unhost).await["state"], "filed");
        let shells = w.bureau.get("/api/v1/bureau/empty-shells").await;
        assert_eq!(shells.body, json!(["浙ICP备2026000001号-1"]));
        assert_eq!(query("浙ICP备2026000001号-1").await, json!([]), "an empty shell is not shown as filed");
        let gone = w.bureau.post("/api/v1/bureau/records/浙ICP备2026000001号-1/cancel", json!({})).await;
        assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
        assert_eq!(w.bureau.get("/api/v1/bureau/empty-shells").await.body, json!([]));
        let twice = w.bureau.post("/api/v1/bureau/records/浙ICP备2026000001号-1/cancel", json!({})).await;
        assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, "RECORD_UNKNOWN_NUMBER"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filed_site_away_from_the_providers_addresses_for_30_days_is_an_empty_shell_candidate() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let good = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let addr = site_server(good).await;
        let (w, _) = world_scanning(pdb, rdb, true, None, Some(addr)).await;
        let (_, order) = w.file(None, sites(&[0])).await;
        w.settle().await;
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "filed", "{label}");
        let ours: std::net::IpAddr = "47.96.1.1".parse().unwrap();
        let elsewhere: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        let day = || async {
            w.provider.app.compliance().schedule_daily_scans().await.unwrap();
            w.clock().advance(time::Duration::days(1));
            w.settle().await;
            let r = w.reviewer.get("/api/v1/review/empty-shells").await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body.as_array().unwrap().clone()
        };
        // On the provider's pool (47.96.0.0/11): nothing to list.
        w.resolver.set("aliyun.com", &[ours]);
        assert!(day().await.is_empty(), "{label}");
        // Moved elsewhere: listed once 30 days have passed, not before.
        w.resolver.set("aliyun.com", &[elsewhere]);
        assert!(day().await.is_empty(), "{label}: day 1 away");
        w.clock().advance(time::Duration::days(28));
        assert!(day().await.is_empty(), "{label}: day 29 away");
        w.clock().advance(time::Duration::days(1));
        let listed = day().await;
        assert_eq!(listed.len(), 1, "{label}: {listed:?}");
        assert_eq!(
            (&listed[0]["number"], &listed[0]["domain"], &listed[0]["addresses"], &listed[0]["days_away"]),
            (&json!("浙ICP备2026000001号-1"), &json!("aliyun.com"), &json!(["203.0.113.7"]), &json!(31)),
            "{label}"
        );
        assert_eq!(w.owner.get("/api/v1/review/empty-shells").await.status, StatusCode::FORBIDDEN, "{label}");
        // A domain that stops resolving stays away; back on the pool, it leaves the list.
        w.resolver.set("aliyun.com", &[]);
        assert_eq!(day().await.len(), 1, "{label}");
        w.resolver.set("aliyun.com", &[ours]);
        assert!(day().await.is_empty(), "{label}: back on the provider's addresses");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filed_sites_are_scanned_daily_and_a_broken_footer_reaches_the_reviewer_of_a_new_site() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        let good = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let addr = site_server(good.clone()).await;
        let (w, _) = world_scanning(pdb, rdb, true, None, Some(addr)).await;
        let (subject, order) = w.file(None, sites(&[0])).await;
        w.settle().await;
        let code = w.code_for(HEAD.0).await;
        assert_eq!(w.verify(HEAD.0, HEAD.1, &code).await["all_done"], true);
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "filed");

        // The daily schedule queues one scan per filed site, at its own time of day.
        assert_eq!(w.provider.app.compliance().schedule_daily_scans().await.unwrap(), 1);
        assert_eq!(w.provider.app.compliance().schedule_daily_scans().await.unwrap(), 0, "once a day");
        w.clock().advance(time::Duration::days(1));
        w.settle().await;
        let scans = w.owner.get(&format!("/api/v1/subjects/{subject}/scans")).await;
        assert_eq!(scans.status, StatusCode::OK, "{}", scans.body);
        assert_eq!(scans.body[0]["number"], "浙ICP备2026000001号-1");
        assert_eq!(scans.body[0]["url"], "http://aliyun.com/");
        assert_eq!(
            (scans.body[0]["verdict"].as_str(), scans.body[0]["footer_ok"].as_bool()),
            (Some("compliant"), Some(true))
        );

        // The site loses its footer; a new-site order is submitted (the last scan was fine,
        // so nothing blocks it), and its submission scans the filed site again at once.
        good.store(false, std::sync::atomic::Ordering::SeqCst);
        let (_, second) = w.draft(Some(&subject), json!({ "websites": sites(&[2]) })).await;
        let o = w.owner.get(&format!("/api/v1/orders/{second}")).await;
        let sub = w.owner.act(&second, "submit", None, &o.etag()).await;
        assert_eq!(sub.body["state"]["state"], "submitted", "{}", sub.body);
        w.settle().await;
        let check = w.reviewer.post(&format!("/api/v1/orders/{second}/check"), json!({})).await;
        let footer = check.body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "ORDER_EXISTING_SITE_FOOTER");
        let footer =
            footer.unwrap_or_else(|| panic!("the reviewer's check names the broken footer: {}", check.body));
        assert!(footer["message"]["zh-CN"].as_str().unwrap().contains("浙ICP备2026000001号-1"), "{footer}");

        // History, the staff overview, and the owner told once.
        let history = w
            .owner
            .get(&format!(
                "/api/v1/subjects/{subject}/scans/history?number=%E6%B5%99ICP%E5%A4%872026000001%E5%8F%B7-1"
            ))
            .await;
        let verdicts: Vec<&str> =
            history.body.as_array().unwrap().iter().map(|h| h["verdict"].as_str().unwrap()).collect();
        assert_eq!(verdicts, ["non_compliant", "compliant"], "{}", history.body);
        let overview = w.reviewer.get("/api/v1/review/compliance").await;
        assert_eq!(
            (overview.body["non_compliant"].as_u64(), overview.body["compliant"].as_u64()),
            (Some(1), Some(0)),
            "{}",
            overview.body
        );
        assert_eq!(w.owner.get("/api/v1/review/compliance").await.status, StatusCode::FORBIDDEN);
        // The footer scanner fed the unfiled work list: one case for the site without its
        // number, which a reviewer may dismiss (the owner is told and fixes the footer).
        let cases = w.reviewer.get("/api/v1/review/unfiled?state=open").await.body;
        let cases = cases.as_array().unwrap();
        assert_eq!(cases.len(), 1, "{cases:?}");
        assert_eq!((&cases[0]["source"], &cases[0]["domain"]), (&json!("scan"), &json!("aliyun.com")));
        let dismissed = w
            .reviewer
            .post(&format!("/api/v1/review/unfiled/{}/handle", cases[0]["id"].as_str().unwrap()), json!({}))
            .await;
        assert_eq!(dismissed.body["state"], "dismissed", "{}", dismissed.body);
        // The pages say the same: the applicant's filed order lists the failing check, the
        // reviewer of the new order sees the subject's filed site with its broken footer.
        let page = w.owner.http.get(format!("{}/app/orders/{order}", w.provider.base)).send().await.unwrap();
        let page = page.text().await.unwrap();
        let scans = &page[page.find("id=\"scans\"").expect("the order page lists the scans")..];
        assert!(scans.contains("浙ICP备2026000001号-1") && scans.contains("不合规"), "{scans}");
        let page =
            w.reviewer.http.get(format!("{}/review/orders/{second}", w.provider.base)).send().await.unwrap();
        let page = page.text().await.unwrap();
        let filed = &page[page.find("id=\"filed\"").expect("the review page lists the filed sites")..];
        assert!(filed.contains("浙ICP备2026000001号-1") && filed.contains("scan-bad"), "{filed}");
        let admin = w.provider.login("admin@example.com").await;
        let told = || async {
            let mails = admin.get("/api/v1/admin/messages?channel=email").await.body;
            mails
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["subject"].as_str().unwrap().contains("备案展示检查未通过"))
                .count()
        };
        assert_eq!(told().await, 1);
        // Another day, still broken: scanned again, not told again.
        w.provider.app.compliance().schedule_daily_scans().await.unwrap();
        w.clock().advance(time::Duration::days(1));
        w.settle().await;
        assert_eq!(told().await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psb_filing_from_draft_to_number_and_footer_with_deadline_reminders() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        let (w, _) = world(pdb, rdb, true, None).await;
        w.provider_profile().await;

        // Two sites filed; the approval leaves a PSB draft for each, pre-filled.
        let (subject, filed_order) = w.file(None, sites(&[0, 1])).await;
        w.settle().await;
        for (m, six) in [HEAD, SITE_HEAD] {
            let code = w.code_for(m).await;
            assert_eq!(w.verify(m, six, &code).await["outcome"], "verified");
        }
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        let list = w.owner.get(&format!("/api/v1/subjects/{subject}/psb")).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let apps = list.body.as_array().unwrap();
        assert_eq!(apps.len(), 2, "{}", list.body);
        let (first, second) = (&apps[0], &apps[1]);
        assert_eq!(first["icp_number"], "浙ICP备2026000001号-1");
        assert_eq!(first["state"], "draft");
        assert_eq!(first["deadline"]["days_left"], 30);
        let a = &first["application"];
        assert_eq!(
            (a["domains"].clone(), a["filing_area"].clone()),
            (json!(["aliyun.com"]), json!("330106"))
        );
        assert_eq!(a["access"]["name"], "演示云计算有限公司");
        assert_eq!(a["access"]["method"], "virtual_space", "the profile's label mapped to the code");
        assert_eq!(a["registrar"]["name"], "阿里云计算有限公司（万网）", "from the order's domain facts");
        assert!(a["access"]["region"].as_str().unwrap().contains("余杭区"), "{a}");
        assert!(!list.body.to_string().contains(HEAD.0), "phones masked: {}", list.body);
        let psb = first["id"].as_str().unwrap().to_owned();
        let path = |rest: &str| format!("/api/v1/psb/{psb}{rest}");
        // The owner's home page has both sites as the 30-day to-do, linked to their pages.
        let home = || async {
            let page = w.owner.http.get(format!("{}/app", w.provider.base)).send().await.unwrap();
            let page = page.text().await.unwrap();
            page.find("id=\"psb-todo\"")
                .map(|i| page[i..].split("</section>").next().unwrap_or("").to_owned())
        };
        let todo = home().await.expect("the home page lists the PSB filings due");
        assert!(
            todo.contains(&format!("/app/psb/{psb}")) && todo.contains("浙ICP备2026000001号-2"),
            "{todo}"
        );

        // Submitting the draft as it is names what is missing, field by field.
        let etag = w.owner.get(&path("")).await.etag();
        let refused = w.owner.call(reqwest::Method::POST, &path("/submit"), None, Some(&etag)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        let fields: Vec<&str> =
            refused.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        for f in ["service_types", "registrar", "statement"] {
            assert!(fields.iter().any(|x| x.starts_with(f)), "{f} not named: {fields:?}");
        }

        // The owner completes it (masked values sent back are kept) and cannot change the
        // ICP number; accepts the statement; the check passes.
        let mut app = w.owner.get(&path("")).await.body["application"].clone();
        app["service_types"] = json!(["b"]);
        app["registrar"]["region"] = json!("浙江省杭州市余杭区");
        app["registrar"]["phone"] = json!("95187");
        let mut wrong = app.clone();
        wrong["icp_number"] = json!("浙ICP备2026000001号-2");
        let r = w.owner.call(reqwest::Method::PUT, &path(""), Some(wrong), Some(&etag)).await;
        assert_eq!(r.body["errors"][0]["code"], "PSB_ICP_NUMBER_FIXED", "{}", r.body);
        let r = w.owner.call(reqwest::Method::PUT, &path(""), Some(app), Some(&etag)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let revealed = w.owner.get(&path("?reveal=true")).await;
        assert_eq!(revealed.body["application"]["responsible"]["mobile"], HEAD.0, "kept, not overwritten");
        let r = w.owner.call(reqwest::Method::POST, &path("/statement"), None, Some(&r.etag())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let accepted = &r.body["application"]["statement"];
        assert_eq!(accepted["version"], r.body["statement"]["version"]);
        assert!(accepted["actor"].as_str().unwrap().starts_with("account:"), "{accepted}");
        let check = w.owner.post(&path("/check"), json!({})).await;
        assert_eq!(check.body["submittable"], true, "{}", check.body);
        assert_eq!(
            w.reviewer.call(reqwest::Method::POST, &path("/submit"), None, Some(&r.etag())).await.status,
            StatusCode::FORBIDDEN,
            "staff see it but do not submit for the owner"
        );

        // Submitted: delivered to the PSB platform, where it waits for Zhejiang's officer.
        let r = w.owner.call(reqwest::Method::POST, &path("/submit"), None, Some(&r.etag())).await;
        assert_eq!(r.body["state"], "submitted", "{}", r.body);
        w.settle().await;
        assert_eq!(w.owner.get(&path("")).await.body["state"], "psb_review");
        assert_eq!(w.bureau.get("/api/v1/psb/queue").await.status, StatusCode::FORBIDDEN, "not the bureau's");
        let officer = bureau_login(&w.reg_base, "psb-zj").await;
        let q = officer.get("/api/v1/psb/queue").await;
        assert_eq!(q.body.as_array().map(Vec::len), Some(1), "{}", q.body);
        let item = q.body[0]["id"].as_str().unwrap().to_owned();
        let review = officer.get(&format!("/api/v1/psb/applications/{item}")).await;
        assert!(!review.body.to_string().contains(HEAD.0), "PII masked for the officer: {}", review.body);
        assert_eq!(review.body["checks"], json!([]), "matches the ICP record: {}", review.body);

        // Refused with a reason; corrected and submitted again (a new submission); approved.
        let reasons = json!({ "reasons": [{ "field": "registrar.phone", "reason": "注册商电话无法接通" }] });
        let r = officer.post(&format!("/api/v1/psb/applications/{item}/reject"), reasons).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        w.settle().await;
        let back = w.owner.get(&path("")).await;
        assert_eq!(back.body["state"], "rejected");
        assert_eq!(back.body["review_findings"][0]["field"], "registrar.phone", "{}", back.body);
        let mut app = back.body["application"].clone();
        app["registrar"]["phone"] = json!("010-65985888");
        let r = w.owner.call(reqwest::Method::PUT, &path(""), Some(app), Some(&back.etag())).await;
        let r = w.owner.call(reqwest::Method::POST, &path("/submit"), None, Some(&r.etag())).await;
        assert_eq!(r.body["state"], "submitted", "{}", r.body);
        w.settle().await;
        let q = officer.get("/api/v1/psb/queue").await;
        let item = q.body[0]["id"].as_str().unwrap().to_owned();
        let r = officer.post(&format!("/api/v1/psb/applications/{item}/approve"), json!({})).await;
        assert_eq!(r.body["psb_number"], "浙公网安备33010602000001号", "{}", r.body);
        w.settle().await;
        let done = w.owner.get(&path("")).await.body;
        assert_eq!(
            (done["state"].as_str(), done["psb_number"].as_str()),
            (Some("approved"), Some("浙公网安备33010602000001号"))
        );
        let todo = home().await.expect("the second site is still due");
        assert!(!todo.contains("浙ICP备2026000001号-1") && todo.contains("浙ICP备2026000001号-2"), "{todo}");
        let html = done["footer"]["html"].as_str().unwrap();
        for part in [
            ">浙ICP备2026000001号-1</a>",
            "https://beian.mps.gov.cn/#/query/webSearch?code=33010602000001",
            ">浙公网安备33010602000001号</a>",
        ] {
            assert!(html.contains(part), "{part} missing from {html}");
        }
        assert!(done["footer"]["snippets"]["wordpress"].as_str().unwrap().contains("zh_cn_l10n_icp_num"));
        // The badge is the operator's copy, served by the provider to the customers' pages.
        assert!(html.contains("<img src=\"http://127.0.0.1:8080/beian-gongan.png\""), "{html}");
        let served = reqwest::get(format!("{}/beian-gongan.png", w.provider.base)).await.unwrap();
        assert_eq!(
            (served.status(), served.headers()["content-type"].to_str().unwrap().to_owned()),
            (StatusCode::OK, "image/png".to_owned())
        );
        assert_eq!(served.bytes().await.unwrap().as_ref(), badge().bytes());
        // The order's footers: the site with its PSB number carries it and the badge in every
        // CMS form; the other site shows its ICP number alone.
        let footers = w.owner.get(&format!("/api/v1/orders/{filed_order}/footers")).await;
        assert_eq!(footers.status, StatusCode::OK, "{}", footers.body);
        let footers = footers.body.as_array().unwrap().clone();
        assert_eq!(footers.len(), 2, "{footers:?}");
        assert_eq!(
            (footers[0]["number"].as_str(), footers[0]["psb_number"].as_str()),
            (Some("浙ICP备2026000001号-1"), Some("浙公网安备33010602000001号"))
        );
        assert_eq!(footers[1]["psb_number"], Value::Null);
        for format in ["html", "wordpress", "hexo_next", "hugo", "vitepress"] {
            let first = footers[0]["snippets"][format].as_str().unwrap();
            assert!(first.contains("33010602000001"), "{format}: {first}");
            let second = footers[1]["snippets"][format].as_str().unwrap();
            assert!(
                second.contains("浙ICP备2026000001号-2") && !second.contains("公网安备"),
                "{format}: {second}"
            );
        }
        let public =
            Client::anonymous(&w.reg_base).get("/api/v1/psb/records/浙公网安备33010602000001号").await;
        assert_eq!(public.body["icp_number"], "浙ICP备2026000001号-1", "{}", public.body);
        // From now on the footer scans (and `beian scan --database`) expect the PSB number too.
        let targets = w.provider.app.compliance().scan_targets().await.unwrap();
        let expect = |url: &str| targets.iter().find(|t| t.0 == url).map(|t| &t.1).unwrap();
        assert_eq!(targets.len(), 2, "{targets:?}");
        let e = expect("http://aliyun.com/");
        assert_eq!(e.psb.as_ref().map(ToString::to_string).as_deref(), Some("浙公网安备33010602000001号"));
        assert_eq!(e.icp.as_ref().map(ToString::to_string).as_deref(), Some("浙ICP备2026000001号-1"));
        assert_eq!(e.unit_name.as_deref(), Some(SUBJECT));
        assert!(expect("http://alibabacloud.com/").psb.is_none());
        // Another applicant cannot see it.
        w.provider.account("stranger@example.com", Role::Applicant).await;
        let stranger = w.provider.login("stranger@example.com").await;
        assert_eq!(stranger.get(&path("")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            stranger.get(&format!("/api/v1/subjects/{subject}/psb")).await.status,
            StatusCode::NOT_FOUND
        );

        // The second site stays unfiled: reminded on days 20, 27 and 30, once each; then overdue.
        let reminders = |app: beian_app::App| async move { app.psb().send_psb_reminders().await.unwrap() };
        w.clock().advance(time::Duration::days(19));
        assert_eq!(reminders(w.provider.app.clone()).await, 0, "day 19");
        w.clock().advance(time::Duration::days(1));
        assert_eq!(reminders(w.provider.app.clone()).await, 1, "day 20, only the unfiled site");
        assert_eq!(reminders(w.provider.app.clone()).await, 0, "once");
        w.clock().advance(time::Duration::days(7));
        assert_eq!(reminders(w.provider.app.clone()).await, 1, "day 27");
        w.clock().advance(time::Duration::days(3));
        assert_eq!(reminders(w.provider.app.clone()).await, 1, "day 30");
        w.clock().advance(time::Duration::days(1));
        assert_eq!(reminders(w.provider.app.clone()).await, 0, "nothing after day 30");
        let staff = w.provider.login("reviewer@example.com").await;
        let overdue = staff.get("/api/v1/review/psb?overdue=true").await;
        assert_eq!(overdue.status, StatusCode::OK, "{}", overdue.body);
        assert_eq!(overdue.body.as_array().map(Vec::len), Some(1), "{}", overdue.body);
        assert_eq!(overdue.body[0]["icp_number"], second["icp_number"]);
        assert_eq!(
            (overdue.body[0]["deadline"]["overdue"].as_bool(), overdue.body[0]["reminders_sent"].clone()),
            (Some(true), json!([20, 27, 30]))
        );
        let mails = w
            .provider
            .login("admin@example.com")
            .await
            .get("/api/v1/admin/messages?channel=email")
            .await
            .body;
        let subjects: Vec<&str> =
            mails.as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
        assert!(subjects.iter().any(|s| s.contains("公安联网备案已通过")), "{subjects:?}");
        assert!(subjects.iter().any(|s| s.contains("公安联网备案未通过")), "{subjects:?}");
        assert_eq!(
            subjects.iter().filter(|s| s.contains("请在") && s.contains("前办理公安联网备案")).count(),
            3,
            "{subjects:?}"
        );
        let texts =
            w.provider.login("admin@example.com").await.get("/api/v1/admin/messages?channel=sms").await.body;
        assert!(texts.to_string().contains("还剩0天"), "the day-30 text: {texts}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_psb_record_follows_its_website_through_a_rename_and_a_cancellation() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let (w, _) = world(pdb, rdb, true, None).await;
        w.provider_profile().await;
        let admin = w.provider.login("admin@example.com").await;
        let (subject, _) = w.file(None, sites(&[0])).await;
        w.settle().await;
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;

        // The operator's system is told each step of the PSB filing.
        let rx = crate::webhooks::Receiver::start().await;
        let hook = json!({ "name": "ops", "url": format!("{}/ok", rx.base), "format": "json", "events": ["psb.state_changed"] });
        assert_eq!(admin.post("/api/v1/admin/webhooks", hook).await.status, StatusCode::CREATED, "{label}");

        // The site's PSB filing, completed, submitted and approved.
        let number = w.psb_filed(&subject).await;
        let psb = w.owner.get(&format!("/api/v1/subjects/{subject}/psb")).await.body[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = |rest: &str| format!("/api/v1/psb/{psb}{rest}");
        let record = || {
            let c = Client::anonymous(&w.reg_base);
            let path = format!("/api/v1/psb/records/{number}");
            async move { c.get(&path).await.body }
        };
        let before = record().await;
        assert_eq!(
            (before["status"].as_str(), before["icp_number"].as_str()),
            (Some("filed"), Some("浙ICP备2026000001号-1"))
        );

        // The website is renamed: its PSB record shows the new name.
        let mut renamed = sites(&[0]);
        renamed[0]["name"] = json!("阿里云官方网站");
        renamed[0]["existing_number"] = json!("浙ICP备2026000001号-1");
        let (_, change) =
            w.file_order(Some(&subject), json!({ "kind": "change_service", "websites": renamed })).await;
        w.settle().await;
        // Its responsible person (the subject's head here) enters the code texted for the change.
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        assert_eq!(w.state(&change).await["state"], "filed", "{label}");
        assert_eq!(record().await["website_name"], "阿里云官方网站", "{label}");

        // The website is cancelled: its PSB record says the filing is due for cancellation.
        let (_, cancel) = w
            .file_order(
                Some(&subject),
                json!({ "kind": "cancel_service", "target_numbers": ["浙ICP备2026000001号-1"] }),
            )
            .await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        assert_eq!(w.state(&cancel).await["state"], "filed", "{label}");
        let after = record().await;
        assert_eq!(
            (after["status"].as_str(), after["website_name"].as_str()),
            (Some("icp_cancelled"), Some("阿里云官方网站")),
            "{label}: {after}"
        );
        // On the provider's side the application stops, and the owner is told to cancel the
        // PSB filing at the platform.
        let mine = w.owner.get(&path("")).await;
        assert_eq!(mine.body["state"], "icp_cancelled", "{label}: {}", mine.body);
        let edit = w.owner.call(reqwest::Method::POST, &path("/submit"), None, Some(&mine.etag())).await;
        assert_eq!(edit.body["code"], "PSB_NOT_EDITABLE", "{label}: {}", edit.body);
        let mails = admin.get("/api/v1/admin/messages?channel=email").await.body;
        assert!(mails.to_string().contains(&format!("请注销公安联网备案：{number}")), "{label}: {mails}");
        let steps: Vec<(String, String)> = rx
            .at("/ok")
            .iter()
            .map(|g| g.json()["data"].clone())
            .map(|d| (d["from"].as_str().unwrap().to_owned(), d["to"].as_str().unwrap().to_owned()))
            .collect();
        let want = [
            ("draft", "submitted"),
            ("submitted", "psb_review"),
            ("psb_review", "approved"),
            ("approved", "icp_cancelled"),
        ];
        assert_eq!(steps, want.map(|(a, b)| (a.to_owned(), b.to_owned())), "{label}");
    }
}

/// The value of the hidden input `name` in the first form of `html` after `from`.
fn hidden_after(html: &str, from: &str, name: &str) -> String {
    let start = html.find(from).unwrap_or_else(|| panic!("no {from} in {html}"));
    let html = &html[start..];
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_psb_application_is_completed_and_submitted_from_its_page() {
    for (pdb, rdb) in pairs().await {
        eprintln!("backend: {}", pdb.label);
        let (w, _) = world(pdb, rdb, true, None).await;
        let (subject, order) = w.file(None, sites(&[0])).await;
        w.settle().await;
        let code = w.code_for(HEAD.0).await;
        assert_eq!(w.verify(HEAD.0, HEAD.1, &code).await["all_done"], true);
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        let psb = w.owner.get(&format!("/api/v1/subjects/{subject}/psb")).await.body[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // The provider saves its profile only now: the draft's empty access block is filled
        // from it when the owner saves.
        w.provider_profile().await;

        // The owner signs in through the pages and finds the application from the order.
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let base = &w.provider.base;
        let login = c.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
        let token = hidden_after(&login, "<form", "csrf_token");
        let r = c
            .post(format!("{base}/login"))
            .form(&[("email", "owner@example.com"), ("password", PASSWORD), ("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let page = c.get(format!("{base}/app/orders/{order}")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("href=\"/app/psb/{psb}\"")), "the order links its PSB application");
        let get =
            || async { c.get(format!("{base}/app/psb/{psb}")).send().await.unwrap().text().await.unwrap() };
        let page = get().await;
        assert!(page.contains("id=\"days-left\">30<"), "{page}");
        assert!(!page.contains(HEAD.0), "phones masked on the page");
        assert!(
            page.contains("aria-describedby=\"service_types-error\""),
            "the missing service type is named: {page}"
        );

        // Fill in what is missing; the masked emergency number sent back is kept.
        let form = |page: &str| {
            let v = |name: &str| hidden_after(page, "action=\"/app/psb/", name);
            let field = |id: &str| {
                let at = page.find(&format!("name=\"{id}\"")).unwrap();
                let rest = &page[at..];
                if let Some(open) =
                    rest.find('>').filter(|_| rest.starts_with(&format!("name=\"{id}\" rows")))
                {
                    rest[open + 1..rest.find("</textarea>").unwrap()].to_owned()
                } else {
                    let vat = rest.find("value=\"").unwrap() + 7;
                    rest[vat..vat + rest[vat..].find('"').unwrap()].to_owned()
                }
            };
            let mut f: Vec<(String, String)> =
                vec![("csrf_token".into(), v("csrf_token")), ("version".into(), v("version"))];
            for id in [
                "website_name",
                "domains",
                "ip",
                "go_live",
                "filing_area",
                "registrar_name",
                "emergency_name",
                "emergency_mobile",
            ] {
                f.push((id.into(), field(id)));
            }
            f.extend([
                ("registrar_region".into(), "浙江省杭州市余杭区".into()),
                ("registrar_phone".into(), "95187".into()),
                ("service_types".into(), "b".into()),
                ("service_types".into(), "other".into()),
                ("interactive".into(), "false".into()),
                ("languages".into(), "zh".into()),
            ]);
            f
        };
        // A date that is not a date is refused, naming the field, and nothing is saved.
        let mut bad = form(&page);
        bad.iter_mut().filter(|(k, _)| k == "go_live").for_each(|(_, v)| *v = "next week".into());
        let r = c.post(format!("{base}/app/psb/{psb}")).form(&bad).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("go_live"), "names the field");
        assert_eq!(
            w.owner.get(&format!("/api/v1/psb/{psb}")).await.body["application"]["service_types"],
            json!([])
        );
        let r = c.post(format!("{base}/app/psb/{psb}")).form(&form(&page)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
        let api_view = w.owner.get(&format!("/api/v1/psb/{psb}?reveal=true")).await.body;
        assert_eq!(api_view["application"]["service_types"], json!(["b", "other"]));
        assert_eq!(api_view["application"]["registrar"]["phone"], "95187");
        assert_eq!(api_view["application"]["responsible"]["mobile"], HEAD.0, "kept");
        assert_eq!(api_view["application"]["access"]["name"], "演示云计算有限公司", "from the profile");
        let page = get().await;
        // Submitting before the statement is accepted is refused, saying why.
        let v = |page: &str, action: &str, name: &str| {
            hidden_after(page, &format!("action=\"/app/psb/{psb}/{action}\""), name)
        };
        let r = c
            .post(format!("{base}/app/psb/{psb}/submit"))
            .form(&[
                ("csrf_token", v(&page, "submit", "csrf_token")),
                ("version", v(&page, "submit", "version")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("statement"), "names the statement");
        let r = c
            .post(format!("{base}/app/psb/{psb}/statement"))
            .form(&[
                ("csrf_token", v(&page, "statement", "csrf_token")),
                ("version", v(&page, "statement", "version")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let page = get().await;
        assert!(page.contains("id=\"statement-accepted\"") && page.contains("id=\"submittable\""), "{page}");
        let r = c
            .post(format!("{base}/app/psb/{psb}/submit"))
            .form(&[
                ("csrf_token", v(&page, "submit", "csrf_token")),
                ("version", v(&page, "submit", "version")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        w.settle().await;
        let officer = bureau_login(&w.reg_base, "psb-zj").await;
        let item = officer.get("/api/v1/psb/queue").await.body[0]["id"].as_str().unwrap().to_owned();
        officer.post(&format!("/api/v1/psb/applications/{item}/approve"), json!({})).await;
        w.settle().await;
        let page = get().await;
        assert!(page.contains("id=\"psb-number\">浙公网安备33010602000001号<"), "{page}");
        assert!(
            page.contains("beian.mps.gov.cn/#/query/webSearch?code=33010602000001"),
            "the footer to copy"
        );
        assert!(page.contains("id=\"snippet-wordpress\"") && page.contains("zh_cn_l10n_icp_num"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_with_two_sites_filed_through_miit_v3_then_changed_and_cancelled() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let w = world_miit(pdb, rdb).await;
        // The bureau's code tables come down first.
        w.settle().await;
        assert!(w.provider.app.seam().miit_tables().await.unwrap().is_some(), "{label}");

        let (subject, order) = w.file(None, sites(&[0, 1])).await;
        w.settle().await;
        // Uploaded as file 1 (XZBA) and accepted: MIIT texts the persons the rules name.
        let s = w.state(&order).await;
        assert_eq!(s["state"], "sms_pending", "{label}: {s}");
        assert_eq!(s["pending"], json!(["subject.head", "websites[1].head"]), "{label}");
        for (m, six) in [HEAD, SITE_HEAD] {
            let code = w.code_for(m).await;
            w.verify(m, six, &code).await;
        }
        w.settle().await;
        // V3.0 reports no SMS progress: the order waits for the bureau's verdict.
        assert_eq!(w.state(&order).await["state"], "sms_pending", "{label}");
        let id = w.bureau_item(SUBJECT).await;
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        w.settle().await;
        let o = w.order(&order).await;
        assert_eq!(o["state"]["state"], "filed", "{label}: {o}");
        let numbers: Vec<&str> = o["filing"]["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, ["浙ICP备2026000001号-1", "浙ICP备2026000001号-2"], "{label}");
        assert_eq!(o["filing"]["subject_number"], "浙ICP备2026000001号", "{label}");
        assert!(
            o["filing"]["footers"]["浙ICP备2026000001号-1"].as_str().unwrap().contains("beian.miit.gov.cn"),
            "{label}"
        );
        // Each filed website has its PSB draft, as over the JSON seam.
        let psb = w.owner.get(&format!("/api/v1/subjects/{subject}/psb")).await;
        assert_eq!(psb.body.as_array().map(Vec::len), Some(2), "{label}: {}", psb.body);

        // A change of the second site's name goes as BGBA, with the bureau's ids from BASJ.
        let mut renamed = sites(&[0, 1]);
        renamed[1]["name"] = json!("阿里云文档与帮助中心");
        renamed[0]["existing_number"] = json!("浙ICP备2026000001号-1");
        renamed[1]["existing_number"] = json!("浙ICP备2026000001号-2");
        let (_, change) =
            w.file_order(Some(&subject), json!({ "kind": "change_service", "websites": renamed })).await;
        w.settle().await;
        for (m, six) in [HEAD, SITE_HEAD] {
            if let Ok(code) = tokio::time::timeout(std::time::Duration::from_secs(5), w.code_for(m)).await {
                w.verify(m, six, &code).await;
            }
        }
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        w.settle().await;
        assert_eq!(w.state(&change).await["state"], "filed", "{label}");
        let query = Client::anonymous(&w.reg_base).get("/api/v1/query?number=浙ICP备2026000001号-2").await;
        assert_eq!(query.body[0]["service_name"], "阿里云文档与帮助中心", "{label}: {}", query.body);

        // Cancelling the second site goes as ZXBA with its bureau id.
        let (_, cancel) = w
            .file_order(
                Some(&subject),
                json!({ "kind": "cancel_service", "target_numbers": ["浙ICP备2026000001号-2"] }),
            )
            .await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        let r = w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(r.body["cancelled"], json!(["浙ICP备2026000001号-2"]), "{label}: {}", r.body);
        w.settle().await;
        assert_eq!(w.state(&cancel).await["state"], "filed", "{label}");
        let gone = Client::anonymous(&w.reg_base).get("/api/v1/query?number=浙ICP备2026000001号-2").await;
        assert_eq!(gone.body, json!([]), "{label}");

        // Files 1–3 went up in order; every file either way matches its XSD.
        let seqs: Vec<i64> =
            w.provider.app.store().miit_uploads().await.unwrap().iter().map(|u| u.seq).collect();
        assert_eq!(seqs, [1, 2, 3], "{label}");
        w.validate_miit_files(label).await;
    }
}

/// The provider's V3.0 port, losing the next `lose_acks` acknowledgements on the way (as if the
/// provider died between applying a file and acknowledging it).
#[derive(Debug)]
struct LossyAcks {
    inner: Arc<dyn beian_app::seam::miit::Bureau>,
    lose_acks: Arc<std::sync::atomic::AtomicUsize>,
}

impl beian_app::seam::miit::Bureau for LossyAcks {
    fn call<'a>(
        &'a self,
        op: beian_miit::soap::Operation,
        args: Vec<(&'static str, String)>,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<u8>, beian_app::seam::miit::BureauError>> + Send + 'a,
        >,
    > {
        use std::sync::atomic::Ordering;
        let lose = op == beian_miit::soap::Operation::DownloadAck
            && self.lose_acks.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if lose {
            return Box::pin(async {
                Err(beian_app::seam::miit::BureauError::Unavailable("killed before the ack".into()))
            });
        }
        self.inner.call(op, args)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_loses_nothing_and_applies_nothing_twice_through_an_outage_and_a_lost_ack() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let lose_acks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lose = lose_acks.clone();
        let wrap: WrapPort = Box::new(move |inner| Arc::new(LossyAcks { inner, lose_acks: lose }));
        let (mut w, held) = world_miit_with(pdb, rdb, false, wrap).await;
        let reg_addr = held.as_ref().unwrap().local_addr().unwrap();
        drop(held);
        let (_, order) = w.file(None, sites(&[0])).await;

        // The bureau is down for an hour: nothing is delivered, nothing lost.
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "queued_for_regulator", "{label}");
        w.clock().advance(time::Duration::minutes(30));
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "queued_for_regulator", "{label}");
        serve_regulator(&w.regulator, tokio::net::TcpListener::bind(reg_addr).await.unwrap()).await;
        w.bureau = bureau_login(&w.reg_base, "bureau-zj").await;
        w.clock().advance(time::Duration::minutes(30));
        w.settle().await;
        // The code tables came first, then the order went up as file 1.
        assert_eq!(w.state(&order).await["state"], "sms_pending", "{label}");
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        w.settle().await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.regulator.run_due_jobs("test-regulator").await.unwrap();

        // The provider applies the result, then dies before acknowledging it.
        lose_acks.store(1, std::sync::atomic::Ordering::SeqCst);
        assert!(w.provider.app.seam().miit_sync().await.is_err(), "{label}: the acknowledgement was lost");
        let filed = w.order(&order).await;
        assert_eq!(filed["state"]["state"], "filed", "{label}");
        // The bureau hands the file out again; it is recognised, acknowledged, not applied twice.
        assert_eq!(w.provider.app.seam().miit_sync().await.unwrap(), 1, "{label}");
        assert_eq!(w.provider.app.seam().miit_sync().await.unwrap(), 0, "{label}: nothing left");
        assert_eq!(w.order(&order).await["filing"], filed["filing"], "{label}");
        let timeline = w.owner.get(&format!("/api/v1/orders/{order}/timeline")).await.body;
        let approvals =
            timeline.as_array().unwrap().iter().filter(|e| e["event"] == "bureau_approved").count();
        assert_eq!(approvals, 1, "{label}: {timeline}");
        let downloads = w.provider.app.store().miit_downloads().await.unwrap();
        assert!(
            downloads.iter().all(|d| d.applied_at.is_some() && d.acked_at.is_some()),
            "{label}: {downloads:?}"
        );
        // One submission at the bureau, whatever the retries.
        let count: i64 = beian_store::on!(store w.regulator.store.store(), |c| sqlx::query_scalar("SELECT COUNT(*) FROM reg_submissions")
            .fetch_one(c)
            .await
            .unwrap());
        assert_eq!(count, 1, "{label}");
    }
}

/// A new applicant's context, for calling the app directly (the wizard's start is a page).
async fn applicant_ctx(w: &World, email: &str) -> beian_app::Ctx {
    w.provider.account(email, Role::Applicant).await;
    let a = w.provider.app.store().account_by_email(email).await.unwrap().unwrap();
    beian_app::Ctx {
        principal: Some(beian_app::Principal {
            id: a.id,
            role: Role::Applicant,
            email: a.email,
            display_name: a.display_name,
        }),
        ..beian_app::Ctx::default()
    }
}

fn filing_start(name: &str, certificate: &str, domain: &str) -> beian_app::drafts::FilingStart {
    beian_app::drafts::FilingStart {
        province: beian_core::province::ProvinceCode::parse("33").unwrap(),
        nature: beian_core::model::SubjectNature::Enterprise,
        certificate: beian_core::model::Certificate {
            kind: beian_core::model::CertificateKind::BusinessLicence,
            number: certificate.into(),
        },
        name: name.into(),
        domain: domain.into(),
        app: false,
        existing_number: None,
    }
}

/// The rule codes the engine finds on an order.
async fn finding_codes(w: &World, order: &str) -> Vec<String> {
    let r = w.owner.post(&format!("/api/v1/orders/{order}/check"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_what_miit_has_on_file_and_its_blacklists_decide_kinds_and_findings() {
    use beian_miit::mapping::lists::Listing;
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let w = world_miit(pdb, rdb).await;
        w.settle().await;
        let (subject_id, order) = w.file(None, sites(&[0])).await;
        w.settle().await;
        let code = w.code_for(HEAD.0).await;
        w.verify(HEAD.0, HEAD.1, &code).await;
        let id = w.bureau_item(SUBJECT).await;
        w.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "filed", "{label}");
        // The draft's pre-check asked the bureau about aliyun.com (not filed then); that answer
        // is used for ten minutes.
        w.clock().advance(time::Duration::minutes(11));

        let app = &w.provider.app;
        // Another company cannot start a filing for a domain MIIT has under this subject.
        let stranger = applicant_ctx(&w, "stranger@example.com").await;
        let err = app
            .drafts()
            .start_filing(
                &stranger,
                filing_start("杭州示例网络科技有限公司", "91330106MA2B0XYZ1K", "aliyun.com"),
            )
            .await
            .unwrap_err();
        let beian_app::AppError::Validation(fields) = &err else { panic!("{label}: {err:?}") };
        assert_eq!((fields[0].field.as_str(), fields[0].code.as_str()), ("domain", "DOMAIN_FILED_ELSEWHERE"));
        // A company another provider filed is known to MIIT by its licence, and its domain by
        // its name, though this provider has never seen either: a new website of a subject
        // filed elsewhere, and a new access.
        let mut elsewhere: beian_core::model::Order =
            serde_json::from_value(example()["order"].clone()).unwrap();
        elsewhere.subject.name = "杭州示例网络科技有限公司".into();
        elsewhere.subject.certificate.number = "91330106MA2C0ABC2P".into();
        elsewhere.websites.truncate(1);
        elsewhere.websites[0].domains = vec!["example-elsewhere.cn".into()];
        let mut tx = w.regulator.store.begin().await.unwrap();
        let other =
            beian_regulator::providers::register(&mut tx, "other-cloud", "其他云", &"cd".repeat(32), None, 1)
                .await
                .unwrap();
        let filed =
            beian_regulator::records::apply(&mut tx, &w.regulator.keys, other, &elsewhere, 1).await.unwrap();
        tx.commit().await.unwrap();
        let start = |domain: &str| filing_start(&elsewhere.subject.name, "91330106MA2C0ABC2P", domain);
        let access = app.drafts().start_filing(&stranger, start("example-elsewhere.cn")).await.unwrap();
        assert_eq!(access.kind, beian_core::model::OrderKind::NewAccess, "{label}");
        let o = app.orders().get_order(&stranger, access.order_id, false).await.unwrap();
        assert_eq!(o.order.subject.existing_number.as_deref(), filed.subject_number.as_deref(), "{label}");

        // An order of the subject is under review when the bureau lists it.
        let (_, under_review) =
            w.draft(Some(&subject_id), json!({ "kind": "new_service_here", "websites": sites(&[1]) })).await;
        let o = w.owner.get(&format!("/api/v1/orders/{under_review}")).await;
        let sub = w.owner.act(&under_review, "submit", None, &o.etag()).await;
        assert_eq!(sub.body["state"]["state"], "submitted", "{label}: {}", sub.body);

        // The bureau blacklists a domain and the subject, the subject with a reason.
        let domains = vec!["alibabacloud.com".to_owned()];
        let site = Listing::Website { name: "阿里云国际站", domains: &domains };
        let subject: beian_core::model::Subject =
            serde_json::from_value(example()["order"]["subject"].clone()).unwrap();
        let listed = Listing::Subject {
            name: &subject.name,
            nature: subject.nature,
            certificate: &subject.certificate,
        };
        assert_eq!(w.regulator.miit_blacklist(site, false, None).await.unwrap(), 1, "{label}");
        assert_eq!(w.regulator.miit_blacklist(listed, false, Some("测试")).await.unwrap(), 1, "{label}");
        w.settle().await;
        // The order under review is flagged for its reviewer: in the queue and on its timeline.
        let flags = || async {
            let q = w.reviewer.get("/api/v1/review/queue?state=submitted").await;
            assert_eq!(q.status, StatusCode::OK, "{}", q.body);
            let items = q.body["items"].as_array().unwrap().clone();
            items
                .into_iter()
                .find(|i| i["id"] == under_review.as_str())
                .map_or(Value::Null, |i| i["flags"].clone())
        };
        assert_eq!(
            flags().await,
            json!([
                { "code": "DOMAIN_BLACKLISTED", "target": "alibabacloud.com", "reason": "" },
                { "code": "SUBJECT_BLACKLISTED", "target": "", "reason": "测试" },
            ]),
            "{label}"
        );
        let flagged_steps = || async {
            let t = w.owner.get(&format!("/api/v1/orders/{under_review}/timeline")).await.body;
            t.as_array()
                .unwrap()
                .iter()
                .filter(|e| e["event"] == "flagged" || e["event"] == "unflagged")
                .count()
        };
        assert_eq!(flagged_steps().await, 2, "{label}");
        let page = w.reviewer.get("/review").await;
        let page = page.body.as_str().unwrap_or_default();
        assert!(page.contains("blacklist-flag") && page.contains("测试"), "{label}: {page}");
        // The same listing received again flags nothing twice.
        assert_eq!(w.regulator.miit_blacklist(listed, false, Some("测试")).await.unwrap(), 1, "{label}");
        w.settle().await;
        assert_eq!(flagged_steps().await, 2, "{label}: a list received twice");
        // The pre-check of that order says so too.
        let codes = finding_codes(&w, &under_review).await;
        for c in ["DOMAIN_BLACKLISTED", "SUBJECT_BLACKLISTED"] {
            assert!(codes.iter().any(|x| x == c), "{label}: {c} in {codes:?}");
        }
        // No new order starts for them: refused with the field and the bureau's reason.
        let refused = w
            .owner
            .post(
                "/api/v1/orders",
                json!({ "subject_id": subject_id, "kind": "new_service_here", "websites": sites(&[1]) }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {}", refused.body);
        let errors = refused.body["errors"].as_array().unwrap();
        assert_eq!(
            (errors[0]["field"].as_str(), errors[0]["code"].as_str()),
            (Some("subject.certificate.number"), Some("SUBJECT_BLACKLISTED")),
            "{label}: {}",
            refused.body
        );
        assert!(errors[0]["message"].as_str().unwrap().contains("测试"), "{label}: {}", refused.body);
        assert!(
            errors
                .iter()
                .any(|e| e["code"] == "DOMAIN_BLACKLISTED" && e["field"] == "websites[0].domains[0]"),
            "{label}: {}",
            refused.body
        );
        let err = app
            .drafts()
            .start_filing(
                &stranger,
                filing_start("杭州另一家网络科技有限公司", "91330106MA2D0QWE3R", "www.alibabacloud.com"),
            )
            .await
            .unwrap_err();
        let beian_app::AppError::Validation(fields) = &err else { panic!("{label}: {err:?}") };
        assert_eq!(
            (fields[0].field.as_str(), fields[0].code.as_str()),
            ("domain", "DOMAIN_BLACKLISTED"),
            "{label}"
        );
        // Taken off the list, the flags go (on the timeline too) and the pre-check passes again.
        w.regulator.miit_blacklist(listed, true, None).await.unwrap();
        w.regulator.miit_blacklist(site, true, None).await.unwrap();
        w.settle().await;
        assert_eq!(flags().await, json!([]), "{label}");
        assert_eq!(flagged_steps().await, 4, "{label}");
        let codes = finding_codes(&w, &under_review).await;
        assert!(!codes.iter().any(|c| c.ends_with("_BLACKLISTED")), "{label}: {codes:?}");
        w.validate_miit_files(label).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_uploads_wait_for_the_bureaus_hours() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        // The world's clock says 10:00; the bureau takes uploads from 08:00 to 09:00.
        let w = world_miit_hours(pdb, rdb, "08:00-09:00").await;
        w.settle().await;
        let (_, order) = w.file(None, sites(&[0])).await;
        w.settle().await;
        let uploads = w.provider.app.store().miit_uploads().await.unwrap();
        assert_eq!(uploads.len(), 1, "{label}");
        assert_eq!(
            (uploads[0].attempted_at, uploads[0].last_code),
            (None, None),
            "{label}: not tried out of hours"
        );
        assert_eq!(w.state(&order).await["state"], "queued_for_regulator", "{label}");
        // Tomorrow at 08:00 it goes up, and the bureau takes it.
        w.clock().advance(time::Duration::hours(22));
        w.settle().await;
        let uploads = w.provider.app.store().miit_uploads().await.unwrap();
        assert_eq!(uploads[0].last_code, Some(0), "{label}");
        assert_eq!(w.state(&order).await["state"], "sms_pending", "{label}");
    }
}

/// A world whose regulator was down while the first order was delivered, and is up again:
/// the order waits for its backoff (the world's clock does not move).
async fn after_an_outage(pdb: TestStore, rdb: TestStore) -> (World, String, String) {
    let (w, held) = world(pdb, rdb, false, None).await;
    let reg_addr = held.as_ref().unwrap().local_addr().unwrap();
    drop(held);
    let (subject, order) = w.file(None, sites(&[0])).await;
    assert!(w.provider.run_jobs().await >= 1);
    assert_eq!(w.state(&order).await["state"], "queued_for_regulator");
    serve_regulator(&w.regulator, tokio::net::TcpListener::bind(reg_addr).await.unwrap()).await;
    w.settle().await;
    assert_eq!(w.state(&order).await["state"], "queued_for_regulator", "nothing happens on its own");
    (w, subject, order)
}

/// After an outage an admin makes every waiting delivery due at once ("retry now") instead
/// of waiting out the backoff (up to an hour).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_retries_waiting_deliveries_now() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let (w, _, order) = after_an_outage(pdb, rdb).await;
        let admin = w.provider.login("admin@example.com").await;
        assert_eq!(
            w.owner.post("/api/v1/admin/jobs/retry-deliveries", json!({})).await.status,
            StatusCode::FORBIDDEN
        );
        let woken = admin.post("/api/v1/admin/jobs/retry-deliveries", json!({})).await;
        assert_eq!((woken.status, woken.body["woken"].as_u64()), (StatusCode::OK, Some(1)), "{label}");
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "sms_pending", "{label}");
    }
}

/// After an outage, the first delivery that gets through wakes the ones still waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_gets_through_wakes_the_waiting_ones() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let (w, _, waiting) = after_an_outage(pdb, rdb).await;
        // Another company's order, approved now: its delivery is due at once.
        let mut other = example()["order"]["subject"].clone();
        other["name"] = json!("杭州示例网络科技有限公司");
        other["certificate"]["number"] = json!("91330106MA2C0ABC2P");
        let s = w.owner.post("/api/v1/subjects", json!({ "province": "33", "subject": other })).await;
        assert_eq!(s.status, StatusCode::CREATED, "{label}: {}", s.body);
        let subject = s.body["id"].as_str().unwrap().to_owned();
        let mut site = sites(&[1]);
        site[0]["domains"] = json!(["example-fresh.cn"]);
        let mut facts = example()["context"]["domains"]["alibabacloud.com"].clone();
        facts["holder_name"] = json!("杭州示例网络科技有限公司");
        facts["holder_certificate"] = json!("91330106MA2C0ABC2P");
        let (_, fresh) = w
            .file_order(
                Some(&subject),
                json!({ "websites": site, "domain_facts": { "example-fresh.cn": facts } }),
            )
            .await;
        w.settle().await;
        assert_eq!(w.state(&fresh).await["state"], "sms_pending", "{label}");
        assert_eq!(w.state(&waiting).await["state"], "sms_pending", "{label}: woken by the other's success");
    }
}
