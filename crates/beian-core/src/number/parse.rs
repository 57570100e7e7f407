//! The tolerant parser behind [`parse`]: folds the input, finds the kind marker
//! (`ICP备`, `ICP证`, `B2-`, `公网安备`) and reads prefix, serial, 号 and suffix around it.

use super::{
    Deviation, IcpFilingNumber, IcpLicenceNumber, LicenceForm, Number, NumberError, NumberKind, ParsedNumber,
    PsbNumber, ServiceKind, ServiceSuffix,
};
use crate::division::divisions;
use crate::province::{self, ProvinceCode};
use crate::text::{fold_char, is_space};

/// Parses one ICP filing, ICP licence or PSB number.
pub fn parse(input: &str) -> Result<ParsedNumber, NumberError> {
    let trimmed = input.trim_matches(is_space);
    if trimmed.is_empty() {
        return Err(NumberError::Empty);
    }
    let mut deviations = Vec::new();
    let mut s = String::with_capacity(trimmed.len());
    let (mut full, mut spaces_at) = (false, Vec::new());
    for c in trimmed.chars() {
        let f = fold_char(c);
        if is_space(f) {
            spaces_at.push(s.len());
            continue;
        }
        if f != c {
            full = true;
        }
        s.push(f);
    }
    let upper = s.to_ascii_uppercase();
    if full {
        deviations.push(Deviation::FullWidth);
    }
    // The one space the MPS snippet itself prints (`京公网安备 11010502030143号`) is not a deviation.
    let psb_gap = upper.find("公网安备").map(|i| i + "公网安备".len());
    if spaces_at.iter().any(|&at| Some(at) != psb_gap) {
        deviations.push(Deviation::Spaces);
    }
    if upper != s {
        deviations.push(Deviation::LowercaseLetters);
    }
    let s = upper;

    let (kind, form, at, marker_len) = if let Some(i) = s.find("公网安备") {
        (NumberKind::Psb, None, i, "公网安备".len())
    } else if let Some(i) = s.find("ICP备") {
        (NumberKind::IcpFiling, None, i, "ICP备".len())
    } else if let Some(i) = s.find("ICP证") {
        (NumberKind::IcpLicence, Some(LicenceForm::IcpZheng), i, "ICP证".len())
    } else if let Some(i) = s.find("B2-") {
        (NumberKind::IcpLicence, Some(LicenceForm::B2), i, "B2-".len())
    } else {
        return Err(NumberError::Unrecognized);
    };

    let prefix = &s[..at];
    let province = match (prefix.chars().count(), prefix.chars().next()) {
        (0, _) if form == Some(LicenceForm::B2) => None,
        (0, _) => return Err(NumberError::PrefixMissing),
        (1, Some(c)) => Some(resolve_prefix(c, kind)?),
        _ => return Err(NumberError::UnexpectedText),
    };

    let mut rest = &s[at + marker_len..];
    let serial_len = rest.find(|c: char| !(c.is_ascii_digit() || c == 'X')).unwrap_or(rest.len());
    let serial = &rest[..serial_len];
    if serial.contains('X') {
        return Err(NumberError::Placeholder);
    }
    if serial.is_empty() && !rest.is_empty() && !rest.starts_with(['号', '-']) {
        return Err(NumberError::SerialCharacters);
    }
    let expected: (std::ops::RangeInclusive<usize>, &'static str) = match (kind, form) {
        (NumberKind::Psb, _) => (14..=14, "14"),
        (NumberKind::IcpFiling, _) => (6..=10, "6–10"),
        (_, Some(LicenceForm::B2)) => (8..=8, "8"),
        _ => (6..=6, "6"),
    };
    if !expected.0.contains(&serial.len()) {
        return Err(NumberError::SerialLength { len: serial.len(), expected: expected.1 });
    }
    rest = &rest[serial_len..];

    let mut hao = false;
    if let Some(r) = rest.strip_prefix('号') {
        hao = true;
        rest = r;
    }
    let mut service = None;
    if let Some(r) = rest.strip_prefix('-') {
        if kind == NumberKind::Psb {
            return Err(NumberError::UnexpectedText);
        }
        let digits = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let seq: u32 = r[..digits].parse().map_err(|_| NumberError::Suffix)?;
        if seq == 0 || r.starts_with('0') {
            return Err(NumberError::Suffix);
        }
        let mut r = &r[digits..];
        let letter = r.chars().next().filter(|c| c.is_ascii_alphabetic());
        if let Some(l) = letter {
            r = &r[l.len_utf8()..];
        }
        let kind = ServiceKind::from_letter(letter).ok_or(NumberError::Suffix)?;
        service = Some(ServiceSuffix { seq, kind });
        rest = r;
        if let Some(r) = rest.strip_prefix('号') {
            if hao {
                return Err(NumberError::UnexpectedText);
            }
            hao = true;
            deviations.push(Deviation::HaoAfterSuffix);
            rest = r;
        }
    }
    if !rest.is_empty() {
        return Err(NumberError::UnexpectedText);
    }
    if !hao && form != Some(LicenceForm::B2) {
        deviations.push(Deviation::MissingHao);
    }

    let number = match kind {
        NumberKind::Psb => {
            let p = province.expect("PSB numbers always have a prefix");
            if serial[..2] != format!("{:02}", p.get()) {
                return Err(NumberError::PsbProvinceMismatch {
                    prefix: p.province().psb_prefix,
                    digits: serial[..2].to_owned(),
                });
            }
            let n = PsbNumber::from_digits(serial).expect("checked: 14 digits of this province");
            if !divisions().contains(n.area_code()) {
                deviations.push(Deviation::PsbAreaUnknown);
            }
            Number::Psb(n)
        }
        NumberKind::IcpFiling => Number::IcpFiling(
            IcpFilingNumber::new(province.expect("filing numbers always have a prefix"), serial, service)
                .expect("checked: 6-10 digits and seq > 0"),
        ),
        NumberKind::IcpLicence => Number::IcpLicence(IcpLicenceNumber {
            province,
            form: form.expect("licence has a form"),
            serial: serial.to_owned(),
            service,
        }),
    };
    Ok(ParsedNumber { number, deviations })
}

/// Maps a one-character prefix to its province for the given number kind, or explains why
/// it is wrong (the other table's prefix, Hong Kong/Macau/Taiwan, or no province at all).
fn resolve_prefix(c: char, kind: NumberKind) -> Result<ProvinceCode, NumberError> {
    let (own, other) = if kind == NumberKind::Psb {
        (province::by_psb_prefix(c), province::by_icp_prefix(c))
    } else {
        (province::by_icp_prefix(c), province::by_psb_prefix(c))
    };
    if let Some(p) = own {
        return Ok(p.code);
    }
    if let Some(p) = other {
        let expected = if kind == NumberKind::Psb { p.psb_prefix } else { p.icp_prefix };
        return Err(NumberError::PrefixWrong { found: c, expected, kind });
    }
    if province::is_non_filing_region(c) {
        return Err(NumberError::PrefixNotFilingRegion { found: c });
    }
    Err(NumberError::PrefixUnknown { found: c })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Problem;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}")).number.to_string()
    }

    #[test]
    fn public_filing_numbers() {
        for n in ["京ICP备16020626号", "京ICP备16020626号-8", "京ICP备10046444号-9", "浙ICP备2026012345号-1"]
        {
            let p = parse(n).unwrap();
            assert_eq!(p.number.to_string(), n);
            assert!(p.deviations.is_empty(), "{n}: {:?}", p.deviations);
        }
        let p = parse("京ICP备16020626号-8").unwrap();
        assert_eq!(p.number.kind(), NumberKind::IcpFiling);
        assert_eq!(p.number.province().unwrap().get(), 11);
        assert_eq!(p.number.subject_number().unwrap(), "京ICP备16020626号");
        assert_eq!(p.number.service(), Some(ServiceSuffix { seq: 8, kind: ServiceKind::Website }));
        for (n, kind) in [
            ("京ICP备16020626号-1A", ServiceKind::App),
            ("京ICP备16020626号-3X", ServiceKind::MiniProgram),
            ("京ICP备16020626号-4K", ServiceKind::QuickApp),
        ] {
            assert_eq!(parse(n).unwrap().number.service().unwrap().kind, kind, "{n}");
        }
        // Sichuan, Guizhou, Gansu use 蜀/黔/陇 on ICP numbers.
        assert_eq!(canon("蜀ICP备2021001234号-2"), "蜀ICP备2021001234号-2");
        assert_eq!(canon("陇ICP备12345678号"), "陇ICP备12345678号");
    }

    #[test]
    fn public_licence_numbers() {
        for n in [
            "京ICP证030173号",
            "京ICP证030173号-1",
            "浙B2-20080101",
            "浙B2-20080101-4",
            "粤B2-20090059-5",
            "粤B2-20090059-1626X",
        ] {
            let p = parse(n).unwrap();
            assert_eq!(p.number.to_string(), n);
            assert_eq!(p.number.kind(), NumberKind::IcpLicence);
        }
        assert_eq!(parse("粤B2-20090059").unwrap().number.subject_number().unwrap(), "粤B2-20090059");
        assert_eq!(parse("B2-20080001").unwrap().number.province(), None);
    }

    #[test]
    fn public_psb_numbers() {
        assert_eq!(canon("京公网安备 11010502030143号"), "京公网安备11010502030143号");
        assert!(parse("京公网安备 11010502030143号").unwrap().deviations.is_empty());
        assert_eq!(canon("浙公网安备 33010602009975号"), "浙公网安备33010602009975号");
        assert_eq!(canon("京公网安备11000002000001"), "京公网安备11000002000001号");
        let p = parse("川公网安备51080202020150号").unwrap();
        match p.number {
            Number::Psb(n) => {
                assert_eq!(n.area_code(), 510802);
                assert_eq!(n.digits(), "51080202020150");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(canon("贵公网安备52052302000396号"), "贵公网安备52052302000396号");
    }

    #[test]
    fn tolerant_input_reports_deviations() {
        let p = parse(" 京 icp 备 １６０２０６２６ ").unwrap();
        assert_eq!(p.number.to_string(), "京ICP备16020626号");
        for d in [Deviation::FullWidth, Deviation::Spaces, Deviation::LowercaseLetters, Deviation::MissingHao]
        {
            assert!(p.deviations.contains(&d), "{d:?} in {:?}", p.deviations);
        }
        let p = parse("京ICP备16020626－8号").unwrap();
        assert_eq!(p.number.to_string(), "京ICP备16020626号-8");
        assert!(p.deviations.contains(&Deviation::HaoAfterSuffix));
        let p = parse("京ICP备16020626号-1a").unwrap();
        assert_eq!(p.number.to_string(), "京ICP备16020626号-1A");
    }

    #[test]
    fn errors() {
        use NumberError::*;
        let cases = [
            ("", Empty),
            ("京ICP备XXXXXXXX号", Placeholder),
            ("粤ICP备2022xxxxxx号-1", Placeholder),
            ("川ICP备12345678号", PrefixWrong { found: '川', expected: '蜀', kind: NumberKind::IcpFiling }),
            ("甘ICP备12345678号", PrefixWrong { found: '甘', expected: '陇', kind: NumberKind::IcpFiling }),
            (
                "蜀公网安备51010402000001号",
                PrefixWrong { found: '蜀', expected: '川', kind: NumberKind::Psb },
            ),
            ("港ICP备12345678号", PrefixNotFilingRegion { found: '港' }),
            ("中ICP备12345678号", PrefixUnknown { found: '中' }),
            ("ICP备12345678号", PrefixMissing),
            ("京ICP备12345号", SerialLength { len: 5, expected: "6–10" }),
            ("京ICP备12345678901号", SerialLength { len: 11, expected: "6–10" }),
            ("京公网安备1101050203014号", SerialLength { len: 13, expected: "14" }),
            ("浙B2-2008010", SerialLength { len: 7, expected: "8" }),
            ("京公网安备31010502030143号", PsbProvinceMismatch { prefix: '京', digits: "31".into() }),
            ("京ICP备16020626号-0", Suffix),
            ("京ICP备16020626号-", Suffix),
            ("京ICP备16020626号-2B", Suffix),
            ("京ICP备16020626号 备案", UnexpectedText),
            ("备案号：京ICP备16020626号", UnexpectedText),
            ("京公网安备11010502030143号-1", UnexpectedText),
            ("京网文〔2020〕1039-165号", Unrecognized),
            ("13800138000", Unrecognized),
        ];
        for (input, err) in cases {
            assert_eq!(parse(input).unwrap_err(), err, "{input}");
        }
        assert_eq!(parse("川ICP备12345678号").unwrap_err().code(), "NUMBER_PREFIX_WRONG");
    }

    fn any_filing() -> impl Strategy<Value = String> {
        let prefixes: Vec<char> = province::provinces().iter().map(|p| p.icp_prefix).collect();
        (
            proptest::sample::select(prefixes),
            "[0-9]{6,10}",
            proptest::option::of((1u32..2000, proptest::sample::select(vec!["", "A", "X", "K"]))),
        )
            .prop_map(|(p, serial, suffix)| match suffix {
                Some((n, l)) => format!("{p}ICP备{serial}号-{n}{l}"),
                None => format!("{p}ICP备{serial}号"),
            })
    }

    proptest! {
        #[test]
        fn canonical_filing_numbers_round_trip(n in any_filing()) {
            let p = parse(&n).unwrap();
            prop_assert_eq!(p.number.to_string(), n.clone());
            prop_assert!(p.deviations.is_empty());
            // Spaced, full-width, lower-case, without 号: still the same number.
            let messy: String = n.replace("ICP", " icp ").chars().map(|c| if c.is_ascii_digit() {
                char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }).collect();
            prop_assert_eq!(parse(&messy).unwrap().number.to_string(), n);
        }

        #[test]
        fn licence_numbers_round_trip(
            p in proptest::sample::select(province::provinces().to_vec()),
            b2 in "[0-9]{8}",
            zheng in "[0-9]{6}",
            seq in proptest::option::of(1u32..100),
        ) {
            let suffix = seq.map(|s| format!("-{s}")).unwrap_or_default();
            for n in [format!("{}B2-{b2}{suffix}", p.icp_prefix), format!("{}ICP证{zheng}号{suffix}", p.icp_prefix)] {
                let parsed = parse(&n).unwrap();
                prop_assert_eq!(parsed.number.kind(), NumberKind::IcpLicence);
                prop_assert_eq!(parsed.number.to_string(), n.clone());
            }
        }

        #[test]
        fn psb_numbers_round_trip(p in proptest::sample::select(province::provinces().to_vec()), tail in "[0-9]{12}") {
            let n = format!("{}公网安备{:02}{tail}号", p.psb_prefix, p.code.get());
            prop_assert_eq!(parse(&n).unwrap().number.to_string(), n);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
        }
    }
}
