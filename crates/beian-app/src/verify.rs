//! Authenticity verification (真实性核验) as a port. Providers use a face-verification vendor
//! (the person's face photo compared with the photo the identity authority holds for their
//! name and certificate number); beian's default is manual: the applicant uploads a face photo
//! of each responsible person and the reviewer compares it with the ID card side by side and
//! records the result (`Review::record_verification`).
//!
//! A vendor adapter implements [`IdentityVerifier::check_face`] and is the only place that
//! talks to the vendor. The check runs as a job queued with the upload (`VERIFY_FACE`), never
//! inside a request or a transaction; its verdict is kept on the document and the order can be
//! submitted only when every required face photo has passed. The reviewer still records the
//! identity check before approval, with the vendor's verdict beside the photos.
//!
//! This module must never log or keep what it is given about a person: the vendor gets the
//! name, certificate and photo for one call, and only the verdict is stored.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// Documents by (kind, JSON path of the person or object).
pub type DocumentSet = BTreeSet<(String, String)>;

/// The job kind of an automatic face check; the payload is the document id.
pub const VERIFY_FACE: &str = "verify_face";

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who a face photo should show. Its `Debug` masks everything.
pub struct PersonIdentity {
    pub name: String,
    pub certificate_kind: beian_core::model::CertificateKind,
    pub certificate_number: String,
}

impl fmt::Debug for PersonIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonIdentity")
            .field("certificate_kind", &self.certificate_kind)
            .finish_non_exhaustive()
    }
}

/// What the vendor said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceVerdict {
    pub passed: bool,
    /// Similarity 0–100, when the vendor gives one.
    pub score: Option<i32>,
    /// The vendor's reason code for a failure (`FACE_NOT_FOUND`, `LOW_SIMILARITY`, …): no PII.
    pub reason: Option<String>,
}

/// The vendor could not give a verdict now (network, quota, outage): the job retries.
#[derive(Debug, thiserror::Error)]
#[error("identity verification unavailable: {0}")]
pub struct VerifierUnavailable(pub String);

pub trait IdentityVerifier: Send + Sync + fmt::Debug {
    /// A short name for the audit log and the views.
    fn name(&self) -> &'static str;

    /// Compares `photo` (a re-encoded JPEG or PNG) with `person`, or `None` when this verifier
    /// leaves the comparison to the reviewer.
    fn check_face<'a>(
        &'a self,
        person: &'a PersonIdentity,
        photo: &'a [u8],
    ) -> Option<BoxFuture<'a, Result<FaceVerdict, VerifierUnavailable>>>;

    /// Whether this verifier checks photos itself.
    fn automatic(&self) -> bool;
}

/// The default: face photos uploaded by the applicant, compared by the reviewer.
#[derive(Debug, Default)]
pub struct ManualVerifier;

impl IdentityVerifier for ManualVerifier {
    fn name(&self) -> &'static str {
        "manual"
    }

    fn check_face<'a>(
        &'a self,
        _: &'a PersonIdentity,
        _: &'a [u8],
    ) -> Option<BoxFuture<'a, Result<FaceVerdict, VerifierUnavailable>>> {
        None
    }

    fn automatic(&self) -> bool {
        false
    }
}

/// Where one required face photo stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceState {
    /// Nothing uploaded for this person yet.
    Missing,
    /// Uploaded; with the manual verifier this is as far as the applicant goes.
    Uploaded,
    /// Uploaded and waiting for the vendor's verdict.
    Checking,
    Passed,
    Failed,
}

/// The upload that counts among a person's face photos: the newest, so a failed photo is
/// replaced by taking another.
pub fn newest<'a>(
    uploads: impl IntoIterator<Item = &'a beian_store::DocumentRow>,
) -> Option<&'a beian_store::DocumentRow> {
    uploads.into_iter().max_by_key(|d| (d.created_at, d.id))
}

/// The state of a person's face photo, from the upload that counts ([`newest`]).
pub fn face_state(automatic: bool, newest: Option<&beian_store::DocumentRow>) -> FaceState {
    match newest {
        None => FaceState::Missing,
        Some(_) if !automatic => FaceState::Uploaded,
        Some(d) => match d.face_passed {
            None => FaceState::Checking,
            Some(true) => FaceState::Passed,
            Some(false) => FaceState::Failed,
        },
    }
}

/// Whether the applicant has done their part for every required face photo.
pub fn applicant_done(automatic: bool, required: &DocumentSet, docs: &[beian_store::DocumentRow]) -> bool {
    required.iter().filter(|(kind, _)| kind == "face_photo").all(|(kind, path)| {
        let counts = newest(docs.iter().filter(|d| &d.kind == kind && &d.subject_path == path));
        matches!(face_state(automatic, counts), FaceState::Uploaded | FaceState::Passed)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use beian_store::{DocumentRow, Uuid};

    use super::*;

    /// A face photo of `path` uploaded at `at`, with the vendor's verdict if any.
    pub(crate) fn doc(path: &str, at: i64, passed: Option<bool>) -> DocumentRow {
        DocumentRow {
            id: Uuid::from_u128(at as u128),
            order_id: Uuid::nil(),
            owner_id: Uuid::nil(),
            kind: "face_photo".into(),
            subject_path: path.into(),
            content_type: "image/png".into(),
            size: 1,
            sha256: vec![],
            blob_key: format!("k{at}"),
            created_at: at,
            face_verifier: passed.map(|_| "vendor".into()),
            face_passed: passed,
            face_score: None,
            face_reason: None,
            face_checked_at: passed.map(|_| at + 1),
        }
    }

    #[test]
    fn manual_verification_needs_every_face_photo_uploaded() {
        let req: DocumentSet =
            [("face_photo".into(), "websites[0].head".into()), ("id_front".into(), "subject.head".into())]
                .into();
        assert!(!applicant_done(false, &req, &[]));
        assert!(
            applicant_done(false, &req, &[doc("websites[0].head", 1, None)]),
            "ID cards are checked elsewhere"
        );
        assert!(!applicant_done(false, &req, &[doc("websites[1].head", 1, None)]), "another person's photo");
    }

    #[test]
    fn automatic_verification_needs_the_newest_photo_passed() {
        let req: DocumentSet = [("face_photo".into(), "subject.head".into())].into();
        let checking = [doc("subject.head", 1, None)];
        assert_eq!(face_state(true, newest(&checking)), FaceState::Checking);
        assert!(!applicant_done(true, &req, &checking));
        let failed_then_passed = [doc("subject.head", 1, Some(false)), doc("subject.head", 2, Some(true))];
        assert!(applicant_done(true, &req, &failed_then_passed));
        let passed_then_failed = [doc("subject.head", 1, Some(true)), doc("subject.head", 2, Some(false))];
        assert!(!applicant_done(true, &req, &passed_then_failed), "the newest photo counts");
        assert_eq!(face_state(true, None), FaceState::Missing);
    }

    #[test]
    fn a_person_identity_never_prints_its_values() {
        let p = PersonIdentity {
            name: "张三".into(),
            certificate_kind: beian_core::model::CertificateKind::ResidentId,
            certificate_number: "330106198001011235".into(),
        };
        let shown = format!("{p:?}");
        assert!(!shown.contains("张三") && !shown.contains("330106"), "{shown}");
    }
}
