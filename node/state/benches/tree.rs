#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! State tree benchmarks: block application, proof generation and verification on a tree of
//! `LX_STATE_KEYS` keys (default 10⁵), against raw blake3 on 64-byte inputs measured in the same
//! run. Before the criterion runs it prints a summary: 1,000 blocks of 20 writes timed end to end
//! and the bytes stored per live key.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use liangxin_state::hash::node_hash;
use liangxin_state::{MemNodes, StateProof, TreeUpdate, apply, apply_keeping, prove, root};
use liangxin_types::Hash;

const WRITES_PER_BLOCK: u64 = 20;
const VALUE_LEN: usize = 100;

fn keys() -> u64 {
    std::env::var("LX_STATE_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn key(i: u64) -> Vec<u8> {
    format!("operator/91350100MA{i:010}/grade").into_bytes()
}

fn value(i: u64, version: u64) -> Vec<u8> {
    let mut v = format!("{i}:{version}:").into_bytes();
    v.resize(VALUE_LEN, b'x');
    v
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A tree of `n` keys loaded in blocks of 10,000, plus the next version and key index.
struct Loaded {
    store: MemNodes,
    version: u64,
    next_key: u64,
    live: u64,
}

fn load(n: u64) -> Loaded {
    let mut store = MemNodes::new();
    let mut version = 0;
    let mut i = 0;
    while i < n {
        let end = (i + 10_000).min(n);
        let w: BTreeMap<Vec<u8>, Option<Vec<u8>>> =
            (i..end).map(|j| (key(j), Some(value(j, 0)))).collect();
        let u = apply_keeping(&store, version, &w, 1).expect("load");
        store.apply_update(&u);
        version += 1;
        i = end;
    }
    Loaded {
        store,
        version,
        next_key: n,
        live: n,
    }
}

/// One block: 15 updates of existing keys, 4 inserts, 1 delete.
fn block(l: &mut Loaded, rng: &mut Rng) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    let mut w = BTreeMap::new();
    for _ in 0..15 {
        let i = rng.next() % l.next_key;
        w.insert(key(i), Some(value(i, l.version)));
    }
    for _ in 0..4 {
        w.insert(key(l.next_key), Some(value(l.next_key, l.version)));
        l.next_key += 1;
        l.live += 1;
    }
    let i = rng.next() % l.next_key;
    w.insert(key(i), None);
    w
}

fn apply_block(l: &mut Loaded, rng: &mut Rng) -> (Duration, TreeUpdate) {
    let w = block(l, rng);
    let start = Instant::now();
    let u = apply(&l.store, l.version, &w).expect("apply");
    let took = start.elapsed();
    l.store.apply_update(&u);
    l.version += 1;
    (took, u)
}

fn summary(l: &mut Loaded, rng: &mut Rng) {
    let n = keys();
    let mut total = Duration::ZERO;
    for _ in 0..1_000 {
        total += apply_block(l, rng).0;
    }
    let writes = 1_000 * WRITES_PER_BLOCK;
    println!(
        "summary: {n} keys loaded; 1,000 blocks of {WRITES_PER_BLOCK} writes applied in {:.1} ms = {:.0} writes/s",
        total.as_secs_f64() * 1e3,
        writes as f64 / total.as_secs_f64()
    );

    // Bytes stored per live key, with only the latest version kept (a backlog-pruning update).
    let u = apply_keeping(&l.store, l.version, &BTreeMap::new(), 1).expect("prune");
    l.store.apply_update(&u);
    l.version += 1;
    let live = count_live(&l.store);
    let bytes = l.store.stored_bytes();
    let value_bytes: usize = live.1;
    println!(
        "summary: {} live keys, {} records ({:.2} per key), {} bytes stored = {:.1} bytes per key, \
         of which {:.1} are the value itself and {:.1} the tree's overhead",
        live.0,
        l.store.len(),
        l.store.len() as f64 / live.0 as f64,
        bytes,
        bytes as f64 / live.0 as f64,
        value_bytes as f64 / live.0 as f64,
        (bytes - value_bytes) as f64 / live.0 as f64,
    );
}

/// Live leaves and the bytes of their values (a leaf record is 32 bytes of value hash, then the
/// value).
fn count_live(store: &MemNodes) -> (usize, usize) {
    let mut leaves = 0;
    let mut value_bytes = 0;
    for (k, v) in store.iter() {
        if k.first() == Some(&b'l') {
            leaves += 1;
            value_bytes += v.len().saturating_sub(32);
        }
    }
    (leaves, value_bytes)
}

fn benches(c: &mut Criterion) {
    let n = keys();
    let start = Instant::now();
    let mut l = load(n);
    println!(
        "summary: loaded {n} keys in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    summary(&mut l, &mut rng);

    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Elements(1));
    let input = [7u8; 64];
    g.bench_function("blake3_raw_64B", |b| {
        b.iter(|| blake3::hash(black_box(&input)))
    });
    let (a, z) = (Hash([1; 32]), Hash([2; 32]));
    g.bench_function("state_node_hash_64B", |b| {
        b.iter(|| node_hash(black_box(&a), black_box(&z)))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("tree_{n}_keys"));
    g.throughput(Throughput::Elements(WRITES_PER_BLOCK));
    g.bench_function("apply_block_of_20_writes", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += apply_block(&mut l, &mut rng).0;
            }
            total
        })
    });

    g.throughput(Throughput::Elements(1));
    let version = l.version - 1;
    let r = root(&l.store, version).expect("root");
    let sample: Vec<Vec<u8>> = (0..1_000).map(|_| key(rng.next() % n)).collect();
    let absent: Vec<Vec<u8>> = (0..1_000).map(|i| key(u64::MAX - i)).collect();
    let mut i = 0usize;
    g.bench_function("prove_present", |b| {
        b.iter(|| {
            i = (i + 1) % sample.len();
            prove(&l.store, version, &sample[i]).expect("prove")
        })
    });
    g.bench_function("prove_absent", |b| {
        b.iter(|| {
            i = (i + 1) % absent.len();
            prove(&l.store, version, &absent[i]).expect("prove")
        })
    });
    let proofs: Vec<(Vec<u8>, Option<Vec<u8>>, StateProof)> = sample
        .iter()
        .chain(absent.iter())
        .map(|k| {
            let (v, p) = prove(&l.store, version, k).expect("prove");
            (k.clone(), v, p)
        })
        .collect();
    let avg = proofs.iter().map(|p| p.2.siblings.len()).sum::<usize>() as f64 / proofs.len() as f64;
    println!("summary: {avg:.1} siblings per proof on average");
    g.bench_function("verify", |b| {
        b.iter(|| {
            i = (i + 1) % proofs.len();
            let (k, v, p) = &proofs[i];
            p.verify(&r, k, v.as_deref()).expect("verify")
        })
    });
    g.finish();
}

criterion_group! {
    name = tree;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4));
    targets = benches
}

fn main() {
    tree();
    Criterion::default().configure_from_args().final_summary();
}
