//! Number issue on both backends: formats, per-province and per-year sequences, no gaps after
//! a rollback, one sequence for all service kinds, and 50 concurrent approvals in one province
//! getting 50 distinct consecutive serials — on PostgreSQL through two separate connection
//! pools, as two regulator processes would.

use beian_core::number::ServiceKind;
use beian_core::province::ProvinceCode;
use beian_regulator::RegulatorStore;
use beian_regulator::numbers::{issue_service, issue_subject, next_subject_serial};

mod common;
use common::stores;

fn zj() -> ProvinceCode {
    ProvinceCode::parse("33").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serials_are_per_province_and_year_and_gap_free() {
    for (db, reg) in stores().await {
        eprintln!("{}", db.label);
        let mut tx = reg.begin().await.unwrap();
        let a = issue_subject(&mut tx, zj(), 2026, "阿里云计算有限公司", "enterprise", 1).await.unwrap();
        let b = issue_subject(&mut tx, zj(), 2026, "浙江某公司", "enterprise", 1).await.unwrap();
        let bj =
            issue_subject(&mut tx, ProvinceCode::parse("11").unwrap(), 2026, "北京某公司", "enterprise", 1)
                .await
                .unwrap();
        let next_year = issue_subject(&mut tx, zj(), 2027, "浙江另一公司", "enterprise", 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(a.number.to_string(), "浙ICP备2026000001号");
        assert_eq!(b.number.to_string(), "浙ICP备2026000002号");
        assert_eq!(bj.number.to_string(), "京ICP备2026000001号");
        assert_eq!(next_year.number.to_string(), "浙ICP备2027000001号");
        // Sichuan numbers use 蜀, not 川.
        let mut tx = reg.begin().await.unwrap();
        let sc =
            issue_subject(&mut tx, ProvinceCode::parse("51").unwrap(), 2026, "四川某公司", "enterprise", 1)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(sc.number.to_string(), "蜀ICP备2026000001号");

        // A rolled-back approval gives its serial back.
        let mut tx = reg.begin().await.unwrap();
        assert_eq!(next_subject_serial(&mut tx, zj(), 2026).await.unwrap(), 3);
        drop(tx);
        let mut tx = reg.begin().await.unwrap();
        assert_eq!(next_subject_serial(&mut tx, zj(), 2026).await.unwrap(), 3, "no gap after a rollback");
        tx.commit().await.unwrap();

        // Websites, apps, mini programs and quick apps share the subject's sequence.
        let mut tx = reg.begin().await.unwrap();
        let site = issue_service(&mut tx, a.id, ServiceKind::Website, "阿里云官网", 2).await.unwrap();
        let app = issue_service(&mut tx, a.id, ServiceKind::App, "阿里云", 2).await.unwrap();
        let mini = issue_service(&mut tx, a.id, ServiceKind::MiniProgram, "阿里云小程序", 2).await.unwrap();
        let quick = issue_service(&mut tx, a.id, ServiceKind::QuickApp, "阿里云快应用", 2).await.unwrap();
        tx.commit().await.unwrap();
        let got: Vec<String> = [site, app, mini, quick].iter().map(|n| n.to_string()).collect();
        assert_eq!(
            got,
            [
                "浙ICP备2026000001号-1",
                "浙ICP备2026000001号-2A",
                "浙ICP备2026000001号-3X",
                "浙ICP备2026000001号-4K"
            ]
        );
        let mut tx = reg.begin().await.unwrap();
        assert!(issue_service(&mut tx, beian_store::new_id(), ServiceKind::Website, "x", 3).await.is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_approvals_get_fifty_consecutive_serials() {
    for (db, reg) in stores().await {
        // On PostgreSQL, half the approvals go through a second pool: a second process.
        let second = match db.store.backend() {
            beian_store::Backend::Postgres => RegulatorStore::connect(&db.url()).await.unwrap(),
            beian_store::Backend::Sqlite => reg.clone(),
        };
        let mut tasks = Vec::new();
        for i in 0..50 {
            let r = if i % 2 == 0 { reg.clone() } else { second.clone() };
            tasks.push(tokio::spawn(async move {
                let mut tx = r.begin().await.unwrap();
                let s = issue_subject(
                    &mut tx,
                    ProvinceCode::parse("44").unwrap(),
                    2026,
                    &format!("公司{i}"),
                    "enterprise",
                    1,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                s.number.serial().to_owned()
            }));
        }
        let mut serials = Vec::new();
        for t in tasks {
            serials.push(t.await.unwrap());
        }
        serials.sort();
        let expected: Vec<String> = (1..=50).map(|n| format!("2026{n:06}")).collect();
        assert_eq!(serials, expected, "{}: duplicates or gaps", db.label);
        second.store().close().await;
    }
}
