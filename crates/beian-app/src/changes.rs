//! Changes started from the filing (变更): the data as filed — the subject and each filed
//! website or app as the bureau last approved it — and a change draft opened on it, whose kind
//! follows from what the applicant edits (`beian_core::model::changes`), as the provider
//! consoles work it out.
//!
//! The data as filed is read from the orders the bureau decided (each decision names the
//! services it issued or changed by their place in the order), oldest first, so a later change
//! replaces an earlier filing and a cancellation removes it. This module must never change
//! what is filed itself: only the bureau's decision on the change does.

use std::collections::BTreeMap;

use beian_core::model::{App as AppService, Order, OrderKind, Subject, Website, changes};
use beian_core::rules::DomainFacts;
use beian_store::Uuid;

use crate::areas::Drafts;
use crate::i18n::Text;
use crate::seam::Filing;
use crate::views::{OrderDoc, OrderView};
use crate::{AppError, AppResult, Ctx, Role};

/// The most filed services one change may name.
const MAX_NUMBERS: usize = 100;

/// One filed service as the bureau last approved it.
#[derive(Debug, Clone)]
pub(crate) enum FiledData {
    Website(Box<Website>),
    App(Box<AppService>),
}

/// A subject's filing as data: what a change starts from.
#[derive(Debug, Clone, Default)]
pub(crate) struct AsFiled {
    pub subject: Option<Subject>,
    /// By number, in number order.
    pub services: BTreeMap<String, FiledData>,
    pub domain_facts: BTreeMap<String, DomainFacts>,
}

/// Sets a change draft's kind to what it changes against `filed` (kept as it is while nothing
/// has changed yet). Orders not started from the filing are left alone.
pub(crate) fn follow_changes(order: &mut Order, filed: Option<&Order>) {
    if let Some(filed) = filed
        && order.kind.is_change()
        && let Some(kind) = changes(filed, order).kind()
    {
        order.kind = kind;
    }
}

/// `websites[2]` → (false, 2); `apps[0]` → (true, 0).
fn service_index(path: &str) -> Option<(bool, usize)> {
    let (list, rest) = path.split_once('[')?;
    let i = rest.strip_suffix(']')?.parse().ok()?;
    match list {
        "websites" => Some((false, i)),
        "apps" => Some((true, i)),
        _ => None,
    }
}

impl Drafts<'_> {
    /// The subject and its services as filed, from the decided orders, oldest first.
    pub(crate) async fn as_filed(self, subject_id: Uuid) -> AppResult<AsFiled> {
        let mut out = AsFiled::default();
        for (order_id, text) in self.store().subject_filed_orders(subject_id).await? {
            let decision = serde_json::from_str::<Filing>(&text)?.decision;
            let Some(row) = self.store().order(order_id).await? else { continue };
            let doc = self.orders().decrypt_order(&row)?;
            if !doc.order.kind.is_cancellation() {
                out.subject = Some(doc.order.subject.clone());
            }
            for s in decision.services {
                let data = match service_index(&s.path) {
                    Some((false, i)) => {
                        doc.order.websites.get(i).cloned().map(|w| FiledData::Website(Box::new(w)))
                    }
                    Some((true, i)) => doc.order.apps.get(i).cloned().map(|a| FiledData::App(Box::new(a))),
                    None => None,
                };
                let Some(data) = data else { continue };
                let domains = match &data {
                    FiledData::Website(w) => &w.domains,
                    FiledData::App(a) => &a.domains,
                };
                for d in domains {
                    if let Some(f) = doc.domain_facts.get(d) {
                        out.domain_facts.insert(d.clone(), f.clone());
                    }
                }
                out.services.insert(s.number, data);
            }
            for n in decision.cancelled.iter().chain(&decision.empty_shells).chain(&decision.access_withdrawn)
            {
                out.services.remove(n);
            }
        }
        Ok(out)
    }

    /// Opens a change draft on the data as filed: the subject, and the filed websites and apps
    /// named by `numbers` (none: a change of the subject alone). The applicant then edits what
    /// changes; the kind follows (`follow_changes` on every save).
    pub async fn start_change(
        self,
        ctx: &Ctx,
        subject_id: Uuid,
        numbers: Vec<String>,
    ) -> AppResult<OrderView> {
        let p = ctx.require(&[Role::Applicant, Role::Admin])?;
        let subject_row = self.subjects().visible_subject(ctx, subject_id).await?;
        if subject_row.owner_id != p.id {
            return Err(AppError::NotFound);
        }
        let filed = self.as_filed(subject_id).await?;
        let (Some(mut subject), Some(number)) = (filed.subject, subject_row.filed_number.clone()) else {
            return Err(AppError::conflict("CHANGE_NOT_FILED", Text::new("problem.change_not_filed")));
        };
        // A change names the subject's number (the filing it changes).
        subject.existing_number.get_or_insert(number);
        let mut order = Order {
            kind: if numbers.is_empty() { OrderKind::ChangeSubject } else { OrderKind::ChangeService },
            province: beian_core::province::ProvinceCode::parse(&subject_row.province).ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("stored subject has an invalid province"))
            })?,
            subject,
            websites: Vec::new(),
            apps: Vec::new(),
            target_numbers: Vec::new(),
            remark: None,
            cancel_reason: None,
        };
        // A subject has a handful of filed services; a list longer than any subject could have
        // is refused before any work (a body of a million short strings must cost nothing).
        if numbers.len() > MAX_NUMBERS {
            return Err(AppError::field(
                "numbers",
                "CHANGE_TOO_MANY",
                Text::new("problem.change_too_many").arg("max", MAX_NUMBERS),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let wanted: Vec<String> =
            numbers.iter().map(|n| n.trim().to_owned()).filter(|n| seen.insert(n.clone())).collect();
        let mut domains: Vec<String> = Vec::new();
        for n in wanted {
            match filed.services.get(&n) {
                Some(FiledData::Website(w)) => {
                    domains.extend(w.domains.iter().cloned());
                    order.websites.push(Website { existing_number: Some(n), ..(**w).clone() });
                }
                Some(FiledData::App(a)) => {
                    domains.extend(a.domains.iter().cloned());
                    order.apps.push(AppService { existing_number: Some(n), ..(**a).clone() });
                }
                None => {
                    return Err(AppError::field(
                        "numbers",
                        "CHANGE_NUMBER_NOT_FILED",
                        Text::new("problem.change_number_not_filed").arg("number", n),
                    ));
                }
            }
        }
        let domain_facts = filed.domain_facts.into_iter().filter(|(d, _)| domains.contains(d)).collect();
        let doc = OrderDoc { order: order.clone(), domain_facts, verification: None, filed: Some(order) };
        self.orders().insert_draft(ctx, &subject_row, doc).await
    }
}
