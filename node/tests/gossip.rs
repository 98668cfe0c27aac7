//! Admission of gossiped transaction batches: valid batches are admitted and forwarded,
//! transactions already held are skipped before their signatures are checked again, and a
//! batch that is garbage or carries a forged transaction is rejected (not forwarded).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::Dev;
use liangxin_node::engine::{BlockConfig, Engine};
use liangxin_node::exec::load_tip;
use liangxin_node::gossip::{Batcher, TxBatch};
use liangxin_node::mempool::MempoolConfig;
use liangxin_node::network::admit_batch;
use liangxin_p2p::Validation;
use liangxin_storage::MemStore;
use liangxin_types::Canonical;

fn engine(dev: &Dev) -> Engine<MemStore> {
    let store = Arc::new(dev.fresh_store());
    let tip = load_tip(&*store).unwrap().unwrap();
    Engine::new(
        store,
        tip,
        Some(dev.validator.clone()),
        BlockConfig::default(),
        MempoolConfig::default(),
    )
}

fn batch(nonce: u64, txs: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Batcher::new(0, nonce);
    let mut sealed = None;
    for tx in txs {
        assert!(sealed.is_none());
        sealed = b.push(0, tx.clone());
    }
    sealed.or_else(|| b.seal()).unwrap().to_canonical().unwrap()
}

#[test]
fn batches_are_admitted_skipped_or_rejected() {
    let dev = Dev::new();
    let engine = engine(&dev);
    let (_, regs) = dev.registrations("gossip", 0, 7);
    let bytes: Vec<Vec<u8>> = regs[..5].iter().map(|t| t.bytes.clone()).collect();

    // Three valid transactions: admitted, the batch forwarded.
    assert_eq!(
        admit_batch(&engine, &batch(1, &bytes[..3])),
        Validation::Accept
    );
    for t in &regs[..3] {
        assert!(engine.pooled(&t.id).is_some());
    }
    assert_eq!(engine.metrics.submitted.get(), 3);

    // The same three again (a re-gossip, another nonce) plus two new: only the new ones go
    // through admission.
    assert_eq!(admit_batch(&engine, &batch(2, &bytes)), Validation::Accept);
    assert_eq!(engine.metrics.submitted.get(), 5);
    assert_eq!(engine.waiting(), 5);

    // A forged transaction (one signature bit flipped) spoils its batch.
    let more = &regs[5..];
    let mut forged = more[1].bytes.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        admit_batch(&engine, &batch(3, &[more[0].bytes.clone(), forged])),
        Validation::Reject
    );
    assert_eq!(engine.waiting(), 6, "the valid one before it is admitted");

    // Garbage, a truncated batch, and bytes that are not a transaction.
    assert_eq!(admit_batch(&engine, b"not a batch"), Validation::Reject);
    let good = batch(4, &bytes[..1]);
    assert_eq!(
        admit_batch(&engine, &good[..good.len() - 1]),
        Validation::Reject
    );
    assert_eq!(
        admit_batch(&engine, &batch(5, &[vec![0xff; 40]])),
        Validation::Reject
    );
    assert_eq!(engine.waiting(), 6);

    // A stale transaction (its sequence number taken by another waiting one) is not the
    // publisher's fault: ignored, and the batch still forwarded.
    let (_, other) = dev.registrations("other", 20, 1);
    assert_eq!(
        admit_batch(&engine, &batch(6, &[other[0].bytes.clone()])),
        Validation::Accept
    );
    assert_eq!(engine.waiting(), 6);
    let decoded = TxBatch::from_canonical(&batch(7, &bytes[..2])).unwrap();
    assert_eq!(decoded.nonce, 7);
}
