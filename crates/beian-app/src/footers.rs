//! The footers an order's filed websites must show (rules.md §4.5): for each website number
//! the bureau issued, the number as the province wants it displayed, linked to MIIT, with the
//! PSB number and badge once the site has one, in every ready-to-paste form a site owner's CMS
//! takes (plain HTML, WordPress, Hexo/NexT, Hugo, VitePress). The forms are
//! `beian_core::footer`'s; this module only finds the numbers and never stores anything.

use std::collections::BTreeMap;

use beian_core::footer::{Footer, SnippetFormat};
use beian_core::number::{self, Number, ServiceKind};
use beian_store::Uuid;
use serde::Serialize;

use crate::{App, AppError, AppResult, Ctx};

/// A footer in every form.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FooterView {
    pub html: String,
    /// By format: `html`, `wordpress`, `hexo_next`, `hugo`, `vitepress`.
    pub snippets: BTreeMap<String, String>,
}

/// One filed website's footer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SiteFooterView {
    /// The website's own number (`浙ICP备2026012345号-1`).
    pub number: String,
    /// The number the footer shows (Guangdong: the subject's, without `-N`).
    pub displayed_number: String,
    /// The site's PSB number, once it has one: the footer then carries it and the badge.
    pub psb_number: Option<String>,
    #[serde(flatten)]
    pub footer: FooterView,
}

/// Every form of `f`.
pub fn footer_view(f: &Footer) -> FooterView {
    let snippets = SnippetFormat::ALL
        .into_iter()
        .map(|k| {
            let name = serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_owned));
            (name.unwrap_or_default(), f.snippet(k))
        })
        .collect();
    FooterView { html: f.html(), snippets }
}

impl App {
    /// The footers of an order's filed websites (its owner, or staff); refused while the
    /// bureau has issued no number for it.
    pub async fn order_footers(&self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<SiteFooterView>> {
        let view = self.get_order(ctx, id, false).await?;
        let Some(filing) = view.filing else {
            return Err(AppError::conflict(
                "ORDER_NOT_FILED",
                "该订单尚未取得备案号，暂无页脚。",
                "The order has no filing number yet, so there is no footer.",
            ));
        };
        let year = self.clock().today().year();
        let mut out = Vec::new();
        for s in filing.decision.services.iter().filter(|s| s.kind == ServiceKind::Website) {
            let Ok(Number::IcpFiling(icp)) = number::parse(&s.number).map(|p| p.number) else { continue };
            let psb_number = self.store().psb_number_of(&s.number).await?;
            let psb = match psb_number.as_deref().map(number::parse) {
                Some(Ok(p)) => match p.number {
                    Number::Psb(n) => Some(n),
                    _ => None,
                },
                _ => None,
            };
            let f = Footer::new(icp, psb, &view.order.subject.name, year);
            out.push(SiteFooterView {
                number: s.number.clone(),
                displayed_number: f.displayed_icp().to_string(),
                psb_number,
                footer: footer_view(&f),
            });
        }
        Ok(out)
    }
}
