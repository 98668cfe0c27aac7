//! Objections, their decisions (corrections) and credit repair.

use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::{Cx, RuleResult, State};

/// [`Objection`] (being written).
pub fn object(_s: &mut impl State, _cx: &Cx<'_>, _r: Objection) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`ObjectionDecision`] (being written).
pub fn decide(_s: &mut impl State, _cx: &Cx<'_>, _r: ObjectionDecision) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`CreditRepair`] (being written).
pub fn repair(_s: &mut impl State, _cx: &Cx<'_>, _r: CreditRepair) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}
