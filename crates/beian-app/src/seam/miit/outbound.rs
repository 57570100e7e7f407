//! Approved orders out to the bureau: each becomes the record of an upload file, numbered by
//! the next `dataSequence` in the transaction that writes it (so numbers have no gaps: a
//! rollback gives the number back), kept encrypted in the blob store, and uploaded in order by
//! the [`super::UPLOAD`] job.
//!
//! The upload job sends the lowest file the bureau has not accepted. When a previous try's
//! answer was lost, it first asks the bureau what it last received
//! (`isp_querypreviousupload`) and takes everything up to that as accepted; when the bureau
//! answers 14 it uploads the files it lists first. An accepted file moves its orders to the
//! SMS round (MIIT texts the persons its rules name; the interface reports no progress of it).

use beian_core::model::OrderKind;
use beian_core::workflow::sms_recipients;
use beian_miit::codes::msg;
use beian_miit::mapping::outbound::{self, Attachment, Input, OnFile, Provider, Record, RecordIds};
use beian_miit::package::{self, Algorithms};
use beian_miit::schema::{querypreviousupload_return, upload_return};
use beian_miit::soap::Operation;
use beian_miit::xml::{self, Mode};
use beian_seam::wire::Event as RegEvent;
use beian_store::{MiitRecordRow, NewJob, OrderRow, RegulatorLinkRow, new_id};
use serde_json::json;

use super::{MAX_ATTEMPTS, UPLOAD};
use crate::OrderDoc;
use crate::areas::Seam;

/// The largest attachment a record carries (spec: 100 KB), and the widths tried to fit it.
const ATTACHMENT_LIMIT: usize = outbound::MAX_ATTACHMENT;
const WIDTHS: [u32; 5] = [1600, 1200, 900, 700, 500];

/// Whether an order can go through V3.0: not with apps (the spec predates them), not a
/// provider-internal kind, and not 新增接入 — its record requires the subject's filing password
/// (`ICPmm`), which beian does not collect; those stay on the JSON seam.
pub fn fits(kind: OrderKind, has_apps: bool) -> bool {
    !has_apps
        && !kind.is_provider_internal()
        && !matches!(
            kind,
            OrderKind::NewAccess
                | OrderKind::MigrateService
                | OrderKind::TransferFiling
                | OrderKind::ClaimFiling
        )
}

/// The identifier the bureau's verdict will name a record by (`Bs`): the provider's subject id
/// of a first filing, the subject's number of a new site, the website's of a new access, the
/// bureau's subject id otherwise.
fn identifier(record: &Record, ids: &RecordIds, on_file: Option<&OnFile>, doc: &OrderDoc) -> String {
    match record {
        Record::Xzba(_) => ids.subject.map(|s| s.to_string()).unwrap_or_default(),
        Record::Xzwz(_) => doc.order.subject.existing_number.clone().unwrap_or_default(),
        Record::Xzjr(_) => {
            doc.order.websites.first().and_then(|w| w.existing_number.clone()).unwrap_or_default()
        }
        _ => on_file.map(|f| f.subject_id.to_string()).unwrap_or_default(),
    }
}

/// A document as a JPEG within the interface's limit: re-encoded smaller until it fits.
fn fit_jpeg(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let img = image::load_from_memory(bytes)?;
    for width in WIDTHS {
        let scaled = if img.width() > width {
            img.resize(width, u32::MAX, image::imageops::FilterType::Triangle)
        } else {
            img.clone()
        };
        for quality in [85u8, 70, 55, 40] {
            let mut out = Vec::new();
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
            scaled.to_rgb8().write_with_encoder(enc)?;
            if out.len() <= ATTACHMENT_LIMIT {
                return Ok(out);
            }
        }
    }
    anyhow::bail!("the document does not fit 100 KB even at 500 pixels wide")
}

impl Seam<'_> {
    /// The order's documents as the interface's attachments (images only: the bureau's tables
    /// take JPEG; a PDF stays with the provider).
    async fn miit_attachments(self, row: &OrderRow) -> anyhow::Result<Vec<Attachment>> {
        let mut out = Vec::new();
        for d in self.store().documents_of_order(row.id).await? {
            if !d.content_type.starts_with("image/") || d.kind == "face_photo" {
                continue;
            }
            let bytes = self.documents().document_bytes(&d).await?;
            out.push(Attachment {
                path: d.subject_path.clone(),
                document: d.kind.clone(),
                jpeg: fit_jpeg(&bytes)?,
            });
        }
        Ok(out)
    }

    /// Packs an approved order into the next upload file, once per submission id (the order
    /// at its approval); called by the delivery job instead of the JSON seam.
    pub(crate) async fn miit_deliver(
        self,
        row: &OrderRow,
        doc: &OrderDoc,
        submission_id: &str,
    ) -> anyhow::Result<()> {
        let seam = self.miit().ok_or_else(|| anyhow::anyhow!("no V3.0 interface is configured"))?;
        if self.store().regulator_link(submission_id).await?.is_some() {
            return Ok(());
        }
        let Some(tables) = self.miit_tables().await? else {
            // The first download brings them; try again after it.
            self.queue_miit_download().await?;
            anyhow::bail!("the bureau's code tables (JCDM) have not arrived yet");
        };
        let profile =
            self.admin().profile_setting().await?.ok_or_else(|| {
                anyhow::anyhow!("no provider profile: its region says where the servers stand")
            })?;
        let provider = Provider {
            unit_id: seam.credentials.unit_id,
            server_region: profile.region.clone(),
            access_method: profile.access_method.clone(),
        };
        let attachments = self.miit_attachments(row).await?;
        let on_file = self.miit_on_file(row.subject_id).await?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let needed = i64::try_from(outbound::ids_needed(&doc.order))?;
        let mut next = tx.take_miit_numbers("record_id", needed).await?;
        let input = Input {
            order: &doc.order,
            attachments: &attachments,
            on_file: on_file.as_ref(),
            filing_password: None,
            cancel_reason: doc.order.cancel_reason.as_deref(),
        };
        let (record, ids) = outbound::record(&tables, &provider, input, || {
            next += 1;
            next - 1
        })
        .map_err(|e| anyhow::anyhow!("the order cannot be written as a V3.0 record: {e}"))?;
        let operation = record.operation();
        let count = i64::try_from(record.count())?;
        let identifier = identifier(&record, &ids, on_file.as_ref(), doc);
        let file = outbound::upload_file(&seam.credentials.version, seam.credentials.unit_id, vec![record]);
        let seq = self.queue_miit_file(&mut tx, &file, count, now).await?;
        let mut isp_ids: Vec<i64> = ids.subject.into_iter().collect();
        isp_ids.extend(ids.websites.iter().flat_map(|w| w.website.into_iter().chain(w.access)));
        tx.insert_miit_record(
            &MiitRecordRow {
                id: new_id(),
                order_id: row.id,
                submission_id: submission_id.to_owned(),
                upload_seq: seq,
                operation,
                identifier,
                ids: serde_json::to_string(&ids)?,
                verdict: None,
                numbers: None,
                decided_at: None,
                entries: count,
            },
            &isp_ids,
        )
        .await?;
        tx.insert_regulator_link(&RegulatorLinkRow {
            submission_id: submission_id.to_owned(),
            order_id: row.id,
            applied_seq: 0,
            filing: None,
            created_at: now,
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Numbers `file` with the next `dataSequence` in `tx`, keeps it (encrypted) and queues
    /// its upload in the same transaction; returns the number. A rollback gives the number
    /// back and leaves only a blob the next file of that number overwrites.
    pub(crate) async fn queue_miit_file(
        self,
        tx: &mut beian_store::Tx,
        file: &beian_miit::schema::upload::UploadData,
        records: i64,
        now: i64,
    ) -> anyhow::Result<i64> {
        let seam = self.miit().ok_or_else(|| anyhow::anyhow!("no V3.0 interface is configured"))?;
        let xml = xml::to_gbk(file).map_err(|e| anyhow::anyhow!("the file breaks upload.xsd: {e}"))?;
        let seq = tx.take_miit_numbers("sequence", 1).await?;
        let key = upload_key(seq);
        self.blobs().put(&key, self.keys().encrypt(&key, &xml)?).await?;
        tx.insert_miit_upload(seq, &format!("U{seq}"), records, now).await?;
        tx.enqueue(
            &NewJob {
                kind: UPLOAD.into(),
                payload: json!({ "seq": seq }).to_string(),
                run_at: seam.upload_opens(now),
                max_attempts: MAX_ATTEMPTS,
                dedup_key: Some(format!("{UPLOAD}:{seq}")),
            },
            now,
        )
        .await?;
        Ok(seq)
    }

    /// The [`UPLOAD`] job: uploads every file the bureau has not accepted, lowest first.
    pub(crate) async fn miit_upload_pending(self) -> anyhow::Result<()> {
        let seam = self.miit().ok_or_else(|| anyhow::anyhow!("no V3.0 interface is configured"))?;
        let now = self.now_us();
        let opens = seam.upload_opens(now);
        if opens > now {
            // Outside the bureau's hours (a retry's backoff landed there): come back when they
            // open rather than be refused with code 20.
            let mut tx = self.store().begin().await?;
            tx.enqueue(
                &NewJob {
                    kind: UPLOAD.into(),
                    payload: "{}".into(),
                    run_at: opens,
                    max_attempts: MAX_ATTEMPTS,
                    dedup_key: Some(format!("{UPLOAD}:opens:{opens}")),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        // Each pass either accepts a file or reopens missing ones; a bounded number of passes
        // keeps a confused bureau from holding the worker.
        for _ in 0..1000 {
            let Some(up) = self.store().pending_miit_uploads().await?.into_iter().next() else {
                return Ok(());
            };
            if up.attempted_at.is_some() && self.miit_resync(up.seq).await? {
                continue;
            }
            let xml =
                self.keys().decrypt(&upload_key(up.seq), &self.blobs().get(&upload_key(up.seq)).await?)?;
            let algs = if seam.credentials.aes.is_some() { Algorithms::AES } else { Algorithms::PLAIN };
            let sealed = package::pack(&up.file_name, &xml, algs, seam.credentials.aes.as_ref())?;
            let mut args = seam.credentials.args()?;
            args.extend([
                ("beianInfo", sealed.info),
                ("beianInfoHash", sealed.hash),
                ("dataSequence", up.seq.to_string()),
                ("encryptAlgorithm", algs.encryption.code().to_string()),
                ("compressionFormat", algs.compression.code().to_string()),
            ]);
            self.store().mark_miit_upload_attempt(up.seq, self.now_us()).await?;
            let answer = seam.port.call(Operation::Upload, args).await?;
            let r: upload_return::Return = xml::from_bytes(&answer, Mode::Lenient)?;
            let accepted = r.msg_code == msg::OK;
            self.store().mark_miit_upload_answer(up.seq, r.msg_code, accepted, self.now_us()).await?;
            match r.msg_code {
                msg::OK => self.miit_accepted(up.seq).await?,
                msg::SEQUENCE_GAP => {
                    let missing: Vec<i64> = r
                        .data_sequences
                        .iter()
                        .flat_map(|d| d.data_sequence.iter())
                        .filter_map(|s| s.trim().parse().ok())
                        .filter(|s| *s < up.seq)
                        .collect();
                    anyhow::ensure!(
                        !missing.is_empty(),
                        "the bureau answered 14 for file {} naming no earlier file",
                        up.seq
                    );
                    tracing::warn!(
                        seq = up.seq,
                        ?missing,
                        "the bureau misses earlier files; uploading them first"
                    );
                    self.store().reopen_miit_uploads(&missing).await?;
                }
                code => anyhow::bail!(
                    "the bureau did not accept file {} ({code} {})",
                    up.seq,
                    beian_miit::codes::text(code)
                ),
            }
        }
        Ok(())
    }

    /// Asks the bureau which file it last received; true when that settles file `seq` (the
    /// earlier try reached it), so it is not sent again.
    async fn miit_resync(self, seq: i64) -> anyhow::Result<bool> {
        let seam = self.miit().ok_or_else(|| anyhow::anyhow!("no V3.0 interface is configured"))?;
        let answer = seam.port.call(Operation::QueryPreviousUpload, seam.credentials.args()?).await?;
        let r: querypreviousupload_return::Return = xml::from_bytes(&answer, Mode::Lenient)?;
        let last = match (r.msg_code, r.file_infos) {
            (msg::OK, Some(f)) => f.data_sequence,
            _ => 0,
        };
        if last < seq {
            return Ok(false);
        }
        for up in self.store().pending_miit_uploads().await? {
            if up.seq <= last {
                self.store().mark_miit_upload_answer(up.seq, msg::OK, true, self.now_us()).await?;
                self.miit_accepted(up.seq).await?;
            }
        }
        Ok(true)
    }

    /// The bureau took file `seq`: its orders enter the SMS round MIIT starts now; an unfiled
    /// website's report in it is reported, a verification task's answer accepted.
    async fn miit_accepted(self, seq: i64) -> anyhow::Result<()> {
        for r in self.store().miit_records_of_upload(seq).await? {
            self.apply_regulator_events(&r.submission_id, &[self.miit_delivered_event(&r).await?]).await?;
        }
        self.unfiled().unfiled_report_accepted(seq).await?;
        self.verification().verification_answer_accepted(seq).await?;
        self.queue_miit_download().await
    }

    /// The first event of a V3.0 record: delivered, MIIT texting the persons the rules name
    /// (`sms_sent`, sequence 1).
    pub(crate) async fn miit_delivered_event(self, r: &MiitRecordRow) -> anyhow::Result<RegEvent> {
        let row = self
            .store()
            .order(r.order_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("order {} vanished", r.order_id))?;
        let doc = self.orders().decrypt_order(&row)?;
        let recipients = sms_recipients(&doc.order, beian_core::policy::PolicySet::builtin());
        let at = self
            .store()
            .miit_upload(r.upload_seq)
            .await?
            .and_then(|u| u.accepted_at)
            .unwrap_or_else(|| self.now_us());
        Ok(RegEvent {
            seq: 1,
            kind: "sms_sent".into(),
            at,
            detail: json!({ "recipients": recipients, "channel": "miit" }),
        })
    }
}

/// Where an upload file's XML is kept.
pub(crate) fn upload_key(seq: i64) -> String {
    format!("miit/uploads/{seq}")
}

impl Seam<'_> {
    /// Upload file `seq` as it was (or will be) sent: GBK XML.
    pub async fn miit_upload_xml(self, seq: i64) -> anyhow::Result<Vec<u8>> {
        Ok(self.keys().decrypt(&upload_key(seq), &self.blobs().get(&upload_key(seq)).await?)?)
    }
}
