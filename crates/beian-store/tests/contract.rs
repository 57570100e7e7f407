//! The store contract: every test runs against SQLite, and against PostgreSQL when
//! `BEIAN_TEST_DATABASE_URL` is set. Both backends must behave identically.

use std::collections::BTreeSet;

use beian_store::testing::{self, TestStore};
use beian_store::*;

/// Runs `body` once per configured backend.
macro_rules! contract {
    ($name:ident, |$s:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for db in testing::all().await {
                let $s: &Store = &db.store;
                eprintln!("{}: {}", stringify!($name), db.label);
                $body
            }
        }
    };
}

fn account(email: &str) -> AccountRow {
    AccountRow {
        id: new_id(),
        email: email.into(),
        display_name: "张三".into(),
        password_hash: "$argon2id$test".into(),
        role: "applicant".into(),
        disabled: false,
        created_at: 1,
    }
}

async fn with_account(s: &Store, email: &str) -> AccountRow {
    let a = account(email);
    let mut tx = s.begin().await.unwrap();
    tx.insert_account(&a).await.unwrap();
    tx.commit().await.unwrap();
    a
}

fn subject(owner: Uuid, nature: &str, cert: &[u8]) -> SubjectRow {
    SubjectRow {
        id: new_id(),
        owner_id: owner,
        nature: nature.into(),
        name: "阿里云计算有限公司".into(),
        province: "33".into(),
        cert_index: cert.to_vec(),
        data: vec![1, 2, 3],
        filed_number: None,
        version: 1,
        created_at: 1,
        updated_at: 1,
    }
}

fn order(owner: Uuid, subject: Uuid, state: &str, submitted_at: Option<i64>, open: bool) -> OrderRow {
    OrderRow {
        id: new_id(),
        owner_id: owner,
        subject_id: subject,
        kind: "first_filing".into(),
        province: "33".into(),
        state: state.into(),
        state_data: format!("{{\"state\":\"{state}\"}}"),
        data: vec![9; 16],
        findings: "[]".into(),
        review_findings: "[]".into(),
        reviewer_id: None,
        open,
        version: 1,
        created_at: 1,
        updated_at: 1,
        submitted_at,
        stage_since: 1,
    }
}

contract!(accounts_sessions_tokens, |s| {
    let a = with_account(s, "a@example.com").await;
    assert_eq!(s.account_by_email("a@example.com").await.unwrap().unwrap(), a);
    assert!(s.account_by_email("b@example.com").await.unwrap().is_none());
    let mut tx = s.begin().await.unwrap();
    let dup = tx.insert_account(&account("a@example.com")).await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{dup:?}");
    drop(tx);

    let mut tx = s.begin().await.unwrap();
    tx.insert_session(&SessionRow {
        token_hash: vec![7; 32],
        account_id: a.id,
        csrf_token: "c".into(),
        created_at: 1,
        expires_at: 100,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.session(&[7; 32], 50).await.unwrap().unwrap().1.id, a.id);
    assert!(s.session(&[7; 32], 100).await.unwrap().is_none(), "expired sessions are not returned");
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.delete_expired_sessions(100).await.unwrap(), 1);
    tx.commit().await.unwrap();

    let t = ApiTokenRow {
        id: new_id(),
        account_id: a.id,
        name: "ci".into(),
        token_hash: vec![8; 32],
        created_at: 1,
        last_used_at: None,
        revoked: false,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_api_token(&t).await.unwrap();
    tx.commit().await.unwrap();
    let (found, acct) = s.api_token(&[8; 32], 42).await.unwrap().unwrap();
    assert_eq!((found.last_used_at, acct.id), (Some(42), a.id));
    let mut tx = s.begin().await.unwrap();
    assert!(tx.revoke_api_token(t.id, a.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(s.api_token(&[8; 32], 43).await.unwrap().is_none());
});

contract!(subjects_versioning_and_individual_uniqueness, |s| {
    let a = with_account(s, "owner@example.com").await;
    let one = subject(a.id, "individual", b"cert-1");
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&one).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let again = tx.insert_subject(&subject(a.id, "individual", b"cert-1")).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "one person, one individual subject: {again:?}"
    );
    drop(tx);
    // Companies may share the index value with nothing special: the rule is only for individuals.
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&subject(a.id, "enterprise", b"cert-2")).await.unwrap();
    tx.insert_subject(&subject(a.id, "enterprise", b"cert-2")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.subjects_by_cert_index(b"cert-2").await.unwrap().len(), 2);

    let mut changed = one.clone();
    changed.name = "李雷".into();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_subject(&changed, 1).await.unwrap());
    assert!(!tx.update_subject(&changed, 1).await.unwrap(), "stale version must lose");
    tx.commit().await.unwrap();
    let now = s.subject(one.id).await.unwrap().unwrap();
    assert_eq!((now.name.as_str(), now.version), ("李雷", 2));
    let page = s.subjects_of(a.id, None, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    let rest = s.subjects_of(a.id, Some(page[1].id), 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert!(page[0].id > page[1].id && page[1].id > rest[0].id);
});

contract!(orders_open_uniqueness_versioning_and_queue, |s| {
    let a = with_account(s, "o@example.com").await;
    let subj = subject(a.id, "enterprise", b"c");
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&subj).await.unwrap();
    tx.commit().await.unwrap();

    let first = order(a.id, subj.id, "draft", None, true);
    let mut tx = s.begin().await.unwrap();
    tx.insert_order(&first).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    let second = tx.insert_order(&order(a.id, subj.id, "draft", None, true)).await;
    assert!(matches!(second, Err(StoreError::Conflict { .. })), "one open order per subject: {second:?}");
    drop(tx);
    assert_eq!(s.open_order_of_subject(subj.id).await.unwrap(), Some(first.id));

    let mut u = OrderUpdate::from(&first);
    u.state = "submitted".into();
    u.submitted_at = Some(10);
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_order(first.id, 1, &u).await.unwrap());
    assert!(!tx.update_order(first.id, 1, &u).await.unwrap(), "two writers cannot both win");
    tx.insert_order_event(&OrderEventRow {
        id: new_id(),
        order_id: first.id,
        at: 10,
        actor_id: Some(a.id),
        actor_role: "applicant".into(),
        event: "submit".into(),
        from_state: "draft".into(),
        to_state: "submitted".into(),
        detail: "{}".into(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.order(first.id).await.unwrap().unwrap().version, 2);
    assert_eq!(s.order_events(first.id).await.unwrap().len(), 1);

    // A closed order frees the subject for the next one.
    let mut closed = u.clone();
    closed.open = false;
    closed.state = "withdrawn".into();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_order(first.id, 2, &closed).await.unwrap());
    tx.insert_order(&order(a.id, subj.id, "draft", None, true)).await.unwrap();
    tx.commit().await.unwrap();

    // Queue: 25 submitted orders over several subjects, paged 10 at a time in (submitted_at, id) order.
    let mut expected = Vec::new();
    let mut tx = s.begin().await.unwrap();
    for i in 0..25 {
        let subj = subject(a.id, "enterprise", b"q");
        tx.insert_subject(&subj).await.unwrap();
        let mut o = order(a.id, subj.id, "submitted", Some(1000 + (i % 5)), true);
        if i % 2 == 1 {
            o.province = "11".into();
        }
        if i % 5 == 0 {
            o.reviewer_id = Some(a.id);
        }
        tx.insert_order(&o).await.unwrap();
        expected.push((o.submitted_at.unwrap(), o.id));
    }
    tx.commit().await.unwrap();
    expected.sort();
    let filter = QueueFilter { state: "submitted".into(), ..Default::default() };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.review_queue(&filter, cursor, 10).await.unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().map(|o| (o.submitted_at.unwrap(), o.id));
        seen.extend(page.iter().map(|o| (o.submitted_at.unwrap(), o.id)));
    }
    assert_eq!(seen, expected);
    // A page says which of its orders the bureau's blacklists flagged.
    let flagged = expected[3].1;
    let mut tx = s.begin().await.unwrap();
    let flag = OrderFlagRow {
        order_id: flagged,
        code: "SUBJECT_BLACKLISTED".into(),
        target: String::new(),
        reason: String::new(),
        flagged_at: 1,
    };
    assert!(tx.flag_order(&flag).await.unwrap());
    tx.commit().await.unwrap();
    let page = s.review_queue(&filter, None, 10).await.unwrap();
    assert_eq!(page.iter().filter(|o| o.flagged).map(|o| o.id).collect::<Vec<_>>(), [flagged]);
    let n = expected.len() as i64;
    // The queue's orders, the second draft, the withdrawn first order, none filed.
    let states = ["submitted", "draft", "withdrawn", "filed"];
    assert_eq!(s.count_in_states(&states, 1000).await.unwrap(), [n, 1, 1, 0]);
    assert_eq!(
        s.count_in_states(&["filed", "submitted"], 3).await.unwrap(),
        [0, 3],
        "counting stops at the cap"
    );
    assert_eq!(s.count_in_states(&[], 3).await.unwrap(), Vec::<i64>::new());
    let bj = QueueFilter { state: "submitted".into(), province: Some("11".into()), ..Default::default() };
    assert_eq!(s.review_queue(&bj, None, 100).await.unwrap().len(), 12);
    let old = QueueFilter { state: "submitted".into(), submitted_before: Some(1002), ..Default::default() };
    assert_eq!(s.review_queue(&old, None, 100).await.unwrap().len(), 10);
    // A reviewer's own claims, each row as written.
    let mine = QueueFilter { state: "submitted".into(), reviewer: Some(a.id), ..Default::default() };
    let claimed = s.review_queue(&mine, None, 100).await.unwrap();
    assert_eq!(claimed.len(), 5);
    for o in &claimed {
        assert_eq!(o.reviewer_id, Some(a.id));
        assert_eq!(
            (o.kind.as_str(), o.state.as_str(), o.version, o.stage_since),
            ("first_filing", "submitted", 1, 1)
        );
        assert_eq!(o.subject_name, "阿里云计算有限公司");
        assert!(expected.contains(&(o.submitted_at.unwrap(), o.id)));
        assert!(!o.flagged || o.id == flagged);
    }
    let page = s.orders_of(a.id, None, 5).await.unwrap();
    assert_eq!(page.len(), 5);
    assert!(page.windows(2).all(|w| w[0].id > w[1].id));
});

contract!(the_queue_finds_subjects_by_a_piece_of_their_name_after_a_rename_too, |s| {
    let a = with_account(s, "search@example.com").await;
    let names = ["阿里云计算有限公司", "腾讯云计算（北京）有限责任公司", "100%_A\\B 科技", "京"];
    let mut ids = Vec::new();
    let mut tx = s.begin().await.unwrap();
    for (i, name) in names.iter().enumerate() {
        let subj = SubjectRow { name: (*name).into(), ..subject(a.id, "enterprise", b"s") };
        tx.insert_subject(&subj).await.unwrap();
        tx.insert_order(&order(a.id, subj.id, "submitted", Some(2000 + i as i64), true)).await.unwrap();
        ids.push(subj);
    }
    tx.commit().await.unwrap();
    let find = |text: &str| QueueFilter {
        state: "submitted".into(),
        subject_contains: Some(text.into()),
        ..Default::default()
    };
    let count = |text: &'static str| {
        let f = find(text);
        async move { s.review_queue(&f, None, 100).await.unwrap().len() }
    };
    assert_eq!(count("云计算").await, 2);
    assert_eq!(count("阿里").await, 1);
    assert_eq!(count("有限责任").await, 1);
    assert_eq!(count("京").await, 2, "one character: no piece, the stage is walked");
    assert_eq!(count("0%_A").await, 1, "LIKE wildcards are taken literally");
    assert_eq!(count("%").await, 1);
    assert_eq!(count("百度").await, 0);
    // A rename moves the pieces with the name.
    let renamed =
        SubjectRow { name: "百度在线网络技术（北京）有限公司".into(), ..ids[0].clone() };
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_subject(&renamed, 1).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(count("阿里").await, 0);
    assert_eq!(count("百度").await, 1);
});

contract!(bulk_inserts_write_the_same_rows_as_one_by_one, |s| {
    let a = with_account(s, "bulk@example.com").await;
    // More rows than one statement takes, so the chunking is crossed.
    let subjects: Vec<SubjectRow> = (0..2_500)
        .map(|i| SubjectRow {
            name: format!("批量{i}科技有限公司"), ..subject(a.id, "enterprise", b"b")
        })
        .collect();
    let orders: Vec<OrderRow> = subjects
        .iter()
        .enumerate()
        .map(|(i, sj)| order(a.id, sj.id, "submitted", Some(10_000 + i as i64), true))
        .collect();
    let mut tx = s.begin().await.unwrap();
    tx.insert_subjects(&subjects).await.unwrap();
    tx.insert_orders(&orders).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.order(orders[2_345].id).await.unwrap().unwrap(), orders[2_345]);
    assert_eq!(s.subject(subjects[1_999].id).await.unwrap().unwrap(), subjects[1_999]);
    // The name pieces are written too: the queue finds a subject by a piece of its name.
    let f = QueueFilter {
        state: "submitted".into(),
        subject_contains: Some("批量2345科".into()),
        ..Default::default()
    };
    let found = s.review_queue(&f, None, 10).await.unwrap();
    assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), [orders[2_345].id]);
    // A failed bulk insert (a duplicate id) leaves nothing of its transaction.
    let dup = vec![orders[0].clone()];
    let mut tx = s.begin().await.unwrap();
    tx.insert_subjects(&[SubjectRow {
        name: "重复有限公司".into(), ..subject(a.id, "enterprise", b"d")
    }])
    .await
    .unwrap();
    assert!(tx.insert_orders(&dup).await.is_err());
    drop(tx);
    let f = QueueFilter { subject_contains: Some("重复".into()), ..f };
    assert!(s.review_queue(&f, None, 10).await.unwrap().is_empty());
});

contract!(a_bulk_load_builds_what_it_dropped_again_and_keeps_unique_indexes, |s| {
    let a = with_account(s, "bulk-load@example.com").await;
    let tables = ["subjects", "subject_name_grams", "orders"];
    let deferred = s.defer_indexes(&tables).await.unwrap();
    let names = |d: &DeferredIndexes| -> BTreeSet<String> { d.statements().map(str::to_owned).collect() };
    let dropped = names(&deferred);
    assert!(dropped.iter().any(|d| d.contains("orders_queue")), "{dropped:?}");
    assert!(dropped.iter().all(|d| !d.contains("orders_one_open") && !d.to_uppercase().contains("UNIQUE")));
    // PostgreSQL checks foreign keys row by row: they are added again in one pass at the end.
    if s.backend() == Backend::Postgres {
        assert!(
            dropped.iter().any(|d| d.contains("FOREIGN KEY (subject_id) REFERENCES subjects")),
            "{dropped:?}"
        );
    }
    // While they are gone the unique ones still hold: one open order per subject.
    let sj = subject(a.id, "enterprise", b"k");
    let mut tx = s.begin().await.unwrap();
    tx.insert_subjects(std::slice::from_ref(&sj)).await.unwrap();
    tx.insert_orders(&[order(a.id, sj.id, "submitted", Some(5), true)]).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.insert_orders(&[order(a.id, sj.id, "submitted", Some(6), true)]).await.is_err());
    drop(tx);
    s.finish_bulk_load(deferred).await.unwrap();
    // Built again, the same: a second deferral finds the same plain indexes.
    let again = s.defer_indexes(&tables).await.unwrap();
    assert_eq!(names(&again), dropped);
    s.finish_bulk_load(again).await.unwrap();
    let f = QueueFilter { state: "submitted".into(), ..Default::default() };
    assert_eq!(s.review_queue(&f, None, 10).await.unwrap().len(), 1);
});

/// `beian bench-seed`'s SQLite loader writes the rows the service's own writers would: read
/// back through the store they are the same, and the name search finds them by their pieces.
/// A bulk loader's rows read back through the store as they were written, and the name
/// search finds the first two orders (submitted) by a piece of their subjects' name.
async fn reads_back(s: &Store, subjects: &[SubjectRow], orders: &[OrderRow]) {
    for sj in subjects {
        assert_eq!(s.subject(sj.id).await.unwrap().as_ref(), Some(sj));
    }
    for o in orders {
        assert_eq!(s.order(o.id).await.unwrap().as_ref(), Some(o));
    }
    let f = QueueFilter {
        state: "submitted".into(),
        subject_contains: Some("云计".into()),
        ..Default::default()
    };
    let found: BTreeSet<Uuid> = s.review_queue(&f, None, 10).await.unwrap().iter().map(|r| r.id).collect();
    assert_eq!(found, orders[..2].iter().map(|o| o.id).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_bulk_loader_writes_what_the_store_reads() {
    let path = std::env::temp_dir().join(format!("beian-bulk-{}.db", new_id()));
    let bulk = Store::connect_sqlite_bulk(&path).await.unwrap();
    bulk.migrate().await.unwrap();
    let a = with_account(&bulk, "bulk-loader@example.com").await;
    let deferred = bulk.defer_indexes(&["subjects", "subject_name_grams", "orders"]).await.unwrap();
    let subjects: Vec<SubjectRow> = (0..3).map(|i| subject(a.id, "enterprise", &[i])).collect();
    let mut orders: Vec<OrderRow> =
        subjects.iter().map(|sj| order(a.id, sj.id, "submitted", Some(5), true)).collect();
    orders[1].reviewer_id = Some(a.id);
    orders[2] = order(a.id, subjects[2].id, "draft", None, false);
    let mut loader = bulk::SqliteBulkLoader::open(&path).unwrap();
    loader.insert(&subjects, &orders).unwrap();
    // The same id twice is refused, as the primary key says.
    assert!(loader.insert(&subjects[..1], &[]).is_err());
    drop(loader);
    bulk.finish_bulk_load(deferred).await.unwrap();
    bulk.close().await;

    let s = Store::connect_sqlite(&path).await.unwrap();
    reads_back(&s, &subjects, &orders).await;
    s.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_bulk_loader_writes_what_the_store_reads() {
    let Some(db) = testing::postgres(true).await else { return };
    let s = &db.store;
    let a = with_account(s, "pg-bulk-loader@example.com").await;
    let deferred = s.defer_indexes(&["subjects", "subject_name_grams", "orders"]).await.unwrap();
    let mut subjects: Vec<SubjectRow> = (0..3).map(|i| subject(a.id, "enterprise", &[i])).collect();
    subjects[1].filed_number = Some("浙ICP备2026000001号".into());
    subjects[2].name = "杭州\\\t\n'\"测试\"有限公司".into();
    let mut orders: Vec<OrderRow> =
        subjects.iter().map(|sj| order(a.id, sj.id, "submitted", Some(5), true)).collect();
    orders[1].reviewer_id = Some(a.id);
    orders[1].data = (0..=255).collect();
    orders[2] = order(a.id, subjects[2].id, "draft", None, false);
    let mut loader = pg_copy::PgBulkLoader::open(s).await.unwrap().expect("a PostgreSQL store");
    loader.insert(&subjects, &orders).await.unwrap();
    // The same id twice is refused, as the primary key says, and nothing of that batch stays.
    let extra = subject(a.id, "enterprise", b"extra");
    assert!(loader.insert(&[extra.clone(), subjects[0].clone()], &[]).await.is_err());
    loader.insert(&[], &[]).await.unwrap();
    drop(loader);
    s.finish_bulk_load(deferred).await.unwrap();
    // The name pieces' primary key, dropped for the load, is back.
    let Store::Postgres(pool) = s else { unreachable!() };
    let keys: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'subject_name_grams'::regclass AND contype IN ('p', 'f')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(keys, 2);
    assert_eq!(s.subject(extra.id).await.unwrap(), None);
    reads_back(s, &subjects, &orders).await;
    let f =
        QueueFilter { state: "draft".into(), subject_contains: Some("测试".into()), ..Default::default() };
    assert_eq!(s.review_queue(&f, None, 10).await.unwrap().len(), 1);
}

contract!(an_orders_latest_submission_is_the_newest_link, |s| {
    let a = with_account(s, "links@example.com").await;
    let sj = subject(a.id, "enterprise", b"links");
    let (o, other) =
        (order(a.id, sj.id, "submitted", Some(5), true), order(a.id, sj.id, "filed", Some(5), false));
    let link = |submission: &str, created_at: i64, filing: Option<&str>| RegulatorLinkRow {
        submission_id: submission.into(),
        order_id: o.id,
        applied_seq: 0,
        filing: filing.map(str::to_owned),
        created_at,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&sj).await.unwrap();
    tx.insert_orders(&[o.clone(), other.clone()]).await.unwrap();
    assert!(tx.insert_regulator_link(&link("first", 10, None)).await.unwrap());
    assert!(tx.insert_regulator_link(&link("second", 20, Some("{\"n\":1}"))).await.unwrap());
    tx.commit().await.unwrap();
    // Read outside a transaction (on SQLite on the calling thread), as an order's view does.
    assert_eq!(s.latest_regulator_link(o.id).await.unwrap(), Some(link("second", 20, Some("{\"n\":1}"))));
    assert_eq!(s.latest_regulator_link(other.id).await.unwrap(), None);
});

contract!(dropped_transaction_writes_nothing, |s| {
    let mut tx = s.begin().await.unwrap();
    tx.insert_account(&account("ghost@example.com")).await.unwrap();
    tx.enqueue(
        &NewJob { kind: "k".into(), payload: "{}".into(), run_at: 0, max_attempts: 3, dedup_key: None },
        0,
    )
    .await
    .unwrap();
    drop(tx);
    assert!(s.account_by_email("ghost@example.com").await.unwrap().is_none());
    assert!(s.pending_jobs().await.unwrap().is_empty());
});

contract!(jobs_lease_retry_dead_letter_and_dedup, |s| {
    let job = |key: Option<&str>| NewJob {
        kind: "mail".into(),
        payload: "{\"id\":1}".into(),
        run_at: 10,
        max_attempts: 2,
        dedup_key: key.map(str::to_owned),
    };
    let mut tx = s.begin().await.unwrap();
    assert!(tx.enqueue(&job(Some("crawl:2026-11-28")), 1).await.unwrap());
    assert!(!tx.enqueue(&job(Some("crawl:2026-11-28")), 1).await.unwrap(), "deduplicated");
    tx.commit().await.unwrap();

    assert!(s.claim_job("w1", 5, 100).await.unwrap().is_none(), "not due yet");
    let j = s.claim_job("w1", 10, 100).await.unwrap().unwrap();
    assert_eq!((j.attempts, j.locked_by.as_deref()), (1, Some("w1")));
    assert!(s.claim_job("w2", 50, 150).await.unwrap().is_none(), "leased");
    // The lease runs out (worker crashed): another worker gets it.
    let j2 = s.claim_job("w2", 101, 200).await.unwrap().unwrap();
    assert_eq!((j2.id, j2.attempts), (j.id, 2));
    assert!(!s.complete_job(j.id, "w1").await.unwrap(), "w1 lost its lease");
    s.fail_job(j.id, "w2", "smtp down", None).await.unwrap();
    let dead = s.dead_jobs(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("smtp down"));
    let mut tx = s.begin().await.unwrap();
    assert!(tx.revive_job(j.id, 300).await.unwrap());
    tx.commit().await.unwrap();
    let again = s.claim_job("w3", 300, 400).await.unwrap().unwrap();
    s.fail_job(again.id, "w3", "try later", Some(350)).await.unwrap();
    assert!(s.claim_job("w3", 320, 400).await.unwrap().is_none(), "backoff");
    let back = s.claim_job("w3", 350, 450).await.unwrap().unwrap();
    assert_eq!(s.release_jobs("w3").await.unwrap(), 1, "shutdown releases held jobs");
    let after_release = s.claim_job("w4", 351, 450).await.unwrap().unwrap();
    assert_eq!(after_release.attempts, back.attempts, "a released job does not use up an attempt");
    assert!(s.complete_job(after_release.id, "w4").await.unwrap());
    assert!(s.pending_jobs().await.unwrap().is_empty());
});

contract!(waking_brings_forward_only_jobs_in_backoff, |s| {
    let job = |kind: &str, run_at: i64| NewJob {
        kind: kind.into(),
        payload: "{}".into(),
        run_at,
        max_attempts: 5,
        dedup_key: None,
    };
    let mut tx = s.begin().await.unwrap();
    // One delivery fails and waits out its backoff; one is merely scheduled for later (an
    // upload waiting for the bureau's hours); one of another kind fails too.
    tx.enqueue(&job("deliver", 10), 1).await.unwrap();
    tx.enqueue(&job("deliver", 10_000), 1).await.unwrap();
    tx.enqueue(&job("mail", 10), 1).await.unwrap();
    tx.commit().await.unwrap();
    for w in ["w1", "w2"] {
        let j = s.claim_job(w, 10, 20).await.unwrap().unwrap();
        s.fail_job(j.id, w, "connection refused", Some(5_000)).await.unwrap();
    }
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.wake_jobs("deliver", 100).await.unwrap(), 1, "only the failed delivery");
    tx.commit().await.unwrap();
    let due: Vec<String> =
        s.pending_jobs().await.unwrap().into_iter().filter(|j| j.run_at <= 100).map(|j| j.kind).collect();
    assert_eq!(due, ["deliver"]);
    let scheduled = s.pending_jobs().await.unwrap().into_iter().filter(|j| j.run_at == 10_000).count();
    assert_eq!(scheduled, 1, "the scheduled one keeps its time");
    // The queue's figures per kind (the metrics endpoint).
    let stats = s.job_stats().await.unwrap();
    let deliver = stats.iter().find(|j| j.kind == "deliver").unwrap();
    assert_eq!((deliver.pending, deliver.failing, deliver.dead, deliver.oldest_run_at), (2, 1, 0, Some(100)));
    let mail = stats.iter().find(|j| j.kind == "mail").unwrap();
    assert_eq!((mail.pending, mail.failing, mail.oldest_run_at), (1, 1, Some(5_000)));
    assert_eq!(s.oldest_in_state("queued_for_regulator").await.unwrap(), None);
    assert_eq!(s.unfiled_psb_counts("2026-11-01").await.unwrap(), (0, 0));
    assert!(s.latest_scan_verdicts().await.unwrap().is_empty());
});

contract!(concurrent_claims_never_share_a_job, |s| {
    let mut tx = s.begin().await.unwrap();
    for i in 0..40 {
        tx.enqueue(
            &NewJob {
                kind: "k".into(),
                payload: format!("{{\"n\":{i}}}"),
                run_at: 0,
                max_attempts: 3,
                dedup_key: None,
            },
            0,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = s.claim_job(&format!("w{w}"), 1, 1_000_000).await.unwrap() {
                got.push(j.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40);
    assert_eq!(distinct.len(), 40, "a job was claimed twice");
});

contract!(audit_idempotency_rate_limits_settings_pools_messages, |s| {
    let a = with_account(s, "x@example.com").await;
    let mut tx = s.begin().await.unwrap();
    for action in ["order.create", "order.submit"] {
        tx.audit(
            &NewAudit {
                actor_id: Some(a.id),
                actor_role: "applicant".into(),
                action: action.into(),
                object_type: "order".into(),
                object_id: "o1".into(),
                detail: "{}".into(),
                ..Default::default()
            },
            5,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    s.audit(
        &NewAudit {
            actor_role: "system".into(),
            action: "job.run".into(),
            object_type: "job".into(),
            object_id: "j".into(),
            detail: "{}".into(),
            ..Default::default()
        },
        6,
    )
    .await
    .unwrap();
    let all = s.audit_events(None, None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["order.create", "order.submit", "job.run"]
    );
    assert_eq!(s.audit_events(Some(("order", "o1")), None, 10).await.unwrap().len(), 2);
    assert_eq!(s.audit_events(None, Some(all[0].id), 10).await.unwrap().len(), 2);

    // A key is reserved once; a duplicate sees it running, then its answer; a reservation
    // whose lease ran out is taken over; a released key is free again.
    const HASHES: [[u8; 1]; 10] = [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]];
    let reserve = |key: &'static str, hash: usize, now: i64| {
        s.reserve_idempotency(a.id, key, &HASHES[hash], now, now + 10)
    };
    assert_eq!(reserve("key-1", 1, 1).await.unwrap(), Reservation::Reserved);
    assert_eq!(reserve("key-1", 1, 2).await.unwrap(), Reservation::Running { request_hash: vec![1] });
    assert!(s.finish_idempotency(a.id, "key-1", &[1], 201, b"{}", 3).await.unwrap());
    assert!(!s.finish_idempotency(a.id, "key-1", &[1], 201, b"{}", 3).await.unwrap());
    assert_eq!(
        reserve("key-1", 1, 4).await.unwrap(),
        Reservation::Done(IdempotencyRow {
            request_hash: vec![1],
            status: 201,
            body: b"{}".to_vec(),
            created_at: 3
        })
    );
    assert_eq!(reserve("key-2", 7, 1).await.unwrap(), Reservation::Reserved);
    assert_eq!(reserve("key-2", 8, 11).await.unwrap(), Reservation::Running { request_hash: vec![7] });
    assert_eq!(reserve("key-2", 8, 12).await.unwrap(), Reservation::Reserved, "lease ran out: taken over");
    assert!(
        !s.finish_idempotency(a.id, "key-2", &[7], 201, b"{}", 13).await.unwrap(),
        "the old holder lost it"
    );
    s.release_idempotency(a.id, "key-2", &[8]).await.unwrap();
    assert_eq!(reserve("key-2", 9, 14).await.unwrap(), Reservation::Reserved);

    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.rate_limit_hit("login:1.2.3.4", 60).await.unwrap(), 1);
    assert_eq!(tx.rate_limit_hit("login:1.2.3.4", 60).await.unwrap(), 2);
    assert_eq!(tx.rate_limit_hit("login:1.2.3.4", 120).await.unwrap(), 1);
    assert_eq!(tx.rate_limit_add("upload-bytes:a", 0, 7_000_000).await.unwrap(), 7_000_000);
    assert_eq!(tx.rate_limit_add("upload-bytes:a", 0, 3_000_000_000).await.unwrap(), 3_007_000_000);
    assert!(tx.put_setting("provider_profile", "{}", 0, 1).await.unwrap());
    assert!(!tx.put_setting("provider_profile", "{}", 0, 1).await.unwrap());
    assert!(tx.put_setting("provider_profile", "{\"name\":1}", 1, 2).await.unwrap());
    assert!(!tx.put_setting("provider_profile", "{}", 1, 3).await.unwrap(), "stale version");
    let pool = tx.insert_ip_pool("47.96.0.0/11", "hangzhou", 1).await.unwrap();
    tx.commit().await.unwrap();
    // After an error a transaction is finished (PostgreSQL aborts it): use a fresh one.
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(tx.insert_ip_pool("47.96.0.0/11", "again", 1).await, Err(StoreError::Conflict { .. })));
    drop(tx);
    assert_eq!(s.setting("provider_profile").await.unwrap().unwrap().version, 2);
    assert_eq!(s.ip_pools().await.unwrap().len(), 1);
    let mut tx = s.begin().await.unwrap();
    assert!(tx.delete_ip_pool(pool).await.unwrap());
    let m = MessageRow {
        id: new_id(),
        channel: "sms".into(),
        recipient: vec![1, 2],
        recipient_masked: "138****8000".into(),
        recipient_index: Some(vec![9]),
        subject: String::new(),
        body: "code 123456".into(),
        status: "queued".into(),
        created_at: 1,
        sent_at: None,
        error: None,
    };
    tx.insert_message(&m).await.unwrap();
    tx.commit().await.unwrap();
    s.mark_message(m.id, "sent", Some(2), None).await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.count_messages_to("sms", &[9], 0).await.unwrap(), 1);
    assert_eq!(tx.count_messages_to("sms", &[9], 2).await.unwrap(), 0);
    assert_eq!(tx.count_messages_to("sms", &[8], 0).await.unwrap(), 0);
    drop(tx);
    let listed = s.messages("sms", None, 10).await.unwrap();
    assert_eq!((listed.len(), listed[0].status.as_str()), (1, "sent"));
});

#[tokio::test]
async fn schema_status_tracks_migrations() {
    let mut stores: Vec<TestStore> = vec![testing::sqlite_unmigrated().await];
    stores.extend(testing::postgres(false).await);
    for db in stores {
        let s = &db.store;
        assert!(matches!(s.schema_status().await.unwrap(), SchemaStatus::Behind { .. }), "{}", db.label);
        let e = s.ensure_current().await.unwrap_err().to_string();
        assert!(e.contains("beian migrate"), "{e}");
        s.migrate().await.unwrap();
        assert_eq!(s.schema_status().await.unwrap(), SchemaStatus::Current);
        s.migrate().await.unwrap();
        // A newer beian migrated this database.
        match s {
            Store::Sqlite(p, _) => sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99999999999999, 'future', CURRENT_TIMESTAMP, TRUE, X'00', 0)").execute(p).await.unwrap().rows_affected(),
            Store::Postgres(p) => sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99999999999999, 'future', now(), TRUE, '\\x00', 0)").execute(p).await.unwrap().rows_affected(),
        };
        assert!(matches!(s.schema_status().await.unwrap(), SchemaStatus::Ahead { .. }));
        assert!(s.ensure_current().await.unwrap_err().to_string().contains("newer beian"));
    }
}

contract!(templates_and_service_number_quotas, |s| {
    let t = TemplateRow {
        id: new_id(),
        field: "websites[].name".into(),
        error: "名称与内容不符".into(),
        suggestion: "改名".into(),
        created_at: 1,
    };
    let sn = ServiceNumberRow {
        id: new_id(),
        code: "4f9f0d9c-0001".into(),
        instance: "i-abc".into(),
        quota: 5,
        used: 0,
        created_at: 1,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_template(&t).await.unwrap();
    tx.insert_service_number(&sn).await.unwrap();
    assert!(tx.use_service_number("4f9f0d9c-0001", 3).await.unwrap());
    assert!(!tx.use_service_number("4f9f0d9c-0001", 3).await.unwrap(), "would exceed the quota");
    assert!(tx.use_service_number("4f9f0d9c-0001", 2).await.unwrap());
    assert!(!tx.use_service_number("nope", 1).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.service_numbers().await.unwrap()[0].used, 5);
    let mut edited = t.clone();
    edited.suggestion = "改为与内容相关的名称".into();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_template(&edited).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.template(t.id).await.unwrap().unwrap().suggestion, "改为与内容相关的名称");
    let mut tx = s.begin().await.unwrap();
    assert!(tx.delete_template(t.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(s.templates().await.unwrap().is_empty());
});

contract!(reads_see_every_committed_write_and_nothing_else, |s| {
    // On SQLite this exercises the order read cache; on PostgreSQL there is none.
    let a = with_account(s, "c@example.com").await;
    let subj = subject(a.id, "enterprise", b"cache");
    let o = order(a.id, subj.id, "draft", None, true);
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&subj).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.order(o.id).await.unwrap().unwrap().version, 1);
    assert_eq!(s.order(o.id).await.unwrap().unwrap().version, 1, "second read (cached)");
    let mut u = OrderUpdate::from(&o);
    u.state = "submitted".into();
    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_order(o.id, 1, &u).await.unwrap());
    assert_eq!(s.order(o.id).await.unwrap().unwrap().version, 1, "uncommitted writes are not visible");
    tx.commit().await.unwrap();
    let now = s.order(o.id).await.unwrap().unwrap();
    assert_eq!((now.version, now.state.as_str()), (2, "submitted"));
    let mut tx = s.begin().await.unwrap();
    u.state = "withdrawn".into();
    assert!(tx.update_order(o.id, 2, &u).await.unwrap());
    drop(tx);
    let after = s.order(o.id).await.unwrap().unwrap();
    assert_eq!((after.version, after.state.as_str()), (2, "submitted"), "a rolled-back write leaves nothing");
});

fn unfiled_case(source: &str, bureau_id: Option<i64>, domain: &str, at: i64) -> UnfiledCaseRow {
    UnfiledCaseRow {
        id: new_id(),
        source: source.into(),
        bureau_id,
        domain: domain.into(),
        ip: "47.96.1.10".into(),
        province: Some(330000),
        detected_at: String::new(),
        times: Some(1),
        file_name: "WBAWZLB1".into(),
        received_at: at,
        state: "open".into(),
        action: None,
        opinion: String::new(),
        handled_by: None,
        handled_at: None,
        upload_seq: None,
        result: String::new(),
        updated_at: at,
    }
}

contract!(an_unfiled_case_is_kept_once_and_moves_only_forward, |s| {
    let mut tx = s.begin().await.unwrap();
    let first = unfiled_case("miit", Some(41), "shop.example.cn", 1);
    assert!(tx.open_unfiled_case(&first).await.unwrap());
    // The same bureau entry again: refreshed, not a second case.
    let again = UnfiledCaseRow { times: Some(2), ..unfiled_case("miit", Some(41), "shop.example.cn", 2) };
    assert!(!tx.open_unfiled_case(&again).await.unwrap());
    // One open scan case per domain, whatever the bureau has.
    assert!(tx.open_unfiled_case(&unfiled_case("scan", None, "shop.example.cn", 3)).await.unwrap());
    assert!(!tx.open_unfiled_case(&unfiled_case("scan", None, "shop.example.cn", 4)).await.unwrap());
    tx.commit().await.unwrap();
    let open = s.unfiled_cases(Some("open"), 10).await.unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!((open[0].case.id, open[0].case.times, open[0].blocked), (first.id, Some(2), false));
    assert!(s.unfiled_cases(Some("reported"), 10).await.unwrap().is_empty());
    assert_eq!(s.unfiled_cases(None, 10).await.unwrap().len(), 2);

    let mut tx = s.begin().await.unwrap();
    let by = new_id();
    assert!(tx.handle_unfiled_case(first.id, "handled", Some(1), "已关停", by, Some(7), 5).await.unwrap());
    assert!(!tx.handle_unfiled_case(first.id, "handled", Some(1), "again", by, Some(8), 6).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.unfiled_case_of_upload(7).await.unwrap().map(|c| c.id), Some(first.id));
    let mut tx = s.begin().await.unwrap();
    assert!(tx.settle_unfiled_case(first.id, "reported", "", 7).await.unwrap());
    // A refusal may follow the acceptance; nothing moves a refused case again.
    assert!(tx.settle_unfiled_case(first.id, "refused", "5006", 8).await.unwrap());
    assert!(!tx.settle_unfiled_case(first.id, "reported", "", 9).await.unwrap());
    tx.commit().await.unwrap();
    let c = tx_case(s, first.id).await;
    assert_eq!((c.state.as_str(), c.result.as_str(), c.opinion.as_str()), ("refused", "5006", "已关停"));
    // The work list says whether the case's domain is blocked now.
    let mut tx = s.begin().await.unwrap();
    let block = BlockRow {
        domain: "shop.example.cn".into(),
        reason: "x".into(),
        source: "case".into(),
        case_id: Some(first.id),
        since: 9,
        added_by: None,
    };
    tx.block_domain(&block).await.unwrap();
    tx.commit().await.unwrap();
    assert!(s.listed_case(first.id).await.unwrap().unwrap().blocked);
    assert!(s.unfiled_cases(None, 10).await.unwrap().iter().all(|c| c.blocked));
    assert!(s.listed_case(new_id()).await.unwrap().is_none());
});

async fn tx_case(s: &Store, id: Uuid) -> UnfiledCaseRow {
    let mut tx = s.begin().await.unwrap();
    tx.unfiled_case(id).await.unwrap().unwrap()
}

fn work_item(kind: &str, bureau_subject_id: Option<i64>, domains: &str, at: i64) -> VerificationTaskRow {
    VerificationTaskRow {
        id: new_id(),
        kind: kind.into(),
        bureau_subject_id,
        domains: domains.into(),
        data: vec![1, 2, 3],
        file_name: "HSRW1".into(),
        received_at: at,
        state: "open".into(),
        passed: None,
        opinion: String::new(),
        checks: String::new(),
        checked_at: None,
        handled_by: None,
        handled_at: None,
        upload_seq: None,
        result: String::new(),
        updated_at: at,
    }
}

contract!(a_verification_task_is_kept_once_per_subject_and_moves_only_forward, |s| {
    let a = with_account(s, "verify@example.com").await;
    let subj = subject(a.id, "enterprise", b"cert-verify");
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&subj).await.unwrap();
    // Our subject, known to the bureau as 5.
    tx.set_miit_on_file(subj.id, 5, "{\"subject_id\":5}", 1).await.unwrap();
    let first = work_item("task", Some(5), "[\"a.example.cn\"]", 1);
    assert!(tx.open_verification_task(&first).await.unwrap());
    assert_eq!(tx.open_verification_task_id("task", 5).await.unwrap(), Some(first.id));
    // The same subject's task again while open: refreshed, not a second item.
    assert!(!tx.open_verification_task(&work_item("task", Some(5), "[\"b.example.cn\"]", 2)).await.unwrap());
    // Inspections name no subject: each is its own item.
    assert!(tx.open_verification_task(&work_item("inspection", None, "[]", 3)).await.unwrap());
    assert!(tx.open_verification_task(&work_item("inspection", None, "[]", 4)).await.unwrap());
    tx.commit().await.unwrap();
    let open = s.verification_tasks(Some("open"), 10).await.unwrap();
    assert_eq!(open.len(), 3);
    assert_eq!(
        (open[0].task.id, open[0].task.domains.as_str(), open[0].subject_id),
        (first.id, "[\"b.example.cn\"]", Some(subj.id))
    );
    assert_eq!(open[1].subject_id, None);
    s.set_verification_checks(first.id, "[]", 5).await.unwrap();

    let by = new_id();
    let mut tx = s.begin().await.unwrap();
    assert!(
        tx.close_verification_task(first.id, "answered", Some(true), "属实", by, Some(7), 6).await.unwrap()
    );
    assert!(
        !tx.close_verification_task(first.id, "answered", Some(false), "again", by, Some(8), 7)
            .await
            .unwrap()
    );
    assert_eq!(tx.open_verification_task_id("task", 5).await.unwrap(), None);
    tx.commit().await.unwrap();
    assert_eq!(s.verification_task_of_upload(7).await.unwrap().map(|t| t.id), Some(first.id));
    let mut tx = s.begin().await.unwrap();
    assert!(tx.settle_verification_task(first.id, "accepted", "", 8).await.unwrap());
    // A refusal may follow the acceptance; nothing moves a refused task again.
    assert!(tx.settle_verification_task(first.id, "refused", "5999", 9).await.unwrap());
    assert!(!tx.settle_verification_task(first.id, "accepted", "", 10).await.unwrap());
    // Answered, the subject may be asked again: a new item.
    assert!(tx.open_verification_task(&work_item("task", Some(5), "[]", 11)).await.unwrap());
    tx.commit().await.unwrap();
    let t = s.listed_verification_task(first.id).await.unwrap().unwrap().task;
    assert_eq!(
        (t.state.as_str(), t.result.as_str(), t.passed, t.opinion.as_str(), t.checked_at),
        ("refused", "5999", Some(true), "属实", Some(5))
    );
    assert_eq!(s.verification_tasks(Some("open"), 10).await.unwrap().len(), 3);
    assert_eq!(s.verification_tasks(None, 10).await.unwrap().len(), 4);
    assert!(s.listed_verification_task(new_id()).await.unwrap().is_none());
});

contract!(an_ip_record_moves_through_its_filing_only_from_the_states_it_names, |s| {
    let mut tx = s.begin().await.unwrap();
    let source = tx.insert_ip_source("47.96.0.0/11", 100001, "电信", 1).await.unwrap();
    let pool = tx.insert_ip_pool("47.96.0.0/16", "杭州", 1).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(
        tx.insert_ip_source("47.96.0.0/11", 100002, "", 2).await,
        Err(StoreError::Conflict { .. })
    ));
    drop(tx);
    let p = s.ip_pool(pool).await.unwrap().unwrap();
    assert_eq!(
        (p.usage, p.method, p.filing.filing.as_str()),
        (3, 1, "unreported"),
        "own use, static, not filed"
    );

    let reporting = |isp: i64, seq: i64| IpFiling {
        filing: "reporting".into(),
        isp_id: Some(isp),
        bureau_id: None,
        upload_seq: Some(seq),
        result: String::new(),
    };
    let mut tx = s.begin().await.unwrap();
    assert!(
        tx.set_ip_filing(IpKind::Source, source, &["unreported", "refused"], &reporting(7, 1)).await.unwrap()
    );
    assert!(
        !tx.set_ip_filing(IpKind::Source, source, &["unreported", "refused"], &reporting(8, 2))
            .await
            .unwrap()
    );
    assert!(tx.set_ip_pool_usage(pool, 2, 1, Some(700002), "").await.unwrap());
    assert!(tx.set_ip_filing(IpKind::Pool, pool, &["unreported"], &reporting(9, 2)).await.unwrap());
    // Neither its use changes nor a held source goes while the bureau has it.
    assert!(!tx.set_ip_pool_usage(pool, 4, 1, None, "").await.unwrap());
    assert!(!tx.delete_ip_source(source).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.ip_record_of(IpKind::Source, Some(7), None).await.unwrap(), Some(source));
    assert_eq!(s.ip_record_of(IpKind::Pool, Some(7), None).await.unwrap(), None, "each kind its own ids");

    let mut tx = s.begin().await.unwrap();
    let filed = IpFiling {
        filing: "filed".into(),
        isp_id: Some(7),
        bureau_id: Some(501),
        upload_seq: None,
        result: String::new(),
    };
    assert!(tx.set_ip_filing(IpKind::Source, source, &["reporting"], &filed).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.ip_record_of(IpKind::Source, None, Some(501)).await.unwrap(), Some(source));
    let got = s.ip_source(source).await.unwrap().unwrap();
    assert_eq!((got.filing.filing.as_str(), got.filing.bureau_id, got.unit), ("filed", Some(501), 100001));
    assert_eq!(s.ip_sources().await.unwrap().len(), 1);
    let p = s.ip_pool(pool).await.unwrap().unwrap();
    assert_eq!((p.usage, p.allocated_to, p.filing.upload_seq), (2, Some(700002), Some(2)));
});

contract!(a_domain_is_blocked_once_and_lifted, |s| {
    let row = |domain: &str, reason: &str| BlockRow {
        domain: domain.into(),
        reason: reason.into(),
        source: "staff".into(),
        case_id: None,
        since: 1,
        added_by: None,
    };
    let mut tx = s.begin().await.unwrap();
    assert!(tx.block_domain(&row("b.example.cn", "first")).await.unwrap());
    assert!(!tx.block_domain(&row("b.example.cn", "second")).await.unwrap());
    assert!(tx.block_domain(&row("a.example.cn", "x")).await.unwrap());
    tx.commit().await.unwrap();
    let list = s.block_list().await.unwrap();
    let seen: Vec<(&str, &str)> = list.iter().map(|b| (b.domain.as_str(), b.reason.as_str())).collect();
    assert_eq!(seen, vec![("a.example.cn", "x"), ("b.example.cn", "first")]);
    let mut tx = s.begin().await.unwrap();
    assert!(tx.unblock_domain("b.example.cn").await.unwrap());
    assert!(!tx.unblock_domain("b.example.cn").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.block_list().await.unwrap().len(), 1);
});

contract!(a_site_away_keeps_the_first_day_it_was_seen_away, |s| {
    let a = with_account(s, "hosting@example.com").await;
    let subj = subject(a.id, "enterprise", b"cert-hosting");
    let mut tx = s.begin().await.unwrap();
    tx.insert_subject(&subj).await.unwrap();
    let check = |away: Option<i64>, at: i64| SiteHostingRow {
        number: "浙ICP备2026000001号-1".into(),
        subject_id: subj.id,
        domain: "aliyun.com".into(),
        addresses: "203.0.113.7".into(),
        away_since: away,
        checked_at: at,
    };
    tx.record_site_hosting(&check(Some(10), 10)).await.unwrap();
    tx.record_site_hosting(&check(Some(20), 20)).await.unwrap();
    tx.commit().await.unwrap();
    let away = s.sites_away().await.unwrap();
    assert_eq!((away.len(), away[0].away_since, away[0].checked_at), (1, Some(10), 20));
    let mut tx = s.begin().await.unwrap();
    tx.record_site_hosting(&check(None, 30)).await.unwrap();
    tx.commit().await.unwrap();
    assert!(s.sites_away().await.unwrap().is_empty(), "back on the provider's addresses");
});

contract!(webhook_deliveries_move_only_while_waiting_and_recipients_follow_their_account, |s| {
    let admin = with_account(s, "admin@example.com").await;
    let hook = |active: bool| WebhookRow {
        id: new_id(),
        name: "ops".into(),
        url: vec![1, 2, 3],
        url_shown: "http://127.0.0.1/json".into(),
        format: "json".into(),
        secret: Some(vec![4]),
        events: "[\"*\"]".into(),
        active,
        created_by: admin.id,
        created_at: 1,
        updated_at: 1,
    };
    let (on, off) = (hook(true), hook(false));
    let mut tx = s.begin().await.unwrap();
    tx.insert_webhook(&on).await.unwrap();
    tx.insert_webhook(&off).await.unwrap();
    assert_eq!(tx.active_webhooks().await.unwrap(), vec![on.clone()]);
    let delivery = WebhookDeliveryRow {
        id: new_id(),
        webhook_id: on.id,
        event: "ping".into(),
        payload: "{}".into(),
        state: "pending".into(),
        attempts: 0,
        response_status: None,
        response: String::new(),
        created_at: 2,
        attempted_at: None,
        delivered_at: None,
    };
    tx.insert_webhook_delivery(&delivery).await.unwrap();
    assert!(!tx.reset_webhook_delivery(delivery.id).await.unwrap(), "a pending delivery is not reset");
    tx.commit().await.unwrap();
    assert_eq!(s.webhooks().await.unwrap().len(), 2);

    assert!(s.record_webhook_attempt(delivery.id, "failing", Some(500), "boom", 3).await.unwrap());
    assert!(s.record_webhook_attempt(delivery.id, "delivered", Some(204), "", 4).await.unwrap());
    assert!(!s.record_webhook_attempt(delivery.id, "failing", Some(500), "late", 5).await.unwrap());
    let d = s.webhook_delivery(delivery.id).await.unwrap().unwrap();
    assert_eq!(
        (d.state.as_str(), d.attempts, d.response_status, d.attempted_at, d.delivered_at),
        ("delivered", 2, Some(204), Some(4), Some(4))
    );
    let mut tx = s.begin().await.unwrap();
    assert!(!tx.reset_webhook_delivery(delivery.id).await.unwrap(), "a delivered one is not sent again");
    tx.commit().await.unwrap();
    let second = WebhookDeliveryRow { id: new_id(), created_at: 6, ..delivery.clone() };
    let mut tx = s.begin().await.unwrap();
    tx.insert_webhook_delivery(&second).await.unwrap();
    tx.commit().await.unwrap();
    assert!(s.record_webhook_attempt(second.id, "gave_up", None, "could not connect", 7).await.unwrap());
    let mut tx = s.begin().await.unwrap();
    assert!(tx.reset_webhook_delivery(second.id).await.unwrap());
    tx.commit().await.unwrap();
    let d = s.webhook_delivery(second.id).await.unwrap().unwrap();
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 0));
    let log = s.webhook_deliveries(on.id, 10).await.unwrap();
    assert_eq!(log.iter().map(|d| d.id).collect::<Vec<_>>(), vec![second.id, delivery.id], "newest first");

    let mut tx = s.begin().await.unwrap();
    assert!(tx.update_webhook(off.id, true, "[\"ping\"]", 8).await.unwrap());
    assert!(tx.delete_webhook(on.id).await.unwrap());
    assert!(!tx.delete_webhook(on.id).await.unwrap());
    tx.commit().await.unwrap();
    assert!(s.webhook_deliveries(on.id, 10).await.unwrap().is_empty(), "the log goes with its webhook");
    assert_eq!(
        s.webhook(off.id).await.unwrap().map(|w| (w.active, w.events)),
        Some((true, "[\"ping\"]".into()))
    );

    let owner = with_account(s, "owner@example.com").await;
    let other = with_account(s, "other@example.com").await;
    let recipient = |account_id: Uuid, index: u8| RecipientRow {
        id: new_id(),
        account_id,
        email: vec![index],
        email_index: vec![index],
        email_masked: "c***@example.com".into(),
        label: String::new(),
        created_at: i64::from(index),
    };
    let mut tx = s.begin().await.unwrap();
    let (r1, r2) = (recipient(owner.id, 1), recipient(owner.id, 2));
    tx.insert_recipient(&r1).await.unwrap();
    tx.insert_recipient(&r2).await.unwrap();
    tx.insert_recipient(&recipient(other.id, 1)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(tx.insert_recipient(&recipient(owner.id, 1)).await, Err(StoreError::Conflict { .. })));
    drop(tx);
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.recipients_of_email("owner@example.com").await.unwrap(), vec![r1.clone(), r2.clone()]);
    assert!(!tx.delete_recipient(other.id, r1.id).await.unwrap(), "only its own account removes it");
    assert!(tx.delete_recipient(owner.id, r1.id).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.recipients(owner.id).await.unwrap(), vec![r2]);
});
