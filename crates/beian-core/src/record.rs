//! What an approved order changes in the bureau's filing records, decided from the order alone:
//! a first filing files the subject and issues a number per service, an access order adds the
//! provider to services already filed, a change rewrites the subject or services it names, a
//! cancellation takes a service, a subject with all its services, or one provider's access.
//! The regulator simulator carries these steps out on its tables; the decisions — which order
//! kind does what, which numbers it must name — are here, so they are tested without a
//! database and read in one place.
//!
//! It must never read or write records: whether a number named is on file is the caller's to
//! find out.

use crate::model::{Order, OrderKind, ServicePaths};

/// One step of applying an approved order. A service is named by its index among the order's
/// services (`ServicePaths::services`: websites first, then apps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordChange {
    /// Files the subject: under the number the order names, else under the subject with the
    /// same certificate, else as a new subject with a new number; its data kept as the order
    /// has it.
    FileSubject,
    /// Issues a new number to the service, under the subject filed by the step before, with
    /// this provider's access.
    IssueService(usize),
    /// Gives this provider access to the filed service `number`.
    AddAccess { service: usize, number: String },
    /// The decision names the subject by the number the order gives, unchanged.
    NameSubject(Option<String>),
    /// The filed subject `number` takes the order's name and nature; its data kept.
    UpdateSubject { number: String },
    /// The filed service `number` takes the order's name and domains (its PSB filing follows);
    /// its data kept.
    UpdateService { service: usize, number: String },
    /// Cancels the service `number` (filed, or an empty shell); its PSB filing falls due for
    /// cancellation.
    CancelService { number: String },
    /// Cancels the subject `number` and every service under it.
    CancelSubject { number: String },
    /// Withdraws this provider's access to the service `number`; a service left with no
    /// provider becomes an empty shell (空壳).
    WithdrawAccess { number: String },
}

/// Why an order cannot be applied, whatever the records hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The order kind needs a number that the field at this path does not give.
    #[error("{0} names no filed number")]
    MissingNumber(String),
    /// The bureau does not take this kind (provider-internal, or not simulated).
    #[error("the order kind {0} is not filed with the bureau")]
    Unsupported(&'static str),
}

/// The steps that apply `order`, in order.
pub fn changes(order: &Order) -> Result<Vec<RecordChange>, PlanError> {
    use RecordChange as C;
    let paths = ServicePaths::of(order);
    let services = paths.services(order);
    let existing = |i: usize| {
        let s = &services[i];
        s.existing_number
            .map(str::to_owned)
            .ok_or_else(|| PlanError::MissingNumber(format!("{}.existing_number", s.path)))
    };
    let subject_number = || {
        order
            .subject
            .existing_number
            .clone()
            .ok_or_else(|| PlanError::MissingNumber("subject.existing_number".into()))
    };
    let each =
        |f: &dyn Fn(usize) -> Result<C, PlanError>| (0..services.len()).map(f).collect::<Result<Vec<_>, _>>();
    let targets = |f: fn(String) -> C| order.target_numbers.iter().cloned().map(f).collect::<Vec<_>>();
    Ok(match order.kind {
        OrderKind::FirstFiling | OrderKind::NewServiceHere | OrderKind::NewServiceElsewhere => {
            std::iter::once(C::FileSubject).chain((0..services.len()).map(C::IssueService)).collect()
        }
        OrderKind::NewAccess => {
            let mut v = each(&|i| Ok(C::AddAccess { service: i, number: existing(i)? }))?;
            v.push(C::NameSubject(order.subject.existing_number.clone()));
            v
        }
        OrderKind::ChangeSubject => vec![C::UpdateSubject { number: subject_number()? }],
        OrderKind::ChangeService | OrderKind::ChangeAccess => {
            each(&|i| Ok(C::UpdateService { service: i, number: existing(i)? }))?
        }
        OrderKind::ChangeFiling => {
            let mut v = vec![C::UpdateSubject { number: subject_number()? }];
            v.extend(each(&|i| Ok(C::UpdateService { service: i, number: existing(i)? }))?);
            v
        }
        OrderKind::CancelService => targets(|number| C::CancelService { number }),
        OrderKind::CancelSubject => {
            let number = order
                .subject
                .existing_number
                .clone()
                .or_else(|| order.target_numbers.first().cloned())
                .ok_or_else(|| PlanError::MissingNumber("subject.existing_number".into()))?;
            vec![C::CancelSubject { number }]
        }
        OrderKind::CancelAccess => targets(|number| C::WithdrawAccess { number }),
        OrderKind::MigrateService => return Err(PlanError::Unsupported("migrate_service")),
        OrderKind::TransferFiling => return Err(PlanError::Unsupported("transfer_filing")),
        OrderKind::ClaimFiling => return Err(PlanError::Unsupported("claim_filing")),
    })
}

#[cfg(test)]
mod tests {
    use super::RecordChange as C;
    use super::*;

    fn order(kind: OrderKind) -> Order {
        let example: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/examples/first-filing-company.json")).unwrap();
        let mut o: Order = serde_json::from_value(example["order"].clone()).unwrap();
        o.kind = kind;
        o
    }

    #[test]
    fn a_first_filing_files_its_subject_then_issues_a_number_per_service() {
        let o = order(OrderKind::FirstFiling);
        let n = o.websites.len() + o.apps.len();
        assert!(n > 0);
        let mut want = vec![C::FileSubject];
        want.extend((0..n).map(C::IssueService));
        assert_eq!(changes(&o).unwrap(), want);
        assert_eq!(changes(&order(OrderKind::NewServiceElsewhere)).unwrap(), want);
    }

    #[test]
    fn access_and_changes_need_the_numbers_they_name() {
        let mut o = order(OrderKind::NewAccess);
        assert_eq!(changes(&o), Err(PlanError::MissingNumber("websites[0].existing_number".into())));
        for (i, w) in o.websites.iter_mut().enumerate() {
            w.existing_number = Some(format!("浙ICP备2026012345号-{}", i + 1));
        }
        o.apps.clear();
        o.subject.existing_number = Some("浙ICP备2026012345号".into());
        let access = changes(&o).unwrap();
        assert_eq!(access[0], C::AddAccess { service: 0, number: "浙ICP备2026012345号-1".into() });
        assert_eq!(access.last(), Some(&C::NameSubject(Some("浙ICP备2026012345号".into()))));

        o.kind = OrderKind::ChangeFiling;
        let change = changes(&o).unwrap();
        assert_eq!(change[0], C::UpdateSubject { number: "浙ICP备2026012345号".into() });
        assert_eq!(change[1], C::UpdateService { service: 0, number: "浙ICP备2026012345号-1".into() });
        o.kind = OrderKind::ChangeSubject;
        assert_eq!(changes(&o).unwrap(), vec![C::UpdateSubject { number: "浙ICP备2026012345号".into() }]);
        o.subject.existing_number = None;
        assert_eq!(changes(&o), Err(PlanError::MissingNumber("subject.existing_number".into())));
    }

    #[test]
    fn cancellations_take_what_they_name() {
        let mut o = order(OrderKind::CancelAccess);
        o.target_numbers = vec!["浙ICP备2026012345号-1".into(), "浙ICP备2026012345号-2".into()];
        assert_eq!(
            changes(&o).unwrap(),
            vec![
                C::WithdrawAccess { number: "浙ICP备2026012345号-1".into() },
                C::WithdrawAccess { number: "浙ICP备2026012345号-2".into() },
            ]
        );
        o.kind = OrderKind::CancelService;
        assert_eq!(changes(&o).unwrap()[1], C::CancelService { number: "浙ICP备2026012345号-2".into() });
        // A subject's cancellation names the subject, or its first target when the subject
        // carries no number.
        o.kind = OrderKind::CancelSubject;
        o.target_numbers = vec!["浙ICP备2026012345号".into()];
        assert_eq!(changes(&o).unwrap(), vec![C::CancelSubject { number: "浙ICP备2026012345号".into() }]);
        o.target_numbers.clear();
        assert_eq!(changes(&o), Err(PlanError::MissingNumber("subject.existing_number".into())));
    }

    #[test]
    fn kinds_the_bureau_does_not_take_are_refused_whatever_the_order_holds() {
        for (kind, name) in [
            (OrderKind::MigrateService, "migrate_service"),
            (OrderKind::TransferFiling, "transfer_filing"),
            (OrderKind::ClaimFiling, "claim_filing"),
        ] {
            assert_eq!(changes(&order(kind)), Err(PlanError::Unsupported(name)));
        }
    }
}
