//! Submission ids: what the regulator knows a delivery by, and how an incoming event names
//! the thing it concerns. An ICP order's delivery is the order at the version its approval
//! wrote (`<order>.v<version>`), a PSB application's the application at its submission
//! (`psb-<application>.v<version>`): stable across retries, new after every correction. The
//! form is typed here once; callbacks are routed by it, not by looking at strings elsewhere.

use std::fmt;

use beian_store::Uuid;

const PSB_PREFIX: &str = "psb-";

/// What a submission id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionId {
    /// An ICP order, delivered over the JSON seam or MIIT's interface.
    Order { order: Uuid, version: i64 },
    /// A public-security application.
    Psb { application: Uuid, version: i64 },
}

impl SubmissionId {
    /// Reads an id this provider made; `None` for anything else.
    pub fn parse(s: &str) -> Option<SubmissionId> {
        let (psb, rest) = match s.strip_prefix(PSB_PREFIX) {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (id, version) = rest.split_once(".v")?;
        // Exactly the simple form this module writes.
        if id.len() != 32 {
            return None;
        }
        let id = Uuid::try_parse(id).ok()?;
        let version: i64 = version.parse().ok().filter(|v| *v > 0)?;
        if version.to_string().len() != rest.len() - 34 {
            return None;
        }
        Some(if psb {
            SubmissionId::Psb { application: id, version }
        } else {
            SubmissionId::Order { order: id, version }
        })
    }
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmissionId::Order { order, version } => write!(f, "{}.v{version}", order.simple()),
            SubmissionId::Psb { application, version } => {
                write!(f, "{PSB_PREFIX}{}.v{version}", application.simple())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ids_read_back_as_written_and_nothing_else_reads() {
        let id = Uuid::parse_str("0192f0c4-5b7e-7c3a-9d1e-2f4a5b6c7d8e").unwrap();
        let order = SubmissionId::Order { order: id, version: 3 };
        assert_eq!(order.to_string(), "0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v3");
        let psb = SubmissionId::Psb { application: id, version: 12 };
        assert_eq!(psb.to_string(), "psb-0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v12");
        for s in [order, psb] {
            assert_eq!(SubmissionId::parse(&s.to_string()), Some(s));
        }
        for bad in [
            "",
            "psb-",
            "0192f0c45b7e7c3a9d1e2f4a5b6c7d8e",
            "0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v0",
            "0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v-1",
            "0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v+1",
            "0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v01",
            "0192f0c4-5b7e-7c3a-9d1e-2f4a5b6c7d8e.v1",
            "miit-700001-1-0",
            "PSB-0192f0c45b7e7c3a9d1e2f4a5b6c7d8e.v1",
        ] {
            assert_eq!(SubmissionId::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_id_round_trips(bytes in any::<[u8; 16]>(), version in 1i64..i64::MAX, psb in any::<bool>()) {
            let id = Uuid::from_bytes(bytes);
            let s = if psb {
                SubmissionId::Psb { application: id, version }
            } else {
                SubmissionId::Order { order: id, version }
            };
            prop_assert_eq!(SubmissionId::parse(&s.to_string()), Some(s));
        }

        #[test]
        fn parsing_never_panics(s in ".{0,80}") {
            let _ = SubmissionId::parse(&s);
        }
    }
}
