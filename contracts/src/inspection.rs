//! Inspections (监督抽查 / 专项检查), penalty decisions (行政处罚), demonstration-unit
//! commendations (诚信计量示范单位) and their revocation.
//!
//! Each accepted record writes one [`CreditFact`] under `fact/<uscc>/<tx id>`, which
//! [`crate::credit::grade`] reads:
//!
//! - an inspection without findings: [`FactKind::CleanInspection`] for the clean-inspection
//!   period from its date;
//! - an inspection with findings: one [`FactKind::Findings`] fact listing every finding's kind
//!   (each counts its own points) for the finding period from its date — one fact per
//!   inspection, so the record, its objection and its repair all refer to one fact;
//! - a penalty: [`FactKind::Penalty`] from its date until `public_until`; the decision itself is
//!   kept under `penalty/<uscc>/<tx id>` (decision numbers are unique per operator, and the
//!   grade's reasons name them);
//! - a commendation: [`FactKind::Commendation`] from the award until `valid_until`; a revocation
//!   ends it.

use std::collections::BTreeSet;

use liangxin_types::tx::RecordKind;
use liangxin_types::{Hash, Uscc};

use crate::auth;
use crate::credit::{counts_at, is_negative};
use crate::model::{InspectionOutcome, ShortText, Time};
use crate::records::*;
use crate::rejection::{Code, Rejection, required};
use crate::store::{CreditFact, FactKind, tables};
use crate::{Cx, Effects, ExecError, RuleResult, State, Subject};

fn rej(code: Code, msg: impl Into<String>) -> ExecError {
    Rejection::new(code, msg).into()
}

fn not_in_future(date: Time, cx: &Cx<'_>, what: &str) -> Result<(), ExecError> {
    if date > cx.block.time {
        return Err(rej(
            Code::BadPeriod,
            format!(
                "{what} {date} is later than the block time {}",
                cx.block.time
            ),
        ));
    }
    Ok(())
}

fn new_fact(cx: &Cx<'_>, kind: FactKind, from: Time, until: Time) -> CreditFact {
    CreditFact {
        tx: cx.tx_id,
        kind,
        from,
        until,
        ended: None,
        voided: None,
        repaired: None,
    }
}

/// [`InspectionResult`]: a regulator records an inspection of an operator in its
/// jurisdiction.
///
/// Rules: at least two distinct, non-empty inspectors; a date no later than the block; at least
/// one item checked; a `Compliant` outcome exactly when there are no findings; each finding's
/// instrument, if named, is registered and belongs to the target; if the inspection comes from
/// a draw, the draw exists, selected the target, and the inspectors are the ones it assigned.
pub fn inspect(s: &mut impl State, cx: &Cx<'_>, r: InspectionResult) -> RuleResult {
    let (_, mut op) = auth::regulator_over(s, cx, &r.target)?;
    let mut names = BTreeSet::new();
    for i in r.inspectors.iter() {
        if i.trim().is_empty() {
            return Err(rej(Code::BadField, "an inspector id is empty"));
        }
        if !names.insert(i.as_str()) {
            return Err(rej(
                Code::BadField,
                format!("inspector {i} is listed twice"),
            ));
        }
    }
    if names.len() < 2 {
        return Err(rej(
            Code::BadField,
            format!(
                "an inspection needs at least two inspectors, this one names {}",
                names.len()
            ),
        ));
    }
    not_in_future(r.date, cx, "inspection date")?;
    if r.items_checked == 0 {
        return Err(rej(
            Code::BadField,
            "an inspection must check at least one item",
        ));
    }
    match (r.outcome, r.findings.is_empty()) {
        (InspectionOutcome::Compliant, false) => {
            return Err(rej(
                Code::BadField,
                format!(
                    "outcome is compliant but the inspection lists {} finding(s)",
                    r.findings.len()
                ),
            ));
        }
        (InspectionOutcome::RectificationOrdered | InspectionOutcome::CaseOpened, true) => {
            return Err(rej(
                Code::BadField,
                "an inspection without findings must have the outcome compliant",
            ));
        }
        _ => {}
    }
    let mut instruments = Vec::new();
    for f in r.findings.iter() {
        let Some(id) = &f.instrument else { continue };
        if id.owner != r.target {
            return Err(rej(
                Code::NotAuthorised,
                format!(
                    "instrument {id} belongs to operator {}, not to the inspected operator {}",
                    id.owner, r.target
                ),
            ));
        }
        if tables::instrument(s, id)?.is_none() {
            return Err(rej(
                Code::NotFound,
                format!("instrument {id} is not registered"),
            ));
        }
        if !instruments.contains(id) {
            instruments.push(id.clone());
        }
    }
    if let Some(h) = r.draw {
        // The target's own row: the draw result itself holds the whole candidates snapshot.
        let t = match tables::draw_target(s, &h, &r.target)? {
            Some(t) => t,
            None if tables::draw_exists(s, &h)? => {
                return Err(rej(
                    Code::NotAuthorised,
                    format!("random draw {h} did not select operator {}", r.target),
                ));
            }
            None if tables::pending_draw(s, &h)?.is_some() => {
                return Err(rej(
                    Code::NotFound,
                    format!(
                        "random draw {h} is not resolved yet: its selection is computed at the \
                         start of the block after the request"
                    ),
                ));
            }
            None => {
                return Err(rej(
                    Code::NotFound,
                    format!("random draw {h} does not exist"),
                ));
            }
        };
        let assigned: BTreeSet<&str> = t.inspectors.iter().map(|i| i.as_str()).collect();
        if assigned != names {
            let list =
                |v: &[ShortText]| v.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(", ");
            return Err(rej(
                Code::NotAuthorised,
                format!(
                    "random draw {h} assigned inspectors {} to operator {}, not {}",
                    list(&t.inspectors),
                    r.target,
                    list(&r.inspectors)
                ),
            ));
        }
    }

    let params = tables::params(s)?;
    let fact = if r.findings.is_empty() {
        new_fact(
            cx,
            FactKind::CleanInspection,
            r.date,
            r.date.plus(params.clean_inspection_period),
        )
    } else {
        new_fact(
            cx,
            FactKind::Findings(r.findings.iter().map(|f| f.kind).collect()),
            r.date,
            // the fact lasts as long as its longest-counting finding; each finding's own
            // period is applied when grading
            r.date.plus(
                r.findings
                    .iter()
                    .map(|f| params.finding_period_of(f.kind))
                    .max()
                    .unwrap_or(params.finding_period),
            ),
        )
    };
    tables::put_fact(s, &r.target, &fact)?;
    op.last_inspectors = r.inspectors.iter().cloned().collect();
    tables::put_operator(s, &op)?;

    let mut subjects = vec![Subject::Operator(r.target.clone())];
    subjects.extend(instruments.into_iter().map(Subject::Instrument));
    if let Some(h) = r.draw {
        subjects.push(Subject::Draw(h));
    }
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects,
    })
}

/// A period in whole days (and any remainder in hours), for messages.
fn days(secs: u64) -> String {
    let d = secs / crate::model::DAY;
    let h = secs % crate::model::DAY / 3600;
    if h == 0 {
        format!("{d} days")
    } else {
        format!("{d} days and {h} hours")
    }
}

/// [`PenaltyDecision`]: a regulator records a penalty on an operator in its jurisdiction.
///
/// Rules: a non-empty decision number not yet recorded for this operator (`AlreadyExists`), a
/// non-empty violation, a date no later than the block, and a publication period
/// (`public_until − date`) within the bounds the parameters set for the severity.
pub fn penalty(s: &mut impl State, cx: &Cx<'_>, r: PenaltyDecision) -> RuleResult {
    auth::regulator_over(s, cx, &r.target)?;
    required(&r.decision_number, "the decision number is empty")?;
    required(&r.violation, "the violation is empty")?;
    not_in_future(r.date, cx, "decision date")?;
    let params = tables::params(s)?;
    let (lo, hi) = params.publication_period(r.severity);
    let sev = crate::credit::severity_name(r.severity);
    let range = if lo == hi {
        days(lo)
    } else {
        format!("{} to {}", days(lo), days(hi))
    };
    if r.public_until <= r.date {
        return Err(rej(
            Code::BadPeriod,
            format!(
                "public until {} must be after the decision date {}; a {sev} penalty is public for {range}",
                r.public_until, r.date
            ),
        ));
    }
    let period = r.public_until.since(r.date);
    if period < lo || period > hi {
        return Err(rej(
            Code::BadPeriod,
            format!(
                "a {sev} penalty is public for {range}; {} to {} is {}",
                r.date,
                r.public_until,
                days(period)
            ),
        ));
    }
    for (tx, p) in tables::penalties_of(s, &r.target)? {
        if p.decision_number == r.decision_number {
            return Err(rej(
                Code::AlreadyExists,
                format!(
                    "penalty decision {} was already recorded for operator {} (record {tx})",
                    r.decision_number, r.target
                ),
            ));
        }
    }
    tables::put_fact(
        s,
        &r.target,
        &new_fact(cx, FactKind::Penalty(r.severity), r.date, r.public_until),
    )?;
    tables::put_penalty(s, &cx.tx_id, &r)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(r.target)],
    })
}

/// The first negative fact of `u` that counts at `now`, if any.
fn active_negative(s: &impl State, u: &Uscc, now: Time) -> Result<Option<CreditFact>, ExecError> {
    Ok(tables::facts_of(s, u)?
        .into_iter()
        .find(|f| is_negative(&f.kind) && counts_at(f, now)))
}

/// [`Commendation`]: a regulator names an operator in its jurisdiction a demonstration unit.
///
/// Rules: awarded no later than the block, valid until after the block; the operator has no
/// penalty still public and no inspection finding still counting.
pub fn commend(s: &mut impl State, cx: &Cx<'_>, r: Commendation) -> RuleResult {
    auth::regulator_over(s, cx, &r.target)?;
    let now = cx.block.time;
    if r.awarded > now || now >= r.valid_until {
        return Err(rej(
            Code::BadPeriod,
            format!(
                "a commendation must be awarded no later than the block time {now} and valid \
                 after it; this one runs from {} to {}",
                r.awarded, r.valid_until
            ),
        ));
    }
    if let Some(f) = active_negative(s, &r.target, now)? {
        let what = match &f.kind {
            FactKind::Penalty(sev) => {
                format!("a {} penalty", crate::credit::severity_name(*sev))
            }
            _ => "an inspection finding".to_string(),
        };
        return Err(rej(
            Code::InvalidState,
            format!(
                "operator {} may not be commended: {what} (record {}) counts against it until {}",
                r.target, f.tx, f.until
            ),
        ));
    }
    tables::put_fact(
        s,
        &r.target,
        &new_fact(
            cx,
            FactKind::Commendation(r.level),
            r.awarded,
            r.valid_until,
        ),
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(r.target)],
    })
}

/// The operator a recorded entry of `kind` (one of [`EntryMeta::KINDS`]) is about. `NotFound`
/// if there is no such record (or it is of a kind that keeps no `entry/` row), `BadField` if
/// it is of another kept kind or about no operator.
///
/// [`EntryMeta::KINDS`]: crate::store::EntryMeta::KINDS
pub fn entry_of_kind(
    s: &impl State,
    record: &Hash,
    kind: RecordKind,
    what: &str,
) -> Result<Uscc, ExecError> {
    let e = tables::entry(s, record)?.ok_or_else(|| {
        rej(
            Code::NotFound,
            format!("no {what} {record} is on this ledger"),
        )
    })?;
    if e.kind != kind {
        return Err(rej(
            Code::BadField,
            format!("record {record} is not a {what}"),
        ));
    }
    e.operator
        .ok_or_else(|| rej(Code::BadField, format!("record {record} names no operator")))
}

/// [`CommendationRevocation`]: a regulator over the commended operator ends a commendation.
///
/// Rules: the record is a commendation (`NotFound`, `BadField`), not already revoked
/// (`InvalidState`). Its fact ends at the block time.
pub fn revoke_commendation(
    s: &mut impl State,
    cx: &Cx<'_>,
    r: CommendationRevocation,
) -> RuleResult {
    let h = r.commendation;
    let u = entry_of_kind(s, &h, kind::Commendation, "commendation")?;
    auth::regulator_over(s, cx, &u)?;
    let mut f = tables::fact(s, &u, &h)?.ok_or_else(|| {
        rej(
            Code::NotFound,
            format!("commendation {h} has no credit record"),
        )
    })?;
    if let Some((by, at)) = f.ended {
        return Err(rej(
            Code::InvalidState,
            format!("commendation {h} was already revoked on {at} by record {by}"),
        ));
    }
    f.ended = Some((cx.tx_id, cx.block.time));
    tables::put_fact(s, &u, &f)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(u)],
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::credit::grade;
    use crate::model::MONTH;
    use crate::model::{
        CommendationLevel, FindingKind, Grade, InstrumentId, Jurisdiction, Sector, Severity,
        VerificationMode, YEAR,
    };
    use crate::records::{Finding, RandomDrawRequest};
    use crate::store::{DrawResult, DrawTarget, InstrumentState};
    use crate::testkit::{Ledger, text};
    use liangxin_types::encoding::BoundedVec;

    pub const OP: &str = "91350100M000100Y43";
    pub const OP2: &str = "91350200776049653A";
    pub const BJ: &str = "91110108551385082Q";

    pub fn uscc(s: &str) -> Uscc {
        Uscc::parse(s).unwrap()
    }

    pub fn code(e: ExecError) -> Code {
        match e {
            ExecError::Rejected(r) => r.code,
            ExecError::State(e) => panic!("storage error {e}"),
        }
    }

    pub fn message(e: ExecError) -> String {
        match e {
            ExecError::Rejected(r) => r.message,
            ExecError::State(e) => panic!("storage error {e}"),
        }
    }

    pub fn ledger() -> Ledger {
        let mut l = Ledger::new();
        l.register_operator(OP, "福州某加油站", "350100", Sector::FuelStation)
            .unwrap();
        l.register_operator(OP2, "厦门某商店", "350200", Sector::Shop)
            .unwrap();
        l.register_operator(BJ, "北京某眼镜店", "110108", Sector::OpticalShop)
            .unwrap();
        l.advance_days(1);
        l
    }

    pub fn inspection(target: &str, date: Time, findings: Vec<Finding>) -> InspectionResult {
        let outcome = if findings.is_empty() {
            InspectionOutcome::Compliant
        } else {
            InspectionOutcome::RectificationOrdered
        };
        InspectionResult {
            target: uscc(target),
            draw: None,
            inspectors: BoundedVec::new(vec![text("闽执法001"), text("闽执法002")]).unwrap(),
            date,
            items_checked: 5,
            findings: BoundedVec::new(findings).unwrap(),
            outcome,
            report_digest: Hash::ZERO,
        }
    }

    pub fn finding(kind: FindingKind) -> Finding {
        Finding {
            kind,
            instrument: None,
            note: text("现场检查发现"),
        }
    }

    pub fn penalty_rec(
        target: &str,
        number: &str,
        severity: Severity,
        date: Time,
        public_until: Time,
    ) -> PenaltyDecision {
        PenaltyDecision {
            target: uscc(target),
            decision_number: text(number),
            violation: text("使用不合格计量器具"),
            severity,
            date,
            public_until,
        }
    }

    #[test]
    fn inspection_rules() {
        let mut l = ledger();
        let fj = l.fujian();
        let now = l.time;
        let before = l.digest();
        let check = |l: &mut Ledger, r: InspectionResult, c: Code| {
            let e = l.submit(&fj, r).unwrap_err();
            assert_eq!(code(e), c);
            assert_eq!(l.digest(), before);
        };
        // outside the jurisdiction
        check(&mut l, inspection(BJ, now, vec![]), Code::NotAuthorised);
        // one inspector, twice the same, an empty one
        let mut r = inspection(OP, now, vec![]);
        r.inspectors = BoundedVec::new(vec![text("a")]).unwrap();
        check(&mut l, r.clone(), Code::BadField);
        r.inspectors = BoundedVec::new(vec![text("a"), text("a")]).unwrap();
        check(&mut l, r.clone(), Code::BadField);
        r.inspectors = BoundedVec::new(vec![text("a"), text(" ")]).unwrap();
        check(&mut l, r, Code::BadField);
        // in the future
        check(&mut l, inspection(OP, now.plus(1), vec![]), Code::BadPeriod);
        // nothing checked
        let mut r = inspection(OP, now, vec![]);
        r.items_checked = 0;
        check(&mut l, r, Code::BadField);
        // outcome and findings disagree
        let mut r = inspection(OP, now, vec![finding(FindingKind::Unverified)]);
        r.outcome = InspectionOutcome::Compliant;
        check(&mut l, r, Code::BadField);
        let mut r = inspection(OP, now, vec![]);
        r.outcome = InspectionOutcome::CaseOpened;
        check(&mut l, r, Code::BadField);
        // a finding about an instrument that is not registered / of another operator
        let mut f = finding(FindingKind::Failed);
        f.instrument = Some(InstrumentId {
            owner: uscc(OP),
            category: text("9.1"),
            serial: text("X-1"),
        });
        check(&mut l, inspection(OP, now, vec![f.clone()]), Code::NotFound);
        f.instrument = Some(InstrumentId {
            owner: uscc(OP2),
            category: text("9.1"),
            serial: text("X-1"),
        });
        check(&mut l, inspection(OP, now, vec![f]), Code::NotAuthorised);
        // a draw that does not exist
        let mut r = inspection(OP, now, vec![]);
        r.draw = Some(Hash::from_slice(&[9; 32]).unwrap());
        check(&mut l, r, Code::NotFound);

        // accepted: clean
        let eff = l.submit(&fj, inspection(OP, now, vec![])).unwrap();
        assert_eq!(eff.subjects, vec![Subject::Operator(uscc(OP))]);
        let f = tables::fact(&l.state, &uscc(OP), &eff.tx_id)
            .unwrap()
            .unwrap();
        assert_eq!(f.kind, FactKind::CleanInspection);
        assert_eq!(f.until, now.plus(YEAR));
        let o = tables::operator(&l.state, &uscc(OP)).unwrap().unwrap();
        assert_eq!(
            o.last_inspectors,
            vec![text("闽执法001"), text("闽执法002")]
        );
        let e = tables::entry(&l.state, &eff.tx_id).unwrap().unwrap();
        assert_eq!(e.operator, Some(uscc(OP)));
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!(g.score, 103);
    }

    fn instrument_of(owner: &str, serial: &str) -> InstrumentState {
        crate::testkit::instrument_state(
            &uscc(owner),
            serial,
            VerificationMode::Periodic,
            Hash::ZERO,
        )
    }

    #[test]
    fn cheating_device_gives_d_with_the_reason() {
        let mut l = ledger();
        let fj = l.fujian();
        let inst = instrument_of(OP, "DISP-7");
        tables::put_instrument(&mut l.state, &inst).unwrap();
        let mut cheat = finding(FindingKind::CheatingDevice);
        cheat.instrument = Some(inst.registration.instrument.clone());
        let now = l.time;
        let eff = l
            .submit(
                &fj,
                inspection(OP, now, vec![cheat, finding(FindingKind::Unverified)]),
            )
            .unwrap();
        assert_eq!(
            eff.subjects,
            vec![
                Subject::Operator(uscc(OP)),
                Subject::Instrument(inst.registration.instrument.clone())
            ]
        );
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!(g.score, 100 - 60 - 10);
        assert_eq!(g.grade, Grade::D);
        assert_eq!(g.reasons.len(), 2);
        assert_eq!(g.reasons[0].record, Some(eff.tx_id));
        assert_eq!(g.reasons[0].points, -60);
        assert!(g.reasons[0].text.contains("cheating device"), "{g:?}");
        // a cheating device counts three years, the other finding one year
        assert_eq!(g.reasons[0].until, Some(now.plus(3 * YEAR)));
        assert_eq!(g.reasons[1].until, Some(now.plus(YEAR)));
        // a year later only the cheating device still counts among the findings (and the
        // dispenser, never verified, now costs 5): 100 − 60 − 5 = 35, still D
        l.advance_days(365);
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!((g.score, g.grade), (35, Grade::D));
        assert!(g.reasons[0].text.contains("cheating device"), "{g:?}");
        assert!(g.reasons[1].text.contains("not verified by"), "{g:?}");
        // three years after the inspection it stops counting
        l.advance_days(2 * 365);
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap().grade, Grade::A);
    }

    #[test]
    fn inspections_from_a_draw_must_match_it() {
        let mut l = ledger();
        let fj = l.fujian();
        let draw_tx = Hash::from_slice(&[5; 32]).unwrap();
        let d = DrawResult {
            request: RandomDrawRequest {
                jurisdiction: Jurisdiction::new("35").unwrap(),
                sectors: BoundedVec::default(),
                inspectors: BoundedVec::new(vec![text("甲"), text("乙"), text("丙")]).unwrap(),
                exclusions: BoundedVec::default(),
                inspectors_per_target: 2,
                label: text("2026 加油机专项"),
            },
            seed: Hash::ZERO,
            height: 2,
            request_height: 1,
            candidates: [2, 0, 0, 0],
            sample_rates_ppm: [1_000_000; 4],
            targets: vec![DrawTarget {
                operator: uscc(OP),
                grade: Grade::A,
                inspectors: vec![text("甲"), text("乙")],
            }],
            snapshot: Vec::new(),
        };
        tables::put_draw(&mut l.state, &draw_tx, &d).unwrap();
        let before = l.digest();
        let now = l.time;
        // not selected
        let mut r = inspection(OP2, now, vec![]);
        r.draw = Some(draw_tx);
        assert_eq!(code(l.submit(&fj, r).unwrap_err()), Code::NotAuthorised);
        // other inspectors
        let mut r = inspection(OP, now, vec![]);
        r.draw = Some(draw_tx);
        let e = l.submit(&fj, r.clone()).unwrap_err();
        assert!(message(e.clone()).contains("甲, 乙"), "{e}");
        assert_eq!(code(e), Code::NotAuthorised);
        assert_eq!(l.digest(), before);
        // the assigned ones, in any order
        r.inspectors = BoundedVec::new(vec![text("乙"), text("甲")]).unwrap();
        let eff = l.submit(&fj, r).unwrap();
        assert_eq!(
            eff.subjects,
            vec![Subject::Operator(uscc(OP)), Subject::Draw(draw_tx)]
        );
    }

    #[test]
    fn penalty_rules_and_expiry() {
        let mut l = ledger();
        let fj = l.fujian();
        let now = l.time;
        let before = l.digest();
        let refuse = |l: &mut Ledger, r: PenaltyDecision, c: Code| {
            let e = l.submit(&fj, r).unwrap_err();
            assert_eq!(code(e), c);
            assert_eq!(l.digest(), before);
        };
        let no = "闽市监罚〔2026〕12号";
        refuse(
            &mut l,
            penalty_rec(BJ, no, Severity::General, now, now.plus(6 * MONTH)),
            Code::NotAuthorised,
        );
        refuse(
            &mut l,
            penalty_rec(OP, " ", Severity::General, now, now.plus(6 * MONTH)),
            Code::BadField,
        );
        refuse(
            &mut l,
            penalty_rec(OP, no, Severity::General, now.plus(1), now.plus(6 * MONTH)),
            Code::BadPeriod,
        );
        // general: 3–12 months
        let e = l
            .submit(
                &fj,
                penalty_rec(OP, no, Severity::General, now, now.plus(13 * MONTH)),
            )
            .unwrap_err();
        assert!(message(e.clone()).contains("89 days to 366 days"), "{e}");
        assert_eq!(code(e), Code::BadPeriod);
        refuse(
            &mut l,
            penalty_rec(OP, no, Severity::General, now, now.plus(2 * MONTH)),
            Code::BadPeriod,
        );
        refuse(
            &mut l,
            penalty_rec(OP, no, Severity::Minor, now, now.plus(4 * MONTH)),
            Code::BadPeriod,
        );
        refuse(
            &mut l,
            penalty_rec(OP, no, Severity::Serious, now, now.plus(6 * MONTH)),
            Code::BadPeriod,
        );
        refuse(
            &mut l,
            penalty_rec(OP, no, Severity::Serious, now, now),
            Code::BadPeriod,
        );
        // accepted
        let until = now.plus(6 * MONTH);
        let eff = l
            .submit(&fj, penalty_rec(OP, no, Severity::General, now, until))
            .unwrap();
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!((g.score, g.grade), (75, Grade::B));
        assert_eq!(g.reasons[0].record, Some(eff.tx_id));
        assert!(
            g.reasons[0].text.starts_with(&format!(
                "general penalty {no} (使用不合格计量器具) of {now}, public until {until}"
            )),
            "{}",
            g.reasons[0].text
        );
        assert!(g.reasons[0].text.ends_with(": −25"));
        // the same number again for this operator
        let before = l.digest();
        let e = l
            .submit(
                &fj,
                penalty_rec(OP, no, Severity::Minor, now, now.plus(3 * MONTH)),
            )
            .unwrap_err();
        assert_eq!(code(e), Code::AlreadyExists);
        assert_eq!(l.digest(), before);
        // ...but for another operator it is a different decision
        l.submit(
            &fj,
            penalty_rec(OP2, no, Severity::Minor, now, now.plus(3 * MONTH)),
        )
        .unwrap();
        // a serious one drops the grade to D; after the publication period it stops counting
        l.submit(
            &fj,
            penalty_rec(
                OP,
                "闽市监罚〔2026〕13号",
                Severity::Serious,
                now,
                now.plus(YEAR),
            ),
        )
        .unwrap();
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap().grade, Grade::D);
        l.advance_days(6 * 30);
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!((g.score, g.grade), (50, Grade::D));
        l.advance_days(365 - 6 * 30 - 1);
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap().score, 50);
        l.advance_days(1);
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!((g.score, g.grade), (100, Grade::A));
        assert!(g.reasons.is_empty());
    }

    #[test]
    fn commendation_and_revocation() {
        let mut l = ledger();
        let fj = l.fujian();
        let now = l.time;
        let rec = |target: &str, awarded: Time, until: Time| Commendation {
            target: uscc(target),
            level: CommendationLevel::Provincial,
            awarded,
            valid_until: until,
        };
        let before = l.digest();
        for (r, c) in [
            (rec(BJ, now, now.plus(YEAR)), Code::NotAuthorised),
            (rec(OP, now.plus(1), now.plus(YEAR)), Code::BadPeriod),
            (rec(OP, now.plus(0), now), Code::BadPeriod),
        ] {
            assert_eq!(code(l.submit(&fj, r).unwrap_err()), c);
            assert_eq!(l.digest(), before);
        }
        // an operator with a finding still counting may not be commended
        let ins = l
            .submit(
                &fj,
                inspection(OP2, now, vec![finding(FindingKind::ShortWeightPrepackaged)]),
            )
            .unwrap();
        let before = l.digest();
        let e = l.submit(&fj, rec(OP2, now, now.plus(YEAR))).unwrap_err();
        assert!(message(e.clone()).contains(&ins.tx_id.to_string()), "{e}");
        assert_eq!(code(e), Code::InvalidState);
        assert_eq!(l.digest(), before);
        // accepted
        let c = l.submit(&fj, rec(OP, now, now.plus(YEAR))).unwrap();
        let g = grade(&l.state, &uscc(OP), l.time).unwrap();
        assert_eq!(g.score, 110);
        assert!(g.reasons[0].text.contains("provincial demonstration unit"));
        // revocation: not a commendation, unknown, outside jurisdiction
        let bj = l.beijing();
        let before = l.digest();
        let revoke = |h: Hash| CommendationRevocation {
            commendation: h,
            reason: text("复查不合格"),
        };
        for (key, h, cd) in [
            (&fj, ins.tx_id, Code::BadField),
            (&fj, Hash::from_slice(&[3; 32]).unwrap(), Code::NotFound),
            (&bj, c.tx_id, Code::NotAuthorised),
        ] {
            assert_eq!(code(l.submit(key, revoke(h)).unwrap_err()), cd);
            assert_eq!(l.digest(), before);
        }
        l.advance_days(10);
        let rv = l.submit(&fj, revoke(c.tx_id)).unwrap();
        assert_eq!(rv.subjects, vec![Subject::Operator(uscc(OP))]);
        let f = tables::fact(&l.state, &uscc(OP), &c.tx_id)
            .unwrap()
            .unwrap();
        assert_eq!(f.ended, Some((rv.tx_id, l.time)));
        assert_eq!(grade(&l.state, &uscc(OP), l.time).unwrap().score, 100);
        // the grade before the revocation still shows it
        assert_eq!(grade(&l.state, &uscc(OP), now).unwrap().score, 110);
        let before = l.digest();
        assert_eq!(
            code(l.submit(&fj, revoke(c.tx_id)).unwrap_err()),
            Code::InvalidState
        );
        assert_eq!(l.digest(), before);
    }
}
