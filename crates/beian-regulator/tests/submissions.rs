//! Submission intake on both backends: a retry is the same submission, a changed body under
//! the same id is refused, a provider never sees another's submissions, the body is encrypted
//! at rest, withdrawal stops at a decision — and sixteen concurrent retries create one row.

use beian_core::province::ProvinceCode;
use beian_crypto::Keys;
use beian_regulator::RegulatorStore;
use beian_regulator::providers::register;
use beian_regulator::submissions::{
    Intake, SubmissionError, SubmissionStatus, receive, transition, withdraw,
};
use beian_store::{Uuid, on};

mod common;
use common::stores;

async fn two_providers(reg: &RegulatorStore) -> (Uuid, Uuid) {
    let mut tx = reg.begin().await.unwrap();
    let a = register(&mut tx, "aliyun", "阿里云计算有限公司", &"11".repeat(32), None, 1).await.unwrap();
    let b = register(&mut tx, "tencent", "腾讯云计算（北京）有限责任公司", &"22".repeat(32), None, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (a, b)
}

fn zj() -> ProvinceCode {
    ProvinceCode::parse("33").unwrap()
}

const BODY: &[u8] = "{\"subject\":\"杭州某某网络科技有限公司\",\"mobile\":\"13912345678\"}".as_bytes();

async fn receive_one(
    reg: &RegulatorStore,
    keys: &Keys,
    provider: Uuid,
    sid: &str,
    body: &[u8],
) -> Result<Intake, SubmissionError> {
    let mut tx = reg.begin().await.unwrap();
    let r = receive(
        &mut tx,
        keys,
        provider,
        sid,
        beian_regulator::submissions::SubmissionKind::Icp,
        zj(),
        body,
        100,
    )
    .await;
    if r.is_ok() {
        tx.commit().await.unwrap();
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_is_idempotent_private_and_encrypted() {
    let keys = Keys::generate().unwrap();
    for (db, reg) in stores().await {
        let label = db.label;
        let (aliyun, tencent) = two_providers(&reg).await;

        let first = receive_one(&reg, &keys, aliyun, "order-1.try-1", BODY).await.unwrap();
        assert!(matches!(first, Intake::Created(_)), "{label}");
        let again = receive_one(&reg, &keys, aliyun, "order-1.try-1", BODY).await.unwrap();
        assert_eq!(again, Intake::Repeated(first.id()), "{label}: a retry is the same submission");
        let changed = receive_one(&reg, &keys, aliyun, "order-1.try-1", b"{}").await.unwrap_err();
        assert_eq!(changed.code(), "SUBMISSION_CONFLICT", "{label}");
        for bad in ["", "has space", "<script>", &"x".repeat(65), "订单"] {
            let e = receive_one(&reg, &keys, aliyun, bad, BODY).await.unwrap_err();
            assert_eq!(e.code(), "SUBMISSION_ID_INVALID", "{label}: {bad:?}");
        }

        let s = reg.submission(aliyun, "order-1.try-1").await.unwrap().unwrap();
        assert_eq!((s.id, s.status, s.province), (first.id(), SubmissionStatus::SmsPending, zj()));
        // Another provider neither sees it nor can withdraw it, and may use the same id.
        assert!(reg.submission(tencent, "order-1.try-1").await.unwrap().is_none(), "{label}");
        let mut tx = reg.begin().await.unwrap();
        assert_eq!(
            withdraw(&mut tx, tencent, "order-1.try-1", 200).await.unwrap_err().code(),
            "SUBMISSION_NOT_FOUND"
        );
        drop(tx);
        let theirs = receive_one(&reg, &keys, tencent, "order-1.try-1", b"{}").await.unwrap();
        assert!(matches!(theirs, Intake::Created(id) if id != first.id()), "{label}");

        // Encrypted at rest, readable with the key, bound to its row.
        let raw: Vec<u8> = on!(store & db.store, |c| sqlx::query_scalar(
            "SELECT payload FROM reg_submissions WHERE id = $1"
        )
        .bind(first.id())
        .fetch_one(c)
        .await
        .unwrap());
        assert!(!raw.windows(11).any(|w| w == b"13912345678"), "{label}: phone in plaintext");
        assert_eq!(reg.submission_payload(&keys, first.id()).await.unwrap().unwrap(), BODY);
        let other_keys = Keys::generate().unwrap();
        assert_eq!(reg.submission_payload(&other_keys, first.id()).await.unwrap_err().code(), "INTERNAL");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawal_stops_at_a_decision() {
    let keys = Keys::generate().unwrap();
    for (db, reg) in stores().await {
        let label = db.label;
        let (aliyun, _) = two_providers(&reg).await;
        let w = receive_one(&reg, &keys, aliyun, "w", BODY).await.unwrap().id();
        let d = receive_one(&reg, &keys, aliyun, "d", BODY).await.unwrap().id();

        let mut tx = reg.begin().await.unwrap();
        let (s, now) = withdraw(&mut tx, aliyun, "w", 300).await.unwrap();
        assert_eq!((s.id, s.status, s.updated_at, now), (w, SubmissionStatus::Withdrawn, 300, true));
        // Withdrawing twice answers the same; a withdrawn submission cannot move on.
        let (again, now) = withdraw(&mut tx, aliyun, "w", 301).await.unwrap();
        assert_eq!((again.status, now), (SubmissionStatus::Withdrawn, false));
        assert!(
            !transition(&mut tx, w, SubmissionStatus::SmsPending, SubmissionStatus::BureauReview, 302)
                .await
                .unwrap()
        );

        assert!(
            transition(&mut tx, d, SubmissionStatus::SmsPending, SubmissionStatus::BureauReview, 302)
                .await
                .unwrap()
        );
        assert!(
            transition(&mut tx, d, SubmissionStatus::BureauReview, SubmissionStatus::Approved, 303)
                .await
                .unwrap()
        );
        let e = withdraw(&mut tx, aliyun, "d", 304).await.unwrap_err();
        assert!(matches!(e, SubmissionError::Final(SubmissionStatus::Approved)), "{label}: {e:?}");
        assert_eq!(e.code(), "SUBMISSION_FINAL");
        tx.commit().await.unwrap();
        assert_eq!(reg.submission(aliyun, "w").await.unwrap().unwrap().status, SubmissionStatus::Withdrawn);
        assert_eq!(reg.submission(aliyun, "d").await.unwrap().unwrap().status, SubmissionStatus::Approved);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_create_one_submission() {
    let keys = Keys::generate().unwrap();
    for (db, reg) in stores().await {
        let (aliyun, _) = two_providers(&reg).await;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (reg, keys) = (reg.clone(), keys.clone());
                tokio::spawn(async move { receive_one(&reg, &keys, aliyun, "burst", BODY).await.unwrap() })
            })
            .collect();
        let mut created = 0;
        let mut ids = std::collections::HashSet::new();
        for t in tasks {
            let r = t.await.unwrap();
            created += usize::from(matches!(r, Intake::Created(_)));
            ids.insert(r.id());
        }
        assert_eq!((created, ids.len()), (1, 1), "{}", db.label);
    }
}

#[test]
fn status_names_round_trip() {
    for s in SubmissionStatus::ALL {
        assert_eq!(SubmissionStatus::parse(s.as_str()), Some(s));
    }
    assert_eq!(SubmissionStatus::parse("APPROVED"), None);
}
