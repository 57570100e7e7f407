//! Provider and regulator as two services on loopback, wired to each other over the signed
//! seam and reading one manual clock: the end-to-end filing tests and the browser's full flow.

use std::net::SocketAddr;
use std::sync::Arc;

use beian_app::Role;
use beian_app::clock::{Clock, ManualClock};
use beian_app::notify::OutboxMailer;
use beian_app::seam::miit::Bureau;
use beian_app::seam::{HttpRegulator, RegulatorSeam};
use beian_regulator::RegulatorStore;
use beian_regulator::bureau::{Role as BureauRole, create_account};
use beian_regulator::router::router;
use beian_regulator::service::Service;
use beian_seam::SigningKey;
use beian_store::testing::TestStore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::macros::datetime;

use super::{Client, PASSWORD, TestServer, example, photo};

pub const KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

pub struct World {
    /// The provider speaks MIIT's interface V3.0 to the regulator (and the JSON seam for what
    /// V3.0 lacks).
    pub miit: bool,
    pub provider: TestServer,
    pub regulator: Service,
    pub reg_base: String,
    pub _reg_db: TestStore,
    pub owner: Client,
    pub reviewer: Client,
    pub bureau: Client,
    /// What the provider's hosting check resolves domains to (nothing resolves at first).
    pub resolver: Arc<beian_app::resolve::StaticResolver>,
}

pub async fn serve_regulator(svc: &Service, listener: tokio::net::TcpListener) {
    let app = router(svc.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
}

/// A regulator service on its own database, reading `clock`.
pub async fn regulator(db: &TestStore, clock: &ManualClock) -> Service {
    let reg = RegulatorStore::new(db.store.clone());
    reg.migrate().await.unwrap();
    let c = clock.clone();
    Service::new(
        reg,
        Arc::new(beian_crypto::Keys::generate().unwrap()),
        Arc::new(move || beian_store::micros(c.now())),
    )
}

/// A 16×16 PNG standing in for the platform's badge icon.
pub fn badge() -> beian_app::footers::PsbBadge {
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(16, 16, image::Rgba([200, 30, 30, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    beian_app::footers::PsbBadge::from_png(png).unwrap()
}

/// Provider and regulator wired to each other; `regulator_up` false leaves the regulator's
/// port closed until [`World::regulator_comes_up`].
pub async fn world(
    provider_db: TestStore,
    reg_db: TestStore,
    regulator_up: bool,
    callback_listener: Option<tokio::net::TcpListener>,
) -> (World, Option<tokio::net::TcpListener>) {
    world_scanning(provider_db, reg_db, regulator_up, callback_listener, None).await
}

/// A world whose provider scans filed sites, connecting every host to `sites`.
pub async fn world_scanning(
    provider_db: TestStore,
    reg_db: TestStore,
    regulator_up: bool,
    callback_listener: Option<tokio::net::TcpListener>,
    sites: Option<std::net::SocketAddr>,
) -> (World, Option<tokio::net::TcpListener>) {
    build(provider_db, reg_db, regulator_up, callback_listener, sites, None, None).await
}

/// The provider's reporting-unit id and interface login at the regulator's V3.0 interface.
pub const MIIT_UNIT: i64 = 700_001;
pub const MIIT_PASSWORD: &str = "demo-cloud-v3-2026";
pub const MIIT_KEY: (&str, &str) = ("demo-cloud-key16", "0102030405060708");

/// A world whose provider files ICP orders through MIIT's interface V3.0 (encrypted files).
pub async fn world_miit(provider_db: TestStore, reg_db: TestStore) -> World {
    build(provider_db, reg_db, true, None, None, Some(Box::new(|p| p)), None).await.0
}

/// A V3.0 world whose provider scans filed sites, connecting every host to `sites`.
pub async fn world_miit_scanning(provider_db: TestStore, reg_db: TestStore, sites: SocketAddr) -> World {
    build(provider_db, reg_db, true, None, Some(sites), Some(Box::new(|p| p)), None).await.0
}

/// A V3.0 world whose bureau takes uploads only in `hours` (`HH:MM-HH:MM`, China time), and
/// whose provider is configured with the same hours.
pub async fn world_miit_hours(provider_db: TestStore, reg_db: TestStore, hours: &'static str) -> World {
    build(provider_db, reg_db, true, None, None, Some(Box::new(|p| p)), Some(hours)).await.0
}

/// Wraps the provider's V3.0 port (to lose answers on the way).
pub type WrapPort = Box<dyn FnOnce(Arc<dyn Bureau>) -> Arc<dyn Bureau> + Send>;

/// A V3.0 world whose provider reaches the bureau through `wrap`, the regulator's port closed
/// until [`World::regulator_comes_up`] unless `regulator_up`.
pub async fn world_miit_with(
    provider_db: TestStore,
    reg_db: TestStore,
    regulator_up: bool,
    wrap: WrapPort,
) -> (World, Option<tokio::net::TcpListener>) {
    build(provider_db, reg_db, regulator_up, None, None, Some(wrap), None).await
}

async fn build(
    provider_db: TestStore,
    reg_db: TestStore,
    regulator_up: bool,
    callback_listener: Option<tokio::net::TcpListener>,
    sites: Option<std::net::SocketAddr>,
    miit_port: Option<WrapPort>,
    upload_hours: Option<&'static str>,
) -> (World, Option<tokio::net::TcpListener>) {
    let miit = miit_port.is_some();
    let clock = ManualClock::new(datetime!(2026-11-28 10:00 +8));
    let svc = regulator(&reg_db, &clock).await;
    let reg_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let reg_base = format!("http://{}", reg_listener.local_addr().unwrap());
    let svc = svc.with_public_url(&reg_base);
    let held = if regulator_up {
        serve_regulator(&svc, reg_listener).await;
        None
    } else {
        Some(reg_listener)
    };
    let key = SigningKey::from_hex(KEY).unwrap();
    let port = HttpRegulator::new(&reg_base, "demo-cloud", key.clone(), Arc::new(clock.clone())).unwrap();
    let seam = RegulatorSeam { port: Arc::new(port), provider: "demo-cloud".into(), key };
    let soap: Arc<dyn Bureau> = Arc::new(beian_app::seam::miit::SoapBureau::new(&reg_base).unwrap());
    let miit_seam = beian_app::seam::miit::MiitSeam::new(
        match miit_port {
            Some(wrap) => wrap(soap),
            None => soap,
        },
        beian_app::seam::miit::Credentials {
            unit_id: MIIT_UNIT,
            user: "demo-cloud".into(),
            password: MIIT_PASSWORD.into(),
            aes: beian_miit::package::AesKey::new(MIIT_KEY.0, MIIT_KEY.1),
            version: "V.3.0".into(),
            upload_hours: upload_hours.and_then(beian_miit::hours::Hours::parse),
        },
    );
    let resolver = Arc::new(beian_app::resolve::StaticResolver::default());
    let provider_resolver: Arc<dyn beian_app::resolve::Resolver> = resolver.clone();
    let provider =
        TestServer::start_with(provider_db, Arc::new(OutboxMailer), clock, callback_listener, move |app| {
            // The operator's copy of the PSB badge, served for the customers' footers.
            let app = app
                .with_regulator(seam)
                .with_resolver(provider_resolver)
                .with_config(|c| c.psb_badge = Some(badge()));
            let app = if miit { app.with_miit(miit_seam) } else { app };
            match sites {
                Some(addr) => app.with_scanning(beian_scan::FetchOptions {
                    connect_to: Some(addr),
                    timeout: std::time::Duration::from_secs(3),
                    ..beian_scan::FetchOptions::default()
                }),
                None => app,
            }
        })
        .await;
    // The provider's callback URL is where it listens.
    let mut tx = svc.store.begin().await.unwrap();
    let callback = format!("{}{}", provider.base, beian_web::callback::CALLBACK_PATH);
    let provider_id = beian_regulator::providers::register(
        &mut tx,
        "demo-cloud",
        "演示云计算有限公司",
        KEY,
        Some(&callback),
        1,
    )
    .await
    .unwrap();
    if miit {
        let account = beian_regulator::miit::accounts::NewAccount {
            isp_id: MIIT_UNIT,
            user_name: "demo-cloud",
            password: MIIT_PASSWORD,
            province: beian_core::province::ProvinceCode::parse("33").unwrap(),
            aes: Some(MIIT_KEY),
            upload_hours,
        };
        beian_regulator::miit::accounts::create(&mut tx, &svc.keys, provider_id, &account, 1).await.unwrap();
    }
    create_account(
        &mut tx,
        "bureau-zj",
        PASSWORD,
        BureauRole::Bureau,
        beian_core::province::ProvinceCode::parse("33"),
        1,
    )
    .await
    .unwrap();
    create_account(
        &mut tx,
        "psb-zj",
        PASSWORD,
        BureauRole::Psb,
        beian_core::province::ProvinceCode::parse("33"),
        1,
    )
    .await
    .unwrap();
    create_account(
        &mut tx,
        "bureau-gd",
        PASSWORD,
        BureauRole::Bureau,
        beian_core::province::ProvinceCode::parse("44"),
        1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    provider.account("reviewer@example.com", Role::Reviewer).await;
    provider.account("admin@example.com", Role::Admin).await;
    let admin = provider.login("admin@example.com").await;
    let r = admin.post("/api/v1/admin/ip-pools", json!({ "cidr": "47.96.0.0/11", "note": "hz" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    if miit {
        // Where the provider's servers stand and how sites reach them: every V3.0 record says.
        let profile = json!({
            "name": "演示云计算有限公司", "region": "330106", "phone": "95187",
            "organization_code": "67395965-4", "access_method": "cloud_server"
        });
        let r = admin
            .call(reqwest::Method::PUT, "/api/v1/admin/provider-profile", Some(profile), Some("\"0\""))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    provider.account("owner@example.com", Role::Applicant).await;
    let owner = provider.login("owner@example.com").await;
    let reviewer = provider.login("reviewer@example.com").await;
    let bureau = if held.is_none() {
        bureau_login(&reg_base, "bureau-zj").await
    } else {
        Client::anonymous(&reg_base)
    };
    (
        World {
            miit,
            provider,
            regulator: svc,
            reg_base,
            _reg_db: reg_db,
            owner,
            reviewer,
            bureau,
            resolver,
        },
        held,
    )
}

pub async fn bureau_login(base: &str, user: &str) -> Client {
    let c = Client::anonymous(base);
    let r = c.post("/api/v1/bureau/login", json!({ "username": user, "password": PASSWORD })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let http = reqwest::Client::builder()
        .default_headers(
            [(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap())]
                .into_iter()
                .collect(),
        )
        .build()
        .unwrap();
    Client { base: base.to_owned(), http, csrf: None }
}

/// A provider database and a regulator database per backend: SQLite, and PostgreSQL when
/// `BEIAN_TEST_DATABASE_URL` is set.
pub async fn pairs() -> Vec<(TestStore, TestStore)> {
    let mut out =
        vec![(beian_store::testing::sqlite().await, beian_store::testing::sqlite_unmigrated().await)];
    if let (Some(p), Some(r)) =
        (beian_store::testing::postgres(true).await, beian_store::testing::postgres(false).await)
    {
        out.push((p, r));
    }
    out
}

impl World {
    pub fn clock(&self) -> &ManualClock {
        &self.provider.clock
    }

    /// Runs both sides' queues until neither has anything due (and, over V3.0, takes the
    /// bureau's files as the provider's worker would every few minutes).
    pub async fn settle(&self) {
        for _ in 0..10 {
            let a = self.provider.run_jobs().await;
            self.regulator.tick("test-regulator").await;
            let files = if self.miit {
                // A bureau that is down is not the test's failure: the next settle tries again.
                self.provider.app.seam().miit_sync().await.unwrap_or_else(|e| {
                    eprintln!("V3.0 download: {e:#}");
                    0
                })
            } else {
                0
            };
            let b = self.provider.run_jobs().await + files;
            if a == 0 && b == 0 && self.regulator.run_due_jobs("test-regulator").await.unwrap() == 0 {
                return;
            }
        }
    }

    /// Every file the provider uploaded validates against upload.xsd, and every file the
    /// simulator handed down against download.xsd (xmllint).
    pub async fn validate_miit_files(&self, label: &str) {
        let dir =
            std::env::temp_dir().join(format!("beian-web-miit-{label}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut uploads = Vec::new();
        for u in self.provider.app.store().miit_uploads().await.unwrap() {
            let p = dir.join(format!("upload-{}.xml", u.seq));
            std::fs::write(&p, self.provider.app.seam().miit_upload_xml(u.seq).await.unwrap()).unwrap();
            uploads.push(p);
        }
        let mut downloads = Vec::new();
        for (name, _, xml, _) in
            self.regulator.store.downloads_of(&self.regulator.keys, MIIT_UNIT).await.unwrap()
        {
            let p = dir.join(format!("{name}.xml"));
            std::fs::write(&p, xml).unwrap();
            downloads.push(p);
        }
        assert!(!uploads.is_empty() && !downloads.is_empty(), "{label}: no files");
        let up = beian_miit::testing::xmllint("upload.xsd", &uploads);
        let down = beian_miit::testing::xmllint("download.xsd", &downloads);
        std::fs::remove_dir_all(&dir).ok();
        up.unwrap_or_else(|r| panic!("{label}: an upload breaks upload.xsd:\n{r}"));
        down.unwrap_or_else(|r| panic!("{label}: a download breaks download.xsd:\n{r}"));
    }

    pub async fn order(&self, id: &str) -> Value {
        self.owner.get(&format!("/api/v1/orders/{id}")).await.body
    }

    pub async fn state(&self, id: &str) -> Value {
        self.order(id).await["state"].clone()
    }

    /// Draft → documents → submit → claim → identity check → provider approval → delivered.
    pub async fn file(&self, subject: Option<&str>, websites: Value) -> (String, String) {
        self.file_order(subject, json!({ "websites": websites })).await
    }

    /// Like [`World::file`] with any order fields (`kind`, `target_numbers`, `websites`).
    pub async fn file_order(&self, subject: Option<&str>, fields: Value) -> (String, String) {
        let (subject_id, order) = self.draft(subject, fields).await;
        self.provider_approves(&order).await;
        (subject_id, order)
    }

    /// An order with its documents, not yet submitted.
    pub async fn draft(&self, subject: Option<&str>, fields: Value) -> (String, String) {
        let subject_id = match subject {
            Some(s) => s.to_owned(),
            None => {
                let s = self
                    .owner
                    .post(
                        "/api/v1/subjects",
                        json!({ "province": "33", "subject": example()["order"]["subject"] }),
                    )
                    .await;
                assert_eq!(s.status, StatusCode::CREATED, "{}", s.body);
                s.body["id"].as_str().unwrap().to_owned()
            }
        };
        let n = fields["websites"].as_array().map_or(0, Vec::len);
        let mut body = json!({ "subject_id": subject_id, "domain_facts": example()["context"]["domains"] });
        body.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        let o = self.owner.post("/api/v1/orders", body).await;
        assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
        let order = o.body["id"].as_str().unwrap().to_owned();
        let mut docs = vec![("business_licence", "subject".to_owned())];
        for p in
            std::iter::once("subject.head".to_owned()).chain((0..n).map(|i| format!("websites[{i}].head")))
        {
            docs.extend([("id_front", p.clone()), ("id_back", p.clone()), ("face_photo", p)]);
        }
        for (kind, path) in docs {
            let r = self.owner.upload(&order, kind, &path, photo(), "image/png").await;
            assert!(
                r.status == StatusCode::CREATED || r.status == StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                r.body
            );
        }
        (subject_id, order)
    }

    pub async fn provider_approves(&self, order: &str) {
        let o = self.owner.get(&format!("/api/v1/orders/{order}")).await;
        let sub = self.owner.act(order, "submit", None, &o.etag()).await;
        if sub.status != StatusCode::OK {
            eprintln!(
                "submit refused; the check says {}",
                self.owner.post(&format!("/api/v1/orders/{order}/check"), json!({})).await.body
            );
        }
        assert_eq!(sub.body["state"]["state"], "submitted", "{}", sub.body);
        let claimed = self.reviewer.act(order, "claim", None, &sub.etag()).await;
        let verified = self
            .reviewer
            .act(order, "verification", Some(json!({ "passed": true, "note": "一致" })), &claimed.etag())
            .await;
        let approved = self.reviewer.act(order, "approve", None, &verified.etag()).await;
        assert_eq!(approved.body["state"]["state"], "queued_for_regulator", "{}", approved.body);
    }

    /// The newest code texted to `mobile`, from the simulated phones.
    pub async fn code_for(&self, mobile: &str) -> String {
        let r = Client::anonymous(&self.reg_base).get(&format!("/api/v1/sms/outbox?mobile={mobile}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let text = r.body[0]["body"].as_str().unwrap_or_else(|| panic!("no text to {mobile}: {}", r.body));
        assert!(
            text.contains(&format!("{}/sms", self.reg_base)),
            "the text links the verification page: {text}"
        );
        let start = text.find("核验码为").unwrap() + "核验码为".len();
        text[start..start + 6].to_owned()
    }

    pub async fn verify(&self, mobile: &str, last_six: &str, code: &str) -> Value {
        let r = Client::anonymous(&self.reg_base)
            .post("/api/v1/sms/verify", json!({ "mobile": mobile, "cert_last_six": last_six, "code": code }))
            .await;
        r.body
    }

    /// Files `websites` for a new subject of the example's and takes it to its numbers: the
    /// persons the rules name enter their codes, the bureau approves.
    pub async fn file_to_numbers(&self, websites: Value) -> (String, String) {
        let (subject, order) = self.file(None, websites).await;
        self.settle().await;
        let pending = self.state(&order).await["pending"].clone();
        for person in pending.as_array().into_iter().flatten() {
            // The example's subject head, and the head of its second website.
            let (m, six) = if person == "subject.head" { HEAD } else { SITE_HEAD };
            let code = self.code_for(m).await;
            self.verify(m, six, &code).await;
        }
        self.settle().await;
        let id = self.bureau_item(SUBJECT).await;
        let r = self.bureau.post(&format!("/api/v1/bureau/submissions/{id}/approve"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        self.settle().await;
        assert_eq!(self.state(&order).await["state"], "filed");
        (subject, order)
    }

    /// The provider's profile as PSB applications need it (set by the admin).
    pub async fn provider_profile(&self) {
        let admin = self.provider.login("admin@example.com").await;
        let profile = json!({
            "name": "演示云计算有限公司", "region": "330110", "phone": "95187",
            "organization_code": "673959654", "access_method": "租赁虚拟空间",
        });
        let r = admin
            .call(reqwest::Method::PUT, "/api/v1/admin/provider-profile", Some(profile), Some("\"0\""))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    /// The PSB filing of the filed subject's first website, completed, submitted and approved
    /// by the PSB officer (the provider's profile set first): its PSB number.
    pub async fn psb_filed(&self, subject: &str) -> String {
        let list = self.owner.get(&format!("/api/v1/subjects/{subject}/psb")).await;
        let psb = list.body[0]["id"].as_str().unwrap().to_owned();
        let path = |rest: &str| format!("/api/v1/psb/{psb}{rest}");
        let got = self.owner.get(&path("")).await;
        let mut app = got.body["application"].clone();
        app["service_types"] = json!(["b"]);
        app["registrar"]["region"] = json!("浙江省杭州市余杭区");
        app["registrar"]["phone"] = json!("95187");
        let r = self.owner.call(reqwest::Method::PUT, &path(""), Some(app), Some(&got.etag())).await;
        let r = self.owner.call(reqwest::Method::POST, &path("/statement"), None, Some(&r.etag())).await;
        let r = self.owner.call(reqwest::Method::POST, &path("/submit"), None, Some(&r.etag())).await;
        assert_eq!(r.body["state"], "submitted", "{}", r.body);
        self.settle().await;
        let officer = bureau_login(&self.reg_base, "psb-zj").await;
        let item = officer.get("/api/v1/psb/queue").await.body[0]["id"].as_str().unwrap().to_owned();
        let r = officer.post(&format!("/api/v1/psb/applications/{item}/approve"), json!({})).await;
        r.body["psb_number"].as_str().unwrap().to_owned()
    }

    /// A PSB number's public record at the regulator.
    pub async fn psb_record(&self, number: &str) -> Value {
        Client::anonymous(&self.reg_base).get(&format!("/api/v1/psb/records/{number}")).await.body
    }

    pub async fn bureau_item(&self, order_subject: &str) -> String {
        let q = self.bureau.get("/api/v1/bureau/queue").await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        let item = q.body.as_array().unwrap().iter().find(|i| i["subject_name"] == order_subject).cloned();
        item.unwrap_or_else(|| panic!("not in the bureau queue: {}", q.body))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The example's websites at `indices`.
pub fn sites(indices: &[usize]) -> Value {
    let all = example()["order"]["websites"].clone();
    Value::Array(indices.iter().map(|&i| all[i].clone()).collect())
}

/// The example's subject, and the mobiles (with the certificates' last six) of the subject's
/// head and of the second website's head.
pub const SUBJECT: &str = "阿里云计算有限公司";
pub const HEAD: (&str, &str) = ("13800138000", "011235");
pub const SITE_HEAD: (&str, &str) = ("13900139000", "022346");

/// A filed site's home page: with its footer while `good`, without once broken.
pub async fn site_server(good: Arc<std::sync::atomic::AtomicBool>) -> SocketAddr {
    let app = axum::Router::new().fallback(move || {
        let good = good.load(std::sync::atomic::Ordering::SeqCst);
        async move {
            let footer = if good {
                "<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">浙ICP备2026000001号-1</a>"
            } else {
                "© 2026 阿里云"
            };
            axum::response::Html(format!(
                "<html><head><meta charset=\"utf-8\"></head><body><footer>{footer}</footer></body></html>"
            ))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}
