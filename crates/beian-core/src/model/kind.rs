//! Order kinds (rules.md §1.2) and how the kind follows from what is already on file.

use crate::message::{Lang, word};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Every kind of filing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// 首次备案: neither the subject nor the service has ever been filed.
    FirstFiling,
    /// 新增网站/APP, subject filed with this provider (有主体新增).
    NewServiceHere,
    /// 新增网站/APP, subject filed with another provider (无主体新增).
    NewServiceElsewhere,
    /// 新增接入 / 接入备案: subject and service filed elsewhere; add this provider.
    NewAccess,
    /// 变更主体: subject information only.
    ChangeSubject,
    /// 变更网站 / 变更互联网信息服务: service information only.
    ChangeService,
    /// 变更备案: subject and service information.
    ChangeFiling,
    /// 变更接入: access information (IP, provider resource) only.
    ChangeAccess,
    /// 注销主体: the subject and all its services.
    CancelSubject,
    /// 注销网站 / 注销互联网信息服务: one service.
    CancelService,
    /// 取消接入: stop hosting one service at this provider.
    CancelAccess,
    /// 网站迁移: move a website to another subject without re-filing.
    MigrateService,
    /// 转移备案: move records between two accounts of this provider (same subject).
    TransferFiling,
    /// 认领备案: import an existing filing into this provider's system.
    ClaimFiling,
}

/// What is already on file, as far as the kind decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnFile {
    /// The subject has a number at MIIT.
    pub subject_filed: bool,
    /// That filing is (also) with this provider.
    pub subject_filed_here: bool,
    /// The website/app itself has a number at MIIT.
    pub service_filed: bool,
    /// This provider already gives the service access.
    pub service_filed_here: bool,
}

/// Why no new-filing kind fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindDecision {
    Kind(OrderKind),
    /// The service is already filed with access here: edit it with a change order.
    AlreadyFiledHere,
}

impl OrderKind {
    /// Works the kind of a *new* filing out from what is on file, the way Alibaba Cloud
    /// decides among 首次备案 / 新增互联网信息服务 / 接入备案 without asking the applicant.
    pub fn decide(on_file: OnFile) -> KindDecision {
        use OrderKind::*;
        match on_file {
            OnFile { service_filed: true, service_filed_here: true, .. } => KindDecision::AlreadyFiledHere,
            OnFile { service_filed: true, .. } => KindDecision::Kind(NewAccess),
            OnFile { subject_filed: false, .. } => KindDecision::Kind(FirstFiling),
            OnFile { subject_filed_here: true, .. } => KindDecision::Kind(NewServiceHere),
            OnFile { .. } => KindDecision::Kind(NewServiceElsewhere),
        }
    }

    /// The kind's name in `lang`, from the core's catalogue (`order_kind.<kind>`).
    pub fn label(self, lang: Lang) -> &'static str {
        use OrderKind::*;
        let key = match self {
            FirstFiling => "order_kind.first_filing",
            NewServiceHere => "order_kind.new_service_here",
            NewServiceElsewhere => "order_kind.new_service_elsewhere",
            NewAccess => "order_kind.new_access",
            ChangeSubject => "order_kind.change_subject",
            ChangeService => "order_kind.change_service",
            ChangeFiling => "order_kind.change_filing",
            ChangeAccess => "order_kind.change_access",
            CancelSubject => "order_kind.cancel_subject",
            CancelService => "order_kind.cancel_service",
            CancelAccess => "order_kind.cancel_access",
            MigrateService => "order_kind.migrate_service",
            TransferFiling => "order_kind.transfer_filing",
            ClaimFiling => "order_kind.claim_filing",
        };
        word(lang, key)
    }

    /// Kinds that add services (and so carry full service data and re-audit existing sites).
    pub fn adds_services(self) -> bool {
        matches!(self, OrderKind::FirstFiling | OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere)
    }

    /// Kinds that need the subject to be filed already.
    pub fn needs_filed_subject(self) -> bool {
        !matches!(self, OrderKind::FirstFiling)
    }

    /// Kinds that change or remove what is on file rather than add to it.
    pub fn is_change(self) -> bool {
        matches!(
            self,
            OrderKind::ChangeSubject
                | OrderKind::ChangeService
                | OrderKind::ChangeFiling
                | OrderKind::ChangeAccess
        )
    }

    pub fn is_cancellation(self) -> bool {
        matches!(self, OrderKind::CancelSubject | OrderKind::CancelService | OrderKind::CancelAccess)
    }

    /// Kinds the provider handles internally; they never go to the bureau.
    pub fn is_provider_internal(self) -> bool {
        matches!(self, OrderKind::TransferFiling | OrderKind::ClaimFiling)
    }

    /// All kinds, in declaration order.
    pub const ALL: [OrderKind; 14] = [
        OrderKind::FirstFiling,
        OrderKind::NewServiceHere,
        OrderKind::NewServiceElsewhere,
        OrderKind::NewAccess,
        OrderKind::ChangeSubject,
        OrderKind::ChangeService,
        OrderKind::ChangeFiling,
        OrderKind::ChangeAccess,
        OrderKind::CancelSubject,
        OrderKind::CancelService,
        OrderKind::CancelAccess,
        OrderKind::MigrateService,
        OrderKind::TransferFiling,
        OrderKind::ClaimFiling,
    ];

    /// The snake_case name used in JSON and data files.
    pub fn key(self) -> &'static str {
        use OrderKind::*;
        match self {
            FirstFiling => "first_filing",
            NewServiceHere => "new_service_here",
            NewServiceElsewhere => "new_service_elsewhere",
            NewAccess => "new_access",
            ChangeSubject => "change_subject",
            ChangeService => "change_service",
            ChangeFiling => "change_filing",
            ChangeAccess => "change_access",
            CancelSubject => "cancel_subject",
            CancelService => "cancel_service",
            CancelAccess => "cancel_access",
            MigrateService => "migrate_service",
            TransferFiling => "transfer_filing",
            ClaimFiling => "claim_filing",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_follows_from_what_is_on_file() {
        let d = |subject_filed, subject_filed_here, service_filed, service_filed_here| {
            OrderKind::decide(OnFile { subject_filed, subject_filed_here, service_filed, service_filed_here })
        };
        assert_eq!(d(false, false, false, false), KindDecision::Kind(OrderKind::FirstFiling));
        assert_eq!(d(true, true, false, false), KindDecision::Kind(OrderKind::NewServiceHere));
        assert_eq!(d(true, false, false, false), KindDecision::Kind(OrderKind::NewServiceElsewhere));
        assert_eq!(d(true, false, true, false), KindDecision::Kind(OrderKind::NewAccess));
        assert_eq!(d(true, true, true, false), KindDecision::Kind(OrderKind::NewAccess));
        assert_eq!(d(true, true, true, true), KindDecision::AlreadyFiledHere);
    }

    #[test]
    fn keys_match_serde_names() {
        for k in OrderKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::Value::String(k.key().to_owned()));
        }
    }
}
