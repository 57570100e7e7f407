//! Test harness: the real router on 127.0.0.1:0 over a fresh database (SQLite, and
//! PostgreSQL when `BEIAN_TEST_DATABASE_URL` is set), reqwest clients with cookie stores, and
//! a real SMTP server (Debian's python3-aiosmtpd) when it is installed.

#![allow(dead_code, missing_debug_implementations)]

pub mod world;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use beian_app::auth::NewAccount;
use beian_app::blobs::LocalBlobStore;
use beian_app::clock::ManualClock;
use beian_app::crypto::Keys;
use beian_app::notify::{Mailer, OutboxMailer};
use beian_app::{App, AppConfig, Ctx, Principal, Role};
use beian_store::testing::TestStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::macros::datetime;

pub struct TestServer {
    pub base: String,
    pub app: App,
    pub clock: ManualClock,
    pub db: TestStore,
    blob_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = std::fs::remove_dir_all(&self.blob_dir);
    }
}

/// Another instance of a [`TestServer`]'s service; stops when dropped.
pub struct Instance {
    pub base: String,
    pub app: App,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

impl TestServer {
    pub async fn start(db: TestStore, mailer: Arc<dyn Mailer>) -> TestServer {
        let clock = ManualClock::new(datetime!(2026-11-28 10:00 +8));
        TestServer::start_with(db, mailer, clock, None, |app| app).await
    }

    /// A server on `listener` (or a fresh port), its app finished by `customize` before it
    /// is shared.
    pub async fn start_with(
        db: TestStore,
        mailer: Arc<dyn Mailer>,
        clock: ManualClock,
        listener: Option<tokio::net::TcpListener>,
        customize: impl FnOnce(App) -> App,
    ) -> TestServer {
        let blob_dir = std::env::temp_dir().join(format!("beian-blobs-{}", uuid::Uuid::new_v4().simple()));
        let app = App::new(
            db.store.clone(),
            Keys::generate().unwrap(),
            Arc::new(clock.clone()),
            mailer,
            Arc::new(LocalBlobStore::new(blob_dir.clone()).unwrap()),
            AppConfig { max_upload_bytes: 2 * 1024 * 1024, ..AppConfig::default() },
        );
        let app = customize(app);
        let listener = match listener {
            Some(l) => l,
            None => tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        };
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(beian_web::serve(listener, app.clone(), false, async move {
            let _ = rx.await;
        }));
        TestServer { base, app, clock, db, blob_dir, stop: Some(tx) }
    }

    /// A second instance of the service on this one's database (its own connection pool),
    /// with the same keys and blob folder: `beian serve` run twice, as the README describes.
    pub async fn second_instance(&self) -> Instance {
        let store = beian_store::Store::connect(&self.db.url()).await.unwrap();
        let app = App::new(
            store,
            self.app.keys().clone(),
            Arc::new(self.clock.clone()),
            Arc::new(OutboxMailer),
            Arc::new(LocalBlobStore::new(self.blob_dir.clone()).unwrap()),
            self.app.config().clone(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(beian_web::serve(listener, app.clone(), false, async move {
            let _ = rx.await;
        }));
        Instance { base, app, stop: Some(tx) }
    }

    pub async fn with_outbox(db: TestStore) -> TestServer {
        TestServer::start(db, Arc::new(OutboxMailer)).await
    }

    /// Creates an account directly (staff accounts are made by admins).
    pub async fn account(&self, email: &str, role: Role) {
        let system = Ctx {
            principal: Some(Principal {
                id: uuid::Uuid::nil(),
                role: Role::Admin,
                email: "system".into(),
                display_name: "system".into(),
            }),
            ..Ctx::default()
        };
        self.app
            .auth()
            .register(
                &system,
                NewAccount {
                    email: email.into(),
                    password: PASSWORD.into(),
                    display_name: "测试".into(),
                    role: Some(role),
                },
            )
            .await
            .unwrap();
    }

    /// A signed-in client.
    pub async fn login(&self, email: &str) -> Client {
        let c = Client::anonymous(&self.base);
        let r = c
            .call(
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({ "email": email, "password": PASSWORD })),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        Client { csrf: r.body["csrf_token"].as_str().map(str::to_owned), ..c }
    }

    pub async fn run_jobs(&self) -> usize {
        self.app.jobs().run_due_jobs("test-worker").await.unwrap()
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub csrf: Option<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn etag(&self) -> String {
        self.headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    }
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl Client {
    pub fn anonymous(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            http: reqwest::Client::builder().cookie_store(true).build().unwrap(),
            csrf: None,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.csrf {
            rb = rb.header("x-csrf-token", t);
        }
        rb
    }

    /// A request as a plain browser form sends it: the session cookie and no `X-CSRF-Token`
    /// header, so the form's own `csrf_token` field is what the page layer checks.
    pub fn form_request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> Resp {
        let r = rb.send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        assert!(status.as_u16() < 500, "server error {status}: {body}");
        Resp { status, body, headers }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Resp {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        if let Some(m) = if_match {
            rb = rb.header("if-match", m);
        }
        Client::send(rb).await
    }

    /// A workflow action on an order (`submit`, `claim`, `reject`, …) with `If-Match`.
    pub async fn act(&self, order: &str, action: &str, body: Option<Value>, etag: &str) -> Resp {
        self.call(Method::POST, &format!("/api/v1/orders/{order}/{action}"), body, Some(etag)).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(body), None).await
    }

    pub async fn upload(
        &self,
        order: &str,
        kind: &str,
        subject_path: &str,
        bytes: Vec<u8>,
        mime: &str,
    ) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("photo").mime_str(mime).unwrap();
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .text("subject_path", subject_path.to_owned())
            .part("file", part);
        Client::send(self.request(Method::POST, &format!("/api/v1/orders/{order}/documents")).multipart(form))
            .await
    }
}

/// A small PNG with EXIF-like trailing junk, as a phone would upload.
pub fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 40, |x, y| image::Rgb([(x * 4) as u8, (y * 6) as u8, 128]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The worked example from docs/examples: a Zhejiang company filing three sites.
/// A public example from `docs/examples/` by file name.
pub fn example_named(name: &str) -> Value {
    let path = format!("{}/../../docs/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn example() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/first-filing-company.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Creates the example's subject and order for `c`; returns (subject id, order id, etag).
pub async fn create_example_order(c: &Client) -> (String, String, String) {
    let ex = example();
    let s = c.post("/api/v1/subjects", json!({ "province": "33", "subject": ex["order"]["subject"] })).await;
    assert_eq!(s.status, StatusCode::CREATED, "{}", s.body);
    let subject_id = s.body["id"].as_str().unwrap().to_owned();
    let o = c
        .post(
            "/api/v1/orders",
            json!({ "subject_id": subject_id, "websites": ex["order"]["websites"], "domain_facts": ex["context"]["domains"] }),
        )
        .await;
    assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
    (subject_id, o.body["id"].as_str().unwrap().to_owned(), o.etag())
}

/// Uploads every document the example order needs.
pub async fn upload_all_documents(c: &Client, order: &str) {
    for (kind, path) in [
        ("business_licence", "subject"),
        ("id_front", "subject.head"),
        ("id_back", "subject.head"),
        ("id_front", "websites[1].head"),
        ("id_back", "websites[1].head"),
        ("face_photo", "websites[0].head"),
        ("face_photo", "websites[1].head"),
    ] {
        let r = c.upload(order, kind, path, photo(), "image/png").await;
        assert_eq!(r.status, StatusCode::CREATED, "{kind} {path}: {}", r.body);
    }
}

/// Every configured backend, each with its own fresh database.
pub async fn servers() -> Vec<TestServer> {
    let mut v = Vec::new();
    for db in beian_store::testing::all().await {
        v.push(TestServer::with_outbox(db).await);
    }
    v
}

/// A real SMTP server on loopback writing to a Maildir, if Debian's python3-aiosmtpd is
/// installed (`.ci/run` installs it).
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SmtpSink {
    pub async fn start() -> Option<SmtpSink> {
        let python = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
            Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        let Some(python) = python else {
            assert!(
                std::env::var_os("BEIAN_TEST_REQUIRE_SMTP").is_none(),
                "BEIAN_TEST_REQUIRE_SMTP is set but python3-aiosmtpd is missing"
            );
            eprintln!(
                "*** SKIPPED the SMTP delivery check: python3-aiosmtpd is not installed (.ci/run installs it) ***"
            );
            return None;
        };
        // A free port can be taken by another test between our probe and aiosmtpd's bind;
        // only a peer that greets with SMTP's 220 is ours. Try a few ports.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let dir = std::env::temp_dir().join(format!("beian-maildir-{}", uuid::Uuid::new_v4().simple()));
            let child = Command::new(python)
                .args([
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    &format!("127.0.0.1:{port}"),
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                ])
                .arg(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let sink = SmtpSink { port, dir, child };
            for _ in 0..100 {
                if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    use tokio::io::AsyncReadExt;
                    let mut greeting = [0u8; 3];
                    let ok = tokio::time::timeout(
                        std::time::Duration::from_secs(2),
                        stream.read_exact(&mut greeting),
                    )
                    .await;
                    if matches!(ok, Ok(Ok(_))) && &greeting == b"220" {
                        return Some(sink);
                    }
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        panic!("aiosmtpd did not start");
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

/// The value of the hidden input `name` on a page (a form token, an order's version).
pub fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The (field, code) of each error of a validation problem.
pub fn field_codes(r: &Resp) -> Vec<(String, String)> {
    r.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| {
                    (
                        x["field"].as_str().unwrap_or("").to_owned(),
                        x["code"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What a browser would submit from the form posting to `action`: every named input with its
/// value (checkboxes and radios only when checked), each textarea's text and each select's
/// selected options, HTML entities decoded. Enough for the pages' own forms, not a parser for
/// any HTML.
pub fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("no form to {action}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(unescape(&tag[at..at + tag[at..].find('"')?]))
    };
    let flag =
        |tag: &str, name: &str| tag.contains(&format!(" {name}>")) || tag.contains(&format!(" {name} "));
    let mut out = Vec::new();
    let mut select: Option<String> = None;
    let mut rest = form;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        if tag.starts_with("<input ") {
            let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
            if let Some(name) = attr(tag, "name")
                && !matches!(kind.as_str(), "file" | "submit")
                && (!matches!(kind.as_str(), "checkbox" | "radio") || flag(tag, "checked"))
            {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<textarea ") {
            let body = &rest[end..];
            let text = &body[..body.find("</textarea>").unwrap()];
            if let Some(name) = attr(tag, "name") {
                out.push((name, unescape(text)));
            }
        } else if tag.starts_with("<select ") {
            select = attr(tag, "name");
        } else if tag.starts_with("</select") {
            select = None;
        } else if tag.starts_with("<option ")
            && flag(tag, "selected")
            && let Some(name) = &select
        {
            out.push((name.clone(), attr(tag, "value").unwrap_or_default()));
        }
        rest = &rest[end..];
    }
    out
}

/// Askama's HTML escapes, undone.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
