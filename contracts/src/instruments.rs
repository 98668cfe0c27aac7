//! Instruments: registration (强检备案), retirement and replacement (失准更换), verification results (检定) and derived status.

use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::{Cx, RuleResult, State};

/// [`InstrumentRegistration`] (being written).
pub fn register(_s: &mut impl State, _cx: &Cx<'_>, _r: InstrumentRegistration) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`InstrumentRetirement`] (being written).
pub fn retire(_s: &mut impl State, _cx: &Cx<'_>, _r: InstrumentRetirement) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`VerificationResult`] (being written).
pub fn verify(_s: &mut impl State, _cx: &Cx<'_>, _r: VerificationResult) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}
use crate::model::{RetirementReason, Time, VerificationMode};
use crate::store::InstrumentState;
use serde::{Deserialize, Serialize};

/// An instrument's status at a moment, derived from its records and the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InstrumentStatus {
    /// Registered, never verified.
    Registered,
    /// Verified; the pass is valid until `until` (`None`: first-verification-only modes, valid
    /// for as long as the instrument serves).
    Verified {
        /// End of validity.
        until: Option<Time>,
    },
    /// The last pass expired at `since` with no new pass.
    Overdue {
        /// When it expired.
        since: Time,
    },
    /// The latest verification failed.
    Failed {
        /// When.
        at: Time,
    },
    /// A fixed service life ended at `since` and the instrument was not retired.
    OutOfService {
        /// When its life ended.
        since: Time,
    },
    /// Retired (scrapped, replaced or taken out of use).
    Retired {
        /// Why.
        reason: RetirementReason,
        /// The replacing instrument, if any.
        replaced_by: Option<crate::model::InstrumentId>,
    },
}

/// The status of `i` at `now`. Pure: the same facts and time always give the same status.
///
/// Order of precedence: retired; fixed service life ended; latest verification failed; a pass
/// (valid until its date for periodic instruments, for the instrument's life otherwise) or
/// overdue once it expired; otherwise registered.
pub fn status(i: &InstrumentState, now: Time) -> InstrumentStatus {
    if let Some(r) = &i.retired {
        return InstrumentStatus::Retired {
            reason: r.reason,
            replaced_by: r.replacement.clone(),
        };
    }
    if let VerificationMode::FixedServiceLife { until } = i.registration.mode
        && now >= until
    {
        return InstrumentStatus::OutOfService { since: until };
    }
    if let Some(v) = &i.last_verification
        && !v.passed
    {
        return InstrumentStatus::Failed { at: v.date };
    }
    match (&i.last_pass, i.registration.mode) {
        (Some(p), VerificationMode::Periodic) => {
            if now < p.valid_until {
                InstrumentStatus::Verified {
                    until: Some(p.valid_until),
                }
            } else {
                InstrumentStatus::Overdue {
                    since: p.valid_until,
                }
            }
        }
        (Some(_), VerificationMode::FixedServiceLife { until }) => {
            InstrumentStatus::Verified { until: Some(until) }
        }
        (Some(_), VerificationMode::FirstOnlyScrapOnFailure) => {
            InstrumentStatus::Verified { until: None }
        }
        (None, _) => InstrumentStatus::Registered,
    }
}
