//! The Merkle log: appending against the raw blake3 limit, and proofs over a log of 10^6 leaves.
//!
//! `cargo bench -p liangxin-types --bench log`. After criterion's report of the "log_append"
//! group, a paired measurement prints appended leaves/s, raw (leaf hash + node hash) pairs/s and
//! their ratio; appending costs one leaf hash and, amortised, one node hash per leaf, so the ratio
//! says how much the frontier and tile bookkeeping cost on top of the hashing itself.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use liangxin_types::Hash;
use liangxin_types::log::{
    Blake3, LogHasher, MemTileStore, MerkleLog, verify_consistency, verify_inclusion,
};

const APPEND_N: usize = 100_000;
const LEAF_BYTES: usize = 200;
/// Leaves per simulated block: the dirty tiles are taken (and dropped) this often.
const BLOCK: usize = 1_000;
const PROOF_LOG: u64 = 1_000_000;
const PROOFS: usize = 1_000;

fn leaf_data() -> Vec<[u8; LEAF_BYTES]> {
    (0..APPEND_N)
        .map(|i| {
            let mut d = [0u8; LEAF_BYTES];
            d[..8].copy_from_slice(&(i as u64).to_le_bytes());
            d[8..16].copy_from_slice(&(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
            d
        })
        .collect()
}

/// Appends every leaf, taking the dirty tiles once per block as a node would.
fn append_all(data: &[[u8; LEAF_BYTES]]) -> Hash {
    let mut log = MerkleLog::<Blake3>::new();
    for block in data.chunks(BLOCK) {
        for d in block {
            log.append(d);
        }
        black_box(log.take_dirty_tiles());
    }
    log.root()
}

/// The raw limit: the same hashes with no bookkeeping, one blake3 of `0x00 ‖ data` and one
/// blake3 of a 65-byte `0x01 ‖ l ‖ r` per leaf.
fn raw_pairs(data: &[[u8; LEAF_BYTES]]) -> [u8; 32] {
    let mut acc = [0u8; 32];
    for d in data {
        let mut h = blake3::Hasher::new();
        h.update(&[0x00]);
        h.update(d);
        let leaf = h.finalize();
        let mut buf = [0u8; 65];
        buf[0] = 0x01;
        buf[1..33].copy_from_slice(&acc);
        buf[33..].copy_from_slice(leaf.as_bytes());
        acc = *blake3::hash(&buf).as_bytes();
    }
    acc
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn bench_append(c: &mut Criterion) {
    let data = leaf_data();
    let mut g = c.benchmark_group("log_append");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(APPEND_N as u64));
    g.bench_function("append_100k_leaves_200B", |b| {
        b.iter(|| black_box(append_all(black_box(&data))))
    });
    g.bench_function("raw_blake3_leaf_plus_node_100k", |b| {
        b.iter(|| black_box(raw_pairs(black_box(&data))))
    });
    g.finish();

    // Paired measurement for the ratio (best of 7, interleaved).
    let (mut append, mut raw) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        append = append.min(best_of(1, || {
            black_box(append_all(black_box(&data)));
        }));
        raw = raw.min(best_of(1, || {
            black_box(raw_pairs(black_box(&data)));
        }));
    }
    let leaves_per_s = APPEND_N as f64 / append.as_secs_f64();
    let pairs_per_s = APPEND_N as f64 / raw.as_secs_f64();
    println!(
        "log_append: {leaves_per_s:.0} leaves/s appended, {pairs_per_s:.0} raw pairs/s, \
         ratio append/raw = {:.3}",
        leaves_per_s / pairs_per_s
    );
}

/// A deterministic index sequence (an LCG), spread over `0..bound`.
fn indexes(count: usize, bound: u64, seed: u64) -> Vec<u64> {
    let mut x = seed;
    (0..count)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 11) % bound
        })
        .collect()
}

fn bench_proofs(c: &mut Criterion) {
    // Built once, outside the timed loops: 10^6 leaves, tiles written once per 1,000-leaf block.
    let mut log = MerkleLog::<Blake3>::new();
    let mut store = MemTileStore::new();
    let mut leaf_hashes = Vec::with_capacity(PROOF_LOG as usize);
    for i in 0..PROOF_LOG {
        let h = Blake3::leaf(&i.to_le_bytes());
        leaf_hashes.push(h);
        log.append_leaf_hash(h);
        if (i + 1) % BLOCK as u64 == 0 {
            store.insert_all(log.take_dirty_tiles());
        }
    }
    store.insert_all(log.take_dirty_tiles());
    let n = log.size();
    let root = log.root();
    let reader = log.reader(&store);

    let leaf_idx = indexes(PROOFS, n, 1);
    let incl: Vec<Vec<Hash>> = leaf_idx
        .iter()
        .map(|&i| reader.inclusion_proof(i, n).unwrap())
        .collect();
    let old_sizes: Vec<u64> = indexes(PROOFS, n, 2).into_iter().map(|m| m + 1).collect();
    let old_roots: Vec<Hash> = old_sizes
        .iter()
        .map(|&m| reader.root_at(m).unwrap())
        .collect();
    let cons: Vec<Vec<Hash>> = old_sizes
        .iter()
        .map(|&m| reader.consistency_proof(m, n).unwrap())
        .collect();

    let mut g = c.benchmark_group("log_proofs");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(PROOFS as u64));
    g.bench_function("inclusion_generate_1e6", |b| {
        b.iter(|| {
            for &i in &leaf_idx {
                black_box(reader.inclusion_proof(black_box(i), n).unwrap());
            }
        })
    });
    g.bench_function("inclusion_verify_1e6", |b| {
        b.iter(|| {
            for (k, &i) in leaf_idx.iter().enumerate() {
                verify_inclusion::<Blake3>(&leaf_hashes[i as usize], i, n, &incl[k], &root)
                    .unwrap();
            }
        })
    });
    g.bench_function("consistency_generate_1e6", |b| {
        b.iter(|| {
            for &m in &old_sizes {
                black_box(reader.consistency_proof(black_box(m), n).unwrap());
            }
        })
    });
    g.bench_function("consistency_verify_1e6", |b| {
        b.iter(|| {
            for (k, &m) in old_sizes.iter().enumerate() {
                verify_consistency::<Blake3>(m, n, &cons[k], &old_roots[k], &root).unwrap();
            }
        })
    });
    g.finish();

    // Plain per-second figures for the report (best of 5 passes over the 1,000 requests).
    let per_s = |d: Duration| PROOFS as f64 / d.as_secs_f64();
    let ig = best_of(5, || {
        for &i in &leaf_idx {
            black_box(reader.inclusion_proof(i, n).unwrap());
        }
    });
    let iv = best_of(5, || {
        for (k, &i) in leaf_idx.iter().enumerate() {
            verify_inclusion::<Blake3>(&leaf_hashes[i as usize], i, n, &incl[k], &root).unwrap();
        }
    });
    let cg = best_of(5, || {
        for &m in &old_sizes {
            black_box(reader.consistency_proof(m, n).unwrap());
        }
    });
    let cv = best_of(5, || {
        for (k, &m) in old_sizes.iter().enumerate() {
            verify_consistency::<Blake3>(m, n, &cons[k], &old_roots[k], &root).unwrap();
        }
    });
    println!(
        "log_proofs at {n} leaves: inclusion {:.0} generated/s, {:.0} verified/s; consistency \
         {:.0} generated/s, {:.0} verified/s",
        per_s(ig),
        per_s(iv),
        per_s(cg),
        per_s(cv)
    );
}

fn benches() -> Criterion {
    Criterion::default().configure_from_args()
}

criterion::criterion_group! {
    name = log_benches;
    config = benches();
    targets = bench_append, bench_proofs
}
criterion::criterion_main!(log_benches);
