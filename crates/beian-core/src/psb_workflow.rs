//! Where a public-security filing application is, and the one function that moves it.
//!
//! The PSB counterpart of [`crate::workflow`]: five states, seven events, each event allowed to
//! one kind of actor and from named states only. The provider's application layer asks
//! [`transition`] before it writes a state, so a late or repeated event from the platform (an
//! approval after the provider withdrew the submission, say) is refused here rather than
//! applied blindly.
//!
//! Pure: no storage, no clock. It must never decide anything from the application's fields
//! beyond what the caller counted (the PSB rules live in [`crate::rules::check_psb`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::message::{Lang, Problem, say};
use crate::workflow::Actor;

/// Where an application is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PsbState {
    /// Being completed by the owner.
    Draft,
    /// Submitted; waiting to reach the PSB platform.
    Submitted,
    /// At the PSB platform, waiting for an officer.
    PsbReview,
    /// A PSB number was issued.
    Approved,
    /// Refused by the officer or the platform; editable again, with the reasons.
    Rejected,
    /// The website's ICP filing was cancelled: nothing more is filed here, and a PSB number
    /// already issued is due for cancellation (注销) by its owner at the platform.
    IcpCancelled,
}

impl PsbState {
    pub const ALL: [PsbState; 6] = [
        PsbState::Draft,
        PsbState::Submitted,
        PsbState::PsbReview,
        PsbState::Approved,
        PsbState::Rejected,
        PsbState::IcpCancelled,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            PsbState::Draft => "draft",
            PsbState::Submitted => "submitted",
            PsbState::PsbReview => "psb_review",
            PsbState::Approved => "approved",
            PsbState::Rejected => "rejected",
            PsbState::IcpCancelled => "icp_cancelled",
        }
    }

    /// The state stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<PsbState> {
        PsbState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the owner may change the fields (and submit).
    pub fn is_editable(self) -> bool {
        matches!(self, PsbState::Draft | PsbState::Rejected)
    }

    /// Whether nothing can move the application any more.
    pub fn is_terminal(self) -> bool {
        self == PsbState::IcpCancelled
    }
}

/// Something that happens to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PsbEvent {
    /// The owner changes fields.
    Edit,
    /// The owner submits; `error_findings` is how many error-level findings the PSB rules gave.
    Submit { error_findings: usize },
    /// The platform refused it at intake, before any officer saw it.
    Refused,
    /// The platform put it before an officer.
    UnderReview,
    /// An officer issued a PSB number.
    Approved,
    /// An officer refused it, with reasons.
    Rejected,
    /// The provider withdrew the submission.
    Withdrawn,
    /// The bureau cancelled the website's ICP filing (the site, its subject, or its empty shell).
    IcpCancelled,
}

impl PsbEvent {
    pub fn name(self) -> &'static str {
        match self {
            PsbEvent::Edit => "edit",
            PsbEvent::Submit { .. } => "submit",
            PsbEvent::Refused => "refused",
            PsbEvent::UnderReview => "psb_review",
            PsbEvent::Approved => "approved",
            PsbEvent::Rejected => "rejected",
            PsbEvent::Withdrawn => "withdrawn",
            PsbEvent::IcpCancelled => "icp_cancelled",
        }
    }

    /// The event a platform event kind means, if any (`psb_review`, `approved`, `rejected`,
    /// `withdrawn`); other kinds do not move the application.
    pub fn from_platform(kind: &str) -> Option<PsbEvent> {
        match kind {
            "psb_review" => Some(PsbEvent::UnderReview),
            "approved" => Some(PsbEvent::Approved),
            "rejected" => Some(PsbEvent::Rejected),
            "withdrawn" => Some(PsbEvent::Withdrawn),
            _ => None,
        }
    }

    fn allowed_to(self, actor: Actor) -> bool {
        match self {
            PsbEvent::Edit | PsbEvent::Submit { .. } => actor == Actor::Applicant,
            PsbEvent::Refused | PsbEvent::IcpCancelled => matches!(actor, Actor::System | Actor::Regulator),
            PsbEvent::UnderReview | PsbEvent::Approved | PsbEvent::Rejected | PsbEvent::Withdrawn => {
                actor == Actor::Regulator
            }
        }
    }
}

/// Why a PSB transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum PsbTransitionError {
    /// The owner tried to change or submit an application that is with the platform or done.
    NotEditable { state: PsbState },
    /// A platform event that does not apply in this state (late, repeated or out of order).
    NotAllowed { state: PsbState, event: &'static str },
    /// This actor may not cause this event.
    Forbidden { actor: Actor, event: &'static str },
    /// The PSB rules still report errors.
    NotReady { error_findings: usize },
}

impl Problem for PsbTransitionError {
    fn code(&self) -> &'static str {
        match self {
            PsbTransitionError::NotEditable { .. } => "PSB_NOT_EDITABLE",
            PsbTransitionError::NotAllowed { .. } => "PSB_TRANSITION_NOT_ALLOWED",
            PsbTransitionError::Forbidden { .. } => "TRANSITION_FORBIDDEN",
            PsbTransitionError::NotReady { .. } => "PSB_NOT_READY",
        }
    }

    fn message(&self, lang: Lang) -> String {
        let args = match self {
            PsbTransitionError::NotEditable { .. } => Vec::new(),
            PsbTransitionError::NotAllowed { state, event } => {
                vec![("state", state.as_str().to_owned()), ("event", (*event).to_owned())]
            }
            PsbTransitionError::Forbidden { event, .. } => vec![("event", (*event).to_owned())],
            PsbTransitionError::NotReady { error_findings } => vec![("count", error_findings.to_string())],
        };
        say(lang, &format!("transition.{}", self.code()), &args)
    }
}

/// The one PSB transition function: the state `event` leads to when `actor` causes it, or why
/// it may not.
pub fn transition(state: PsbState, event: PsbEvent, actor: Actor) -> Result<PsbState, PsbTransitionError> {
    if !event.allowed_to(actor) {
        return Err(PsbTransitionError::Forbidden { actor, event: event.name() });
    }
    use PsbState::*;
    let next = match (state, event) {
        (Draft | Rejected, PsbEvent::Edit) => state,
        (Draft | Rejected, PsbEvent::Submit { error_findings }) => {
            if error_findings > 0 {
                return Err(PsbTransitionError::NotReady { error_findings });
            }
            Submitted
        }
        (_, PsbEvent::Edit | PsbEvent::Submit { .. }) => {
            return Err(PsbTransitionError::NotEditable { state });
        }
        (IcpCancelled, _) => return Err(PsbTransitionError::NotAllowed { state, event: event.name() }),
        (_, PsbEvent::IcpCancelled) => IcpCancelled,
        (Submitted, PsbEvent::Refused) => Rejected,
        (Submitted, PsbEvent::UnderReview) => PsbReview,
        (Submitted | PsbReview, PsbEvent::Approved) => Approved,
        (Submitted | PsbReview, PsbEvent::Rejected) => Rejected,
        (Submitted | PsbReview, PsbEvent::Withdrawn) => Draft,
        _ => return Err(PsbTransitionError::NotAllowed { state, event: event.name() }),
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_event() -> impl Strategy<Value = (PsbEvent, Actor)> {
        let event = prop_oneof![
            Just(PsbEvent::Edit),
            (0usize..3).prop_map(|n| PsbEvent::Submit { error_findings: n }),
            Just(PsbEvent::Refused),
            Just(PsbEvent::UnderReview),
            Just(PsbEvent::Approved),
            Just(PsbEvent::Rejected),
            Just(PsbEvent::Withdrawn),
            Just(PsbEvent::IcpCancelled),
        ];
        let actor = prop_oneof![
            Just(Actor::Applicant),
            Just(Actor::Reviewer),
            Just(Actor::Admin),
            Just(Actor::System),
            Just(Actor::Regulator),
        ];
        (event, actor)
    }

    #[test]
    fn the_happy_path_and_a_round_after_a_rejection() {
        let mut s = PsbState::Draft;
        for (e, a) in [
            (PsbEvent::Edit, Actor::Applicant),
            (PsbEvent::Submit { error_findings: 0 }, Actor::Applicant),
            (PsbEvent::UnderReview, Actor::Regulator),
            (PsbEvent::Rejected, Actor::Regulator),
            (PsbEvent::Edit, Actor::Applicant),
            (PsbEvent::Submit { error_findings: 0 }, Actor::Applicant),
            (PsbEvent::Approved, Actor::Regulator),
        ] {
            s = transition(s, e, a).unwrap();
        }
        assert_eq!(s, PsbState::Approved);
    }

    #[test]
    fn refusals_name_the_reason() {
        let submit = PsbEvent::Submit { error_findings: 2 };
        assert_eq!(
            transition(PsbState::Draft, submit, Actor::Applicant),
            Err(PsbTransitionError::NotReady { error_findings: 2 })
        );
        let e = transition(PsbState::Submitted, PsbEvent::Edit, Actor::Applicant).unwrap_err();
        assert_eq!(e.code(), "PSB_NOT_EDITABLE");
        let e = transition(PsbState::Draft, PsbEvent::Approved, Actor::Regulator).unwrap_err();
        assert_eq!(e.code(), "PSB_TRANSITION_NOT_ALLOWED");
        assert!(e.message(Lang::Zh).contains("draft"));
        let e = transition(PsbState::PsbReview, PsbEvent::Approved, Actor::Reviewer).unwrap_err();
        assert_eq!(e.code(), "TRANSITION_FORBIDDEN");
        // Intake refusal happens before an officer: not once the officer has it.
        assert!(transition(PsbState::PsbReview, PsbEvent::Refused, Actor::System).is_err());
    }

    #[test]
    fn platform_event_kinds_map_to_events() {
        for e in [PsbEvent::UnderReview, PsbEvent::Approved, PsbEvent::Rejected, PsbEvent::Withdrawn] {
            assert_eq!(PsbEvent::from_platform(e.name()), Some(e));
        }
        assert_eq!(PsbEvent::from_platform("sms_timeout"), None);
        for s in PsbState::ALL {
            assert_eq!(PsbState::parse(s.as_str()), Some(s));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn no_event_sequence_reaches_an_illegal_state(events in proptest::collection::vec(any_event(), 0..40)) {
            let mut s = PsbState::Draft;
            // Whether the submission now with the platform was made by its owner without errors.
            let mut clean_submission = false;
            for (e, a) in &events {
                let before = s;
                match transition(s, *e, *a) {
                    Ok(next) => {
                        prop_assert!(!before.is_terminal(), "left {:?} by {:?}", before, e);
                        if before.is_editable() && next == PsbState::Submitted {
                            prop_assert_eq!(*a, Actor::Applicant);
                            prop_assert_eq!(*e, PsbEvent::Submit { error_findings: 0 });
                            clean_submission = true;
                        }
                        if before.is_editable() && next != before {
                            // Out of the owner's hands: submitted by them, or the ICP filing is gone.
                            prop_assert!(matches!(next, PsbState::Submitted | PsbState::IcpCancelled), "{:?}", next);
                        }
                        if !before.is_editable() {
                            prop_assert!(matches!(a, Actor::Regulator | Actor::System), "{:?} moved {:?}", a, before);
                        }
                        if before == PsbState::Approved {
                            // An issued number stays until the website's ICP filing goes.
                            prop_assert_eq!(*e, PsbEvent::IcpCancelled);
                        }
                        s = next;
                    }
                    Err(_) => prop_assert_eq!(s, before),
                }
                if s == PsbState::Approved {
                    prop_assert!(clean_submission);
                }
                if s.is_editable() {
                    clean_submission = false;
                }
            }
        }
    }
}
