//! The footers an order's filed websites must show (rules.md §4.5): for each website number
//! the bureau issued, the number as the province wants it displayed, linked to MIIT, with the
//! PSB number and badge once the site has one, in every ready-to-paste form a site owner's CMS
//! takes (plain HTML, WordPress, Hexo/NexT, Hugo, VitePress). The forms are
//! `beian_core::footer`'s; this module only finds the numbers and never stores anything.
//!
//! The PSB badge: the platform hands each site its icon after approval, and beian cannot ship
//! it (it is the ministry's image, not ours to redistribute, and nothing is downloaded at run
//! time). By default the snippets point at `/beian-gongan.png` on the customer's own site, where
//! the owner puts the icon. An operator who has the icon configures it (`psb_badge`): the
//! provider serves it at [`PsbBadge::PATH`] and every snippet points there, absolute.

use std::collections::BTreeMap;
use std::sync::Arc;

use beian_core::footer::{Footer, SnippetFormat};
use beian_core::number::{self, Number, ServiceKind};
use beian_store::Uuid;
use serde::Serialize;

use crate::areas::Compliance;
use crate::i18n::Text;
use crate::{AppError, AppResult, Ctx};

/// The PSB badge image the provider serves to its customers' pages: a PNG, checked once when
/// the service starts.
#[derive(Clone)]
pub struct PsbBadge(Arc<[u8]>);

impl std::fmt::Debug for PsbBadge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PsbBadge({} bytes)", self.0.len())
    }
}

/// Why an image cannot be the badge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadgeError {
    #[error("not a PNG image")]
    NotPng,
    #[error("larger than {} KiB", PsbBadge::MAX_BYTES / 1024)]
    TooLarge,
    #[error("{0}×{1} pixels: an icon is at most {max}×{max}", max = PsbBadge::MAX_SIDE)]
    TooWide(u32, u32),
}

impl PsbBadge {
    /// Where the provider serves it.
    pub const PATH: &'static str = "/beian-gongan.png";
    /// The platform's icon is a few hundred bytes; anything near this is not an icon.
    pub const MAX_BYTES: usize = 64 * 1024;
    pub const MAX_SIDE: u32 = 256;

    /// Takes a PNG icon: the signature, the header's size and the file's size are checked (the
    /// image is served as it is, never decoded).
    pub fn from_png(bytes: Vec<u8>) -> Result<PsbBadge, BadgeError> {
        const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.len() > Self::MAX_BYTES {
            return Err(BadgeError::TooLarge);
        }
        // The signature, then the IHDR chunk: length, type, width, height (big-endian).
        if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
            return Err(BadgeError::NotPng);
        }
        let side = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let (w, h) = (side(16), side(20));
        if w == 0 || h == 0 {
            return Err(BadgeError::NotPng);
        }
        if w > Self::MAX_SIDE || h > Self::MAX_SIDE {
            return Err(BadgeError::TooWide(w, h));
        }
        Ok(PsbBadge(bytes.into()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod badge_tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbaImage::new(w, h)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_small_png_is_a_badge_and_nothing_else_is() {
        let icon = png(20, 20);
        assert_eq!(PsbBadge::from_png(icon.clone()).unwrap().bytes(), icon.as_slice());
        assert_eq!(PsbBadge::from_png(png(300, 20)).unwrap_err(), BadgeError::TooWide(300, 20));
        let mut jpeg = Vec::new();
        image::RgbImage::new(8, 8)
            .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        assert_eq!(PsbBadge::from_png(jpeg).unwrap_err(), BadgeError::NotPng);
        assert_eq!(PsbBadge::from_png(b"\x89PNG\r\n\x1a\n".to_vec()).unwrap_err(), BadgeError::NotPng);
        let mut huge = png(16, 16);
        huge.resize(PsbBadge::MAX_BYTES + 1, 0);
        assert_eq!(PsbBadge::from_png(huge).unwrap_err(), BadgeError::TooLarge);
    }
}

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

impl Compliance<'_> {
    /// Where the snippets point the PSB badge: the provider's own copy when one is configured,
    /// else the customer's site (`/beian-gongan.png`).
    pub fn psb_badge_src(self) -> String {
        match self.config().psb_badge {
            Some(_) => format!("{}{}", self.config().base_url.trim_end_matches('/'), PsbBadge::PATH),
            None => beian_core::footer::psb_badge_src().to_owned(),
        }
    }

    /// The footers of an order's filed websites (its owner, or staff); refused while the
    /// bureau has issued no number for it.
    pub async fn order_footers(self, ctx: &Ctx, id: Uuid) -> AppResult<Vec<SiteFooterView>> {
        let view = self.orders().get_order(ctx, id, false).await?;
        let Some(filing) = view.filing else {
            return Err(AppError::conflict("ORDER_NOT_FILED", Text::new("problem.order_not_filed")));
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
            let mut f = Footer::new(icp, psb, &view.order.subject.name, year);
            f.badge_src = self.psb_badge_src();
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
