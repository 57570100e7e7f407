//! The pages in a real browser (headless Chromium through chromedriver): sign-up with a field
//! error fixed in place, sign-out, sign-in from a deep link, the order's progress, the
//! language switch, the same at 360 px wide without horizontal scrolling. With `BEIAN_SCREENSHOTS=<dir>` it also writes the screenshots that
//! `docs/screenshots/` holds:
//!
//! ```text
//! BEIAN_SCREENSHOTS=docs/screenshots cargo test -p beian-web --test browser
//! ```

#[path = "../common/mod.rs"]
mod common;
mod webdriver;

use common::{PASSWORD, TestServer, create_example_order};
use serde_json::json;
use webdriver::Browser;

async fn shot(b: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("BEIAN_SCREENSHOTS") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), b.screenshot().await).unwrap();
    }
}

const LOADED: &str = "return document.readyState === 'complete'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_follow_an_order_switch_language_and_fit_a_phone() {
    let Some(b) = Browser::start().await else { return };
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;

    // Sign up: a too-short password is named beside its field, then the account is made and
    // signed in.
    b.goto(&format!("{}/signup", s.base)).await;
    b.wait_for(LOADED).await;
    shot(&b, "signup-desktop").await;
    b.type_into("#display_name", "王五").await;
    b.type_into("#email", "owner@example.com").await;
    b.type_into("#password", "short").await;
    b.click("button[type=submit]").await;
    b.wait_for("return document.getElementById('password-error') !== null").await;
    assert_eq!(b.eval("return document.activeElement.tagName", json!([])).await, "BODY");
    assert_eq!(b.eval("return document.getElementById('email').value", json!([])).await, "owner@example.com");
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for("return location.pathname === '/app' && document.readyState === 'complete'").await;
    assert!(b.text("header").await.contains("王五"));

    // An order (made through the API), then sign out.
    let api = s.login("owner@example.com").await;
    let (_, order, _) = create_example_order(&api).await;
    b.click("form[action='/logout'] button").await;
    b.wait_for("return location.pathname === '/login' && document.readyState === 'complete'").await;

    // A deep link while signed out: sign in, and land where the link pointed.
    b.goto(&format!("{}/app/orders/{order}", s.base)).await;
    b.wait_for(LOADED).await;
    assert!(b.url().await.contains("/login?back="), "{}", b.url().await);
    shot(&b, "login-desktop").await;
    b.type_into("#email", "owner@example.com").await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for(&format!(
        "return location.pathname === '/app/orders/{order}' && document.readyState === 'complete'"
    ))
    .await;
    assert_eq!(b.text("#order-state").await, "草稿");
    assert_eq!(b.eval("return document.documentElement.lang", json!([])).await, "zh-CN");
    let current = b.eval("return document.querySelector('[aria-current=step]').textContent", json!([])).await;
    assert!(current.as_str().unwrap().contains("草稿"), "{current}");
    shot(&b, "order-desktop").await;

    // English, remembered on the next page.
    b.click("#lang-switch").await;
    b.wait_for("return document.documentElement.lang === 'en'").await;
    assert_eq!(b.text("#order-state").await, "Draft");
    b.goto(&format!("{}/app", s.base)).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.text("h1").await, "My filings");
    shot(&b, "home-desktop").await;

    // A 360 px phone: nothing wider than the screen.
    b.resize(360, 780).await;
    for page in ["/app".to_owned(), format!("/app/orders/{order}")] {
        b.goto(&format!("{}{page}", s.base)).await;
        b.wait_for(LOADED).await;
        let fits =
            b.eval("return document.documentElement.scrollWidth <= window.innerWidth", json!([])).await;
        assert_eq!(fits, json!(true), "{page} scrolls sideways at 360 px");
    }
    shot(&b, "order-phone").await;
    b.click("#lang-switch").await;
    b.wait_for("return document.documentElement.lang === 'zh-CN'").await;
    shot(&b, "order-phone-zh").await;
    b.quit().await;
}
