//! Policy as data: provincial differences, word lists, SMS recipients per order kind and the
//! rule catalog, each loaded from a TOML file that names its sources and date.
//!
//! The built-in set ([`PolicySet::builtin`]) is compiled from `data/*.toml`; a provider can
//! load its own (newer bureau notices, its own limits) with [`PolicySet::from_toml`]. Rules
//! read parameters from here and never branch on a province code (architecture invariant 2).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::OrderKind;
use crate::province::{ProvinceCode, provinces};

const POLICY: &str = include_str!("../data/policy.toml");
const WORDS: &str = include_str!("../data/words.toml");
const SMS: &str = include_str!("../data/sms_recipients.toml");
const RULES: &str = include_str!("../data/rules.toml");

/// How a finding affects the order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks submission.
    Error,
    /// Advises; the applicant may submit anyway.
    Warning,
    /// Flags the order for the provider's reviewer.
    Review,
}

/// The legal-representative rule for the subject head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadRule {
    /// The head must be the legal representative.
    Required,
    /// Someone else may be head with an authorization letter.
    Authorization,
    /// Anyone may be head.
    Allowed,
}

/// Whether individuals may file here on a residence permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidenceRule {
    Permit,
    LocalOnly,
    Unknown,
}

/// Whose mobile must have been allocated in the filing province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalMobileRule {
    /// Nobody's.
    None,
    /// Every responsible person's (subject and services).
    All,
    /// The website and app responsible persons'.
    SiteHeads,
}

/// Every policy parameter, resolved for one province. See `data/policy.toml` for meanings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyValues {
    pub site_name_min_han: usize,
    pub head_legal_rep: HeadRule,
    pub domain_min_validity_days: i64,
    pub realname_sync_working_days: u32,
    pub max_domains_per_order: usize,
    pub max_domains_per_site: usize,
    pub max_domains_first_filing: usize,
    pub sole_proprietor_files_as_enterprise: bool,
    pub max_services_per_order_individual: usize,
    pub max_services_per_order_unit: usize,
    pub individual_max_services: usize,
    pub individual_min_age: u32,
    pub individual_review_age: u32,
    pub individual_residence: ResidenceRule,
    pub construction_plan_domains_individual: usize,
    pub construction_plan_domains_unit: usize,
    pub unit_office_landline_required: bool,
    pub office_phone_differs_from_mobile: bool,
    pub local_mobile_required: LocalMobileRule,
    pub mailing_address_same_city: bool,
    pub domain_holder_may_be_legal_rep: bool,
    pub shell_subject_may_add_service: bool,
    pub site_heads_unique_across_subjects: bool,
    pub site_head_authorization_required: bool,
    pub site_head_same_if_head_not_legal_rep: bool,
    pub head_must_match_on_file_for_additions: bool,
    pub government_domain_rule: bool,
    pub individual_remark_min_chars: usize,
    pub max_service_content_items: usize,
    pub bureau_review_working_days: u32,
    pub draft_expiry_days: i64,
    pub draft_reminder_days: Vec<i64>,
    pub empty_shell_days: i64,
}

/// The policy of one province: values plus provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub province: ProvinceCode,
    pub values: PolicyValues,
    /// Sources of the defaults and of this province's differences.
    pub sources: Vec<String>,
    /// Date the entry was last checked.
    pub date: String,
    /// Severity overrides by rule code.
    pub severity: HashMap<String, Severity>,
}

/// A named word list with its source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WordList {
    pub source: String,
    pub date: String,
    pub words: Vec<String>,
}

impl WordList {
    /// The first word of the list that occurs in `text`.
    pub fn find_in(&self, text: &str) -> Option<&str> {
        self.words.iter().map(String::as_str).find(|w| text.contains(w))
    }
}

/// A pre-approval kind and the keywords in a name that suggest it is needed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PreApprovalKind {
    pub name: String,
    pub document: String,
    pub required: bool,
    pub keywords: Vec<String>,
    /// Narrower words that, in a service's content or remark, say the same (a name's
    /// keywords such as 在线 would flag every description).
    #[serde(default)]
    pub text_keywords: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceContentLists {
    pub source: String,
    pub date: String,
    pub individual_allowed: Vec<String>,
}

/// All word lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub national: WordList,
    pub sensitive: WordList,
    pub government: WordList,
    pub individual_forbidden: WordList,
    pub individual_discouraged: WordList,
    pub company_forms: WordList,
    pub app_marketing: WordList,
    pub international: WordList,
    pub interactive: WordList,
    pub pre_approval_kinds: BTreeMap<String, PreApprovalKind>,
    pub service_content: ServiceContentLists,
    pub subject_certificates: SubjectCertificates,
}

/// Certificate kinds allowed per subject nature (serde names of the model enums).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubjectCertificates {
    pub source: String,
    pub date: String,
    #[serde(flatten)]
    pub by_nature: BTreeMap<String, Vec<String>>,
}

/// Who receives the MIIT SMS for one order kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsRecipients {
    pub subject_head: bool,
    pub service_heads: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct SmsFile {
    source: String,
    date: String,
    kinds: BTreeMap<String, SmsRecipients>,
}

/// One rule of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInfo {
    #[serde(default)]
    pub code: String,
    pub severity: Severity,
    pub source: String,
    pub zh: String,
    pub en: String,
    pub fix_zh: String,
    pub fix_en: String,
}

/// Why a policy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: {message}")]
    Invalid { file: &'static str, message: String },
}

fn invalid(file: &'static str, e: impl std::fmt::Display) -> PolicyError {
    PolicyError::Invalid { file, message: e.to_string() }
}

/// Everything the rule engine reads besides the order and its context.
#[derive(Debug, Clone)]
pub struct PolicySet {
    provinces: BTreeMap<ProvinceCode, Policy>,
    pub words: Words,
    sms: BTreeMap<OrderKind, SmsRecipients>,
    pub sms_source: String,
    catalog: BTreeMap<String, RuleInfo>,
}

impl PolicySet {
    /// The policy compiled into this build.
    pub fn builtin() -> &'static PolicySet {
        static SET: OnceLock<PolicySet> = OnceLock::new();
        SET.get_or_init(|| {
            PolicySet::from_toml(POLICY, WORDS, SMS, RULES).expect("built-in policy data is valid (tested)")
        })
    }

    /// Loads a policy set from the four TOML documents.
    pub fn from_toml(policy: &str, words: &str, sms: &str, rules: &str) -> Result<PolicySet, PolicyError> {
        let doc: toml::Table = toml::from_str(policy).map_err(|e| invalid("policy.toml", e))?;
        let defaults = doc
            .get("defaults")
            .and_then(|v| v.as_table())
            .ok_or_else(|| invalid("policy.toml", "missing [defaults]"))?;
        let empty = toml::Table::new();
        let province_tables = doc.get("province").and_then(|v| v.as_table()).unwrap_or(&empty);
        let meta = ["name", "source", "date", "severity"];
        let mut out = BTreeMap::new();
        for p in provinces() {
            let key = format!("{:02}", p.code.get());
            let own = province_tables.get(&key).and_then(|v| v.as_table()).unwrap_or(&empty);
            let mut merged = toml::Table::new();
            for (k, v) in defaults.iter().chain(own.iter()) {
                if !meta.contains(&k.as_str()) {
                    merged.insert(k.clone(), v.clone());
                }
            }
            let values: PolicyValues = toml::Value::Table(merged)
                .try_into()
                .map_err(|e| invalid("policy.toml", format!("[province.{key}]: {e}")))?;
            let reminders_fit = values.draft_reminder_days.windows(2).all(|w| w[0] < w[1])
                && values.draft_reminder_days.iter().all(|d| (1..values.draft_expiry_days).contains(d));
            if !reminders_fit {
                return Err(invalid(
                    "policy.toml",
                    format!(
                        "[province.{key}]: draft_reminder_days must rise and fall before draft_expiry_days"
                    ),
                ));
            }
            let mut sources =
                vec![defaults.get("source").and_then(|v| v.as_str()).unwrap_or_default().to_owned()];
            if let Some(s) = own.get("source").and_then(|v| v.as_str()) {
                sources.push(s.to_owned());
            }
            let date = own
                .get("date")
                .or_else(|| defaults.get("date"))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let severity: HashMap<String, Severity> = match own.get("severity") {
                Some(v) => v
                    .clone()
                    .try_into()
                    .map_err(|e| invalid("policy.toml", format!("[province.{key}.severity]: {e}")))?,
                None => HashMap::new(),
            };
            out.insert(p.code, Policy { province: p.code, values, sources, date, severity });
        }
        for key in province_tables.keys() {
            if ProvinceCode::parse(key).is_none() {
                return Err(invalid("policy.toml", format!("[province.{key}] is not a filing province")));
            }
        }

        let words: Words = toml::from_str(words).map_err(|e| invalid("words.toml", e))?;

        let sms_file: SmsFile = toml::from_str(sms).map_err(|e| invalid("sms_recipients.toml", e))?;
        let mut sms = BTreeMap::new();
        for kind in OrderKind::ALL {
            let r = sms_file
                .kinds
                .get(kind.key())
                .ok_or_else(|| invalid("sms_recipients.toml", format!("missing kind {}", kind.key())))?;
            sms.insert(kind, *r);
        }

        let mut catalog: BTreeMap<String, RuleInfo> =
            toml::from_str(rules).map_err(|e| invalid("rules.toml", e))?;
        for (code, info) in catalog.iter_mut() {
            info.code = code.clone();
        }
        // The engine emits every built-in rule; a replacement catalog must define them all.
        let builtin: BTreeMap<String, toml::Value> =
            toml::from_str(RULES).map_err(|e| invalid("rules.toml", e))?;
        if let Some(missing) = builtin.keys().find(|c| !catalog.contains_key(*c)) {
            return Err(invalid("rules.toml", format!("rule {missing} is missing")));
        }
        for policy in out.values() {
            if let Some(code) = policy.severity.keys().find(|c| !catalog.contains_key(*c)) {
                return Err(invalid("policy.toml", format!("severity override for unknown rule {code}")));
            }
        }
        Ok(PolicySet {
            provinces: out,
            words,
            sms,
            sms_source: format!("{} ({})", sms_file.source, sms_file.date),
            catalog,
        })
    }

    /// The policy of a province.
    pub fn province(&self, code: ProvinceCode) -> &Policy {
        // Invariant: from_toml inserts every filing province.
        &self.provinces[&code]
    }

    /// Who receives the MIIT SMS for an order kind.
    pub fn sms_recipients(&self, kind: OrderKind) -> SmsRecipients {
        self.sms[&kind]
    }

    /// The catalog entry of a rule.
    pub fn rule(&self, code: &str) -> Option<&RuleInfo> {
        self.catalog.get(code)
    }

    /// Every rule, by code.
    pub fn rules(&self) -> impl Iterator<Item = &RuleInfo> {
        self.catalog.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_loads_for_every_province() {
        let set = PolicySet::builtin();
        for p in provinces() {
            let policy = set.province(p.code);
            assert!(!policy.date.is_empty());
            assert!(!policy.sources.is_empty());
        }
        let js = set.province(ProvinceCode::parse("32").unwrap());
        assert!(js.values.unit_office_landline_required);
        assert_eq!(js.values.construction_plan_domains_unit, 30);
        let sh = set.province(ProvinceCode::parse("31").unwrap());
        assert_eq!(sh.values.domain_min_validity_days, 180);
        let bj = set.province(ProvinceCode::parse("11").unwrap());
        assert_eq!(bj.values.domain_min_validity_days, 90);
        assert_eq!(bj.values.head_legal_rep, HeadRule::Allowed);
        assert_eq!(
            (bj.values.draft_expiry_days, bj.values.draft_reminder_days.as_slice()),
            (45, &[30, 40][..])
        );
    }

    #[test]
    fn sms_matrix_follows_rules_md() {
        let set = PolicySet::builtin();
        let r = |k| set.sms_recipients(k);
        assert_eq!(r(OrderKind::FirstFiling), SmsRecipients { subject_head: true, service_heads: true });
        assert_eq!(r(OrderKind::NewAccess), SmsRecipients { subject_head: false, service_heads: true });
        assert_eq!(r(OrderKind::ChangeSubject), SmsRecipients { subject_head: true, service_heads: false });
        assert_eq!(r(OrderKind::CancelAccess), SmsRecipients { subject_head: false, service_heads: false });
    }

    #[test]
    fn catalog_is_complete() {
        let set = PolicySet::builtin();
        assert!(set.rules().count() >= 50);
        for r in set.rules() {
            assert!(r.code.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{}", r.code);
            assert!(!r.source.is_empty() && !r.zh.is_empty() && !r.en.is_empty(), "{}", r.code);
            assert!(!r.fix_zh.is_empty() && !r.fix_en.is_empty(), "{}", r.code);
        }
    }

    #[test]
    fn bad_policy_is_refused_with_the_file_named() {
        let e =
            PolicySet::from_toml("[defaults]\nsite_name_min_han = \"three\"", WORDS, SMS, RULES).unwrap_err();
        assert!(e.to_string().starts_with("policy.toml"), "{e}");
        let p = POLICY.replace("[province.65]", "[province.99]");
        assert!(PolicySet::from_toml(&p, WORDS, SMS, RULES).is_err());
        let p = format!("{POLICY}\n[province.11.severity]\nNOT_A_RULE = \"warning\"\n");
        assert!(PolicySet::from_toml(&p, WORDS, SMS, RULES).is_err());
        let rules = RULES.replace("[ORDER_CHANGE_IMMUTABLE]", "[ORDER_CHANGE_IMMUTABLX]");
        let e = PolicySet::from_toml(POLICY, WORDS, SMS, &rules).unwrap_err();
        assert!(e.to_string().contains("ORDER_CHANGE_IMMUTABLE is missing"), "{e}");
        let p = POLICY.replace("draft_reminder_days = [30, 40]", "draft_reminder_days = [30, 50]");
        let e = PolicySet::from_toml(&p, WORDS, SMS, RULES).unwrap_err();
        assert!(e.to_string().contains("draft_reminder_days"), "{e}");
        let p = POLICY.replace("[province.44]\n", "[province.44]\ndraft_expiry_days = 35\n");
        let e = PolicySet::from_toml(&p, WORDS, SMS, RULES).unwrap_err();
        assert!(
            e.to_string().contains("[province.44]: draft_reminder_days"),
            "a reminder on day 40 of 35: {e}"
        );
    }
}
