//! What an order still needs before it can be submitted, as data: each document the filing
//! needs with what is uploaded for it, and a list of what stands in the way — documents not
//! uploaded, face photos not uploaded or not passed, and the rule findings that block.
//!
//! It is the one answer to "can I submit, and if not, why": `GET /orders/{id}/requirements`
//! returns it, the wizard shows it, and `submit` refuses with its `missing` list. It reads and
//! never writes; it names paths, kinds and rule codes, never personal data.

use std::collections::BTreeSet;

use beian_core::model::{Order, normalize_cert};
use beian_core::policy::Severity;
use beian_core::rules::{Finding, check};
use serde::Serialize;
use uuid::Uuid;

use crate::areas::Orders;
use crate::verify::{FaceState, face_state, newest};
use crate::{AppResult, Ctx};

/// Documents an order needs before it can be submitted (rules.md §2.3, §2.8): the unit's
/// licence; both sides of every responsible person's ID; a face photo of every service head
/// for the manual identity check. Returned as (kind, JSON path) pairs.
pub fn required_documents(order: &Order) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if !order.subject.nature.is_individual() {
        out.insert(("business_licence".to_owned(), "subject".to_owned()));
    }
    let (mut ids, mut faces) = (BTreeSet::new(), BTreeSet::new());
    for (i, (path, person)) in order.persons().into_iter().enumerate() {
        let cert = normalize_cert(&person.certificate.number);
        if ids.insert(cert.clone()) {
            out.insert(("id_front".to_owned(), path.clone()));
            out.insert(("id_back".to_owned(), path.clone()));
        }
        // Service heads (and an individual, who heads everything) pass the face check.
        let needs_face = i > 0 || order.subject.nature.is_individual();
        if needs_face && faces.insert(cert) {
            out.insert(("face_photo".to_owned(), path));
        }
    }
    out
}

/// One document the order needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RequiredDocument {
    /// `business_licence`, `id_front`, `id_back`, `face_photo`.
    pub kind: String,
    /// Whose document it is, as the order's JSON path: `subject`, `subject.head`,
    /// `websites[0].head`.
    pub path: String,
    /// How many are uploaded for it.
    pub uploaded: usize,
    /// For a face photo, where the identity check stands: `missing`, `uploaded`, `checking`,
    /// `passed`, `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<&'static str>,
}

/// One thing that stands between the order and its submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Missing {
    /// A document not uploaded.
    Document { kind: String, path: String },
    /// A person's identity check not done: no face photo, one still being checked, or one
    /// that failed (take another).
    Identity { path: String, state: &'static str },
    /// A rule finding of severity `error`, on its field.
    Finding { code: String, field: String },
}

/// What an order needs, and whether `submit` would take it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Requirements {
    pub ready: bool,
    pub documents: Vec<RequiredDocument>,
    /// Documents first, then identity checks, then findings.
    pub missing: Vec<Missing>,
}

fn state_name(s: FaceState) -> &'static str {
    match s {
        FaceState::Missing => "missing",
        FaceState::Uploaded => "uploaded",
        FaceState::Checking => "checking",
        FaceState::Passed => "passed",
        FaceState::Failed => "failed",
    }
}

/// The requirements of an order from its parts: the documents it needs (`required`), what is
/// uploaded, and the rule engine's findings.
pub(crate) fn requirements(
    required: &BTreeSet<(String, String)>,
    docs: &[beian_store::DocumentRow],
    findings: &[Finding],
    automatic: bool,
) -> Requirements {
    let mut documents = Vec::with_capacity(required.len());
    let (mut missing_docs, mut identities) = (Vec::new(), Vec::new());
    for (kind, path) in required {
        let of_slot = || docs.iter().filter(|d| &d.kind == kind && &d.subject_path == path);
        let uploaded = of_slot().count();
        let identity = (kind == "face_photo").then(|| face_state(automatic, newest(of_slot())));
        if uploaded == 0 {
            missing_docs.push(Missing::Document { kind: kind.clone(), path: path.clone() });
        } else if let Some(state @ (FaceState::Checking | FaceState::Failed)) = identity {
            identities.push(Missing::Identity { path: path.clone(), state: state_name(state) });
        }
        documents.push(RequiredDocument {
            kind: kind.clone(),
            path: path.clone(),
            uploaded,
            identity: identity.map(state_name),
        });
    }
    let blocking = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| Missing::Finding { code: f.code.clone(), field: f.field.clone() });
    let missing: Vec<Missing> = missing_docs.into_iter().chain(identities).chain(blocking).collect();
    Requirements { ready: missing.is_empty(), documents, missing }
}

impl Orders<'_> {
    /// What the order needs before it can be submitted (its owner and staff).
    pub async fn order_requirements(self, ctx: &Ctx, id: Uuid) -> AppResult<Requirements> {
        let row = self.visible_order(ctx, id).await?;
        let doc = self.decrypt_order(&row)?;
        let rule_ctx = self.rule_context(&row, &doc).await?;
        let findings = check(&doc.order, &rule_ctx);
        let docs = self.store().documents_of_order(id).await?;
        Ok(requirements(&required_documents(&doc.order), &docs, &findings, self.verifier().automatic()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(kind: &str, path: &str, at: i64, passed: Option<bool>) -> beian_store::DocumentRow {
        beian_store::DocumentRow { kind: kind.into(), ..crate::verify::tests::doc(path, at, passed) }
    }

    #[test]
    fn lists_what_is_missing_documents_first_and_is_ready_when_nothing_is() {
        let required: BTreeSet<(String, String)> =
            [("id_front", "subject.head"), ("face_photo", "websites[0].head")]
                .into_iter()
                .map(|(k, p)| (k.to_owned(), p.to_owned()))
                .collect();
        let r = requirements(&required, &[], &[], true);
        assert!(!r.ready);
        assert_eq!(
            r.missing,
            [
                Missing::Document { kind: "face_photo".into(), path: "websites[0].head".into() },
                Missing::Document { kind: "id_front".into(), path: "subject.head".into() },
            ]
        );
        let failed =
            [doc("id_front", "subject.head", 1, None), doc("face_photo", "websites[0].head", 2, Some(false))];
        let r = requirements(&required, &failed, &[], true);
        assert_eq!(r.missing, [Missing::Identity { path: "websites[0].head".into(), state: "failed" }]);
        assert_eq!(r.documents[0].identity, Some("failed"));
        let passed =
            [failed[0].clone(), failed[1].clone(), doc("face_photo", "websites[0].head", 3, Some(true))];
        let r = requirements(&required, &passed, &[], true);
        assert!(r.ready, "{r:?}");
        assert_eq!(r.documents[0].uploaded, 2);
        // Without a vendor, an uploaded photo is as far as the applicant goes.
        assert!(
            requirements(
                &required,
                &failed[..1]
                    .iter()
                    .cloned()
                    .chain([doc("face_photo", "websites[0].head", 2, None)])
                    .collect::<Vec<_>>(),
                &[],
                false
            )
            .ready
        );
    }
}
