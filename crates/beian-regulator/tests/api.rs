//! The provider API over real HTTP on both backends: submit, retry, conflict, status,
//! withdraw; another provider's submission is not found; and each signed-request failure mode
//! (malformed, unknown provider, stale, bad signature, replay) is refused with its code and an
//! audit entry.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use beian_crypto::Keys;
use beian_regulator::RegulatorStore;
use beian_regulator::http::MAX_BODY_BYTES;
use beian_regulator::providers::register;
use beian_regulator::router::router;
use beian_regulator::service::Service;
use beian_seam::{SigningKey, sign};
use beian_store::testing::TestStore;

mod common;
use serde_json::{Value, json};

const T0: i64 = 1_790_000_000;

struct Server {
    base: String,
    svc: Service,
    reg: RegulatorStore,
    clock: Arc<AtomicI64>,
    http: reqwest::Client,
    nonce: AtomicU64,
}

async fn start(reg: RegulatorStore) -> Server {
    let clock = Arc::new(AtomicI64::new(T0 * 1_000_000));
    let c = clock.clone();
    let svc = Service::new(
        reg.clone(),
        Arc::new(Keys::generate().unwrap()),
        Arc::new(move || c.load(Ordering::SeqCst)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(svc.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    Server {
        base: format!("http://{addr}"),
        svc,
        reg,
        clock,
        http: reqwest::Client::new(),
        nonce: AtomicU64::new(0),
    }
}

impl Server {
    /// Sends a request signed as `provider` with `key_hex`, at `at` (unix seconds).
    async fn send_at(
        &self,
        provider: &str,
        key_hex: &str,
        method: &str,
        path: &str,
        body: &[u8],
        at: i64,
    ) -> (u16, Value, Vec<(&'static str, String)>) {
        let nonce = format!("n-{}", self.nonce.fetch_add(1, Ordering::SeqCst));
        let s = sign(provider, &SigningKey::from_hex(key_hex).unwrap(), method, path, body, at, &nonce);
        let headers = s.headers().to_vec();
        let r = self.raw(method, path, body, &headers).await;
        (r.0, r.1, headers)
    }

    async fn send(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let (s, v, _) = self.send_at("aliyun", ALIYUN_KEY, method, path, body, T0).await;
        (s, v)
    }

    async fn raw(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        headers: &[(&'static str, String)],
    ) -> (u16, Value) {
        let mut rb = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("accept-language", "en")
            .body(body.to_vec());
        for (k, v) in headers {
            rb = rb.header(*k, v);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

const ALIYUN_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const TENCENT_KEY: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// A public example order (docs/examples), under the provider's submission id.
fn submission(id: &str, province: &str) -> Vec<u8> {
    let example: Value =
        serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
    let mut order = example["order"].clone();
    order["province"] = json!(province);
    serde_json::to_vec(&json!({"submission_id": id, "order": order})).unwrap()
}

/// The servers, with the databases they use (dropping a `TestStore` deletes its database).
async fn servers() -> Vec<(&'static str, Server, TestStore)> {
    let mut out = Vec::new();
    for (db, reg) in common::stores().await {
        let mut tx = reg.begin().await.unwrap();
        register(&mut tx, "aliyun", "阿里云计算有限公司", ALIYUN_KEY, None, 1).await.unwrap();
        register(&mut tx, "tencent", "腾讯云计算（北京）有限责任公司", TENCENT_KEY, None, 1).await.unwrap();
        tx.commit().await.unwrap();
        out.push((db.label, start(reg).await, db));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_retry_status_and_withdraw() {
    for (label, srv, _db) in servers().await {
        let health = srv.http.get(format!("{}/healthz", srv.base)).send().await.unwrap();
        assert_eq!(health.status(), 200);
        // The front page says what is served where.
        let index = srv.http.get(format!("{}/", srv.base)).send().await.unwrap();
        assert_eq!(index.status(), 200);
        let index = index.text().await.unwrap();
        assert!(
            index.contains("/ISPWebService/upDownLoad?wsdl")
                && index.contains("href=\"/sms\"")
                && index.contains("href=\"/api/openapi.json\""),
            "{index}"
        );

        // The API's document is served, built from the same table as the routes.
        let doc = srv.http.get(format!("{}/api/openapi.json", srv.base)).send().await.unwrap();
        assert_eq!(doc.headers()["content-type"], "application/json", "{label}");
        let doc: serde_json::Value = doc.json().await.unwrap();
        assert_eq!(
            (doc["openapi"].as_str(), doc["paths"]["/api/v1/submissions"]["post"].is_object()),
            (Some("3.1.0"), true)
        );

        let body = submission("order-7.1", "33");
        let (st, created) = srv.send("POST", "/api/v1/submissions", &body).await;
        assert_eq!(st, 201, "{label}: {created}");
        assert_eq!(created["status"], "sms_pending");
        // Times are RFC 3339 in China time, as the provider's API writes them; so is the
        // deadline inside an event.
        let sent = &created["events"][0];
        for at in [&created["received_at"], &created["updated_at"], &sent["at"], &sent["detail"]["deadline"]]
        {
            let at = at.as_str().unwrap_or_default();
            assert!(
                at.len() >= 25 && at.as_bytes()[10] == b'T' && at.ends_with("+08:00"),
                "{label}: not RFC 3339 China time: {created}"
            );
        }
        assert_eq!(
            beian_seam::wire::times::parse(sent["detail"]["deadline"].as_str().unwrap_or_default())
                .zip(beian_seam::wire::times::parse(sent["at"].as_str().unwrap_or_default()))
                .map(|(deadline, at)| deadline - at),
            Some(24 * 3600 * 1_000_000),
            "{label}: the codes are good for 24 hours"
        );
        assert_eq!(created["province"], "33");
        assert!(!created.to_string().contains("13800138000"), "{label}: body echoed");
        // A retry (new nonce, same body) is the same submission.
        let (st, again) = srv.send("POST", "/api/v1/submissions", &body).await;
        assert_eq!((st, &again["id"]), (200, &created["id"]), "{label}");
        let (st, p) = srv.send("POST", "/api/v1/submissions", &submission("order-7.1", "11")).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("SUBMISSION_CONFLICT")), "{label}");

        let (st, p) = srv.send("POST", "/api/v1/submissions", &submission("order-8", "99")).await;
        assert_eq!(
            (st, p["code"].as_str(), p["errors"][0]["field"].as_str()),
            (422, Some("JSON_INVALID_FIELD"), Some("order.province")),
            "{label}: {p}"
        );
        let (st, p) = srv.send("POST", "/api/v1/submissions", &submission("<script>", "33")).await;
        assert_eq!((st, p["errors"][0]["field"].as_str()), (422, Some("submission_id")), "{label}: {p}");
        let (st, p) =
            srv.send("POST", "/api/v1/submissions", b"{\"submission_id\":\"x\",\"order\":[]}").await;
        assert_eq!((st, p["errors"][0]["field"].as_str()), (422, Some("order")), "{label}: {p}");
        let (st, p) = srv.send("POST", "/api/v1/submissions", b"{not json").await;
        assert_eq!((st, p["code"].as_str()), (400, Some("JSON_SYNTAX")), "{label}");
        let (st, p) = srv.send("POST", "/api/v1/submissions", &vec![b' '; MAX_BODY_BYTES + 1]).await;
        assert_eq!((st, p["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{label}");

        let (st, s) = srv.send("GET", "/api/v1/submissions/order-7.1", b"").await;
        assert_eq!(
            (st, &s["id"], s["status"].as_str()),
            (200, &created["id"], Some("sms_pending")),
            "{label}"
        );
        // Tencent cannot see or withdraw Aliyun's submission.
        let (st, p, _) =
            srv.send_at("tencent", TENCENT_KEY, "GET", "/api/v1/submissions/order-7.1", b"", T0).await;
        assert_eq!((st, p["code"].as_str()), (404, Some("SUBMISSION_NOT_FOUND")), "{label}");
        let (st, _, _) = srv
            .send_at("tencent", TENCENT_KEY, "POST", "/api/v1/submissions/order-7.1/withdraw", b"", T0)
            .await;
        assert_eq!(st, 404, "{label}");

        let (st, w) = srv.send("POST", "/api/v1/submissions/order-7.1/withdraw", b"").await;
        assert_eq!((st, w["status"].as_str()), (200, Some("withdrawn")), "{label}");
        // Withdrawing again answers the same and records nothing new.
        let (st, again) = srv.send("POST", "/api/v1/submissions/order-7.1/withdraw", b"").await;
        assert_eq!(st, 200, "{label}");
        let kinds: Vec<&str> =
            again["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["sms_sent", "withdrawn"], "{label}");
        for unknown in ["/api/v1/submissions/nope", "/api/v1/submissions/%FF%FE"] {
            let (st, p) = srv.send("GET", unknown, b"").await;
            assert_eq!((st, p["code"].as_str()), (404, Some("SUBMISSION_NOT_FOUND")), "{label}: {unknown}");
        }

        let audit = srv.reg.audit(100).await.unwrap();
        let ok: Vec<_> = audit.iter().filter(|e| e.outcome == "OK").map(|e| e.action.as_str()).collect();
        assert!(ok.contains(&"submission.receive") && ok.contains(&"submission.withdraw"), "{label}: {ok:?}");
        assert!(audit.iter().all(|e| e.ip.as_deref() == Some("127.0.0.1")), "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signature_failure_is_refused_and_audited() {
    for (label, srv, _db) in servers().await {
        let path = "/api/v1/submissions";
        let body = submission("sig-1", "33");
        // Missing headers.
        let (st, p) = srv.raw("POST", path, &body, &[]).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("SIGNATURE_MALFORMED")), "{label}");
        assert_eq!(p["title"], "Signature headers are missing or malformed");
        // Unknown provider.
        let (st, p, _) = srv.send_at("stranger", ALIYUN_KEY, "POST", path, &body, T0).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("PROVIDER_UNKNOWN")), "{label}");
        // Signed with another provider's key.
        let (st, p, _) = srv.send_at("aliyun", TENCENT_KEY, "POST", path, &body, T0).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("SIGNATURE_INVALID")), "{label}");
        // Ten minutes old.
        let (st, p, _) = srv.send_at("aliyun", ALIYUN_KEY, "POST", path, &body, T0 - 600).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("SIGNATURE_STALE")), "{label}");
        // A good request, then the very same bytes again.
        let (st, _, replay) = srv.send_at("aliyun", ALIYUN_KEY, "POST", path, &body, T0).await;
        assert_eq!(st, 201, "{label}");
        let (st, p) = srv.raw("POST", path, &body, &replay).await;
        assert_eq!((st, p["code"].as_str()), (409, Some("REQUEST_REPLAYED")), "{label}");
        // Tampered body under a good signature.
        let (_, _, headers) =
            srv.send_at("aliyun", ALIYUN_KEY, "GET", "/api/v1/submissions/sig-1", b"", T0).await;
        let (st, p) = srv.raw("POST", path, &submission("sig-2", "33"), &headers).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("SIGNATURE_INVALID")), "{label}");

        // The clock moves on: a request signed "now" is accepted again.
        srv.clock.store((T0 + 3_600) * 1_000_000, Ordering::SeqCst);
        let (st, _, _) =
            srv.send_at("aliyun", ALIYUN_KEY, "GET", "/api/v1/submissions/sig-1", b"", T0 + 3_600).await;
        assert_eq!(st, 200, "{label}");
        // Nonces signed an hour ago are pruned; replaying one is still refused, as stale.
        assert!(srv.svc.prune_nonces().await.unwrap() >= 2, "{label}");
        let (st, p) = srv.raw("POST", path, &body, &replay).await;
        assert_eq!((st, p["code"].as_str()), (401, Some("SIGNATURE_STALE")), "{label}");

        let refused: Vec<_> = srv
            .reg
            .audit(100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.outcome != "OK")
            .map(|e| (e.actor, e.outcome))
            .collect();
        for (actor, code) in [
            ("", "SIGNATURE_MALFORMED"),
            ("stranger", "PROVIDER_UNKNOWN"),
            ("aliyun", "SIGNATURE_INVALID"),
            ("aliyun", "SIGNATURE_STALE"),
            ("aliyun", "REQUEST_REPLAYED"),
        ] {
            assert!(
                refused.contains(&(actor.to_owned(), code.to_owned())),
                "{label}: {code} not audited in {refused:?}"
            );
        }
        assert_eq!(refused.len(), 7, "{label}: {refused:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_escape_what_applicants_typed_and_mask_phones() {
    for (label, srv, _db) in servers().await {
        // A subject name with markup in it, filed and approved.
        let accounts = [("miit-admin", beian_regulator::bureau::Role::Admin, None)];
        let id = at_the_bureau(&srv, "xss-1", "<script>alert(1)</script>公司", &accounts).await;
        let login = srv
            .http
            .post(format!("{}/api/v1/bureau/login", srv.base))
            .json(&json!({ "username": "miit-admin", "password": "correct horse battery" }))
            .send()
            .await
            .unwrap();
        let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let wrong = srv
            .http
            .post(format!("{}/api/v1/bureau/login", srv.base))
            .json(&json!({ "username": "miit-admin", "password": "wrong" }))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{label}");
        // Guessing the password stops at ten sign-ins per account in fifteen minutes.
        let mut statuses = Vec::new();
        for _ in 0..10 {
            let r = srv
                .http
                .post(format!("{}/api/v1/bureau/login", srv.base))
                .json(&json!({ "username": "miit-admin", "password": "guess" }))
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 429, 429], "{label}");
        let approved = srv
            .http
            .post(format!("{}/api/v1/bureau/submissions/{id}/approve", srv.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), 200, "{label}: {}", approved.text().await.unwrap());

        let page = |path: String| {
            let http = srv.http.clone();
            let url = format!("{}{path}", srv.base);
            async move { http.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let q = page("/query?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E%E5%85%AC%E5%8F%B8".into()).await;
        assert!(q.contains("&lt;script&gt;alert(1)&lt;/script&gt;公司"), "{label}: {q}");
        assert!(!q.contains("<script>"), "{label}: markup reached the page");
        let outbox = page("/outbox".into()).await;
        assert!(outbox.contains("138****8000") && !outbox.contains("13800138000"), "{label}: {outbox}");
        // A form entry for a number with nothing pending says so, in the page.
        let form = srv
            .http
            .post(format!("{}/sms", srv.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("mobile=13700137000&cert_last_six=011235&code=123456")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("没有待核验的备案") && form.contains("class=\"bad\""), "{label}: {form}");
        let half = srv
            .http
            .post(format!("{}/sms", srv.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("mobile=13700137000")
            .send()
            .await
            .unwrap();
        assert_eq!(half.status(), 422, "{label}");
        assert!(half.text().await.unwrap().contains("请填写"), "{label}");
        // One address cannot spend people's wrong entries at will: 60 entries in 15 minutes.
        let mut limited = None;
        for i in 0..61 {
            let r = srv
                .http
                .post(format!("{}/api/v1/sms/verify", srv.base))
                .json(&json!({ "mobile": "13700137000", "cert_last_six": "011235", "code": "000000" }))
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                let p: Value = r.json().await.unwrap();
                assert_eq!(p["code"], "RATE_LIMITED", "{label}");
                limited = Some(i);
                break;
            }
        }
        assert_eq!(limited, Some(59), "{label}: the form entry above counted as the first");
        // The public query needs something to look for.
        let none = srv.http.get(format!("{}/api/v1/query", srv.base)).send().await.unwrap();
        assert_eq!(none.status(), 422, "{label}");
        // Every approval and login is in the audit log.
        let audit = srv.reg.audit(100).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "bureau.approve" && a.actor == "miit-admin"), "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psb_intake_refuses_what_the_rules_refuse_and_sites_not_on_record() {
    for (label, s, _db) in servers().await {
        eprintln!("{label}");
        let example: Value =
            serde_json::from_str(include_str!("../../../docs/examples/psb-application.json")).unwrap();
        let s = &s;
        let send = |app: Value| {
            let body =
                serde_json::to_vec(&json!({ "submission_id": "psb-1.v1", "application": app })).unwrap();
            async move { s.send("POST", "/api/v1/psb/submissions", &body).await }
        };
        let refused =
            |v: &Value| (v["code"].as_str().unwrap_or("").to_owned(), v["errors"][0]["field"].clone());

        // A clean application, but its ICP number is not a filed website here.
        let (status, v) = send(example.clone()).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(refused(&v), ("PSB_ICP_NOT_FILED".into(), json!("application.icp_number")));

        // The PSB rules run first: no accepted statement, a private address.
        let mut unsigned = example.clone();
        unsigned.as_object_mut().unwrap().remove("statement");
        let (status, v) = send(unsigned).await;
        assert_eq!(
            (status, refused(&v)),
            (422, ("PSB_APPLICATION_INVALID".into(), json!("application.statement")))
        );
        assert!(v["title"].as_str().unwrap().contains("PSB_STATEMENT_NOT_ACCEPTED"), "{v}");
        let mut private = example.clone();
        private["ip"] = json!("10.0.0.8");
        let (_, v) = send(private).await;
        assert_eq!(refused(&v), ("PSB_APPLICATION_INVALID".into(), json!("application.ip")));
        let mut extra = example.clone();
        extra["owner_password"] = json!("x");
        let (status, v) = send(extra).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("JSON_INVALID_FIELD")), "{v}");
        assert_eq!(s.reg.psb_queue(&s.svc.keys, &admin()).await.unwrap().len(), 0, "nothing was received");
    }
}

/// The worked example with its subject renamed, submitted as `submission_id` and moved to the
/// bureau as the last verified code would move it (SMS is covered elsewhere), with officer
/// accounts (password `correct horse battery`) made in the same transaction.
async fn at_the_bureau(
    srv: &Server,
    submission_id: &str,
    subject_name: &str,
    accounts: &[(&str, beian_regulator::bureau::Role, Option<beian_core::province::ProvinceCode>)],
) -> beian_store::Uuid {
    use beian_regulator::submissions::{SubmissionStatus, transition};
    let example: Value =
        serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
    let mut order = example["order"].clone();
    order["subject"]["name"] = json!(subject_name);
    let body = serde_json::to_vec(&json!({ "submission_id": submission_id, "order": order })).unwrap();
    let (st, created) = srv.send("POST", "/api/v1/submissions", &body).await;
    assert_eq!(st, 201, "{created}");
    let id: beian_store::Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let mut tx = srv.reg.begin().await.unwrap();
    assert!(
        transition(&mut tx, id, SubmissionStatus::SmsPending, SubmissionStatus::BureauReview, 1)
            .await
            .unwrap()
    );
    for (user, role, province) in accounts {
        beian_regulator::bureau::create_account(&mut tx, user, "correct horse battery", *role, *province, 1)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    id
}

fn admin() -> beian_regulator::bureau::Account {
    beian_regulator::bureau::Account {
        id: beian_store::Uuid::nil(),
        username: "admin".into(),
        role: beian_regulator::bureau::Role::Admin,
        province: None,
    }
}

/// The officer console's pages: sign-in into a cookie, the queue of the account's desk, a
/// submission with PII masked and escaped, another province's submission refused, a post
/// without the form token refused, a rejection needing a reason, approval issuing numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_pages_sign_in_show_masked_and_decide_with_the_form_token() {
    for (label, srv, _db) in servers().await {
        use beian_regulator::bureau::Role;
        let zj = beian_core::province::ProvinceCode::parse("33");
        let gd = beian_core::province::ProvinceCode::parse("44");
        let accounts = [("bureau-zj", Role::Bureau, zj), ("bureau-gd", Role::Bureau, gd)];
        let id = at_the_bureau(&srv, "console-1", "<b>阿里云</b>计算有限公司", &accounts).await;

        let client = || {
            reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
        };
        let sign_in = |c: reqwest::Client, user: &'static str| {
            let base = srv.base.clone();
            async move {
                let r = c
                    .post(format!("{base}/console/login"))
                    .form(&[("username", user), ("password", "correct horse battery")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 303, "{user}");
                let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
                assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
                c
            }
        };
        // Signed out: to the sign-in page; a wrong password is refused.
        let anon = client();
        let r = anon.get(format!("{}/console", srv.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/console/login");
        let r = anon
            .post(format!("{}/console/login", srv.base))
            .form(&[("username", "bureau-zj"), ("password", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        let zj = sign_in(client(), "bureau-zj").await;
        let queue = zj.get(format!("{}/console", srv.base)).send().await.unwrap();
        assert_eq!(queue.headers()["x-frame-options"], "DENY");
        let queue = queue.text().await.unwrap();
        assert!(queue.contains(&format!("/console/icp/{id}")), "{label}: {queue}");
        assert!(queue.contains("&lt;b&gt;阿里云&lt;/b&gt;") && !queue.contains("<b>阿里云"), "escaped");
        let page =
            zj.get(format!("{}/console/icp/{id}", srv.base)).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains("13800138000") && !page.contains("330106198001011235"), "PII masked: {page}");
        // Fields and codes in words, each with its path for the rejection form.
        for words in [
            "主办单位 · 负责人 · 手机号码",
            "<code class=\"path\">subject.head.mobile</code>",
            "管局审核中",
            "负责人 · 姓名",
            "主办单位 · 名称",
        ] {
            assert!(page.contains(words), "{label}: {words} not in {page}");
        }
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

        // Guangdong's officer cannot see or decide Zhejiang's filing.
        let gd = sign_in(client(), "bureau-gd").await;
        let r = gd.get(format!("{}/console/icp/{id}", srv.base)).send().await.unwrap();
        assert_eq!(r.status(), 404);
        // Without the form token (a cross-site post would have none) nothing happens.
        let r = zj
            .post(format!("{}/console/icp/{id}/approve", srv.base))
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // A rejection without a reason is refused; the submission still waits.
        let r = zj
            .post(format!("{}/console/icp/{id}/reject", srv.base))
            .form(&[("csrf", csrf.as_str()), ("field", ""), ("reason", "")])
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(text.contains("至少一条原因") && text.contains("id=\"approve\""), "{text}");
        let r = zj
            .post(format!("{}/console/icp/{id}/approve", srv.base))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(text.contains("浙ICP备") && !text.contains("id=\"approve\""), "{label}: {text}");
        let (_, status) = srv.send("GET", "/api/v1/submissions/console-1", b"").await;
        assert_eq!(status["status"], "approved", "{status}");

        // The pages speak English when asked, and remember it; the way back stays on this site.
        let r = zj.get(format!("{}/lang/en?back=/console", srv.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/console", "{label}");
        let queue = zj.get(format!("{}/console", srv.base)).send().await.unwrap().text().await.unwrap();
        assert!(
            queue.contains("<html lang=\"en\">") && queue.contains("Regulator console"),
            "{label}: {queue}"
        );
        assert!(!queue.contains("管局审核系统"), "{label}: no Chinese title left: {queue}");
        let sms = zj.get(format!("{}/sms", srv.base)).send().await.unwrap().text().await.unwrap();
        assert!(
            sms.contains("Verify within 24 hours") && sms.contains("href=\"/lang/zh?back=/sms\""),
            "{sms}"
        );
        let r = zj.get(format!("{}/lang/zh?back=//evil.example/", srv.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/sms", "{label}: no open redirect");
        let sms = zj.get(format!("{}/sms", srv.base)).send().await.unwrap().text().await.unwrap();
        assert!(sms.contains("<html lang=\"zh-CN\">") && sms.contains("24小时内"), "{sms}");
        // Chinese until English is chosen, whatever the browser prefers (like the provider's pages).
        let r = srv
            .http
            .get(format!("{}/query", srv.base))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await;
        assert!(r.unwrap().text().await.unwrap().contains("ICP备案查询"), "{label}");

        // One address cannot try account after account: 30 sign-ins in 15 minutes, whatever the
        // names (the API's sign-ins above counted too).
        let mut refused_at = None;
        for i in 0..40 {
            let r = client()
                .post(format!("{}/console/login", srv.base))
                .form(&[("username", format!("nobody-{i}")), ("password", "wrong".to_owned())])
                .send()
                .await
                .unwrap();
            if r.status() == 429 {
                refused_at = Some(i);
                break;
            }
            assert_eq!(r.status(), 401, "{label}");
        }
        assert!(refused_at.is_some_and(|i| i < 30), "{label}: {refused_at:?}");
    }
}
