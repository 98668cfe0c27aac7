//! The engine: admission into the mempool, committing blocks, and the bookkeeping that answers
//! `lx_tx` and `lx_submitAndWait`.
//!
//! Blocks come from one of two places: the single-validator producer thread
//! ([`Engine::run_producer`], the `dev` ledger), or consensus ([`crate::host::Host`] driven by
//! [`crate::network`]), which hands each final block to [`Engine::commit_block`].
//!
//! Threads: RPC handlers (tokio tasks) admit transactions and read the store; one thread
//! (producer or consensus driver) commits and announces blocks. A `RwLock` around "commit + swap the tip"
//! lets a query read the store and the tip of one block (read lock) while the producer commits
//! the next (write lock, held only for the synced write).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use liangxin_contracts::store::tables;
use liangxin_contracts::{Code, ExecError, Rejection};
use liangxin_rpc::RpcError;
use liangxin_rpc::backend::EntryEvent;
use liangxin_rpc::dto::{CheckpointInfo, EntryInfo, Finalized, RejectionInfo, TxStatus};
use liangxin_storage::Store;
use liangxin_types::DecodedTx;
use liangxin_types::Hash;
use liangxin_types::tx::VerifiedTx;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};

use crate::error::NodeError;
use crate::exec::{BuiltBlock, LayeredState, Pending, ReadState, Tip, Validator, build_block};
use crate::mempool::{AdmitError, Mempool, PoolTx};
use crate::metrics::Metrics;

/// Block production settings (the `[block]` section of the node's config).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockConfig {
    /// Most transactions in one block (at most 10,000). Default 5,000.
    pub max_txs: usize,
    /// A block is made when `max_txs` are waiting or this many milliseconds after the previous
    /// block, whichever comes first (and only if something waits). Default 200.
    pub interval_ms: u64,
}

impl Default for BlockConfig {
    fn default() -> Self {
        BlockConfig {
            max_txs: 5_000,
            interval_ms: 200,
        }
    }
}

/// How many rejected transaction ids `lx_tx` remembers.
pub const REMEMBERED_REJECTIONS: usize = 100_000;

/// What `lx_submitAndWait` waits for.
pub type WaitResult = Result<Finalized, RejectionInfo>;

struct Pool {
    mempool: Mempool,
    waiters: HashMap<Hash, Vec<oneshot::Sender<WaitResult>>>,
    rejected: HashMap<Hash, RejectionInfo>,
    rejected_order: VecDeque<Hash>,
    /// Transactions of the block being committed (still in `mempool` until it is).
    in_flight: usize,
}

impl Pool {
    fn remember_rejection(&mut self, id: Hash, r: RejectionInfo) {
        if self.rejected.insert(id, r).is_none() {
            self.rejected_order.push_back(id);
        }
        while self.rejected_order.len() > REMEMBERED_REJECTIONS {
            if let Some(old) = self.rejected_order.pop_front() {
                self.rejected.remove(&old);
            }
        }
    }

    fn reject(&mut self, id: Hash, r: RejectionInfo) {
        for w in self.waiters.remove(&id).unwrap_or_default() {
            let _ = w.send(Err(r.clone()));
        }
        self.remember_rejection(id, r);
    }
}

/// A callback given a transaction's id and bytes.
pub type TxHook = Box<dyn Fn(&Hash, &[u8]) + Send + Sync>;

/// Callbacks the consensus driver installs ([`Engine::set_hooks`]).
pub struct Hooks {
    /// A transaction was admitted from a client (not from a peer): gossip its bytes.
    pub admitted: TxHook,
    /// A new transaction waits (from anyone): a waiting leader may propose now.
    pub arrived: Box<dyn Fn() + Send + Sync>,
}

/// Where a transaction came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A client, over RPC: gossiped to the peers once admitted.
    Client,
    /// A peer's gossip: not gossiped again (gossipsub forwards it).
    Peer,
}

/// The engine. Shared (`Arc`) between the RPC backend and the producer thread.
pub struct Engine<S: Store> {
    store: Arc<S>,
    validator: Option<Validator>,
    hooks: std::sync::OnceLock<Hooks>,
    block: BlockConfig,
    pool: Mutex<Pool>,
    wake: Condvar,
    tip: RwLock<Tip>,
    stop: AtomicBool,
    failed: Mutex<Option<String>>,
    checkpoints: broadcast::Sender<CheckpointInfo>,
    entries: broadcast::Sender<EntryEvent>,
    /// Block time of the latest block, for queries judged "now".
    latest_time: AtomicU64,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn rejected(r: Rejection) -> RpcError {
    RpcError::from(r)
}

impl<S: Store + 'static> Engine<S> {
    /// An engine over `store`, whose tip is `tip`.
    pub fn new(
        store: Arc<S>,
        tip: Tip,
        validator: Option<Validator>,
        block: BlockConfig,
        mempool: crate::mempool::MempoolConfig,
    ) -> Self {
        let (checkpoints, _) = broadcast::channel(256);
        let (entries, _) = broadcast::channel(16_384);
        let metrics = Arc::new(Metrics::default());
        metrics.height.set(tip.height as i64);
        metrics.log_size.set(tip.log.size() as i64);
        Engine {
            store,
            validator,
            hooks: std::sync::OnceLock::new(),
            block: BlockConfig {
                max_txs: block.max_txs.clamp(1, liangxin_types::block::MAX_BLOCK_TXS),
                interval_ms: block.interval_ms.max(1),
            },
            pool: Mutex::new(Pool {
                mempool: Mempool::new(mempool),
                waiters: HashMap::new(),
                rejected: HashMap::new(),
                rejected_order: VecDeque::new(),
                in_flight: 0,
            }),
            wake: Condvar::new(),
            latest_time: AtomicU64::new(tip.time),
            tip: RwLock::new(tip),
            stop: AtomicBool::new(false),
            failed: Mutex::new(None),
            checkpoints,
            entries,
            metrics,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// This node's validator name (`None` for an observer, or a validator under consensus,
    /// whose identity the consensus host holds).
    pub fn validator_name(&self) -> Option<&str> {
        self.validator.as_ref().map(|v| v.name.as_str())
    }

    /// Installs the consensus driver's callbacks (once; later calls are ignored).
    pub fn set_hooks(&self, hooks: Hooks) {
        let _ = self.hooks.set(hooks);
    }

    /// The block settings.
    pub fn block_config(&self) -> &BlockConfig {
        &self.block
    }

    /// The waiting transaction `id` (already verified at admission).
    pub fn pooled(&self, id: &Hash) -> Option<Arc<PoolTx>> {
        lock(&self.pool).mempool.get(id)
    }

    /// Transactions waiting in the mempool.
    pub fn waiting(&self) -> usize {
        lock(&self.pool).mempool.len()
    }

    /// Up to `max` transactions for a block built on uncommitted blocks whose executions
    /// moved these signers' next sequence numbers to `floors` (see [`Mempool::select_from`]).
    pub fn select(
        &self,
        max: usize,
        floors: &HashMap<liangxin_types::PublicKey, u64>,
    ) -> Vec<Arc<PoolTx>> {
        lock(&self.pool).mempool.select_from(max, floors)
    }

    /// A consistent view: the tip and, while the guard lives, a store that does not move past
    /// it.
    pub fn read(&self) -> RwLockReadGuard<'_, Tip> {
        self.tip.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Block time of the latest block.
    pub fn latest_time(&self) -> u64 {
        self.latest_time.load(Ordering::Relaxed)
    }

    /// Records that the thread committing blocks failed: admission refuses from now on.
    pub fn fail(&self, reason: String) {
        *lock(&self.failed) = Some(reason);
    }

    /// Why the producer stopped, if it failed.
    pub fn failure(&self) -> Option<String> {
        lock(&self.failed).clone()
    }

    /// New checkpoints, for subscribers.
    pub fn subscribe_checkpoints(&self) -> broadcast::Receiver<CheckpointInfo> {
        self.checkpoints.subscribe()
    }

    /// New entries, for subscribers.
    pub fn subscribe_entries(&self) -> broadcast::Receiver<EntryEvent> {
        self.entries.subscribe()
    }

    /// Transactions waiting and the signer's pending next sequence number.
    pub fn pending_next_seq(&self, signer: &liangxin_types::PublicKey, state_next: u64) -> u64 {
        lock(&self.pool)
            .mempool
            .pending_next_seq(signer, state_next)
    }

    /// Where a transaction stands in this node's memory: pending, recently rejected, or
    /// neither (then the store decides).
    pub fn pool_status(&self, id: &Hash) -> Option<(TxStatus, Option<RejectionInfo>)> {
        let pool = lock(&self.pool);
        if pool.mempool.contains(id) {
            return Some((TxStatus::Pending, None));
        }
        pool.rejected
            .get(id)
            .map(|r| (TxStatus::Rejected, Some(r.clone())))
    }

    /// Admission: chain id, strict signature, precheck, signer registered and not revoked,
    /// role, sequence number, then the mempool. With `wait`, also registers a waiter before the
    /// transaction can be executed, so its outcome cannot be missed.
    pub fn admit(
        &self,
        bytes: Vec<u8>,
        wait: bool,
    ) -> Result<(Hash, Option<oneshot::Receiver<WaitResult>>), RpcError> {
        self.admit_from(bytes, wait, Origin::Client)
    }

    /// [`Engine::admit`] for a transaction from `origin`.
    pub fn admit_from(
        &self,
        bytes: Vec<u8>,
        wait: bool,
        origin: Origin,
    ) -> Result<(Hash, Option<oneshot::Receiver<WaitResult>>), RpcError> {
        self.metrics.submitted.inc();
        let result = self.admit_inner(bytes, wait, origin);
        match &result {
            Err(RpcError::Rejected {
                tx_id: Some(id),
                rejection,
            }) => {
                // `lx_tx` answers "rejected" for it too (until the transaction is resubmitted
                // and admitted, or forgotten).
                lock(&self.pool).remember_rejection(*id, rejection.clone());
                self.metrics.admission_rejected.inc();
            }
            Err(RpcError::Rejected { .. }) => {
                self.metrics.admission_rejected.inc();
            }
            Err(RpcError::Busy(_)) => {
                self.metrics.busy.inc();
            }
            _ => {}
        }
        result
    }

    fn admit_inner(
        &self,
        bytes: Vec<u8>,
        wait: bool,
        origin: Origin,
    ) -> Result<(Hash, Option<oneshot::Receiver<WaitResult>>), RpcError> {
        if let Some(reason) = self.failure() {
            return Err(RpcError::Internal(format!(
                "the node stopped producing blocks: {reason}"
            )));
        }
        let chain_id = self.read().chain_id.clone();
        let refused = |e| match e {
            liangxin_types::Error::WrongChain { expected, got } => rejected(Rejection::new(
                Code::BadField,
                format!("transaction is for chain {got}, this is {expected}"),
            )),
            liangxin_types::Error::BadSignature => rejected(Rejection::new(
                Code::BadSignature,
                "signature does not verify under the signer's key (strict Ed25519 over the \
                 signing message)",
            )),
            other => rejected(Rejection::new(Code::Malformed, other.to_string())),
        };
        let decoded = DecodedTx::decode(bytes, &chain_id).map_err(refused)?;
        // A full mempool says "busy" before the signature is checked: a client told to retry
        // sends the transaction again, and checking it every time spends the CPU the node
        // needs to empty the mempool (in the ledger benchmark, two clients retrying every
        // 200 µs cost about 5% of the sustained rate at 4×10⁵ records; none measurable at
        // 10⁶). One already waiting goes on: it is a duplicate.
        if let Some(busy) = self.full_for(&decoded) {
            return Err(RpcError::Busy(busy));
        }
        let VerifiedTx { tx, bytes, id } = decoded.verify().map_err(refused)?;
        let with_id = |e: RpcError| match e {
            RpcError::Rejected { rejection, .. } => RpcError::Rejected {
                tx_id: Some(id),
                rejection,
            },
            other => other,
        };
        let record = liangxin_contracts::precheck(&tx, id)
            .map_err(|r| with_id(rejected(r)))?
            .record()
            .clone();
        let signer = tx.body.signer;
        let state = ReadState(&*self.store);
        let participant = match liangxin_contracts::active_signer(&state, &signer) {
            Ok(p) => p,
            Err(ExecError::Rejected(r)) => return Err(with_id(rejected(r))),
            Err(ExecError::State(e)) => return Err(internal(e)),
        };
        liangxin_contracts::check_role(&record, &participant.holder)
            .map_err(|r| with_id(rejected(r)))?;
        let state_next = tables::next_seq(&state, &signer).map_err(internal)?;
        let mut pool = lock(&self.pool);
        let receiver = wait.then(|| {
            let (tx, rx) = oneshot::channel();
            pool.waiters.entry(id).or_default().push(tx);
            rx
        });
        let gossip = match (origin, self.hooks.get()) {
            (Origin::Client, Some(h)) => Some((h, bytes.clone())),
            _ => None,
        };
        let pool_tx = PoolTx {
            id,
            bytes,
            tx,
            record,
        };
        let mut fresh = false;
        match pool.mempool.insert(pool_tx, state_next) {
            Ok(()) => fresh = true,
            Err(AdmitError::Duplicate(_)) => {}
            Err(e) => {
                if wait {
                    pool.waiters.remove(&id);
                }
                drop(pool);
                // A used sequence number: say so precisely when it is this very transaction
                // that is final (looked up only now, not for every transaction admitted).
                if let AdmitError::Replay { .. } = e
                    && let Some(loc) = self.store.tx_location(&id).map_err(internal)?
                {
                    return Err(with_id(rejected(Rejection::new(
                        Code::BadSequence,
                        format!(
                            "transaction {id} is already final (height {}, leaf {}): a replay",
                            loc.height, loc.leaf_index
                        ),
                    ))));
                }
                return Err(match e {
                    AdmitError::Busy(m) => RpcError::Busy(m),
                    other => with_id(rejected(Rejection::new(
                        Code::BadSequence,
                        other.to_string(),
                    ))),
                });
            }
        }
        // A resubmitted transaction that was rejected before is pending again.
        pool.rejected.remove(&id);
        let len = pool.mempool.len();
        self.metrics.mempool_txs.set(len as u64 as i64);
        self.metrics
            .mempool_bytes
            .set(pool.mempool.bytes() as u64 as i64);
        drop(pool);
        if fresh && let Some((hooks, bytes)) = gossip {
            (hooks.admitted)(&id, &bytes);
        }
        if fresh && let Some(h) = self.hooks.get() {
            (h.arrived)();
        }
        if len >= self.block.max_txs {
            self.wake.notify_one();
        }
        Ok((id, receiver))
    }

    /// Why the mempool cannot take `tx` now, unless it holds it already.
    fn full_for(&self, tx: &DecodedTx) -> Option<String> {
        let pool = lock(&self.pool);
        let busy = pool.mempool.full_for(tx.bytes().len())?;
        (!pool.mempool.contains(&tx.id())).then_some(busy)
    }

    /// Stops the producer after its current block.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Runs the producer until [`Engine::shutdown`] or a failure (which it records and
    /// returns: the node must stop).
    ///
    /// Two threads in a pipeline: this one selects and executes block `h + 1` on top of block
    /// `h` (its writes as a layer over the store, [`LayeredState`]) while a second one commits
    /// block `h` and answers its waiters. Blocks are committed one at a time, in order, each in
    /// one synced write: a block is handed over only once its parent is committed, so at most
    /// one block is executed but not yet committed, and a crash loses only that one (nobody
    /// was told it is final). Committing a block (its RocksDB write, answering waiters,
    /// freeing the previous state tree version) costs about half as much CPU as executing
    /// it; side by side, only the execution stays on the producer's path.
    pub fn run_producer(&self) -> Result<(), NodeError> {
        let (handoff, handed) = std::sync::mpsc::sync_channel::<(BuiltBlock, bool, Instant)>(0);
        std::thread::scope(|s| {
            let committer = std::thread::Builder::new()
                .name("committer".into())
                .spawn_scoped(s, move || -> Result<(), NodeError> {
                    for (built, commit, started) in handed {
                        let result = self.finish(&built, commit, started);
                        if let Err(e) = &result {
                            // Recorded before the builder is woken, so that it sees it.
                            self.producer_failed(e);
                        }
                        self.landed(built.outcomes.len());
                        result?;
                    }
                    Ok(())
                })
                .map_err(|e| NodeError::Config(format!("cannot start the committer: {e}")))?;
            let built = self.build_loop(&handoff);
            drop(handoff);
            if let Err(e) = &built {
                self.producer_failed(e);
            }
            let committed = committer
                .join()
                .unwrap_or_else(|_| Err(NodeError::Corrupt("the committer panicked".into())));
            // The committer's own error first: the builder only repeats it.
            committed.and(built)
        })
    }

    /// `txs` transactions handed to the committer are out of its hands (committed, rejected,
    /// or dropped by a failure): they no longer count as in flight, and the builder is woken.
    fn landed(&self, txs: usize) {
        let mut pool = lock(&self.pool);
        pool.in_flight = pool.in_flight.saturating_sub(txs);
        drop(pool);
        self.wake.notify_all();
    }

    /// Records a failure of block production (and logs it): the node must stop.
    fn producer_failed(&self, e: &NodeError) {
        let mut failed = lock(&self.failed);
        if failed.is_none() {
            tracing::error!(error = %e, "block production failed; the node stops producing");
            *failed = Some(e.to_string());
        }
    }

    /// The executing half of [`Engine::run_producer`]: selects a batch when `max_txs` wait
    /// (besides those of a block being committed) or the interval passed, executes it on the
    /// last block handed over, and hands it to the committer.
    fn build_loop(
        &self,
        handoff: &std::sync::mpsc::SyncSender<(BuiltBlock, bool, Instant)>,
    ) -> Result<(), NodeError> {
        let Some(validator) = &self.validator else {
            return Err(NodeError::Config(
                "the block producer needs the validator's key".into(),
            ));
        };
        let interval = Duration::from_millis(self.block.interval_ms);
        let mut last = Instant::now();
        // The last block handed over to be committed: its tip, its writes as a layer and its
        // signers' next sequence numbers. Once it is committed the layer repeats what the store
        // holds, which changes nothing.
        let mut tip = self.read().clone();
        let mut layer: Vec<Arc<Pending>> = Vec::new();
        let mut floors: HashMap<liangxin_types::PublicKey, u64> = HashMap::new();
        loop {
            let batch = {
                let mut pool = lock(&self.pool);
                loop {
                    if self.stop.load(Ordering::SeqCst) {
                        return Ok(());
                    }
                    if let Some(reason) = self.failure() {
                        return Err(NodeError::Corrupt(reason));
                    }
                    let due = last + interval;
                    let now = Instant::now();
                    let waiting = pool.mempool.len().saturating_sub(pool.in_flight);
                    if waiting >= self.block.max_txs
                        || (now >= due && (waiting > 0 || self.needs_followup_on(&layer)?))
                    {
                        break;
                    }
                    let timeout = if now >= due { interval } else { due - now };
                    pool = self
                        .wake
                        .wait_timeout(pool, timeout)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                let batch = pool.mempool.select_from(self.block.max_txs, &floors);
                pool.in_flight += batch.len();
                batch
            };
            last = Instant::now();
            let started = last;
            let built = match build_block(&*self.store, &layer, &tip, &batch, now_secs(), validator)
            {
                Ok(b) => b,
                Err(e) => {
                    self.landed(batch.len());
                    return Err(e);
                }
            };
            let commit = built.outcomes.iter().any(|o| o.result.is_ok())
                || self.needs_followup_on(&layer)?;
            // The next block skips this one's transactions, which stay in the mempool until
            // it is committed: its signers continue after it, and a signer with a transaction
            // rejected in it waits one block (the committer evicts what followed it).
            floors.clear();
            if commit {
                tip = built.tip.clone();
                layer = vec![Arc::clone(&built.pending)];
                floors.extend(built.next_seqs.iter().copied());
            }
            for o in built.outcomes.iter().filter(|o| o.result.is_err()) {
                floors.insert(o.tx.signer(), u64::MAX);
            }
            if handoff.send((built, commit, started)).is_err() {
                // The committer stopped: it recorded why.
                return Ok(());
            }
        }
    }

    /// Whether a block is needed even with an empty mempool: a random draw waits for the
    /// next block's seed.
    pub fn needs_followup(&self) -> Result<bool, NodeError> {
        self.needs_followup_on(&[])
    }

    /// [`Engine::needs_followup`] in the state after the uncommitted blocks `layers`.
    fn needs_followup_on(&self, layers: &[Arc<Pending>]) -> Result<bool, NodeError> {
        Ok(!tables::pending_draws(&LayeredState::new(&*self.store, layers))?.is_empty())
    }

    /// Commits a final block (consensus): its write must carry its checkpoint note and its
    /// tip that checkpoint. Then its outcomes go to waiters, the mempool and subscribers.
    pub fn commit_block(&self, built: &BuiltBlock, started: Instant) -> Result<(), NodeError> {
        self.finish(built, true, started)
    }

    /// Commits `built` (when `commit`) and passes its outcomes on.
    fn finish(&self, built: &BuiltBlock, commit: bool, started: Instant) -> Result<(), NodeError> {
        let accepted = built.outcomes.iter().filter(|o| o.result.is_ok()).count();
        if commit {
            let mut guard = self.tip.write().unwrap_or_else(|e| e.into_inner());
            self.store.commit(&built.write)?;
            let old = std::mem::replace(&mut *guard, built.tip.clone());
            drop(guard);
            // Freeing the state-tree nodes only the old version held took about a third of
            // the committer's CPU (profile at 10^6 records): not while readers wait.
            drop(old);
        }
        let new_tip = &built.tip;
        let checkpoint = CheckpointInfo::from_signed(&new_tip.checkpoint)
            .map_err(|e| NodeError::Corrupt(e.to_string()))?;
        // Outcomes to waiters, the mempool and subscribers.
        let mut pool = lock(&self.pool);
        let included: std::collections::HashSet<Hash> = built
            .outcomes
            .iter()
            .filter(|o| o.result.is_ok())
            .map(|o| o.tx.id)
            .collect();
        let mut events = Vec::new();
        // Entry events are built only for subscribers (one subscribing now starts with the
        // next block).
        let publish = commit && self.entries.receiver_count() > 0;
        if commit {
            for stale in pool
                .mempool
                .committed(&built.next_seqs, &|id| included.contains(id))
            {
                pool.reject(
                    stale.id,
                    Rejection::new(
                        Code::BadSequence,
                        format!(
                            "sequence number {} was used by another transaction",
                            stale.seq()
                        ),
                    )
                    .into(),
                );
            }
        }
        for o in &built.outcomes {
            match &o.result {
                Ok((leaf, _)) if commit => {
                    if let Some(waiters) = pool.waiters.remove(&o.tx.id) {
                        let fin = Finalized {
                            tx_id: o.tx.id,
                            status: TxStatus::Final,
                            height: new_tip.height,
                            leaf_index: *leaf,
                            checkpoint: checkpoint.clone(),
                        };
                        for w in waiters {
                            let _ = w.send(Ok(fin.clone()));
                        }
                    }
                    if !publish {
                        continue;
                    }
                    events.push(EntryEvent {
                        entry: EntryInfo::new(
                            *leaf,
                            new_tip.height,
                            &o.tx.bytes,
                            o.tx.record.clone(),
                        ),
                        operator: o.operator(),
                    });
                }
                Ok(_) => {}
                Err(r) => {
                    self.metrics.exec_rejected.inc();
                    let signer = o.tx.signer();
                    let seq = o.tx.seq();
                    for later in pool.mempool.evict_after(&signer, seq) {
                        if later.id == o.tx.id {
                            continue;
                        }
                        pool.reject(
                            later.id,
                            Rejection::new(
                                Code::BadSequence,
                                format!(
                                    "an earlier transaction of this signer (sequence number \
                                     {seq}) was rejected, so sequence number {} cannot follow",
                                    later.seq()
                                ),
                            )
                            .into(),
                        );
                    }
                    pool.reject(o.tx.id, r.clone().into());
                }
            }
        }
        self.metrics
            .mempool_txs
            .set(pool.mempool.len() as u64 as i64);
        self.metrics
            .mempool_bytes
            .set(pool.mempool.bytes() as u64 as i64);
        drop(pool);
        if commit {
            self.latest_time.store(new_tip.time, Ordering::Relaxed);
            self.metrics.blocks.inc();
            self.metrics.records.inc_by(accepted as u64);
            self.metrics.height.set(new_tip.height as i64);
            self.metrics.log_size.set(new_tip.log.size() as i64);
            self.metrics.observe_block(started.elapsed());
            let _ = self.checkpoints.send(checkpoint);
            for e in events {
                let _ = self.entries.send(e);
            }
            tracing::debug!(
                height = new_tip.height,
                records = accepted,
                rejected = built.outcomes.len() - accepted,
                ms = started.elapsed().as_millis() as u64,
                "block committed"
            );
        }
        Ok(())
    }
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::Internal(e.to_string())
}
