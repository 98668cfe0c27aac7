//! Self-commitments (诚信计量承诺): commit, renew, withdraw.

use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::{Cx, RuleResult, State};

/// [`SelfCommitment`] (being written).
pub fn commit(_s: &mut impl State, _cx: &Cx<'_>, _r: SelfCommitment) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}

/// [`CommitmentWithdrawal`] (being written).
pub fn withdraw(_s: &mut impl State, _cx: &Cx<'_>, _r: CommitmentWithdrawal) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}
