//! Mixed-workload execution throughput of the contracts on one core, in-memory state.
//!
//! Three stages of a record's path are measured on the same records in the same run:
//! - `execute_checked`: the stateful, serial part a block's execution is bound by (the target:
//!   ≥ 100,000 records/s);
//! - `precheck`: the stateless part (payload decode, torsion-freeness of new keys), which runs
//!   at admission, in parallel, beside
//! - `verify_strict`: the signature check.
//!
//! `cargo bench -p liangxin-contracts --bench execute`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use liangxin_contracts::model::*;
use liangxin_contracts::records::*;
use liangxin_contracts::testkit::{Ledger, START, text};
use liangxin_contracts::{BlockContext, MemState, execute_checked, precheck};
use liangxin_types::encoding::{BoundedVec, Canonical};
use liangxin_types::tx::{SignedTx, tx_id};
use liangxin_types::{Domain, Hash, SigningKey, Uscc};

/// Operators in the workload; each brings about 6.35 records.
const OPERATORS: u32 = 2_000;

struct Workload {
    base: MemState,
    block: BlockContext,
    txs: Vec<(SignedTx, Hash)>,
}

fn uscc(i: u32) -> Uscc {
    let first17 = format!("91350100M{:08}", i);
    let c = liangxin_types::uscc::check_char(&first17).unwrap();
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

fn workload() -> Workload {
    let mut l = Ledger::new();
    let inst = l
        .register_institution("(闽)法计(2026)01001号", &["9.1", "5.1"])
        .unwrap();
    l.advance(60);
    let fj = l.fujian();
    let mut seq_fj =
        liangxin_contracts::store::tables::next_seq(&l.state, &fj.public_key()).unwrap();
    let mut seq_inst = 0u64;
    let now = l.time;
    let mut txs = Vec::new();
    let mut push = |tx: SignedTx| {
        let id = tx_id(&tx.to_canonical().unwrap());
        txs.push((tx, id));
    };
    for i in 0..OPERATORS {
        let u = uscc(i);
        let key = SigningKey::dev(&format!("bench operator {i}"));
        push(
            l.sign(
                &fj,
                seq_fj,
                &OperatorRegistration {
                    uscc: u.clone(),
                    name: text("某加油站"),
                    region: Region::new("350102").unwrap(),
                    sector: Sector::FuelStation,
                    key: key.public_key(),
                    check_override: false,
                }
                .into(),
            )
            .unwrap(),
        );
        seq_fj += 1;
        push(
            l.sign(
                &key,
                0,
                &SelfCommitment {
                    uscc: u.clone(),
                    template_version: 1,
                    pledge_digest: Domain::Document.hash(b"pledge"),
                    valid_from: now,
                    valid_until: now.plus(YEAR),
                    posted_at: text("收银台"),
                    hotline: text("12315"),
                    renews: None,
                }
                .into(),
            )
            .unwrap(),
        );
        for j in 0..2u64 {
            let id = InstrumentId {
                owner: u.clone(),
                category: text("9.1"),
                serial: text(&format!("D-{i}-{j}")),
            };
            push(
                l.sign(
                    &key,
                    1 + j,
                    &InstrumentRegistration {
                        instrument: id.clone(),
                        usage: InstrumentUse::TradeSettlement,
                        model: text("DJY-222A"),
                        accuracy_class: text("0.3"),
                        range: text("5-60 L/min"),
                        manufacturer: text("某厂"),
                        location: text("1号岛"),
                        mode: VerificationMode::Periodic,
                    }
                    .into(),
                )
                .unwrap(),
            );
            push(
                l.sign(
                    &inst,
                    seq_inst,
                    &VerificationResult {
                        instrument: id,
                        date: now,
                        passed: true,
                        certificate_number: text(&format!("闽检{i}-{j}")),
                        certificate_digest: Domain::Document
                            .hash(format!("cert {i} {j}").as_bytes()),
                        certificate_uri: None,
                        valid_until: now.plus(180 * DAY),
                        regulation: text("JJG 443-2023"),
                    }
                    .into(),
                )
                .unwrap(),
            );
            seq_inst += 1;
        }
        if i % 4 == 0 {
            push(
                l.sign(
                    &fj,
                    seq_fj,
                    &InspectionResult {
                        target: u.clone(),
                        draw: None,
                        inspectors: BoundedVec::new(vec![text("FJ-1"), text("FJ-2")]).unwrap(),
                        date: now,
                        items_checked: 2,
                        findings: BoundedVec::default(),
                        outcome: InspectionOutcome::Compliant,
                        report_digest: Domain::Document.hash(format!("report {i}").as_bytes()),
                    }
                    .into(),
                )
                .unwrap(),
            );
            seq_fj += 1;
        }
        if i % 10 == 0 {
            push(
                l.sign(
                    &fj,
                    seq_fj,
                    &PenaltyDecision {
                        target: u.clone(),
                        decision_number: text(&format!("榕市监罚〔2026〕{i}号")),
                        violation: text("未按规定申请检定"),
                        severity: Severity::Minor,
                        date: now,
                        public_until: now.plus(3 * MONTH),
                    }
                    .into(),
                )
                .unwrap(),
            );
            seq_fj += 1;
        }
    }
    let _ = START;
    Workload {
        base: l.state.clone(),
        block: l.block(),
        txs,
    }
}

fn run(w: &Workload, mut state: MemState) -> MemState {
    for (tx, id) in &w.txs {
        let checked = precheck(tx, *id).unwrap();
        execute_checked(&mut state, checked, &w.block).unwrap();
    }
    state
}

/// Only the stateful part: the prechecks are done before the clock starts (as admission does).
fn run_checked(
    w: &Workload,
    checked: Vec<liangxin_contracts::Checked<'_>>,
    mut state: MemState,
) -> MemState {
    for c in checked {
        execute_checked(&mut state, c, &w.block).unwrap();
    }
    state
}

fn prechecks(w: &Workload) -> Vec<liangxin_contracts::Checked<'_>> {
    w.txs
        .iter()
        .map(|(tx, id)| precheck(tx, *id).unwrap())
        .collect()
}

fn verify_all(w: &Workload) {
    for (tx, _) in &w.txs {
        tx.verify_signature().unwrap();
    }
}

fn main() {
    let w = workload();
    let n = w.txs.len();
    // Every record of the workload must be accepted: we measure acceptance, not rejection.
    black_box(run(&w, w.base.clone()));

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("contracts");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("execute_checked_mixed", |b| {
        b.iter_batched(
            || (prechecks(&w), w.base.clone()),
            |(c, s)| run_checked(&w, c, s),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("precheck_mixed", |b| b.iter(|| black_box(prechecks(&w))));
    g.bench_function("verify_strict_same_records", |b| b.iter(|| verify_all(&w)));
    g.finish();
    c.final_summary();

    // Paired measurement for the report: best of 5 rounds each, interleaved.
    let (mut exec, mut pre, mut verify) = (0.0f64, 0.0f64, 0.0f64);
    let rate = |t: Instant| n as f64 / t.elapsed().as_secs_f64();
    for _ in 0..5 {
        let (c, s) = (prechecks(&w), w.base.clone());
        let t = Instant::now();
        black_box(run_checked(&w, c, s));
        exec = exec.max(rate(t));
        let t = Instant::now();
        black_box(prechecks(&w));
        pre = pre.max(rate(t));
        let t = Instant::now();
        verify_all(&w);
        verify = verify.max(rate(t));
    }
    println!(
        "contracts (one core, in-memory state, {n} mixed records from {OPERATORS} operators):"
    );
    println!("  execute_checked (stateful, serial)  {exec:>9.0} records/s (target >= 100,000)");
    println!("  precheck (stateless, parallel)      {pre:>9.0} records/s");
    println!("  verify_strict (stateless, parallel) {verify:>9.0} records/s");
    println!(
        "  execute_checked / verify_strict     {:>9.2}",
        exec / verify
    );
}
