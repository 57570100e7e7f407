//! The bureau's blacklist (黑名单列表): subjects, by certificate, and websites, by domain, that
//! it refuses to file. An officer changes it (`beian regulator blacklist`); every provider
//! with a V3.0 account is handed each change as an `HMDLB` file, so its own pre-check refuses
//! the same; and new records naming a listed subject or domain are refused here (1065, 1064).
//!
//! The list keeps no certificate number: a subject is kept under its number's blind index.

use beian_core::model::{Order, normalize_cert};
use beian_miit::codes::result;
use beian_miit::mapping::lists::{self, Listing};
use beian_miit::schema::download::{self, DownloadData, DownloadDataChoice};
use beian_store::{Tx, on};

use super::MiitError;
use super::intake::Refusal;
use crate::service::Service;

const SUBJECT: &str = "subject";
const DOMAIN: &str = "domain";

fn registrable(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('.').to_lowercase();
    beian_core::id::DomainName::parse(&d).map(|n| n.value.registrable().to_owned()).unwrap_or(d)
}

impl Service {
    fn subject_key(&self, certificate: &str) -> String {
        hex::encode(self.keys.blind_index("cert", &normalize_cert(certificate)))
    }

    /// Puts a subject or website on the list (or takes it off) and hands the change to every
    /// provider with a V3.0 account; returns how many providers it was queued for.
    pub async fn miit_blacklist(
        &self,
        listing: Listing<'_>,
        removed: bool,
        note: Option<&str>,
    ) -> Result<usize, MiitError> {
        let hmdlb = lists::hmdlb(super::tables(), listing, removed, note)?;
        let keys: Vec<(&str, String)> = match listing {
            Listing::Subject { certificate, .. } => vec![(SUBJECT, self.subject_key(&certificate.number))],
            Listing::Website { domains, .. } => domains.iter().map(|d| (DOMAIN, registrable(d))).collect(),
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        for (kind, key) in &keys {
            if removed {
                on!(tx &mut tx, |c| sqlx::query("DELETE FROM reg_miit_blacklist WHERE kind = $1 AND key = $2")
                    .bind(kind)
                    .bind(key)
                    .execute(c)
                    .await?
                    .rows_affected());
            } else {
                on!(tx &mut tx, |c| sqlx::query(
                    "INSERT INTO reg_miit_blacklist (kind, key, added_at) VALUES ($1, $2, $3) ON CONFLICT (kind, key) DO NOTHING",
                )
                .bind(kind)
                .bind(key)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected());
            }
        }
        let units: Vec<i64> = on!(tx &mut tx, |c| sqlx::query_scalar("SELECT isp_id FROM reg_miit_accounts ORDER BY isp_id")
            .fetch_all(c)
            .await?);
        let doc = DownloadData {
            version: super::VERSION.into(),
            choice: DownloadDataChoice::Icp(download::Icp { hmdlb: Some(hmdlb), ..download::Icp::empty() }),
        };
        for unit in &units {
            super::downloads::queue(&mut tx, &self.keys, *unit, "HMDLB", &doc, now).await?;
        }
        tx.commit().await?;
        Ok(units.len())
    }

    /// Whether a new record names a listed subject or domain (cancellations never do: leaving
    /// is always allowed).
    pub(super) async fn miit_listed(&self, tx: &mut Tx, order: &Order) -> Result<Option<Refusal>, MiitError> {
        if order.kind.is_cancellation() {
            return Ok(None);
        }
        if listed(tx, SUBJECT, &self.subject_key(&order.subject.certificate.number)).await? {
            return Ok(Some(Refusal::code(result::SUBJECT_BLACKLISTED)));
        }
        for w in &order.websites {
            for d in &w.domains {
                if listed(tx, DOMAIN, &registrable(d)).await? {
                    let detail = format!("“{}”网站的“{}”域名在黑名单中", w.name.trim(), d.trim());
                    return Ok(Some(Refusal { code: result::DOMAIN_BLACKLISTED, detail }));
                }
            }
        }
        Ok(None)
    }
}

async fn listed(tx: &mut Tx, kind: &str, key: &str) -> Result<bool, MiitError> {
    let found: Option<String> = on!(tx tx, |c| sqlx::query_scalar(
        "SELECT key FROM reg_miit_blacklist WHERE kind = $1 AND key = $2",
    )
    .bind(kind)
    .bind(key)
    .fetch_optional(c)
    .await?);
    Ok(found.is_some())
}
