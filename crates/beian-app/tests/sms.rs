//! Text messages: the per-phone daily cap held in the database, and the HTTP gateway adapter
//! against a loopback fake gateway (a true external boundary), retried until it accepts.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use beian_app::blobs::LocalBlobStore;
use beian_app::clock::ManualClock;
use beian_app::crypto::Keys;
use beian_app::notify::{HttpSmsGateway, OutboxMailer, SMS_DAILY_CAP};
use beian_app::{App, AppConfig};
use time::macros::datetime;

async fn app(clock: ManualClock) -> (App, beian_store::testing::TestStore) {
    let db = beian_store::testing::sqlite().await;
    let blobs = LocalBlobStore::new(
        std::env::temp_dir().join(format!("beian-sms-{}", uuid::Uuid::new_v4().simple())),
    )
    .unwrap();
    let app = App::new(
        db.store.clone(),
        Keys::generate().unwrap(),
        Arc::new(clock),
        Arc::new(OutboxMailer),
        Arc::new(blobs),
        AppConfig::default(),
    );
    (app, db)
}

#[tokio::test]
async fn daily_cap_per_phone_is_held_in_the_database() {
    let clock = ManualClock::new(datetime!(2026-11-28 10:00 +8));
    let (app, db) = app(clock.clone()).await;
    let mut tx = db.store.begin().await.unwrap();
    let mut queued = 0;
    for _ in 0..SMS_DAILY_CAP + 2 {
        queued += usize::from(app.notify().queue_sms(&mut tx, "+86 138 0013 8000", "验证").await.unwrap());
    }
    assert!(app.notify().queue_sms(&mut tx, "13900139000", "另一个号码").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(queued as i64, SMS_DAILY_CAP);
    let all = db.store.messages("sms", None, 100).await.unwrap();
    assert_eq!(all.iter().filter(|m| m.status == "capped").count(), 2);
    assert!(all.iter().all(|m| m.recipient_masked.contains("****")));
    assert_eq!(db.store.pending_jobs().await.unwrap().len() as i64, SMS_DAILY_CAP + 1);
    // The next day (China time) the count starts again.
    clock.advance(time::Duration::hours(16));
    let mut tx = db.store.begin().await.unwrap();
    assert!(app.notify().queue_sms(&mut tx, "13800138000", "次日").await.unwrap());
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_gateway_is_retried_until_it_accepts() {
    let seen: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let record = seen.clone();
    let gateway = Router::new().route(
        "/send",
        post(move |headers: HeaderMap, body: axum::Json<serde_json::Value>| {
            let record = record.clone();
            async move {
                let auth =
                    headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let mut r = record.lock().unwrap();
                r.push((auth, body.0));
                if r.len() == 1 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gateway).await });

    let clock = ManualClock::new(datetime!(2026-11-28 10:00 +8));
    let (app, db) = app(clock.clone()).await;
    let app = app.with_sms(Arc::new(HttpSmsGateway::new(&url, "gw-token").unwrap()));
    let mut tx = db.store.begin().await.unwrap();
    app.notify().queue_sms(&mut tx, "13800138000", "【备案】测试").await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(app.jobs().run_due_jobs("w").await.unwrap(), 1, "first attempt runs and fails");
    assert_eq!(app.jobs().run_due_jobs("w").await.unwrap(), 0, "the retry waits for its backoff");
    clock.advance(time::Duration::seconds(11));
    assert_eq!(app.jobs().run_due_jobs("w").await.unwrap(), 1);
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].0, "Bearer gw-token");
    assert_eq!(calls[1].1["phone"], "13800138000");
    let m = &db.store.messages("sms", None, 10).await.unwrap()[0];
    assert_eq!(m.status, "sent");
    assert!(db.store.pending_jobs().await.unwrap().is_empty());
}
