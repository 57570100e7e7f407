//! What a check cannot know from the order itself: today's date, the domain registry's
//! facts, the provider's IP pools, what is already on file, and the holiday calendar.
//! The service fills it from its store; the CLI from a JSON file.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Duration, Weekday};

use crate::number::ServiceKind;

/// Outside facts for one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Today's date in China (UTC+8).
    #[schemars(with = "String")]
    pub today: Date,
    /// The provider's public address pools; empty means "not checked".
    #[serde(default)]
    pub provider_ip_pools: Vec<Cidr>,
    /// Whether every service needs a provider service number (备案服务号).
    #[serde(default)]
    pub require_service_number: bool,
    /// Registry facts per domain (lower-case punycode, registrable domain).
    #[serde(default)]
    pub domains: BTreeMap<String, DomainFacts>,
    /// The subject's filing as on record, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_file: Option<FiledSubject>,
    /// Other open orders of the same subject, at any provider.
    #[serde(default)]
    pub open_orders: u32,
    /// A change order of the subject is still pending.
    #[serde(default)]
    pub pending_change: bool,
    /// Mobiles that responsible persons of *other* subjects use.
    #[serde(default)]
    pub mobiles_used_by_other_subjects: Vec<String>,
    /// Certificate numbers of people who head sites of other company subjects.
    #[serde(default)]
    pub site_heads_of_other_companies: Vec<String>,
    /// Certificate numbers of people who head sites of any other subject.
    #[serde(default)]
    pub site_heads_of_other_subjects: Vec<String>,
    /// Domains filed, or being filed, under other subjects.
    #[serde(default)]
    pub domains_filed_elsewhere: Vec<String>,
    /// The subject is on the bureau's blacklist (HMDLB).
    #[serde(default)]
    pub subject_blacklisted: bool,
    /// Domains on the bureau's blacklist (HMDLB).
    #[serde(default)]
    pub domains_blacklisted: Vec<String>,
    /// Domains the bureau found served without a filing (FFJRHMD).
    #[serde(default)]
    pub domains_served_unfiled: Vec<String>,
    /// The provider's service numbers and the uses each has left; `None` means not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_numbers: Option<BTreeMap<String, i64>>,
    /// Public holidays (no work) and make-up working days (调休), for working-day counts.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub holidays: Vec<Date>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub extra_workdays: Vec<Date>,
    /// For a change order started from the filing: the subject and the services concerned as
    /// filed, which the change is measured against (`model::changes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_filed: Option<Box<crate::model::Order>>,
}

impl Context {
    /// A context that knows nothing but the date.
    pub fn new(today: Date) -> Context {
        Context {
            today,
            provider_ip_pools: Vec::new(),
            require_service_number: false,
            domains: BTreeMap::new(),
            on_file: None,
            open_orders: 0,
            pending_change: false,
            mobiles_used_by_other_subjects: Vec::new(),
            site_heads_of_other_companies: Vec::new(),
            site_heads_of_other_subjects: Vec::new(),
            domains_filed_elsewhere: Vec::new(),
            subject_blacklisted: false,
            domains_blacklisted: Vec::new(),
            domains_served_unfiled: Vec::new(),
            service_numbers: None,
            holidays: Vec::new(),
            extra_workdays: Vec::new(),
            as_filed: None,
        }
    }
}

/// What the registrar and MIIT know about a domain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    /// The holder's certificate number as verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_certificate: Option<String>,
    /// Whether the registrar holds a real-name record for the domain: `Some(false)` when it
    /// answered that it has none (注册商不存在该域名注册人信息), `None` when nobody asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realname_record: Option<bool>,
    /// Day the real-name verification was approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub realname_verified_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub expires_on: Option<Date>,
    /// Whether the registrar is MIIT-approved; `None` if unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrar_approved: Option<bool>,
    /// The registrar (域名注册服务商) as WHOIS or the registrar's console names it; carried into
    /// the site's PSB application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrar: Option<String>,
    /// Whether the domain currently resolves to a reachable site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolves: Option<bool>,
}

/// The subject's filing on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FiledSubject {
    /// Subject number, `浙ICP备2026012345号`.
    pub number: String,
    /// Certificate number of the subject head on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_certificate: Option<String>,
    /// Subject certificate number on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(default)]
    pub services: Vec<FiledService>,
}

/// A filed website or app and what the last compliance scan saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FiledService {
    pub number: String,
    pub kind: ServiceKind,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
    /// The footer shows the right number linked to MIIT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer_ok: Option<bool>,
}

/// An address pool in CIDR notation, `47.96.0.0/11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (net, prefix) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let network: IpAddr = net.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() { max } else { prefix.parse().ok()? };
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        crate::id::cidr_contains(self.network, self.prefix, ip)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cidr::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not an address pool like 47.96.0.0/11"))
        })
    }
}

impl JsonSchema for Cidr {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cidr".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "description": "IPv4 or IPv6 network in CIDR notation" })
    }
}

/// The date `n` working days after `from`: weekends and `holidays` do not count, days in
/// `extra_workdays` (make-up working Saturdays and Sundays) do.
pub fn add_working_days(from: Date, n: u32, holidays: &[Date], extra_workdays: &[Date]) -> Date {
    let mut d = from;
    let mut left = n;
    // Bounded: even a year of holidays cannot stall this loop.
    for _ in 0..(n as usize * 7 + 400) {
        if left == 0 {
            break;
        }
        d += Duration::days(1);
        let weekend = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
        let working = extra_workdays.contains(&d) || (!weekend && !holidays.contains(&d));
        if working {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // 2026-11-27 is a Friday.
        assert_eq!(add_working_days(date!(2026 - 11 - 27), 3, &[], &[]), date!(2026 - 12 - 02));
        assert_eq!(
            add_working_days(date!(2026 - 11 - 27), 3, &[date!(2026 - 11 - 30)], &[]),
            date!(2026 - 12 - 03)
        );
        assert_eq!(
            add_working_days(date!(2026 - 11 - 27), 1, &[], &[date!(2026 - 11 - 28)]),
            date!(2026 - 11 - 28)
        );
        assert_eq!(add_working_days(date!(2026 - 11 - 27), 0, &[], &[]), date!(2026 - 11 - 27));
    }

    #[test]
    fn cidr() {
        let c = Cidr::parse("47.96.0.0/11").unwrap();
        assert!(c.contains("47.100.1.1".parse().unwrap()));
        assert!(!c.contains("8.8.8.8".parse().unwrap()));
        assert_eq!(Cidr::parse("2400:3200::/32").unwrap().prefix, 32);
        assert_eq!(Cidr::parse("1.2.3.4").unwrap().prefix, 32);
        assert!(Cidr::parse("1.2.3.4/33").is_none());
        assert!(Cidr::parse("nope/8").is_none());
    }
}
