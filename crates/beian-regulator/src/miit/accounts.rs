//! A provider's interface login at the bureau: its reporting-unit id (`ispId`, also `Qqdwid` in
//! its files), user name and password, its province, the AES key and IV if its files are
//! encrypted, and its rights (uploading at all, and in which hours).
//!
//! The password is kept encrypted, not hashed: `pwdHash` is an MD5 over the password and a
//! fresh `randVal`, so the bureau must be able to compute it. Every `randVal` is remembered for
//! a day, so a captured call cannot be replayed.

use beian_core::province::ProvinceCode;
use beian_crypto::Keys;
use beian_miit::package::AesKey;
use beian_store::{StoreError, Tx, Uuid, on};

use crate::RegulatorStore;

/// How long a used `randVal` is remembered (microseconds).
pub const RAND_VAL_MEMORY_US: i64 = 24 * 3600 * 1_000_000;

/// Why an account could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the reporting-unit id must be a positive number")]
    BadIspId,
    #[error("the user name must be 1 to 64 characters")]
    BadUserName,
    #[error("the password must be 8 to 64 characters")]
    BadPassword,
    #[error("the AES key must be 16, 24 or 32 bytes and the IV 16")]
    BadAes,
    #[error("upload hours are HH:MM-HH:MM")]
    BadHours,
    #[error("this reporting-unit id or provider already has an interface account")]
    Exists,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Store(e.into())
    }
}

pub use beian_miit::hours::Hours;

/// A new interface account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub isp_id: i64,
    pub user_name: &'a str,
    pub password: &'a str,
    pub province: ProvinceCode,
    /// AES key and IV, when the provider's files are encrypted.
    pub aes: Option<(&'a str, &'a str)>,
    pub upload_hours: Option<&'a str>,
}

/// A provider's interface account.
#[derive(Clone)]
pub struct Account {
    pub isp_id: i64,
    pub provider_id: Uuid,
    pub user_name: String,
    password: String,
    pub province: ProvinceCode,
    pub aes: Option<AesKey>,
    pub upload_right: bool,
    pub upload_hours: Option<Hours>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("isp_id", &self.isp_id)
            .field("user_name", &self.user_name)
            .field("province", &self.province)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn password(&self) -> &str {
        &self.password
    }
}

fn password_aad(isp_id: i64) -> String {
    format!("reg_miit_accounts/{isp_id}/password")
}

fn aes_aad(isp_id: i64) -> String {
    format!("reg_miit_accounts/{isp_id}/aes")
}

/// Creates the account, and queues the base code tables as its first download.
pub async fn create(
    tx: &mut Tx,
    keys: &Keys,
    provider_id: Uuid,
    a: &NewAccount<'_>,
    now: i64,
) -> Result<(), AccountError> {
    if a.isp_id < 1 {
        return Err(AccountError::BadIspId);
    }
    if !(1..=64).contains(&a.user_name.chars().count()) {
        return Err(AccountError::BadUserName);
    }
    if !(8..=64).contains(&a.password.chars().count()) {
        return Err(AccountError::BadPassword);
    }
    let aes = match a.aes {
        Some((k, iv)) => {
            AesKey::new(k, iv).ok_or(AccountError::BadAes)?;
            Some(
                keys.encrypt(&aes_aad(a.isp_id), format!("{k}\n{iv}").as_bytes())
                    .map_err(|e| AccountError::Internal(e.to_string()))?,
            )
        }
        None => None,
    };
    let hours = match a.upload_hours {
        Some(h) => Some(Hours::parse(h).ok_or(AccountError::BadHours)?.to_string()),
        None => None,
    };
    let password = keys
        .encrypt(&password_aad(a.isp_id), a.password.as_bytes())
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    let n = on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_miit_accounts (isp_id, provider_id, user_name, password, province, aes, upload_right, upload_hours, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(a.isp_id)
    .bind(provider_id)
    .bind(a.user_name)
    .bind(&password)
    .bind(a.province.to_string())
    .bind(&aes)
    .bind(&hours)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    if n != 1 {
        return Err(AccountError::Exists);
    }
    super::downloads::queue_code_tables(tx, keys, a.isp_id, now).await?;
    Ok(())
}

type AccountRow = (i64, Uuid, String, Vec<u8>, String, Option<Vec<u8>>, bool, Option<String>);

impl RegulatorStore {
    /// The account of reporting unit `isp_id`.
    pub async fn miit_account(&self, keys: &Keys, isp_id: i64) -> Result<Option<Account>, AccountError> {
        let row: Option<AccountRow> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT isp_id, provider_id, user_name, password, province, aes, upload_right, upload_hours FROM reg_miit_accounts WHERE isp_id = $1",
        )
        .bind(isp_id)
        .fetch_optional(c)
        .await?);
        let Some((isp_id, provider_id, user_name, password, province, aes, upload_right, hours)) = row else {
            return Ok(None);
        };
        let corrupt = |what: &str| AccountError::Internal(format!("reg_miit_accounts {isp_id}: {what}"));
        let password = keys.decrypt(&password_aad(isp_id), &password).map_err(|_| corrupt("password"))?;
        let aes = match aes {
            Some(blob) => {
                let plain = keys.decrypt(&aes_aad(isp_id), &blob).map_err(|_| corrupt("aes"))?;
                let text = String::from_utf8(plain).map_err(|_| corrupt("aes"))?;
                let (k, iv) = text.split_once('\n').ok_or_else(|| corrupt("aes"))?;
                Some(AesKey::new(k, iv).ok_or_else(|| corrupt("aes"))?)
            }
            None => None,
        };
        Ok(Some(Account {
            isp_id,
            provider_id,
            user_name,
            password: String::from_utf8(password).map_err(|_| corrupt("password"))?,
            province: ProvinceCode::parse(&province).ok_or_else(|| corrupt("province"))?,
            aes,
            upload_right,
            upload_hours: hours.as_deref().and_then(Hours::parse),
        }))
    }

    /// The interface account of a registered provider, if it has one.
    pub async fn miit_account_of(
        &self,
        keys: &Keys,
        provider_id: Uuid,
    ) -> Result<Option<Account>, AccountError> {
        let isp: Option<i64> = on!(store self.store(), |c| sqlx::query_scalar("SELECT isp_id FROM reg_miit_accounts WHERE provider_id = $1")
            .bind(provider_id)
            .fetch_optional(c)
            .await?);
        match isp {
            Some(id) => self.miit_account(keys, id).await,
            None => Ok(None),
        }
    }
}

/// Remembers a `randVal`; false when it was used before (a replay).
pub async fn remember_rand_val(
    tx: &mut Tx,
    isp_id: i64,
    rand_val: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_miit_randvals (isp_id, rand_val, at) VALUES ($1, $2, $3) ON CONFLICT (isp_id, rand_val) DO NOTHING",
    )
    .bind(isp_id)
    .bind(rand_val)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(n == 1)
}

/// Forgets `randVal`s older than a day.
pub async fn prune_rand_vals(tx: &mut Tx, now: i64) -> Result<u64, StoreError> {
    Ok(on!(tx tx, |c| sqlx::query("DELETE FROM reg_miit_randvals WHERE at < $1")
        .bind(now - RAND_VAL_MEMORY_US)
        .execute(c)
        .await?
        .rows_affected()))
}

#[cfg(test)]
mod tests {
    use super::Hours;

    #[test]
    fn upload_hours_are_china_time() {
        let h = Hours::parse("08:00-18:00").unwrap();
        assert_eq!(h.to_string(), "08:00-18:00");
        // 2026-12-06 01:30 UTC is 09:30 in China; 11:00 UTC is 19:00.
        assert!(h.contain(1_796_520_600_000_000));
        assert!(!h.contain(1_796_554_800_000_000));
        assert!(Hours::parse("18:00-08:00").is_none());
        assert!(Hours::parse("8-18").is_none());
    }
}
