//! The provider's IP address filing, end to end over MIIT's interface V3.0 on both backends: an
//! administrator records where its block comes from and how its pool is used, files the source
//! and then the pool (a pool outside a filed source is refused at once), the bureau files both;
//! an order whose address lies in a pool not filed is refused by the bureau (1063) while one in
//! the filed pool goes through; a source the bureau holds already comes back refused (2003); a
//! withdrawal deletes the records at the bureau. Every file either way matches its XSD.

use crate::common::world::*;
use crate::common::{field_codes, hidden};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn find<'a>(list: &'a Value, cidr: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|x| x["cidr"] == cidr).unwrap_or_else(|| panic!("{cidr} in {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_address_blocks_are_filed_sources_first_and_the_bureau_checks_access_against_them() {
    for (pdb, rdb) in pairs().await {
        let label = pdb.label;
        eprintln!("backend: {label}");
        let w = world_miit(pdb, rdb).await;
        w.settle().await;
        let admin = w.provider.login("admin@example.com").await;
        let pools = admin.get("/api/v1/admin/ip-pools").await.body;
        let pool = find(&pools, "47.96.0.0/11").clone();
        assert_eq!(
            (&pool["filing"], &pool["usage"]),
            (&json!("unreported"), &json!("own_use")),
            "{label}: {pool}"
        );
        let pool_id = pool["id"].as_str().unwrap().to_owned();

        // A pool is filed inside a filed source only.
        let r = admin.post(&format!("/api/v1/admin/ip-pools/{pool_id}/file"), json!({})).await;
        assert_eq!(r.body["code"], "IP_SOURCE_NOT_FILED", "{label}: {}", r.body);
        assert!(r.body.to_string().contains("47.96.0.0/11"), "{label}: names the range: {}", r.body);

        // Sources: bad input refused with its field; the unit comes from the bureau's table.
        let add = |body: Value| admin.post("/api/v1/admin/ip-sources", body);
        let r = add(json!({ "cidr": "47.96.0.0/11", "unit": 999 })).await;
        assert_eq!(field_codes(&r), vec![("unit".into(), "IP_UNIT_UNKNOWN".into())], "{label}: {}", r.body);
        let r = add(json!({ "cidr": "47.96.0.0/11", "unit": MIIT_UNIT })).await;
        assert_eq!(field_codes(&r), vec![("unit".into(), "IP_SOURCE_UNIT_SELF".into())], "{label}");
        let r = add(json!({ "cidr": "47.96.0.0/11", "unit": 100001, "note": "长".repeat(513) })).await;
        assert_eq!(field_codes(&r), vec![("note".into(), "IP_NOTE_INVALID".into())], "{label}");
        let r = add(json!({ "cidr": "10.0.0.0/8", "unit": 100001 })).await;
        assert_eq!(field_codes(&r), vec![("cidr".into(), "CIDR_NOT_PUBLIC".into())], "{label}");
        let r = add(json!({ "cidr": "47.96.0.0/11", "unit": 100001, "note": "电信分配", "extra": 1 })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: an unknown member");
        let r = add(json!({ "cidr": "47.96.0.0/11", "unit": 100001, "note": "电信分配" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        assert_eq!(r.body["unit_name"], "中国电信集团有限公司", "{label}: {}", r.body);
        let source_id = r.body["id"].as_str().unwrap().to_owned();
        let r = add(json!({ "cidr": "47.100.0.0/16", "unit": 100002 })).await;
        assert_eq!(field_codes(&r), vec![("cidr".into(), "IP_RANGE_OVERLAPS".into())], "{label}");
        // Only an administrator changes or files them; only staff read them.
        assert_eq!(w.owner.get("/api/v1/admin/ip-sources").await.status, StatusCode::FORBIDDEN, "{label}");
        let r = w.reviewer.post(&format!("/api/v1/admin/ip-sources/{source_id}/file"), json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{label}");

        // The source, then the pool (its usage said first: own use needs its date).
        let r = admin.post(&format!("/api/v1/admin/ip-sources/{source_id}/file"), json!({})).await;
        assert_eq!(r.body["filing"], "reporting", "{label}: {}", r.body);
        let r = admin.post(&format!("/api/v1/admin/ip-pools/{pool_id}/file"), json!({})).await;
        assert_eq!(
            field_codes(&r),
            vec![("since".into(), "IP_SINCE_REQUIRED".into())],
            "{label}: {}",
            r.body
        );
        let usage = format!("/api/v1/admin/ip-pools/{pool_id}/usage");
        let r = admin.call(Method::PUT, &usage, Some(json!({ "usage": "lent" })), None).await;
        assert_eq!(field_codes(&r), vec![("usage".into(), "IP_USAGE_UNKNOWN".into())], "{label}");
        let r = admin.call(Method::PUT, &usage, Some(json!({ "usage": "reallocated" })), None).await;
        assert_eq!(
            field_codes(&r),
            vec![("allocated_to".into(), "IP_ALLOCATED_TO_REQUIRED".into())],
            "{label}"
        );
        let r = admin
            .call(
                Method::PUT,
                &usage,
                Some(json!({ "usage": "own_use", "method": "static", "since": "2026-11-01" })),
                None,
            )
            .await;
        assert_eq!(
            (&r.body["usage"], &r.body["since"]),
            (&json!("own_use"), &json!("2026-11-01")),
            "{label}: {}",
            r.body
        );
        let r = admin.post(&format!("/api/v1/admin/ip-pools/{pool_id}/file"), json!({})).await;
        assert_eq!(r.body["filing"], "reporting", "{label}: {}", r.body);
        let r = admin.call(Method::PUT, &usage, Some(json!({ "usage": "reserved" })), None).await;
        assert_eq!(r.body["code"], "IP_RECORD_FILED", "{label}: no change while it is being filed");
        let r = admin.call(Method::DELETE, &format!("/api/v1/admin/ip-pools/{pool_id}"), None, None).await;
        assert_eq!(r.body["code"], "IP_RECORD_FILED", "{label}");
        w.settle().await;
        let source = find(&admin.get("/api/v1/admin/ip-sources").await.body, "47.96.0.0/11").clone();
        let pool = find(&admin.get("/api/v1/admin/ip-pools").await.body, "47.96.0.0/11").clone();
        assert_eq!(source["filing"], "filed", "{label}: {source}");
        assert_eq!(pool["filing"], "filed", "{label}: {pool}");
        assert!(source["bureau_id"].is_i64() && pool["bureau_id"].is_i64(), "{label}");

        // A pool the bureau does not hold: the provider takes its addresses, the bureau
        // refuses the access record (1063). An address in the filed pool goes through.
        let r =
            admin.post("/api/v1/admin/ip-pools", json!({ "cidr": "39.96.0.0/16", "note": "新机房" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{label}: {}", r.body);
        let mut elsewhere = sites(&[0]);
        elsewhere[0]["access"]["ips"] = json!(["39.96.0.10"]);
        let (_, refused) = w.file(None, elsewhere).await;
        w.settle().await;
        let o = w.order(&refused).await;
        assert_eq!(o["state"]["state"], "returned", "{label}: {o}");
        assert!(o.to_string().contains("1063"), "{label}: the bureau's code reaches the order: {o}");
        let (_, order) = w.file(None, sites(&[0])).await;
        w.settle().await;
        assert_eq!(w.state(&order).await["state"], "sms_pending", "{label}: in the filed pool");

        // A source the bureau holds already (another record of the same block) comes back
        // refused with its code.
        let r = add(json!({ "cidr": "39.96.0.0/16", "unit": 100002 })).await;
        let other = r.body["id"].as_str().unwrap().to_owned();
        let mut tx = w.regulator.store.begin().await.unwrap();
        beian_store::on!(tx &mut tx, |c| sqlx::query("INSERT INTO reg_miit_ip (isp_id, kind, record, first, last, unit, usage, filed_at) VALUES ($1, 'source', 99, 660602880, 660668415, 100002, NULL, 1)").bind(MIIT_UNIT).execute(c).await.unwrap().rows_affected());
        tx.commit().await.unwrap();
        // Filed from the admin page this time, with its form token.
        let page = admin.get("/admin/pools").await.body.as_str().unwrap_or_default().to_owned();
        for needle in
            ["中国电信集团有限公司 (100001)", "已报备", &format!("/admin/ip-filing/sources/{other}/file")]
        {
            assert!(page.contains(needle), "{label}: {needle} in {page}");
        }
        let token = hidden(&page, "csrf_token");
        let r = crate::common::Client::send(
            admin
                .request(Method::POST, &format!("/admin/ip-filing/sources/{other}/file"))
                .form(&[("csrf_token", token.as_str())]),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{label}: back on the page");
        w.settle().await;
        let s = find(&admin.get("/api/v1/admin/ip-sources").await.body, "39.96.0.0/16").clone();
        assert_eq!(s["filing"], "refused", "{label}: {s}");
        assert!(s["result"].as_str().unwrap().starts_with("2003"), "{label}: {s}");

        // Withdrawing: not the source while its pool is filed; the pool, then the source.
        let r = admin.post(&format!("/api/v1/admin/ip-sources/{source_id}/withdraw"), json!({})).await;
        assert_eq!(r.body["code"], "IP_SOURCE_IN_USE", "{label}: {}", r.body);
        let r = admin.post(&format!("/api/v1/admin/ip-pools/{pool_id}/withdraw"), json!({})).await;
        assert_eq!(r.body["filing"], "withdrawing", "{label}: {}", r.body);
        w.settle().await;
        let r = admin.post(&format!("/api/v1/admin/ip-sources/{source_id}/withdraw"), json!({})).await;
        assert_eq!(r.body["filing"], "withdrawing", "{label}: {}", r.body);
        w.settle().await;
        let source = find(&admin.get("/api/v1/admin/ip-sources").await.body, "47.96.0.0/11").clone();
        let pool = find(&admin.get("/api/v1/admin/ip-pools").await.body, "47.96.0.0/11").clone();
        assert_eq!(
            (&source["filing"], &source["bureau_id"]),
            (&json!("unreported"), &json!(null)),
            "{label}: {source}"
        );
        assert_eq!(pool["filing"], "unreported", "{label}: {pool}");
        let left: i64 = beian_store::on!(store w.regulator.store.store(), |c| sqlx::query_scalar("SELECT COUNT(*) FROM reg_miit_ip WHERE record <> 99").fetch_one(c).await.unwrap());
        assert_eq!(left, 0, "{label}: the bureau holds nothing of it");
        let r = admin.post(&format!("/api/v1/admin/ip-pools/{pool_id}/withdraw"), json!({})).await;
        assert_eq!(r.body["code"], "IP_RECORD_NOT_FILED", "{label}");
        w.validate_miit_files(label).await;
    }
}
