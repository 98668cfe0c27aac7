//! The mempool: admitted transactions waiting for a block.
//!
//! Pure bookkeeping (no I/O, no clock): the node checks a transaction (decode, signature,
//! precheck, signer and role against the latest state) and then [`Mempool::insert`]s it with
//! the signer's next sequence number from that state. The mempool
//!
//! - refuses duplicates, replays (a sequence number below the signer's next) and a second
//!   transaction with a sequence number already waiting;
//! - bounds itself: total transactions, total bytes, transactions per signer, and how far ahead
//!   of the signer's next sequence number a transaction may be; a full mempool answers
//!   [`AdmitError::Busy`] ("retry later"), it never drops an admitted transaction silently;
//! - [`Mempool::select`]s a block's transactions: per signer the run of consecutive sequence
//!   numbers starting at its next one, signers taken in turn (round robin, in order of arrival)
//!   so one busy signer cannot starve the others;
//! - after a block, [`Mempool::committed`] forgets what the block consumed and evicts what can
//!   no longer execute (a sequence number the block used up), and [`Mempool::evict_after`]
//!   evicts a signer's later transactions once an earlier one was rejected. It remembers the
//!   rejected number: until a transaction with that number is admitted again (or the state moves
//!   past it), a later number of that signer is refused ([`AdmitError::AfterRejected`]) instead
//!   of waiting for a gap that may never fill.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use liangxin_contracts::Record;
use liangxin_types::tx::SignedTx;
use liangxin_types::{Hash, PublicKey};
use serde::{Deserialize, Serialize};

/// Limits of the mempool (the `[mempool]` section of the node's config).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Most transactions waiting. Default 100,000.
    pub max_txs: usize,
    /// Most bytes waiting (canonical transaction bytes). Default 256 MiB.
    pub max_bytes: usize,
    /// Most transactions one signer may have waiting; also how far ahead of its next sequence
    /// number a transaction may be. Default 2,000.
    pub max_per_signer: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 100_000,
            max_bytes: 256 << 20,
            max_per_signer: 2_000,
        }
    }
}

/// An admitted transaction: bytes as received, decoded envelope and record, id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolTx {
    /// Its id.
    pub id: Hash,
    /// The canonical bytes (the future log leaf).
    pub bytes: Vec<u8>,
    /// The decoded envelope (signature verified at admission).
    pub tx: SignedTx,
    /// The decoded record (precheck passed at admission).
    pub record: Record,
}

impl PoolTx {
    /// The signer.
    pub fn signer(&self) -> PublicKey {
        self.tx.body.signer
    }

    /// The sequence number.
    pub fn seq(&self) -> u64 {
        self.tx.body.seq
    }
}

/// Why the mempool did not take a transaction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// The same transaction is already waiting (not a failure for the client: same id).
    #[error("transaction {0} is already waiting in the mempool")]
    Duplicate(Hash),
    /// The sequence number is below the signer's next one.
    #[error(
        "sequence number {seq} is already used (a replay): the signer's next sequence number is {next}"
    )]
    Replay {
        /// The transaction's.
        seq: u64,
        /// The signer's next.
        next: u64,
    },
    /// Another transaction of this signer with this sequence number is waiting.
    #[error("another transaction of this signer with sequence number {seq} is already waiting")]
    SeqTaken {
        /// The sequence number.
        seq: u64,
    },
    /// Too far ahead of the signer's next sequence number.
    #[error(
        "sequence number {seq} is too far ahead: the signer's next sequence number is {next} \
         and at most {max} may wait"
    )]
    TooFarAhead {
        /// The transaction's.
        seq: u64,
        /// The signer's next.
        next: u64,
        /// The per-signer limit.
        max: usize,
    },
    /// An earlier transaction of this signer was rejected at execution and no transaction
    /// with its sequence number is waiting, so this later one could not execute.
    #[error(
        "an earlier transaction of this signer (sequence number {rejected}) was rejected, so \
         sequence number {seq} cannot follow: submit a transaction with sequence number {rejected} first"
    )]
    AfterRejected {
        /// The transaction's.
        seq: u64,
        /// The rejected one's.
        rejected: u64,
    },
    /// A limit is reached: retry later.
    #[error("mempool busy: {0}; retry later")]
    Busy(String),
}

#[derive(Debug, Default)]
struct SignerQueue {
    /// The signer's next sequence number by the latest state the mempool heard of.
    next: u64,
    /// Waiting transactions by sequence number.
    txs: BTreeMap<u64, Hash>,
}

/// The mempool. See the module doc.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    by_id: HashMap<Hash, Arc<PoolTx>>,
    signers: HashMap<PublicKey, SignerQueue>,
    /// Signers with waiting transactions, in turn order (each at most once).
    turn: VecDeque<PublicKey>,
    bytes: usize,
    /// Per signer, the sequence number of its latest transaction rejected at execution (while
    /// nothing with that number waits and the state has not moved past it), with the stamp it
    /// was recorded under.
    gaps: HashMap<PublicKey, (u64, u64)>,
    /// The entries of `gaps` in the order they were recorded, by stamp (an entry whose stamp
    /// no longer matches is stale), so the oldest is forgotten first beyond `max_txs`.
    gap_order: VecDeque<(PublicKey, u64)>,
    gap_stamp: u64,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(config: MempoolConfig) -> Self {
        Mempool {
            config,
            by_id: HashMap::new(),
            signers: HashMap::new(),
            turn: VecDeque::new(),
            bytes: 0,
            gaps: HashMap::new(),
            gap_order: VecDeque::new(),
            gap_stamp: 0,
        }
    }

    /// Its limits.
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Bytes waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The waiting transaction `id`.
    pub fn get(&self, id: &Hash) -> Option<Arc<PoolTx>> {
        self.by_id.get(id).cloned()
    }

    /// Whether `id` is waiting.
    pub fn contains(&self, id: &Hash) -> bool {
        self.by_id.contains_key(id)
    }

    /// The sequence number a new transaction of `signer` should carry: `state_next` (its next
    /// by the latest state) plus the run of consecutive ones waiting from there.
    pub fn pending_next_seq(&self, signer: &PublicKey, state_next: u64) -> u64 {
        let mut next = state_next;
        if let Some(q) = self.signers.get(signer) {
            for seq in q.txs.range(state_next..).map(|(s, _)| *s) {
                if seq != next {
                    break;
                }
                next = next.saturating_add(1);
            }
        }
        next
    }

    /// Why a new transaction of `bytes` bytes cannot be taken now (too many transactions or
    /// bytes waiting), or `None` if it can, as far as the whole pool goes ([`insert`]
    /// also checks its signer's quota).
    ///
    /// [`insert`]: Mempool::insert
    pub fn full_for(&self, bytes: usize) -> Option<String> {
        if self.by_id.len() >= self.config.max_txs {
            return Some(format!("{} transactions waiting", self.by_id.len()));
        }
        if self.bytes.saturating_add(bytes) > self.config.max_bytes {
            return Some(format!("{} bytes waiting", self.bytes));
        }
        None
    }

    /// Admits `tx`, whose signer's next sequence number by the latest state is `state_next`.
    pub fn insert(&mut self, tx: PoolTx, state_next: u64) -> Result<(), AdmitError> {
        if self.by_id.contains_key(&tx.id) {
            return Err(AdmitError::Duplicate(tx.id));
        }
        let seq = tx.seq();
        if seq < state_next {
            return Err(AdmitError::Replay {
                seq,
                next: state_next,
            });
        }
        let max = self.config.max_per_signer;
        if seq - state_next >= max as u64 {
            return Err(AdmitError::TooFarAhead {
                seq,
                next: state_next,
                max,
            });
        }
        let signer = tx.signer();
        if let Some(&(rejected, _)) = self.gaps.get(&signer) {
            if rejected < state_next {
                self.gaps.remove(&signer);
            } else if seq > rejected
                && !self
                    .signers
                    .get(&signer)
                    .is_some_and(|q| q.txs.contains_key(&rejected))
            {
                return Err(AdmitError::AfterRejected { seq, rejected });
            }
        }
        if let Some(q) = self.signers.get(&signer) {
            if q.txs.contains_key(&seq) {
                return Err(AdmitError::SeqTaken { seq });
            }
            if q.txs.len() >= max {
                return Err(AdmitError::Busy(format!(
                    "this signer already has {max} transactions waiting"
                )));
            }
        }
        if let Some(busy) = self.full_for(tx.bytes.len()) {
            return Err(AdmitError::Busy(busy));
        }
        let q = self.signers.entry(signer).or_default();
        if q.txs.is_empty() {
            self.turn.push_back(signer);
        }
        q.next = q.next.max(state_next);
        q.txs.insert(seq, tx.id);
        if self.gaps.get(&signer).is_some_and(|(g, _)| *g == seq) {
            self.gaps.remove(&signer);
        }
        self.bytes += tx.bytes.len();
        self.by_id.insert(tx.id, Arc::new(tx));
        Ok(())
    }

    /// Up to `max` transactions for the next block: each signer's run of consecutive
    /// sequence numbers from its next one, signers in turn, one transaction per turn. The
    /// mempool is unchanged (the block's outcome decides: [`Mempool::committed`]).
    pub fn select(&self, max: usize) -> Vec<Arc<PoolTx>> {
        self.select_from(max, &HashMap::new())
    }

    /// [`Mempool::select`] for a block on top of uncommitted blocks: `floors` holds the next
    /// sequence number of the signers those blocks moved, so their transactions already in
    /// an uncommitted block are not selected again.
    pub fn select_from(&self, max: usize, floors: &HashMap<PublicKey, u64>) -> Vec<Arc<PoolTx>> {
        let mut out = Vec::with_capacity(max.min(self.by_id.len()));
        // Per signer: the next sequence number it may contribute.
        let mut cursors: Vec<(&SignerQueue, u64)> = self
            .turn
            .iter()
            .filter_map(|s| {
                self.signers
                    .get(s)
                    .map(|q| (q, floors.get(s).map_or(q.next, |f| q.next.max(*f))))
            })
            .collect();
        while out.len() < max && !cursors.is_empty() {
            cursors.retain_mut(|(q, next)| {
                if out.len() >= max {
                    return true;
                }
                match q.txs.get(next).and_then(|id| self.by_id.get(id)) {
                    Some(tx) => {
                        out.push(Arc::clone(tx));
                        *next = next.saturating_add(1);
                        true
                    }
                    None => false,
                }
            });
        }
        out
    }

    /// After a block: `next_seqs` gives each signer's next sequence number by the new state,
    /// for every signer that had a transaction in the block. Removes the transactions with a
    /// lower sequence number (the block's own, and any other that used a number the block
    /// consumed) and returns the removed ones whose id is not in `included` (those can never
    /// execute: their sequence number is used up).
    pub fn committed(
        &mut self,
        next_seqs: &[(PublicKey, u64)],
        included: &dyn Fn(&Hash) -> bool,
    ) -> Vec<Arc<PoolTx>> {
        let mut stale = Vec::new();
        for (signer, next) in next_seqs {
            if self.gaps.get(signer).is_some_and(|(g, _)| g < next) {
                self.gaps.remove(signer);
            }
            let Some(q) = self.signers.get_mut(signer) else {
                continue;
            };
            q.next = q.next.max(*next);
            let keep = q.txs.split_off(next);
            let gone = std::mem::replace(&mut q.txs, keep);
            for id in gone.into_values() {
                if let Some(tx) = self.by_id.remove(&id) {
                    self.bytes -= tx.bytes.len();
                    if !included(&id) {
                        stale.push(tx);
                    }
                }
            }
        }
        self.tidy();
        stale
    }

    /// Removes `signer`'s transactions with sequence number `seq` or above (after its
    /// transaction `seq` was rejected, the later ones cannot execute) and returns them. Until
    /// a transaction with number `seq` is admitted again or the state moves past it, a later
    /// number of `signer` is refused.
    pub fn evict_after(&mut self, signer: &PublicKey, seq: u64) -> Vec<Arc<PoolTx>> {
        self.remember_gap(*signer, seq);
        let mut out = Vec::new();
        if let Some(q) = self.signers.get_mut(signer) {
            for id in q.txs.split_off(&seq).into_values() {
                if let Some(tx) = self.by_id.remove(&id) {
                    self.bytes -= tx.bytes.len();
                    out.push(tx);
                }
            }
        }
        self.tidy();
        out
    }

    /// Records that `signer`'s number `seq` was rejected, forgetting the oldest such record
    /// beyond `max_txs` of them.
    fn remember_gap(&mut self, signer: PublicKey, seq: u64) {
        self.gap_stamp += 1;
        self.gaps.insert(signer, (seq, self.gap_stamp));
        self.gap_order.push_back((signer, self.gap_stamp));
        let cap = self.config.max_txs.max(1);
        while self.gaps.len() > cap {
            let Some((old, stamp)) = self.gap_order.pop_front() else {
                break;
            };
            if self.gaps.get(&old).is_some_and(|(_, s)| *s == stamp) {
                self.gaps.remove(&old);
            }
        }
        if self.gap_order.len() > 2 * cap {
            let gaps = &self.gaps;
            self.gap_order
                .retain(|(k, stamp)| gaps.get(k).is_some_and(|(_, s)| s == stamp));
        }
    }

    /// Drops signers with nothing waiting; rotates the turn order so the signer that went
    /// first goes last next time.
    fn tidy(&mut self) {
        let signers = &mut self.signers;
        signers.retain(|_, q| !q.txs.is_empty());
        self.turn.retain(|s| signers.contains_key(s));
        self.turn.rotate_left(usize::from(!self.turn.is_empty()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liangxin_contracts::testkit::example_records;
    use liangxin_types::encoding::Canonical;
    use liangxin_types::tx::{ChainId, TxBody};
    use liangxin_types::{Domain, SigningKey};
    use proptest::prelude::*;

    /// Signed test transactions, made once per (label, seq): signing dominates otherwise.
    fn tx(label: &str, seq: u64) -> PoolTx {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        static CACHE: OnceLock<Mutex<HashMap<(String, u64), PoolTx>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(t) = cache.lock().unwrap().get(&(label.to_string(), seq)) {
            return t.clone();
        }
        let t = make_tx(label, seq);
        cache
            .lock()
            .unwrap()
            .insert((label.to_string(), seq), t.clone());
        t
    }

    fn make_tx(label: &str, seq: u64) -> PoolTx {
        let key = SigningKey::dev(label);
        let record = example_records()[0].clone();
        let (kind, payload) = record.encode().unwrap();
        let body = TxBody {
            chain_id: ChainId::new("liangxin-test").unwrap(),
            signer: key.public_key(),
            seq,
            kind,
            payload: liangxin_types::encoding::BoundedBytes::new(payload).unwrap(),
        };
        let tx = SignedTx::sign(body, &key).unwrap();
        let bytes = tx.to_canonical().unwrap();
        PoolTx {
            id: liangxin_types::tx::tx_id(&bytes),
            bytes,
            tx,
            record,
        }
    }

    fn small() -> MempoolConfig {
        MempoolConfig {
            max_txs: 10,
            max_bytes: 1 << 20,
            max_per_signer: 4,
        }
    }

    #[test]
    fn selection_on_uncommitted_blocks_skips_what_they_hold() {
        let mut m = Mempool::new(small());
        for seq in 0..3 {
            m.insert(tx("a", seq), 0).unwrap();
            m.insert(tx("b", seq), 0).unwrap();
        }
        let ids = |v: Vec<Arc<PoolTx>>| v.iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(m.select(10).len(), 6);
        // An uncommitted parent holds a's 0 and 1: a child block starts a at 2, b at 0.
        let floors = HashMap::from([(tx("a", 0).signer(), 2)]);
        let picked = ids(m.select_from(10, &floors));
        assert_eq!(picked.len(), 4);
        assert!(picked.contains(&tx("a", 2).id));
        assert!(!picked.contains(&tx("a", 1).id));
        // A floor below the mempool's own next changes nothing.
        let low = HashMap::from([(tx("b", 0).signer(), 0)]);
        assert_eq!(ids(m.select_from(10, &low)), ids(m.select(10)));
    }

    #[test]
    fn admission_rules() {
        let mut m = Mempool::new(small());
        m.insert(tx("a", 5), 5).unwrap();
        assert_eq!(
            m.insert(tx("a", 5), 5),
            Err(AdmitError::Duplicate(tx("a", 5).id))
        );
        assert_eq!(
            m.insert(tx("a", 4), 5),
            Err(AdmitError::Replay { seq: 4, next: 5 })
        );
        assert!(matches!(
            m.insert(tx("a", 9), 5),
            Err(AdmitError::TooFarAhead { .. })
        ));
        // A different transaction with a waiting sequence number.
        let mut other = tx("a", 6);
        other.id = Domain::TxId.hash(b"other");
        m.insert(tx("a", 6), 5).unwrap();
        assert_eq!(m.insert(other, 5), Err(AdmitError::SeqTaken { seq: 6 }));
        assert_eq!(m.pending_next_seq(&tx("a", 0).signer(), 5), 7);
        // Gaps are allowed within the window but stop the pending run.
        m.insert(tx("a", 8), 5).unwrap();
        assert_eq!(m.pending_next_seq(&tx("a", 0).signer(), 5), 7);
        m.insert(tx("a", 7), 5).unwrap();
        assert!(matches!(
            m.insert(tx("a", 8), 5),
            Err(AdmitError::Duplicate(_))
        ));
        assert_eq!(m.len(), 4);
        // The per-signer limit.
        let mut m = Mempool::new(MempoolConfig {
            max_per_signer: 2,
            ..small()
        });
        m.insert(tx("b", 0), 0).unwrap();
        m.insert(tx("b", 1), 0).unwrap();
        assert!(matches!(m.insert(tx("b", 2), 1), Err(AdmitError::Busy(_))));
    }

    #[test]
    fn full_mempool_is_busy_and_keeps_what_it_has() {
        let mut m = Mempool::new(MempoolConfig {
            max_txs: 3,
            ..small()
        });
        for l in ["a", "b", "c"] {
            m.insert(tx(l, 0), 0).unwrap();
        }
        let e = m.insert(tx("d", 0), 0).unwrap_err();
        assert!(matches!(e, AdmitError::Busy(_)));
        assert!(e.to_string().contains("retry"));
        assert_eq!(m.len(), 3);
        let one = tx("a", 0).bytes.len();
        let mut m = Mempool::new(MempoolConfig {
            max_bytes: 2 * one,
            ..small()
        });
        m.insert(tx("a", 0), 0).unwrap();
        m.insert(tx("b", 0), 0).unwrap();
        assert!(matches!(m.insert(tx("c", 0), 0), Err(AdmitError::Busy(_))));
        assert_eq!(m.bytes(), 2 * one);
    }

    #[test]
    fn select_round_robin_and_commit() {
        let mut m = Mempool::new(small());
        for s in 0..4 {
            m.insert(tx("a", s), 0).unwrap();
        }
        m.insert(tx("b", 10), 10).unwrap();
        m.insert(tx("c", 3), 2).unwrap(); // a gap: c's 2 is missing
        let picked: Vec<(u64, PublicKey)> =
            m.select(3).iter().map(|t| (t.seq(), t.signer())).collect();
        let a = tx("a", 0).signer();
        let b = tx("b", 0).signer();
        assert_eq!(picked, vec![(0, a), (10, b), (1, a)]);
        assert_eq!(m.select(100).len(), 5);
        // The block took a0, a1 and b10.
        let ids: Vec<Hash> = m.select(3).iter().map(|t| t.id).collect();
        let stale = m.committed(&[(a, 2), (b, 11)], &|id| ids.contains(id));
        assert!(stale.is_empty());
        assert_eq!(m.len(), 3);
        // Another a1 (different tx) would now be a replay.
        assert!(matches!(
            m.insert(tx("a", 1), 2),
            Err(AdmitError::Replay { .. })
        ));
        // a2 rejected at execution: a3 goes too.
        let evicted = m.evict_after(&a, 2);
        assert_eq!(evicted.len(), 2);
        assert_eq!(m.len(), 1);
        // A later a3 arriving now cannot wait for a2, which is gone: refused at once.
        assert!(matches!(
            m.insert(tx("a", 3), 2),
            Err(AdmitError::AfterRejected {
                seq: 3,
                rejected: 2
            })
        ));
        // A new a2 fills the gap; then a3 may follow.
        m.insert(make_tx("a", 2), 2).unwrap();
        m.insert(tx("a", 3), 2).unwrap();
        let a_ids: Vec<Hash> = m
            .select(10)
            .iter()
            .filter(|t| t.signer() == a)
            .map(|t| t.id)
            .collect();
        assert_eq!(a_ids.len(), 2);
        m.committed(&[(a, 4)], &|id| a_ids.contains(id));
        assert_eq!(m.len(), 1);
        // c fills its gap.
        m.insert(tx("c", 2), 2).unwrap();
        assert_eq!(m.select(10).len(), 2);
    }

    #[test]
    fn committed_reports_transactions_whose_number_was_used() {
        let mut m = Mempool::new(small());
        m.insert(tx("a", 0), 0).unwrap();
        m.insert(tx("a", 1), 0).unwrap();
        let a = tx("a", 0).signer();
        // Another node's block used both numbers with other transactions.
        let stale = m.committed(&[(a, 2)], &|_| false);
        assert_eq!(stale.len(), 2);
        assert!(m.is_empty());
        assert_eq!(m.bytes(), 0);
    }

    proptest! {
        /// Whatever is inserted and committed, the counters match the contents, no selected
        /// signer's run has a gap, and select never returns more than asked.
        #[test]
        fn bookkeeping_stays_consistent(
            ops in proptest::collection::vec((0u8..4, 0u64..8, any::<bool>()), 1..60),
            max in 1usize..10,
        ) {
            let mut m = Mempool::new(small());
            let mut next = [0u64; 4];
            let labels = ["p", "q", "r", "s"];
            for (who, seq, commit) in ops {
                let i = usize::from(who);
                let _ = m.insert(tx(labels[i], seq), next[i]);
                if commit {
                    let sel = m.select(max);
                    prop_assert!(sel.len() <= max);
                    let mut updates = Vec::new();
                    for (j, l) in labels.iter().enumerate() {
                        let k = tx(l, 0).signer();
                        let mine: Vec<u64> = sel.iter().filter(|t| t.signer() == k).map(|t| t.seq()).collect();
                        for (n, s) in mine.iter().enumerate() {
                            prop_assert_eq!(*s, next[j] + n as u64);
                        }
                        if !mine.is_empty() {
                            next[j] += mine.len() as u64;
                            updates.push((k, next[j]));
                        }
                    }
                    let ids: Vec<Hash> = sel.iter().map(|t| t.id).collect();
                    m.committed(&updates, &|id| ids.contains(id));
                }
                let total: usize = m.by_id.values().map(|t| t.bytes.len()).sum();
                prop_assert_eq!(total, m.bytes());
                let queued: usize = m.signers.values().map(|q| q.txs.len()).sum();
                prop_assert_eq!(queued, m.len());
                prop_assert_eq!(m.turn.len(), m.signers.len());
            }
        }
    }
}
