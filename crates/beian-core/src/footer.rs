//! Footers: what a filed site shows at the bottom of its home page, and which links count.
//!
//! The ICP number links to the MIIT portal, with the provincial variations (Guangdong shows
//! the subject number; Jiangsu adds a `版权所有` line with the unit's exact name); the PSB
//! number links to the platform's query page with its badge. The rules and link targets are
//! data (`data/footer.toml`, with sources), so the next URL move is a data edit. This module
//! assembles ready-to-paste snippets for the common site generators and classifies links
//! for the compliance scanner. It never drops the trailing `号` and never emits a value
//! unescaped for the format it is written into.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::number::{IcpFilingNumber, PsbNumber};
use crate::province::ProvinceCode;
use crate::text::escape_html;

#[derive(Debug, Deserialize)]
struct Rules {
    icp_link: String,
    psb_link: String,
    psb_badge_src: String,
    subject_number_provinces: Vec<String>,
    copyright_line_provinces: Vec<String>,
    icp_link_hosts: Vec<String>,
    psb_link_hosts: Vec<String>,
    stale_links: Vec<StaleLink>,
}

/// A link target that was once right: the scanner reports it with what replaced it.
#[derive(Debug, Clone, Deserialize)]
pub struct StaleLink {
    pub host: String,
    /// `icp` or `psb`.
    pub kind: String,
    pub note: String,
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| toml::from_str(include_str!("../data/footer.toml")).expect("data/footer.toml is valid"))
}

/// The MIIT portal the ICP number links to.
pub fn icp_link() -> &'static str {
    &rules().icp_link
}

/// The platform page the PSB number links to.
pub fn psb_link(number: &PsbNumber) -> String {
    rules().psb_link.replace("{code}", number.digits())
}

/// The default path of the PSB badge image in the snippets.
pub fn psb_badge_src() -> &'static str {
    &rules().psb_badge_src
}

/// Whether the bureau of `province` wants the subject number in the footer.
pub fn shows_subject_number(province: ProvinceCode) -> bool {
    rules().subject_number_provinces.contains(&province.to_string())
}

/// Whether the bureau of `province` wants a `版权所有` line naming the unit.
pub fn wants_copyright_line(province: ProvinceCode) -> bool {
    rules().copyright_line_provinces.contains(&province.to_string())
}

/// The number a site shows: the subject number in Guangdong, the site's own number elsewhere.
pub fn displayed_number(site: &IcpFilingNumber) -> IcpFilingNumber {
    if shows_subject_number(site.province()) { site.subject() } else { site.clone() }
}

/// What a link on a page points at, as far as filing footers are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// The MIIT portal.
    Icp,
    /// The PSB platform, with the 14-digit code the link carries, if any.
    Psb {
        code: Option<String>,
    },
    /// An old address (`kind` is `icp` or `psb`), with what replaced it.
    Stale {
        kind: String,
        note: String,
    },
    Other,
}

/// Classifies an `href` from a page.
pub fn classify_link(href: &str) -> LinkTarget {
    let Some(host) = link_host(href) else { return LinkTarget::Other };
    let r = rules();
    if r.icp_link_hosts.contains(&host) {
        return LinkTarget::Icp;
    }
    if r.psb_link_hosts.contains(&host) {
        return LinkTarget::Psb { code: link_code(href) };
    }
    if let Some(s) = r.stale_links.iter().find(|s| s.host == host) {
        return LinkTarget::Stale { kind: s.kind.clone(), note: s.note.clone() };
    }
    LinkTarget::Other
}

/// The lower-cased host of an absolute or scheme-relative URL.
fn link_host(href: &str) -> Option<String> {
    let href = href.trim();
    let lower = href.get(..8).unwrap_or(href).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &href[8..]
    } else if lower.starts_with("http://") {
        &href[7..]
    } else {
        href.strip_prefix("//")?
    };
    let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // `user@host` is a trick, not a footer link; take what follows the last `@`.
    let host = authority.rsplit('@').next().unwrap_or(authority);
    (!host.is_empty()).then(|| host.trim_end_matches('.').to_ascii_lowercase())
}

/// The digits after `code=` (current link) or `recordcode=` (old link) anywhere in the URL.
fn link_code(href: &str) -> Option<String> {
    let at = href.find("code=")? + "code=".len();
    let digits: String = href[at..].chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

/// Everything a footer needs for one filed site.
#[derive(Debug, Clone)]
pub struct Footer {
    /// The site's own ICP number (`…号-N`); Guangdong footers show its subject part.
    pub icp: IcpFilingNumber,
    pub psb: Option<PsbNumber>,
    /// The subject's exact name, for the Jiangsu copyright line.
    pub unit_name: String,
    /// The first year of the copyright line.
    pub year: i32,
    /// Where the PSB badge image is served from.
    pub badge_src: String,
}

/// The ready-to-paste forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SnippetFormat {
    /// Plain HTML for any page.
    Html,
    /// WordPress: the zh_CN option `zh_cn_l10n_icp_num` (wp-cli) plus a footer widget.
    Wordpress,
    /// Hexo with the NexT theme: `footer.beian.*` in `_config.next.yml`.
    HexoNext,
    /// Hugo: site params and a partial template.
    Hugo,
    /// VitePress: `themeConfig.footer` in `.vitepress/config`.
    Vitepress,
}

impl SnippetFormat {
    pub const ALL: [SnippetFormat; 5] = [
        SnippetFormat::Html,
        SnippetFormat::Wordpress,
        SnippetFormat::HexoNext,
        SnippetFormat::Hugo,
        SnippetFormat::Vitepress,
    ];
}

impl Footer {
    /// A footer with the default badge path.
    pub fn new(icp: IcpFilingNumber, psb: Option<PsbNumber>, unit_name: &str, year: i32) -> Footer {
        Footer { icp, psb, unit_name: unit_name.to_owned(), year, badge_src: psb_badge_src().to_owned() }
    }

    /// The ICP number the footer shows.
    pub fn displayed_icp(&self) -> IcpFilingNumber {
        displayed_number(&self.icp)
    }

    /// `© 2026 某公司 版权所有` where the province wants it.
    pub fn copyright_line(&self) -> Option<String> {
        wants_copyright_line(self.icp.province())
            .then(|| format!("© {} {} 版权所有", self.year, self.unit_name))
    }

    /// The footer as plain HTML.
    pub fn html(&self) -> String {
        let mut out = String::from("<div class=\"beian\" style=\"text-align:center\">\n");
        if let Some(line) = self.copyright_line() {
            let _ = writeln!(out, "  <p>{}</p>", escape_html(&line));
        }
        let _ = writeln!(out, "  {}", self.icp_anchor());
        if let Some(a) = self.psb_anchor() {
            let _ = writeln!(out, "  {a}");
        }
        out.push_str("</div>\n");
        out
    }

    fn icp_anchor(&self) -> String {
        format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
            escape_html(icp_link()),
            escape_html(&self.displayed_icp().to_string())
        )
    }

    fn psb_anchor(&self) -> Option<String> {
        let psb = self.psb.as_ref()?;
        Some(format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\"><img src=\"{}\" alt=\"\" width=\"16\" \
             height=\"16\" style=\"vertical-align:middle\">{}</a>",
            escape_html(&psb_link(psb)),
            escape_html(&self.badge_src),
            escape_html(&psb.to_string())
        ))
    }

    /// The footer in one of the ready-to-paste forms.
    pub fn snippet(&self, format: SnippetFormat) -> String {
        match format {
            SnippetFormat::Html => self.html(),
            SnippetFormat::Wordpress => self.wordpress(),
            SnippetFormat::HexoNext => self.hexo_next(),
            SnippetFormat::Hugo => self.hugo(),
            SnippetFormat::Vitepress => self.vitepress(),
        }
    }

    fn wordpress(&self) -> String {
        // The zh_CN language pack adds "ICP备案号" under Settings → General, stored in this
        // option; themes print it linked to MIIT. The PSB line and the copyright line go in
        // a footer widget (Appearance → Widgets → Custom HTML).
        let mut out = String::from("# Settings → General → ICP备案号 (zh_CN), or with wp-cli:\n");
        let _ = writeln!(
            out,
            "wp option update zh_cn_l10n_icp_num {}",
            shell_quote(&self.displayed_icp().to_string())
        );
        let mut widget = String::new();
        if let Some(line) = self.copyright_line() {
            let _ = writeln!(widget, "<p>{}</p>", escape_html(&line));
        }
        if let Some(a) = self.psb_anchor() {
            let _ = writeln!(widget, "<p>{a}</p>");
        }
        if !widget.is_empty() {
            out.push_str("\n<!-- Appearance → Widgets → Custom HTML, in the footer area: -->\n");
            out.push_str(&widget);
        }
        out
    }

    fn hexo_next(&self) -> String {
        let mut out = String::from("# _config.next.yml\nfooter:\n");
        if self.copyright_line().is_some() {
            // NexT prints "© <since> <copyright>"; the unit name and 版权所有 make the line.
            let _ = writeln!(out, "  since: {}", self.year);
            // NexT's footer template prints the value as markup: escape it here.
            let owner = escape_html(&format!("{} 版权所有", self.unit_name));
            let _ = writeln!(out, "  copyright: {}", json_string(&owner));
        }
        out.push_str("  beian:\n    enable: true\n");
        let _ = writeln!(out, "    icp: {}", json_string(&self.displayed_icp().to_string()));
        if let Some(psb) = &self.psb {
            let _ = writeln!(out, "    gongan_id: {}", json_string(psb.digits()));
            let _ = writeln!(out, "    gongan_num: {}", json_string(&psb.to_string()));
            let _ = writeln!(out, "    gongan_icon_url: {}", json_string(&self.badge_src));
        }
        out
    }

    fn hugo(&self) -> String {
        let mut out = String::from("# hugo.toml\n[params.beian]\n");
        let _ = writeln!(out, "icp = {}", json_string(&self.displayed_icp().to_string()));
        let _ = writeln!(out, "icpLink = {}", json_string(icp_link()));
        if let Some(psb) = &self.psb {
            let _ = writeln!(out, "psb = {}", json_string(&psb.to_string()));
            let _ = writeln!(out, "psbLink = {}", json_string(&psb_link(psb)));
            let _ = writeln!(out, "psbBadge = {}", json_string(&self.badge_src));
        }
        if let Some(line) = self.copyright_line() {
            let _ = writeln!(out, "copyright = {}", json_string(&line));
        }
        out.push_str(
            "\n{{/* layouts/partials/beian.html — call {{ partial \"beian.html\" . }} in your footer */}}\n\
             {{ with site.Params.beian }}<div class=\"beian\" style=\"text-align:center\">\n\
             {{ with .copyright }}<p>{{ . }}</p>{{ end }}\n\
             <a href=\"{{ .icpLink }}\" target=\"_blank\" rel=\"noopener noreferrer\">{{ .icp }}</a>\n\
             {{ with .psb }}<a href=\"{{ site.Params.beian.psbLink }}\" target=\"_blank\" rel=\"noopener noreferrer\">\
             <img src=\"{{ site.Params.beian.psbBadge }}\" alt=\"\" width=\"16\" height=\"16\" \
             style=\"vertical-align:middle\">{{ . }}</a>{{ end }}\n\
             </div>{{ end }}\n",
        );
        out
    }

    fn vitepress(&self) -> String {
        let mut message = self.icp_anchor();
        if let Some(a) = self.psb_anchor() {
            message.push_str(" | ");
            message.push_str(&a);
        }
        let mut out = String::from("// .vitepress/config.mts → themeConfig\nfooter: {\n");
        let _ = writeln!(out, "  message: {},", json_string(&message));
        if let Some(line) = self.copyright_line() {
            let _ = writeln!(out, "  copyright: {},", json_string(&escape_html(&line)));
        }
        out.push_str("},\n");
        out
    }
}

/// A JSON string literal: valid as a TOML basic string, a YAML double-quoted scalar and a
/// JavaScript string.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// A single-quoted POSIX shell word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::{Number, parse};

    fn icp(s: &str) -> IcpFilingNumber {
        match parse(s).unwrap().number {
            Number::IcpFiling(n) => n,
            other => panic!("{other:?}"),
        }
    }

    fn psb(s: &str) -> PsbNumber {
        match parse(s).unwrap().number {
            Number::Psb(n) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn guangdong_shows_the_subject_number_others_the_site_number() {
        let gd = Footer::new(icp("粤ICP备2026000001号-2"), None, "某公司", 2026).html();
        assert!(gd.contains(">粤ICP备2026000001号</a>"), "{gd}");
        let zj = Footer::new(icp("浙ICP备2026012345号-1"), None, "某公司", 2026).html();
        assert!(zj.contains(">浙ICP备2026012345号-1</a>"), "{zj}");
        assert!(zj.contains("href=\"https://beian.miit.gov.cn/\""));
        assert!(!zj.contains("版权所有"));
    }

    #[test]
    fn jiangsu_adds_the_copyright_line_with_the_escaped_unit_name() {
        let js = Footer::new(icp("苏ICP备2026000007号-1"), None, "南京<某>科技有限公司", 2026).html();
        assert!(js.contains("© 2026 南京&lt;某&gt;科技有限公司 版权所有"), "{js}");
        assert!(js.contains(">苏ICP备2026000007号-1</a>"));
    }

    #[test]
    fn the_psb_number_links_to_the_platform_with_its_badge_and_the_prefix_differs_in_sichuan() {
        let f = Footer::new(
            icp("蜀ICP备2026000003号-1"),
            Some(psb("川公网安备51080202020150号")),
            "某公司",
            2026,
        );
        let html = f.html();
        assert!(
            html.contains("href=\"https://beian.mps.gov.cn/#/query/webSearch?code=51080202020150\""),
            "{html}"
        );
        assert!(html.contains("<img src=\"/beian-gongan.png\""));
        assert!(html.contains(">川公网安备51080202020150号</a>"));
        assert!(html.contains(">蜀ICP备2026000003号-1</a>"));
    }

    #[test]
    fn every_format_carries_both_numbers_with_their_trailing_hao() {
        let mut f = Footer::new(
            icp("苏ICP备2026000007号-1"),
            Some(psb("苏公网安备32010602009975号")),
            "某公司",
            2026,
        );
        f.badge_src = "/img/ga.png".into();
        for format in SnippetFormat::ALL {
            let s = f.snippet(format);
            assert!(s.contains("苏ICP备2026000007号-1"), "{format:?}: {s}");
            assert!(s.contains("苏公网安备32010602009975号"), "{format:?}: {s}");
            assert!(s.contains("版权所有"), "{format:?}: {s}");
            assert!(s.contains("/img/ga.png"), "{format:?}: {s}");
        }
        let next = f.snippet(SnippetFormat::HexoNext);
        assert!(next.contains("gongan_id: \"32010602009975\""), "{next}");
        let hugo = f.snippet(SnippetFormat::Hugo);
        let params: toml::Table = toml::from_str(hugo.split("\n{{").next().unwrap()).unwrap();
        assert_eq!(params["params"]["beian"]["icp"].as_str(), Some("苏ICP备2026000007号-1"));
    }

    #[test]
    fn hostile_unit_names_stay_inert_in_every_format() {
        let f = Footer::new(icp("苏ICP备2026000007号-1"), None, "X\"</p><script>alert('x')</script>", 2026);
        for format in SnippetFormat::ALL {
            let s = f.snippet(format);
            // Hugo's config holds the raw name: its html/template escapes it when rendering.
            let s =
                if format == SnippetFormat::Hugo { s.split("\n{{").nth(1).unwrap().to_owned() } else { s };
            assert!(!s.contains("<script>"), "{format:?}: {s}");
        }
        let hugo = f.snippet(SnippetFormat::Hugo);
        let params: toml::Table = toml::from_str(hugo.split("\n{{").next().unwrap()).unwrap();
        assert!(params["params"]["beian"]["copyright"].as_str().unwrap().contains("<script>"));
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
    }

    #[test]
    fn links_are_classified_by_host_with_stale_ones_named() {
        assert_eq!(classify_link("https://beian.miit.gov.cn/"), LinkTarget::Icp);
        assert_eq!(classify_link("HTTP://BEIAN.MIIT.GOV.CN/#/Integrated/index"), LinkTarget::Icp);
        assert_eq!(
            classify_link("https://beian.mps.gov.cn/#/query/webSearch?code=11010502030143"),
            LinkTarget::Psb { code: Some("11010502030143".into()) }
        );
        assert!(
            matches!(classify_link("http://www.miitbeian.gov.cn"), LinkTarget::Stale { kind, .. } if kind == "icp")
        );
        assert!(matches!(
            classify_link("http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010502030143"),
            LinkTarget::Stale { kind, .. } if kind == "psb"
        ));
        assert_eq!(classify_link("https://beian.miit.gov.cn.evil.example/"), LinkTarget::Other);
        assert_eq!(classify_link("https://evil.example/?u=https://beian.miit.gov.cn/"), LinkTarget::Other);
        assert_eq!(classify_link("/beian"), LinkTarget::Other);
        assert_eq!(classify_link("https://x@beian.miit.gov.cn/"), LinkTarget::Icp);
    }
}
