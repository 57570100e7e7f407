//! The web pages over HTTP, as a browser without JavaScript meets them: sign-in with its
//! double-submit token, the session cookie shared with the API, security headers, cross-site
//! refusals, the language switch, escaping of what applicants typed, and another applicant's
//! order answered as not found. (The browser tests drive the same pages in Chromium.)

use crate::common::{PASSWORD, TestServer, create_example_order, hidden};
use beian_app::Role;
use reqwest::StatusCode;
use serde_json::json;

/// A browser-like client: keeps cookies, does not follow redirects (so they can be checked).
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn text(r: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

/// Signs in through the form; returns the page the redirect leads to.
async fn sign_in(s: &TestServer, c: &reqwest::Client, email: &str, password: &str) -> (StatusCode, String) {
    let (_, _, page) = text(c.get(format!("{}/login", s.base)).send().await.unwrap()).await;
    let token = hidden(&page, "csrf_token");
    let r = c
        .post(format!("{}/login", s.base))
        .form(&[("email", email), ("password", password), ("csrf_token", &token), ("back", "/app")])
        .send()
        .await
        .unwrap();
    let status = r.status();
    if status == StatusCode::SEE_OTHER {
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        let (st, _, body) = text(c.get(format!("{}{to}", s.base)).send().await.unwrap()).await;
        return (st, body);
    }
    (status, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_out_account_is_told_to_wait_as_the_api_is() {
    for s in crate::common::servers().await {
        s.account("owner@example.com", Role::Applicant).await;
        let c = browser();
        // Ten failures are answered as failures; the eleventh is the lock-out, 429 as on the API.
        for _ in 0..10 {
            let (status, _) = sign_in(&s, &c, "owner@example.com", "wrong password").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (_, _, page) = text(c.get(format!("{}/login", s.base)).send().await.unwrap()).await;
        let token = hidden(&page, "csrf_token");
        let r = c
            .post(format!("{}/login", s.base))
            .form(&[("email", "owner@example.com"), ("password", PASSWORD), ("csrf_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
        let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        let page = r.text().await.unwrap();
        assert!(page.contains("尝试次数过多") && !page.contains("邮箱或密码错误"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_pages_headers_language_and_isolation() {
    for s in crate::common::servers().await {
        s.account("owner@example.com", Role::Applicant).await;
        s.account("other@example.com", Role::Applicant).await;
        let api = s.login("owner@example.com").await;
        let (subject, order, etag) = create_example_order(&api).await;
        let _ = etag;
        // A subject whose name carries markup: shown as text, never as markup.
        let mut sub = crate::common::example()["order"]["subject"].clone();
        sub["name"] = json!("<img src=x onerror=alert(1)>科技有限公司");
        let r = api.post("/api/v1/subjects", json!({ "province": "33", "subject": sub })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let _ = subject;

        let c = browser();
        // Anonymous: the app sends to sign-in, remembering where to come back.
        let r = c.get(format!("{}/app/orders/{order}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?back=/app/orders/"));

        let (status, headers, page) = text(c.get(format!("{}/login", s.base)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("登录"), "Chinese by default");
        assert!(page.contains("<label for=\"email\">"), "labelled controls");

        // A forged form (no token from this browser) is refused; a wrong password says so.
        let forged = c
            .post(format!("{}/login", s.base))
            .form(&[("email", "owner@example.com"), ("password", PASSWORD), ("csrf_token", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let (status, page) = sign_in(&s, &c, "owner@example.com", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(page.contains("邮箱或密码错误") && page.contains("value=\"owner@example.com\""), "{page}");
        // Cross-site posts are refused before anything else.
        let r = c
            .post(format!("{}/login", s.base))
            .header("origin", "https://evil.example")
            .form(&[("email", "x"), ("password", "y"), ("csrf_token", "z")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let (status, page) = sign_in(&s, &c, "owner@example.com", PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("阿里云计算有限公司") && page.contains("首次备案"), "{page}");
        assert!(page.contains(&format!("/app/orders/{order}")));
        assert!(!page.contains("<img src=x") && page.contains("&#60;img src=x"), "escaped: {page}");

        let (status, _, page) =
            text(c.get(format!("{}/app/orders/{order}", s.base)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("aria-current=\"step\"") && page.contains("草稿"), "{page}");
        assert!(!page.contains("13800138000"), "no phone numbers on the page");

        // English, remembered across pages.
        let r = c.get(format!("{}/lang/en?back=/app", s.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/app");
        let (_, _, page) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
        assert!(
            page.contains("<html lang=\"en\">")
                && page.contains("My filings")
                && page.contains("First filing")
        );
        let r = c.get(format!("{}/lang/en?back=//evil.example/", s.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/app", "no open redirect");

        // Another applicant: the order does not exist for them.
        let other = browser();
        let (status, _) = sign_in(&s, &other, "other@example.com", PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
        let r = other.get(format!("{}/app/orders/{order}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // Signing out is never refused, even from a page whose token is stale or missing
        // (the session cookie is SameSite=Lax: a cross-site post carries none); then the app
        // sends to sign-in again.
        let r = c.post(format!("{}/logout", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/login");
        let r = c.get(format!("{}/app", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn assets_are_embedded_small_and_cached() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    let c = browser();
    let mut total = 0;
    for (path, ty) in [
        ("/assets/app.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/htmx-4.0.1.min.js", "text/javascript"),
    ] {
        let r = c.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], ty);
        assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
        total += r.bytes().await.unwrap().len();
    }
    // Uncompressed; the budget is 100 KB compressed for all JavaScript and CSS.
    assert!(total < 100 * 1024, "{total} bytes");
    // Without an operator's copy of the PSB badge there is none to serve: the footers point at
    // the customer's own.
    let r = c.get(format!("{}/beian-gongan.png", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.app.compliance().psb_badge_src(), "/beian-gongan.png");
}

#[tokio::test]
async fn sign_up_shows_field_errors_beside_the_fields_and_signs_in() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    let c = browser();
    let (_, _, page) = text(c.get(format!("{}/signup", s.base)).send().await.unwrap()).await;
    let token = hidden(&page, "csrf_token");
    let post = |fields: [(&'static str, String); 4]| {
        let c = &c;
        let url = format!("{}/signup", s.base);
        async move { c.post(url).form(&fields).send().await.unwrap() }
    };
    let r = post([
        ("display_name", "张三".into()),
        ("email", "zhang@example.com".into()),
        ("password", "short".into()),
        ("csrf_token", token.clone()),
    ])
    .await;
    let (status, _, page) = text(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("aria-describedby=\"password-hint password-error\""), "{page}");
    assert!(page.contains("id=\"password-error\"") && page.contains("10"), "{page}");
    assert!(page.contains("value=\"zhang@example.com\""), "what was typed is kept");
    let r = post([
        ("display_name", "张三".into()),
        ("email", "zhang@example.com".into()),
        ("password", PASSWORD.into()),
        ("csrf_token", token.clone()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _, page) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("张三") && page.contains("还没有备案订单"), "{page}");
    // E-mail comes in the language of the pages, one language at a time: Chinese as signed up,
    // English once the person switches.
    let anon = crate::common::Client::anonymous(&s.base);
    let reset_mail = || async {
        let r = anon.post("/api/v1/auth/password-reset", json!({ "email": "zhang@example.com" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let mails = s.db.store.messages("email", None, 10).await.unwrap();
        (mails[0].subject.clone(), mails[0].body.clone())
    };
    let (subject, body) = reset_mail().await;
    assert_eq!(subject, "重置密码");
    assert!(body.contains("设置新密码") && !body.contains("new password"), "{body}");
    let r = c.get(format!("{}/lang/en?back=/app", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (subject, body) = reset_mail().await;
    assert_eq!(subject, "Reset your password");
    assert!(body.contains("new password") && !body.contains("设置新密码"), "{body}");
    // An API client says it too.
    let api = s.login("zhang@example.com").await;
    let r = api.call(reqwest::Method::PUT, "/api/v1/me/language", Some(json!({ "lang": "fr" })), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = api.call(reqwest::Method::PUT, "/api/v1/me/language", Some(json!({ "lang": "zh" })), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(reset_mail().await.0, "重置密码");
    // The same address again, from another browser: refused, with the reason.
    let d = browser();
    let (_, _, page) = text(d.get(format!("{}/signup", s.base)).send().await.unwrap()).await;
    let token = hidden(&page, "csrf_token");
    let r = d
        .post(format!("{}/signup", s.base))
        .form(&[
            ("display_name", "李四"),
            ("email", "zhang@example.com"),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let (status, _, page) = text(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("该邮箱已注册"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_queue_counts_colours_due_dates_and_claims_once() {
    for s in crate::common::servers().await {
        s.account("owner@example.com", Role::Applicant).await;
        s.account("reviewer@example.com", Role::Reviewer).await;
        let api = s.login("owner@example.com").await;
        let (_, order, _) = create_example_order(&api).await;
        crate::common::upload_all_documents(&api, &order).await;
        let o = api.get(&format!("/api/v1/orders/{order}")).await;
        let sub = api.act(&order, "submit", None, &o.etag()).await;
        assert_eq!(sub.body["state"]["state"], "submitted", "{}", sub.body);
        let version = sub.body["version"].as_i64().unwrap();

        // Not for applicants.
        let applicant = browser();
        sign_in(&s, &applicant, "owner@example.com", PASSWORD).await;
        let r = applicant.get(format!("{}/review", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        let c = browser();
        // A reviewer signing in lands on the queue, not the applicant home.
        let (_, page) = sign_in(&s, &c, "reviewer@example.com", PASSWORD).await;
        assert!(page.contains("href=\"/review\""), "the console is in the reviewer's menu");
        assert!(page.contains("待接入商初审 <span class=\"count\">1</span>"), "landed on the queue: {page}");
        let r = c.get(format!("{}/", s.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/review");
        let (status, _, page) = text(c.get(format!("{}/review", s.base)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("待接入商初审 <span class=\"count\">1</span>"), "{page}");
        assert!(
            page.contains("<td>浙江省</td>") && !page.contains("<td>33</td>"),
            "provinces by name: {page}"
        );
        assert!(page.contains("阿里云计算有限公司") && page.contains("class=\"sla-ok\""), "{page}");
        // Five days later the two working days have passed.
        s.clock.advance(time::Duration::days(5));
        let (_, _, page) = text(c.get(format!("{}/review", s.base)).send().await.unwrap()).await;
        assert!(page.contains("class=\"sla-overdue\"") && page.contains("已超期"), "{page}");

        // A claim with a stale version is refused with a notice; the current one claims.
        let token = hidden(&page, "csrf_token");
        let stale = (version - 1).to_string();
        let r = c
            .post(format!("{}/review/orders/{order}/claim", s.base))
            .form(&[("csrf_token", token.as_str()), ("version", stale.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/review?state=submitted&notice=stale");
        let current = version.to_string();
        let r = c
            .post(format!("{}/review/orders/{order}/claim", s.base))
            .form(&[("csrf_token", token.as_str()), ("version", current.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/review/orders/{order}"));
        let (_, _, page) =
            text(c.get(format!("{}/review?state=in_review", s.base)).send().await.unwrap()).await;
        assert!(
            page.contains("接入商初审中 <span class=\"count\">1</span>") && page.contains("<td>我</td>"),
            "{page}"
        );
        let api_counts = s.login("reviewer@example.com").await.get("/api/v1/review/queue/counts").await;
        assert_eq!(
            api_counts.body[1],
            json!({ "state": "in_review", "count": 1, "capped": false }),
            "{}",
            api_counts.body
        );
    }
}

/// Posts a decision form of the review page (its hidden fields plus `extra`); returns the
/// redirect target, or the page shown instead.
async fn decide(
    s: &TestServer,
    c: &reqwest::Client,
    order: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, _, page) = text(c.get(format!("{}/review/orders/{order}", s.base)).send().await.unwrap()).await;
    let form_at = page
        .find(&format!("action=\"/review/orders/{order}/{action}\""))
        .unwrap_or_else(|| panic!("no {action} form: {page}"));
    let form = &page[form_at..];
    let mut fields = vec![
        ("csrf_token".to_owned(), hidden(form, "csrf_token")),
        ("version".to_owned(), hidden(form, "version")),
    ];
    fields.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let r = c.post(format!("{}/review/orders/{order}/{action}", s.base)).form(&fields).send().await.unwrap();
    let status = r.status();
    let to = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    (status, to.unwrap_or_default() + &r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewer_checks_identity_returns_with_a_reason_and_approves_the_correction() {
    for s in crate::common::servers().await {
        s.account("owner@example.com", Role::Applicant).await;
        s.account("reviewer@example.com", Role::Reviewer).await;
        let api = s.login("owner@example.com").await;
        let (_, order, _) = create_example_order(&api).await;
        crate::common::upload_all_documents(&api, &order).await;
        let o = api.get(&format!("/api/v1/orders/{order}")).await;
        let sub = api.act(&order, "submit", None, &o.etag()).await;
        let c = browser();
        sign_in(&s, &c, "reviewer@example.com", PASSWORD).await;
        let (_, _, page) =
            text(c.get(format!("{}/review/orders/{order}", s.base)).send().await.unwrap()).await;
        assert!(page.contains("请先在队列中领取此订单"), "decisions need a claim first");
        let v = sub.body["version"].as_i64().unwrap().to_string();
        let (_, _, q) = text(c.get(format!("{}/review", s.base)).send().await.unwrap()).await;
        let r = c
            .post(format!("{}/review/orders/{order}/claim", s.base))
            .form(&[("csrf_token", hidden(&q, "csrf_token").as_str()), ("version", v.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/review/orders/{order}"));

        let (_, _, page) =
            text(c.get(format!("{}/review/orders/{order}", s.base)).send().await.unwrap()).await;
        assert!(
            page.contains("阿里云计算有限公司") && page.contains("人脸照片 · 网站1负责人"),
            "data and documents: {page}"
        );
        assert!(!page.contains("13800138000") && !page.contains("330106198001011235"), "PII masked");
        // Shown in full only on request (a POST with the session's token), and audited.
        let form = &page[page.find(&format!("action=\"/review/orders/{order}/reveal\"")).unwrap()..];
        let r = c
            .post(format!("{}/review/orders/{order}/reveal", s.base))
            .form(&[("csrf_token", hidden(form, "csrf_token").as_str())])
            .send()
            .await
            .unwrap();
        let (status, _, shown) = text(r).await;
        assert_eq!(status, StatusCode::OK);
        assert!(shown.contains("13800138000") && shown.contains("id=\"revealed\""), "{shown}");
        s.account("admin@example.com", Role::Admin).await;
        let audit = s
            .login("admin@example.com")
            .await
            .get(&format!("/api/v1/admin/audit?object_type=order&object_id={order}"))
            .await;
        assert!(audit.body.to_string().contains("order.reveal_pii"), "{}", audit.body);
        // A rejection without any reason is refused on the page, naming why.
        let (status, body) = decide(&s, &c, &order, "reject", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("id=\"notice\""), "{body}");
        let (_, to) =
            decide(&s, &c, &order, "verification", &[("passed", "true"), ("note", "人脸一致")]).await;
        assert!(to.starts_with(&format!("/review/orders/{order}")), "{to}");
        let (_, _, page) =
            text(c.get(format!("{}/review/orders/{order}", s.base)).send().await.unwrap()).await;
        assert!(page.contains("id=\"verification-record\"") && page.contains("人脸一致"), "{page}");
        let (_, to) = decide(
            &s,
            &c,
            &order,
            "reject",
            &[
                ("field_1", "websites[2].name"),
                ("error_1", "网站名称与内容不符"),
                ("suggestion_1", "改为“阿里云计算学习中心”"),
            ],
        )
        .await;
        assert!(to.starts_with("/review") && !to.contains("/orders/"), "{to}");

        // The applicant sees the reason beside its field on the order page.
        let owner = browser();
        sign_in(&s, &owner, "owner@example.com", PASSWORD).await;
        let (_, _, page) =
            text(owner.get(format!("{}/app/orders/{order}", s.base)).send().await.unwrap()).await;
        assert!(page.contains("<strong>网站 3 · 网站名称</strong> 网站名称与内容不符"), "{page}");
        assert!(!page.contains("websites[2]"), "no path shown to people: {page}");
        let o = api.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(o.body["state"]["state"], "returned");

        // Corrected and resubmitted; claimed, checked and approved from the page.
        let mut body = json!({ "subject_id": o.body["subject_id"], "websites": o.body["order"]["websites"], "domain_facts": o.body["domain_facts"] });
        body["websites"][2]["name"] = json!("阿里云计算学习中心");
        let put = api
            .call(reqwest::Method::PUT, &format!("/api/v1/orders/{order}"), Some(body), Some(&o.etag()))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        let sub = api.act(&order, "submit", None, &put.etag()).await;
        assert_eq!(sub.body["state"]["state"], "submitted", "{}", sub.body);
        let v = sub.body["version"].as_i64().unwrap().to_string();
        let r = c
            .post(format!("{}/review/orders/{order}/claim", s.base))
            .form(&[("csrf_token", hidden(&q, "csrf_token").as_str()), ("version", v.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        decide(&s, &c, &order, "verification", &[("passed", "true"), ("note", "一致")]).await;
        let (_, to) = decide(&s, &c, &order, "approve", &[]).await;
        assert!(to.starts_with("/review") && !to.contains("/orders/"), "{to}");
        assert_eq!(
            api.get(&format!("/api/v1/orders/{order}")).await.body["state"]["state"],
            "queued_for_regulator"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_once_from_the_emailed_link() {
    for s in crate::common::servers().await {
        s.account("owner@example.com", Role::Applicant).await;
        s.account("admin@example.com", Role::Admin).await;
        let old_session = s.login("owner@example.com").await;
        let c = browser();
        let ask = |email: &'static str| {
            let c = &c;
            let base = s.base.clone();
            async move {
                let (_, _, page) = text(c.get(format!("{base}/forgot")).send().await.unwrap()).await;
                let token = hidden(&page, "csrf_token");
                let r = c
                    .post(format!("{base}/forgot"))
                    .form(&[("email", email), ("csrf_token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                text(r).await
            }
        };
        // The same answer whether or not the address is registered.
        let (status, _, page) = ask("nobody@example.com").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"forgot-sent\""), "{page}");
        let (status, _, page) = ask("owner@example.com").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"forgot-sent\""));

        // The link is in the e-mail; the outbox shows it without its token.
        let mails = s.db.store.messages("email", None, 10).await.unwrap();
        assert_eq!(mails.len(), 1, "only the registered address got one");
        let body = &mails[0].body;
        let at = body.find("token=").unwrap() + "token=".len();
        let token: String =
            body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        assert!(token.len() >= 40, "{body}");
        let admin = s.login("admin@example.com").await;
        let outbox = admin.get("/api/v1/admin/messages?channel=email").await.body.to_string();
        assert!(outbox.contains("token=***") && !outbox.contains(&token), "{outbox}");
        // Once the message has left (here: for the outbox), the kept copy has no token either.
        s.run_jobs().await;
        let kept = s.db.store.messages("email", None, 10).await.unwrap();
        assert!(kept[0].body.contains("token=***") && !kept[0].body.contains(&token), "{}", kept[0].body);

        let (status, _, page) =
            text(c.get(format!("{}/reset-password?token={token}", s.base)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let form_token = hidden(&page, "csrf_token");
        let post = |password: &'static str, form_token: String| {
            let c = &c;
            let url = format!("{}/reset-password", s.base);
            let fields =
                [("token", token.clone()), ("password", password.to_owned()), ("csrf_token", form_token)];
            async move { c.post(url).form(&fields).send().await.unwrap() }
        };
        let (status, _, page) = text(post("short", form_token.clone()).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"reset-error\""), "{page}");
        let r = post("a new correct horse", form_token.clone()).await;
        assert_eq!(r.headers()["location"], "/login?reset=1");
        let (_, _, page) = text(c.get(format!("{}/login?reset=1", s.base)).send().await.unwrap()).await;
        assert!(page.contains("id=\"login-info\""), "{page}");
        // Every old session ended; the new password signs in; the link works once.
        assert_eq!(old_session.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let (status, _) = sign_in(&s, &c, "owner@example.com", "a new correct horse").await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, page) =
            text(c.get(format!("{}/reset-password?token={token}", s.base)).send().await.unwrap()).await;
        // (Signed in now, the page also has the sign-out form: take the reset form's token.)
        let form = &page[page.find("action=\"/reset-password\"").unwrap()..];
        let (status, _, page) = text(post("another new password", hidden(form, "csrf_token")).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("重置链接无效"), "{page}");
        // The same over the API.
        let anon = crate::common::Client::anonymous(&s.base);
        let r = anon.post("/api/v1/auth/password-reset", json!({ "email": "nobody@example.com" })).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = anon
            .post(
                "/api/v1/auth/password-reset/confirm",
                json!({ "token": token, "password": "yet another password" }),
            )
            .await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED"));
    }
}

/// Posts one wizard step with the fields given; returns the status, the redirect and the page.
async fn wizard_step(
    s: &TestServer,
    c: &reqwest::Client,
    order: &str,
    step: &str,
    fields: &[(&str, &str)],
    htmx: bool,
) -> (StatusCode, Option<String>, String) {
    let (_, _, page) =
        text(c.get(format!("{}/app/orders/{order}/edit/{step}", s.base)).send().await.unwrap()).await;
    let (csrf, version) = (hidden(&page, "csrf_token"), hidden(&page, "version"));
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("version", &version)];
    form.extend_from_slice(fields);
    let mut req = c.post(format!("{}/app/orders/{order}/edit/{step}", s.base)).form(&form);
    if htmx {
        req = req.header("HX-Request", "true");
    }
    let (status, headers, body) = text(req.send().await.unwrap()).await;
    (status, headers.get("location").map(|l| l.to_str().unwrap().to_owned()), body)
}

async fn wizard_upload(
    s: &TestServer,
    c: &reqwest::Client,
    order: &str,
    kind: &str,
    path: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String) {
    let (_, _, page) =
        text(c.get(format!("{}/app/orders/{order}/edit/documents", s.base)).send().await.unwrap()).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .text("kind", kind.to_owned())
        .text("subject_path", path.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("photo.png").mime_str("image/png").unwrap(),
        );
    let (status, _, body) = text(
        c.post(format!("{}/app/orders/{order}/documents", s.base)).multipart(form).send().await.unwrap(),
    )
    .await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_decides_the_kind_checks_each_step_takes_uploads_and_submits() {
    for s in crate::common::servers().await {
        s.account("owner@example.com", Role::Applicant).await;
        s.account("other@example.com", Role::Applicant).await;
        let c = browser();
        sign_in(&s, &c, "owner@example.com", PASSWORD).await;

        // The start: a domain that is not one is named beside its field, nothing is created.
        let (_, _, page) = text(c.get(format!("{}/app/new", s.base)).send().await.unwrap()).await;
        let csrf = hidden(&page, "csrf_token");
        // The page knows when the session ends (12 hours from sign-in) to warn before.
        assert!(page.contains("id=\"session-warning\" role=\"alert\" data-left=\"43200\""), "{page}");
        let mut start = vec![
            ("csrf_token", csrf.as_str()),
            ("province", "33"),
            ("nature", "enterprise"),
            ("cert_kind", "business_licence"),
            ("cert_number", "91330106673959654P"),
            ("name", "阿里云计算有限公司"),
            ("domain", "not a domain"),
            ("existing_number", ""),
        ];
        let (status, _, page) =
            text(c.post(format!("{}/app/new", s.base)).form(&start).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"domain-error\""), "{page}");
        assert!(page.contains("value=\"阿里云计算有限公司\""), "what was typed stays");
        start[6] = ("domain", "aliyun.com");
        let r = c.post(format!("{}/app/new", s.base)).form(&start).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        let order = to.trim_start_matches("/app/orders/").trim_end_matches("/edit/subject").to_owned();
        assert_eq!(to, format!("/app/orders/{order}/edit/subject"));
        // Starting again with the same certificate opens the same draft.
        let r = c.post(format!("{}/app/new", s.base)).form(&start).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("{to}?resumed=1"));

        let (_, _, page) = text(c.get(format!("{}{to}", s.base)).send().await.unwrap()).await;
        assert!(page.contains("首次备案"), "the kind is shown: {page}");

        // The subject: a region that does not exist is refused by the rule engine beside the
        // field (htmx round trip: saved, and the finding shown); then corrected.
        let subject = |region: &'static str| {
            vec![
                ("subject.nature", "enterprise"),
                ("subject.name", "阿里云计算有限公司"),
                ("subject.certificate.kind", "business_licence"),
                ("subject.certificate.number", "91330106673959654P"),
                ("subject.region", region),
                ("subject.certificate_address", "浙江省杭州市西湖区转塘科技经济区块12号"),
                ("subject.mailing_address", "浙江省杭州市西湖区文一西路969号3号楼"),
            ]
        };
        let (status, _, page) = wizard_step(&s, &c, &order, "subject", &subject("339999"), true).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("已保存草稿"), "{page}");
        let notes = &page[page.find("id=\"subject-region-notes\"").unwrap()..];
        let notes = &notes[..notes.find("</div>").unwrap()];
        assert!(notes.contains("note-error"), "the region's finding is beside it: {notes}");
        let (status, to, _) = wizard_step(&s, &c, &order, "subject", &subject("339999"), false).await;
        assert_eq!((status, to), (StatusCode::UNPROCESSABLE_ENTITY, None), "no next step with an error");
        let (status, to, _) = wizard_step(&s, &c, &order, "subject", &subject("330106"), false).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(to.unwrap(), format!("/app/orders/{order}/edit/persons"));
        // The next step, not yet touched: its empty fields say what is to do, none is red; going
        // on without them marks them.
        let (_, _, page) =
            text(c.get(format!("{}/app/orders/{order}/edit/persons", s.base)).send().await.unwrap()).await;
        assert!(page.contains("note-todo") && !page.contains("aria-invalid=\"true\""), "{page}");
        let (status, _, page) = wizard_step(&s, &c, &order, "persons", &[], false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("aria-invalid=\"true\"") && page.contains("note-error"), "{page}");

        let head = |p: &str| {
            [
                ("name", "王五"),
                ("certificate.kind", "resident_id"),
                ("certificate.number", "330106198001011235"),
                ("certificate_valid_until", "2035-06-30"),
                ("mobile", "13800138000"),
                ("emergency_phone", "0571-85022088"),
                ("office_phone", "0571-85022088"),
                ("email", "wangwu@aliyun.com"),
            ]
            .map(|(k, v)| (format!("{p}.{k}"), v))
        };
        let persons: Vec<(String, &str)> = head("subject.head")
            .into_iter()
            .chain([("subject.head_is_legal_representative".to_owned(), "true")])
            .collect();
        let persons: Vec<(&str, &str)> = persons.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        // A validity that is not a date is refused beside its field, as typed; everything else
        // on the step is saved (one bad field never blocks its neighbours).
        let mut bad = persons.clone();
        bad[3] = ("subject.head.certificate_valid_until", "2036年3月15日");
        let (status, _, page) = wizard_step(&s, &c, &order, "persons", &bad, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("value=\"2036年3月15日\"") && page.contains("年-月-日"), "{page}");
        assert!(page.contains("已保存，标红的项目除外"), "{page}");
        let early = s.login("owner@example.com").await;
        let saved = early.get(&format!("/api/v1/orders/{order}?reveal=true")).await;
        let head = &saved.body["order"]["subject"]["head"];
        assert_eq!(
            (head["mobile"].as_str(), head["emergency_phone"].as_str()),
            (Some("13800138000"), Some("0571-85022088")),
            "{head}"
        );
        assert!(
            head["certificate_valid_until"].is_null(),
            "the refused field keeps its stored value: {head}"
        );
        let (status, to, _) = wizard_step(&s, &c, &order, "persons", &persons, false).await;
        assert_eq!(
            (status, to.as_deref()),
            (StatusCode::SEE_OTHER, Some(format!("/app/orders/{order}/edit/websites").as_str()))
        );

        // The website, its head the subject head (sent masked, as the page shows it).
        let (_, _, page) =
            text(c.get(format!("{}/app/orders/{order}/edit/websites", s.base)).send().await.unwrap()).await;
        assert!(!page.contains("13800138000"), "PII is masked on the pages");
        let site = [
            ("websites[0].name", "阿里云计算官网"),
            ("websites[0].domains", "aliyun.com"),
            ("websites[0].service_content", "企业官网"),
            ("websites[0].languages", "中文简体"),
            ("websites[0].head.same", "true"),
        ];
        let (status, to, page) = wizard_step(&s, &c, &order, "websites", &site, false).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(to.unwrap(), format!("/app/orders/{order}/edit/access"));
        let api = s.login("owner@example.com").await;
        let full = api.get(&format!("/api/v1/orders/{order}?reveal=true")).await;
        assert_eq!(
            full.body["order"]["websites"][0]["head"]["mobile"], "13800138000",
            "the head was copied in full"
        );
        assert_eq!(full.body["order"]["subject"]["head"]["certificate"]["number"], "330106198001011235");

        // Access, with the domain's registry facts as read at the registrar; a date that is
        // not one is refused beside its field.
        let mut access = vec![
            ("websites[0].access.ips", "47.96.1.10"),
            ("websites[0].access.service_number", ""),
            ("df.0.domain", "aliyun.com"),
            ("df.0.registrar", "阿里云计算有限公司（万网）"),
            ("df.0.realname_verified_on", "2026-01-32"),
            ("df.0.expires_on", "2030-01-01"),
            ("df.0.holder_name", "阿里云计算有限公司"),
        ];
        let (status, _, page) = wizard_step(&s, &c, &order, "access", &access, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let notes = &page[page.find("id=\"df-0-realname_verified_on-notes\"").unwrap()..];
        assert!(notes[..notes.find("</div>").unwrap()].contains("年-月-日"), "{notes}");
        access[4] = ("df.0.realname_verified_on", "2026-01-05");
        let (status, to, page) = wizard_step(&s, &c, &order, "access", &access, false).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let facts =
            api.get(&format!("/api/v1/orders/{order}")).await.body["domain_facts"]["aliyun.com"].clone();
        assert_eq!(facts["realname_verified_on"], "2026-01-05", "{facts}");
        assert_eq!(facts["registrar"], "阿里云计算有限公司（万网）");
        let check = api.post(&format!("/api/v1/orders/{order}/check"), json!({})).await;
        assert!(!check.body.to_string().contains("DOMAIN_REALNAME_UNKNOWN"), "{}", check.body);
        assert_eq!(to.unwrap(), format!("/app/orders/{order}/edit/documents"));

        // A file sent before the form's token, or after a wrong one, is refused unread.
        for fields in [vec![("file", "x"), ("csrf_token", "")], vec![("csrf_token", "forged"), ("file", "x")]]
        {
            let mut form =
                reqwest::multipart::Form::new().text("kind", "id_front").text("subject_path", "subject.head");
            for (name, value) in fields {
                form = if name == "file" {
                    form.part(
                        "file",
                        reqwest::multipart::Part::bytes(crate::common::photo())
                            .mime_str("image/png")
                            .unwrap(),
                    )
                } else {
                    let (_, _, page) = text(
                        c.get(format!("{}/app/orders/{order}/edit/documents", s.base)).send().await.unwrap(),
                    )
                    .await;
                    let token = if value.is_empty() { hidden(&page, "csrf_token") } else { value.to_owned() };
                    form.text("csrf_token", token)
                };
            }
            let r = c
                .post(format!("{}/app/orders/{order}/documents", s.base))
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
        }

        // Documents: a file lying about its type is refused beside its slot; real ones kept.
        let (status, page) =
            wizard_upload(&s, &c, &order, "business_licence", "subject", b"MZ not a picture".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("upload-error") && !page.contains("class=\"uploaded\""), "{page}");
        for (kind, path) in
            [("business_licence", "subject"), ("id_front", "subject.head"), ("id_back", "subject.head")]
        {
            let (status, page) = wizard_upload(&s, &c, &order, kind, path, crate::common::photo()).await;
            assert_eq!(status, StatusCode::OK, "{kind}: {page}");
        }
        let (_, _, page) =
            text(c.get(format!("{}/app/orders/{order}/edit/verification", s.base)).send().await.unwrap())
                .await;
        assert!(page.contains("capture=\"user\""), "the face photo is taken with the front camera");
        let (_, _, page) =
            text(c.get(format!("{}/app/orders/{order}/edit/documents", s.base)).send().await.unwrap()).await;
        assert!(
            page.contains("type=\"file\"") && !page.contains("capture="),
            "a document may be chosen from the phone (a PDF, a scan), not only photographed"
        );
        let (status, page) =
            wizard_upload(&s, &c, &order, "face_photo", "websites[0].head", crate::common::photo()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            page.matches("<img src=\"/app/documents/").count(),
            2,
            "face beside the ID portrait: {page}"
        );
        let img = page.split("<img src=\"").nth(1).unwrap();
        let img = &img[..img.find('"').unwrap()];
        let r = c.get(format!("{}{img}", s.base)).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "image/png");
        let other = browser();
        sign_in(&s, &other, "other@example.com", PASSWORD).await;
        for path in [img.to_owned(), format!("/app/orders/{order}/edit/subject")] {
            let r = other.get(format!("{}{path}", s.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }

        // Confirmation and submission.
        let (_, _, page) =
            text(c.get(format!("{}/app/orders/{order}/edit/confirm", s.base)).send().await.unwrap()).await;
        assert!(page.contains("id=\"submittable\""), "{page}");
        let form = &page[page.find(&format!("action=\"/app/orders/{order}/submit\"")).unwrap()..];
        let r = c
            .post(format!("{}/app/orders/{order}/submit", s.base))
            .form(&[("csrf_token", hidden(form, "csrf_token")), ("version", hidden(form, "version"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/app/orders/{order}"));
        let o = api.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(o.body["state"]["state"], "submitted");
        assert_eq!(o.body["order"]["kind"], "first_filing");
        // A submitted order is no longer edited by the wizard.
        let r = c.get(format!("{}/app/orders/{order}/edit/subject", s.base)).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/app/orders/{order}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_filters_and_decides_claimed_orders_in_a_batch_each_with_its_result() {
    for s in crate::common::servers().await {
        s.account("reviewer@example.com", Role::Reviewer).await;
        let reviewer = s.login("reviewer@example.com").await;
        let mut orders = Vec::new();
        for owner in ["a@example.com", "b@example.com"] {
            s.account(owner, Role::Applicant).await;
            let api = s.login(owner).await;
            let (_, order, _) = create_example_order(&api).await;
            crate::common::upload_all_documents(&api, &order).await;
            let o = api.get(&format!("/api/v1/orders/{order}")).await;
            let sub = api.act(&order, "submit", None, &o.etag()).await;
            let claimed = reviewer.act(&order, "claim", None, &sub.etag()).await;
            assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.body);
            orders.push((order, claimed));
        }
        // Only the first passes the identity check.
        let (first, claimed) = &orders[0];
        let v = reviewer
            .act(first, "verification", Some(json!({ "passed": true, "note": "一致" })), &claimed.etag())
            .await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);

        let c = browser();
        sign_in(&s, &c, "reviewer@example.com", PASSWORD).await;
        let get = |q: &'static str| {
            let (c, base) = (c.clone(), s.base.clone());
            async move { text(c.get(format!("{base}/review?{q}")).send().await.unwrap()).await.2 }
        };
        let page = get("state=in_review&mine=true&subject=%E9%98%BF%E9%87%8C").await;
        assert_eq!(page.matches("name=\"id\"").count(), 2, "both claimed orders can be picked: {page}");
        assert!(page.contains(&format!("href=\"/review/orders/{first}\"")), "rows open the review page");
        for none in
            ["state=in_review&subject=nobody", "state=in_review&subject=%25", "state=in_review&province=44"]
        {
            let page = get(none).await;
            assert!(!page.contains("name=\"id\""), "{none}");
        }
        // The review page shows the face photo beside the ID portrait.
        let (_, _, review) =
            text(c.get(format!("{}/review/orders/{first}", s.base)).send().await.unwrap()).await;
        let compare = &review[review.find("id=\"compare\"").expect("a comparison")..];
        assert_eq!(
            compare[..compare.find("</section>").unwrap()].matches("<img").count(),
            4,
            "two faces, two portraits"
        );

        let page = get("state=in_review&mine=true").await;
        let csrf = hidden(&page, "csrf_token");
        // Each picked order carries the version the reviewer saw.
        let picked: Vec<String> = page
            .split("name=\"id\" value=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
            .collect();
        assert_eq!(picked.len(), 2, "{page}");
        assert!(picked.iter().all(|v| v.contains(':')), "{picked:?}");
        let form: Vec<(&str, &str)> = vec![
            ("csrf_token", &csrf),
            ("id", &picked[0]),
            ("id", &picked[1]),
            ("action", "approve"),
            ("field", ""),
            ("error", ""),
        ];
        let (status, _, page) =
            text(c.post(format!("{}/review/batch", s.base)).form(&form).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "one was refused");
        let results = &page[page.find("id=\"batch-results\"").unwrap()..];
        let results = &results[..results.find("</section>").unwrap()];
        assert_eq!(results.matches("class=\"ok-text\"").count(), 1, "{results}");
        assert_eq!(results.matches("class=\"error\"").count(), 1, "{results}");
        let states: Vec<String> = {
            let mut v = Vec::new();
            for (o, _) in &orders {
                v.push(
                    reviewer.get(&format!("/api/v1/orders/{o}")).await.body["state"]["state"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
            v
        };
        assert_eq!(states, ["queued_for_regulator", "in_review"]);
        // Without the session's token nothing is decided.
        let forged = [("csrf_token", "x"), ("id", orders[1].0.as_str()), ("action", "reject")];
        let r = c.post(format!("{}/review/batch", s.base)).form(&forged).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_pages_show_and_change_what_the_admin_api_does() {
    for s in crate::common::servers().await {
        s.account("admin@example.com", Role::Admin).await;
        s.account("reviewer@example.com", Role::Reviewer).await;
        s.account("owner@example.com", Role::Applicant).await;
        // Something to count: an order submitted, so the dashboard has a stage.
        let api = s.login("owner@example.com").await;
        let (_, order, _) = create_example_order(&api).await;
        crate::common::upload_all_documents(&api, &order).await;
        let o = api.get(&format!("/api/v1/orders/{order}")).await;
        api.act(&order, "submit", None, &o.etag()).await;

        let reviewer = browser();
        sign_in(&s, &reviewer, "reviewer@example.com", PASSWORD).await;
        for path in ["/admin", "/admin/users", "/admin/audit"] {
            let r = reviewer.get(format!("{}{path}", s.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "a reviewer does not see {path}");
        }

        let c = browser();
        sign_in(&s, &c, "admin@example.com", PASSWORD).await;
        let get = |path: &'static str| {
            let (c, base) = (c.clone(), s.base.clone());
            async move {
                let (status, _, body) = text(c.get(format!("{base}{path}")).send().await.unwrap()).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                body
            }
        };
        // The figures are computed in the background, never while the page waits: the first
        // view after a start says so, and a later one shows them.
        let mut dash = get("/admin").await;
        for _ in 0..100 {
            if dash.contains("<svg role=\"img\"") {
                break;
            }
            assert!(dash.contains("正在后台计算"), "{dash}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            dash = get("/admin").await;
        }
        assert!(dash.contains("<svg role=\"img\"") && dash.contains("待接入商初审"), "{dash}");
        assert!(dash.contains("统计时间"), "{dash}");
        let post = |path: String, form: Vec<(&'static str, String)>| {
            let (c, base) = (c.clone(), s.base.clone());
            async move {
                let r = c.post(format!("{base}{path}")).form(&form).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
                r.headers()["location"].to_str().unwrap().to_owned()
            }
        };
        let page = get("/admin/pools").await;
        let csrf = hidden(&page, "csrf_token");
        // A range that is not one comes back with the reason; a good one is listed.
        let to = post(
            "/admin/pools".into(),
            vec![("csrf_token", csrf.clone()), ("cidr", "not-a-cidr".into()), ("note", "x".into())],
        )
        .await;
        assert_eq!(to, "/admin/pools", "the reason is not in the URL");
        let page = get("/admin/pools").await;
        assert!(
            page.contains("class=\"error\" role=\"status\" id=\"notice\""),
            "the reason is shown: {page}"
        );
        let page = get("/admin/pools").await;
        assert!(!page.contains("id=\"notice\""), "once");
        let to = post(
            "/admin/pools".into(),
            vec![("csrf_token", csrf.clone()), ("cidr", "47.96.0.0/11".into()), ("note", "杭州".into())],
        )
        .await;
        assert_eq!(to, "/admin/pools?done=1");
        let page = get("/admin/pools").await;
        assert!(page.contains("47.96.0.0/11") && page.contains("杭州"), "{page}");

        // The calendar tab: the built-in year with its source, and the next year added as
        // typed (one range per line); a weekday typed as a make-up day is refused with why.
        let page = get("/admin/calendar").await;
        assert!(page.contains("2026-10-01~2026-10-07") && page.contains("国务院办公厅关于2026年"), "{page}");
        assert!(page.contains("value=\"2027\""), "the next year is offered: {page}");
        let year = |workdays: &str| {
            vec![
                ("csrf_token", csrf.clone()),
                ("version", "0".into()),
                ("year", "2027".into()),
                ("holidays", "2027-01-01~2027-01-03\r\n2027-02-06 至 2027-02-14".into()),
                ("workdays", workdays.to_owned()),
                ("source", "国务院办公厅关于2027年部分节假日安排的通知（测试）".into()),
                ("read_on", "2026-12-06".into()),
            ]
        };
        assert_eq!(post("/admin/calendar".into(), year("2027-02-03")).await, "/admin/calendar");
        let page = get("/admin/calendar").await;
        assert!(
            page.contains("id=\"notice\"") && page.contains("2027-02-03"),
            "the refusal names the day: {page}"
        );
        assert_eq!(post("/admin/calendar".into(), year("2027-02-20")).await, "/admin/calendar?done=1");
        let page = get("/admin/calendar").await;
        assert!(page.contains("2027-02-06~2027-02-14") && page.contains("2027-12-31"), "{page}");
        let to = post(
            "/admin/templates".into(),
            vec![
                ("csrf_token", csrf.clone()),
                ("field", "websites[].name".into()),
                ("error", "网站名称与内容不符".into()),
                ("suggestion", "按网站实际内容命名".into()),
            ],
        )
        .await;
        assert_eq!(to, "/admin/templates?done=1");
        assert!(get("/admin/templates").await.contains("网站名称与内容不符"));
        let to = post(
            "/admin/service-numbers".into(),
            vec![("csrf_token", csrf.clone()), ("instance", "i-bp1example".into()), ("quota", "5".into())],
        )
        .await;
        assert_eq!(to, "/admin/service-numbers?done=1");
        assert!(get("/admin/service-numbers").await.contains("i-bp1example"));
        let profile = get("/admin/profile").await;
        let to = post(
            "/admin/profile".into(),
            vec![
                ("csrf_token", csrf.clone()),
                ("version", hidden(&profile, "version")),
                ("name", "演示云计算有限公司".into()),
                ("region", "330106".into()),
                ("phone", "95187".into()),
                ("organization_code", "91330106673959654P".into()),
                ("access_method", "".into()),
            ],
        )
        .await;
        assert_eq!(to, "/admin/profile?done=1");
        assert!(get("/admin/profile").await.contains("value=\"演示云计算有限公司\""));
        // A role change; the reviewer's own session ends with it.
        let users = get("/admin/users").await;
        assert!(!users.contains("reviewer@example.com"), "addresses are masked");
        let reviewer_id = s
            .app
            .auth()
            .accounts_with_state(&system(), 100)
            .await
            .unwrap()
            .into_iter()
            .find(|(p, _)| p.email == "reviewer@example.com")
            .unwrap()
            .0
            .id;
        let to = post(
            format!("/admin/users/{reviewer_id}"),
            vec![("csrf_token", csrf.clone()), ("role", "admin".into())],
        )
        .await;
        assert_eq!(to, "/admin/users?done=1");
        let r = reviewer.get(format!("{}/review", s.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out by the change");
        // Policy data with its source; the outbox; failed jobs; the audit log with its export.
        let policy = get("/admin/policy").await;
        assert!(
            policy.contains("site_name_min_han") && policy.contains("DOMAIN_REALNAME_UNKNOWN"),
            "{policy}"
        );
        get("/admin/outbox?channel=sms").await;
        get("/admin/jobs").await;
        // A webhook: a bad address comes back with the reason; a JSON one shows its secret on
        // the answering page only; a test event is queued and listed; turned off; deleted.
        let to = post(
            "/admin/webhooks".into(),
            vec![
                ("csrf_token", csrf.clone()),
                ("name", "ops".into()),
                ("url", "not a url".into()),
                ("format", "json".into()),
                ("events", "*".into()),
            ],
        )
        .await;
        assert_eq!(to, "/admin/webhooks");
        assert!(get("/admin/webhooks").await.contains("http(s)://"), "the reason is shown");
        let r = c
            .post(format!("{}/admin/webhooks", s.base))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "运维<script>"),
                ("url", "http://127.0.0.1:9/hook?key=robot-key"),
                ("format", "json"),
                ("secret", ""),
                ("events", "order.state_changed"),
            ])
            .send()
            .await
            .unwrap();
        let (status, _, answer) = text(r).await;
        assert_eq!(status, StatusCode::OK);
        let secret =
            answer.split("whsec_").nth(1).expect("the secret is shown once").split('<').next().unwrap();
        assert!(answer.contains("运维&#60;script&#62;") && !answer.contains("运维<script>"), "{answer}");
        let list = get("/admin/webhooks").await;
        assert!(!list.contains(secret) && !list.contains("robot-key"), "{list}");
        let hook = s.app.webhooks().list_webhooks(&system()).await.unwrap()[0].id;
        let to = post(format!("/admin/webhooks/{hook}/ping"), vec![("csrf_token", csrf.clone())]).await;
        assert_eq!(to, "/admin/webhooks?done=1");
        assert!(get("/admin/webhooks").await.contains("待发送"), "the test event is listed");
        post(format!("/admin/webhooks/{hook}/toggle"), vec![("csrf_token", csrf.clone())]).await;
        assert!(!s.app.webhooks().list_webhooks(&system()).await.unwrap()[0].active);
        post(format!("/admin/webhooks/{hook}/delete"), vec![("csrf_token", csrf.clone())]).await;
        assert!(s.app.webhooks().list_webhooks(&system()).await.unwrap().is_empty());
        get("/admin/audit?before=not-an-id").await;
        let audit = get("/admin/audit").await;
        assert!(audit.contains("ip_pool") || audit.contains("template"), "{audit}");
        assert!(audit.contains("/api/v1/admin/audit?format=csv"));
        let csv = c.get(format!("{}/api/v1/admin/audit?format=csv&limit=1000", s.base)).send().await.unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.text().await.unwrap().lines().count() > 3);
        // Without the token nothing changes.
        let r = c
            .post(format!("{}/admin/pools", s.base))
            .form(&[("csrf_token", "x"), ("cidr", "1.0.0.0/8")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

fn system() -> beian_app::Ctx {
    beian_app::Ctx {
        principal: Some(beian_app::Principal {
            id: uuid::Uuid::nil(),
            role: Role::Admin,
            email: "system".into(),
            display_name: "system".into(),
        }),
        ..beian_app::Ctx::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_asks_for_mailed_materials_and_records_their_arrival() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    s.account("owner@example.com", Role::Applicant).await;
    s.account("reviewer@example.com", Role::Reviewer).await;
    let api = s.login("owner@example.com").await;
    let (_, order, _) = create_example_order(&api).await;
    crate::common::upload_all_documents(&api, &order).await;
    let o = api.get(&format!("/api/v1/orders/{order}")).await;
    let sub = api.act(&order, "submit", None, &o.etag()).await;
    let reviewer = s.login("reviewer@example.com").await;
    reviewer.act(&order, "claim", None, &sub.etag()).await;

    let c = browser();
    sign_in(&s, &c, "reviewer@example.com", PASSWORD).await;
    let (_, _, page) = text(c.get(format!("{}/review/orders/{order}", s.base)).send().await.unwrap()).await;
    let form = &page[page.find(&format!("action=\"/review/orders/{order}/request-materials\"")).unwrap()..];
    let r = c
        .post(format!("{}/review/orders/{order}/request-materials", s.base))
        .form(&[
            ("csrf_token", hidden(form, "csrf_token").as_str()),
            ("version", hidden(form, "version").as_str()),
            ("note", "请邮寄加盖公章的授权书原件"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(api.get(&format!("/api/v1/orders/{order}")).await.body["state"]["state"], "awaiting_mail");
    let (_, _, page) = text(c.get(format!("{}/review/orders/{order}", s.base)).send().await.unwrap()).await;
    let form = &page[page
        .find(&format!("action=\"/review/orders/{order}/materials-received\""))
        .expect("a received button")..];
    let r = c
        .post(format!("{}/review/orders/{order}/materials-received", s.base))
        .form(&[
            ("csrf_token", hidden(form, "csrf_token").as_str()),
            ("version", hidden(form, "version").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), format!("/review/orders/{order}"));
    assert_eq!(api.get(&format!("/api/v1/orders/{order}")).await.body["state"]["state"], "in_review");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_is_filed_through_the_wizard_with_its_platforms() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    s.account("owner@example.com", Role::Applicant).await;
    let c = browser();
    sign_in(&s, &c, "owner@example.com", PASSWORD).await;
    let (_, _, page) = text(c.get(format!("{}/app/new", s.base)).send().await.unwrap()).await;
    let csrf = hidden(&page, "csrf_token");
    let start = [
        ("csrf_token", csrf.as_str()),
        ("province", "33"),
        ("service", "app"),
        ("nature", "enterprise"),
        ("cert_kind", "business_licence"),
        ("cert_number", "91330106673959654P"),
        ("name", "阿里云计算有限公司"),
        ("domain", "aliyun.com"),
        ("existing_number", ""),
    ];
    let r = c.post(format!("{}/app/new", s.base)).form(&start).send().await.unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let order = to.trim_start_matches("/app/orders/").trim_end_matches("/edit/subject").to_owned();

    let persons = [
        ("subject.head.name", "王五"),
        ("subject.head.certificate.kind", "resident_id"),
        ("subject.head.certificate.number", "330106198001011235"),
        ("subject.head.certificate_valid_until", "2035-06-30"),
        ("subject.head.mobile", "13800138000"),
        ("subject.head.emergency_phone", "0571-85022088"),
        ("subject.head.office_phone", "0571-85022088"),
        ("subject.head.email", "wangwu@aliyun.com"),
        ("subject.head_is_legal_representative", "true"),
    ];
    let (status, _, _) = wizard_step(&s, &c, &order, "persons", &persons, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let ex = crate::common::example_named("first-filing-app.json");
    let key = ex["order"]["apps"][0]["platforms"][0]["public_key"].as_str().unwrap();
    let (_, _, page) =
        text(c.get(format!("{}/app/orders/{order}/edit/websites", s.base)).send().await.unwrap()).await;
    assert!(page.contains("id=\"apps-0--name\"") && !page.contains("id=\"websites-0--name\""), "{page}");
    assert!(page.contains("name=\"apps[0].platforms[0].platform\""), "a blank row to add a platform");
    let app = |hash: &'static str| -> Vec<(&str, &str)> {
        vec![
            ("apps[0].name", "阿里云"),
            ("apps[0].kind", "app"),
            ("apps[0].domains", "aliyun.com"),
            ("apps[0].service_content", "软件开发"),
            ("apps[0].languages", "中文简体"),
            ("apps[0].platforms[0].platform", "android"),
            ("apps[0].platforms[0].package_id", "com.alibaba.aliyun"),
            ("apps[0].platforms[0].signature_hash", hash),
            ("apps[0].platforms[0].public_key", key),
            ("apps[0].head.same", "true"),
        ]
    };
    // A signature that is no MD5 is flagged beside its field by the rule engine.
    let (status, _, page) = wizard_step(&s, &c, &order, "websites", &app("not-a-hash"), true).await;
    assert_eq!(status, StatusCode::OK);
    let notes = &page[page.find("id=\"apps-0--platforms-0--signature-hash-notes\"").unwrap()..];
    assert!(notes[..notes.find("</div>").unwrap()].contains("note-error"), "{notes}");
    // A second platform row shows once the first is saved; left blank, it is not saved.
    assert!(page.contains("name=\"apps[0].platforms[1].platform\""));
    let (status, to, page) =
        wizard_step(&s, &c, &order, "websites", &app("4ac37fbfd3f2a1c5e0d9d6bf3e2f1a77"), false).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(to.unwrap(), format!("/app/orders/{order}/edit/access"));
    let api = s.login("owner@example.com").await;
    let o = api.get(&format!("/api/v1/orders/{order}")).await;
    assert_eq!(o.body["order"]["websites"], serde_json::json!([]));
    assert_eq!(o.body["order"]["apps"][0]["platforms"].as_array().unwrap().len(), 1, "{}", o.body);
    assert_eq!(o.body["order"]["apps"][0]["platforms"][0]["package_id"], "com.alibaba.aliyun");
    // Data on a row without a platform is refused, naming the field.
    let mut bad = app("4ac37fbfd3f2a1c5e0d9d6bf3e2f1a77");
    bad.extend([("apps[0].platforms[1].platform", ""), ("apps[0].platforms[1].package_id", "com.example")]);
    let (status, _, page) = wizard_step(&s, &c, &order, "websites", &bad, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请选择平台"), "{page}");
    // A pre-approval row: a number without its kind is refused; with its kind it is kept.
    let mut pre = app("4ac37fbfd3f2a1c5e0d9d6bf3e2f1a77");
    pre.extend([("apps[0].pre_approvals[0].kind", ""), ("apps[0].pre_approvals[0].number", "(2026)0001")]);
    let (status, _, page) = wizard_step(&s, &c, &order, "websites", &pre, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("请选择前置审批类型"), "{page}");
    pre.extend([("apps[0].pre_approvals[0].kind", "news")]);
    pre.retain(|(k, v)| !(*k == "apps[0].pre_approvals[0].kind" && v.is_empty()));
    let (status, _, page) = wizard_step(&s, &c, &order, "websites", &pre, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let o = api.get(&format!("/api/v1/orders/{order}")).await;
    assert_eq!(
        o.body["order"]["apps"][0]["pre_approvals"],
        serde_json::json!([{ "kind": "news", "number": "(2026)0001" }])
    );
    // The access step asks for the app's IPs.
    let (_, _, page) =
        text(c.get(format!("{}/app/orders/{order}/edit/access", s.base)).send().await.unwrap()).await;
    assert!(page.contains("name=\"apps[0].access.ips\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_lists_a_page_of_each_and_links_the_older_ones() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    s.account("agency@example.com", Role::Applicant).await;
    let owner = s
        .app
        .auth()
        .accounts_with_state(&system(), 100)
        .await
        .unwrap()
        .into_iter()
        .find(|(p, _)| p.email == "agency@example.com")
        .unwrap()
        .0
        .id;
    // 30 subjects with an order each, written straight into the store (the list reads rows only).
    seed_orders(&s, owner, 30, "draft").await;
    let c = browser();
    sign_in(&s, &c, "agency@example.com", PASSWORD).await;
    let (_, _, page) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    assert_eq!(page.matches("href=\"/app/orders/").count(), 25, "{page}");
    assert!(page.contains("代理客户29有限公司"), "orders name their subjects");
    let more = page.split("id=\"more-orders\"").next().unwrap();
    let more = &more[more.rfind("href=\"").unwrap() + 6..];
    let more = unescape(&more[..more.find('"').unwrap()]);
    let (_, _, older) = text(c.get(format!("{}{more}", s.base)).send().await.unwrap()).await;
    assert_eq!(older.matches("href=\"/app/orders/").count(), 5, "{more}");
    assert!(!older.contains("id=\"more-orders\""));
    // A cursor that is not one shows the first page.
    let r = c.get(format!("{}/app?orders_before=nonsense", s.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notice_recipients_are_added_and_removed_on_the_home_page() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    s.account("owner@example.com", Role::Applicant).await;
    let c = browser();
    sign_in(&s, &c, "owner@example.com", PASSWORD).await;
    let (_, _, home) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    let csrf = hidden(&home, "csrf_token");
    let add = |email: &'static str| {
        let (c, url, csrf) = (c.clone(), format!("{}/app/recipients", s.base), csrf.clone());
        async move {
            let form = [("csrf_token", csrf.as_str()), ("email", email), ("label", "财务")];
            c.post(url).form(&form).send().await.unwrap()
        }
    };
    // A bad address comes back on the page with its reason, the page otherwise whole.
    let (status, _, page) = text(add("not-an-address").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"recipient-error\"") && page.contains("有效的电子邮箱"), "{page}");
    assert!(page.contains("id=\"new-filing\""), "{page}");
    let r = add("finance@example.com").await;
    assert_eq!(r.headers()["location"], "/app#recipients");
    let (_, _, home) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    assert!(home.contains("财务") && !home.contains("finance@example.com"), "listed, masked: {home}");
    let (status, _, page) = text(add("finance@example.com").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    // Removed with its own button; without the form token nothing changes.
    let action = home.split("action=\"/app/recipients/").nth(1).unwrap();
    let id = &action[..action.find('/').unwrap()];
    let url = format!("{}/app/recipients/{id}/delete", s.base);
    let r = c.post(&url).form(&[("csrf_token", "x")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c.post(&url).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/app#recipients");
    let (_, _, home) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    assert!(!home.contains("财务"), "{home}");
}

/// `n` subjects with an order each in `state`, written straight into the store (list pages
/// read rows only, never the encrypted documents).
async fn seed_orders(s: &TestServer, owner: uuid::Uuid, n: usize, state: &str) {
    // Written as of now: an order last touched long ago would be listed as about to close.
    let now = s.app.now_us();
    let mut tx = s.db.store.begin().await.unwrap();
    for i in 0..n {
        let subject = beian_store::SubjectRow {
            id: beian_store::new_id(),
            owner_id: owner,
            nature: "enterprise".into(),
            name: format!("代理客户{i:02}有限公司"),
            province: "33".into(),
            cert_index: vec![i as u8],
            data: vec![0],
            filed_number: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        tx.insert_subject(&subject).await.unwrap();
        tx.insert_order(&beian_store::OrderRow {
            id: beian_store::new_id(),
            owner_id: owner,
            subject_id: subject.id,
            kind: "first_filing".into(),
            province: "33".into(),
            state: state.into(),
            state_data: format!("{{\"state\":\"{state}\"}}"),
            data: vec![0],
            findings: "[]".into(),
            review_findings: "[]".into(),
            reviewer_id: None,
            open: true,
            version: 1,
            created_at: now,
            updated_at: now,
            submitted_at: (state != "draft").then_some(1_000 + i as i64),
            stage_since: now,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_queue_shows_fifty_rows_and_links_the_next_page() {
    let s = TestServer::with_outbox(beian_store::testing::sqlite().await).await;
    s.account("owner@example.com", Role::Applicant).await;
    s.account("reviewer@example.com", Role::Reviewer).await;
    let owner = s
        .app
        .auth()
        .accounts_with_state(&system(), 100)
        .await
        .unwrap()
        .into_iter()
        .find(|(p, _)| p.email == "owner@example.com")
        .unwrap()
        .0
        .id;
    seed_orders(&s, owner, 60, "submitted").await;
    let c = browser();
    sign_in(&s, &c, "reviewer@example.com", PASSWORD).await;
    let (_, _, page) =
        text(c.get(format!("{}/review?state=submitted&province=33", s.base)).send().await.unwrap()).await;
    assert_eq!(page.matches("class=\"row-link\"").count(), 50);
    let more = page.split("id=\"more-rows\"").next().unwrap();
    let more = &more[more.rfind("href=\"").unwrap() + 6..];
    let more = unescape(&more[..more.find('"').unwrap()]);
    assert!(more.contains("province=33"), "the filters go along: {more}");
    let (status, _, next) = text(c.get(format!("{}{more}", s.base)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next.matches("class=\"row-link\"").count(), 10, "{more}");
    // An edited cursor shows the first page, not an error.
    let (status, _, page) =
        text(c.get(format!("{}/review?state=submitted&after=garbage", s.base)).send().await.unwrap()).await;
    assert_eq!((status, page.matches("class=\"row-link\"").count()), (StatusCode::OK, 50));
}

/// An attribute value as the browser reads it (askama escapes `&` and `=` in it).
fn unescape(attr: &str) -> String {
    attr.replace("&#x3D;", "=").replace("&#38;", "&").replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_page_lists_its_orders_and_starts_a_filing_without_typing_the_certificate_again() {
    for s in crate::common::servers().await {
        let label = s.db.label;
        s.account("agency@example.com", Role::Applicant).await;
        s.account("other@example.com", Role::Applicant).await;
        let api = s.login("agency@example.com").await;
        let ex = crate::common::example();
        let r = api
            .post("/api/v1/subjects", json!({ "province": "33", "subject": ex["order"]["subject"] }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let subject = r.body["id"].as_str().unwrap().to_owned();
        let c = browser();
        sign_in(&s, &c, "agency@example.com", PASSWORD).await;
        let (_, _, home) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
        assert!(home.contains(&format!("href=\"/app/subjects/{subject}\"")), "{label}: {home}");
        assert!(home.contains("浙江"), "{label}: the province by name");

        // The subject as on file (a company's credit code is public; the head's certificate
        // and phones are not shown); no orders yet, so the start form is offered.
        let url = format!("{}/app/subjects/{subject}", s.base);
        let (status, _, page) = text(c.get(&url).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{label}");
        let head = &ex["order"]["subject"]["head"];
        for secret in [&head["certificate"]["number"], &head["mobile"]] {
            assert!(!page.contains(secret.as_str().unwrap()), "{label}: {secret} shown");
        }
        assert!(page.contains("91330106673959654P") && page.contains("西湖区 (330106)"), "{label}: {page}");
        assert!(page.contains(&format!("action=\"/app/subjects/{subject}/new\"")), "{label}");

        // A bad domain is refused beside its field, keeping what was typed.
        let token = hidden(&page, "csrf_token");
        let start = |domain: &'static str, token: String| {
            let c = c.clone();
            let url = format!("{url}/new");
            async move {
                c.post(url)
                    .form(&[("csrf_token", token.as_str()), ("service", "website"), ("domain", domain)])
                    .send()
                    .await
                    .unwrap()
            }
        };
        let (status, _, page) = text(start("not a domain", token.clone()).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            page.contains("id=\"domain-error\"") && page.contains("value=\"not a domain\""),
            "{label}: {page}"
        );
        assert_eq!(start("shop.example.cn", "forged".into()).await.status(), StatusCode::FORBIDDEN);

        // A good one starts a first filing for this very subject, at the websites step.
        let r = start("shop.example.cn", token.clone()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{label}");
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.ends_with("/edit/websites"), "{label}: {to}");
        let order = to.split('/').nth(3).unwrap().to_owned();
        let o = api.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(o.body["subject_id"], subject.as_str(), "{label}: {}", o.body);
        assert_eq!(o.body["order"]["kind"], "first_filing", "{label}");
        assert_eq!(api.get("/api/v1/subjects").await.body.as_array().map(Vec::len), Some(1), "{label}");

        // Now the page lists the order and offers to continue it instead of starting another.
        let (_, _, page) = text(c.get(&url).send().await.unwrap()).await;
        assert!(page.contains(&format!("href=\"/app/orders/{order}\"")), "{label}");
        assert!(page.contains(&format!("href=\"/app/orders/{order}/edit/subject\"")), "{label}");
        assert!(!page.contains("/new\""), "{label}: no second start form");

        // Another applicant gets nothing.
        let other = browser();
        sign_in(&s, &other, "other@example.com", PASSWORD).await;
        assert_eq!(other.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND, "{label}");
        let (_, _, their) = text(other.get(format!("{}/app", s.base)).send().await.unwrap()).await;
        let token = hidden(&their, "csrf_token");
        let r = other
            .post(format!("{url}/new"))
            .form(&[("csrf_token", token.as_str()), ("service", "website"), ("domain", "evil.example.cn")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{label}");
    }
}

/// The page routes that take a POST, read from the page router itself so that a new one is
/// covered the day it is added; `{…}` segments are filled with a made-up id.
fn page_post_routes() -> Vec<String> {
    let source = include_str!("../../src/ui/mod.rs");
    let mut out = Vec::new();
    for part in source.split(".route(").skip(1) {
        let Some(path) = part.trim_start().strip_prefix('"').and_then(|p| p.split('"').next()) else {
            continue;
        };
        let call = &part[..part.find("\n        .route(").unwrap_or(part.len())];
        if call.contains("post(") {
            let filled: Vec<String> = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { uuid::Uuid::nil().to_string() } else { seg.to_owned() })
                .collect();
            out.push(filled.join("/"));
        }
    }
    out
}

#[tokio::test]
async fn every_post_of_a_session_is_refused_without_its_form_token_before_any_handler_runs() {
    let s = crate::common::servers().await.remove(0);
    s.account("admin@example.com", Role::Admin).await;
    let c = browser();
    sign_in(&s, &c, "admin@example.com", PASSWORD).await;
    let (_, _, home) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    let csrf = hidden(&home, "csrf_token");
    // Forms that check a token of their own: the account forms (a cookie of their own, as there
    // may be no session), signing out (never refused) and the upload (its token is inside the
    // multipart stream); everything else is the page layer's.
    let own = ["/login", "/signup", "/forgot", "/reset-password", "/logout"];
    let routes = page_post_routes();
    assert!(routes.len() > 40, "the router's posts were read: {routes:?}");
    let mut checked = 0;
    for path in routes.iter().filter(|p| !own.contains(&p.as_str()) && !p.ends_with("/documents")) {
        let url = format!("{}{path}", s.base);
        for forged in [
            c.post(&url).form(&[("csrf_token", "forged"), ("version", "1")]),
            c.post(&url).form(&[("version", "1")]),
            c.post(&url).header("X-CSRF-Token", "forged").form(&[("csrf_token", csrf.as_str())]),
            c.post(&url)
                .header("Content-Type", "application/json")
                .body(format!("{{\"csrf_token\":\"{csrf}\"}}")),
        ] {
            let (status, _, page) = text(forged.send().await.unwrap()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {page}");
            checked += 1;
        }
    }
    assert!(checked > 160, "{checked}");
    // The right token, in the form or as htmx sends it, reaches the handler; the body it read
    // to find the token is handed on whole.
    let url = format!("{}/app/recipients", s.base);
    let fields = [("csrf_token", csrf.as_str()), ("label", "财务"), ("email", "finance@example.com")];
    let r = c.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/app#recipients");
    let fields = [("label", "法务"), ("email", "legal@example.com")];
    let r = c.post(&url).header("X-CSRF-Token", &csrf).form(&fields).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/app#recipients");
    let (_, _, home) = text(c.get(format!("{}/app", s.base)).send().await.unwrap()).await;
    assert!(home.contains("财务") && home.contains("法务"), "{home}");
    // A form too large to be one of these pages' is refused before it is parsed.
    let huge = "x".repeat(3 * 1024 * 1024);
    let fields = [("csrf_token", csrf.as_str()), ("label", huge.as_str())];
    let r = c.post(&url).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Signing out needs no token.
    let r = c.post(format!("{}/logout", s.base)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login");
    let r = c.get(format!("{}/app", s.base)).send().await.unwrap();
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
}
