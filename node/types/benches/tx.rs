//! Record admission: signed-transaction decode + strict verify, against the raw limit measured in
//! the same run (`verify_strict` per second on the same messages, and batch verification).
//!
//! `cargo bench -p liangxin-types --bench tx`. After criterion's report, a paired measurement
//! prints the ratio the performance target is stated in (decode + verify ÷ raw verify ≥ 0.8),
//! and the block seed's VRF (one proof per proposal, one check per block) against one
//! `verify_strict`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ed25519_dalek::{Signature as DalekSig, SigningKey as DalekKey, Verifier};
use liangxin_types::block::seed_input;
use liangxin_types::encoding::{BoundedBytes, Canonical};
use liangxin_types::tx::{ChainId, RecordKind, SignedTx, TxBody, VerifiedTx};
use liangxin_types::vrf;
use liangxin_types::{BatchItem, BatchVerifier, SigningDomain, SigningKey};

const N: usize = 256;

struct Fixture {
    chain: ChainId,
    txs: Vec<Vec<u8>>,
    /// The same signatures as raw (message, key, signature) triples for the raw limit.
    raw: Vec<(Vec<u8>, ed25519_dalek::VerifyingKey, DalekSig)>,
}

fn fixture() -> Fixture {
    let chain = ChainId::new("liangxin-bench").unwrap();
    let mut txs = Vec::with_capacity(N);
    let mut raw = Vec::with_capacity(N);
    for i in 0..N {
        let key = SigningKey::dev(&format!("bench-{i}"));
        let body = TxBody {
            chain_id: chain.clone(),
            signer: key.public_key(),
            seq: i as u64,
            kind: RecordKind(7),
            // ~200-byte record payload, the size DOMAIN.md's records have.
            payload: BoundedBytes::new(vec![(i % 251) as u8; 200]).unwrap(),
        };
        let msg = body.signing_message().unwrap();
        let tx = SignedTx::sign(body, &key).unwrap();
        let dk = DalekKey::from_bytes(&key.seed());
        raw.push((
            msg,
            dk.verifying_key(),
            DalekSig::from_bytes(tx.signature.as_bytes()),
        ));
        txs.push(tx.to_canonical().unwrap());
    }
    Fixture { chain, txs, raw }
}

fn raw_verify(f: &Fixture) {
    for (m, k, s) in &f.raw {
        k.verify_strict(black_box(m), s).unwrap();
    }
}

fn decode_verify(f: &Fixture) {
    for b in &f.txs {
        black_box(VerifiedTx::decode(b.clone(), &f.chain).unwrap());
    }
}

fn decode_batch_verify(f: &Fixture) {
    let txs: Vec<SignedTx> = f
        .txs
        .iter()
        .map(|b| VerifiedTx::decode_unverified(b, &f.chain).unwrap())
        .collect();
    let bodies: Vec<&[u8]> = f.txs.iter().map(|b| &b[..b.len() - 64]).collect();
    let items: Vec<BatchItem<'_>> = txs
        .iter()
        .zip(&bodies)
        .map(|(tx, body)| BatchItem {
            key: tx.body.signer,
            domain: Some(SigningDomain::Tx),
            msg: body,
            sig: tx.signature,
        })
        .collect();
    assert!(BatchVerifier::verify_all(black_box(&items)));
}

fn bench(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("tx_admission");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("raw_verify_strict", |b| b.iter(|| raw_verify(f)));
    g.bench_function("raw_dalek_verify", |b| {
        b.iter(|| {
            for (m, k, s) in &f.raw {
                k.verify(black_box(m), s).unwrap();
            }
        })
    });
    g.bench_function("decode_and_strict_verify", |b| b.iter(|| decode_verify(f)));
    g.bench_function("decode_and_batch_verify", |b| {
        b.iter(|| decode_batch_verify(f))
    });
    g.finish();

    // The block seed: one VRF proof per proposal, one verification per block received.
    let key = SigningKey::dev("bench-proposer");
    let alpha = seed_input(7, &liangxin_types::Domain::Header.hash(b"parent"));
    let proof = vrf::prove(&key, &alpha);
    let mut g = c.benchmark_group("block_seed_vrf");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("prove", |b| b.iter(|| vrf::prove(&key, black_box(&alpha))));
    g.bench_function("verify", |b| {
        b.iter(|| vrf::verify(&key.public_key(), black_box(&alpha), &proof).unwrap())
    });
    g.finish();
}

/// Items per second of `work` (which handles `N` items per call), best of `rounds` runs of
/// about `per_round` each. Best-of, because noise on a shared machine only ever slows a run.
fn rate(work: &dyn Fn(), rounds: usize, per_round: Duration) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut calls = 0u64;
        while start.elapsed() < per_round {
            work();
            calls += 1;
        }
        best = best.max((calls as f64 * N as f64) / start.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let f = fixture();
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &f);
    c.final_summary();

    // Paired measurement for the ratio, interleaved so both see the same machine state.
    let (mut raw, mut dv, mut bv) = (0.0f64, 0.0f64, 0.0f64);
    for _ in 0..3 {
        raw = raw.max(rate(&|| raw_verify(&f), 3, Duration::from_millis(300)));
        dv = dv.max(rate(&|| decode_verify(&f), 3, Duration::from_millis(300)));
        bv = bv.max(rate(
            &|| decode_batch_verify(&f),
            3,
            Duration::from_millis(300),
        ));
    }
    println!("admission (one core, {N} distinct signers, 200-byte payloads):");
    println!("  raw verify_strict          {raw:>10.0} /s");
    println!(
        "  decode + strict verify     {dv:>10.0} /s   ratio {:.3} of raw verify_strict (target >= 0.80)",
        dv / raw
    );
    println!(
        "  decode + batch verify      {bv:>10.0} /s   ratio {:.3} of raw verify_strict",
        bv / raw
    );

    let key = SigningKey::dev("bench-proposer");
    let alpha = seed_input(7, &liangxin_types::Domain::Header.hash(b"parent"));
    let proof = vrf::prove(&key, &alpha);
    let (mut prove, mut check) = (0.0f64, 0.0f64);
    for _ in 0..3 {
        // `rate` counts N items per call: N proofs (or checks) per call here.
        prove = prove.max(rate(
            &|| {
                for _ in 0..N {
                    black_box(vrf::prove(&key, black_box(&alpha)));
                }
            },
            3,
            Duration::from_millis(300),
        ));
        check = check.max(rate(
            &|| {
                for _ in 0..N {
                    vrf::verify(&key.public_key(), black_box(&alpha), &proof).unwrap();
                }
            },
            3,
            Duration::from_millis(300),
        ));
    }
    println!("block seed VRF (one per block):");
    println!(
        "  prove                      {prove:>10.0} /s   {:.1} us, {:.2} x one verify_strict",
        1e6 / prove,
        raw / prove
    );
    println!(
        "  verify                     {check:>10.0} /s   {:.1} us, {:.2} x one verify_strict",
        1e6 / check,
        raw / check
    );
}
