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
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "sign-up page");
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
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "order page");

    // English, remembered on the next page.
    b.click("#lang-switch").await;
    b.wait_for("return document.documentElement.lang === 'en'").await;
    assert_eq!(b.text("#order-state").await, "Draft");
    b.goto(&format!("{}/app", s.base)).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.text("h1").await, "My filings");
    shot(&b, "home-desktop").await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "home page");
    // The checker finds what it should: an unlabelled control is a critical violation.
    b.eval("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=bad>')", json!([]))
        .await;
    let found = b.accessibility_violations().await;
    assert!(found.iter().any(|v| v.starts_with("label (critical)")), "{found:?}");

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_claims_checks_and_returns_an_order_with_a_field_reason() {
    let Some(b) = Browser::start().await else { return };
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    s.account("owner@example.com", beian_app::Role::Applicant).await;
    s.account("reviewer@example.com", beian_app::Role::Reviewer).await;
    let api = s.login("owner@example.com").await;
    let (_, order, _) = create_example_order(&api).await;
    common::upload_all_documents(&api, &order).await;
    let o = api.get(&format!("/api/v1/orders/{order}")).await;
    api.act(&order, "submit", None, &o.etag()).await;

    b.goto(&format!("{}/review", s.base)).await;
    b.wait_for(LOADED).await;
    b.type_into("#email", "reviewer@example.com").await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for("return location.pathname === '/review' && document.readyState === 'complete'").await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "queue page");
    shot(&b, "review-queue-desktop").await;
    b.click("form[action$='/claim'] button").await;
    b.wait_for(&format!(
        "return location.pathname === '/review/orders/{order}' && document.readyState === 'complete'"
    ))
    .await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "review page");
    shot(&b, "review-order-desktop").await;

    // The identity check, then a return with a reason on the third site's name.
    b.type_into("#note", "人脸与证件一致").await;
    b.click("form[action$='/verification'] button").await;
    b.wait_for("return document.getElementById('verification-record') !== null").await;
    b.type_into("#field-1", "websites[2].name").await;
    b.type_into("#error-1", "网站名称与内容不符").await;
    b.click("#reject").await;
    b.wait_for("return location.pathname === '/review' && document.readyState === 'complete'").await;
    let o = api.get(&format!("/api/v1/orders/{order}")).await;
    assert_eq!(o.body["state"]["state"], "returned");
    assert_eq!(o.body["review_findings"][0]["field"], "websites[2].name");
    b.quit().await;
}
