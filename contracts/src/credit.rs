//! Credit grades (计量信用等级): a pure function of an operator's records, the time and the
//! rule parameters.
//!
//! The score starts at [`RuleParams::base_score`](crate::RuleParams::base_score). Every input
//! that counts at the moment graded adds or takes off points:
//!
//! | input | points | counts while |
//! |---|---|---|
//! | penalty decision | − `penalty_points[severity]` | from its date until `public_until` |
//! | inspection finding | − `finding_points[kind]`, each finding | from the inspection date for `finding_period` |
//! | failed or out-of-service instrument | − `failed_instrument_points` each | its status is failed / out of service |
//! | overdue instrument | − `overdue_instrument_points` each | its status is overdue |
//! | self-commitment | + `commitment_bonus`, once | from `valid_from` until `valid_until`, not withdrawn |
//! | commendation | + `commendation_bonus`, once (the highest level) | from the award until `valid_until`, not revoked |
//! | clean inspection | + `clean_inspection_bonus` each, at most `max_clean_bonus` together | from the inspection date for `clean_inspection_period` |
//!
//! A record stops counting early when it is ended (withdrawn, revoked), repaired (from the
//! repair's date) or voided by an upheld objection (entirely). The grade is
//! [`RuleParams::grade_of`](crate::RuleParams::grade_of) of the score, and every counted input
//! is listed as a [`Reason`].

use liangxin_types::{Hash, Uscc};
use serde::{Deserialize, Serialize};

use crate::instruments::{InstrumentStatus, status};
use crate::model::{CommendationLevel, FindingKind, Grade, Severity, Time};
use crate::params::RuleParams;
use crate::store::{CreditFact, FactKind, InstrumentState, tables};
use crate::{State, StateError};

/// One reason for a grade: which record, how it counts, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The record (absent for derived facts with no single record).
    pub record: Option<Hash>,
    /// Points added (positive) or taken off (negative).
    pub points: i64,
    /// Until when it counts, if it expires.
    pub until: Option<Time>,
    /// What it is, for a person.
    pub text: String,
}

/// An operator's grade at a moment, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeReport {
    /// The operator.
    pub operator: Uscc,
    /// The moment graded.
    pub at: Time,
    /// The score.
    pub score: i64,
    /// The grade.
    pub grade: Grade,
    /// Every input that counted, in a stable order: largest deductions first, then bonuses
    /// (ties by record id, then text).
    pub reasons: Vec<Reason>,
}

/// Whether a fact lowers the grade (penalties and inspection findings).
pub fn is_negative(kind: &FactKind) -> bool {
    matches!(
        kind,
        FactKind::Penalty(_) | FactKind::Finding(_) | FactKind::Findings(_)
    )
}

/// Whether `f` counts at `now`: within `[from, until)`, not voided, and not ended or repaired
/// at or before `now`.
pub fn counts_at(f: &CreditFact, now: Time) -> bool {
    f.from <= now
        && now < f.until
        && f.voided.is_none()
        && f.ended.is_none_or(|(_, t)| t > now)
        && f.repaired.is_none_or(|(_, t)| t > now)
}

/// The name of a penalty severity, for a person.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Minor => "minor",
        Severity::General => "general",
        Severity::Serious => "serious",
    }
}

/// The name of a finding kind, for a person.
pub fn finding_name(k: FindingKind) -> &'static str {
    match k {
        FindingKind::Unverified => "unverified instrument (未经检定)",
        FindingKind::Overdue => "verification overdue (超期未检)",
        FindingKind::Failed => "instrument failed on site (检定不合格)",
        FindingKind::AccuracyDamaged => "accuracy damaged (破坏计量器具准确度)",
        FindingKind::ForgedData => "forged metering data (伪造数据)",
        FindingKind::CheatingDevice => "cheating device (作弊装置)",
        FindingKind::ShortWeightPrepackaged => "short-weight prepackaged goods (定量包装商品短缺)",
        FindingKind::FalseCertificate => "false certificate (虚假计量证书)",
    }
}

/// The name of a commendation level, for a person.
pub fn level_name(l: CommendationLevel) -> &'static str {
    match l {
        CommendationLevel::Local => "local",
        CommendationLevel::Provincial => "provincial",
        CommendationLevel::National => "national",
    }
}

fn signed(points: i64) -> String {
    if points < 0 {
        format!("−{}", points.unsigned_abs())
    } else {
        format!("+{points}")
    }
}

/// A reason; its text is only written when `explain` (a draw grades every candidate and needs
/// the points, not the words).
fn reason(
    explain: bool,
    record: Option<Hash>,
    points: i64,
    until: Option<Time>,
    text: impl FnOnce() -> String,
) -> Reason {
    let text = if explain {
        format!("{}: {}", text(), signed(points))
    } else {
        String::new()
    };
    Reason {
        record,
        points,
        until,
        text,
    }
}

/// The grade of `operator` at `now`, with its reasons. Reads the operator's credit facts, its
/// instruments and the rule parameters; linear in their number.
///
/// `now` is meant to be the time of the state being read (the current block's time, or later
/// for "when will this record stop counting" questions). Instrument statuses come from each
/// instrument's latest records, and the parameters are the current ones, so asking this state
/// about an earlier moment does not reproduce the grade given then: the grade at an earlier
/// height is read from the state at that height (the node keeps each height's state root).
pub fn grade(s: &impl State, operator: &Uscc, now: Time) -> Result<GradeReport, StateError> {
    grade_with(s, operator, now, &tables::params(s)?, true)
}

/// [`grade`] under the given rule parameters (the state's current ones), with reason texts
/// only when `explain`: the same points, score and grade either way. Grading many operators
/// at once (a draw's candidates) reads the parameters once and writes no texts.
pub fn grade_with(
    s: &impl State,
    operator: &Uscc,
    now: Time,
    params: &RuleParams,
    explain: bool,
) -> Result<GradeReport, StateError> {
    let instruments = tables::instruments_of(s, operator)?;
    grade_with_instruments(s, operator, now, params, explain, &instruments)
}

/// [`grade_with`] given the operator's instruments ([`tables::instruments_of`] of the same
/// state), for a caller that reads them anyway (a query that also lists them).
pub fn grade_with_instruments(
    s: &impl State,
    operator: &Uscc,
    now: Time,
    params: &RuleParams,
    explain: bool,
    instruments: &[InstrumentState],
) -> Result<GradeReport, StateError> {
    let facts = tables::facts_of(s, operator)?;
    let mut reasons = Vec::new();

    let mut commitment: Option<&CreditFact> = None;
    let mut commendation: Option<(&CreditFact, CommendationLevel)> = None;
    let mut clean: Vec<&CreditFact> = Vec::new();

    for f in facts.iter().filter(|f| counts_at(f, now)) {
        match &f.kind {
            FactKind::Penalty(sev) => {
                reasons.push(penalty_reason(s, operator, f, *sev, params, explain)?);
            }
            FactKind::Finding(k) => reasons.extend(finding_reason(f, *k, params, now, explain)),
            FactKind::Findings(ks) => {
                reasons.extend(
                    ks.iter()
                        .filter_map(|k| finding_reason(f, *k, params, now, explain)),
                );
            }
            FactKind::CleanInspection => clean.push(f),
            FactKind::Commitment => {
                if commitment.is_none_or(|c| (f.until, f.tx) > (c.until, c.tx)) {
                    commitment = Some(f);
                }
            }
            FactKind::Commendation(level) => {
                if commendation.is_none_or(|(c, l)| (*level, f.until, f.tx) > (l, c.until, c.tx)) {
                    commendation = Some((f, *level));
                }
            }
        }
    }

    if let Some(c) = commitment {
        reasons.push(reason(
            explain,
            Some(c.tx),
            i64::from(params.commitment_bonus),
            Some(c.until),
            || format!("self-commitment (诚信计量承诺) valid until {}", c.until),
        ));
    }
    if let Some((c, level)) = commendation {
        reasons.push(reason(
            explain,
            Some(c.tx),
            i64::from(params.commendation_bonus),
            Some(c.until),
            || {
                format!(
                    "{} demonstration unit (诚信计量示范单位) since {}, valid until {}",
                    level_name(level),
                    c.from,
                    c.until
                )
            },
        ));
    }
    // Newest clean inspections first get the bonus, until the cap is reached.
    clean.sort_by_key(|c| std::cmp::Reverse((c.from, c.tx)));
    let mut left = i64::from(params.max_clean_bonus);
    for c in clean {
        let points = i64::from(params.clean_inspection_bonus).min(left).max(0);
        left -= points;
        let capped = points < i64::from(params.clean_inspection_bonus);
        reasons.push(reason(explain, Some(c.tx), points, Some(c.until), || {
            let capped = if capped {
                format!(
                    " (clean-inspection bonuses are capped at {})",
                    params.max_clean_bonus
                )
            } else {
                String::new()
            };
            format!(
                "clean inspection on {}, counts until {}{capped}",
                c.from, c.until
            )
        }));
    }

    for i in instruments {
        let id = &i.registration.instrument;
        let failed = i64::from(params.failed_instrument_points);
        match status(i, now) {
            InstrumentStatus::Failed { at } => reasons.push(reason(
                explain,
                i.last_verification.as_ref().map(|v| v.tx).or(Some(i.registered_by)),
                -failed,
                None,
                || format!("instrument {id} failed verification on {at} and is still registered"),
            )),
            InstrumentStatus::OutOfService { since } => reasons.push(reason(
                explain,
                Some(i.registered_by),
                -failed,
                None,
                || format!("instrument {id} reached the end of its service life on {since} and was not retired"),
            )),
            InstrumentStatus::Overdue { since } => reasons.push(reason(
                explain,
                i.last_pass.as_ref().map(|v| v.tx).or(Some(i.registered_by)),
                -i64::from(params.overdue_instrument_points),
                None,
                || format!("instrument {id} is overdue for verification since {since}"),
            )),
            InstrumentStatus::Registered => {
                let due = i.registered_at.plus(params.first_verification_grace);
                if now >= due {
                    reasons.push(reason(
            explain,
                        Some(i.registered_by),
                        -i64::from(params.overdue_instrument_points),
                        None,
                        || format!(
                            "instrument {id} was registered on {} and not verified by {due}",
                            i.registered_at
                        ),
                    ));
                }
            }
            InstrumentStatus::Verified { .. } | InstrumentStatus::Retired { .. } => {}
        }
    }

    reasons.sort_by(|a, b| {
        (a.points, a.record, &a.text, a.until).cmp(&(b.points, b.record, &b.text, b.until))
    });
    let score = reasons.iter().fold(i64::from(params.base_score), |acc, r| {
        acc.saturating_add(r.points)
    });
    Ok(GradeReport {
        operator: operator.clone(),
        at: now,
        score,
        grade: params.grade_of(score),
        reasons,
    })
}

/// The same as [`grade`]: the grade of `operator` at `now`.
pub fn grade_of_operator_at(
    s: &impl State,
    operator: &Uscc,
    now: Time,
) -> Result<GradeReport, StateError> {
    grade(s, operator, now)
}

fn penalty_reason(
    s: &impl State,
    operator: &Uscc,
    f: &CreditFact,
    sev: Severity,
    params: &RuleParams,
    explain: bool,
) -> Result<Reason, StateError> {
    // The decision number is only for the text.
    let number = match explain
        .then(|| tables::penalty(s, operator, &f.tx))
        .transpose()?
    {
        Some(Some(p)) => format!(" {} ({})", p.decision_number, p.violation),
        _ => String::new(),
    };
    Ok(reason(
        explain,
        Some(f.tx),
        -i64::from(params.penalty(sev)),
        Some(f.until),
        || {
            format!(
                "{} penalty{number} of {}, public until {}",
                severity_name(sev),
                f.from,
                f.until
            )
        },
    ))
}

/// The reason for one finding of an inspection fact, if that finding still counts at `now`
/// (severe findings count longer than the others: [`RuleParams::finding_period_of`]).
fn finding_reason(
    f: &CreditFact,
    k: FindingKind,
    params: &RuleParams,
    now: Time,
    explain: bool,
) -> Option<Reason> {
    let until = f.from.plus(params.finding_period_of(k)).min(f.until);
    (now < until).then(|| {
        reason(
            explain,
            Some(f.tx),
            -i64::from(params.finding(k)),
            Some(until),
            || {
                format!(
                    "inspection on {} found {}, counts until {until}",
                    f.from,
                    finding_name(k),
                )
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DAY, Sector, VerificationMode, YEAR};
    use crate::store::{InstrumentState, VerificationSummary};
    use crate::testkit::{Ledger, text};

    const OP: &str = "91350100M000100Y43";

    fn uscc(s: &str) -> Uscc {
        Uscc::parse(s).unwrap()
    }

    /// Shadows [`super::grade`] in these tests: every grade is also computed without texts
    /// (as a draw grades its candidates), which must give the same points, score and grade.
    fn grade(s: &impl State, u: &Uscc, now: Time) -> Result<GradeReport, StateError> {
        let g = super::grade(s, u, now)?;
        let quiet = grade_with(s, u, now, &tables::params(s)?, false)?;
        assert_eq!((quiet.score, quiet.grade), (g.score, g.grade));
        let points = |r: &GradeReport| {
            let mut v: Vec<_> = r
                .reasons
                .iter()
                .map(|x| (x.points, x.record, x.until))
                .collect();
            v.sort();
            v
        };
        assert_eq!(points(&quiet), points(&g));
        assert!(quiet.reasons.iter().all(|r| r.text.is_empty()));
        assert!(g.reasons.iter().all(|r| !r.text.is_empty()));
        Ok(g)
    }

    fn fact(tx: u8, kind: FactKind, from: Time, until: Time) -> CreditFact {
        CreditFact {
            tx: Hash::from_slice(&[tx; 32]).unwrap(),
            kind,
            from,
            until,
            ended: None,
            voided: None,
            repaired: None,
        }
    }

    fn ledger() -> Ledger {
        let mut l = Ledger::new();
        l.register_operator(OP, "某商店", "350100", Sector::Shop)
            .unwrap();
        l
    }

    #[test]
    fn clean_operator_with_a_commitment_is_a() {
        let mut l = ledger();
        let u = uscc(OP);
        let g = grade(&l.state, &u, l.time).unwrap();
        assert_eq!((g.score, g.grade), (100, Grade::A));
        assert!(g.reasons.is_empty());
        let now = l.time;
        tables::put_fact(
            &mut l.state,
            &u,
            &fact(1, FactKind::Commitment, now, now.plus(YEAR)),
        )
        .unwrap();
        let g = grade(&l.state, &u, now).unwrap();
        assert_eq!((g.score, g.grade), (105, Grade::A));
        assert_eq!(g.reasons.len(), 1);
        assert!(g.reasons[0].text.contains("self-commitment"), "{g:?}");
        // expired: no bonus
        let g = grade(&l.state, &u, now.plus(YEAR)).unwrap();
        assert_eq!(g.score, 100);
    }

    #[test]
    fn bonuses_count_once_and_clean_inspections_are_capped() {
        let mut l = ledger();
        let u = uscc(OP);
        let t = l.time;
        let mut facts = vec![
            fact(1, FactKind::Commitment, t, t.plus(YEAR)),
            fact(2, FactKind::Commitment, t, t.plus(2 * YEAR)),
            fact(
                3,
                FactKind::Commendation(CommendationLevel::Local),
                t,
                t.plus(YEAR),
            ),
            fact(
                4,
                FactKind::Commendation(CommendationLevel::National),
                t,
                t.plus(YEAR),
            ),
        ];
        for i in 0..5u8 {
            facts.push(fact(
                10 + i,
                FactKind::CleanInspection,
                Time(t.0 - u64::from(i) * DAY),
                t.plus(YEAR),
            ));
        }
        let mut withdrawn = fact(5, FactKind::Commitment, t, t.plus(YEAR));
        withdrawn.ended = Some((Hash::ZERO, t));
        facts.push(withdrawn);
        for f in &facts {
            tables::put_fact(&mut l.state, &u, f).unwrap();
        }
        let g = grade(&l.state, &u, t).unwrap();
        // 100 + 5 + 10 + 9 (capped)
        assert_eq!(g.score, 124, "{g:#?}");
        let commitment: Vec<_> = g
            .reasons
            .iter()
            .filter(|r| r.text.contains("self-commitment"))
            .collect();
        assert_eq!(commitment.len(), 1);
        assert_eq!(
            commitment[0].record,
            Some(Hash::from_slice(&[2; 32]).unwrap())
        );
        assert!(g.reasons.iter().any(|r| r.text.contains("national")));
        assert!(!g.reasons.iter().any(|r| r.text.contains("local")));
        let clean: Vec<i64> = g
            .reasons
            .iter()
            .filter(|r| r.text.contains("clean inspection"))
            .map(|r| r.points)
            .collect();
        assert_eq!(clean.iter().sum::<i64>(), 9);
        assert_eq!(clean.len(), 5);
        // the same answer twice (deterministic order)
        assert_eq!(grade(&l.state, &u, t).unwrap(), g);
    }

    #[test]
    fn negative_facts_respect_voided_repaired_and_period() {
        let mut l = ledger();
        let u = uscc(OP);
        let t = l.time;
        let mut pen = fact(
            1,
            FactKind::Penalty(Severity::General),
            t,
            t.plus(100 * DAY),
        );
        let f = fact(
            2,
            FactKind::Findings(vec![FindingKind::Unverified, FindingKind::Overdue]),
            t,
            t.plus(YEAR),
        );
        tables::put_fact(&mut l.state, &u, &pen).unwrap();
        tables::put_fact(&mut l.state, &u, &f).unwrap();
        let g = grade(&l.state, &u, t).unwrap();
        assert_eq!(g.score, 100 - 25 - 10 - 10);
        assert_eq!(g.grade, Grade::D);
        assert_eq!(g.reasons[0].points, -25);
        assert!(g.reasons[0].text.starts_with("general penalty"), "{g:?}");
        assert!(g.reasons[0].text.ends_with(": −25"), "{g:?}");
        // before it starts it does not count
        assert_eq!(grade(&l.state, &u, Time(t.0 - 1)).unwrap().score, 100);
        // repaired from day 10
        pen.repaired = Some((Hash::ZERO, t.plus(10 * DAY)));
        tables::put_fact(&mut l.state, &u, &pen).unwrap();
        assert_eq!(grade(&l.state, &u, t.plus(9 * DAY)).unwrap().score, 55);
        assert_eq!(grade(&l.state, &u, t.plus(10 * DAY)).unwrap().score, 80);
    }

    fn instrument(serial: &str, mode: VerificationMode) -> InstrumentState {
        crate::testkit::instrument_state(
            &uscc(OP),
            serial,
            mode,
            Hash::from_slice(&[7; 32]).unwrap(),
        )
    }

    fn summary(tx: u8, date: Time, passed: bool, until: Time) -> VerificationSummary {
        VerificationSummary {
            tx: Hash::from_slice(&[tx; 32]).unwrap(),
            date,
            passed,
            valid_until: until,
            certificate_digest: Hash::ZERO,
            institution: text("闽计检(2026)001"),
        }
    }

    #[test]
    fn overdue_and_failed_instruments_lower_the_grade() {
        let mut l = ledger();
        let u = uscc(OP);
        let t = l.time;
        // verified, valid for a year
        let mut ok = instrument("A1", VerificationMode::Periodic);
        let pass = summary(1, t, true, t.plus(YEAR));
        ok.last_verification = Some(pass.clone());
        ok.last_pass = Some(pass.clone());
        tables::put_instrument(&mut l.state, &ok).unwrap();
        // failed
        let mut bad = instrument("A2", VerificationMode::Periodic);
        bad.last_verification = Some(summary(2, t, false, t));
        tables::put_instrument(&mut l.state, &bad).unwrap();
        let g = grade(&l.state, &u, t).unwrap();
        assert_eq!(g.score, 90);
        assert!(g.reasons[0].text.contains("failed verification"), "{g:?}");
        assert_eq!(g.grade, Grade::A);
        // a year later the first is overdue as well
        let g = grade(&l.state, &u, t.plus(YEAR)).unwrap();
        assert_eq!(g.score, 85);
        assert_eq!(g.grade, Grade::B);
        assert!(g.reasons.iter().any(|r| r.text.contains("overdue")));
        assert_eq!(
            g.reasons.iter().find(|r| r.points == -5).unwrap().record,
            Some(pass.tx)
        );
    }

    #[test]
    fn grade_through_records_end_to_end() {
        use crate::records::{SelfCommitment, VerificationResult};
        use liangxin_types::Domain;
        let mut l = ledger();
        let u = uscc(OP);
        let op = Ledger::operator_key(OP);
        let inst = l.register_institution("闽计检(2026)009", &["9.1"]).unwrap();
        let t = l.time;
        l.submit(
            &op,
            SelfCommitment {
                uscc: u.clone(),
                template_version: 1,
                pledge_digest: Domain::Document.hash(b"pledge"),
                valid_from: t,
                valid_until: t.plus(2 * YEAR),
                posted_at: text("收银台"),
                hotline: text("12315"),
                renews: None,
            },
        )
        .unwrap();
        let g = grade(&l.state, &u, l.time).unwrap();
        assert_eq!((g.score, g.grade), (105, Grade::A));
        let scale = instrument("S-1", VerificationMode::Periodic);
        let id = scale.registration.instrument.clone();
        l.submit(&op, scale.registration.clone()).unwrap();
        let verify = |passed: bool, doc: &str, date: Time| VerificationResult {
            instrument: id.clone(),
            date,
            passed,
            certificate_number: text(doc),
            certificate_digest: Domain::Document.hash(doc.as_bytes()),
            certificate_uri: None,
            valid_until: date.plus(YEAR),
            regulation: text("JJG 539-2016"),
        };
        l.submit(&inst, verify(true, "JD-1", t)).unwrap();
        assert_eq!(grade(&l.state, &u, l.time).unwrap().score, 105);
        // a year later the pass has expired: overdue
        l.advance_days(366);
        let g = grade(&l.state, &u, l.time).unwrap();
        assert_eq!(g.score, 100);
        assert!(g.reasons.iter().any(|r| r.points == -5), "{g:#?}");
        // a failed verification: −10 until it passes again
        let now = l.time;
        l.submit(&inst, verify(false, "JD-2", now)).unwrap();
        let g = grade(&l.state, &u, l.time).unwrap();
        assert_eq!(g.score, 95);
        assert!(g.reasons[0].text.contains("failed verification"), "{g:#?}");
        l.submit(&inst, verify(true, "JD-3", now)).unwrap();
        assert_eq!(grade(&l.state, &u, l.time).unwrap().score, 105);
    }
}
