//! The consensus host: runs the [`Consensus`] state machine against real execution and storage.
//!
//! It answers the machine's requests — build a proposal from the mempool on top of a parent
//! that may not be final yet, re-execute a received block, commit a finalized one through the
//! [`Engine`] (one atomic batch with the finalization as its checkpoint note, then waiters and
//! subscribers) — and turns its messages into [`Wire`] messages for the network (a proposal
//! travels with its block body). Transport, timers and vote durability belong to the caller
//! ([`crate::network`], or the in-memory network of `node/tests/consensus.rs`): it feeds
//! [`Host::handle`] and acts on the [`Action`]s it gets back, in order.
//!
//! A leader does not propose the moment its view starts: it waits until the mempool holds a
//! full block, or something waits and the block interval has passed, or the idle interval has
//! passed (an empty block keeps views short and a draw's seed coming). The caller calls
//! [`Host::poll`] at [`Host::next_wake`] and whenever a new transaction arrives.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use liangxin_consensus::{Anchor, Config, Consensus, Ed25519Scheme, Input, Message, Output, Vote};
use liangxin_storage::Store;
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::{Block, BlockHeader, Hash, KeyBytes};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::NodeError;
use crate::exec::{
    BlockParams, BuiltBlock, Pending, Tip, Validator, execute_block, verify_block_with,
};

/// What validators send each other: a consensus message, with the block when it is a proposal
/// (or the answer to a fetch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wire {
    /// The consensus message.
    pub message: Option<Message>,
    /// A block (a proposal's, or one asked for).
    pub block: Option<Block>,
}

impl liangxin_types::Canonical for Wire {
    const NAME: &'static str = "consensus wire message";
    const MAX_SIZE: usize = 8 << 20;
}

/// What the caller must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Make this vote durable before acting on any later action.
    Persist(Vote),
    /// Send to every peer.
    Broadcast(Box<Wire>),
    /// Call [`Host::handle`] with [`Input::Timer`] at this logical time.
    SetTimer(u64),
    /// Ask peers for this block and pass the answer to [`Host::receive`].
    Fetch(Hash),
    /// Ask peers for their certificates of these views
    /// ([`Consensus::certificates`]) and pass them to [`Host::receive`].
    FetchCertificates(u64, u64),
    /// A block was committed.
    Committed {
        /// Its height.
        height: u64,
        /// Its hash.
        hash: Hash,
        /// It changed the validator set (a governance action took effect): the caller must
        /// restart consensus with the new set ([`validator_set`]) on this block.
        new_validators: bool,
    },
}

/// An executed block not yet final.
struct Executed {
    built: BuiltBlock,
    parent: Hash,
    /// Its execution changed the validator set.
    new_validators: bool,
    /// When this host executed it (logical milliseconds): the block interval of a child
    /// counts from here.
    at: u64,
}

/// The validators in `state`: name and key of every regulator that validates and is not
/// removed, in the state's (key) order — the order that decides leaders.
pub fn validator_set(
    state: &impl liangxin_contracts::State,
) -> Result<Vec<liangxin_consensus::NamedKey>, NodeError> {
    let mut out = Vec::new();
    for r in liangxin_contracts::store::tables::regulators(state)? {
        if r.validator && !r.removed {
            out.push(liangxin_consensus::NamedKey {
                name: r.name.to_string(),
                key: r
                    .key
                    .to_public_key()
                    .map_err(|e| NodeError::Corrupt(e.to_string()))?,
            });
        }
    }
    Ok(out)
}

/// When a leader proposes (logical milliseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// Propose once something waits and this long has passed since this node executed the
    /// parent block (so the consensus round itself counts towards the interval).
    pub interval: u64,
    /// Propose an empty block after this long since the parent was executed (keep it below
    /// the leader timeout).
    pub idle: u64,
}

/// How many committed blocks the host can still serve to a peer's fetch by hash.
pub const RECENT_BLOCKS: usize = 100_000;

/// A proposal the machine asked for, not yet built.
#[derive(Clone, Copy, Debug)]
struct Wanted {
    view: u64,
    parent: Hash,
    since: u64,
    /// When to look again.
    next: u64,
}

/// One validator's (or observer's) consensus host.
pub struct Host<S: Store> {
    machine: Consensus<Ed25519Scheme>,
    engine: Arc<Engine<S>>,
    committed: Tip,
    executed: HashMap<Hash, Executed>,
    bodies: HashMap<Hash, Block>,
    recent: HashMap<Hash, u64>,
    recent_order: VecDeque<Hash>,
    wanted: Option<Wanted>,
    pacing: Pacing,
    me: Option<KeyBytes>,
    attester: Validator,
    genesis_time_ms: u64,
    /// Microseconds this node takes to execute one transaction (moving average), to keep a
    /// block's execution well inside the leader timeout.
    us_per_tx: f64,
    leader_timeout: u64,
}

/// The share of the leader timeout a proposal's execution may take (each validator executes
/// it once more to verify it, and all of them may share a machine's cores).
const EXECUTION_SHARE: f64 = 0.2;

impl<S: Store + 'static> Host<S> {
    /// A host over `engine` (whose tip is the last final block), with the consensus `config`,
    /// signing `scheme`, restored `votes` and vote floor (see [`Consensus::new`]). The scheme
    /// also turns finalizations into checkpoint notes. A block final only through a
    /// descendant's finalization has no quorum-signed checkpoint of its own: its stored note
    /// is signed by `attester` alone (this node: a validator's name and key, or an observer's
    /// own). Logical time is milliseconds since `genesis_time_ms` (a block's time is the
    /// proposer's `now`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: Arc<Engine<S>>,
        config: Config,
        scheme: Ed25519Scheme,
        votes: Vec<Vote>,
        vote_floor: u64,
        pacing: Pacing,
        attester: Validator,
        genesis_time_ms: u64,
    ) -> Result<Self, NodeError> {
        let tip = engine.read().clone();
        let tip_view = match tip.height {
            0 => 0,
            h => {
                engine
                    .store()
                    .header(h)?
                    .ok_or_else(|| NodeError::Corrupt(format!("no header at height {h}")))?
                    .view
            }
        };
        let pacing = Pacing {
            interval: pacing.interval.min(config.leader_timeout / 2),
            idle: pacing.idle.min(config.leader_timeout * 3 / 4),
        };
        let me = liangxin_consensus::Scheme::me(&scheme)
            .and_then(|i| config.validators.get(i as usize).copied());
        let leader_timeout = config.leader_timeout;
        let anchor = Anchor {
            view: tip_view,
            height: tip.height,
            hash: tip.parent,
        };
        let machine = Consensus::new(config, scheme, anchor, votes, vote_floor)
            .map_err(|e| NodeError::Config(e.to_string()))?;
        engine
            .metrics
            .block_limit_txs
            .set(engine.block_config().max_txs as i64);
        Ok(Host {
            machine,
            engine,
            committed: tip,
            executed: HashMap::new(),
            bodies: HashMap::new(),
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            wanted: None,
            pacing,
            me,
            attester,
            genesis_time_ms,
            us_per_tx: 0.0,
            leader_timeout,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine<S>> {
        &self.engine
    }

    /// The machine (for its view, stats and certificate answers).
    pub fn machine(&self) -> &Consensus<Ed25519Scheme> {
        &self.machine
    }

    /// The committed tip.
    pub fn tip(&self) -> &Tip {
        &self.committed
    }

    /// A block this host holds (for a peer's fetch): one not yet final, or one of the last
    /// [`RECENT_BLOCKS`] committed.
    pub fn block(&self, hash: &Hash) -> Option<Block> {
        if let Some(b) = self.bodies.get(hash) {
            return Some(b.clone());
        }
        if let Some(b) = self.executed.get(hash).and_then(|e| e.built.write.block()) {
            return Some(b);
        }
        let height = self.recent.get(hash)?;
        self.engine.store().block(*height).ok().flatten()
    }

    /// When [`Host::poll`] must run next (a leader waiting to propose), if ever.
    pub fn next_wake(&self) -> Option<u64> {
        self.wanted.map(|w| w.next)
    }

    /// Proposes if this node is a leader waiting for transactions and the time has come (see
    /// the module doc). Call at [`Host::next_wake`] and when a new transaction arrives.
    pub fn poll(&mut self, now: u64) -> Result<Vec<Action>, NodeError> {
        let Some(w) = self.wanted else {
            return Ok(Vec::new());
        };
        if w.view != self.machine.view() {
            self.wanted = None;
            return Ok(Vec::new());
        }
        let Some((tip, layers, floors)) = self.tip_of(w.parent) else {
            self.wanted = None;
            return Ok(Vec::new());
        };
        let max = self.block_limit();
        let txs = self.engine.select(max, &floors);
        let due = txs.len() >= max
            || (now >= w.since + self.pacing.interval
                && (!txs.is_empty() || self.engine.needs_followup()?))
            || now >= w.since + self.pacing.idle;
        if !due {
            let interval = w.since + self.pacing.interval;
            let next = if now < interval {
                interval
            } else {
                w.since + self.pacing.idle
            };
            if let Some(w) = &mut self.wanted {
                w.next = next;
            }
            return Ok(Vec::new());
        }
        self.wanted = None;
        tracing::debug!(
            view = w.view,
            txs = txs.len(),
            waited_ms = now - w.since,
            "proposing"
        );
        let Some(header) = self.propose(now, w.view, w.parent, tip, &layers, &txs)? else {
            return Ok(Vec::new());
        };
        self.handle(
            now,
            Input::Proposed {
                view: w.view,
                header,
            },
        )
    }

    /// Passes a message from the network.
    pub fn receive(&mut self, now: u64, wire: Wire) -> Result<Vec<Action>, NodeError> {
        let mut actions = Vec::new();
        if let Some(block) = wire.block
            && let Ok(hash) = block.header.hash()
            && block.check_body().is_ok()
        {
            let header = block.header.clone();
            self.bodies.entry(hash).or_insert(block);
            // A fetched block is handed to the machine as a header; a proposal's header comes
            // with its message.
            if wire.message.is_none() {
                actions.extend(self.handle(now, Input::Block(header))?);
            }
        }
        if let Some(m) = wire.message {
            actions.extend(self.handle(now, Input::Message(m))?);
        }
        Ok(actions)
    }

    /// Runs one input through the machine and serves what it asks, until it asks nothing the
    /// host can answer itself.
    pub fn handle(&mut self, now: u64, input: Input) -> Result<Vec<Action>, NodeError> {
        let mut actions = Vec::new();
        let mut inputs = vec![input];
        // Whether the machine asked for a proposal in this call: only then may one be due
        // now (otherwise `next_wake` and the arrival of transactions bring the next poll).
        let mut asked = false;
        while let Some(input) = inputs.pop() {
            for out in self.machine.handle(now, input) {
                match out {
                    Output::Persist(v) => {
                        if matches!(v, Vote::Nullify(_)) {
                            self.engine.metrics.nullify_votes.inc();
                        }
                        actions.push(Action::Persist(v))
                    }
                    Output::Broadcast(m) => {
                        let block = match &m {
                            Message::Proposal(p) => {
                                p.header.hash().ok().and_then(|h| self.block(&h))
                            }
                            _ => None,
                        };
                        actions.push(Action::Broadcast(Box::new(Wire {
                            message: Some(m),
                            block,
                        })));
                    }
                    Output::SetTimer { at } => actions.push(Action::SetTimer(at)),
                    Output::Fetch { block } => actions.push(Action::Fetch(block)),
                    Output::FetchCertificates { from, to } => {
                        actions.push(Action::FetchCertificates(from, to))
                    }
                    Output::Propose {
                        view,
                        parent,
                        parent_height: _,
                    } => {
                        if self.me.is_some() {
                            asked = true;
                            // The interval counts from the parent block, not from the view:
                            // a round that took longer than it need not wait again.
                            let since = self.executed.get(&parent).map_or(now, |e| e.at.min(now));
                            self.wanted = Some(Wanted {
                                view,
                                parent,
                                since,
                                next: now,
                            });
                        }
                    }
                    Output::Verify { header } => {
                        let block = header.hash()?;
                        let valid = self.verify(now, block, &header)?;
                        inputs.push(Input::Verified { block, valid });
                    }
                    Output::Finalized {
                        header,
                        hash,
                        finalization,
                    } => {
                        let note = match &finalization {
                            Some(f) => Some(
                                self.machine
                                    .scheme()
                                    .signed_checkpoint(f)
                                    .map_err(|e| NodeError::Config(e.to_string()))?,
                            ),
                            None => None,
                        };
                        let new_validators = self.commit(&header, hash, note)?;
                        actions.push(Action::Committed {
                            height: header.height,
                            hash,
                            new_validators,
                        });
                    }
                    Output::Fault { signer, fault } => {
                        tracing::warn!("consensus: validator {signer} misbehaved: {fault:?}");
                    }
                }
            }
        }
        if asked && self.wanted.is_some() {
            actions.extend(self.poll(now)?);
        }
        Ok(actions)
    }

    /// The tip after `hash`, the uncommitted layers below it (oldest first), and the next
    /// sequence numbers those layers moved.
    #[allow(clippy::type_complexity)]
    fn tip_of(
        &self,
        hash: Hash,
    ) -> Option<(
        Tip,
        Vec<Arc<Pending>>,
        HashMap<liangxin_types::PublicKey, u64>,
    )> {
        if hash == self.committed.parent {
            return Some((self.committed.clone(), Vec::new(), HashMap::new()));
        }
        let mut layers = Vec::new();
        let mut floors = HashMap::new();
        let mut cursor = hash;
        while cursor != self.committed.parent {
            let e = self.executed.get(&cursor)?;
            layers.push(Arc::clone(&e.built.pending));
            for (signer, next) in &e.built.next_seqs {
                let f = floors.entry(*signer).or_insert(0);
                *f = (*f).max(*next);
            }
            cursor = e.parent;
        }
        layers.reverse();
        let tip = self.executed.get(&hash)?.built.tip.clone();
        Some((tip, layers, floors))
    }

    fn propose(
        &mut self,
        now: u64,
        view: u64,
        parent: Hash,
        tip: Tip,
        layers: &[Arc<Pending>],
        txs: &[Arc<crate::mempool::PoolTx>],
    ) -> Result<Option<BlockHeader>, NodeError> {
        let Some(me) = self.me else {
            return Ok(None);
        };
        if self.after_set_change(parent) {
            tracing::debug!(
                view,
                "not proposing on a validator-set change that is not final"
            );
            return Ok(None);
        }
        if me != self.attester.key.public_key() {
            return Err(NodeError::Config(
                "this validator's signing key is not its consensus identity".into(),
            ));
        }
        let params = BlockParams::propose(
            &self.attester.key,
            tip.height + 1,
            &tip.parent,
            view,
            (self.genesis_time_ms + now) / 1000,
        );
        let started = Instant::now();
        let built = execute_block(self.engine.store(), layers, &tip, txs, params)?;
        let took = started.elapsed();
        self.observe_execution(txs.len(), took);
        self.engine.metrics.proposals.inc();
        tracing::debug!(
            view,
            txs = txs.len(),
            ms = took.as_millis() as u64,
            "built a proposal"
        );
        let Some(header) = built.write.header().cloned() else {
            return Ok(None);
        };
        let hash = header.hash()?;
        let new_validators = built.changes_validators;
        self.executed.insert(
            hash,
            Executed {
                built,
                parent,
                new_validators,
                at: now,
            },
        );
        Ok(Some(header))
    }

    fn verify(&mut self, now: u64, hash: Hash, header: &BlockHeader) -> Result<bool, NodeError> {
        if self.executed.contains_key(&hash) {
            return Ok(true);
        }
        let Some(block) = self.bodies.get(&hash).cloned() else {
            return Ok(false);
        };
        let Some((tip, layers, _)) = self.tip_of(header.parent) else {
            return Ok(false);
        };
        if self.after_set_change(header.parent) {
            // The set that certifies this block is not known until its parent is final.
            return Ok(false);
        }
        let engine = Arc::clone(&self.engine);
        let started = Instant::now();
        let verdict = verify_block_with(self.engine.store(), &layers, &tip, &block, &|id| {
            engine.pooled(id)
        })?;
        let took = started.elapsed();
        self.observe_execution(block.body.txs.len(), took);
        tracing::debug!(
            view = header.view,
            txs = block.body.txs.len(),
            ms = took.as_millis() as u64,
            valid = verdict.is_ok(),
            "verified a proposal"
        );
        match verdict {
            Ok(built) => {
                let new_validators = built.changes_validators;
                self.executed.insert(
                    hash,
                    Executed {
                        built,
                        parent: header.parent,
                        new_validators,
                        at: now,
                    },
                );
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(
                    "consensus: block {hash} at height {} is invalid: {e}",
                    header.height
                );
                Ok(false)
            }
        }
    }

    /// Whether `block` or an ancestor not yet committed changes the validator set: children of
    /// such a block are certified by the new set, so the old machine builds and accepts none.
    /// Most transactions in this leader's next proposal: `block.max_txs`, and no more than
    /// this node executes in [`EXECUTION_SHARE`] of the leader timeout.
    fn block_limit(&self) -> usize {
        let max = self.engine.block_config().max_txs;
        if self.us_per_tx <= 0.0 {
            return max;
        }
        let budget_us = self.leader_timeout as f64 * 1000.0 * EXECUTION_SHARE;
        ((budget_us / self.us_per_tx) as usize).clamp(1, max)
    }

    /// Learns the execution cost from a block of `txs` transactions that took `took`.
    fn observe_execution(&mut self, txs: usize, took: std::time::Duration) {
        if txs < 10 {
            return;
        }
        let sample = took.as_secs_f64() * 1e6 / txs as f64;
        self.us_per_tx = if self.us_per_tx <= 0.0 {
            sample
        } else {
            0.8 * self.us_per_tx + 0.2 * sample
        };
        let limit = self.block_limit();
        self.engine.metrics.block_limit_txs.set(limit as i64);
    }

    fn after_set_change(&self, block: Hash) -> bool {
        let mut cursor = block;
        while let Some(e) = self.executed.get(&cursor) {
            if e.new_validators {
                return true;
            }
            cursor = e.parent;
        }
        false
    }

    /// Commits a final block; true if it changed the validator set.
    fn commit(
        &mut self,
        header: &BlockHeader,
        hash: Hash,
        note: Option<SignedCheckpoint>,
    ) -> Result<bool, NodeError> {
        let Some(mut e) = self.executed.remove(&hash) else {
            return Err(NodeError::Corrupt(format!(
                "block {hash} at height {} is final but was never executed here",
                header.height
            )));
        };
        let started = Instant::now();
        let note = match note {
            Some(n) => n,
            None => SignedCheckpoint::sign(
                e.built.tip.checkpoint.checkpoint().clone(),
                &self.attester.name,
                &self.attester.key,
            )?,
        };
        e.built.write.checkpoint(note.to_note()?);
        e.built.tip.checkpoint = note;
        self.engine.commit_block(&e.built, started)?;
        if e.new_validators {
            tracing::info!(
                height = header.height,
                "the validator set changes after this block"
            );
        }
        self.committed = e.built.tip;
        self.recent.insert(hash, header.height);
        self.recent_order.push_back(hash);
        while self.recent_order.len() > RECENT_BLOCKS {
            if let Some(old) = self.recent_order.pop_front() {
                self.recent.remove(&old);
            }
        }
        let height = header.height;
        self.executed.retain(|_, x| x.built.tip.height > height);
        self.bodies.retain(|_, b| b.header.height > height);
        Ok(e.new_validators)
    }
}
