//! Governance: proposals, approvals by a quorum of regulators, application at a stated height.

use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::{Cx, RuleResult, State};

/// [`GovernanceProposal`] (being written).
pub fn propose(_s: &mut impl State, _cx: &Cx<'_>, _r: GovernanceProposal) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`GovernanceApproval`] (being written).
pub fn approve(_s: &mut impl State, _cx: &Cx<'_>, _r: GovernanceApproval) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// Applies the governance actions due at `block.height` (being written).
pub fn apply_due<S: State + ?Sized>(
    _s: &mut S,
    _block: &crate::BlockContext,
) -> Result<Vec<crate::Subject>, crate::StateError> {
    Ok(Vec::new())
}
