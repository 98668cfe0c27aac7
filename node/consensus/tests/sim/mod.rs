//! A deterministic multi-node simulation of the consensus state machine.
//!
//! One seed decides everything: the validator count, which validators are Byzantine and how,
//! per-link delays, message loss, partitions, crashes and restarts. Events run from a single
//! queue ordered by (logical time, sequence number), so a seed always replays the same run.
//!
//! Checked on every step:
//! - **safety**: no two different blocks are ever final at one height, on any node (validators
//!   and the observer); each node finalizes heights in order, each block the child of the last;
//! - **vote discipline**: an honest validator never persists two notarize votes for different
//!   blocks in one view, two different finalize votes in one view, or a nullify and a finalize
//!   vote in one view, across crashes and restarts.
//!
//! Checked at the end (**liveness**): after the network heals (no partition, no loss, crashed
//! validators restarted, at most f Byzantine), every honest node finalizes new blocks within a
//! bounded time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;

use liangxin_consensus::types::encoding::BoundedVec;
use liangxin_consensus::types::{BlockHeader, ChainId, Hash, KeyBytes};
use liangxin_consensus::{
    Anchor, Config, Consensus, Finalize, Input, Message, Notarization, Notarize, Nullification,
    Nullify, Output, Proposal, Scheme, Sig, Signable, Signer, ValidatorIndex, Vote, checkpoint_of,
    signed_bytes,
};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};

/// Logical time in milliseconds.
pub type Time = u64;

/// A deterministic random source.
pub struct Rand(TestRng);

impl Rand {
    pub fn new(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..16].copy_from_slice(b"lx-sim-1");
        Rand(TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.0.next_u64() % (hi - lo + 1)
    }
    /// True with probability `p_percent` / 100.
    pub fn chance(&mut self, p_percent: u64) -> bool {
        self.range(0, 99) < p_percent
    }
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.0.fill_bytes(&mut b);
        b
    }
}

/// Signatures for the simulation: a keyed blake3 hash per validator. Unforgeable by the
/// simulated Byzantine validators, which only ever hold their own secret, and thousands of times
/// cheaper than Ed25519 in a debug build.
#[derive(Clone)]
pub struct SimScheme {
    chain: ChainId,
    secrets: Arc<Vec<[u8; 32]>>,
    me: Option<ValidatorIndex>,
}

impl SimScheme {
    fn mac(&self, signer: ValidatorIndex, what: &Signable<'_>) -> Option<Sig> {
        let secret = self.secrets.get(signer as usize)?;
        let h = blake3::keyed_hash(secret, &signed_bytes(&self.chain, what));
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(h.as_bytes());
        sig[32..].copy_from_slice(h.as_bytes());
        Some(Sig(sig))
    }
}

impl Scheme for SimScheme {
    fn me(&self) -> Option<ValidatorIndex> {
        self.me
    }
    fn sign(&self, what: &Signable<'_>) -> Option<Sig> {
        self.mac(self.me?, what)
    }
    fn verify(&self, signer: ValidatorIndex, what: &Signable<'_>, sig: &Sig) -> bool {
        self.mac(signer, what).is_some_and(|s| s == *sig)
    }
}

/// How a Byzantine validator misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Byzantine {
    /// Never sends anything.
    Silent,
    /// As leader, sends one block to half the validators and another to the rest; as voter,
    /// also votes for a made-up block in every view it votes in.
    Equivocator,
    /// Votes notarize for every proposal it sees, and both nullify and finalize in every view.
    DoubleVoter,
    /// Sends a stream of malformed messages: forged signatures, short or duplicated
    /// certificates, wrong leaders, far-future views, invalid blocks.
    Garbage,
}

/// What one run looks like, drawn from its seed.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    pub n: usize,
    pub byzantine: BTreeMap<usize, Byzantine>,
    /// Chaos phase length; then the network heals.
    pub chaos: Time,
    /// Budget after healing for every honest node to finalize `progress` new blocks.
    pub liveness_budget: Time,
    pub progress: u64,
    pub loss_percent: u64,
    pub max_delay: Time,
    pub partitions: Vec<(Time, Time, BTreeSet<usize>)>,
    /// (crash time, restart time, node, disk lost?) — restarts happen by the heal. A node that
    /// lost its disk restarts from genesis with no votes and a vote floor past every view it
    /// might have voted in (the newest certificate its peers hold, plus 3).
    pub crashes: Vec<(Time, Time, usize, bool)>,
    pub leader_timeout: Time,
    pub notarization_timeout: Time,
    pub retry: Time,
    /// Most doublings of the timeouts after views in a row that were nullified.
    pub backoff: u32,
}

impl Scenario {
    /// Draws a scenario: n ∈ {4, 7}, up to f Byzantine validators, loss, partitions and crashes
    /// of honest validators during the chaos phase.
    pub fn from_seed(seed: u64) -> Self {
        let n = if Rand::new(seed ^ 0x4e).chance(50) {
            4
        } else {
            7
        };
        Self::with_n(seed, n)
    }

    /// Draws a scenario for `n` validators.
    pub fn with_n(seed: u64, n: usize) -> Self {
        let mut r = Rand::new(seed ^ 0x5ce7_a110);
        let f = (n - 1) / 3;
        let kinds = [
            Byzantine::Silent,
            Byzantine::Equivocator,
            Byzantine::DoubleVoter,
            Byzantine::Garbage,
        ];
        let b = r.range(0, f as u64) as usize;
        let mut byzantine = BTreeMap::new();
        while byzantine.len() < b {
            let who = r.range(0, n as u64 - 1) as usize;
            let kind = kinds[r.range(0, 3) as usize];
            byzantine.insert(who, kind);
        }
        let chaos = r.range(1_000, 3_000);
        let loss_percent = if r.chance(50) { 0 } else { r.range(1, 20) };
        let max_delay = r.range(2, 60);
        let mut partitions = Vec::new();
        for _ in 0..r.range(0, 2) {
            let start = r.range(0, chaos);
            let end = r.range(start, chaos);
            let side: BTreeSet<usize> = (0..n).filter(|_| r.chance(50)).collect();
            partitions.push((start, end, side));
        }
        let honest: Vec<usize> = (0..n).filter(|i| !byzantine.contains_key(i)).collect();
        let mut crashes = Vec::new();
        for _ in 0..r.range(0, 2) {
            let who = honest[r.range(0, honest.len() as u64 - 1) as usize];
            let at = r.range(0, chaos);
            let back = r.range(at, chaos);
            // A validator waiting out the views it may have voted in counts as faulty until it
            // votes again, so disk loss is drawn only while Byzantine + wiped stays within f.
            let wiped = crashes
                .iter()
                .filter(|c: &&(Time, Time, usize, bool)| c.3)
                .count();
            let wipe = byzantine.len() + wiped < f && r.chance(25);
            crashes.push((at, back, who, wipe));
        }
        // Drawn last, so the draws above are what they were before timeouts backed off.
        let backoff = r.range(0, 4) as u32;
        Scenario {
            seed,
            n,
            byzantine,
            chaos,
            liveness_budget: 20_000,
            progress: 3,
            loss_percent,
            max_delay,
            partitions,
            crashes,
            leader_timeout: 200,
            notarization_timeout: 400,
            retry: 200,
            backoff,
        }
    }
}

/// One honest validator's votes in one view: notarized blocks, nullified?, finalized blocks.
type ViewVotes = (BTreeSet<Hash>, bool, BTreeSet<Hash>);

#[derive(Debug)]
enum Event {
    Deliver {
        to: usize,
        msg: Message,
    },
    Timer {
        node: usize,
        epoch: u64,
        at: Time,
    },
    Verified {
        node: usize,
        epoch: u64,
        block: Hash,
        valid: bool,
    },
    Proposed {
        node: usize,
        epoch: u64,
        view: u64,
        header: BlockHeader,
    },
    Block {
        node: usize,
        epoch: u64,
        header: BlockHeader,
    },
    Crash {
        node: usize,
        wipe: bool,
    },
    Restart {
        node: usize,
    },
    Garbage {
        node: usize,
    },
    Heal,
}

struct Node {
    machine: Option<Consensus<SimScheme>>,
    /// Bumped at every crash, so events for an earlier life are dropped.
    epoch: u64,
    /// Durable: the votes persisted, and the finalized chain.
    persisted: Vec<Vote>,
    finalized: Vec<(u64, Hash, BlockHeader)>,
    byzantine: Option<Byzantine>,
    observer: bool,
    timer: Option<Time>,
    /// Lost its disk: restarts with a vote floor.
    wiped: bool,
    /// Durable: the vote floor set when it rejoined after losing its disk.
    floor: u64,
}

/// What a run ended with.
#[derive(Debug)]
pub struct Report {
    pub final_heights: Vec<u64>,
    pub heal_height: u64,
    pub events: u64,
    pub views: u64,
    pub faults: u64,
}

pub struct Sim {
    sc: Scenario,
    r: Rand,
    now: Time,
    seq: u64,
    queue: BinaryHeap<Reverse<(Time, u64)>>,
    events: HashMap<u64, Event>,
    nodes: Vec<Node>,
    keys: Vec<KeyBytes>,
    secrets: Arc<Vec<[u8; 32]>>,
    chain: ChainId,
    genesis: Hash,
    /// Every header anyone built: what block sync can find.
    store: HashMap<Hash, BlockHeader>,
    /// Safety oracle: the one block final at each height.
    final_at: BTreeMap<u64, Hash>,
    /// Vote discipline oracle, per honest validator and view.
    votes: BTreeMap<(usize, u64), ViewVotes>,
    healed: bool,
    faults: u64,
    event_count: u64,
    /// `LX_SIM_TRACE=<node>` prints that node's inputs, outputs and state.
    trace: Option<usize>,
}

const GENESIS_STATE: [u8; 32] = [0x11; 32];

impl Sim {
    pub fn new(sc: Scenario) -> Self {
        let mut r = Rand::new(sc.seed);
        let secrets: Arc<Vec<[u8; 32]>> = Arc::new((0..sc.n).map(|_| r.bytes32()).collect());
        let keys = (0..sc.n).map(|_| KeyBytes(r.bytes32())).collect();
        let chain = ChainId::new("sim-1").unwrap();
        let mut nodes = Vec::new();
        for i in 0..=sc.n {
            let observer = i == sc.n;
            nodes.push(Node {
                machine: None,
                epoch: 0,
                persisted: Vec::new(),
                finalized: Vec::new(),
                byzantine: if observer {
                    None
                } else {
                    sc.byzantine.get(&i).copied()
                },
                observer,
                timer: None,
                wiped: false,
                floor: 0,
            });
        }
        let mut sim = Sim {
            sc,
            r,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            events: HashMap::new(),
            nodes,
            keys,
            secrets,
            chain,
            genesis: Hash::from([0x47; 32]),
            store: HashMap::new(),
            final_at: BTreeMap::new(),
            votes: BTreeMap::new(),
            healed: false,
            faults: 0,
            event_count: 0,
            trace: std::env::var("LX_SIM_TRACE")
                .ok()
                .and_then(|s| s.parse().ok()),
        };
        for i in 0..sim.nodes.len() {
            sim.boot(i);
        }
        for (at, back, who, wipe) in sim.sc.crashes.clone() {
            sim.push(at, Event::Crash { node: who, wipe });
            sim.push(back, Event::Restart { node: who });
        }
        for i in 0..sim.sc.n {
            if sim.nodes[i].byzantine == Some(Byzantine::Garbage) {
                sim.push(1, Event::Garbage { node: i });
            }
        }
        let chaos = sim.sc.chaos;
        sim.push(chaos, Event::Heal);
        sim
    }

    fn fail(&self, what: String) -> ! {
        let states: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| match &n.machine {
                Some(m) => format!("    node {i}: {}", m.summary()),
                None => format!("    node {i}: down ({:?})", n.byzantine),
            })
            .collect();
        panic!(
            "simulation seed {} failed at t={}: {what}\n{}\n  scenario: {:?}\n  replay: LX_SIM_N={} LX_SIM_SEED={} cargo test -p liangxin-consensus --test simulation replay -- --nocapture",
            self.sc.seed,
            self.now,
            states.join("\n"),
            self.sc,
            self.sc.n,
            self.sc.seed
        )
    }

    fn config(&self) -> Config {
        Config {
            chain_id: self.chain.clone(),
            validators: self.keys.clone(),
            leader_timeout: self.sc.leader_timeout,
            notarization_timeout: self.sc.notarization_timeout,
            retry_interval: self.sc.retry,
            max_views_ahead: 64,
            max_backoff_doublings: self.sc.backoff,
        }
    }

    fn scheme(&self, i: usize) -> SimScheme {
        SimScheme {
            chain: self.chain.clone(),
            secrets: self.secrets.clone(),
            me: (i < self.sc.n).then_some(i as ValidatorIndex),
        }
    }

    fn boot(&mut self, i: usize) {
        if self.nodes[i].byzantine == Some(Byzantine::Silent) {
            return;
        }
        let anchor = match self.nodes[i].finalized.last() {
            Some((h, hash, header)) => Anchor {
                view: header.view,
                height: *h,
                hash: *hash,
            },
            None => Anchor {
                view: 0,
                height: 0,
                hash: self.genesis,
            },
        };
        let restored = self.nodes[i].persisted.clone();
        // What a validator that lost its disk learns from its peers before voting again.
        if std::mem::take(&mut self.nodes[i].wiped) {
            self.nodes[i].floor = self
                .nodes
                .iter()
                .filter(|n| n.byzantine.is_none())
                .filter_map(|n| n.machine.as_ref())
                .map(|m| m.highest_certificate_view())
                .max()
                .unwrap_or(0)
                + 3;
        }
        let floor = self.nodes[i].floor;
        let m = Consensus::new(self.config(), self.scheme(i), anchor, restored, floor)
            .unwrap_or_else(|e| self.fail(format!("node {i} cannot start: {e}")));
        self.nodes[i].machine = Some(m);
        self.nodes[i].timer = None;
        self.input(i, Input::Start);
    }

    fn push(&mut self, at: Time, e: Event) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq)));
        self.events.insert(self.seq, e);
    }

    fn partitioned(&self, a: usize, b: usize) -> bool {
        if self.healed {
            return false;
        }
        self.sc.partitions.iter().any(|(s, e, side)| {
            self.now >= *s && self.now < *e && side.contains(&a) != side.contains(&b)
        })
    }

    fn send(&mut self, from: usize, to: usize, msg: Message) {
        if from == to || self.partitioned(from, to) {
            return;
        }
        if !self.healed && self.r.chance(self.sc.loss_percent) {
            return;
        }
        let delay = self.r.range(1, self.sc.max_delay);
        // A duplicate now and then: the network may deliver twice.
        if self.r.chance(2) {
            let again = self.r.range(1, self.sc.max_delay * 2);
            self.push(
                self.now + again,
                Event::Deliver {
                    to,
                    msg: msg.clone(),
                },
            );
        }
        self.push(self.now + delay, Event::Deliver { to, msg });
    }

    fn broadcast(&mut self, from: usize, msg: Message) {
        for to in 0..self.nodes.len() {
            self.send(from, to, msg.clone());
        }
    }

    /// The header a correct host builds on `parent` (or checks against).
    fn child_roots(&self, parent: &Hash, body: &Hash, height: u64) -> Option<(u64, Hash, Hash)> {
        let (log, log_root, state) = if *parent == self.genesis {
            (0, Hash::ZERO, Hash::from(GENESIS_STATE))
        } else {
            let p = self.store.get(parent)?;
            (p.log_size, p.log_root, p.state_root)
        };
        let count = (body.0[0] % 5) as u64;
        let mut h = blake3::Hasher::new();
        h.update(log_root.as_bytes()).update(body.as_bytes());
        let new_log = Hash::from(*h.finalize().as_bytes());
        let mut h = blake3::Hasher::new();
        h.update(state.as_bytes())
            .update(body.as_bytes())
            .update(&height.to_le_bytes());
        let new_state = Hash::from(*h.finalize().as_bytes());
        Some((log + count, new_log, new_state))
    }

    fn build(
        &mut self,
        i: usize,
        view: u64,
        parent: Hash,
        parent_height: u64,
        bad: bool,
    ) -> BlockHeader {
        let body = Hash::from(self.r.bytes32());
        let height = parent_height + 1;
        let (log_size, log_root, mut state_root) = self
            .child_roots(&parent, &body, height)
            .unwrap_or((0, Hash::ZERO, Hash::ZERO));
        if bad {
            state_root = Hash::from(self.r.bytes32());
        }
        let header = BlockHeader {
            chain_id: self.chain.clone(),
            height,
            view,
            parent,
            time: self.now,
            proposer: self.keys[i],
            seed_proof: liangxin_types::VrfProof::ZERO,
            tx_count: (body.0[0] % 5) as u32,
            body_hash: body,
            log_size,
            log_root,
            state_root,
        };
        self.store.insert(header.hash().unwrap(), header.clone());
        header
    }

    fn verify(&self, header: &BlockHeader) -> bool {
        match self.child_roots(&header.parent, &header.body_hash, header.height) {
            Some((log_size, log_root, state_root)) => {
                header.log_size == log_size
                    && header.log_root == log_root
                    && header.state_root == state_root
                    && header.chain_id == self.chain
            }
            None => false,
        }
    }

    fn sig(&self, i: usize, what: &Signable<'_>) -> Sig {
        self.scheme(i).sign(what).unwrap()
    }

    fn input(&mut self, i: usize, input: Input) {
        let now = self.now;
        let Some(m) = self.nodes[i].machine.as_mut() else {
            return;
        };
        let trace = self.trace == Some(i);
        if trace {
            let s = format!("{input:?}");
            println!("t={now} node {i} <- {}", &s[..s.len().min(160)]);
        }
        let outputs = m.handle(now, input);
        if trace {
            for o in &outputs {
                let s = format!("{o:?}");
                println!("t={now} node {i} -> {}", &s[..s.len().min(160)]);
            }
            println!("t={now} node {i} :: {}", m.summary());
        }
        for o in outputs {
            self.output(i, o);
        }
    }

    fn check_vote(&mut self, i: usize, vote: &Vote) {
        if self.nodes[i].byzantine.is_some() || matches!(vote, Vote::Notarized(_)) {
            return;
        }
        let e = self.votes.entry((i, vote.view())).or_default();
        match vote {
            Vote::Notarize(v) => {
                e.0.insert(v.block);
            }
            Vote::Nullify(_) => e.1 = true,
            Vote::Finalize(v) => {
                e.2.insert(v.checkpoint.block_hash);
            }
            Vote::Notarized(_) => {}
        }
        let (n, u, f) = e.clone();
        if n.len() > 1 || f.len() > 1 || (u && !f.is_empty()) {
            self.fail(format!(
                "honest validator {i} signed conflicting votes in view {}: notarize {n:?}, nullify {u}, finalize {f:?}",
                vote.view()
            ));
        }
    }

    fn output(&mut self, i: usize, o: Output) {
        let epoch = self.nodes[i].epoch;
        let byz = self.nodes[i].byzantine;
        match o {
            Output::Persist(v) => {
                self.check_vote(i, &v);
                self.nodes[i].persisted.push(v);
            }
            Output::Broadcast(msg) => match byz {
                Some(Byzantine::Equivocator) => self.equivocate(i, msg),
                Some(Byzantine::DoubleVoter) => {
                    self.double_vote(i, &msg);
                    self.broadcast(i, msg);
                }
                _ => self.broadcast(i, msg),
            },
            Output::SetTimer { at } => {
                self.nodes[i].timer = Some(at);
                self.push(at.max(self.now), Event::Timer { node: i, epoch, at });
            }
            Output::Propose {
                view,
                parent,
                parent_height,
            } => {
                let header = self.build(i, view, parent, parent_height, false);
                let delay = self.r.range(0, 5);
                self.push(
                    self.now + delay,
                    Event::Proposed {
                        node: i,
                        epoch,
                        view,
                        header,
                    },
                );
            }
            Output::Verify { header } => {
                let valid = self.verify(&header);
                let block = header.hash().unwrap();
                let delay = self.r.range(0, 5);
                self.push(
                    self.now + delay,
                    Event::Verified {
                        node: i,
                        epoch,
                        block,
                        valid,
                    },
                );
            }
            Output::Fetch { block } => {
                if let Some(header) = self.store.get(&block).cloned() {
                    let delay = self.r.range(5, 50);
                    self.push(
                        self.now + delay,
                        Event::Block {
                            node: i,
                            epoch,
                            header,
                        },
                    );
                }
            }
            Output::FetchCertificates { from, to } => {
                // Two random peers that can be reached answer from what they hold.
                for _ in 0..2 {
                    let j = self.r.range(0, self.nodes.len() as u64 - 1) as usize;
                    if j == i || self.partitioned(i, j) || self.nodes[j].byzantine.is_some() {
                        continue;
                    }
                    let answer = match &self.nodes[j].machine {
                        Some(m) => m.certificates(from, to),
                        None => continue,
                    };
                    for msg in answer {
                        let delay = self.r.range(1, self.sc.max_delay * 2);
                        self.push(self.now + delay, Event::Deliver { to: i, msg });
                    }
                }
            }
            Output::Finalized {
                header,
                hash,
                finalization,
            } => {
                self.on_finalized(i, header, hash, finalization.is_some());
            }
            Output::Fault { .. } => self.faults += 1,
        }
    }

    fn on_finalized(&mut self, i: usize, header: BlockHeader, hash: Hash, _certified: bool) {
        let height = header.height;
        if let Some(h) = self.final_at.get(&height)
            && *h != hash
        {
            self.fail(format!(
                "SAFETY: node {i} finalized {hash:?} at height {height}, another node finalized {h:?}"
            ));
        }
        self.final_at.insert(height, hash);
        let (expected_height, expected_parent) = match self.nodes[i].finalized.last() {
            Some((h, p, _)) => (h + 1, *p),
            None => (1, self.genesis),
        };
        if height != expected_height || header.parent != expected_parent {
            self.fail(format!(
                "node {i} finalized height {height} (parent {:?}) after height {} ({expected_parent:?})",
                header.parent,
                expected_height - 1
            ));
        }
        if !self.verify(&header) {
            self.fail(format!(
                "node {i} finalized an invalid block at height {height}"
            ));
        }
        self.nodes[i].finalized.push((height, hash, header));
    }

    /// An equivocating validator: its own proposals go out as two different blocks, and each of
    /// its notarize votes is followed by one for a made-up block.
    fn equivocate(&mut self, i: usize, msg: Message) {
        match &msg {
            Message::Proposal(p) => {
                let h = &p.header;
                let (view, parent, parent_height) = (h.view, h.parent, h.height - 1);
                let other = self.build(i, view, parent, parent_height, false);
                let other_hash = other.hash().unwrap();
                let signature = self.sig(
                    i,
                    &Signable::Notarize {
                        view,
                        block: &other_hash,
                    },
                );
                let twin = Message::Proposal(Proposal {
                    header: other,
                    signature,
                });
                for to in 0..self.nodes.len() {
                    let m = if to % 2 == 0 {
                        msg.clone()
                    } else {
                        twin.clone()
                    };
                    self.send(i, to, m);
                }
            }
            Message::Notarize(v) => {
                let fake = Hash::from(self.r.bytes32());
                let signature = self.sig(
                    i,
                    &Signable::Notarize {
                        view: v.view,
                        block: &fake,
                    },
                );
                let vote = Message::Notarize(Notarize {
                    view: v.view,
                    block: fake,
                    signer: v.signer,
                    signature,
                });
                for to in 0..self.nodes.len() {
                    let m = if to % 2 == 0 {
                        msg.clone()
                    } else {
                        vote.clone()
                    };
                    self.send(i, to, m);
                }
            }
            _ => self.broadcast(i, msg),
        }
    }

    /// A double voter: votes for every proposal it sees, and nullifies and finalizes together.
    fn double_vote(&mut self, i: usize, msg: &Message) {
        let me = i as ValidatorIndex;
        match msg {
            Message::Notarization(c) => {
                let view = c.view;
                let signature = self.sig(i, &Signable::Nullify { view });
                self.broadcast(
                    i,
                    Message::Nullify(Nullify {
                        view,
                        signer: me,
                        signature,
                    }),
                );
                if let Some(h) = self.store.get(&c.block).cloned() {
                    let checkpoint = checkpoint_of(&h, c.block);
                    let signature = self.sig(
                        i,
                        &Signable::Finalize {
                            checkpoint: &checkpoint,
                        },
                    );
                    self.broadcast(
                        i,
                        Message::Finalize(Finalize {
                            view,
                            checkpoint,
                            signer: me,
                            signature,
                        }),
                    );
                }
            }
            Message::Nullify(v) => {
                // Also notarize every block proposed in that view.
                let blocks: Vec<Hash> = self
                    .store
                    .iter()
                    .filter(|(_, h)| h.view == v.view)
                    .map(|(k, _)| *k)
                    .collect();
                for block in blocks {
                    let signature = self.sig(
                        i,
                        &Signable::Notarize {
                            view: v.view,
                            block: &block,
                        },
                    );
                    self.broadcast(
                        i,
                        Message::Notarize(Notarize {
                            view: v.view,
                            block,
                            signer: me,
                            signature,
                        }),
                    );
                }
            }
            _ => {}
        }
    }

    /// A burst of malformed messages from a garbage-sending validator.
    fn garbage(&mut self, i: usize) {
        let me = i as ValidatorIndex;
        let n = self.sc.n as ValidatorIndex;
        let view = self
            .nodes
            .iter()
            .filter_map(|x| x.machine.as_ref())
            .map(|m| m.view())
            .max()
            .unwrap_or(1);
        let other = (me + 1) % n;
        let block = Hash::from(self.r.bytes32());
        let junk = Sig([0xab; 64]);
        let my_sig = self.sig(
            i,
            &Signable::Notarize {
                view,
                block: &block,
            },
        );
        let kind = self.r.range(0, 9);
        let msg = match kind {
            // A vote claiming to be another validator's.
            0 => Message::Notarize(Notarize {
                view,
                block,
                signer: other,
                signature: my_sig,
            }),
            // A signer index outside the set.
            1 => Message::Nullify(Nullify {
                view,
                signer: n + 7,
                signature: junk,
            }),
            // A certificate of one real signature repeated to look like a quorum.
            2 => Message::Notarization(Notarization {
                view,
                block,
                signatures: BoundedVec::new(vec![
                    Signer {
                        index: me,
                        signature: my_sig
                    };
                    self.sc.n
                ])
                .unwrap(),
            }),
            // A certificate with forged signatures.
            3 => Message::Nullification(Nullification {
                view,
                signatures: BoundedVec::new(
                    (0..n)
                        .map(|index| Signer {
                            index,
                            signature: junk,
                        })
                        .collect(),
                )
                .unwrap(),
            }),
            // A proposal from someone who is not the leader, or a leader's invalid block.
            4 | 5 => {
                let parent = self
                    .final_at
                    .values()
                    .last()
                    .copied()
                    .unwrap_or(self.genesis);
                let parent_height = self.final_at.keys().last().copied().unwrap_or(0);
                let leads = self.nodes[i]
                    .machine
                    .as_ref()
                    .map(|m| m.config().leader(view) == me);
                let v = if leads == Some(true) || kind == 5 {
                    view
                } else {
                    view + 1
                };
                let header = self.build(i, v, parent, parent_height, true);
                let h = header.hash().unwrap();
                let signature = self.sig(i, &Signable::Notarize { view: v, block: &h });
                Message::Proposal(Proposal { header, signature })
            }
            // A far-future vote (must not be stored).
            6 => {
                let far = view + 1_000_000;
                let signature = self.sig(i, &Signable::Nullify { view: far });
                Message::Nullify(Nullify {
                    view: far,
                    signer: me,
                    signature,
                })
            }
            // A finalize vote for a made-up checkpoint.
            7 => {
                let parent = Hash::from(self.r.bytes32());
                let header = self.build(i, view, parent, 5, true);
                let checkpoint = checkpoint_of(&header, header.hash().unwrap());
                let signature = self.sig(
                    i,
                    &Signable::Finalize {
                        checkpoint: &checkpoint,
                    },
                );
                Message::Finalize(Finalize {
                    view,
                    checkpoint,
                    signer: me,
                    signature,
                })
            }
            // Its own valid nullify for the current view.
            _ => {
                let signature = self.sig(i, &Signable::Nullify { view });
                Message::Nullify(Nullify {
                    view,
                    signer: me,
                    signature,
                })
            }
        };
        self.broadcast(i, msg);
        let next = self.now + self.r.range(5, 60);
        self.push(next, Event::Garbage { node: i });
    }

    fn min_honest_height(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.byzantine.is_none())
            .map(|n| n.finalized.len() as u64)
            .min()
            .unwrap_or(0)
    }

    fn max_height(&self) -> u64 {
        self.final_at.keys().last().copied().unwrap_or(0)
    }

    /// Runs the scenario to the end; panics (with the seed) on any violation.
    pub fn run(mut self) -> Report {
        let mut heal_height = 0;
        let deadline = self.sc.chaos + self.sc.liveness_budget;
        let mut target = u64::MAX;
        while let Some(Reverse((at, seq))) = self.queue.pop() {
            let e = self.events.remove(&seq).unwrap();
            self.now = at;
            self.event_count += 1;
            if self.event_count > 3_000_000 {
                self.fail("more than 3,000,000 events".into());
            }
            if self.healed && self.min_honest_height() >= target {
                break;
            }
            if at > deadline {
                self.fail(format!(
                    "LIVENESS: {} ms after healing, honest heights {:?}, needed {target} (height at heal {heal_height})",
                    self.sc.liveness_budget,
                    self.nodes.iter().map(|n| n.finalized.len()).collect::<Vec<_>>()
                ));
            }
            match e {
                Event::Deliver { to, msg } => {
                    if self.nodes[to].byzantine == Some(Byzantine::Silent) {
                        continue;
                    }
                    self.input(to, Input::Message(msg));
                }
                Event::Timer { node, epoch, at } => {
                    if self.nodes[node].epoch == epoch && self.nodes[node].timer == Some(at) {
                        self.input(node, Input::Timer);
                    }
                }
                Event::Verified {
                    node,
                    epoch,
                    block,
                    valid,
                } => {
                    if self.nodes[node].epoch == epoch {
                        self.input(node, Input::Verified { block, valid });
                    }
                }
                Event::Proposed {
                    node,
                    epoch,
                    view,
                    header,
                } => {
                    if self.nodes[node].epoch == epoch {
                        self.input(node, Input::Proposed { view, header });
                    }
                }
                Event::Block {
                    node,
                    epoch,
                    header,
                } => {
                    if self.nodes[node].epoch == epoch {
                        self.input(node, Input::Block(header));
                    }
                }
                Event::Crash { node, wipe } => {
                    if self.nodes[node].machine.take().is_some() {
                        self.nodes[node].epoch += 1;
                        if wipe {
                            self.nodes[node].persisted.clear();
                            self.nodes[node].finalized.clear();
                            self.nodes[node].wiped = true;
                        }
                    }
                }
                Event::Restart { node } => {
                    if self.nodes[node].machine.is_none() {
                        self.nodes[node].epoch += 1;
                        self.boot(node);
                    }
                }
                Event::Garbage { node } => {
                    if !self.healed || self.r.chance(50) {
                        self.garbage(node);
                    } else {
                        let next = self.now + 50;
                        self.push(next, Event::Garbage { node });
                    }
                }
                Event::Heal => {
                    self.healed = true;
                    for i in 0..self.nodes.len() {
                        if self.nodes[i].machine.is_none() && self.nodes[i].byzantine.is_none() {
                            self.nodes[i].epoch += 1;
                            self.boot(i);
                        }
                    }
                    heal_height = self.max_height();
                    target = heal_height + self.sc.progress;
                }
            }
        }
        let views = self
            .nodes
            .iter()
            .filter_map(|n| n.machine.as_ref())
            .map(|m| m.view())
            .max()
            .unwrap_or(0);
        Report {
            final_heights: self
                .nodes
                .iter()
                .map(|n| n.finalized.len() as u64)
                .collect(),
            heal_height,
            events: self.event_count,
            views,
            faults: self.faults,
        }
    }
}

/// Runs one seed.
pub fn run(seed: u64) -> Report {
    Sim::new(Scenario::from_seed(seed)).run()
}
