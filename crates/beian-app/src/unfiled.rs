//! Unfiled websites on the provider's addresses, and the block list an edge enforces.
//!
//! The bureau lists domains it found answering on the provider's IPs without a filing
//! (`WBAWZLB`, downloaded by `seam::miit::inbound`); each becomes a case in the compliance work
//! list, kept once however often the list repeats it. The footer scanner feeds the same list:
//! a filed site whose home page newly shows no ICP number opens a `scan` case. A reviewer acts
//! on a case — blocks the domain (it joins the block list in the same transaction), or records
//! another of the bureau's actions (`Wbacl_dms`: urged to file, not our customer, filed) — and
//! a bureau case is reported back (`WBACLJG`) in an upload file queued in that transaction. The
//! bureau's answer settles it: the file's acceptance (`reported`) or a file-level refusal
//! (5005 not ours, 5006 already reported: `refused`).
//!
//! The block list is served as a plain file, as an nginx `map` and as JSON; every entry went
//! through `beian_core::blocklist::normalize`, so nothing but a domain name reaches a file an
//! edge includes. This module never blocks on its own: a person decides each case.

use std::collections::BTreeMap;

use beian_core::blocklist;
use beian_miit::mapping::unfiled::{self as mapping, Found, Handled};
use beian_store::{BlockRow, ListedCaseRow, Tx, UnfiledCaseRow, Uuid, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::Unfiled;
use crate::auth::Role;
use crate::error::FieldError;
use crate::i18n::{Msgs, Text};
use crate::{AppError, AppResult, Ctx, rfc3339};

/// Case sources.
pub const FROM_BUREAU: &str = "miit";
pub const FROM_SCAN: &str = "scan";

/// The scanner's finding that opens a case.
pub const SCAN_FINDING: &str = "ICP_NUMBER_MISSING";

/// The longest opinion the interface carries (`Clyj`).
const OPINION_MAX: usize = 255;

/// Days the provider gives itself to handle a bureau case (`Clsx`): no public source states
/// the bureaus' limit; one day is the conservative reading of "at once" in their notices.
const HANDLING_DAYS: i64 = 1;

/// The cases one page of the work list shows.
const LIST_LIMIT: i64 = 500;

const DAY_US: i64 = 86_400_000_000;

/// A case as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UnfiledCaseView {
    pub id: Uuid,
    /// `miit` (the bureau's list) or `scan` (the provider's footer scanner).
    pub source: String,
    pub bureau_id: Option<i64>,
    pub domain: String,
    /// The address the bureau found it on ('' for a scan case).
    pub ip: String,
    /// The bureau's latest detection time as it wrote it, and how often it found it.
    pub detected_at: String,
    pub times: Option<i64>,
    pub received_at: String,
    /// `open`, `handled` (report waiting for the bureau), `reported`, `refused`, `dismissed`.
    pub state: String,
    /// The bureau's action code and its name.
    pub action: Option<i64>,
    pub action_name: Option<String>,
    pub opinion: String,
    pub handled_at: Option<String>,
    /// The bureau's answer to the report (codes and text), when it refused it.
    pub result: String,
    /// Whether the domain is on the block list now.
    pub blocked: bool,
}

/// What a reviewer did about a case.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleUnfiled {
    /// The bureau's action code (`Wbacl_dms`, e.g. 1 已关停); required for a bureau case.
    #[serde(default)]
    pub action: Option<i64>,
    /// At most 255 characters; sent to the bureau with the report.
    #[serde(default)]
    pub opinion: String,
    /// Put the domain on the block list.
    #[serde(default)]
    pub block: bool,
}

/// A blocked domain as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BlockView {
    pub domain: String,
    pub reason: String,
    /// `case` (from a work-list case) or `staff` (added by an administrator).
    pub source: String,
    pub case_id: Option<Uuid>,
    pub since: String,
}

/// A domain an administrator blocks by hand.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlock {
    pub domain: String,
    pub reason: String,
}

/// The block list as a file for an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockFile {
    /// One domain per line, `#` comments.
    Plain,
    /// An nginx `map $host $beian_blocked`.
    Nginx,
}

/// A block-list file and its entity tag (quoted, for `ETag`).
#[derive(Debug, Clone)]
pub struct BlockListFile {
    pub body: String,
    pub etag: String,
}

/// The work-list states, for filtering.
const STATES: [&str; 5] = ["open", "handled", "reported", "refused", "dismissed"];

fn closed() -> AppError {
    AppError::conflict("UNFILED_CASE_CLOSED", Text::new("problem.unfiled_case_closed"))
}

fn case_view(row: ListedCaseRow, action_names: &BTreeMap<i64, String>) -> UnfiledCaseView {
    let r = row.case;
    UnfiledCaseView {
        id: r.id,
        blocked: row.blocked,
        action_name: r.action.and_then(|a| action_names.get(&a).cloned()),
        source: r.source,
        bureau_id: r.bureau_id,
        domain: r.domain,
        ip: r.ip,
        detected_at: r.detected_at,
        times: r.times,
        received_at: rfc3339(r.received_at),
        state: r.state,
        action: r.action,
        opinion: r.opinion,
        handled_at: r.handled_at.map(rfc3339),
        result: r.result,
    }
}

fn block_view(b: BlockRow) -> BlockView {
    BlockView {
        domain: b.domain,
        reason: b.reason,
        source: b.source,
        case_id: b.case_id,
        since: rfc3339(b.since),
    }
}

/// A new open case with nothing but its source and domain.
fn open_case(source: &str, domain: String, now: i64) -> UnfiledCaseRow {
    UnfiledCaseRow {
        id: new_id(),
        source: source.into(),
        bureau_id: None,
        domain,
        ip: String::new(),
        province: None,
        detected_at: String::new(),
        times: None,
        file_name: String::new(),
        received_at: now,
        state: "open".into(),
        action: None,
        opinion: String::new(),
        handled_by: None,
        handled_at: None,
        upload_seq: None,
        result: String::new(),
        updated_at: now,
    }
}

fn check_opinion(opinion: &str) -> AppResult<String> {
    let o = opinion.trim();
    if o.chars().count() > OPINION_MAX {
        return Err(AppError::field("opinion", "OPINION_TOO_LONG", Text::new("problem.opinion_too_long")));
    }
    if o.chars().any(char::is_control) {
        return Err(AppError::field("opinion", "OPINION_INVALID", Text::new("problem.opinion_invalid")));
    }
    Ok(o.to_owned())
}

fn check_domain(raw: &str, field: &str) -> AppResult<String> {
    blocklist::normalize(raw)
        .map_err(|_| AppError::field(field, "DOMAIN_INVALID", Text::new("problem.domain_invalid")))
}

/// The bureau's codes as kept on an item: a `code text` line each.
pub(crate) fn codes_text(codes: &[(i64, String)]) -> String {
    codes
        .iter()
        .map(|(c, d)| format!("{c} {}", if d.is_empty() { beian_miit::codes::text(*c) } else { d.as_str() }))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Unfiled<'_> {
    /// Opens (or, received again, refreshes) a case per entry of a bureau list, in the
    /// transaction that applies its file.
    pub(crate) async fn open_bureau_cases(
        self,
        tx: &mut Tx,
        file_name: &str,
        found: &[Found],
        now: i64,
    ) -> anyhow::Result<usize> {
        let mut new = 0;
        for f in found {
            let opened = tx
                .open_unfiled_case(&UnfiledCaseRow {
                    bureau_id: Some(f.id),
                    ip: f.ip.to_string(),
                    province: f.province,
                    detected_at: f.detected.clone().unwrap_or_default(),
                    times: f.times,
                    file_name: file_name.to_owned(),
                    // Kept as the block list would hold it, when it is a domain at all.
                    ..open_case(
                        FROM_BUREAU,
                        blocklist::normalize(&f.domain).unwrap_or_else(|_| f.domain.clone()),
                        now,
                    )
                })
                .await?;
            if opened {
                self.webhooks().emit_duty(tx, "duty.unfiled_listed", &[f.domain.as_str()], "unfiled").await?;
            }
            new += usize::from(opened);
        }
        Ok(new)
    }

    /// Opens a case for a filed site the scanner found without its number (once while open).
    pub(crate) async fn open_scan_case(self, tx: &mut Tx, domain: &str, now: i64) -> anyhow::Result<()> {
        let Ok(domain) = blocklist::normalize(domain) else { return Ok(()) };
        tx.open_unfiled_case(&UnfiledCaseRow {
            detected_at: crate::rfc3339(now),
            ..open_case(FROM_SCAN, domain, now)
        })
        .await?;
        Ok(())
    }

    /// The names of the bureau's action codes (`Wbacl_dms`), read once per answer.
    async fn action_names(self) -> AppResult<BTreeMap<i64, String>> {
        Ok(self
            .seam()
            .miit_tables()
            .await?
            .map(|t| t.unfiled_actions.iter().map(|e| (e.id, e.name.clone())).collect())
            .unwrap_or_default())
    }

    /// The work list (staff): cases in `state`, or all, oldest first.
    pub async fn unfiled_cases(self, ctx: &Ctx, state: Option<&str>) -> AppResult<Vec<UnfiledCaseView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        if let Some(s) = state
            && !STATES.contains(&s)
        {
            return Err(AppError::field(
                "state",
                "UNFILED_STATE_UNKNOWN",
                Text::new("problem.unfiled_state_unknown"),
            ));
        }
        let names = self.action_names().await?;
        Ok(self
            .store()
            .unfiled_cases(state, LIST_LIMIT)
            .await?
            .into_iter()
            .map(|r| case_view(r, &names))
            .collect())
    }

    /// A reviewer acts on an open case: blocks the domain if asked, records the action, and
    /// for a bureau case queues the report — all in one transaction.
    pub async fn handle_unfiled_case(
        self,
        ctx: &Ctx,
        id: Uuid,
        input: HandleUnfiled,
    ) -> AppResult<UnfiledCaseView> {
        let p = ctx.require(&[Role::Reviewer, Role::Admin])?;
        let opinion = check_opinion(&input.opinion)?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let case = tx.unfiled_case(id).await?.ok_or(AppError::NotFound)?;
        if case.state != "open" {
            return Err(closed());
        }
        let from_bureau = case.source == FROM_BUREAU;
        let action = match (from_bureau, input.action) {
            (true, None) => {
                return Err(AppError::Validation(vec![FieldError::text(
                    "action",
                    "UNFILED_ACTION_REQUIRED",
                    Text::new("problem.unfiled_action_required"),
                )]));
            }
            (_, Some(a)) => {
                let tables = self.seam().miit_tables().await?;
                let known =
                    tables.as_ref().is_some_and(|t| t.unfiled_actions.iter().any(|e| e.id == a && e.valid));
                if !known {
                    return Err(AppError::field(
                        "action",
                        "UNFILED_ACTION_UNKNOWN",
                        Text::new("problem.unfiled_action_unknown"),
                    ));
                }
                Some(a)
            }
            (false, None) => None,
        };
        if input.block {
            // The bureau's list may name something an edge cannot match (a URL, a bare
            // suffix): blocking it would be a block in name only.
            if blocklist::normalize(&case.domain).ok().as_deref() != Some(case.domain.as_str()) {
                return Err(AppError::field(
                    "block",
                    "DOMAIN_NOT_BLOCKABLE",
                    Text::new("problem.domain_not_blockable"),
                ));
            }
            // Kept as it was said, in both languages: the block list outlives any one reader.
            let reason = match case.bureau_id {
                Some(b) => Msgs::bilingual("block.reason.bureau", &[("entry", b.to_string())]),
                None => Msgs::bilingual("block.reason.scan", &[]),
            };
            tx.block_domain(&BlockRow {
                domain: case.domain.clone(),
                reason,
                source: "case".into(),
                case_id: Some(case.id),
                since: now,
                added_by: Some(p.id),
            })
            .await?;
        }
        let (state, upload_seq) = if from_bureau {
            let seam = self.miit().ok_or_else(|| {
                AppError::conflict("MIIT_NOT_CONFIGURED", Text::new("problem.miit_not_configured.unfiled"))
            })?;
            let ip = case.ip.parse().map_err(|_| anyhow::anyhow!("case {} has no valid address", case.id))?;
            let province = match case.province {
                Some(p) => p,
                None => self.provider_province().await?,
            };
            let handled = Handled {
                found: Found {
                    id: case.bureau_id.unwrap_or_default(),
                    domain: case.domain.clone(),
                    ip,
                    operator: seam.credentials.unit_id,
                    access_provider: Some(seam.credentials.unit_id),
                    province: case.province,
                    first_detected: None,
                    detected: None,
                    times: case.times,
                },
                province,
                action: action.unwrap_or_default(),
                opinion: opinion.clone(),
                listed_on: crate::views::spec_date(case.received_at),
                deadline: crate::views::spec_date(case.received_at + HANDLING_DAYS * DAY_US),
            };
            let file = mapping::report_file(&seam.credentials.version, seam.credentials.unit_id, &[handled]);
            ("handled", Some(self.seam().queue_miit_file(&mut tx, &file, 1, now).await?))
        } else if input.block {
            ("handled", None)
        } else {
            ("dismissed", None)
        };
        if !tx.handle_unfiled_case(id, state, action, &opinion, p.id, upload_seq, now).await? {
            // Another reviewer's handling committed first.
            return Err(closed());
        }
        tx.audit(
            &ctx.audit(
                "unfiled.handle",
                "unfiled_case",
                id,
                json!({ "domain": case.domain, "action": action, "block": input.block, "upload_seq": upload_seq }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        let row = self.store().listed_case(id).await?.ok_or(AppError::NotFound)?;
        Ok(case_view(row, &self.action_names().await?))
    }

    /// The province (`330000`) of the provider's region, for a report whose entry named none.
    async fn provider_province(self) -> AppResult<i64> {
        let region = self.admin().profile_setting().await?.map(|p| p.region).unwrap_or_default();
        region.get(..2).and_then(|p| p.parse::<i64>().ok()).map(|p| p * 10_000).ok_or_else(|| {
            AppError::conflict("PROVIDER_PROFILE_MISSING", Text::new("problem.provider_profile_missing"))
        })
    }

    /// The bureau took upload file `seq`: the case reported in it is reported.
    pub(crate) async fn unfiled_report_accepted(self, seq: i64) -> anyhow::Result<()> {
        if let Some(case) = self.store().unfiled_case_of_upload(seq).await? {
            let mut tx = self.store().begin().await?;
            tx.settle_unfiled_case(case.id, "reported", "", self.now_us()).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The bureau refused the upload file `file_name` as a whole: a case reported in it is
    /// refused with the bureau's codes. False when no case was reported in that file.
    pub(crate) async fn unfiled_report_refused(
        self,
        file_name: &str,
        codes: &[(i64, String)],
    ) -> anyhow::Result<bool> {
        let Some(case) = self.store().unfiled_case_of_file(file_name).await? else { return Ok(false) };
        let result = codes_text(codes);
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if tx.settle_unfiled_case(case.id, "refused", &result, now).await? {
            tx.audit(
                &crate::service_audit(
                    "regulator",
                    "unfiled.refused",
                    "unfiled_case",
                    case.id,
                    json!({ "codes": codes }),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The block list (staff).
    pub async fn block_list(self, ctx: &Ctx) -> AppResult<Vec<BlockView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        Ok(self.store().block_list().await?.into_iter().map(block_view).collect())
    }

    /// The block list as a file an edge reads (staff or an API token of theirs), with a tag
    /// that changes only when the list does (the header's time aside), so an edge polling
    /// with `If-None-Match` reloads only on a change.
    pub async fn block_list_file(self, ctx: &Ctx, format: BlockFile) -> AppResult<BlockListFile> {
        use sha2::Digest as _;
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let rows = self.store().block_list().await?;
        let domains: Vec<&str> = rows.iter().map(|b| b.domain.as_str()).collect();
        let at = rfc3339(self.now_us());
        let (body, kind) = match format {
            BlockFile::Plain => (blocklist::plain(&domains, &at), "plain"),
            BlockFile::Nginx => (blocklist::nginx_map(&domains, &at), "nginx"),
        };
        let mut h = sha2::Sha256::new();
        h.update(kind.as_bytes());
        for d in &domains {
            h.update(b"\n");
            h.update(d.as_bytes());
        }
        Ok(BlockListFile { body, etag: format!("\"{}\"", hex::encode(&h.finalize()[..12])) })
    }

    /// An administrator blocks a domain by hand.
    pub async fn block_domain(self, ctx: &Ctx, input: NewBlock) -> AppResult<BlockView> {
        let p = ctx.require(&[Role::Admin])?;
        let domain = check_domain(&input.domain, "domain")?;
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > OPINION_MAX || reason.chars().any(char::is_control) {
            return Err(AppError::field(
                "reason",
                "BLOCK_REASON_INVALID",
                Text::new("problem.block_reason_invalid"),
            ));
        }
        let now = self.now_us();
        let row = BlockRow {
            domain: domain.clone(),
            reason: reason.to_owned(),
            source: "staff".into(),
            case_id: None,
            since: now,
            added_by: Some(p.id),
        };
        let mut tx = self.store().begin().await?;
        if !tx.block_domain(&row).await? {
            return Err(AppError::conflict(
                "DOMAIN_BLOCKED_ALREADY",
                Text::new("problem.domain_blocked_already"),
            ));
        }
        tx.audit(&ctx.audit("block_list.add", "domain", &domain, json!({ "reason": reason })), now).await?;
        tx.commit().await?;
        Ok(block_view(row))
    }

    /// An administrator lifts a block.
    pub async fn unblock_domain(self, ctx: &Ctx, domain: &str) -> AppResult<()> {
        ctx.require(&[Role::Admin])?;
        let domain = check_domain(domain, "domain")?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.unblock_domain(&domain).await? {
            return Err(AppError::NotFound);
        }
        tx.audit(&ctx.audit("block_list.remove", "domain", &domain, json!({})), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
