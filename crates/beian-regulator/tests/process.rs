//! The bureau's decisions on both backends: 50 approvals of 50 first filings in one province,
//! run concurrently through two connection pools (two regulator processes on PostgreSQL), get
//! 50 distinct consecutive subject serials; two decisions on one submission — exactly one
//! wins; a reviewer of another province cannot decide.

use std::sync::Arc;

use beian_crypto::Keys;
use beian_regulator::RegulatorStore;
use beian_regulator::bureau::{Account, Role, approve};
use beian_regulator::submissions::{SubmissionKind, SubmissionStatus, receive, transition};
use beian_store::Uuid;
use serde_json::{Value, json};

mod common;

fn zj() -> beian_core::province::ProvinceCode {
    beian_core::province::ProvinceCode::parse("33").unwrap()
}

fn reviewer(province: &str) -> Account {
    Account {
        id: Uuid::nil(),
        username: format!("bureau-{province}"),
        role: Role::Bureau,
        province: beian_core::province::ProvinceCode::parse(province),
    }
}

/// The public example filing, as company number `i` (its own certificate).
fn body(i: usize) -> Vec<u8> {
    let example: Value =
        serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
    let mut order = example["order"].clone();
    order["subject"]["name"] = json!(format!("浙江测试{i}有限公司"));
    order["subject"]["certificate"]["number"] = json!(format!("9133010{i:011}"));
    serde_json::to_vec(&json!({ "submission_id": format!("s-{i}"), "order": order })).unwrap()
}

/// `n` submissions waiting for the bureau.
async fn waiting(reg: &RegulatorStore, keys: &Keys, n: usize) -> Vec<Uuid> {
    submit_waiting(reg, keys, "p", 0..n).await
}

/// Company `i`'s submission from another provider `code`, waiting for the bureau.
async fn waiting_as(reg: &RegulatorStore, keys: &Keys, code: &str, i: usize) -> Uuid {
    submit_waiting(reg, keys, code, i..i + 1).await[0]
}

async fn submit_waiting(
    reg: &RegulatorStore,
    keys: &Keys,
    code: &str,
    companies: std::ops::Range<usize>,
) -> Vec<Uuid> {
    let mut tx = reg.begin().await.unwrap();
    let provider =
        beian_regulator::providers::register(&mut tx, code, code, &"ab".repeat(32), None, 1).await.unwrap();
    let mut ids = Vec::new();
    for i in companies {
        let id = receive(&mut tx, keys, provider, &format!("s-{i}"), SubmissionKind::Icp, zj(), &body(i), 1)
            .await
            .unwrap()
            .id();
        assert!(
            transition(&mut tx, id, SubmissionStatus::SmsPending, SubmissionStatus::BureauReview, 2)
                .await
                .unwrap()
        );
        ids.push(id);
    }
    tx.commit().await.unwrap();
    ids
}

const NOW: i64 = 1_795_831_200_000_000; // 2026-11-28 10:00 +08:00

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_approvals_in_one_province_get_fifty_consecutive_numbers() {
    for (db, reg) in common::stores().await {
        eprintln!("{}", db.label);
        let keys = Arc::new(Keys::generate().unwrap());
        let ids = waiting(&reg, &keys, 50).await;
        let second = match db.store.backend() {
            beian_store::Backend::Postgres => RegulatorStore::connect(&db.url()).await.unwrap(),
            beian_store::Backend::Sqlite => reg.clone(),
        };
        let mut tasks = Vec::new();
        for (i, id) in ids.into_iter().enumerate() {
            let store = if i % 2 == 0 { reg.clone() } else { second.clone() };
            let keys = keys.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let d = approve(&mut tx, &keys, &reviewer("33"), id, NOW).await.unwrap();
                tx.commit().await.unwrap();
                d
            }));
        }
        let mut serials = Vec::new();
        for t in tasks {
            let d = t.await.unwrap();
            let n = d.subject_number.unwrap();
            assert_eq!(d.services[0].number, format!("{n}-1"));
            serials.push(n["浙ICP备2026".len()..n.len() - "号".len()].parse::<u32>().unwrap());
        }
        serials.sort_unstable();
        assert_eq!(serials, (1..=50).collect::<Vec<_>>(), "distinct and consecutive");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_decision_per_submission_and_only_in_the_reviewers_province() {
    for (db, reg) in common::stores().await {
        eprintln!("{}", db.label);
        let keys = Keys::generate().unwrap();
        let id = waiting(&reg, &keys, 1).await[0];
        let mut tx = reg.begin().await.unwrap();
        let e = approve(&mut tx, &keys, &reviewer("44"), id, NOW).await.unwrap_err();
        assert_eq!(e.code(), "SUBMISSION_NOT_FOUND", "another province's submission is not found");
        drop(tx);
        let mut tx = reg.begin().await.unwrap();
        approve(&mut tx, &keys, &reviewer("33"), id, NOW).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = reg.begin().await.unwrap();
        let e = approve(&mut tx, &keys, &reviewer("33"), id, NOW).await.unwrap_err();
        assert_eq!(e.code(), "SUBMISSION_NOT_IN_REVIEW");
        let e = beian_regulator::bureau::reject(
            &mut tx,
            &keys,
            &reviewer("33"),
            beian_regulator::bureau::Desk::Bureau,
            id,
            &[beian_regulator::bureau::Reason { field: "subject.name".into(), reason: "x".into() }],
            NOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "SUBMISSION_NOT_IN_REVIEW");
        drop(tx);
        // Another company filing the same domains: the reviewer's automatic checks say so.
        let other = waiting_as(&reg, &keys, "q", 7).await;
        let review = reg.review(&keys, &reviewer("33"), other).await.unwrap();
        assert_eq!(review.checks.len(), 3, "{:?}", review.checks);
        assert_eq!(review.checks[0].field, "websites[0].domains[0]");
        assert!(review.checks[0].reason.contains("浙ICP备2026000001号-1"), "{:?}", review.checks);
        let mine = reg.review(&keys, &reviewer("33"), id).await.unwrap();
        assert!(mine.checks.is_empty(), "its own domains are no conflict: {:?}", mine.checks);
        let hits = reg
            .query(&beian_regulator::records::Query::SubjectName("浙江测试0有限公司".into()))
            .await
            .unwrap();
        assert_eq!(hits.len(), 3, "the example's three sites are on record: {hits:?}");
        assert_eq!(hits[0].approved_on, "2026-11-28");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_is_per_provider_and_only_the_last_one_leaves_an_empty_shell() {
    use beian_core::model::{Order, OrderKind};
    use beian_regulator::records::apply;
    for (db, reg) in common::stores().await {
        eprintln!("{}", db.label);
        let keys = Keys::generate().unwrap();
        let mut tx = reg.begin().await.unwrap();
        let a =
            beian_regulator::providers::register(&mut tx, "a", "A", &"ab".repeat(32), None, 1).await.unwrap();
        let b =
            beian_regulator::providers::register(&mut tx, "b", "B", &"cd".repeat(32), None, 1).await.unwrap();
        let example: Value =
            serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
        let first: Order = serde_json::from_value(example["order"].clone()).unwrap();
        let filed = apply(&mut tx, &keys, a, &first, NOW).await.unwrap();
        let site = filed.services[0].number.clone();
        assert_eq!(site, "浙ICP备2026000001号-1");

        // 新增接入: provider B hosts the same site too.
        let mut access = first.clone();
        access.kind = OrderKind::NewAccess;
        access.subject.existing_number = filed.subject_number.clone();
        access.websites.truncate(1);
        access.websites[0].existing_number = Some(site.clone());
        apply(&mut tx, &keys, b, &access, NOW).await.unwrap();

        // 取消接入 at A: B still hosts it, so it stays filed.
        let mut cancel = first.clone();
        cancel.kind = OrderKind::CancelAccess;
        cancel.websites.clear();
        cancel.target_numbers = vec![site.clone()];
        let d = apply(&mut tx, &keys, a, &cancel, NOW).await.unwrap();
        assert!(d.empty_shells.is_empty());
        // 取消接入 at B, the last provider: an empty shell.
        let d = apply(&mut tx, &keys, b, &cancel, NOW).await.unwrap();
        assert_eq!(d.empty_shells, vec![site.clone()]);
        tx.commit().await.unwrap();
        assert_eq!(reg.record_status(&site).await.unwrap().as_deref(), Some("empty_shell"));
        assert_eq!(reg.empty_shells(Some(zj())).await.unwrap(), vec![site.clone()]);
        assert!(reg.empty_shells(beian_core::province::ProvinceCode::parse("44")).await.unwrap().is_empty());

        // 变更主体 renames the subject; the public query follows.
        let mut tx = reg.begin().await.unwrap();
        let mut change = first.clone();
        change.kind = OrderKind::ChangeSubject;
        change.subject.existing_number = filed.subject_number.clone();
        change.subject.name = "阿里云计算（浙江）有限公司".into();
        apply(&mut tx, &keys, a, &change, NOW).await.unwrap();
        // A number that is not on file is refused (the decision's transaction then rolls back).
        let mut bogus = cancel.clone();
        bogus.target_numbers = vec!["浙ICP备2026999999号-1".into()];
        assert_eq!(apply(&mut tx, &keys, a, &bogus, NOW).await.unwrap_err().code(), "RECORD_UNKNOWN_NUMBER");
        tx.commit().await.unwrap();
        let hits = reg
            .query(&beian_regulator::records::Query::SubjectName("阿里云计算（浙江）有限公司".into()))
            .await
            .unwrap();
        assert_eq!(hits.len(), 2, "the two sites still filed: {hits:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_policy_approves_after_its_delay_and_not_before() {
    use std::sync::atomic::{AtomicI64, Ordering};
    for (db, reg) in common::stores().await {
        eprintln!("{}", db.label);
        let keys = Arc::new(Keys::generate().unwrap());
        let ids = waiting(&reg, &keys, 1).await;
        let clock = Arc::new(AtomicI64::new(NOW));
        let c = clock.clone();
        let svc = beian_regulator::service::Service::new(
            reg.clone(),
            keys.clone(),
            Arc::new(move || c.load(Ordering::SeqCst)),
        );
        // Off by default.
        assert_eq!(svc.auto_approve().await.unwrap(), 0);
        let svc = svc.with_auto_approve(Some(std::time::Duration::from_secs(30)));
        // It entered review now (a same-status compare-and-set stamps the time).
        let mut tx = reg.begin().await.unwrap();
        assert!(
            transition(&mut tx, ids[0], SubmissionStatus::BureauReview, SubmissionStatus::BureauReview, NOW)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert_eq!(svc.auto_approve().await.unwrap(), 0, "not before the delay");
        clock.fetch_add(31_000_000, Ordering::SeqCst);
        assert_eq!(svc.auto_approve().await.unwrap(), 1);
        assert_eq!(svc.auto_approve().await.unwrap(), 0, "once");
        let audit = reg.audit(10).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "bureau.approve" && a.actor == "demo-auto-approve"));
    }
}

fn officer(province: &str) -> Account {
    Account { role: Role::Psb, username: format!("psb-{province}"), ..reviewer(province) }
}

/// A PSB application (the public example) for a filed site, filed with the police of `area`.
fn psb_body(sid: &str, icp: &str, name: &str, domain: &str, area: &str) -> Vec<u8> {
    let mut app: Value =
        serde_json::from_str(include_str!("../../../docs/examples/psb-application.json")).unwrap();
    app["icp_number"] = json!(icp);
    app["website_name"] = json!(name);
    app["domains"] = json!([domain]);
    app["filing_area"] = json!(area);
    app["subject_name"] = json!("浙江测试0有限公司");
    serde_json::to_vec(&json!({ "submission_id": sid, "application": app })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psb_applications_go_to_their_areas_officers_and_get_numbers_per_area() {
    use beian_regulator::bureau::{Desk, Reason, reject};
    use beian_regulator::psb;
    for (db, reg) in common::stores().await {
        eprintln!("{}", db.label);
        let keys = Keys::generate().unwrap();
        let icp = waiting(&reg, &keys, 1).await[0];
        let mut tx = reg.begin().await.unwrap();
        let filed = approve(&mut tx, &keys, &reviewer("33"), icp, NOW).await.unwrap();
        tx.commit().await.unwrap();
        let site = |i: usize| &filed.services[i];
        let provider = reg.provider("p").await.unwrap().unwrap().0.id;
        let mut tx = reg.begin().await.unwrap();
        let mut ids = Vec::new();
        for (i, area) in ["330106", "330106", "330108"].into_iter().enumerate() {
            let body =
                psb_body(&format!("psb-{i}"), &site(i).number, &site(i).name, &site(i).domains[0], area);
            let id =
                receive(&mut tx, &keys, provider, &format!("psb-{i}"), SubmissionKind::Psb, zj(), &body, NOW)
                    .await
                    .unwrap()
                    .id();
            ids.push(id);
        }
        // One with a domain that is not on the site's record.
        let stray = psb_body("psb-stray", &site(0).number, &site(0).name, "example.org", "330106");
        let stray = receive(&mut tx, &keys, provider, "psb-stray", SubmissionKind::Psb, zj(), &stray, NOW)
            .await
            .unwrap()
            .id();
        tx.commit().await.unwrap();

        assert_eq!(reg.psb_queue(&keys, &officer("33")).await.unwrap().len(), 4);
        assert!(reg.psb_queue(&keys, &officer("44")).await.unwrap().is_empty());
        assert!(reg.bureau_queue(&keys, &reviewer("33")).await.unwrap().is_empty(), "not the bureau's");
        // Each desk's accounts stay at their desk, for ICP orders as for PSB applications.
        assert_eq!(reg.bureau_queue(&keys, &officer("33")).await.unwrap_err().code(), "FORBIDDEN");
        assert_eq!(reg.review(&keys, &officer("33"), icp).await.unwrap_err().code(), "FORBIDDEN");
        assert_eq!(reg.psb_queue(&keys, &reviewer("33")).await.unwrap_err().code(), "FORBIDDEN");
        let e = reg.review(&keys, &reviewer("33"), ids[0]).await.unwrap_err();
        assert_eq!(e.code(), "SUBMISSION_NOT_FOUND", "the bureau's review shows ICP orders only");
        let r = reg.psb_review(&keys, &officer("33"), ids[0]).await.unwrap();
        assert!(r.checks.is_empty(), "{:?}", r.checks);
        assert_eq!(r.application["responsible"]["mobile"], "138****8000", "masked");
        let r = reg.psb_review(&keys, &officer("33"), stray).await.unwrap();
        assert_eq!(r.checks[0].field, "domains[0]", "{:?}", r.checks);

        let mut tx = reg.begin().await.unwrap();
        let e = psb::approve(&mut tx, &keys, &reviewer("33"), ids[0], NOW).await.unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN", "a bureau account is not a PSB officer");
        let e = psb::approve(&mut tx, &keys, &officer("44"), ids[0], NOW).await.unwrap_err();
        assert_eq!(e.code(), "SUBMISSION_NOT_FOUND");
        drop(tx);
        let mut numbers = Vec::new();
        for id in &ids {
            let mut tx = reg.begin().await.unwrap();
            numbers.push(psb::approve(&mut tx, &keys, &officer("33"), *id, NOW).await.unwrap().psb_number);
            tx.commit().await.unwrap();
        }
        assert_eq!(
            numbers,
            ["浙公网安备33010602000001号", "浙公网安备33010602000002号", "浙公网安备33010802000001号"]
        );
        let events = reg.events(ids[0], 0).await.unwrap();
        assert_eq!(events.last().unwrap().detail["psb_number"], "浙公网安备33010602000001号");
        let rec = reg.psb_record(&numbers[0]).await.unwrap().unwrap();
        assert_eq!(
            (rec.icp_number.as_str(), rec.domains.clone()),
            (site(0).number.as_str(), vec![site(0).domains[0].clone()])
        );
        let r = reg.psb_review(&keys, &officer("33"), stray).await.unwrap();
        assert!(
            r.checks.iter().any(|c| c.field == "icp_number" && c.reason.contains(&numbers[0])),
            "{:?}",
            r.checks
        );

        let reasons = [Reason { field: "domains[0]".into(), reason: "不在备案信息中".into() }];
        let mut tx = reg.begin().await.unwrap();
        let e = reject(&mut tx, &keys, &officer("33"), Desk::Bureau, stray, &reasons, NOW).await.unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN", "a PSB officer does not sit at the bureau's desk");
        drop(tx);
        let mut tx = reg.begin().await.unwrap();
        reject(&mut tx, &keys, &officer("33"), Desk::Psb, stray, &reasons, NOW).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(reg.events(stray, 0).await.unwrap().last().unwrap().kind, "rejected");
    }
}
