//! The bureau console's API: sign in, the province's queue, a submission with PII masked,
//! approve (numbers issued) or reject with field-level reasons, and the empty shells to cancel.
//! Every decision is audited with the account that made it.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::message::Lang;
use beian_openapi::Op;
use beian_store::Uuid;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::bureau::{self, Account, BureauError, Desk, Reason};
use crate::http::{Incoming, Problem, internal, parse_json, problem, take};
use crate::service::Api;
use crate::service::Service;

/// The bureau's operations: signed in with the token of `login` (the default of the document).
pub(crate) fn operations(api: Api) -> Api {
    let op = |summary| Op::new("bureau", summary);
    api.op(
        "post",
        "/api/v1/bureau/login",
        post(login),
        op("Sign in (a bureau, PSB or admin account): a bearer token for eight hours")
            .public()
            .body::<LoginBody>()
            .returns::<LoginOut>(200),
    )
    .op(
        "get",
        "/api/v1/bureau/queue",
        get(queue),
        op("Submissions waiting for the account's province, oldest first")
            .returns::<Vec<bureau::QueueItem>>(200),
    )
    .op(
        "get",
        "/api/v1/bureau/submissions/{id}",
        get(review),
        op("One submission with PII masked, its events and the automatic checks")
            .returns::<bureau::Review>(200),
    )
    .op(
        "post",
        "/api/v1/bureau/submissions/{id}/approve",
        post(approve),
        op("Approve: numbers issued or records changed").returns::<crate::records::Decision>(200),
    )
    .op(
        "post",
        "/api/v1/bureau/submissions/{id}/reject",
        post(reject),
        op("Reject with field-level reasons").body::<RejectBody>().returns::<Rejected>(200),
    )
    .op(
        "get",
        "/api/v1/bureau/empty-shells",
        get(empty_shells),
        op("Numbers left without any access provider (空壳), to cancel").returns::<Vec<String>>(200),
    )
    .op(
        "post",
        "/api/v1/bureau/records/{number}/cancel",
        post(cancel_shell),
        op("Cancel an empty shell's number").returns::<Cancelled>(200),
    )
}

/// 429 for too many attempts in the window.
pub(crate) fn too_many(lang: Lang) -> Problem {
    problem(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "尝试次数过多，请15分钟后再试",
        "Too many attempts; try again in 15 minutes",
        lang,
    )
}

pub(crate) fn bureau_problem(e: &BureauError, lang: Lang) -> Problem {
    let p = |status, zh: &'static str, en: &'static str| problem(status, e.code(), zh, en, lang);
    match e {
        BureauError::BadLogin => {
            p(StatusCode::UNAUTHORIZED, "用户名或密码错误", "Wrong username or password")
        }
        BureauError::Unauthenticated => p(StatusCode::UNAUTHORIZED, "请先登录", "Sign in first"),
        BureauError::Forbidden => p(StatusCode::FORBIDDEN, "无权执行此操作", "This account may not do that"),
        BureauError::NotFound => p(StatusCode::NOT_FOUND, "没有这个提交", "No such submission"),
        BureauError::NotInReview(_) => p(
            StatusCode::CONFLICT,
            "该备案不在管局审核阶段（可能已被处理）",
            "The submission is not waiting for the bureau (it may have been decided)",
        ),
        BureauError::ReasonsRequired => Problem {
            field: Some("reasons".into()),
            ..p(
                StatusCode::UNPROCESSABLE_ENTITY,
                "驳回须写明至少一条原因（字段与说明）",
                "A rejection needs at least one reason (field and text)",
            )
        },
        BureauError::Record(r) => match r {
            crate::records::RecordError::UnknownNumber(n) => Problem {
                field: Some(n.clone().into()),
                ..p(
                    StatusCode::CONFLICT,
                    "备案号在备案库中不存在或状态不符",
                    "No filed record has this number",
                )
            },
            crate::records::RecordError::Unsupported(_) => {
                p(StatusCode::UNPROCESSABLE_ENTITY, "不支持的备案类型", "Unsupported order kind")
            }
            crate::records::RecordError::Issue(_) | crate::records::RecordError::Internal(_) => {
                internal(lang, e)
            }
        },
        BureauError::Internal(_) => internal(lang, e),
    }
}

impl Service {
    pub(crate) async fn signed_in(&self, headers: &HeaderMap, lang: Lang) -> Result<Account, Problem> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| bureau_problem(&BureauError::Unauthenticated, lang))?;
        self.store.session(token.trim(), self.now()).await.map_err(|e| bureau_problem(&e, lang))
    }

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
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

/// A signed-in account and its token.
#[derive(Serialize, JsonSchema)]
struct LoginOut {
    /// `Authorization: Bearer <token>` on every further request.
    token: String,
    username: String,
    role: bureau::Role,
    /// The account's province (two digits); none for every province.
    province: Option<String>,
}

/// The answer to a rejection.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Rejected {
    /// `rejected`.
    status: &'static str,
    reasons: Vec<Reason>,
}

/// The answer to an empty shell's cancellation.
#[derive(Serialize, JsonSchema)]
struct Cancelled {
    number: String,
    /// `cancelled`.
    status: &'static str,
}

async fn login(State(svc): State<Service>, req: Request) -> Response {
    let inner = async {
        let req = take(req).await?;
        let b: LoginBody = parse_json(&req.body, req.lang)?;
        if b.username.len() > 64 || b.password.len() > 256 {
            return Err(bureau_problem(&BureauError::BadLogin, req.lang));
        }
        let now = svc.now();
        let allowed = svc
            .store
            .allow_login(&b.username, req.ip.as_deref(), now)
            .await
            .map_err(|e| internal(req.lang, &e))?;
        if !allowed {
            return Err(too_many(req.lang));
        }
        let (token, who) = svc
            .store
            .login(&b.username, &b.password, svc.now())
            .await
            .map_err(|e| bureau_problem(&e, req.lang))?;
        svc.audited(&req, &who, "bureau.login", who.id.to_string(), "OK").await;
        Ok::<_, Problem>(
            axum::Json(LoginOut {
                token,
                username: who.username,
                role: who.role,
                province: who.province.map(|p| p.to_string()),
            })
            .into_response(),
        )
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
}

async fn queue(State(svc): State<Service>, req: Request) -> Response {
    let inner = async {
        let req = take(req).await?;
        let who = svc.signed_in(&req.headers, req.lang).await?;
        let items =
            svc.store.bureau_queue(&svc.keys, &who).await.map_err(|e| bureau_problem(&e, req.lang))?;
        Ok::<_, Problem>(axum::Json(items).into_response())
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
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
}

async fn review(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let inner = async {
        let (req, who, id) = svc.on_submission(id, req).await?;
        let r = svc.store.review(&svc.keys, &who, id).await.map_err(|e| bureau_problem(&e, req.lang))?;
        svc.audited(&req, &who, "bureau.view", id.to_string(), "OK").await;
        Ok::<_, Problem>(axum::Json(r).into_response())
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
}

async fn approve(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let inner = async {
        let (req, who, id) = svc.on_submission(id, req).await?;
        let decision =
            svc.approve_as(&who, id, Some(&req)).await.map_err(|e| bureau_problem(&e, req.lang))?;
        Ok::<_, Problem>(axum::Json(decision).into_response())
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
}

impl Service {
    /// Approves in one transaction with its audit entry (the console, and the demo policy).
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
        self.commit_audited(tx, who, "bureau.approve", id.to_string(), &ip).await?;
        Ok(decision)
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

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RejectBody {
    /// At least one.
    #[schemars(length(min = 1))]
    reasons: Vec<Reason>,
}

async fn reject(
    State(svc): State<Service>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    svc.reject_at(Desk::Bureau, "bureau.reject", id, req).await
}

impl Service {
    /// A rejection with field-level reasons at either desk, audited in its transaction.
    pub(crate) async fn reject_at(
        &self,
        desk: Desk,
        action: &str,
        id: Result<Path<String>, PathRejection>,
        req: Request,
    ) -> Response {
        let inner = async {
            let (req, who, id) = self.on_submission(id, req).await?;
            let b: RejectBody = parse_json(&req.body, req.lang)?;
            let now = self.now();
            let mut tx = self.store.begin().await.map_err(|e| internal(req.lang, &e))?;
            bureau::reject(&mut tx, &self.keys, &who, desk, id, &b.reasons, now)
                .await
                .map_err(|e| bureau_problem(&e, req.lang))?;
            self.commit_audited(tx, &who, action, id.to_string(), &req.ip)
                .await
                .map_err(|e| internal(req.lang, &e))?;
            Ok::<_, Problem>(axum::Json(Rejected { status: "rejected", reasons: b.reasons }).into_response())
        };
        inner.await.unwrap_or_else(IntoResponse::into_response)
    }
}

async fn empty_shells(State(svc): State<Service>, req: Request) -> Response {
    let inner = async {
        let req = take(req).await?;
        let who = svc.signed_in(&req.headers, req.lang).await?;
        if !matches!(who.role, bureau::Role::Bureau | bureau::Role::Admin) {
            return Err(bureau_problem(&BureauError::Forbidden, req.lang));
        }
        let list = svc.store.empty_shells(who.province).await.map_err(|e| internal(req.lang, &e))?;
        Ok::<_, Problem>(axum::Json(list).into_response())
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
}

async fn cancel_shell(
    State(svc): State<Service>,
    number: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let inner = async {
        let req = take(req).await?;
        let who = svc.signed_in(&req.headers, req.lang).await?;
        if !matches!(who.role, bureau::Role::Bureau | bureau::Role::Admin) {
            return Err(bureau_problem(&BureauError::Forbidden, req.lang));
        }
        let number = number.map(|p| p.0).unwrap_or_default();
        let mut tx = svc.store.begin().await.map_err(|e| internal(req.lang, &e))?;
        crate::records::cancel_empty_shell(&mut tx, &number, who.province)
            .await
            .map_err(|e| bureau_problem(&BureauError::Record(e), req.lang))?;
        svc.commit_audited(tx, &who, "bureau.cancel_empty_shell", number.clone(), &req.ip)
            .await
            .map_err(|e| internal(req.lang, &e))?;
        Ok::<_, Problem>(axum::Json(Cancelled { number, status: "cancelled" }).into_response())
    };
    inner.await.unwrap_or_else(IntoResponse::into_response)
}
