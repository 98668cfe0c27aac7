//! The consensus host: runs the [`Consensus`] state machine against real execution and storage.
//!
//! It answers the machine's requests — build a proposal from the mempool on top of a parent
//! that may not be final yet, re-execute a received block, commit a finalized one in its atomic
//! batch with the finalization as its checkpoint note — and turns its messages into
//! [`Wire`] messages for the network (a proposal travels with its block body). Transport, timers
//! and vote durability belong to the caller: it feeds [`Host::handle`] and acts on the
//! [`Action`]s it gets back, in order. That keeps the host deterministic and testable with an
//! in-memory network (`node/tests/consensus.rs`); the p2p wiring is the next step of issue 5.

use std::collections::HashMap;
use std::sync::Arc;

use liangxin_consensus::{Anchor, Config, Consensus, Ed25519Scheme, Input, Message, Output, Vote};
use liangxin_storage::Store;
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::{Block, BlockHeader, Domain, Hash, KeyBytes};
use serde::{Deserialize, Serialize};

use crate::error::NodeError;
use crate::exec::{BlockParams, BuiltBlock, NodeCache, Pending, Tip, execute_block, verify_block};
use crate::mempool::Mempool;

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
    },
}

/// An executed block not yet final.
struct Executed {
    built: BuiltBlock,
    parent: Hash,
}

/// One validator's (or observer's) consensus host.
pub struct Host<S: Store> {
    machine: Consensus<Ed25519Scheme>,
    store: Arc<S>,
    cache: Option<Arc<NodeCache>>,
    committed: Tip,
    executed: HashMap<Hash, Executed>,
    bodies: HashMap<Hash, Block>,
    mempool: Mempool,
    me: Option<KeyBytes>,
    max_block_txs: usize,
    genesis_time_ms: u64,
}

/// The seed of a block built on `parent` under consensus. Interim and **predictable** (the
/// parent's hash): the unbiasable seed needs a VRF (`docs/protocol.md` §4a). Draws executed
/// under consensus are therefore not yet impartial.
pub fn consensus_seed(parent: &Hash) -> Hash {
    Domain::Seed.hash_parts(&[b"block-seed-parent", parent.as_bytes()])
}

impl<S: Store> Host<S> {
    /// A host over `store` (committed up to `tip`), with the consensus `config`, signing
    /// `scheme`, restored `votes` and vote floor (see [`Consensus::new`]). The scheme also
    /// turns finalizations into checkpoint notes.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<S>,
        cache: Option<Arc<NodeCache>>,
        tip: Tip,
        tip_view: u64,
        config: Config,
        scheme: Ed25519Scheme,
        votes: Vec<Vote>,
        vote_floor: u64,
        mempool: Mempool,
        max_block_txs: usize,
        genesis_time_ms: u64,
    ) -> Result<Self, NodeError> {
        let me = liangxin_consensus::Scheme::me(&scheme)
            .and_then(|i| config.validators.get(i as usize).copied());
        let anchor = Anchor {
            view: tip_view,
            height: tip.height,
            hash: tip.parent,
        };
        let machine = Consensus::new(config, scheme, anchor, votes, vote_floor)
            .map_err(|e| NodeError::Config(e.to_string()))?;
        Ok(Host {
            machine,
            store,
            cache,
            committed: tip,
            executed: HashMap::new(),
            bodies: HashMap::new(),
            mempool,
            me,
            max_block_txs,
            genesis_time_ms,
        })
    }

    /// The machine (for its view, stats and certificate answers).
    pub fn machine(&self) -> &Consensus<Ed25519Scheme> {
        &self.machine
    }

    /// The mempool, to admit transactions into.
    pub fn mempool_mut(&mut self) -> &mut Mempool {
        &mut self.mempool
    }

    /// The committed tip.
    pub fn tip(&self) -> &Tip {
        &self.committed
    }

    /// A block this host holds (for a peer's fetch).
    pub fn block(&self, hash: &Hash) -> Option<Block> {
        if let Some(b) = self.bodies.get(hash) {
            return Some(b.clone());
        }
        self.executed.get(hash).and_then(|e| e.built.write.block())
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
        while let Some(input) = inputs.pop() {
            for out in self.machine.handle(now, input) {
                match out {
                    Output::Persist(v) => actions.push(Action::Persist(v)),
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
                        if let Some(header) = self.propose(now, view, parent)? {
                            inputs.push(Input::Proposed { view, header });
                        }
                    }
                    Output::Verify { header } => {
                        let block = header.hash()?;
                        let valid = self.verify(block, &header)?;
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
                        self.commit(&header, hash, note)?;
                        actions.push(Action::Committed {
                            height: header.height,
                            hash,
                        });
                    }
                    Output::Fault { signer, fault } => {
                        tracing::warn!("consensus: validator {signer} misbehaved: {fault:?}");
                    }
                }
            }
        }
        Ok(actions)
    }

    /// The tip after `hash` and the uncommitted layers below it, oldest first.
    fn tip_of(&self, hash: Hash) -> Option<(Tip, Vec<Arc<Pending>>)> {
        if hash == self.committed.parent {
            return Some((self.committed.clone(), Vec::new()));
        }
        let mut layers = Vec::new();
        let mut cursor = hash;
        while cursor != self.committed.parent {
            let e = self.executed.get(&cursor)?;
            layers.push(Arc::clone(&e.built.pending));
            cursor = e.parent;
        }
        layers.reverse();
        let tip = self.executed.get(&hash)?.built.tip.clone();
        Some((tip, layers))
    }

    fn propose(
        &mut self,
        now: u64,
        view: u64,
        parent: Hash,
    ) -> Result<Option<BlockHeader>, NodeError> {
        let Some(me) = self.me else {
            return Ok(None);
        };
        let Some((tip, layers)) = self.tip_of(parent) else {
            return Ok(None);
        };
        let txs = self.mempool.select(self.max_block_txs);
        let params = BlockParams {
            time: (self.genesis_time_ms + now) / 1000,
            view,
            proposer: me,
            seed: consensus_seed(&parent),
        };
        let built = execute_block(
            &*self.store,
            self.cache.as_deref(),
            &layers,
            &tip,
            &txs,
            params,
        )?;
        let Some(header) = built.write.header().cloned() else {
            return Ok(None);
        };
        let hash = header.hash()?;
        self.executed.insert(hash, Executed { built, parent });
        Ok(Some(header))
    }

    fn verify(&mut self, hash: Hash, header: &BlockHeader) -> Result<bool, NodeError> {
        if self.executed.contains_key(&hash) {
            return Ok(true);
        }
        let Some(block) = self.bodies.get(&hash).cloned() else {
            return Ok(false);
        };
        let Some((tip, layers)) = self.tip_of(header.parent) else {
            return Ok(false);
        };
        let seed = consensus_seed(&header.parent);
        match verify_block(
            &*self.store,
            self.cache.as_deref(),
            &layers,
            &tip,
            &block,
            seed,
        )? {
            Ok(built) => {
                self.executed.insert(
                    hash,
                    Executed {
                        built,
                        parent: header.parent,
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

    fn commit(
        &mut self,
        header: &BlockHeader,
        hash: Hash,
        note: Option<SignedCheckpoint>,
    ) -> Result<(), NodeError> {
        let Some(mut e) = self.executed.remove(&hash) else {
            return Err(NodeError::Corrupt(format!(
                "block {hash} at height {} is final but was never executed here",
                header.height
            )));
        };
        let note = note.unwrap_or_else(|| e.built.tip.checkpoint.clone());
        e.built.write.checkpoint(note.to_note()?);
        self.store.commit(&e.built.write)?;
        if let Some(cache) = &self.cache {
            for (k, v) in &e.built.tree_puts {
                cache.insert(k, v);
            }
        }
        let included: std::collections::HashSet<Hash> = e
            .built
            .outcomes
            .iter()
            .filter(|o| o.result.is_ok())
            .map(|o| o.tx.id)
            .collect();
        self.mempool
            .committed(&e.built.next_seqs, &|id| included.contains(id));
        let mut tip = e.built.tip;
        tip.checkpoint = note;
        self.committed = tip;
        let height = header.height;
        self.executed.retain(|_, x| x.built.tip.height > height);
        self.bodies.retain(|_, b| b.header.height > height);
        Ok(())
    }
}
