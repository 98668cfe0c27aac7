//! Inspections, penalties and commendations.

use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::{Cx, RuleResult, State};

/// [`InspectionResult`] (being written).
pub fn inspect(_s: &mut impl State, _cx: &Cx<'_>, _r: InspectionResult) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`PenaltyDecision`] (being written).
pub fn penalty(_s: &mut impl State, _cx: &Cx<'_>, _r: PenaltyDecision) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`Commendation`] (being written).
pub fn commend(_s: &mut impl State, _cx: &Cx<'_>, _r: Commendation) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`CommendationRevocation`] (being written).
pub fn revoke_commendation(
    _s: &mut impl State,
    _cx: &Cx<'_>,
    _r: CommendationRevocation,
) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}
