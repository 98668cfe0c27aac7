//! Authorisation helpers shared by the rules: who the signer is, and whether it may act on a
//! subject. Each returns the subject's state on success and a rejection naming the problem.

use liangxin_types::Uscc;

use crate::store::{Holder, InstitutionState, OperatorState, RegulatorState, tables};
use crate::{Code, Cx, ExecError, Rejection, State, Time};

/// The signing regulator (must be a regulator that was not removed).
pub fn regulator(s: &impl State, cx: &Cx<'_>) -> Result<RegulatorState, ExecError> {
    let Holder::Regulator(name) = &cx.holder else {
        return Err(
            Rejection::new(Code::WrongRole, "this record must be signed by a regulator").into(),
        );
    };
    match tables::regulator(s, name)? {
        Some(r) if !r.removed => Ok(r),
        _ => Err(Rejection::new(
            Code::RevokedKey,
            format!("regulator {name} was removed by governance"),
        )
        .into()),
    }
}

/// The operator `uscc`, which must exist.
pub fn operator(s: &impl State, uscc: &Uscc) -> Result<OperatorState, ExecError> {
    tables::operator(s, uscc)?.ok_or_else(|| {
        Rejection::new(Code::NotFound, format!("operator {uscc} is not registered")).into()
    })
}

/// The signing operator, which must be `uscc` ("an operator may only sign about itself").
pub fn operator_self(s: &impl State, cx: &Cx<'_>, uscc: &Uscc) -> Result<OperatorState, ExecError> {
    let Holder::Operator(me) = &cx.holder else {
        return Err(
            Rejection::new(Code::WrongRole, "this record must be signed by an operator").into(),
        );
    };
    if me != uscc {
        return Err(Rejection::new(
            Code::NotAuthorised,
            format!("operator {me} may only sign records about itself, not about {uscc}"),
        )
        .into());
    }
    operator(s, uscc)
}

/// The signing regulator and the operator `uscc`, whose region must lie in the regulator's
/// jurisdiction.
pub fn regulator_over(
    s: &impl State,
    cx: &Cx<'_>,
    uscc: &Uscc,
) -> Result<(RegulatorState, OperatorState), ExecError> {
    let r = regulator(s, cx)?;
    let o = operator(s, uscc)?;
    if !o.registration.region.is_in(&r.jurisdiction) {
        return Err(Rejection::new(
            Code::NotAuthorised,
            format!(
                "regulator {} (jurisdiction {}) may not act on operator {uscc} in region {}",
                r.name, r.jurisdiction, o.registration.region
            ),
        )
        .into());
    }
    Ok((r, o))
}

/// The signing institution, which must be authorised for `category` at `at` (the date of the
/// work), and still be within its authorisation, or at most `params.filing_grace` past its end,
/// at the block's time (so an institution whose authorisation ended cannot keep filing
/// backdated results).
pub fn institution_for(
    s: &impl State,
    cx: &Cx<'_>,
    category: &str,
    at: Time,
) -> Result<InstitutionState, ExecError> {
    let Holder::Institution(auth) = &cx.holder else {
        return Err(Rejection::new(
            Code::WrongRole,
            "this record must be signed by a verification institution",
        )
        .into());
    };
    let inst = tables::institution(s, auth)?.ok_or_else(|| {
        Rejection::new(
            Code::NotFound,
            format!("institution {auth} is not registered"),
        )
    })?;
    let reg = &inst.registration;
    if at < reg.valid_from || at >= reg.valid_until {
        return Err(Rejection::new(
            Code::Expired,
            format!(
                "institution {auth} is authorised from {} until {}, not on {at}",
                reg.valid_from, reg.valid_until
            ),
        )
        .into());
    }
    // The parameters are read only when the authorisation has already ended.
    if cx.block.time >= reg.valid_until
        && cx.block.time >= reg.valid_until.plus(tables::params(s)?.filing_grace)
    {
        return Err(Rejection::new(
            Code::Expired,
            format!(
                "institution {auth}'s authorisation ended on {}; results may be filed until {}",
                reg.valid_until,
                reg.valid_until.plus(tables::params(s)?.filing_grace)
            ),
        )
        .into());
    }
    if !reg.categories.iter().any(|c| c.as_str() == category) {
        return Err(Rejection::new(
            Code::NotAuthorised,
            format!("institution {auth} is not authorised to verify catalogue item {category}"),
        )
        .into());
    }
    Ok(inst)
}
