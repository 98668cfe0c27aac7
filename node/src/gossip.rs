//! Transaction gossip: batches on the wire, and re-gossip of what is not final.
//!
//! A node gossips the transactions its clients submit in **batches** ([`TxBatch`]): one
//! gossip message per [`Batcher`] window instead of one per transaction. Each gossip message
//! costs a frame on every link, an entry in the duplicate cache and a wakeup of the receiving
//! node's network and admission tasks; at thousands of records per second those per-message
//! costs, and libp2p's bounded per-connection send queue (whose overflow drops messages), were
//! the limit rather than the records themselves.
//!
//! A gossip message can still be lost (a full send queue, a peer that was cut off, a receiving
//! node too busy to take it). So the node that admitted a transaction from a client keeps its
//! id in a [`Regossip`] schedule and, while the transaction is still waiting in its mempool,
//! gossips it again after [`REGOSSIP_FIRST_MS`], then after twice as long each time, up to
//! [`REGOSSIP_MAX_MS`]. Receivers take a transaction they already hold for the cost of a hash
//! and a lookup, without checking its signature again.
//!
//! Both types are pure (time is an input), so they are tested without a network.

use std::collections::BTreeMap;

use liangxin_types::encoding::{BoundedBytes, BoundedVec, MAX_TX_SIZE};
use liangxin_types::{Canonical, Hash};
use serde::{Deserialize, Serialize};

/// Most transactions in one batch.
pub const BATCH_MAX_TXS: usize = 1_024;

/// A batch is sealed once its transactions reach this many bytes (one transaction may take it
/// past, up to [`MAX_TX_SIZE`] more).
pub const BATCH_MAX_BYTES: usize = 1 << 20;

/// First re-gossip of a transaction still waiting, in milliseconds after it was admitted
/// (a record normally becomes final well within this).
pub const REGOSSIP_FIRST_MS: u64 = 2_000;

/// Longest wait between two re-gossips of one transaction.
pub const REGOSSIP_MAX_MS: u64 = 32_000;

/// Most transactions re-gossiped in one round.
pub const REGOSSIP_PER_ROUND: usize = 4_096;

/// What a node publishes on the transactions topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBatch {
    /// Makes two batches with the same transactions distinct gossip messages (message ids are
    /// content hashes, and a re-gossip must not be taken for a duplicate of the first).
    pub nonce: u64,
    /// Canonical signed-transaction bytes, each admitted by the publisher.
    pub txs: BoundedVec<BoundedBytes<MAX_TX_SIZE>, BATCH_MAX_TXS>,
}

impl Canonical for TxBatch {
    const NAME: &'static str = "transaction batch";
    // The transactions, one more that may cross the mark, their length prefixes and the nonce.
    const MAX_SIZE: usize = BATCH_MAX_BYTES + MAX_TX_SIZE + 4 * BATCH_MAX_TXS + 16;
}

/// Collects transactions into batches: a batch is sealed when it holds [`BATCH_MAX_TXS`]
/// transactions or [`BATCH_MAX_BYTES`] bytes, or when `delay_ms` passed since its first one.
#[derive(Debug)]
pub struct Batcher {
    delay_ms: u64,
    nonce: u64,
    txs: Vec<BoundedBytes<MAX_TX_SIZE>>,
    bytes: usize,
    opened_at: u64,
}

impl Batcher {
    /// An empty batcher; `nonce` is the first batch's (e.g. the clock at start, so batches of
    /// a restarted node do not repeat old ones).
    pub fn new(delay_ms: u64, nonce: u64) -> Self {
        Batcher {
            delay_ms,
            nonce,
            txs: Vec::new(),
            bytes: 0,
            opened_at: 0,
        }
    }

    /// Adds one transaction at time `now`. Returns a sealed batch when this one filled it.
    /// Bytes longer than [`MAX_TX_SIZE`] are not a transaction and are left out.
    pub fn push(&mut self, now: u64, tx: Vec<u8>) -> Option<TxBatch> {
        let len = tx.len();
        let Ok(tx) = BoundedBytes::new(tx) else {
            return None;
        };
        if self.txs.is_empty() {
            self.opened_at = now;
        }
        self.txs.push(tx);
        self.bytes += len;
        if self.txs.len() >= BATCH_MAX_TXS || self.bytes >= BATCH_MAX_BYTES {
            return self.seal();
        }
        None
    }

    /// When the open batch is due (None when empty).
    pub fn deadline(&self) -> Option<u64> {
        (!self.txs.is_empty()).then(|| self.opened_at.saturating_add(self.delay_ms))
    }

    /// Seals the open batch if it is due at `now`.
    pub fn poll(&mut self, now: u64) -> Option<TxBatch> {
        match self.deadline() {
            Some(d) if d <= now => self.seal(),
            _ => None,
        }
    }

    /// Seals the open batch now (None when empty).
    pub fn seal(&mut self) -> Option<TxBatch> {
        if self.txs.is_empty() {
            return None;
        }
        let txs = std::mem::take(&mut self.txs);
        self.bytes = 0;
        let nonce = self.nonce;
        self.nonce = self.nonce.wrapping_add(1);
        // At most BATCH_MAX_TXS by construction.
        BoundedVec::new(txs).ok().map(|txs| TxBatch { nonce, txs })
    }
}

/// When to gossip a transaction again: ids of client transactions in due order, with
/// exponential backoff per transaction.
#[derive(Debug, Default)]
pub struct Regossip {
    /// (due time, arrival order) → (id, times gossiped so far).
    queue: BTreeMap<(u64, u64), (Hash, u32)>,
    order: u64,
}

impl Regossip {
    /// An empty schedule.
    pub fn new() -> Self {
        Regossip::default()
    }

    /// How many transactions are tracked.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Tracks `id`, gossiped for the first time at `now`.
    pub fn track(&mut self, now: u64, id: Hash) {
        self.schedule(now, id, 1);
    }

    fn schedule(&mut self, now: u64, id: Hash, sent: u32) {
        let wait = REGOSSIP_FIRST_MS
            .saturating_mul(1u64 << sent.saturating_sub(1).min(20))
            .min(REGOSSIP_MAX_MS);
        self.order += 1;
        self.queue
            .insert((now.saturating_add(wait), self.order), (id, sent));
    }

    /// Takes up to `max` transactions due at `now`, oldest due first. The caller gossips those
    /// still waiting and hands them back with [`Regossip::sent_again`]; the others are forgotten.
    pub fn due(&mut self, now: u64, max: usize) -> Vec<(Hash, u32)> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(entry) = self.queue.first_entry() else {
                break;
            };
            if entry.key().0 > now {
                break;
            }
            out.push(entry.remove());
        }
        out
    }

    /// `id` was gossiped again at `now` (its `sent`-th time was the one [`Regossip::due`]
    /// returned): schedules the next time, twice as far off.
    pub fn sent_again(&mut self, now: u64, id: Hash, sent: u32) {
        self.schedule(now, id, sent.saturating_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(i: u8) -> Hash {
        Hash([i; 32])
    }

    #[test]
    fn a_batch_seals_on_count_bytes_or_time() {
        let mut b = Batcher::new(20, 7);
        assert_eq!(b.deadline(), None);
        assert!(b.push(100, vec![1; 10]).is_none());
        assert_eq!(b.deadline(), Some(120));
        assert!(b.poll(119).is_none());
        let first = b.poll(120).expect("due");
        assert_eq!(first.nonce, 7);
        assert_eq!(first.txs.len(), 1);
        assert_eq!(b.deadline(), None);

        // Count.
        let mut sealed = None;
        for i in 0..BATCH_MAX_TXS {
            assert!(sealed.is_none(), "sealed early at {i}");
            sealed = b.push(200, vec![2; 3]);
        }
        let full = sealed.expect("full by count");
        assert_eq!(full.txs.len(), BATCH_MAX_TXS);
        assert_eq!(full.nonce, 8);

        // Bytes.
        let mut n = 0;
        let sealed = loop {
            n += 1;
            if let Some(s) = b.push(300, vec![3; MAX_TX_SIZE]) {
                break s;
            }
        };
        assert_eq!(n, BATCH_MAX_BYTES / MAX_TX_SIZE);
        let bytes = sealed.to_canonical().expect("fits");
        assert!(bytes.len() <= TxBatch::MAX_SIZE);
        assert_eq!(TxBatch::from_canonical(&bytes).expect("decodes"), sealed);

        // Too long for a transaction: left out.
        assert!(b.push(400, vec![0; MAX_TX_SIZE + 1]).is_none());
        assert!(b.seal().is_none());
    }

    #[test]
    fn the_largest_batch_fits_its_limit() {
        let mut b = Batcher::new(20, u64::MAX);
        // Just under the byte mark with small ones, then one of the largest.
        let small = BATCH_MAX_BYTES / (BATCH_MAX_TXS - 1) - 1;
        for _ in 0..BATCH_MAX_TXS - 1 {
            assert!(b.push(0, vec![9; small]).is_none());
        }
        let batch = b.push(0, vec![9; MAX_TX_SIZE]).expect("sealed by count");
        let bytes = batch.to_canonical().expect("within MAX_SIZE");
        assert_eq!(TxBatch::from_canonical(&bytes).expect("decodes"), batch);
    }

    #[test]
    fn garbage_and_oversized_batches_are_refused() {
        assert!(TxBatch::from_canonical(&[]).is_err());
        assert!(TxBatch::from_canonical(&[1, 2, 3]).is_err());
        assert!(TxBatch::from_canonical(&vec![0u8; TxBatch::MAX_SIZE + 1]).is_err());
        // A count above the limit.
        let mut bytes = 5u64.to_le_bytes().to_vec();
        bytes.extend([0x81, 0x08]); // ULEB128 1,025
        assert!(TxBatch::from_canonical(&bytes).is_err());
    }

    #[test]
    fn regossip_backs_off_and_forgets() {
        let mut r = Regossip::new();
        r.track(0, h(1));
        r.track(10, h(2));
        assert!(r.due(1_999, 10).is_empty());
        assert_eq!(r.due(2_000, 10), vec![(h(1), 1)]);
        // h(1) is still waiting: gossiped again, next after 4 s.
        r.sent_again(2_000, h(1), 1);
        // h(2) is due, but became final: the caller does not hand it back.
        assert_eq!(r.due(2_010, 10), vec![(h(2), 1)]);
        assert_eq!(r.len(), 1);
        assert!(r.due(5_999, 10).is_empty());
        assert_eq!(r.due(6_000, 10), vec![(h(1), 2)]);
        r.sent_again(6_000, h(1), 2);
        assert_eq!(r.due(13_999, 10), vec![]);
        assert_eq!(r.due(14_000, 10), vec![(h(1), 3)]);
        // Capped.
        r.sent_again(0, h(1), 30);
        assert_eq!(r.due(REGOSSIP_MAX_MS - 1, 10), vec![]);
        assert_eq!(r.due(REGOSSIP_MAX_MS, 10), vec![(h(1), 31)]);
        assert!(r.is_empty());
    }

    #[test]
    fn regossip_rounds_are_bounded_and_in_due_order() {
        let mut r = Regossip::new();
        for i in 0..10u8 {
            r.track(u64::from(9 - i), h(i));
        }
        let first = r.due(u64::MAX, 4);
        assert_eq!(
            first.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            vec![h(9), h(8), h(7), h(6)]
        );
        assert_eq!(r.due(u64::MAX, 100).len(), 6);
    }

    proptest! {
        /// Every transaction pushed comes out exactly once, in order, in batches within the
        /// limits, whatever the sizes and times.
        #[test]
        fn batches_keep_every_transaction_in_order(
            txs in proptest::collection::vec((0usize..3_000, 0u64..50), 0..600),
            delay in 0u64..40,
        ) {
            let mut b = Batcher::new(delay, 0);
            let mut now = 0;
            let mut out: Vec<Vec<u8>> = Vec::new();
            let mut nonces = Vec::new();
            let mut take = |batch: TxBatch, out: &mut Vec<Vec<u8>>| {
                let bytes = batch.to_canonical().expect("encodes");
                prop_assert!(bytes.len() <= TxBatch::MAX_SIZE);
                prop_assert!(!batch.txs.is_empty());
                nonces.push(batch.nonce);
                out.extend(batch.txs.into_inner().into_iter().map(|t| t.into_inner()));
                Ok(())
            };
            for (i, (len, dt)) in txs.iter().enumerate() {
                now += dt;
                if let Some(batch) = b.poll(now) {
                    take(batch, &mut out)?;
                }
                let tx: Vec<u8> = (0..*len).map(|j| (i + j) as u8).collect();
                if let Some(batch) = b.push(now, tx) {
                    take(batch, &mut out)?;
                }
            }
            if let Some(batch) = b.seal() {
                take(batch, &mut out)?;
            }
            let expected: Vec<Vec<u8>> = txs
                .iter()
                .enumerate()
                .map(|(i, (len, _))| (0..*len).map(|j| (i + j) as u8).collect())
                .collect();
            prop_assert_eq!(out, expected);
            prop_assert!(nonces.windows(2).all(|w| w[1] == w[0] + 1));
        }
    }
}
