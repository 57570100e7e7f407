//! The provider's side of the regulator seam.
//!
//! After the provider approves an order it waits as *queued for regulator*; the approval's
//! transaction queued a `deliver_to_regulator` job, which submits it through the [`Regulator`]
//! port under a submission id derived from the order and its submission time — so a retry after
//! a crash or a network failure is the same submission, and the regulator's idempotency makes
//! the delivery happen once in effect. While the regulator is down the job fails and is retried
//! with backoff; nothing is lost.
//!
//! What happens at the regulator comes back as numbered events — in the submit answer, in
//! signed callbacks, or by polling — and [`App::apply_regulator_events`] applies each once, in
//! order, through the order state machine: the timeline shows every step, the applicant is
//! notified, and an approval writes the numbers and the footer snippets onto the order and the
//! subject. This module must never send PII anywhere but the regulator.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use beian_core::message::Problem as _;
use beian_core::model::{Order, OrderKind};
use beian_core::number::ServiceKind;
use beian_core::workflow::{Actor, Event, OrderState, transition};
use beian_seam::SigningKey;
use beian_seam::wire::{Decision, Event as RegEvent};
use beian_store::{NewJob, OrderEventRow, RegulatorLinkRow, Tx, Uuid, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::notify::Notice;
use crate::views::ReviewFinding;
use crate::{App, AppError, AppResult};

/// The job that delivers an approved order.
pub const DELIVER: &str = "deliver_to_regulator";

/// Attempts before a delivery is dead-lettered: with backoff capped at an hour, about a week.
const DELIVER_MAX_ATTEMPTS: i64 = 200;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a regulator call failed.
#[derive(Debug, thiserror::Error)]
pub enum RegulatorError {
    /// Not reachable, or a 5xx: try again later.
    #[error("the regulator is unavailable: {0}")]
    Unavailable(String),
    /// Refused with a stable code: retrying the same request will not help.
    #[error("the regulator refused the submission: {code} ({message})")]
    Refused { code: String, message: String },
}

/// The regulator as the provider sees it. A real MIIT integration implements this.
pub trait Regulator: Send + Sync + std::fmt::Debug {
    /// Submits (or re-submits, idempotently) an order; returns the events so far.
    fn submit<'a>(
        &'a self,
        submission_id: &'a str,
        order: &'a Order,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
    /// Submits (or re-submits, idempotently) a PSB application to the public-security
    /// platform; returns the events so far.
    fn submit_psb<'a>(
        &'a self,
        submission_id: &'a str,
        application: &'a beian_core::psb::PsbApplication,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
    /// The events of a submission (polling).
    fn events<'a>(&'a self, submission_id: &'a str) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
    /// Texts a person a new code within the 24-hour window.
    fn resend_sms<'a>(
        &'a self,
        submission_id: &'a str,
        recipient: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>>;
}

/// What the provider needs to talk to the regulator and to check its callbacks.
#[derive(Clone)]
pub struct RegulatorSeam {
    pub port: Arc<dyn Regulator>,
    /// The code this provider signs with, and its key (callbacks are signed with it too).
    pub provider: String,
    pub key: SigningKey,
}

impl std::fmt::Debug for RegulatorSeam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegulatorSeam")
            .field("port", &self.port)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// The regulator service over HTTP (`beian regulator serve`, or anything that speaks its API).
pub struct HttpRegulator {
    base: String,
    provider: String,
    key: SigningKey,
    http: reqwest::Client,
    clock: Arc<dyn crate::clock::Clock>,
}

impl std::fmt::Debug for HttpRegulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRegulator")
            .field("base", &self.base)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct StatusOut {
    events: Vec<RegEvent>,
}

#[derive(Deserialize)]
struct ProblemOut {
    code: String,
    title: String,
}

impl HttpRegulator {
    /// `clock` stamps the signatures (the app's clock, so tests can move both sides' time).
    pub fn new(
        base: &str,
        provider: &str,
        key: SigningKey,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> anyhow::Result<HttpRegulator> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("beian/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpRegulator {
            base: base.trim_end_matches('/').to_owned(),
            provider: provider.to_owned(),
            key,
            http,
            clock,
        })
    }

    async fn call(&self, method: &str, path: &str, body: Vec<u8>) -> Result<Vec<RegEvent>, RegulatorError> {
        let url = reqwest::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| RegulatorError::Unavailable(format!("bad regulator URL: {e}")))?;
        let nonce = beian_crypto::random_token().map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
        let now = self.clock.now().unix_timestamp();
        let signed = beian_seam::sign(&self.provider, &self.key, method, url.path(), &body, now, &nonce);
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
        let mut req = self.http.request(method, url).header("content-type", "application/json").body(body);
        for (name, value) in signed.headers() {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(|e| RegulatorError::Unavailable(e.without_url().to_string()))?;
        let status = resp.status();
        let bytes =
            resp.bytes().await.map_err(|e| RegulatorError::Unavailable(e.without_url().to_string()))?;
        if status.is_success() {
            let out: StatusOut = serde_json::from_slice(&bytes)
                .map_err(|e| RegulatorError::Unavailable(format!("unreadable answer: {e}")))?;
            return Ok(out.events);
        }
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(RegulatorError::Unavailable(format!("answered {status}")));
        }
        let p: ProblemOut = serde_json::from_slice(&bytes)
            .unwrap_or(ProblemOut { code: format!("HTTP_{}", status.as_u16()), title: String::new() });
        Err(RegulatorError::Refused { code: p.code, message: p.title })
    }
}

impl Regulator for HttpRegulator {
    fn submit<'a>(
        &'a self,
        submission_id: &'a str,
        order: &'a Order,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&json!({ "submission_id": submission_id, "order": order }))
                .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
            self.call("POST", "/api/v1/submissions", body).await
        })
    }

    fn submit_psb<'a>(
        &'a self,
        submission_id: &'a str,
        application: &'a beian_core::psb::PsbApplication,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            let body =
                serde_json::to_vec(&json!({ "submission_id": submission_id, "application": application }))
                    .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
            self.call("POST", "/api/v1/psb/submissions", body).await
        })
    }

    fn events<'a>(&'a self, submission_id: &'a str) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            self.call("GET", &format!("/api/v1/submissions/{submission_id}"), Vec::new()).await
        })
    }

    fn resend_sms<'a>(
        &'a self,
        submission_id: &'a str,
        recipient: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RegEvent>, RegulatorError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&json!({ "recipient": recipient }))
                .map_err(|e| RegulatorError::Unavailable(e.to_string()))?;
            self.call("POST", &format!("/api/v1/submissions/{submission_id}/sms/resend"), body).await
        })
    }
}

/// What the bureau issued, as stored on the order: the regulator's decision, and the footer
/// to paste for each website number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Filing {
    #[serde(flatten)]
    pub decision: Decision,
    /// Footer HTML by website number (rules.md §4.5: the right number for the province,
    /// linked to MIIT).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub footers: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct JobPayload {
    order_id: Uuid,
    submission_id: String,
}

/// The submission id of an order's delivery: the order and its version at approval — stable
/// across retries of the job, new for every approval after a correction.
fn submission_id(order_id: Uuid, version: i64) -> String {
    format!("{}.v{version}", order_id.simple())
}

/// The applicant-facing notice for a regulator step, if it deserves one.
fn notice_for(
    base: &str,
    order_id: Uuid,
    kind: &str,
    detail: &serde_json::Value,
    filing: Option<&Filing>,
) -> Option<Notice> {
    let link = format!("{}/api/v1/orders/{order_id}", base.trim_end_matches('/'));
    let n = |subject: &str, body: String, sms: Option<&str>| Notice {
        subject: subject.to_owned(),
        body: format!("{body}\n\n{link}\n"),
        sms: sms.map(str::to_owned),
    };
    Some(match kind {
        "sms_sent" => n(
            "请完成工信部短信核验 / Answer the MIIT verification SMS",
            format!(
                "备案已提交工信部，以下负责人将收到核验短信，须在24小时内完成核验：\nThe filing reached MIIT; these persons get a code and must verify within 24 hours:\n{}",
                detail["recipients"]
                    .as_array()
                    .map(|r| r.iter().filter_map(|p| p.as_str()).map(|p| format!("- {}\n", recipient_label(p))).collect::<String>())
                    .unwrap_or_default()
            ),
            Some("【备案】工信部核验短信已发送，请负责人在24小时内完成核验。"),
        ),
        "bureau_review" => n(
            "短信核验完成，管局审核中 / Verified; the bureau is reviewing",
            "所有负责人已完成短信核验，备案已进入管局审核（通常1–20个工作日）。\nEvery person verified; the provincial bureau reviews the filing now (usually 1–20 working days).".into(),
            None,
        ),
        "sms_timeout" => n(
            "短信核验超时，备案已退回 / SMS verification timed out",
            "24小时内未完成短信核验，备案已退回（不是管局驳回）。请确认负责人手机号码后重新提交。\nNot every person verified within 24 hours; the filing came back (this is not a bureau rejection). Check the mobiles and submit again.".into(),
            Some("【备案】短信核验超时，备案已退回，请登录重新提交。"),
        ),
        "sms_failed" => n(
            "短信核验错误次数过多，备案已退回 / Too many wrong SMS codes",
            "短信核验输错超过5次，备案已退回。请重新提交后使用新的验证码核验。\nMore than five wrong codes were entered; the filing came back. Submit again and use the new codes.".into(),
            Some("【备案】短信核验错误次数过多，备案已退回。"),
        ),
        "approved" => {
            let numbers: String = filing
                .map(|f| f.decision.services.iter().map(|s| format!("- {}: {}\n", s.name, s.number)).collect())
                .unwrap_or_default();
            n(
                "备案已通过管局审核 / Filing approved by the bureau",
                format!(
                    "恭喜，备案已通过。主体备案号：{}\n{numbers}请在网站首页底部展示备案号并链接至 https://beian.miit.gov.cn/ ，并在网站开通后30日内办理公安联网备案。\nApproved. Show the number at the bottom of the home page linked to https://beian.miit.gov.cn/, and file with the public-security platform within 30 days of going live.",
                    filing.and_then(|f| f.decision.subject_number.clone()).unwrap_or_default()
                ),
                Some("【备案】您的备案已通过管局审核，备案号已下发。"),
            )
        }
        "rejected" => n(
            "备案被管局驳回，请修改 / Filing rejected by the bureau",
            format!("管局驳回了备案，原因如下：\nThe bureau rejected the filing:\n{}", detail["reasons"]),
            Some("【备案】您的备案被管局驳回，请登录查看原因并修改。"),
        ),
        _ => return None,
    })
}

/// The field-level reasons of a `rejected` event (the bureau's or a PSB officer's).
pub(crate) fn reasons_of(detail: &serde_json::Value) -> Vec<ReviewFinding> {
    detail["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| ReviewFinding {
                    field: r["field"].as_str().unwrap_or_default().to_owned(),
                    error: r["reason"].as_str().unwrap_or_default().to_owned(),
                    suggestion: String::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Who a recipient path names, in words: `websites[1].head` → 网站2负责人 / head of website 2.
pub fn recipient_label(path: &str) -> String {
    let indexed = |prefix: &str| -> Option<usize> {
        path.strip_prefix(prefix)?.strip_suffix("].head")?.parse::<usize>().ok().map(|i| i + 1)
    };
    if path == "subject.head" {
        "主体负责人 / head of the subject".to_owned()
    } else if let Some(n) = indexed("websites[") {
        format!("网站{n}负责人 / head of website {n}")
    } else if let Some(n) = indexed("apps[") {
        format!("APP{n}负责人 / head of app {n}")
    } else {
        path.to_owned()
    }
}

/// The workflow event a regulator event stands for, given the order's state.
fn workflow_event(e: &RegEvent, state: &OrderState) -> Option<Event> {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(e.at) * 1000).ok()?;
    match e.kind.as_str() {
        "sms_sent" => {
            let recipients = e.detail["recipients"]
                .as_array()?
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            Some(Event::Delivered { recipients, at })
        }
        // Without SMS (cancellations) the order goes straight to the bureau; after the last
        // code the state machine moved it there already.
        "bureau_review" if matches!(state, OrderState::QueuedForRegulator) => {
            Some(Event::Delivered { recipients: Default::default(), at })
        }
        "sms_verified" => Some(Event::SmsVerified { recipient: e.detail["recipient"].as_str()?.to_owned() }),
        "sms_wrong_code" => Some(Event::SmsWrongCode),
        "sms_resent" => Some(Event::SmsResent),
        "sms_timeout" => {
            let deadline = e.detail["deadline"].as_i64().unwrap_or(e.at);
            let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(deadline.max(e.at)) * 1000)
                .ok()?;
            Some(Event::SmsTimeout { now })
        }
        "approved" => Some(Event::BureauApproved),
        "rejected" => Some(Event::BureauRejected),
        _ => None,
    }
}

impl App {
    /// The regulator seam, when one is configured.
    pub fn regulator(&self) -> Option<&RegulatorSeam> {
        self.inner.regulator.as_ref()
    }

    /// The same app talking to a regulator. Call it while building, before the app is shared.
    pub fn with_regulator(self, seam: RegulatorSeam) -> App {
        match Arc::try_unwrap(self.inner) {
            Ok(inner) => App { inner: Arc::new(crate::Inner { regulator: Some(seam), ..inner }) },
            Err(inner) => App { inner },
        }
    }

    /// Queues the delivery of an approved order, in the approval's transaction.
    pub(crate) async fn queue_delivery(&self, tx: &mut Tx, order_id: Uuid, version: i64) -> AppResult<()> {
        let now = self.now_us();
        let sid = submission_id(order_id, version);
        tx.enqueue(
            &NewJob {
                kind: DELIVER.into(),
                payload: json!({ "order_id": order_id, "submission_id": sid }).to_string(),
                run_at: now,
                max_attempts: DELIVER_MAX_ATTEMPTS,
                dedup_key: Some(format!("{DELIVER}:{sid}")),
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// The `deliver_to_regulator` job. Idempotent: an order no longer queued is left alone,
    /// and the submission id makes a repeated submit the same submission.
    pub(crate) async fn deliver_to_regulator(&self, payload: &str) -> anyhow::Result<()> {
        let p: JobPayload = serde_json::from_str(payload)?;
        let Some(row) = self.store().order(p.order_id).await? else { return Ok(()) };
        if row.state != OrderState::QueuedForRegulator.name() {
            return Ok(());
        }
        let sid = p.submission_id;
        let doc = self.decrypt_order(&row)?;
        // What MIIT's interface V3.0 carries goes there when it is configured.
        if self.miit().is_some() && crate::miit::outbound::fits(doc.order.kind, !doc.order.apps.is_empty()) {
            return self.miit_deliver(&row, &doc, &sid).await;
        }
        let seam = self.regulator().ok_or_else(|| anyhow::anyhow!("no regulator is configured"))?;
        let events = match seam.port.submit(&sid, &doc.order).await {
            Ok(events) => events,
            Err(RegulatorError::Unavailable(why)) => anyhow::bail!("regulator unavailable: {why}"),
            Err(RegulatorError::Refused { code, message }) => {
                // Retrying cannot help; a reviewer must look. The job dead-letters with the code.
                tracing::error!(order = %row.id, code = %code, "the regulator refused a submission");
                anyhow::bail!("regulator refused the submission: {code} {message}")
            }
        };
        let mut tx = self.store().begin().await?;
        tx.insert_regulator_link(&RegulatorLinkRow {
            submission_id: sid.clone(),
            order_id: row.id,
            applied_seq: 0,
            filing: None,
            created_at: self.now_us(),
        })
        .await?;
        tx.commit().await?;
        self.apply_regulator_events(&sid, &events).await?;
        Ok(())
    }

    /// The applicant's (or staff's) resend button: MIIT texts `recipient` a new code, within
    /// the original 24 hours.
    pub async fn resend_sms(
        &self,
        ctx: &crate::Ctx,
        order_id: Uuid,
        recipient: &str,
    ) -> AppResult<crate::OrderView> {
        let row = self.visible_order(ctx, order_id).await?;
        let state: OrderState = serde_json::from_str(&row.state_data)?;
        let OrderState::SmsPending { pending, .. } = &state else {
            return Err(AppError::conflict(
                "ORDER_NOT_SMS_PENDING",
                "订单不在短信核验阶段。",
                "The order is not waiting for SMS verification.",
            ));
        };
        if !pending.contains(recipient) {
            return Err(AppError::field(
                "recipient",
                "SMS_UNKNOWN_RECIPIENT",
                "此人不需要或已完成短信核验。",
                "This person has no pending code.",
            ));
        }
        let seam = self.regulator().ok_or(AppError::NotFound)?;
        let link = self.store().latest_regulator_link(order_id).await?.ok_or(AppError::NotFound)?;
        let events =
            seam.port.resend_sms(&link.submission_id, recipient).await.map_err(|e| regulator_problem(&e))?;
        self.apply_regulator_events(&link.submission_id, &events).await?;
        self.get_order(ctx, order_id, false).await
    }

    /// Fetches the order's events from the regulator and applies the new ones (the fallback
    /// when callbacks cannot reach this provider).
    pub async fn refresh_from_regulator(
        &self,
        ctx: &crate::Ctx,
        order_id: Uuid,
    ) -> AppResult<crate::OrderView> {
        self.visible_order(ctx, order_id).await?;
        self.poll_regulator(order_id).await?;
        self.get_order(ctx, order_id, false).await
    }

    /// Asks the regulator for the order's events and applies the new ones.
    pub async fn poll_regulator(&self, order_id: Uuid) -> AppResult<i64> {
        let seam = self.regulator().ok_or(AppError::NotFound)?;
        let link = self.store().latest_regulator_link(order_id).await?.ok_or(AppError::NotFound)?;
        let events = seam.port.events(&link.submission_id).await.map_err(|e| regulator_problem(&e))?;
        self.apply_regulator_events(&link.submission_id, &events).await
    }

    /// Applies regulator events to the order of `submission_id`: each once, in sequence order.
    /// Returns the last applied sequence number.
    pub async fn apply_regulator_events(&self, submission_id: &str, events: &[RegEvent]) -> AppResult<i64> {
        if crate::psb::is_psb_submission(submission_id) {
            return self.apply_psb_events(submission_id, events).await;
        }
        for _ in 0..5 {
            match self.try_apply(submission_id, events).await? {
                Some(seq) => return Ok(seq),
                None => continue,
            }
        }
        Err(AppError::conflict("REGULATOR_BUSY", "请稍后重试。", "Please retry."))
    }

    /// One attempt; `None` when a concurrent writer won and the caller should reload.
    async fn try_apply(&self, submission_id: &str, events: &[RegEvent]) -> AppResult<Option<i64>> {
        let link = self.store().regulator_link(submission_id).await?.ok_or(AppError::NotFound)?;
        let mut fresh: Vec<&RegEvent> = events.iter().filter(|e| e.seq > link.applied_seq).collect();
        fresh.sort_by_key(|e| e.seq);
        fresh.dedup_by_key(|e| e.seq);
        // Only a gap-free run continues the sequence; the regulator resends what follows a gap.
        let run: Vec<&RegEvent> = fresh
            .iter()
            .enumerate()
            .take_while(|(i, e)| e.seq == link.applied_seq + 1 + *i as i64)
            .map(|(_, e)| *e)
            .collect();
        let Some(last) = run.last().map(|e| e.seq) else { return Ok(Some(link.applied_seq)) };
        let row = self.store().order(link.order_id).await?.ok_or(AppError::NotFound)?;
        let kind: OrderKind = serde_json::from_value(serde_json::Value::String(row.kind.clone()))?;
        let doc = self.decrypt_order(&row)?;
        let mut state: OrderState = serde_json::from_str(&row.state_data)?;
        let before = state.name();
        let mut u = beian_store::OrderUpdate::from(&row);
        let now = self.now_us();
        let mut timeline = Vec::new();
        let mut notices = Vec::new();
        let mut filing: Option<Filing> = None;
        for e in &run {
            if e.kind == "approved" {
                filing = Some(self.filing_of(&doc.order, &e.detail));
            }
            if e.kind == "rejected" {
                u.review_findings = serde_json::to_string(&reasons_of(&e.detail))?;
            }
            if let Some(ev) = workflow_event(e, &state) {
                match transition(&state, &ev, Actor::Regulator, kind) {
                    Ok(next) => {
                        timeline.push((e, ev.name(), state.name(), next.name()));
                        state = next;
                    }
                    Err(err) => {
                        tracing::warn!(order = %row.id, seq = e.seq, kind = %e.kind, "regulator event not applicable: {}", err.code());
                    }
                }
            }
            if let Some(n) = notice_for(&self.config().base_url, row.id, &e.kind, &e.detail, filing.as_ref())
            {
                notices.push(n);
            }
        }
        u.state = state.name().to_owned();
        u.state_data = serde_json::to_string(&state)?;
        u.open = !state.is_terminal();
        u.updated_at = now;
        if state.name() != before {
            u.stage_since = now;
        }
        // Read before the transaction: on SQLite it holds the write lock, and a second
        // connection taken inside it could wait behind queued writers.
        let owner = self.store().account(row.owner_id).await?.ok_or(AppError::NotFound)?;
        let profile = match &filing {
            Some(_) => self.profile_setting().await?,
            None => None,
        };
        let mut tx = self.store().begin().await?;
        let filing_json = filing.as_ref().map(serde_json::to_string).transpose()?;
        if !tx.advance_regulator_link(submission_id, link.applied_seq, last, filing_json.as_deref()).await? {
            return Ok(None);
        }
        if !tx.update_order(row.id, row.version, &u).await? {
            return Ok(None);
        }
        for (e, event, from, to) in &timeline {
            tx.insert_order_event(&OrderEventRow {
                id: new_id(),
                order_id: row.id,
                at: e.at,
                actor_id: None,
                actor_role: "regulator".into(),
                event: (*event).into(),
                from_state: (*from).into(),
                to_state: (*to).into(),
                detail: json!({ "regulator_event": e.kind, "seq": e.seq, "detail": e.detail }).to_string(),
            })
            .await?;
        }
        tx.audit(
            &crate::service_audit(
                "regulator",
                "order.regulator_events",
                "order",
                row.id,
                json!({ "submission_id": submission_id, "through": last, "state": state.name() }),
            ),
            now,
        )
        .await?;
        if let Some(f) = &filing {
            self.record_subject_number(&mut tx, row.subject_id, f).await?;
            // Each filed website now has 30 days for its PSB filing: a draft to complete.
            self.create_psb_drafts(&mut tx, row.subject_id, row.id, &doc, f, profile.as_ref()).await?;
        }
        if !notices.is_empty() {
            for n in &notices {
                self.queue_email(&mut tx, &owner.email, n).await?;
                if let Some(text) = &n.sms {
                    self.queue_sms(&mut tx, &doc.order.subject.head.mobile, text).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(Some(last))
    }

    /// The filing from an `approved` event, with a footer for each website.
    fn filing_of(&self, order: &Order, detail: &serde_json::Value) -> Filing {
        let decision: Decision = serde_json::from_value(detail.clone()).unwrap_or_else(|e| {
            // The numbers are on record at the regulator; refresh brings them once it sends
            // a readable decision.
            tracing::error!("unreadable approval from the regulator: {e}");
            Decision::default()
        });
        let year = self.clock().today().year();
        let footers = decision
            .services
            .iter()
            .filter(|s| s.kind == ServiceKind::Website)
            .filter_map(|s| match beian_core::number::parse(&s.number).map(|p| p.number) {
                Ok(beian_core::number::Number::IcpFiling(n)) => Some((
                    s.number.clone(),
                    beian_core::footer::Footer::new(n, None, &order.subject.name, year).html(),
                )),
                _ => None,
            })
            .collect();
        Filing { decision, footers }
    }

    /// Writes the subject number onto the subject, so later orders are 新增网站 under it —
    /// or takes it off when the bureau cancelled the subject (注销主体).
    async fn record_subject_number(&self, tx: &mut Tx, subject_id: Uuid, f: &Filing) -> AppResult<()> {
        let Some(mut row) = tx.subject(subject_id).await? else { return Ok(()) };
        let f = &f.decision;
        let number = match (&f.subject_number, &row.filed_number) {
            (_, Some(on_file)) if f.cancelled.contains(on_file) => None,
            (Some(n), _) => Some(n.clone()),
            (None, _) => return Ok(()),
        };
        if row.filed_number == number {
            return Ok(());
        }
        let mut subject = self.decrypt_subject(&row)?;
        subject.existing_number = number.clone();
        row.data = self.keys().encrypt(&Self::subject_aad(subject_id), &serde_json::to_vec(&subject)?)?;
        row.filed_number = number;
        row.updated_at = self.now_us();
        let expected = row.version;
        if !tx.update_subject(&row, expected).await? {
            return Err(AppError::conflict("SUBJECT_CHANGED", "请重试。", "Please retry."));
        }
        Ok(())
    }

    /// The subject's services on file with this provider: everything issued for its orders,
    /// less what was cancelled or no longer has access here, with each website's newest scan.
    pub async fn filed_services(&self, subject_id: Uuid) -> AppResult<Vec<beian_core::rules::FiledService>> {
        let mut out: Vec<beian_core::rules::FiledService> = Vec::new();
        for text in self.store().subject_filings(subject_id).await? {
            let f = serde_json::from_str::<Filing>(&text)?.decision;
            for s in f.services {
                out.retain(|x| x.number != s.number);
                out.push(beian_core::rules::FiledService {
                    number: s.number,
                    kind: s.kind,
                    domains: s.domains,
                    reachable: None,
                    footer_ok: None,
                });
            }
            let gone = |n: &String| f.cancelled.contains(n) || f.empty_shells.contains(n);
            out.retain(|x| !gone(&x.number));
        }
        self.with_scan_results(subject_id, out).await
    }

    /// What the bureau issued for an order, when it has been approved.
    pub async fn order_filing(&self, order_id: Uuid) -> AppResult<Option<Filing>> {
        let link = self.store().latest_regulator_link(order_id).await?;
        Ok(link.and_then(|l| l.filing).map(|f| serde_json::from_str(&f)).transpose()?)
    }
}

/// A regulator failure as the API reports it.
pub fn regulator_problem(e: &RegulatorError) -> AppError {
    match e {
        RegulatorError::Unavailable(_) => AppError::conflict(
            "REGULATOR_UNAVAILABLE",
            "备案系统暂时不可用，请稍后重试。",
            "The filing system is unavailable; please retry later.",
        ),
        RegulatorError::Refused { .. } => AppError::conflict(
            "REGULATOR_REFUSED",
            "备案系统拒绝了该请求。",
            "The filing system refused the request.",
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recipients_are_named_in_words() {
        assert_eq!(super::recipient_label("subject.head"), "主体负责人 / head of the subject");
        assert_eq!(super::recipient_label("websites[1].head"), "网站2负责人 / head of website 2");
        assert_eq!(super::recipient_label("apps[0].head"), "APP1负责人 / head of app 1");
        assert_eq!(super::recipient_label("websites[x].head"), "websites[x].head");
    }
}
