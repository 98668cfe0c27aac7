//! Block execution: from the chain's tip and a list of admitted transactions to a
//! [`BlockWrite`] with its header and signed checkpoint. Deterministic: the block time and the
//! transactions are inputs, the seed is the proposer's VRF output, nothing reads a clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use liangxin_contracts::genesis::Genesis;
use liangxin_contracts::store::{self, EntryChain, decode, encode, keys};
use liangxin_contracts::{
    BlockContext, Effects, ExecError, Overlay, Record, Rejection, State, StateError, Subject, Time,
    Writes,
};
use liangxin_state::MemTree;
use liangxin_storage::{BlockWrite, Region, RowIter, StateRows, Store, TableId};
use liangxin_types::block::prove_seed;
use liangxin_types::checkpoint::{Checkpoint, SignedCheckpoint};
use liangxin_types::encoding::{BoundedBytes, BoundedVec};
use liangxin_types::log::{Blake3, LogHasher, MerkleLog};
use liangxin_types::tx::ChainId;
use liangxin_types::tx::VerifiedTx;
use liangxin_types::vrf::VrfProof;
use liangxin_types::{BlockBody, BlockHeader, Hash, KeyBytes, PublicKey, SigningKey, Uscc};

use crate::error::NodeError;
use crate::mempool::PoolTx;

/// The validator this node signs as: its checkpoint-signing name and key.
#[derive(Clone, Debug)]
pub struct Validator {
    /// The name on its signature lines (the regulator's name in genesis).
    pub name: String,
    /// The key.
    pub key: SigningKey,
}

/// The chain after its latest committed block: what the next block builds on.
#[derive(Clone, Debug)]
pub struct Tip {
    /// The chain id.
    pub chain_id: ChainId,
    /// Latest height (0 = genesis).
    pub height: u64,
    /// Hash of the latest header (the genesis hash at height 0): the next block's parent.
    pub parent: Hash,
    /// Time of the latest block (genesis time at height 0), seconds.
    pub time: u64,
    /// The log appender at the latest log size.
    pub log: MerkleLog<Blake3>,
    /// The authenticated state tree after the latest block, in memory (shared with the tips
    /// before it: a clone costs a reference count).
    pub state: MemTree,
    /// The latest checkpoint.
    pub checkpoint: SignedCheckpoint,
}

fn state_err(e: liangxin_storage::Error) -> StateError {
    StateError(e.to_string())
}

/// A read-only [`State`] over the committed state: queries read it directly, and a block
/// executes on an [`Overlay`] over it (the overlay's writes become the block's state writes);
/// writes to it fail.
pub struct ReadState<'a, S: Store + ?Sized>(pub &'a S);

impl<S: Store + ?Sized> State for ReadState<'_, S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.0.state_get(key).map_err(state_err)
    }

    fn get_many(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StateError> {
        self.0.get_many_raw(TableId::State, keys).map_err(state_err)
    }

    fn put(&mut self, _key: &[u8], _value: Vec<u8>) -> Result<(), StateError> {
        Err(StateError("the query state is read-only".into()))
    }

    fn delete(&mut self, _key: &[u8]) -> Result<(), StateError> {
        Err(StateError("the query state is read-only".into()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StateError> {
        self.0.state_scan_prefix(prefix).map_err(state_err)
    }
}

/// What an executed but not yet committed block changed: its state rows. A block that extends
/// a notarized, not yet final, parent executes on the committed store with its uncommitted
/// ancestors' `Pending` layered on top ([`LayeredState`]), and on its parent tip's state tree
/// ([`Tip::state`]), so validators can vote on a chain before its blocks are final.
#[derive(Debug, Default)]
pub struct Pending {
    state: Writes,
}

/// The block's [`BlockWrite`] shares these rows rather than a copy of them.
impl StateRows for Pending {
    fn rows(&self) -> RowIter<'_> {
        Box::new(self.state.iter().map(|(k, v)| (k.as_slice(), v)))
    }
}

/// A read-only [`State`] over the committed store with uncommitted blocks' writes on top
/// (`layers`, oldest first): what a block extending those blocks executes on.
pub struct LayeredState<'a, S: Store + ?Sized> {
    base: ReadState<'a, S>,
    layers: &'a [Arc<Pending>],
}

impl<'a, S: Store + ?Sized> LayeredState<'a, S> {
    /// The store with `layers` (oldest first) applied on top.
    pub fn new(store: &'a S, layers: &'a [Arc<Pending>]) -> Self {
        LayeredState {
            base: ReadState(store),
            layers,
        }
    }
}

impl<S: Store + ?Sized> State for LayeredState<'_, S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.state.get(key) {
                return Ok(v.clone());
            }
        }
        self.base.get(key)
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), StateError> {
        self.base.put(key, value)
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), StateError> {
        self.base.delete(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StateError> {
        let base = self.base.scan_prefix(prefix)?;
        if self.layers.is_empty() {
            return Ok(base);
        }
        let mut rows: BTreeMap<Vec<u8>, Vec<u8>> = base.into_iter().collect();
        for layer in self.layers {
            for (k, v) in layer.state.with_prefix(prefix) {
                match v {
                    Some(v) => rows.insert(k.clone(), v.clone()),
                    None => rows.remove(k),
                };
            }
        }
        Ok(rows.into_iter().collect())
    }
}

/// Rewrites the validator-set row (`node-index/validators`, [`store::ValidatorSetRow`]) when
/// the block wrote a regulator row and the set it gives differs from the row. True when the row
/// changed: the block changes the validator set.
fn update_validator_row<S: State + ?Sized>(state: &mut Overlay<'_, S>) -> Result<bool, NodeError> {
    if !state
        .writes()
        .touches(&store::key(store::Table::Regulator, &[]))
    {
        return Ok(false);
    }
    write_validator_row(state)
}

/// Writes the validator-set row from the regulator rows, if it differs; true when it did.
fn write_validator_row(state: &mut impl State) -> Result<bool, NodeError> {
    let bytes = encode(&store::ValidatorSetRow::of(state)?)?;
    let key = keys::validators();
    if state.get(&key)?.as_deref() == Some(&bytes[..]) {
        return Ok(false);
    }
    state.put(&key, bytes)?;
    Ok(true)
}

/// What the node stores for a block that changed the validator set (the `validator_sets`
/// table): the new set row and its proof under the block's state root, made while the tree
/// still has that version. JSON: `{"value": hex, "proof": StateProof}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValidatorSetProof {
    /// The row's BCS bytes, hex.
    pub value: String,
    /// Its proof under the block's state root.
    pub proof: liangxin_state::StateProof,
}

/// Extends the entry chains ([`EntryChain`]) of the operators and instruments that the
/// block's accepted records touched, in log order, as state writes of the block.
///
/// Each chain is read once and written once per block, however many of the block's records
/// extend it (the state ends the same as with a read and a write per record).
fn extend_entry_chains(state: &mut impl State, outcomes: &[TxOutcome]) -> Result<(), NodeError> {
    let mut chains: BTreeMap<Vec<u8>, EntryChain> = BTreeMap::new();
    let mut keys = Vec::new();
    for o in outcomes {
        let Ok((leaf, effects)) = &o.result else {
            continue;
        };
        keys.clear();
        for subject in &effects.subjects {
            match subject {
                Subject::Operator(u) => keys.push(keys::operator_entries(u)),
                Subject::Instrument(id) => keys.push(keys::instrument_entries(id)),
                _ => {}
            }
        }
        keys.sort();
        keys.dedup();
        for key in keys.drain(..) {
            let chain = match chains.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let chain = match state.get(e.key())? {
                        Some(b) => decode(&b)?,
                        None => EntryChain::default(),
                    };
                    e.insert(chain)
                }
            };
            chain.extend(*leaf, &o.tx.id);
        }
    }
    for (key, chain) in chains {
        state.put(&key, encode(&chain)?)?;
    }
    Ok(())
}

/// What happened to one transaction of a block.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    /// The transaction.
    pub tx: Arc<PoolTx>,
    /// Its leaf and effects, or why the contracts rejected it.
    pub result: Result<(u64, Effects), Rejection>,
}

impl TxOutcome {
    /// The operator the record is about, if any.
    pub fn operator(&self) -> Option<Uscc> {
        match &self.result {
            Ok((_, effects)) => effects.subjects.iter().find_map(|s| match s {
                Subject::Operator(u) => Some(u.clone()),
                _ => None,
            }),
            Err(_) => None,
        }
    }
}

/// A block ready to commit.
#[derive(Debug)]
pub struct BuiltBlock {
    /// The atomic write.
    pub write: BlockWrite,
    /// The tip after it.
    pub tip: Tip,
    /// Every transaction's outcome, in block order (accepted ones are in the block).
    pub outcomes: Vec<TxOutcome>,
    /// The next sequence number of every signer with an accepted transaction.
    pub next_seqs: Vec<(PublicKey, u64)>,
    /// Its writes as a layer, for executing children before it is committed.
    pub pending: Arc<Pending>,
    /// Whether it changed the validator set (it rewrote the `node-index/validators` row).
    pub changes_validators: bool,
}

/// Builds the genesis write for an empty store: the genesis state, and checkpoint 0 (empty
/// log, `block_hash` = genesis hash) signed by `validator`.
pub fn build_genesis<S: Store + ?Sized>(
    store: &S,
    genesis: &Genesis,
    validator: Option<&Validator>,
) -> Result<(BlockWrite, Tip), NodeError> {
    let mut base = ReadState(store);
    let mut state = Overlay::new(&mut base);
    let meta = genesis.apply(&mut state).map_err(|e| match e {
        ExecError::Rejected(r) => NodeError::Genesis(r.to_string()),
        ExecError::State(e) => NodeError::State(e),
    })?;
    write_validator_row(&mut state)?;
    let writes = state.into_writes();
    let tree = MemTree::new().apply(&writes)?;
    let state_root = tree.root();
    let checkpoint = Checkpoint {
        chain_id: meta.chain_id.clone(),
        log_size: 0,
        log_root: Blake3::empty_root(),
        height: 0,
        block_hash: meta.genesis_hash,
        state_root,
    };
    // Under consensus nobody signs checkpoint 0: the genesis hash in it is what every node
    // agrees on from the start.
    let signed = match validator {
        Some(v) => SignedCheckpoint::sign(checkpoint, &v.name, &v.key)?,
        None => SignedCheckpoint::unsigned(checkpoint),
    };
    let mut write = BlockWrite::genesis(meta.chain_id.clone(), meta.genesis_hash);
    write.state_writes(writes).checkpoint(signed.to_note()?);
    let tip = Tip {
        chain_id: meta.chain_id,
        height: 0,
        parent: meta.genesis_hash,
        time: genesis.genesis_time.0,
        log: MerkleLog::new(),
        state: tree,
        checkpoint: signed,
    };
    Ok((write, tip))
}

/// What a block's header says about who made it and when, and the seed its records see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockParams {
    /// Proposer's time in seconds (raised to the parent's time if earlier).
    pub time: u64,
    /// The consensus view (the height, for the single-validator node).
    pub view: u64,
    /// The proposer's key.
    pub proposer: KeyBytes,
    /// The proposer's VRF proof of the block seed (`docs/protocol.md` §4a).
    pub seed_proof: VrfProof,
    /// The block seed the proof gives.
    pub seed: Hash,
}

impl BlockParams {
    /// The parameters of block `height` on `parent` proposed by `key` in `view` at `time`: the
    /// key proves the block seed.
    pub fn propose(key: &SigningKey, height: u64, parent: &Hash, view: u64, time: u64) -> Self {
        let (seed_proof, seed) = prove_seed(key, height, parent);
        BlockParams {
            time,
            view,
            proposer: key.public_key().into(),
            seed_proof,
            seed,
        }
    }
}

/// Executes `txs` in order on top of `tip` as block `tip.height + 1` at `time` (raised to the
/// parent's time if earlier) and builds its write, header and checkpoint signed by
/// `validator`. Rejected transactions are left out of the block. The store is only read;
/// `layers` are the uncommitted blocks between the store and `tip`, oldest first (empty when
/// `tip` is committed).
pub fn build_block<S: Store + ?Sized>(
    store: &S,
    layers: &[Arc<Pending>],
    tip: &Tip,
    txs: &[Arc<PoolTx>],
    time: u64,
    validator: &Validator,
) -> Result<BuiltBlock, NodeError> {
    let params = BlockParams::propose(
        &validator.key,
        tip.height + 1,
        &tip.parent,
        tip.height + 1,
        time,
    );
    let mut built = execute_block(store, layers, tip, txs, params)?;
    let signed = SignedCheckpoint::sign(
        built.tip.checkpoint.checkpoint().clone(),
        &validator.name,
        &validator.key,
    )?;
    built.write.checkpoint(signed.to_note()?);
    built.tip.checkpoint = signed;
    Ok(built)
}

/// Why a received block is not the block its header says.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid block: {0}")]
pub struct InvalidBlock(pub String);

/// Re-executes a received `block` on top of `tip` (with `layers` as in [`build_block`]) and
/// checks that it is exactly what its header says: it extends `tip`, its seed proof is its
/// proposer's VRF proof (`docs/protocol.md` §4a), every transaction decodes
/// with a valid signature for this chain and is accepted by the contracts, and the log and state
/// after it match the header. Returns the executed block (its checkpoint unsigned), ready to
/// commit once final. `Ok(Err(_))` is an invalid block; `Err(_)` a failure of this node.
pub fn verify_block<S: Store + ?Sized>(
    store: &S,
    layers: &[Arc<Pending>],
    tip: &Tip,
    block: &liangxin_types::Block,
) -> Result<Result<BuiltBlock, InvalidBlock>, NodeError> {
    verify_block_with(store, layers, tip, block, &|_| None)
}

/// [`verify_block`], taking transactions this node already verified (its mempool's, found
/// by transaction id: the hash of the exact bytes) instead of checking their signatures again.
pub fn verify_block_with<S: Store + ?Sized>(
    store: &S,
    layers: &[Arc<Pending>],
    tip: &Tip,
    block: &liangxin_types::Block,
    known: &dyn Fn(&Hash) -> Option<Arc<PoolTx>>,
) -> Result<Result<BuiltBlock, InvalidBlock>, NodeError> {
    let h = &block.header;
    let bad = |m: String| Ok(Err(InvalidBlock(m)));
    if let Err(e) = block.check_body() {
        return bad(e.to_string());
    }
    if h.chain_id != tip.chain_id || h.height != tip.height + 1 || h.parent != tip.parent {
        return bad(format!(
            "block {} of {} does not extend height {} of {}",
            h.height, h.chain_id, tip.height, tip.chain_id
        ));
    }
    if h.time < tip.time {
        return bad(format!(
            "time {} is before its parent's {}",
            h.time, tip.time
        ));
    }
    // Before the transactions' signatures: one check instead of thousands.
    let seed = match h.seed() {
        Ok(seed) => seed,
        Err(e) => return bad(format!("its seed proof is not its proposer's: {e}")),
    };
    let mut txs = Vec::with_capacity(block.body.txs.len());
    for (i, raw) in block.body.txs.iter().enumerate() {
        let raw_bytes: &[u8] = raw.as_ref();
        if let Some(t) = known(&liangxin_types::tx::tx_id(raw_bytes))
            && t.bytes.as_slice() == raw_bytes
        {
            txs.push(t);
            continue;
        }
        let Ok(v) = VerifiedTx::decode(raw.to_vec(), &tip.chain_id) else {
            return bad(format!("transaction {i} does not decode or verify"));
        };
        let record = match liangxin_contracts::precheck(&v.tx, v.id) {
            Ok(checked) => checked.record().clone(),
            Err(r) => return bad(format!("transaction {i} fails its precheck: {r}")),
        };
        txs.push(Arc::new(PoolTx {
            id: v.id,
            bytes: v.bytes,
            tx: v.tx,
            record,
        }));
    }
    let params = BlockParams {
        time: h.time,
        view: h.view,
        proposer: h.proposer,
        seed_proof: h.seed_proof,
        seed,
    };
    let built = execute_block(store, layers, tip, &txs, params)?;
    if let Some((i, o)) = built
        .outcomes
        .iter()
        .enumerate()
        .find(|(_, o)| o.result.is_err())
    {
        let reason = o
            .result
            .as_ref()
            .err()
            .map(|r| r.to_string())
            .unwrap_or_default();
        return bad(format!(
            "transaction {i} is rejected by the contracts: {reason}"
        ));
    }
    let ours = built.write.header().cloned();
    if ours.as_ref() != Some(h) {
        return bad(format!(
            "executing the body gives log size {} and state root {}, the header says {} and {}",
            built.tip.log.size(),
            built.tip.state_root(),
            h.log_size,
            h.state_root
        ));
    }
    Ok(Ok(built))
}

/// Executes `txs` in order on top of `tip` as block `tip.height + 1` and builds its write,
/// header and (unsigned) checkpoint. Rejected transactions are left out of the block. The store
/// is only read; `layers` are the uncommitted blocks between the store and `tip`, oldest first.
pub fn execute_block<S: Store + ?Sized>(
    store: &S,
    layers: &[Arc<Pending>],
    tip: &Tip,
    txs: &[Arc<PoolTx>],
    params: BlockParams,
) -> Result<BuiltBlock, NodeError> {
    let height = tip.height + 1;
    let time = params.time.max(tip.time);
    let ctx = BlockContext {
        height,
        time: Time(time),
        seed: params.seed,
    };
    let mut base = LayeredState::new(store, layers);
    let mut state = Overlay::new(&mut base);
    liangxin_contracts::begin_block(&mut state, &ctx)?;
    let mut log = tip.log.clone();
    let mut outcomes = Vec::with_capacity(txs.len());
    let mut leaves: Vec<Arc<PoolTx>> = Vec::with_capacity(txs.len());
    let mut next_seqs: BTreeMap<PublicKey, u64> = BTreeMap::new();
    for tx in txs {
        let result = match liangxin_contracts::precheck(&tx.tx, tx.id) {
            Err(r) => Err(r),
            Ok(checked) => match liangxin_contracts::execute_checked(&mut state, checked, &ctx) {
                Ok(effects) => {
                    let leaf = log.append(&tx.bytes);
                    leaves.push(Arc::clone(tx));
                    next_seqs.insert(tx.signer(), tx.seq().saturating_add(1));
                    Ok((leaf, effects))
                }
                Err(ExecError::Rejected(r)) => Err(r),
                Err(ExecError::State(e)) => return Err(NodeError::State(e)),
            },
        };
        outcomes.push(TxOutcome {
            tx: Arc::clone(tx),
            result,
        });
    }
    extend_entry_chains(&mut state, &outcomes)?;
    let set_changed = update_validator_row(&mut state)?;
    let writes = state.into_writes();
    let tree = tip.state.apply(&writes)?;
    let pending = Arc::new(Pending { state: writes });
    let writes = &pending.state;
    let state_root = tree.root();
    let set_proof = if set_changed {
        let key = keys::validators();
        let proof = tree.prove(&key)?;
        let value = writes.get(&key).cloned().flatten().ok_or_else(|| {
            NodeError::Corrupt("the validator-set row was changed but not written".into())
        })?;
        Some(
            serde_json::to_vec(&ValidatorSetProof {
                value: liangxin_types::encoding::to_hex(value),
                proof,
            })
            .map_err(|e| NodeError::Corrupt(e.to_string()))?,
        )
    } else {
        None
    };
    let body_txs = leaves
        .iter()
        .map(|t| BoundedBytes::new(t.bytes.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let body = BlockBody {
        txs: BoundedVec::new(body_txs)?,
    };
    let header = BlockHeader {
        chain_id: tip.chain_id.clone(),
        height,
        view: params.view,
        parent: tip.parent,
        time,
        proposer: params.proposer,
        seed_proof: params.seed_proof,
        tx_count: leaves.len() as u32,
        body_hash: body.hash()?,
        log_size: log.size(),
        log_root: log.root(),
        state_root,
    };
    let block_hash = header.hash()?;
    let checkpoint = Checkpoint {
        chain_id: tip.chain_id.clone(),
        log_size: log.size(),
        log_root: log.root(),
        height,
        block_hash,
        state_root,
    };
    let signed = SignedCheckpoint::unsigned(checkpoint);
    let mut write = BlockWrite::new(header, body);
    for o in &outcomes {
        let Ok((leaf, effects)) = &o.result else {
            continue;
        };
        write.entry(*leaf, o.tx.id, o.tx.bytes.clone());
        for subject in &effects.subjects {
            match subject {
                Subject::Operator(u) => {
                    write.operator_entry(u.clone(), *leaf);
                    if matches!(o.tx.record, Record::OperatorRegistration(_)) {
                        write.region_operator(Region::of(u), u.clone());
                    }
                }
                Subject::Instrument(id) => {
                    write.instrument_entry(store::instrument_key(id), *leaf);
                }
                Subject::Certificate(d) => {
                    write.certificate_entry(*d, *leaf);
                }
                _ => {}
            }
        }
    }
    write
        .tiles(log.take_dirty_tiles())
        .state_shared(Arc::clone(&pending) as Arc<dyn StateRows>);
    if let Some(p) = set_proof {
        write.validator_set_change(p);
    }
    let tip = Tip {
        chain_id: tip.chain_id.clone(),
        height,
        parent: block_hash,
        time,
        log,
        state: tree,
        checkpoint: signed,
    };
    Ok(BuiltBlock {
        write,
        tip,
        outcomes,
        next_seqs: next_seqs.into_iter().collect(),
        pending,
        changes_validators: set_changed,
    })
}

impl Tip {
    /// The state root after the latest block: the root of [`Tip::state`].
    pub fn state_root(&self) -> Hash {
        self.state.root()
    }
}

/// Rebuilds the tip from a store holding at least the genesis write (the state tree from the
/// state rows).
pub fn load_tip<S: Store + ?Sized>(store: &S) -> Result<Option<Tip>, NodeError> {
    load_tip_with(store, |_, _| None)
}

/// [`load_tip`], taking the state tree from `saved(height, state_root)` when it gives one with
/// that root (a tree saved at the last stop, [`crate::snapshot`]), else rebuilding it.
pub fn load_tip_with<S: Store + ?Sized>(
    store: &S,
    saved: impl FnOnce(u64, &Hash) -> Option<MemTree>,
) -> Result<Option<Tip>, NodeError> {
    let Some(height) = store.committed_height()? else {
        return Ok(None);
    };
    let chain_id = store
        .chain_id()?
        .ok_or_else(|| NodeError::Corrupt("the store has blocks but no chain id".into()))?;
    let note = store
        .checkpoint(Some(height))?
        .ok_or_else(|| NodeError::Corrupt(format!("no checkpoint at height {height}")))?;
    let checkpoint = SignedCheckpoint::parse_note(&note)?;
    let log = store.open_log()?;
    let (parent, time) = if height == 0 {
        let genesis = store
            .genesis_hash()?
            .ok_or_else(|| NodeError::Corrupt("no genesis hash".into()))?;
        (genesis, 0)
    } else {
        let header = store
            .header(height)?
            .ok_or_else(|| NodeError::Corrupt(format!("no header at height {height}")))?;
        (header.hash()?, header.time)
    };
    let c = checkpoint.checkpoint();
    if c.height != height || c.log_size != log.size() || c.log_root != log.root() {
        return Err(NodeError::Corrupt(format!(
            "checkpoint at height {height} does not match the stored log"
        )));
    }
    // The state tree is rebuilt from the state rows; its root must be the checkpoint's, so a
    // damaged or tampered state table is refused here, not at the next block.
    let state = match saved(height, &c.state_root) {
        Some(tree) if tree.root() == c.state_root => tree,
        _ => rebuild_state_tree(store)?,
    };
    if state.root() != c.state_root {
        return Err(NodeError::Corrupt(format!(
            "the state rows give state root {}, the checkpoint at height {height} says {}: the \
             database is damaged or was written by an incompatible version; remove its data \
             directory to start again",
            state.root(),
            c.state_root
        )));
    }
    Ok(Some(Tip {
        chain_id,
        height,
        parent,
        time,
        state,
        log,
        checkpoint,
    }))
}

/// Key ranges the state table is cut into for a rebuild ([`Store::split_keys`]): more ranges
/// than threads, so that a thread that finishes early takes another and uneven estimates even
/// out.
const REBUILD_RANGES: usize = 8;

/// Threads that read and hash the state table in a rebuild.
const REBUILD_THREADS: usize = 2;

/// Leaf hashes of rows, already split by the first bit of their key hash (the two halves under
/// the root, see [`MemTree::from_halves`]).
#[derive(Default)]
struct Halves {
    left: Vec<(Hash, Hash)>,
    right: Vec<(Hash, Hash)>,
}

impl Halves {
    fn push(&mut self, key: &[u8], value: &[u8]) {
        let kh = liangxin_state::key_hash(key);
        let vh = liangxin_state::value_hash(value);
        if MemTree::in_right_half(&kh) {
            self.right.push((kh, vh));
        } else {
            self.left.push((kh, vh));
        }
    }
}

/// The state tree of every row in the store's state table.
///
/// The table is cut into key ranges of about equal stored size ([`Store::split_keys`]); two
/// threads take ranges in turn, each reading its rows (no allocation per row, and the
/// decompression of the table's blocks shared between them) and hashing them as it reads,
/// splitting the leaves by the root's halves. The halves are then sorted and built on one
/// thread each.
pub fn rebuild_state_tree<S: Store + ?Sized>(store: &S) -> Result<MemTree, NodeError> {
    let cuts = store.split_keys(TableId::State, REBUILD_RANGES)?;
    let starts = std::iter::once(&[][..]).chain(cuts.iter().map(Vec::as_slice));
    let ends = cuts.iter().map(|c| Some(c.as_slice())).chain([None]);
    let ranges: Vec<(&[u8], Option<&[u8]>)> = starts.zip(ends).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || -> Result<Halves, NodeError> {
        let mut out = Halves::default();
        while let Some(&(start, end)) =
            ranges.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
        {
            store.visit_raw(TableId::State, start, end, &mut |k, v| {
                out.push(k, v);
                true
            })?;
        }
        Ok(out)
    };
    let parts: Vec<Result<Halves, NodeError>> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..REBUILD_THREADS.min(ranges.len()))
            .map(|_| s.spawn(work))
            .collect();
        let mut parts = vec![work()];
        for helper in helpers {
            parts.push(
                helper
                    .join()
                    .unwrap_or_else(|_| Err(NodeError::Corrupt("a hashing thread failed".into()))),
            );
        }
        parts
    });
    let mut all = Halves::default();
    for part in parts {
        let part = part?;
        all.left.extend(part.left);
        all.right.extend(part.right);
    }
    Ok(MemTree::from_halves(all.left, all.right)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use liangxin_storage::MemStore;

    fn layer(rows: &[(&str, Option<&str>)]) -> Arc<Pending> {
        Arc::new(Pending {
            state: rows
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
                .collect(),
        })
    }

    #[test]
    fn the_tree_rebuilt_from_the_state_rows_is_the_tree_of_those_rows() {
        let mut w = BlockWrite::genesis(
            ChainId::new("rebuild-test").expect("chain"),
            Hash::from([2; 32]),
        );
        // Rows of 36 to 75 bytes, values of hashes that do not compress: 120,000 rows make
        // table files large enough to be cut into ranges read by both threads.
        let rows: Vec<(Vec<u8>, Vec<u8>)> = (0u32..120_000)
            .map(|i| {
                let value = liangxin_state::key_hash(&i.to_le_bytes());
                let len = 24 + i as usize % 40;
                (
                    format!("row/{i:08}").into_bytes(),
                    value.as_ref().repeat(2)[..len].to_vec(),
                )
            })
            .collect();
        w.state_writes(rows.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
        let expected = MemTree::from_rows(rows.clone()).expect("tree").root();
        let mem = MemStore::new();
        mem.commit(&w).expect("commit");
        let dir = tempfile::tempdir().expect("dir");
        let rocks = liangxin_storage::RocksStore::open(dir.path()).expect("open");
        rocks.commit(&w).expect("commit");
        rocks.flush().expect("flush");
        assert!(
            !rocks
                .split_keys(TableId::State, REBUILD_RANGES)
                .expect("cuts")
                .is_empty(),
            "the table is cut into ranges"
        );
        for rebuilt in [rebuild_state_tree(&mem), rebuild_state_tree(&rocks)] {
            let rebuilt = rebuilt.expect("rebuild");
            assert_eq!(rebuilt.len(), rows.len() as u64);
            assert_eq!(rebuilt.root(), expected);
        }
        assert_eq!(
            rebuild_state_tree(&MemStore::new()).expect("empty").root(),
            liangxin_state::EMPTY
        );
    }

    #[test]
    fn layers_shadow_the_store_newest_first_in_gets_and_scans() {
        let store = MemStore::new();
        let mut w = BlockWrite::genesis(
            ChainId::new("layer-test").expect("chain"),
            Hash::from([1; 32]),
        );
        w.state_writes([
            (b"a/1".to_vec(), Some(b"store".to_vec())),
            (b"a/2".to_vec(), Some(b"store".to_vec())),
            (b"b/1".to_vec(), Some(b"store".to_vec())),
        ]);
        store.commit(&w).expect("commit");
        let layers = [
            layer(&[("a/2", None), ("a/3", Some("l1")), ("a/4", Some("l1"))]),
            layer(&[("a/3", Some("l2")), ("a/2", Some("l2")), ("a/4", None)]),
        ];
        let s = LayeredState::new(&store, &layers);
        let get = |k: &str| {
            s.get(k.as_bytes())
                .expect("get")
                .map(|v| String::from_utf8(v).expect("utf8"))
        };
        assert_eq!(get("a/1").as_deref(), Some("store"));
        assert_eq!(
            get("a/2").as_deref(),
            Some("l2"),
            "deleted in l1, put again in l2"
        );
        assert_eq!(get("a/3").as_deref(), Some("l2"));
        assert_eq!(get("a/4"), None, "put in l1, deleted in l2");
        let scan: Vec<(String, String)> = s
            .scan_prefix(b"a/")
            .expect("scan")
            .into_iter()
            .map(|(k, v)| {
                (
                    String::from_utf8(k).expect("k"),
                    String::from_utf8(v).expect("v"),
                )
            })
            .collect();
        assert_eq!(
            scan,
            [("a/1", "store"), ("a/2", "l2"), ("a/3", "l2")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(s.scan_prefix(b"b/").expect("scan").len(), 1);
        let mut s = LayeredState::new(&store, &layers);
        assert!(s.put(b"x", vec![]).is_err(), "read-only");
    }
}
