//! What the bureau has on file, asked with `isp_querybeianstatus`: by domain and by the
//! subject's certificate. The answers decide a new filing's kind (`OrderKind::decide`: is the
//! subject, is the website already filed, here or elsewhere?) and feed the pre-check (a domain
//! filed under another subject).
//!
//! The bureau is asked with a short timeout and its answers are kept for ten minutes, because
//! the findings are worked out each time an order's page is shown; when the bureau does not
//! answer, the provider decides from what it knows itself. This module must never keep or log
//! a certificate number: answers are kept under its blind index.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use beian_core::id::DomainName;
use beian_core::model::{Certificate, SubjectNature, normalize_cert};
use beian_miit::mapping::status::{self, Status};
use beian_miit::soap::Operation;
use tokio::sync::Mutex;

use crate::areas::Seam;

/// How long an answer is used (microseconds of the app's clock).
const KEEP_US: i64 = 600 * 1_000_000;
/// How long a page waits for the bureau.
const WAIT: Duration = Duration::from_secs(5);
/// Answers kept at most; beyond, the oldest half goes.
const MAX_KEPT: usize = 10_000;

/// Recent answers, by condition type and condition (a domain, or a certificate's blind index).
#[derive(Default)]
pub(crate) struct Answers(Mutex<HashMap<(i64, String), (i64, Status)>>);

/// What the bureau said of a subject and its domains; a condition it did not answer for is
/// missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BureauView {
    /// The subject's status by its certificate, when asked and answered.
    pub subject: Option<Status>,
    /// Each domain's status, by the domain as asked (Unicode, lower case).
    pub domains: BTreeMap<String, Status>,
}

impl BureauView {
    /// The subject's number at the bureau: its own answer, else `known` (the provider's).
    fn subject_number<'a>(&'a self, known: Option<&'a str>) -> Option<&'a str> {
        self.subject.as_ref().and_then(Status::subject_number).or(known)
    }

    /// Domains filed under another subject than this one (`known`: the subject's number as
    /// the provider has it).
    pub fn filed_elsewhere(&self, known: Option<&str>) -> Vec<String> {
        let own = self.subject_number(known);
        self.domains
            .iter()
            .filter(|(_, s)| s.subject_number().is_some_and(|n| Some(n) != own))
            .map(|(d, _)| d.clone())
            .collect()
    }

    /// Whether the bureau has `domain` on file under this subject.
    pub fn filed_under_subject(&self, domain: &str, known: Option<&str>) -> bool {
        let own = self.subject_number(known);
        self.domains.get(domain).and_then(Status::subject_number).is_some_and(|n| Some(n) == own)
    }

    /// Whether the bureau has the subject on file.
    pub fn subject_filed(&self) -> bool {
        matches!(self.subject, Some(Status::Filed { .. }))
    }
}

/// The domain as the bureau is asked about it.
pub(crate) fn asked_domain(raw: &str) -> Option<String> {
    DomainName::parse(raw).ok().map(|d| d.value.to_unicode().to_lowercase())
}

impl Seam<'_> {
    /// One status query, from the answers kept or the bureau; `None` when it did not answer.
    async fn miit_status(self, condition_type: i64, condition: &str, kept_as: String) -> Option<Status> {
        let seam = self.miit()?;
        let key = (condition_type, kept_as);
        let now = self.now_us();
        {
            let kept = seam.statuses.0.lock().await;
            if let Some((at, s)) = kept.get(&key)
                && now - at < KEEP_US
            {
                return Some(s.clone());
            }
        }
        let mut args = match seam.credentials.args() {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("status query not made: {e}");
                return None;
            }
        };
        args.push(("queryConditionType", condition_type.to_string()));
        args.push(("queryCondition", condition.to_owned()));
        let answer = match tokio::time::timeout(WAIT, seam.port.call(Operation::QueryBeianStatus, args)).await
        {
            Ok(Ok(a)) => a,
            Ok(Err(e)) => {
                tracing::warn!(condition_type, "the bureau did not answer a status query: {e}");
                return None;
            }
            Err(_) => {
                tracing::warn!(condition_type, "the bureau did not answer a status query in {WAIT:?}");
                return None;
            }
        };
        match status::read(&answer) {
            Ok(s) => {
                let mut kept = seam.statuses.0.lock().await;
                if kept.len() >= MAX_KEPT {
                    let mut ages: Vec<i64> = kept.values().map(|(at, _)| *at).collect();
                    ages.sort();
                    let cut = ages[ages.len() / 2];
                    kept.retain(|_, (at, _)| *at > cut);
                }
                kept.insert(key, (now, s.clone()));
                Some(s)
            }
            Err(e) => {
                tracing::warn!(condition_type, "unusable status answer: {e}");
                None
            }
        }
    }

    /// What the bureau has on file for a subject (by its certificate, when the spec has a
    /// query for its kind) and for `domains`; `None` without a V3.0 interface.
    pub async fn bureau_view(
        self,
        nature: SubjectNature,
        certificate: &Certificate,
        domains: &[String],
    ) -> Option<BureauView> {
        self.miit()?;
        let mut view = BureauView::default();
        let number = certificate.number.trim();
        if let Some(t) = status::by_certificate(nature, certificate.kind)
            && (4..=255).contains(&number.chars().count())
        {
            let index = hex::encode(self.keys().blind_index("cert", &normalize_cert(number)));
            view.subject = self.miit_status(t, number, index).await;
        }
        for d in domains.iter().filter_map(|d| asked_domain(d)) {
            if view.domains.contains_key(&d) || !(4..=255).contains(&d.chars().count()) {
                continue;
            }
            if let Some(s) = self.miit_status(status::BY_DOMAIN, &d, d.clone()).await {
                view.domains.insert(d, s);
            }
        }
        Some(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filed(subject: &str) -> Status {
        Status::Filed { subject_number: subject.into(), website_number: None, website_name: None }
    }

    #[test]
    fn a_domain_is_elsewhere_when_its_subject_number_is_not_ours() {
        let mut v = BureauView::default();
        v.domains.insert("a.cn".into(), filed("浙ICP备1号"));
        v.domains.insert("b.cn".into(), filed("浙ICP备2号"));
        v.domains.insert("c.cn".into(), Status::NotFiled);
        // Unknown subject: every filed domain is someone else's.
        assert_eq!(v.filed_elsewhere(None), vec!["a.cn", "b.cn"]);
        // The provider knows the subject as 1.
        assert_eq!(v.filed_elsewhere(Some("浙ICP备1号")), vec!["b.cn"]);
        assert!(v.filed_under_subject("a.cn", Some("浙ICP备1号")));
        // The bureau's own answer for the subject wins over the provider's.
        v.subject = Some(filed("浙ICP备2号"));
        assert_eq!(v.filed_elsewhere(Some("浙ICP备1号")), vec!["a.cn"]);
        assert!(v.subject_filed());
        assert!(!v.filed_under_subject("c.cn", None));
    }
}
