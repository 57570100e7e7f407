//! A small WebDriver client for the browser tests: Debian's `chromedriver` driving headless
//! `chromium`, spoken to over the W3C WebDriver protocol with reqwest. Written here rather
//! than taken from a crate because the tests need a dozen commands and nothing else.
//!
//! Without a chromedriver the tests skip, loudly — unless `BEIAN_TEST_REQUIRE_BROWSER` is
//! set (`.ci/run` sets it after installing the packages), when a missing browser fails them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // `quit` ends the session (and Chromium) politely; this is the fallback (a failed
        // test): chromedriver, then whatever Chromium processes use this test's profile.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = Command::new("pkill").arg("-f").arg(self.profile.as_os_str()).status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn find(paths: &[&str]) -> Option<String> {
    paths.iter().find(|p| std::path::Path::new(p).exists()).map(|p| (*p).to_owned())
}

/// An element reference.
#[derive(Debug, Clone)]
pub struct El(String);

impl Browser {
    /// A fresh headless Chromium, or `None` (skip) when none is installed and CI did not ask
    /// for one.
    pub async fn start() -> Option<Browser> {
        let driver = std::env::var("BEIAN_CHROMEDRIVER")
            .ok()
            .or_else(|| find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]));
        let chromium = std::env::var("BEIAN_CHROMIUM").ok().or_else(|| find(&["/usr/bin/chromium"]));
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            assert!(
                std::env::var_os("BEIAN_TEST_REQUIRE_BROWSER").is_none(),
                "BEIAN_TEST_REQUIRE_BROWSER is set but chromium/chromedriver are not installed"
            );
            eprintln!("SKIPPED: no chromium + chromedriver (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver}: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().unwrap();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("beian-chromium-{}", uuid::Uuid::new_v4().simple()));
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // The flags the machine needs: no sandbox as root, no background traffic to
                // hosts this network refuses.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    "--lang=zh-CN", format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let mut b = Browser { http, session: String::new(), driver: child, profile };
        let r = b.call("POST", &format!("{base}/session"), Some(caps)).await;
        b.session = format!(
            "{base}/session/{}",
            r["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}"))
        );
        Some(b)
    }

    async fn call(&self, method: &str, url: &str, body: Option<Value>) -> Value {
        let rb = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let r = rb.send().await.unwrap_or_else(|e| panic!("webdriver {method} {url}: {e}"));
        let v: Value = r.json().await.unwrap();
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {method} {url}: {err}: {}", v["value"]["message"]);
        }
        if v.get("sessionId").is_some() { v } else { v["value"].clone() }
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("{}{path}", self.session), body).await
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn find(&self, css: &str) -> El {
        let v = self.cmd("POST", "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        El(v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned())
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("/element/{}/value", el.0), Some(json!({ "text": text }))).await;
    }

    pub async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("/element/{}/clear", el.0), None).await;
    }

    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("/element/{}/click", el.0), None).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd("GET", &format!("/element/{}/text", el.0), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Runs `script` with a callback as its last argument and returns what it passes to it.
    pub async fn eval_async(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "/execute/async", Some(json!({ "script": script, "args": args }))).await
    }

    /// The page's serious and critical accessibility violations, by axe-core (vendored for the
    /// tests only, injected through WebDriver, which the page's CSP does not govern).
    pub async fn accessibility_violations(&self) -> Vec<String> {
        self.eval(include_str!("vendor/axe-4.14.1.min.js"), json!([])).await;
        let v = self
            .eval_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
                json!([]),
            )
            .await;
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Waits until `script` returns true (a page loading, a swap finishing).
    pub async fn wait_for(&self, script: &str) {
        for _ in 0..100 {
            if self.eval(script, json!([])).await == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {script} at {}", self.url().await);
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd("POST", "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let v = self.cmd("GET", "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).unwrap()
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}
