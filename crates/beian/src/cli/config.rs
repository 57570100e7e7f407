//! Configuration for `beian serve` and `beian demo`: defaults, then a TOML file, then
//! `BEIAN_…` environment variables, then command-line flags — each layer overrides the one
//! before, and every value remembers where it came from so `beian config check` can say.
//! Secrets (SMTP password, keys) are never printed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use beian_app::blobs::S3Config;
use beian_app::notify::{SmtpConfig, SmtpSecurity};
use serde::Deserialize;

use super::UserError;

/// The settings file (`beian.toml`). Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    base_url: Option<String>,
    secure_cookies: Option<bool>,
    hsts: Option<bool>,
    keys_file: Option<PathBuf>,
    mail_from: Option<String>,
    workers: Option<usize>,
    scan_sites: Option<bool>,
    psb_badge: Option<PathBuf>,
    smtp: Option<FileSmtp>,
    s3: Option<S3Config>,
    sms: Option<SmsGateway>,
    regulator: Option<RegulatorLink>,
    miit: Option<MiitLink>,
}

/// MIIT's interface V3.0 at a bureau: its address (the services at the spec's paths), the
/// provider's reporting-unit id (`ispId`), user name and password, and the AES key and IV
/// when its files are encrypted, as the bureau issued them.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiitLink {
    pub url: String,
    pub unit_id: i64,
    pub user: String,
    pub password: String,
    #[serde(default)]
    pub aes_key: Option<String>,
    #[serde(default)]
    pub aes_iv: Option<String>,
    /// The files' `version` attribute (the spec says `V.3.0`).
    #[serde(default = "miit_version")]
    pub version: String,
    /// The hours (China time, `HH:MM-HH:MM`) the bureau takes uploads in; uploads wait for
    /// them. Unset: any time.
    #[serde(default)]
    pub upload_hours: Option<String>,
}

fn miit_version() -> String {
    "V.3.0".into()
}

impl std::fmt::Debug for MiitLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MiitLink({} as unit {} user {}, password ***)", self.url, self.unit_id, self.user)
    }
}

/// The regulator this provider delivers approved orders to (`beian regulator serve`, or
/// anything speaking its API): its URL, the code this provider signs with, and the hex key
/// `beian regulator add-provider` printed.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegulatorLink {
    pub url: String,
    pub provider: String,
    pub key: String,
}

impl std::fmt::Debug for RegulatorLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegulatorLink({} as {}, key ***)", self.url, self.provider)
    }
}

/// An HTTP SMS gateway (`POST url` with `{"phone","text"}` and a bearer token).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsGateway {
    pub url: String,
    pub token: String,
}

impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmsGateway({}, token ***)", self.url)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<SmtpSecurity>,
    username: Option<String>,
    password: Option<String>,
}

/// Flags that override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub database_url: Option<String>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// `None`: the SQLite file in the data directory.
    pub database_url: Option<String>,
    pub base_url: String,
    pub secure_cookies: bool,
    /// Send `Strict-Transport-Security`: only when every client reaches the service over HTTPS.
    pub hsts: bool,
    pub keys_file: PathBuf,
    pub mail_from: String,
    pub workers: usize,
    /// Scan filed websites' footers daily and for new-site / new-access orders.
    pub scan_sites: bool,
    /// The PSB badge icon (a PNG from the platform) to serve at `/beian-gongan.png` for the
    /// customers' footers; `None`: the snippets point at the customer's own copy.
    pub psb_badge: Option<PathBuf>,
    pub smtp: Option<SmtpConfig>,
    /// Documents in an S3-compatible bucket instead of `<data_dir>/blobs`.
    pub s3: Option<S3Config>,
    /// Text messages through an HTTP gateway instead of the outbox.
    pub sms: Option<SmsGateway>,
    /// Where approved orders go; without it they wait as queued for the regulator.
    pub regulator: Option<RegulatorLink>,
    /// MIIT's interface V3.0: what it carries goes there instead of the JSON seam.
    pub miit: Option<MiitLink>,
    /// Where each value came from.
    pub sources: BTreeMap<&'static str, String>,
}

impl Config {
    /// The configured PSB badge, read and checked (a small PNG).
    pub fn psb_badge(&self) -> Result<Option<beian_app::footers::PsbBadge>, UserError> {
        let Some(path) = &self.psb_badge else { return Ok(None) };
        let bytes = std::fs::read(path)
            .map_err(|e| UserError(format!("psb_badge: cannot read {}: {e}", path.display())))?;
        beian_app::footers::PsbBadge::from_png(bytes)
            .map(Some)
            .map_err(|e| UserError(format!("psb_badge: {}: {e}", path.display())))
    }

    /// The database to connect to.
    pub fn database(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("beian.db").to_string_lossy().into_owned())
    }

    /// The configuration with secrets redacted, one `key = value  (source)` per line.
    pub fn describe(&self) -> String {
        let redact_url = |u: &str| match (u.find("://"), u.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://***@{}", &u[..s], &u[at + 1..]),
            _ => u.to_owned(),
        };
        let mut out = String::new();
        let mut line = |k: &'static str, v: String| {
            let src = self.sources.get(k).cloned().unwrap_or_else(|| "default".into());
            let _ = writeln!(out, "{k:<16} = {v}  ({src})");
        };
        line("data_dir", self.data_dir.display().to_string());
        line("listen", self.listen.to_string());
        line(
            "database_url",
            self.database_url
                .as_deref()
                .map(redact_url)
                .unwrap_or_else(|| format!("sqlite {}", self.database())),
        );
        line("base_url", self.base_url.clone());
        line("secure_cookies", self.secure_cookies.to_string());
        line("hsts", self.hsts.to_string());
        line("keys_file", self.keys_file.display().to_string());
        line("mail_from", self.mail_from.clone());
        line("workers", self.workers.to_string());
        line("scan_sites", self.scan_sites.to_string());
        line(
            "psb_badge",
            match &self.psb_badge {
                Some(p) => format!("{} (served at /beian-gongan.png)", p.display()),
                None => "not configured: footers point at the customer's own /beian-gongan.png".into(),
            },
        );
        line(
            "sms",
            match &self.sms {
                Some(g) => format!("gateway {} (token set)", g.url),
                None => "not configured: text messages stay in the outbox".into(),
            },
        );
        line(
            "regulator",
            match &self.regulator {
                Some(r) => format!("{} as {} (key set)", r.url, r.provider),
                None => "not configured: approved orders wait as queued for the regulator".into(),
            },
        );
        line(
            "miit",
            match &self.miit {
                Some(m) => format!(
                    "{} as unit {} user {} (password set{}), version {}, uploads {}",
                    m.url,
                    m.unit_id,
                    m.user,
                    if m.aes_key.is_some() { ", AES key set" } else { "" },
                    m.version,
                    m.upload_hours.as_deref().unwrap_or("at any time")
                ),
                None => "not configured: filings go over the JSON seam".into(),
            },
        );
        line(
            "s3",
            match &self.s3 {
                Some(s) => format!("bucket {} at {}", s.bucket, s.endpoint.as_deref().unwrap_or("AWS")),
                None => format!("not configured: documents in {}", self.data_dir.join("blobs").display()),
            },
        );
        line(
            "smtp",
            match &self.smtp {
                Some(s) => format!(
                    "{}:{} {:?}{}",
                    s.host,
                    s.port,
                    s.security,
                    if s.password.is_some() { " (password set)" } else { "" }
                ),
                None => "not configured: e-mails stay in the outbox".into(),
            },
        );
        out
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Loads the layered configuration. `default_data_dir` differs between `serve` and `demo`.
pub fn load(o: &Overrides, default_data_dir: &Path) -> Result<Config, UserError> {
    let mut sources: BTreeMap<&'static str, String> = BTreeMap::new();
    let file_path = o.config_file.clone().or_else(|| env("BEIAN_CONFIG").map(PathBuf::from));
    let file: FileConfig = match &file_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| UserError(format!("cannot read config {}: {e}", p.display())))?;
            toml::from_str(&text)
                .map_err(|e| UserError(format!("{}: {}", p.display(), e.to_string().trim())))?
        }
        None => FileConfig::default(),
    };
    let file_src = file_path.as_ref().map(|p| format!("file {}", p.display())).unwrap_or_default();

    // Each setting: flag, else env, else file, else default — recording the source.
    macro_rules! pick {
        ($key:literal, $flag:expr, $env:literal, $file:expr, $default:expr) => {{
            if let Some(v) = $flag {
                sources.insert($key, "flag".into());
                v
            } else if let Some(v) = env($env) {
                sources.insert($key, format!("env {}", $env));
                v.parse().map_err(|_| UserError(format!("{}: `{v}` is not a valid {}", $env, $key)))?
            } else if let Some(v) = $file {
                sources.insert($key, file_src.clone());
                v
            } else {
                $default
            }
        }};
    }

    let data_dir: PathBuf = pick!(
        "data_dir",
        o.data_dir.clone(),
        "BEIAN_DATA_DIR",
        file.data_dir,
        default_data_dir.to_path_buf()
    );
    let listen: String =
        pick!("listen", o.listen.clone(), "BEIAN_LISTEN", file.listen, "127.0.0.1:8080".to_owned());
    let listen: SocketAddr = listen
        .parse()
        .map_err(|_| UserError(format!("listen: `{listen}` is not HOST:PORT, e.g. 127.0.0.1:8080")))?;
    let database_url: Option<String> = {
        let v: String = pick!(
            "database_url",
            o.database_url.clone(),
            "BEIAN_DATABASE_URL",
            file.database_url,
            String::new()
        );
        (!v.is_empty()).then_some(v)
    };
    let base_url: String =
        pick!("base_url", None::<String>, "BEIAN_BASE_URL", file.base_url, format!("http://{listen}"));
    let secure_cookies: bool = pick!(
        "secure_cookies",
        None::<bool>,
        "BEIAN_SECURE_COOKIES",
        file.secure_cookies,
        base_url.starts_with("https://")
    );
    let hsts: bool = pick!("hsts", None::<bool>, "BEIAN_HSTS", file.hsts, false);
    if hsts && !base_url.starts_with("https://") {
        return Err(UserError("hsts: only for a service reached over HTTPS (base_url https://…)".into()));
    }
    let keys_file: PathBuf =
        pick!("keys_file", None::<PathBuf>, "BEIAN_KEYS_FILE", file.keys_file, data_dir.join("keys.json"));
    let mail_from: String = pick!(
        "mail_from",
        None::<String>,
        "BEIAN_MAIL_FROM",
        file.mail_from,
        "beian <noreply@beian.invalid>".to_owned()
    );
    let workers: usize = pick!("workers", None::<usize>, "BEIAN_WORKERS", file.workers, 2);
    let scan_sites: bool = pick!("scan_sites", None::<bool>, "BEIAN_SCAN_SITES", file.scan_sites, true);
    let psb_badge: Option<PathBuf> = {
        let v: PathBuf =
            pick!("psb_badge", None::<PathBuf>, "BEIAN_PSB_BADGE", file.psb_badge, PathBuf::new());
        (!v.as_os_str().is_empty()).then_some(v)
    };
    let fs = file.smtp.unwrap_or_default();
    let smtp_host: Option<String> = {
        let v: String = pick!("smtp", None::<String>, "BEIAN_SMTP_HOST", fs.host, String::new());
        (!v.is_empty()).then_some(v)
    };
    let smtp = match smtp_host {
        Some(host) => {
            let port: u16 = pick!("smtp_port", None::<u16>, "BEIAN_SMTP_PORT", fs.port, 587);
            let security: SmtpSecurity = match env("BEIAN_SMTP_SECURITY") {
                Some(v) => match v.as_str() {
                    "none" => SmtpSecurity::None,
                    "starttls" => SmtpSecurity::Starttls,
                    "tls" => SmtpSecurity::Tls,
                    other => {
                        return Err(UserError(format!(
                            "BEIAN_SMTP_SECURITY: `{other}` is not none, starttls or tls"
                        )));
                    }
                },
                None => fs.security.unwrap_or(SmtpSecurity::Starttls),
            };
            Some(SmtpConfig {
                host,
                port,
                security,
                username: env("BEIAN_SMTP_USERNAME").or(fs.username),
                password: env("BEIAN_SMTP_PASSWORD").or(fs.password),
                from: mail_from.clone(),
            })
        }
        None => None,
    };
    let s3 = match env("BEIAN_S3_BUCKET") {
        Some(bucket) => {
            sources.insert("s3", "env BEIAN_S3_*".into());
            let need =
                |k: &str| env(k).ok_or_else(|| UserError(format!("{k} must be set with BEIAN_S3_BUCKET")));
            Some(S3Config {
                bucket,
                endpoint: env("BEIAN_S3_ENDPOINT"),
                region: env("BEIAN_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                access_key_id: need("BEIAN_S3_ACCESS_KEY_ID")?,
                secret_access_key: need("BEIAN_S3_SECRET_ACCESS_KEY")?,
                virtual_hosted: env("BEIAN_S3_VIRTUAL_HOSTED").is_some_and(|v| v == "true" || v == "1"),
                allow_http: env("BEIAN_S3_ALLOW_HTTP").is_some_and(|v| v == "true" || v == "1"),
            })
        }
        None => {
            if file.s3.is_some() {
                sources.insert("s3", file_src.clone());
            }
            file.s3
        }
    };
    let sms = match (env("BEIAN_SMS_GATEWAY_URL"), env("BEIAN_SMS_GATEWAY_TOKEN")) {
        (Some(url), Some(token)) => {
            sources.insert("sms", "env BEIAN_SMS_GATEWAY_*".into());
            Some(SmsGateway { url, token })
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(UserError("BEIAN_SMS_GATEWAY_URL and BEIAN_SMS_GATEWAY_TOKEN go together".into()));
        }
        (None, None) => {
            if file.sms.is_some() {
                sources.insert("sms", file_src.clone());
            }
            file.sms
        }
    };
    let regulator =
        match (env("BEIAN_REGULATOR_URL"), env("BEIAN_REGULATOR_PROVIDER"), env("BEIAN_REGULATOR_KEY")) {
            (Some(url), Some(provider), Some(key)) => {
                sources.insert("regulator", "env BEIAN_REGULATOR_*".into());
                Some(RegulatorLink { url, provider, key })
            }
            (None, None, None) => {
                if file.regulator.is_some() {
                    sources.insert("regulator", file_src.clone());
                }
                file.regulator
            }
            _ => {
                return Err(UserError(
                    "BEIAN_REGULATOR_URL, BEIAN_REGULATOR_PROVIDER and BEIAN_REGULATOR_KEY go together"
                        .into(),
                ));
            }
        };
    let miit = match env("BEIAN_MIIT_URL") {
        Some(url) => {
            sources.insert("miit", "env BEIAN_MIIT_*".into());
            let need =
                |k: &str| env(k).ok_or_else(|| UserError(format!("{k} must be set with BEIAN_MIIT_URL")));
            Some(MiitLink {
                url,
                unit_id: need("BEIAN_MIIT_UNIT_ID")?
                    .parse()
                    .map_err(|_| UserError("BEIAN_MIIT_UNIT_ID: not a number".into()))?,
                user: need("BEIAN_MIIT_USER")?,
                password: need("BEIAN_MIIT_PASSWORD")?,
                aes_key: env("BEIAN_MIIT_AES_KEY"),
                aes_iv: env("BEIAN_MIIT_AES_IV"),
                version: env("BEIAN_MIIT_VERSION").unwrap_or_else(miit_version),
                upload_hours: env("BEIAN_MIIT_UPLOAD_HOURS"),
            })
        }
        None => {
            if file.miit.is_some() {
                sources.insert("miit", file_src.clone());
            }
            file.miit
        }
    };
    if let Some(m) = &miit {
        if m.unit_id < 1 {
            return Err(UserError("miit unit_id: the bureau's positive reporting-unit id".into()));
        }
        if let Some(h) = &m.upload_hours
            && beian_miit::hours::Hours::parse(h).is_none()
        {
            return Err(UserError("miit upload_hours: HH:MM-HH:MM, China time, e.g. 08:00-20:00".into()));
        }
        match (&m.aes_key, &m.aes_iv) {
            (None, None) => {}
            (Some(k), Some(iv)) if beian_miit::package::AesKey::new(k, iv).is_some() => {}
            _ => {
                return Err(UserError(
                    "miit aes_key and aes_iv: both, a key of 16, 24 or 32 characters and an IV of 16".into(),
                ));
            }
        }
    }
    if let Some(r) = &regulator
        && beian_seam::SigningKey::from_hex(&r.key).is_none()
    {
        return Err(UserError(
            "regulator key: not the hex key `beian regulator add-provider` printed".into(),
        ));
    }
    if workers > 64 {
        return Err(UserError("workers: at most 64".into()));
    }
    if let Some(s) = &smtp
        && !beian_app::notify::valid_mailbox(&s.from)
    {
        return Err(UserError(format!(
            "mail_from: `{}` is not an address like `beian <noreply@example.com>`",
            s.from
        )));
    }
    Ok(Config {
        data_dir,
        listen,
        database_url,
        base_url,
        secure_cookies,
        hsts,
        keys_file,
        mail_from,
        workers,
        scan_sites,
        psb_badge,
        smtp,
        s3,
        sms,
        regulator,
        miit,
        sources,
    })
}
