//! Tests: every table on both stores, a realistic log flow with proofs, ordering checks, crash
//! atomicity (dropped handles, dropped writes, and a child process killed mid-commit), and a
//! proptest of the state table against a model.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use liangxin_types::encoding::{BoundedBytes, BoundedVec};
use liangxin_types::log::{
    Blake3, LogHasher, LogReader, MemTileStore, MerkleLog, TileId, TileStore, verify_consistency,
    verify_inclusion,
};
use liangxin_types::tx::{TxBody, tx_id};
use liangxin_types::{
    BlockBody, BlockHeader, Canonical, ChainId, Domain, Hash, RecordKind, SignedTx, SigningKey,
    Uscc,
};
use proptest::prelude::*;

use crate::store::{get, scan};
use crate::tables::{Entries, Headers, Table};
use crate::{BlockWrite, Error, MemStore, Region, RocksOptions, RocksStore, Store, TableId};

fn chain() -> ChainId {
    ChainId::new("liangxin-dev").unwrap()
}

fn uscc(s: &str) -> Uscc {
    Uscc::parse_override(s).unwrap()
}

fn rocks() -> (tempfile::TempDir, RocksStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    (dir, store)
}

/// Canonical bytes of a signed transaction.
fn signed_tx(key: &SigningKey, seq: u64, kind: u16, payload: Vec<u8>) -> Vec<u8> {
    let body = TxBody {
        chain_id: chain(),
        signer: key.public_key(),
        seq,
        kind: RecordKind(kind),
        payload: BoundedBytes::new(payload).unwrap(),
    };
    SignedTx::sign(body, key).unwrap().to_canonical().unwrap()
}

/// A chain being built: the log, the tiles written so far (as a `MemTileStore`) and the tip.
struct Chain {
    log: MerkleLog<Blake3>,
    tiles: MemTileStore<Blake3>,
    height: u64,
    parent: Hash,
    seq: u64,
    key: SigningKey,
}

impl Chain {
    fn new() -> Self {
        Chain {
            log: MerkleLog::new(),
            tiles: MemTileStore::new(),
            height: 0,
            parent: Hash::ZERO,
            seq: 0,
            key: SigningKey::dev("storage-test"),
        }
    }

    /// Reopens a chain from a store (after a restart).
    fn resume<S: Store>(store: &S) -> Self {
        let height = store.latest_height().unwrap();
        let parent = match store.header(height).unwrap() {
            Some(h) => h.hash().unwrap(),
            None => Hash::ZERO,
        };
        Chain {
            log: store.open_log().unwrap(),
            tiles: MemTileStore::new(),
            height,
            parent,
            seq: store.log_size().unwrap(),
            key: SigningKey::dev("storage-test"),
        }
    }

    /// The next block with `n` transactions, with its tiles, state writes and index rows.
    fn next_block(&mut self, n: usize) -> BlockWrite {
        let height = self.height + 1;
        let mut txs = Vec::new();
        for _ in 0..n {
            let payload = format!("record {} at height {height}", self.seq).into_bytes();
            txs.push(signed_tx(
                &self.key,
                self.seq,
                (self.seq % 7) as u16,
                payload,
            ));
            self.seq += 1;
        }
        let first = self.log.size();
        for tx in &txs {
            self.log.append(tx);
        }
        let tiles = self.log.take_dirty_tiles();
        self.tiles.insert_all(tiles.clone());
        let body = BlockBody {
            txs: BoundedVec::new(
                txs.iter()
                    .map(|t| BoundedBytes::new(t.clone()).unwrap())
                    .collect(),
            )
            .unwrap(),
        };
        let header = BlockHeader {
            chain_id: chain(),
            height,
            view: height,
            parent: self.parent,
            time: 1_767_225_600 + height,
            proposer: self.key.public_key().into(),
            seed_proof: liangxin_types::VrfProof::ZERO,
            tx_count: txs.len() as u32,
            body_hash: body.hash().unwrap(),
            log_size: self.log.size(),
            log_root: self.log.root(),
            state_root: Domain::State.hash(&height.to_be_bytes()),
        };
        self.parent = header.hash().unwrap();
        self.height = height;
        let mut w = BlockWrite::new(header, body);
        w.tiles(tiles)
            .checkpoint(format!("liangxin-dev\n{height}\n"))
            .state_put(b"height".to_vec(), height.to_be_bytes().to_vec());
        for (i, tx) in txs.into_iter().enumerate() {
            let leaf = first + i as u64;
            w.entry(leaf, tx_id(&tx), tx)
                .operator_entry(uscc(&format!("91110108{:010}", leaf % 3)), leaf);
        }
        w
    }
}

/// Every table is consistent with the latest height: headers and first leaves exactly at
/// `1..=latest` (each body the entries from its first leaf to its header's log size),
/// the log size that of the latest header, the entries exactly `0..log_size` with their tx index
/// rows, and the log reopened from the tiles gives the latest header's root.
fn check_consistent<S: Store>(store: &S) {
    let latest = store.latest_height().unwrap();
    let mut first = 0;
    for h in 1..=latest {
        let block = store.block(h).unwrap().expect("block missing");
        assert_eq!(
            block.body.hash().unwrap(),
            block.header.body_hash,
            "body {h}"
        );
        assert!(block.header.log_size >= first);
        first = block.header.log_size;
    }
    let last_header = store
        .last_raw(TableId::Headers)
        .unwrap()
        .map(|(k, _)| Headers::decode_key(&k).unwrap());
    assert_eq!(last_header, (latest > 0).then_some(latest));
    let last_body = store
        .last_raw(TableId::BlockLeaves)
        .unwrap()
        .map(|(k, _)| k);
    assert_eq!(
        last_body,
        (latest > 0).then(|| latest.to_be_bytes().to_vec())
    );
    let size = store.log_size().unwrap();
    if latest > 0 {
        assert_eq!(store.header(latest).unwrap().unwrap().log_size, size);
    }
    let mut leaf = 0;
    while leaf < size {
        let chunk = store.entries(leaf, size).unwrap();
        assert!(!chunk.is_empty());
        for bytes in &chunk {
            let loc = store.tx_location(&tx_id(bytes)).unwrap().unwrap();
            assert_eq!(loc.leaf_index, leaf);
            assert!(loc.height <= latest);
            leaf += 1;
        }
    }
    let last_entry = store
        .last_raw(TableId::Entries)
        .unwrap()
        .map(|(k, _)| Entries::decode_key(&k).unwrap());
    assert_eq!(last_entry, size.checked_sub(1));
    store.open_log().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Round trips of every table, on both stores.

fn round_trip<S: Store>(store: &S) {
    // Empty store.
    assert_eq!(store.committed_height().unwrap(), None);
    assert_eq!(store.latest_height().unwrap(), 0);
    assert_eq!(store.log_size().unwrap(), 0);
    assert_eq!(store.chain_id().unwrap(), None);
    assert_eq!(store.checkpoint(None).unwrap(), None);
    assert_eq!(store.header(1).unwrap(), None);
    assert_eq!(store.block(1).unwrap(), None);

    // Genesis: chain id, hash, initial state and a region listing.
    let genesis_hash = Domain::Header.hash(b"genesis");
    let op_a = uscc("911101080000000001");
    let op_b = uscc("911101050000000002");
    let op_c = uscc("913101150000000003");
    let mut g = BlockWrite::genesis(chain(), genesis_hash);
    g.state_put(b"a/1".to_vec(), b"one".to_vec())
        .state_put(b"a/2".to_vec(), b"two".to_vec())
        .state_put(b"b/1".to_vec(), b"bee".to_vec())
        .region_operator(Region::of(&op_a), op_a.clone())
        .region_operator(Region::of(&op_b), op_b.clone())
        .region_operator(Region::parse("310115").unwrap(), op_c.clone());
    assert_eq!(g.height(), 0);
    assert!(g.header().is_none());
    store.commit(&g).unwrap();
    assert_eq!(store.committed_height().unwrap(), Some(0));
    assert_eq!(store.latest_height().unwrap(), 0);
    assert_eq!(store.chain_id().unwrap(), Some(chain()));
    assert_eq!(store.genesis_hash().unwrap(), Some(genesis_hash));

    // Block 1 with entries, indexes, state writes and a checkpoint; block 2 with none.
    let mut c = Chain::new();
    let mut w = c.next_block(5);
    let header = w.header().unwrap().clone();
    let cert = Domain::TxId.hash(b"certificate");
    w.instrument_entry(b"ab".to_vec(), 1)
        .instrument_entry(b"ab".to_vec(), 3)
        .instrument_entry(b"a".to_vec(), 2)
        .instrument_entry(Vec::new(), 4)
        .certificate_entry(cert, 4)
        .state_delete(b"a/2".to_vec())
        .state_put(b"a/3".to_vec(), b"three".to_vec())
        .state_writes([
            (b"b/1".to_vec(), Some(b"bee2".to_vec())),
            (b"c".to_vec(), Some(Vec::new())),
        ]);
    store.commit(&w).unwrap();
    let w2 = c.next_block(0);
    store.commit(&w2).unwrap();

    assert_eq!(store.latest_height().unwrap(), 2);
    assert_eq!(store.log_size().unwrap(), 5);
    assert_eq!(store.header(1).unwrap(), Some(header.clone()));
    assert_eq!(get::<Headers, _>(store, &1).unwrap(), Some(header.clone()));
    let block = store.block(1).unwrap().unwrap();
    block.check_body().unwrap();
    assert_eq!(block.header, header);
    assert_eq!(store.body(1).unwrap().unwrap().txs.len(), 5);
    assert_eq!(store.body(3).unwrap(), None);
    assert_eq!(
        store.checkpoint(Some(1)).unwrap().as_deref(),
        Some("liangxin-dev\n1\n")
    );
    assert_eq!(
        store.checkpoint(None).unwrap().as_deref(),
        Some("liangxin-dev\n2\n")
    );
    assert_eq!(store.checkpoint(Some(0)).unwrap(), None);

    // Entries and the transaction index.
    let entries = store.entries(0, 100).unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(store.entries(2, 4).unwrap(), entries[2..4].to_vec());
    assert_eq!(store.entries(4, 2).unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(store.entries(5, 9).unwrap(), Vec::<Vec<u8>>::new());
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(store.entry(i as u64).unwrap().as_ref(), Some(e));
        let loc = store.tx_location(&tx_id(e)).unwrap().unwrap();
        assert_eq!((loc.height, loc.leaf_index), (1, i as u64));
        SignedTx::from_canonical(e)
            .unwrap()
            .verify_signature()
            .unwrap();
    }
    assert_eq!(store.entry(5).unwrap(), None);
    assert_eq!(store.tx_location(&Hash::ZERO).unwrap(), None);
    let typed = scan::<Entries, _>(store, &[], &[], usize::MAX).unwrap();
    assert_eq!(typed.len(), 5);
    assert_eq!(typed[3], (3, entries[3].clone()));

    // State.
    assert_eq!(store.state_get(b"a/1").unwrap(), Some(b"one".to_vec()));
    assert_eq!(store.state_get(b"a/2").unwrap(), None);
    assert_eq!(store.state_get(b"c").unwrap(), Some(Vec::new()));
    assert_eq!(
        store.state_scan_prefix(b"a/").unwrap(),
        vec![
            (b"a/1".to_vec(), b"one".to_vec()),
            (b"a/3".to_vec(), b"three".to_vec())
        ]
    );
    assert_eq!(store.state_scan_prefix(b"").unwrap().len(), 5); // a/1 a/3 b/1 c height
    assert_eq!(
        store.state_scan_prefix(b"b").unwrap(),
        vec![(b"b/1".to_vec(), b"bee2".to_vec())]
    );
    assert_eq!(store.state_scan_prefix(b"z").unwrap(), vec![]);

    // Indexes.
    let by_op = |u: &Uscc, from, limit| {
        leaves_only(store, store.entries_of_operator(u, from, limit).unwrap())
    };
    assert_eq!(by_op(&uscc("911101080000000000"), 0, 10), vec![0, 3]);
    assert_eq!(by_op(&uscc("911101080000000001"), 0, 10), vec![1, 4]);
    assert_eq!(by_op(&uscc("911101080000000001"), 2, 10), vec![4]);
    assert_eq!(by_op(&uscc("911101080000000002"), 0, 1), vec![2]);
    assert_eq!(by_op(&op_c, 0, 10), Vec::<u64>::new());
    let by_inst =
        |k: &[u8], from| leaves_only(store, store.entries_of_instrument(k, from, 10).unwrap());
    assert_eq!(by_inst(b"ab", 0), vec![1, 3]);
    assert_eq!(by_inst(b"ab", 2), vec![3]);
    assert_eq!(by_inst(b"a", 0), vec![2], "no prefix confusion");
    assert_eq!(by_inst(b"", 0), vec![4]);
    assert_eq!(by_inst(b"abc", 0), Vec::<u64>::new());
    assert_eq!(store.certificate_entry(&cert).unwrap(), Some(4));
    assert_eq!(store.certificate_entry(&Hash::ZERO).unwrap(), None);
    assert_eq!(
        store.operators_in_region("11", 10).unwrap(),
        vec![op_b.clone(), op_a.clone()]
    );
    assert_eq!(store.operators_in_region("110108", 10).unwrap(), vec![op_a]);
    assert_eq!(store.operators_in_region("", 10).unwrap().len(), 3);
    assert_eq!(store.operators_in_region("", 1).unwrap(), vec![op_b]);
    assert_eq!(store.operators_in_region("31", 10).unwrap(), vec![op_c]);
    assert_eq!(store.operators_in_region("12", 10).unwrap(), vec![]);

    // Tiles.
    let tile = store.get_tile(TileId::new(0, 0)).unwrap().unwrap();
    assert_eq!(tile.width(), 5);
    assert_eq!(
        tile.to_bytes(),
        c.tiles
            .get_tile(TileId::new(0, 0))
            .unwrap()
            .unwrap()
            .to_bytes()
    );
    assert!(store.get_tile(TileId::new(0, 1)).unwrap().is_none());
    let reader = store.log_reader().unwrap();
    assert_eq!(reader.root_at(5).unwrap(), header.log_root);
    assert_eq!(store.open_log().unwrap().root(), header.log_root);
    check_consistent(store);
}

/// Rows held elsewhere, as the node's pending layer holds a block's writes.
#[derive(Debug)]
struct Shared(Vec<(Vec<u8>, Option<Vec<u8>>)>);

impl crate::StateRows for Shared {
    fn rows(&self) -> crate::RowIter<'_> {
        Box::new(self.0.iter().map(|(k, v)| (k.as_slice(), v)))
    }
}

fn shared_state_rows<S: Store>(store: &S) {
    let mut g = BlockWrite::genesis(chain(), Domain::Header.hash(b"genesis"));
    g.state_put(b"k/kept".to_vec(), b"0".to_vec())
        .state_put(b"k/gone".to_vec(), b"0".to_vec());
    store.commit(&g).unwrap();
    // Read once, so that the row cache (RocksStore) holds the rows the block then changes.
    assert_eq!(store.state_get(b"k/gone").unwrap(), Some(b"0".to_vec()));
    let mut c = Chain::new();
    let mut w = c.next_block(1);
    let shared: Arc<dyn crate::StateRows> = Arc::new(Shared(vec![
        (b"k/z".to_vec(), Some(b"shared".to_vec())),
        (b"k/gone".to_vec(), None),
        (b"k/a".to_vec(), Some(b"shared".to_vec())),
    ]));
    // Shared rows count as written after the others: the shared `k/a` wins.
    w.state_put(b"k/a".to_vec(), b"own".to_vec())
        .state_shared(Arc::clone(&shared));
    store.commit(&w).unwrap();
    assert_eq!(store.state_get(b"k/a").unwrap(), Some(b"shared".to_vec()));
    assert_eq!(store.state_get(b"k/z").unwrap(), Some(b"shared".to_vec()));
    assert_eq!(store.state_get(b"k/gone").unwrap(), None);
    assert_eq!(store.state_get(b"k/kept").unwrap(), Some(b"0".to_vec()));
    let keys: Vec<Vec<u8>> = store
        .state_scan_prefix(b"k/")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, [&b"k/a"[..], b"k/kept", b"k/z"]);
    // The write only borrowed the rows.
    assert_eq!(Arc::strong_count(&shared), 2);
    drop(w);
    assert_eq!(Arc::strong_count(&shared), 1);
}

#[test]
fn shared_state_rows_mem() {
    shared_state_rows(&MemStore::new());
}

#[test]
fn shared_state_rows_rocks() {
    let (_dir, store) = rocks();
    shared_state_rows(&store);
}

#[test]
fn round_trip_mem() {
    round_trip(&MemStore::new());
}

#[test]
fn round_trip_rocks() {
    let (_dir, store) = rocks();
    round_trip(&store);
}

#[test]
fn mem_and_rocks_hold_the_same_rows() {
    let mem = MemStore::new();
    let (_dir, store) = rocks();
    let mut c = Chain::new();
    for n in [3, 0, 300, 17] {
        let w = c.next_block(n);
        mem.commit(&w).unwrap();
        store.commit(&w).unwrap();
    }
    for &t in TableId::ALL {
        let a = mem.scan_raw(t, &[], &[], usize::MAX).unwrap();
        let b = store.scan_raw(t, &[], &[], usize::MAX).unwrap();
        assert_eq!(a, b, "table {}", t.name());
        assert_eq!(mem.last_raw(t).unwrap(), store.last_raw(t).unwrap());
    }
}

/// `get_many_raw` answers what `get_raw` answers for each key, in the keys' order: sorted
/// (RocksDB's sorted batch), unsorted, repeated and absent keys, in memtables and in flushed
/// table files alike.
#[test]
fn batched_reads_answer_like_single_reads() {
    let mem = MemStore::new();
    let (_dir, store) = rocks();
    let mut c = Chain::new();
    for (i, n) in [40, 7, 120].into_iter().enumerate() {
        let w = c.next_block(n);
        mem.commit(&w).unwrap();
        store.commit(&w).unwrap();
        if i == 1 {
            store.flush().unwrap();
        }
    }
    let present: Vec<Vec<u8>> = store
        .scan_raw(TableId::TxIndex, &[], &[], usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(present.len(), 167);
    let mut keys: Vec<Vec<u8>> = present.iter().step_by(3).cloned().collect();
    keys.push(vec![0xff; 32]);
    keys.insert(5, vec![0; 32]);
    let sorted = {
        let mut k = keys.clone();
        k.sort();
        k.dedup();
        k
    };
    let mut unsorted = keys.clone();
    unsorted.reverse();
    unsorted.push(keys[1].clone());
    fn check<S: Store>(s: &S, keys: &[Vec<u8>]) {
        let many = s.get_many_raw(TableId::TxIndex, keys).unwrap();
        let one: Vec<_> = keys
            .iter()
            .map(|k| s.get_raw(TableId::TxIndex, k).unwrap())
            .collect();
        assert_eq!(many, one);
        assert_eq!(
            many.iter().filter(|v| v.is_none()).count(),
            2.min(keys.len())
        );
    }
    for ks in [&sorted, &unsorted, &Vec::new()] {
        check(&mem, ks);
        check(&store, ks);
    }
}

#[test]
fn corrupt_rows_are_errors_not_panics() {
    // A value of the wrong shape decodes to an error naming the table.
    let err = Headers::decode_value(&[1, 2, 3]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Corrupt {
                table: "headers",
                ..
            }
        ),
        "{err}"
    );
    assert!(crate::tables::ByInstrument::decode_key(&[0, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert!(crate::tables::ByOperator::decode_key(&[0; 4]).is_err());
    assert!(crate::tables::Tiles::decode_value(&[0; 33]).is_err());
    assert!(crate::tables::Tiles::decode_key(&[0; 8]).is_err());
    assert!(crate::tables::Meta::decode_key(b"nope").is_err());
    assert!(Region::parse("1101").is_err());
    assert!(Region::parse("11010a").is_err());
}

// ---------------------------------------------------------------------------------------------
// A realistic flow: proofs from RocksDB tiles equal those from memory, before and after reopening.

fn check_proofs<S: TileStore<Blake3>>(
    store: &S,
    mem: &MemTileStore<Blake3>,
    roots: &[(u64, Hash)],
) {
    let (size, _) = *roots.last().unwrap();
    let reader = LogReader::<Blake3, _>::new(store, size);
    let mem_reader = LogReader::<Blake3, _>::new(mem, size);
    for &(m, root) in roots {
        assert_eq!(reader.root_at(m).unwrap(), root);
    }
    let leaf_hash = |i: u64| reader.leaf_hash(i).unwrap();
    for &(n, root_n) in roots.iter().filter(|(n, _)| *n > 0) {
        for i in (0..n).step_by(((n / 40) as usize).max(1)).chain([n - 1]) {
            let proof = reader.inclusion_proof(i, n).unwrap();
            assert_eq!(proof, mem_reader.inclusion_proof(i, n).unwrap());
            verify_inclusion::<Blake3>(&leaf_hash(i), i, n, &proof, &root_n).unwrap();
        }
        for &(m, root_m) in roots.iter().filter(|(m, _)| *m > 0 && *m <= n) {
            let proof = reader.consistency_proof(m, n).unwrap();
            assert_eq!(proof, mem_reader.consistency_proof(m, n).unwrap());
            verify_consistency::<Blake3>(m, n, &proof, &root_m, &root_n).unwrap();
        }
    }
}

#[test]
fn proofs_from_rocks_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Chain::new();
    let mut roots = vec![(0, Blake3::empty_root())];
    {
        let store = RocksStore::open(dir.path()).unwrap();
        // Enough leaves for full tiles at level 0 and a partial one at level 1.
        for n in [1, 2, 0, 253, 256, 300, 7, 511, 100] {
            let w = c.next_block(n);
            store.commit(&w).unwrap();
            roots.push((c.log.size(), c.log.root()));
            assert_eq!(
                store.log_reader().unwrap().root_at(c.log.size()).unwrap(),
                c.log.root()
            );
        }
        check_proofs(&store, &c.tiles, &roots);
        check_consistent(&store);
    }
    // A new handle on the same directory.
    let store = RocksStore::open(dir.path()).unwrap();
    check_proofs(&store, &c.tiles, &roots);
    let size = store.log_size().unwrap();
    assert_eq!(size, c.log.size());
    assert_eq!(MerkleLog::open(&store, size).unwrap().root(), c.log.root());
    // The reopened appender continues exactly like the original one.
    let mut reopened = store.open_log().unwrap();
    for i in 0..300u32 {
        reopened.append(&i.to_be_bytes());
        c.log.append(&i.to_be_bytes());
    }
    assert_eq!(reopened.root(), c.log.root());
    // Without the tile cache, and without the block cache (`block_cache_mb = 0`), the same
    // answers.
    drop(store);
    let store = RocksStore::open_with(
        dir.path(),
        RocksOptions {
            tile_cache_tiles: 0,
            block_cache_bytes: 0,
            ..RocksOptions::default()
        },
    )
    .unwrap();
    check_proofs(&store, &c.tiles, &roots);
}

// ---------------------------------------------------------------------------------------------
// Ordering: a duplicate or out-of-order write is rejected and writes nothing.

fn ordering<S: Store>(store: &S) {
    let mut c = Chain::new();
    let mut w1 = c.next_block(3);
    w1.state_put(b"k".to_vec(), b"v1".to_vec());
    store.commit(&w1).unwrap();

    // The same block again.
    let mut again = w1.clone();
    again.state_put(b"k".to_vec(), b"v2".to_vec());
    assert_eq!(
        store.commit(&again).unwrap_err(),
        Error::OutOfOrder {
            expected: 2,
            got: 1
        }
    );
    // A gap.
    let _w2 = c.next_block(2);
    let mut w3 = c.next_block(2);
    w3.state_put(b"gap".to_vec(), b"x".to_vec());
    let err = store.commit(&w3).unwrap_err();
    assert_eq!(
        err,
        Error::OutOfOrder {
            expected: 2,
            got: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot commit height 3: the next height is 2"
    );
    // Genesis after a block.
    let g = BlockWrite::genesis(chain(), Hash::ZERO);
    assert!(matches!(
        store.commit(&g),
        Err(Error::OutOfOrder { got: 0, .. })
    ));
    assert_eq!(store.latest_height().unwrap(), 1);
    assert_eq!(store.state_get(b"k").unwrap(), Some(b"v1".to_vec()));
    assert_eq!(store.state_get(b"gap").unwrap(), None);
    assert_eq!(store.header(3).unwrap(), None);
    assert_eq!(store.log_size().unwrap(), 3);
    assert_eq!(store.entry(5).unwrap(), None);

    // Inconsistent writes at the right height.
    let mut d = Chain::resume(store);
    let good = d.next_block(2);
    let header = good.header().unwrap().clone();
    let body = store.body(1).unwrap().unwrap();
    let mut bad = BlockWrite::new(header.clone(), body.clone());
    bad.entry(4, Hash::ZERO, vec![1])
        .entry(5, Hash::ZERO, vec![2]);
    assert!(matches!(
        store.commit(&bad),
        Err(Error::InvalidWrite { height: 2, .. })
    ));
    let mut bad = BlockWrite::new(header.clone(), body.clone());
    bad.entry(3, Hash::ZERO, vec![1]);
    let err = store.commit(&bad).unwrap_err();
    assert!(err.to_string().contains("log size"), "{err}");
    let mut bad = good.clone();
    bad.operator_entry(uscc("911101080000000001"), 5);
    assert!(matches!(
        store.commit(&bad),
        Err(Error::InvalidWrite { .. })
    ));
    let mut bad = good.clone();
    bad.instrument_entry(vec![0; 70_000], 4);
    assert!(matches!(
        store.commit(&bad),
        Err(Error::InvalidWrite { .. })
    ));
    let mut other = header.clone();
    other.chain_id = ChainId::new("elsewhere").unwrap();
    let mut bad = BlockWrite::new(other, body);
    bad.entry(3, Hash::ZERO, vec![1])
        .entry(4, Hash::ZERO, vec![2]);
    if store.chain_id().unwrap().is_some() {
        assert!(matches!(
            store.commit(&bad),
            Err(Error::InvalidWrite { .. })
        ));
    }
    assert_eq!(store.latest_height().unwrap(), 1);
    assert_eq!(store.log_size().unwrap(), 3);
    check_consistent(store);
    store.commit(&good).unwrap();
    assert_eq!(store.latest_height().unwrap(), 2);
    check_consistent(store);
}

#[test]
fn ordering_mem() {
    ordering(&MemStore::new());
}

#[test]
fn ordering_rocks() {
    let (_dir, store) = rocks();
    ordering(&store);
}

#[test]
fn wrong_chain_rejected() {
    let store = MemStore::new();
    store
        .commit(&BlockWrite::genesis(
            ChainId::new("other-chain").unwrap(),
            Hash::ZERO,
        ))
        .unwrap();
    let w = Chain::new().next_block(1);
    let err = store.commit(&w).unwrap_err();
    assert!(err.to_string().contains("chain"), "{err}");
    assert_eq!(store.latest_height().unwrap(), 0);
    assert_eq!(store.log_size().unwrap(), 0);
}

// ---------------------------------------------------------------------------------------------
// Crash atomicity.

#[test]
fn dropped_handle_and_dropped_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Chain::new();
    let tip_root;
    {
        let store = RocksStore::open(dir.path()).unwrap();
        for n in [10, 250, 0, 40] {
            store.commit(&c.next_block(n)).unwrap();
        }
        tip_root = c.log.root();
        // A full write built and dropped without commit: nothing of it may appear.
        let mut w = c.next_block(100);
        w.state_put(b"uncommitted".to_vec(), vec![1]);
        drop(w);
        drop(store);
    }
    let store = RocksStore::open(dir.path()).unwrap();
    assert_eq!(store.latest_height().unwrap(), 4);
    assert_eq!(store.log_size().unwrap(), 300);
    assert_eq!(store.state_get(b"uncommitted").unwrap(), None);
    assert_eq!(store.header(5).unwrap(), None);
    assert_eq!(store.entry(300).unwrap(), None);
    assert_eq!(store.open_log().unwrap().root(), tip_root);
    check_consistent(&store);
    // The chain continues from the reopened store.
    let mut d = Chain::resume(&store);
    store.commit(&d.next_block(5)).unwrap();
    check_consistent(&store);
}

const CRASH_DIR: &str = "LIANGXIN_STORAGE_CRASH_DIR";

/// Run by `killed_mid_commit` in a child process: commits blocks until it is killed.
#[test]
#[ignore = "run as a child process by killed_mid_commit"]
fn crash_child() {
    let Ok(dir) = std::env::var(CRASH_DIR) else {
        return;
    };
    let store = RocksStore::open(&dir).unwrap();
    let mut c = Chain::resume(&store);
    loop {
        let mut w = c.next_block(1 + (c.height as usize * 37) % 200);
        let h = c.height;
        w.state_put(format!("s/{h}").into_bytes(), vec![0; 100])
            .state_delete(format!("s/{}", h.saturating_sub(3)).into_bytes());
        store.commit(&w).unwrap();
        // Marker for the parent: a commit completed.
        std::fs::write(Path::new(&dir).join("progress"), h.to_string()).unwrap();
    }
}

#[test]
fn killed_mid_commit() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    for round in 0..3u64 {
        let mut child = std::process::Command::new(&exe)
            .args(["tests::crash_child", "--exact", "--ignored", "--quiet"])
            .env(CRASH_DIR, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for a few commits, then kill at an arbitrary moment.
        let start = std::time::Instant::now();
        loop {
            let done: u64 = std::fs::read_to_string(dir.path().join("progress"))
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if done >= last + 5 || start.elapsed().as_secs() > 20 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(7 * round + 3));
        child.kill().unwrap();
        child.wait().unwrap();
        let store = RocksStore::open(dir.path()).unwrap();
        let height = store.latest_height().unwrap();
        assert!(
            height >= last + 5,
            "round {round}: height {height} after {last}"
        );
        check_consistent(&store);
        // The state matches the latest height exactly.
        let rows = store.state_scan_prefix(b"s/").unwrap();
        let expect: Vec<u64> = (height.saturating_sub(2).max(1)..=height).collect();
        let mut got: Vec<u64> = rows
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(&k[2..]).parse().unwrap())
            .collect();
        got.sort();
        assert_eq!(got, expect);
        last = height;
    }
}

// ---------------------------------------------------------------------------------------------
// The state table against a model.

fn state_key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 0xff]), 0..4)
}

fn state_write() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
    (
        state_key(),
        prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 0..4)),
    )
}

fn all_keys() -> Vec<Vec<u8>> {
    let alphabet = [0u8, 1, 2, 0xff];
    let mut keys = vec![Vec::new()];
    let mut layer = vec![Vec::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for k in &layer {
            for b in alphabet {
                let mut k2: Vec<u8> = k.clone();
                k2.push(b);
                next.push(k2);
            }
        }
        keys.extend(next.iter().cloned());
        layer = next;
    }
    keys
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn state_matches_model(blocks in prop::collection::vec(prop::collection::vec(state_write(), 0..12), 1..6)) {
        let (_dir, rocks) = rocks();
        let mem = MemStore::new();
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut c = Chain::new();
        let keys = all_keys();
        for writes in blocks {
            let mut w = c.next_block(0);
            w.state_writes(writes.clone());
            for (k, v) in writes {
                match v {
                    Some(v) => model.insert(k, v),
                    None => model.remove(&k),
                };
            }
            // `next_block` also writes `height`; keep it in the model.
            model.insert(b"height".to_vec(), c.height.to_be_bytes().to_vec());
            rocks.commit(&w).unwrap();
            mem.commit(&w).unwrap();
            for prefix in keys.iter().filter(|k| k.len() <= 2) {
                let want: Vec<(Vec<u8>, Vec<u8>)> = model
                    .iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                prop_assert_eq!(&rocks.state_scan_prefix(prefix).unwrap(), &want);
                prop_assert_eq!(&mem.state_scan_prefix(prefix).unwrap(), &want);
            }
            for k in &keys {
                prop_assert_eq!(rocks.state_get(k).unwrap(), model.get(k).cloned());
                prop_assert_eq!(mem.state_get(k).unwrap(), model.get(k).cloned());
            }
            // Batched reads, most answered by the state row cache the single reads filled.
            let want: Vec<Option<Vec<u8>>> = keys.iter().map(|k| model.get(k).cloned()).collect();
            prop_assert_eq!(&rocks.get_many_raw(TableId::State, &keys).unwrap(), &want);
            prop_assert_eq!(&mem.get_many_raw(TableId::State, &keys).unwrap(), &want);
        }
        prop_assert_eq!(
            rocks.scan_raw(TableId::State, &[], &[], usize::MAX).unwrap(),
            mem.scan_raw(TableId::State, &[], &[], usize::MAX).unwrap()
        );
    }
}

/// Readers racing commits through the state row cache never see a row go back to an older
/// value, and see the last commit's value once it returned.
#[test]
fn state_reads_racing_commits_never_go_back() {
    const BLOCKS: u64 = 200;
    let (_dir, rocks) = rocks();
    let mut c = Chain::new();
    rocks
        .commit(&BlockWrite::genesis(chain(), Hash::ZERO))
        .unwrap();
    let height = |s: &RocksStore| -> u64 {
        s.state_get(b"height")
            .unwrap()
            .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()))
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..3)
            .map(|r| {
                let (rocks, done) = (&rocks, &done);
                scope.spawn(move || {
                    let (mut last, mut reads) = (0u64, 0u64);
                    while !done.load(std::sync::atomic::Ordering::Acquire) {
                        // Some readers go through the batched path.
                        let seen = if r == 0 {
                            let v = rocks
                                .get_many_raw(TableId::State, &[b"height".to_vec()])
                                .unwrap();
                            v[0].as_ref()
                                .map_or(0, |v| u64::from_be_bytes(v.clone().try_into().unwrap()))
                        } else {
                            height(rocks)
                        };
                        assert!(seen >= last, "reader {r} saw {seen} after {last}");
                        last = seen;
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for _ in 0..BLOCKS {
            rocks.commit(&c.next_block(0)).unwrap();
            // Whatever a reader saw before, the committed value is what is read now.
            assert_eq!(height(&rocks), c.height);
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
    });
    assert_eq!(height(&rocks), BLOCKS);
}

#[test]
fn tables_are_declared_once() {
    let names: Vec<&str> = TableId::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        [
            "meta",
            "headers",
            "block_leaves",
            "checkpoints",
            "entries",
            "tx_index",
            "tiles",
            "state",
            "by_operator",
            "by_instrument",
            "by_certificate",
            "by_region",
            "validator_sets"
        ]
    );
    assert_eq!(Headers::ID, TableId::Headers);
    let _ = Arc::new(());
}

/// Opens `path` as an earlier version of the node left it: plain RocksDB with uncompressed
/// table files, every table of this version plus the column families `extra`.
fn open_as_earlier_version(path: &std::path::Path, extra: &[&str]) -> rocksdb::DB {
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    opts.set_compression_type(rocksdb::DBCompressionType::None);
    let mut names: Vec<&str> = TableId::ALL.iter().map(|t| t.name()).collect();
    names.extend_from_slice(extra);
    rocksdb::DB::open_cf(&opts, path, &names).unwrap()
}

#[test]
fn a_legacy_state_tree_family_is_dropped_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        // A database as an earlier version left it: every table plus `state_tree`.
        let db = open_as_earlier_version(dir.path(), &["state_tree"]);
        let cf = db.cf_handle("state_tree").unwrap();
        db.put_cf(&cf, b"n-record", b"old").unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    assert_eq!(store.state_get(b"anything").unwrap(), None);
    drop(store);
    let families = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir.path()).unwrap();
    assert!(!families.iter().any(|f| f == "state_tree"), "{families:?}");
    // Opening again (nothing left to drop) works too.
    RocksStore::open(dir.path()).unwrap();
}

#[test]
fn a_body_that_is_not_the_entries_is_refused() {
    let store = MemStore::new();
    let mut c = Chain::new();
    let good = c.next_block(2);
    let block = good.block().unwrap();
    let txs: Vec<Vec<u8>> = block.body.txs.iter().map(|t| t.to_vec()).collect();
    let body = |order: &[usize]| BlockBody {
        txs: BoundedVec::new(order.iter().map(|&i| block.body.txs[i].clone()).collect()).unwrap(),
    };
    for wrong in [body(&[1, 0]), body(&[0]), body(&[0, 1, 1])] {
        let mut w = BlockWrite::new(block.header.clone(), wrong);
        for (i, tx) in txs.iter().enumerate() {
            w.entry(i as u64, tx_id(tx), tx.clone());
        }
        let err = store.commit(&w).unwrap_err();
        assert!(err.to_string().contains("new entries"), "{err}");
        assert_eq!(store.committed_height().unwrap(), None);
    }
    store.commit(&good).unwrap();
    assert_eq!(store.block(1).unwrap().unwrap(), block);
}

#[test]
fn legacy_bodies_become_first_leaves_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Chain::new();
    let mut blocks = Vec::new();
    {
        let store = RocksStore::open(dir.path()).unwrap();
        for n in [3, 0, 5, 1] {
            store.commit(&c.next_block(n)).unwrap();
        }
        for h in 1..=4 {
            blocks.push(store.block(h).unwrap().unwrap());
        }
    }
    {
        // The database as an earlier version left it: each body stored whole in `bodies`, no
        // first-leaf rows.
        let db = open_as_earlier_version(dir.path(), &["bodies"]);
        let bodies = db.cf_handle("bodies").unwrap();
        let leaves = db.cf_handle("block_leaves").unwrap();
        for b in &blocks {
            let key = b.header.height.to_be_bytes();
            db.put_cf(&bodies, key, b.body.to_canonical().unwrap())
                .unwrap();
            db.delete_cf(&leaves, key).unwrap();
        }
    }
    let store = RocksStore::open(dir.path()).unwrap();
    for b in &blocks {
        assert_eq!(&store.block(b.header.height).unwrap().unwrap(), b);
    }
    check_consistent(&store);
    drop(store);
    let families = rocksdb::DB::list_cf(&rocksdb::Options::default(), dir.path()).unwrap();
    assert!(!families.iter().any(|f| f == "bodies"), "{families:?}");
    // It goes on from there.
    let store = RocksStore::open(dir.path()).unwrap();
    store.commit(&c.next_block(2)).unwrap();
    check_consistent(&store);
}

#[test]
fn tables_are_compressed_and_files_of_uncompressed_versions_still_read() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Earlier versions wrote their table files uncompressed: one such file.
        let db = open_as_earlier_version(dir.path(), &[]);
        let cf = db.cf_handle(TableId::State.name()).unwrap();
        db.put_cf(&cf, b"written-uncompressed", b"by an earlier version")
            .unwrap();
        db.flush_cf(&cf).unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    assert_eq!(
        store.state_get(b"written-uncompressed").unwrap(),
        Some(b"by an earlier version".to_vec())
    );
    let mut chain = Chain::new();
    for _ in 0..20 {
        store.commit(&chain.next_block(200)).unwrap();
    }
    store.flush().unwrap();
    // Every entry reads back (from compressed files now).
    let raw: u64 = (0..chain.seq)
        .map(|i| store.entry(i).unwrap().unwrap().len() as u64)
        .sum();
    let entries = store
        .table_bytes()
        .unwrap()
        .into_iter()
        .find(|(t, _)| *t == TableId::Entries)
        .unwrap()
        .1;
    // Each entry is a signed record: 96 bytes of signature and key that compress little, the
    // rest text. Uncompressed, the table would hold more than the records themselves.
    assert!(
        entries * 10 < raw * 8,
        "entries table {entries} bytes for {raw} bytes of records"
    );
    check_consistent(&store);
}

/// The leaf indexes of index rows, checking that each row records its entry's height (as the
/// transaction index has it).
fn leaves_only<S: Store + ?Sized>(store: &S, rows: Vec<crate::IndexedLeaf>) -> Vec<u64> {
    rows.into_iter()
        .map(|r| {
            let height = r.height.expect("new index rows record the height");
            let first = get::<crate::tables::BlockLeaves, _>(store, &height)
                .unwrap()
                .unwrap();
            let end = store.header(height).unwrap().unwrap().log_size;
            assert!(
                (first..end).contains(&r.leaf_index),
                "leaf {} is not in block {height} (leaves {first}..{end})",
                r.leaf_index
            );
            r.leaf_index
        })
        .collect()
}

/// Every row of `table` in `[start, end)`, through [`Store::visit_raw`].
fn visit_range<S: Store>(store: &S, start: &[u8], end: Option<&[u8]>) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    store
        .visit_raw(TableId::State, start, end, &mut |k, _| {
            keys.push(k.to_vec());
            true
        })
        .unwrap();
    keys
}

#[test]
fn split_keys_cut_a_table_into_even_ranges_that_read_back_every_row_once() {
    // 150,000 rows of incompressible keys and values (about 7 MB of files).
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n.div_ceil(8))
            .flat_map(|_| {
                // xorshift64*
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes()
            })
            .take(n)
            .collect()
    };
    let rows: BTreeMap<Vec<u8>, Vec<u8>> = (0..150_000).map(|_| (noise(12), noise(32))).collect();
    let mut g = BlockWrite::genesis(chain(), Hash::ZERO);
    g.state_writes(rows.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
    let mem = MemStore::new();
    mem.commit(&g).unwrap();
    let (_dir, rocks) = rocks();
    rocks.commit(&g).unwrap();

    // A store that cannot estimate, and a table whose rows are still only in the memtable,
    // are not cut: one range, read whole.
    assert!(mem.split_keys(TableId::State, 8).unwrap().is_empty());
    assert!(rocks.split_keys(TableId::State, 8).unwrap().is_empty());

    rocks.flush().unwrap();
    let cuts = rocks.split_keys(TableId::State, 8).unwrap();
    assert_eq!(cuts.len(), 7, "cuts: {cuts:?}");
    assert!(cuts.windows(2).all(|w| w[0] < w[1]), "cuts ascend");
    assert!(
        rocks.split_keys(TableId::State, 1).unwrap().is_empty()
            && rocks.split_keys(TableId::Tiles, 8).unwrap().is_empty(),
        "one part, or a small table, is not cut"
    );
    // The ranges between the cuts hold every row once, in order, and about an eighth each.
    let mut bounds: Vec<&[u8]> = vec![&[]];
    bounds.extend(cuts.iter().map(Vec::as_slice));
    fn read_ranges<S: Store>(store: &S, bounds: &[&[u8]], rows: usize) -> Vec<Vec<u8>> {
        let mut read = Vec::new();
        for (i, &start) in bounds.iter().enumerate() {
            let keys = visit_range(store, start, bounds.get(i + 1).copied());
            let eighth = rows / 8;
            assert!(
                keys.len() > eighth / 2 && keys.len() < eighth * 3 / 2,
                "range {i} holds {} rows, an eighth is {eighth}",
                keys.len()
            );
            read.extend(keys);
        }
        read
    }
    for read in [
        read_ranges(&rocks, &bounds, rows.len()),
        read_ranges(&mem, &bounds, rows.len()),
    ] {
        assert!(read.iter().eq(rows.keys()), "every row once, in key order");
    }
    // A visit stops when told to, within a range too.
    let mut seen = 0;
    rocks
        .visit_raw(TableId::State, &cuts[2], Some(&cuts[3]), &mut |_, _| {
            seen += 1;
            seen < 10
        })
        .unwrap();
    assert_eq!(seen, 10);
}

#[test]
fn index_rows_of_earlier_versions_read_without_a_height() {
    let dir = tempfile::tempdir().unwrap();
    let op = uscc("911101080000000000");
    let mut key = op.as_str().as_bytes().to_vec();
    key.extend_from_slice(&7u64.to_be_bytes());
    {
        // Earlier versions wrote index rows with empty values.
        let db = open_as_earlier_version(dir.path(), &[]);
        let by_op = db.cf_handle(TableId::ByOperator.name()).unwrap();
        db.put_cf(&by_op, &key, b"").unwrap();
        let by_inst = db.cf_handle(TableId::ByInstrument.name()).unwrap();
        let mut ikey = crate::tables::InstrumentKey::prefix(b"meter").unwrap();
        ikey.extend_from_slice(&9u64.to_be_bytes());
        db.put_cf(&by_inst, &ikey, b"").unwrap();
        // And a damaged row: neither empty nor a height.
        let mut bad = uscc("911101080000000001").as_str().as_bytes().to_vec();
        bad.extend_from_slice(&1u64.to_be_bytes());
        db.put_cf(&by_op, &bad, [1, 2, 3]).unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    let legacy = |leaf_index| {
        vec![crate::IndexedLeaf {
            leaf_index,
            height: None,
        }]
    };
    assert_eq!(store.entries_of_operator(&op, 0, 10).unwrap(), legacy(7));
    assert_eq!(
        store.entries_of_instrument(b"meter", 0, 10).unwrap(),
        legacy(9)
    );
    let e = store
        .entries_of_operator(&uscc("911101080000000001"), 0, 10)
        .unwrap_err();
    assert!(e.to_string().contains("by_operator"), "{e}");
}
