//! `Idempotency-Key` under races (issue 16): the same POST sent many times at once, split over
//! two instances of the service on one database, is carried out once, and every answer is that
//! one response (the first, or its replay). Subjects, orders and document uploads; SQLite, and
//! PostgreSQL when `BEIAN_TEST_DATABASE_URL` is set.

use crate::common::{Client, Resp, example, photo, servers};
use beian_app::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Same-key requests sent at once.
const DUPLICATES: usize = 50;

/// A multipart body with a fixed boundary: a client retrying sends the same bytes.
fn upload_body(kind: &str, path: &str) -> (String, Vec<u8>) {
    let boundary = "beian-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in [("kind", kind), ("subject_path", path)] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(photo());
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends the same request `DUPLICATES` times at once, alternating between the two instances.
async fn at_once(bases: [&str; 2], bearer: &str, path: &str, key: &str, content: (&str, &[u8])) -> Vec<Resp> {
    let http = reqwest::Client::new();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..DUPLICATES {
        let rb = http
            .request(Method::POST, format!("{}{path}", bases[i % 2]))
            .bearer_auth(bearer)
            .header("idempotency-key", key)
            .header("content-type", content.0)
            .body(content.1.to_vec());
        set.spawn(Client::send(rb));
    }
    set.join_all().await
}

/// Every answer is the same: one status, one body; all but one are replays.
fn one_answer(label: &str, what: &str, answers: &[Resp], status: StatusCode) -> Value {
    let first = &answers[0];
    for a in answers {
        assert_eq!(a.status, status, "{label} {what}: {}", a.body);
        assert_eq!(a.body, first.body, "{label} {what}: every answer is the one response");
    }
    let replays = answers.iter().filter(|a| a.headers.get("idempotency-replayed").is_some()).count();
    assert_eq!(replays, answers.len() - 1, "{label} {what}: one did the work, the rest replayed it");
    first.body.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_same_key_posts_over_two_instances_do_the_work_once() {
    for srv in servers().await {
        let label = srv.db.label;
        let other = srv.second_instance().await;
        let bases = [srv.base.as_str(), other.base.as_str()];
        srv.account("owner@example.com", Role::Applicant).await;
        let owner = srv.login("owner@example.com").await;
        let token = owner.post("/api/v1/tokens", json!({ "name": "script" })).await;
        let bearer = token.body["token"].as_str().unwrap().to_owned();
        let ex = example();

        let body =
            serde_json::to_vec(&json!({ "province": "33", "subject": ex["order"]["subject"] })).unwrap();
        let answers =
            at_once(bases, &bearer, "/api/v1/subjects", "subject-1", ("application/json", &body)).await;
        let subject = one_answer(label, "subject", &answers, StatusCode::CREATED)["id"].clone();
        let subjects = owner.get("/api/v1/subjects").await.body;
        assert_eq!(subjects.as_array().map(Vec::len), Some(1), "{label}: one subject, {subjects}");

        let body = serde_json::to_vec(&json!({
            "subject_id": subject,
            "websites": ex["order"]["websites"],
            "domain_facts": ex["context"]["domains"],
        }))
        .unwrap();
        let answers = at_once(bases, &bearer, "/api/v1/orders", "order-1", ("application/json", &body)).await;
        let order =
            one_answer(label, "order", &answers, StatusCode::CREATED)["id"].as_str().unwrap().to_owned();
        let orders = owner.get("/api/v1/orders").await.body;
        assert_eq!(
            orders["items"].as_array().or(orders.as_array()).map(Vec::len),
            Some(1),
            "{label}: {orders}"
        );

        let (ct, body) = upload_body("id_front", "subject.head");
        let path = format!("/api/v1/orders/{order}/documents");
        let answers = at_once(bases, &bearer, &path, "upload-1", (&ct, &body)).await;
        one_answer(label, "upload", &answers, StatusCode::CREATED);
        let docs = owner.get(&path).await.body;
        assert_eq!(docs.as_array().map(Vec::len), Some(1), "{label}: one document, {docs}");
    }
}

/// The key is the caller's: another account's same key is its own request, and a different
/// body under a used key is refused while the first is still running or after.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_is_per_caller_and_per_request() {
    for srv in servers().await {
        let label = srv.db.label;
        let ex = example();
        let mut bearers = Vec::new();
        for who in ["a@example.com", "b@example.com"] {
            srv.account(who, Role::Applicant).await;
            let c = srv.login(who).await;
            let t = c.post("/api/v1/tokens", json!({ "name": "script" })).await;
            bearers.push(t.body["token"].as_str().unwrap().to_owned());
        }
        let body =
            serde_json::to_vec(&json!({ "province": "33", "subject": ex["order"]["subject"] })).unwrap();
        let bases = [srv.base.as_str(), srv.base.as_str()];
        let a = at_once(bases, &bearers[0], "/api/v1/subjects", "same", ("application/json", &body)).await;
        let b = at_once(bases, &bearers[1], "/api/v1/subjects", "same", ("application/json", &body)).await;
        let (a, b) = (
            one_answer(label, "a", &a, StatusCode::CREATED),
            one_answer(label, "b", &b, StatusCode::CREATED),
        );
        assert_ne!(a["id"], b["id"], "{label}: two callers, two subjects");
        let mut other = ex["order"]["subject"].clone();
        other["name"] = json!("另一家公司");
        let other = serde_json::to_vec(&json!({ "province": "33", "subject": other })).unwrap();
        let reused =
            at_once(bases, &bearers[0], "/api/v1/subjects", "same", ("application/json", &other)).await;
        for r in &reused {
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED"),
                "{label}"
            );
        }
    }
}
