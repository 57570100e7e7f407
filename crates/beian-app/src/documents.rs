//! Documents: ID card sides, licences, letters, face photos.
//!
//! The type is decided by the bytes, never by the file name or the declared type (a file that
//! claims to be one thing and is another is refused). Images are decoded within size and
//! pixel limits and re-encoded, which drops EXIF (GPS positions, device ids) and anything
//! hidden after the image data. Every document is encrypted before it reaches the blob store,
//! and served only through an authorized call that writes an audit event per view.

use std::io::Cursor;

use beian_store::{DocumentRow, Uuid, new_id};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::areas::Documents;
use crate::i18n::Text;
use crate::views::rfc3339;
use crate::{AppError, AppResult, Ctx, FieldError};

/// Document kinds an order may carry (rules.md §2.8).
pub const DOCUMENT_KINDS: &[&str] = &[
    "business_licence",
    "id_front",
    "id_back",
    "face_photo",
    "authorization_letter",
    "commitment_letter",
    "pre_approval",
    "domain_certificate",
    "residence_permit",
    "other",
];

/// At most this many documents per order.
const MAX_DOCUMENTS_PER_ORDER: usize = 100;

/// What the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Jpeg,
    Png,
    Pdf,
}

impl Sniffed {
    pub fn of(bytes: &[u8]) -> Option<Sniffed> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Sniffed::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Sniffed::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Sniffed::Pdf)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Png => "image/png",
            Sniffed::Pdf => "application/pdf",
        }
    }
}

/// A document as listed (no bytes).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub kind: String,
    pub subject_path: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: String,
    /// The identity-verification vendor's verdict on a face photo, once it has checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_check: Option<FaceCheckView>,
}

/// What the identity-verification vendor said about a face photo.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FaceCheckView {
    pub verifier: String,
    pub passed: bool,
    /// Similarity 0–100, when the vendor gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i32>,
    /// The vendor's reason code for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub checked_at: String,
}

impl From<&DocumentRow> for DocumentView {
    fn from(d: &DocumentRow) -> Self {
        DocumentView {
            id: d.id,
            order_id: d.order_id,
            kind: d.kind.clone(),
            subject_path: d.subject_path.clone(),
            content_type: d.content_type.clone(),
            size: d.size,
            sha256: hex::encode(&d.sha256),
            created_at: rfc3339(d.created_at),
            face_check: match (&d.face_verifier, d.face_passed, d.face_checked_at) {
                (Some(verifier), Some(passed), Some(at)) => Some(FaceCheckView {
                    verifier: verifier.clone(),
                    passed,
                    score: d.face_score,
                    reason: d.face_reason.clone(),
                    checked_at: rfc3339(at),
                }),
                _ => None,
            },
        }
    }
}

/// An upload as received.
#[derive(Debug)]
pub struct Upload {
    pub kind: String,
    pub subject_path: String,
    /// The type the client declared, if any; must agree with the bytes.
    pub declared_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Memory one image's decoding may take: the decoded pixels as the header describes them, and
/// for a JPEG the RGB copy that is encoded again. A 40-megapixel photo (240 MB with its copy)
/// fits; a 6300×6300 16-bit RGBA PNG (317 MB) does not. Checked from the header, before
/// anything is decoded.
const DECODE_BUDGET: u64 = 256 * 1024 * 1024;

/// Images decoded at once in this process, each within [`DECODE_BUDGET`]: what uploads can
/// make the server hold is bounded whatever the number of applicants.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Scans a JPEG may have: a camera's progressive JPEG has about ten; a decompression bomb
/// repeats scans to burn CPU.
const MAX_JPEG_SCANS: usize = 64;

/// The scans (SOS markers) of a JPEG. Inside entropy-coded data a 0xFF is always followed by
/// 0x00 or a restart marker, so every 0xFF 0xDA is a scan.
fn jpeg_scans(bytes: &[u8]) -> usize {
    bytes.windows(2).filter(|w| w == &[0xFF, 0xDA]).count()
}

/// Decodes an image within limits and encodes it again without metadata.
fn reencode(bytes: &[u8], kind: Sniffed, max_pixels: u64) -> AppResult<Vec<u8>> {
    let too_big = || AppError::field("file", "IMAGE_TOO_LARGE", Text::new("problem.image_too_large"));
    let unreadable = || AppError::field("file", "IMAGE_UNREADABLE", Text::new("problem.image_unreadable"));
    if kind == Sniffed::Jpeg && jpeg_scans(bytes) > MAX_JPEG_SCANS {
        return Err(AppError::field("file", "IMAGE_TOO_COMPLEX", Text::new("problem.image_too_complex")));
    }
    let format = if kind == Sniffed::Jpeg { image::ImageFormat::Jpeg } else { image::ImageFormat::Png };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(DECODE_BUDGET);
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| unreadable())?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    let pixels = u64::from(w) * u64::from(h);
    let decoded = image::ImageDecoder::total_bytes(&decoder);
    // A JPEG is encoded again from an RGB copy; a PNG from the decoded image itself.
    let copy = if kind == Sniffed::Jpeg { pixels * 3 } else { 0 };
    if pixels > max_pixels || decoded.saturating_add(copy) > DECODE_BUDGET {
        return Err(too_big());
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_BUDGET);
    image::ImageDecoder::set_limits(&mut decoder, limits).map_err(|_| too_big())?;
    let img = image::DynamicImage::from_decoder(decoder).map_err(|_| unreadable())?;
    let mut out = Vec::with_capacity(bytes.len());
    match kind {
        Sniffed::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
                .encode_image(&rgb)
                .map_err(|e| AppError::Internal(e.into()))?;
        }
        _ => img
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| AppError::Internal(e.into()))?,
    }
    Ok(out)
}

impl Documents<'_> {
    fn document_aad(id: Uuid) -> String {
        format!("documents/{id}")
    }

    /// Stores a document for an editable order of the caller.
    pub async fn upload_document(self, ctx: &Ctx, order_id: Uuid, up: Upload) -> AppResult<DocumentView> {
        let row = self.orders().visible_order(ctx, order_id).await?;
        let p = ctx.principal()?;
        if row.owner_id != p.id {
            return Err(AppError::Forbidden);
        }
        if !matches!(row.state.as_str(), "draft" | "returned") {
            return Err(AppError::conflict("ORDER_NOT_EDITABLE", Text::new("problem.order_not_editable")));
        }
        // Decoding images is the most expensive thing an applicant can make the server do.
        self.auth().rate_limit(&format!("upload:{}", p.id), 120, 60).await?;
        if up.bytes.len() > self.config().max_upload_bytes {
            return Err(AppError::PayloadTooLarge { limit: self.config().max_upload_bytes });
        }
        // And a budget of bytes an hour, charged before the work: 120 uploads a minute of the
        // largest size would otherwise be over a gigabyte a minute to decode and re-encode.
        let budget = self.config().upload_bytes_per_hour;
        self.auth()
            .rate_budget(&format!("upload-bytes:{}", p.id), up.bytes.len() as i64, budget, 3600)
            .await?;
        let mut errors = Vec::new();
        if !DOCUMENT_KINDS.contains(&up.kind.as_str()) {
            errors.push(FieldError::text(
                "kind",
                "DOCUMENT_KIND_INVALID",
                Text::new("problem.document_kind_invalid"),
            ));
        }
        let doc = self.orders().decrypt_order(&row)?;
        let mut paths: Vec<String> = doc.order.persons().into_iter().map(|(p, _)| p).collect();
        paths.push("subject".into());
        paths.extend((0..doc.order.websites.len()).map(|i| format!("websites[{i}]")));
        paths.extend((0..doc.order.apps.len()).map(|i| format!("apps[{i}]")));
        if !paths.contains(&up.subject_path) {
            errors.push(FieldError::text(
                "subject_path",
                "DOCUMENT_SUBJECT_INVALID",
                Text::new("problem.document_subject_invalid"),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let sniffed = Sniffed::of(&up.bytes).ok_or(AppError::UnsupportedMediaType)?;
        if let Some(declared) =
            up.declared_type.as_deref().map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        {
            let generic = declared.is_empty() || declared == "application/octet-stream";
            if !generic && declared != sniffed.content_type() {
                return Err(AppError::field(
                    "file",
                    "DOCUMENT_TYPE_MISMATCH",
                    Text::new("problem.document_type_mismatch"),
                ));
            }
        }
        let existing = self.store().documents_of_order(order_id).await?;
        if existing.len() >= MAX_DOCUMENTS_PER_ORDER {
            return Err(AppError::conflict("TOO_MANY_DOCUMENTS", Text::new("problem.too_many_documents")));
        }
        let cleaned = match sniffed {
            Sniffed::Pdf => {
                let bytes = up.bytes;
                let (bytes, active) = tokio::task::spawn_blocking(move || {
                    let active = crate::pdf::active_content(&bytes);
                    (bytes, active)
                })
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
                match active {
                    None => bytes,
                    Some(crate::pdf::Active::Feature(_)) => {
                        return Err(AppError::field(
                            "file",
                            "DOCUMENT_PDF_ACTIVE",
                            Text::new("problem.document_pdf_active"),
                        ));
                    }
                    Some(crate::pdf::Active::TooComplex) => {
                        return Err(AppError::field(
                            "file",
                            "DOCUMENT_PDF_TOO_COMPLEX",
                            Text::new("problem.document_pdf_too_complex"),
                        ));
                    }
                }
            }
            img => {
                let max = self.config().max_image_pixels;
                let bytes = up.bytes;
                // Decodes wait their turn: at most two hold their memory at once.
                let _turn = DECODES.acquire().await.map_err(|e| AppError::Internal(e.into()))?;
                tokio::task::spawn_blocking(move || reencode(&bytes, img, max))
                    .await
                    .map_err(|e| AppError::Internal(e.into()))??
            }
        };
        let id = new_id();
        let key = format!("documents/{}/{}", order_id.simple(), id.simple());
        let sealed = self.keys().encrypt(&Self::document_aad(id), &cleaned)?;
        // The blob is written before the row: a crash in between leaves an orphan blob, never
        // a row pointing at nothing.
        self.blobs().put(&key, sealed).await?;
        let now = self.now_us();
        let d = DocumentRow {
            id,
            order_id,
            owner_id: p.id,
            kind: up.kind,
            subject_path: up.subject_path,
            content_type: sniffed.content_type().into(),
            size: cleaned.len() as i64,
            sha256: Sha256::digest(&cleaned).to_vec(),
            blob_key: key,
            created_at: now,
            face_verifier: None,
            face_passed: None,
            face_score: None,
            face_reason: None,
            face_checked_at: None,
        };
        let mut tx = self.store().begin().await?;
        tx.insert_document(&d).await?;
        if d.kind == "face_photo" && self.verifier().automatic() {
            tx.enqueue(
                &beian_store::NewJob {
                    kind: crate::verify::VERIFY_FACE.into(),
                    payload: id.to_string(),
                    run_at: now,
                    max_attempts: 8,
                    dedup_key: Some(format!("{}:{id}", crate::verify::VERIFY_FACE)),
                },
                now,
            )
            .await?;
        }
        tx.audit(
            &ctx.audit("document.upload", "document", id, json!({ "order": order_id, "kind": d.kind })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(DocumentView::from(&d))
    }

    /// The documents of an order the caller may see.
    pub async fn list_documents(self, ctx: &Ctx, order_id: Uuid) -> AppResult<Vec<DocumentView>> {
        self.orders().visible_order(ctx, order_id).await?;
        Ok(self.store().documents_of_order(order_id).await?.iter().map(DocumentView::from).collect())
    }

    /// Runs the vendor's check of a face photo (the `VERIFY_FACE` job) and keeps its verdict on
    /// the document. Idempotent: a checked document, a document gone, or a person no longer on
    /// the order ends the job without a call.
    pub(crate) async fn run_face_check(self, payload: &str) -> anyhow::Result<()> {
        let id: Uuid = payload.trim().parse()?;
        let Some(d) = self.store().document(id).await? else { return Ok(()) };
        if d.face_checked_at.is_some() {
            return Ok(());
        }
        let Some(row) = self.store().order(d.order_id).await? else { return Ok(()) };
        let doc = self.orders().decrypt_order(&row)?;
        let persons = doc.order.persons();
        let Some((_, person)) = persons.iter().find(|(path, _)| *path == d.subject_path) else {
            return Ok(());
        };
        let identity = crate::verify::PersonIdentity {
            name: person.name.clone(),
            certificate_kind: person.certificate.kind,
            certificate_number: person.certificate.number.clone(),
        };
        let photo = self.document_bytes(&d).await?;
        let verifier = self.verifier();
        let Some(call) = verifier.check_face(&identity, &photo) else { return Ok(()) };
        let verdict = call.await?;
        let now = self.now_us();
        let record = beian_store::FaceCheckRecord {
            verifier: verifier.name().to_owned(),
            passed: verdict.passed,
            score: verdict.score.map(|s| s.clamp(0, 100)),
            reason: verdict.reason.map(|r| r.chars().take(64).collect()),
            checked_at: now,
        };
        let mut tx = self.store().begin().await?;
        if tx.record_face_check(id, &record).await? {
            let detail = json!({ "order": d.order_id, "verifier": record.verifier, "passed": record.passed });
            tx.audit(&crate::service_audit("system", "document.face_check", "document", id, detail), now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A document's bytes, decrypted, for the service's own use (a face check, an attachment
    /// to the bureau): no caller, no audit event.
    pub(crate) async fn document_bytes(self, d: &beian_store::DocumentRow) -> anyhow::Result<Vec<u8>> {
        Ok(self.keys().decrypt(&Self::document_aad(d.id), &self.blobs().get(&d.blob_key).await?)?)
    }

    /// A document's bytes; every call is an audit event.
    pub async fn view_document(self, ctx: &Ctx, id: Uuid) -> AppResult<(DocumentView, Vec<u8>)> {
        let d = self.store().document(id).await?.ok_or(AppError::NotFound)?;
        self.orders().visible_order(ctx, d.order_id).await?;
        let sealed = self.blobs().get(&d.blob_key).await?;
        let bytes = self.keys().decrypt(&Self::document_aad(id), &sealed)?;
        self.store()
            .audit(&ctx.audit("document.view", "document", id, json!({ "order": d.order_id })), self.now_us())
            .await?;
        Ok((DocumentView::from(&d), bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn sniffing_ignores_names_and_declared_types() {
        assert_eq!(Sniffed::of(&png(2, 2)), Some(Sniffed::Png));
        assert_eq!(Sniffed::of(b"%PDF-1.7\n"), Some(Sniffed::Pdf));
        assert_eq!(Sniffed::of(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Sniffed::Jpeg));
        assert_eq!(Sniffed::of(b"<html><script>"), None);
        assert_eq!(Sniffed::of(b"MZ\x90\x00"), None);
    }

    #[test]
    fn reencoding_drops_trailing_data_and_enforces_pixel_limits() {
        let mut with_payload = png(4, 4);
        with_payload.extend_from_slice(b"<?php system($_GET['x']); ?>");
        let out = reencode(&with_payload, Sniffed::Png, 1_000).unwrap();
        assert!(!out.windows(5).any(|w| w == b"<?php"));
        assert!(matches!(reencode(&png(50, 50), Sniffed::Png, 100), Err(AppError::Validation(_))));
        assert!(matches!(
            reencode(b"\x89PNG\r\n\x1a\nbroken", Sniffed::Png, 100),
            Err(AppError::Validation(_))
        ));
    }
}
