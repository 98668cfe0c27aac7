//! Self-commitments (诚信计量承诺): commit, renew, withdraw.
//!
//! An operator signs a pledge about itself for a validity period. While it is valid and not
//! withdrawn it counts in the operator's favour: each commitment writes one
//! [`FactKind::Commitment`] credit fact, which a renewal or a withdrawal ends.
//!
//! Rules:
//! - A commitment is signed by the operator it names, has `valid_from < valid_until`, ends after
//!   the block time, has a template version of at least 1 and names where it is posted and a
//!   complaint hotline.
//! - Without `renews`, an operator that already has an active commitment (not withdrawn, not
//!   expired at the block time) must renew it instead of starting another one.
//! - With `renews`, the renewed commitment must be the same operator's current commitment
//!   (not withdrawn, not already renewed, not superseded by a later one), and the renewal may not
//!   start before it. The renewed commitment's fact ends where the renewal's fact begins.
//! - The ledger cannot vouch for a pledge before it was recorded: a commitment's fact counts
//!   from `max(valid_from, block time)`, never earlier. A renewal that starts in the past
//!   therefore ends the renewed fact at the block time, and history graded before the renewal
//!   never changes.
//! - A withdrawal is signed by the operator that made the commitment; the commitment must not be
//!   withdrawn or renewed already. Its fact ends at the block time.

use liangxin_types::Hash;

use crate::records::{CommitmentWithdrawal, SelfCommitment};
use crate::rejection::{Code, Rejection, required};
use crate::store::{CommitmentState, CreditFact, FactKind, Holder, tables};
use crate::{Cx, Effects, ExecError, RuleResult, State, Subject, auth};

fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, ExecError> {
    Err(Rejection::new(code, message).into())
}

/// [`SelfCommitment`]: an operator pledges honest metering for a period, or renews its pledge.
pub fn commit(s: &mut impl State, cx: &Cx<'_>, r: SelfCommitment) -> RuleResult {
    let mut operator = auth::operator_self(s, cx, &r.uscc)?;
    let now = cx.block.time;
    if r.template_version < 1 {
        return reject(Code::BadField, "pledge template version must be 1 or later");
    }
    required(
        &r.posted_at,
        "the commitment must say where the pledge is posted",
    )?;
    required(&r.hotline, "the commitment must give a complaint hotline")?;
    if r.valid_from >= r.valid_until {
        return reject(
            Code::BadPeriod,
            format!(
                "validity from {} must precede validity until {}",
                r.valid_from, r.valid_until
            ),
        );
    }
    if r.valid_until <= now {
        return reject(
            Code::BadPeriod,
            format!(
                "the commitment would already have ended on {}, before today ({now})",
                r.valid_until
            ),
        );
    }
    // The fact counts from when the ledger first saw the pledge, never earlier.
    let from = r.valid_from.max(now);
    match r.renews {
        Some(old_id) => {
            let mut old = tables::commitment(s, &old_id)?.ok_or_else(|| {
                Rejection::new(
                    Code::NotFound,
                    format!("commitment {old_id} (to be renewed) is not on the ledger"),
                )
            })?;
            if old.commitment.uscc != r.uscc {
                return reject(
                    Code::NotAuthorised,
                    format!(
                        "commitment {old_id} belongs to operator {}, not to {}",
                        old.commitment.uscc, r.uscc
                    ),
                );
            }
            if let Some((w, at)) = old.withdrawn {
                return reject(
                    Code::InvalidState,
                    format!(
                        "commitment {old_id} was withdrawn on {at} (record {w}); \
                         make a new commitment instead of renewing it"
                    ),
                );
            }
            if let Some(by) = old.renewed_by {
                return reject(
                    Code::InvalidState,
                    format!("commitment {old_id} was already renewed by commitment {by}"),
                );
            }
            if operator.commitment != Some(old_id) {
                let current = operator
                    .commitment
                    .map(|h| format!("commitment {h}"))
                    .unwrap_or_else(|| "none".to_string());
                return reject(
                    Code::InvalidState,
                    format!(
                        "commitment {old_id} is not operator {}'s current commitment \
                         (current: {current}); renew the current one",
                        r.uscc
                    ),
                );
            }
            if r.valid_from < old.commitment.valid_from {
                return reject(
                    Code::BadPeriod,
                    format!(
                        "a renewal may not start ({}) before the commitment it renews ({})",
                        r.valid_from, old.commitment.valid_from
                    ),
                );
            }
            old.renewed_by = Some(cx.tx_id);
            tables::put_commitment(s, &old_id, &old)?;
            if let Some(mut fact) = tables::fact(s, &r.uscc, &old_id)?
                && fact.ended.is_none()
            {
                fact.ended = Some((cx.tx_id, from));
                tables::put_fact(s, &r.uscc, &fact)?;
            }
        }
        None => {
            if let Some(current) = active_commitment(s, operator.commitment, cx)? {
                return reject(
                    Code::InvalidState,
                    format!(
                        "operator {} already has an active commitment {current} (valid until {}); \
                         renew it instead of making another",
                        r.uscc,
                        tables::commitment(s, &current)?
                            .map(|c| c.commitment.valid_until)
                            .unwrap_or_default()
                    ),
                );
            }
        }
    }
    let uscc = r.uscc.clone();
    tables::put_fact(
        s,
        &uscc,
        &CreditFact {
            tx: cx.tx_id,
            kind: FactKind::Commitment,
            from,
            until: r.valid_until,
            ended: None,
            voided: None,
            repaired: None,
        },
    )?;
    tables::put_commitment(
        s,
        &cx.tx_id,
        &CommitmentState {
            commitment: r,
            withdrawn: None,
            renewed_by: None,
        },
    )?;
    operator.commitment = Some(cx.tx_id);
    tables::put_operator(s, &operator)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(uscc)],
    })
}

/// The operator's current commitment if it is active at the block time: not withdrawn and not
/// expired.
fn active_commitment(
    s: &impl State,
    current: Option<Hash>,
    cx: &Cx<'_>,
) -> Result<Option<Hash>, ExecError> {
    let Some(h) = current else {
        return Ok(None);
    };
    Ok(match tables::commitment(s, &h)? {
        Some(c) if c.withdrawn.is_none() && c.commitment.valid_until > cx.block.time => Some(h),
        _ => None,
    })
}

/// [`CommitmentWithdrawal`]: an operator withdraws its own commitment; it stops counting now.
pub fn withdraw(s: &mut impl State, cx: &Cx<'_>, r: CommitmentWithdrawal) -> RuleResult {
    let Holder::Operator(me) = &cx.holder else {
        return reject(
            Code::WrongRole,
            "a commitment withdrawal must be signed by an operator",
        );
    };
    let id = r.commitment;
    let mut c = tables::commitment(s, &id)?.ok_or_else(|| {
        Rejection::new(
            Code::NotFound,
            format!("commitment {id} is not on the ledger"),
        )
    })?;
    let uscc = c.commitment.uscc.clone();
    if &uscc != me {
        return reject(
            Code::NotAuthorised,
            format!(
                "commitment {id} was made by operator {uscc}; operator {me} may not withdraw it"
            ),
        );
    }
    if let Some((w, at)) = c.withdrawn {
        return reject(
            Code::InvalidState,
            format!("commitment {id} was already withdrawn on {at} (record {w})"),
        );
    }
    if let Some(by) = c.renewed_by {
        return reject(
            Code::InvalidState,
            format!("commitment {id} was renewed by commitment {by}; withdraw that one instead"),
        );
    }
    let now = cx.block.time;
    c.withdrawn = Some((cx.tx_id, now));
    tables::put_commitment(s, &id, &c)?;
    let mut operator = auth::operator(s, &uscc)?;
    if operator.commitment == Some(id) {
        operator.commitment = None;
        tables::put_operator(s, &operator)?;
    }
    if let Some(mut fact) = tables::fact(s, &uscc, &id)?
        && fact.ended.is_none()
    {
        fact.ended = Some((cx.tx_id, now));
        tables::put_fact(s, &uscc, &fact)?;
    }
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![Subject::Operator(uscc)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DAY, Sector, Time, YEAR};
    use crate::testkit::{Ledger, text};
    use liangxin_types::{Domain, SigningKey, Uscc};

    const OP: &str = "91350100M000100Y43";
    const OTHER: &str = "91350200776049653A";

    fn uscc(s: &str) -> Uscc {
        Uscc::parse(s).unwrap()
    }

    fn code(r: RuleResult) -> Code {
        match r {
            Err(ExecError::Rejected(r)) => r.code,
            Err(ExecError::State(e)) => panic!("storage error {e}"),
            Ok(e) => panic!("accepted: {e:?}"),
        }
    }

    fn pledge(who: &str, from: Time, until: Time, renews: Option<Hash>) -> SelfCommitment {
        SelfCommitment {
            uscc: uscc(who),
            template_version: 1,
            pledge_digest: Domain::Document.hash(b"pledge v1"),
            valid_from: from,
            valid_until: until,
            posted_at: text("收银台"),
            hotline: text("12315"),
            renews,
        }
    }

    fn setup() -> (Ledger, SigningKey, SigningKey) {
        let mut l = Ledger::new();
        let op = l
            .register_operator(OP, "福州某加油站", "350100", Sector::FuelStation)
            .unwrap();
        let other = l
            .register_operator(OTHER, "厦门某商店", "350200", Sector::Shop)
            .unwrap();
        (l, op, other)
    }

    /// Submits `r` with `key`, expects a rejection with `want`, and checks nothing changed.
    fn rejected(l: &mut Ledger, key: &SigningKey, r: impl Into<crate::Record>, want: Code) {
        let before = l.digest();
        assert_eq!(code(l.submit(key, r)), want);
        assert_eq!(l.digest(), before, "a rejected record changed the state");
    }

    fn current(l: &Ledger, who: &str) -> Option<Hash> {
        tables::operator(&l.state, &uscc(who))
            .unwrap()
            .unwrap()
            .commitment
    }

    #[test]
    fn commitment_is_stored_with_its_fact() {
        let (mut l, op, _) = setup();
        let now = l.time;
        let e = l
            .submit(&op, pledge(OP, now, now.plus(YEAR), None))
            .unwrap();
        assert_eq!(e.subjects, vec![Subject::Operator(uscc(OP))]);
        let c = tables::commitment(&l.state, &e.tx_id).unwrap().unwrap();
        assert_eq!(c.commitment.valid_until, now.plus(YEAR));
        assert_eq!((c.withdrawn, c.renewed_by), (None, None));
        assert_eq!(current(&l, OP), Some(e.tx_id));
        let f = tables::fact(&l.state, &uscc(OP), &e.tx_id)
            .unwrap()
            .unwrap();
        assert_eq!(f.kind, FactKind::Commitment);
        assert_eq!((f.from, f.until, f.ended), (now, now.plus(YEAR), None));
        // a commitment starting later counts from its start
        let e = l
            .submit(
                &SigningKey::dev(&format!("operator {OTHER}")),
                pledge(OTHER, now.plus(10 * DAY), now.plus(YEAR), None),
            )
            .unwrap();
        let f = tables::fact(&l.state, &uscc(OTHER), &e.tx_id)
            .unwrap()
            .unwrap();
        assert_eq!(f.from, now.plus(10 * DAY));
    }

    #[test]
    fn backdated_commitment_counts_from_the_block_time() {
        let (mut l, op, _) = setup();
        l.advance_days(100);
        let now = l.time;
        let e = l
            .submit(
                &op,
                pledge(OP, Time(now.0 - 50 * DAY), now.plus(YEAR), None),
            )
            .unwrap();
        let f = tables::fact(&l.state, &uscc(OP), &e.tx_id)
            .unwrap()
            .unwrap();
        assert_eq!(f.from, now);
        // the record itself keeps the dates the operator signed
        let c = tables::commitment(&l.state, &e.tx_id).unwrap().unwrap();
        assert_eq!(c.commitment.valid_from, Time(now.0 - 50 * DAY));
    }

    #[test]
    fn commitment_field_rules() {
        let (mut l, op, _) = setup();
        let now = l.time;
        let ok = pledge(OP, now, now.plus(YEAR), None);
        rejected(
            &mut l,
            &op,
            SelfCommitment {
                template_version: 0,
                ..ok.clone()
            },
            Code::BadField,
        );
        rejected(
            &mut l,
            &op,
            SelfCommitment {
                posted_at: text(""),
                ..ok.clone()
            },
            Code::BadField,
        );
        rejected(
            &mut l,
            &op,
            SelfCommitment {
                hotline: text(""),
                ..ok.clone()
            },
            Code::BadField,
        );
        // empty or inverted period
        rejected(&mut l, &op, pledge(OP, now, now, None), Code::BadPeriod);
        rejected(
            &mut l,
            &op,
            pledge(OP, now.plus(DAY), now, None),
            Code::BadPeriod,
        );
        // already over
        l.advance_days(30);
        rejected(
            &mut l,
            &op,
            pledge(OP, now, now.plus(10 * DAY), None),
            Code::BadPeriod,
        );
        // about another operator
        let now = l.time;
        rejected(
            &mut l,
            &op,
            pledge(OTHER, now, now.plus(YEAR), None),
            Code::NotAuthorised,
        );
        // signed by a regulator
        let fj = l.fujian();
        rejected(
            &mut l,
            &fj,
            pledge(OP, now, now.plus(YEAR), None),
            Code::WrongRole,
        );
        l.submit(&op, pledge(OP, now, now.plus(YEAR), None))
            .unwrap();
    }

    #[test]
    fn one_active_commitment_at_a_time() {
        let (mut l, op, _) = setup();
        let now = l.time;
        let a = l
            .submit(&op, pledge(OP, now, now.plus(30 * DAY), None))
            .unwrap()
            .tx_id;
        let before = l.digest();
        let e = l
            .submit(&op, pledge(OP, now, now.plus(YEAR), None))
            .unwrap_err();
        let ExecError::Rejected(r) = e else { panic!() };
        assert_eq!(r.code, Code::InvalidState);
        assert!(r.message.contains("renew it"), "{}", r.message);
        assert_eq!(l.digest(), before);
        // once it has expired, a fresh commitment is fine
        l.advance_days(30);
        let now = l.time;
        let b = l
            .submit(&op, pledge(OP, now, now.plus(YEAR), None))
            .unwrap()
            .tx_id;
        assert_eq!(current(&l, OP), Some(b));
        // the expired one was superseded: it cannot be renewed any more
        rejected(
            &mut l,
            &op,
            pledge(OP, now, now.plus(YEAR), Some(a)),
            Code::InvalidState,
        );
    }

    #[test]
    fn renewal_rules() {
        let (mut l, op, other) = setup();
        let now = l.time;
        let a = l
            .submit(&op, pledge(OP, now, now.plus(YEAR), None))
            .unwrap()
            .tx_id;
        let theirs = l
            .submit(&other, pledge(OTHER, now, now.plus(YEAR), None))
            .unwrap()
            .tx_id;
        l.advance_days(300);
        let end = now.plus(YEAR);
        // unknown commitment
        rejected(
            &mut l,
            &op,
            pledge(OP, end, end.plus(YEAR), Some(Hash::ZERO)),
            Code::NotFound,
        );
        // another operator's commitment
        rejected(
            &mut l,
            &op,
            pledge(OP, end, end.plus(YEAR), Some(theirs)),
            Code::NotAuthorised,
        );
        // a renewal may not start before the commitment it renews
        rejected(
            &mut l,
            &op,
            pledge(OP, Time(now.0 - DAY), end.plus(YEAR), Some(a)),
            Code::BadPeriod,
        );
        // accepted: continues where the old one ends
        let b = l
            .submit(&op, pledge(OP, end, end.plus(YEAR), Some(a)))
            .unwrap()
            .tx_id;
        let old = tables::commitment(&l.state, &a).unwrap().unwrap();
        assert_eq!(old.renewed_by, Some(b));
        let fa = tables::fact(&l.state, &uscc(OP), &a).unwrap().unwrap();
        assert_eq!(fa.ended, Some((b, end)));
        let fb = tables::fact(&l.state, &uscc(OP), &b).unwrap().unwrap();
        assert_eq!((fb.from, fb.until), (end, end.plus(YEAR)));
        assert_eq!(current(&l, OP), Some(b));
        // renewed already
        rejected(
            &mut l,
            &op,
            pledge(OP, end, end.plus(YEAR), Some(a)),
            Code::InvalidState,
        );
        // a renewal of a renewal that has not started yet: the chain stays gapless
        let today = l.time;
        let c = l
            .submit(&op, pledge(OP, end, end.plus(2 * YEAR), Some(b)))
            .unwrap()
            .tx_id;
        let fb = tables::fact(&l.state, &uscc(OP), &b).unwrap().unwrap();
        assert_eq!(fb.ended, Some((c, end)));
        l.advance_days(10);
        rejected(
            &mut l,
            &op,
            pledge(OP, today, end.plus(3 * YEAR), Some(c)),
            Code::BadPeriod,
        );
        let d = l
            .submit(&op, pledge(OP, end, end.plus(3 * YEAR), Some(c)))
            .unwrap()
            .tx_id;
        // c started at `end`, still in the future: d ends it there too
        let fc = tables::fact(&l.state, &uscc(OP), &c).unwrap().unwrap();
        assert_eq!(fc.ended, Some((d, end)));
    }

    #[test]
    fn renewal_in_the_past_ends_the_old_fact_now() {
        let (mut l, op, _) = setup();
        let start = l.time;
        let a = l
            .submit(&op, pledge(OP, start, start.plus(YEAR), None))
            .unwrap()
            .tx_id;
        l.advance_days(100);
        let now = l.time;
        // renewing from day 50 (already past): the old fact keeps counting until today
        let b = l
            .submit(
                &op,
                pledge(OP, start.plus(50 * DAY), start.plus(2 * YEAR), Some(a)),
            )
            .unwrap()
            .tx_id;
        let fa = tables::fact(&l.state, &uscc(OP), &a).unwrap().unwrap();
        assert_eq!(fa.ended, Some((b, now)));
        let fb = tables::fact(&l.state, &uscc(OP), &b).unwrap().unwrap();
        assert_eq!(fb.from, now);
    }

    #[test]
    fn withdrawal_rules() {
        let (mut l, op, other) = setup();
        let now = l.time;
        let a = l
            .submit(&op, pledge(OP, now, now.plus(YEAR), None))
            .unwrap()
            .tx_id;
        let w = |h: Hash| CommitmentWithdrawal {
            commitment: h,
            reason: text("停业"),
        };
        rejected(&mut l, &op, w(Hash::ZERO), Code::NotFound);
        rejected(&mut l, &other, w(a), Code::NotAuthorised);
        let fj = l.fujian();
        rejected(&mut l, &fj, w(a), Code::WrongRole);
        l.advance_days(5);
        let e = l.submit(&op, w(a)).unwrap();
        assert_eq!(e.subjects, vec![Subject::Operator(uscc(OP))]);
        let at = l.time;
        let c = tables::commitment(&l.state, &a).unwrap().unwrap();
        assert_eq!(c.withdrawn, Some((e.tx_id, at)));
        assert_eq!(current(&l, OP), None);
        let f = tables::fact(&l.state, &uscc(OP), &a).unwrap().unwrap();
        assert_eq!(f.ended, Some((e.tx_id, at)));
        // twice
        rejected(&mut l, &op, w(a), Code::InvalidState);
        // a withdrawn commitment cannot be renewed, but a new one may be made
        rejected(
            &mut l,
            &op,
            pledge(OP, at, at.plus(YEAR), Some(a)),
            Code::InvalidState,
        );
        let b = l
            .submit(&op, pledge(OP, at, at.plus(YEAR), None))
            .unwrap()
            .tx_id;
        // a renewed commitment is withdrawn through its renewal
        let c = l
            .submit(&op, pledge(OP, at, at.plus(2 * YEAR), Some(b)))
            .unwrap()
            .tx_id;
        rejected(&mut l, &op, w(b), Code::InvalidState);
        l.submit(&op, w(c)).unwrap();
        assert_eq!(current(&l, OP), None);
    }
}
