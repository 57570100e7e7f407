//! Why a filing is cancelled: the reasons an applicant picks from when it cancels a subject,
//! a website or this provider's access (注销主体, 注销网站, 取消接入) — the bureau's table of
//! cancellation reasons once it has come down over V3.0, else the items the consoles offer
//! (`beian-miit`'s `data/names.toml`). The reason travels with the order to the bureau (`Zxly`).

use beian_core::model::OrderKind;

use crate::areas::Orders;
use crate::i18n::Text;
use crate::{AppError, AppResult};

impl Orders<'_> {
    /// The cancellation reasons on offer, by name.
    pub async fn cancel_reasons(self) -> AppResult<Vec<String>> {
        let from_bureau: Vec<String> = self
            .seam()
            .miit_tables()
            .await?
            .map(|t| t.cancel_reasons.iter().filter(|e| e.valid).map(|e| e.name.clone()).collect())
            .unwrap_or_default();
        if !from_bureau.is_empty() {
            return Ok(from_bureau);
        }
        Ok(beian_miit::mapping::names().offered_cancel_reasons().into_iter().map(str::to_owned).collect())
    }

    /// A cancellation's reason: only on a cancellation, and one on offer.
    pub(crate) async fn check_cancellation(self, kind: OrderKind, reason: Option<&str>) -> AppResult<()> {
        let Some(reason) = reason else { return Ok(()) };
        if !kind.is_cancellation() {
            return Err(AppError::field(
                "cancel_reason",
                "CANCEL_REASON_NOT_APPLICABLE",
                Text::new("problem.cancel_reason_not_applicable"),
            ));
        }
        if !self.cancel_reasons().await?.iter().any(|r| r == reason) {
            return Err(AppError::field(
                "cancel_reason",
                "CANCEL_REASON_UNKNOWN",
                Text::new("problem.cancel_reason_unknown"),
            ));
        }
        Ok(())
    }
}
