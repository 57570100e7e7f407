//! The footer check: given what a page shows ([`PageText`]) and what it should show
//! ([`Expected`]), the numbers found, where they link, and findings with stable codes.
//! Pure: no fetching, no clock. A footer written only by JavaScript is *not in static HTML*,
//! never *non-compliant*: the check cannot see it, so it does not judge it.

use beian_core::footer::{self, LinkTarget};
use beian_core::message::{Lang, Problem};
use beian_core::number::{self, Deviation, IcpFilingNumber, Number, NumberKind, PsbNumber};
use beian_core::text::fold_compact;
use serde::Serialize;

use crate::page::{BOUNDARY, PageText};

/// What a site should show, when known (from an `--expect` file or the database).
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// The site's own ICP number (`…号-N`).
    pub icp: Option<IcpFilingNumber>,
    pub psb: Option<PsbNumber>,
    /// The subject's exact name (the Jiangsu copyright line).
    pub unit_name: Option<String>,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// Declares the finding codes once: variant, stable code, severity. Their words are the core
/// catalogue's `scan.<code>` (`beian-core/i18n/`).
macro_rules! codes {
    ($($variant:ident, $code:literal, $severity:ident;)*) => {
        /// One thing the check found, with a stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The stable machine code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }
        }
    };
}

codes! {
    SiteUnreachable, "SITE_UNREACHABLE", Error;
    HttpStatus, "HTTP_STATUS", Error;
    NotHtml, "NOT_HTML", Error;
    BodyTruncated, "BODY_TRUNCATED", Info;
    IcpNumberMissing, "ICP_NUMBER_MISSING", Error;
    IcpNotInStaticHtml, "ICP_NOT_IN_STATIC_HTML", Info;
    IcpNumberWithoutHao, "ICP_NUMBER_WITHOUT_HAO", Error;
    IcpNotLinked, "ICP_NOT_LINKED", Error;
    IcpLinkStale, "ICP_LINK_STALE", Error;
    IcpSubjectNumberExpected, "ICP_SUBJECT_NUMBER_EXPECTED", Warning;
    IcpSiteNumberExpected, "ICP_SITE_NUMBER_EXPECTED", Warning;
    IcpOtherSiteNumber, "ICP_OTHER_SITE_NUMBER", Error;
    PsbNumberMissing, "PSB_NUMBER_MISSING", Error;
    PsbNotInStaticHtml, "PSB_NOT_IN_STATIC_HTML", Info;
    PsbNumberWithoutHao, "PSB_NUMBER_WITHOUT_HAO", Error;
    PsbNotLinked, "PSB_NOT_LINKED", Error;
    PsbLinkStale, "PSB_LINK_STALE", Warning;
    PsbLinkWrongCode, "PSB_LINK_WRONG_CODE", Error;
    PsbBadgeMissing, "PSB_BADGE_MISSING", Warning;
    CopyrightLineMissing, "COPYRIGHT_LINE_MISSING", Error;
    CopyrightOwnerMismatch, "COPYRIGHT_OWNER_MISMATCH", Error;
    NumberOfAnotherSubject, "NUMBER_OF_ANOTHER_SUBJECT", Error;
    NumberMalformed, "NUMBER_MALFORMED", Error;
    StaleLink, "STALE_LINK", Warning;
    NumberInFrame, "NUMBER_IN_FRAME", Info;
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A finding: its code and what it concerns (a number or a link), when it concerns one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Finding {
    pub fn new(code: Code, detail: Option<String>) -> Finding {
        Finding { code, severity: code.severity(), detail }
    }
}

impl Problem for Finding {
    fn code(&self) -> &'static str {
        self.code.as_str()
    }

    fn message(&self, lang: Lang) -> String {
        let words = beian_core::message::words(lang);
        let text = words.get(&format!("scan.{}", self.code.as_str())).to_owned();
        match &self.detail {
            Some(d) => format!("{text}{}{d}", words.get("scan.detail_separator")),
            None => text,
        }
    }
}

/// How a number on the page relates to the expected ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The expected number (or, for ICP, the expected subject's number).
    Expected,
    /// The same subject's number for another site.
    SameSubject,
    /// Someone else's number.
    Foreign,
}

/// One number found on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundNumber {
    /// As on the page, node boundaries removed (tags and entities kept).
    pub text: String,
    /// The canonical form, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<NumberKind>,
    /// Why it is not a valid number: the core parser's code (`NUMBER_PREFIX_WRONG`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Tolerated departures (`MISSING_HAO`, `SPACES`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<String>,
    /// The link the number sits in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
}

/// The result of checking one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub numbers: Vec<FoundNumber>,
    pub findings: Vec<Finding>,
}

#[derive(Debug)]
struct Occurrence {
    found: FoundNumber,
    parsed: Option<(Number, Vec<Deviation>)>,
    target: Option<(LinkTarget, Option<String>)>,
}

/// Whether `numbers` hold a valid ICP number, and (when one is expected) a PSB number: what
/// decides that nothing more is read for a page.
pub fn shows_numbers(numbers: &[FoundNumber], psb_expected: bool) -> bool {
    shows_kinds(numbers.iter().filter_map(|n| n.kind), psb_expected)
}

/// The same, from the kinds of the valid numbers found.
pub fn shows_kinds(kinds: impl IntoIterator<Item = NumberKind>, psb_expected: bool) -> bool {
    let (mut icp, mut psb) = (false, false);
    for k in kinds {
        icp |= matches!(k, NumberKind::IcpFiling | NumberKind::IcpLicence);
        psb |= k == NumberKind::Psb;
    }
    icp && (!psb_expected || psb)
}

/// Checks a page against what it should show.
pub fn assess(page: &PageText, expected: &Expected) -> Assessment {
    let targets: Vec<LinkTarget> = page.links.iter().map(|l| footer::classify_link(&l.href)).collect();
    let occurrences: Vec<Occurrence> = number::extract(&page.text)
        .into_iter()
        .map(|e| {
            // The link whose text overlaps the number (a link may cover only part of it).
            let link = page.links.iter().position(|l| l.start < e.end && e.start < l.end);
            let parsed = e.result.as_ref().ok().map(|p| (p.number.clone(), p.deviations.clone()));
            let relation = parsed.as_ref().and_then(|(n, _)| relation(n, expected));
            Occurrence {
                found: FoundNumber {
                    text: e.text.replace(BOUNDARY, ""),
                    number: parsed.as_ref().map(|(n, _)| n.to_string()),
                    kind: parsed.as_ref().map(|(n, _)| n.kind()),
                    error: e.result.as_ref().err().map(|err| err.code().to_owned()),
                    deviations: parsed
                        .as_ref()
                        .map(|(_, d)| d.iter().map(|d| d.code().to_owned()).collect())
                        .unwrap_or_default(),
                    link: link.map(|i| page.links[i].href.clone()),
                    relation,
                },
                target: link.map(|i| (targets[i].clone(), page.links[i].image.clone())),
                parsed,
            }
        })
        .collect();

    let mut findings = Vec::new();
    check_icp(page, expected, &occurrences, &mut findings);
    check_psb(page, expected, &occurrences, &mut findings);
    check_copyright(page, expected, &mut findings);
    for o in &occurrences {
        match (&o.parsed, o.found.relation) {
            (None, _) => findings.push(Finding::new(Code::NumberMalformed, Some(o.found.text.clone()))),
            (Some((n, _)), Some(Relation::Foreign)) if n.kind() != NumberKind::IcpLicence => {
                findings.push(Finding::new(Code::NumberOfAnotherSubject, Some(n.to_string())))
            }
            _ => {}
        }
    }
    // Retired links anywhere on the page, beyond those already reported on a number.
    for (l, target) in page.links.iter().zip(&targets) {
        if let LinkTarget::Stale { .. } = target {
            let on_number = occurrences.iter().any(|o| o.found.link.as_deref() == Some(&l.href));
            if !on_number {
                findings.push(Finding::new(Code::StaleLink, Some(l.href.clone())));
            }
        }
    }
    dedup(&mut findings);
    Assessment { numbers: occurrences.into_iter().map(|o| o.found).collect(), findings }
}

fn dedup(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.code, f.detail.clone())));
}

fn relation(n: &Number, expected: &Expected) -> Option<Relation> {
    match n {
        Number::IcpFiling(f) => {
            let e = expected.icp.as_ref()?;
            Some(if f.subject() != e.subject() {
                Relation::Foreign
            } else if f.service().is_none() || f.service() == e.service() {
                Relation::Expected
            } else {
                Relation::SameSubject
            })
        }
        Number::IcpLicence(_) => expected.icp.as_ref().map(|_| Relation::Foreign),
        Number::Psb(p) => {
            let e = expected.psb.as_ref()?;
            Some(if p == e { Relation::Expected } else { Relation::Foreign })
        }
    }
}

fn has_hao_missing(o: &Occurrence) -> bool {
    o.parsed.as_ref().is_some_and(|(_, d)| d.contains(&Deviation::MissingHao))
}

fn check_icp(page: &PageText, expected: &Expected, occ: &[Occurrence], out: &mut Vec<Finding>) {
    let is_icp = |o: &&Occurrence| {
        o.parsed
            .as_ref()
            .is_some_and(|(n, _)| matches!(n.kind(), NumberKind::IcpFiling | NumberKind::IcpLicence))
    };
    // With an expectation, the subject's own numbers; without, every ICP number on the page.
    let shown: Vec<&Occurrence> = occ
        .iter()
        .filter(is_icp)
        .filter(|o| {
            expected.icp.is_none()
                || matches!(o.found.relation, Some(Relation::Expected | Relation::SameSubject))
        })
        .collect();
    if shown.is_empty() {
        let detail = expected.icp.as_ref().map(|n| footer::displayed_number(n).to_string());
        let code =
            if page.script_mentions_number { Code::IcpNotInStaticHtml } else { Code::IcpNumberMissing };
        out.push(Finding::new(code, detail));
        return;
    }
    // Judge the best occurrence: the expected one if shown, linked ones first.
    let best = shown
        .iter()
        .copied()
        .max_by_key(|o| {
            (o.found.relation == Some(Relation::Expected), matches!(o.target, Some((LinkTarget::Icp, _))))
        })
        .expect("not empty");
    let text = best.found.number.clone();
    if best.found.relation == Some(Relation::SameSubject) {
        out.push(Finding::new(Code::IcpOtherSiteNumber, text.clone()));
    }
    if has_hao_missing(best) {
        out.push(Finding::new(Code::IcpNumberWithoutHao, text.clone()));
    }
    match &best.target {
        Some((LinkTarget::Icp, _)) => {}
        Some((LinkTarget::Stale { kind, .. }, _)) if kind == "icp" => {
            out.push(Finding::new(Code::IcpLinkStale, best.found.link.clone()))
        }
        _ => out.push(Finding::new(Code::IcpNotLinked, text.clone())),
    }
    if let (Some(e), Some((Number::IcpFiling(shown), _))) = (&expected.icp, &best.parsed)
        && best.found.relation == Some(Relation::Expected)
    {
        let wants_subject = footer::shows_subject_number(e.province());
        if wants_subject && shown.service().is_some() {
            out.push(Finding::new(
                Code::IcpSubjectNumberExpected,
                Some(footer::displayed_number(e).to_string()),
            ));
        } else if !wants_subject && shown.service().is_none() && e.service().is_some() {
            out.push(Finding::new(Code::IcpSiteNumberExpected, Some(e.to_string())));
        }
    }
}

fn check_psb(page: &PageText, expected: &Expected, occ: &[Occurrence], out: &mut Vec<Finding>) {
    let psbs: Vec<&Occurrence> = occ
        .iter()
        .filter(|o| o.parsed.as_ref().is_some_and(|(n, _)| n.kind() == NumberKind::Psb))
        .filter(|o| expected.psb.is_none() || o.found.relation == Some(Relation::Expected))
        .collect();
    if psbs.is_empty() {
        if let Some(e) = &expected.psb {
            let code =
                if page.script_mentions_number { Code::PsbNotInStaticHtml } else { Code::PsbNumberMissing };
            out.push(Finding::new(code, Some(e.to_string())));
        }
        return;
    }
    for o in psbs {
        let Some((Number::Psb(n), _)) = &o.parsed else { continue };
        let text = Some(n.to_string());
        if has_hao_missing(o) {
            out.push(Finding::new(Code::PsbNumberWithoutHao, text.clone()));
        }
        match &o.target {
            Some((LinkTarget::Psb { code }, image)) => {
                if code.as_deref() != Some(n.digits()) {
                    out.push(Finding::new(Code::PsbLinkWrongCode, o.found.link.clone()));
                }
                if image.is_none() {
                    out.push(Finding::new(Code::PsbBadgeMissing, text.clone()));
                }
            }
            Some((LinkTarget::Stale { kind, .. }, _)) if kind == "psb" => {
                out.push(Finding::new(Code::PsbLinkStale, o.found.link.clone()))
            }
            _ => out.push(Finding::new(Code::PsbNotLinked, text.clone())),
        }
    }
}

/// Jiangsu (and any province listed in the footer data): a `版权所有` line with the unit's
/// exact name, compared with spaces removed and full-width folded.
fn check_copyright(page: &PageText, expected: &Expected, out: &mut Vec<Finding>) {
    let Some(icp) = &expected.icp else { return };
    if !footer::wants_copyright_line(icp.province()) {
        return;
    }
    let visible = number::visible_text(&page.text);
    let compact: String = fold_compact(&visible).chars().filter(|c| !c.is_whitespace()).collect();
    let mark = "版权所有";
    if !compact.contains(mark) {
        out.push(Finding::new(Code::CopyrightLineMissing, expected.unit_name.clone()));
        return;
    }
    let Some(unit) = &expected.unit_name else { return };
    let unit: String = fold_compact(unit).chars().filter(|c| !c.is_whitespace()).collect();
    // The name on the line: within a short distance before or after the mark.
    let near = compact.match_indices(mark).any(|(at, _)| {
        let from = compact.floor_char_boundary(at.saturating_sub(unit.len() + 64));
        let to = compact.ceil_char_boundary(at + mark.len() + unit.len() + 64);
        compact[from..to].contains(&unit)
    });
    if !near {
        out.push(Finding::new(Code::CopyrightOwnerMismatch, expected.unit_name.clone()));
    }
}

/// Whether the findings make the site non-compliant, unjudgeable, or fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Compliant,
    NonCompliant,
    /// The footer is not in the static HTML; a person must look.
    NotInStaticHtml,
    /// The page is larger than the cap and what it should show was not in the part read.
    Incomplete,
    Unreachable,
}

impl Verdict {
    /// The stable name (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compliant => "compliant",
            Verdict::NonCompliant => "non_compliant",
            Verdict::NotInStaticHtml => "not_in_static_html",
            Verdict::Incomplete => "incomplete",
            Verdict::Unreachable => "unreachable",
        }
    }
}

pub fn verdict(findings: &[Finding]) -> Verdict {
    let missing =
        |c: Code| matches!(c, Code::IcpNumberMissing | Code::PsbNumberMissing | Code::CopyrightLineMissing);
    if findings.iter().any(|f| matches!(f.code, Code::SiteUnreachable | Code::HttpStatus)) {
        Verdict::Unreachable
    } else if findings.iter().any(|f| f.code == Code::BodyTruncated)
        && findings.iter().any(|f| missing(f.code))
        && !findings.iter().any(|f| f.severity == Severity::Error && !missing(f.code))
    {
        Verdict::Incomplete
    } else if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::NonCompliant
    } else if findings.iter().any(|f| matches!(f.code, Code::IcpNotInStaticHtml | Code::PsbNotInStaticHtml)) {
        Verdict::NotInStaticHtml
    } else {
        Verdict::Compliant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::read_all;

    fn expected(icp: &str) -> Expected {
        match number::parse(icp).unwrap().number {
            Number::IcpFiling(n) => Expected { icp: Some(n), ..Expected::default() },
            other => panic!("{other}"),
        }
    }

    /// Every finding is worded in both languages (the core catalogue's `scan.<code>`), with its
    /// detail after the language's separator.
    #[test]
    fn every_finding_has_its_words_in_both_languages() {
        for code in Code::ALL {
            for lang in [Lang::Zh, Lang::En] {
                assert!(
                    beian_core::message::words(lang).has(&format!("scan.{}", code.as_str())),
                    "{code:?} {lang:?}"
                );
            }
        }
        let f = Finding::new(Code::IcpNumberWithoutHao, Some("京ICP备16020626".into()));
        assert_eq!(f.message(Lang::Zh), "备案号缺少结尾的“号”字：京ICP备16020626");
        assert_eq!(f.message(Lang::En), "The ICP number lacks its trailing 号: 京ICP备16020626");
    }

    fn codes(html: &str, e: &Expected) -> Vec<&'static str> {
        assess(&read_all(encoding_rs::UTF_8, html.as_bytes()), e)
            .findings
            .iter()
            .map(|f| f.code.as_str())
            .collect()
    }

    #[test]
    fn an_empty_link_before_a_number_does_not_link_it() {
        let e = expected("浙ICP备2026012345号-1");
        assert_eq!(
            codes("<a href=\"https://beian.miit.gov.cn/\"></a>浙ICP备2026012345号-1", &e),
            ["ICP_NOT_LINKED"]
        );
        assert!(codes("<a href=\"https://beian.miit.gov.cn/\">浙ICP备2026012345号-1</a>", &e).is_empty());
        // A link over part of the number still links it.
        assert!(codes("浙ICP备<a href=\"https://beian.miit.gov.cn/\">2026012345号-1</a>", &e).is_empty());
    }

    #[test]
    fn without_expectations_every_number_is_judged_on_its_own() {
        let none = Expected::default();
        assert_eq!(codes("<p>nothing here</p>", &none), ["ICP_NUMBER_MISSING"]);
        assert_eq!(
            codes(
                "<p>京公网安备11010502030143号</p><a href=\"https://beian.miit.gov.cn\">京ICP备16020626号</a>",
                &none
            ),
            ["PSB_NOT_LINKED"]
        );
        let malformed = assess(&read_all(encoding_rs::UTF_8, "川ICP备12345678号".as_bytes()), &none);
        assert_eq!(malformed.numbers[0].error.as_deref(), Some("NUMBER_PREFIX_WRONG"));
    }
}
