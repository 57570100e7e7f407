//! The simulator's V3.0 intake (`cargo bench -p beian-regulator --bench miit_upload`): a provider
//! uploads one file after another over SOAP to a simulator on loopback (SQLite in a temporary
//! folder, as `beian regulator serve` runs by default); each file carries one first filing (a
//! company with two websites), which the simulator authenticates, unpacks, numbers, reads
//! strictly and takes into its SMS round. Target (issue 14): at least 20 files a second.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use beian_core::model::Order;
use beian_crypto::Keys;
use beian_miit::auth;
use beian_miit::jcdm::CodeTables;
use beian_miit::mapping::outbound::{self, Input, Provider};
use beian_miit::package::{self, Algorithms, HashAlgorithm};
use beian_miit::schema::upload_return;
use beian_miit::soap::{Endpoint, Operation, ServiceDescription};
use beian_miit::xml::{self, Mode};
use beian_regulator::RegulatorStore;
use beian_regulator::miit::accounts::{self, NewAccount};
use beian_regulator::router::router;
use beian_regulator::service::{Service, system_clock};
use criterion::{Criterion, criterion_group, criterion_main};

const UNIT: i64 = 900_001;
const PASSWORD: &str = "bench-password-2026";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = std::env::temp_dir().join(format!("beian-miit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (base, desc) = rt.block_on(async {
        let reg = RegulatorStore::connect(&dir.join("regulator.db").display().to_string()).await.unwrap();
        reg.migrate().await.unwrap();
        let keys = Arc::new(Keys::generate().unwrap());
        let mut tx = reg.begin().await.unwrap();
        let provider =
            beian_regulator::providers::register(&mut tx, "bench", "压测云", &"1".repeat(64), None, 1)
                .await
                .unwrap();
        let account = NewAccount {
            isp_id: UNIT,
            user_name: "bench",
            password: PASSWORD,
            province: beian_core::province::ProvinceCode::parse("33").unwrap(),
            aes: None,
            upload_hours: None,
        };
        accounts::create(&mut tx, &keys, provider, &account, 1).await.unwrap();
        tx.commit().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let svc = Service::new(reg, keys, system_clock()).with_public_url(&format!("http://{addr}"));
        let app = router(svc);
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
        });
        let base = format!("http://{addr}");
        let wsdl = reqwest::get(format!("{base}{}?wsdl", Endpoint::UpDownLoad.path()))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        (base, ServiceDescription::parse(&wsdl).unwrap())
    });
    let tables = CodeTables::from_toml(include_str!("../data/jcdm.toml"))
        .unwrap()
        .with_gb2260_regions()
        .with_provincial_bureaus();
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
    let mut order: Order = serde_json::from_value(v["order"].clone()).unwrap();
    order.websites.truncate(2);
    let provider =
        Provider { unit_id: UNIT, server_region: "330106".into(), access_method: "cloud_server".into() };
    let http = reqwest::Client::new();
    let seq = AtomicI64::new(0);
    let rand = AtomicI64::new(0);
    let upload = || {
        let n = seq.fetch_add(1, Ordering::SeqCst) + 1;
        let mut next = n * 100;
        let input = Input {
            order: &order,
            attachments: &[],
            on_file: None,
            filing_password: None,
            cancel_reason: None,
        };
        let (record, _) = outbound::record(&tables, &provider, input, || {
            next += 1;
            next
        })
        .unwrap();
        let file = xml::to_gbk(&outbound::upload_file("V.3.0", UNIT, vec![record])).unwrap();
        let sealed = package::pack(&format!("U{n}"), &file, Algorithms::PLAIN, None).unwrap();
        let r = format!("b{:019}", rand.fetch_add(1, Ordering::SeqCst));
        let mut args = auth::call_args(UNIT, "bench", PASSWORD, &r, HashAlgorithm::Md5);
        args.extend([
            ("beianInfo", sealed.info),
            ("beianInfoHash", sealed.hash),
            ("dataSequence", n.to_string()),
            ("encryptAlgorithm", "0".into()),
            ("compressionFormat", "0".into()),
        ]);
        let body = desc.request(Operation::Upload, &args).unwrap();
        let url = format!("{base}{}", Endpoint::UpDownLoad.path());
        let http = http.clone();
        rt.block_on(async move {
            let resp = http.post(url).body(body).send().await.unwrap().bytes().await.unwrap();
            let doc = beian_miit::soap::parse_response(&resp).unwrap();
            let r: upload_return::Return = xml::from_bytes(&doc, Mode::Lenient).unwrap();
            assert_eq!(r.msg_code, 0, "{}", r.msg.trim());
        })
    };
    let mut g = c.benchmark_group("simulator_intake");
    g.sample_size(30);
    g.bench_function("isp_upload_one_first_filing", |b| b.iter(&upload));
    g.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench);
criterion_main!(benches);
