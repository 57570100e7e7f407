//! Accounts: registration, sign-in and out, password reset and change, API tokens. The handlers
//! extract, call one use case and render; `operations` registers them with their OpenAPI
//! description.

use super::*;

pub async fn register(State(s): State<AppState>, c: Caller, JsonBody(a): JsonBody<NewAccount>) -> ApiResult {
    let p = s.app.auth().register(&c.ctx, a).await?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// A signed-in session: send `csrf_token` as `X-CSRF-Token` on unsafe requests.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct LoginResponse {
    account: beian_app::Principal,
    csrf_token: String,
}

pub async fn login(State(s): State<AppState>, c: Caller, JsonBody(b): JsonBody<LoginBody>) -> ApiResult {
    let session = s.app.auth().login(&c.ctx, &b.email, &b.password).await?;
    let max_age = (session.expires_at - s.app.clock().now()).whole_seconds().max(0);
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}",
        session.token
    );
    let mut r =
        Json(LoginResponse { account: session.principal, csrf_token: session.csrf_token }).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::from(AppError::Internal(e.into())))?,
    );
    Ok(r)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestBody {
    email: String,
}

/// Always 204, whether or not the address has an account.
pub async fn request_password_reset(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<ResetRequestBody>,
) -> ApiResult {
    s.app.auth().request_password_reset(&c.ctx, &b.email).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmBody {
    /// The token from the e-mailed link.
    token: String,
    password: String,
}

pub async fn reset_password(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<ResetConfirmBody>,
) -> ApiResult {
    s.app.auth().reset_password(&c.ctx, &b.token, &b.password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn logout(State(s): State<AppState>, c: Caller, headers: HeaderMap) -> ApiResult {
    if let Some(token) = session_cookie(&headers) {
        s.app.auth().logout(&c.ctx, &token).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("beian_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(r)
}

pub async fn me(c: Caller) -> ApiResult {
    ok(c.ctx.principal()?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    name: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<TokenBody>,
) -> ApiResult {
    let t = s.app.auth().create_api_token(&c.ctx, &b.name).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

pub async fn list_tokens(State(s): State<AppState>, c: Caller) -> ApiResult {
    ok(s.app.auth().list_api_tokens(&c.ctx).await?)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// The language your e-mail comes in.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageBody {
    lang: MailLang,
}

#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum MailLang {
    Zh,
    En,
}

pub async fn set_language(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<LanguageBody>,
) -> ApiResult {
    let lang = match b.lang {
        MailLang::Zh => beian_core::message::Lang::Zh,
        MailLang::En => beian_core::message::Lang::En,
    };
    s.app.auth().set_language(&c.ctx, lang).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn change_password(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(b): JsonBody<PasswordBody>,
) -> ApiResult {
    s.app.auth().change_password(&c.ctx, &b.current_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn revoke_token(State(s): State<AppState>, c: Caller, Id(id): Id) -> ApiResult {
    s.app.auth().revoke_api_token(&c.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// This tag's operations, with their OpenAPI description.
pub(super) fn operations(api: Api) -> Api {
    api.op(
        "post",
        "/auth/register",
        post(register),
        Op::new("accounts", "Register an applicant account")
            .public()
            .body::<NewAccount>()
            .returns::<Principal>(201),
    )
    .op(
        "post",
        "/auth/login",
        post(login),
        Op::new("accounts", "Sign in; sets the session cookie")
            .public()
            .body::<LoginBody>()
            .returns::<LoginResponse>(200),
    )
    .op(
        "post",
        "/auth/logout",
        post(logout),
        Op::new("accounts", "Sign out (without a session: nothing to do, 204 too)").public().no_content(),
    )
    .op(
        "post",
        "/auth/password-reset",
        post(request_password_reset),
        Op::new(
            "accounts",
            "E-mail a password-reset link (the same answer whether or not the address is registered)",
        )
        .public()
        .body::<ResetRequestBody>()
        .no_content(),
    )
    .op(
        "post",
        "/auth/password-reset/confirm",
        post(reset_password),
        Op::new(
            "accounts",
            "Set a new password with the e-mailed token (once, within the hour; ends every session)",
        )
        .public()
        .body::<ResetConfirmBody>()
        .no_content(),
    )
    .op("get", "/me", get(me), Op::new("accounts", "The signed-in account").returns::<Principal>(200))
    .op(
        "post",
        "/tokens",
        post(create_token),
        Op::new("accounts", "Create an API token (shown once)")
            .body::<TokenBody>()
            .returns::<CreatedToken>(201),
    )
    .op(
        "get",
        "/tokens",
        get(list_tokens),
        Op::new("accounts", "Your API tokens (without secrets)")
            .returns::<Vec<beian_app::auth::TokenInfo>>(200),
    )
    .op(
        "post",
        "/me/password",
        post(change_password),
        Op::new("accounts", "Change your password; all your sessions end")
            .body::<PasswordBody>()
            .no_content(),
    )
    .op(
        "put",
        "/me/language",
        put(set_language),
        Op::new(
            "accounts",
            "The language your e-mail comes in (`zh` or `en`; the pages' language switch sets it too)",
        )
        .body::<LanguageBody>()
        .no_content(),
    )
    .op(
        "delete",
        "/tokens/{id}",
        delete(revoke_token),
        Op::new("accounts", "Revoke an API token").no_content(),
    )
}
