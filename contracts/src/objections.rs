//! Objections (异议), their decisions (更正) and credit repair (信用修复).
//!
//! Nothing is edited: the objected or repaired record stays in the log, and only how its credit
//! fact counts changes. An upheld objection voids the fact (it never counted); a repair ends it
//! from the repair's date.
//!
//! Objections and repairs apply to the records that lower a grade and carry a credit fact:
//! inspection results with findings and penalty decisions. Verification results lower a grade
//! only through an instrument's status, which a new verification corrects.
//!
//! Objections are indexed by record under `record-objection/<record>/<objection>`; a record has
//! at most one undecided objection at a time.
//!
//! A severe record — a serious penalty, or an inspection that found forged data, a cheating
//! device or a false certificate — may be repaired only once
//! [`RuleParams::severe_repair_wait`](crate::RuleParams::severe_repair_wait) (by default one
//! year) has passed since its date, following the rule that serious violations stay public for
//! at least a year before credit repair. Severe findings count for three years by default
//! ([`RuleParams::severe_finding_period`](crate::RuleParams::severe_finding_period)), so the
//! repair has something to end.

use liangxin_types::{Hash, Uscc};

use crate::auth;
use crate::credit::{is_negative, severity_name};
use crate::model::{Severity, Time};
use crate::records::*;
use crate::rejection::{Code, Rejection, required};
use crate::store::{CreditFact, FactKind, Holder, ObjectionState, tables};
use crate::{Cx, Effects, ExecError, RuleResult, State, Subject};

fn rej(code: Code, msg: impl Into<String>) -> ExecError {
    Rejection::new(code, msg).into()
}

/// `NotFound`: `record` is no inspection result or penalty decision on this ledger (records
/// of other kinds keep no `entry/` row, so "of another kind" and "absent" are one answer).
fn not_a_negative_record(record: &Hash) -> ExecError {
    rej(
        Code::NotFound,
        format!(
            "no inspection result or penalty decision {record} is on this ledger (only those \
             lower a credit grade)"
        ),
    )
}

/// The operator and negative credit fact of `record`, which must be an inspection result or a
/// penalty decision that lowers the operator's grade. `NotFound` if there is no such record
/// (or it is of a kind that keeps no `entry/` row), `BadField` if it is of another kind or
/// lowers nothing.
pub fn negative_fact(s: &impl State, record: &Hash) -> Result<(Uscc, CreditFact), ExecError> {
    let e = tables::entry(s, record)?.ok_or_else(|| not_a_negative_record(record))?;
    if e.kind != kind::InspectionResult && e.kind != kind::PenaltyDecision {
        return Err(rej(
            Code::BadField,
            format!(
                "record {record} is not an inspection result or a penalty decision, so it does \
                 not lower a credit grade"
            ),
        ));
    }
    let u = e
        .operator
        .ok_or_else(|| rej(Code::BadField, format!("record {record} names no operator")))?;
    let f = tables::fact(s, &u, record)?.ok_or_else(|| {
        rej(
            Code::NotFound,
            format!("record {record} has no credit record"),
        )
    })?;
    if !is_negative(&f.kind) {
        return Err(rej(
            Code::BadField,
            format!("record {record} is a clean inspection and does not lower the grade"),
        ));
    }
    Ok((u, f))
}

/// [`Objection`]: an operator objects to a record about itself.
///
/// Rules: the record exists (`NotFound`) and is about the signer (`NotAuthorised`); it is an
/// inspection with findings or a penalty (`BadField`); it was not already voided
/// (`InvalidState`); no other objection to it is undecided (`AlreadyExists`).
pub fn object(s: &mut impl State, cx: &Cx<'_>, r: Objection) -> RuleResult {
    let Holder::Operator(me) = &cx.holder else {
        return Err(rej(
            Code::WrongRole,
            "an objection must be signed by an operator",
        ));
    };
    auth::operator(s, me)?;
    let h = r.record;
    let e = tables::entry(s, &h)?.ok_or_else(|| not_a_negative_record(&h))?;
    if e.operator.as_ref() != Some(me) {
        return Err(rej(
            Code::NotAuthorised,
            format!("operator {me} may object only to records about itself; {h} is not"),
        ));
    }
    let (u, f) = negative_fact(s, &h)?;
    if let Some(by) = f.voided {
        return Err(rej(
            Code::InvalidState,
            format!("record {h} was already voided by decision {by}"),
        ));
    }
    for o in tables::objections_to(s, &h)? {
        if let Some(st) = tables::objection(s, &o)?
            && st.decision.is_none()
        {
            return Err(rej(
                Code::AlreadyExists,
                format!("objection {o} to record {h} is still awaiting a decision"),
            ));
        }
    }
    tables::put_objection(
        s,
        &cx.tx_id,
        &ObjectionState {
            objection: r,
            operator: u.clone(),
            decision: None,
        },
    )?;
    tables::put_record_objection(s, &h, &cx.tx_id)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(u)],
    })
}

/// [`ObjectionDecision`]: a regulator over the objecting operator decides an objection.
///
/// Rules: the objection exists (`NotFound`) and is undecided (`InvalidState`). Upheld: the
/// objected record's credit fact is voided (the record stays in the log). Rejected: nothing
/// changes but the objection's state.
pub fn decide(s: &mut impl State, cx: &Cx<'_>, r: ObjectionDecision) -> RuleResult {
    let h = r.objection;
    let mut o = tables::objection(s, &h)?
        .ok_or_else(|| rej(Code::NotFound, format!("objection {h} does not exist")))?;
    auth::regulator_over(s, cx, &o.operator)?;
    if let Some((by, upheld)) = o.decision {
        let how = if upheld { "upheld" } else { "rejected" };
        return Err(rej(
            Code::InvalidState,
            format!("objection {h} was already {how} by decision {by}"),
        ));
    }
    required(&r.reason, "a decision must give its reasons")?;
    if r.upheld {
        let record = o.objection.record;
        if let Some(mut f) = tables::fact(s, &o.operator, &record)? {
            f.voided = Some(cx.tx_id);
            tables::put_fact(s, &o.operator, &f)?;
        }
    }
    o.decision = Some((cx.tx_id, r.upheld));
    tables::put_objection(s, &h, &o)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(o.operator)],
    })
}

/// [`CreditRepair`]: a regulator over the record's operator ends a negative record early.
///
/// Rules: the record is an inspection with findings or a penalty (`NotFound`, `BadField`); not
/// voided or repaired already (`InvalidState`); the date is no earlier than the record's start,
/// no later than the block, and before the record would stop counting anyway (`BadPeriod`); a
/// severe record only after `severe_repair_wait` (`BadPeriod`).
pub fn repair(s: &mut impl State, cx: &Cx<'_>, r: CreditRepair) -> RuleResult {
    let h = r.record;
    let (u, mut f) = negative_fact(s, &h)?;
    auth::regulator_over(s, cx, &u)?;
    required(&r.basis, "a credit repair must state its basis")?;
    if let Some(by) = f.voided {
        return Err(rej(
            Code::InvalidState,
            format!("record {h} was voided by decision {by} and no longer counts"),
        ));
    }
    if let Some((by, at)) = f.repaired {
        return Err(rej(
            Code::InvalidState,
            format!("record {h} was already repaired from {at} by record {by}"),
        ));
    }
    if r.date < f.from || r.date > cx.block.time {
        return Err(rej(
            Code::BadPeriod,
            format!(
                "repair date {} must lie between the record's date {} and the block time {}",
                r.date, f.from, cx.block.time
            ),
        ));
    }
    if r.date >= f.until {
        return Err(rej(
            Code::BadPeriod,
            format!(
                "record {h} stopped counting on {} already; nothing to repair on {}",
                f.until, r.date
            ),
        ));
    }
    let severe = match &f.kind {
        FactKind::Penalty(sev) => *sev == Severity::Serious,
        FactKind::Findings(kinds) => kinds.iter().any(|k| k.is_severe()),
        FactKind::Finding(k) => k.is_severe(),
        _ => false,
    };
    if severe {
        let earliest: Time = f.from.plus(tables::params(s)?.severe_repair_wait);
        if r.date < earliest {
            return Err(rej(
                Code::BadPeriod,
                format!(
                    "record {h} is severe (a {} penalty, or forged data, a cheating device or a \
                     false certificate) and may be repaired only from {earliest}",
                    severity_name(Severity::Serious)
                ),
            ));
        }
    }
    f.repaired = Some((cx.tx_id, r.date));
    tables::put_fact(s, &u, &f)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(u)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::grade;
    use crate::inspection::tests::{
        OP, OP2, code, finding, inspection, ledger, message, penalty_rec, uscc,
    };
    use crate::model::{CommendationLevel, FindingKind, Grade, MONTH, YEAR};
    use crate::testkit::{Ledger, text};

    fn objection(record: Hash) -> Objection {
        Objection {
            record,
            reason: text("检查时该计量器具已停用"),
        }
    }

    fn decision(objection: Hash, upheld: bool) -> ObjectionDecision {
        ObjectionDecision {
            objection,
            upheld,
            reason: text("经复核"),
        }
    }

    #[test]
    fn objection_rules() {
        let mut l = ledger();
        let fj = l.fujian();
        let op = Ledger::operator_key(OP);
        let op2 = Ledger::operator_key(OP2);
        let now = l.time;
        let ins = l
            .submit(&fj, inspection(OP, now, vec![finding(FindingKind::Failed)]))
            .unwrap();
        let clean = l.submit(&fj, inspection(OP, now, vec![])).unwrap();
        let comm = l
            .submit(
                &fj,
                Commendation {
                    target: uscc(OP2),
                    level: CommendationLevel::Local,
                    awarded: now,
                    valid_until: now.plus(YEAR),
                },
            )
            .unwrap();
        let before = l.digest();
        for (key, h, c) in [
            (&op, Hash::from_slice(&[1; 32]).unwrap(), Code::NotFound),
            (&op2, ins.tx_id, Code::NotAuthorised),
            (&op, clean.tx_id, Code::BadField),
            (&op2, comm.tx_id, Code::BadField),
        ] {
            let e = l.submit(key, objection(h)).unwrap_err();
            assert_eq!(code(e), c);
            assert_eq!(l.digest(), before);
        }
        // a regulator cannot file one
        assert_eq!(
            code(l.submit(&fj, objection(ins.tx_id)).unwrap_err()),
            Code::WrongRole
        );
        let o = l.submit(&op, objection(ins.tx_id)).unwrap();
        assert_eq!(o.subjects, vec![Subject::Operator(uscc(OP))]);
        // A record of a kind no later record cites (here the objection itself) keeps no
        // `entry/` row: to an objection it is no inspection or penalty on this ledger.
        let before = l.digest();
        match l.submit(&op, objection(o.tx_id)).unwrap_err() {
            ExecError::Rejected(r) => {
                assert_eq!(r.code, Code::NotFound);
                assert!(
                    r.message
                        .contains("no inspection result or penalty decision")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(l.digest(), before);
        let before = l.digest();
        let e = l.submit(&op, objection(ins.tx_id)).unwrap_err();
        assert!(message(e.clone()).contains(&o.tx_id.to_string()));
        assert_eq!(code(e), Code::AlreadyExists);
        assert_eq!(l.digest(), before);
        assert_eq!(
            tables::objections_to(&l.state, &ins.tx_id).unwrap(),
            vec![o.tx_id]
        );
    }

    #[test]
    fn rejected_objection_changes_nothing_in_the_grade() {
        let mut l = ledger();
        let fj = l.fujian();
        let op = Ledger::operator_key(OP);
        let now = l.time;
        let ins = l
            .submit(
                &fj,
                inspection(OP, now, vec![finding(FindingKind::ForgedData)]),
            )
            .unwrap();
        let g0 = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!(g0.grade, Grade::D);
        let o = l.submit(&op, objection(ins.tx_id)).unwrap();
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap(), g0);
        // decision: wrong regulator, unknown objection
        let bj = l.beijing();
        let before = l.digest();
        assert_eq!(
            code(l.submit(&bj, decision(o.tx_id, true)).unwrap_err()),
            Code::NotAuthorised
        );
        assert_eq!(
            code(l.submit(&fj, decision(ins.tx_id, true)).unwrap_err()),
            Code::NotFound
        );
        let mut silent = decision(o.tx_id, true);
        silent.reason = text(" ");
        assert_eq!(code(l.submit(&fj, silent).unwrap_err()), Code::BadField);
        assert_eq!(l.digest(), before);
        let d = l.submit(&fj, decision(o.tx_id, false)).unwrap();
        assert_eq!(d.subjects, vec![Subject::Operator(uscc(OP))]);
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap(), g0);
        let st = tables::objection(&l.state, &o.tx_id).unwrap().unwrap();
        assert_eq!(st.decision, Some((d.tx_id, false)));
        // decided: no second decision
        let before = l.digest();
        assert_eq!(
            code(l.submit(&fj, decision(o.tx_id, true)).unwrap_err()),
            Code::InvalidState
        );
        assert_eq!(l.digest(), before);
        // a new objection may be filed once the first is decided
        l.submit(&op, objection(ins.tx_id)).unwrap();
    }

    #[test]
    fn upheld_objection_voids_the_effect_but_keeps_the_record() {
        let mut l = ledger();
        let fj = l.fujian();
        let op = Ledger::operator_key(OP);
        let now = l.time;
        let pen = l
            .submit(
                &fj,
                penalty_rec(
                    OP,
                    "闽市监罚〔2026〕7号",
                    crate::model::Severity::General,
                    now,
                    now.plus(6 * MONTH),
                ),
            )
            .unwrap();
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap().score, 75);
        let o = l.submit(&op, objection(pen.tx_id)).unwrap();
        l.advance_days(5);
        let d = l.submit(&fj, decision(o.tx_id, true)).unwrap();
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!((g.score, g.grade), (100, Grade::A));
        assert!(g.reasons.is_empty());
        // voided entirely, also for the time before the decision
        assert_eq!(grade(&l.state, &uscc(OP), now).unwrap().score, 100);
        // the record stays in the log, with its fact marked
        assert!(tables::entry(&l.state, &pen.tx_id).unwrap().is_some());
        let f = tables::fact(&l.state, &uscc(OP), &pen.tx_id)
            .unwrap()
            .unwrap();
        assert_eq!(f.voided, Some(d.tx_id));
        // nothing more to object to or repair
        let before = l.digest();
        assert_eq!(
            code(l.submit(&op, objection(pen.tx_id)).unwrap_err()),
            Code::InvalidState
        );
        let e = l
            .submit(
                &fj,
                CreditRepair {
                    record: pen.tx_id,
                    date: l.time,
                    basis: text("已整改"),
                },
            )
            .unwrap_err();
        assert_eq!(code(e), Code::InvalidState);
        assert_eq!(l.digest(), before);
    }

    #[test]
    fn credit_repair_ends_a_record_early() {
        let mut l = ledger();
        let fj = l.fujian();
        let now = l.time;
        let pen = l
            .submit(
                &fj,
                penalty_rec(
                    OP,
                    "闽市监罚〔2026〕8号",
                    crate::model::Severity::General,
                    now,
                    now.plus(12 * MONTH),
                ),
            )
            .unwrap();
        let serious = l
            .submit(
                &fj,
                penalty_rec(
                    OP2,
                    "厦市监罚〔2026〕1号",
                    crate::model::Severity::Serious,
                    now,
                    now.plus(2 * YEAR),
                ),
            )
            .unwrap();
        let clean = l.submit(&fj, inspection(OP, now, vec![])).unwrap();
        l.advance_days(60);
        let rep = |record: Hash, date: Time| CreditRepair {
            record,
            date,
            basis: text("已履行行政处罚并完成整改"),
        };
        let bj = l.beijing();
        let before = l.digest();
        for (key, r, c) in [
            (
                &fj,
                rep(Hash::from_slice(&[4; 32]).unwrap(), l.time),
                Code::NotFound,
            ),
            (&fj, rep(clean.tx_id, l.time), Code::BadField),
            (&bj, rep(pen.tx_id, l.time), Code::NotAuthorised),
            (&fj, rep(pen.tx_id, l.time.plus(1)), Code::BadPeriod),
            (&fj, rep(pen.tx_id, Time(now.0 - 1)), Code::BadPeriod),
            // a serious penalty within its first year
            (&fj, rep(serious.tx_id, l.time), Code::BadPeriod),
        ] {
            assert_eq!(code(l.submit(key, r).unwrap_err()), c);
            assert_eq!(l.digest(), before);
        }
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap().score, 78);
        // repaired from 30 days after the decision: counts before, not after
        let date = now.plus(30 * crate::model::DAY);
        let r = l.submit(&fj, rep(pen.tx_id, date)).unwrap();
        assert_eq!(r.subjects, vec![Subject::Operator(uscc(OP))]);
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!((g.score, g.grade), (103, Grade::A));
        assert_eq!(
            grade(&l.state, &uscc(OP), Time(date.0 - 1)).unwrap().score,
            78
        );
        assert!(tables::entry(&l.state, &pen.tx_id).unwrap().is_some());
        let before = l.digest();
        let e = l.submit(&fj, rep(pen.tx_id, l.time)).unwrap_err();
        assert_eq!(code(e), Code::InvalidState);
        assert_eq!(l.digest(), before);
        // the serious one after a year
        assert_eq!(grade(&l.state, &uscc(OP2), l.time).unwrap().grade, Grade::D);
        l.advance_days(365);
        l.submit(&fj, rep(serious.tx_id, l.time)).unwrap();
        assert_eq!(grade(&l.state, &uscc(OP2), l.time).unwrap().grade, Grade::A);
    }
}
