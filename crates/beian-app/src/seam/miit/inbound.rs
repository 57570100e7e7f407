//! The bureau's files in: the [`super::DOWNLOAD`] job calls `isp_download` until nothing waits,
//! keeps each file (encrypted, in the blob store), applies it, and only then acknowledges it.
//! A file applied before — the provider crashed between applying and acknowledging, or the
//! acknowledgement was lost — is recognised by its name and hash and only acknowledged again.
//!
//! What a file brings:
//! - `JCDM`: the base code tables, kept for the records that follow;
//! - `BAJG`: verdicts on records, matched to them by the bureau's related id (`Jlid`, the
//!   provider's own id) or by operation and identifier, oldest first; a file-level failure
//!   (5001–5999) names the upload file and settles all its records;
//! - `BASJ`: the filing as approved, with the bureau's ids (kept per subject for later changes
//!   and cancellations) and the numbers; an approval waits for its numbers if they come later;
//! - blacklists (`HMDLB`, `FFJRHMD`): kept for the pre-check (`miit_blacklist`: subjects by
//!   their certificate's blind index, domains by their registrable domain) and in the work list;
//! - unfiled websites (`WBAWZLB`): a case each in the compliance work list (`crate::unfiled`);
//! - IP verdicts (`IP` `BAJG`): the provider's address blocks filed, refused or withdrawn
//!   (`crate::ip_filing`);
//! - verification tasks (`HSRW`) and inspection results (`HCJG`): a reviewer work item each
//!   (`crate::verification`);
//! - blacklists, unfiled-website lists and notices (`XGTZ`) are also kept as the provider's
//!   work list as received.
//!
//! An outcome reaches the order as the events `sms_sent` (1) and `approved`/`rejected` (2)
//! under its submission id, through `Seam::apply_regulator_events`, which applies each once.

use crate::areas::Seam;
use crate::blacklist::{LISTED_DOMAIN, LISTED_ILLEGAL_ACCESS, LISTED_SUBJECT, ListChange, registrable};
use std::collections::BTreeMap;

use beian_core::model::{OrderKind, normalize_cert};
use beian_core::number::ServiceKind;
use beian_miit::codes::msg;
use beian_miit::jcdm::CodeTables;
use beian_miit::mapping::filed;
use beian_miit::mapping::lists::{self, Listed};
use beian_miit::mapping::outbound::{OnFile, RecordIds};
use beian_miit::mapping::results::{self, Verdict};
use beian_miit::mapping::unfiled;
use beian_miit::package::Algorithms;
use beian_miit::schema::download::{self, DownloadData, DownloadDataChoice};
use beian_miit::schema::{download_return, downloadack_return};
use beian_miit::soap::Operation;
use beian_miit::xml::{self, Mode};
use beian_seam::wire::{Decision, Event as RegEvent, IssuedService};
use beian_store::{MiitDownloadRow, MiitRecordRow, MiitWorkRow, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::RecordNumbers;

/// Where the code tables are kept (`miit_state`).
pub const TABLES_KEY: &str = "jcdm";

/// The most files one run takes (the rest wait for the next run).
const FILES_PER_RUN: usize = 500;

/// A verdict as kept on its record: the last one's, with every entry's so far in `parts` (a
/// record of several entries — ZXBA for several sites — is decided entry by entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptVerdict {
    pub approved: bool,
    /// Result codes with their text.
    pub codes: Vec<(i64, String)>,
    pub opinion: Option<String>,
    pub at: i64,
    /// Whether the order has been told (an approval waits for its numbers).
    #[serde(default)]
    pub applied: bool,
    /// Each entry's verdict as it came (empty in verdicts kept before entries were counted:
    /// the fields above are then the one verdict).
    #[serde(default)]
    pub parts: Vec<PartVerdict>,
}

/// One entry's verdict: the bureau's id it names (`Jlid`), and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartVerdict {
    pub about: Option<i64>,
    pub approved: bool,
    pub codes: Vec<(i64, String)>,
    pub opinion: Option<String>,
}

impl KeptVerdict {
    /// The entries' verdicts: `parts`, or the one verdict kept before they were counted.
    fn entries(&self) -> Vec<PartVerdict> {
        if self.parts.is_empty() {
            let one = PartVerdict {
                about: None,
                approved: self.approved,
                codes: self.codes.clone(),
                opinion: self.opinion.clone(),
            };
            return vec![one];
        }
        self.parts.clone()
    }
}

impl Seam<'_> {
    /// The [`super::DOWNLOAD`] job: downloads, keeps, applies and acknowledges every waiting
    /// file. Returns how many it took.
    pub async fn miit_sync(self) -> anyhow::Result<usize> {
        let seam = self.miit().ok_or_else(|| anyhow::anyhow!("no V3.0 interface is configured"))?;
        let mut n = 0;
        while n < FILES_PER_RUN {
            let answer = seam.port.call(Operation::Download, seam.credentials.args()?).await?;
            let r: download_return::Return = xml::from_bytes(&answer, Mode::Lenient)?;
            let Some(f) = r
                .file_infos
                .filter(|_| matches!(r.msg_code, msg::OK | msg::DOWNLOADED_ALL | msg::MORE_TO_DOWNLOAD))
            else {
                anyhow::ensure!(
                    r.msg_code == msg::NOTHING_TO_DOWNLOAD || r.msg_code == msg::DOWNLOADED_ALL,
                    "the bureau refused the download ({} {})",
                    r.msg_code,
                    beian_miit::codes::text(r.msg_code)
                );
                break;
            };
            let name = f.return_file_name.trim().to_owned();
            let hash = f.beian_info_hash.trim().to_owned();
            let algs = Algorithms::from_codes(f.hash_algorithm, f.compression_format, f.encrypt_algorithm)?;
            let (_, bytes) =
                beian_miit::package::unpack(&f.beian_info, &hash, algs, seam.credentials.aes.as_ref())?;
            let seen = self.store().miit_download(&name, &hash).await?;
            if seen.as_ref().is_none_or(|d| d.applied_at.is_none()) {
                let key = download_key(&name, &hash);
                if seen.is_none() {
                    self.blobs().put(&key, self.keys().encrypt(&key, &bytes)?).await?;
                }
                let doc: DownloadData = xml::from_bytes(&bytes, Mode::Lenient)?;
                self.miit_apply(&name, &hash, &key, &doc).await?;
            }
            let mut args = seam.credentials.args()?;
            args.push(("fileName", name.clone()));
            let ack: downloadack_return::Return =
                xml::from_bytes(&seam.port.call(Operation::DownloadAck, args).await?, Mode::Lenient)?;
            anyhow::ensure!(
                ack.msg_code == msg::OK,
                "the bureau refused the acknowledgement of {name} ({})",
                ack.msg_code
            );
            self.store().mark_miit_download_acked(&name, &hash, self.now_us()).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Applies one downloaded file, once.
    async fn miit_apply(self, name: &str, hash: &str, key: &str, doc: &DownloadData) -> anyhow::Result<()> {
        let now = self.now_us();
        let kind = match &doc.choice {
            DownloadDataChoice::Icp(_) => "ICP",
            DownloadDataChoice::Ip(_) => "IP",
            DownloadDataChoice::Ym(_) => "YM",
            DownloadDataChoice::Jcdm(_) => "JCDM",
            DownloadDataChoice::Sjtb(_) => "SJTB",
        };
        // Orders are told first: telling them twice changes nothing (each event applies once),
        // while a file marked applied and then not applied would be lost.
        let mut work = Vec::new();
        if let DownloadDataChoice::Icp(icp) = &doc.choice {
            self.miit_apply_icp(name, icp, now).await?;
            work = worklist(icp);
        }
        if let DownloadDataChoice::Ip(ip) = &doc.choice
            && let Some(b) = &ip.bajg
        {
            self.ip_filing().apply_ip_results(&beian_miit::mapping::ip::results(b)).await?;
        }
        let mut tx = self.store().begin().await?;
        tx.insert_miit_download(&MiitDownloadRow {
            file_name: name.to_owned(),
            hash: hash.to_owned(),
            kind: kind.into(),
            blob_key: key.to_owned(),
            received_at: now,
            applied_at: None,
            acked_at: None,
        })
        .await?;
        if !tx.mark_miit_download_applied(name, hash, now).await? {
            return Ok(());
        }
        match &doc.choice {
            DownloadDataChoice::Jcdm(j) => {
                let mut tables = self.miit_tables().await?.unwrap_or_default();
                merge(&mut tables, CodeTables::from_download(j));
                tx.set_miit_state(TABLES_KEY, &serde_json::to_string(&tables)?, now).await?;
            }
            DownloadDataChoice::Icp(icp) => {
                let mut changes = Vec::new();
                for entry in lists::entries(icp) {
                    let (kind, key) = match &entry.listed {
                        Listed::Subject { certificate } => (
                            LISTED_SUBJECT,
                            hex::encode(self.keys().blind_index("cert", &normalize_cert(certificate))),
                        ),
                        Listed::Domain(d) => (LISTED_DOMAIN, registrable(d)),
                        Listed::IllegalAccess(d) => (LISTED_ILLEGAL_ACCESS, registrable(d)),
                    };
                    let reason = entry.note.clone().unwrap_or_default();
                    if entry.removed {
                        tx.unset_miit_listed(kind, &key).await?;
                    } else {
                        tx.set_miit_listed(kind, &key, name, &reason, now).await?;
                    }
                    changes.push(ListChange { kind, key, reason, removed: entry.removed });
                }
                self.review().flag_listed_orders(&mut tx, &changes, now).await?;
                if let Some(w) = &icp.wbawzlb {
                    self.unfiled().open_bureau_cases(&mut tx, name, &unfiled::found(w), now).await?;
                }
                if let Some(h) = &icp.hsrw {
                    self.verification().open_verification_tasks(&mut tx, name, &h.baxx, now).await?;
                }
                if let Some(h) = &icp.hcjg {
                    self.verification().open_inspection(&mut tx, name, &h.jgxx, now).await?;
                }
                for (kind, data) in work {
                    let id = new_id();
                    let data = self.keys().encrypt(&format!("miit_worklist/{id}"), data.as_bytes())?;
                    tx.insert_miit_work(&MiitWorkRow {
                        id,
                        kind: kind.into(),
                        file_name: name.to_owned(),
                        data,
                        received_at: now,
                        done_at: None,
                    })
                    .await?;
                }
            }
            // IP verdicts were applied above; IP inspections, domain results and full
            // synchronisations are not used yet: kept as received (the file is in the blob store).
            _ => tracing::info!(file = name, kind, "a V3.0 download this provider does not act on yet"),
        }
        tx.audit(
            &crate::service_audit("regulator", "miit.download", "miit_file", name, json!({ "kind": kind })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ICP part of a file: `BASJ` data first (ids and numbers), then `BAJG` verdicts.
    async fn miit_apply_icp(self, name: &str, icp: &download::Icp, now: i64) -> anyhow::Result<()> {
        let unit = self.miit().map_or(0, |s| s.credentials.unit_id);
        let mut touched = Vec::new();
        for baxx in icp.basj.iter().flat_map(|b| &b.baxx) {
            let learned = filed::learn(baxx, unit);
            let mut tx = self.store().begin().await?;
            let keys = learned.isp_subject.into_iter().chain(learned.numbers_by_isp_website.keys().copied());
            let mut record = None;
            for k in keys {
                if let Some(r) = tx.miit_record_of_isp_id(k).await? {
                    record = Some(r);
                    break;
                }
            }
            let Some(record) = record else {
                tracing::warn!(file = name, "BASJ data for no record of this provider");
                continue;
            };
            let order = self
                .store()
                .order(record.order_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("order {} vanished", record.order_id))?;
            // What the bureau has on file for the subject: its ids, merged with earlier ones.
            let mut on_file = self.miit_on_file(order.subject_id).await?.unwrap_or_default();
            merge_on_file(&mut on_file, learned.on_file.clone());
            tx.set_miit_on_file(order.subject_id, on_file.subject_id, &serde_json::to_string(&on_file)?, now)
                .await?;
            // The numbers, by the order's paths.
            let ids: RecordIds = serde_json::from_str(&record.ids)?;
            let mut numbers = RecordNumbers {
                subject: Some(learned.on_file.subject_number.clone()),
                websites: BTreeMap::new(),
            };
            for site in &ids.websites {
                if let Some(n) = site.website.and_then(|w| learned.numbers_by_isp_website.get(&w)) {
                    numbers.websites.insert(site.path.clone(), n.clone());
                }
            }
            tx.set_miit_numbers(record.id, &serde_json::to_string(&numbers)?).await?;
            tx.commit().await?;
            touched.push(record.id);
        }
        for v in icp.bajg.iter().flat_map(results::verdicts) {
            // A file-level refusal of an unfiled website's report (5005, 5006) or of a
            // verification task's answer names its file.
            if v.about_file() {
                let file = v.identifier.as_deref().unwrap_or_default();
                if self.unfiled().unfiled_report_refused(file, &v.codes).await?
                    || self.verification().verification_answer_refused(file, &v.codes).await?
                    || self.ip_filing().ip_filing_refused(file, &v.codes).await?
                {
                    continue;
                }
            }
            for record in self.miit_records_of_verdict(&v).await? {
                let part = PartVerdict {
                    about: v.record,
                    approved: v.approved(),
                    codes: v.codes.clone(),
                    opinion: v.opinion.as_ref().and_then(|o| o.text.clone()),
                };
                let prior: Option<KeptVerdict> =
                    record.verdict.as_deref().map(serde_json::from_str).transpose()?;
                let mut parts = prior.map(|p| p.parts).unwrap_or_default();
                parts.push(part.clone());
                // A verdict about the whole file decides every entry at once.
                let decided = v.about_file() || i64::try_from(parts.len())? >= record.entries;
                let kept = KeptVerdict {
                    approved: part.approved,
                    codes: part.codes,
                    opinion: part.opinion,
                    at: now,
                    applied: false,
                    parts,
                };
                let mut tx = self.store().begin().await?;
                let json = serde_json::to_string(&kept)?;
                if tx
                    .set_miit_verdict(record.id, record.verdict.as_deref(), &json, decided.then_some(now))
                    .await?
                {
                    tx.commit().await?;
                    touched.push(record.id);
                }
            }
        }
        // Tell the orders whose verdict is complete (an approval also needs its numbers).
        for id in touched {
            let Some(record) = self.store().miit_record(id).await? else { continue };
            self.miit_tell(&record).await?;
        }
        Ok(())
    }

    /// The records a verdict is about: by its related id (the provider's own), else by its
    /// operation and identifier (the oldest open one), else — a file-level verdict — every
    /// record of the file it names.
    async fn miit_records_of_verdict(self, v: &Verdict) -> anyhow::Result<Vec<MiitRecordRow>> {
        let mut tx = self.store().begin().await?;
        if v.about_file() {
            let name = v.identifier.clone().unwrap_or_default();
            return Ok(tx
                .miit_records_of_file(&name)
                .await?
                .into_iter()
                .filter(|r| r.decided_at.is_none())
                .collect());
        }
        if let Some(jlid) = v.record
            && let Some(r) = tx.miit_record_of_isp_id(jlid).await?
            && r.decided_at.is_none()
            && r.operation == v.operation
        {
            return Ok(vec![r]);
        }
        let identifier = v.identifier.clone().unwrap_or_default();
        Ok(tx.open_miit_records(v.operation, &identifier).await?.into_iter().take(1).collect())
    }

    /// Tells the order a record's outcome, when it is complete.
    async fn miit_tell(self, record: &MiitRecordRow) -> anyhow::Result<()> {
        // A record of several entries is told once the last entry's verdict is in.
        let Some(kept) = record.verdict.as_deref().map(serde_json::from_str::<KeptVerdict>).transpose()?
        else {
            return Ok(());
        };
        if record.decided_at.is_none() {
            return Ok(());
        }
        let entries = kept.entries();
        let row = self
            .store()
            .order(record.order_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("order {} vanished", record.order_id))?;
        let mut doc = self.orders().decrypt_order(&row)?;
        let outcome = if entries.iter().any(|p| p.approved) {
            let numbers: RecordNumbers =
                record.numbers.as_deref().map(serde_json::from_str).transpose()?.unwrap_or_default();
            // What the bureau refused of a cancellation of several sites stays on file.
            let refused = self.refused_targets(&doc.order, row.subject_id, &entries).await?;
            doc.order.target_numbers.retain(|n| !refused.iter().any(|(r, _)| r == n));
            let Some(mut decision) = self.miit_decision(&doc.order, &numbers, row.subject_id).await? else {
                // Approved, its numbers still to come in a BASJ file.
                return Ok(());
            };
            decision.refused = refused.into_iter().map(|(n, why)| format!("{n}: {why}")).collect();
            RegEvent { seq: 2, kind: "approved".into(), at: kept.at, detail: serde_json::to_value(decision)? }
        } else {
            let reasons: Vec<serde_json::Value> =
                entries.iter().flat_map(reasons_of).map(|r| json!({ "field": "", "reason": r })).collect();
            RegEvent { seq: 2, kind: "rejected".into(), at: kept.at, detail: json!({ "reasons": reasons }) }
        };
        let delivered = self.miit_delivered_event(record).await?;
        self.apply_regulator_events(&record.submission_id, &[delivered, outcome]).await?;
        Ok(())
    }

    /// The targets of a cancellation whose entries the bureau refused, each with why: an
    /// entry names the bureau's id of the website (注销网站) or of this provider's access to it
    /// (取消接入), found among the subject's on file.
    async fn refused_targets(
        self,
        order: &beian_core::model::Order,
        subject_id: beian_store::Uuid,
        entries: &[PartVerdict],
    ) -> anyhow::Result<Vec<(String, String)>> {
        let refused: Vec<&PartVerdict> = entries.iter().filter(|p| !p.approved).collect();
        if refused.is_empty() || order.target_numbers.is_empty() {
            return Ok(Vec::new());
        }
        let on_file = self.miit_on_file(subject_id).await?.unwrap_or_default();
        let mut out = Vec::new();
        for number in &order.target_numbers {
            let Some(site) = on_file.websites.get(number) else { continue };
            let id = if order.kind == OrderKind::CancelAccess { site.access_id } else { Some(site.id) };
            if let Some(p) = refused.iter().find(|p| p.about.is_some() && p.about == id) {
                out.push((number.clone(), reasons_of(p).join("；")));
            }
        }
        Ok(out)
    }

    /// What an approval issued or changed, in the JSON seam's terms; `None` when numbers it
    /// needs have not arrived.
    async fn miit_decision(
        self,
        order: &beian_core::model::Order,
        numbers: &RecordNumbers,
        subject_id: beian_store::Uuid,
    ) -> anyhow::Result<Option<Decision>> {
        let mut d = Decision {
            subject_number: numbers.subject.clone().or_else(|| order.subject.existing_number.clone()),
            ..Decision::default()
        };
        match order.kind {
            OrderKind::CancelService => d.cancelled = order.target_numbers.clone(),
            OrderKind::CancelSubject => {
                let on_file = self.miit_on_file(subject_id).await?.unwrap_or_default();
                d.cancelled.extend(d.subject_number.clone());
                d.cancelled.extend(on_file.websites.keys().cloned());
            }
            OrderKind::CancelAccess => d.access_withdrawn = order.target_numbers.clone(),
            _ => {
                for (i, w) in order.websites.iter().enumerate() {
                    let path = format!("websites[{i}]");
                    let Some(number) =
                        numbers.websites.get(&path).cloned().or_else(|| w.existing_number.clone())
                    else {
                        return Ok(None);
                    };
                    d.services.push(IssuedService {
                        path,
                        name: w.name.clone(),
                        number,
                        kind: ServiceKind::Website,
                        domains: w.domains.clone(),
                    });
                }
                if d.subject_number.is_none() {
                    return Ok(None);
                }
            }
        }
        Ok(Some(d))
    }
}

/// Why the bureau refused an entry: its codes with their text (the generic 5999 only when it
/// stands alone), and its opinion.
fn reasons_of(p: &PartVerdict) -> Vec<String> {
    let mut out: Vec<String> = p
        .codes
        .iter()
        .filter(|(c, _)| *c != beian_miit::codes::result::REFUSED || p.codes.len() == 1)
        .map(|(c, text)| format!("{text}（{c}）"))
        .collect();
    out.extend(p.opinion.clone());
    out
}

/// The provider's work in a file: each entry of its lists, as its XML.
fn worklist(icp: &download::Icp) -> Vec<(&'static str, String)> {
    fn each<T: xml::Element>(kind: &'static str, items: &[T], out: &mut Vec<(&'static str, String)>) {
        for item in items {
            if let Ok(text) = xml::element_to_string(item) {
                out.push((kind, text));
            }
        }
    }
    let mut out = Vec::new();
    if let Some(h) = &icp.hmdlb {
        each("HMDLB", &h.zthmdxxs, &mut out);
        each("HMDLB", &h.wzhmdxxs, &mut out);
    }
    if let Some(f) = &icp.ffjrhmd {
        each("FFJRHMD", &f.ffjrxx, &mut out);
    }
    if let Some(w) = &icp.wbawzlb {
        each("WBAWZLB", &w.wbawz_xx, &mut out);
    }
    if let Some(x) = &icp.xgtz {
        each("XGTZ", &x.tzxx, &mut out);
    }
    out
}

/// Tables handed down replace the same tables kept; tables not in the file stay.
fn merge(kept: &mut CodeTables, new: CodeTables) {
    macro_rules! take {
        ($($f:ident),*) => {$( if !new.$f.is_empty() { kept.$f = new.$f; } )*};
    }
    take!(
        natures,
        certificate_types,
        regions,
        service_contents,
        languages,
        content_types,
        access_methods,
        cancel_reasons,
        attachment_formats,
        attachment_uses,
        unfiled_actions,
        verification_opinions,
        units,
        bureaus
    );
}

fn merge_on_file(kept: &mut OnFile, new: OnFile) {
    kept.subject_id = new.subject_id;
    if !new.subject_number.is_empty() {
        kept.subject_number = new.subject_number;
    }
    kept.websites.extend(new.websites);
}

/// Where a downloaded file's XML is kept.
pub(crate) fn download_key(name: &str, hash: &str) -> String {
    use sha2::Digest as _;
    let h = hex::encode(&sha2::Sha256::digest(hash.as_bytes())[..8]);
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).take(128).collect();
    format!("miit/downloads/{safe}-{h}")
}
