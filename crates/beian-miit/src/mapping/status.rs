//! `isp_querybeianstatus` from the provider's side: which condition to ask by, and what the
//! answer says. The provider asks before it decides an order's kind (is the domain, is the
//! subject already on file?) and before it lets a domain through its pre-check (is the domain
//! filed under another subject?).

use beian_core::model::{CertificateKind, SubjectNature};

use super::names;
use crate::codes::msg;
use crate::schema::querybeianstatus_return::Return;
use crate::xml::{self, Mode};

/// The condition type that asks by domain.
pub const BY_DOMAIN: i64 = 0;

/// The condition type that asks by a subject's certificate, when the spec has one for it.
pub fn by_certificate(nature: SubjectNature, kind: CertificateKind) -> Option<i64> {
    names().status_condition(nature, kind)
}

/// What the bureau has on file for a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    NotFiled,
    /// Filed: the subject's number, and for a domain the website's name and number.
    Filed {
        subject_number: String,
        website_number: Option<String>,
        website_name: Option<String>,
    },
}

impl Status {
    pub fn subject_number(&self) -> Option<&str> {
        match self {
            Status::NotFiled => None,
            Status::Filed { subject_number, .. } => Some(subject_number),
        }
    }
}

/// Why an answer says nothing about the condition.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("unreadable answer: {0}")]
    Unreadable(#[from] xml::XmlError),
    /// The call was refused (`msg_code` other than 0).
    #[error("the bureau answered {0} ({text})", text = crate::codes::text(*.0))]
    Refused(i64),
    #[error("the answer carries no status")]
    Empty,
}

/// Reads an `isp_querybeianstatus` answer.
pub fn read(answer: &[u8]) -> Result<Status, StatusError> {
    let r: Return = xml::from_bytes(answer, Mode::Lenient)?;
    if r.msg_code != msg::OK {
        return Err(StatusError::Refused(r.msg_code));
    }
    let info = r.status_info.ok_or(StatusError::Empty)?;
    let clean = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(match (info.bazt.trim(), clean(info.ztbah)) {
        ("0", Some(subject_number)) => Status::Filed {
            subject_number,
            website_number: clean(info.wzbah),
            website_name: clean(info.wzmc),
        },
        // "Filed" without a number tells the provider nothing it could act on.
        ("0", None) => return Err(StatusError::Empty),
        _ => Status::NotFiled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::querybeianstatus_return::StatusInfo;

    fn answer(code: i64, info: Option<StatusInfo>) -> Vec<u8> {
        let r = Return {
            version: "V.3.0".into(),
            msg_code: code,
            msg: crate::answer::msg(code, None),
            status_info: info,
        };
        xml::to_gbk(&r).unwrap()
    }

    fn info(bazt: &str, ztbah: Option<&str>, wzbah: Option<&str>) -> StatusInfo {
        StatusInfo {
            cxtjlx: 0,
            cxtj: "example.cn".into(),
            wzmc: wzbah.map(|_| "示例网站".into()),
            ztbah: ztbah.map(Into::into),
            wzbah: wzbah.map(Into::into),
            bazt: bazt.into(),
        }
    }

    #[test]
    fn answers_read_as_filed_not_filed_or_nothing() {
        let filed =
            read(&answer(0, Some(info("0", Some("浙ICP备2026012345号"), Some("浙ICP备2026012345号-1")))));
        assert_eq!(
            filed.unwrap(),
            Status::Filed {
                subject_number: "浙ICP备2026012345号".into(),
                website_number: Some("浙ICP备2026012345号-1".into()),
                website_name: Some("示例网站".into()),
            }
        );
        assert_eq!(read(&answer(0, Some(info("1", None, None)))).unwrap(), Status::NotFiled);
        assert!(matches!(read(&answer(5, None)), Err(StatusError::Refused(5))));
        assert!(matches!(read(&answer(0, None)), Err(StatusError::Empty)));
        assert!(matches!(read(&answer(0, Some(info("0", None, None)))), Err(StatusError::Empty)));
        assert!(matches!(read(b"<html/>"), Err(StatusError::Unreadable(_))));
    }

    #[test]
    fn every_certificate_kind_but_the_hk_macau_permit_can_be_asked_by() {
        for k in CertificateKind::ALL {
            let n = if k.is_personal() { SubjectNature::Individual } else { SubjectNature::Enterprise };
            assert_eq!(by_certificate(n, k).is_some(), k != CertificateKind::HkMacauPermit, "{k:?}");
        }
        assert_eq!(by_certificate(SubjectNature::Enterprise, CertificateKind::BusinessLicence), Some(1));
        assert_eq!(by_certificate(SubjectNature::Individual, CertificateKind::ResidentId), Some(2));
        assert_eq!(by_certificate(SubjectNature::Institution, CertificateKind::UsccCertificate), Some(3));
        assert_eq!(by_certificate(SubjectNature::Government, CertificateKind::UsccCertificate), Some(9));
        assert_eq!(
            by_certificate(SubjectNature::SocialOrganization, CertificateKind::OrgCodeCertificate),
            Some(10)
        );
    }
}
