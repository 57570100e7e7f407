//! Footer snippets: the number a filed site shows at the bottom of its home page, linked to
//! the MIIT portal, with the provincial variations (Guangdong shows the subject number;
//! Jiangsu adds a `版权所有` line with the unit's exact name). The rules are data
//! (`data/footer.toml`, with sources); this module only assembles text and never drops the
//! trailing `号`.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::number::IcpFilingNumber;
use crate::province::ProvinceCode;

#[derive(Debug, Deserialize)]
struct Rules {
    icp_link: String,
    subject_number_provinces: Vec<String>,
    copyright_line_provinces: Vec<String>,
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| toml::from_str(include_str!("../data/footer.toml")).expect("data/footer.toml is valid"))
}

/// The MIIT portal the number links to.
pub fn icp_link() -> &'static str {
    &rules().icp_link
}

/// The number a site of `province` shows: the subject number in Guangdong, the site's own
/// number elsewhere.
pub fn displayed_number(province: ProvinceCode, site: &IcpFilingNumber) -> IcpFilingNumber {
    if rules().subject_number_provinces.contains(&province.to_string()) {
        site.subject()
    } else {
        site.clone()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The HTML footer for one filed site. `unit_name` is the subject's exact name (used for the
/// Jiangsu copyright line).
pub fn html(province: ProvinceCode, site: &IcpFilingNumber, unit_name: &str, year: i32) -> String {
    let number = displayed_number(province, site);
    let link = format!(
        "<a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a>",
        escape(icp_link()),
        escape(&number.to_string())
    );
    if rules().copyright_line_provinces.contains(&province.to_string()) {
        format!("<p>© {year} {} 版权所有</p>\n<p>{link}</p>", escape(unit_name))
    } else {
        format!("<p>{link}</p>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> IcpFilingNumber {
        match crate::number::parse(s).unwrap().number {
            crate::number::Number::IcpFiling(n) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn guangdong_shows_the_subject_number_others_the_site_number() {
        let gd = html(ProvinceCode::parse("44").unwrap(), &n("粤ICP备2026000001号-2"), "某公司", 2026);
        assert!(gd.contains(">粤ICP备2026000001号</a>"), "{gd}");
        let zj = html(ProvinceCode::parse("33").unwrap(), &n("浙ICP备2026012345号-1"), "某公司", 2026);
        assert!(zj.contains(">浙ICP备2026012345号-1</a>"), "{zj}");
        assert!(zj.contains("href=\"https://beian.miit.gov.cn/\""));
        assert!(!zj.contains("版权所有"));
    }

    #[test]
    fn jiangsu_adds_the_copyright_line_with_the_escaped_unit_name() {
        let js = html(
            ProvinceCode::parse("32").unwrap(),
            &n("苏ICP备2026000007号-1"),
            "南京<某>科技有限公司",
            2026,
        );
        assert!(js.contains("© 2026 南京&lt;某&gt;科技有限公司 版权所有"), "{js}");
        assert!(js.contains(">苏ICP备2026000007号-1</a>"));
    }
}
