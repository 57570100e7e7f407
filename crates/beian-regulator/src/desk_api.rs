//! The decision desks' API, one set of handlers for both desks — the provincial bureau deciding
//! ICP submissions and a PSB officer deciding PSB applications: the province's queue, one item
//! with PII masked (the view audited), approve, and reject with field-level reasons, each
//! decision audited in its own transaction. `bureau_api` and `psb_api` register these under
//! their paths; what differs by desk (which query, which decision, the audit action's name) is
//! chosen here by [`Desk`], so a fix to one desk is never missing from the other.
//!
//! It must not decide anything itself: the rules of a decision are in `bureau` and `psb`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::message::Lang;
use beian_store::Uuid;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::bureau::{self, Account, BureauError, Desk, Reason};
use crate::http::{Incoming, Problem, internal, parse_json, problem, take};
use crate::service::Service;

/// A rejection's body.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RejectBody {
    /// At least one.
    #[schemars(length(min = 1))]
    reasons: Vec<Reason>,
}

/// The answer to a rejection.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Rejected {
    /// `rejected`.
    status: &'static str,
    reasons: Vec<Reason>,
}

/// The name a desk's actions carry in the audit log (`bureau.view`, `psb.approve`).
fn action(desk: Desk, verb: &str) -> String {
    let desk = match desk {
        Desk::Bureau => "bureau",
        Desk::Psb => "psb",
    };
    format!("{desk}.{verb}")
}

/// `GET …/queue`: what waits for the account's province at `desk`, oldest first.
pub(crate) async fn queue(svc: &Service, desk: Desk, req: Request) -> Result<Response, Problem> {
    let req = take(req).await?;
    let who = svc.signed_in(&req.headers, req.lang).await?;
    let items = match desk {
        Desk::Bureau => svc.store.bureau_queue(&svc.keys, &who).await,
        Desk::Psb => svc.store.psb_queue(&svc.keys, &who).await,
    };
    let items = items.map_err(|e| bureau_problem(&e, req.lang))?;
    Ok(axum::Json(items).into_response())
}

/// `GET …/{id}`: one submission or application with PII masked; the view is audited.
pub(crate) async fn review(
    svc: &Service,
    desk: Desk,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let (req, who, id) = svc.on_submission(id, req).await?;
    let found = match desk {
        Desk::Bureau => svc.store.review(&svc.keys, &who, id).await.map(|r| axum::Json(r).into_response()),
        Desk::Psb => svc.store.psb_review(&svc.keys, &who, id).await.map(|r| axum::Json(r).into_response()),
    };
    let page = found.map_err(|e| bureau_problem(&e, req.lang))?;
    svc.audited(&req, &who, &action(desk, "view"), id.to_string(), "OK").await;
    Ok(page)
}

/// `POST …/{id}/approve`: numbers issued (or records changed) by the bureau, a PSB number by
/// the officer.
pub(crate) async fn approve(
    svc: &Service,
    desk: Desk,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let (req, who, id) = svc.on_submission(id, req).await?;
    let decided = match desk {
        Desk::Bureau => svc.approve_as(&who, id, Some(&req)).await.map(|d| axum::Json(d).into_response()),
        Desk::Psb => svc.approve_psb_as(&who, id, Some(&req)).await.map(|d| axum::Json(d).into_response()),
    };
    decided.map_err(|e| bureau_problem(&e, req.lang))
}

/// `POST …/{id}/reject`: a rejection with field-level reasons, audited in its transaction.
pub(crate) async fn reject(
    svc: &Service,
    desk: Desk,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Result<Response, Problem> {
    let (req, who, id) = svc.on_submission(id, req).await?;
    let b: RejectBody = parse_json(&req.body, req.lang)?;
    let now = svc.now();
    let mut tx = svc.store.begin().await.map_err(|e| internal(req.lang, &e))?;
    bureau::reject(&mut tx, &svc.keys, &who, desk, id, &b.reasons, now)
        .await
        .map_err(|e| bureau_problem(&e, req.lang))?;
    svc.commit_audited(tx, &who, &action(desk, "reject"), id.to_string(), &req.ip)
        .await
        .map_err(|e| internal(req.lang, &e))?;
    Ok(axum::Json(Rejected { status: "rejected", reasons: b.reasons }).into_response())
}

impl Service {
    /// What every action on one submission starts with: the request, the signed-in account,
    /// and the submission id (an id that does not parse names nothing: 404).
    pub(crate) async fn on_submission(
        &self,
        id: Result<Path<String>, PathRejection>,
        req: Request,
    ) -> Result<(Incoming, Account, Uuid), Problem> {
        let req = take(req).await?;
        let who = self.signed_in(&req.headers, req.lang).await?;
        let id = id
            .ok()
            .and_then(|p| p.0.parse().ok())
            .ok_or_else(|| bureau_problem(&BureauError::NotFound, req.lang))?;
        Ok((req, who, id))
    }

    /// Approves a submission in one transaction with its audit entry (the console, and the
    /// demo policy).
    pub(crate) async fn approve_as(
        &self,
        who: &Account,
        id: Uuid,
        req: Option<&Incoming>,
    ) -> Result<crate::records::Decision, BureauError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let decision = bureau::approve(&mut tx, &self.keys, who, id, now).await?;
        let ip = req.and_then(|r| r.ip.clone());
        self.commit_audited(tx, who, &action(Desk::Bureau, "approve"), id.to_string(), &ip).await?;
        Ok(decision)
    }

    /// Approves a PSB application in one transaction with its audit entry (the officer, and
    /// the demo policy).
    pub(crate) async fn approve_psb_as(
        &self,
        who: &Account,
        id: Uuid,
        req: Option<&Incoming>,
    ) -> Result<crate::psb::PsbDecision, BureauError> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let decision = crate::psb::approve(&mut tx, &self.keys, who, id, now).await?;
        let ip = req.and_then(|r| r.ip.clone());
        self.commit_audited(tx, who, &action(Desk::Psb, "approve"), id.to_string(), &ip).await?;
        Ok(decision)
    }
}

/// A desk's error as the problem document it answers with.
pub(crate) fn bureau_problem(e: &BureauError, lang: Lang) -> Problem {
    let p = |status, key: &str| problem(status, e.code(), key, lang);
    match e {
        BureauError::BadLogin => p(StatusCode::UNAUTHORIZED, "problem.bureau.bad_login"),
        BureauError::Unauthenticated => p(StatusCode::UNAUTHORIZED, "problem.bureau.unauthenticated"),
        BureauError::Forbidden => p(StatusCode::FORBIDDEN, "problem.bureau.forbidden"),
        BureauError::NotFound => p(StatusCode::NOT_FOUND, "problem.bureau.not_found"),
        BureauError::NotInReview(_) => p(StatusCode::CONFLICT, "problem.bureau.not_in_review"),
        BureauError::ReasonsRequired => Problem {
            field: Some("reasons".into()),
            ..p(StatusCode::UNPROCESSABLE_ENTITY, "problem.bureau.reasons_required")
        },
        BureauError::Record(r) => match r {
            crate::records::RecordError::UnknownNumber(n) => Problem {
                field: Some(n.clone().into()),
                ..p(StatusCode::CONFLICT, "problem.record.unknown_number")
            },
            crate::records::RecordError::Unsupported(_) => {
                p(StatusCode::UNPROCESSABLE_ENTITY, "problem.record.unsupported")
            }
            crate::records::RecordError::Issue(_) | crate::records::RecordError::Internal(_) => {
                internal(lang, e)
            }
        },
        BureauError::Internal(_) => internal(lang, e),
    }
}

impl Service {
    /// The desk account a request signs in with (`Authorization: Bearer`, from `login`).
    pub(crate) async fn signed_in(&self, headers: &HeaderMap, lang: Lang) -> Result<Account, Problem> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| bureau_problem(&BureauError::Unauthenticated, lang))?;
        self.store.session(token.trim(), self.now()).await.map_err(|e| bureau_problem(&e, lang))
    }

    /// Records an action that changes nothing (a view, a sign-in) in its own transaction; a
    /// failed write is logged, never shown.
    pub(crate) async fn audited(
        &self,
        req: &Incoming,
        who: &Account,
        action: &str,
        object: String,
        outcome: &str,
    ) {
        let entry = self.entry(&who.username, action, Some(object), outcome, &req.ip);
        let write = async {
            let mut tx = self.store.begin().await?;
            audit::record(&mut tx, &entry).await?;
            tx.commit().await
        };
        if let Err(e) = write.await {
            tracing::error!("audit write failed: {e}");
        }
    }

    /// Writes the decision's audit entry into its transaction and commits both.
    pub(crate) async fn commit_audited(
        &self,
        mut tx: beian_store::Tx,
        who: &Account,
        action: &str,
        object: String,
        ip: &Option<String>,
    ) -> Result<(), beian_store::StoreError> {
        audit::record(&mut tx, &self.entry(&who.username, action, Some(object), "OK", ip)).await?;
        tx.commit().await
    }
}
