//! Every status and result code of the interface with its official text, from the spec's
//! tables §3-4 (`msg_code` of every call) and §3-5 (data-processing results), kept as data in
//! `spec/codes.tsv`. Code refers to a code by a named constant ([`msg`], [`result`]) and
//! takes its words from the table ([`text`]); a test checks that every named constant is in
//! the table with the kind its module says.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Which table a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// `msg_code` of a method call.
    Call,
    /// Result of an ICP record (1001–1999).
    IcpData,
    /// Result of an IP record (2001–2999).
    IpData,
    /// Result of a domain record (3001–3999).
    DomainData,
    /// Result of a whole file (5001–5999).
    File,
}

/// One code and its official text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: i64,
    pub kind: CodeKind,
    pub text: &'static str,
}

static TABLE: LazyLock<HashMap<i64, Code>> = LazyLock::new(|| {
    let mut out = HashMap::new();
    for line in include_str!("../spec/codes.tsv").lines().skip(1) {
        let mut cols = line.split('\t');
        let (Some(code), Some(kind), Some(text)) = (cols.next(), cols.next(), cols.next()) else { continue };
        let kind = match kind {
            "call" => CodeKind::Call,
            "icp-data" => CodeKind::IcpData,
            "ip-data" => CodeKind::IpData,
            "domain-data" => CodeKind::DomainData,
            "file" => CodeKind::File,
            other => panic!("codes.tsv: unknown kind {other}"),
        };
        let code: i64 = code.parse().unwrap_or_else(|_| panic!("codes.tsv: bad code {code}"));
        out.insert(code, Code { code, kind, text });
    }
    out
});

/// The code's entry, if the spec defines it.
pub fn lookup(code: i64) -> Option<&'static Code> {
    TABLE.get(&code)
}

/// The official text of a code; an undefined code reads as the spec's "其他错误" of its range.
pub fn text(code: i64) -> &'static str {
    if let Some(c) = lookup(code) {
        return c.text;
    }
    let other = match code {
        1000..=1999 => result::ICP_OTHER,
        2000..=2999 => result::IP_OTHER,
        3000..=3999 => result::DOMAIN_OTHER,
        5000..=5999 => result::FILE_OTHER,
        _ => msg::OTHER,
    };
    lookup(other).map_or("其他错误", |c| c.text)
}

/// Every code of the table, in ascending order.
pub fn all() -> Vec<&'static Code> {
    let mut v: Vec<&Code> = TABLE.values().collect();
    v.sort_by_key(|c| c.code);
    v
}

/// `msg_code` of a method call (spec §3-4).
pub mod msg {
    pub const OK: i64 = 0;
    pub const DOWNLOADED_ALL: i64 = 1;
    pub const NOTHING_TO_DOWNLOAD: i64 = 2;
    pub const MORE_TO_DOWNLOAD: i64 = 3;
    pub const BAD_USER: i64 = 4;
    pub const BAD_PASSWORD: i64 = 5;
    pub const DECRYPT_FAILED: i64 = 6;
    pub const HASH_MISMATCH: i64 = 7;
    pub const UNZIP_FAILED: i64 = 8;
    pub const BAD_ENCRYPTION_ALGORITHM: i64 = 9;
    pub const BAD_HASH_ALGORITHM: i64 = 10;
    pub const BAD_COMPRESSION: i64 = 11;
    pub const AUTH_REFUSED: i64 = 12;
    pub const OTHER_PROVINCE: i64 = 13;
    pub const SEQUENCE_GAP: i64 = 14;
    pub const TOO_MANY_WAITING: i64 = 15;
    pub const RANDVAL_TOO_SHORT: i64 = 16;
    pub const FILE_COUNT: i64 = 17;
    pub const FILE_TOO_LARGE: i64 = 18;
    pub const NO_UPLOAD_RIGHT: i64 = 19;
    pub const OUTSIDE_HOURS: i64 = 20;
    pub const FILE_NAME_EMPTY: i64 = 21;
    pub const PASSWORD_CHECKS_EXCEEDED: i64 = 22;
    pub const MAINTENANCE_UPLOAD: i64 = 901;
    pub const MAINTENANCE_DOWNLOAD: i64 = 902;
    pub const OTHER: i64 = 999;
}

/// Results of the bureau's processing, per record or per file (spec §3-5).
pub mod result {
    pub const APPROVED: i64 = 1001;
    pub const REFUSED: i64 = 1002;
    pub const SUBJECT_CONFLICT: i64 = 1003;
    pub const INVALID_DOMAIN: i64 = 1004;
    pub const DOMAIN_CONFLICT: i64 = 1005;
    pub const INVALID_CERTIFICATE: i64 = 1008;
    pub const INVALID_MOBILE: i64 = 1011;
    pub const INVALID_NATURE: i64 = 1014;
    pub const NOT_ON_RECORD: i64 = 1016;
    pub const CHANGE_IN_PROGRESS: i64 = 1017;
    pub const REGION_INVALID: i64 = 1019;
    pub const ONLY_ACCESS: i64 = 1025;
    pub const CANCEL_REASON_INVALID: i64 = 1026;
    pub const SUBJECT_CANCEL_CONFLICT: i64 = 1027;
    pub const SITE_CANCEL_CONFLICT: i64 = 1030;
    pub const PRE_APPROVAL_KIND_INVALID: i64 = 1033;
    pub const SERVICE_CONTENT_INVALID: i64 = 1034;
    pub const ACCESS_METHOD_INVALID: i64 = 1035;
    pub const LOCATION_INVALID: i64 = 1036;
    pub const SITE_ALREADY_FILED: i64 = 1037;
    pub const OTHER_PROVINCE: i64 = 1045;
    pub const NOT_OUR_ACCESS: i64 = 1047;
    pub const NOT_OUR_FILING: i64 = 1048;
    pub const SUBJECT_CANCELLED: i64 = 1049;
    pub const SITE_CANCELLED: i64 = 1050;
    pub const ATTACHMENT_FORMAT_INVALID: i64 = 1056;
    pub const ATTACHMENT_USE_INVALID: i64 = 1057;
    pub const SUBJECT_NOT_FOUND: i64 = 1058;
    pub const SITE_NOT_FOUND: i64 = 1059;
    pub const IP_NOT_FILED: i64 = 1063;
    pub const DOMAIN_BLACKLISTED: i64 = 1064;
    pub const SUBJECT_BLACKLISTED: i64 = 1065;
    pub const LANGUAGE_INVALID: i64 = 1066;
    pub const ICP_OTHER: i64 = 1999;
    pub const IP_RANGE_REVERSED: i64 = 2002;
    pub const IP_RANGE_FILED: i64 = 2003;
    pub const IP_SOURCE_MISSING: i64 = 2005;
    pub const IP_SOURCE_UNIT_INVALID: i64 = 2029;
    pub const IP_SINCE_MISSING: i64 = 2030;
    pub const IP_METHOD_MISSING: i64 = 2032;
    pub const IP_USAGE_INVALID: i64 = 2041;
    pub const IP_ALLOCATED_TO_MISSING: i64 = 2047;
    pub const IP_ALLOCATED_TO_UNKNOWN: i64 = 2048;
    pub const IP_SOURCE_SELF: i64 = 2052;
    pub const IP_NOT_OURS: i64 = 2054;
    pub const IP_NOT_ON_RECORD: i64 = 2055;
    pub const IP_OK: i64 = 2998;
    pub const IP_OTHER: i64 = 2999;
    pub const DOMAIN_OTHER: i64 = 3999;
    pub const FILE_INVALID: i64 = 5001;
    pub const REQUESTER_MISMATCH: i64 = 5003;
    pub const VERSION: i64 = 5004;
    pub const UNFILED_NOT_OURS: i64 = 5005;
    pub const UNFILED_ALREADY_REPORTED: i64 = 5006;
    pub const FILE_OTHER: i64 = 5999;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_every_code_of_the_spec() {
        assert_eq!(all().len(), 204);
        assert_eq!(text(msg::OK), "操作成功");
        assert_eq!(text(result::APPROVED), "管局审核通过");
        assert_eq!(lookup(5004).unwrap().kind, CodeKind::File);
        // An undefined code reads as the "other" text of its range.
        assert_eq!(text(1900), text(result::ICP_OTHER));
        assert_eq!(text(123), text(msg::OTHER));
    }

    #[test]
    fn every_named_code_is_in_the_table_with_its_kind() {
        let calls = [
            msg::OK,
            msg::DOWNLOADED_ALL,
            msg::NOTHING_TO_DOWNLOAD,
            msg::MORE_TO_DOWNLOAD,
            msg::BAD_USER,
            msg::BAD_PASSWORD,
            msg::DECRYPT_FAILED,
            msg::HASH_MISMATCH,
            msg::UNZIP_FAILED,
            msg::BAD_ENCRYPTION_ALGORITHM,
            msg::BAD_HASH_ALGORITHM,
            msg::BAD_COMPRESSION,
            msg::AUTH_REFUSED,
            msg::OTHER_PROVINCE,
            msg::SEQUENCE_GAP,
            msg::TOO_MANY_WAITING,
            msg::RANDVAL_TOO_SHORT,
            msg::FILE_COUNT,
            msg::FILE_TOO_LARGE,
            msg::NO_UPLOAD_RIGHT,
            msg::OUTSIDE_HOURS,
            msg::FILE_NAME_EMPTY,
            msg::PASSWORD_CHECKS_EXCEEDED,
            msg::MAINTENANCE_UPLOAD,
            msg::MAINTENANCE_DOWNLOAD,
            msg::OTHER,
        ];
        for c in calls {
            assert_eq!(lookup(c).map(|c| c.kind), Some(CodeKind::Call), "{c}");
        }
        let results = [
            result::APPROVED,
            result::REFUSED,
            result::SUBJECT_CONFLICT,
            result::INVALID_DOMAIN,
            result::DOMAIN_CONFLICT,
            result::INVALID_CERTIFICATE,
            result::INVALID_MOBILE,
            result::INVALID_NATURE,
            result::NOT_ON_RECORD,
            result::CHANGE_IN_PROGRESS,
            result::REGION_INVALID,
            result::ONLY_ACCESS,
            result::CANCEL_REASON_INVALID,
            result::SUBJECT_CANCEL_CONFLICT,
            result::SITE_CANCEL_CONFLICT,
            result::PRE_APPROVAL_KIND_INVALID,
            result::SERVICE_CONTENT_INVALID,
            result::ACCESS_METHOD_INVALID,
            result::LOCATION_INVALID,
            result::SITE_ALREADY_FILED,
            result::OTHER_PROVINCE,
            result::NOT_OUR_ACCESS,
            result::NOT_OUR_FILING,
            result::SUBJECT_CANCELLED,
            result::SITE_CANCELLED,
            result::ATTACHMENT_FORMAT_INVALID,
            result::ATTACHMENT_USE_INVALID,
            result::SUBJECT_NOT_FOUND,
            result::SITE_NOT_FOUND,
            result::IP_NOT_FILED,
            result::DOMAIN_BLACKLISTED,
            result::SUBJECT_BLACKLISTED,
            result::LANGUAGE_INVALID,
            result::ICP_OTHER,
        ];
        for c in results {
            assert_eq!(lookup(c).map(|c| c.kind), Some(CodeKind::IcpData), "{c}");
        }
        for c in [result::IP_SOURCE_MISSING, result::IP_OK, result::IP_OTHER] {
            assert_eq!(lookup(c).map(|c| c.kind), Some(CodeKind::IpData), "{c}");
        }
        assert_eq!(lookup(result::DOMAIN_OTHER).map(|c| c.kind), Some(CodeKind::DomainData));
        for c in [
            result::FILE_INVALID,
            result::REQUESTER_MISMATCH,
            result::VERSION,
            result::UNFILED_NOT_OURS,
            result::UNFILED_ALREADY_REPORTED,
            result::FILE_OTHER,
        ] {
            assert_eq!(lookup(c).map(|c| c.kind), Some(CodeKind::File), "{c}");
        }
    }
}
