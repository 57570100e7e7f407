//! The provider API over HTTP: `/api/v1/submissions` (submit, status, withdraw, SMS resend)
//! and `/api/v1/psb/submissions`, every request signed with the provider's key (`beian-seam`)
//! and its nonce recorded in the database.
//!
//! A refused request answers `application/problem+json` with a stable code and writes an audit
//! entry (provider as claimed, path, code, peer address); an accepted one writes its audit
//! entry in the transaction of its effect. This module must never answer before the nonce is
//! recorded, and never echo a submission body (it carries PII).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::message::Lang;
use beian_core::model::Order;
use beian_openapi::Op;
use beian_seam::{
    HEADER_NONCE, HEADER_PROVIDER, HEADER_SIGNATURE, HEADER_TIMESTAMP, Received, SeamError, verify_signature,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::events;
use crate::http::{Incoming, Problem, internal, parse_json, problem, problem_with, take, verify_problem};
use crate::providers::{Provider, record_nonce};
use crate::service::Api;
use crate::service::Service;
use crate::submissions::{self, Intake, Submission, SubmissionError};
use crate::verification;

/// The provider API's operations: every one signed by the provider (`seam`).
pub(crate) fn operations(api: Api) -> Api {
    const SEAM: &[&str] = &["seam"];
    let op = |summary| Op::new("provider", summary).security(SEAM);
    api.op(
        "post",
        "/api/v1/submissions",
        post(submit),
        op("Submit an order to the bureau: 201 when new, 200 with the same submission for a retry of the same body")
            .body::<SubmitBody>()
            .returns::<SubmissionOut>(201)
            .returns::<SubmissionOut>(200),
    )
    .op(
        "get",
        "/api/v1/submissions/{submission_id}",
        get(status),
        op("A submission by the provider's own id, with every event so far").returns::<SubmissionOut>(200),
    )
    .op(
        "post",
        "/api/v1/submissions/{submission_id}/withdraw",
        post(withdraw),
        op("Withdraw a submission not yet decided").returns::<SubmissionOut>(200),
    )
    .op(
        "post",
        "/api/v1/submissions/{submission_id}/sms/resend",
        post(resend),
        op("Text a person's code again (the 24-hour window is not extended)")
            .body::<ResendBody>()
            .returns::<SubmissionOut>(200),
    )
    .op(
        "post",
        "/api/v1/psb/submissions",
        post(submit_psb),
        op("Submit a public-security (公安) filing of a filed website: 201 when new, 200 for a retry")
            .body::<PsbSubmitBody>()
            .returns::<SubmissionOut>(201)
            .returns::<SubmissionOut>(200),
    )
}

fn seam_problem(e: &SeamError, lang: Lang) -> Problem {
    let key = match e {
        SeamError::Malformed => "problem.seam.malformed",
        SeamError::UnknownProvider => "problem.seam.unknown_provider",
        SeamError::StaleTimestamp => "problem.seam.stale_timestamp",
        SeamError::BadSignature => "problem.seam.bad_signature",
        SeamError::Replayed => "problem.seam.replayed",
    };
    let status = if *e == SeamError::Replayed { StatusCode::CONFLICT } else { StatusCode::UNAUTHORIZED };
    problem(status, e.code(), key, lang)
}

fn submission_problem(e: &SubmissionError, lang: Lang) -> Problem {
    let p = |status, key: &str| problem(status, e.code(), key, lang);
    match e {
        SubmissionError::InvalidId => Problem {
            field: Some("submission_id".into()),
            ..p(StatusCode::UNPROCESSABLE_ENTITY, "problem.submission.invalid_id")
        },
        SubmissionError::Conflict => p(StatusCode::CONFLICT, "problem.submission.conflict"),
        SubmissionError::NotFound => p(StatusCode::NOT_FOUND, "problem.submission.not_found"),
        SubmissionError::Final(_) => p(StatusCode::CONFLICT, "problem.submission.final"),
        SubmissionError::Crypto(_) | SubmissionError::Corrupt(_) | SubmissionError::Store(_) => {
            internal(lang, e)
        }
    }
}

/// A request whose signature and nonce checked out, with its transaction open: the nonce is
/// recorded in it, so the request's effect and the nonce commit together.
struct Authenticated {
    provider: Provider,
    tx: beian_store::Tx,
}

impl Service {
    async fn authenticate(&self, req: &Incoming, action: &str) -> Result<Authenticated, Problem> {
        let h = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let got = Received {
            provider: h(HEADER_PROVIDER),
            timestamp: h(HEADER_TIMESTAMP),
            nonce: h(HEADER_NONCE),
            signature: h(HEADER_SIGNATURE),
        };
        let claimed = got.provider.unwrap_or("").chars().take(64).collect::<String>();
        let found = match got.provider {
            Some(code) => self.store.provider(code).await.map_err(|e| internal(req.lang, &e))?,
            None => None,
        };
        let now_secs = self.now().div_euclid(1_000_000);
        let verified = verify_signature(&got, req.method.as_str(), &req.path, &req.body, now_secs, |_| {
            found.as_ref().map(|(_, k)| k)
        });
        let mut tx = self.store.begin().await.map_err(|e| internal(req.lang, &e))?;
        let refusal = match verified {
            Err(e) => Some(e),
            Ok(v) => match record_nonce(&mut tx, &v.provider, &v.nonce, v.timestamp).await {
                Ok(true) => None,
                Ok(false) => Some(SeamError::Replayed),
                Err(e) => return Err(internal(req.lang, &e)),
            },
        };
        match (refusal, found) {
            (None, Some((provider, _))) => Ok(Authenticated { provider, tx }),
            (refusal, _) => {
                // Nothing else was written in this transaction: it carries only the audit entry.
                let e = refusal.unwrap_or(SeamError::UnknownProvider);
                let entry = self.entry(&claimed, action, Some(req.path.clone()), e.code(), &req.ip);
                audit::record(&mut tx, &entry).await.map_err(|e| internal(req.lang, &e))?;
                tx.commit().await.map_err(|e| internal(req.lang, &e))?;
                tracing::warn!(provider = %claimed, code = e.code(), "refused a signed request");
                Err(seam_problem(&e, req.lang))
            }
        }
    }

    /// Forgets nonces whose signed timestamp is so old that a replay would be refused as
    /// stale anyway; the table stays the size of a few minutes of traffic. Run periodically.
    pub async fn prune_nonces(&self) -> Result<u64, beian_store::StoreError> {
        let before = self.now().div_euclid(1_000_000) - 2 * beian_seam::MAX_SKEW_SECS;
        let mut tx = self.store.begin().await?;
        let n = crate::providers::prune_nonces(&mut tx, before).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Writes the success audit entry and commits.
    async fn finish(
        &self,
        mut a: Authenticated,
        req: &Incoming,
        action: &str,
        object: String,
    ) -> Result<(), Problem> {
        let entry = self.entry(&a.provider.code, action, Some(object), "OK", &req.ip);
        audit::record(&mut a.tx, &entry).await.map_err(|e| internal(req.lang, &e))?;
        a.tx.commit().await.map_err(|e| internal(req.lang, &e))
    }
}

/// The body of `POST /api/v1/submissions`: the provider's id for it and the order, in the
/// same JSON form as the provider's own API (`docs/order.schema.json`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    submission_id: String,
    order: Order,
}

/// A submission as the provider sees it.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Submission")]
struct SubmissionOut<'a> {
    id: String,
    submission_id: &'a str,
    province: String,
    status: &'static str,
    #[serde(with = "beian_seam::wire::times::rfc3339")]
    #[schemars(schema_with = "beian_seam::wire::times::schema")]
    received_at: i64,
    #[serde(with = "beian_seam::wire::times::rfc3339")]
    #[schemars(schema_with = "beian_seam::wire::times::schema")]
    updated_at: i64,
    /// Every step so far, oldest first (the same events the callbacks carry).
    events: Vec<crate::events::Event>,
}

impl Service {
    async fn out(&self, s: &Submission, lang: Lang) -> Result<Response, Problem> {
        let events = self.store.events(s.id, 0).await.map_err(|e| internal(lang, &e))?;
        Ok(axum::Json(SubmissionOut {
            id: s.id.to_string(),
            submission_id: &s.submission_id,
            province: s.province.to_string(),
            status: s.status.as_str(),
            received_at: s.received_at,
            updated_at: s.updated_at,
            events,
        })
        .into_response())
    }
}

async fn submit(State(svc): State<Service>, req: Request) -> Result<Response, Problem> {
    submit_inner(&svc, req).await
}

async fn submit_inner(svc: &Service, req: Request) -> Result<Response, Problem> {
    let req = take(req).await?;
    let mut a = svc.authenticate(&req, "submission.receive").await?;
    let body: SubmitBody = parse_json(&req.body, req.lang)?;
    if !crate::records::supported(body.order.kind) {
        return Err(Problem {
            field: Some("order.kind".into()),
            ..problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ORDER_KIND_UNSUPPORTED",
                "problem.order_kind_unsupported",
                req.lang,
            )
        });
    }
    let province = body.order.province;
    let now = svc.now();
    let intake = svc
        .receive(&mut a, &req, &body.submission_id, submissions::SubmissionKind::Icp, province, now)
        .await?;
    if let Intake::Created(id) = intake {
        crate::intake::start_icp(&mut a.tx, &svc.keys, id, &body.order, &svc.verify_url(), now)
            .await
            .map_err(|e| match e {
                crate::intake::StartError::Verify(e) => verify_problem(&e, req.lang),
                crate::intake::StartError::Submission(e) => submission_problem(&e, req.lang),
                crate::intake::StartError::Store(e) => internal(req.lang, &e),
            })?;
    }
    svc.received(a, &req, "submission.receive", intake, &body.submission_id).await
}

impl Service {
    /// Takes a submission's body into the intake (ICP or PSB alike): new, or a retry of one
    /// already received; a changed body under the same id is refused.
    async fn receive(
        &self,
        a: &mut Authenticated,
        req: &Incoming,
        submission_id: &str,
        kind: submissions::SubmissionKind,
        province: beian_core::province::ProvinceCode,
        now: i64,
    ) -> Result<Intake, Problem> {
        submissions::receive(
            &mut a.tx,
            &self.keys,
            a.provider.id,
            submission_id,
            kind,
            province,
            &req.body,
            now,
        )
        .await
        .map_err(|e| submission_problem(&e, req.lang))
    }

    /// Commits an intake with its audit entry and answers with the submission: 201 when it
    /// is new, 200 for a retry.
    async fn received(
        &self,
        a: Authenticated,
        req: &Incoming,
        action: &str,
        intake: Intake,
        submission_id: &str,
    ) -> Result<Response, Problem> {
        let provider_id = a.provider.id;
        self.finish(a, req, action, intake.id().to_string()).await?;
        let s = self
            .store
            .submission(provider_id, submission_id)
            .await
            .map_err(|e| submission_problem(&e, req.lang))?
            .ok_or_else(|| internal(req.lang, &"submission vanished after commit"))?;
        let mut resp = self.out(&s, req.lang).await?;
        if matches!(intake, Intake::Created(_)) {
            *resp.status_mut() = StatusCode::CREATED;
        }
        Ok(resp)
    }
}

/// The body of `POST /api/v1/psb/submissions`: the provider's id for it and the PSB
/// application (`docs/psb.schema.json`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PsbSubmitBody {
    submission_id: String,
    application: beian_core::psb::PsbApplication,
}

async fn submit_psb(State(svc): State<Service>, req: Request) -> Result<Response, Problem> {
    submit_psb_inner(&svc, req).await
}

/// A PSB application: checked by the PSB rules and against the ICP records, then straight to
/// the officers of its filing area's province (no SMS round).
async fn submit_psb_inner(svc: &Service, req: Request) -> Result<Response, Problem> {
    let req = take(req).await?;
    let mut a = svc.authenticate(&req, "psb.receive").await?;
    let body: PsbSubmitBody = parse_json(&req.body, req.lang)?;
    let now = svc.now();
    let today = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1_000_000))
        .map(|t| t.to_offset(time::macros::offset!(+8)).date())
        .map_err(|e| internal(req.lang, &e))?;
    let findings = beian_core::rules::check_psb(&body.application, today);
    if let Some(f) = findings.iter().find(|f| f.severity == beian_core::policy::Severity::Error) {
        // The rule's own words (the core's catalogue), after its code.
        let message = req.lang.pick(&f.message.zh, &f.message.en);
        return Err(Problem {
            field: Some(format!("application.{}", f.field).into()),
            ..problem_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                "PSB_APPLICATION_INVALID",
                "problem.psb_application_invalid",
                &[("code", f.code.to_string()), ("message", message.to_owned())],
                req.lang,
            )
        });
    }
    let refusal = svc.store.psb_intake_check(&body.application).await.map_err(|e| internal(req.lang, &e))?;
    if let Some(r) = refusal {
        let (code, field, key) = match r {
            crate::psb::IntakeRefusal::IcpNotFiled => {
                ("PSB_ICP_NOT_FILED", "application.icp_number", "problem.psb_icp_not_filed")
            }
            crate::psb::IntakeRefusal::AreaInvalid => {
                ("PSB_AREA_INVALID", "application.filing_area", "problem.psb_area_invalid")
            }
        };
        return Err(Problem {
            field: Some(field.into()),
            ..problem(StatusCode::UNPROCESSABLE_ENTITY, code, key, req.lang)
        });
    }
    let province = crate::psb::province_of(&body.application)
        .ok_or_else(|| internal(req.lang, &"province checked at intake"))?;
    let intake = svc
        .receive(&mut a, &req, &body.submission_id, submissions::SubmissionKind::Psb, province, now)
        .await?;
    if let Intake::Created(id) = intake {
        events::append(&mut a.tx, id, "psb_review", serde_json::json!({}), now)
            .await
            .map_err(|e| internal(req.lang, &e))?;
    }
    svc.received(a, &req, "psb.receive", intake, &body.submission_id).await
}

/// The caller's submission by its own id, read in the request's transaction (it holds the
/// write lock on SQLite); another provider's is not found.
async fn own_submission(a: &mut Authenticated, sid: &str, lang: Lang) -> Result<Submission, Problem> {
    submissions::find(&mut a.tx, a.provider.id, sid)
        .await
        .map_err(|e| submission_problem(&e, lang))?
        .ok_or_else(|| submission_problem(&SubmissionError::NotFound, lang))
}

async fn status(
    State(svc): State<Service>,
    sid: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    // An id that does not even decode names nothing: the lookup of "" answers 404.
    let sid = sid.map(|p| p.0).unwrap_or_default();
    let req = take(req).await?;
    let mut a = svc.authenticate(&req, "submission.status").await?;
    let s = own_submission(&mut a, &sid, req.lang).await?;
    svc.finish(a, &req, "submission.status", s.id.to_string()).await?;
    svc.out(&s, req.lang).await
}

async fn withdraw(
    State(svc): State<Service>,
    sid: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    // An id that does not even decode names nothing: the lookup of "" answers 404.
    let sid = sid.map(|p| p.0).unwrap_or_default();
    let req = take(req).await?;
    let mut a = svc.authenticate(&req, "submission.withdraw").await?;
    let now = svc.now();
    let (s, withdrawn_now) = submissions::withdraw(&mut a.tx, a.provider.id, &sid, now)
        .await
        .map_err(|e| submission_problem(&e, req.lang))?;
    if withdrawn_now {
        verification::close(&mut a.tx, s.id).await.map_err(|e| internal(req.lang, &e))?;
        events::append(&mut a.tx, s.id, "withdrawn", serde_json::json!({}), now)
            .await
            .map_err(|e| internal(req.lang, &e))?;
    }
    svc.finish(a, &req, "submission.withdraw", s.id.to_string()).await?;
    svc.out(&s, req.lang).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResendBody {
    /// The person's JSON path in the order (`subject.head`).
    recipient: String,
}

async fn resend(
    State(svc): State<Service>,
    sid: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let sid = sid.map(|p| p.0).unwrap_or_default();
    let req = take(req).await?;
    let mut a = svc.authenticate(&req, "submission.sms_resend").await?;
    let body: ResendBody = parse_json(&req.body, req.lang)?;
    let s = own_submission(&mut a, &sid, req.lang).await?;
    let now = svc.now();
    verification::resend(&mut a.tx, &svc.keys, s.id, &body.recipient, &svc.verify_url(), now)
        .await
        .map_err(|e| verify_problem(&e, req.lang))?;
    svc.finish(a, &req, "submission.sms_resend", s.id.to_string()).await?;
    svc.out(&s, req.lang).await
}
