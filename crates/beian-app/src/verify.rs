//! Authenticity verification (真实性核验) as a port. Providers use a face-verification vendor;
//! beian's default is manual: the applicant uploads a face photo of each service-responsible
//! person, and the reviewer compares it with the ID card side by side and records the result
//! (`App::record_verification`). A vendor adapter implements [`IdentityVerifier`] and is the
//! only place that talks to the vendor.

use std::collections::BTreeSet;
use std::fmt;

/// Documents by (kind, JSON path of the person or object).
pub type DocumentSet = BTreeSet<(String, String)>;

pub trait IdentityVerifier: Send + Sync + fmt::Debug {
    /// Whether the applicant has done their part of the verification, so the order may be
    /// submitted. `required` is what the order needs, `uploaded` what it has.
    fn applicant_done(&self, required: &DocumentSet, uploaded: &DocumentSet) -> bool;
    /// A short name for the audit log and the order view.
    fn name(&self) -> &'static str;
}

/// The default: face photos uploaded by the applicant, compared by the reviewer.
#[derive(Debug, Default)]
pub struct ManualVerifier;

impl IdentityVerifier for ManualVerifier {
    fn applicant_done(&self, required: &DocumentSet, uploaded: &DocumentSet) -> bool {
        required.iter().filter(|(kind, _)| kind == "face_photo").all(|r| uploaded.contains(r))
    }

    fn name(&self) -> &'static str {
        "manual"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_verification_needs_every_face_photo() {
        let req: DocumentSet =
            [("face_photo".into(), "websites[0].head".into()), ("id_front".into(), "subject.head".into())]
                .into();
        let mut up = DocumentSet::new();
        assert!(!ManualVerifier.applicant_done(&req, &up));
        up.insert(("face_photo".into(), "websites[0].head".into()));
        assert!(ManualVerifier.applicant_done(&req, &up), "ID cards are the documents check's business");
    }
}
