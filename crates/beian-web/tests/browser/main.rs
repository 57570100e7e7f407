//! The pages in a real browser (headless Chromium through chromedriver): sign-up with a field
//! error fixed in place, sign-out, sign-in from a deep link, the order's progress, the
//! language switch, the same at 360 px wide without horizontal scrolling; the whole filing from
//! sign-up to numbers; and the life after the number on pages only (a change of a filed site on
//! the data as filed, 取消接入 of two sites at once, 注销主体), each to the bureau's decision. With `BEIAN_SCREENSHOTS=<dir>` it also writes the screenshots that
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
    // The draft's seven steps take one row on the phone, the current one named.
    b.goto(&format!("{}/app/orders/{order}/edit/websites", s.base)).await;
    b.wait_for(LOADED).await;
    let rows = b
        .eval(
            "return new Set([...document.querySelectorAll('.steps li')].map(e => Math.round(e.getBoundingClientRect().top))).size",
            json!([]),
        )
        .await;
    assert_eq!(rows, json!(1), "the wizard's steps wrap at 360 px");
    let current = b.text(".steps li.current").await;
    assert!(current.chars().count() > 3, "the current step is named: {current}");
    shot(&b, "wizard-phone").await;
    b.goto(&format!("{}/app/orders/{order}", s.base)).await;
    b.wait_for(LOADED).await;
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
    // Documents zoom and rotate; the face photo is beside the ID portrait; "v" focuses the
    // identity note.
    b.click("figure.doc [data-doc=in]").await;
    b.click("figure.doc [data-doc=rotate]").await;
    let t = b.eval("return document.querySelector('figure.doc img').style.transform", json!([])).await;
    assert_eq!(t, "rotate(90deg) scale(1.25)");
    assert_eq!(count(&b, "#compare img").await, 4, "two service heads, each face beside the portrait");
    b.eval("document.dispatchEvent(new KeyboardEvent('keydown', { key: 'v', bubbles: true }))", json!([]))
        .await;
    assert_eq!(b.eval("return document.activeElement.id", json!([])).await, "note");

    // The identity check, then a return with a reason on the third site's name.
    b.type_into("#note", "人脸与证件一致").await;
    b.click("form[action$='/verification'] button").await;
    b.wait_for("return document.getElementById('verification-record') !== null").await;
    choose(&b, "#field-1", "websites[2].name").await;
    b.type_into("#error-1", "网站名称与内容不符").await;
    b.click("#reject").await;
    b.wait_for("return location.pathname === '/review' && document.readyState === 'complete'").await;
    let o = api.get(&format!("/api/v1/orders/{order}")).await;
    assert_eq!(o.body["state"]["state"], "returned");
    assert_eq!(o.body["review_findings"][0]["field"], "websites[2].name");
    b.quit().await;
}

/// Waits for a page at `path` to have loaded.
async fn at(b: &Browser, path: &str) {
    b.wait_for(&format!("return location.pathname === '{path}' && document.readyState === 'complete'")).await;
}

async fn sign_in_as(b: &Browser, base: &str, email: &str) {
    b.goto(&format!("{base}/login")).await;
    b.wait_for(LOADED).await;
    b.type_into("#email", email).await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for("return location.pathname !== '/login' && document.readyState === 'complete'").await;
}

async fn sign_out(b: &Browser) {
    b.click("form[action='/logout'] button").await;
    at(b, "/login").await;
}

/// Clicks `css` and waits for the next page to have loaded (the old one marked, so a
/// lookalike of the next page does not count).
async fn click_through(b: &Browser, css: &str) {
    b.eval("window.beianOldPage = true", json!([])).await;
    b.click(css).await;
    b.wait_for("return !window.beianOldPage && document.readyState === 'complete'").await;
}

/// Chooses the option of value `value` in the select `css` (its text is what people read).
async fn choose(b: &Browser, css: &str, value: &str) {
    let set = b
        .eval(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; return s.value === arguments[1]",
            json!([css, value]),
        )
        .await;
    assert_eq!(set, json!(true), "no option {value} in {css}");
}

/// Number of `selector` matches on the page.
async fn count(b: &Browser, selector: &str) -> u64 {
    b.eval("return document.querySelectorAll(arguments[0]).length", json!([selector])).await.as_u64().unwrap()
}

/// Uploads `file` through the upload form of `kind`/`path` and waits for the step to show it.
async fn upload(b: &Browser, file: &std::path::Path, kind: &str, path: &str) {
    let form = format!(
        "form.upload:has(input[name=kind][value='{kind}']):has(input[name=subject_path][value='{path}'])"
    );
    let before = count(b, &format!("{form} .uploaded")).await;
    b.type_into(&format!("{form} input[type=file]"), file.to_str().unwrap()).await;
    b.wait_for(&format!("return document.querySelectorAll(\"{form} .uploaded\").length > {before}")).await;
}

/// A provider and a regulator on SQLite, wired to each other.
async fn sqlite_world() -> common::world::World {
    let provider = beian_store::testing::sqlite().await;
    common::world::world(provider, beian_store::testing::sqlite_unmigrated().await, true, None).await.0
}

/// The whole filing in the browser: sign-up, the wizard with a rule finding fixed in place,
/// uploads, submission; the reviewer's return with a field reason; the correction beside that
/// field and resubmission; approval; the SMS verification page and the bureau's console at
/// the regulator; the filed order with its numbers and a copyable footer; then a 360 px phone
/// and English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_from_sign_up_to_numbers_in_the_browser() {
    let Some(b) = Browser::start().await else { return };
    let w = sqlite_world().await;
    let base = w.provider.base.clone();
    let png = std::env::temp_dir().join(format!("beian-photo-{}.png", std::process::id()));
    std::fs::write(&png, common::photo()).unwrap();

    // Sign up, then start a filing: the kind is worked out (a first filing).
    b.goto(&format!("{base}/signup")).await;
    b.wait_for(LOADED).await;
    b.type_into("#display_name", "阿里云计算有限公司").await;
    b.type_into("#email", "agency@example.com").await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    at(&b, "/app").await;
    b.click("#new-filing").await;
    at(&b, "/app/new").await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "start page");
    b.type_into("#cert_number", "91330106673959654P").await;
    b.type_into("#name", "阿里云计算有限公司").await;
    b.type_into("#domain", "aliyun.com").await;
    b.click("#start").await;
    b.wait_for("return /\\/edit\\/subject$/.test(location.pathname) && document.readyState === 'complete'")
        .await;
    let order = b.url().await.split("/app/orders/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert!(b.text("h1").await.contains("首次备案"));

    // The subject: a region that does not exist is flagged beside the field as soon as the
    // field is left (the draft saved, the server's rules run), and clears when corrected.
    b.type_into("#subject-region", "339999").await;
    b.click("#subject-certificate-address").await;
    b.wait_for("return document.querySelector('#subject-region-notes .note-error') !== null").await;
    assert_eq!(b.eval("return document.activeElement.id", json!([])).await, "subject-certificate-address");
    shot(&b, "wizard-finding-desktop").await;
    b.clear("#subject-region").await;
    b.type_into("#subject-region", "330106").await;
    b.click("#subject-certificate-address").await;
    b.wait_for("return document.querySelector('#subject-region-notes .note-error') === null").await;
    b.type_into("#subject-certificate-address", "浙江省杭州市西湖区转塘科技经济区块12号").await;
    b.type_into("#subject-mailing-address", "浙江省杭州市西湖区文一西路969号3号楼").await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "wizard subject step");
    b.click("#next").await;
    at(&b, &format!("/app/orders/{order}/edit/persons")).await;

    for (id, value) in [
        ("subject-head-name", "王五"),
        ("subject-head-certificate-number", "330106198001011235"),
        ("subject-head-certificate-valid-until", "2035-06-30"),
        ("subject-head-mobile", "13800138000"),
        ("subject-head-emergency-phone", "0571-85022088"),
        ("subject-head-office-phone", "0571-85022088"),
        ("subject-head-email", "wangwu@aliyun.com"),
    ] {
        b.type_into(&format!("#{id}"), value).await;
    }
    b.click("#subject-head-is-legal-representative").await;
    // An answer to an earlier save carries the values of then: the swap keeps those typed since.
    let kept = b
        .eval(
            "const f = document.getElementById('wizard').cloneNode(true);
             f.querySelector('#subject-head-email').setAttribute('value', '');
             f.querySelector('#subject-head-is-legal-representative').removeAttribute('checked');
             const frag = document.createDocumentFragment(); frag.append(f);
             document.getElementById('wizard-form').dispatchEvent(new CustomEvent('htmx:before:swap',
               { bubbles: true, cancelable: true, detail: { tasks: [{ fragment: frag }] } }));
             return [f.querySelector('#subject-head-email').getAttribute('value'),
                     f.querySelector('#subject-head-is-legal-representative').hasAttribute('checked'),
                     f.querySelector('#version').getAttribute('value') === document.getElementById('version').value];",
            json!([]),
        )
        .await;
    assert_eq!(kept, json!(["wangwu@aliyun.com", true, true]));
    b.click("#next").await;
    at(&b, &format!("/app/orders/{order}/edit/websites")).await;

    b.type_into("#websites-0--name", "阿里云计算官网").await;
    b.click("input[name='websites[0].service_content'][value='企业官网']").await;
    b.click("#websites-0--head-same").await;
    b.click("#next").await;
    at(&b, &format!("/app/orders/{order}/edit/access")).await;
    b.type_into("#websites-0--access-ips", "47.96.1.10").await;
    b.click("#next").await;
    at(&b, &format!("/app/orders/{order}/edit/documents")).await;

    // Uploads: each shows once the server has it.
    for (kind, path) in
        [("business_licence", "subject"), ("id_front", "subject.head"), ("id_back", "subject.head")]
    {
        upload(&b, &png, kind, path).await;
    }
    shot(&b, "wizard-documents-desktop").await;
    b.click("#next").await;
    at(&b, &format!("/app/orders/{order}/edit/verification")).await;
    upload(&b, &png, "face_photo", "websites[0].head").await;
    assert_eq!(count(&b, ".compare img:not([hidden] img)").await, 2, "the face photo beside the ID portrait");
    b.goto(&format!("{base}/app/orders/{order}/edit/confirm")).await;
    b.wait_for(LOADED).await;
    assert!(count(&b, "#submittable").await == 1, "{}", b.text("main").await);
    b.click("#submit").await;
    at(&b, &format!("/app/orders/{order}")).await;
    assert_eq!(b.text("#order-state").await, "待接入商初审");
    sign_out(&b).await;

    // The reviewer returns it with a reason on the website's name.
    sign_in_as(&b, &base, "reviewer@example.com").await;
    b.goto(&format!("{base}/review")).await;
    b.wait_for(LOADED).await;
    b.click("form[action$='/claim'] button").await;
    at(&b, &format!("/review/orders/{order}")).await;
    b.type_into("#note", "人脸与证件一致").await;
    click_through(&b, "form[action$='/verification'] button").await;
    assert_eq!(count(&b, "#verification-record").await, 1);
    // The field is chosen by its name on the form, not typed as a path.
    let options =
        b.eval("return [...document.querySelectorAll('#field-1 option')].map(o => o.text)", json!([])).await;
    assert!(options.to_string().contains("网站 1 · 网站名称"), "{options}");
    assert!(!options.to_string().contains("websites["), "{options}");
    choose(&b, "#field-1", "websites[0].name").await;
    b.type_into("#error-1", "网站名称与内容不符").await;
    b.click("#reject").await;
    at(&b, "/review").await;
    sign_out(&b).await;

    // The applicant sees the reason beside the field, corrects it in place and resubmits.
    sign_in_as(&b, &base, "agency@example.com").await;
    b.goto(&format!("{base}/app/orders/{order}")).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.text("#order-state").await, "已退回");
    b.click("#edit").await;
    b.wait_for(LOADED).await;
    b.goto(&format!("{base}/app/orders/{order}/edit/websites")).await;
    b.wait_for(LOADED).await;
    assert!(b.text("#websites-0--name-notes .note-reviewer").await.contains("网站名称与内容不符"));
    shot(&b, "wizard-returned-desktop").await;
    b.clear("#websites-0--name").await;
    b.type_into("#websites-0--name", "阿里云官网").await;
    b.click("#next").await;
    at(&b, &format!("/app/orders/{order}/edit/access")).await;
    b.goto(&format!("{base}/app/orders/{order}/edit/confirm")).await;
    b.wait_for(LOADED).await;
    b.click("#submit").await;
    at(&b, &format!("/app/orders/{order}")).await;
    sign_out(&b).await;

    // Approval by the reviewer; delivery to the regulator.
    sign_in_as(&b, &base, "reviewer@example.com").await;
    b.goto(&format!("{base}/review")).await;
    b.wait_for(LOADED).await;
    b.click("form[action$='/claim'] button").await;
    at(&b, &format!("/review/orders/{order}")).await;
    b.type_into("#note", "人脸与证件一致").await;
    click_through(&b, "form[action$='/verification'] button").await;
    assert_eq!(count(&b, "#verification-record").await, 1);
    b.click("#approve").await;
    at(&b, "/review").await;
    sign_out(&b).await;
    w.settle().await;

    // The responsible person verifies on the regulator's page, on a phone.
    b.resize(360, 780).await;
    let code = w.code_for("13800138000").await;
    b.goto(&format!("{}/sms", w.reg_base)).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "SMS verification page");
    let fits = b.eval("return document.documentElement.scrollWidth <= window.innerWidth", json!([])).await;
    assert_eq!(fits, json!(true), "the SMS page scrolls sideways at 360 px");
    b.type_into("input[name=mobile]", "13800138000").await;
    b.type_into("input[name=cert_last_six]", "011235").await;
    b.type_into("input[name=code]", &code).await;
    b.click("form button").await;
    b.wait_for("return document.querySelector('[role=status]') !== null").await;
    assert!(b.text("[role=status].ok").await.contains("核验成功"), "{}", b.text("body").await);
    shot(&b, "regulator-sms-phone").await;
    w.settle().await;
    // The regulator's other public pages: the simulated phones and the public query.
    for page in ["/outbox", "/query?domain=aliyun.com"] {
        b.goto(&format!("{}{page}", w.reg_base)).await;
        b.wait_for(LOADED).await;
        assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "{page}");
        let fits =
            b.eval("return document.documentElement.scrollWidth <= window.innerWidth", json!([])).await;
        assert_eq!(fits, json!(true), "{page} scrolls sideways at 360 px");
    }

    // The bureau approves in its console.
    b.resize(1280, 900).await;
    b.goto(&format!("{}/console/login", w.reg_base)).await;
    b.wait_for(LOADED).await;
    b.type_into("#username", "bureau-zj").await;
    b.type_into("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_for("return location.pathname === '/console' && document.readyState === 'complete'").await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "bureau queue");
    b.click("a[href^='/console/icp/']").await;
    b.wait_for("return document.getElementById('approve') !== null").await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "bureau review");
    shot(&b, "bureau-review-desktop").await;
    b.click("#approve").await;
    b.wait_for("return document.getElementById('notice') !== null").await;
    assert!(b.text("#notice").await.contains("浙ICP备"), "{}", b.text("#notice").await);
    w.settle().await;

    // The filed order: numbers and a footer to copy.
    sign_in_as(&b, &base, "agency@example.com").await;
    b.goto(&format!("{base}/app/orders/{order}")).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.text("#order-state").await, "已备案");
    assert!(b.text("#footer-1").await.contains("浙ICP备"), "{}", b.text("main").await);
    b.click("button.copy").await;
    b.wait_for(
        "const btn = document.querySelector('button.copy');
         return btn.textContent === btn.getAttribute('data-copied')
           || window.getSelection().toString().includes('ICP备');",
    )
    .await;
    shot(&b, "order-filed-desktop").await;

    // The subject's page, from home, lists the filed site and offers another filing.
    b.goto(&format!("{base}/app")).await;
    b.wait_for(LOADED).await;
    b.click("a[href^='/app/subjects/']").await;
    b.wait_for("return document.getElementById('filed') !== null && document.readyState === 'complete'")
        .await;
    assert!(b.text("#filed").await.contains("ICP备"), "{}", b.text("#filed").await);
    assert_eq!(count(&b, "form[action$='/new'] #domain").await, 1);
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "subject page");
    shot(&b, "subject-desktop").await;

    // The admin's dashboard counts the filing.
    sign_out(&b).await;
    sign_in_as(&b, &base, "admin@example.com").await;
    // Its figures are computed in the background: reload until they are there.
    for _ in 0..100 {
        b.goto(&format!("{base}/admin")).await;
        b.wait_for(LOADED).await;
        if count(&b, "svg[role=img]").await >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(count(&b, "svg[role=img]").await >= 3);
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "admin dashboard");
    shot(&b, "admin-dashboard-desktop").await;
    b.goto(&format!("{base}/admin/policy")).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "admin policy page");
    // A webhook added on its tab: the signing secret is shown once, on the answering page.
    b.goto(&format!("{base}/admin/webhooks")).await;
    b.wait_for(LOADED).await;
    b.type_into("#webhook-form input[name=name]", "运维告警").await;
    b.type_into("#webhook-form input[name=url]", "https://ops.example.cn/hooks/beian").await;
    b.click("#webhook-form button[type=submit]").await;
    b.wait_for("return document.readyState === 'complete' && !!document.querySelector('#notice')").await;
    assert!(b.text("#notice").await.contains("whsec_"), "the secret is shown once");
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "admin webhooks page");
    shot(&b, "admin-webhooks-desktop").await;
    sign_out(&b).await;
    sign_in_as(&b, &base, "agency@example.com").await;

    // The same on a phone, then in English.
    b.resize(360, 780).await;
    b.goto(&format!("{base}/app/orders/{order}")).await;
    b.wait_for(LOADED).await;
    let fits = b.eval("return document.documentElement.scrollWidth <= window.innerWidth", json!([])).await;
    assert_eq!(fits, json!(true), "the filed order scrolls sideways at 360 px");
    shot(&b, "order-filed-phone").await;
    b.goto(&format!("{base}/app/orders/{order}/edit/subject")).await;
    b.wait_for(LOADED).await;
    b.click("#lang-switch").await;
    b.wait_for("return document.documentElement.lang === 'en'").await;
    assert_eq!(b.text("#order-state").await, "Filed");
    let _ = std::fs::remove_file(&png);
    b.quit().await;
}

/// The provider's reviewer claims the first order of the queue, records the identity check and
/// approves it, on the review pages.
async fn review_and_approve(b: &Browser, base: &str, order: &str) {
    sign_in_as(b, base, "reviewer@example.com").await;
    b.goto(&format!("{base}/review")).await;
    b.wait_for(LOADED).await;
    b.click("form[action$='/claim'] button").await;
    at(b, &format!("/review/orders/{order}")).await;
    b.type_into("#note", "人脸与证件一致").await;
    click_through(b, "form[action$='/verification'] button").await;
    b.click("#approve").await;
    at(b, "/review").await;
    sign_out(b).await;
}

/// The bureau approves the first item of its queue in the regulator's console.
async fn bureau_approves(b: &Browser, reg_base: &str) {
    b.goto(&format!("{reg_base}/console/login")).await;
    b.wait_for(LOADED).await;
    if count(b, "#username").await > 0 {
        b.type_into("#username", "bureau-zj").await;
        b.type_into("#password", PASSWORD).await;
        b.click("button[type=submit]").await;
        b.wait_for("return location.pathname === '/console' && document.readyState === 'complete'").await;
    } else {
        b.goto(&format!("{reg_base}/console")).await;
        b.wait_for(LOADED).await;
    }
    b.click("a[href^='/console/icp/']").await;
    b.wait_for("return document.getElementById('approve') !== null").await;
    b.click("#approve").await;
    b.wait_for("return document.getElementById('notice') !== null").await;
}

/// Each person the order waits for enters the code texted to them on the regulator's page.
async fn verify_by_sms(b: &Browser, w: &common::world::World, order: &str) {
    use common::world::{HEAD, SITE_HEAD};
    for person in w.state(order).await["pending"].as_array().cloned().unwrap_or_default() {
        // The example's first website is headed by the subject's head; the second by another.
        let (mobile, six) = if person == "websites[1].head" { SITE_HEAD } else { HEAD };
        let code = w.code_for(mobile).await;
        b.goto(&format!("{}/sms", w.reg_base)).await;
        b.wait_for(LOADED).await;
        b.type_into("input[name=mobile]", mobile).await;
        b.type_into("input[name=cert_last_six]", six).await;
        b.type_into("input[name=code]", &code).await;
        b.click("form button").await;
        b.wait_for("return document.querySelector('[role=status]') !== null").await;
        assert!(b.text("[role=status].ok").await.contains("核验成功"), "{}", b.text("body").await);
    }
    w.settle().await;
}

/// Uploads what the order's checklist asks for, each on its step's page.
async fn upload_checklist(b: &Browser, w: &common::world::World, order: &str, png: &std::path::Path) {
    let base = &w.provider.base;
    let needs = w.owner.get(&format!("/api/v1/orders/{order}/requirements")).await.body;
    for d in needs["documents"].as_array().unwrap() {
        let (kind, path) = (d["kind"].as_str().unwrap(), d["path"].as_str().unwrap());
        let step = if kind == "face_photo" { "verification" } else { "documents" };
        b.goto(&format!("{base}/app/orders/{order}/edit/{step}")).await;
        b.wait_for(LOADED).await;
        upload(b, png, kind, path).await;
    }
}

/// An order of the owner's, from its documents to the bureau's decision on pages: its checklist
/// uploaded, submitted on the confirmation step, reviewed, verified by SMS and approved in the
/// bureau's console; the owner is signed out at the end.
async fn submit_and_decide(b: &Browser, w: &common::world::World, order: &str, png: &std::path::Path) {
    let base = &w.provider.base;
    upload_checklist(b, w, order, png).await;
    b.goto(&format!("{base}/app/orders/{order}/edit/confirm")).await;
    b.wait_for(LOADED).await;
    assert!(count(b, "#submittable").await == 1, "{}", b.text("main").await);
    b.click("#submit").await;
    at(b, &format!("/app/orders/{order}")).await;
    sign_out(b).await;
    review_and_approve(b, base, order).await;
    w.settle().await;
    verify_by_sms(b, w, order).await;
    bureau_approves(b, &w.reg_base).await;
    w.settle().await;
    assert_eq!(w.state(order).await["state"], "filed");
}

/// Opens the subject's cancellation page from its page and asks for `kind` of `numbers`,
/// confirmed: the order's id, on its confirmation step.
async fn cancel_on_pages(b: &Browser, base: &str, subject: &str, kind: &str, numbers: &[&str]) -> String {
    b.goto(&format!("{base}/app/subjects/{subject}")).await;
    b.wait_for(LOADED).await;
    b.click("#cancel-link").await;
    at(b, &format!("/app/subjects/{subject}/cancel")).await;
    b.click(&format!("input[name=kind][value={kind}]")).await;
    for n in numbers {
        b.click(&format!("input[name=numbers][value='{n}']")).await;
    }
    b.click("#confirm").await;
    b.click("#cancel-submit").await;
    b.wait_for("return /\\/edit\\/confirm$/.test(location.pathname) && document.readyState === 'complete'")
        .await;
    b.url().await.split("/app/orders/").nth(1).unwrap().split('/').next().unwrap().to_owned()
}

/// Life after the number, on pages only: a filed site's name is changed from its subject's
/// page — the wizard opens on the data as filed, the edit is marked, the kind is worked out and
/// the confirmation lists the change — then reviewed, verified by SMS and approved by the bureau
/// in its console; then this provider's access to both sites is withdrawn in one order, and the
/// subject is cancelled. The site's PSB record follows: renamed, then due for cancellation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filed_site_is_changed_and_access_to_both_sites_withdrawn_in_the_browser() {
    use common::world::sites;
    let Some(b) = Browser::start().await else { return };
    let w = sqlite_world().await;
    // The filing and the PSB filing are walked above and in the API tests; here they are the
    // starting point.
    w.provider_profile().await;
    let (subject, _) = w.file_to_numbers(sites(&[0, 1])).await;
    let psb = w.psb_filed(&subject).await;
    let record = w.psb_record(&psb).await;
    assert_eq!(record["status"], "filed", "{record}");
    assert_eq!(record["icp_number"], "浙ICP备2026000001号-1", "the first site's PSB filing: {record}");
    let base = w.provider.base.clone();
    let png = std::env::temp_dir().join(format!("beian-photo-change-{}.png", std::process::id()));
    std::fs::write(&png, common::photo()).unwrap();
    let (one, two) = ("浙ICP备2026000001号-1", "浙ICP备2026000001号-2");

    // The change: from the subject's page, the first site.
    sign_in_as(&b, &base, "owner@example.com").await;
    b.goto(&format!("{base}/app/subjects/{subject}")).await;
    b.wait_for(LOADED).await;
    b.click("#change-link").await;
    at(&b, &format!("/app/subjects/{subject}/change")).await;
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "change page");
    b.click(&format!("input[name=numbers][value='{one}']")).await;
    b.click("#change-submit").await;
    b.wait_for("return /\\/edit\\/websites$/.test(location.pathname) && document.readyState === 'complete'")
        .await;
    let order = b.url().await.split("/app/orders/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    assert_eq!(count(&b, "#add-website").await, 0, "a change adds no site");
    let filed = b.eval("return document.getElementById('websites-0--name').value", json!([])).await;
    assert_eq!(filed, json!(sites(&[0])[0]["name"]), "the wizard holds the site as filed");
    b.clear("#websites-0--name").await;
    b.type_into("#websites-0--name", "阿里云官方网站").await;
    // Leaving the field saves the draft: the field is marked as changed and the kind follows.
    b.click("#websites-0--remark").await;
    b.wait_for("return document.querySelector('#websites-0--name-notes .note-changed') !== null").await;
    assert!(b.text("h1").await.contains("变更网站"), "{}", b.text("h1").await);
    assert_eq!(b.accessibility_violations().await, Vec::<String>::new(), "change wizard");
    b.eval("window.scrollTo(0, 0)", json!([])).await;
    shot(&b, "change-wizard-desktop").await;
    b.goto(&format!("{base}/app/orders/{order}/edit/confirm")).await;
    b.wait_for(LOADED).await;
    assert!(b.text("#change-summary").await.contains("网站名称"), "{}", b.text("#change-summary").await);
    submit_and_decide(&b, &w, &order, &png).await;
    sign_in_as(&b, &base, "owner@example.com").await;
    b.goto(&format!("{base}/app/orders/{order}")).await;
    b.wait_for(LOADED).await;
    assert_eq!(b.text("#order-state").await, "已备案", "{}", b.text("main").await);
    // The PSB record follows the change of its website.
    let record = w.psb_record(&psb).await;
    assert_eq!(record["website_name"], "阿里云官方网站", "{record}");

    // 取消接入 of both sites in one order, from the same page.
    let cancel = cancel_on_pages(&b, &base, &subject, "cancel_access", &[one, two]).await;
    submit_and_decide(&b, &w, &cancel, &png).await;
    let shells = w.bureau.get("/api/v1/bureau/empty-shells").await.body.to_string();
    assert!(shells.contains(one) && shells.contains(two), "both left without access: {shells}");

    // 注销主体: the subject's number, cancelled the same way.
    sign_in_as(&b, &base, "owner@example.com").await;
    let gone = cancel_on_pages(&b, &base, &subject, "cancel_subject", &[]).await;
    submit_and_decide(&b, &w, &gone, &png).await;
    let record = w.psb_record(&psb).await;
    assert_eq!(record["status"], "icp_cancelled", "the PSB filing is due for cancellation: {record}");
    let page = w.owner.get(&format!("/app/subjects/{subject}")).await.body.as_str().unwrap().to_owned();
    assert!(!page.contains("id=\"change-link\""), "nothing left to change once the subject is cancelled");
    let _ = std::fs::remove_file(&png);
    b.quit().await;
}
