//! The regulators' network on a running node: consensus over libp2p.
//!
//! One **driver thread** owns the consensus [`Host`] and is the only writer of the ledger: it
//! takes consensus gossip, sync answers and timers from one inbox, persists each own vote in
//! the [`VoteLog`] before sending anything after it, and acts on the host's [`Action`]s.
//! Around it, on tokio:
//!
//! - a **pump** task moves network events into the inbox, except transaction gossip, which it
//!   hands to an **admission thread** (signature checks are CPU work);
//! - transactions clients submit are gossiped by a **publisher** task (the engine's hook), and
//!   every new transaction wakes a leader waiting to propose;
//! - requests to peers (fetch a block, certificates, a batch of blocks) are short tasks whose
//!   answers come back through the inbox.
//!
//! **Catch-up sync.** Every [`SYNC_CHECK_MS`] the driver asks a peer for its height; when the
//! peer is more than [`SYNC_LAG`] blocks ahead, it downloads batches of final blocks with their
//! checkpoint notes, re-executes each, checks that its own checkpoint equals the note's and
//! that the batch's last note is signed by a quorum of the validator set (the hash chain
//! vouches for the blocks before it), commits them, and restarts its consensus machine on the
//! new tip (a restart is safe: its votes are restored from memory). Short gaps are filled by
//! the machine's own fetches.
//!
//! **Disk loss.** A validator whose home directory says it ran before
//! ([`STARTED_MARKER`]) but whose vote log is gone starts with a vote floor of "never", syncs,
//! asks its peers for their newest certificates, and only when a quorum of them answered sets
//! and persists its floor to the newest certificate view plus 3 (`docs/consensus.md`).

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TrySendError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use liangxin_consensus::{Config, Ed25519Scheme, Input, Message, NamedKey, Vote};
use liangxin_p2p::libp2p::gossipsub::MessageId;
use liangxin_p2p::{Event, Network, PeerAddress, RequestToken, Topic, Validation};
use liangxin_storage::{RocksStore, Store};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::{Block, Canonical, Hash, KeyBytes, PublicKey, SigningKey};
use serde::{Deserialize, Serialize};
use tokio::runtime::Handle;

use crate::engine::{Engine, Hooks, Origin};
use crate::error::NodeError;
use crate::exec::{ReadState, Validator, verify_block};
use crate::gossip::{Batcher, REGOSSIP_PER_ROUND, Regossip, TxBatch};
use crate::host::{Action, Host, Pacing, Wire, validator_set};
use crate::votelog::VoteLog;

/// How often the driver checks whether a peer is far ahead (logical milliseconds).
pub const SYNC_CHECK_MS: u64 = 2_000;

/// A peer this many blocks ahead triggers batch sync (fewer are fetched by the machine).
pub const SYNC_LAG: u64 = 16;

/// Most blocks in one sync answer (also bounded by [`SYNC_BATCH_BYTES`]).
pub const SYNC_BATCH_BLOCKS: u32 = 256;

/// Most bytes of blocks in one sync answer.
pub const SYNC_BATCH_BYTES: usize = 16 << 20;

/// The file in a node's home directory that says the node ran before: its vote log missing
/// then means disk loss.
pub const STARTED_MARKER: &str = "node.started";

/// The `[network]` section of the node's config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Run consensus with peers. Default false: a single-validator ledger (`dev`).
    pub enabled: bool,
    /// Where the p2p layer listens. Default `127.0.0.1:8771`.
    pub listen: std::net::SocketAddr,
    /// Peers to dial: `{ key = "hex", addr = "host:port" }`.
    pub peers: Vec<PeerEntry>,
    /// Observer keys allowed to connect (validators always are).
    pub observers: Vec<PublicKey>,
    /// Milliseconds a validator waits for a proposal. Default 1,000.
    pub leader_timeout_ms: u64,
    /// Milliseconds a validator waits for a notarization. Default 2,000.
    pub notarization_timeout_ms: u64,
    /// Milliseconds between rebroadcasts while stuck. Default 1,000.
    pub retry_interval_ms: u64,
    /// A leader with nothing to propose proposes an empty block after this many
    /// milliseconds (kept below the leader timeout). Default 500.
    pub idle_block_ms: u64,
    /// Transactions clients submit are gossiped in batches: a batch goes out this many
    /// milliseconds after its first transaction, or sooner when full
    /// ([`crate::gossip`]). Default 20; 0 sends at once whatever is queued.
    pub gossip_batch_ms: u64,
}

/// A peer's identity and address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerEntry {
    /// Its key.
    pub key: PublicKey,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            enabled: false,
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8771)),
            peers: Vec::new(),
            observers: Vec::new(),
            leader_timeout_ms: 1_000,
            notarization_timeout_ms: 2_000,
            retry_interval_ms: 1_000,
            idle_block_ms: 500,
            gossip_batch_ms: 20,
        }
    }
}

/// A request on `/liangxin/sync/1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncRequest {
    /// A block (final or not) by hash.
    Block(Hash),
    /// Certificates of views `from..=to` ([`liangxin_consensus::Consensus::certificates`]).
    Certificates {
        /// First view.
        from: u64,
        /// Last view.
        to: u64,
    },
    /// The peer's committed height and its newest certificates.
    Status,
    /// Final blocks from `from` on, with their checkpoint notes.
    Blocks {
        /// First height.
        from: u64,
        /// Most blocks.
        max: u32,
    },
}

impl Canonical for SyncRequest {
    const NAME: &'static str = "sync request";
    const MAX_SIZE: usize = 64 << 10;
}

/// A final block and the checkpoint note stored with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedBlock {
    /// The block.
    pub block: Block,
    /// Its checkpoint note.
    pub note: String,
}

/// An answer on `/liangxin/sync/1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncResponse {
    /// The block, if held.
    Block(Option<Box<Block>>),
    /// Certificates.
    Certificates(Vec<Message>),
    /// Committed height and newest certificates.
    Status {
        /// Committed height.
        height: u64,
        /// The certificates of its newest certificate view, and its newest finalization.
        certificates: Vec<Message>,
    },
    /// Final blocks in height order.
    Blocks(Vec<SyncedBlock>),
}

impl Canonical for SyncResponse {
    const NAME: &'static str = "sync response";
    const MAX_SIZE: usize = 32 << 20;
}

/// What reaches the driver.
enum Msg {
    Net(Event),
    Wire(Box<Wire>),
    Status {
        from: KeyBytes,
        height: u64,
        certificates: Vec<Message>,
    },
    Blocks {
        from: KeyBytes,
        blocks: Vec<SyncedBlock>,
    },
    Poll,
    /// A critical task ended: the node must stop.
    Failed(String),
    Stop,
}

/// Logical time: milliseconds since genesis, monotonic.
struct Clock {
    base: u64,
    start: Instant,
}

impl Clock {
    fn new(genesis_time_ms: u64) -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Clock {
            base: wall.saturating_sub(genesis_time_ms),
            start: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        self.base + self.start.elapsed().as_millis() as u64
    }
}

/// Stops a running network driver.
pub struct NetworkHandle {
    inbox: Sender<Msg>,
    /// The p2p handle (peers, cut and heal for tests and chaos tooling).
    pub net: Network,
}

impl NetworkHandle {
    /// Asks the driver to stop after its current step.
    pub fn stop(&self) {
        let _ = self.inbox.send(Msg::Stop);
    }
}

/// Everything the driver needs to (re)build its host.
struct Identity {
    chain: liangxin_types::ChainId,
    named: Vec<NamedKey>,
    /// The node's key (its network identity).
    node_key: SigningKey,
    /// The node's key while it is a validator.
    key: Option<SigningKey>,
    observers: Vec<KeyBytes>,
    consensus: Config,
    pacing: Pacing,
    attester: Validator,
    genesis_time_ms: u64,
}

impl Identity {
    fn host(
        &self,
        engine: &Arc<Engine<RocksStore>>,
        votes: &[Vote],
        floor: u64,
    ) -> Result<Host<RocksStore>, NodeError> {
        let scheme = Ed25519Scheme::new(self.chain.clone(), self.named.clone(), self.key.clone())
            .map_err(|e| NodeError::Config(e.to_string()))?;
        Host::new(
            Arc::clone(engine),
            self.consensus.clone(),
            scheme,
            votes.to_vec(),
            floor,
            self.pacing,
            self.attester.clone(),
            self.genesis_time_ms,
        )
    }

    fn quorum(&self) -> usize {
        self.consensus.quorum()
    }

    fn validator_list(&self) -> Vec<(String, PublicKey)> {
        self.named.iter().map(|n| (n.name.clone(), n.key)).collect()
    }
}

/// Starts the network and the driver thread for `engine`'s ledger. `key` is the node's key
/// (a validator's, or an observer's own); `home` holds the vote log and the started marker.
/// The driver's result arrives on `done`.
pub async fn start(
    engine: Arc<Engine<RocksStore>>,
    config: &NetworkConfig,
    attester: Validator,
    home: &Path,
    data_dir: &Path,
    genesis_time: u64,
    done: tokio::sync::oneshot::Sender<Result<(), NodeError>>,
) -> Result<NetworkHandle, NodeError> {
    let tip = engine.read().clone();
    let named = validator_set(&ReadState(engine.store()))?;
    let keys: Vec<KeyBytes> = named.iter().map(|n| KeyBytes::from(n.key)).collect();
    let key = attester.key.clone();
    let me = key.public_key();
    let is_validator = keys.iter().any(|k| *k == me);
    let mut consensus = Config::new(tip.chain_id.clone(), keys.clone());
    consensus.leader_timeout = config.leader_timeout_ms.max(10);
    consensus.notarization_timeout = config.notarization_timeout_ms.max(20);
    consensus.retry_interval = config.retry_interval_ms.max(10);
    let identity = Identity {
        chain: tip.chain_id.clone(),
        named,
        node_key: key.clone(),
        key: is_validator.then(|| key.clone()),
        observers: config.observers.iter().map(KeyBytes::from).collect(),
        consensus,
        pacing: Pacing {
            interval: engine.block_config().interval_ms,
            idle: config.idle_block_ms.max(1),
        },
        attester,
        genesis_time_ms: genesis_time.saturating_mul(1000),
    };

    // Votes: restored, or (disk loss) a floor of "never" until peers tell the newest view.
    let (votelog, votes, floor, rejoin) = if is_validator {
        let path = data_dir.join("votes.log");
        let existed = path.exists();
        let ran_before = home.join(STARTED_MARKER).exists();
        let (log, restored) = VoteLog::open(&path)?;
        let rejoin = ran_before && !existed;
        if rejoin {
            tracing::warn!(
                "{} is missing but this node ran before: its data was lost. It signs nothing \
                 until its peers tell it the newest view (docs/consensus.md, disk loss)",
                path.display()
            );
        }
        let floor = if rejoin { u64::MAX } else { restored.floor };
        (Some(log), restored.votes, floor, rejoin)
    } else {
        (None, Vec::new(), 0, false)
    };
    let marker = home.join(STARTED_MARKER);
    if !marker.exists() {
        std::fs::write(&marker, format!("{}\n", tip.chain_id)).map_err(|e| NodeError::Io {
            path: marker.display().to_string(),
            source: e,
        })?;
    }

    let mut p2p = liangxin_p2p::Config::new(tip.chain_id.as_str(), key.seed(), config.listen);
    p2p.peers = config
        .peers
        .iter()
        .filter(|p| p.key != me)
        .map(|p| PeerAddress {
            key: KeyBytes::from(p.key),
            addr: p.addr,
        })
        .collect();
    p2p.allowed = keys
        .iter()
        .copied()
        .chain(config.observers.iter().map(KeyBytes::from))
        .filter(|k| *k != me)
        .collect();
    let (net, mut events) = Network::start(p2p)
        .await
        .map_err(|e| NodeError::Network(e.to_string()))?;

    let (inbox_tx, inbox) = std::sync::mpsc::channel::<Msg>();
    // Transaction gossip: admission on its own thread. Batches of up to `BATCH_MAX_TXS`; one
    // arriving while this many wait is ignored (its publisher gossips what is still waiting
    // again, `crate::gossip`).
    let (admit_tx, admit_rx) =
        std::sync::mpsc::sync_channel::<(MessageId, KeyBytes, Vec<u8>)>(ADMISSION_QUEUE);
    {
        let engine = Arc::clone(&engine);
        let net = net.clone();
        let rt = Handle::current();
        std::thread::Builder::new()
            .name("tx-admission".into())
            .spawn(move || admission(engine, admit_rx, net, rt))
            .map_err(|e| NodeError::Config(format!("admission thread: {e}")))?;
    }
    // The pump.
    {
        let inbox = inbox_tx.clone();
        let net = net.clone();
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                match ev {
                    Event::Gossip {
                        topic: Topic::Txs,
                        from,
                        id,
                        data,
                    } => match admit_tx.try_send((id, from, data)) {
                        Ok(()) => {}
                        Err(TrySendError::Full((id, from, _))) => {
                            net.report(id, from, Validation::Ignore).await
                        }
                        Err(TrySendError::Disconnected(_)) => break,
                    },
                    other => {
                        if inbox.send(Msg::Net(other)).is_err() {
                            return;
                        }
                    }
                }
            }
            // The swarm's task ended: without a network this node cannot follow the chain.
            let _ = inbox.send(Msg::Failed("the p2p network task stopped".into()));
        });
    }
    // Client transactions are gossiped, in order and in batches, by one task, which also
    // gossips again those still waiting after a while.
    let (publish_tx, publish_rx) = tokio::sync::mpsc::unbounded_channel::<(Hash, Vec<u8>)>();
    tokio::spawn(publish(
        Arc::clone(&engine),
        net.clone(),
        publish_rx,
        config.gossip_batch_ms,
    ));
    let poll = inbox_tx.clone();
    // At most one poll waits in the inbox, however fast transactions arrive.
    let poll_queued = Arc::new(AtomicBool::new(false));
    let queued = Arc::clone(&poll_queued);
    engine.set_hooks(Hooks {
        admitted: Box::new(move |id, bytes| {
            let _ = publish_tx.send((*id, bytes.to_vec()));
        }),
        arrived: Box::new(move || {
            if !queued.swap(true, Ordering::AcqRel) {
                let _ = poll.send(Msg::Poll);
            }
        }),
    });

    let host = identity.host(&engine, &votes, floor)?;
    tracing::info!(
        role = if is_validator { "validator" } else { "observer" },
        validators = identity.named.len(),
        quorum = identity.quorum(),
        listen = %config.listen,
        "consensus starting"
    );
    let clock = Clock::new(identity.genesis_time_ms);
    let driver = Driver {
        host,
        data_dir: data_dir.to_path_buf(),
        engine,
        identity,
        net: net.clone(),
        rt: Handle::current(),
        inbox_tx: inbox_tx.clone(),
        votelog,
        votes,
        floor,
        rejoin: rejoin.then(HashSet::new),
        timer: None,
        next_sync: 0,
        syncing: false,
        peers: BTreeSet::new(),
        round_robin: 0,
        poll_queued,
        clock,
    };
    std::thread::Builder::new()
        .name("consensus".into())
        .spawn(move || {
            let engine = Arc::clone(&driver.engine);
            let r = driver.run(inbox);
            if let Err(e) = &r {
                tracing::error!(error = %e, "consensus driver failed; the node stops");
                engine.fail(e.to_string());
            }
            let _ = done.send(r);
        })
        .map_err(|e| NodeError::Config(format!("consensus thread: {e}")))?;
    Ok(NetworkHandle {
        inbox: inbox_tx,
        net,
    })
}

/// Most gossiped batches waiting for the admission thread.
const ADMISSION_QUEUE: usize = 256;

/// How often the publisher looks for transactions to gossip again.
const REGOSSIP_ROUND_MS: u64 = 500;

/// The publisher: batches the transactions clients submitted here and gossips them, then
/// gossips again those still waiting in the mempool ([`Regossip`]).
async fn publish(
    engine: Arc<Engine<RocksStore>>,
    net: Network,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<(Hash, Vec<u8>)>,
    delay_ms: u64,
) {
    let start = tokio::time::Instant::now();
    let now = move || start.elapsed().as_millis() as u64;
    // Distinct nonces across restarts: batches are gossip messages named by their hash.
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut batcher = Batcher::new(delay_ms, nonce);
    let mut regossip = Regossip::new();
    let mut round = tokio::time::interval(std::time::Duration::from_millis(REGOSSIP_ROUND_MS));
    round.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let deadline = batcher
            .deadline()
            .map(|d| start + std::time::Duration::from_millis(d));
        let mut sealed = Vec::new();
        tokio::select! {
            tx = rx.recv() => {
                let Some((id, tx)) = tx else { break };
                let t = now();
                regossip.track(t, id);
                sealed.extend(batcher.push(t, tx));
                // Take what else is queued without waiting.
                while let Ok((id, tx)) = rx.try_recv() {
                    regossip.track(t, id);
                    sealed.extend(batcher.push(t, tx));
                }
                sealed.extend(batcher.poll(t));
            }
            _ = tokio::time::sleep_until(deadline.unwrap_or(start)), if deadline.is_some() => {
                sealed.extend(batcher.poll(now()));
            }
            _ = round.tick() => {
                let t = now();
                for (id, sent) in regossip.due(t, REGOSSIP_PER_ROUND) {
                    if let Some(p) = engine.pooled(&id) {
                        regossip.sent_again(t, id, sent);
                        sealed.extend(batcher.push(t, p.bytes.clone()));
                    }
                }
                sealed.extend(batcher.poll(t));
            }
        }
        for batch in sealed {
            let n = batch.txs.len();
            match batch.to_canonical() {
                Ok(bytes) => {
                    if let Err(e) = net.publish(Topic::Txs, bytes).await {
                        // Still in the mempool: gossiped again later.
                        tracing::debug!("gossiping a batch of {n} transactions: {e}");
                    }
                }
                Err(e) => tracing::warn!("encoding a batch of {n} transactions: {e}"),
            }
        }
    }
}

fn admission(
    engine: Arc<Engine<RocksStore>>,
    rx: Receiver<(MessageId, KeyBytes, Vec<u8>)>,
    net: Network,
    rt: Handle,
) {
    while let Ok((id, from, data)) = rx.recv() {
        let verdict = admit_batch(&engine, &data);
        rt.block_on(net.report(id, from, verdict));
    }
}

/// Admits the transactions of a gossiped batch. A batch that does not decode, or holds a
/// transaction that is forged or garbled, is rejected (an honest peer only publishes and
/// forwards batches it checked) and not forwarded; otherwise it is forwarded, whatever its
/// transactions' fate (stale, a replay, from a signer this node does not know yet). A
/// transaction this node already holds is skipped before its signature is checked again.
pub fn admit_batch<S: Store + 'static>(engine: &Engine<S>, data: &[u8]) -> Validation {
    use liangxin_rpc::RpcError;
    let Ok(batch) = TxBatch::from_canonical(data) else {
        return Validation::Reject;
    };
    for raw in batch.txs.into_inner() {
        let bytes = raw.into_inner();
        if engine.pooled(&liangxin_types::tx::tx_id(&bytes)).is_some() {
            continue;
        }
        match engine.admit_from(bytes, false, Origin::Peer) {
            Err(RpcError::Rejected { rejection, .. })
                if rejection.code == liangxin_contracts::Code::BadSignature.number()
                    || rejection.code == liangxin_contracts::Code::Malformed.number() =>
            {
                return Validation::Reject;
            }
            _ => {}
        }
    }
    Validation::Accept
}

struct Driver {
    host: Host<RocksStore>,
    data_dir: std::path::PathBuf,
    engine: Arc<Engine<RocksStore>>,
    identity: Identity,
    net: Network,
    rt: Handle,
    inbox_tx: Sender<Msg>,
    votelog: Option<VoteLog>,
    /// Every vote this validator persisted (to rebuild the host after a sync).
    votes: Vec<Vote>,
    floor: u64,
    /// Disk loss: the peers that told their newest certificates so far.
    rejoin: Option<HashSet<KeyBytes>>,
    timer: Option<u64>,
    next_sync: u64,
    syncing: bool,
    peers: BTreeSet<KeyBytes>,
    round_robin: usize,
    poll_queued: Arc<AtomicBool>,
    clock: Clock,
}

impl Driver {
    fn run(mut self, inbox: Receiver<Msg>) -> Result<(), NodeError> {
        let now = self.clock.now();
        let actions = self.host.handle(now, Input::Start)?;
        self.act(actions)?;
        loop {
            let now = self.clock.now();
            let wake = [self.timer, self.host.next_wake(), Some(self.next_sync)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(now + SYNC_CHECK_MS);
            let msg = if wake > now {
                inbox.recv_timeout(std::time::Duration::from_millis(wake - now))
            } else {
                inbox.try_recv().map_err(|e| match e {
                    std::sync::mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                    std::sync::mpsc::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                })
            };
            match msg {
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Ok(Msg::Failed(why)) => return Err(NodeError::Network(why)),
                Ok(m) => self.on_msg(m)?,
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = self.clock.now();
            if self.timer.is_some_and(|t| t <= now) {
                self.timer = None;
                tracing::debug!("timer: {}", self.host.machine().summary());
                let a = self.host.handle(now, Input::Timer)?;
                self.act(a)?;
            }
            if self.host.next_wake().is_some_and(|w| w <= now) {
                let a = self.host.poll(now)?;
                self.act(a)?;
            }
            if now >= self.next_sync {
                self.next_sync = now + SYNC_CHECK_MS;
                self.check_sync();
            }
        }
    }

    fn on_msg(&mut self, m: Msg) -> Result<(), NodeError> {
        let now = self.clock.now();
        match m {
            Msg::Net(Event::Gossip {
                topic: Topic::Consensus,
                from,
                id,
                data,
            }) => {
                let wire = Wire::from_canonical(&data);
                let verdict = if wire.is_ok() {
                    Validation::Accept
                } else {
                    Validation::Reject
                };
                let net = self.net.clone();
                self.rt
                    .spawn(async move { net.report(id, from, verdict).await });
                if let Ok(w) = wire {
                    if let Some(Message::Proposal(p)) = &w.message {
                        tracing::debug!(
                            view = p.header.view,
                            height = p.header.height,
                            "proposal received"
                        );
                    }
                    let a = self.host.receive(now, w)?;
                    self.act(a)?;
                }
            }
            Msg::Net(Event::Gossip { .. }) | Msg::Net(Event::Listening(_)) => {}
            Msg::Net(Event::Request { from, data, token }) => self.answer(from, &data, token)?,
            Msg::Net(Event::Connected(k)) => {
                self.peers.insert(k);
                if self.rejoin.is_some() {
                    self.ask_status(k);
                }
            }
            Msg::Net(Event::Disconnected(k)) => {
                self.peers.remove(&k);
            }
            Msg::Wire(w) => {
                let a = self.host.receive(now, *w)?;
                self.act(a)?;
            }
            Msg::Status {
                from,
                height,
                certificates,
            } => {
                for m in certificates {
                    let a = self.host.receive(
                        now,
                        Wire {
                            message: Some(m),
                            block: None,
                        },
                    )?;
                    self.act(a)?;
                }
                let committed = self.engine.read().height;
                let behind = height > committed + SYNC_LAG;
                tracing::debug!(%from, height, committed, behind, syncing = self.syncing, "peer status");
                if behind && !self.syncing {
                    self.syncing = true;
                    self.ask_blocks(from, committed + 1);
                }
                // Disk loss: only answers given while this node is caught up count (their
                // certificates then fall inside its machine's window).
                if let Some(answered) = &mut self.rejoin {
                    if behind || self.syncing {
                        answered.clear();
                    } else {
                        answered.insert(from);
                        self.try_set_floor()?;
                    }
                }
            }
            Msg::Blocks { from, blocks } => {
                let more = self.apply_blocks(blocks)?;
                if more {
                    let committed = self.engine.read().height;
                    self.ask_blocks(from, committed + 1);
                } else {
                    self.syncing = false;
                    if self.rejoin.is_some() {
                        for p in self.peers.clone() {
                            self.ask_status(p);
                        }
                    }
                }
            }
            Msg::Poll => {
                self.poll_queued.store(false, Ordering::Release);
                tracing::trace!(wake = ?self.host.next_wake(), "a transaction arrived");
                let a = self.host.poll(now)?;
                self.act(a)?;
            }
            Msg::Stop | Msg::Failed(_) => {}
        }
        Ok(())
    }

    /// Disk loss: once a quorum of peers (besides this node) told their newest
    /// certificates, the floor is the newest certificate view plus 3.
    fn try_set_floor(&mut self) -> Result<(), NodeError> {
        let Some(answered) = &self.rejoin else {
            return Ok(());
        };
        if self.syncing || answered.len() + 1 < self.identity.quorum() {
            return Ok(());
        }
        let m = self.host.machine();
        let floor = m.highest_certificate_view().max(m.anchor().view) + 3;
        if let Some(log) = &mut self.votelog {
            log.record_floor(floor)?;
        }
        tracing::warn!(
            floor,
            "rejoined after disk loss: signing again from view {floor}"
        );
        self.floor = floor;
        self.rejoin = None;
        self.rebuild()
    }

    /// A new host on the current tip (after a sync, or with a new floor): a restart.
    fn rebuild(&mut self) -> Result<(), NodeError> {
        // Votes at or below the new anchor's view can never matter again (the machine signs
        // nothing there); the vote log on disk keeps them all.
        let anchor_view = match self.engine.read().height {
            0 => 0,
            h => self.engine.store().header(h)?.map_or(0, |h| h.view),
        };
        self.votes.retain(|v| v.view() > anchor_view);
        self.host = self.identity.host(&self.engine, &self.votes, self.floor)?;
        self.timer = None;
        let a = self.host.handle(self.clock.now(), Input::Start)?;
        self.act(a)
    }

    fn act(&mut self, actions: Vec<Action>) -> Result<(), NodeError> {
        let mut reconfigure = false;
        let mut actions = actions.into_iter().peekable();
        while let Some(a) = actions.next() {
            match a {
                Action::Persist(v) => {
                    // Consecutive records are synced together, before any later action.
                    let mut votes = vec![v];
                    while let Some(Action::Persist(_)) = actions.peek() {
                        if let Some(Action::Persist(v)) = actions.next() {
                            votes.push(v);
                        }
                    }
                    if let Some(log) = &mut self.votelog {
                        log.record_all(&votes)?;
                    }
                    self.votes.extend(votes);
                }
                Action::Broadcast(w) => {
                    let bytes = w.to_canonical()?;
                    if let Err(e) = self.rt.block_on(self.net.publish(Topic::Consensus, bytes)) {
                        tracing::debug!("consensus broadcast: {e}");
                    }
                }
                Action::SetTimer(at) => self.timer = Some(at),
                Action::Fetch(hash) => self.fetch(SyncRequest::Block(hash), false),
                Action::FetchCertificates(from, to) => {
                    self.fetch(SyncRequest::Certificates { from, to }, true)
                }
                Action::Committed {
                    height,
                    hash,
                    new_validators,
                } => {
                    tracing::debug!(height, %hash, "block final");
                    reconfigure |= new_validators;
                    // Votes at or below a final view never matter again (the vote log on
                    // disk keeps them); pruned now and then to bound memory.
                    if height % 1024 == 0
                        && let Ok(Some(h)) = self.engine.store().header(height)
                    {
                        self.votes.retain(|v| v.view() > h.view);
                        // And the vote log on disk, once it holds many more.
                        if let Some(log) = &mut self.votelog
                            && log.records() > self.votes.len() + 4096
                        {
                            log.compact(&self.votes)?;
                        }
                    }
                }
            }
        }
        if reconfigure {
            self.reconfigure()?;
        }
        Ok(())
    }

    /// After a block that changed the validator set: the new set (from the state), the p2p
    /// allow-list, the vote log if this node just became a validator, and a new machine on the
    /// tip.
    fn reconfigure(&mut self) -> Result<(), NodeError> {
        let named = validator_set(&ReadState(self.engine.store()))?;
        if named == self.identity.named {
            return Ok(());
        }
        let keys: Vec<KeyBytes> = named.iter().map(|n| KeyBytes::from(n.key)).collect();
        let me = self.identity.node_key.public_key();
        let is_validator = keys.iter().any(|k| *k == me);
        tracing::info!(
            height = self.engine.read().height,
            validators = named.len(),
            role = if is_validator {
                "validator"
            } else {
                "observer"
            },
            "validator set changed"
        );
        if is_validator && self.votelog.is_none() {
            let (log, restored) = VoteLog::open(&self.data_dir.join("votes.log"))?;
            self.votes.extend(restored.votes);
            self.floor = self.floor.max(restored.floor);
            self.votelog = Some(log);
        }
        self.identity.consensus.validators = keys.clone();
        self.identity.key = is_validator.then(|| self.identity.node_key.clone());
        self.identity.named = named;
        let allowed: Vec<KeyBytes> = keys
            .into_iter()
            .chain(self.identity.observers.iter().copied())
            .filter(|k| *k != me)
            .collect();
        if let Err(e) = self.rt.block_on(self.net.set_allowed(allowed)) {
            tracing::warn!("updating the p2p allow-list: {e}");
        }
        self.rebuild()
    }

    /// Asks peers (the first that has it, or all when `all`); answers come back as wires.
    fn fetch(&self, req: SyncRequest, all: bool) {
        let Ok(bytes) = req.to_canonical() else {
            return;
        };
        let peers: Vec<KeyBytes> = self.peers.iter().copied().collect();
        let net = self.net.clone();
        let inbox = self.inbox_tx.clone();
        self.rt.spawn(async move {
            for p in peers {
                let Ok(answer) = net.request(p, bytes.clone()).await else {
                    continue;
                };
                let mut got = false;
                match SyncResponse::from_canonical(&answer) {
                    Ok(SyncResponse::Block(Some(block))) => {
                        got = true;
                        let _ = inbox.send(Msg::Wire(Box::new(Wire {
                            message: None,
                            block: Some(*block),
                        })));
                    }
                    Ok(SyncResponse::Certificates(ms)) => {
                        got = !ms.is_empty();
                        for m in ms {
                            let _ = inbox.send(Msg::Wire(Box::new(Wire {
                                message: Some(m),
                                block: None,
                            })));
                        }
                    }
                    _ => {}
                }
                if got && !all {
                    return;
                }
            }
        });
    }

    fn check_sync(&mut self) {
        if self.syncing || self.peers.is_empty() {
            return;
        }
        if self.rejoin.is_some() {
            for p in self.peers.clone() {
                self.ask_status(p);
            }
            return;
        }
        let peers: Vec<KeyBytes> = self.peers.iter().copied().collect();
        self.round_robin = self.round_robin.wrapping_add(1);
        let peer = peers[self.round_robin % peers.len()];
        self.ask_status(peer);
    }

    fn ask_status(&self, peer: KeyBytes) {
        let Ok(bytes) = SyncRequest::Status.to_canonical() else {
            return;
        };
        let net = self.net.clone();
        let inbox = self.inbox_tx.clone();
        self.rt.spawn(async move {
            if let Ok(answer) = net.request(peer, bytes).await
                && let Ok(SyncResponse::Status {
                    height,
                    certificates,
                }) = SyncResponse::from_canonical(&answer)
            {
                let _ = inbox.send(Msg::Status {
                    from: peer,
                    height,
                    certificates,
                });
            }
        });
    }

    fn ask_blocks(&self, peer: KeyBytes, from: u64) {
        let Ok(bytes) = (SyncRequest::Blocks {
            from,
            max: SYNC_BATCH_BLOCKS,
        })
        .to_canonical() else {
            return;
        };
        let net = self.net.clone();
        let inbox = self.inbox_tx.clone();
        self.rt.spawn(async move {
            let blocks = match net.request(peer, bytes).await {
                Ok(answer) => match SyncResponse::from_canonical(&answer) {
                    Ok(SyncResponse::Blocks(b)) => b,
                    _ => Vec::new(),
                },
                Err(e) => {
                    tracing::debug!("block sync from {peer}: {e}");
                    Vec::new()
                }
            };
            let _ = inbox.send(Msg::Blocks { from: peer, blocks });
        });
    }

    /// Verifies and commits a batch of final blocks; true if it committed any (ask for more).
    fn apply_blocks(&mut self, blocks: Vec<SyncedBlock>) -> Result<bool, NodeError> {
        let validators = self.identity.validator_list();
        let quorum = self.identity.quorum();
        // The last block whose note a quorum signed vouches for the blocks before it.
        let Some(last) = blocks.iter().rposition(|b| {
            SignedCheckpoint::parse_note(&b.note)
                .ok()
                .is_some_and(|n| n.verify(&validators, quorum).is_ok())
        }) else {
            return Ok(false);
        };
        let tip = self.engine.read().clone();
        // Blocks this node committed meanwhile (through consensus) are skipped.
        let Some(first) = blocks[..=last]
            .iter()
            .position(|b| b.block.header.height > tip.height)
        else {
            return Ok(false);
        };
        let blocks = &blocks[first..=last];
        // The hash chain, from the tip to the signed block.
        let mut parent = tip.parent;
        let mut hashes = Vec::with_capacity(blocks.len());
        for b in blocks {
            let Ok(h) = b.block.header.hash() else {
                return Ok(false);
            };
            if b.block.header.parent != parent || b.block.check_body().is_err() {
                tracing::warn!("sync: a peer sent a batch that does not link up; ignored");
                return Ok(false);
            }
            hashes.push(h);
            parent = h;
        }
        let Some((signed, last_hash)) = blocks
            .last()
            .and_then(|b| SignedCheckpoint::parse_note(&b.note).ok())
            .zip(hashes.last())
        else {
            return Ok(false);
        };
        if signed.checkpoint().block_hash != *last_hash {
            tracing::warn!("sync: the signed checkpoint names another block; ignored");
            return Ok(false);
        }
        let mut tip = tip;
        for (b, h) in blocks.iter().zip(&hashes) {
            let started = Instant::now();
            let mut built = match verify_block(self.engine.store(), &[], &tip, &b.block)? {
                Ok(built) => built,
                Err(e) => {
                    return Err(NodeError::Corrupt(format!(
                        "block {h} at height {}, final under a quorum's signatures, does not \
                         execute here: {e}",
                        b.block.header.height
                    )));
                }
            };
            // The peer's note if a quorum signed it, else this node's own attestation.
            let note = match SignedCheckpoint::parse_note(&b.note) {
                Ok(n)
                    if n.checkpoint() == built.tip.checkpoint.checkpoint()
                        && n.verify(&validators, quorum).is_ok() =>
                {
                    n
                }
                _ => SignedCheckpoint::sign(
                    built.tip.checkpoint.checkpoint().clone(),
                    &self.identity.attester.name,
                    &self.identity.attester.key,
                )?,
            };
            built.write.checkpoint(note.to_note()?);
            built.tip.checkpoint = note;
            self.engine.commit_block(&built, started)?;
            tip = built.tip;
            // Blocks after a validator-set change are certified by the new set: stop here.
            if validator_set(&ReadState(self.engine.store()))? != self.identity.named {
                tracing::info!(height = tip.height, "synced up to a validator-set change");
                self.reconfigure()?;
                return Ok(true);
            }
        }
        tracing::info!(height = tip.height, blocks = blocks.len(), "synced blocks");
        self.rebuild()?;
        Ok(true)
    }

    fn answer(&self, from: KeyBytes, data: &[u8], token: RequestToken) -> Result<(), NodeError> {
        let response = match SyncRequest::from_canonical(data) {
            Ok(SyncRequest::Block(h)) => SyncResponse::Block(self.host.block(&h).map(Box::new)),
            Ok(SyncRequest::Certificates { from, to }) => {
                SyncResponse::Certificates(self.host.machine().certificates(from, to))
            }
            Ok(SyncRequest::Status) => {
                let m = self.host.machine();
                let top = m.highest_certificate_view();
                let mut certificates = m.certificates(top, top);
                if let Some(f) = m.last_finalization() {
                    certificates.push(Message::Finalization(f.clone()));
                }
                SyncResponse::Status {
                    height: self.engine.read().height,
                    certificates,
                }
            }
            Ok(SyncRequest::Blocks { from, max }) => {
                let store = self.engine.store();
                let top = self.engine.read().height;
                let mut out = Vec::new();
                let mut bytes = 0usize;
                let mut h = from.max(1);
                while h <= top && out.len() < max.min(SYNC_BATCH_BLOCKS) as usize {
                    let (Some(block), Some(note)) = (store.block(h)?, store.checkpoint(Some(h))?)
                    else {
                        break;
                    };
                    for t in block.body.txs.iter() {
                        let b: &[u8] = t.as_ref();
                        bytes += b.len();
                    }
                    bytes += note.len();
                    out.push(SyncedBlock { block, note });
                    if bytes > SYNC_BATCH_BYTES {
                        break;
                    }
                    h += 1;
                }
                SyncResponse::Blocks(out)
            }
            Err(e) => {
                tracing::debug!("a malformed sync request from {from}: {e}");
                return Ok(());
            }
        };
        let bytes = response.to_canonical()?;
        let net = self.net.clone();
        self.rt
            .spawn(async move { net.respond(token, bytes).await });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_messages_round_trip_and_garbage_is_refused() {
        for r in [
            SyncRequest::Block(Hash::default()),
            SyncRequest::Certificates { from: 3, to: 9 },
            SyncRequest::Status,
            SyncRequest::Blocks { from: 1, max: 256 },
        ] {
            let bytes = r.to_canonical().unwrap();
            assert_eq!(SyncRequest::from_canonical(&bytes).unwrap(), r);
        }
        for r in [
            SyncResponse::Block(None),
            SyncResponse::Certificates(Vec::new()),
            SyncResponse::Status {
                height: 7,
                certificates: Vec::new(),
            },
            SyncResponse::Blocks(Vec::new()),
        ] {
            let bytes = r.to_canonical().unwrap();
            assert_eq!(SyncResponse::from_canonical(&bytes).unwrap(), r);
        }
        assert!(SyncRequest::from_canonical(&[9, 9, 9]).is_err());
        assert!(SyncRequest::from_canonical(&vec![0u8; 70 << 10]).is_err());
    }

    #[test]
    fn network_config_defaults_and_typos() {
        let c: NetworkConfig = toml::from_str("").unwrap();
        assert_eq!(c, NetworkConfig::default());
        assert!(!c.enabled);
        let e = toml::from_str::<NetworkConfig>("enabeld = true").unwrap_err();
        assert!(e.to_string().contains("enabeld"), "{e}");
        let key = SigningKey::dev("peer").public_key();
        let c: NetworkConfig = toml::from_str(&format!(
            "enabled = true\npeers = [{{ key = \"{}\", addr = \"127.0.0.1:1\" }}]",
            key.to_hex()
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.peers[0].key, key);
        // A weak key is refused with the reason.
        let e = toml::from_str::<NetworkConfig>(&format!("observers = [\"{}\"]", "00".repeat(32)))
            .unwrap_err();
        assert!(e.to_string().contains("small-order"), "{e}");
    }
}
