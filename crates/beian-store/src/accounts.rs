//! Accounts, cookie sessions and API tokens. Session and token secrets are stored only as
//! SHA-256 hashes; the plaintext exists in the client's cookie or script, never here.

use sqlx::FromRow;
use uuid::Uuid;

use crate::{Result, Store, Tx, on};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SessionRow {
    pub token_hash: Vec<u8>,
    pub account_id: Uuid,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ApiTokenRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

impl Tx {
    pub async fn insert_account(&mut self, a: &AccountRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO accounts (id, email, display_name, password_hash, role, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.id)
        .bind(&a.email)
        .bind(&a.display_name)
        .bind(&a.password_hash)
        .bind(&a.role)
        .bind(a.disabled)
        .bind(a.created_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Changes role, name and disabled flag; returns false if the account does not exist.
    pub async fn update_account(
        &mut self,
        id: Uuid,
        display_name: &str,
        role: &str,
        disabled: bool,
    ) -> Result<bool> {
        let r = on!(tx self, |c| sqlx::query("UPDATE accounts SET display_name = $2, role = $3, disabled = $4 WHERE id = $1")
            .bind(id)
            .bind(display_name)
            .bind(role)
            .bind(disabled)
            .execute(c)
            .await?
            .rows_affected());
        Ok(r == 1)
    }

    /// The language an account reads its e-mail in (`zh` or `en`), by its sign-in address.
    pub async fn account_lang_of_email(&mut self, email: &str) -> Result<Option<String>> {
        Ok(on!(tx self, |c| sqlx::query_scalar::<_, String>("SELECT lang FROM accounts WHERE email = $1")
            .bind(email)
            .fetch_optional(c)
            .await?))
    }

    /// Sets the language an account reads its e-mail in (`zh` or `en`).
    pub async fn set_account_lang(&mut self, id: Uuid, lang: &str) -> Result<()> {
        on!(tx self, |c| sqlx::query("UPDATE accounts SET lang = $2 WHERE id = $1").bind(id).bind(lang).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn set_password_hash(&mut self, id: Uuid, hash: &str) -> Result<()> {
        on!(tx self, |c| sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1").bind(id).bind(hash).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Records a password-reset token (its hash) for an account.
    pub async fn insert_password_reset(
        &mut self,
        token_hash: &[u8],
        account_id: Uuid,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(now)
        .bind(expires_at)
        .execute(c)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Uses a password-reset token: the account it was for, if it exists, is unused and has
    /// not expired; it cannot be used again.
    pub async fn take_password_reset(&mut self, token_hash: &[u8], now: i64) -> Result<Option<Uuid>> {
        Ok(on!(tx self, |c| sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING account_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await?))
    }

    pub async fn insert_session(&mut self, s: &SessionRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.token_hash)
        .bind(s.account_id)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn delete_session(&mut self, token_hash: &[u8]) -> Result<()> {
        on!(tx self, |c| sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(c).await?.rows_affected());
        Ok(())
    }

    /// Deletes every session of an account (on password or role change).
    pub async fn delete_sessions_of(&mut self, account_id: Uuid) -> Result<()> {
        on!(tx self, |c| sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id).execute(c).await?.rows_affected());
        Ok(())
    }

    pub async fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        Ok(
            on!(tx self, |c| sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(c).await?.rows_affected()),
        )
    }

    pub async fn insert_api_token(&mut self, t: &ApiTokenRow) -> Result<()> {
        on!(tx self, |c| sqlx::query(
            "INSERT INTO api_tokens (id, account_id, name, token_hash, created_at, last_used_at, revoked)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(t.id)
        .bind(t.account_id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(t.created_at)
        .bind(t.last_used_at)
        .bind(t.revoked)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Revokes a token of `account_id`; false if there is none with that id.
    pub async fn revoke_api_token(&mut self, id: Uuid, account_id: Uuid) -> Result<bool> {
        let n = on!(tx self, |c| sqlx::query("UPDATE api_tokens SET revoked = TRUE WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}

impl Store {
    pub async fn account(&self, id: Uuid) -> Result<Option<AccountRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, AccountRow>(
            "SELECT id, email, display_name, password_hash, role, disabled, created_at FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<AccountRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, AccountRow>(
            "SELECT id, email, display_name, password_hash, role, disabled, created_at FROM accounts WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(c)
        .await?))
    }

    /// Accounts in id order after `after`.
    pub async fn accounts(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<AccountRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, AccountRow>(
            "SELECT id, email, display_name, password_hash, role, disabled, created_at FROM accounts
             WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await?))
    }

    /// The live session with this token hash and its account.
    pub async fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<(SessionRow, AccountRow)>> {
        let s = on!(store self, |c| sqlx::query_as::<_, SessionRow>(
            "SELECT token_hash, account_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(c)
        .await?);
        let Some(s) = s else { return Ok(None) };
        Ok(self.account(s.account_id).await?.map(|a| (s, a)))
    }

    /// The unrevoked token with this hash and its account. Its use is recorded at most once a
    /// minute, so authenticating a request stays a read on the hot path.
    pub async fn api_token(&self, token_hash: &[u8], now: i64) -> Result<Option<(ApiTokenRow, AccountRow)>> {
        let t = on!(store self, |c| sqlx::query_as::<_, ApiTokenRow>(
            "SELECT id, account_id, name, token_hash, created_at, last_used_at, revoked FROM api_tokens
             WHERE token_hash = $1 AND NOT revoked",
        )
        .bind(token_hash)
        .fetch_optional(c)
        .await?);
        let Some(mut t) = t else { return Ok(None) };
        if t.last_used_at.is_none_or(|last| now - last >= 60_000_000) {
            on!(store self, |c| sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(t.id)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
            t.last_used_at = Some(now);
        }
        Ok(self.account(t.account_id).await?.map(|a| (t, a)))
    }

    pub async fn api_tokens_of(&self, account_id: Uuid) -> Result<Vec<ApiTokenRow>> {
        Ok(on!(store self, |c| sqlx::query_as::<_, ApiTokenRow>(
            "SELECT id, account_id, name, token_hash, created_at, last_used_at, revoked FROM api_tokens WHERE account_id = $1 ORDER BY id",
        )
        .bind(account_id)
        .fetch_all(c)
        .await?))
    }
}
