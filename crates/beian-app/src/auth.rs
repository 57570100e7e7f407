//! Accounts, roles, sessions and API tokens.
//!
//! Passwords are Argon2id; sessions and API tokens are random 256-bit secrets of which the
//! store keeps only a SHA-256 hash. A login always creates a new session (the old cookie is
//! worth nothing), and login attempts are counted in the database per client address and per
//! account, so limits hold across several server processes.

use beian_core::id::Email;
use beian_store::{AccountRow, ApiTokenRow, SessionRow, Uuid, new_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::Auth;
use crate::crypto::{random_token, token_hash};
use crate::i18n::Text;
use crate::{AppError, AppResult, Ctx, FieldError, passwords};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages their own subjects and orders (a site owner or an agency).
    Applicant,
    /// The provider's review staff.
    Reviewer,
    /// Users, provider profile, IP pools, templates, audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "applicant" => Some(Role::Applicant),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Staff see every applicant's orders (for review) — applicants only their own.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Reviewer | Role::Admin)
    }
}

/// The signed-in caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Principal {
    pub id: Uuid,
    pub role: Role,
    pub email: String,
    pub display_name: String,
}

impl Principal {
    fn of(a: &AccountRow) -> Option<Principal> {
        Some(Principal {
            id: a.id,
            role: Role::parse(&a.role)?,
            email: a.email.clone(),
            display_name: a.display_name.clone(),
        })
    }
}

/// A new account's details.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// Only admins may set a role; self-registration is always `applicant`.
    #[serde(default)]
    pub role: Option<Role>,
}

/// A fresh login session. The token goes into an HttpOnly cookie; the CSRF token is echoed
/// by the client in a header on unsafe requests.
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: time::OffsetDateTime,
    pub principal: Principal,
}

/// A created API token; `token` is shown once and never stored.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
}

/// How long a resolved session or token is trusted without asking the database. Logout,
/// revocation and account changes clear this process's cache at once; other processes
/// notice within this time.
const AUTH_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(10);
const AUTH_CACHE_MAX: usize = 10_000;

/// A cached resolution: the principal, the session's CSRF token (none for API tokens), and
/// when it was looked up.
/// The principal, the session's CSRF token (none for API tokens), its expiry (unix µs; 0 for
/// API tokens) and when it was cached.
type CachedAuth = (Principal, Option<String>, i64, std::time::Instant);

/// Resolved credentials by token hash.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    map: std::sync::Mutex<std::collections::HashMap<Vec<u8>, CachedAuth>>,
}

impl AuthCache {
    fn get(&self, key: &[u8]) -> Option<(Principal, Option<String>, i64)> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|e| e.3.elapsed() < AUTH_CACHE_TTL).map(|e| (e.0.clone(), e.1.clone(), e.2))
    }

    fn put(&self, key: Vec<u8>, p: Principal, csrf: Option<String>, expires_at: i64) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= AUTH_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (p, csrf, expires_at, std::time::Instant::now()));
    }

    fn remove(&self, key: &[u8]) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    pub(crate) fn clear(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// An API token as listed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// How long a password-reset link works: an hour.
const RESET_TTL_US: i64 = 3600 * 1_000_000;

/// The minimum password length.
pub const MIN_PASSWORD_CHARS: usize = 10;

fn validate_new_account(a: &NewAccount) -> AppResult<String> {
    let mut errors = Vec::new();
    let email = match Email::parse(&a.email) {
        Ok(e) => Some(e.value.to_string().to_lowercase()),
        Err(e) => {
            errors.push(FieldError::new("email", &e));
            None
        }
    };
    if a.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::text(
            "password",
            "PASSWORD_TOO_SHORT",
            Text::new("problem.password_too_short"),
        ));
    }
    if a.password.len() > 1024 {
        errors.push(FieldError::text(
            "password",
            "PASSWORD_TOO_LONG",
            Text::new("problem.password_too_long"),
        ));
    }
    let name = a.display_name.trim();
    if name.is_empty() || name.chars().count() > 50 || name.chars().any(char::is_control) {
        errors.push(FieldError::text(
            "display_name",
            "DISPLAY_NAME_INVALID",
            Text::new("problem.display_name_invalid"),
        ));
    }
    match (errors.is_empty(), email) {
        (true, Some(e)) => Ok(e),
        _ => Err(AppError::Validation(errors)),
    }
}

impl Auth<'_> {
    /// Self-registration (role `applicant`) or, for admins, creating staff accounts.
    pub async fn register(self, ctx: &Ctx, a: NewAccount) -> AppResult<Principal> {
        let role = match (a.role, ctx.principal.as_ref()) {
            (None | Some(Role::Applicant), _) => Role::Applicant,
            (Some(r), Some(p)) if p.role == Role::Admin => r,
            _ => return Err(AppError::Forbidden),
        };
        let email = validate_new_account(&a)?;
        self.rate_limit(&format!("register:{}", ctx.ip.as_deref().unwrap_or("-")), 20, 3600).await?;
        let hash = passwords::hash(a.password.clone()).await?;
        let row = AccountRow {
            id: new_id(),
            email: email.clone(),
            display_name: a.display_name.trim().to_owned(),
            password_hash: hash,
            role: role.as_str().to_owned(),
            disabled: false,
            created_at: self.now_us(),
        };
        let mut tx = self.store().begin().await?;
        match tx.insert_account(&row).await {
            Ok(()) => {}
            Err(beian_store::StoreError::Conflict { .. }) => {
                return Err(AppError::conflict("EMAIL_TAKEN", Text::new("problem.email_taken")));
            }
            Err(e) => return Err(e.into()),
        }
        tx.audit(
            &ctx.audit("account.create", "account", row.id, json!({ "role": role.as_str() })),
            self.now_us(),
        )
        .await?;
        tx.commit().await?;
        Ok(Principal::of(&row).expect("role is valid"))
    }

    /// Counts a hit against a database-held limit of `max` per `window_secs`.
    pub async fn rate_limit(self, key: &str, max: i64, window_secs: i64) -> AppResult<()> {
        self.rate_budget(key, 1, max, window_secs).await
    }

    /// Charges `amount` against a database-held budget of `max` per `window_secs` (bytes
    /// uploaded, say); refused once the window's total passes it.
    pub async fn rate_budget(self, key: &str, amount: i64, max: i64, window_secs: i64) -> AppResult<()> {
        let now = self.now_us() / 1_000_000;
        let window_start = now - now.rem_euclid(window_secs);
        let mut tx = self.store().begin().await?;
        let n = tx.rate_limit_add(key, window_start, amount).await?;
        tx.commit().await?;
        if n > max {
            return Err(AppError::RateLimited {
                retry_after_secs: (window_start + window_secs - now).max(1) as u64,
            });
        }
        Ok(())
    }

    /// Checks the password and opens a new session.
    pub async fn login(self, ctx: &Ctx, email: &str, password: &str) -> AppResult<LoginSession> {
        let email = email.trim().to_lowercase();
        let cfg = self.config();
        self.rate_limit(
            &format!("login-ip:{}", ctx.ip.as_deref().unwrap_or("-")),
            cfg.login_attempts_per_ip,
            900,
        )
        .await?;
        self.rate_limit(&format!("login-account:{email}"), cfg.login_attempts_per_account, 900).await?;
        let account = self.store().account_by_email(&email).await?.filter(|a| !a.disabled);
        let ok =
            passwords::verify(password.to_owned(), account.as_ref().map(|a| a.password_hash.clone())).await;
        let (Some(account), true) = (account, ok) else {
            self.store()
                .audit(&ctx.audit("session.login_failed", "account", "-", json!({})), self.now_us())
                .await?;
            return Err(AppError::InvalidCredentials);
        };
        let principal = Principal::of(&account).ok_or(AppError::InvalidCredentials)?;
        let token = random_token()?;
        let csrf_token = random_token()?;
        let now = self.clock().now();
        let expires_at = now + cfg.session_ttl;
        let mut tx = self.store().begin().await?;
        tx.insert_session(&SessionRow {
            token_hash: token_hash(&token),
            account_id: account.id,
            csrf_token: csrf_token.clone(),
            created_at: beian_store::micros(now),
            expires_at: beian_store::micros(expires_at),
        })
        .await?;
        let ctx = Ctx { principal: Some(principal.clone()), ..ctx.clone() };
        tx.audit(&ctx.audit("session.login", "account", account.id, json!({})), beian_store::micros(now))
            .await?;
        tx.commit().await?;
        Ok(LoginSession { token, csrf_token, expires_at, principal })
    }

    /// Remembers the language the signed-in account reads its e-mail in: the one it chose on
    /// the pages (or signed up in).
    pub async fn set_language(self, ctx: &Ctx, lang: beian_core::message::Lang) -> AppResult<()> {
        let p = ctx.principal()?;
        let mut tx = self.store().begin().await?;
        tx.set_account_lang(p.id, if lang == beian_core::message::Lang::En { "en" } else { "zh" }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn logout(self, ctx: &Ctx, session_token: &str) -> AppResult<()> {
        self.auth_cache().remove(&token_hash(session_token));
        let mut tx = self.store().begin().await?;
        tx.delete_session(&token_hash(session_token)).await?;
        if let Some(p) = &ctx.principal {
            tx.audit(&ctx.audit("session.logout", "account", p.id, json!({})), self.now_us()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The caller behind a session cookie, with the session's CSRF token.
    pub async fn session_principal(self, session_token: &str) -> AppResult<Option<(Principal, String)>> {
        Ok(self.session_with_expiry(session_token).await?.map(|(p, csrf, _)| (p, csrf)))
    }

    /// The caller behind a session cookie, its CSRF token and when the session ends (unix µs;
    /// the pages warn before it does).
    pub async fn session_with_expiry(
        self,
        session_token: &str,
    ) -> AppResult<Option<(Principal, String, i64)>> {
        let key = token_hash(session_token);
        if let Some((p, Some(csrf), expires_at)) = self.auth_cache().get(&key) {
            return Ok(Some((p, csrf, expires_at)));
        }
        let found = self.store().session(&key, self.now_us()).await?;
        let resolved = found
            .filter(|(_, a)| !a.disabled)
            .and_then(|(s, a)| Principal::of(&a).map(|p| (p, s.csrf_token, s.expires_at)));
        if let Some((p, csrf, expires_at)) = &resolved {
            self.auth_cache().put(key, p.clone(), Some(csrf.clone()), *expires_at);
        }
        Ok(resolved)
    }

    /// The caller behind an API token.
    pub async fn token_principal(self, token: &str) -> AppResult<Option<Principal>> {
        let key = token_hash(token);
        if let Some((p, None, _)) = self.auth_cache().get(&key) {
            return Ok(Some(p));
        }
        let found = self.store().api_token(&key, self.now_us()).await?;
        let resolved = found.filter(|(_, a)| !a.disabled).and_then(|(_, a)| Principal::of(&a));
        if let Some(p) = &resolved {
            self.auth_cache().put(key, p.clone(), None, 0);
        }
        Ok(resolved)
    }

    /// Creates an API token for scripts; the plaintext is returned once.
    pub async fn create_api_token(self, ctx: &Ctx, name: &str) -> AppResult<CreatedToken> {
        let p = ctx.principal()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::field(
                "name",
                "TOKEN_NAME_INVALID",
                Text::new("problem.token_name_invalid"),
            ));
        }
        let token = format!("beian_{}", random_token()?);
        let row = ApiTokenRow {
            id: new_id(),
            account_id: p.id,
            name: name.to_owned(),
            token_hash: token_hash(&token),
            created_at: self.now_us(),
            last_used_at: None,
            revoked: false,
        };
        let mut tx = self.store().begin().await?;
        tx.insert_api_token(&row).await?;
        tx.audit(&ctx.audit("api_token.create", "api_token", row.id, json!({ "name": name })), self.now_us())
            .await?;
        tx.commit().await?;
        Ok(CreatedToken { id: row.id, name: name.to_owned(), token })
    }

    /// The caller's API tokens (never the secrets).
    pub async fn list_api_tokens(self, ctx: &Ctx) -> AppResult<Vec<TokenInfo>> {
        let p = ctx.principal()?;
        Ok(self
            .store()
            .api_tokens_of(p.id)
            .await?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                created_at: crate::views::rfc3339(t.created_at),
                last_used_at: t.last_used_at.map(crate::views::rfc3339),
                revoked: t.revoked,
            })
            .collect())
    }

    /// Changes the caller's password after checking the current one; every session of the
    /// account ends (sign in again).
    pub async fn change_password(self, ctx: &Ctx, current: &str, new: &str) -> AppResult<()> {
        let p = ctx.principal()?;
        let account = self.store().account(p.id).await?.ok_or(AppError::NotFound)?;
        self.rate_limit(&format!("password:{}", p.id), 10, 900).await?;
        if !passwords::verify(current.to_owned(), Some(account.password_hash)).await {
            return Err(AppError::InvalidCredentials);
        }
        if new.chars().count() < MIN_PASSWORD_CHARS || new.len() > 1024 {
            return Err(AppError::field(
                "new_password",
                "PASSWORD_TOO_SHORT",
                Text::new("problem.password_too_short.new_password"),
            ));
        }
        let hash = passwords::hash(new.to_owned()).await?;
        let mut tx = self.store().begin().await?;
        tx.set_password_hash(p.id, &hash).await?;
        tx.delete_sessions_of(p.id).await?;
        tx.audit(&ctx.audit("account.password_change", "account", p.id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        self.auth_cache().clear();
        Ok(())
    }

    /// Sends a password-reset link to `email` if an account has it. Answers the same either
    /// way, so the form cannot tell who is registered; limited per address and per e-mail.
    pub async fn request_password_reset(self, ctx: &Ctx, email: &str) -> AppResult<()> {
        let email = email.trim().to_lowercase();
        self.rate_limit(&format!("reset-ip:{}", ctx.ip.as_deref().unwrap_or("-")), 20, 3600).await?;
        if email.len() > 254 {
            return Ok(());
        }
        self.rate_limit(&format!("reset:{email}"), 5, 3600).await?;
        let Some(account) = self.store().account_by_email(&email).await? else { return Ok(()) };
        if account.disabled {
            return Ok(());
        }
        let token = crate::crypto::random_token()?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        tx.insert_password_reset(&crate::crypto::token_hash(&token), account.id, now, now + RESET_TTL_US)
            .await?;
        let mail = crate::notify::Notice::password_reset(&self.config().base_url, &token);
        let lang = tx.account_lang_of_email(&account.email).await?;
        self.notify()
            .queue_email(&mut tx, &account.email, &mail, crate::notify::lang_of(lang.as_deref()))
            .await?;
        tx.audit(&ctx.audit("account.password_reset_requested", "account", account.id, json!({})), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset token from the e-mail: once, within the hour; every
    /// session of the account ends.
    pub async fn reset_password(self, ctx: &Ctx, token: &str, new: &str) -> AppResult<()> {
        if new.chars().count() < MIN_PASSWORD_CHARS || new.len() > 1024 {
            return Err(AppError::field(
                "password",
                "PASSWORD_TOO_SHORT",
                Text::new("problem.password_too_short.new_password"),
            ));
        }
        self.rate_limit(&format!("reset-use:{}", ctx.ip.as_deref().unwrap_or("-")), 30, 3600).await?;
        let hash = passwords::hash(new.to_owned()).await?;
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        let Some(account) = tx.take_password_reset(&crate::crypto::token_hash(token.trim()), now).await?
        else {
            return Err(AppError::field(
                "token",
                "PASSWORD_RESET_INVALID",
                Text::new("problem.password_reset_invalid"),
            ));
        };
        tx.set_password_hash(account, &hash).await?;
        tx.delete_sessions_of(account).await?;
        tx.audit(&ctx.audit("account.password_reset", "account", account, json!({})), now).await?;
        tx.commit().await?;
        self.auth_cache().clear();
        Ok(())
    }

    /// Revokes one of the caller's API tokens.
    pub async fn revoke_api_token(self, ctx: &Ctx, id: Uuid) -> AppResult<()> {
        let p = ctx.principal()?;
        let mut tx = self.store().begin().await?;
        if !tx.revoke_api_token(id, p.id).await? {
            return Err(AppError::NotFound);
        }
        self.auth_cache().clear();
        tx.audit(&ctx.audit("api_token.revoke", "api_token", id, json!({})), self.now_us()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accounts, for admins.
    pub async fn list_accounts(
        self,
        ctx: &Ctx,
        after: Option<Uuid>,
        limit: i64,
    ) -> AppResult<Vec<Principal>> {
        ctx.require(&[Role::Admin])?;
        Ok(self
            .store()
            .accounts(after, limit.clamp(1, 200))
            .await?
            .iter()
            .filter_map(Principal::of)
            .collect())
    }

    /// Accounts with whether each is disabled (admins), for the users page.
    pub async fn accounts_with_state(self, ctx: &Ctx, limit: i64) -> AppResult<Vec<(Principal, bool)>> {
        ctx.require(&[Role::Admin])?;
        Ok(self
            .store()
            .accounts(None, limit.clamp(1, 200))
            .await?
            .iter()
            .filter_map(|a| Principal::of(a).map(|p| (p, a.disabled)))
            .collect())
    }

    /// Changes an account's role or disables it (admins); its sessions end.
    pub async fn update_account(
        self,
        ctx: &Ctx,
        id: Uuid,
        role: Role,
        disabled: bool,
    ) -> AppResult<Principal> {
        ctx.require(&[Role::Admin])?;
        let a = self.store().account(id).await?.ok_or(AppError::NotFound)?;
        let mut tx = self.store().begin().await?;
        tx.update_account(id, &a.display_name, role.as_str(), disabled).await?;
        tx.delete_sessions_of(id).await?;
        self.auth_cache().clear();
        tx.audit(
            &ctx.audit(
                "account.update",
                "account",
                id,
                json!({ "role": role.as_str(), "disabled": disabled }),
            ),
            self.now_us(),
        )
        .await?;
        tx.commit().await?;
        let a = self.store().account(id).await?.ok_or(AppError::NotFound)?;
        Principal::of(&a).ok_or(AppError::NotFound)
    }
}
