//! What is on record: the filing the bureau issued for an order (numbers, what it cancelled,
//! the footer for each website), written onto the order's regulator link and the subject, and
//! read back as the services a subject has on file here — the rules' view of what is filed.

use beian_core::model::Order;
use beian_core::number::ServiceKind;
use beian_seam::wire::Decision;
use beian_store::{Tx, Uuid};
use serde::{Deserialize, Serialize};

use crate::areas::Seam;
use crate::i18n::Text;
use crate::{AppError, AppResult};

/// What the bureau issued, as stored on the order: the regulator's decision, and the footer
/// to paste for each website number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filing {
    #[serde(flatten)]
    pub decision: Decision,
    /// Footer HTML by website number (rules.md §4.5: the right number for the province,
    /// linked to MIIT).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub footers: std::collections::BTreeMap<String, String>,
}

impl Seam<'_> {
    /// The filing from an `approved` event, with a footer for each website.
    pub(crate) fn filing_of(self, order: &Order, detail: &serde_json::Value) -> Filing {
        let decision: Decision = serde_json::from_value(detail.clone()).unwrap_or_else(|e| {
            // The numbers are on record at the regulator; refresh brings them once it sends
            // a readable decision.
            tracing::error!("unreadable approval from the regulator: {e}");
            Decision::default()
        });
        let year = self.clock().today().year();
        let footers = decision
            .services
            .iter()
            .filter(|s| s.kind == ServiceKind::Website)
            .filter_map(|s| match beian_core::number::parse(&s.number).map(|p| p.number) {
                Ok(beian_core::number::Number::IcpFiling(n)) => Some((
                    s.number.clone(),
                    beian_core::footer::Footer::new(n, None, &order.subject.name, year).html(),
                )),
                _ => None,
            })
            .collect();
        Filing { decision, footers }
    }

    /// Writes the subject number onto the subject, so later orders are 新增网站 under it —
    /// or takes it off when the bureau cancelled the subject (注销主体).
    pub(crate) async fn record_subject_number(
        self,
        tx: &mut Tx,
        subject_id: Uuid,
        f: &Filing,
    ) -> AppResult<()> {
        let Some(mut row) = tx.subject(subject_id).await? else { return Ok(()) };
        let f = &f.decision;
        let number = match (&f.subject_number, &row.filed_number) {
            (_, Some(on_file)) if f.cancelled.contains(on_file) => None,
            (Some(n), _) => Some(n.clone()),
            (None, _) => return Ok(()),
        };
        if row.filed_number == number {
            return Ok(());
        }
        let mut subject = self.subjects().decrypt_subject(&row)?;
        subject.existing_number = number.clone();
        row.data = self
            .keys()
            .encrypt(&crate::areas::Subjects::subject_aad(subject_id), &serde_json::to_vec(&subject)?)?;
        row.filed_number = number;
        row.updated_at = self.now_us();
        let expected = row.version;
        if !tx.update_subject(&row, expected).await? {
            return Err(AppError::conflict("SUBJECT_CHANGED", Text::new("problem.subject_changed")));
        }
        Ok(())
    }

    /// The subject's services on file with this provider: everything issued for its orders,
    /// less what was cancelled or no longer has access here, with each website's newest scan.
    pub async fn filed_services(self, subject_id: Uuid) -> AppResult<Vec<beian_core::rules::FiledService>> {
        let mut out: Vec<beian_core::rules::FiledService> = Vec::new();
        for text in self.store().subject_filings(subject_id).await? {
            let f = serde_json::from_str::<Filing>(&text)?.decision;
            for s in f.services {
                out.retain(|x| x.number != s.number);
                out.push(beian_core::rules::FiledService {
                    number: s.number,
                    kind: s.kind,
                    domains: s.domains,
                    reachable: None,
                    footer_ok: None,
                });
            }
            let gone = |n: &String| {
                f.cancelled.contains(n) || f.empty_shells.contains(n) || f.access_withdrawn.contains(n)
            };
            out.retain(|x| !gone(&x.number));
        }
        self.compliance().with_scan_results(subject_id, out).await
    }

    /// What the bureau issued for an order, when it has been approved.
    pub async fn order_filing(self, order_id: Uuid) -> AppResult<Option<Filing>> {
        let link = self.store().latest_regulator_link(order_id).await?;
        Ok(link.and_then(|l| l.filing).map(|f| serde_json::from_str(&f)).transpose()?)
    }
}
