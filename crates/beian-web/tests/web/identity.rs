//! Automatic identity verification through the `IdentityVerifier` port: a face-verification
//! vendor (a true external boundary, scripted here) checks each face photo in a job queued
//! with the upload; the order is submittable only when every newest face photo passed; the
//! applicant and the reviewer see the verdict beside the photos. Both backends.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;
use beian_app::Role;
use beian_app::clock::ManualClock;
use beian_app::notify::OutboxMailer;
use beian_app::verify::{FaceVerdict, IdentityVerifier, PersonIdentity, VerifierUnavailable};
use reqwest::StatusCode;
use time::macros::datetime;

/// A vendor that is down for its first call, then fails the people whose names it was told to
/// fail and passes everyone else. It records what it was asked (names only, for the test).
#[derive(Debug, Default)]
struct ScriptedVendor {
    down_once: AtomicBool,
    fail: Mutex<BTreeSet<String>>,
    asked: Mutex<Vec<String>>,
}

impl IdentityVerifier for ScriptedVendor {
    fn name(&self) -> &'static str {
        "scripted-vendor"
    }

    fn automatic(&self) -> bool {
        true
    }

    fn check_face<'a>(
        &'a self,
        person: &'a PersonIdentity,
        photo: &'a [u8],
    ) -> Option<std::pin::Pin<Box<dyn Future<Output = Result<FaceVerdict, VerifierUnavailable>> + Send + 'a>>>
    {
        Some(Box::pin(async move {
            assert!(photo.starts_with(b"\x89PNG"), "the vendor gets the decrypted photo");
            if !self.down_once.swap(true, Ordering::SeqCst) {
                return Err(VerifierUnavailable("503 from the vendor".into()));
            }
            self.asked.lock().unwrap().push(person.name.clone());
            let failed = self.fail.lock().unwrap().contains(&person.name);
            Ok(FaceVerdict {
                passed: !failed,
                score: Some(if failed { 31 } else { 93 }),
                reason: failed.then(|| "LOW_SIMILARITY".to_owned()),
            })
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_photos_are_checked_by_the_vendor_before_submission() {
    for db in beian_store::testing::all().await {
        let label = db.label;
        let vendor = Arc::new(ScriptedVendor::default());
        vendor.fail.lock().unwrap().insert("赵六".into());
        let v: Arc<dyn IdentityVerifier> = vendor.clone();
        let clock = ManualClock::new(datetime!(2026-11-28 10:00 +8));
        let srv = TestServer::start_with(db, Arc::new(OutboxMailer), clock.clone(), None, move |app| {
            app.with_verifier(v)
        })
        .await;
        srv.account("owner@example.com", Role::Applicant).await;
        srv.account("reviewer@example.com", Role::Reviewer).await;
        let owner = srv.login("owner@example.com").await;
        let (_, order, etag) = create_example_order(&owner).await;
        upload_all_documents(&owner, &order).await;

        // Before the vendor has answered, the order cannot go, and the wizard says why.
        let early = owner.act(&order, "submit", None, &etag).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{label}: {}", early.body);
        assert!(early.body.to_string().contains("真实性核验"), "{label}: {}", early.body);
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let page = wizard_verification_page(&srv, &browser, &order).await;
        assert_eq!(page.matches("class=\"face-checking\"").count(), 2, "{label}: {page}");

        // The vendor is down once: the job retries later; then one person fails.
        srv.run_jobs().await;
        clock.advance(time::Duration::minutes(5));
        srv.run_jobs().await;
        let docs = owner.get(&format!("/api/v1/orders/{order}/documents")).await;
        let checks: Vec<(String, bool, String)> = docs
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == "face_photo")
            .map(|d| {
                let c = &d["face_check"];
                (
                    d["subject_path"].as_str().unwrap().to_owned(),
                    c["passed"].as_bool().unwrap(),
                    c["verifier"].to_string(),
                )
            })
            .collect();
        assert_eq!(
            checks,
            [
                ("websites[0].head".to_owned(), true, "\"scripted-vendor\"".to_owned()),
                ("websites[1].head".to_owned(), false, "\"scripted-vendor\"".to_owned())
            ],
            "{label}"
        );
        let refused = owner.act(&order, "submit", None, &etag).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{label}: a failed face check holds the order");
        let page = wizard_verification_page(&srv, &browser, &order).await;
        assert!(
            page.contains("class=\"face-passed\"") && page.contains("class=\"face-failed\""),
            "{label}: {page}"
        );
        assert!(page.contains("LOW_SIMILARITY") && !page.contains("330106198502022346"), "{label}");

        // A new photo of the failed person is checked again; the newest photo counts.
        vendor.fail.lock().unwrap().clear();
        let r = owner.upload(&order, "face_photo", "websites[1].head", photo(), "image/png").await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        srv.run_jobs().await;
        srv.run_jobs().await;
        let sub = owner.act(&order, "submit", None, &etag).await;
        assert_eq!(sub.body["state"]["state"], "submitted", "{label}: {}", sub.body);
        // One call per photo: the retried job and the finished ones did not ask again.
        let mut asked = vendor.asked.lock().unwrap().clone();
        asked.sort();
        assert_eq!(asked, ["王五", "赵六", "赵六"], "{label}");

        // The reviewer sees the verdict beside the photo and the ID portrait.
        let reviewer = reqwest::Client::builder().cookie_store(true).build().unwrap();
        sign_in_page(&srv, &reviewer, "reviewer@example.com").await;
        let page = reviewer.get(format!("{}/review/orders/{order}", srv.base)).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert_eq!(page.matches("class=\"face-passed\"").count(), 2, "{label}: {page}");
    }
}

async fn sign_in_page(srv: &TestServer, c: &reqwest::Client, email: &str) {
    let page = c.get(format!("{}/login", srv.base)).send().await.unwrap().text().await.unwrap();
    let token =
        page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = c
        .post(format!("{}/login", srv.base))
        .header("origin", &srv.base)
        .form(&[("email", email), ("password", PASSWORD), ("csrf_token", &token), ("back", "/app")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
}

async fn wizard_verification_page(srv: &TestServer, c: &reqwest::Client, order: &str) -> String {
    if c.get(format!("{}/app", srv.base)).send().await.unwrap().url().path() == "/login" {
        sign_in_page(srv, c, "owner@example.com").await;
    }
    let r = c.get(format!("{}/app/orders/{order}/edit/verification", srv.base)).send().await.unwrap();
    r.text().await.unwrap()
}
