//! `beian regulator …`: the simulated regulator as its own service, with its own data
//! directory, database and keys — never the provider's. Wiring only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use beian_regulator::RegulatorStore;
use beian_regulator::router::router;
use beian_regulator::service::{Service, system_clock};
use clap::{Args, Subcommand};

use super::UserError;
use super::serve::{init_tracing, load_keys, runtime, shutdown_signal};

#[derive(Debug, Subcommand)]
pub enum RegulatorCommand {
    /// Run the regulator service: the signed provider API.
    Serve(RegulatorArgs),
    /// Apply the regulator's database migrations.
    Migrate(RegulatorArgs),
    /// Register a provider and print its new signing key (shown once).
    AddProvider(AddProviderArgs),
    /// Create a bureau reviewer, PSB officer or admin account.
    AddAccount(AddAccountArgs),
    /// Give a registered provider an account for MIIT's interface V3.0 (unit id, user,
    /// password; an AES key and IV generated and printed once with --aes).
    AddMiitAccount(AddMiitAccountArgs),
    /// Put a subject (by certificate) or a website (by domain) on the bureau's blacklist, or
    /// take it off with --remove: new records naming it are refused (1065, 1064) and every
    /// V3.0 provider is handed the change (HMDLB).
    Blacklist(BlacklistArgs),
    /// List a domain found answering on a V3.0 provider's address without a filing: the
    /// provider is handed it (WBAWZLB) and must act and report (WBACLJG). Listing it again
    /// before the report hands the same entry down again.
    Unfiled(UnfiledArgs),
    /// Ask a V3.0 provider to verify a filing it gives access to (HSRW, the filing as last
    /// handed down); it answers with HSJG. Asking again while a task is open sends it again.
    Verify(VerifyArgs),
    /// Hand a V3.0 provider an inspection finding about a website (HCJG): its access filed
    /// where the site is not (多报), or with `--under` the site on its addresses without the
    /// access filed (少报).
    Inspect(InspectArgs),
    /// Fill a regulator database with filed subjects for `scripts/regulator-bench.sh`.
    #[command(hide = true)]
    BenchSeed(BenchSeedArgs),
}

#[derive(Debug, Args, Clone)]
pub struct BenchSeedArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// Subjects to file, each with two websites.
    #[arg(long, default_value_t = 100_000)]
    subjects: usize,
}

/// Flags shared by the regulator commands.
#[derive(Debug, Args, Clone)]
pub struct RegulatorArgs {
    /// Directory for the regulator's SQLite database and keys.
    #[arg(long, default_value = "beian-regulator-data")]
    data_dir: PathBuf,
    /// Address to listen on, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// `postgres://…` to use PostgreSQL instead of the SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// The URL people reach this service at (the SMS text links its verification page);
    /// defaults to http://<listen>.
    #[arg(long)]
    public_url: Option<String>,
    /// Demo policy: approve what has waited for the bureau this many seconds. Off by default.
    #[arg(long)]
    auto_approve_secs: Option<u64>,
    /// Play one province's bureau on the V3.0 interface (`33` or `浙`): providers of another
    /// province are answered 13. Every province by default.
    #[arg(long)]
    miit_province: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct AddMiitAccountArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// The registered provider's code (`beian regulator add-provider --code`).
    #[arg(long)]
    provider: String,
    /// Its reporting-unit id at the bureau (`ispId`, `Qqdwid`).
    #[arg(long)]
    unit_id: i64,
    /// Its interface user name.
    #[arg(long)]
    user: String,
    /// Its province (`33` or `浙`).
    #[arg(long)]
    province: String,
    /// Encrypt its files with a generated AES key and IV (printed once).
    #[arg(long)]
    aes: bool,
    /// Take uploads only in these hours, China time (`08:00-18:00`).
    #[arg(long)]
    upload_hours: Option<String>,
    /// Read the password from this environment variable instead of stdin.
    #[arg(long, default_value = "BEIAN_MIIT_PASSWORD")]
    password_env: String,
}

#[derive(Debug, Args, Clone)]
pub struct BlacklistArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// A website's domain (repeat for several); with --site-name.
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// The website's name.
    #[arg(long)]
    site_name: Option<String>,
    /// A subject's name; its certificate number is read from the environment variable
    /// --certificate-env names, or stdin (never a flag: flags are visible to every user).
    #[arg(long)]
    subject_name: Option<String>,
    /// The subject's nature (`enterprise`, `individual`, …).
    #[arg(long, default_value = "enterprise")]
    nature: String,
    /// The subject's certificate kind (`business_licence`, `resident_id`, …).
    #[arg(long, default_value = "business_licence")]
    certificate_kind: String,
    #[arg(long, default_value = "BEIAN_BLACKLIST_CERTIFICATE")]
    certificate_env: String,
    /// Take it off the list instead.
    #[arg(long)]
    remove: bool,
    /// Why (sent to providers as the entry's remark).
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct UnfiledArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// The provider's reporting-unit id (its V3.0 account).
    #[arg(long)]
    unit_id: i64,
    /// The domain found.
    #[arg(long)]
    domain: String,
    /// The IPv4 address it answered on.
    #[arg(long)]
    ip: std::net::Ipv4Addr,
}

#[derive(Debug, Args, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// The provider's reporting-unit id (its V3.0 account).
    #[arg(long)]
    unit_id: i64,
    /// The subject's number (浙ICP备2026000001号).
    #[arg(long)]
    number: String,
    /// A note for the provider.
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct InspectArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// The provider's reporting-unit id (its V3.0 account).
    #[arg(long)]
    unit_id: i64,
    /// The website's number (浙ICP备2026000001号-1).
    #[arg(long)]
    number: String,
    /// The site answers on the provider's addresses without its access filed (少报).
    #[arg(long)]
    under: bool,
    /// The address the domain resolved to.
    #[arg(long)]
    ip: Option<std::net::Ipv4Addr>,
}

#[derive(Debug, Args, Clone)]
pub struct AddAccountArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    #[arg(long)]
    username: String,
    /// `bureau`, `psb` or `admin`.
    #[arg(long, default_value = "bureau")]
    role: String,
    /// The province a bureau or PSB account serves, by its code (`33`) or prefix (`浙`);
    /// omit for every province.
    #[arg(long)]
    province: Option<String>,
    /// Read the password from this environment variable instead of prompting on stdin.
    #[arg(long, default_value = "BEIAN_REGULATOR_PASSWORD")]
    password_env: String,
}

#[derive(Debug, Args, Clone)]
pub struct AddProviderArgs {
    #[command(flatten)]
    common: RegulatorArgs,
    /// The code the provider signs with (`x-beian-provider`), e.g. `aliyun`.
    #[arg(long)]
    code: String,
    /// The provider's registered name.
    #[arg(long)]
    name: String,
    /// Where status changes are pushed.
    #[arg(long)]
    callback_url: Option<String>,
}

impl RegulatorArgs {
    fn database(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| self.data_dir.join("regulator.db").display().to_string())
    }

    async fn connect(&self) -> Result<RegulatorStore, UserError> {
        super::private_dir(&self.data_dir)?;
        let store = RegulatorStore::connect(&self.database())
            .await
            .map_err(|e| UserError(format!("cannot open the regulator database: {e}")))?;
        super::private_database(&self.database())?;
        Ok(store)
    }
}

pub fn run(cmd: RegulatorCommand) -> Result<ExitCode, UserError> {
    match cmd {
        RegulatorCommand::Serve(a) => serve(a),
        RegulatorCommand::Migrate(a) => migrate(a),
        RegulatorCommand::AddProvider(a) => add_provider(a),
        RegulatorCommand::AddAccount(a) => add_account(a),
        RegulatorCommand::AddMiitAccount(a) => add_miit_account(a),
        RegulatorCommand::Blacklist(a) => blacklist(a),
        RegulatorCommand::Unfiled(a) => unfiled(a),
        RegulatorCommand::Verify(a) => verify(a),
        RegulatorCommand::Inspect(a) => inspect(a),
        RegulatorCommand::BenchSeed(a) => bench_seed(a),
    }
}

fn serve(a: RegulatorArgs) -> Result<ExitCode, UserError> {
    init_tracing();
    let listen: SocketAddr =
        a.listen.parse().map_err(|_| UserError(format!("--listen: not HOST:PORT: {}", a.listen)))?;
    runtime()?.block_on(async {
        let store = a.connect().await?;
        store.ensure_current().await.map_err(|e| {
            UserError(format!("{e} — run `beian regulator migrate` with the same --data-dir/--database-url"))
        })?;
        let keys = load_keys(&a.data_dir.join("keys.json"), true)?;
        let public_url = a.public_url.clone().unwrap_or_else(|| format!("http://{listen}"));
        let miit_province = match a.miit_province.as_deref() {
            Some(p) => Some(
                province_arg(p)
                    .ok_or_else(|| UserError(format!("--miit-province: no filing province {p:?}")))?,
            ),
            None => None,
        };
        let svc = Service::new(store.clone(), Arc::new(keys), system_clock())
            .with_public_url(&public_url)
            .with_auto_approve(a.auto_approve_secs.map(std::time::Duration::from_secs))
            .with_miit_province(miit_province);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let background = tokio::spawn({
            let svc = svc.clone();
            let worker = format!("regulator-{}", std::process::id());
            async move { svc.run_background(worker, std::time::Duration::from_secs(1), stopped).await }
        });
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| UserError(format!("cannot listen on {listen}: {e}")))?;
        let local = listener.local_addr().map_err(|e| UserError(e.to_string()))?;
        eprintln!("beian regulator: serving on http://{local}");
        axum::serve(listener, router(svc).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| UserError(format!("server error: {e}")))?;
        let _ = stop.send(true);
        let _ = background.await;
        store.store().close().await;
        Ok::<_, UserError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn migrate(a: RegulatorArgs) -> Result<ExitCode, UserError> {
    runtime()?.block_on(async {
        let store = a.connect().await?;
        store.migrate().await.map_err(|e| UserError(e.to_string()))?;
        println!("beian regulator: database migrated");
        store.store().close().await;
        Ok::<_, UserError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn add_provider(a: AddProviderArgs) -> Result<ExitCode, UserError> {
    let valid_code = (1..=32).contains(&a.code.len())
        && a.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid_code {
        return Err(UserError("--code: 1–32 characters of a–z, 0–9 and '-'".into()));
    }
    let mut key = [0u8; 32];
    beian_crypto::random_bytes(&mut key).map_err(|e| UserError(e.to_string()))?;
    let key_hex = hex::encode(key);
    runtime()?.block_on(async {
        let store = a.common.connect().await?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let mut tx = store.begin().await.map_err(|e| UserError(e.to_string()))?;
        let now = (system_clock())();
        beian_regulator::providers::register(
            &mut tx,
            &a.code,
            &a.name,
            &key_hex,
            a.callback_url.as_deref(),
            now,
        )
        .await
        .map_err(|e| match e {
            beian_store::StoreError::Conflict { .. } => {
                UserError(format!("a provider with code {:?} is already registered", a.code))
            }
            e => UserError(e.to_string()),
        })?;
        tx.commit().await.map_err(|e| UserError(e.to_string()))?;
        store.store().close().await;
        Ok::<_, UserError>(())
    })?;
    eprintln!("beian regulator: registered provider {:?}; its signing key (shown once):", a.code);
    println!("{key_hex}");
    Ok(ExitCode::SUCCESS)
}

fn add_account(a: AddAccountArgs) -> Result<ExitCode, UserError> {
    use beian_regulator::bureau::{Role, create_account};
    let role = Role::parse(&a.role).ok_or_else(|| UserError("--role: bureau, psb or admin".into()))?;
    let province = match a.province.as_deref() {
        None => None,
        Some(p) => {
            Some(province_arg(p).ok_or_else(|| UserError(format!("--province: no filing province {p:?}")))?)
        }
    };
    if role != Role::Admin && province.is_none() {
        return Err(UserError("--province is required for bureau and PSB accounts".into()));
    }
    let password = super::secret_input(&a.password_env)?;
    if password.chars().count() < 10 {
        return Err(UserError("the password must be at least 10 characters".into()));
    }
    runtime()?.block_on(async {
        let store = a.common.connect().await?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let mut tx = store.begin().await.map_err(|e| UserError(e.to_string()))?;
        create_account(&mut tx, &a.username, &password, role, province, (system_clock())())
            .await
            .map_err(|e| UserError(format!("cannot create {:?}: {e}", a.username)))?;
        tx.commit().await.map_err(|e| UserError(e.to_string()))?;
        store.store().close().await;
        Ok::<_, UserError>(())
    })?;
    eprintln!("beian regulator: created {} account {:?}", role.as_str(), a.username);
    Ok(ExitCode::SUCCESS)
}

fn add_miit_account(a: AddMiitAccountArgs) -> Result<ExitCode, UserError> {
    let province = province_arg(&a.province)
        .ok_or_else(|| UserError(format!("--province: no filing province {:?}", a.province)))?;
    let password = super::secret_input(&a.password_env)?;
    let aes = if a.aes { Some((super::alnum_secret(16)?, super::alnum_secret(16)?)) } else { None };
    runtime()?.block_on(async {
        let store = a.common.connect().await?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let (provider, _) =
            store.provider(&a.provider).await.map_err(|e| UserError(e.to_string()))?.ok_or_else(|| {
                UserError(format!("no provider {:?}: register it with add-provider first", a.provider))
            })?;
        let keys = load_keys(&a.common.data_dir.join("keys.json"), true)?;
        let account = beian_regulator::miit::accounts::NewAccount {
            isp_id: a.unit_id,
            user_name: &a.user,
            password: &password,
            province,
            aes: aes.as_ref().map(|(k, iv)| (k.as_str(), iv.as_str())),
            upload_hours: a.upload_hours.as_deref(),
        };
        let mut tx = store.begin().await.map_err(|e| UserError(e.to_string()))?;
        beian_regulator::miit::accounts::create(&mut tx, &keys, provider.id, &account, (system_clock())())
            .await
            .map_err(|e| UserError(format!("cannot create the interface account: {e}")))?;
        tx.commit().await.map_err(|e| UserError(e.to_string()))?;
        store.store().close().await;
        Ok::<_, UserError>(())
    })?;
    eprintln!(
        "beian regulator: unit {} ({:?}) may now use the V3.0 interface as {:?}",
        a.unit_id, a.provider, a.user
    );
    if let Some((k, iv)) = aes {
        eprintln!("its AES key and IV (shown once):");
        println!("{k} {iv}");
    }
    Ok(ExitCode::SUCCESS)
}

fn blacklist(a: BlacklistArgs) -> Result<ExitCode, UserError> {
    use beian_core::model::{Certificate, CertificateKind, SubjectNature};
    use beian_miit::mapping::lists::Listing;
    let certificate;
    let site_name = a.site_name.clone().unwrap_or_default();
    let listing = match (&a.subject_name, a.domains.is_empty()) {
        (Some(name), true) => {
            let nature: SubjectNature =
                serde_json::from_value(serde_json::Value::String(a.nature.clone()))
                    .map_err(|_| UserError(format!("--nature: no subject nature {:?}", a.nature)))?;
            let kind: CertificateKind = serde_json::from_value(serde_json::Value::String(
                a.certificate_kind.clone(),
            ))
            .map_err(|_| UserError(format!("--certificate-kind: no kind {:?}", a.certificate_kind)))?;
            let number = super::secret_input(&a.certificate_env)?;
            if number.trim().is_empty() {
                return Err(UserError("the certificate number is empty".into()));
            }
            certificate = Certificate { kind, number };
            Listing::Subject { name, nature, certificate: &certificate }
        }
        (None, false) => {
            if site_name.trim().is_empty() {
                return Err(UserError("--site-name: the website's name, with --domain".into()));
            }
            Listing::Website { name: &site_name, domains: &a.domains }
        }
        _ => return Err(UserError("either --subject-name or --domain (with --site-name)".into())),
    };
    let n = runtime()?.block_on(async {
        let store = a.common.connect().await?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let keys = load_keys(&a.common.data_dir.join("keys.json"), true)?;
        let svc = Service::new(store.clone(), Arc::new(keys), system_clock());
        let n = svc
            .miit_blacklist(listing, a.remove, a.note.as_deref())
            .await
            .map_err(|e| UserError(format!("cannot change the blacklist: {e}")))?;
        store.store().close().await;
        Ok::<_, UserError>(n)
    })?;
    eprintln!(
        "beian regulator: blacklist {}; the change is queued for {n} V3.0 provider(s)",
        if a.remove { "entry removed" } else { "entry added" }
    );
    Ok(ExitCode::SUCCESS)
}

/// A province by its two-digit code or its one-character prefix.
pub(crate) fn province_arg(s: &str) -> Option<beian_core::province::ProvinceCode> {
    let s = s.trim();
    beian_core::province::ProvinceCode::parse(s).or_else(|| {
        beian_core::province::provinces()
            .iter()
            .find(|p| s.chars().eq([p.icp_prefix]) || s == p.short_name || s == p.name)
            .map(|p| p.code)
    })
}

/// Files `subjects` companies with two sites each, through the same record code an approval
/// uses, in batches of a thousand per transaction; prints where the domains and numbers are.
fn bench_seed(a: BenchSeedArgs) -> Result<ExitCode, UserError> {
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../../../../docs/examples/first-filing-company.json"))
            .map_err(|e| UserError(e.to_string()))?;
    let mut order: beian_core::model::Order =
        serde_json::from_value(example["order"].clone()).map_err(|e| UserError(e.to_string()))?;
    order.websites.truncate(2);
    let err = |e: &dyn std::fmt::Display| UserError(e.to_string());
    let started = std::time::Instant::now();
    let (domains, numbers) = runtime()?.block_on(async {
        let store = a.common.connect().await?;
        store.migrate().await.map_err(|e| err(&e))?;
        let keys = load_keys(&a.common.data_dir.join("keys.json"), true)?;
        let clock = system_clock();
        let mut tx = store.begin().await.map_err(|e| err(&e))?;
        let provider =
            beian_regulator::providers::register(&mut tx, "bench", "bench", &"ab".repeat(32), None, clock())
                .await
                .map_err(|e| err(&e))?;
        tx.commit().await.map_err(|e| err(&e))?;
        let (mut domains, mut numbers) = (Vec::new(), Vec::new());
        for batch in (0..a.subjects).collect::<Vec<_>>().chunks(1000) {
            let mut tx = store.begin().await.map_err(|e| err(&e))?;
            for &i in batch {
                order.subject.name = format!("基准测试{i}有限公司");
                order.subject.certificate.number = format!("91330100{i:010}");
                for (k, w) in order.websites.iter_mut().enumerate() {
                    w.domains = vec![format!("bench{i}-{k}.cn")];
                }
                let d = beian_regulator::records::apply(&mut tx, &keys, provider, &order, clock())
                    .await
                    .map_err(|e| err(&e))?;
                domains.push(format!("bench{i}-0.cn"));
                numbers.extend(d.services.into_iter().map(|s| s.number));
            }
            tx.commit().await.map_err(|e| err(&e))?;
        }
        store.store().close().await;
        Ok::<_, UserError>((domains, numbers))
    })?;
    let write = |name: &str, lines: &[String]| -> Result<String, UserError> {
        let path = a.common.data_dir.join(name);
        std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| err(&e))?;
        Ok(path.display().to_string())
    };
    let out = serde_json::json!({
        "seconds": started.elapsed().as_secs_f64(),
        "domains_file": write("bench-domains.txt", &domains)?,
        "numbers_file": write("bench-numbers.txt", &numbers)?,
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn unfiled(a: UnfiledArgs) -> Result<ExitCode, UserError> {
    let id = officer(
        &a.common,
        async |svc| svc.miit_list_unfiled(a.unit_id, &a.domain, a.ip).await,
        "list the website",
    )?;
    eprintln!("beian regulator: unfiled website listed as entry {id}; queued for unit {}", a.unit_id);
    Ok(ExitCode::SUCCESS)
}

/// Runs one officer action against the regulator's database with its keys.
fn officer<T>(
    common: &RegulatorArgs,
    action: impl AsyncFnOnce(&Service) -> Result<T, beian_regulator::miit::MiitError>,
    what: &str,
) -> Result<T, UserError> {
    runtime()?.block_on(async {
        let store = common.connect().await?;
        store.ensure_current().await.map_err(|e| UserError(e.to_string()))?;
        let keys = load_keys(&common.data_dir.join("keys.json"), true)?;
        let svc = Service::new(store.clone(), Arc::new(keys), system_clock());
        let out = action(&svc).await.map_err(|e| UserError(format!("cannot {what}: {e}")));
        store.store().close().await;
        out
    })
}

fn verify(a: VerifyArgs) -> Result<ExitCode, UserError> {
    let ztid = officer(
        &a.common,
        async |svc| svc.miit_issue_verification(a.unit_id, &a.number, a.note.clone()).await,
        "issue the task",
    )?;
    eprintln!(
        "beian regulator: verification task for subject {ztid} ({}) queued for unit {}",
        a.number, a.unit_id
    );
    Ok(ExitCode::SUCCESS)
}

fn inspect(a: InspectArgs) -> Result<ExitCode, UserError> {
    officer(
        &a.common,
        async |svc| svc.miit_issue_inspection(a.unit_id, &a.number, a.under, a.ip).await,
        "issue the inspection",
    )?;
    eprintln!("beian regulator: inspection of {} queued for unit {}", a.number, a.unit_id);
    Ok(ExitCode::SUCCESS)
}
