//! The bureau's numeric ids of what is on record — `Ztid` of a subject, `Wzid` of a website,
//! `Ymid` of its domains, `Jrid` of a provider's access, `Ipid` of its address ranges — which
//! the interface uses where beian's records use numbers and UUIDs. An id is given the first
//! time it is asked for and never changes or is reused.

use beian_store::{StoreError, Tx, on};

/// What an id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Subject,
    Website,
    Domain,
    Access,
    Ip,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Subject => "subject",
            Kind::Website => "website",
            Kind::Domain => "domain",
            Kind::Access => "access",
            Kind::Ip => "ip",
        }
    }
}

/// The id of `reference` (a subject or website number; `number/domain`, `number/isp_id`,
/// `number/isp_id/range`), given now if it has none.
pub async fn id_of(tx: &mut Tx, kind: Kind, reference: &str) -> Result<i64, StoreError> {
    on!(tx tx, |c| sqlx::query("INSERT INTO reg_miit_ids (kind, ref) VALUES ($1, $2) ON CONFLICT (kind, ref) DO NOTHING")
        .bind(kind.as_str())
        .bind(reference)
        .execute(c)
        .await?
        .rows_affected());
    Ok(on!(tx tx, |c| sqlx::query_scalar("SELECT id FROM reg_miit_ids WHERE kind = $1 AND ref = $2")
        .bind(kind.as_str())
        .bind(reference)
        .fetch_one(c)
        .await?))
}

/// What id `id` of `kind` stands for, if it was given.
pub async fn reference_of(tx: &mut Tx, kind: Kind, id: i64) -> Result<Option<String>, StoreError> {
    Ok(on!(tx tx, |c| sqlx::query_scalar("SELECT ref FROM reg_miit_ids WHERE kind = $1 AND id = $2")
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(c)
        .await?))
}
