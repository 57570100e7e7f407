//! The bureau's verification tasks (`HSRW` 核实任务) and inspection results (`HCJG` 核查结果)
//! as reviewer work items.
//!
//! A task asks the provider to verify a filing it gives access to; it arrives with a download
//! file (`seam::miit::inbound`) and is kept once per subject while open, however often the
//! bureau repeats it. The reviewer sees the subject and websites as the bureau holds them,
//! each site's latest footer scan, and can run a live check now (does the domain resolve to
//! the provider's addresses, does it answer, does the footer carry the number); the verdict
//! (passed, or refused with what is wrong) goes back as an `HSJG` upload file queued in the
//! transaction that closes the task. The file's acceptance settles it `accepted`; a refusal
//! of the file `refused`, with the bureau's codes.
//!
//! An inspection reports what the bureau found on its own (an access reported for a site not
//! on the provider's addresses, a site on them whose access is not reported, empty shells);
//! the interface has no answer to it, so the reviewer acknowledges it with a note.
//!
//! The task's data carries certificate numbers and phones: it is kept encrypted and never
//! shown; the API shows names, domains and the bureau's ids only.

use std::collections::BTreeMap;

use beian_miit::mapping::outbound::OnFile;
use beian_miit::mapping::verify::{self as mapping, Answer, Inspection, Task};
use beian_miit::schema::download::icp::{hcjg, hsrw};
use beian_miit::xml::{self, Mode};
use beian_scan::Expected;
use beian_store::{ListedTaskRow, Tx, Uuid, VerificationTaskRow, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::VerificationTasks;
use crate::auth::Role;
use crate::i18n::Text;
use crate::scans::SiteScanView;
use crate::{AppError, AppResult, Ctx, rfc3339};

/// Work-item kinds.
pub const TASK: &str = "task";
pub const INSPECTION: &str = "inspection";

/// The states, for filtering.
const STATES: [&str; 5] = ["open", "answered", "accepted", "refused", "acknowledged"];

/// The items one page of the list shows.
const LIST_LIMIT: i64 = 500;

/// The domains one live check tries (a task names a subject's sites; more is not a task).
const CHECK_DOMAINS: usize = 20;

/// The interface's limits on an answer: the opinion (`Hsyj`) and the errors found (`Cwxx`).
const OPINION_MAX: usize = 1024;
const ERRORS_MAX: usize = 4000;

/// A work item as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VerificationView {
    pub id: Uuid,
    /// `task` (answer it) or `inspection` (acknowledge it).
    pub kind: String,
    pub received_at: String,
    /// `open`, `answered` (the answer waits for the bureau), `accepted`, `refused`,
    /// `acknowledged`.
    pub state: String,
    /// The bureau's id of the subject, and ours when it is one of our filings.
    pub bureau_subject_id: Option<i64>,
    pub subject_id: Option<Uuid>,
    pub subject_name: String,
    /// The bureau's note on the task.
    pub note: String,
    pub websites: Vec<VerificationSiteView>,
    /// Subjects an inspection found wrong, with why.
    pub subjects: Vec<InspectedSubjectView>,
    pub passed: Option<bool>,
    pub opinion: String,
    pub handled_at: Option<String>,
    /// The bureau's answer to the answer, when it refused it.
    pub result: String,
    /// When the last live check ran.
    pub checked_at: Option<String>,
}

/// A website of a work item.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VerificationSiteView {
    /// The bureau's website id (`Wzid`).
    pub bureau_id: i64,
    /// The site's number ('' when it is not one of ours and the bureau did not say).
    pub number: String,
    pub name: String,
    pub domains: Vec<String>,
    /// What an inspection found (`ACCESS_OVER_REPORTED` 多报, `ACCESS_UNDER_REPORTED` 少报,
    /// `SHELL_ALIVE`, `SHELL_DEAD`, `ALIVE`), and the address it resolved to.
    pub finding: Option<String>,
    pub finding_ip: Option<String>,
    /// The newest footer scan of the site, when it is one of ours.
    pub latest_scan: Option<SiteScanView>,
    /// The last live check of each domain.
    pub live: Vec<LiveCheck>,
}

/// A subject an inspection found wrong.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InspectedSubjectView {
    pub bureau_id: i64,
    pub name: String,
    pub error: String,
}

/// One domain checked now.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LiveCheck {
    pub domain: String,
    /// What it resolved to (empty: it did not).
    pub addresses: Vec<String>,
    /// Whether one of them is in the provider's IP pools (`null`: no pool is configured).
    pub on_our_addresses: Option<bool>,
    /// Whether the home page answered, and whether its footer carries the number right
    /// (`null`: scanning is off, or the scan could not tell).
    pub reachable: Option<bool>,
    pub footer_ok: Option<bool>,
    /// The scanner's verdict ('' when scanning is off).
    pub verdict: String,
}

/// A reviewer's answer to a task.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerTask {
    /// True: the filing is as the bureau holds it; false: refused.
    pub passed: bool,
    /// 1 to 1024 characters; sent to the bureau.
    pub opinion: String,
    /// What is wrong (at most 4000 characters); required when refusing.
    #[serde(default)]
    pub errors: String,
}

/// A reviewer's acknowledgement of an inspection.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeInspection {
    /// What was done about it (at most 1024 characters; kept, not sent).
    #[serde(default)]
    pub opinion: String,
}

/// An item's data as received.
enum Received {
    Task(Box<hsrw::Baxx>),
    Inspection(hcjg::Jgxx),
}

fn aad(id: Uuid) -> String {
    format!("verification_tasks/{id}")
}

fn closed() -> AppError {
    AppError::conflict("VERIFICATION_CLOSED", Text::new("problem.verification_closed"))
}

fn text_field(raw: &str, field: &str, max: usize, required: bool) -> AppResult<String> {
    let t = raw.trim();
    if (required && t.is_empty()) || t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n')
    {
        let text = if field == "errors" {
            Text::new("problem.verification_text_invalid.errors")
        } else {
            Text::new("problem.verification_text_invalid.opinion")
        };
        return Err(AppError::field(
            field,
            "VERIFICATION_TEXT_INVALID",
            text.arg("min", u8::from(required)).arg("max", max),
        ));
    }
    Ok(t.to_owned())
}

impl VerificationTasks<'_> {
    /// Keeps each task of an `HSRW` list (refreshing an open one of the same subject), in the
    /// transaction that applies its file.
    pub(crate) async fn open_verification_tasks(
        self,
        tx: &mut Tx,
        file_name: &str,
        tasks: &[hsrw::Baxx],
        now: i64,
    ) -> anyhow::Result<usize> {
        let mut new = 0;
        for b in tasks {
            let t = mapping::task(b);
            let id = tx.open_verification_task_id(TASK, t.subject_id).await?.unwrap_or_else(new_id);
            let domains: Vec<&str> =
                t.websites.iter().flat_map(|w| w.domains.iter().map(String::as_str)).collect();
            let row = self.work_item(
                id,
                TASK,
                Some(t.subject_id),
                &domains,
                &xml::element_to_string(b)?,
                file_name,
                now,
            )?;
            let opened = tx.open_verification_task(&row).await?;
            if opened {
                self.webhooks().emit_duty(tx, "duty.verification_task", &domains, "verifications").await?;
            }
            new += usize::from(opened);
        }
        Ok(new)
    }

    /// Keeps an `HCJG` inspection result as one item.
    pub(crate) async fn open_inspection(
        self,
        tx: &mut Tx,
        file_name: &str,
        found: &hcjg::Jgxx,
        now: i64,
    ) -> anyhow::Result<()> {
        let i = mapping::inspection(found);
        let domains: Vec<&str> = i.sites.iter().filter_map(|s| s.domain.as_deref()).collect();
        let row = self.work_item(
            new_id(),
            INSPECTION,
            None,
            &domains,
            &xml::element_to_string(found)?,
            file_name,
            now,
        )?;
        tx.open_verification_task(&row).await?;
        self.webhooks().emit_duty(tx, "duty.verification_task", &domains, "verifications").await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn work_item(
        self,
        id: Uuid,
        kind: &str,
        bureau_subject_id: Option<i64>,
        domains: &[&str],
        data: &str,
        file_name: &str,
        now: i64,
    ) -> anyhow::Result<VerificationTaskRow> {
        Ok(VerificationTaskRow {
            id,
            kind: kind.into(),
            bureau_subject_id,
            domains: serde_json::to_string(domains)?,
            data: self.keys().encrypt(&aad(id), data.as_bytes())?,
            file_name: file_name.to_owned(),
            received_at: now,
            state: "open".into(),
            passed: None,
            opinion: String::new(),
            checks: String::new(),
            checked_at: None,
            handled_by: None,
            handled_at: None,
            upload_seq: None,
            result: String::new(),
            updated_at: now,
        })
    }

    fn received(self, row: &VerificationTaskRow) -> anyhow::Result<Received> {
        let text = String::from_utf8(self.keys().decrypt(&aad(row.id), &row.data)?)?;
        Ok(if row.kind == TASK {
            Received::Task(Box::new(xml::element_from_str(&text, Mode::Lenient)?))
        } else {
            Received::Inspection(xml::element_from_str(&text, Mode::Lenient)?)
        })
    }

    /// The list (staff): items in `state`, or all, oldest first.
    pub async fn verification_tasks(
        self,
        ctx: &Ctx,
        state: Option<&str>,
    ) -> AppResult<Vec<VerificationView>> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        if let Some(s) = state
            && !STATES.contains(&s)
        {
            return Err(AppError::field(
                "state",
                "VERIFICATION_STATE_UNKNOWN",
                Text::new("problem.verification_state_unknown"),
            ));
        }
        let mut out = Vec::new();
        for row in self.store().verification_tasks(state, LIST_LIMIT).await? {
            out.push(self.verification_view(row).await?);
        }
        Ok(out)
    }

    /// One item (staff).
    pub async fn verification_task(self, ctx: &Ctx, id: Uuid) -> AppResult<VerificationView> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let row = self.store().listed_verification_task(id).await?.ok_or(AppError::NotFound)?;
        self.verification_view(row).await
    }

    async fn verification_view(self, listed: ListedTaskRow) -> AppResult<VerificationView> {
        let on_file = match listed.subject_id {
            Some(s) => self.seam().miit_on_file(s).await?,
            None => None,
        };
        let r = listed.task;
        let checks: BTreeMap<String, LiveCheck> = if r.checks.is_empty() {
            BTreeMap::new()
        } else {
            serde_json::from_str::<Vec<LiveCheck>>(&r.checks)
                .map_err(anyhow::Error::from)?
                .into_iter()
                .map(|c| (c.domain.clone(), c))
                .collect()
        };
        let (subject_name, note, sites, subjects) = match self.received(&r)? {
            Received::Task(b) => {
                let Task { subject_name, websites, note, .. } = mapping::task(&b);
                let sites = websites
                    .into_iter()
                    .map(|w| (w.id, number_of(on_file.as_ref(), w.id), w.name, w.domains, None, None))
                    .collect::<Vec<_>>();
                (subject_name, note.unwrap_or_default(), sites, Vec::new())
            }
            Received::Inspection(j) => {
                let Inspection { subjects, sites } = mapping::inspection(&j);
                let name = subjects.first().map(|s| s.name.clone()).unwrap_or_default();
                let sites = sites
                    .into_iter()
                    .map(|s| {
                        (
                            s.id,
                            s.number,
                            String::new(),
                            s.domain.into_iter().collect(),
                            Some(s.finding.code()),
                            s.ip.map(|a| a.to_string()),
                        )
                    })
                    .collect();
                let subjects = subjects
                    .into_iter()
                    .map(|s| InspectedSubjectView {
                        bureau_id: s.id,
                        name: s.name,
                        error: s.error.unwrap_or_default(),
                    })
                    .collect();
                (name, String::new(), sites, subjects)
            }
        };
        let mut websites = Vec::new();
        for (bureau_id, number, name, domains, finding, finding_ip) in sites {
            let latest_scan = if number.is_empty() {
                None
            } else {
                self.store().newest_site_scan(&number).await?.map(crate::scans::view)
            };
            let live = domains.iter().filter_map(|d| checks.get(d).cloned()).collect();
            websites.push(VerificationSiteView {
                bureau_id,
                number,
                name,
                domains,
                finding,
                finding_ip,
                latest_scan,
                live,
            });
        }
        Ok(VerificationView {
            id: r.id,
            kind: r.kind,
            received_at: rfc3339(r.received_at),
            state: r.state,
            bureau_subject_id: r.bureau_subject_id,
            subject_id: listed.subject_id,
            subject_name,
            note,
            websites,
            subjects,
            passed: r.passed,
            opinion: r.opinion,
            handled_at: r.handled_at.map(rfc3339),
            result: r.result,
            checked_at: r.checked_at.map(rfc3339),
        })
    }

    /// Checks the item's domains now (staff): resolves each against the IP pools and, when
    /// scanning is on, fetches its home page and checks the footer for the site's number.
    pub async fn check_verification_task(self, ctx: &Ctx, id: Uuid) -> AppResult<VerificationView> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let view = self.verification_task(ctx, id).await?;
        let pools = self.ip_filing().pool_blocks().await?;
        let scanner = self.scanner()?;
        let mut checks = Vec::new();
        for site in &view.websites {
            let expected = if site.number.is_empty() {
                Expected::default()
            } else {
                self.compliance().expected_footer(&view.subject_name, &site.number).await?
            };
            for domain in &site.domains {
                if checks.len() >= CHECK_DOMAINS {
                    break;
                }
                let addresses = self.inner.resolver.addresses(domain).await.unwrap_or_default();
                let on_ours = (!pools.is_empty())
                    .then(|| addresses.iter().any(|a| pools.iter().any(|p| p.contains(*a))));
                let (reachable, footer_ok, verdict) = match scanner {
                    Some(s) => {
                        let report = s.scan(&format!("http://{domain}/"), &expected).await;
                        let reachable = report.verdict != beian_scan::Verdict::Unreachable;
                        let footer = expected.icp.as_ref().and_then(|_| crate::scans::footer_ok(&report));
                        (Some(reachable), footer, report.verdict.as_str().to_owned())
                    }
                    None => (None, None, String::new()),
                };
                checks.push(LiveCheck {
                    domain: domain.clone(),
                    addresses: addresses.iter().map(ToString::to_string).collect(),
                    on_our_addresses: on_ours,
                    reachable,
                    footer_ok,
                    verdict,
                });
            }
        }
        let now = self.now_us();
        self.store()
            .set_verification_checks(id, &serde_json::to_string(&checks).map_err(anyhow::Error::from)?, now)
            .await?;
        self.verification_task(ctx, id).await
    }

    /// A reviewer answers an open task: the answer is queued as an `HSJG` upload file in the
    /// transaction that closes the task.
    pub async fn answer_verification_task(
        self,
        ctx: &Ctx,
        id: Uuid,
        input: AnswerTask,
    ) -> AppResult<VerificationView> {
        let p = ctx.require(&[Role::Reviewer, Role::Admin])?;
        let opinion = text_field(&input.opinion, "opinion", OPINION_MAX, true)?;
        let errors = text_field(&input.errors, "errors", ERRORS_MAX, !input.passed)?;
        let seam = self.miit().ok_or_else(|| {
            AppError::conflict("MIIT_NOT_CONFIGURED", Text::new("problem.miit_not_configured.verification"))
        })?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let row = tx.verification_task(id).await?.ok_or(AppError::NotFound)?;
        if row.kind != TASK {
            return Err(AppError::conflict(
                "VERIFICATION_NOT_A_TASK",
                Text::new("problem.verification_not_a_task"),
            ));
        }
        if row.state != "open" {
            return Err(closed());
        }
        let Received::Task(task) = self.received(&row)? else {
            return Err(anyhow::anyhow!("task {id} holds no task").into());
        };
        let verifier =
            if p.display_name.trim().is_empty() { p.email.clone() } else { p.display_name.clone() };
        let file = mapping::answer_file(
            &seam.credentials.version,
            seam.credentials.unit_id,
            &[Answer {
                task: &task,
                passed: input.passed,
                verifier,
                date: crate::views::spec_date(now),
                opinion: opinion.clone(),
                errors: (!errors.is_empty()).then(|| errors.clone()),
            }],
        );
        // The answer echoes the bureau's data; data the answer cannot carry is the bureau's to
        // fix, and the reviewer must know rather than see a failed upload later.
        if let Err(e) = xml::to_gbk(&file) {
            return Err(AppError::conflict(
                "VERIFICATION_TASK_INCOMPLETE",
                Text::new("problem.verification_task_incomplete").arg("path", e.path()),
            ));
        }
        let seq = self.seam().queue_miit_file(&mut tx, &file, 1, now).await?;
        if !tx
            .close_verification_task(id, "answered", Some(input.passed), &opinion, p.id, Some(seq), now)
            .await?
        {
            return Err(closed());
        }
        tx.audit(
            &ctx.audit(
                "verification.answer",
                "verification_task",
                id,
                json!({ "bureau_subject_id": row.bureau_subject_id, "passed": input.passed, "upload_seq": seq }),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.verification_task(ctx, id).await
    }

    /// A reviewer acknowledges an inspection result.
    pub async fn acknowledge_inspection(
        self,
        ctx: &Ctx,
        id: Uuid,
        input: AcknowledgeInspection,
    ) -> AppResult<VerificationView> {
        let p = ctx.require(&[Role::Reviewer, Role::Admin])?;
        let opinion = text_field(&input.opinion, "opinion", OPINION_MAX, false)?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let row = tx.verification_task(id).await?.ok_or(AppError::NotFound)?;
        if row.kind != INSPECTION {
            return Err(AppError::conflict(
                "VERIFICATION_NOT_AN_INSPECTION",
                Text::new("problem.verification_not_an_inspection"),
            ));
        }
        if !tx.close_verification_task(id, "acknowledged", None, &opinion, p.id, None, now).await? {
            return Err(closed());
        }
        tx.audit(&ctx.audit("verification.acknowledge", "verification_task", id, json!({})), now).await?;
        tx.commit().await?;
        self.verification_task(ctx, id).await
    }

    /// The bureau took upload file `seq`: a task answered in it is accepted.
    pub(crate) async fn verification_answer_accepted(self, seq: i64) -> anyhow::Result<()> {
        if let Some(t) = self.store().verification_task_of_upload(seq).await? {
            let mut tx = self.store().begin().await?;
            tx.settle_verification_task(t.id, "accepted", "", self.now_us()).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The bureau refused the upload file `file_name` as a whole: a task answered in it is
    /// refused with the bureau's codes. False when no task was answered in that file.
    pub(crate) async fn verification_answer_refused(
        self,
        file_name: &str,
        codes: &[(i64, String)],
    ) -> anyhow::Result<bool> {
        let Some(t) = self.store().verification_task_of_file(file_name).await? else { return Ok(false) };
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if tx.settle_verification_task(t.id, "refused", &crate::unfiled::codes_text(codes), now).await? {
            tx.audit(
                &crate::service_audit(
                    "regulator",
                    "verification.refused",
                    "verification_task",
                    t.id,
                    json!({ "codes": codes }),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Our number of the website the bureau knows as `wzid`, from what it has on file for us.
fn number_of(on_file: Option<&OnFile>, wzid: i64) -> String {
    on_file
        .and_then(|f| f.websites.iter().find(|(_, s)| s.id == wzid))
        .map(|(n, _)| n.clone())
        .unwrap_or_default()
}
