//! Random inspection draws (双随机).

use crate::records::*;
use crate::rejection::{Code, Rejection};
use crate::{Cx, RuleResult, State};

/// [`RandomDrawRequest`] (being written).
pub fn request(_s: &mut impl State, _cx: &Cx<'_>, _r: RandomDrawRequest) -> RuleResult {
    Err(Rejection::new(Code::Malformed, "not built yet").into())
}
