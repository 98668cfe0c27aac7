//! Executing a block on top of an uncommitted parent (what a validator does while the parent is
//! notarized but not yet final) gives exactly the block it gives after the parent is committed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Dev, pool_tx, uscc};

use std::sync::Arc;

use liangxin_node::exec::{build_block, load_tip, verify_block, verify_block_with};
use liangxin_node::mempool::PoolTx;
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder};
use liangxin_storage::Store;

#[test]
fn a_child_of_an_uncommitted_parent_is_the_same_block_as_after_the_commit() {
    let dev = Dev::new();
    let (genesis, chain, validator) = (&dev.genesis, &dev.chain, &dev.validator);
    // Block 1: the regulator registers five operators.
    let (operators, regs) = dev.registrations("layered", 0, 5);
    // Block 2: each operator files an instrument: it needs block 1's registrations in state.
    let filings: Vec<Arc<PoolTx>> = (0..5)
        .map(|i| {
            let id = builders::instrument(uscc(i), "9.1", "SN-0001").unwrap();
            let r = InstrumentRegistrationBuilder::new(id, "DJY-2226")
                .build()
                .unwrap();
            pool_tx(&operators[i], chain, 0, r)
        })
        .collect();

    let t = genesis.genesis_time.0 + 10;

    // Layered: block 2 executes over block 1's pending writes; nothing is committed.
    let store = dev.fresh_store();
    let tip0 = load_tip(&store).unwrap().unwrap();
    let b1 = build_block(&store, &[], &tip0, &regs, t, validator).unwrap();
    assert!(b1.outcomes.iter().all(|o| o.result.is_ok()));
    let b2 = build_block(
        &store,
        std::slice::from_ref(&b1.pending),
        &b1.tip,
        &filings,
        t + 1,
        validator,
    )
    .unwrap();
    assert!(
        b2.outcomes.iter().all(|o| o.result.is_ok()),
        "block 2 sees block 1's registrations: {:?}",
        b2.outcomes
            .iter()
            .map(|o| o.result.as_ref().err())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        store.committed_height().unwrap(),
        Some(0),
        "nothing was committed"
    );

    // Committed: the same two blocks, one after the other.
    let store2 = dev.fresh_store();
    let c1 = build_block(&store2, &[], &tip0, &regs, t, validator).unwrap();
    store2.commit(&c1.write).unwrap();
    let c2 = build_block(&store2, &[], &c1.tip, &filings, t + 1, validator).unwrap();
    assert_eq!(b1.tip.checkpoint, c1.tip.checkpoint);
    assert_eq!(
        b2.tip.checkpoint, c2.tip.checkpoint,
        "same log and state roots either way"
    );

    // And the layered block commits cleanly once its parent has.
    store.commit(&b1.write).unwrap();
    store.commit(&b2.write).unwrap();
    let tip = load_tip(&store).unwrap().unwrap();
    assert_eq!(tip.height, 2);
    assert_eq!(tip.state_root(), c2.tip.state_root());
}

#[test]
fn a_received_block_is_verified_by_re_execution_and_tampering_is_caught() {
    let dev = Dev::new();
    let (genesis, validator) = (&dev.genesis, &dev.validator);
    let (_, regs) = dev.registrations("verify", 100, 3);
    // The proposer builds block 1; another validator with its own store verifies it.
    let proposer = dev.fresh_store();
    let tip0 = load_tip(&proposer).unwrap().unwrap();
    let built = build_block(
        &proposer,
        &[],
        &tip0,
        &regs,
        genesis.genesis_time.0 + 5,
        validator,
    )
    .unwrap();
    let block = built.write.block().unwrap();

    let voter = dev.fresh_store();
    let vtip = load_tip(&voter).unwrap().unwrap();
    let ok = verify_block(&voter, &[], &vtip, &block)
        .unwrap()
        .expect("valid");
    assert_eq!(ok.tip.state_root(), built.tip.state_root());
    assert_eq!(ok.write.header(), built.write.header());
    // With the transactions already verified (a mempool's), the same result.
    let pooled: std::collections::HashMap<_, _> = regs
        .iter()
        .map(|t| (t.id, std::sync::Arc::clone(t)))
        .collect();
    let ok2 = verify_block_with(&voter, &[], &vtip, &block, &|id| pooled.get(id).cloned())
        .unwrap()
        .expect("valid");
    assert_eq!(ok2.write.header(), built.write.header());
    // A lookup that answers other bytes for an id is not trusted: those are decoded again.
    let wrong = std::sync::Arc::clone(&regs[1]);
    let ok3 = verify_block_with(&voter, &[], &vtip, &block, &|_| {
        Some(std::sync::Arc::clone(&wrong))
    })
    .unwrap()
    .expect("valid");
    assert_eq!(ok3.write.header(), built.write.header());

    // A wrong state root in the header.
    let mut bad = block.clone();
    bad.header.state_root = liangxin_types::Hash::from([7; 32]);
    assert!(verify_block(&voter, &[], &vtip, &bad).unwrap().is_err());
    // Transactions reordered: the body no longer matches the header's body hash.
    let mut bad = block.clone();
    let mut txs = bad.body.txs.clone().into_inner();
    txs.swap(0, 2);
    bad.body.txs = liangxin_types::encoding::BoundedVec::new(txs).unwrap();
    assert!(verify_block(&voter, &[], &vtip, &bad).unwrap().is_err());
    // A seed proof that is not the proposer's (another validator's, for this very block).
    let mut bad = block.clone();
    bad.header.seed_proof = liangxin_types::block::prove_seed(
        &liangxin_types::SigningKey::dev("someone else"),
        bad.header.height,
        &bad.header.parent,
    )
    .0;
    let err = verify_block(&voter, &[], &vtip, &bad).unwrap().unwrap_err();
    assert!(err.0.contains("seed proof"), "{err}");
    // A wrong parent.
    let mut bad = block.clone();
    bad.header.parent = liangxin_types::Hash::from([1; 32]);
    assert!(verify_block(&voter, &[], &vtip, &bad).unwrap().is_err());
    // A transaction with a broken signature: re-signed body hash and all, still refused.
    let mut bad = block.clone();
    let mut txs = bad.body.txs.clone().into_inner();
    let mut raw = txs[1].to_vec();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    txs[1] = liangxin_types::encoding::BoundedBytes::new(raw).unwrap();
    bad.body.txs = liangxin_types::encoding::BoundedVec::new(txs).unwrap();
    bad.header.body_hash = bad.body.hash().unwrap();
    let err = verify_block(&voter, &[], &vtip, &bad).unwrap().unwrap_err();
    assert!(err.0.contains("transaction 1"), "{err}");
    // Nothing was written by any of it.
    assert_eq!(voter.committed_height().unwrap(), Some(0));
}
