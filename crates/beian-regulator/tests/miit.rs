//! The simulator as a provincial bureau speaking MIIT's interface V3.0, over real HTTP and SOAP
//! on both backends: authentication and its codes, packaging faults, the sequence rule, a
//! first filing uploaded as `XZBA` through SMS verification and the bureau's approval to a
//! `BAJG`/`BASJ` result, downloads that come again until acknowledged — and every file the
//! simulator hands down validated with `xmllint` against the published `download.xsd`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use beian_core::model::Order;
use beian_crypto::Keys;
use beian_miit::auth;
use beian_miit::jcdm::CodeTables;
use beian_miit::mapping::outbound::{self, Input, Provider};
use beian_miit::package::{self, AesKey, Algorithms, HashAlgorithm};
use beian_miit::schema::download::{DownloadData, DownloadDataChoice};
use beian_miit::schema::{download_return, downloadack_return, querybeianstatus_return, upload_return};
use beian_miit::soap::{self, Endpoint, Operation, ServiceDescription};
use beian_miit::xml::{self, Mode, Root};
use beian_regulator::RegulatorStore;
use beian_regulator::miit::accounts::{self, NewAccount};
use beian_regulator::providers::register;
use beian_regulator::router::router;
use beian_regulator::service::Service;
use beian_store::testing::TestStore;
use serde_json::{Value, json};

mod common;

const T0: i64 = 1_790_000_000;
const ISP: i64 = 880_001;
const PASSWORD: &str = "v3-password-2026";
const KEY: &str = "beian-demo-key16";
const IV: &str = "0102030405060708";

struct Bureau {
    base: String,
    svc: Service,
    reg: RegulatorStore,
    keys: Arc<Keys>,
    clock: Arc<AtomicI64>,
    http: reqwest::Client,
    rand: AtomicU64,
    desc: ServiceDescription,
    status_desc: ServiceDescription,
}

async fn start(reg: RegulatorStore, aes: bool) -> Bureau {
    let clock = Arc::new(AtomicI64::new(T0 * 1_000_000));
    let c = clock.clone();
    let keys = Arc::new(Keys::generate().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = Service::new(reg.clone(), keys.clone(), Arc::new(move || c.load(Ordering::SeqCst)))
        .with_public_url(&format!("http://{addr}"));
    let mut tx = reg.begin().await.unwrap();
    let provider = register(&mut tx, "aliyun", "阿里云计算有限公司", &"1".repeat(64), None, 1).await.unwrap();
    let account = NewAccount {
        isp_id: ISP,
        user_name: "aliyun-v3",
        password: PASSWORD,
        province: beian_core::province::ProvinceCode::parse("33").unwrap(),
        aes: aes.then_some((KEY, IV)),
        upload_hours: None,
    };
    accounts::create(&mut tx, &keys, provider, &account, T0 * 1_000_000).await.unwrap();
    tx.commit().await.unwrap();
    let app = router(svc.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let http = reqwest::Client::new();
    let wsdl = |e: Endpoint| {
        let http = http.clone();
        let url = format!("http://{addr}{}?wsdl", e.path());
        async move {
            ServiceDescription::parse(&http.get(url).send().await.unwrap().bytes().await.unwrap()).unwrap()
        }
    };
    let desc = wsdl(Endpoint::UpDownLoad).await;
    let status_desc = wsdl(Endpoint::QueryBeianStatus).await;
    Bureau {
        base: format!("http://{addr}"),
        svc,
        reg,
        keys,
        clock,
        http,
        rand: AtomicU64::new(0),
        desc,
        status_desc,
    }
}

async fn bureaus(aes: bool) -> Vec<(&'static str, Bureau, TestStore)> {
    let mut out = Vec::new();
    for (db, reg) in common::stores().await {
        out.push((db.label, start(reg, aes).await, db));
    }
    out
}

fn tables() -> CodeTables {
    CodeTables::from_toml(include_str!("../data/jcdm.toml"))
        .unwrap()
        .with_gb2260_regions()
        .with_provincial_bureaus()
}

fn example(name: &str) -> Order {
    let text = match name {
        "company" => include_str!("../../../docs/examples/first-filing-company.json"),
        _ => include_str!("../../../docs/examples/first-filing-individual.json"),
    };
    let v: Value = serde_json::from_str(text).unwrap();
    let mut order: Order = serde_json::from_value(v["order"].clone()).unwrap();
    // This bureau is Zhejiang's: the individual example files in Beijing.
    order.province = beian_core::province::ProvinceCode::parse("33").unwrap();
    order.subject.region = "330106".into();
    order
}

/// An upload file (GBK XML) of `orders` as first filings, the provider's ids from `first`.
fn xzba_file(orders: &[Order], first: i64) -> Vec<u8> {
    let provider =
        Provider { unit_id: ISP, server_region: "330106".into(), access_method: "cloud_server".into() };
    let mut next = first;
    let records = orders
        .iter()
        .map(|o| {
            let input = Input {
                order: o,
                attachments: &[],
                on_file: None,
                filing_password: None,
                cancel_reason: None,
            };
            outbound::record(&tables(), &provider, input, || {
                next += 1;
                next
            })
            .unwrap()
            .0
        })
        .collect();
    xml::to_gbk(&outbound::upload_file("V.3.0", ISP, records)).unwrap()
}

impl Bureau {
    fn rand_val(&self) -> String {
        let n = self.rand.fetch_add(1, Ordering::SeqCst);
        format!("r{n:019}")
    }

    fn auth(&self, password: &str) -> Vec<(&'static str, String)> {
        auth::call_args(ISP, "aliyun-v3", password, &self.rand_val(), HashAlgorithm::Md5)
    }

    async fn post(&self, endpoint: Endpoint, op: Operation, args: Vec<(&'static str, String)>) -> Vec<u8> {
        let desc = if endpoint == Endpoint::UpDownLoad { &self.desc } else { &self.status_desc };
        let body = desc.request(op, &args).unwrap();
        let resp = self
            .http
            .post(format!("{}{}", self.base, endpoint.path()))
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", desc.action(op).unwrap())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        soap::parse_response(&resp.bytes().await.unwrap()).unwrap()
    }

    async fn call<T: Root>(&self, op: Operation, args: Vec<(&'static str, String)>) -> T {
        xml::from_bytes(&self.post(op.endpoint(), op, args).await, Mode::Lenient).unwrap()
    }

    /// Uploads `xml` as file `seq`, packed with `algs`.
    async fn upload_with(
        &self,
        seq: i64,
        xml: &[u8],
        algs: Algorithms,
        password: &str,
    ) -> upload_return::Return {
        let key = AesKey::new(KEY, IV).unwrap();
        let sealed = package::pack(&format!("U{seq}"), xml, algs, Some(&key)).unwrap();
        let mut args = self.auth(password);
        args.extend([
            ("beianInfo", sealed.info),
            ("beianInfoHash", sealed.hash),
            ("dataSequence", seq.to_string()),
            ("encryptAlgorithm", algs.encryption.code().to_string()),
            ("compressionFormat", "0".into()),
        ]);
        self.call(Operation::Upload, args).await
    }

    async fn upload(&self, seq: i64, xml: &[u8]) -> upload_return::Return {
        self.upload_with(seq, xml, Algorithms::PLAIN, PASSWORD).await
    }

    /// Downloads the next file: its name and document, or `None` (code 2).
    async fn download(&self) -> Option<(String, DownloadData, i64)> {
        let r: download_return::Return = self.call(Operation::Download, self.auth(PASSWORD)).await;
        if r.msg_code == 2 {
            return None;
        }
        assert!(matches!(r.msg_code, 0 | 3), "download answered {} {}", r.msg_code, r.msg.trim());
        let f = r.file_infos.unwrap();
        let algs =
            Algorithms::from_codes(f.hash_algorithm, f.compression_format, f.encrypt_algorithm).unwrap();
        let key = AesKey::new(KEY, IV).unwrap();
        let (_, bytes) = package::unpack(&f.beian_info, &f.beian_info_hash, algs, Some(&key)).unwrap();
        Some((f.return_file_name, xml::from_bytes(&bytes, Mode::Strict).unwrap(), r.msg_code))
    }

    async fn ack(&self, name: &str) -> i64 {
        let mut args = self.auth(PASSWORD);
        args.push(("fileName", name.to_owned()));
        let r: downloadack_return::Return = self.call(Operation::DownloadAck, args).await;
        r.msg_code
    }

    /// Downloads and acknowledges everything waiting.
    async fn drain(&self) -> Vec<DownloadData> {
        let mut out = Vec::new();
        while let Some((name, doc, _)) = self.download().await {
            assert_eq!(self.ack(&name).await, 0);
            out.push(doc);
        }
        out
    }

    /// Every file the bureau ever queued, validated against download.xsd by xmllint.
    async fn validate_downloads(&self, label: &str) {
        let dir = std::env::temp_dir().join(format!("beian-reg-miit-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files: Vec<_> = self
            .reg
            .downloads_of(&self.keys, ISP)
            .await
            .unwrap()
            .into_iter()
            .map(|(name, _, xml, _)| {
                let p = dir.join(format!("{name}.xml"));
                std::fs::write(&p, xml).unwrap();
                p
            })
            .collect();
        assert!(!files.is_empty());
        let verdict = beian_miit::testing::xmllint("download.xsd", &files);
        std::fs::remove_dir_all(&dir).ok();
        verdict.unwrap_or_else(|r| panic!("{label}: a download breaks download.xsd:\n{r}"));
    }

    /// Every person texted for `order` enters the code from the simulated phone.
    async fn verify_all(&self, order: &Order) {
        for (_, person) in order.persons() {
            let outbox: Value = self
                .http
                .get(format!("{}/api/v1/sms/outbox?mobile={}", self.base, person.mobile))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let Some(body) = outbox[0]["body"].as_str() else { continue };
            let code: String = body.split("核验码为").nth(1).unwrap().chars().take(6).collect();
            let cert = &person.certificate.number;
            self.http
                .post(format!("{}/api/v1/sms/verify", self.base))
                .json(&json!({ "mobile": person.mobile, "cert_last_six": &cert[cert.len() - 6..], "code": code }))
                .send()
                .await
                .unwrap();
        }
    }

    /// The bureau approves everything waiting for it.
    async fn approve_waiting(&self) -> usize {
        let ids: Vec<beian_store::Uuid> = beian_store::on!(store self.reg.store(), |c| sqlx::query_scalar(
            "SELECT id FROM reg_submissions WHERE status = 'bureau_review' ORDER BY received_at"
        )
        .fetch_all(c)
        .await
        .unwrap());
        let who = beian_regulator::bureau::Account {
            id: beian_store::Uuid::nil(),
            username: "bureau-zj".into(),
            role: beian_regulator::bureau::Role::Admin,
            province: None,
        };
        for id in &ids {
            let mut tx = self.reg.begin().await.unwrap();
            beian_regulator::bureau::approve(
                &mut tx,
                &self.keys,
                &who,
                *id,
                self.clock.load(Ordering::SeqCst),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        self.svc.run_due_jobs("test").await.unwrap();
        ids.len()
    }
}

fn icp(doc: &DownloadData) -> &beian_miit::schema::download::Icp {
    match &doc.choice {
        DownloadDataChoice::Icp(i) => i,
        _ => panic!("not an ICP file"),
    }
}

#[tokio::test]
async fn a_first_filing_through_v3_to_its_numbers() {
    for (label, b, _db) in bureaus(true).await {
        // The first download is the base code tables.
        let (name, jcdm, code) = b.download().await.unwrap();
        assert_eq!(code, 0, "{label}");
        let DownloadDataChoice::Jcdm(j) = &jcdm.choice else { panic!("{label}: the first file is not JCDM") };
        assert_eq!(CodeTables::from_download(j), tables(), "{label}");
        // Not acknowledged: it comes again.
        assert_eq!(b.download().await.unwrap().0, name, "{label}");
        assert_eq!(b.ack(&name).await, 0, "{label}");
        assert_eq!(b.ack(&name).await, 0, "{label}: acknowledging twice changes nothing");
        assert!(b.download().await.is_none(), "{label}");

        let order = example("company");
        let r =
            b.upload_with(1, &xzba_file(std::slice::from_ref(&order), 100), Algorithms::AES, PASSWORD).await;
        assert_eq!((r.msg_code, r.msg.chars().count()), (0, 256), "{label}: {}", r.msg.trim());
        b.verify_all(&order).await;
        assert_eq!(b.approve_waiting().await, 1, "{label}");
        let files = b.drain().await;
        assert_eq!(files.len(), 1, "{label}");
        let i = icp(&files[0]);
        let v = beian_miit::mapping::results::verdicts(i.bajg.as_ref().unwrap());
        assert!(v[0].approved(), "{label}: {v:?}");
        assert_eq!((v[0].operation, v[0].identifier.as_deref()), (1, Some("101")), "{label}");
        let learned = beian_miit::mapping::filed::learn(&i.basj.as_ref().unwrap().baxx[0], ISP);
        assert_eq!(learned.isp_subject, Some(101), "{label}");
        assert!(learned.on_file.subject_number.starts_with("浙ICP备"), "{label}");
        assert_eq!(learned.numbers_by_isp_website.len(), 3, "{label}");
        assert!(learned.on_file.websites.values().all(|s| s.access_id.is_some()), "{label}");

        // The records answer the status query, by domain and by certificate.
        let mut args = b.auth(PASSWORD);
        args.extend([("queryConditionType", "0".into()), ("queryCondition", "aliyun.com".into())]);
        let s: querybeianstatus_return::Return = b.call(Operation::QueryBeianStatus, args).await;
        let info = s.status_info.unwrap();
        assert_eq!((info.bazt.as_str(), info.wzmc.as_deref()), ("0", Some("阿里云计算官网")), "{label}");
        let mut args = b.auth(PASSWORD);
        args.extend([("queryConditionType", "1".into()), ("queryCondition", "91330106000000000X".into())]);
        let s: querybeianstatus_return::Return = b.call(Operation::QueryBeianStatus, args).await;
        assert_eq!(s.status_info.unwrap().bazt, "1", "{label}");
        b.validate_downloads(label).await;
    }
}

#[tokio::test]
async fn authentication_refusals_carry_the_spec_codes() {
    for (label, b, _db) in bureaus(false).await {
        let code = |r: &[u8]| -> i64 {
            xml::from_bytes::<download_return::Return>(r, Mode::Lenient).unwrap().msg_code
        };
        let wrong_password = b.auth("not-the-password");
        assert_eq!(
            code(&b.post(Endpoint::UpDownLoad, Operation::Download, wrong_password).await),
            5,
            "{label}"
        );
        let mut wrong_user = b.auth(PASSWORD);
        wrong_user[1].1 = "someone-else".into();
        assert_eq!(code(&b.post(Endpoint::UpDownLoad, Operation::Download, wrong_user).await), 4, "{label}");
        let unknown_unit = auth::call_args(42, "aliyun-v3", PASSWORD, &b.rand_val(), HashAlgorithm::Md5);
        assert_eq!(
            code(&b.post(Endpoint::UpDownLoad, Operation::Download, unknown_unit).await),
            4,
            "{label}"
        );
        let short = auth::call_args(ISP, "aliyun-v3", PASSWORD, "0123456789", HashAlgorithm::Md5);
        assert_eq!(code(&b.post(Endpoint::UpDownLoad, Operation::Download, short).await), 16, "{label}");
        let once = b.auth(PASSWORD);
        assert_eq!(
            code(&b.post(Endpoint::UpDownLoad, Operation::Download, once.clone()).await),
            0,
            "{label}"
        );
        assert_eq!(
            code(&b.post(Endpoint::UpDownLoad, Operation::Download, once).await),
            12,
            "{label}: a replayed randVal"
        );
        let mut bad_alg = b.auth(PASSWORD);
        bad_alg[4].1 = "7".into();
        assert_eq!(code(&b.post(Endpoint::UpDownLoad, Operation::Download, bad_alg).await), 10, "{label}");
        // A call of another address is a SOAP fault, as is a message that is no call.
        let body = b.desc.request(Operation::Download, &b.auth(PASSWORD)).unwrap();
        let resp = b
            .http
            .post(format!("{}{}", b.base, Endpoint::QueryBeianStatus.path()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500, "{label}");
        let resp = b
            .http
            .post(format!("{}{}", b.base, Endpoint::UpDownLoad.path()))
            .body("<x/>")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500, "{label}");
        let audited: i64 = beian_store::on!(store b.reg.store(), |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM reg_audit WHERE action = 'isp_download' AND outcome = '5'"
        )
        .fetch_one(c)
        .await
        .unwrap());
        assert_eq!(audited, 1, "{label}");
    }
}

#[tokio::test]
async fn packaging_faults_and_the_sequence_rule() {
    for (label, b, _db) in bureaus(true).await {
        b.drain().await;
        let file = xzba_file(&[example("individual")], 200);
        // Wrong hash (7), a key the bureau does not hold (6), not a zip (8), two files (17),
        // unknown compression (11) and encryption (9).
        let key = AesKey::new(KEY, IV).unwrap();
        let sealed = package::pack("U1", &file, Algorithms::PLAIN, None).unwrap();
        let send = |info: String, hash: String, enc: &str, comp: &str| {
            let mut args = b.auth(PASSWORD);
            args.extend([
                ("beianInfo", info),
                ("beianInfoHash", hash),
                ("dataSequence", "1".into()),
                ("encryptAlgorithm", enc.into()),
                ("compressionFormat", comp.into()),
            ]);
            b.call::<upload_return::Return>(Operation::Upload, args)
        };
        let other_hash = package::pack("U1", b"<x/>", Algorithms::PLAIN, None).unwrap().hash;
        assert_eq!(send(sealed.info.clone(), other_hash, "0", "0").await.msg_code, 7, "{label}");
        let wrong_key =
            package::pack("U1", &file, Algorithms::AES, Some(&AesKey::new("another-key-16by", IV).unwrap()))
                .unwrap();
        let r = send(wrong_key.info, wrong_key.hash, "1", "0").await;
        assert!(matches!(r.msg_code, 6 | 7), "{label}: {}", r.msg_code);
        let not_zip = package::seal(b"plain text", Algorithms::PLAIN, None).unwrap();
        assert_eq!(send(not_zip.info, not_zip.hash, "0", "0").await.msg_code, 8, "{label}");
        assert_eq!(send(sealed.info.clone(), sealed.hash.clone(), "0", "4").await.msg_code, 11, "{label}");
        assert_eq!(send(sealed.info.clone(), sealed.hash.clone(), "5", "0").await.msg_code, 9, "{label}");
        let _ = key;

        // 1 is the first number; a gap answers 14 with what is missing.
        let r = b.upload(3, &file).await;
        assert_eq!(r.msg_code, 14, "{label}");
        assert_eq!(r.data_sequences.unwrap().data_sequence, vec!["1".to_owned(), "2".to_owned()], "{label}");
        assert_eq!(b.upload(1, &file).await.msg_code, 0, "{label}");
        // The same file again under its number is taken once; another file under it is refused.
        assert_eq!(b.upload(1, &file).await.msg_code, 0, "{label}");
        let submissions: i64 = beian_store::on!(store b.reg.store(), |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM reg_submissions WHERE channel = 'miit'"
        )
        .fetch_one(c)
        .await
        .unwrap());
        assert_eq!(submissions, 1, "{label}");
        let other = xzba_file(&[example("company")], 300);
        assert_eq!(b.upload(1, &other).await.msg_code, 999, "{label}");

        // A file that breaks the XSD, or names another version, is received and answered later.
        assert_eq!(
            b.upload(
                2,
                b"<?xml version=\"1.0\" encoding=\"GBK\"?><UploadData version=\"V.3.0\"><ICP/></UploadData>"
            )
            .await
            .msg_code,
            0,
            "{label}"
        );
        let old = String::from_utf8_lossy(&xzba_file(&[example("individual")], 400))
            .replace("version=\"V.3.0\"", "version=\"V.2.0\"");
        let (old, _, _) = encoding_rs::GBK.encode(&old);
        assert_eq!(b.upload(3, &old).await.msg_code, 0, "{label}");
        let results: Vec<_> = b
            .drain()
            .await
            .iter()
            .flat_map(|d| beian_miit::mapping::results::verdicts(icp(d).bajg.as_ref().unwrap()))
            .collect();
        assert_eq!(results.len(), 2, "{label}: {results:?}");
        assert_eq!((results[0].codes[0].0, results[0].identifier.as_deref()), (5001, Some("U2")), "{label}");
        assert_eq!(results[1].codes[0].0, 5004, "{label}");

        // What the bureau holds as the last upload, for a provider resynchronising.
        let r: beian_miit::schema::querypreviousupload_return::Return =
            b.call(Operation::QueryPreviousUpload, b.auth(PASSWORD)).await;
        assert_eq!((r.msg_code, r.file_infos.unwrap().data_sequence), (0, 3), "{label}");
        b.validate_downloads(label).await;
    }
}

#[tokio::test]
async fn a_record_the_tables_refuse_is_answered_at_once() {
    for (label, b, _db) in bureaus(false).await {
        b.drain().await;
        let text = String::from_utf8_lossy(&xzba_file(&[example("company")], 500))
            .replace("<Dwxz>3</Dwxz>", "<Dwxz>999</Dwxz>");
        let (file, _, _) = encoding_rs::GBK.encode(&text);
        assert_eq!(b.upload(1, &file).await.msg_code, 0, "{label}");
        let files = b.drain().await;
        let v = beian_miit::mapping::results::verdicts(icp(&files[0]).bajg.as_ref().unwrap());
        assert_eq!(v[0].codes.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1002, 1014], "{label}");
        assert_eq!(v[0].identifier.as_deref(), Some("501"), "{label}");
    }
}

#[tokio::test]
async fn the_blacklist_refuses_records_and_goes_down_to_every_provider() {
    use beian_miit::mapping::lists::{self, Listed, Listing};
    for (label, b, _db) in bureaus(false).await {
        b.drain().await;
        let company = example("company");
        let listing = Listing::Subject {
            name: &company.subject.name,
            nature: company.subject.nature,
            certificate: &company.subject.certificate,
        };
        assert_eq!(b.svc.miit_blacklist(listing, false, Some("测试")).await.unwrap(), 1, "{label}");
        let domains = vec![company.websites[1].domains[0].clone()];
        let site = Listing::Website { name: &company.websites[1].name, domains: &domains };
        b.svc.miit_blacklist(site, false, None).await.unwrap();
        // Each change is handed down as HMDLB.
        let files = b.drain().await;
        let entries: Vec<Listed> =
            files.iter().flat_map(|f| lists::entries(icp(f))).map(|e| e.listed).collect();
        assert_eq!(
            entries,
            vec![
                Listed::Subject { certificate: company.subject.certificate.number.clone() },
                Listed::Domain(domains[0].clone())
            ],
            "{label}"
        );
        // A record of the listed subject is refused with 1065; once the subject is off the
        // list, its listed domain is refused with 1064.
        assert_eq!(b.upload(1, &xzba_file(std::slice::from_ref(&company), 600)).await.msg_code, 0, "{label}");
        b.svc.miit_blacklist(listing, true, None).await.unwrap();
        assert_eq!(b.upload(2, &xzba_file(std::slice::from_ref(&company), 700)).await.msg_code, 0, "{label}");
        let codes: Vec<Vec<i64>> = b
            .drain()
            .await
            .iter()
            .filter_map(|f| icp(f).bajg.as_ref())
            .flat_map(beian_miit::mapping::results::verdicts)
            .map(|v| v.codes.iter().map(|c| c.0).collect())
            .collect();
        assert_eq!(codes, vec![vec![1002, 1065], vec![1002, 1064]], "{label}");
    }
}

/// An outside SOAP client: Python's `zeep` (PyPI) reads the simulator's WSDL, uploads a
/// hand-written `XZBA` file (packed with Python's `zipfile`, `hashlib` and `base64`), then
/// downloads until nothing is left — the code tables, then the record's `BAJG` result — and
/// acknowledges each file.
const ZEEP_CLIENT: &str = r#"
import base64, hashlib, io, json, random, string, sys, zipfile
import xml.etree.ElementTree as ET
from zeep import Client

base, isp, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
client = Client(base + "/ISPWebService/upDownLoad?wsdl")

def auth():
    rand = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))
    digest = hashlib.md5((password + rand).encode("gbk")).digest()
    return dict(ispId=isp, userName=user, randVal=rand, pwdHash=base64.b64encode(digest).decode(), hashAlgorithm=0)

xml = """<?xml version="1.0" encoding="GBK"?>
<UploadData version="V.3.0"><ICP><XZBA><Baxx>
<Zt_xx><IspZtid>77</IspZtid><Dwmc>杭州手写测试有限公司</Dwmc><Dwxz>999</Dwxz>
<Txdz><Shengid>330000</Shengid><Shiid>330100</Shiid><Xianid>330106</Xianid><Xxdz>浙江省杭州市西湖区文三路1号</Xxdz></Txdz>
<Zj><Zjlx>3</Zjlx><Zjhm>91330106MA2B000000</Zjhm><Zjzs>浙江省杭州市西湖区文三路1号</Zjzs></Zj>
<Fzr><Fzr_xm>王五</Fzr_xm><Fzr_dhhm>0571-85022088</Fzr_dhhm><Fzr_sjhm>13800138000</Fzr_sjhm><Fzr_dzyj>wangwu@example.com</Fzr_dzyj><Fzr_zjlx>7</Fzr_zjlx><Fzr_zjhm>330106198001011235</Fzr_zjhm></Fzr>
<Bbfs>1</Bbfs></Zt_xx>
<Wz_xx><IspWzid>78</IspWzid><Wzmc>手写测试官网</Wzmc><Fwnr><Fwnr_id>1</Fwnr_id></Fwnr><Yylb><Yylb_id>1</Yylb_id></Yylb>
<Ym_xx><IspYmid>79</IspYmid><Ym>example-handwritten.com</Ym></Ym_xx>
<Jr_xx><IspJrid>80</IspJrid><Wzfb><Fbdd>11</Fbdd></Wzfb><Wzjrfs><Jrfs>4</Jrfs></Wzjrfs><Ip_xx><IspIpid>81</IspIpid><Qsip>794820874</Qsip><Zzip>794820874</Zzip></Ip_xx></Jr_xx>
<Wz_Fzr><Fzr_xm>王五</Fzr_xm><Fzr_sjhm>13800138000</Fzr_sjhm><Fzr_dzyj>wangwu@example.com</Fzr_dzyj></Wz_Fzr></Wz_xx>
</Baxx></XZBA><Qqdwid>%s</Qqdwid></ICP></UploadData>""" % isp
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("HandWritten1", xml.encode("gbk"))
archive = buf.getvalue()
up = client.service.isp_upload(beianInfo=base64.b64encode(archive).decode(),
    beianInfoHash=base64.b64encode(hashlib.md5(archive).digest()).decode(),
    dataSequence=1, encryptAlgorithm=0, compressionFormat=0, **auth())
out = {"upload": int(ET.fromstring(up).findtext("msg_code")), "files": []}
while True:
    ans = ET.fromstring(client.service.isp_download(**auth()))
    code = int(ans.findtext("msg_code"))
    if code == 2:
        break
    info = ans.find("fileInfos")
    data = base64.b64decode(info.findtext("beianInfo"))
    assert base64.b64encode(hashlib.md5(data).digest()).decode() == info.findtext("beianInfoHash").strip()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        # The files are GBK; expat reads no multi-byte encodings, so decode first.
        doc = ET.fromstring(z.read(z.namelist()[0]).decode("gbk").split("?>", 1)[1])
    name = info.findtext("return_FileName")
    ack = ET.fromstring(client.service.isp_downloadack(fileName=name, **auth()))
    out["files"].append({"root": doc.tag, "first": doc[0].tag, "codes": [int(c.text) for c in doc.iter("Jgdm")], "ack": int(ack.findtext("msg_code"))})
json.dump(out, sys.stdout)
"#;

#[tokio::test]
async fn an_outside_soap_client_uploads_downloads_and_acknowledges() {
    let ready = std::process::Command::new("python3")
        .args(["-c", "import zeep"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        assert!(
            std::env::var_os("BEIAN_TEST_REQUIRE_PYTHON").is_none(),
            "python3 with zeep is required (BEIAN_TEST_REQUIRE_PYTHON is set)"
        );
        eprintln!("SKIPPED: python3 with zeep is not installed; the outside SOAP client did not run");
        return;
    }
    for (label, b, _db) in bureaus(false).await {
        let base = b.base.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("python3")
                .args(["-c", ZEEP_CLIENT, &base, &ISP.to_string(), "aliyun-v3", PASSWORD])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{label}: zeep failed: {}", String::from_utf8_lossy(&out.stderr));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["upload"], 0, "{label}: {r}");
        let files = r["files"].as_array().unwrap();
        assert_eq!(files.len(), 2, "{label}: {r}");
        assert_eq!(
            (files[0]["root"].as_str(), files[0]["first"].as_str()),
            (Some("DownloadData"), Some("JCDM")),
            "{label}"
        );
        assert_eq!(files[1]["codes"], json!([1002, 1014]), "{label}: the unknown unit nature is refused");
        assert!(files.iter().all(|f| f["ack"] == 0), "{label}: {r}");
        assert!(b.download().await.is_none(), "{label}: everything was acknowledged");
    }
}
