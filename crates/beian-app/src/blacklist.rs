//! What the bureau's blacklists (`HMDLB`, `FFJRHMD`, handed down over MIIT's interface) make
//! the provider do beyond the pre-check: refuse a listed subject or domain at the start of an
//! order, with the bureau's reason, and flag the orders already under review that a new listing
//! concerns, so that their reviewer sees it in the queue and on the timeline.
//!
//! The lists themselves are kept by `seam::miit::inbound` (`miit_blacklist`: subjects by their
//! certificate's blind index, domains by their registrable domain, under the kinds named here). This module must never
//! keep or show a listed certificate number: a subject's flag names no target.

use beian_core::model::normalize_cert;
use beian_store::{OrderEventRow, OrderFlagRow, Tx, Uuid, new_id};
use serde::Serialize;
use serde_json::json;

use crate::areas::Review;
use crate::error::FieldError;
use crate::i18n::Text;
use crate::{AppError, AppResult};

/// The blacklists the pre-check reads (`miit_blacklist.kind`): subjects by their certificate's
/// blind index, domains and illegally served domains by their registrable domain.
pub const LISTED_SUBJECT: &str = "subject";
pub const LISTED_DOMAIN: &str = "domain";
pub const LISTED_ILLEGAL_ACCESS: &str = "illegal_access";

/// The registrable domain a blacklist entry is kept and looked up by.
pub(crate) fn registrable(domain: &str) -> String {
    beian_core::id::DomainName::parse(domain)
        .map(|d| d.value.registrable().to_owned())
        .unwrap_or_else(|_| domain.to_owned())
}

/// Orders under review looked at per list received (the queue's own scale).
const SCAN_LIMIT: i64 = 20_000;

/// One entry of a list as received: what it names, and whether it joins or leaves the list.
#[derive(Debug, Clone)]
pub(crate) struct ListChange {
    /// `miit_blacklist.kind`.
    pub kind: &'static str,
    /// The certificate's blind index (hex) or the registrable domain.
    pub key: String,
    pub reason: String,
    pub removed: bool,
}

/// A blacklist's mark on an order, as the review queue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OrderFlag {
    /// The pre-check's code: `SUBJECT_BLACKLISTED`, `DOMAIN_BLACKLISTED` or
    /// `DOMAIN_SERVED_UNFILED`.
    pub code: String,
    /// The listed domain; empty for the subject.
    pub target: String,
    /// The bureau's remark, when it gave one.
    pub reason: String,
}

impl From<OrderFlagRow> for OrderFlag {
    fn from(r: OrderFlagRow) -> Self {
        OrderFlag { code: r.code, target: r.target, reason: r.reason }
    }
}

/// The pre-check code of a list kind.
fn code_of(kind: &str) -> &'static str {
    match kind {
        LISTED_SUBJECT => "SUBJECT_BLACKLISTED",
        LISTED_DOMAIN => "DOMAIN_BLACKLISTED",
        _ => "DOMAIN_SERVED_UNFILED",
    }
}

/// " 管局说明：…" / " The bureau says: …", or nothing when the bureau gave no reason.
/// `plain`, or `with_reason` naming the bureau's reason when it gave one.
fn because(plain: &'static str, with_reason: &'static str, reason: &str) -> Text {
    if reason.is_empty() { Text::new(plain) } else { Text::new(with_reason).arg("reason", reason) }
}

impl Review<'_> {
    /// Refuses to start an order for a listed subject or a listed domain (`domains` as
    /// `(field, domain)`), naming the bureau's reason. Illegally served domains are not
    /// refused: the reviewer sees them in the pre-check.
    pub(crate) async fn refuse_blacklisted(
        self,
        cert_index: &[u8],
        domains: &[(String, String)],
    ) -> AppResult<()> {
        let mut errors = Vec::new();
        let subject = self.store().miit_listed_reasons(LISTED_SUBJECT, &[hex::encode(cert_index)]).await?;
        if let Some((_, reason)) = subject.first() {
            errors.push(FieldError::text(
                "subject.certificate.number",
                "SUBJECT_BLACKLISTED",
                because("problem.subject_blacklisted", "problem.subject_blacklisted.because", reason),
            ));
        }
        for (field, domain) in domains {
            let listed = self.store().miit_listed_reasons(LISTED_DOMAIN, &[registrable(domain)]).await?;
            if let Some((_, reason)) = listed.first() {
                let text =
                    because("problem.domain_blacklisted", "problem.domain_blacklisted.because", reason);
                errors.push(FieldError::text(field, "DOMAIN_BLACKLISTED", text.arg("domain", domain)));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
    }

    /// Flags (or, for an entry taken off its list, unflags) every order under review that a
    /// list's entries concern, with a timeline entry for each change, inside the transaction
    /// that records the list. Returns how many flags were added or removed; a list received
    /// twice changes nothing the second time.
    pub(crate) async fn flag_listed_orders(
        self,
        tx: &mut Tx,
        changes: &[ListChange],
        now: i64,
    ) -> AppResult<usize> {
        if changes.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        for row in tx.orders_under_review(SCAN_LIMIT).await? {
            let doc = self.orders().decrypt_order(&row)?;
            let cert = hex::encode(
                self.keys().blind_index("cert", &normalize_cert(&doc.order.subject.certificate.number)),
            );
            let domains: Vec<String> =
                doc.order.websites.iter().flat_map(|w| w.domains.iter()).map(|d| registrable(d)).collect();
            for c in changes {
                let (hit, target) = match c.kind {
                    LISTED_SUBJECT => (c.key == cert, String::new()),
                    LISTED_DOMAIN | LISTED_ILLEGAL_ACCESS => (domains.contains(&c.key), c.key.clone()),
                    _ => (false, String::new()),
                };
                if !hit {
                    continue;
                }
                let code = code_of(c.kind);
                let changed = if c.removed {
                    tx.unflag_order(row.id, code, &target).await?
                } else {
                    tx.flag_order(&OrderFlagRow {
                        order_id: row.id,
                        code: code.into(),
                        target: target.clone(),
                        reason: c.reason.clone(),
                        flagged_at: now,
                    })
                    .await?
                };
                if changed {
                    n += 1;
                    let event = if c.removed { "unflagged" } else { "flagged" };
                    self.flag_step(
                        tx,
                        row.id,
                        &row.state,
                        event,
                        json!({ "code": code, "target": target, "reason": c.reason }),
                        now,
                    )
                    .await?;
                }
            }
        }
        Ok(n)
    }

    async fn flag_step(
        self,
        tx: &mut Tx,
        order: Uuid,
        state: &str,
        event: &str,
        detail: serde_json::Value,
        now: i64,
    ) -> AppResult<()> {
        tx.insert_order_event(&OrderEventRow {
            id: new_id(),
            order_id: order,
            at: now,
            actor_id: None,
            actor_role: "regulator".into(),
            event: event.into(),
            from_state: state.into(),
            to_state: state.into(),
            detail: detail.to_string(),
        })
        .await?;
        Ok(())
    }
}
