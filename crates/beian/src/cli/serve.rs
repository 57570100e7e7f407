//! `beian serve`, `beian migrate`, `beian demo` and `beian config check`: wiring only —
//! configuration, the store, keys, mailer, blob store, the HTTP server and the job workers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use beian_app::auth::NewAccount;
use beian_app::blobs::{BlobStore, LocalBlobStore, S3BlobStore};
use beian_app::clock::SystemClock;
use beian_app::crypto::Keys;
use beian_app::notify::{HttpSmsGateway, Mailer, OutboxMailer, SmtpMailer};
use beian_app::profile::ProviderProfile;
use beian_app::{App, AppConfig, Ctx, Principal, Role};
use beian_store::Store;
use clap::Args;
use tokio::sync::watch;

use super::UserError;
use super::config::{self, Config, Overrides};

/// Flags shared by `serve`, `demo`, `migrate` and `config check`.
#[derive(Debug, Args, Clone)]
pub struct ServiceArgs {
    /// Settings file (TOML); also `BEIAN_CONFIG`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory for the SQLite database, keys and documents.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address to listen on, HOST:PORT.
    #[arg(long)]
    listen: Option<String>,
    /// `postgres://…` to use PostgreSQL instead of the SQLite file.
    #[arg(long)]
    database_url: Option<String>,
}

/// `beian account add`.
#[derive(Debug, Args, Clone)]
pub struct AccountAddArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// The account's e-mail address (its sign-in name).
    #[arg(long)]
    email: String,
    /// `reviewer`, `admin` or `applicant`.
    #[arg(long, default_value = "reviewer")]
    role: String,
    /// The name shown for it (the e-mail address by default).
    #[arg(long)]
    name: Option<String>,
    /// Read the password from this environment variable instead of stdin.
    #[arg(long, default_value = "BEIAN_ACCOUNT_PASSWORD")]
    password_env: String,
}

/// `beian demo`: the provider's flags, and where the regulator listens.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    #[command(flatten)]
    service: ServiceArgs,
    /// Address the demo's regulator service listens on, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:8090")]
    regulator_listen: String,
    /// Demo policy: the bureau approves by itself after this many seconds (off by default).
    #[arg(long)]
    auto_approve_secs: Option<u64>,
}

impl ServiceArgs {
    /// The service's database settings as another command names them.
    pub(super) fn for_database(
        config: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
    ) -> ServiceArgs {
        ServiceArgs { config, data_dir, listen: None, database_url }
    }

    fn overrides(&self) -> Overrides {
        Overrides {
            config_file: self.config.clone(),
            data_dir: self.data_dir.clone(),
            listen: self.listen.clone(),
            database_url: self.database_url.clone(),
        }
    }
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, UserError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| UserError(format!("cannot start the runtime: {e}")))
}

pub(super) fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("BEIAN_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Reads the key file, or creates one with fresh keys (mode 0600) if `create` and it is missing.
pub(super) fn load_keys(path: &Path, create: bool) -> Result<Keys, UserError> {
    if let Ok(json) = std::env::var("BEIAN_KEYS") {
        return Keys::from_json(&json).map_err(|e| UserError(format!("BEIAN_KEYS: {e}")));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Keys::from_json(&text).map_err(|e| UserError(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => Err(UserError(format!(
            "no key file at {} (the service writes it on first start; or set BEIAN_KEYS)",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let keys = Keys::generate().map_err(|e| UserError(e.to_string()))?;
            if let Some(dir) = path.parent() {
                super::private_dir(dir)?;
            }
            let json = serde_json::to_string_pretty(&keys.to_file()).map_err(|e| UserError(e.to_string()))?;
            write_private(path, &json)?;
            eprintln!(
                "beian: generated new encryption keys in {} — back this file up; without it the data cannot be read",
                path.display()
            );
            Ok(keys)
        }
        Err(e) => Err(UserError(format!("cannot read keys {}: {e}", path.display()))),
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), UserError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| UserError(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| UserError(format!("cannot write {}: {e}", path.display())))
}

async fn connect(cfg: &Config) -> Result<Store, UserError> {
    super::private_dir(&cfg.data_dir)?;
    let store = Store::connect(&cfg.database())
        .await
        .map_err(|e| UserError(format!("cannot open the database: {e}")))?;
    super::private_database(&cfg.database())?;
    Ok(store)
}

fn build_app(cfg: &Config, store: Store, keys: Keys) -> Result<App, UserError> {
    let mailer: Arc<dyn Mailer> = match &cfg.smtp {
        Some(s) => Arc::new(SmtpMailer::new(s).map_err(|e| UserError(format!("smtp: {e}")))?),
        None => Arc::new(OutboxMailer),
    };
    let blobs: Arc<dyn BlobStore> = match &cfg.s3 {
        Some(s3) => Arc::new(S3BlobStore::new(s3).map_err(|e| UserError(format!("s3: {e}")))?),
        None => Arc::new(
            LocalBlobStore::new(cfg.data_dir.join("blobs"))
                .map_err(|e| UserError(format!("blob store: {e}")))?,
        ),
    };
    let psb_badge = cfg.psb_badge()?;
    let app_cfg = AppConfig {
        base_url: cfg.base_url.clone(),
        mail_from: cfg.mail_from.clone(),
        scan: cfg.scan_sites.then(beian_scan::FetchOptions::default),
        hsts: cfg.hsts,
        psb_badge,
        ..AppConfig::default()
    };
    let app = App::new(store, keys, Arc::new(SystemClock), mailer, blobs, app_cfg);
    let app = match &cfg.regulator {
        Some(r) => {
            let key = beian_seam::SigningKey::from_hex(&r.key)
                .ok_or_else(|| UserError("regulator key: not hex".into()))?;
            let port =
                beian_app::seam::HttpRegulator::new(&r.url, &r.provider, key.clone(), Arc::new(SystemClock))
                    .map_err(|e| UserError(format!("regulator: {e}")))?;
            app.with_regulator(beian_app::seam::RegulatorSeam {
                port: Arc::new(port),
                provider: r.provider.clone(),
                key,
            })
        }
        None => app,
    };
    let app = match &cfg.miit {
        Some(m) => app.with_miit(miit_seam(m)?),
        None => app,
    };
    Ok(match &cfg.sms {
        Some(g) => app.with_sms(Arc::new(
            HttpSmsGateway::new(&g.url, &g.token).map_err(|e| UserError(format!("sms: {e}")))?,
        )),
        None => app,
    })
}

/// The V3.0 interface a configuration names.
fn miit_seam(m: &config::MiitLink) -> Result<beian_app::seam::miit::MiitSeam, UserError> {
    let port = beian_app::seam::miit::SoapBureau::new(&m.url).map_err(|e| UserError(format!("miit: {e}")))?;
    let aes = match (&m.aes_key, &m.aes_iv) {
        (Some(k), Some(iv)) => Some(
            beian_miit::package::AesKey::new(k, iv).ok_or_else(|| UserError("miit: AES key or IV".into()))?,
        ),
        _ => None,
    };
    Ok(beian_app::seam::miit::MiitSeam::new(
        Arc::new(port),
        beian_app::seam::miit::Credentials {
            unit_id: m.unit_id,
            user: m.user.clone(),
            password: m.password.clone(),
            aes,
            version: m.version.clone(),
            upload_hours: m.upload_hours.as_deref().and_then(beian_miit::hours::Hours::parse),
        },
    ))
}

/// Runs the HTTP server and the job workers until Ctrl-C / SIGTERM.
async fn run(cfg: &Config, app: App) -> Result<(), UserError> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| UserError(format!("cannot listen on {}: {e}", cfg.listen)))?;
    if let Some(m) = app.miit() {
        // The bureau's WSDLs now: a wrong address shows in the log at start-up.
        let port = m.port.clone();
        tokio::spawn(async move {
            match port.prepare().await {
                Ok(()) => tracing::info!("read the bureau's V3.0 service descriptions"),
                Err(e) => tracing::warn!("cannot read the bureau's V3.0 service descriptions yet: {e}"),
            }
        });
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = Vec::new();
    for i in 0..cfg.workers {
        let app = app.clone();
        let id = format!("{}-{}-{i}", std::process::id(), uuid::Uuid::new_v4().simple());
        workers.push(tokio::spawn({
            let rx = stop_rx.clone();
            async move { app.jobs().run_worker(id, rx).await }
        }));
    }
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
    };
    let served = beian_web::serve(listener, app.clone(), cfg.secure_cookies, shutdown).await;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    app.store().close().await;
    served.map_err(|e| UserError(format!("server error: {e}")))
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

pub fn serve(a: ServiceArgs) -> Result<ExitCode, UserError> {
    init_tracing();
    let cfg = config::load(&a.overrides(), Path::new("beian-data"))?;
    runtime()?.block_on(async {
        let store = connect(&cfg).await?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let keys = load_keys(&cfg.keys_file, true)?;
        let app = build_app(&cfg, store, keys)?;
        app.check_shared_state().await.map_err(|e| UserError(e.to_string()))?;
        eprintln!(
            "beian: serving on http://{} (database: {})",
            cfg.listen,
            if cfg.database_url.is_some() { "PostgreSQL" } else { "SQLite" }
        );
        run(&cfg, app).await
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn account_add(a: AccountAddArgs) -> Result<ExitCode, UserError> {
    let role = beian_app::Role::parse(&a.role)
        .ok_or_else(|| UserError(format!("--role: `reviewer`, `admin` or `applicant`, not {:?}", a.role)))?;
    let password = super::secret_input(&a.password_env)?;
    let cfg = config::load(&a.service.overrides(), Path::new("beian-data"))?;
    runtime()?.block_on(async {
        let store = connect(&cfg).await?;
        store.ensure_current().await.map_err(|e| UserError(format!("{e} — run `beian migrate` first")))?;
        let keys = load_keys(&cfg.keys_file, true)?;
        let app = build_app(&cfg, store.clone(), keys)?;
        // The command line acts as the system's administrator.
        let system = beian_app::Ctx {
            principal: Some(beian_app::Principal {
                id: uuid::Uuid::nil(),
                role: beian_app::Role::Admin,
                email: "system".into(),
                display_name: "beian account add".into(),
            }),
            ..beian_app::Ctx::default()
        };
        let account = beian_app::auth::NewAccount {
            email: a.email.clone(),
            password,
            display_name: a.name.clone().unwrap_or_else(|| a.email.clone()),
            role: Some(role),
        };
        let made = app.auth().register(&system, account).await.map_err(|e| match e {
            beian_app::AppError::Validation(fields) => UserError(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message_en))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => UserError(format!("cannot create the account: {other}")),
        })?;
        store.close().await;
        println!("beian: {} account {} created", made.role.as_str(), made.email);
        Ok::<_, UserError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Every website filed through the service at `a`'s database, with what its footer must show
/// (`beian scan --database`). Reads only.
pub(super) fn scan_targets(a: ServiceArgs) -> Result<Vec<(String, beian_scan::Expected)>, UserError> {
    let cfg = config::load(&a.overrides(), Path::new("beian-data"))?;
    runtime()?.block_on(async {
        let store = Store::connect(&cfg.database())
            .await
            .map_err(|e| UserError(format!("cannot open the database: {e}")))?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let keys = load_keys(&cfg.keys_file, false)?;
        let app = build_app(&cfg, store.clone(), keys)?;
        let targets = app
            .compliance()
            .scan_targets()
            .await
            .map_err(|e| UserError(format!("reading filed sites: {e}")))?;
        store.close().await;
        Ok(targets)
    })
}

pub fn migrate(a: ServiceArgs) -> Result<ExitCode, UserError> {
    let cfg = config::load(&a.overrides(), Path::new("beian-data"))?;
    runtime()?.block_on(async {
        let store = connect(&cfg).await?;
        store.migrate().await.map_err(|e| UserError(e.to_string()))?;
        println!(
            "beian: database migrated ({})",
            if cfg.database_url.is_some() { "PostgreSQL" } else { "SQLite" }
        );
        store.close().await;
        Ok::<_, UserError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn config_check(a: ServiceArgs) -> Result<ExitCode, UserError> {
    match config::load(&a.overrides(), Path::new("beian-data")) {
        Ok(cfg) => {
            print!("{}", cfg.describe());
            if let Err(e) = cfg.psb_badge() {
                println!("configuration error: {e}");
                return Ok(ExitCode::from(1));
            }
            if let Some(s) = &cfg.smtp {
                // lettre's transport spawns its pool on the runtime it is built (and dropped) in.
                runtime()?
                    .block_on(async { SmtpMailer::new(s).map(drop) })
                    .map_err(|e| UserError(format!("smtp: {e}")))?;
            }
            println!("configuration OK");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("configuration error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Demo accounts: (e-mail, role, display name). The password is the same for all.
const DEMO_ACCOUNTS: [(&str, Role, &str); 3] = [
    ("applicant@demo.beian.local", Role::Applicant, "演示申请人"),
    ("reviewer@demo.beian.local", Role::Reviewer, "演示审核员"),
    ("admin@demo.beian.local", Role::Admin, "演示管理员"),
];
const DEMO_PASSWORD: &str = "beian-demo-2026";

async fn seed_demo(app: &App) -> Result<(), UserError> {
    let err =
        |e: beian_app::AppError| UserError(format!("demo setup: {}", e.title(beian_core::message::Lang::En)));
    let admin = Principal {
        id: uuid::Uuid::nil(),
        role: Role::Admin,
        email: "system".into(),
        display_name: "system".into(),
    };
    let system = Ctx { principal: Some(admin), ip: None, request_id: None };
    for (email, role, name) in DEMO_ACCOUNTS {
        if app.store().account_by_email(email).await.map_err(|e| UserError(e.to_string()))?.is_none() {
            app.auth()
                .register(
                    &system,
                    NewAccount {
                        email: email.into(),
                        password: DEMO_PASSWORD.into(),
                        display_name: name.into(),
                        role: Some(role),
                    },
                )
                .await
                .map_err(err)?;
        }
    }
    let admin_row =
        app.store().account_by_email(DEMO_ACCOUNTS[2].0).await.map_err(|e| UserError(e.to_string()))?;
    let admin = admin_row.map(|a| Principal {
        id: a.id,
        role: Role::Admin,
        email: a.email,
        display_name: a.display_name,
    });
    let ctx = Ctx { principal: admin, ip: None, request_id: None };
    if app.admin().provider_profile(&ctx).await.map_err(err)?.profile.is_none() {
        // The seed's example provider (rules.md §5): Alibaba Cloud.
        let profile = ProviderProfile {
            name: "阿里云计算有限公司".into(),
            region: "330106".into(),
            phone: "95187".into(),
            organization_code: "67395965-4".into(),
            access_method: "租赁虚拟空间".into(),
        };
        app.admin().put_provider_profile(&ctx, Some(0), profile).await.map_err(err)?;
        app.ip_filing().add_ip_pool(&ctx, "47.96.0.0/11", "demo pool (Hangzhou)").await.map_err(err)?;
    }
    Ok(())
}

/// The provider code the demo's provider signs with at the demo's regulator.
const DEMO_PROVIDER: &str = "demo-cloud";

/// The demo provider's reporting-unit id at the demo regulator's V3.0 interface.
const DEMO_UNIT_ID: i64 = 700_001;

/// The demo provider's V3.0 login (`<data>/regulator/miit.json`): made on first run, as a
/// bureau issues one, and read back on every run.
#[derive(serde::Serialize, serde::Deserialize)]
struct DemoMiit {
    password: String,
    aes_key: String,
    aes_iv: String,
}

/// Gives the demo provider its V3.0 account at the demo regulator (once), and returns the
/// configuration the provider reaches it with.
async fn demo_miit_account(
    reg: &beian_regulator::RegulatorStore,
    keys: &Keys,
    dir: &Path,
    url: &str,
) -> Result<config::MiitLink, UserError> {
    let err = |e: &dyn std::fmt::Display| UserError(format!("demo regulator: {e}"));
    let path = dir.join("miit.json");
    let login: DemoMiit = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| err(&e))?,
        Err(_) => {
            let login = DemoMiit {
                password: super::alnum_secret(16)?,
                aes_key: super::alnum_secret(16)?,
                aes_iv: super::alnum_secret(16)?,
            };
            let (provider, _) = reg
                .provider(DEMO_PROVIDER)
                .await
                .map_err(|e| err(&e))?
                .ok_or_else(|| err(&"no demo provider"))?;
            let account = beian_regulator::miit::accounts::NewAccount {
                isp_id: DEMO_UNIT_ID,
                user_name: DEMO_PROVIDER,
                password: &login.password,
                province: beian_core::province::ProvinceCode::parse("33").ok_or_else(|| err(&"province"))?,
                aes: Some((&login.aes_key, &login.aes_iv)),
                upload_hours: None,
            };
            let mut tx = reg.begin().await.map_err(|e| err(&e))?;
            beian_regulator::miit::accounts::create(
                &mut tx,
                keys,
                provider.id,
                &account,
                (beian_regulator::service::system_clock())(),
            )
            .await
            .map_err(|e| err(&e))?;
            tx.commit().await.map_err(|e| err(&e))?;
            write_private(&path, &serde_json::to_string_pretty(&login).map_err(|e| err(&e))?)?;
            login
        }
    };
    Ok(config::MiitLink {
        url: url.to_owned(),
        unit_id: DEMO_UNIT_ID,
        user: DEMO_PROVIDER.into(),
        password: login.password,
        aes_key: Some(login.aes_key),
        aes_iv: Some(login.aes_iv),
        version: "V.3.0".into(),
        upload_hours: None,
    })
}

/// Starts the demo's regulator — its own SQLite database and keys under `<data>/regulator`,
/// never the provider's database — registers the demo provider (signed JSON seam and V3.0
/// interface) and bureau accounts on first run, and returns how the provider reaches it.
async fn start_demo_regulator(
    cfg: &Config,
    listen: SocketAddr,
    auto_approve: Option<u64>,
) -> Result<(beian_app::seam::RegulatorSeam, config::MiitLink), UserError> {
    use beian_regulator::bureau::create_account;
    let dir = cfg.data_dir.join("regulator");
    super::private_dir(&dir)?;
    let err = |e: &dyn std::fmt::Display| UserError(format!("demo regulator: {e}"));
    let db = dir.join("regulator.db").display().to_string();
    let reg = beian_regulator::RegulatorStore::connect(&db).await.map_err(|e| err(&e))?;
    super::private_database(&db)?;
    reg.migrate().await.map_err(|e| err(&e))?;
    let keys = load_keys(&dir.join("keys.json"), true)?;
    let clock = beian_regulator::service::system_clock();
    let key = match reg.provider(DEMO_PROVIDER).await.map_err(|e| err(&e))? {
        Some((_, key)) => key,
        None => {
            let mut raw = [0u8; 32];
            beian_crypto::random_bytes(&mut raw).map_err(|e| err(&e))?;
            let hex_key = hex::encode(raw);
            let callback = format!("http://{}{}", cfg.listen, beian_web::callback::CALLBACK_PATH);
            let mut tx = reg.begin().await.map_err(|e| err(&e))?;
            beian_regulator::providers::register(
                &mut tx,
                DEMO_PROVIDER,
                "演示云计算有限公司",
                &hex_key,
                Some(&callback),
                clock(),
            )
            .await
            .map_err(|e| err(&e))?;
            for (user, role, province) in DEMO_REGULATOR_ACCOUNTS {
                create_account(
                    &mut tx,
                    user,
                    DEMO_PASSWORD,
                    *role,
                    province.and_then(beian_core::province::ProvinceCode::parse),
                    clock(),
                )
                .await
                .map_err(|e| err(&e))?;
            }
            tx.commit().await.map_err(|e| err(&e))?;
            beian_seam::SigningKey::from_hex(&hex_key).ok_or_else(|| err(&"generated key is not hex"))?
        }
    };
    let miit = demo_miit_account(&reg, &keys, &dir, &format!("http://{listen}")).await?;
    let svc = beian_regulator::service::Service::new(reg, Arc::new(keys), clock)
        .with_public_url(&format!("http://{listen}"))
        .with_auto_approve(auto_approve.map(Duration::from_secs));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| UserError(format!("cannot listen on {listen}: {e}")))?;
    let routes = beian_regulator::router::router(svc.clone());
    tokio::spawn(async move {
        if let Err(e) =
            axum::serve(listener, routes.into_make_service_with_connect_info::<SocketAddr>()).await
        {
            tracing::error!("demo regulator: {e}");
        }
    });
    // The demo's regulator lives as long as the process; its jobs are leased, so a kill
    // loses nothing.
    let (keep, stopped) = watch::channel(false);
    tokio::spawn(async move {
        let _keep = keep;
        svc.run_background(format!("demo-regulator-{}", std::process::id()), Duration::from_secs(1), stopped)
            .await
    });
    let port = beian_app::seam::HttpRegulator::new(
        &format!("http://{listen}"),
        DEMO_PROVIDER,
        key.clone(),
        Arc::new(SystemClock),
    )
    .map_err(|e| err(&e))?;
    Ok((beian_app::seam::RegulatorSeam { port: Arc::new(port), provider: DEMO_PROVIDER.into(), key }, miit))
}

/// The demo regulator's accounts: a Zhejiang bureau reviewer, a Zhejiang PSB officer and an admin
/// for every province.
const DEMO_REGULATOR_ACCOUNTS: &[(&str, beian_regulator::bureau::Role, Option<&str>)] = &[
    ("bureau-zj", beian_regulator::bureau::Role::Bureau, Some("33")),
    ("psb-zj", beian_regulator::bureau::Role::Psb, Some("33")),
    ("miit-admin", beian_regulator::bureau::Role::Admin, None),
];

pub fn demo(a: DemoArgs) -> Result<ExitCode, UserError> {
    init_tracing();
    let mut cfg = config::load(&a.service.overrides(), Path::new("beian-demo"))?;
    // The demo's filed sites are made up: scanning them would only find them unreachable and
    // block the demo's new-site orders. `scan_sites = true` (or BEIAN_SCAN_SITES) turns it on.
    if !cfg.sources.contains_key("scan_sites") {
        cfg.scan_sites = false;
    }
    let reg_listen: SocketAddr = a
        .regulator_listen
        .parse()
        .map_err(|_| UserError(format!("--regulator-listen: not HOST:PORT: {}", a.regulator_listen)))?;
    runtime()?.block_on(async {
        let store = connect(&cfg).await?;
        store.migrate().await.map_err(|e| UserError(e.to_string()))?;
        let keys = load_keys(&cfg.keys_file, true)?;
        let (seam, miit) = start_demo_regulator(&cfg, reg_listen, a.auto_approve_secs).await?;
        // ICP filings go over MIIT's interface V3.0 unless the configuration names another
        // bureau; PSB applications and apps over the JSON seam.
        let mut cfg = cfg;
        if cfg.miit.is_none() {
            cfg.sources.insert("miit", "demo".into());
            cfg.miit = Some(miit);
        }
        let app = build_app(&cfg, store, keys)?.with_regulator(seam);
        app.check_shared_state().await.map_err(|e| UserError(e.to_string()))?;
        seed_demo(&app).await?;
        println!("beian demo — data in {}", cfg.data_dir.display());
        println!();
        println!("  web pages:         http://{}/login   (start a filing: http://{}/app/new)", cfg.listen, cfg.listen);
        println!("  provider API:      http://{}/api/v1   (docs: http://{}/api/docs)", cfg.listen, cfg.listen);
        println!("  regulator:         http://{reg_listen}/healthz");
        println!("    SMS verification http://{reg_listen}/sms");
        println!("    simulated phones http://{reg_listen}/outbox");
        println!("    public query     http://{reg_listen}/query");
        println!("    officer console  http://{reg_listen}/console");
        println!("    bureau API       http://{reg_listen}/api/v1/bureau/login");
        println!("    MIIT V3.0 (SOAP) http://{reg_listen}/ISPWebService/upDownLoad?wsdl   (unit {DEMO_UNIT_ID}, login in {})", cfg.data_dir.join("regulator/miit.json").display());
        println!();
        println!("  logins (password {DEMO_PASSWORD}):");
        for (email, role, _) in DEMO_ACCOUNTS {
            println!("    provider  {:<10} {email}", role.as_str());
        }
        for (user, role, _) in DEMO_REGULATOR_ACCOUNTS {
            println!("    regulator {:<10} {user}", role.as_str());
        }
        println!();
        println!("  try:  curl -c cookies -H 'content-type: application/json' \\");
        println!("          -d '{{\"email\":\"{}\",\"password\":\"{DEMO_PASSWORD}\"}}' http://{}/api/v1/auth/login", DEMO_ACCOUNTS[0].0, cfg.listen);
        println!();
        println!("  e-mail is {}; Ctrl-C stops the demo, running it again reuses the data.", if cfg.smtp.is_some() { "sent over SMTP" } else { "kept in the outbox (GET /api/v1/admin/messages)" });
        run(&cfg, app).await
    })?;
    Ok(ExitCode::SUCCESS)
}
