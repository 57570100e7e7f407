//! `isp_upload`: a provider's data file, taken in.
//!
//! The file is checked in the order the spec's codes suggest — algorithms (9–11), size (18),
//! decryption (6), hash (7), archive (8, one file: 17) — then numbered: its `dataSequence`
//! must be the provider's next (a gap answers 14 with the missing numbers; 1 is the first). A
//! file sent again under a number already taken is accepted without being processed twice
//! when it is the same file, refused (999) when it is another. An accepted file is kept, read
//! strictly against `upload.xsd`, and each of its records becomes a submission of the process
//! the JSON seam feeds (or, refused on intake, a result at once). A file that breaks the XSD,
//! names another version, another requesting unit or more than 1,000 records is still
//! received — its number is used — and its failure (5001, 5004, 5003) comes back as a result
//! naming the file, as the download XSD's `Dmms` says. Everything of one upload commits in one
//! transaction: a crash loses the upload whole, and the provider's retry takes it again.
//!
//! Decisions where the spec is silent are in ARCHITECTURE.md ("MIIT interface").

use beian_core::model::{Order, Subject, Website};
use beian_core::province::ProvinceCode;
use beian_miit::codes::{msg, result};
use beian_miit::mapping::MappingError;
use beian_miit::mapping::inbound;
use beian_miit::mapping::outbound::RecordIds;
use beian_miit::mapping::results::Verdict;
use beian_miit::package::{self, Algorithms, MAX_FILE_BYTES};
use beian_miit::schema::upload::{UploadData, UploadDataChoice, icp};
use beian_miit::soap::Call;
use beian_miit::xml::{self, Mode};
use beian_store::{Tx, Uuid, on};

use super::accounts::Account;
use super::ids::{self, Kind};
use super::{MiitError, results};
use crate::service::Service;
use crate::submissions::{self, Intake, SubmissionKind};

/// The most files one provider may upload in a day (15 beyond).
pub const MAX_FILES_PER_DAY: i64 = 10_000;

/// The most records one file may carry (spec: 1,000).
pub const MAX_RECORDS: usize = 1_000;

/// The answer to an upload: its `msg_code`, a detail for `msg`, and the missing sequence
/// numbers of a gap (code 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadAnswer {
    pub code: i64,
    pub detail: Option<String>,
    pub missing: Vec<i64>,
}

impl UploadAnswer {
    fn code(code: i64) -> UploadAnswer {
        UploadAnswer { code, detail: None, missing: Vec::new() }
    }
    fn detail(code: i64, detail: impl Into<String>) -> UploadAnswer {
        UploadAnswer { code, detail: Some(detail.into()), missing: Vec::new() }
    }
}

fn upload_aad(isp_id: i64, seq: i64) -> String {
    format!("reg_miit_uploads/{isp_id}/{seq}")
}

impl Service {
    /// Takes in one uploaded file for `account` (already authenticated).
    pub async fn miit_upload(&self, account: &Account, call: &Call) -> Result<UploadAnswer, MiitError> {
        let Ok(seq) = call.number("dataSequence") else {
            return Ok(UploadAnswer::detail(msg::OTHER, "：dataSequence不是整数"));
        };
        let algs = match (
            call.number("hashAlgorithm"),
            call.number("compressionFormat"),
            call.number("encryptAlgorithm"),
        ) {
            (Ok(h), Ok(c), Ok(e)) => Algorithms::from_codes(h, c, e),
            _ => return Ok(UploadAnswer::code(msg::BAD_HASH_ALGORITHM)),
        };
        let algs = match algs {
            Ok(a) => a,
            Err(e) => return Ok(UploadAnswer::code(e.msg_code())),
        };
        let (Ok(info), Ok(hash)) = (call.arg("beianInfo"), call.arg("beianInfoHash")) else {
            return Ok(UploadAnswer::code(msg::HASH_MISMATCH));
        };
        if info.len() > MAX_FILE_BYTES / 3 * 4 + 1024 {
            return Ok(UploadAnswer::code(msg::FILE_TOO_LARGE));
        }
        let archive = match package::open(info, hash, algs, account.aes.as_ref()) {
            Ok(a) => a,
            Err(e) => return Ok(UploadAnswer::code(e.msg_code())),
        };
        let (name, xml) = match package::unzip(&archive, MAX_FILE_BYTES) {
            Ok(f) => f,
            Err(e) => return Ok(UploadAnswer::code(e.msg_code())),
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(answer) = self.sequence_check(&mut tx, account.isp_id, seq, hash.trim(), now).await? {
            return Ok(answer);
        }
        let blob = self.keys.encrypt(&upload_aad(account.isp_id, seq), &xml).map_err(MiitError::crypto)?;
        on!(tx &mut tx, |c| sqlx::query("INSERT INTO reg_miit_uploads (isp_id, seq, file_name, hash, xml, received_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(account.isp_id)
            .bind(seq)
            .bind(&name)
            .bind(hash.trim())
            .bind(&blob)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        self.take_file(&mut tx, account, seq, &name, &xml, now).await?;
        tx.commit().await?;
        Ok(UploadAnswer::code(msg::OK))
    }

    /// The sequence rule: `None` when `seq` is the next number; otherwise the answer.
    async fn sequence_check(
        &self,
        tx: &mut Tx,
        isp_id: i64,
        seq: i64,
        hash: &str,
        now: i64,
    ) -> Result<Option<UploadAnswer>, MiitError> {
        if seq < 1 {
            return Ok(Some(UploadAnswer::detail(msg::OTHER, "：dataSequence从1开始")));
        }
        let last: i64 = on!(tx tx, |c| sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM reg_miit_uploads WHERE isp_id = $1")
            .bind(isp_id)
            .fetch_one(c)
            .await?);
        if seq <= last {
            let earlier: String = on!(tx tx, |c| sqlx::query_scalar("SELECT hash FROM reg_miit_uploads WHERE isp_id = $1 AND seq = $2")
                .bind(isp_id)
                .bind(seq)
                .fetch_one(c)
                .await?);
            return Ok(Some(if earlier == hash {
                // The same file again (an answer lost on the way): received once, taken once.
                UploadAnswer::code(msg::OK)
            } else {
                UploadAnswer::detail(
                    msg::OTHER,
                    format!("：dataSequence {seq} 已被另一文件使用，下一个应为 {}", last + 1),
                )
            }));
        }
        if seq > last + 1 {
            let missing: Vec<i64> = (last + 1..seq).take(1000).collect();
            return Ok(Some(UploadAnswer { code: msg::SEQUENCE_GAP, detail: None, missing }));
        }
        let day_ago = now - 24 * 3600 * 1_000_000;
        let today: i64 = on!(tx tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM reg_miit_uploads WHERE isp_id = $1 AND received_at > $2")
            .bind(isp_id)
            .bind(day_ago)
            .fetch_one(c)
            .await?);
        if today >= MAX_FILES_PER_DAY {
            return Ok(Some(UploadAnswer::code(msg::TOO_MANY_WAITING)));
        }
        Ok(None)
    }

    /// Reads a received file and takes its records (or answers the whole file's failure).
    async fn take_file(
        &self,
        tx: &mut Tx,
        account: &Account,
        seq: i64,
        name: &str,
        xml: &[u8],
        now: i64,
    ) -> Result<(), MiitError> {
        let file_verdict = |code: i64, detail: String| Verdict {
            operation: 1,
            identifier: Some(name.to_owned()),
            record: None,
            codes: vec![(code, detail)],
            opinion: None,
        };
        let doc: UploadData = match xml::from_bytes(xml, Mode::Strict) {
            Ok(d) => d,
            Err(e) => {
                tracing::info!(isp = account.isp_id, seq, "an upload breaks upload.xsd: {e}");
                return results::queue_verdicts(
                    tx,
                    &self.keys,
                    account.isp_id,
                    &[file_verdict(result::FILE_INVALID, name.to_owned())],
                    now,
                )
                .await;
            }
        };
        if doc.version.trim() != super::VERSION {
            let v = file_verdict(result::VERSION, format!("接口版本错误，当前接口版本为{}", super::VERSION));
            return results::queue_verdicts(tx, &self.keys, account.isp_id, &[v], now).await;
        }
        let icp = match doc.choice {
            UploadDataChoice::Icp(i) => i,
            UploadDataChoice::Ip(ip) => return self.miit_ip_filing(tx, account, &ip, now).await,
            // Domain records are filed by registrars with the ministry, never at a bureau.
            UploadDataChoice::Ym(_) => {
                let v = Verdict {
                    operation: 1,
                    identifier: Some(name.to_owned()),
                    record: None,
                    codes: vec![(5009, String::new())],
                    opinion: None,
                };
                return results::queue_verdicts(tx, &self.keys, account.isp_id, &[v], now).await;
            }
        };
        if icp.qqdwid != account.isp_id {
            return results::queue_verdicts(
                tx,
                &self.keys,
                account.isp_id,
                &[file_verdict(result::REQUESTER_MISMATCH, name.to_owned())],
                now,
            )
            .await;
        }
        let count = icp.xzba.as_ref().map_or(0, |x| x.baxx.len())
            + icp.xzwz.as_ref().map_or(0, |x| x.xzxx.len())
            + icp.xzjr.as_ref().map_or(0, |x| x.xzxx.len())
            + icp.bgba.as_ref().map_or(0, |x| x.bgxx.len())
            + icp.zxba.as_ref().map_or(0, |x| x.zx_xx.len());
        if count > MAX_RECORDS {
            return results::queue_verdicts(
                tx,
                &self.keys,
                account.isp_id,
                &[file_verdict(result::FILE_INVALID, name.to_owned())],
                now,
            )
            .await;
        }
        let mut refused = Vec::new();
        let mut n = 0usize;
        let mut next = |operation: i64| {
            n += 1;
            RecordRef { isp_id: account.isp_id, seq, index: n, operation }
        };
        for b in icp.xzba.iter().flat_map(|x| &x.baxx) {
            let r = next(1);
            let outcome =
                inbound::xzba(super::tables(), b).map_err(Refusal::from).and_then(|(order, ids)| {
                    in_province(account, &order)?;
                    Ok((order, ids))
                });
            let bs = b.zt_xx.isp_ztid.to_string();
            self.record(tx, account, r, outcome, bs, Some(b.zt_xx.isp_ztid), now, &mut refused).await?;
        }
        for x in icp.xzwz.iter().flat_map(|x| &x.xzxx) {
            let r = next(2);
            let (bs, outcome) = match self.filed_subject(tx, &x.zt_xx).await? {
                Ok((number, subject, province)) => (
                    number.clone(),
                    inbound::xzwz(
                        super::tables(),
                        x,
                        Subject { existing_number: Some(number), ..subject },
                        province,
                    )
                    .map_err(Refusal::from)
                    .and_then(|(o, ids)| in_province(account, &o).map(|_| (o, ids))),
                ),
                Err(refusal) => (zt_name(&x.zt_xx), Err(refusal)),
            };
            let jlid = x.wz_xx.first().map(|w| w.isp_wzid);
            self.record(tx, account, r, outcome, bs, jlid, now, &mut refused).await?;
        }
        for x in icp.xzjr.iter().flat_map(|x| &x.xzxx) {
            let r = next(3);
            let (bs, outcome) = match self.filed_website(tx, &x.wz_xx).await? {
                Ok((number, website, subject, province)) => (
                    number.clone(),
                    inbound::xzjr(
                        super::tables(),
                        x,
                        subject,
                        province,
                        Website { existing_number: Some(number), ..website },
                    )
                    .map_err(Refusal::from)
                    .and_then(|(o, ids)| in_province(account, &o).map(|_| (o, ids))),
                ),
                Err(refusal) => (wz_name(&x.wz_xx), Err(refusal)),
            };
            self.record(tx, account, r, outcome, bs, Some(x.isp_jrid), now, &mut refused).await?;
        }
        for b in icp.bgba.iter().flat_map(|x| &x.bgxx) {
            let r = next(4);
            let outcome = match self.subject_by_id(tx, b.zt_xx.ztid).await? {
                Ok((number, subject, _)) if number == b.zt_xx.baxh.trim() => {
                    inbound::bgba(super::tables(), b, &subject).map_err(Refusal::from).and_then(|(o, ids)| {
                        in_province(account, &o)?;
                        Ok((o, ids))
                    })
                }
                Ok(_) => Err(Refusal::code(result::NOT_ON_RECORD)),
                Err(refusal) => Err(refusal),
            };
            self.record(
                tx,
                account,
                r,
                outcome,
                b.zt_xx.ztid.to_string(),
                Some(b.zt_xx.ztid),
                now,
                &mut refused,
            )
            .await?;
        }
        for z in icp.zxba.iter().flat_map(|x| &x.zx_xx) {
            let operation = match z.zxlb {
                0 => 6,
                1 => 7,
                _ => 5,
            };
            let r = next(operation);
            let (bs, outcome) = self.cancellation(tx, account, z).await?;
            self.record(tx, account, r, outcome, bs, Some(z.jlid), now, &mut refused).await?;
        }
        self.miit_unfiled_reports(tx, account, name, &icp, now, &mut refused).await?;
        self.miit_verification_answers(tx, account, name, &icp, now, &mut refused).await?;
        if icp.xzhyd.is_some() {
            // Separate verification materials are not simulated: the spec's "function not open".
            refused.push(Verdict {
                operation: 1,
                identifier: Some("XZHYD".into()),
                record: None,
                codes: vec![(5011, String::new())],
                opinion: None,
            });
        }
        if !refused.is_empty() {
            results::queue_verdicts(tx, &self.keys, account.isp_id, &refused, now).await?;
        }
        Ok(())
    }

    /// Takes one record: a submission whose process starts now, or a refusal for the result.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        tx: &mut Tx,
        account: &Account,
        r: RecordRef,
        outcome: Result<(Order, RecordIds), Refusal>,
        bs: String,
        jlid: Option<i64>,
        now: i64,
        refused: &mut Vec<Verdict>,
    ) -> Result<(), MiitError> {
        let outcome = match outcome {
            Ok((order, ids)) => match self.miit_listed(tx, &order).await? {
                Some(refusal) => Err(refusal),
                None => match self.miit_ip_unfiled(tx, account.isp_id, &order).await? {
                    Some(refusal) => Err(refusal),
                    None => Ok((order, ids)),
                },
            },
            Err(refusal) => Err(refusal),
        };
        let (order, ids) = match outcome {
            Ok(v) => v,
            Err(refusal) => {
                refused.push(Verdict {
                    operation: r.operation,
                    identifier: Some(bs),
                    record: jlid,
                    codes: vec![(result::REFUSED, String::new()), (refusal.code, refusal.detail)],
                    opinion: None,
                });
                return Ok(());
            }
        };
        let sid = format!("miit-{}-{}-{}", r.isp_id, r.seq, r.index);
        let body = serde_json::to_vec(&serde_json::json!({ "submission_id": sid, "order": order }))?;
        let intake = submissions::receive(
            tx,
            &self.keys,
            account.provider_id,
            &sid,
            SubmissionKind::Icp,
            order.province,
            &body,
            now,
        )
        .await?;
        let Intake::Created(id) = intake else { return Ok(()) };
        on!(tx tx, |c| sqlx::query("UPDATE reg_submissions SET channel = $1 WHERE id = $2")
            .bind(super::CHANNEL)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        on!(tx tx, |c| sqlx::query("INSERT INTO reg_miit_records (submission_id, isp_id, seq, operation, bs, jlid, ids) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(r.isp_id)
            .bind(r.seq)
            .bind(r.operation)
            .bind(&bs)
            .bind(jlid)
            .bind(serde_json::to_string(&ids)?)
            .execute(c)
            .await?
            .rows_affected());
        crate::intake::start_icp(tx, &self.keys, id, &order, &self.verify_url(), now).await?;
        Ok(())
    }

    /// The subject a new-site record names (by number or the bureau's id).
    async fn filed_subject(
        &self,
        tx: &mut Tx,
        z: &icp::xzwz::xzxx::ZtXx,
    ) -> Result<Result<(String, Subject, ProvinceCode), Refusal>, MiitError> {
        match z {
            icp::xzwz::xzxx::ZtXx::Ztbah(number) => self.subject_by_number(tx, number.trim()).await,
            icp::xzwz::xzxx::ZtXx::Ztid(id) => self.subject_by_id(tx, *id).await,
        }
    }

    async fn subject_by_id(
        &self,
        tx: &mut Tx,
        id: i64,
    ) -> Result<Result<(String, Subject, ProvinceCode), Refusal>, MiitError> {
        match ids::reference_of(tx, Kind::Subject, id).await? {
            Some(number) => self.subject_by_number(tx, &number).await,
            None => Ok(Err(Refusal::code(result::SUBJECT_NOT_FOUND))),
        }
    }

    async fn subject_by_number(
        &self,
        tx: &mut Tx,
        number: &str,
    ) -> Result<Result<(String, Subject, ProvinceCode), Refusal>, MiitError> {
        let row: Option<(Uuid, String, String, Option<Vec<u8>>)> = on!(tx tx, |c| sqlx::query_as(
            "SELECT id, status, province, data FROM reg_subjects WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(c)
        .await?);
        let Some((id, status, province, data)) = row else {
            return Ok(Err(Refusal::code(result::SUBJECT_NOT_FOUND)));
        };
        if status != "filed" {
            return Ok(Err(Refusal::code(result::SUBJECT_CANCELLED)));
        }
        // A subject filed before the registry kept its data cannot be continued over V3.0.
        let Some(data) = data else { return Ok(Err(Refusal::code(result::SUBJECT_NOT_FOUND))) };
        let plain = self.keys.decrypt(&crate::records::subject_aad(id), &data).map_err(MiitError::crypto)?;
        let subject: Subject = serde_json::from_slice(&plain)?;
        let province = ProvinceCode::parse(&province)
            .ok_or_else(|| MiitError::Internal(format!("reg_subjects {id}: province")))?;
        Ok(Ok((number.to_owned(), subject, province)))
    }

    /// The website a new-access record names, with its subject.
    async fn filed_website(
        &self,
        tx: &mut Tx,
        w: &icp::xzjr::xzxx::WzXx,
    ) -> Result<Result<(String, Website, Subject, ProvinceCode), Refusal>, MiitError> {
        let number = match w {
            icp::xzjr::xzxx::WzXx::Wzbah(n) => n.trim().to_owned(),
            icp::xzjr::xzxx::WzXx::Wzid(id) => match ids::reference_of(tx, Kind::Website, *id).await? {
                Some(n) => n,
                None => return Ok(Err(Refusal::code(result::SITE_NOT_FOUND))),
            },
        };
        self.website_by_number(tx, &number).await
    }

    async fn website_by_number(
        &self,
        tx: &mut Tx,
        number: &str,
    ) -> Result<Result<(String, Website, Subject, ProvinceCode), Refusal>, MiitError> {
        let row: Option<(Uuid, String, Option<Vec<u8>>, String)> = on!(tx tx, |c| sqlx::query_as(
            "SELECT s.id, s.status, s.data, j.number FROM reg_services s JOIN reg_subjects j ON j.id = s.subject_id WHERE s.number = $1",
        )
        .bind(number)
        .fetch_optional(c)
        .await?);
        let Some((id, status, data, subject_number)) = row else {
            return Ok(Err(Refusal::code(result::SITE_NOT_FOUND)));
        };
        if status == "cancelled" {
            return Ok(Err(Refusal::code(result::SITE_CANCELLED)));
        }
        let Some(data) = data else { return Ok(Err(Refusal::code(result::SITE_NOT_FOUND))) };
        let plain = self.keys.decrypt(&crate::records::service_aad(id), &data).map_err(MiitError::crypto)?;
        let Ok(website) = serde_json::from_slice::<Website>(&plain) else {
            // An app: V3.0 carries websites only.
            return Ok(Err(Refusal::code(result::SITE_NOT_FOUND)));
        };
        Ok(match self.subject_by_number(tx, &subject_number).await? {
            Ok((_, subject, province)) => Ok((
                number.to_owned(),
                website,
                Subject { existing_number: Some(subject_number), ..subject },
                province,
            )),
            Err(r) => Err(r),
        })
    }

    /// A cancellation record: what it cancels, by the bureau's id.
    async fn cancellation(
        &self,
        tx: &mut Tx,
        account: &Account,
        z: &icp::zxba::ZxXx,
    ) -> Result<(String, Result<(Order, RecordIds), Refusal>), MiitError> {
        let (subject_number, numbers) = match z.zxlb {
            0 => match ids::reference_of(tx, Kind::Subject, z.jlid).await? {
                Some(n) => (n, Vec::new()),
                None => return Ok((z.jlid.to_string(), Err(Refusal::code(result::SUBJECT_NOT_FOUND)))),
            },
            1 | 2 => {
                let (kind, missing) = if z.zxlb == 1 {
                    (Kind::Website, result::SITE_NOT_FOUND)
                } else {
                    (Kind::Access, result::NOT_OUR_ACCESS)
                };
                let Some(reference) = ids::reference_of(tx, kind, z.jlid).await? else {
                    return Ok((z.jlid.to_string(), Err(Refusal::code(missing))));
                };
                // An access id names `number/isp_id`: only the provider's own may be withdrawn.
                let number = match reference.split_once('/') {
                    Some((n, isp)) if isp == account.isp_id.to_string() => n.to_owned(),
                    Some(_) => return Ok((z.jlid.to_string(), Err(Refusal::code(result::NOT_OUR_ACCESS)))),
                    None => reference,
                };
                match self.website_by_number(tx, &number).await? {
                    Ok((n, _, subject, _)) => (subject.existing_number.unwrap_or_default(), vec![n]),
                    Err(r) => return Ok((z.jlid.to_string(), Err(r))),
                }
            }
            _ => return Ok((z.jlid.to_string(), Err(Refusal::code(result::ICP_OTHER)))),
        };
        let ztid = ids::id_of(tx, Kind::Subject, &subject_number).await?;
        let outcome = match self.subject_by_number(tx, &subject_number).await? {
            Ok((number, subject, province)) => inbound::zxba(
                super::tables(),
                z.zxlb,
                z.zxly,
                Subject { existing_number: Some(number), ..subject },
                province,
                numbers,
                z.zxlybz.as_deref(),
            )
            .map(|o| (o, RecordIds::default()))
            .map_err(Refusal::from),
            Err(r) => Err(r),
        };
        Ok((ztid.to_string(), outcome))
    }
}

/// Where a record sits in its file, and its operation (`Czlx`).
#[derive(Debug, Clone, Copy)]
struct RecordRef {
    isp_id: i64,
    seq: i64,
    index: usize,
    operation: i64,
}

/// A record refused on intake: its result code and what to say.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: i64,
    pub detail: String,
}

impl Refusal {
    pub(super) fn code(code: i64) -> Refusal {
        Refusal { code, detail: String::new() }
    }
}

impl From<MappingError> for Refusal {
    fn from(e: MappingError) -> Self {
        Refusal { code: e.result_code(), detail: e.to_string() }
    }
}

/// A provider files at its own province's bureau only (1045).
fn in_province(account: &Account, order: &Order) -> Result<(), Refusal> {
    if order.province == account.province { Ok(()) } else { Err(Refusal::code(result::OTHER_PROVINCE)) }
}

fn zt_name(z: &icp::xzwz::xzxx::ZtXx) -> String {
    match z {
        icp::xzwz::xzxx::ZtXx::Ztbah(n) => n.clone(),
        icp::xzwz::xzxx::ZtXx::Ztid(id) => id.to_string(),
    }
}

fn wz_name(w: &icp::xzjr::xzxx::WzXx) -> String {
    match w {
        icp::xzjr::xzxx::WzXx::Wzbah(n) => n.clone(),
        icp::xzjr::xzxx::WzXx::Wzid(id) => id.to_string(),
    }
}

/// The last file a provider uploaded (for `isp_querypreviousupload`): sequence, name, XML.
impl crate::RegulatorStore {
    pub async fn previous_upload(
        &self,
        keys: &beian_crypto::Keys,
        isp_id: i64,
    ) -> Result<Option<(i64, String, Vec<u8>)>, MiitError> {
        let row: Option<(i64, String, Vec<u8>)> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT seq, file_name, xml FROM reg_miit_uploads WHERE isp_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(isp_id)
        .fetch_optional(c)
        .await?);
        let Some((seq, name, blob)) = row else { return Ok(None) };
        let xml = keys.decrypt(&upload_aad(isp_id, seq), &blob).map_err(MiitError::crypto)?;
        Ok(Some((seq, name, xml)))
    }
}
