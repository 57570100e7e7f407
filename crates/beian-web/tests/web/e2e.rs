//! End-to-end tests of the provider service over HTTP: the filing flow from registration to
//! provider approval, authorization, idempotency, concurrent decisions, bad input, and mail
//! through a real SMTP server. Each runs on SQLite, and on PostgreSQL when configured.

use std::sync::Arc;

use crate::common::*;
use beian_app::Role;
use beian_app::notify::{SmtpConfig, SmtpMailer, SmtpSecurity};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_filing_rejection_correction_and_approval() {
    for srv in servers().await {
        eprintln!("backend: {}", srv.db.label);
        srv.account("reviewer@example.com", Role::Reviewer).await;
        srv.account("admin@example.com", Role::Admin).await;
        srv.account("stranger@example.com", Role::Applicant).await;
        let admin = srv.login("admin@example.com").await;
        let r = admin.post("/api/v1/admin/ip-pools", json!({ "cidr": "47.96.0.0/11", "note": "hz" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // Registration and login.
        let anon = Client::anonymous(&srv.base);
        let r = anon
            .post(
                "/api/v1/auth/register",
                json!({ "email": "Owner@Example.com", "password": PASSWORD, "display_name": "王五" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["role"], "applicant");
        let again = anon
            .post(
                "/api/v1/auth/register",
                json!({ "email": "owner@example.com", "password": PASSWORD, "display_name": "x" }),
            )
            .await;
        assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "EMAIL_TAKEN"));
        let bad = anon
            .post("/api/v1/auth/login", json!({ "email": "owner@example.com", "password": "wrong password" }))
            .await;
        assert_eq!((bad.status, bad.code()), (StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS"));
        let owner = srv.login("owner@example.com").await;
        assert_eq!(owner.get("/api/v1/me").await.body["email"], "owner@example.com");

        // Draft, check, fix.
        let (_, order, etag) = create_example_order(&owner).await;
        let o = owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(o.body["state"]["state"], "draft");
        assert_eq!(o.body["order"]["kind"], "first_filing", "kind worked out from what is on file");
        let shown = o.body.to_string();
        assert!(!shown.contains("13800138000") && shown.contains("138****8000"), "PII is masked");
        let check = owner.post(&format!("/api/v1/orders/{order}/check"), json!({})).await;
        assert_eq!(check.body["submittable"], true, "{}", check.body);

        // A second open order for the subject is refused, naming the one in the way.
        let again = owner
            .post(
                "/api/v1/orders",
                json!({ "subject_id": o.body["subject_id"], "websites": example()["order"]["websites"] }),
            )
            .await;
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::CONFLICT, "ORDER_OPEN_EXISTS"),
            "{}",
            again.body
        );
        assert_eq!(again.body["open_order_id"], order.as_str());

        // Submission needs documents first, and says which: the same list as `requirements`.
        let early =
            owner.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, Some(&etag)).await;
        assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, "ORDER_NOT_READY"), "{}", early.body);
        let needs = owner.get(&format!("/api/v1/orders/{order}/requirements")).await;
        assert_eq!(needs.body["ready"], false);
        assert_eq!(early.body["missing"], needs.body["missing"]);
        assert_eq!(needs.body["missing"].as_array().unwrap().len(), 7, "{}", needs.body);
        assert!(needs.body["missing"].as_array().unwrap().iter().all(|m| m["what"] == "document"));
        // An integrator uploads exactly what it lists, and the order is ready.
        for m in needs.body["missing"].as_array().unwrap() {
            let (kind, path) = (m["kind"].as_str().unwrap(), m["path"].as_str().unwrap());
            let r = owner.upload(&order, kind, path, photo(), "image/png").await;
            assert_eq!(r.status, StatusCode::CREATED, "{kind} {path}: {}", r.body);
        }
        let needs = owner.get(&format!("/api/v1/orders/{order}/requirements")).await;
        assert_eq!(
            (needs.body["ready"].as_bool(), needs.body["missing"].as_array().map(Vec::len)),
            (Some(true), Some(0)),
            "{}",
            needs.body
        );
        // The provider's address blocks are the applicant's to read (the access step's
        // addresses must come from them); the staff's notes are not shown.
        let blocks = owner.get("/api/v1/addresses").await;
        assert_eq!(blocks.body, json!(["47.96.0.0/11"]), "{}", blocks.body);
        assert_eq!(
            Client::anonymous(&srv.base).get("/api/v1/addresses").await.status,
            StatusCode::UNAUTHORIZED
        );
        let stranger = srv.login("stranger@example.com").await;
        assert_eq!(
            stranger.get(&format!("/api/v1/orders/{order}/requirements")).await.status,
            StatusCode::NOT_FOUND
        );
        let docs = owner.get(&format!("/api/v1/orders/{order}/documents")).await;
        assert_eq!(docs.body.as_array().unwrap().len(), 7);
        let no_if_match =
            owner.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, None).await;
        assert_eq!(no_if_match.status, StatusCode::PRECONDITION_REQUIRED);
        let sub =
            owner.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, Some(&etag)).await;
        assert_eq!(sub.status, StatusCode::OK, "{}", sub.body);
        assert_eq!(sub.body["state"]["state"], "submitted");
        assert!(sub.body["sla_due"].is_string());

        // Review: queue, claim, identity check, reject with field-level findings.
        let reviewer = srv.login("reviewer@example.com").await;
        let q = reviewer.get("/api/v1/review/queue").await;
        let item = q.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == order)
            .cloned()
            .expect("order in queue");
        let v = format!("\"{}\"", item["version"]);
        let claimed =
            reviewer.call(Method::POST, &format!("/api/v1/orders/{order}/claim"), None, Some(&v)).await;
        assert_eq!(claimed.body["state"]["state"], "in_review", "{}", claimed.body);
        let doc_id = docs.body[0]["id"].as_str().unwrap().to_owned();
        let seen = Client::send(reviewer.request(Method::GET, &format!("/api/v1/documents/{doc_id}"))).await;
        assert_eq!(seen.status, StatusCode::OK);
        // A document is a download, sandboxed; the service-wide policy does not replace its own.
        let h = &seen.headers;
        assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"document-"));
        assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "private, no-store");
        let verified = reviewer
            .act(
                &order,
                "verification",
                Some(json!({ "passed": true, "note": "人脸与证件一致" })),
                &claimed.etag(),
            )
            .await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
        let findings = json!({ "findings": [{ "field": "websites[2].name", "error": "网站名称与内容不符", "suggestion": "改为“阿里云学习中心”" }] });
        let rejected = reviewer.act(&order, "reject", Some(findings), &verified.etag()).await;
        assert_eq!(rejected.body["state"]["state"], "returned", "{}", rejected.body);
        assert_eq!(rejected.body["state"]["reason"], "provider_rejected");

        // The applicant sees the reasons, corrects (sending back the masked values), resubmits.
        let back = owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(back.body["review_findings"][0]["field"], "websites[2].name");
        let mut websites = back.body["order"]["websites"].clone();
        websites[2]["name"] = json!("阿里云计算学习中心");
        let body = json!({ "subject_id": back.body["subject_id"], "websites": websites, "domain_facts": back.body["domain_facts"] });
        let edited =
            owner.call(Method::PUT, &format!("/api/v1/orders/{order}"), Some(body), Some(&back.etag())).await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
        let full = owner.get(&format!("/api/v1/orders/{order}?reveal=true")).await;
        assert_eq!(
            full.body["order"]["websites"][1]["head"]["mobile"], "13900139000",
            "masked values were kept, not overwritten"
        );
        let resub = owner.act(&order, "submit", None, &edited.etag()).await;
        assert_eq!(resub.body["state"]["state"], "submitted", "{}", resub.body);

        // Second review: approval needs a passed identity check (kept from the first round).
        let claimed = reviewer.act(&order, "claim", None, &resub.etag()).await;
        let approved = reviewer.act(&order, "approve", None, &claimed.etag()).await;
        assert_eq!(approved.body["state"]["state"], "queued_for_regulator", "{}", approved.body);

        let timeline = owner.get(&format!("/api/v1/orders/{order}/timeline")).await;
        let events: Vec<&str> =
            timeline.body.as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["create", "submit", "claim", "reject", "submit", "claim", "approve"]);

        // Notifications were queued with the state changes and go out through the job runner.
        assert!(srv.run_jobs().await >= 3);
        let mails = admin.get("/api/v1/admin/messages?channel=email").await;
        let subjects: Vec<&str> =
            mails.body.as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
        assert!(
            subjects.iter().any(|s| s.contains("退回")) && subjects.iter().any(|s| s.contains("通过初审")),
            "{subjects:?}"
        );
        assert!(
            mails
                .body
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["status"] == "outbox" && m["recipient"] == "o****@example.com")
        );

        // The audit log has the state changes and the document view.
        let audit = admin.get("/api/v1/admin/audit?limit=1000").await;
        let actions: Vec<&str> =
            audit.body.as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        for a in [
            "order.create",
            "order.submit",
            "order.reject",
            "order.approve",
            "document.view",
            "order.reveal_pii",
        ] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        let csv = Client::send(admin.request(Method::GET, "/api/v1/admin/audit?format=csv")).await;
        assert!(csv.body.as_str().unwrap().starts_with("id,at,actor_id"));
        let text = audit.body.to_string();
        assert!(
            !text.contains("13800138000") && !text.contains("330106198001011"),
            "no PII in the audit log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applicants_cannot_reach_each_others_data() {
    for srv in servers().await {
        for who in ["a@example.com", "b@example.com"] {
            srv.account(who, Role::Applicant).await;
        }
        let a = srv.login("a@example.com").await;
        let b = srv.login("b@example.com").await;
        let (subject, order, _) = create_example_order(&a).await;
        let doc = a.upload(&order, "id_front", "subject.head", photo(), "image/png").await;
        let doc = doc.body["id"].as_str().unwrap().to_owned();
        for path in [
            format!("/api/v1/orders/{order}"),
            format!("/api/v1/orders/{order}/timeline"),
            format!("/api/v1/orders/{order}/documents"),
            format!("/api/v1/documents/{doc}"),
            format!("/api/v1/subjects/{subject}"),
            format!("/api/v1/subjects/{subject}?reveal=true"),
        ] {
            assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(
            b.post(&format!("/api/v1/orders/{order}/check"), json!({})).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            b.upload(&order, "id_back", "subject.head", photo(), "image/png").await.status,
            StatusCode::NOT_FOUND
        );
        let steal = b.post("/api/v1/orders", json!({ "subject_id": subject })).await;
        assert_eq!(steal.status, StatusCode::NOT_FOUND);
        assert!(b.get("/api/v1/orders").await.body.as_array().unwrap().is_empty());
        // Applicants are not reviewers.
        assert_eq!(b.get("/api/v1/review/queue").await.status, StatusCode::FORBIDDEN);
        assert_eq!(b.get("/api/v1/admin/audit").await.status, StatusCode::FORBIDDEN);
        assert_eq!(b.get("/api/v1/admin/provider-profile").await.status, StatusCode::FORBIDDEN);
        // Anonymous callers are asked to sign in.
        assert_eq!(
            Client::anonymous(&srv.base).get(&format!("/api/v1/orders/{order}")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_retries_and_api_tokens() {
    for srv in servers().await {
        srv.account("a@example.com", Role::Applicant).await;
        let a = srv.login("a@example.com").await;
        let ex = example();
        let token = a.post("/api/v1/tokens", json!({ "name": "ci" })).await;
        assert_eq!(token.status, StatusCode::CREATED);
        let bearer = token.body["token"].as_str().unwrap().to_owned();
        let script = Client::anonymous(&srv.base);
        let send = |body: Value, key: &'static str| {
            let rb = script
                .request(Method::POST, "/api/v1/subjects")
                .bearer_auth(&bearer)
                .header("idempotency-key", key)
                .json(&body);
            Client::send(rb)
        };
        let body = json!({ "province": "33", "subject": ex["order"]["subject"] });
        let first = send(body.clone(), "k-1").await;
        let second = send(body.clone(), "k-1").await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(first.body["id"], second.body["id"], "the retry replays the first response");
        assert_eq!(second.headers.get("idempotency-replayed").unwrap(), "true");
        let mut other = body.clone();
        other["subject"]["name"] = json!("另一家公司");
        let reused = send(other, "k-1").await;
        assert_eq!(
            (reused.status, reused.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED")
        );
        assert_eq!(a.get("/api/v1/subjects").await.body.as_array().unwrap().len(), 1);
        let listed = a.get("/api/v1/tokens").await;
        assert_eq!(listed.body[0]["name"], "ci");
        assert!(!listed.body.to_string().contains(&bearer), "the secret is shown once only");
        // A bearer token needs no CSRF token; a revoked one stops working.
        let id = token.body["id"].as_str().unwrap();
        assert_eq!(
            a.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, None).await.status,
            StatusCode::NO_CONTENT
        );
        let after = Client::send(script.request(Method::GET, "/api/v1/me").bearer_auth(&bearer)).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        // Changing the password needs the current one and ends every session.
        let wrong = a
            .post(
                "/api/v1/me/password",
                json!({ "current_password": "nope nope nope", "new_password": "a new long password" }),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let changed = a
            .post(
                "/api/v1/me/password",
                json!({ "current_password": PASSWORD, "new_password": "a new long password" }),
            )
            .await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT);
        assert_eq!(a.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "the old session ended");
        let again = Client::anonymous(&srv.base)
            .post(
                "/api/v1/auth/login",
                json!({ "email": "a@example.com", "password": "a new long password" }),
            )
            .await;
        assert_eq!(again.status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_review_decisions_exactly_one_wins() {
    for srv in servers().await {
        srv.account("owner@example.com", Role::Applicant).await;
        srv.account("r1@example.com", Role::Reviewer).await;
        srv.account("r2@example.com", Role::Reviewer).await;
        let owner = srv.login("owner@example.com").await;
        let (_, order, etag) = create_example_order(&owner).await;
        upload_all_documents(&owner, &order).await;
        let sub =
            owner.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, Some(&etag)).await;
        let r1 = srv.login("r1@example.com").await;
        let r2 = srv.login("r2@example.com").await;
        let path = format!("/api/v1/orders/{order}/claim");
        let tag = sub.etag();
        let (a, b) = tokio::join!(
            r1.call(Method::POST, &path, None, Some(&tag)),
            r2.call(Method::POST, &path, None, Some(&tag))
        );
        let statuses = [a.status, b.status];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.contains(&StatusCode::PRECONDITION_FAILED), "{statuses:?}");
        let winner = if a.status == StatusCode::OK { a } else { b };
        let v = r1.act(&order, "verification", Some(json!({ "passed": true })), &winner.etag()).await;
        // Two decisions on the same version: approve and reject race.
        let reject = json!({ "findings": [{ "field": "subject.name", "error": "x", "suggestion": "y" }] });
        let (tag, approve, reject_path) =
            (v.etag(), format!("/api/v1/orders/{order}/approve"), format!("/api/v1/orders/{order}/reject"));
        let (x, y) = tokio::join!(
            r1.call(Method::POST, &approve, None, Some(&tag)),
            r2.call(Method::POST, &reject_path, Some(reject), Some(&tag))
        );
        assert_eq!(
            [x.status, y.status].iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{} / {}",
            x.body,
            y.body
        );
        let events = owner.get(&format!("/api/v1/orders/{order}/timeline")).await;
        let decisions = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| matches!(e["event"].as_str(), Some("approve" | "reject")))
            .count();
        assert_eq!(decisions, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_problems_never_500() {
    for srv in servers().await {
        srv.account("a@example.com", Role::Applicant).await;
        let a = srv.login("a@example.com").await;
        let (_, order, _) = create_example_order(&a).await;
        let raw = |method: Method, path: &str, ct: &str, body: Vec<u8>| {
            Client::send(a.request(method, path).header("content-type", ct.to_owned()).body(body))
        };
        let syntax =
            raw(Method::POST, "/api/v1/subjects", "application/json", b"{\"province\": ".to_vec()).await;
        assert_eq!((syntax.status, syntax.code()), (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED"));
        assert_eq!(syntax.headers.get("content-type").unwrap(), "application/problem+json");
        let unknown =
            a.post("/api/v1/subjects", json!({ "province": "33", "subject": {}, "extra": 1 })).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
        let province = a
            .post("/api/v1/subjects", json!({ "province": "99", "subject": example()["order"]["subject"] }))
            .await;
        assert_eq!(province.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            province.body["errors"][0]["field"].as_str().unwrap().contains("province"),
            "{}",
            province.body
        );
        let mut bad_cert = example()["order"]["subject"].clone();
        bad_cert["certificate"]["number"] = json!("91330106673959654I");
        let cert = a.post("/api/v1/subjects", json!({ "province": "33", "subject": bad_cert })).await;
        assert_eq!(cert.body["errors"][0]["code"], "USCC_CHARACTER", "{}", cert.body);
        assert_eq!(cert.body["errors"][0]["field"], "subject.certificate.number");
        let wrong_type = raw(Method::POST, "/api/v1/subjects", "text/plain", b"{}".to_vec()).await;
        assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let not_utf8 = raw(
            Method::POST,
            "/api/v1/subjects",
            "application/json",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'],
        )
        .await;
        assert!(not_utf8.status.is_client_error());
        // The server answers 413 without reading the body and closes the connection: ask for
        // a connection of its own, so the next request does not meet the closed one.
        let huge = Client::send(
            a.request(Method::POST, "/api/v1/subjects")
                .header("content-type", "application/json")
                .header("connection", "close")
                .body(vec![b' '; 2 * 1024 * 1024]),
        )
        .await;
        assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
        let bad_id = a.get("/api/v1/orders/not-a-uuid").await;
        assert_eq!(bad_id.status, StatusCode::NOT_FOUND);
        let bad_if_match =
            a.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, Some("three")).await;
        assert_eq!(bad_if_match.status, StatusCode::UNPROCESSABLE_ENTITY);
        let stale =
            a.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, Some("\"99\"")).await;
        assert_eq!(
            (stale.status, stale.body["current_version"].as_i64()),
            (StatusCode::PRECONDITION_FAILED, Some(1))
        );
        // Uploads that lie about their type, executables, oversized files, unknown kinds.
        let liar = a.upload(&order, "id_front", "subject.head", b"%PDF-1.7 fake".to_vec(), "image/png").await;
        assert_eq!(liar.body["errors"][0]["code"], "DOCUMENT_TYPE_MISMATCH", "{}", liar.body);
        let exe = a.upload(&order, "id_front", "subject.head", b"MZ\x90\x00\x03".to_vec(), "image/png").await;
        assert_eq!(exe.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let broken = a
            .upload(&order, "id_front", "subject.head", b"\x89PNG\r\n\x1a\nnot really".to_vec(), "image/png")
            .await;
        assert_eq!(broken.body["errors"][0]["code"], "IMAGE_UNREADABLE");
        let big =
            a.upload(&order, "id_front", "subject.head", vec![0xFF; 3 * 1024 * 1024], "image/jpeg").await;
        assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.body);
        // PDFs that would run something in a reviewer's viewer; a plain one is taken.
        let script = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF".to_vec();
        let r = a.upload(&order, "business_licence", "subject", script, "application/pdf").await;
        assert_eq!(r.body["errors"][0]["code"], "DOCUMENT_PDF_ACTIVE", "{}", r.body);
        let launch = b"%PDF-1.7\n1 0 obj << /S /L#61unch /F (cmd.exe) >> endobj\n%%EOF".to_vec();
        let r = a.upload(&order, "business_licence", "subject", launch, "application/pdf").await;
        assert_eq!(r.body["errors"][0]["code"], "DOCUMENT_PDF_ACTIVE", "{}", r.body);
        let plain = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction [3 0 R /Fit] >> endobj\n%%EOF".to_vec();
        let r = a.upload(&order, "business_licence", "subject", plain, "application/pdf").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // A JPEG of endless scans is refused before any decoding.
        let mut bomb = vec![0xFF, 0xD8];
        for _ in 0..200 {
            bomb.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        }
        bomb.extend([0xFF, 0xD9]);
        let r = a.upload(&order, "id_front", "subject.head", bomb, "image/jpeg").await;
        assert_eq!(r.body["errors"][0]["code"], "IMAGE_TOO_COMPLEX", "{}", r.body);
        let kind = a.upload(&order, "selfie", "websites[9].head", photo(), "image/png").await;
        assert_eq!(kind.body["errors"].as_array().unwrap().len(), 2, "{}", kind.body);
        let not_multipart = a.post(&format!("/api/v1/orders/{order}/documents"), json!({})).await;
        assert_eq!(not_multipart.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // Script in names is data, not markup: stored and returned as the same JSON string.
        let mut xss = example()["order"]["subject"].clone();
        xss["name"] = json!("<script>alert(1)</script>公司");
        xss["certificate"]["number"] = json!("91310110666007217T");
        let s = a.post("/api/v1/subjects", json!({ "province": "33", "subject": xss })).await;
        assert_eq!(s.body["subject"]["name"], "<script>alert(1)</script>公司");
        // A cookie session without the CSRF header cannot change anything.
        let mut no_csrf = Client::anonymous(&srv.base);
        no_csrf.http = a.http.clone();
        let forged = no_csrf.post("/api/v1/orders", json!({})).await;
        assert_eq!((forged.status, forged.code()), (StatusCode::FORBIDDEN, "CSRF_FAILED"));
        // English problems on request.
        let en = Client::send(
            a.request(Method::GET, "/api/v1/orders/00000000-0000-0000-0000-000000000000")
                .header("accept-language", "en-US"),
        )
        .await;
        assert_eq!(en.body["title"], "Not found.");
        // A use case's refusal is worded once, in the language asked, field messages too.
        let bad_token = |lang: &'static str| {
            a.request(Method::POST, "/api/v1/tokens")
                .header("accept-language", lang)
                .json(&json!({ "name": "" }))
        };
        let en = Client::send(bad_token("en")).await;
        assert_eq!(
            (en.status, en.body["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("TOKEN_NAME_INVALID"))
        );
        assert_eq!(en.body["title"], "Some fields are invalid.");
        assert_eq!(en.body["errors"][0]["message"], "The token name must have 1 to 100 characters.");
        let zh = Client::send(bad_token("zh-CN")).await;
        assert_eq!(zh.body["errors"][0]["message"], "令牌名称须为1到100个字符。");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_delivered_through_a_real_smtp_server() {
    let Some(sink) = SmtpSink::start().await else { return };
    let mailer = SmtpMailer::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "beian <noreply@beian.test>".into(),
    })
    .unwrap();
    let srv = TestServer::start(beian_store::testing::sqlite().await, Arc::new(mailer)).await;
    srv.account("owner@example.com", Role::Applicant).await;
    let owner = srv.login("owner@example.com").await;
    let (_, order, etag) = create_example_order(&owner).await;
    upload_all_documents(&owner, &order).await;
    let sub = owner.call(Method::POST, &format!("/api/v1/orders/{order}/submit"), None, Some(&etag)).await;
    assert_eq!(sub.status, StatusCode::OK);
    assert_eq!(srv.run_jobs().await, 1);
    let got = sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        // In the account's language only (Chinese: the subject is encoded, not the English one).
        got[0].contains("To: owner@example.com")
            && got[0].to_lowercase().contains("subject: =?utf-8?")
            && !got[0].contains("Filing order submitted"),
        "{}",
        got[0]
    );
    // The job is idempotent: running it again (a retry after a crash) sends nothing new.
    assert_eq!(srv.run_jobs().await, 0);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_and_viewer_are_served_offline() {
    let srv = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    let c = Client::anonymous(&srv.base);
    let doc = c.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["paths"]["/api/v1/orders"]["post"].is_object());
    let page = Client::send(c.request(Method::GET, "/api/docs")).await;
    assert!(page.body.as_str().unwrap().contains("/api/docs/swagger-ui-bundle.js"));
    // The viewer, the API and the health checks carry the same protective headers as pages.
    for (path, h) in [
        ("/api/docs", &page.headers),
        ("/api/openapi.json", &doc.headers),
        ("/healthz", &Client::send(c.request(Method::GET, "/healthz")).await.headers),
    ] {
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "{path}: no HSTS unless configured");
    }
    let js = c.http.get(format!("{}/api/docs/swagger-ui-bundle.js", srv.base)).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.bytes().await.unwrap().len() > 1_000_000);
    assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(c.get("/readyz").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_templates_and_service_number_quotas() {
    for srv in servers().await {
        srv.account("admin@example.com", Role::Admin).await;
        srv.account("reviewer@example.com", Role::Reviewer).await;
        srv.account("owner@example.com", Role::Applicant).await;
        let admin = srv.login("admin@example.com").await;
        let sn =
            admin.post("/api/v1/admin/service-numbers", json!({ "instance": "i-bp1abc", "quota": 3 })).await;
        assert_eq!(sn.status, StatusCode::CREATED, "{}", sn.body);
        let code = sn.body["code"].as_str().unwrap().to_owned();
        let t = admin
            .post("/api/v1/admin/templates", json!({ "field": "websites[].name", "error": "网站名称与内容不符", "suggestion": "使用与网站内容相关的名称" }))
            .await;
        assert_eq!(t.status, StatusCode::CREATED);

        // The example's three sites all use the new service number: exactly its quota.
        let owner = srv.login("owner@example.com").await;
        let ex = example();
        let mut websites = ex["order"]["websites"].clone();
        for w in websites.as_array_mut().unwrap() {
            w["access"]["service_number"] = json!(code);
        }
        let s = owner
            .post("/api/v1/subjects", json!({ "province": "33", "subject": ex["order"]["subject"] }))
            .await;
        let o = owner.post("/api/v1/orders", json!({ "subject_id": s.body["id"], "websites": websites, "domain_facts": ex["context"]["domains"] })).await;
        let order = o.body["id"].as_str().unwrap().to_owned();
        let check = owner.post(&format!("/api/v1/orders/{order}/check"), json!({})).await;
        assert_eq!(check.body["submittable"], true, "{}", check.body);
        upload_all_documents(&owner, &order).await;
        let sub = owner.act(&order, "submit", None, &o.etag()).await;

        let reviewer = srv.login("reviewer@example.com").await;
        let templates = reviewer.get("/api/v1/review/templates").await;
        let tid = templates.body[0]["id"].clone();
        let claimed = reviewer.act(&order, "claim", None, &sub.etag()).await;
        let verified =
            reviewer.act(&order, "verification", Some(json!({ "passed": true })), &claimed.etag()).await;
        let reasons = json!({ "findings": [{ "template_id": tid, "field": "websites[2].name" }] });
        let rejected = reviewer.act(&order, "reject", Some(reasons), &verified.etag()).await;
        assert_eq!(rejected.body["review_findings"][0]["field"], "websites[2].name", "{}", rejected.body);
        assert_eq!(rejected.body["review_findings"][0]["error"], "网站名称与内容不符");
        let unknown = json!({ "findings": [{ "template_id": "00000000-0000-0000-0000-000000000000" }] });
        let bad = reviewer.act(&order, "reject", Some(unknown), &rejected.etag()).await;
        assert_eq!(bad.body["errors"][0]["code"], "TEMPLATE_UNKNOWN", "{}", bad.body);

        let resub = owner.act(&order, "submit", None, &rejected.etag()).await;
        let claimed = reviewer.act(&order, "claim", None, &resub.etag()).await;
        let approved = reviewer.act(&order, "approve", None, &claimed.etag()).await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
        let numbers = admin.get("/api/v1/admin/service-numbers").await;
        assert_eq!(numbers.body[0]["used"], 3, "approval used the quota");

        // The number is spent: another order naming it is flagged before submission.
        let mut other = ex["order"]["subject"].clone();
        other["certificate"]["number"] = json!("91310110666007217T");
        let s2 = owner.post("/api/v1/subjects", json!({ "province": "33", "subject": other })).await;
        let mut one = websites.clone();
        one.as_array_mut().unwrap().truncate(1);
        let input =
            json!({ "subject_id": s2.body["id"], "websites": one, "domain_facts": ex["context"]["domains"] });
        let o2 = owner.post("/api/v1/orders", input.clone()).await;
        let path = format!("/api/v1/orders/{}", o2.body["id"].as_str().unwrap());
        let codes = |r: &Resp| -> Vec<String> {
            r.body["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_owned())
                .collect()
        };
        let check = owner.post(&format!("{path}/check"), json!({})).await;
        assert!(codes(&check).contains(&"ACCESS_SERVICE_NUMBER_EXHAUSTED".to_owned()), "{:?}", codes(&check));
        // The draft says so on every write and read, not only when checked.
        assert_eq!(codes(&o2), codes(&check), "POST");
        let read = owner.get(&path).await;
        assert_eq!(codes(&read), codes(&check), "GET");
        let put = owner.call(Method::PUT, &path, Some(input), Some(&read.etag())).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        assert_eq!(codes(&put), codes(&check), "PUT");
    }
}

/// With `hsts` set (a service reached over HTTPS only), every response says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_when_configured() {
    let clock = beian_app::clock::ManualClock::new(time::macros::datetime!(2026-11-28 10:00 +8));
    let srv = TestServer::start_with(
        beian_store::testing::sqlite().await,
        std::sync::Arc::new(beian_app::notify::OutboxMailer),
        clock,
        None,
        |app| app.with_config(|c| c.hsts = true),
    )
    .await;
    for path in ["/healthz", "/login", "/api/openapi.json"] {
        let r = Client::send(Client::anonymous(&srv.base).request(Method::GET, path)).await;
        assert_eq!(r.headers["strict-transport-security"], "max-age=31536000; includeSubDomains", "{path}");
    }
}

/// Each applicant has a budget of bytes uploaded per hour, charged before the work and shared
/// by no one else; the next hour it is whole again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_have_an_hourly_byte_budget_per_applicant() {
    let photo = crate::common::photo();
    let budget = 3 * photo.len() as i64 + 10;
    for db in beian_store::testing::all().await {
        let clock = beian_app::clock::ManualClock::new(time::macros::datetime!(2026-11-28 10:00 +8));
        let srv = TestServer::start_with(
            db,
            std::sync::Arc::new(beian_app::notify::OutboxMailer),
            clock.clone(),
            None,
            |app| app.with_config(|c| c.upload_bytes_per_hour = budget),
        )
        .await;
        srv.account("owner@example.com", Role::Applicant).await;
        srv.account("other@example.com", Role::Applicant).await;
        let owner = srv.login("owner@example.com").await;
        let other = srv.login("other@example.com").await;
        let (_, order, _) = crate::common::create_example_order(&owner).await;
        for _ in 0..3 {
            let r = owner.upload(&order, "id_front", "subject.head", photo.clone(), "image/png").await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let over = owner.upload(&order, "id_front", "subject.head", photo.clone(), "image/png").await;
        assert_eq!(
            (over.status, over.code()),
            (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            "{}",
            over.body
        );
        assert!(over.headers.contains_key("retry-after"));
        let (_, theirs, _) = crate::common::create_example_order(&other).await;
        let r = other.upload(&theirs, "id_front", "subject.head", photo.clone(), "image/png").await;
        assert_eq!(r.status, StatusCode::CREATED, "another applicant's budget is their own: {}", r.body);
        clock.advance(time::Duration::hours(1));
        let r = owner.upload(&order, "id_front", "subject.head", photo.clone(), "image/png").await;
        assert_eq!(r.status, StatusCode::CREATED, "a new hour: {}", r.body);
    }
}

/// Parses Prometheus text with Prometheus' own Python parser (`prometheus_client`), into
/// `{"name{label=value,...}": value}`; `None` when python3 or the library is missing and CI
/// did not ask for it.
fn parse_with_prometheus_client(text: &str) -> Option<serde_json::Map<String, Value>> {
    use std::io::Write;
    const SCRIPT: &str = "import json, sys\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        out = {}\n\
        for fam in text_string_to_metric_families(sys.stdin.read()):\n    \
            for s in fam.samples:\n        \
                labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))\n        \
                out[f'{s.name}{{{labels}}}'] = s.value\n\
        print(json.dumps(out))\n";
    let child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let ok = match child {
        Ok(mut c) => {
            c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let out = c.wait_with_output().unwrap();
            out.status.success().then(|| serde_json::from_slice::<Value>(&out.stdout).unwrap())
        }
        Err(_) => None,
    };
    match ok {
        Some(Value::Object(m)) => Some(m),
        _ => {
            assert!(
                std::env::var_os("BEIAN_TEST_REQUIRE_PYTHON").is_none(),
                "python3 with prometheus_client is required (BEIAN_TEST_REQUIRE_PYTHON is set)"
            );
            eprintln!("SKIPPED the outside parser: python3 with prometheus_client is not here");
            None
        }
    }
}

/// `/metrics` answers an admin's API token (as a scraper sends it) in Prometheus' text
/// format, which Prometheus' own parser reads; anyone else is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_with_an_admins_token() {
    for srv in servers().await {
        srv.account("admin@example.com", Role::Admin).await;
        srv.account("owner@example.com", Role::Applicant).await;
        let owner = srv.login("owner@example.com").await;
        create_example_order(&owner).await;
        assert_eq!(owner.get("/metrics").await.status, StatusCode::FORBIDDEN);
        assert_eq!(Client::anonymous(&srv.base).get("/metrics").await.status, StatusCode::UNAUTHORIZED);
        let admin = srv.login("admin@example.com").await;
        let token = admin.post("/api/v1/tokens", json!({ "name": "prometheus" })).await;
        let bearer = token.body["token"].as_str().unwrap().to_owned();
        let scraper = Client::anonymous(&srv.base);
        let r = scraper.http.get(format!("{}/metrics", srv.base)).bearer_auth(&bearer).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        let text = r.text().await.unwrap();
        assert!(
            text.contains("# TYPE beian_orders gauge") && text.contains("beian_orders{state=\"draft\"} 1"),
            "{text}"
        );
        assert!(!text.contains("13800138000") && !text.contains("owner@example.com"), "no personal data");
        let Some(parsed) = parse_with_prometheus_client(&text) else { continue };
        assert_eq!(parsed["beian_orders{state=draft}"], 1.0, "{parsed:?}");
        assert_eq!(parsed["beian_delivery_lag_seconds{}"], 0.0);
        assert_eq!(parsed["beian_psb_overdue{}"], 0.0);
        let samples = text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).count();
        assert_eq!(parsed.len(), samples, "every sample read by the outside parser");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holiday_calendar_is_data_an_admin_extends_and_due_dates_say_when_it_runs_out() {
    for srv in servers().await {
        eprintln!("backend: {}", srv.db.label);
        srv.account("admin@example.com", Role::Admin).await;
        srv.account("reviewer@example.com", Role::Reviewer).await;
        srv.account("owner@example.com", Role::Applicant).await;
        let admin = srv.login("admin@example.com").await;
        let r = admin.post("/api/v1/admin/ip-pools", json!({ "cidr": "47.96.0.0/11", "note": "hz" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // 28 November 2026: the built-in calendar ends in 33 days, and /readyz says so.
        let cal = admin.get("/api/v1/admin/calendar").await;
        assert_eq!(cal.status, StatusCode::OK, "{}", cal.body);
        assert_eq!(
            (cal.body["version"].as_i64(), cal.body["covers_until"].as_str()),
            (Some(0), Some("2026-12-31"))
        );
        assert_eq!(cal.body["years"][0]["origin"], "built_in");
        let ready = Client::anonymous(&srv.base).get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK);
        let text = ready.body.as_str().unwrap_or_default().to_owned();
        assert!(text.starts_with("ready") && text.contains("warning") && text.contains("2027"), "{text}");

        // An order submitted on Wednesday 30 December: its two working days reach 2027.
        srv.clock.advance(time::Duration::days(32));
        let owner = srv.login("owner@example.com").await;
        let (_, order, _) = create_example_order(&owner).await;
        upload_all_documents(&owner, &order).await;
        let etag = owner.get(&format!("/api/v1/orders/{order}")).await.etag();
        let sub = owner.act(&order, "submit", None, &etag).await;
        assert_eq!(sub.status, StatusCode::OK, "{}", sub.body);
        assert_eq!(
            (sub.body["sla_due"].as_str(), sub.body["sla_due_year_without_calendar"].as_i64()),
            (Some("2027-01-01"), Some(2027)),
            "1 January 2027 counts as a working day only because 2027 is not on file"
        );
        let reviewer = srv.login("reviewer@example.com").await;
        let q = reviewer.get("/api/v1/review/queue").await;
        assert_eq!(q.body["items"][0]["sla_due_year_without_calendar"], 2027, "{}", q.body);
        // The pages say it in words, on the order page and in the queue.
        let page = owner.get(&format!("/app/orders/{order}")).await;
        let page = page.body.as_str().unwrap_or_default();
        assert!(page.contains("id=\"sla-note\"") && page.contains("2027年节假日安排尚未录入"), "{page}");
        let queue = reviewer.get("/review?state=submitted").await;
        assert!(queue.body.as_str().unwrap_or_default().contains("calendar-note"), "{}", queue.body);

        // Bad entries are refused field by field; a write needs the version; applicants cannot.
        let bad = admin
            .call(
                Method::PUT,
                "/api/v1/admin/calendar/2027",
                Some(json!({ "holidays": [["2027-02-30", "2027-03-01"]], "workdays": ["2027-01-06"], "source": "x", "read_on": "2026-12-06" })),
                Some("0"),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        let fields: Vec<(&str, &str)> = bad.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [("holidays[0]", "CALENDAR_DATE_INVALID"), ("workdays[0]", "CALENDAR_WORKDAY_NOT_WEEKEND")]
        );
        let year = json!({
            "holidays": [["2027-01-01", "2027-01-03"]],
            "workdays": [],
            "source": "国务院办公厅关于2027年部分节假日安排的通知 (test entry)",
            "read_on": "2026-12-06",
        });
        let unversioned =
            admin.call(Method::PUT, "/api/v1/admin/calendar/2027", Some(year.clone()), None).await;
        assert_eq!(unversioned.status, StatusCode::PRECONDITION_REQUIRED);
        let owner_put =
            owner.call(Method::PUT, "/api/v1/admin/calendar/2027", Some(year.clone()), Some("0")).await;
        assert_eq!(owner_put.status, StatusCode::FORBIDDEN);
        assert_eq!(owner.get("/api/v1/admin/calendar").await.status, StatusCode::FORBIDDEN);
        let bad_year =
            admin.call(Method::PUT, "/api/v1/admin/calendar/1999", Some(year.clone()), Some("0")).await;
        assert_eq!(bad_year.status, StatusCode::NOT_FOUND);

        // With 2027 on file the same order is due on Monday 4 January, without the flag.
        let put = admin.call(Method::PUT, "/api/v1/admin/calendar/2027", Some(year.clone()), Some("0")).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        assert_eq!(
            (put.body["version"].as_i64(), put.body["covers_until"].as_str()),
            (Some(1), Some("2027-12-31"))
        );
        assert_eq!(put.body["years"][1]["origin"], "added");
        let o = owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(
            (o.body["sla_due"].as_str(), &o.body["sla_due_year_without_calendar"]),
            (Some("2027-01-04"), &Value::Null)
        );
        let ready = Client::anonymous(&srv.base).get("/readyz").await;
        assert_eq!(ready.body, json!("ready"));
        let stale =
            admin.call(Method::PUT, "/api/v1/admin/calendar/2027", Some(year.clone()), Some("0")).await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

        // A built-in year cannot be removed; an added one can, and the flag comes back.
        let builtin = admin.call(Method::DELETE, "/api/v1/admin/calendar/2026", None, Some("1")).await;
        assert_eq!(builtin.status, StatusCode::NOT_FOUND);
        let del = admin.call(Method::DELETE, "/api/v1/admin/calendar/2027", None, Some("1")).await;
        assert_eq!(del.status, StatusCode::OK, "{}", del.body);
        let o = owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(o.body["sla_due_year_without_calendar"], 2027);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_decision_answers_one_result_per_order_and_one_refusal_stops_no_other() {
    for srv in servers().await {
        eprintln!("backend: {}", srv.db.label);
        srv.account("reviewer@example.com", Role::Reviewer).await;
        let reviewer = srv.login("reviewer@example.com").await;
        let mut claimed = Vec::new();
        for owner in ["a@example.com", "b@example.com", "c@example.com"] {
            srv.account(owner, Role::Applicant).await;
            let api = srv.login(owner).await;
            let (_, order, _) = create_example_order(&api).await;
            upload_all_documents(&api, &order).await;
            let o = api.get(&format!("/api/v1/orders/{order}")).await;
            let sub = api.act(&order, "submit", None, &o.etag()).await;
            let c = reviewer.act(&order, "claim", None, &sub.etag()).await;
            assert_eq!(c.status, StatusCode::OK, "{}", c.body);
            claimed.push((order, c.body["version"].as_i64().unwrap()));
        }
        // The first two pass the identity check; the third does not.
        for (order, version) in claimed.iter_mut().take(2) {
            let v = reviewer
                .act(
                    order,
                    "verification",
                    Some(json!({ "passed": true, "note": "一致" })),
                    &format!("\"{version}\""),
                )
                .await;
            assert_eq!(v.status, StatusCode::OK, "{}", v.body);
            *version = v.body["version"].as_i64().unwrap();
        }
        let item = |i: usize, version: i64| json!({ "id": claimed[i].0, "version": version });

        // The batch as a whole: size, duplicates, reasons.
        let batch = |body: Value| {
            let r = &reviewer;
            async move { r.post("/api/v1/review/batch", body).await }
        };
        let empty = batch(json!({ "action": "approve", "orders": [] })).await;
        assert_eq!(
            (empty.status, empty.body["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("BATCH_SIZE_INVALID"))
        );
        let twice =
            batch(json!({ "action": "approve", "orders": [item(0, claimed[0].1), item(0, claimed[0].1)] }))
                .await;
        assert_eq!(twice.body["errors"][0]["field"], "orders[1]", "{}", twice.body);
        let unreasoned = batch(json!({ "action": "reject", "orders": [item(2, claimed[2].1)] })).await;
        assert_eq!(unreasoned.body["errors"][0]["code"], "FINDINGS_REQUIRED", "{}", unreasoned.body);
        let owner = srv.login("a@example.com").await;
        let forbidden = owner
            .post("/api/v1/review/batch", json!({ "action": "approve", "orders": [item(0, claimed[0].1)] }))
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

        // One result per order, in order: approved, stale (412 with the version to retry
        // with), not verified (409), unknown (404).
        let unknown = "00000000-0000-4000-8000-000000000000";
        let r = batch(json!({ "action": "approve", "orders": [
            item(0, claimed[0].1), item(1, claimed[1].1 - 1), item(2, claimed[2].1),
            { "id": unknown, "version": 1 },
        ] }))
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rows = r.body.as_array().unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            (rows[0]["ok"].as_bool(), rows[0]["state"].as_str()),
            (Some(true), Some("queued_for_regulator"))
        );
        assert_eq!(
            (rows[1]["problem"]["status"].as_u64(), rows[1]["problem"]["current_version"].as_i64()),
            (Some(412), Some(claimed[1].1))
        );
        assert_eq!(rows[2]["problem"]["code"], "VERIFICATION_REQUIRED", "{}", rows[2]);
        assert_eq!(
            (rows[3]["id"].as_str(), rows[3]["problem"]["status"].as_u64()),
            (Some(unknown), Some(404))
        );
        // Return the other two with one reason.
        let r = batch(json!({ "action": "reject", "orders": [item(1, claimed[1].1), item(2, claimed[2].1)],
            "findings": [{ "field": "websites[0].name", "error": "网站名称与内容不符" }] }))
        .await;
        let states: Vec<&str> =
            r.body.as_array().unwrap().iter().map(|x| x["state"].as_str().unwrap_or("?")).collect();
        assert_eq!(states, ["returned", "returned"], "{}", r.body);
        let returned = owner.get(&format!("/api/v1/orders/{}", claimed[0].0)).await;
        assert_eq!(returned.body["state"]["state"], "queued_for_regulator");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_orders_are_reminded_at_30_and_40_days_and_closed_at_45() {
    for srv in servers().await {
        eprintln!("backend: {}", srv.db.label);
        srv.account("admin@example.com", Role::Admin).await;
        srv.account("owner@example.com", Role::Applicant).await;
        srv.account("other@example.com", Role::Applicant).await;
        let owner = srv.login("owner@example.com").await;
        let (subject, order, _) = create_example_order(&owner).await;
        let expiry = |app: beian_app::App| async move { app.expiry().run_draft_expiry().await.unwrap() };
        let run = |reminded, closed| beian_app::expiry::ExpiryRun { reminded, closed };
        // Sessions do not outlive the months this test moves through: sign in afresh each time.
        let admin = || srv.login("admin@example.com");
        let owner = || srv.login("owner@example.com");
        let reminder_mails = || async {
            let m = admin().await.get("/api/v1/admin/messages?channel=email").await.body;
            m.as_array().unwrap().iter().filter(|m| m["subject"].as_str().unwrap().contains("将于")).count()
        };

        // Day 29: nothing is due, and the applicant's list of closing orders is empty.
        srv.clock.advance(time::Duration::days(29));
        assert_eq!(expiry(srv.app.clone()).await, run(0, 0), "day 29");
        assert_eq!(owner().await.get("/api/v1/orders/expiring").await.body, json!([]));
        // An upload on day 29 is a touch: day 30 counts from it.
        let up = owner().await.upload(&order, "business_licence", "subject", photo(), "image/png").await;
        assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
        srv.clock.advance(time::Duration::days(1));
        assert_eq!(expiry(srv.app.clone()).await, run(0, 0), "day 30 but one day after the upload");

        // 30 idle days after the upload: one reminder, once, and the order is listed.
        srv.clock.advance(time::Duration::days(29));
        assert_eq!(expiry(srv.app.clone()).await, run(1, 0), "30 idle days");
        assert_eq!(expiry(srv.app.clone()).await, run(0, 0), "the same reminder once");
        assert_eq!(reminder_mails().await, 1);
        let list = owner().await.get("/api/v1/orders/expiring").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(
            (list.body[0]["id"].as_str(), list.body[0]["idle_days"].as_i64(), list.body[0]["state"].as_str()),
            (Some(order.as_str()), Some(30), Some("draft")),
            "{}",
            list.body
        );
        assert!(list.body[0]["closes_at"].as_str().unwrap().ends_with("+08:00"), "{}", list.body);
        let home = owner().await.get("/app").await;
        let home = home.body.as_str().unwrap_or_default();
        assert!(home.contains("id=\"expiring\"") && home.contains(&format!("/app/orders/{order}")), "{home}");
        let staff_home = admin().await.get("/app").await;
        assert!(
            !staff_home.body.as_str().unwrap_or_default().contains("id=\"expiring\""),
            "staff see only their own"
        );
        assert_eq!(srv.login("other@example.com").await.get("/api/v1/orders/expiring").await.body, json!([]));
        assert_eq!(admin().await.get("/api/v1/orders/expiring").await.body.as_array().map(Vec::len), Some(1));

        // An edit starts a new round: 30 days later a reminder again, then 40, then closed at 45.
        let o = owner().await.get(&format!("/api/v1/orders/{order}")).await;
        let ex = example();
        let edit = owner()
            .await
            .call(
                Method::PUT,
                &format!("/api/v1/orders/{order}"),
                Some(json!({ "subject_id": subject, "websites": ex["order"]["websites"], "domain_facts": ex["context"]["domains"] })),
                Some(&o.etag()),
            )
            .await;
        assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
        srv.clock.advance(time::Duration::days(30));
        assert_eq!(expiry(srv.app.clone()).await, run(1, 0), "a new round after the edit");
        srv.clock.advance(time::Duration::days(10));
        assert_eq!(expiry(srv.app.clone()).await, run(1, 0), "40 idle days");
        assert_eq!(expiry(srv.app.clone()).await, run(0, 0));
        assert_eq!(reminder_mails().await, 3);
        srv.clock.advance(time::Duration::days(4));
        assert_eq!(expiry(srv.app.clone()).await, run(0, 0), "44 idle days");
        srv.clock.advance(time::Duration::days(1));
        assert_eq!(expiry(srv.app.clone()).await, run(0, 1), "45 idle days: closed");
        assert_eq!(expiry(srv.app.clone()).await, run(0, 0), "closed once");

        // Closed as withdrawn by the system, on the timeline and in the audit log, with an e-mail;
        // the subject is free for a new order.
        let o = owner().await.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(o.body["state"]["state"], "withdrawn", "{}", o.body);
        let timeline = owner().await.get(&format!("/api/v1/orders/{order}/timeline")).await.body;
        let last = timeline.as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["event"].as_str(), last["actor_role"].as_str(), last["detail"]["idle_days"].as_i64()),
            (Some("expire"), Some("system"), Some(45)),
            "{last}"
        );
        let audit = admin().await.get("/api/v1/admin/audit?limit=1000").await;
        assert!(audit.body.to_string().contains("order.expire"), "{}", audit.body);
        let mails = admin().await.get("/api/v1/admin/messages?channel=email").await.body;
        assert!(mails.to_string().contains("已因长期未操作关闭"), "{mails}");
        assert_eq!(owner().await.get("/api/v1/orders/expiring").await.body, json!([]));
        let again = owner()
            .await
            .post(
                "/api/v1/orders",
                json!({ "subject_id": subject, "websites": ex["order"]["websites"], "domain_facts": ex["context"]["domains"] }),
            )
            .await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);

        // The job runs from the worker's schedule, once a day.
        srv.run_jobs().await;
        srv.app.expiry().schedule_draft_expiry().await.unwrap();
        srv.app.expiry().schedule_draft_expiry().await.unwrap();
        assert_eq!(srv.run_jobs().await, 1);
    }
}

/// A subject saved on its own says what the rules say of it, on every write and read: a
/// pilot-era USCC whose check character fails is accepted with a finding for review (rules.md
/// §6.2: never refused), and a clean subject carries no certificate finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_saved_on_its_own_carries_its_findings() {
    for srv in servers().await {
        srv.account("a@example.com", Role::Applicant).await;
        let a = srv.login("a@example.com").await;
        let ex = example();
        let codes = |v: &Value| -> Vec<String> {
            v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect()
        };
        let clean =
            a.post("/api/v1/subjects", json!({ "province": "33", "subject": ex["order"]["subject"] })).await;
        assert_eq!(clean.status, StatusCode::CREATED, "{}", clean.body);
        assert!(!codes(&clean.body).iter().any(|c| c.starts_with("SUBJECT_CERT")), "{}", clean.body);
        let mut subject = ex["order"]["subject"].clone();
        subject["name"] = json!("厦门另一家科技有限公司");
        subject["certificate"]["number"] = json!("91350211M00013FA1N");
        let pilot = a.post("/api/v1/subjects", json!({ "province": "35", "subject": subject })).await;
        assert_eq!(pilot.status, StatusCode::CREATED, "{}", pilot.body);
        let finding = pilot.body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "SUBJECT_CERT_CHECK_CHAR")
            .unwrap_or_else(|| panic!("{}", pilot.body))
            .clone();
        assert_eq!(
            (&finding["severity"], &finding["field"]),
            (&json!("review"), &json!("subject.certificate.number"))
        );
        let id = pilot.body["id"].as_str().unwrap();
        let read = a.get(&format!("/api/v1/subjects/{id}")).await;
        assert!(codes(&read.body).contains(&"SUBJECT_CERT_CHECK_CHAR".to_owned()), "{}", read.body);
    }
}

/// 网站迁移 is not offered (README, "Which order kinds are offered"): refused at the start with
/// the field and the way to do it instead, never left as an order nobody can decide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_kind_that_is_not_offered_is_refused_at_the_start() {
    for srv in servers().await {
        srv.account("a@example.com", Role::Applicant).await;
        let a = srv.login("a@example.com").await;
        let ex = example();
        let s =
            a.post("/api/v1/subjects", json!({ "province": "33", "subject": ex["order"]["subject"] })).await;
        let sid = s.body["id"].as_str().unwrap();
        let r = a
            .post(
                "/api/v1/orders",
                json!({ "subject_id": sid, "kind": "migrate_service", "target_numbers": ["浙ICP备2026000001号-1"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(
            (r.body["errors"][0]["field"].as_str(), r.body["errors"][0]["code"].as_str()),
            (Some("kind"), Some("ORDER_KIND_NOT_OFFERED")),
            "{}",
            r.body
        );
        assert!(a.get("/api/v1/orders").await.body.as_array().unwrap().is_empty(), "nothing written");
    }
}
