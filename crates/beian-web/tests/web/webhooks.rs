//! Webhooks and further notification recipients, end to end on both backends: an administrator
//! adds a signed JSON webhook and a WeCom, a DingTalk and a Feishu robot pointing at a local
//! receiver; a filing runs to its numbers; every order step reaches each of them in its
//! platform's documented shape, signed as documented (checked with Python's standard library,
//! not our code); a receiver that fails is retried, gives up after the last try and is sent
//! again by hand; and a colleague added as a recipient gets a copy of each notice.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::field_codes;
use crate::common::world::*;
use axum::extract::Request;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub(crate) struct Got {
    /// Path and query.
    uri: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn query(&self, key: &str) -> String {
        let q = self.uri.split_once('?').map_or("", |(_, q)| q);
        q.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}="))).unwrap_or("").to_owned()
    }
}

/// A local receiver for every format: `/json` fails its first request, `/flaky` fails while
/// `down` holds; the robot paths answer as their platforms do.
pub(crate) struct Receiver {
    pub(crate) base: String,
    got: Arc<Mutex<Vec<Got>>>,
    down: Arc<AtomicBool>,
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let down = Arc::new(AtomicBool::new(true));
        let failed_once = Arc::new(AtomicBool::new(false));
        let (g, d) = (got.clone(), down.clone());
        let app = axum::Router::new().fallback(move |req: Request| {
            let (g, d, failed_once) = (g.clone(), d.clone(), failed_once.clone());
            async move {
                let uri = req.uri().to_string();
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                let bytes = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap();
                let body = String::from_utf8(bytes.to_vec()).unwrap();
                g.lock().unwrap().push(Got { uri: uri.clone(), headers, body });
                let path = uri.split('?').next().unwrap_or("").to_owned();
                match path.as_str() {
                    "/json" if !failed_once.swap(true, Ordering::SeqCst) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, String::new())
                    }
                    "/json" => (StatusCode::NO_CONTENT, String::new()),
                    "/flaky" if d.load(Ordering::SeqCst) => (StatusCode::BAD_GATEWAY, "down".into()),
                    "/flaky" => (StatusCode::OK, "ok".into()),
                    "/cgi-bin/webhook/send" | "/robot/send" => {
                        (StatusCode::OK, json!({ "errcode": 0, "errmsg": "ok" }).to_string())
                    }
                    _ => (StatusCode::OK, json!({ "code": 0, "msg": "success", "data": {} }).to_string()),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { base, got, down }
    }

    pub(crate) fn at(&self, path: &str) -> Vec<Got> {
        self.got.lock().unwrap().iter().filter(|g| g.uri.split('?').next() == Some(path)).cloned().collect()
    }
}

/// Python's standard library as the outside reference for the three signatures; `None` when
/// python3 is missing (a failure when `BEIAN_TEST_REQUIRE_PYTHON` is set).
fn python_sign(kind: &str, secret: &str, timestamp: &str, id: &str, body: &str) -> Option<String> {
    const SCRIPT: &str = r#"
import sys, hmac, hashlib, base64, urllib.parse
kind, secret, ts, msg_id = sys.argv[1:5]
body = sys.stdin.read()
if kind == "standard":
    key = base64.b64decode(secret[len("whsec_"):])
    print(base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()).decode())
elif kind == "dingtalk":
    mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    print(urllib.parse.quote_plus(base64.b64encode(mac)))
else:
    print(base64.b64encode(hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode())
"#;
    let child = Command::new("python3")
        .args(["-c", SCRIPT, kind, secret, timestamp, id])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        assert!(
            std::env::var_os("BEIAN_TEST_REQUIRE_PYTHON").is_none(),
            "python3 is required (BEIAN_TEST_REQUIRE_PYTHON is set)"
        );
        eprintln!("*** SKIPPED the signature cross-check: python3 is missing ***");
        return None;
    };
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// Runs the queues with the clock moved an hour at a time, `times` times: every backoff ends.
async fn wait_out_backoffs(w: &World, times: usize) {
    for _ in 0..times {
        w.clock().advance(time::Duration::hours(1));
        w.settle().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_signed_json_and_each_robot_in_its_shape_with_retries_and_recipients() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let (w, _) = world(pdb, rdb, true, None).await;
        let rx = Receiver::start().await;
        let admin = w.provider.login("admin@example.com").await;
        let hooks = "/api/v1/admin/webhooks";

        // Only administrators keep webhooks; bad input is refused field by field.
        let r = w
            .owner
            .post(hooks, json!({ "name": "x", "url": format!("{}/json", rx.base), "format": "json" }))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}");
        for (body, field, code) in [
            (
                json!({ "name": "x", "url": format!("{}/json", rx.base), "format": "slack" }),
                "format",
                "WEBHOOK_FORMAT_UNKNOWN",
            ),
            (
                json!({ "name": "x", "url": "ftp://example.com/x", "format": "json" }),
                "url",
                "WEBHOOK_URL_INVALID",
            ),
            (
                json!({ "name": "x", "url": "http://u:p@example.com/x", "format": "json" }),
                "url",
                "WEBHOOK_URL_INVALID",
            ),
            (
                json!({ "name": " ", "url": format!("{}/json", rx.base), "format": "json" }),
                "name",
                "WEBHOOK_NAME_INVALID",
            ),
            (
                json!({ "name": "x", "url": format!("{}/json", rx.base), "format": "json", "secret": "hunter2" }),
                "secret",
                "WEBHOOK_SECRET_INVALID",
            ),
            (
                json!({ "name": "x", "url": format!("{}/json", rx.base), "format": "wecom", "secret": "s" }),
                "secret",
                "WEBHOOK_SECRET_NOT_TAKEN",
            ),
            (
                json!({ "name": "x", "url": format!("{}/json", rx.base), "format": "json", "events": ["order.deleted"] }),
                "events[0]",
                "WEBHOOK_EVENT_UNKNOWN",
            ),
        ] {
            let r = admin.post(hooks, body).await;
            assert_eq!(field_codes(&r), vec![(field.into(), code.into())], "{label}: {}", r.body);
        }
        assert_eq!(admin.get(hooks).await.body, json!([]), "{label}: nothing half-written");

        // A signed JSON webhook for order steps (its secret shown once), and three robots.
        let r = admin
            .post(hooks, json!({ "name": "运维系统", "url": format!("{}/json", rx.base), "format": "json", "events": ["order.state_changed"] }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{label}");
        let json_hook = r.body["id"].as_str().unwrap().to_owned();
        let wecom_url = format!("{}/cgi-bin/webhook/send?key=wecom-robot-key", rx.base);
        let r = admin.post(hooks, json!({ "name": "企业微信群", "url": wecom_url, "format": "wecom" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        assert!(r.body.get("secret").is_none() && r.body["signed"] == false, "{label}: {}", r.body);
        let wecom = r.body["id"].as_str().unwrap().to_owned();
        let ding_secret = "SEC0123456789abcdef-dingtalk-secret";
        let r = admin
            .post(hooks, json!({ "name": "钉钉群", "url": format!("{}/robot/send?access_token=ding-token", rx.base), "format": "dingtalk", "secret": ding_secret }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        let feishu_path = "/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        let feishu_secret = "feishu-sign-secret";
        let r = admin
            .post(hooks, json!({ "name": "飞书群", "url": format!("{}{feishu_path}", rx.base), "format": "feishu", "secret": feishu_secret }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        // Lists never show a secret, a robot's key or its token.
        let list = admin.get(hooks).await.body;
        let shown = list.to_string();
        assert_eq!(list.as_array().unwrap().len(), 4, "{label}");
        for hidden in
            [secret.as_str(), "wecom-robot-key", "ding-token", ding_secret, "0f1e2d3c-4b5a", feishu_secret]
        {
            assert!(!shown.contains(hidden), "{label}: {hidden} in {shown}");
        }

        // A colleague gets a copy of every notice of the owner's account.
        let r = w
            .owner
            .post("/api/v1/me/recipients", json!({ "email": "Colleague@Example.com", "label": "同事" }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        let colleague = r.body["email"].as_str().unwrap().to_owned();
        assert!(!colleague.contains("colleague@"), "{label}: masked, {colleague}");
        let recipient = r.body["id"].as_str().unwrap().to_owned();
        for (email, code) in [
            ("colleague@example.com", "RECIPIENT_EXISTS"),
            ("owner@example.com", "RECIPIENT_IS_ACCOUNT"),
            ("not an address", "RECIPIENT_EMAIL_INVALID"),
        ] {
            let r = w.owner.post("/api/v1/me/recipients", json!({ "email": email })).await;
            assert_eq!(field_codes(&r), vec![("email".into(), code.into())], "{label}: {}", r.body);
        }
        // Nobody else removes it.
        let r = w.reviewer.request(reqwest::Method::DELETE, &format!("/api/v1/me/recipients/{recipient}"));
        assert_eq!(crate::common::Client::send(r).await.status, StatusCode::NOT_FOUND, "{label}");

        let (_, order) = w.file_to_numbers(sites(&[0])).await;
        wait_out_backoffs(&w, 1).await;

        // The JSON webhook: every step of the order, the first after one retry, each signed.
        let got = rx.at("/json");
        let steps: Vec<(String, String)> = got
            .iter()
            .map(|g| g.json())
            .filter(|e| e["type"] == "order.state_changed" && e["data"]["order_id"] == order.as_str())
            .map(|e| {
                (e["data"]["from"].as_str().unwrap().to_owned(), e["data"]["to"].as_str().unwrap().to_owned())
            })
            .collect();
        for step in [("draft", "submitted"), ("bureau_review", "filed")] {
            assert!(steps.contains(&(step.0.into(), step.1.into())), "{label}: {step:?} in {steps:?}");
        }
        assert_eq!(got.len(), steps.len(), "{label}: only order steps were taken");
        let (first, retried) =
            (&got[0], got.iter().skip(1).find(|g| g.header("webhook-id") == got[0].header("webhook-id")));
        assert!(
            retried.is_some_and(|r| r.body == first.body),
            "{label}: the failed request was retried as it was"
        );
        for g in &got {
            let (id, ts) = (g.header("webhook-id"), g.header("webhook-timestamp"));
            let want = python_sign("standard", &secret, ts, id, &g.body);
            if let Some(want) = want {
                assert_eq!(g.header("webhook-signature"), format!("v1,{want}"), "{label}");
            }
            assert_eq!(g.header("content-type"), "application/json", "{label}");
        }
        let log = admin.get(&format!("{hooks}/{json_hook}/deliveries")).await.body;
        let log = log.as_array().unwrap();
        assert_eq!(log.len(), got.len() - 1, "{label}: one delivery per event");
        assert!(
            log.iter().all(|d| d["state"] == "delivered" && d["response_status"] == 204),
            "{label}: {log:?}"
        );
        assert_eq!(log.iter().filter(|d| d["attempts"] == 2).count(), 1, "{label}: {log:?}");

        // The robots: each order step once, in its platform's documented shape.
        let n = got.len() - 1;
        let wecom_got = rx.at("/cgi-bin/webhook/send");
        assert_eq!(wecom_got.len(), n, "{label}");
        for g in &wecom_got {
            let v = g.json();
            assert_eq!(
                v.as_object().unwrap().keys().collect::<Vec<_>>(),
                ["markdown", "msgtype"],
                "{label}: {v}"
            );
            assert_eq!(v["msgtype"], "markdown", "{label}");
            let content = v["markdown"]["content"].as_str().unwrap();
            assert!(content.len() <= 4096 && content.contains("备案订单"), "{label}: {content}");
            assert_eq!(g.query("key"), "wecom-robot-key", "{label}");
        }
        let ding_got = rx.at("/robot/send");
        assert_eq!(ding_got.len(), n, "{label}");
        for g in &ding_got {
            let v = g.json();
            assert_eq!(v["msgtype"], "markdown", "{label}: {v}");
            assert!(
                v["markdown"]["title"].is_string()
                    && v["markdown"]["text"].as_str().unwrap().contains("/review/orders/"),
                "{label}: {v}"
            );
            assert_eq!(g.query("access_token"), "ding-token", "{label}");
            if let Some(want) = python_sign("dingtalk", ding_secret, &g.query("timestamp"), "", "") {
                assert_eq!(g.query("sign"), want, "{label}: {}", g.uri);
            }
        }
        let feishu_got = rx.at(feishu_path);
        assert_eq!(feishu_got.len(), n, "{label}");
        for g in &feishu_got {
            let v = g.json();
            assert_eq!(v["msg_type"], "text", "{label}: {v}");
            assert!(v["content"]["text"].as_str().unwrap().contains("Filing order"), "{label}: {v}");
            let ts = v["timestamp"].as_str().unwrap();
            if let Some(want) = python_sign("feishu", feishu_secret, ts, "", "") {
                assert_eq!(v["sign"], want, "{label}");
            }
        }

        // The colleague got each of the owner's notices.
        let mails = admin.get("/api/v1/admin/messages?channel=email").await.body;
        let to = |r: &str| mails.as_array().unwrap().iter().filter(|m| m["recipient"] == r).count();
        assert!(to(&colleague) >= 2, "{label}: {mails}");
        let owner_masked =
            mails.as_array().unwrap().iter().find(|m| m["recipient"] != colleague).unwrap()["recipient"]
                .clone();
        assert_eq!(to(&colleague), to(owner_masked.as_str().unwrap()), "{label}: {mails}");

        // A test event by hand; a receiver that stays down is tried eight times, then given
        // up, and sent again by hand once it is back.
        let r = admin.post(&format!("{hooks}/{wecom}/ping"), json!({})).await;
        assert_eq!(
            (r.status, &r.body["event"]),
            (StatusCode::ACCEPTED, &json!("ping")),
            "{label}: {}",
            r.body
        );
        w.settle().await;
        assert_eq!(rx.at("/cgi-bin/webhook/send").len(), n + 1, "{label}");
        assert_eq!(rx.at("/json").len(), got.len(), "{label}: the ping went to one webhook only");
        let r = admin
            .post(hooks, json!({ "name": "flaky", "url": format!("{}/flaky", rx.base), "format": "json" }))
            .await;
        let flaky = r.body["id"].as_str().unwrap().to_owned();
        let delivery = admin.post(&format!("{hooks}/{flaky}/ping"), json!({})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        w.settle().await;
        wait_out_backoffs(&w, 8).await;
        let log = admin.get(&format!("{hooks}/{flaky}/deliveries")).await.body;
        assert_eq!(
            (&log[0]["state"], &log[0]["attempts"], &log[0]["response_status"]),
            (&json!("gave_up"), &json!(8), &json!(502)),
            "{label}: {log}"
        );
        assert_eq!(rx.at("/flaky").len(), 8, "{label}");
        let retry = format!("/api/v1/admin/webhook-deliveries/{delivery}/retry");
        rx.down.store(false, Ordering::SeqCst);
        let r = admin.post(&retry, json!({})).await;
        assert_eq!(
            (r.status, &r.body["state"]),
            (StatusCode::ACCEPTED, &json!("pending")),
            "{label}: {}",
            r.body
        );
        w.settle().await;
        let log = admin.get(&format!("{hooks}/{flaky}/deliveries")).await.body;
        assert_eq!(
            (&log[0]["state"], &log[0]["attempts"]),
            (&json!("delivered"), &json!(1)),
            "{label}: {log}"
        );
        let r = admin.post(&retry, json!({})).await;
        assert_eq!(r.code(), "WEBHOOK_DELIVERY_NOT_FAILED", "{label}: {}", r.body);

        // Turned off, a webhook takes nothing; deleted, it is gone with its log.
        let r = crate::common::Client::send(
            admin
                .request(reqwest::Method::PATCH, &format!("{hooks}/{wecom}"))
                .json(&json!({ "active": false })),
        )
        .await;
        assert_eq!((r.status, &r.body["active"]), (StatusCode::OK, &json!(false)), "{label}: {}", r.body);
        let r = crate::common::Client::send(
            admin
                .request(reqwest::Method::PATCH, &format!("{hooks}/{wecom}"))
                .json(&json!({ "events": ["nope"] })),
        )
        .await;
        assert_eq!(field_codes(&r), vec![("events[0]".into(), "WEBHOOK_EVENT_UNKNOWN".into())], "{label}");
        let r =
            crate::common::Client::send(admin.request(reqwest::Method::DELETE, &format!("{hooks}/{flaky}")))
                .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{label}");
        assert_eq!(
            admin.get(&format!("{hooks}/{flaky}/deliveries")).await.status,
            StatusCode::NOT_FOUND,
            "{label}"
        );
        let r = crate::common::Client::send(
            w.owner.request(reqwest::Method::DELETE, &format!("/api/v1/me/recipients/{recipient}")),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{label}");
        assert_eq!(w.owner.get("/api/v1/me/recipients").await.body, json!([]), "{label}");
    }
}
