//! Statistical checks of the draw algorithm: over 1,000 seeds, each grade's selected share
//! matches its configured sample rate, no candidate position is favoured, and inspectors are
//! spread evenly. Every bound is computed and printed, not eyeballed.

// Helpers outside `#[test]` functions build fixed, hand-written inputs.
#![allow(clippy::unwrap_used)]

use liangxin_contracts::draws::{Candidate, compute_selection, draw_seed};
use liangxin_contracts::model::{Grade, Jurisdiction};
use liangxin_contracts::records::RandomDrawRequest;
use liangxin_contracts::testkit::text;
use liangxin_types::encoding::BoundedVec;
use liangxin_types::uscc::check_char;
use liangxin_types::{Domain, Hash, Uscc};

const SEEDS: u32 = 1_000;
/// Candidates per grade A–D: chosen so that every n·rate has a fractional part, which
/// exercises the "one more with probability = fraction" rule.
const POPULATION: [usize; 4] = [250, 130, 55, 33];
const RATES: [u32; 4] = [10_000, 20_000, 100_000, 300_000];
const POOL: usize = 8;
const PER_TARGET: u8 = 2;

fn uscc(i: usize) -> Uscc {
    let first17 = format!("91350100{i:09}");
    let code = format!("{first17}{}", check_char(&first17).unwrap());
    Uscc::parse(&code).unwrap()
}

fn population() -> Vec<Candidate> {
    // interleave grades so that each grade's candidates are spread through the ledger order
    let mut out = Vec::new();
    let mut left = POPULATION;
    let mut i = 0;
    while left.iter().any(|n| *n > 0) {
        for g in Grade::ALL {
            if left[g.index()] > 0 {
                left[g.index()] -= 1;
                out.push(Candidate {
                    operator: uscc(i),
                    grade: g,
                    last_inspectors: Vec::new(),
                });
                i += 1;
            }
        }
    }
    out
}

fn request() -> RandomDrawRequest {
    RandomDrawRequest {
        jurisdiction: Jurisdiction::new("35").unwrap(),
        sectors: BoundedVec::default(),
        inspectors: BoundedVec::new((0..POOL).map(|i| text(&format!("insp-{i}"))).collect())
            .unwrap(),
        exclusions: BoundedVec::default(),
        inspectors_per_target: PER_TARGET,
        label: text("statistics"),
    }
}

#[test]
fn selected_shares_match_the_sample_rates() {
    let cands = population();
    let req = request();
    // per grade: selections per candidate position (in that grade's order)
    let mut hits: Vec<Vec<u64>> = POPULATION.iter().map(|n| vec![0; *n]).collect();
    let mut inspector_hits = [0u64; POOL];
    let mut targets_total = 0u64;
    for s in 0..SEEDS {
        let seed = draw_seed(&Domain::Seed.hash(&s.to_le_bytes()), &Hash::ZERO);
        let targets = compute_selection(&seed, &req, RATES, &cands).unwrap();
        let mut per_grade = [0usize; 4];
        for t in &targets {
            per_grade[t.grade.index()] += 1;
            let pos = cands
                .iter()
                .filter(|c| c.grade == t.grade)
                .position(|c| c.operator == t.operator)
                .unwrap();
            hits[t.grade.index()][pos] += 1;
            for i in &t.inspectors {
                let k: usize = i.as_str().trim_start_matches("insp-").parse().unwrap();
                inspector_hits[k] += 1;
            }
            targets_total += 1;
        }
        // the number drawn per grade is ⌊n·rate⌋ or one more, every time
        for g in 0..4 {
            let exact = POPULATION[g] as f64 * f64::from(RATES[g]) / 1e6;
            assert!(
                per_grade[g] as f64 >= exact.floor() && per_grade[g] as f64 <= exact.ceil(),
                "grade {g}: {} drawn for an expectation of {exact}",
                per_grade[g]
            );
        }
    }
    let n_seeds = f64::from(SEEDS);
    for g in Grade::ALL {
        let i = g.index();
        let n = POPULATION[i] as f64;
        let rate = f64::from(RATES[i]) / 1e6;
        let trials = n * n_seeds;
        let total: u64 = hits[i].iter().sum();
        let share = total as f64 / trials;
        // binomial standard error of a share over n·SEEDS Bernoulli(rate) trials; the draw's
        // true variance is smaller (the count per draw varies by at most one), so 4σ is
        // conservative
        // the exact spread of the total: per draw the count is ⌊n·rate⌋ plus a coin with
        // probability f (the fractional part), so the total's σ is √(SEEDS·f·(1−f))
        let mean = n * rate * n_seeds;
        let f = n * rate - (n * rate).floor();
        let count_sigma = (n_seeds * f * (1.0 - f)).sqrt();
        println!(
            "grade {g:?}: total drawn {total}, expected {mean:.1}, |Δ| = {:.1}, bound 4σ = {:.1}",
            (total as f64 - mean).abs(),
            4.0 * count_sigma
        );
        assert!((total as f64 - mean).abs() <= 4.0 * count_sigma);
        let sigma = (rate * (1.0 - rate) / trials).sqrt();
        let bound = 4.0 * sigma;
        println!(
            "grade {g:?}: {n} candidates × {SEEDS} seeds, rate {rate:.4}, selected share \
             {share:.5}, |Δ| = {:.5}, bound 4σ = {bound:.5}",
            (share - rate).abs()
        );
        assert!(
            (share - rate).abs() <= bound,
            "grade {g:?}: share {share} vs rate {rate}"
        );
        // no favoured positions: the first and second halves of the ledger order are drawn
        // at the same rate (each within 4σ of it)
        let half = hits[i].len() / 2;
        for (name, part) in [
            ("first half", &hits[i][..half]),
            ("second half", &hits[i][half..]),
        ] {
            let t = part.len() as f64 * n_seeds;
            let sh = part.iter().sum::<u64>() as f64 / t;
            let b = 4.0 * (rate * (1.0 - rate) / t).sqrt();
            println!(
                "    {name}: share {sh:.5}, |Δ| = {:.5}, bound {b:.5}",
                (sh - rate).abs()
            );
            assert!((sh - rate).abs() <= b, "grade {g:?} {name}: {sh} vs {rate}");
        }
        // chi-square of per-candidate counts against uniform: df = n − 1, bound df + 4·√(2·df)
        let expected = total as f64 / n;
        let chi2: f64 = hits[i]
            .iter()
            .map(|h| (*h as f64 - expected).powi(2) / expected)
            .sum();
        let df = n - 1.0;
        let chi_bound = df + 4.0 * (2.0 * df).sqrt();
        println!("    per-candidate χ² = {chi2:.1}, df = {df}, bound {chi_bound:.1}");
        assert!(chi2 <= chi_bound, "grade {g:?}: χ² {chi2} > {chi_bound}");
    }
    // inspectors: each target takes PER_TARGET of POOL, so each inspector is on a target with
    // probability PER_TARGET/POOL
    let p = f64::from(PER_TARGET) / POOL as f64;
    let sigma = (p * (1.0 - p) / targets_total as f64).sqrt();
    for (k, h) in inspector_hits.iter().enumerate() {
        let share = *h as f64 / targets_total as f64;
        println!(
            "inspector {k}: on {share:.5} of {targets_total} targets, expected {p:.5}, \
             |Δ| = {:.5}, bound 4σ = {:.5}",
            (share - p).abs(),
            4.0 * sigma
        );
        assert!((share - p).abs() <= 4.0 * sigma);
    }
}

/// A conformance vector: a fixed input and its selection. Changing it is a protocol change.
#[test]
fn golden_selection() {
    let cands: Vec<Candidate> = population().into_iter().take(40).collect();
    let seed = draw_seed(
        &Domain::Seed.hash(b"golden block"),
        &Domain::TxId.hash(b"golden tx"),
    );
    let targets = compute_selection(
        &seed,
        &request(),
        [250_000, 250_000, 500_000, 1_000_000],
        &cands,
    )
    .unwrap();
    let got: Vec<String> = targets
        .iter()
        .map(|t| {
            let ins: Vec<&str> = t.inspectors.iter().map(|i| i.as_str()).collect();
            format!("{:?} {} {}", t.grade, t.operator, ins.join(","))
        })
        .collect();
    println!("seed {seed}\n{}", got.join("\n"));
    assert_eq!(got, GOLDEN, "the draw algorithm changed");
}

const GOLDEN: &[&str] = &[
    "A 91350100000000000H insp-4,insp-1",
    "A 91350100000000012Q insp-2,insp-0",
    "A 91350100000000008A insp-2,insp-7",
    "B 91350100000000021N insp-6,insp-5",
    "B 91350100000000033X insp-5,insp-3",
    "B 913501000000000253 insp-3,insp-5",
    "C 91350100000000030L insp-2,insp-1",
    "C 913501000000000341 insp-4,insp-5",
    "C 91350100000000022R insp-6,insp-0",
    "C 91350100000000038D insp-4,insp-7",
    "C 91350100000000010J insp-6,insp-7",
    "D 91350100000000019E insp-7,insp-1",
    "D 913501000000000077 insp-3,insp-5",
    "D 91350100000000011M insp-3,insp-6",
    "D 91350100000000031P insp-4,insp-6",
    "D 91350100000000003T insp-0,insp-5",
    "D 91350100000000039G insp-0,insp-4",
    "D 913501000000000279 insp-3,insp-1",
    "D 913501000000000354 insp-3,insp-4",
    "D 91350100000000023W insp-1,insp-6",
    "D 913501000000000152 insp-2,insp-0",
];
