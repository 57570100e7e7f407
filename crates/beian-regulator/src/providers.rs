//! Providers registered with the regulator, their signing keys, and the nonces of their
//! signed requests (replay protection that holds across regulator processes).

use beian_seam::SigningKey;
use beian_store::{StoreError, Tx, Uuid, on};

use crate::RegulatorStore;

/// A registered provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: Uuid,
    /// The code a provider signs with (`x-beian-provider`).
    pub code: String,
    pub name: String,
    pub callback_url: Option<String>,
}

/// Registers a provider with its signing key (hex, at least 32 bytes).
pub async fn register(
    tx: &mut Tx,
    code: &str,
    name: &str,
    key_hex: &str,
    callback_url: Option<&str>,
    now: i64,
) -> Result<Uuid, StoreError> {
    let id = beian_store::new_id();
    on!(tx tx, |c| sqlx::query(
        "INSERT INTO reg_providers (id, code, name, signing_key, callback_url, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(code)
    .bind(name)
    .bind(key_hex)
    .bind(callback_url)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected());
    Ok(id)
}

/// Records a nonce in the transaction that carries out the request; false when the provider
/// used it before (a replay). `at` is the request's signed timestamp (unix seconds), so
/// pruning can drop exactly the nonces a replay of which would be stale anyway.
pub async fn record_nonce(tx: &mut Tx, provider: &str, nonce: &str, at: i64) -> Result<bool, StoreError> {
    let n = on!(tx tx, |c| sqlx::query("INSERT INTO reg_nonces (provider, nonce, at) VALUES ($1, $2, $3) ON CONFLICT (provider, nonce) DO NOTHING")
        .bind(provider)
        .bind(nonce)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
    Ok(n == 1)
}

/// Forgets nonces signed before `before` (unix seconds): outside the skew window, a replay of
/// them is refused as stale anyway.
pub async fn prune_nonces(tx: &mut Tx, before: i64) -> Result<u64, StoreError> {
    Ok(
        on!(tx tx, |c| sqlx::query("DELETE FROM reg_nonces WHERE at < $1").bind(before).execute(c).await?.rows_affected()),
    )
}

type ProviderRow = (Uuid, String, String, String, Option<String>);

fn with_key(row: Option<ProviderRow>) -> Option<(Provider, SigningKey)> {
    row.and_then(|(id, code, name, key, callback_url)| {
        SigningKey::from_hex(&key).map(|k| (Provider { id, code, name, callback_url }, k))
    })
}

impl RegulatorStore {
    /// A provider and its signing key, by the code it signs with.
    pub async fn provider(&self, code: &str) -> Result<Option<(Provider, SigningKey)>, StoreError> {
        let row: Option<ProviderRow> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT id, code, name, signing_key, callback_url FROM reg_providers WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(c)
        .await?);
        Ok(with_key(row))
    }

    /// A provider and its signing key, by id.
    pub async fn provider_by_id(&self, id: Uuid) -> Result<Option<(Provider, SigningKey)>, StoreError> {
        let row: Option<ProviderRow> = on!(store self.store(), |c| sqlx::query_as(
            "SELECT id, code, name, signing_key, callback_url FROM reg_providers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?);
        Ok(with_key(row))
    }
}
