//! The filing order as data: subject (主体), responsible persons, websites, apps, access
//! information and pre-approvals, for every order kind of rules.md §1.2.
//!
//! These are plain serde types: they hold what the applicant typed, *unvalidated*, because a
//! form must be able to save a half-filled draft and the rule engine must be able to say
//! what is wrong with it field by field. Parsing into the identifier types happens in the
//! rules. The JSON schema is generated from these types (`docs/order.schema.json`).

mod change;
mod kind;

pub use change::{Changes, changes};
pub use kind::{KindDecision, OnFile, OrderKind};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::number::ServiceKind;
use crate::province::ProvinceCode;

/// One filing order as the applicant submits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// What the order does; worked out from what is on file (see [`OrderKind::decide`]).
    pub kind: OrderKind,
    /// The filing province: where the subject's certificate was issued (units) or the ID
    /// card's / residence permit's province (individuals).
    pub province: ProvinceCode,
    pub subject: Subject,
    #[serde(default)]
    pub websites: Vec<Website>,
    #[serde(default)]
    pub apps: Vec<App>,
    /// For cancellation, access-cancellation and migration orders: the numbers concerned.
    #[serde(default)]
    pub target_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// For a cancellation or access-cancellation: why, by the reason's name in the bureau's
    /// table of cancellation reasons (注销理由, e.g. 网站关闭); the default reason when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

/// The nature of the subject (主办单位性质). The MIIT registry is dynamic; these are the
/// kinds beian distinguishes in rules, with their registry names in [`SubjectNature::label`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectNature {
    /// 企业
    Enterprise,
    /// 个体工商户 (files as an enterprise in some provinces)
    SoleProprietor,
    /// 政府机关
    Government,
    /// 事业单位
    Institution,
    /// 社会团体
    SocialOrganization,
    /// 民办非企业单位
    PrivateNonEnterprise,
    /// 基金会
    Foundation,
    /// 国防机构 / 军队
    Military,
    /// 个人
    Individual,
}

impl SubjectNature {
    /// Every nature, in the order forms list them.
    pub const ALL: [SubjectNature; 9] = [
        SubjectNature::Enterprise,
        SubjectNature::SoleProprietor,
        SubjectNature::Government,
        SubjectNature::Institution,
        SubjectNature::SocialOrganization,
        SubjectNature::PrivateNonEnterprise,
        SubjectNature::Foundation,
        SubjectNature::Military,
        SubjectNature::Individual,
    ];

    /// The nature's name in `lang`, from the core's catalogue (`nature.<nature>`).
    pub fn label(self, lang: crate::message::Lang) -> &'static str {
        let key = match self {
            SubjectNature::Enterprise => "nature.enterprise",
            SubjectNature::SoleProprietor => "nature.sole_proprietor",
            SubjectNature::Government => "nature.government",
            SubjectNature::Institution => "nature.institution",
            SubjectNature::SocialOrganization => "nature.social_organization",
            SubjectNature::PrivateNonEnterprise => "nature.private_non_enterprise",
            SubjectNature::Foundation => "nature.foundation",
            SubjectNature::Military => "nature.military",
            SubjectNature::Individual => "nature.individual",
        };
        crate::message::word(lang, key)
    }

    pub fn is_individual(self) -> bool {
        self == SubjectNature::Individual
    }
}

/// Certificate kinds (证件类型) for subjects and persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// 营业执照 with a unified social credit code.
    BusinessLicence,
    /// 统一社会信用代码证书 (institutions, social organizations, government bodies).
    UsccCertificate,
    /// 组织机构代码证 (legacy, some government bodies).
    OrgCodeCertificate,
    /// 居民身份证, including HK/Macau/Taiwan residence permits (same number format).
    ResidentId,
    /// 港澳居民来往内地通行证.
    HkMacauPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanPermit,
    /// 护照.
    Passport,
    /// 军官证 and other military documents.
    MilitaryId,
}

impl CertificateKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [CertificateKind; 8] = [
        CertificateKind::BusinessLicence,
        CertificateKind::UsccCertificate,
        CertificateKind::OrgCodeCertificate,
        CertificateKind::ResidentId,
        CertificateKind::HkMacauPermit,
        CertificateKind::TaiwanPermit,
        CertificateKind::Passport,
        CertificateKind::MilitaryId,
    ];

    /// Whether a person (not an organization) holds this kind.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            CertificateKind::ResidentId
                | CertificateKind::HkMacauPermit
                | CertificateKind::TaiwanPermit
                | CertificateKind::Passport
                | CertificateKind::MilitaryId
        )
    }
}

/// A certificate as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub kind: CertificateKind,
    pub number: String,
}

/// The subject (主体 / 主办单位).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub nature: SubjectNature,
    /// Exact name on the certificate; for individuals, the person's name.
    pub name: String,
    pub certificate: Certificate,
    /// GB/T 2260 code of the county (or city) where the subject is located, e.g. "330106".
    pub region: String,
    /// 证件住所: the address printed on the certificate.
    pub certificate_address: String,
    /// 通信地址: must lie in the chosen region, down to the door number.
    pub mailing_address: String,
    /// 主体负责人.
    pub head: Person,
    /// Whether the head is the legal representative (法定代表人).
    #[serde(default)]
    pub head_is_legal_representative: bool,
    /// An individual filing outside the ID card's province with a local residence permit.
    #[serde(default)]
    pub residence_permit: bool,
    /// 投资人或主管单位 (older forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investor: Option<String>,
    /// The subject number when the subject is already filed (`浙ICP备2026012345号`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// How long a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValidUntil {
    /// 长期.
    LongTerm,
    /// A last day of validity.
    #[serde(untagged)]
    Date(#[schemars(with = "String")] Date),
}

/// A responsible person (主体负责人 or 互联网信息服务负责人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    pub certificate: Certificate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_valid_until: Option<ValidUntil>,
    /// Mobile number; receives the MIIT verification SMS.
    pub mobile: String,
    /// 应急联系电话: must differ from every responsible person's mobile; never gets the SMS.
    pub emergency_phone: String,
    /// 办公电话 (a landline is required in some provinces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_phone: Option<String>,
    pub email: String,
    /// An authorization letter (授权书) is provided, for a person who is not the legal
    /// representative.
    #[serde(default)]
    pub authorization_letter: bool,
}

impl Person {
    /// Whether two person records name the same human (same certificate number, ignoring
    /// case and spaces).
    pub fn same_person(&self, other: &Person) -> bool {
        self.same_person_as_certificate(&other.certificate.number)
    }

    /// Whether this person's certificate number is `number` (ignoring case, width and spaces).
    pub fn same_person_as_certificate(&self, number: &str) -> bool {
        normalize_cert(&self.certificate.number) == normalize_cert(number)
    }
}

/// A certificate number folded for comparison: no spaces, ASCII, upper case.
pub fn normalize_cert(number: &str) -> String {
    crate::text::fold_compact(number).to_ascii_uppercase()
}

/// A pre-approval (前置审批) item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreApproval {
    /// Kind key from `data/words.toml` `[pre_approval_kinds]` (news, publishing, drugs, culture,
    /// broadcasting, ride_hailing, finance, games, education, health, bbs, religion).
    pub kind: String,
    /// Approval or licence number.
    pub number: String,
    /// Reference to the uploaded certificate, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// Access information (接入信息) for one website or app.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// Public IPs of the provider's mainland resources serving this service.
    #[serde(default)]
    pub ips: Vec<String>,
    /// 备案服务号 / 授权码 of the provider's resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_number: Option<String>,
    /// 接入方式, e.g. 云服务器, 虚拟主机 (enumeration from the provider profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// The fields every service (website or app) has after its own, in this order: declared once,
/// so the two cannot drift (`#[serde(flatten)]` would lose `deny_unknown_fields`).
macro_rules! service {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($own)*
            /// Service content items (服务内容), e.g. "企业官网" or a second-level industry item.
            #[serde(default)]
            pub service_content: Vec<String>,
            #[serde(default)]
            pub languages: Vec<String>,
            #[serde(default)]
            pub pre_approvals: Vec<PreApproval>,
            /// The service's responsible person (网站/APP负责人).
            pub head: Person,
            #[serde(default)]
            pub access: Access,
            /// Required for individuals: what the service actually contains.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub remark: Option<String>,
            /// The service's number when filed (`京ICP备16020626号-8`), for change and access orders.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub existing_number: Option<String>,
        }
    };
}

service! {
    /// A website (网站).
    pub struct Website {
        pub name: String,
        /// Registrable domains, the first one being the main domain.
        pub domains: Vec<String>,
    }
}

/// One platform build of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppPlatform {
    pub platform: Platform,
    /// Android `applicationId`, iOS Bundle ID, HarmonyOS bundleName.
    pub package_id: String,
    /// The field labelled 签名MD5值: MD5 (32 hex) of the signing certificate on Android,
    /// but the certificate's **SHA-1** (40 hex) on iOS.
    pub signature_hash: String,
    /// 公钥: the RSA modulus of the signing certificate, decimal or hex — not a PEM block.
    pub public_key: String,
}

/// App platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Android,
    Ios,
    Harmonyos,
}

service! {
    /// An app (APP), mini program or quick app.
    pub struct App {
        pub name: String,
        /// `app`, `mini_program` or `quick_app`.
        #[serde(default = "default_app_kind")]
        pub kind: ServiceKind,
        #[serde(default)]
        pub platforms: Vec<AppPlatform>,
        #[serde(default)]
        pub domains: Vec<String>,
    }
}

fn default_app_kind() -> ServiceKind {
    ServiceKind::App
}

/// A website or app seen through what they share, so rules about names, domains, persons,
/// content and access are written once.
#[derive(Debug, Clone, Copy)]
pub struct Service<'a> {
    /// JSON path prefix, `websites[0]` or `apps[1]`.
    pub path: &'a str,
    pub kind: ServiceKind,
    pub name: &'a str,
    pub domains: &'a [String],
    pub service_content: &'a [String],
    pub languages: &'a [String],
    pub pre_approvals: &'a [PreApproval],
    pub head: &'a Person,
    pub access: &'a Access,
    pub remark: Option<&'a str>,
    pub existing_number: Option<&'a str>,
}

impl Order {
    /// All responsible persons with their JSON paths: the subject head first.
    pub fn persons(&self) -> Vec<(String, &Person)> {
        let mut v = vec![("subject.head".to_owned(), &self.subject.head)];
        for (i, w) in self.websites.iter().enumerate() {
            v.push((format!("websites[{i}].head"), &w.head));
        }
        for (i, a) in self.apps.iter().enumerate() {
            v.push((format!("apps[{i}].head"), &a.head));
        }
        v
    }

    /// Number of services (websites + apps) in the order.
    pub fn service_count(&self) -> usize {
        self.websites.len() + self.apps.len()
    }
}

/// Owned paths for [`Service`] views.
#[derive(Debug)]
pub struct ServicePaths(Vec<String>);

impl ServicePaths {
    pub fn of(order: &Order) -> ServicePaths {
        let mut v: Vec<String> = (0..order.websites.len()).map(|i| format!("websites[{i}]")).collect();
        v.extend((0..order.apps.len()).map(|i| format!("apps[{i}]")));
        ServicePaths(v)
    }

    /// The services of `order`, borrowing their paths from `self`.
    pub fn services<'a>(&'a self, order: &'a Order) -> Vec<Service<'a>> {
        let sites = order.websites.iter().zip(&self.0).map(|(w, p)| Service {
            path: p,
            kind: ServiceKind::Website,
            name: &w.name,
            domains: &w.domains,
            service_content: &w.service_content,
            languages: &w.languages,
            pre_approvals: &w.pre_approvals,
            head: &w.head,
            access: &w.access,
            remark: w.remark.as_deref(),
            existing_number: w.existing_number.as_deref(),
        });
        let apps = order.apps.iter().zip(&self.0[order.websites.len()..]).map(|(a, p)| Service {
            path: p,
            kind: a.kind,
            name: &a.name,
            domains: &a.domains,
            service_content: &a.service_content,
            languages: &a.languages,
            pre_approvals: &a.pre_approvals,
            head: &a.head,
            access: &a.access,
            remark: a.remark.as_deref(),
            existing_number: a.existing_number.as_deref(),
        });
        sites.chain(apps).collect()
    }
}
