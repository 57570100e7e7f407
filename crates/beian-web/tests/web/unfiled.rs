//! Unfiled websites on the provider's addresses, end to end over MIIT's interface V3.0 on both
//! backends: the simulator lists domains (one of them twice), the provider's work list shows
//! one case each, a reviewer blocks one and reports it, says the other is not its customer,
//! the bureau takes one report and refuses the other, and the block list an edge reads (plain
//! file, nginx map, JSON) carries exactly the blocked domain.

use crate::common::field_codes;
use crate::common::world::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SHOP: &str = "shop.unfiled-example.cn";
const OTHER: &str = "other-unfiled.example.com";

async fn case_of<'a>(cases: &'a Value, domain: &str) -> &'a Value {
    cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["domain"] == domain)
        .unwrap_or_else(|| panic!("{domain} in {cases}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_unfiled_websites_are_blocked_and_reported_and_the_block_list_serves_them() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let w = world_miit(pdb, rdb).await;
        w.settle().await;
        let admin = w.provider.login("admin@example.com").await;
        let ip: std::net::Ipv4Addr = "47.96.1.10".parse().unwrap();

        // The bureau lists a domain, and lists it again before the provider acts: one entry,
        // one case, counted twice. It lists another.
        let shop = w.regulator.miit_list_unfiled(MIIT_UNIT, "Shop.Unfiled-Example.CN.", ip).await.unwrap();
        w.settle().await;
        assert_eq!(w.regulator.miit_list_unfiled(MIIT_UNIT, SHOP, ip).await.unwrap(), shop, "{label}");
        let other = w.regulator.miit_list_unfiled(MIIT_UNIT, OTHER, ip).await.unwrap();
        w.settle().await;
        let open = w.reviewer.get("/api/v1/review/unfiled?state=open").await;
        assert_eq!(open.status, StatusCode::OK, "{label}: {}", open.body);
        assert_eq!(open.body.as_array().unwrap().len(), 2, "{label}: {}", open.body);
        let c = case_of(&open.body, SHOP).await;
        assert_eq!(
            (&c["source"], &c["bureau_id"], &c["ip"], &c["times"], &c["blocked"]),
            (&json!("miit"), &json!(shop), &json!("47.96.1.10"), &json!(2), &json!(false)),
            "{label}: {c}"
        );
        let shop_case = c["id"].as_str().unwrap().to_owned();
        let other_case = case_of(&open.body, OTHER).await["id"].as_str().unwrap().to_owned();

        let bogus = w.reviewer.get("/api/v1/review/unfiled?state=closed").await;
        assert_eq!(
            field_codes(&bogus),
            vec![("state".into(), "UNFILED_STATE_UNKNOWN".into())],
            "{label}: {}",
            bogus.body
        );
        // Nobody but staff sees the list or acts on it.
        assert_eq!(w.owner.get("/api/v1/review/unfiled").await.status, StatusCode::FORBIDDEN, "{label}");
        let handle = |id: &str| format!("/api/v1/review/unfiled/{id}/handle");
        let r = w.owner.post(&handle(&shop_case), json!({ "action": 1, "block": true })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}");
        // Bad input: each refused with its field, nothing written.
        let r = w.reviewer.post(&handle(&shop_case), json!({ "block": true })).await;
        assert_eq!(
            field_codes(&r),
            vec![("action".into(), "UNFILED_ACTION_REQUIRED".into())],
            "{label}: {}",
            r.body
        );
        let r = w.reviewer.post(&handle(&shop_case), json!({ "action": 99, "block": true })).await;
        assert_eq!(
            field_codes(&r),
            vec![("action".into(), "UNFILED_ACTION_UNKNOWN".into())],
            "{label}: {}",
            r.body
        );
        let r =
            w.reviewer.post(&handle(&shop_case), json!({ "action": 1, "opinion": "长".repeat(256) })).await;
        assert_eq!(
            field_codes(&r),
            vec![("opinion".into(), "OPINION_TOO_LONG".into())],
            "{label}: {}",
            r.body
        );
        let r = w.reviewer.post(&handle(&shop_case), json!({ "action": 1, "blocks": true })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: an unknown member: {}", r.body);
        let r = w.reviewer.post(&handle(&uuid::Uuid::new_v4().to_string()), json!({ "action": 1 })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{label}");
        assert!(w.provider.app.store().block_list().await.unwrap().is_empty(), "{label}");
        assert_eq!(w.provider.app.store().miit_uploads().await.unwrap().len(), 0, "{label}: no report yet");

        // An entry naming something that is not a domain cannot be blocked, and stays open.
        let odd = beian_store::UnfiledCaseRow {
            id: beian_store::new_id(),
            source: "miit".into(),
            bureau_id: Some(9_999),
            domain: "http://odd.example.cn/x".into(),
            ip: "47.96.1.10".into(),
            province: Some(330000),
            detected_at: String::new(),
            times: Some(1),
            file_name: "WBAWZLB-test".into(),
            received_at: 1,
            state: "open".into(),
            action: None,
            opinion: String::new(),
            handled_by: None,
            handled_at: None,
            upload_seq: None,
            result: String::new(),
            updated_at: 1,
        };
        let mut tx = w.provider.app.store().begin().await.unwrap();
        tx.open_unfiled_case(&odd).await.unwrap();
        tx.commit().await.unwrap();
        let r = w.reviewer.post(&handle(&odd.id.to_string()), json!({ "action": 1, "block": true })).await;
        assert_eq!(
            field_codes(&r),
            vec![("block".into(), "DOMAIN_NOT_BLOCKABLE".into())],
            "{label}: {}",
            r.body
        );
        let still = w.provider.app.store().listed_case(odd.id).await.unwrap().unwrap();
        assert_eq!((still.case.state.as_str(), still.blocked), ("open", false), "{label}");
        let mut tx = w.provider.app.store().begin().await.unwrap();
        beian_store::on!(tx &mut tx, |c| sqlx::query("DELETE FROM unfiled_cases WHERE id = $1").bind(odd.id).execute(c).await.unwrap().rows_affected());
        tx.commit().await.unwrap();

        // Blocked (已关停) with an opinion; a second handling is refused.
        let r = w
            .reviewer
            .post(
                &handle(&shop_case),
                json!({ "action": 1, "opinion": "已在接入层屏蔽该域名", "block": true }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{label}: {}", r.body);
        assert_eq!(
            (&r.body["state"], &r.body["blocked"]),
            (&json!("handled"), &json!(true)),
            "{label}: {}",
            r.body
        );
        assert_eq!(r.body["action_name"], "已关停", "{label}");
        let again = w.reviewer.post(&handle(&shop_case), json!({ "action": 1 })).await;
        assert_eq!(
            (again.status, again.body["code"].as_str()),
            (StatusCode::CONFLICT, Some("UNFILED_CASE_CLOSED")),
            "{label}: {}",
            again.body
        );
        // The other is not this provider's customer (非本单位接入); meanwhile the bureau has
        // that entry settled already, so it will refuse the report (5006).
        let mut tx = w.regulator.store.begin().await.unwrap();
        beian_store::on!(tx &mut tx, |c| sqlx::query("UPDATE reg_miit_unfiled SET reported_at = 1 WHERE id = $1").bind(other).execute(c).await.unwrap().rows_affected());
        tx.commit().await.unwrap();
        let r = w.reviewer.post(&handle(&other_case), json!({ "action": 3, "opinion": "该IP已回收" })).await;
        assert_eq!(
            (&r.body["state"], &r.body["blocked"]),
            (&json!("handled"), &json!(false)),
            "{label}: {}",
            r.body
        );
        w.settle().await;

        // The bureau took the first report as written, and refused the second as a file.
        assert_eq!(
            w.regulator.miit_unfiled_report(shop).await.unwrap(),
            Some((1, "已在接入层屏蔽该域名".to_owned())),
            "{label}"
        );
        let all = w.reviewer.get("/api/v1/review/unfiled").await.body;
        assert_eq!(case_of(&all, SHOP).await["state"], "reported", "{label}: {all}");
        let refused = case_of(&all, OTHER).await;
        assert_eq!(refused["state"], "refused", "{label}: {refused}");
        assert!(refused["result"].as_str().unwrap().starts_with("5006"), "{label}: {refused}");

        // The block list: JSON, the plain file and the nginx map, each with the one domain.
        let list = w.reviewer.get("/api/v1/blocklist").await;
        assert_eq!(list.body.as_array().unwrap().len(), 1, "{label}: {}", list.body);
        assert_eq!(
            (&list.body[0]["domain"], &list.body[0]["source"]),
            (&json!(SHOP), &json!("case")),
            "{label}"
        );
        let plain = w.reviewer.get("/api/v1/blocklist/files/plain").await;
        assert_eq!(plain.status, StatusCode::OK, "{label}");
        let text = plain.body.as_str().unwrap().to_owned();
        let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(entries, vec![SHOP], "{label}: {text}");
        // What an edge builds from the file blocks the host and its subdomains, not others.
        let set = beian_core::blocklist::BlockSet::new(entries.iter().copied());
        assert!(set.lookup("WWW.Shop.Unfiled-Example.cn:443").is_some(), "{label}");
        assert!(set.lookup(OTHER).is_none(), "{label}");
        let nginx = w.reviewer.get("/api/v1/blocklist/files/nginx").await.body.as_str().unwrap().to_owned();
        assert!(
            nginx.contains(&format!("    .{SHOP} 1;\n")) && nginx.contains("map $host $beian_blocked"),
            "{nginx}"
        );
        assert_eq!(
            w.owner.get("/api/v1/blocklist/files/plain").await.status,
            StatusCode::FORBIDDEN,
            "{label}"
        );
        // An edge polling with the tag gets 304 until the list changes.
        let etag = plain.headers.get("etag").expect("an ETag").to_str().unwrap().to_owned();
        let poll = |tag: String| {
            let url = format!("{}/api/v1/blocklist/files/plain", w.provider.base);
            let req = w.reviewer.http.get(url).header("if-none-match", tag);
            async move { req.send().await.unwrap().status() }
        };
        assert_eq!(poll(etag.clone()).await, StatusCode::NOT_MODIFIED, "{label}");

        // An administrator blocks by hand (bad names refused) and lifts a block.
        let r = admin.post("/api/v1/blocklist", json!({ "domain": "bad.example;\n}", "reason": "x" })).await;
        assert_eq!(field_codes(&r), vec![("domain".into(), "DOMAIN_INVALID".into())], "{label}: {}", r.body);
        let r =
            admin.post("/api/v1/blocklist", json!({ "domain": "Manual.Example.NET", "reason": "" })).await;
        assert_eq!(
            field_codes(&r),
            vec![("reason".into(), "BLOCK_REASON_INVALID".into())],
            "{label}: {}",
            r.body
        );
        let r = admin
            .post("/api/v1/blocklist", json!({ "domain": "Manual.Example.NET", "reason": "涉诈" }))
            .await;
        assert_eq!(
            (r.status, &r.body["domain"]),
            (StatusCode::CREATED, &json!("manual.example.net")),
            "{label}"
        );
        assert_eq!(poll(etag.clone()).await, StatusCode::OK, "{label}: the list changed");
        let r =
            w.reviewer.post("/api/v1/blocklist", json!({ "domain": "x.example.net", "reason": "x" })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}: only an administrator");
        let r = admin.call(Method::DELETE, &format!("/api/v1/blocklist/{SHOP}"), None, None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{label}: {}", r.body);
        let r = admin.call(Method::DELETE, &format!("/api/v1/blocklist/{SHOP}"), None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{label}");
        let domains: Vec<String> =
            w.provider.app.store().block_list().await.unwrap().into_iter().map(|b| b.domain).collect();
        assert_eq!(domains, vec!["manual.example.net"], "{label}");

        // The admin page shows the cases and the list.
        let page = admin.get("/admin/unfiled").await;
        let html = page.body.as_str().unwrap_or_default();
        assert!(html.contains(SHOP) && html.contains("manual.example.net"), "{label}: {html}");
        w.validate_miit_files(label).await;
    }
}
