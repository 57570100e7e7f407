//! The interface's hot paths (`cargo bench -p beian-miit`): writing and packing a full upload
//! file of 1,000 first filings (each a company with three websites, like the public example
//! `docs/examples/first-filing-company.json`), and unpacking and strictly parsing it back.
//! Target (issue 14): under 50 ms each on one core.

use beian_core::model::Order;
use beian_miit::jcdm::CodeTables;
use beian_miit::mapping::outbound::{self, Input, Provider};
use beian_miit::package::{self, AesKey, Algorithms};
use beian_miit::schema::upload::UploadData;
use beian_miit::xml::{self, Mode};
use criterion::{Criterion, criterion_group, criterion_main};

fn file() -> UploadData {
    let tables = CodeTables::from_toml(include_str!("../../beian-regulator/data/jcdm.toml"))
        .unwrap()
        .with_gb2260_regions()
        .with_provincial_bureaus();
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
    let order: Order = serde_json::from_value(v["order"].clone()).unwrap();
    let provider =
        Provider { unit_id: 7, server_region: "330106".into(), access_method: "cloud_server".into() };
    let mut next = 0;
    let records = (0..1000)
        .map(|_| {
            let input = Input {
                order: &order,
                attachments: &[],
                on_file: None,
                filing_password: None,
                cancel_reason: None,
            };
            outbound::record(&tables, &provider, input, || {
                next += 1;
                next
            })
            .unwrap()
            .0
        })
        .collect();
    outbound::upload_file("V.3.0", 7, records)
}

fn bench(c: &mut Criterion) {
    let doc = file();
    let key = AesKey::new("beian-demo-key16", "0102030405060708").unwrap();
    let sealed = package::pack("U1", &xml::to_gbk(&doc).unwrap(), Algorithms::AES, Some(&key)).unwrap();
    let mut g = c.benchmark_group("upload_1000_records");
    g.sample_size(20);
    g.bench_function("write_gbk_zip_aes", |b| {
        b.iter(|| package::pack("U1", &xml::to_gbk(&doc).unwrap(), Algorithms::AES, Some(&key)).unwrap())
    });
    g.bench_function("unpack_parse_strict", |b| {
        b.iter(|| {
            let (_, bytes) =
                package::unpack(&sealed.info, &sealed.hash, Algorithms::AES, Some(&key)).unwrap();
            let back: UploadData = xml::from_bytes(&bytes, Mode::Strict).unwrap();
            back
        })
    });
    g.finish();
    let size = xml::to_gbk(&doc).unwrap().len();
    eprintln!("upload file of 1,000 records: {size} bytes of XML, {} bytes sealed", sealed.info.len());
}

criterion_group!(benches, bench);
criterion_main!(benches);
