//! Inclusion-proof generation from RocksDB tiles for a log of 10^6 leaves, beside RocksDB's raw
//! point-get rate measured in the same run (the ratio is what to compare across machines).
//!
//! `cargo bench -p liangxin-storage --bench proofs`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liangxin_storage::types::log::{Blake3, LogReader, MerkleLog};
use liangxin_storage::types::{BlockBody, BlockHeader, ChainId, Hash, SigningKey};
use liangxin_storage::{BlockWrite, RocksOptions, RocksStore, Store, TableId};

const LEAVES: u64 = 1_000_000;
const PER_BLOCK: u64 = 10_000;

/// xorshift64*: random leaf indexes without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn build(dir: &std::path::Path) -> Hash {
    let store = RocksStore::open(dir).unwrap();
    let mut log = MerkleLog::<Blake3>::new();
    let chain = ChainId::new("liangxin-bench").unwrap();
    let proposer = SigningKey::dev("bench").public_key().into();
    let mut parent = Hash::ZERO;
    let start = Instant::now();
    for height in 1..=LEAVES / PER_BLOCK {
        let first = log.size();
        let mut entries = Vec::with_capacity(PER_BLOCK as usize);
        for leaf in first..first + PER_BLOCK {
            let bytes = leaf.to_be_bytes().to_vec();
            log.append(&bytes);
            entries.push((leaf, bytes));
        }
        let body = BlockBody::default();
        let header = BlockHeader {
            chain_id: chain.clone(),
            height,
            view: height,
            parent,
            time: height,
            proposer,
            seed_proof: liangxin_types::VrfProof::ZERO,
            tx_count: 0,
            body_hash: body.hash().unwrap(),
            log_size: log.size(),
            log_root: log.root(),
            state_root: Hash::ZERO,
        };
        parent = header.hash().unwrap();
        let mut w = BlockWrite::new(header, body);
        for (leaf, bytes) in entries {
            let mut id = [0u8; 32];
            id[..8].copy_from_slice(&leaf.to_be_bytes());
            w.entry(leaf, Hash(id), bytes);
        }
        w.tiles(log.take_dirty_tiles());
        store.commit(&w).unwrap();
    }
    eprintln!(
        "built a log of {LEAVES} leaves in {:.1} s ({} blocks of {PER_BLOCK})",
        start.elapsed().as_secs_f64(),
        LEAVES / PER_BLOCK
    );
    log.root()
}

/// Operations per second of `f` over about `budget`.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            f();
        }
        n += 1000;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let root = build(dir.path());
    let store = RocksStore::open(dir.path()).unwrap();
    let uncached = || {
        RocksStore::open_with(
            dir.path(),
            RocksOptions {
                tile_cache_tiles: 0,
                ..RocksOptions::default()
            },
        )
        .unwrap()
    };
    assert_eq!(store.log_size().unwrap(), LEAVES);
    let reader = LogReader::<Blake3, _>::new(&store, LEAVES);
    assert_eq!(reader.root_at(LEAVES).unwrap(), root);

    let mut group = c.benchmark_group("rocks");
    group.throughput(Throughput::Elements(1));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    group.bench_function("inclusion_proof_1e6", |b| {
        b.iter(|| black_box(reader.inclusion_proof(rng.below(LEAVES), LEAVES).unwrap()))
    });
    group.bench_function("point_get_entry", |b| {
        b.iter(|| {
            let key = rng.below(LEAVES).to_be_bytes();
            black_box(store.get_raw(TableId::Entries, &key).unwrap())
        })
    });
    group.finish();

    // The figures and their ratio, measured back to back.
    let budget = Duration::from_secs(2);
    let proofs = rate(budget, || {
        black_box(reader.inclusion_proof(rng.below(LEAVES), LEAVES).unwrap());
    });
    let gets = rate(budget, || {
        let key = rng.below(LEAVES).to_be_bytes();
        black_box(store.get_raw(TableId::Entries, &key).unwrap());
    });
    drop(store);
    let cold = uncached();
    let cold_reader = LogReader::<Blake3, _>::new(&cold, LEAVES);
    let proofs_uncached = rate(budget, || {
        black_box(
            cold_reader
                .inclusion_proof(rng.below(LEAVES), LEAVES)
                .unwrap(),
        );
    });
    println!(
        "log of {LEAVES} leaves: inclusion proofs {proofs:.0}/s (tile cache), \
         {proofs_uncached:.0}/s (no tile cache); raw RocksDB point get {gets:.0}/s; \
         proofs per point get {:.2} (cached), {:.2} (uncached)",
        proofs / gets,
        proofs_uncached / gets
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
