//! Scenario tests written as stories a regulator would recognise: one per sector of DOMAIN.md.
//! Each story drives a [`Ledger`] through signed records, block by block, and checks at every
//! step what the public would read back: which records were accepted, why others were rejected
//! (their stable [`Code`]), instrument statuses, and the credit grade with its reasons.
//!
//! Times are days after 2026-01-01 ([`START`]); every story uses its own ledger.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use liangxin_contracts::credit::{self, GradeReport};
use liangxin_contracts::instruments::{InstrumentStatus, status};
use liangxin_contracts::model::{
    CommendationLevel, DAY, FindingKind, InspectionOutcome, InstrumentId, InstrumentUse,
    Jurisdiction, MONTH, RetirementReason, Sector, Severity, VerificationMode, YEAR,
};
use liangxin_contracts::params::RuleParams;
use liangxin_contracts::records::*;
use liangxin_contracts::store::{ProposalStatus, tables};
use liangxin_contracts::testkit::{Ledger, START, text};
use liangxin_contracts::{Code, Effects, ExecError, Grade, Time};
use liangxin_types::encoding::BoundedVec;
use liangxin_types::uscc::check_char;
use liangxin_types::{Domain, Hash, SigningKey, Uscc};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A valid USCC from its first 17 characters (the check character computed).
fn uscc(prefix17: &str) -> String {
    let c = check_char(prefix17).expect("17 characters of the USCC alphabet");
    format!("{prefix17}{c}")
}

fn u(s: &str) -> Uscc {
    Uscc::parse(s).unwrap()
}

/// The time `n` days after [`START`].
fn day(n: u64) -> Time {
    START.plus(n * DAY)
}

/// Moves the ledger (one block) to day `n`.
fn go_to_day(l: &mut Ledger, n: u64) {
    let target = day(n);
    assert!(target > l.time, "stories only move forward");
    let secs = target.since(l.time);
    l.advance(secs);
}

/// The rejection code of a failed submission (panics if it was accepted or storage failed).
fn code(r: Result<Effects, ExecError>) -> Code {
    match r {
        Ok(e) => panic!(
            "expected a rejection, the record was accepted as {}",
            e.tx_id
        ),
        Err(ExecError::Rejected(r)) => r.code,
        Err(ExecError::State(e)) => panic!("storage error {e}"),
    }
}

/// Submits a record that must be accepted; returns its tx id.
fn ok(l: &mut Ledger, key: &SigningKey, r: impl Into<Record>) -> Hash {
    match l.submit(key, r) {
        Ok(e) => e.tx_id,
        Err(e) => panic!("record rejected: {e}"),
    }
}

/// Submits a record that must be rejected with `want`, and checks that the state is unchanged.
fn rejected(l: &mut Ledger, key: &SigningKey, r: impl Into<Record>, want: Code) {
    let before = l.digest();
    let got = code(l.submit(key, r));
    assert_eq!(got, want, "rejection code");
    assert_eq!(
        l.digest(),
        before,
        "a rejected record leaves the state unchanged"
    );
}

/// The grade of `who` now.
fn grade(l: &Ledger, who: &str) -> GradeReport {
    credit::grade(&l.state, &u(who), l.time).unwrap()
}

/// Whether some reason's text contains `needle`.
fn has(g: &GradeReport, needle: &str) -> bool {
    g.reasons.iter().any(|r| r.text.contains(needle))
}

/// Asserts the grade letter and score now, and returns the report.
#[track_caller]
fn assert_grade(l: &Ledger, who: &str, letter: Grade, score: i64) -> GradeReport {
    let g = grade(l, who);
    assert_eq!((g.grade, g.score), (letter, score), "{g:#?}");
    // The score is always the base plus the points of the reasons.
    let sum: i64 = g.reasons.iter().map(|r| r.points).sum();
    assert_eq!(g.score, 100 + sum);
    g
}

fn doc(label: &str) -> Hash {
    Domain::Document.hash(label.as_bytes())
}

fn iid(owner: &str, category: &str, serial: &str) -> InstrumentId {
    InstrumentId {
        owner: u(owner),
        category: text(category),
        serial: text(serial),
    }
}

fn instrument_status(l: &Ledger, id: &InstrumentId) -> InstrumentStatus {
    let i = tables::instrument(&l.state, id)
        .unwrap()
        .expect("registered");
    status(&i, l.time)
}

#[allow(clippy::too_many_arguments)]
fn filing(
    id: &InstrumentId,
    usage: InstrumentUse,
    model: &str,
    class: &str,
    range: &str,
    maker: &str,
    location: &str,
    mode: VerificationMode,
) -> InstrumentRegistration {
    InstrumentRegistration {
        instrument: id.clone(),
        usage,
        model: text(model),
        accuracy_class: text(class),
        range: text(range),
        manufacturer: text(maker),
        location: text(location),
        mode,
    }
}

/// A verification result dated at the ledger's current time; a pass is valid for `valid_days`.
fn verification(
    l: &Ledger,
    id: &InstrumentId,
    passed: bool,
    certificate: &str,
    valid_days: u64,
    regulation: &str,
) -> VerificationResult {
    VerificationResult {
        instrument: id.clone(),
        date: l.time,
        passed,
        certificate_number: text(certificate),
        certificate_digest: doc(&format!("DCC {certificate}")),
        certificate_uri: Some(text(&format!(
            "https://dcc.example.invalid/{}.xml",
            doc(certificate)
        ))),
        valid_until: l.time.plus(valid_days * DAY),
        regulation: text(regulation),
    }
}

fn finding(kind: FindingKind, instrument: Option<&InstrumentId>, note: &str) -> Finding {
    Finding {
        kind,
        instrument: instrument.cloned(),
        note: text(note),
    }
}

fn inspection(
    l: &Ledger,
    target: &str,
    inspectors: &[&str],
    items: u32,
    findings: Vec<Finding>,
    outcome: InspectionOutcome,
    report: &str,
) -> InspectionResult {
    InspectionResult {
        target: u(target),
        draw: None,
        inspectors: BoundedVec::new(inspectors.iter().map(|i| text(i)).collect()).unwrap(),
        date: l.time,
        items_checked: items,
        findings: BoundedVec::new(findings).unwrap(),
        outcome,
        report_digest: doc(report),
    }
}

fn penalty(
    l: &Ledger,
    target: &str,
    number: &str,
    violation: &str,
    severity: Severity,
    public_days: u64,
) -> PenaltyDecision {
    PenaltyDecision {
        target: u(target),
        decision_number: text(number),
        violation: text(violation),
        severity,
        date: l.time,
        public_until: l.time.plus(public_days * DAY),
    }
}

fn commitment(l: &Ledger, who: &str, posted_at: &str, years: u64) -> SelfCommitment {
    SelfCommitment {
        uscc: u(who),
        template_version: 1,
        pledge_digest: doc(&format!("诚信计量承诺书 v1 {who}")),
        valid_from: l.time,
        valid_until: l.time.plus(years * YEAR),
        posted_at: text(posted_at),
        hotline: text("12315"),
        renews: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Stories
// ---------------------------------------------------------------------------------------------

/// 加油站: 福州市鼓楼区某加油站 is registered by the Fujian regulator, posts its 诚信计量承诺 and
/// files four fuel dispensers (燃油加油机, 强检备案). 福建省计量科学研究院 verifies them under
/// JJG 443-2023: three pass, the fourth fails and passes again after repair. For the 2026 加油机
/// 专项检查 the regulators raise the sample rates by governance, the Fujian regulator requests a
/// 双随机 draw over Fuzhou's fuel stations (declaring one inspector's conflict of interest), and
/// once the draw is resolved at the next block, the two inspectors drawn find a remote-controlled cheating chip (作弊装置) in dispenser 2: the
/// case is opened, the dispenser is confiscated and a serious penalty (榕鼓市监罚〔2026〕0045号) is
/// decided. The station's grade falls to D with both reasons. The dispensers stay verified every
/// six months; a credit repair before the one-year minimum is refused; a year after the
/// inspection the finding stops counting (still D for the penalty), and after the penalty's first
/// year a credit repair (信用修复) restores grade A.
#[test]
fn fuel_station_cheating_device_then_credit_repair() {
    const STATION: &str = "91350100M000100Y43";
    const INST: &str = "(闽)法计(2026)01001号";
    const JJG: &str = "JJG 443-2023";
    let mut l = Ledger::new();
    let fj = l.fujian();
    let bj = l.beijing();
    let station = l
        .register_operator(
            STATION,
            "福州市鼓楼区某加油站有限公司",
            "350102",
            Sector::FuelStation,
        )
        .unwrap();
    let nim = l.register_institution(INST, &["9.1"]).unwrap();
    assert_grade(&l, STATION, Grade::A, 100);

    // 诚信计量承诺, posted at the shop entrance.
    let c = commitment(&l, STATION, "站房入口公示栏", 3);
    ok(&mut l, &station, c);
    let g = assert_grade(&l, STATION, Grade::A, 105);
    assert!(has(&g, "self-commitment (诚信计量承诺)"), "{g:#?}");

    // 强检备案: four dispensers on two islands.
    let dispensers: Vec<InstrumentId> = (1..=4)
        .map(|i| iid(STATION, "9.1", &format!("JYJ-2025-000{i}")))
        .collect();
    for (i, d) in dispensers.iter().enumerate() {
        let r = filing(
            d,
            InstrumentUse::TradeSettlement,
            "DJY-222A",
            "0.3",
            "5-60 L/min",
            "某加油机制造有限公司",
            &format!("{}号加油岛 {}号枪", i / 2 + 1, i + 1),
            VerificationMode::Periodic,
        );
        ok(&mut l, &station, r);
        assert_eq!(instrument_status(&l, d), InstrumentStatus::Registered);
    }
    // Filing the same dispenser twice is refused.
    let again = filing(
        &dispensers[0],
        InstrumentUse::TradeSettlement,
        "DJY-222A",
        "0.3",
        "5-60 L/min",
        "某加油机制造有限公司",
        "1号加油岛",
        VerificationMode::Periodic,
    );
    rejected(&mut l, &station, again, Code::AlreadyExists);
    assert_grade(&l, STATION, Grade::A, 105);

    // Day 3: three passes (valid six months) and one fail.
    go_to_day(&mut l, 3);
    for (i, d) in dispensers.iter().take(3).enumerate() {
        let v = verification(&l, d, true, &format!("闽计检〔2026〕加0{i}1号"), 182, JJG);
        ok(&mut l, &nim, v);
        assert_eq!(
            instrument_status(&l, d),
            InstrumentStatus::Verified {
                until: Some(day(3 + 182))
            }
        );
    }
    let v = verification(&l, &dispensers[3], false, "闽计检不〔2026〕0004号", 0, JJG);
    ok(&mut l, &nim, v);
    assert_eq!(
        instrument_status(&l, &dispensers[3]),
        InstrumentStatus::Failed { at: day(3) }
    );
    let g = assert_grade(&l, STATION, Grade::A, 95);
    assert!(has(&g, "JYJ-2025-0004 failed verification"), "{g:#?}");
    // The same certificate document cannot be anchored twice (no copied certificates).
    let mut copy = verification(&l, &dispensers[3], true, "闽计检〔2026〕加001号", 182, JJG);
    copy.certificate_number = text("闽计检〔2026〕加099号");
    rejected(&mut l, &nim, copy, Code::AlreadyExists);

    // Day 6: repaired and re-verified.
    go_to_day(&mut l, 6);
    let v = verification(&l, &dispensers[3], true, "闽计检〔2026〕加041号", 179, JJG);
    ok(&mut l, &nim, v);
    assert_grade(&l, STATION, Grade::A, 105);

    // Day 10: for the special campaign every fuel station of Fuzhou is to be inspected: the
    // regulators raise the sample rates to 100% by governance (quorum: both regulators).
    go_to_day(&mut l, 10);
    let campaign = RuleParams {
        sample_rates_ppm: [1_000_000; 4],
        ..RuleParams::default()
    };
    let proposal = GovernanceProposal {
        action: GovernanceAction::SetParams(campaign),
        effective_height: l.height + 10,
        expires_height: l.height + 5,
    };
    let proposal = ok(&mut l, &fj, proposal);
    ok(&mut l, &bj, GovernanceApproval { proposal });
    for _ in 0..10 {
        l.advance(3600);
    }
    let p = tables::proposal(&l.state, &proposal).unwrap().unwrap();
    assert_eq!(p.status, ProposalStatus::Applied);
    assert_eq!(
        tables::params(&l.state).unwrap().sample_rates_ppm,
        [1_000_000; 4]
    );

    // Day 20: the 双随机 draw. FJ-INS-023 declares a conflict of interest with the station.
    go_to_day(&mut l, 20);
    let pool = ["FJ-INS-007", "FJ-INS-019", "FJ-INS-023", "FJ-INS-031"];
    let request = RandomDrawRequest {
        jurisdiction: Jurisdiction::new("3501").unwrap(),
        sectors: BoundedVec::new(vec![Sector::FuelStation]).unwrap(),
        inspectors: BoundedVec::new(pool.iter().map(|i| text(i)).collect()).unwrap(),
        exclusions: BoundedVec::new(vec![Exclusion {
            inspector: text("FJ-INS-023"),
            operator: u(STATION),
        }])
        .unwrap(),
        inspectors_per_target: 2,
        label: text("2026年福州市加油机计量专项检查"),
    };
    // Beijing may not draw in Fuzhou.
    rejected(&mut l, &bj, request.clone(), Code::NotAuthorised);
    let draw = ok(&mut l, &fj, request);
    // The selection is the ledger's, computed with the seed of the next block: nobody, the
    // requester included, knows it in the block that holds the request.
    assert!(tables::draw(&l.state, &draw).unwrap().is_none());
    let mut premature = inspection(
        &l,
        STATION,
        &["FJ-INS-007", "FJ-INS-019"],
        4,
        vec![],
        InspectionOutcome::Compliant,
        "榕鼓市监检〔2026〕020号",
    );
    premature.draw = Some(draw);
    rejected(&mut l, &fj, premature, Code::NotFound);
    go_to_day(&mut l, 21);
    let d = tables::draw(&l.state, &draw)
        .unwrap()
        .expect("draw resolved");
    assert_eq!(d.request_height + 1, d.height);
    assert_eq!(d.targets.len(), 1, "{d:#?}");
    let target = &d.targets[0];
    assert_eq!(target.operator, u(STATION));
    assert_eq!(target.grade, Grade::A);
    assert_eq!(target.inspectors.len(), 2);
    assert!(!target.inspectors.iter().any(|i| i.as_str() == "FJ-INS-023"));
    let drawn: Vec<&str> = target.inspectors.iter().map(|i| i.as_str()).collect();
    let not_drawn: Vec<&str> = pool
        .iter()
        .copied()
        .filter(|i| !drawn.contains(i) && *i != "FJ-INS-023")
        .collect();

    // The inspection. Inspectors other than the drawn ones cannot report on the draw's behalf.
    let cheat = vec![finding(
        FindingKind::CheatingDevice,
        Some(&dispensers[1]),
        "主板加装遥控作弊芯片，实际出油量比显示少约1.5%",
    )];
    let mut wrong = inspection(
        &l,
        STATION,
        &[drawn[0], not_drawn[0]],
        4,
        cheat.clone(),
        InspectionOutcome::CaseOpened,
        "榕鼓市监检〔2026〕021号",
    );
    wrong.draw = Some(draw);
    rejected(&mut l, &fj, wrong, Code::NotAuthorised);
    // Beijing cannot inspect a Fujian station either.
    let from_beijing = inspection(
        &l,
        STATION,
        &["BJ-INS-001", "BJ-INS-002"],
        4,
        cheat.clone(),
        InspectionOutcome::CaseOpened,
        "京海市监检〔2026〕001号",
    );
    rejected(&mut l, &bj, from_beijing, Code::NotAuthorised);
    let mut report = inspection(
        &l,
        STATION,
        &drawn,
        4,
        cheat,
        InspectionOutcome::CaseOpened,
        "榕鼓市监检〔2026〕021号",
    );
    report.draw = Some(draw);
    let inspected = ok(&mut l, &fj, report);
    let g = assert_grade(&l, STATION, Grade::D, 45);
    assert!(has(&g, "cheating device (作弊装置)"), "{g:#?}");
    assert_eq!(g.reasons[0].record, Some(inspected));
    assert_eq!(g.reasons[0].points, -60);
    // The drawn inspectors will not be drawn for this station next time.
    let op = tables::operator(&l.state, &u(STATION)).unwrap().unwrap();
    assert_eq!(
        op.last_inspectors
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>(),
        drawn
    );

    // Dispenser 2 is confiscated: the station takes it out of service.
    let retire = InstrumentRetirement {
        instrument: dispensers[1].clone(),
        reason: RetirementReason::OutOfUse,
        replacement: None,
    };
    ok(&mut l, &station, retire);
    assert_eq!(
        instrument_status(&l, &dispensers[1]),
        InstrumentStatus::Retired {
            reason: RetirementReason::OutOfUse,
            replaced_by: None
        }
    );
    let late = verification(&l, &dispensers[1], true, "闽计检〔2026〕加099号", 182, JJG);
    rejected(&mut l, &nim, late, Code::InvalidState);

    // Day 45: 行政处罚, serious, public for two years.
    go_to_day(&mut l, 45);
    let too_short = penalty(
        &l,
        STATION,
        "榕鼓市监罚〔2026〕0045号",
        "使用作弊装置的加油机",
        Severity::Serious,
        180,
    );
    rejected(&mut l, &fj, too_short, Code::BadPeriod);
    let p = penalty(
        &l,
        STATION,
        "榕鼓市监罚〔2026〕0045号",
        "使用作弊装置的加油机",
        Severity::Serious,
        730,
    );
    let punished = ok(&mut l, &fj, p.clone());
    rejected(&mut l, &fj, p, Code::AlreadyExists);
    let g = assert_grade(&l, STATION, Grade::D, -5);
    assert!(has(&g, "cheating device (作弊装置)"), "{g:#?}");
    assert!(
        has(
            &g,
            "serious penalty 榕鼓市监罚〔2026〕0045号 (使用作弊装置的加油机)"
        ),
        "{g:#?}"
    );
    assert!(has(&g, "self-commitment"), "{g:#?}");
    // A station under a serious penalty is no demonstration unit.
    let award = Commendation {
        target: u(STATION),
        level: CommendationLevel::Local,
        awarded: l.time,
        valid_until: l.time.plus(3 * YEAR),
    };
    rejected(&mut l, &fj, award, Code::InvalidState);

    // Periodic verification of the remaining dispensers, every six months.
    let active = [0usize, 2, 3];
    for (round, when) in [(2u64, 180u64), (3, 360)] {
        go_to_day(&mut l, when);
        for i in active {
            let v = verification(
                &l,
                &dispensers[i],
                true,
                &format!("闽计检〔2026〕加{i}{round}号"),
                182,
                JJG,
            );
            ok(&mut l, &nim, v);
        }
        assert_eq!(grade(&l, STATION).grade, Grade::D);
    }

    // Day 300 would be too early to repair a serious penalty (one year minimum).
    let early = CreditRepair {
        record: punished,
        date: day(300),
        basis: text("已整改并履行处罚决定"),
    };
    rejected(&mut l, &fj, early, Code::BadPeriod);

    // Day 387: a cheating device is a severe finding: it counts three years, not one, and
    // may be repaired only after a year.
    go_to_day(&mut l, 387);
    let g = assert_grade(&l, STATION, Grade::D, -5);
    assert!(has(&g, "cheating device"), "{g:#?}");
    assert!(has(&g, "榕鼓市监罚〔2026〕0045号"), "{g:#?}");

    // Day 410: one year after the decision, 信用修复 of the penalty, then of the inspection.
    go_to_day(&mut l, 410);
    let repair = CreditRepair {
        record: punished,
        date: l.time,
        basis: text("已整改并履行处罚决定，公示满一年，申请信用修复"),
    };
    ok(&mut l, &fj, repair.clone());
    let g = assert_grade(&l, STATION, Grade::D, 45);
    assert!(!has(&g, "penalty"), "{g:#?}");
    assert!(has(&g, "cheating device"), "{g:#?}");
    rejected(&mut l, &fj, repair, Code::InvalidState);
    let repair_inspection = CreditRepair {
        record: inspected,
        date: l.time,
        basis: text("作弊芯片已拆除，复查合格，整改满一年"),
    };
    ok(&mut l, &fj, repair_inspection);
    let g = assert_grade(&l, STATION, Grade::A, 105);
    assert!(!has(&g, "cheating device"), "{g:#?}");
    // Nothing is deleted: the decision and the inspection are still on the ledger.
    assert!(
        tables::penalty(&l.state, &u(STATION), &punished)
            .unwrap()
            .is_some()
    );
    assert!(tables::entry(&l.state, &inspected).unwrap().is_some());
    // History does not change: graded at day 50, the station was (and stays) D.
    let then = credit::grade(&l.state, &u(STATION), day(50)).unwrap();
    assert_eq!((then.grade, then.score), (Grade::D, -5));
}

/// 集贸市场: 张记水产 (个体工商户) at a Fuzhou market files two electronic price scales
/// (电子计价秤), verified for a year under JJG 539-2016. A year on, both are overdue (超期未检);
/// the market's 专项检查 finds one overdue and the other's accuracy damaged (秤盘下加垫片), and
/// orders rectification: the stall drops to C. It has the first re-verified and replaces the
/// second with a new scale (失准更换): B while the finding still counts; once the regulator's
/// follow-up visit (复查) confirms the rectification and records a credit repair it is A again.
#[test]
fn market_stall_price_scale_overdue_then_replaced() {
    let stall_code = uscc("92350102MA2Y3K8Q1");
    let stall = stall_code.as_str();
    const INST: &str = "(闽)法计(2026)01002号";
    const JJG: &str = "JJG 539-2016";
    let mut l = Ledger::new();
    let fj = l.fujian();
    let key = l
        .register_operator(
            stall,
            "福州市鼓楼区张记水产摊",
            "350102",
            Sector::MarketStall,
        )
        .unwrap();
    let inst = l.register_institution(INST, &["5.1", "5.2"]).unwrap();
    let c = commitment(&l, stall, "摊位明显位置", 3);
    ok(&mut l, &key, c);

    let scales = [
        iid(stall, "5.1", "ACS-15-2025-1187"),
        iid(stall, "5.1", "ACS-15-2025-1188"),
    ];
    for s in &scales {
        let r = filing(
            s,
            InstrumentUse::TradeSettlement,
            "ACS-15",
            "III",
            "0.04-15 kg",
            "某衡器有限公司",
            "鼓楼区某农贸市场A区12号摊位",
            VerificationMode::Periodic,
        );
        ok(&mut l, &key, r);
    }
    // A price scale may not claim a first-verification-only mode.
    let bad_mode = filing(
        &iid(stall, "5.1", "ACS-15-2025-1189"),
        InstrumentUse::TradeSettlement,
        "ACS-15",
        "III",
        "0.04-15 kg",
        "某衡器有限公司",
        "A区12号摊位",
        VerificationMode::FirstOnlyScrapOnFailure,
    );
    rejected(&mut l, &key, bad_mode, Code::BadField);
    // Another stall's key cannot file instruments for this one.
    let other = l
        .register_operator(
            &uscc("92350102MA2Y3K8Q2"),
            "福州市鼓楼区李记蔬菜摊",
            "350102",
            Sector::MarketStall,
        )
        .unwrap();
    let foreign = filing(
        &iid(stall, "5.1", "ACS-15-2025-1190"),
        InstrumentUse::TradeSettlement,
        "ACS-15",
        "III",
        "0.04-15 kg",
        "某衡器有限公司",
        "A区12号摊位",
        VerificationMode::Periodic,
    );
    rejected(&mut l, &other, foreign, Code::NotAuthorised);

    go_to_day(&mut l, 2);
    for (i, s) in scales.iter().enumerate() {
        let v = verification(&l, s, true, &format!("榕计检〔2026〕秤{i:04}号"), 365, JJG);
        ok(&mut l, &inst, v);
    }
    assert_grade(&l, stall, Grade::A, 105);

    // Day 370: both verifications have expired.
    go_to_day(&mut l, 370);
    for s in &scales {
        assert_eq!(
            instrument_status(&l, s),
            InstrumentStatus::Overdue { since: day(367) }
        );
    }
    let g = assert_grade(&l, stall, Grade::A, 95);
    assert_eq!(
        g.reasons
            .iter()
            .filter(|r| r.text.contains("overdue for verification"))
            .count(),
        2
    );

    // Day 375: the market's special inspection.
    go_to_day(&mut l, 375);
    let r = inspection(
        &l,
        stall,
        &["FJ-INS-102", "FJ-INS-117"],
        2,
        vec![
            finding(FindingKind::Overdue, Some(&scales[0]), "检定合格证已过期"),
            finding(
                FindingKind::AccuracyDamaged,
                Some(&scales[1]),
                "秤盘下加垫片，称量偏差超出最大允许误差",
            ),
        ],
        InspectionOutcome::RectificationOrdered,
        "榕鼓市监检〔2027〕集贸012号",
    );
    let inspected = ok(&mut l, &fj, r);
    let g = assert_grade(&l, stall, Grade::C, 65);
    assert!(has(&g, "verification overdue (超期未检)"), "{g:#?}");
    assert!(has(&g, "accuracy damaged (破坏计量器具准确度)"), "{g:#?}");

    // Day 378: the first scale re-verified, the second replaced (失准更换).
    go_to_day(&mut l, 378);
    let v = verification(&l, &scales[0], true, "榕计检〔2027〕秤0031号", 365, JJG);
    ok(&mut l, &inst, v);
    let new = iid(stall, "5.1", "ACS-15-2026-3350");
    // The replacement must be filed before the old scale can be retired in its favour.
    let premature = InstrumentRetirement {
        instrument: scales[1].clone(),
        reason: RetirementReason::Inaccurate,
        replacement: Some(new.clone()),
    };
    rejected(&mut l, &key, premature.clone(), Code::NotFound);
    let r = filing(
        &new,
        InstrumentUse::TradeSettlement,
        "ACS-15",
        "III",
        "0.04-15 kg",
        "某衡器有限公司",
        "鼓楼区某农贸市场A区12号摊位",
        VerificationMode::Periodic,
    );
    ok(&mut l, &key, r);
    let v = verification(&l, &new, true, "榕计检〔2027〕秤0032号", 365, JJG);
    ok(&mut l, &inst, v);
    ok(&mut l, &key, premature);
    assert_eq!(
        instrument_status(&l, &scales[1]),
        InstrumentStatus::Retired {
            reason: RetirementReason::Inaccurate,
            replaced_by: Some(new.clone())
        }
    );
    let replaced = tables::instrument(&l.state, &new).unwrap().unwrap();
    assert_eq!(replaced.replaces, Some(scales[1].clone()));
    // A serial number is never reused, not even after retirement.
    let reuse = filing(
        &scales[1],
        InstrumentUse::TradeSettlement,
        "ACS-15",
        "III",
        "0.04-15 kg",
        "某衡器有限公司",
        "A区12号摊位",
        VerificationMode::Periodic,
    );
    rejected(&mut l, &key, reuse, Code::AlreadyExists);
    let g = assert_grade(&l, stall, Grade::B, 75);
    assert!(!has(&g, "overdue for verification"), "{g:#?}");

    // Day 390: 复查 confirms the rectification; the regulator repairs the stall's credit.
    go_to_day(&mut l, 390);
    let future = CreditRepair {
        record: inspected,
        date: day(400),
        basis: text("复查整改到位"),
    };
    rejected(&mut l, &fj, future, Code::BadPeriod);
    let repair = CreditRepair {
        record: inspected,
        date: l.time,
        basis: text("复查整改到位：超期计价秤已检定合格，失准计价秤已更换"),
    };
    ok(&mut l, &fj, repair);
    let g = assert_grade(&l, stall, Grade::A, 105);
    assert_eq!(g.reasons.len(), 1);
    assert!(has(&g, "self-commitment"), "{g:#?}");
}

/// 眼镜店: 厦门市思明区某眼镜店 has its lensmeter (焦度计, JJG 580-2005) and computer refractometer
/// (验光仪, JJG 892-2011) verified and posts its pledge; the Xiamen regulator names it a
/// 诚信计量示范单位. A later 眼镜店专项检查 finds the refractometer's accuracy damaged; the shop
/// cannot be commended while that counts, and the regulator revokes the commendation (once). The
/// shop replaces the refractometer, and a year after the inspection it is back to A, without the
/// commendation bonus.
#[test]
fn optical_shop_commended_then_revoked() {
    const SHOP: &str = "91350200776049653A";
    const INST: &str = "(闽)法计(2026)02001号";
    let mut l = Ledger::new();
    let fj = l.fujian();
    let bj = l.beijing();
    let key = l
        .register_operator(
            SHOP,
            "厦门市思明区某眼镜有限公司",
            "350203",
            Sector::OpticalShop,
        )
        .unwrap();
    let inst = l.register_institution(INST, &["16.1", "16.2"]).unwrap();
    let c = commitment(&l, SHOP, "验光室门口", 3);
    ok(&mut l, &key, c);

    let lensmeter = iid(SHOP, "16.1", "JD-2024-0731");
    let refractometer = iid(SHOP, "16.2", "RM-8900-2311");
    let r = filing(
        &lensmeter,
        InstrumentUse::Health,
        "JD-2600",
        "0.01 m⁻¹",
        "-25 m⁻¹ ~ +25 m⁻¹",
        "某光学仪器有限公司",
        "配镜加工室",
        VerificationMode::Periodic,
    );
    ok(&mut l, &key, r);
    let r = filing(
        &refractometer,
        InstrumentUse::Health,
        "RM-8900",
        "0.12 m⁻¹",
        "-25 m⁻¹ ~ +22 m⁻¹",
        "某医疗设备有限公司",
        "验光室",
        VerificationMode::Periodic,
    );
    ok(&mut l, &key, r);

    go_to_day(&mut l, 5);
    let v = verification(
        &l,
        &lensmeter,
        true,
        "厦计检〔2026〕焦0112号",
        365,
        "JJG 580-2005",
    );
    ok(&mut l, &inst, v);
    let v = verification(
        &l,
        &refractometer,
        true,
        "厦计检〔2026〕验0113号",
        365,
        "JJG 892-2011",
    );
    ok(&mut l, &inst, v);
    assert_grade(&l, SHOP, Grade::A, 105);

    // Day 60: 诚信计量示范单位. Beijing cannot commend a Xiamen shop.
    go_to_day(&mut l, 60);
    let award = Commendation {
        target: u(SHOP),
        level: CommendationLevel::Local,
        awarded: l.time,
        valid_until: l.time.plus(3 * YEAR),
    };
    rejected(&mut l, &bj, award.clone(), Code::NotAuthorised);
    let commended = ok(&mut l, &fj, award);
    let g = assert_grade(&l, SHOP, Grade::A, 115);
    assert!(
        has(&g, "local demonstration unit (诚信计量示范单位)"),
        "{g:#?}"
    );

    // Day 200: the special inspection of optical shops.
    go_to_day(&mut l, 200);
    let r = inspection(
        &l,
        SHOP,
        &["XM-INS-011", "XM-INS-024"],
        2,
        vec![finding(
            FindingKind::AccuracyDamaged,
            Some(&refractometer),
            "验光仪球镜示值误差超差，擅自调整内部参数",
        )],
        InspectionOutcome::RectificationOrdered,
        "厦思市监检〔2026〕眼镜007号",
    );
    ok(&mut l, &fj, r);
    let g = assert_grade(&l, SHOP, Grade::A, 95);
    assert!(has(&g, "accuracy damaged"), "{g:#?}");
    // No new commendation while a finding counts.
    let again = Commendation {
        target: u(SHOP),
        level: CommendationLevel::Provincial,
        awarded: l.time,
        valid_until: l.time.plus(3 * YEAR),
    };
    rejected(&mut l, &fj, again, Code::InvalidState);

    // Day 210: the commendation is revoked (撤销示范单位称号), once.
    go_to_day(&mut l, 210);
    let revoke = CommendationRevocation {
        commendation: commended,
        reason: text("专项检查发现验光仪准确度被破坏，撤销诚信计量示范单位称号"),
    };
    rejected(&mut l, &bj, revoke.clone(), Code::NotAuthorised);
    ok(&mut l, &fj, revoke.clone());
    rejected(&mut l, &fj, revoke, Code::InvalidState);
    let g = assert_grade(&l, SHOP, Grade::B, 85);
    assert!(!has(&g, "demonstration unit"), "{g:#?}");
    // Revoking something that is not a commendation is refused.
    let not_a_commendation = CommendationRevocation {
        commendation: doc("no such record"),
        reason: text("误操作"),
    };
    rejected(&mut l, &fj, not_a_commendation, Code::NotFound);

    // Day 212: the refractometer is replaced with a newly verified one.
    go_to_day(&mut l, 212);
    let new = iid(SHOP, "16.2", "RM-9000-2603");
    let r = filing(
        &new,
        InstrumentUse::Health,
        "RM-9000",
        "0.12 m⁻¹",
        "-25 m⁻¹ ~ +22 m⁻¹",
        "某医疗设备有限公司",
        "验光室",
        VerificationMode::Periodic,
    );
    ok(&mut l, &key, r);
    let v = verification(
        &l,
        &new,
        true,
        "厦计检〔2026〕验0588号",
        365,
        "JJG 892-2011",
    );
    ok(&mut l, &inst, v);
    let swap = InstrumentRetirement {
        instrument: refractometer.clone(),
        reason: RetirementReason::Damaged,
        replacement: Some(new.clone()),
    };
    ok(&mut l, &key, swap);
    assert_grade(&l, SHOP, Grade::B, 85);

    // Day 366: the lensmeter's annual verification.
    go_to_day(&mut l, 366);
    let v = verification(
        &l,
        &lensmeter,
        true,
        "厦计检〔2027〕焦0009号",
        365,
        "JJG 580-2005",
    );
    ok(&mut l, &inst, v);
    assert_grade(&l, SHOP, Grade::B, 85);

    // Day 566: the finding's year has passed.
    go_to_day(&mut l, 566);
    let g = assert_grade(&l, SHOP, Grade::A, 105);
    assert!(!has(&g, "accuracy damaged"), "{g:#?}");
    assert!(!has(&g, "demonstration unit"), "{g:#?}");
    assert_eq!(
        instrument_status(&l, &new),
        InstrumentStatus::Verified {
            until: Some(day(212 + 365))
        }
    );
}

/// 医院: a Xiamen hospital (事业单位, 12…) files its sphygmomanometers (血压计, 13.2) and a batch
/// of clinical thermometers (体温计, 13.1, first verification only). An inspection records one
/// sphygmomanometer as unverified (未经检定), though the hospital holds a certificate issued the
/// day before that the institution had not yet put on the ledger. The hospital files an objection
/// (异议); while it is pending the finding still counts and a second objection is refused. The
/// regulator upholds it: the inspection stays in the log but its effect is voided, the grade
/// recovers, and the voided record can neither be objected to again nor repaired.
#[test]
fn hospital_objection_upheld() {
    let hospital_code = uscc("12350200488100257");
    let hospital = hospital_code.as_str();
    const INST: &str = "(闽)法计(2026)02003号";
    let mut l = Ledger::new();
    let fj = l.fujian();
    let key = l
        .register_operator(hospital, "厦门市某人民医院", "350203", Sector::Hospital)
        .unwrap();
    let inst = l.register_institution(INST, &["13.1", "13.2"]).unwrap();

    let cuffs: Vec<InstrumentId> = ["YE660-2401", "YE660-2402", "HEM-7136-0917"]
        .iter()
        .map(|s| iid(hospital, "13.2", s))
        .collect();
    for (i, c) in cuffs.iter().enumerate() {
        let r = filing(
            c,
            InstrumentUse::Health,
            if i < 2 { "YE660D" } else { "HEM-7136" },
            "±3 mmHg",
            "0-300 mmHg",
            "某医疗器械有限公司",
            ["门诊内科", "急诊科", "体检中心"][i],
            VerificationMode::Periodic,
        );
        ok(&mut l, &key, r);
    }
    let thermometer = iid(hospital, "13.1", "TW-2026-B0001");
    let r = filing(
        &thermometer,
        InstrumentUse::Health,
        "玻璃体温计（三角型棒式）",
        "±0.1 ℃",
        "35-42 ℃",
        "某医用玻璃仪器厂",
        "住院部三病区",
        VerificationMode::FirstOnlyScrapOnFailure,
    );
    ok(&mut l, &key, r);

    go_to_day(&mut l, 3);
    for (i, c) in cuffs.iter().take(2).enumerate() {
        let v = verification(
            &l,
            c,
            true,
            &format!("厦计检〔2026〕压{i:04}号"),
            365,
            "JJG 270-2008",
        );
        ok(&mut l, &inst, v);
    }
    let v = verification(
        &l,
        &thermometer,
        true,
        "厦计检〔2026〕温0001号",
        365,
        "JJG 111-2019",
    );
    ok(&mut l, &inst, v);
    assert_eq!(
        instrument_status(&l, &thermometer),
        InstrumentStatus::Verified { until: None }
    );
    assert_grade(&l, hospital, Grade::A, 100);

    // Day 30: the third sphygmomanometer is verified, but the institution records it only on
    // day 32; the inspection on day 31 sees no certificate.
    go_to_day(&mut l, 31);
    let r = inspection(
        &l,
        hospital,
        &["XM-INS-031", "XM-INS-046"],
        4,
        vec![finding(
            FindingKind::Unverified,
            Some(&cuffs[2]),
            "体检中心血压计未见检定证书",
        )],
        InspectionOutcome::RectificationOrdered,
        "厦思市监检〔2026〕医疗015号",
    );
    let inspected = ok(&mut l, &fj, r);
    // The finding costs 10; the cuff itself, registered on day 0 and still unverified after
    // the 30-day grace, costs 5 more until its certificate is filed.
    let g = assert_grade(&l, hospital, Grade::B, 85);
    assert!(has(&g, "unverified instrument (未经检定)"), "{g:#?}");
    assert!(has(&g, "not verified by"), "{g:#?}");

    go_to_day(&mut l, 32);
    let mut v = verification(
        &l,
        &cuffs[2],
        true,
        "厦计检〔2026〕压0217号",
        365,
        "JJG 692-2010",
    );
    v.date = day(30);
    v.valid_until = day(30 + 365);
    ok(&mut l, &inst, v);

    // The hospital objects. Another operator cannot object to a record about the hospital.
    let objection = Objection {
        record: inspected,
        reason: text("该血压计已于检查前一日经检定合格（厦计检〔2026〕压0217号），证书尚未上链"),
    };
    let stranger = l
        .register_operator(
            &uscc("91350203MA31ABCD0"),
            "厦门市思明区某药店",
            "350203",
            Sector::Shop,
        )
        .unwrap();
    rejected(&mut l, &stranger, objection.clone(), Code::NotAuthorised);
    let filed = ok(&mut l, &key, objection.clone());
    rejected(&mut l, &key, objection.clone(), Code::AlreadyExists);
    // Pending: the finding still counts.
    let g = assert_grade(&l, hospital, Grade::A, 90);
    assert!(has(&g, "未经检定"), "{g:#?}");

    // Day 40: upheld.
    go_to_day(&mut l, 40);
    let decision = ObjectionDecision {
        objection: filed,
        upheld: true,
        reason: text("经核查，检定证书日期早于检查日期，异议成立"),
    };
    ok(&mut l, &fj, decision.clone());
    rejected(&mut l, &fj, decision, Code::InvalidState);
    let g = assert_grade(&l, hospital, Grade::A, 100);
    assert!(g.reasons.is_empty(), "{g:#?}");
    // The record stays; its effect is voided, also for the past.
    assert!(tables::entry(&l.state, &inspected).unwrap().is_some());
    let fact = tables::fact(&l.state, &u(hospital), &inspected)
        .unwrap()
        .unwrap();
    assert!(fact.voided.is_some());
    let back_then = credit::grade(&l.state, &u(hospital), day(31)).unwrap();
    assert_eq!(back_then.score, 100);
    rejected(&mut l, &key, objection, Code::InvalidState);
    let repair = CreditRepair {
        record: inspected,
        date: l.time,
        basis: text("异议成立"),
    };
    rejected(&mut l, &fj, repair, Code::InvalidState);

    // A thermometer is verified once: a second verification is refused.
    let v = verification(
        &l,
        &thermometer,
        true,
        "厦计检〔2026〕温0002号",
        365,
        "JJG 111-2019",
    );
    rejected(&mut l, &inst, v, Code::InvalidState);

    // A year later the sphygmomanometers are due again.
    go_to_day(&mut l, 400);
    let g = assert_grade(&l, hospital, Grade::B, 85);
    assert_eq!(
        g.reasons
            .iter()
            .filter(|r| r.text.contains("overdue for verification"))
            .count(),
        3
    );
}

/// 供电企业: a Fuzhou power-supply company files household electricity meters (电能表, 12.1) in the
/// catalogue's first-verification-only modes. Periodic mode and a service life already over are
/// refused. At first verification (JJG 596-2012) two meters pass and one fails; neither may be
/// verified again — the failed meter must be scrapped (失准更换): it is retired for a new meter
/// and the grade recovers. A batch registered for a fixed service life goes out of service when
/// its life ends, costing points (grade B) until the company retires it at rotation (到期轮换).
#[test]
fn utility_meters_first_verification_only() {
    let company_code = uscc("91350100MA2XN0P7K");
    let company = company_code.as_str();
    const INST: &str = "(闽)法计(2026)01005号";
    const JJG: &str = "JJG 596-2012";
    let mut l = Ledger::new();
    let key = l
        .register_operator(company, "福州某供电服务有限公司", "350102", Sector::Utility)
        .unwrap();
    let inst = l.register_institution(INST, &["12.1"]).unwrap();
    let fuel_only = l
        .register_institution("(闽)法计(2026)01009号", &["9.1"])
        .unwrap();

    let meter = |serial: &str| iid(company, "12.1", serial);
    let household = |id: &InstrumentId, mode: VerificationMode| {
        filing(
            id,
            InstrumentUse::TradeSettlement,
            "DDZY71-Z",
            "2级",
            "5(60) A",
            "某电气股份有限公司",
            "鼓楼区某小区3号楼表箱",
            mode,
        )
    };
    rejected(
        &mut l,
        &key,
        household(&meter("3300001"), VerificationMode::Periodic),
        Code::BadField,
    );
    let ended = household(
        &meter("3300001"),
        VerificationMode::FixedServiceLife { until: l.time },
    );
    rejected(&mut l, &key, ended, Code::BadPeriod);
    let meters = [meter("3300001"), meter("3300002"), meter("3300003")];
    for m in &meters {
        ok(
            &mut l,
            &key,
            household(m, VerificationMode::FirstOnlyScrapOnFailure),
        );
    }
    let rotation = [meter("2900101"), meter("2900102")];
    for m in &rotation {
        ok(
            &mut l,
            &key,
            household(
                m,
                VerificationMode::FixedServiceLife {
                    until: day(2 * 365),
                },
            ),
        );
    }

    go_to_day(&mut l, 1);
    // An institution authorised only for fuel dispensers cannot verify electricity meters.
    let v = verification(&l, &meters[0], true, "闽电检〔2026〕0001号", 3650, JJG);
    rejected(&mut l, &fuel_only, v.clone(), Code::NotAuthorised);
    ok(&mut l, &inst, v);
    let v = verification(&l, &meters[1], true, "闽电检〔2026〕0002号", 3650, JJG);
    ok(&mut l, &inst, v);
    let v = verification(&l, &meters[2], false, "闽电检不〔2026〕0003号", 0, JJG);
    ok(&mut l, &inst, v);
    for (i, m) in rotation.iter().enumerate() {
        let v = verification(&l, m, true, &format!("闽电检〔2026〕01{i}号"), 3650, JJG);
        ok(&mut l, &inst, v);
        assert_eq!(
            instrument_status(&l, m),
            InstrumentStatus::Verified {
                until: Some(day(730))
            }
        );
    }
    assert_eq!(
        instrument_status(&l, &meters[0]),
        InstrumentStatus::Verified { until: None }
    );
    assert_eq!(
        instrument_status(&l, &meters[2]),
        InstrumentStatus::Failed { at: day(1) }
    );
    let g = assert_grade(&l, company, Grade::A, 90);
    assert!(has(&g, "3300003 failed verification"), "{g:#?}");

    // Day 2: no second chance for the failed meter, nor a re-verification of a passed one.
    go_to_day(&mut l, 2);
    let v = verification(&l, &meters[2], true, "闽电检〔2026〕0004号", 3650, JJG);
    rejected(&mut l, &inst, v, Code::InvalidState);
    let v = verification(&l, &meters[0], true, "闽电检〔2026〕0005号", 3650, JJG);
    rejected(&mut l, &inst, v, Code::InvalidState);
    assert_eq!(
        instrument_status(&l, &meters[2]),
        InstrumentStatus::Failed { at: day(1) }
    );

    // The failed meter is scrapped and replaced.
    let new = meter("3300004");
    ok(
        &mut l,
        &key,
        household(&new, VerificationMode::FirstOnlyScrapOnFailure),
    );
    let v = verification(&l, &new, true, "闽电检〔2026〕0006号", 3650, JJG);
    ok(&mut l, &inst, v);
    let scrap = InstrumentRetirement {
        instrument: meters[2].clone(),
        reason: RetirementReason::FailedVerification,
        replacement: Some(new.clone()),
    };
    ok(&mut l, &key, scrap.clone());
    rejected(&mut l, &key, scrap, Code::InvalidState);
    assert_eq!(
        instrument_status(&l, &meters[2]),
        InstrumentStatus::Retired {
            reason: RetirementReason::FailedVerification,
            replaced_by: Some(new.clone())
        }
    );
    assert_grade(&l, company, Grade::A, 100);

    // Day 730: the rotation batch reaches the end of its service life.
    go_to_day(&mut l, 731);
    for m in &rotation {
        assert_eq!(
            instrument_status(&l, m),
            InstrumentStatus::OutOfService { since: day(730) }
        );
    }
    let g = assert_grade(&l, company, Grade::B, 80);
    assert!(has(&g, "reached the end of its service life"), "{g:#?}");
    for m in &rotation {
        let r = InstrumentRetirement {
            instrument: m.clone(),
            reason: RetirementReason::EndOfLife,
            replacement: None,
        };
        ok(&mut l, &key, r);
    }
    let g = assert_grade(&l, company, Grade::A, 100);
    assert!(g.reasons.is_empty(), "{g:#?}");
}

/// 商店: a Xiamen supermarket's prepackaged rice is found short-weight (定量包装商品净含量不足);
/// the regulator decides a minor penalty (轻微), public for exactly three months (a six-month
/// period is refused for a minor case). The shop falls to C; when the three months are over the
/// penalty stops counting (B), and a year after the inspection the finding too (A). The
/// decision stays readable on the ledger throughout.
#[test]
fn shop_minor_penalty_expires_after_three_months() {
    let shop_code = uscc("91350203MA8UXR4T5");
    let shop = shop_code.as_str();
    let mut l = Ledger::new();
    let fj = l.fujian();
    l.register_operator(
        shop,
        "厦门市思明区某生鲜超市有限公司",
        "350203",
        Sector::Shop,
    )
    .unwrap();
    assert_grade(&l, shop, Grade::A, 100);

    go_to_day(&mut l, 14);
    let r = inspection(
        &l,
        shop,
        &["XM-INS-052", "XM-INS-060"],
        12,
        vec![finding(
            FindingKind::ShortWeightPrepackaged,
            None,
            "5 kg袋装大米抽样10袋，平均实际含量低于标注净含量",
        )],
        InspectionOutcome::CaseOpened,
        "厦思市监检〔2026〕定量003号",
    );
    ok(&mut l, &fj, r);
    let g = assert_grade(&l, shop, Grade::B, 80);
    assert!(has(&g, "short-weight prepackaged goods"), "{g:#?}");

    go_to_day(&mut l, 20);
    let number = "厦思市监罚〔2026〕0120号";
    let violation = "销售净含量不足的定量包装商品";
    let long = penalty(&l, shop, number, violation, Severity::Minor, 180);
    rejected(&mut l, &fj, long, Code::BadPeriod);
    let p = penalty(&l, shop, number, violation, Severity::Minor, 90);
    assert_eq!(p.public_until, l.time.plus(3 * MONTH));
    let decided = ok(&mut l, &fj, p);
    let g = assert_grade(&l, shop, Grade::C, 70);
    let reason = g
        .reasons
        .iter()
        .find(|r| r.text.contains(number))
        .expect("the penalty is a reason");
    assert_eq!(reason.points, -10);
    assert_eq!(reason.until, Some(day(110)));
    assert!(reason.text.starts_with("minor penalty"), "{g:#?}");

    // The last day of publication, and the first day after it.
    go_to_day(&mut l, 109);
    assert_grade(&l, shop, Grade::C, 70);
    go_to_day(&mut l, 110);
    let g = assert_grade(&l, shop, Grade::B, 80);
    assert!(!has(&g, number), "{g:#?}");
    assert!(
        tables::penalty(&l.state, &u(shop), &decided)
            .unwrap()
            .is_some()
    );
    // Nothing to repair once it stopped counting.
    let late = CreditRepair {
        record: decided,
        date: l.time,
        basis: text("已履行"),
    };
    rejected(&mut l, &fj, late, Code::BadPeriod);

    go_to_day(&mut l, 14 + 365);
    let g = assert_grade(&l, shop, Grade::A, 100);
    assert!(g.reasons.is_empty(), "{g:#?}");
}

/// 跨辖区: each regulator acts only within its jurisdiction. A Beijing restaurant (北京市海淀区) and
/// a Fuzhou shop are registered by their own regulators. The Beijing regulator tries to register,
/// inspect and penalise the Fujian shop and is refused (NotAuthorised); the Fujian regulator
/// cannot penalise the Beijing restaurant; the shop cannot sign a pledge for the restaurant, and
/// an institution cannot sign an inspection. Every refusal leaves the state unchanged. Beijing's
/// own clean inspection of the restaurant is accepted and earns it a clean-inspection bonus.
#[test]
fn regulators_act_only_in_their_jurisdiction() {
    const RESTAURANT: &str = "91110108551385082Q";
    let shop_code = uscc("91350102MA34R7LW2");
    let shop = shop_code.as_str();
    let mut l = Ledger::new();
    let fj = l.fujian();
    let bj = l.beijing();
    let restaurant_key = l
        .register_operator(
            RESTAURANT,
            "北京市海淀区某餐饮有限公司",
            "110108",
            Sector::Restaurant,
        )
        .unwrap();
    let shop_key = l
        .register_operator(shop, "福州市鼓楼区某茶叶店", "350102", Sector::Shop)
        .unwrap();
    let inst = l
        .register_institution("(闽)法计(2026)01011号", &["5.1"])
        .unwrap();

    // Beijing cannot register an operator in Fuzhou.
    let reg = OperatorRegistration {
        uscc: u(&uscc("91350102MA34R7LW3")),
        name: text("福州市鼓楼区某干货店"),
        region: liangxin_contracts::model::Region::new("350102").unwrap(),
        sector: Sector::Shop,
        key: SigningKey::dev("operator 干货店").public_key(),
        check_override: false,
    };
    rejected(&mut l, &bj, reg.clone(), Code::NotAuthorised);
    ok(&mut l, &fj, reg);

    // Beijing cannot inspect or penalise the Fuzhou shop.
    let r = inspection(
        &l,
        shop,
        &["BJ-INS-003", "BJ-INS-008"],
        3,
        vec![finding(FindingKind::Unverified, None, "电子秤未经检定")],
        InspectionOutcome::RectificationOrdered,
        "京海市监检〔2026〕009号",
    );
    rejected(&mut l, &bj, r, Code::NotAuthorised);
    let p = penalty(
        &l,
        shop,
        "京海市监罚〔2026〕0009号",
        "使用未经检定的计量器具",
        Severity::General,
        180,
    );
    rejected(&mut l, &bj, p, Code::NotAuthorised);
    // Nor Fujian the Beijing restaurant.
    let p = penalty(
        &l,
        RESTAURANT,
        "榕鼓市监罚〔2026〕0099号",
        "使用未经检定的计量器具",
        Severity::General,
        180,
    );
    rejected(&mut l, &fj, p, Code::NotAuthorised);
    // An operator signs only about itself; an institution signs no inspection.
    let pledge = commitment(&l, RESTAURANT, "前台", 1);
    rejected(&mut l, &shop_key, pledge.clone(), Code::NotAuthorised);
    let r = inspection(
        &l,
        shop,
        &["FJ-INS-001", "FJ-INS-002"],
        1,
        vec![],
        InspectionOutcome::Compliant,
        "伪造的检查报告",
    );
    rejected(&mut l, &inst, r, Code::WrongRole);
    // One inspector is not enough, and a compliant outcome cannot list findings.
    let r = inspection(
        &l,
        RESTAURANT,
        &["BJ-INS-003"],
        3,
        vec![],
        InspectionOutcome::Compliant,
        "京海市监检〔2026〕010号",
    );
    rejected(&mut l, &bj, r, Code::BadField);
    let r = inspection(
        &l,
        RESTAURANT,
        &["BJ-INS-003", "BJ-INS-008"],
        3,
        vec![finding(FindingKind::Unverified, None, "电子秤未经检定")],
        InspectionOutcome::Compliant,
        "京海市监检〔2026〕010号",
    );
    rejected(&mut l, &bj, r, Code::BadField);
    assert_grade(&l, shop, Grade::A, 100);
    assert_grade(&l, RESTAURANT, Grade::A, 100);

    // Beijing's own inspection of the restaurant: clean.
    ok(&mut l, &restaurant_key, pledge);
    go_to_day(&mut l, 7);
    let r = inspection(
        &l,
        RESTAURANT,
        &["BJ-INS-003", "BJ-INS-008"],
        3,
        vec![],
        InspectionOutcome::Compliant,
        "京海市监检〔2026〕010号",
    );
    let clean = ok(&mut l, &bj, r);
    let g = assert_grade(&l, RESTAURANT, Grade::A, 108);
    assert!(has(&g, "clean inspection on 2026-01-08"), "{g:#?}");
    // A clean inspection lowers nothing, so there is nothing to object to.
    let o = Objection {
        record: clean,
        reason: text("无"),
    };
    rejected(&mut l, &restaurant_key, o, Code::BadField);
}

/// 出租汽车: a Fuzhou taxi company's meters (出租汽车里程计价表, JJG 517-2016) are verified; an
/// inspection finds one meter's data forged (计价器加装“跳表”装置) and a false certificate, and the
/// company drops to D. Its objection is heard and rejected (异议不成立): the findings keep
/// counting, and the company is still D with both reasons.
#[test]
fn taxi_company_objection_rejected() {
    let company_code = uscc("91350100MA2YTAXK1");
    let company = company_code.as_str();
    let mut l = Ledger::new();
    let fj = l.fujian();
    let key = l
        .register_operator(company, "福州某出租汽车有限公司", "350102", Sector::Other)
        .unwrap();
    let inst = l
        .register_institution("(闽)法计(2026)01021号", &["11.1"])
        .unwrap();
    let meters: Vec<InstrumentId> = ["JJQ-1001", "JJQ-1002"]
        .iter()
        .map(|s| iid(company, "11.1", s))
        .collect();
    for (i, m) in meters.iter().enumerate() {
        let r = filing(
            m,
            InstrumentUse::TradeSettlement,
            "JT-901",
            "±1%",
            "0-999.9 km",
            "某电子科技有限公司",
            &format!("闽A·D{:04}", 7001 + i),
            VerificationMode::Periodic,
        );
        ok(&mut l, &key, r);
        let v = verification(
            &l,
            m,
            true,
            &format!("榕计检〔2026〕租{i:04}号"),
            365,
            "JJG 517-2016",
        );
        ok(&mut l, &inst, v);
    }
    assert_grade(&l, company, Grade::A, 100);

    go_to_day(&mut l, 90);
    let r = inspection(
        &l,
        company,
        &["FJ-INS-201", "FJ-INS-207", "FJ-INS-215"],
        2,
        vec![
            finding(
                FindingKind::ForgedData,
                Some(&meters[1]),
                "计价器加装“跳表”装置，里程示值偏大12%",
            ),
            finding(
                FindingKind::FalseCertificate,
                Some(&meters[1]),
                "车内张贴的检定合格证编号与链上记录不符",
            ),
        ],
        InspectionOutcome::CaseOpened,
        "榕市监检〔2026〕出租021号",
    );
    let inspected = ok(&mut l, &fj, r);
    let g = assert_grade(&l, company, Grade::D, -20);
    assert!(has(&g, "forged metering data (伪造数据)"), "{g:#?}");
    assert!(has(&g, "false certificate (虚假计量证书)"), "{g:#?}");

    let objection = Objection {
        record: inspected,
        reason: text("跳表装置系司机个人私自加装，公司不知情"),
    };
    let filed = ok(&mut l, &key, objection.clone());
    go_to_day(&mut l, 100);
    let no_reason = ObjectionDecision {
        objection: filed,
        upheld: false,
        reason: text(" "),
    };
    rejected(&mut l, &fj, no_reason, Code::BadField);
    let decision = ObjectionDecision {
        objection: filed,
        upheld: false,
        reason: text("经调查，公司负有计量器具管理责任，异议不成立"),
    };
    ok(&mut l, &fj, decision);
    let g = assert_grade(&l, company, Grade::D, -20);
    assert!(has(&g, "伪造数据"), "{g:#?}");
    let o = tables::objection(&l.state, &filed).unwrap().unwrap();
    assert_eq!(o.decision.map(|(_, upheld)| upheld), Some(false));
    // Once decided, the company may object again (e.g. with new evidence).
    ok(&mut l, &key, objection);
}

/// 商店, calendar months: a Fuzhou shop's minor penalty decided on 2026-07-01 is public "for
/// three months", which the decision writes as public until 2026-10-01 — 92 days. A regulator
/// expects the ledger to accept the date written on the decision; it must also still refuse
/// a period of four months.
#[test]
fn minor_penalty_public_for_three_calendar_months() {
    let shop_code = uscc("91350102MA34R7LW4");
    let shop = shop_code.as_str();
    let mut l = Ledger::new();
    let fj = l.fujian();
    l.register_operator(shop, "福州市鼓楼区某五金店", "350102", Sector::Shop)
        .unwrap();
    go_to_day(&mut l, 181);
    assert_eq!(l.time.to_string(), "2026-07-01");
    let four_months = penalty(
        &l,
        shop,
        "榕鼓市监罚〔2026〕0181号",
        "使用未经检定的电子计价秤",
        Severity::Minor,
        123,
    );
    assert_eq!(four_months.public_until.to_string(), "2026-11-01");
    rejected(&mut l, &fj, four_months, Code::BadPeriod);
    let p = penalty(
        &l,
        shop,
        "榕鼓市监罚〔2026〕0181号",
        "使用未经检定的电子计价秤",
        Severity::Minor,
        92,
    );
    assert_eq!(p.public_until.to_string(), "2026-10-01");
    ok(&mut l, &fj, p);
    assert_grade(&l, shop, Grade::A, 90);
}
