//! `beian bench-seed`: fills a database with realistic bulk data for the load benchmark
//! (`scripts/load-bench.sh`) — accounts, API tokens, subjects and orders in every state, with
//! encrypted documents exactly as the service writes them. Not for production databases.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use beian_app::auth::NewAccount;
use beian_app::blobs::LocalBlobStore;
use beian_app::clock::SystemClock;
use beian_app::notify::OutboxMailer;
use beian_app::{App, AppConfig, Ctx, OrderDoc, Principal, Role};
use beian_core::model::Order;
use beian_core::rules::DomainFacts;
use beian_core::workflow::OrderState;
use beian_store::bulk::SqliteBulkLoader;
use beian_store::pg_copy::PgBulkLoader;
use beian_store::{OrderRow, SubjectRow, new_id};
use clap::Args;
use serde::Deserialize;

use super::UserError;
use super::config::{self, Overrides};

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[arg(long)]
    data_dir: PathBuf,
    #[arg(long)]
    database_url: Option<String>,
    /// Orders to create.
    #[arg(long, default_value_t = 100_000)]
    orders: usize,
    /// Extra subjects without orders, for the order-creation benchmark.
    #[arg(long, default_value_t = 50_000)]
    spare_subjects: usize,
}

/// One transaction's rows.
#[derive(Default)]
struct Batch {
    subjects: Vec<SubjectRow>,
    orders: Vec<OrderRow>,
}

#[derive(Deserialize)]
struct Example {
    order: Order,
    context: ExampleContext,
}

#[derive(Deserialize)]
struct ExampleContext {
    domains: std::collections::BTreeMap<String, DomainFacts>,
}

const EXAMPLE: &str = include_str!("../../../../docs/examples/first-filing-company.json");

pub fn run(a: SeedArgs) -> Result<ExitCode, UserError> {
    let cfg = config::load(
        &Overrides {
            data_dir: Some(a.data_dir.clone()),
            database_url: a.database_url.clone(),
            ..Overrides::default()
        },
        Path::new("beian-data"),
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| UserError(e.to_string()))?;
    rt.block_on(seed(a, cfg))
}

async fn seed(a: SeedArgs, cfg: config::Config) -> Result<ExitCode, UserError> {
    let e = |x: &dyn std::fmt::Display| UserError(x.to_string());
    std::fs::create_dir_all(&cfg.data_dir).map_err(|x| e(&x))?;
    let url = cfg.database();
    let sqlite_path = match url.strip_prefix("sqlite://") {
        Some(path) => Some(PathBuf::from(path)),
        None => (!url.contains("://")).then(|| PathBuf::from(&url)),
    };
    let store = match &sqlite_path {
        Some(path) => beian_store::Store::connect_sqlite_bulk(path).await,
        None => beian_store::Store::connect(&url).await,
    }
    .map_err(|x| e(&x))?;
    store.migrate().await.map_err(|x| e(&x))?;
    let keys = super::serve::load_keys(&cfg.keys_file, true)?;
    let blobs = LocalBlobStore::new(cfg.data_dir.join("blobs")).map_err(|x| e(&x))?;
    let app = App::new(
        store.clone(),
        keys,
        Arc::new(SystemClock),
        Arc::new(OutboxMailer),
        Arc::new(blobs),
        AppConfig::default(),
    );
    let system = Ctx {
        principal: Some(Principal {
            id: uuid::Uuid::nil(),
            role: Role::Admin,
            email: "system".into(),
            display_name: "system".into(),
        }),
        ..Ctx::default()
    };
    let mut people = Vec::new();
    for (email, role) in [
        ("load-applicant@bench.local", Role::Applicant),
        ("load-reviewer@bench.local", Role::Reviewer),
        ("load-admin@bench.local", Role::Admin),
    ] {
        let p = app
            .auth()
            .register(
                &system,
                NewAccount {
                    email: email.into(),
                    password: "load-bench-password".into(),
                    display_name: "压测".into(),
                    role: Some(role),
                },
            )
            .await
            .map_err(|x| UserError(x.title(beian_core::message::Lang::En)))?;
        let ctx = Ctx { principal: Some(p.clone()), ..Ctx::default() };
        let t = app
            .auth()
            .create_api_token(&ctx, "load")
            .await
            .map_err(|x| UserError(x.title(beian_core::message::Lang::En)))?;
        people.push((p, t.token));
    }
    let owner = people[0].0.id;
    let ex: Example = serde_json::from_str(EXAMPLE).map_err(|x| e(&x))?;
    let subject_json = serde_json::to_vec(&ex.order.subject).map_err(|x| e(&x))?;
    let states = [
        OrderState::Submitted,
        OrderState::Draft,
        OrderState::Filed,
        OrderState::Filed,
        OrderState::Withdrawn,
    ];
    let now = app.now_us();
    let total_subjects = a.orders + a.spare_subjects;
    let started = std::time::Instant::now();
    // Every order's document is the example's: serialized and packed once, encrypted per order
    // (its own nonce and associated data), as the service stores it.
    let doc_json = beian_app::packed::pack(
        serde_json::to_vec(&OrderDoc {
            order: ex.order.clone(),
            domain_facts: ex.context.domains.clone(),
            verification: None,
            filed: None,
        })
        .map_err(|x| e(&x))?,
    );
    let state_json: Vec<String> =
        states.iter().map(serde_json::to_string).collect::<Result<_, _>>().map_err(|x| e(&x))?;
    // Large transactions of multi-row inserts, the rows built and encrypted on another thread
    // while the database writes the previous batch.
    const BATCH: usize = 20_000;
    let (to_writer, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let builder = {
        let (app, orders) = (app.clone(), a.orders);
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            let keys = app.keys();
            for start in (0..total_subjects).step_by(BATCH) {
                let mut b = Batch::default();
                for i in start..(start + BATCH).min(total_subjects) {
                    let sid = new_id();
                    b.subjects.push(SubjectRow {
                        id: sid,
                        owner_id: owner,
                        nature: "enterprise".into(),
                        name: format!("压测企业{i}有限公司"),
                        province: "33".into(),
                        cert_index: keys.blind_index("cert", &format!("BENCH{i}")),
                        data: keys
                            .encrypt(&format!("subjects/{sid}/data"), &subject_json)
                            .map_err(|x| x.to_string())?,
                        filed_number: None,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    });
                    if i >= orders {
                        continue;
                    }
                    let oid = new_id();
                    let state = &states[i % states.len()];
                    let submitted_at = (!matches!(state, OrderState::Draft))
                        .then(|| now - (i as i64 % 5_000_000) * 1_000_000);
                    b.orders.push(OrderRow {
                        id: oid,
                        owner_id: owner,
                        subject_id: sid,
                        kind: "first_filing".into(),
                        province: ["33", "11", "44", "32", "51"][i % 5].into(),
                        state: state.name().into(),
                        state_data: state_json[i % states.len()].clone(),
                        data: keys
                            .encrypt(&format!("orders/{oid}/data"), &doc_json)
                            .map_err(|x| x.to_string())?,
                        findings: "[]".into(),
                        review_findings: "[]".into(),
                        reviewer_id: None,
                        open: !state.is_terminal(),
                        version: 1,
                        created_at: now,
                        updated_at: now,
                        submitted_at,
                        stage_since: now,
                    });
                }
                if to_writer.blocking_send(b).is_err() {
                    break;
                }
            }
            Ok(())
        })
    };
    // The plain indexes are built once at the end, each by one sort.
    let deferred =
        store.defer_indexes(&["subjects", "subject_name_grams", "orders"]).await.map_err(|x| e(&x))?;
    let (mut first_subject, mut first_order) = (None, None);
    let mut order_ids = Vec::with_capacity(a.orders);
    let mut spare = Vec::with_capacity(a.spare_subjects);
    // SQLite's rows go in through one connection of this thread's own: sqlx's argument copies
    // and worker hand-offs were most of the load's time.
    // PostgreSQL's go in through binary `COPY`: multi-row inserts spent most of their time
    // binding and parsing, not storing.
    let mut loader = sqlite_path.as_deref().map(SqliteBulkLoader::open).transpose().map_err(|x| e(&x))?;
    let mut pg_loader = PgBulkLoader::open(&store).await.map_err(|x| e(&x))?;
    while let Some(b) = batches.recv().await {
        match (loader.as_mut(), pg_loader.as_mut()) {
            (Some(loader), _) => {
                tokio::task::block_in_place(|| loader.insert(&b.subjects, &b.orders)).map_err(|x| e(&x))?;
            }
            (None, Some(loader)) => loader.insert(&b.subjects, &b.orders).await.map_err(|x| e(&x))?,
            (None, None) => return Err(UserError("bench-seed loads SQLite and PostgreSQL only".into())),
        }
        first_subject = first_subject.or(b.orders.first().map(|o| o.subject_id));
        first_order = first_order.or(b.orders.first().map(|o| o.id));
        order_ids.extend(b.orders.iter().map(|o| o.id));
        let ordered: std::collections::HashSet<uuid::Uuid> = b.orders.iter().map(|o| o.subject_id).collect();
        spare.extend(b.subjects.iter().map(|s| s.id).filter(|id| !ordered.contains(id)));
    }
    drop((loader, pg_loader));
    builder.await.map_err(|x| e(&x))?.map_err(UserError)?;
    let loaded = started.elapsed();
    store.finish_bulk_load(deferred).await.map_err(|x| e(&x))?;
    let spare_file = cfg.data_dir.join("spare-subjects.txt");
    let mut f = std::fs::File::create(&spare_file).map_err(|x| e(&x))?;
    for s in &spare {
        writeln!(f, "{s}").map_err(|x| e(&x))?;
    }
    let orders_file = cfg.data_dir.join("orders.txt");
    let mut f = std::fs::File::create(&orders_file).map_err(|x| e(&x))?;
    for o in &order_ids {
        writeln!(f, "{o}").map_err(|x| e(&x))?;
    }
    let out = serde_json::json!({
        "orders_file": orders_file,
        "orders": a.orders,
        "spare_subjects": spare.len(),
        "seconds": started.elapsed().as_secs_f64(),
        // Of which writing the rows; the rest built the indexes and keys and the statistics.
        "load_seconds": loaded.as_secs_f64(),
        "applicant_token": people[0].1,
        "reviewer_token": people[1].1,
        "order_id": first_order,
        "subject_id": first_subject,
        // Every fifth order from the second is a draft: the wizard's pages need one.
        "draft_order_id": order_ids.get(1).copied().or(first_order),
        "spare_subjects_file": spare_file,
    });
    println!("{out}");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
