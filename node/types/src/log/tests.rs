//! Tests of the log against the RFC's recursive definitions.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::{Error, Hash};

type B = Blake3;

// ---------------------------------------------------------------------------------------------
// Reference implementations: the RFC 9162 recursive definitions over a list of leaf hashes.

fn split(n: usize) -> usize {
    split64(n as u64) as usize
}

/// Largest power of two below `n` (n >= 2), computed differently from the library's.
fn split64(n: u64) -> u64 {
    let mut k = 1u64;
    while k < n / 2 + n % 2 {
        k *= 2;
    }
    k
}

/// RFC 9162 §2.1.3.1 PATH(m, D[n]).
fn ref_path<H: LogHasher>(m: usize, leaves: &[H::Output]) -> Vec<H::Output> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = ref_path::<H>(m, &leaves[..k]);
        p.push(root_from_leaves::<H>(&leaves[k..]));
        p
    } else {
        let mut p = ref_path::<H>(m - k, &leaves[k..]);
        p.push(root_from_leaves::<H>(&leaves[..k]));
        p
    }
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b).
fn ref_subproof<H: LogHasher>(m: usize, leaves: &[H::Output], b: bool) -> Vec<H::Output> {
    let n = leaves.len();
    if m == n {
        return if b {
            Vec::new()
        } else {
            vec![root_from_leaves::<H>(leaves)]
        };
    }
    let k = split(n);
    if m <= k {
        let mut p = ref_subproof::<H>(m, &leaves[..k], b);
        p.push(root_from_leaves::<H>(&leaves[k..]));
        p
    } else {
        let mut p = ref_subproof::<H>(m - k, &leaves[k..], false);
        p.push(root_from_leaves::<H>(&leaves[..k]));
        p
    }
}

/// The left/right pattern of PATH(m, D[n]), leaf first: `true` where the sibling is on the left.
/// Two (index, size) pairs with the same pattern make the verifier compute the same root.
fn ref_shape(m: u64, n: u64) -> Vec<bool> {
    if n <= 1 {
        return Vec::new();
    }
    let k = split64(n);
    let mut s = if m < k {
        ref_shape(m, k)
    } else {
        ref_shape(m - k, n - k)
    };
    s.push(m >= k);
    s
}

/// Length of PROOF(m, D[n]) by the recursion, on sizes only.
fn ref_proof_len(m: u64, n: u64, b: bool) -> usize {
    if m == n {
        return usize::from(!b);
    }
    let k = split64(n);
    if m <= k {
        ref_proof_len(m, k, b) + 1
    } else {
        ref_proof_len(m - k, n - k, false) + 1
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn data(seed: u64, i: u64) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[..8].copy_from_slice(&seed.to_le_bytes());
    d[8..].copy_from_slice(&i.to_le_bytes());
    d
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut b = h.0;
    b[(bit / 8) % 32] ^= 1 << (bit % 8);
    Hash(b)
}

/// A small deterministic generator for samples (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

struct Built {
    log: MerkleLog<B>,
    store: MemTileStore<B>,
    leaves: Vec<Hash>,
    /// `roots[m]` = the log's root right after it had m leaves (from the frontier).
    roots: Vec<Hash>,
}

/// Appends `n` leaves, writing the dirty tiles to the store every `flush_every` appends and, if
/// `flush_end`, at the end.
fn build(n: u64, seed: u64, flush_every: u64, flush_end: bool) -> Built {
    let mut log = MerkleLog::<B>::new();
    let mut store = MemTileStore::new();
    let mut leaves = Vec::new();
    let mut roots = vec![log.root()];
    for i in 0..n {
        let idx = log.append(&data(seed, i));
        assert_eq!(idx, i);
        leaves.push(B::leaf(&data(seed, i)));
        roots.push(log.root());
        if flush_every > 0 && (i + 1) % flush_every == 0 {
            store.insert_all(log.take_dirty_tiles());
        }
    }
    if flush_end {
        store.insert_all(log.take_dirty_tiles());
    }
    Built {
        log,
        store,
        leaves,
        roots,
    }
}

/// Sampled values in `lo..=hi`: the ends, their neighbours, powers of two and tile edges around,
/// and `extra` random ones.
fn samples(lo: u64, hi: u64, extra: usize, rng: &mut Rng) -> Vec<u64> {
    let mut v = vec![lo, lo + 1, hi, hi.saturating_sub(1)];
    for p in [
        1u64, 2, 3, 4, 7, 8, 255, 256, 257, 511, 512, 1023, 1024, 65_535, 65_536,
    ] {
        v.push(p);
    }
    for _ in 0..extra {
        v.push(lo + rng.below(hi - lo + 1));
    }
    v.retain(|x| (lo..=hi).contains(x));
    v.sort_unstable();
    v.dedup();
    v
}

// ---------------------------------------------------------------------------------------------
// The checks one log goes through.

fn check_roots(b: &Built, rng: &mut Rng) {
    let n = b.log.size();
    assert_eq!(b.log.root(), root_from_leaves::<B>(&b.leaves));
    assert_eq!(b.log.root(), b.roots[n as usize]);
    let reader = b.log.reader(&b.store);
    for m in 0..=n {
        assert_eq!(
            reader.root_at(m).unwrap(),
            b.roots[m as usize],
            "root_at({m})"
        );
    }
    for m in samples(0, n, 6, rng) {
        assert_eq!(
            b.roots[m as usize],
            root_from_leaves::<B>(&b.leaves[..m as usize]),
            "incremental root at {m}"
        );
    }
    assert!(matches!(reader.root_at(n + 1), Err(Error::Log(_))));
}

fn check_inclusion(b: &Built, rng: &mut Rng) {
    let n = b.log.size();
    let reader = b.log.reader(&b.store);
    let root = b.roots[n as usize];
    for i in 0..n {
        let proof = reader.inclusion_proof(i, n).unwrap();
        verify_inclusion::<B>(&b.leaves[i as usize], i, n, &proof, &root)
            .unwrap_or_else(|e| panic!("inclusion {i} in {n}: {e}"));
        assert_eq!(reader.leaf_hash(i).unwrap(), b.leaves[i as usize]);
    }
    if n == 0 {
        assert!(matches!(reader.inclusion_proof(0, 0), Err(Error::Log(_))));
        return;
    }
    for i in samples(0, n - 1, 4, rng) {
        let leaf = b.leaves[i as usize];
        let proof = reader.inclusion_proof(i, n).unwrap();
        assert_eq!(
            proof,
            ref_path::<B>(i as usize, &b.leaves),
            "PATH({i}, {n})"
        );
        // Earlier tree sizes.
        let size = i + 1 + rng.below(n - i);
        let p2 = reader.inclusion_proof(i, size).unwrap();
        assert_eq!(p2, ref_path::<B>(i as usize, &b.leaves[..size as usize]));
        verify_inclusion::<B>(&leaf, i, size, &p2, &b.roots[size as usize]).unwrap();
        // Mutations: a bit of each proof hash, of the root, of the leaf hash.
        for j in 0..proof.len() {
            let mut bad = proof.clone();
            bad[j] = flip(&bad[j], rng.below(256) as usize);
            assert!(verify_inclusion::<B>(&leaf, i, n, &bad, &root).is_err());
        }
        let bit = rng.below(256) as usize;
        assert!(verify_inclusion::<B>(&leaf, i, n, &proof, &flip(&root, bit)).is_err());
        assert!(verify_inclusion::<B>(&flip(&leaf, bit), i, n, &proof, &root).is_err());
        // Truncated and extended proofs.
        if let Some((_, shorter)) = proof.split_last() {
            assert!(verify_inclusion::<B>(&leaf, i, n, shorter, &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        assert!(verify_inclusion::<B>(&leaf, i, n, &longer, &root).is_err());
        // Another index: the leaf sits elsewhere in the tree, never verifies.
        for other in [
            i.wrapping_sub(1),
            i + 1,
            i ^ (1 << rng.below(12)),
            rng.below(n),
            u64::MAX,
        ] {
            if other != i {
                assert!(
                    verify_inclusion::<B>(&leaf, other, n, &proof, &root).is_err(),
                    "index {other} instead of {i} in {n}"
                );
            }
        }
        // Another size: verifies exactly when the path has the same shape (same length and
        // left/right pattern); the root only commits to the size through the shape.
        for other in [
            n - 1,
            n + 1,
            n * 2,
            n / 2,
            i,
            n + 1 + rng.below(4 * n),
            u64::MAX,
            0,
        ] {
            if other == n {
                continue;
            }
            let ok = verify_inclusion::<B>(&leaf, i, other, &proof, &root).is_ok();
            let same_shape = i < other && ref_shape(i, other) == ref_shape(i, n);
            assert_eq!(ok, same_shape, "index {i}, size {other} instead of {n}");
        }
    }
    assert!(matches!(reader.inclusion_proof(n, n), Err(Error::Log(_))));
    assert!(matches!(
        reader.inclusion_proof(0, n + 1),
        Err(Error::Log(_))
    ));
}

fn check_consistency(b: &Built, rng: &mut Rng) {
    let n = b.log.size();
    let reader = b.log.reader(&b.store);
    let root2 = b.roots[n as usize];
    for m in 1..=n {
        let proof = reader.consistency_proof(m, n).unwrap();
        verify_consistency::<B>(m, n, &proof, &b.roots[m as usize], &root2)
            .unwrap_or_else(|e| panic!("consistency {m} -> {n}: {e}"));
        assert_eq!(proof.len(), ref_proof_len(m, n, true));
    }
    assert!(matches!(reader.consistency_proof(0, n), Err(Error::Log(_))));
    assert!(matches!(
        reader.consistency_proof(1, n + 1),
        Err(Error::Log(_))
    ));
    if n == 0 {
        return;
    }
    assert!(matches!(
        reader.consistency_proof(n, n - 1),
        Err(Error::Log(_))
    ));
    for m in samples(1, n, 4, rng) {
        // Against the recursive definition, for this size and an intermediate one.
        let proof = reader.consistency_proof(m, n).unwrap();
        assert_eq!(proof, ref_subproof::<B>(m as usize, &b.leaves, true));
        let mid = m + rng.below(n - m + 1);
        let p2 = reader.consistency_proof(m, mid).unwrap();
        assert_eq!(
            p2,
            ref_subproof::<B>(m as usize, &b.leaves[..mid as usize], true)
        );
        verify_consistency::<B>(m, mid, &p2, &b.roots[m as usize], &b.roots[mid as usize]).unwrap();

        let root1 = b.roots[m as usize];
        // Mutations of the hashes.
        for j in 0..proof.len() {
            let mut bad = proof.clone();
            bad[j] = flip(&bad[j], rng.below(256) as usize);
            assert!(verify_consistency::<B>(m, n, &bad, &root1, &root2).is_err());
        }
        let bit = rng.below(256) as usize;
        assert!(verify_consistency::<B>(m, n, &proof, &flip(&root1, bit), &root2).is_err());
        assert!(verify_consistency::<B>(m, n, &proof, &root1, &flip(&root2, bit)).is_err());
        if root1 != root2 {
            assert!(verify_consistency::<B>(m, n, &proof, &root2, &root1).is_err());
        }
        if let Some((_, shorter)) = proof.split_last() {
            assert!(verify_consistency::<B>(m, n, shorter, &root1, &root2).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root1);
        assert!(verify_consistency::<B>(m, n, &longer, &root1, &root2).is_err());
        // Other sizes: never verifies unless the proof has the length the other sizes need.
        for (m2, n2) in [
            (m - 1, n),
            (m + 1, n),
            (m, n - 1),
            (m, n + 1),
            (m, 2 * n),
            (m / 2, n),
            (m ^ (1 << rng.below(11)), n),
            (m, n ^ (1 << rng.below(11))),
            (n, m),
            (0, n),
            (m, u64::MAX),
        ] {
            if (m2, n2) == (m, n) {
                continue;
            }
            let ok = verify_consistency::<B>(m2, n2, &proof, &root1, &root2).is_ok();
            if ok {
                assert!(
                    m2 >= 1 && m2 <= n2 && ref_proof_len(m2, n2, true) == proof.len(),
                    "consistency proof {m} -> {n} verified as {m2} -> {n2}"
                );
            }
            if m2 == 0 || m2 > n2 {
                assert!(!ok);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unit tests.

#[test]
fn hashers_follow_rfc_9162_construction() {
    assert_eq!(B::empty_root(), Hash::from(blake3::hash(b"")));
    assert_eq!(B::leaf(b"abc"), Hash::from(blake3::hash(b"\x00abc")));
    let (l, r) = (B::leaf(b"l"), B::leaf(b"r"));
    let mut input = vec![1u8];
    input.extend_from_slice(l.as_bytes());
    input.extend_from_slice(r.as_bytes());
    assert_eq!(B::node(&l, &r), Hash::from(blake3::hash(&input)));
    assert_ne!(B::node(&l, &r), B::node(&r, &l));

    assert_eq!(
        hex::encode(Sha256::empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex::encode(Sha256::leaf(b"")),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
    assert_eq!(B::output_from_slice(&[7; 32]), Some(Hash([7; 32])));
    assert_eq!(B::output_from_slice(&[7; 31]), None);
    assert_eq!(Sha256::output_from_slice(&[7; 33]), None);
}

#[test]
fn empty_log() {
    let b = build(0, 1, 0, true);
    assert_eq!(b.log.root(), B::empty_root());
    assert!(b.log.frontier().is_empty());
    assert!(b.log.take_dirty_tiles_is_empty_for_test());
    let reader = b.log.reader(&b.store);
    assert_eq!(reader.root_at(0).unwrap(), B::empty_root());
    assert!(matches!(reader.root_at(1), Err(Error::Log(_))));
    assert!(matches!(reader.inclusion_proof(0, 0), Err(Error::Log(_))));
    assert!(matches!(reader.consistency_proof(0, 0), Err(Error::Log(_))));
    let opened = MerkleLog::<B>::open(&b.store, 0).unwrap();
    assert_eq!(opened.root(), B::empty_root());
    assert!(matches!(
        MerkleLog::<B>::open(&b.store, 1),
        Err(Error::Log(_))
    ));
}

impl<H: LogHasher> MerkleLog<H> {
    fn take_dirty_tiles_is_empty_for_test(&self) -> bool {
        let mut c = self.clone();
        !c.has_dirty_tiles() && c.take_dirty_tiles().is_empty()
    }
}

#[test]
fn small_logs_exhaustively() {
    let mut rng = Rng(7);
    for n in 0..=40 {
        for flush_every in [0, 1, 5] {
            let b = build(n, n + 100, flush_every, flush_every == 5);
            check_roots(&b, &mut rng);
            check_inclusion(&b, &mut rng);
            check_consistency(&b, &mut rng);
            for m in 1..=n {
                for i in 0..m {
                    assert_eq!(
                        b.log.reader(&b.store).inclusion_proof(i, m).unwrap(),
                        ref_path::<B>(i as usize, &b.leaves[..m as usize])
                    );
                }
                for n2 in m..=n {
                    assert_eq!(
                        b.log.reader(&b.store).consistency_proof(m, n2).unwrap(),
                        ref_subproof::<B>(m as usize, &b.leaves[..n2 as usize], true)
                    );
                }
            }
        }
    }
}

#[test]
fn dirty_tiles_are_handed_out_once() {
    let mut log = MerkleLog::<B>::new();
    let mut store = MemTileStore::new();
    for i in 0..256 {
        log.append(&data(0, i));
    }
    assert!(log.has_dirty_tiles());
    let ids = |t: &[(TileId, Arc<Tile<B>>)]| {
        let mut v: Vec<(u8, u64, usize)> = t
            .iter()
            .map(|(id, tile)| (id.level, id.index, tile.width()))
            .collect();
        v.sort_unstable();
        v
    };
    let t = log.take_dirty_tiles();
    assert_eq!(ids(&t), vec![(0, 0, 256), (1, 0, 1)]);
    store.insert_all(t);
    assert!(!log.has_dirty_tiles());
    assert!(log.take_dirty_tiles().is_empty());

    log.append(&data(0, 256));
    let t = log.take_dirty_tiles();
    assert_eq!(ids(&t), vec![(0, 1, 1)]);
    store.insert_all(t);

    for i in 257..600 {
        log.append(&data(0, i));
    }
    // (0,1) completed while dirty, (0,2) partial, (1,0) grew to 2.
    let t = log.take_dirty_tiles();
    assert_eq!(ids(&t), vec![(0, 1, 256), (0, 2, 88), (1, 0, 2)]);
    store.insert_all(t);

    // Reads before a flush see the log's tiles; after a take they need the store.
    log.append(&data(0, 600));
    let reader = log.reader(&store);
    let proof = reader.inclusion_proof(600, 601).unwrap();
    verify_inclusion::<B>(&B::leaf(&data(0, 600)), 600, 601, &proof, &log.root()).unwrap();
    let lost = log.take_dirty_tiles();
    assert_eq!(ids(&lost), vec![(0, 2, 89)]);
    let reader = log.reader(&store);
    // Tile (0,2) is still the log's rightmost tile, so it is still readable without the store.
    assert!(reader.inclusion_proof(600, 601).is_ok());
    // A store missing a tile gives an error, not a panic.
    let empty = MemTileStore::<B>::new();
    let reader = LogReader::new(&empty, 601);
    assert!(matches!(reader.inclusion_proof(3, 601), Err(Error::Log(_))));
    assert!(matches!(reader.root_at(601), Err(Error::Log(_))));
    assert!(matches!(
        MerkleLog::<B>::open(&empty, 601),
        Err(Error::Log(_))
    ));
}

#[test]
fn tile_encoding_and_paths() {
    let hashes: Vec<Hash> = (0..37).map(|i| B::leaf(&[i])).collect();
    let tile = Tile::<B>::from_hashes(hashes.clone()).unwrap();
    assert_eq!(tile.width(), 37);
    assert!(!tile.is_full());
    assert_eq!(tile.hashes(), &hashes[..]);
    let bytes = tile.to_bytes();
    assert_eq!(bytes.len(), 37 * 32);
    assert_eq!(&bytes[32..64], hashes[1].as_bytes());
    assert_eq!(Tile::<B>::from_bytes(&bytes).unwrap(), tile);
    // Interior: height 2, index 3 = MTH(hashes[12..16]); height 5, index 0 = MTH(hashes[..32]).
    assert_eq!(
        tile.node(2, 3),
        Some(root_from_leaves::<B>(&hashes[12..16]))
    );
    assert_eq!(tile.node(5, 0), Some(root_from_leaves::<B>(&hashes[..32])));
    assert_eq!(tile.node(5, 1), None);
    assert_eq!(tile.node(8, 0), None);
    assert_eq!(tile.node(0, 37), None);

    assert!(Tile::<B>::from_bytes(&[]).is_err());
    assert!(Tile::<B>::from_bytes(&[0; 33]).is_err());
    assert!(Tile::<B>::from_bytes(&vec![0; 257 * 32]).is_err());
    assert!(Tile::<B>::from_hashes(Vec::new()).is_err());
    assert!(Tile::<B>::from_bytes(&vec![0; 256 * 32]).unwrap().is_full());

    assert_eq!(TileId::new(0, 1_234_067).path(256), "tile/0/x001/x234/067");
    assert_eq!(
        TileId::new(0, 1_234_067).path(8),
        "tile/0/x001/x234/067.p/8"
    );
    assert_eq!(TileId::new(1, 0).path(256), "tile/1/000");
    assert_eq!(TileId::new(2, 1000).path(1), "tile/2/x001/000.p/1");
}

#[test]
fn two_tile_levels_and_reopen() {
    // 70,000 leaves: tile levels 0 (274 tiles), 1 (2 tiles), 2 (1 tile, the first 65,536 leaves).
    const N: u64 = 70_000;
    let mut rng = Rng(99);
    let b = build(N, 5, 4_321, true);
    assert_eq!(b.log.root(), root_from_leaves::<B>(&b.leaves));
    assert_eq!(b.store.len(), 274 + 2 + 1);

    // The tiles are the C2SP tiles: level-L base hash j = MTH of leaves j*256^L .. (j+1)*256^L.
    for level in 0..3u8 {
        let span = 1usize << (8 * level);
        let count = N as usize / span;
        for index in 0..count.div_ceil(256) {
            let tile = b
                .store
                .get_tile(TileId::new(level, index as u64))
                .unwrap()
                .unwrap();
            let width = (count - index * 256).min(256);
            assert_eq!(tile.width(), width, "tile {level}/{index}");
            for j in [0, width / 2, width - 1] {
                let start = (index * 256 + j) * span;
                assert_eq!(
                    tile.hashes()[j],
                    root_from_leaves::<B>(&b.leaves[start..start + span]),
                    "tile {level}/{index} hash {j}"
                );
            }
        }
    }

    let reader = b.log.reader(&b.store);
    for i in (0..N).step_by(97).chain([65_535, 65_536, 69_999]) {
        let proof = reader.inclusion_proof(i, N).unwrap();
        verify_inclusion::<B>(&b.leaves[i as usize], i, N, &proof, &b.roots[N as usize]).unwrap();
    }
    for i in [0, 255, 256, 65_535, 65_536, 69_999, rng.below(N)] {
        assert_eq!(
            reader.inclusion_proof(i, N).unwrap(),
            ref_path::<B>(i as usize, &b.leaves)
        );
    }
    for m in [1, 256, 257, 65_535, 65_536, 65_537, rng.below(N) + 1] {
        let proof = reader.consistency_proof(m, N).unwrap();
        assert_eq!(proof, ref_subproof::<B>(m as usize, &b.leaves, true));
        verify_consistency::<B>(m, N, &proof, &b.roots[m as usize], &b.roots[N as usize]).unwrap();
    }
    for m in (1..=N).step_by(89) {
        assert_eq!(reader.root_at(m).unwrap(), b.roots[m as usize]);
        let proof = reader.consistency_proof(m, N).unwrap();
        verify_consistency::<B>(m, N, &proof, &b.roots[m as usize], &b.roots[N as usize]).unwrap();
    }

    // Reopen at earlier sizes from the store of the full log (wider tiles are cut down), then
    // append the same leaves again: same roots, and the tiles rewritten are the stored ones.
    for cut in [1, 255, 256, 257, 65_535, 65_536, 65_537, 69_999, N] {
        let mut log = MerkleLog::<B>::open(&b.store, cut).unwrap();
        assert_eq!(log.size(), cut);
        assert_eq!(log.root(), b.roots[cut as usize], "open at {cut}");
        assert!(!log.has_dirty_tiles());
        let end = (cut + 600).min(N);
        for i in cut..end {
            log.append(&data(5, i));
            assert_eq!(log.root(), b.roots[i as usize + 1]);
        }
        for (id, tile) in log.take_dirty_tiles() {
            let stored = b.store.get_tile(id).unwrap().unwrap();
            assert_eq!(
                *tile,
                stored.truncated(tile.width()),
                "tile {id} after reopening at {cut}"
            );
        }
        // A log opened at `cut` answers only up to `cut`.
        let short = LogReader::new(&b.store, cut);
        assert!(matches!(short.root_at(cut + 1), Err(Error::Log(_))));
        assert_eq!(short.root_at(cut).unwrap(), b.roots[cut as usize]);
    }
    assert!(matches!(
        MerkleLog::<B>::open(&b.store, N + 1),
        Err(Error::Log(_))
    ));
    assert!(matches!(
        MerkleLog::<B>::open(&b.store, u64::MAX),
        Err(Error::Log(_))
    ));
}

#[test]
fn sha256_log_matches_rfc6962_reference_tree() {
    // The RFC 6962 test tree (as in the transparency-dev / certificate-transparency test data).
    let inputs: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let mut log = MerkleLog::<Sha256>::new();
    let store = MemTileStore::<Sha256>::new();
    for (d, want) in inputs.iter().zip(roots) {
        log.append(d);
        assert_eq!(hex::encode(log.root()), want);
    }
    let reader = log.reader(&store);
    for (m, want) in roots.iter().enumerate() {
        assert_eq!(hex::encode(reader.root_at(m as u64 + 1).unwrap()), *want);
    }
    // RFC 6962 reference paths: leaf 0 in size 8, consistency 6 -> 8.
    let path: Vec<String> = reader
        .inclusion_proof(0, 8)
        .unwrap()
        .iter()
        .map(hex::encode)
        .collect();
    assert_eq!(
        path,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests.

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_logs_match_the_rfc(
        n in 0u64..2_000,
        seed in any::<u64>(),
        flush_every in 0u64..700,
        flush_end in any::<bool>(),
    ) {
        let b = build(n, seed, flush_every, flush_end);
        let mut rng = Rng(seed);
        check_roots(&b, &mut rng);
        check_inclusion(&b, &mut rng);
        check_consistency(&b, &mut rng);

        // Reopen from the store (after writing what is left) and continue like the original.
        let mut original = b.log.clone();
        let mut store = b.store.clone();
        store.insert_all(original.take_dirty_tiles());
        let mut reopened = MerkleLog::<B>::open(&store, n).unwrap();
        prop_assert_eq!(reopened.root(), original.root());
        prop_assert_eq!(reopened.frontier(), original.frontier());
        for i in n..n + 300 {
            prop_assert_eq!(original.append(&data(seed, i)), reopened.append(&data(seed, i)));
        }
        prop_assert_eq!(reopened.root(), original.root());
        let mut a = original.take_dirty_tiles();
        let mut c = reopened.take_dirty_tiles();
        a.sort_by_key(|(id, _)| *id);
        c.sort_by_key(|(id, _)| *id);
        prop_assert_eq!(a, c);
    }

    #[test]
    fn arbitrary_arguments_never_panic(
        n in 0u64..600,
        index in prop_oneof![0u64..1_000, any::<u64>()],
        size in prop_oneof![0u64..1_000, any::<u64>()],
        level in prop_oneof![0u32..20, any::<u32>()],
        proof_len in 0usize..70,
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let b = build(n, index, 100, n % 2 == 0);
        let reader = b.log.reader(&b.store);
        let proof: Vec<Hash> = (0..proof_len).map(|i| B::leaf(&[i as u8])).collect();
        let root = b.log.root();
        let leaf = B::leaf(&bytes);
        let _ = reader.inclusion_proof(index, size);
        let _ = reader.consistency_proof(index, size);
        let _ = reader.root_at(size);
        let _ = reader.leaf_hash(index);
        let _ = reader.subtree_hash(level, index);
        let _ = verify_inclusion::<B>(&leaf, index, size, &proof, &root);
        let _ = verify_consistency::<B>(index, size, &proof, &root, &root);
        let _ = verify_inclusion::<Sha256>(&[0; 32], index, size, &[[1; 32]; 3], &[0; 32]);
        let _ = Tile::<B>::from_bytes(&bytes);
        let _ = TileId::new(level as u8, index).path(bytes.len());
        // Opening succeeds exactly for the sizes the store covers.
        let opened = MerkleLog::<B>::open(&b.log.overlay(&b.store), size);
        prop_assert_eq!(opened.is_ok(), size <= n);
        if let Ok(log) = opened {
            prop_assert_eq!(log.root(), b.roots[size as usize]);
        }
        // Subtree hashes: exactly the complete subtrees inside the log.
        let sub = reader.subtree_hash(level % 12, index % 600);
        let (l, i) = (level % 12, index % 600);
        let complete = (i + 1).checked_shl(l).is_some_and(|end| end <= n);
        prop_assert_eq!(sub.is_ok(), complete);
        if let Ok(h) = sub {
            let start = (i << l) as usize;
            prop_assert_eq!(h, root_from_leaves::<B>(&b.leaves[start..start + (1 << l)]));
        }
    }
}

#[test]
fn store_with_bad_tiles_gives_errors() {
    let b = build(1_000, 3, 0, true);
    // A store whose rightmost level-0 tile is narrower than the size needs.
    let mut store = b.store.clone();
    let narrow = Tile::<B>::from_hashes(b.leaves[768..800].to_vec()).unwrap();
    store.insert(TileId::new(0, 3), Arc::new(narrow));
    assert!(matches!(
        MerkleLog::<B>::open(&store, 1_000),
        Err(Error::Log(_))
    ));
    let reader = LogReader::new(&store, 1_000);
    assert!(matches!(
        reader.inclusion_proof(999, 1_000),
        Err(Error::Log(_))
    ));
    assert!(matches!(reader.root_at(1_000), Err(Error::Log(_))));
    assert!(reader.root_at(800).is_ok());
}
