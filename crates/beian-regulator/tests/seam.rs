//! A signed request from a registered provider verifies against the key in the regulator's
//! database, once: its nonce is recorded there, so a replay is refused — through any pool.

use beian_regulator::RegulatorStore;
use beian_regulator::providers::{prune_nonces, record_nonce, register};
use beian_seam::{Received, SeamError, SigningKey, sign, verify_signature};
use beian_store::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_verify_once_against_the_database() {
    let mut dbs = vec![testing::sqlite_unmigrated().await];
    dbs.extend(testing::postgres(false).await);
    for db in dbs {
        let reg = RegulatorStore::new(db.store.clone());
        reg.migrate().await.unwrap();
        let key_hex = hex::encode([42u8; 32]);
        let mut tx = reg.begin().await.unwrap();
        register(&mut tx, "aliyun", "阿里云计算有限公司", &key_hex, Some("http://127.0.0.1:9/cb"), 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let body = br#"{"submission_id":"s-1"}"#;
        let s = sign(
            "aliyun",
            &SigningKey::from_hex(&key_hex).unwrap(),
            "POST",
            "/api/v1/submissions",
            body,
            1_000,
            "nonce-1",
        );
        let ts = s.timestamp.to_string();
        let got = Received {
            provider: Some(&s.provider),
            timestamp: Some(&ts),
            nonce: Some(&s.nonce),
            signature: Some(&s.signature),
        };
        let found = reg.provider("aliyun").await.unwrap().unwrap();
        assert_eq!(found.0.name, "阿里云计算有限公司");
        let v =
            verify_signature(&got, "POST", "/api/v1/submissions", body, 1_010, |_| Some(&found.1)).unwrap();
        let mut tx = reg.begin().await.unwrap();
        assert!(record_nonce(&mut tx, &v.provider, &v.nonce, v.timestamp).await.unwrap());
        tx.commit().await.unwrap();
        // The same request again: the signature is still good, the nonce is not.
        let again =
            verify_signature(&got, "POST", "/api/v1/submissions", body, 1_020, |_| Some(&found.1)).unwrap();
        let mut tx = reg.begin().await.unwrap();
        assert!(
            !record_nonce(&mut tx, &again.provider, &again.nonce, again.timestamp).await.unwrap(),
            "{}: replay",
            db.label
        );
        drop(tx);
        assert!(reg.provider("stranger").await.unwrap().is_none());
        let err =
            verify_signature(&got, "POST", "/api/v1/submissions", b"tampered", 1_010, |_| Some(&found.1))
                .unwrap_err();
        assert_eq!(err, SeamError::BadSignature);
        let mut tx = reg.begin().await.unwrap();
        assert_eq!(prune_nonces(&mut tx, 2_000).await.unwrap(), 1);
        tx.commit().await.unwrap();
    }
}
