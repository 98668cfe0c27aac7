//! Instruments: registration (强检备案), retirement and replacement (失准更换), verification
//! results (检定) and derived status.
//!
//! Rules:
//! - **Registration** is signed by the operator that owns the instrument. The catalogue item
//!   must exist and allow the chosen verification mode; a fixed service life must end after
//!   the block time; the serial number is required. Ids — (owner, category, serial) — are
//!   never reused, not even after retirement.
//! - **Retirement** is signed by the owner, once. A replacement must be another registered,
//!   unretired instrument of the same owner and category that replaces nothing yet.
//! - **Verification** is signed by an institution authorised for the instrument's category on
//!   the verification date. The instrument must not be retired. Verifications arrive in order:
//!   the date may not be after the block time nor before the instrument's latest recorded
//!   verification (the same day is allowed, e.g. a re-verification after repair). A date
//!   before the instrument's registration is accepted: instruments are commonly verified
//!   before they are filed. A pass needs `valid_until` after its date; a fail's `valid_until`
//!   is ignored and stored as its date. Each certificate document (by digest) is recorded
//!   once. First-verification-only instruments are verified once: a
//!   [`VerificationMode::FirstOnlyScrapOnFailure`] instrument accepts no verification after
//!   its first one (a pass holds for its life, a fail means it is scrapped), a
//!   [`VerificationMode::FixedServiceLife`] instrument none after a pass.
//!
//! Instruments write no credit facts: the credit module derives failed and overdue instruments
//! from [`tables::instruments_of`] and [`status`].

use serde::{Deserialize, Serialize};

use crate::model::{RetirementReason, Time, VerificationMode, VerificationModeKind};
use crate::records::{InstrumentRegistration, InstrumentRetirement, VerificationResult};
use crate::rejection::{Code, Rejection, required};
use crate::store::{
    CertificateEntry, Holder, InstrumentState, RetirementSummary, VerificationSummary, tables,
};
use crate::{Cx, Effects, ExecError, RuleResult, State, Subject, auth};

fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, ExecError> {
    Err(Rejection::new(code, message).into())
}

/// A verification mode's name in messages.
pub fn mode_name(m: VerificationModeKind) -> &'static str {
    match m {
        VerificationModeKind::Periodic => "periodic",
        VerificationModeKind::FirstOnlyScrapOnFailure => {
            "first verification only, scrapped on failure"
        }
        VerificationModeKind::FixedServiceLife => "first verification only, fixed service life",
    }
}

/// The signing operator's USCC.
fn signing_operator<'c>(cx: &'c Cx<'_>, what: &str) -> Result<&'c liangxin_types::Uscc, ExecError> {
    match &cx.holder {
        Holder::Operator(me) => Ok(me),
        _ => reject(
            Code::WrongRole,
            format!("an instrument {what} must be signed by an operator"),
        ),
    }
}

/// [`InstrumentRegistration`] (强检备案): an operator files one of its instruments.
pub fn register(s: &mut impl State, cx: &Cx<'_>, r: InstrumentRegistration) -> RuleResult {
    let me = signing_operator(cx, "registration")?;
    let id = &r.instrument;
    if &id.owner != me {
        return reject(
            Code::NotAuthorised,
            format!(
                "operator {me} may register only its own instruments, not one owned by {}",
                id.owner
            ),
        );
    }
    auth::operator(s, me)?;
    required(
        &id.serial,
        "the instrument's factory serial number (出厂编号) is required",
    )?;
    let item = tables::catalogue_item(s, &id.category)?.ok_or_else(|| {
        Rejection::new(
            Code::NotFound,
            format!(
                "category {} is not in the instrument catalogue",
                id.category
            ),
        )
    })?;
    let kind = r.mode.kind();
    if !item.modes.contains(&kind) {
        let allowed = item
            .modes
            .iter()
            .map(|m| mode_name(*m))
            .collect::<Vec<_>>()
            .join("; ");
        return reject(
            Code::BadField,
            format!(
                "catalogue item {} ({}) may not be registered as \"{}\"; allowed: {}",
                item.code,
                item.name,
                mode_name(kind),
                if allowed.is_empty() { "none" } else { &allowed }
            ),
        );
    }
    if let VerificationMode::FixedServiceLife { until } = r.mode
        && until <= cx.block.time
    {
        return reject(
            Code::BadPeriod,
            format!(
                "the service life must end after today ({}), not on {until}",
                cx.block.time
            ),
        );
    }
    if tables::instrument(s, id)?.is_some() {
        return reject(
            Code::AlreadyExists,
            format!("instrument {id} is already registered"),
        );
    }
    let subjects = vec![
        Subject::Operator(id.owner.clone()),
        Subject::Instrument(id.clone()),
    ];
    tables::put_instrument(
        s,
        &InstrumentState {
            registration: r,
            registered_by: cx.tx_id,
            registered_at: cx.block.time,
            last_verification: None,
            last_pass: None,
            retired: None,
            replaces: None,
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects,
    })
}

/// [`InstrumentRetirement`] (失准更换, scrapping): the owner takes an instrument out of service,
/// optionally naming the registered instrument that replaces it.
pub fn retire(s: &mut impl State, cx: &Cx<'_>, r: InstrumentRetirement) -> RuleResult {
    let me = signing_operator(cx, "retirement")?;
    let id = &r.instrument;
    let mut inst = tables::instrument(s, id)?.ok_or_else(|| {
        Rejection::new(Code::NotFound, format!("instrument {id} is not registered"))
    })?;
    if &id.owner != me {
        return reject(
            Code::NotAuthorised,
            format!("instrument {id} is registered to another operator"),
        );
    }
    if let Some(done) = &inst.retired {
        return reject(
            Code::InvalidState,
            format!("instrument {id} was already retired on {}", done.at),
        );
    }
    let mut subjects = vec![
        Subject::Operator(id.owner.clone()),
        Subject::Instrument(id.clone()),
    ];
    if let Some(new_id) = &r.replacement {
        if new_id == id {
            return reject(
                Code::BadField,
                format!("instrument {id} cannot replace itself"),
            );
        }
        let mut new = tables::instrument(s, new_id)?.ok_or_else(|| {
            Rejection::new(
                Code::NotFound,
                format!(
                    "replacing instrument {new_id} is not registered; register it before retiring {id}"
                ),
            )
        })?;
        if &new_id.owner != me {
            return reject(
                Code::NotAuthorised,
                format!("replacing instrument {new_id} is registered to another operator"),
            );
        }
        if new_id.category != id.category {
            return reject(
                Code::BadField,
                format!(
                    "replacing instrument {new_id} is of category {}, not {} like {id}",
                    new_id.category, id.category
                ),
            );
        }
        if let Some(done) = &new.retired {
            return reject(
                Code::InvalidState,
                format!(
                    "replacing instrument {new_id} was itself retired on {}",
                    done.at
                ),
            );
        }
        if let Some(old) = &new.replaces {
            return reject(
                Code::InvalidState,
                format!("instrument {new_id} already replaces instrument {old}"),
            );
        }
        new.replaces = Some(id.clone());
        tables::put_instrument(s, &new)?;
        subjects.push(Subject::Instrument(new_id.clone()));
    }
    inst.retired = Some(RetirementSummary {
        tx: cx.tx_id,
        at: cx.block.time,
        reason: r.reason,
        replacement: r.replacement,
    });
    tables::put_instrument(s, &inst)?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects,
    })
}

/// [`VerificationResult`] (检定): an authorised institution records a pass or a fail and
/// anchors the certificate's digest.
pub fn verify(s: &mut impl State, cx: &Cx<'_>, r: VerificationResult) -> RuleResult {
    let id = &r.instrument;
    let mut inst = tables::instrument(s, id)?.ok_or_else(|| {
        Rejection::new(Code::NotFound, format!("instrument {id} is not registered"))
    })?;
    let institution = auth::institution_for(s, cx, &id.category, r.date)?;
    let auth_no = institution.registration.authorisation;
    required(
        &r.certificate_number,
        "the certificate (or notice of failure) number is required",
    )?;
    required(
        &r.regulation,
        "the verification regulation applied (e.g. JJG 443-2023) is required",
    )?;
    let now = cx.block.time;
    if r.date > now {
        return reject(
            Code::BadPeriod,
            format!(
                "verification date {} is in the future (today is {now})",
                r.date
            ),
        );
    }
    if let Some(done) = &inst.retired {
        return reject(
            Code::InvalidState,
            format!(
                "instrument {id} was retired on {} and cannot be verified",
                done.at
            ),
        );
    }
    match inst.registration.mode {
        VerificationMode::FirstOnlyScrapOnFailure => {
            if let Some(v) = &inst.last_verification {
                let outcome = if v.passed {
                    "passed, which holds for its life"
                } else {
                    "failed, so it must be scrapped"
                };
                return reject(
                    Code::InvalidState,
                    format!(
                        "instrument {id} is verified once only; its verification on {} {outcome}",
                        v.date
                    ),
                );
            }
        }
        VerificationMode::FixedServiceLife { until } => {
            if let Some(p) = &inst.last_pass {
                return reject(
                    Code::InvalidState,
                    format!(
                        "instrument {id} is verified once only; it passed on {} and serves until {until}",
                        p.date
                    ),
                );
            }
        }
        VerificationMode::Periodic => {}
    }
    if let Some(v) = &inst.last_verification
        && r.date < v.date
    {
        return reject(
            Code::BadPeriod,
            format!(
                "verification date {} is before instrument {id}'s latest recorded verification ({}); \
                 verifications are recorded in date order",
                r.date, v.date
            ),
        );
    }
    if r.passed && r.valid_until <= r.date {
        return reject(
            Code::BadPeriod,
            format!(
                "a pass must be valid after its date {}, not only until {}",
                r.date, r.valid_until
            ),
        );
    }
    let digest = r.certificate_digest;
    if let Some(c) = tables::certificate(s, &digest)? {
        return reject(
            Code::AlreadyExists,
            format!(
                "certificate document {digest} is already on the ledger (certificate {} of instrument {}, record {})",
                c.number, c.instrument, c.tx
            ),
        );
    }
    let valid_until = if r.passed { r.valid_until } else { r.date };
    let summary = VerificationSummary {
        tx: cx.tx_id,
        date: r.date,
        passed: r.passed,
        valid_until,
        certificate_digest: digest,
        institution: auth_no.clone(),
    };
    if r.passed {
        inst.last_pass = Some(summary.clone());
    }
    inst.last_verification = Some(summary);
    tables::put_instrument(s, &inst)?;
    tables::put_certificate(
        s,
        &digest,
        &CertificateEntry {
            tx: cx.tx_id,
            instrument: id.clone(),
            institution: auth_no.clone(),
            number: r.certificate_number,
            passed: r.passed,
            date: r.date,
            valid_until,
        },
    )?;
    Ok(Effects {
        tx_id: cx.tx_id,
        subjects: vec![
            Subject::Operator(id.owner.clone()),
            Subject::Instrument(id.clone()),
            Subject::Certificate(digest),
            Subject::Institution(auth_no.to_string()),
        ],
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DAY, InstrumentId, InstrumentUse, Sector, YEAR};
    use crate::testkit::{Ledger, text};
    use liangxin_types::{Domain, Hash, SigningKey, Uscc};

    const OP: &str = "91350100M000100Y43";
    const OTHER: &str = "91350200776049653A";
    const INST: &str = "闽计检(2026)001";

    fn uscc(s: &str) -> Uscc {
        Uscc::parse(s).unwrap()
    }

    fn iid(owner: &str, category: &str, serial: &str) -> InstrumentId {
        InstrumentId {
            owner: uscc(owner),
            category: text(category),
            serial: text(serial),
        }
    }

    fn reg(id: &InstrumentId, mode: VerificationMode) -> InstrumentRegistration {
        InstrumentRegistration {
            instrument: id.clone(),
            usage: InstrumentUse::TradeSettlement,
            model: text("TQJ-1"),
            accuracy_class: text("0.3"),
            range: text("5–60 L/min"),
            manufacturer: text("某机械厂"),
            location: text("3号加油岛"),
            mode,
        }
    }

    fn retire_rec(id: &InstrumentId, replacement: Option<&InstrumentId>) -> InstrumentRetirement {
        InstrumentRetirement {
            instrument: id.clone(),
            reason: RetirementReason::Inaccurate,
            replacement: replacement.cloned(),
        }
    }

    fn result(
        id: &InstrumentId,
        date: Time,
        passed: bool,
        until: Time,
        doc: &str,
    ) -> VerificationResult {
        VerificationResult {
            instrument: id.clone(),
            date,
            passed,
            certificate_number: text(&format!("JD-{doc}")),
            certificate_digest: Domain::Document.hash(doc.as_bytes()),
            certificate_uri: None,
            valid_until: until,
            regulation: text("JJG 443-2023"),
        }
    }

    fn code(r: RuleResult) -> Code {
        match r {
            Err(ExecError::Rejected(r)) => r.code,
            Err(ExecError::State(e)) => panic!("storage error {e}"),
            Ok(e) => panic!("accepted: {e:?}"),
        }
    }

    /// Submits `r` with `key`, expects a rejection with `want`, checks nothing changed and
    /// returns the message.
    fn rejected(
        l: &mut Ledger,
        key: &SigningKey,
        r: impl Into<crate::Record>,
        want: Code,
    ) -> String {
        let before = l.digest();
        let e = l.submit(key, r);
        let msg = match &e {
            Err(ExecError::Rejected(r)) => r.message.clone(),
            _ => String::new(),
        };
        assert_eq!(code(e), want, "{msg}");
        assert_eq!(l.digest(), before, "a rejected record changed the state");
        msg
    }

    struct Setup {
        l: Ledger,
        op: SigningKey,
        other: SigningKey,
        inst: SigningKey,
    }

    fn setup() -> Setup {
        let mut l = Ledger::new();
        let op = l
            .register_operator(OP, "福州某加油站", "350100", Sector::FuelStation)
            .unwrap();
        let other = l
            .register_operator(OTHER, "厦门某商店", "350200", Sector::Shop)
            .unwrap();
        let inst = l
            .register_institution(INST, &["9.1", "12.2", "13.1"])
            .unwrap();
        Setup { l, op, other, inst }
    }

    fn instrument(l: &Ledger, id: &InstrumentId) -> InstrumentState {
        tables::instrument(&l.state, id).unwrap().unwrap()
    }

    fn status_now(l: &Ledger, id: &InstrumentId) -> InstrumentStatus {
        status(&instrument(l, id), l.time)
    }

    #[test]
    fn registration_rules() {
        let Setup { mut l, op, .. } = setup();
        let id = iid(OP, "9.1", "FD-0042");
        let e = l.submit(&op, reg(&id, VerificationMode::Periodic)).unwrap();
        assert_eq!(
            e.subjects,
            vec![Subject::Operator(uscc(OP)), Subject::Instrument(id.clone())]
        );
        let i = instrument(&l, &id);
        assert_eq!((i.registered_by, i.registered_at), (e.tx_id, l.time));
        assert_eq!(status(&i, l.time), InstrumentStatus::Registered);
        let mine = tables::instruments_of(&l.state, &uscc(OP)).unwrap();
        assert_eq!(mine.len(), 1);
        assert!(
            tables::instruments_of(&l.state, &uscc(OTHER))
                .unwrap()
                .is_empty()
        );
        // the same id again
        rejected(
            &mut l,
            &op,
            reg(&id, VerificationMode::Periodic),
            Code::AlreadyExists,
        );
        // someone else's instrument: the message names both operators
        let theirs = iid(OTHER, "9.1", "FD-1");
        let msg = rejected(
            &mut l,
            &op,
            reg(&theirs, VerificationMode::Periodic),
            Code::NotAuthorised,
        );
        assert!(msg.contains(OP) && msg.contains(OTHER), "{msg}");
        // not in the catalogue
        rejected(
            &mut l,
            &op,
            reg(&iid(OP, "99.9", "X"), VerificationMode::Periodic),
            Code::NotFound,
        );
        // a mode the catalogue item does not allow: the message lists the allowed ones
        let msg = rejected(
            &mut l,
            &op,
            reg(
                &iid(OP, "9.1", "FD-2"),
                VerificationMode::FirstOnlyScrapOnFailure,
            ),
            Code::BadField,
        );
        assert!(msg.contains("allowed: periodic"), "{msg}");
        rejected(
            &mut l,
            &op,
            reg(&iid(OP, "12.2", "W-1"), VerificationMode::Periodic),
            Code::BadField,
        );
        // a service life that has already ended
        let now = l.time;
        rejected(
            &mut l,
            &op,
            reg(
                &iid(OP, "12.2", "W-1"),
                VerificationMode::FixedServiceLife { until: now },
            ),
            Code::BadPeriod,
        );
        // no serial number
        rejected(
            &mut l,
            &op,
            reg(&iid(OP, "9.1", ""), VerificationMode::Periodic),
            Code::BadField,
        );
        // a regulator cannot file instruments
        let fj = l.fujian();
        rejected(
            &mut l,
            &fj,
            reg(&iid(OP, "9.1", "FD-3"), VerificationMode::Periodic),
            Code::WrongRole,
        );
        l.submit(
            &op,
            reg(
                &iid(OP, "12.2", "W-1"),
                VerificationMode::FixedServiceLife {
                    until: l.time.plus(DAY),
                },
            ),
        )
        .unwrap();
        assert_eq!(
            tables::instruments_of(&l.state, &uscc(OP)).unwrap().len(),
            2
        );
    }

    #[test]
    fn retirement_and_replacement_rules() {
        let Setup {
            mut l, op, other, ..
        } = setup();
        let old = iid(OP, "9.1", "FD-0042");
        let new = iid(OP, "9.1", "FD-0043");
        let scale = iid(OP, "13.1", "T-1");
        let theirs = iid(OTHER, "9.1", "FD-9");
        rejected(&mut l, &op, retire_rec(&old, None), Code::NotFound);
        for (k, id) in [(&op, &old), (&op, &new), (&other, &theirs)] {
            l.submit(k, reg(id, VerificationMode::Periodic)).unwrap();
        }
        l.submit(&op, reg(&scale, VerificationMode::FirstOnlyScrapOnFailure))
            .unwrap();
        // someone else's instrument
        let msg = rejected(&mut l, &other, retire_rec(&old, None), Code::NotAuthorised);
        assert_eq!(
            msg,
            format!("instrument {old} is registered to another operator")
        );
        // bad replacements
        rejected(&mut l, &op, retire_rec(&old, Some(&old)), Code::BadField);
        rejected(
            &mut l,
            &op,
            retire_rec(&old, Some(&iid(OP, "9.1", "nope"))),
            Code::NotFound,
        );
        rejected(
            &mut l,
            &op,
            retire_rec(&old, Some(&theirs)),
            Code::NotAuthorised,
        );
        rejected(&mut l, &op, retire_rec(&old, Some(&scale)), Code::BadField);
        // accepted: both instruments are subjects, the new one records what it replaces
        let e = l.submit(&op, retire_rec(&old, Some(&new))).unwrap();
        assert_eq!(
            e.subjects,
            vec![
                Subject::Operator(uscc(OP)),
                Subject::Instrument(old.clone()),
                Subject::Instrument(new.clone()),
            ]
        );
        let r = instrument(&l, &old).retired.unwrap();
        assert_eq!(
            (r.tx, r.at, r.replacement),
            (e.tx_id, l.time, Some(new.clone()))
        );
        assert_eq!(instrument(&l, &new).replaces, Some(old.clone()));
        // retired twice
        rejected(&mut l, &op, retire_rec(&old, None), Code::InvalidState);
        // a replacement that already replaces something
        let third = iid(OP, "9.1", "FD-0044");
        l.submit(&op, reg(&third, VerificationMode::Periodic))
            .unwrap();
        rejected(
            &mut l,
            &op,
            retire_rec(&third, Some(&new)),
            Code::InvalidState,
        );
        // a retired replacement
        l.submit(&op, retire_rec(&new, None)).unwrap();
        let fourth = iid(OP, "9.1", "FD-0045");
        l.submit(&op, reg(&fourth, VerificationMode::Periodic))
            .unwrap();
        rejected(
            &mut l,
            &op,
            retire_rec(&fourth, Some(&new)),
            Code::InvalidState,
        );
        // ids are never reused
        rejected(
            &mut l,
            &op,
            reg(&old, VerificationMode::Periodic),
            Code::AlreadyExists,
        );
    }

    #[test]
    fn verification_rules() {
        let Setup {
            mut l, op, inst, ..
        } = setup();
        let id = iid(OP, "9.1", "FD-0042");
        let now = l.time;
        rejected(
            &mut l,
            &inst,
            result(&id, now, true, now.plus(YEAR), "c0"),
            Code::NotFound,
        );
        l.submit(&op, reg(&id, VerificationMode::Periodic)).unwrap();
        l.advance_days(10);
        let now = l.time;
        // field rules
        rejected(
            &mut l,
            &inst,
            VerificationResult {
                certificate_number: text(""),
                ..result(&id, now, true, now.plus(YEAR), "c1")
            },
            Code::BadField,
        );
        rejected(
            &mut l,
            &inst,
            VerificationResult {
                regulation: text(""),
                ..result(&id, now, true, now.plus(YEAR), "c1")
            },
            Code::BadField,
        );
        // dates
        rejected(
            &mut l,
            &inst,
            result(&id, now.plus(DAY), true, now.plus(YEAR), "c1"),
            Code::BadPeriod,
        );
        rejected(
            &mut l,
            &inst,
            result(&id, now, true, now, "c1"),
            Code::BadPeriod,
        );
        // an operator cannot record verifications
        rejected(
            &mut l,
            &op,
            result(&id, now, true, now.plus(YEAR), "c1"),
            Code::WrongRole,
        );
        // accepted (dated yesterday); a fail's valid-until is ignored
        let yesterday = Time(now.0 - DAY);
        let e = l
            .submit(&inst, result(&id, yesterday, false, now.plus(YEAR), "c1"))
            .unwrap();
        let digest = Domain::Document.hash(b"c1");
        assert_eq!(
            e.subjects,
            vec![
                Subject::Operator(uscc(OP)),
                Subject::Instrument(id.clone()),
                Subject::Certificate(digest),
                Subject::Institution(INST.to_string()),
            ]
        );
        let i = instrument(&l, &id);
        let v = i.last_verification.clone().unwrap();
        assert_eq!(
            (v.tx, v.date, v.passed, v.valid_until),
            (e.tx_id, yesterday, false, yesterday)
        );
        assert_eq!(i.last_pass, None);
        // the same certificate document twice
        rejected(
            &mut l,
            &inst,
            result(&id, now, true, now.plus(YEAR), "c1"),
            Code::AlreadyExists,
        );
        // out of order
        rejected(
            &mut l,
            &inst,
            result(&id, Time(now.0 - 2 * DAY), true, now.plus(YEAR), "c2"),
            Code::BadPeriod,
        );
        // a pass on the same day after repair is fine
        let e2 = l
            .submit(&inst, result(&id, yesterday, true, now.plus(YEAR), "c2"))
            .unwrap();
        let i = instrument(&l, &id);
        assert_eq!(i.last_pass.as_ref().map(|p| p.tx), Some(e2.tx_id));
        assert_eq!(i.last_verification.as_ref().map(|p| p.tx), Some(e2.tx_id));
        // retired instruments are not verified
        l.submit(&op, retire_rec(&id, None)).unwrap();
        rejected(
            &mut l,
            &inst,
            result(&id, now, true, now.plus(YEAR), "c3"),
            Code::InvalidState,
        );
    }

    #[test]
    fn institution_scope_and_validity() {
        let Setup {
            mut l, op, inst, ..
        } = setup();
        let scale = iid(OP, "5.1", "S-1");
        l.submit(&op, reg(&scale, VerificationMode::Periodic))
            .unwrap();
        let now = l.time;
        // outside its categories
        let msg = rejected(
            &mut l,
            &inst,
            result(&scale, now, true, now.plus(YEAR), "s1"),
            Code::NotAuthorised,
        );
        assert!(msg.contains("5.1"), "{msg}");
        // outside its validity: authorised from day 30, verification dated day 20
        l.advance_days(30);
        let late = l.register_institution("闽计检(2026)002", &["5.1"]).unwrap();
        let day20 = now.plus(20 * DAY);
        rejected(
            &mut l,
            &late,
            result(&scale, day20, true, now.plus(YEAR), "s1"),
            Code::Expired,
        );
        let today = l.time;
        l.submit(&late, result(&scale, today, true, today.plus(YEAR), "s1"))
            .unwrap();
    }

    #[test]
    fn certificate_lookup_by_digest() {
        let Setup {
            mut l, op, inst, ..
        } = setup();
        let id = iid(OP, "9.1", "FD-0042");
        l.submit(&op, reg(&id, VerificationMode::Periodic)).unwrap();
        let now = l.time;
        let e = l
            .submit(&inst, result(&id, now, true, now.plus(YEAR), "dcc.xml"))
            .unwrap();
        let c = tables::certificate(&l.state, &Domain::Document.hash(b"dcc.xml"))
            .unwrap()
            .unwrap();
        assert_eq!(c.tx, e.tx_id);
        assert_eq!(c.instrument, id);
        assert_eq!(c.institution.as_str(), INST);
        assert_eq!(c.number.as_str(), "JD-dcc.xml");
        assert!(c.passed);
        assert_eq!((c.date, c.valid_until), (now, now.plus(YEAR)));
        assert_eq!(
            tables::certificate(&l.state, &Domain::Document.hash(b"forged")).unwrap(),
            None
        );
        assert_eq!(tables::certificate(&l.state, &Hash::ZERO).unwrap(), None);
    }

    #[test]
    fn periodic_status_lifecycle() {
        let Setup {
            mut l, op, inst, ..
        } = setup();
        let id = iid(OP, "9.1", "FD-0042");
        let new = iid(OP, "9.1", "FD-0043");
        l.submit(&op, reg(&id, VerificationMode::Periodic)).unwrap();
        assert_eq!(status_now(&l, &id), InstrumentStatus::Registered);
        // verified for 180 days
        let t0 = l.time;
        let until = t0.plus(180 * DAY);
        l.submit(&inst, result(&id, t0, true, until, "p1")).unwrap();
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::Verified { until: Some(until) }
        );
        let i = instrument(&l, &id);
        assert_eq!(
            status(&i, Time(until.0 - 1)),
            InstrumentStatus::Verified { until: Some(until) }
        );
        assert_eq!(
            status(&i, until),
            InstrumentStatus::Overdue { since: until }
        );
        // overdue on the ledger too
        l.advance_days(200);
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::Overdue { since: until }
        );
        // then fails its verification
        let t1 = l.time;
        l.submit(&inst, result(&id, t1, false, t1, "f1")).unwrap();
        assert_eq!(status_now(&l, &id), InstrumentStatus::Failed { at: t1 });
        // failed stays failed, whatever the time
        assert_eq!(
            status(&instrument(&l, &id), t1.plus(10 * YEAR)),
            InstrumentStatus::Failed { at: t1 }
        );
        // repaired and verified again
        l.advance_days(3);
        let t2 = l.time;
        l.submit(&inst, result(&id, t2, true, t2.plus(YEAR), "p2"))
            .unwrap();
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::Verified {
                until: Some(t2.plus(YEAR))
            }
        );
        // replaced
        l.submit(&op, reg(&new, VerificationMode::Periodic))
            .unwrap();
        l.submit(&op, retire_rec(&id, Some(&new))).unwrap();
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::Retired {
                reason: RetirementReason::Inaccurate,
                replaced_by: Some(new.clone()),
            }
        );
        assert_eq!(status_now(&l, &new), InstrumentStatus::Registered);
    }

    #[test]
    fn first_only_scrap_on_failure() {
        let Setup {
            mut l, op, inst, ..
        } = setup();
        let good = iid(OP, "13.1", "T-1");
        let bad = iid(OP, "13.1", "T-2");
        for id in [&good, &bad] {
            l.submit(&op, reg(id, VerificationMode::FirstOnlyScrapOnFailure))
                .unwrap();
        }
        let t0 = l.time;
        l.submit(&inst, result(&good, t0, true, t0.plus(YEAR), "g1"))
            .unwrap();
        // a pass holds for the instrument's life, whatever the certificate's date
        assert_eq!(
            status_now(&l, &good),
            InstrumentStatus::Verified { until: None }
        );
        assert_eq!(
            status(&instrument(&l, &good), t0.plus(10 * YEAR)),
            InstrumentStatus::Verified { until: None }
        );
        l.advance_days(400);
        let t1 = l.time;
        rejected(
            &mut l,
            &inst,
            result(&good, t1, true, t1.plus(YEAR), "g2"),
            Code::InvalidState,
        );
        // a failure means scrapping: no second chance
        l.submit(&inst, result(&bad, t1, false, t1, "b1")).unwrap();
        assert_eq!(status_now(&l, &bad), InstrumentStatus::Failed { at: t1 });
        rejected(
            &mut l,
            &inst,
            result(&bad, t1, true, t1.plus(YEAR), "b2"),
            Code::InvalidState,
        );
        l.submit(
            &op,
            InstrumentRetirement {
                instrument: bad.clone(),
                reason: RetirementReason::FailedVerification,
                replacement: None,
            },
        )
        .unwrap();
        assert_eq!(
            status_now(&l, &bad),
            InstrumentStatus::Retired {
                reason: RetirementReason::FailedVerification,
                replaced_by: None,
            }
        );
    }

    #[test]
    fn fixed_service_life() {
        let Setup {
            mut l, op, inst, ..
        } = setup();
        let id = iid(OP, "12.2", "W-1");
        let end = l.time.plus(2 * YEAR);
        l.submit(
            &op,
            reg(&id, VerificationMode::FixedServiceLife { until: end }),
        )
        .unwrap();
        assert_eq!(status_now(&l, &id), InstrumentStatus::Registered);
        // a failed first verification may be followed by another first verification
        let t0 = l.time;
        l.submit(&inst, result(&id, t0, false, t0, "w1")).unwrap();
        assert_eq!(status_now(&l, &id), InstrumentStatus::Failed { at: t0 });
        l.advance_days(1);
        let t1 = l.time;
        l.submit(&inst, result(&id, t1, true, t1.plus(30 * DAY), "w2"))
            .unwrap();
        // valid for its service life, not for the certificate's period
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::Verified { until: Some(end) }
        );
        assert_eq!(
            status(&instrument(&l, &id), t1.plus(YEAR)),
            InstrumentStatus::Verified { until: Some(end) }
        );
        // no verification after a pass
        rejected(
            &mut l,
            &inst,
            result(&id, t1, true, t1.plus(YEAR), "w3"),
            Code::InvalidState,
        );
        // out of service when its life ends
        l.advance_days(2 * 365);
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::OutOfService { since: end }
        );
        l.submit(
            &op,
            InstrumentRetirement {
                instrument: id.clone(),
                reason: RetirementReason::EndOfLife,
                replacement: None,
            },
        )
        .unwrap();
        assert_eq!(
            status_now(&l, &id),
            InstrumentStatus::Retired {
                reason: RetirementReason::EndOfLife,
                replaced_by: None,
            }
        );
    }
}
