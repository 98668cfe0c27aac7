#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! [`MemTree`] as the node uses it: a tree of `LX_MEMTREE_KEYS` keys (default 2·10⁶, about
//! what the ledger benchmark's 4·10⁵ records leave), blocks of `LX_MEMTREE_WRITES` writes
//! (default 40,000: a 10,000-record block of the ledger benchmark writes about four rows a
//! record), 60% updates of random keys and 40% new keys. Each version is applied on this
//! thread and the version before it freed on another, as the node's producer and committer do;
//! both are timed per write, beside raw blake3 on 64 bytes measured in the same run.
//!
//! `cargo bench -p liangxin-state --bench memtree`; `LX_MEMTREE_LOCAL_FREE=1` frees each old
//! version on the applying thread instead, to compare.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use liangxin_state::MemTree;
use liangxin_state::hash::node_hash;
use liangxin_types::Hash;

/// The node binary's allocator and its settings, so these figures are the node's.
#[global_allocator]
static GLOBAL: liangxin_alloc::MiMalloc = liangxin_alloc::MiMalloc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn key(i: u64) -> Vec<u8> {
    format!("instrument/91350100MA{i:010}/9.1").into_bytes()
}

/// The `n`th pseudo-random number of the run (the same every run).
fn draw(n: u64) -> u64 {
    let h = blake3::hash(&n.to_le_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    u64::from_le_bytes(b)
}

fn main() {
    liangxin_alloc::configure();
    let n = env("LX_MEMTREE_KEYS", 2_000_000);
    let per_block = env("LX_MEMTREE_WRITES", 40_000);
    let blocks = env("LX_MEMTREE_BLOCKS", 30);
    let local = env("LX_MEMTREE_LOCAL_FREE", 0) == 1;

    let t = Instant::now();
    let mut hashes = 0u64;
    let mut h = Hash::ZERO;
    while t.elapsed() < Duration::from_millis(300) {
        for _ in 0..1_000 {
            h = node_hash(&h, &h);
        }
        hashes += 1_000;
    }
    black_box(h);
    let raw = hashes as f64 / t.elapsed().as_secs_f64();
    println!("raw limit: {raw:.0} tree hashes (blake3, 64 bytes)/s on one core");

    let t = Instant::now();
    let mut tree = MemTree::from_rows((0..n).map(|i| (key(i), i.to_be_bytes()))).unwrap();
    println!(
        "built {n} keys in {:.1} s; blocks of {per_block} writes (60% updates, 40% new keys)",
        t.elapsed().as_secs_f64()
    );

    let (to_free, freeing) = std::sync::mpsc::sync_channel::<MemTree>(0);
    let (freed_tx, freed) = std::sync::mpsc::sync_channel::<Duration>(0);
    let freer = std::thread::spawn(move || {
        for old in freeing {
            let t = Instant::now();
            drop(old);
            freed_tx.send(t.elapsed()).unwrap();
        }
    });

    let mut drawn = 0u64;
    let mut rng = || {
        drawn += 1;
        draw(drawn)
    };
    let mut next = n;
    let (mut applying, mut dropping) = (Duration::ZERO, Duration::ZERO);
    for b in 0..blocks {
        let mut writes = BTreeMap::new();
        while (writes.len() as u64) < per_block {
            let i = if rng() % 10 < 6 {
                rng() % next
            } else {
                next += 1;
                next - 1
            };
            writes.insert(key(i), Some((i ^ b).to_be_bytes().to_vec()));
        }
        let t = Instant::now();
        let new = tree.apply(&writes).unwrap();
        let took = t.elapsed();
        let old = std::mem::replace(&mut tree, new);
        let dropped = if local {
            let t = Instant::now();
            drop(old);
            t.elapsed()
        } else {
            to_free.send(old).unwrap();
            freed.recv().unwrap()
        };
        // The first blocks warm the allocator's pages up.
        if b >= 3 {
            applying += took;
            dropping += dropped;
        }
    }
    drop(to_free);
    freer.join().unwrap();
    let w = ((blocks.saturating_sub(3)) * per_block).max(1) as f64;
    let apply_ns = applying.as_nanos() as f64 / w;
    let drop_ns = dropping.as_nanos() as f64 / w;
    println!(
        "apply {apply_ns:.0} ns/write, freeing the old version {drop_ns:.0} ns/write: {:.0} ns/write \
         = {:.0} tree hashes' time; {} keys now",
        apply_ns + drop_ns,
        (apply_ns + drop_ns) * raw / 1e9,
        tree.len()
    );
}
