//! The Simplex state machine: `handle(now, Input) -> Vec<Output>`.
//!
//! # Protocol
//! Views are numbered from 1; view `v`'s leader is validator `v mod n`. In view `v`:
//!
//! 1. The leader proposes a block whose parent is the block notarized in some view `p < v` (or the
//!    last finalized block) such that every view strictly between `p` and `v` has a
//!    nullification. Its proposal is its own notarize vote.
//! 2. A validator that has neither voted nor nullified in `v` checks the proposal (leader, height,
//!    parent notarized, the views in between nullified, and the host's execution of the block)
//!    and sends a notarize vote.
//! 3. A quorum (`n - f`, with `f = (n - 1) / 3`) of notarize votes for one block is a
//!    notarization; a quorum of nullify votes is a nullification. Either one moves a validator to
//!    `v + 1`, and whoever obtains a certificate first broadcasts it.
//! 4. A validator that has a notarization for `v` and did not nullify `v` sends a finalize vote:
//!    its signature on the block's checkpoint note (after executing the block itself). A quorum of
//!    finalize votes finalizes the block and its ancestors, and is the cosigned checkpoint.
//! 5. A validator nullifies `v` when no valid proposal arrived within `leader_timeout` of entering
//!    `v`, when no notarization arrived within `notarization_timeout`, or at once when the
//!    proposal is invalid. After nullifying it rebroadcasts its nullify vote and the certificates
//!    that justify its view every `retry_interval`, so a network that lost messages or healed from
//!    a partition converges.
//! 6. Both timeouts double for each view in a row that ended in a nullification, up to
//!    `2^max_backoff_doublings` times, and fall back once a view is notarized: a block that takes
//!    longer to build or check than the timeouts (a record whose execution is expensive, a node
//!    that is slow for a while) cannot keep every view from being notarized.
//!
//! Safety: an honest validator signs at most one notarize vote per view, and never both a
//! nullify and a finalize vote in one view. So two quorums (which share an honest validator)
//! never notarize two blocks in one view, and a view with a finalization can never be nullified,
//! which forces every later proposal to descend from the finalized block.
//!
//! # Host contract
//! - Outputs are executed in order. A [`Output::Persist`] must be durable before any later output
//!   of the same call is acted on (so a vote is on disk before it is sent).
//! - [`Output::Verify`] asks the host to execute a header on top of its parent's state; the
//!   parent is always the last finalized block, a block already answered valid, or one in an
//!   earlier `Verify` output. Answer with [`Input::Verified`].
//! - [`Output::Propose`] asks the host to build this validator's block on top of `parent`; answer
//!   with [`Input::Proposed`].
//! - [`Output::Fetch`] asks for a header (and, for the host itself, its body) from peers; answer
//!   with [`Input::Block`]. Only headers the machine asked for are kept.
//! - [`Output::Finalized`] comes in height order, each block exactly once; the host commits it.
//! - [`Output::SetTimer`] replaces the previous timer; when it is due, send [`Input::Timer`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::message::{
    Finalization, Finalize, Message, Notarization, Notarize, Nullification, Nullify, Proposal, Sig,
    Signable, Signer, ValidatorIndex, View, Vote, checkpoint_of,
};
use crate::scheme::Scheme;
use crate::types::checkpoint::Checkpoint;
use crate::types::encoding::BoundedVec;
use crate::types::{BlockHeader, ChainId, Hash, KeyBytes};
use crate::{Error, MAX_VALIDATORS};

/// The most nullifications a rebroadcast carries (the newest ones).
const MAX_REBROADCAST_NULLIFICATIONS: usize = 64;

/// The most views one [`Output::FetchCertificates`] asks for, and the most certificates one
/// [`Consensus::certificates`] answer holds.
pub const MAX_CERTIFICATES_PER_ANSWER: u64 = 256;

/// Static parameters of one validator set.
#[derive(Clone, Debug)]
pub struct Config {
    /// The chain (checked in proposed headers).
    pub chain_id: ChainId,
    /// The validators' keys, in index order (checked against a header's proposer).
    pub validators: Vec<KeyBytes>,
    /// Logical time a validator waits for a valid proposal after entering a view.
    pub leader_timeout: u64,
    /// Logical time a validator waits for a notarization after entering a view.
    pub notarization_timeout: u64,
    /// After nullifying, how often the validator rebroadcasts its vote and certificates.
    pub retry_interval: u64,
    /// Votes for views further than this beyond the current view are dropped (certificates are
    /// always accepted: they carry a quorum).
    pub max_views_ahead: u64,
    /// The timeouts double for each view in a row, just before the current one, that ended in
    /// a nullification, at most this many times.
    pub max_backoff_doublings: u32,
}

impl Config {
    /// A config with timeouts suited to a LAN or loopback network with time in milliseconds.
    pub fn new(chain_id: ChainId, validators: Vec<KeyBytes>) -> Self {
        Config {
            chain_id,
            validators,
            leader_timeout: 1_000,
            notarization_timeout: 2_000,
            retry_interval: 1_000,
            max_views_ahead: 256,
            max_backoff_doublings: 6,
        }
    }

    /// `f`: the most faulty validators the set tolerates.
    pub fn max_faulty(&self) -> usize {
        self.validators.len().saturating_sub(1) / 3
    }

    /// The quorum, `n - f` (2f+1 when n = 3f+1).
    pub fn quorum(&self) -> usize {
        self.validators.len() - self.max_faulty()
    }

    /// The leader of `view`.
    pub fn leader(&self, view: View) -> ValidatorIndex {
        (view % self.validators.len().max(1) as u64) as ValidatorIndex
    }
}

/// The last finalized block: where the machine starts and what it never goes back on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// Its view (0 for genesis).
    pub view: View,
    /// Its height (0 for genesis).
    pub height: u64,
    /// Its hash (the genesis hash at height 0).
    pub hash: Hash,
}

/// What the host tells the machine.
#[derive(Clone, Debug)]
pub enum Input {
    /// Start (or restart): enter the current view, rebroadcast restored votes, set the timer.
    Start,
    /// The timer set by [`Output::SetTimer`] is due.
    Timer,
    /// A message from the network, not yet checked.
    Message(Message),
    /// The block this validator was asked to propose for `view`.
    Proposed {
        /// The view of the [`Output::Propose`] request.
        view: View,
        /// The block's header.
        header: BlockHeader,
    },
    /// The host's verdict on an [`Output::Verify`] request.
    Verified {
        /// The block hash.
        block: Hash,
        /// Whether executing it reproduced its header.
        valid: bool,
    },
    /// A header the machine asked for with [`Output::Fetch`].
    Block(BlockHeader),
}

/// What the machine asks the host to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Make this vote durable before acting on any later output.
    Persist(Vote),
    /// Send to every peer.
    Broadcast(Message),
    /// Send [`Input::Timer`] at this logical time (replaces the previous timer).
    SetTimer {
        /// When.
        at: u64,
    },
    /// Build a block for `view` on top of `parent` and answer with [`Input::Proposed`].
    Propose {
        /// The view.
        view: View,
        /// The parent block's hash.
        parent: Hash,
        /// The parent's height (the new block's is one more).
        parent_height: u64,
    },
    /// Execute this block on top of its parent and answer with [`Input::Verified`].
    Verify {
        /// The header.
        header: BlockHeader,
    },
    /// Find this block's header (and body) and answer with [`Input::Block`].
    Fetch {
        /// The block hash.
        block: Hash,
    },
    /// Ask peers for their certificates of views `from..=to` (see [`Consensus::certificates`])
    /// and pass each one back as [`Input::Message`]. Sent when a proposal cannot be checked for
    /// want of a notarization or nullification (lost while this node was down, say); repeated
    /// every `retry_interval` while they are missing.
    FetchCertificates {
        /// First view.
        from: View,
        /// Last view (at most [`MAX_CERTIFICATES_PER_ANSWER`] after `from`).
        to: View,
    },
    /// This block is final: commit it. The certificate is present for the block the quorum
    /// signed; its ancestors finalized with it carry `None` (the later checkpoint covers them).
    Finalized {
        /// The header.
        header: BlockHeader,
        /// Its block hash.
        hash: Hash,
        /// The finalization certificate, if this block is the one it names.
        finalization: Option<Finalization>,
    },
    /// Provable misbehaviour by a validator (two signed messages that no honest validator
    /// sends together).
    Fault {
        /// The validator.
        signer: ValidatorIndex,
        /// What it did.
        fault: Fault,
    },
}

/// Misbehaviour a validator's own signatures prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Two notarize votes (or proposals) for different blocks in one view.
    ConflictingNotarize(View),
    /// Finalize votes for two different checkpoints in one view.
    ConflictingFinalize(View),
    /// A nullify and a finalize vote in one view.
    NullifyAndFinalize(View),
    /// A proposal that the host found invalid, or that breaks the chain rules.
    InvalidProposal(View),
}

/// Counts of messages the machine dropped, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Signatures that did not verify (or named no validator).
    pub bad_signatures: u64,
    /// Messages about views already final or too far ahead.
    pub out_of_window: u64,
    /// Messages malformed in other ways (wrong chain, wrong leader, short certificates…).
    pub malformed: u64,
    /// Duplicates of what the machine already had.
    pub duplicates: u64,
    /// Headers received that were not asked for.
    pub unsolicited_blocks: u64,
}

/// The signers whose vote in `votes` is `what`, in index order, if they are at least `quorum`.
fn quorum_signers<T: PartialEq>(
    votes: &BTreeMap<ValidatorIndex, (T, Sig)>,
    what: &T,
    quorum: usize,
) -> Option<BoundedVec<Signer, MAX_VALIDATORS>> {
    let signers: Vec<Signer> = votes
        .iter()
        .filter(|(_, (t, _))| t == what)
        .map(|(index, (_, signature))| Signer {
            index: *index,
            signature: *signature,
        })
        .collect();
    if signers.len() < quorum {
        return None;
    }
    BoundedVec::new(signers).ok()
}

enum Readiness {
    Waiting,
    Dropped,
    Applied,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Unverified,
    Verifying,
    Valid,
    Invalid,
}

struct Known {
    header: BlockHeader,
    status: Status,
}

#[derive(Default)]
struct Round {
    proposal: Option<Hash>,
    notarizes: BTreeMap<ValidatorIndex, (Hash, Sig)>,
    nullifies: BTreeMap<ValidatorIndex, Sig>,
    finalizes: BTreeMap<ValidatorIndex, (Checkpoint, Sig)>,
    notarization: Option<Notarization>,
    nullification: Option<Nullification>,
    my_notarize: Option<Notarize>,
    my_nullify: Option<Nullify>,
    my_finalize: Option<Finalize>,
    faults: BTreeSet<(ValidatorIndex, Fault)>,
}

/// One validator's (or observer's) consensus state.
pub struct Consensus<S: Scheme> {
    cfg: Config,
    scheme: S,
    quorum: usize,
    now: u64,
    view: View,
    view_entered: u64,
    /// Doublings of the timeouts in the current view (see [`Config::max_backoff_doublings`]).
    backoff: u32,
    anchor: Anchor,
    last_finalization: Option<Finalization>,
    /// Finalizations waiting for their chain to be fetched and verified, by block hash.
    pending_finalizations: BTreeMap<u64, Finalization>,
    rounds: BTreeMap<View, Round>,
    blocks: HashMap<Hash, Known>,
    /// Headers asked for, with the view current when asked (forgotten once that view is final).
    wanted: BTreeMap<Hash, View>,
    /// Blocks whose verification waits for a missing ancestor: not walked again until a header
    /// arrives (keeps a long unfetched chain from costing a walk per message).
    stalled: BTreeSet<Hash>,
    vote_floor: View,
    proposing: Option<View>,
    retry_at: Option<u64>,
    /// The last certificate request: (from, to, when).
    cert_request: Option<(View, View, u64)>,
    timer: Option<u64>,
    stats: Stats,
    out: Vec<Output>,
}

impl<S: Scheme> Consensus<S> {
    /// A machine starting from `anchor` (the last block this node committed), with the votes it
    /// persisted before a restart, and a `vote_floor`: it signs nothing in views below it (a
    /// validator that lost its vote record sets it past every view it might have voted in).
    pub fn new(
        cfg: Config,
        scheme: S,
        anchor: Anchor,
        restored: Vec<Vote>,
        vote_floor: View,
    ) -> Result<Self, Error> {
        let n = cfg.validators.len();
        if n == 0 || n > MAX_VALIDATORS {
            return Err(Error::Config(format!(
                "a validator set has 1 to {MAX_VALIDATORS} members, not {n}"
            )));
        }
        if let Some(me) = scheme.me()
            && me as usize >= n
        {
            return Err(Error::UnknownValidator(me));
        }
        if cfg.leader_timeout == 0 || cfg.notarization_timeout == 0 || cfg.retry_interval == 0 {
            return Err(Error::Config("timeouts must be positive".into()));
        }
        let quorum = cfg.quorum();
        let mut m = Consensus {
            cfg,
            scheme,
            quorum,
            now: 0,
            view: anchor.view + 1,
            view_entered: 0,
            backoff: 0,
            anchor,
            last_finalization: None,
            pending_finalizations: BTreeMap::new(),
            rounds: BTreeMap::new(),
            blocks: HashMap::new(),
            wanted: BTreeMap::new(),
            stalled: BTreeSet::new(),
            vote_floor,
            proposing: None,
            retry_at: None,
            cert_request: None,
            timer: None,
            stats: Stats::default(),
            out: Vec::new(),
        };
        let me = m.scheme.me();
        for vote in restored {
            let view = vote.view();
            if view <= anchor.view {
                continue;
            }
            if me.is_none() {
                return Err(Error::Config("an observer has no votes to restore".into()));
            }
            // It resumes in the view of its newest vote (or after its newest restored
            // notarization, which it can send to peers left behind).
            m.view = m.view.max(view);
            // Own votes count towards certificates like anyone's.
            let round = m.rounds.entry(view).or_default();
            match vote {
                Vote::Notarize(v) => {
                    round.notarizes.insert(v.signer, (v.block, v.signature));
                    round.my_notarize = Some(v);
                }
                Vote::Nullify(v) => {
                    round.nullifies.insert(v.signer, v.signature);
                    round.my_nullify = Some(v);
                }
                Vote::Finalize(v) => {
                    round
                        .finalizes
                        .insert(v.signer, (v.checkpoint.clone(), v.signature));
                    round.my_finalize = Some(v);
                }
                Vote::Notarized(c) => {
                    // A certificate it checked before persisting it: it justifies the next view.
                    round.notarization = Some(c);
                    m.view = m.view.max(view + 1);
                }
            }
        }
        Ok(m)
    }

    /// The current view.
    pub fn view(&self) -> View {
        self.view
    }

    /// The last finalized block.
    pub fn anchor(&self) -> Anchor {
        self.anchor
    }

    /// The newest finalization certificate this machine has seen.
    pub fn last_finalization(&self) -> Option<&Finalization> {
        self.last_finalization.as_ref()
    }

    /// The newest view this machine holds a certificate for (a notarization, a nullification, or
    /// the finalization of its anchor). A validator that lost its vote record asks its peers for
    /// this and sets its vote floor past it (see [`Consensus::new`]).
    pub fn highest_certificate_view(&self) -> View {
        self.rounds
            .iter()
            .rev()
            .find(|(_, r)| r.notarization.is_some() || r.nullification.is_some())
            .map_or(self.anchor.view, |(v, _)| *v)
            .max(self.anchor.view)
    }

    /// This node's answer to a peer's [`Output::FetchCertificates`]: the notarizations and
    /// nullifications it holds for views `from..=to`, and its newest finalization if `from` is
    /// at or below its last finalized view (that one certificate replaces everything before it).
    /// At most [`MAX_CERTIFICATES_PER_ANSWER`] messages.
    pub fn certificates(&self, from: View, to: View) -> Vec<Message> {
        let mut out = Vec::new();
        if from <= self.anchor.view
            && let Some(f) = &self.last_finalization
        {
            out.push(Message::Finalization(f.clone()));
        }
        let lo = from.max(self.anchor.view + 1);
        if lo > to {
            return out;
        }
        for (_, r) in self.rounds.range(lo..=to) {
            if out.len() as u64 >= MAX_CERTIFICATES_PER_ANSWER {
                break;
            }
            if let Some(n) = &r.notarization {
                out.push(Message::Notarization(n.clone()));
            }
            if let Some(n) = &r.nullification {
                out.push(Message::Nullification(n.clone()));
            }
        }
        out
    }

    /// A one-line summary of the machine's state, for logs and failing tests.
    pub fn summary(&self) -> String {
        let round = self.rounds.get(&self.view);
        format!(
            "view {} (floor {}), anchor h{} v{}, notarized up to v{}, proposal {}, voted n{} u{}, pending finalizations {:?}, wanted {}, blocks {:?}, stats {:?}",
            self.view,
            self.vote_floor,
            self.anchor.height,
            self.anchor.view,
            self.highest_certificate_view(),
            round.is_some_and(|r| r.proposal.is_some()),
            round.is_some_and(|r| r.my_notarize.is_some()),
            round.is_some_and(|r| r.my_nullify.is_some()),
            self.pending_finalizations.keys().collect::<Vec<_>>(),
            self.wanted.len(),
            self.blocks.values().fold([0usize; 4], |mut c, k| {
                c[k.status as usize] += 1;
                c
            }),
            self.stats,
        )
    }

    /// Dropped-message counts.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The signing scheme (for a host that turns finalizations into notes).
    pub fn scheme(&self) -> &S {
        &self.scheme
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Handles one input at logical time `now` (never earlier than a previous call's).
    pub fn handle(&mut self, now: u64, input: Input) -> Vec<Output> {
        self.now = self.now.max(now);
        match input {
            Input::Start => self.start(),
            Input::Timer => {}
            Input::Message(m) => self.on_message(m),
            Input::Proposed { view, header } => self.on_proposed(view, header),
            Input::Verified { block, valid } => self.on_verified(block, valid),
            Input::Block(header) => self.on_block(header),
        }
        self.progress();
        self.check_timeouts();
        self.schedule();
        std::mem::take(&mut self.out)
    }

    // ----- inputs -----

    fn start(&mut self) {
        self.view_entered = self.now;
        self.backoff = self.stalled_views(self.view);
        let restored: Vec<Message> = self
            .rounds
            .values()
            .flat_map(|r| {
                let n = r.my_notarize.clone().map(Message::Notarize);
                let u = r.my_nullify.clone().map(Message::Nullify);
                let f = r.my_finalize.clone().map(Message::Finalize);
                // The notarization a finalize vote rests on (restored with it).
                let c = r
                    .my_finalize
                    .as_ref()
                    .and(r.notarization.clone())
                    .map(Message::Notarization);
                [c, n, u, f].into_iter().flatten()
            })
            .collect();
        self.out.extend(restored.into_iter().map(Output::Broadcast));
        if self
            .rounds
            .get(&self.view)
            .is_some_and(|r| r.my_nullify.is_some())
        {
            self.retry_at = Some(self.now + self.cfg.retry_interval);
        }
    }

    fn on_message(&mut self, m: Message) {
        match m {
            Message::Proposal(p) => self.on_proposal(p),
            Message::Notarize(v) => self.on_notarize(v),
            Message::Nullify(v) => self.on_nullify(v),
            Message::Finalize(v) => self.on_finalize(v),
            Message::Notarization(c) => self.on_notarization(c, false),
            Message::Nullification(c) => self.on_nullification(c, false),
            Message::Finalization(c) => self.on_finalization(c, false),
        }
    }

    /// Whether a vote for `view` is worth keeping.
    fn vote_in_window(&mut self, view: View) -> bool {
        if view <= self.anchor.view || view > self.view + self.cfg.max_views_ahead {
            self.stats.out_of_window += 1;
            return false;
        }
        true
    }

    fn fault(&mut self, view: View, signer: ValidatorIndex, fault: Fault) {
        let round = self.rounds.entry(view).or_default();
        if round.faults.insert((signer, fault)) {
            self.out.push(Output::Fault { signer, fault });
        }
    }

    fn on_proposal(&mut self, p: Proposal) {
        let view = p.header.view;
        if !self.vote_in_window(view) {
            return;
        }
        let leader = self.cfg.leader(view);
        if p.header.chain_id != self.cfg.chain_id
            || self.cfg.validators.get(leader as usize) != Some(&p.header.proposer)
        {
            self.stats.malformed += 1;
            return;
        }
        let Ok(hash) = p.header.hash() else {
            self.stats.malformed += 1;
            return;
        };
        let round = self.rounds.entry(view).or_default();
        if round.proposal == Some(hash) {
            self.stats.duplicates += 1;
            return;
        }
        let what = Signable::Notarize { view, block: &hash };
        if !self.scheme.verify(leader, &what, &p.signature) {
            self.stats.bad_signatures += 1;
            return;
        }
        let round = self.rounds.entry(view).or_default();
        if round.proposal.is_some() {
            self.fault(view, leader, Fault::ConflictingNotarize(view));
            return;
        }
        round.proposal = Some(hash);
        if let std::collections::hash_map::Entry::Vacant(e) = self.blocks.entry(hash) {
            e.insert(Known {
                header: p.header,
                status: Status::Unverified,
            });
            self.stalled.clear();
        }
        self.count_notarize(Notarize {
            view,
            block: hash,
            signer: leader,
            signature: p.signature,
        });
    }

    fn on_notarize(&mut self, v: Notarize) {
        if !self.vote_in_window(v.view) {
            return;
        }
        if let Some((b, s)) = self
            .rounds
            .get(&v.view)
            .and_then(|r| r.notarizes.get(&v.signer))
            && *b == v.block
            && *s == v.signature
        {
            self.stats.duplicates += 1;
            return;
        }
        let what = Signable::Notarize {
            view: v.view,
            block: &v.block,
        };
        if !self.scheme.verify(v.signer, &what, &v.signature) {
            self.stats.bad_signatures += 1;
            return;
        }
        self.count_notarize(v);
    }

    /// Counts a verified notarize vote and forms a notarization at quorum.
    fn count_notarize(&mut self, v: Notarize) {
        let round = self.rounds.entry(v.view).or_default();
        if let Some((b, _)) = round.notarizes.get(&v.signer) {
            if *b != v.block {
                self.fault(v.view, v.signer, Fault::ConflictingNotarize(v.view));
            }
            return;
        }
        round.notarizes.insert(v.signer, (v.block, v.signature));
        if round.notarization.is_some() {
            return;
        }
        if let Some(signatures) = quorum_signers(&round.notarizes, &v.block, self.quorum) {
            let cert = Notarization {
                view: v.view,
                block: v.block,
                signatures,
            };
            self.on_notarization(cert, true);
        }
    }

    fn on_nullify(&mut self, v: Nullify) {
        if !self.vote_in_window(v.view) {
            return;
        }
        if self
            .rounds
            .get(&v.view)
            .is_some_and(|r| r.nullifies.contains_key(&v.signer))
        {
            self.stats.duplicates += 1;
            return;
        }
        if !self
            .scheme
            .verify(v.signer, &Signable::Nullify { view: v.view }, &v.signature)
        {
            self.stats.bad_signatures += 1;
            return;
        }
        self.count_nullify(v);
    }

    fn count_nullify(&mut self, v: Nullify) {
        let round = self.rounds.entry(v.view).or_default();
        if round.nullifies.insert(v.signer, v.signature).is_some() {
            return;
        }
        if round.finalizes.contains_key(&v.signer) {
            self.fault(v.view, v.signer, Fault::NullifyAndFinalize(v.view));
        }
        let round = self.rounds.entry(v.view).or_default();
        if round.nullification.is_some() || round.nullifies.len() < self.quorum {
            return;
        }
        let signatures = round
            .nullifies
            .iter()
            .map(|(i, s)| Signer {
                index: *i,
                signature: *s,
            })
            .collect();
        if let Ok(signatures) = BoundedVec::new(signatures) {
            self.on_nullification(
                Nullification {
                    view: v.view,
                    signatures,
                },
                true,
            );
        }
    }

    fn on_finalize(&mut self, v: Finalize) {
        if !self.vote_in_window(v.view) {
            return;
        }
        if v.checkpoint.chain_id != self.cfg.chain_id {
            self.stats.malformed += 1;
            return;
        }
        if let Some((c, s)) = self
            .rounds
            .get(&v.view)
            .and_then(|r| r.finalizes.get(&v.signer))
            && *c == v.checkpoint
            && *s == v.signature
        {
            self.stats.duplicates += 1;
            return;
        }
        let what = Signable::Finalize {
            checkpoint: &v.checkpoint,
        };
        if !self.scheme.verify(v.signer, &what, &v.signature) {
            self.stats.bad_signatures += 1;
            return;
        }
        self.count_finalize(v);
    }

    fn count_finalize(&mut self, v: Finalize) {
        let round = self.rounds.entry(v.view).or_default();
        if let Some((c, _)) = round.finalizes.get(&v.signer) {
            if *c != v.checkpoint {
                self.fault(v.view, v.signer, Fault::ConflictingFinalize(v.view));
            }
            return;
        }
        round
            .finalizes
            .insert(v.signer, (v.checkpoint.clone(), v.signature));
        if round.nullifies.contains_key(&v.signer) {
            self.fault(v.view, v.signer, Fault::NullifyAndFinalize(v.view));
        }
        let round = self.rounds.entry(v.view).or_default();
        if let Some(signatures) = quorum_signers(&round.finalizes, &v.checkpoint, self.quorum) {
            let cert = Finalization {
                view: v.view,
                checkpoint: v.checkpoint,
                signatures,
            };
            self.on_finalization(cert, true);
        }
    }

    /// Checks a certificate's signers: distinct, known, at least a quorum, every signature valid.
    fn check_cert(&mut self, signers: &[Signer], what: &Signable<'_>) -> bool {
        let mut seen = BTreeSet::new();
        if signers.len() < self.quorum
            || !signers
                .iter()
                .all(|s| (s.index as usize) < self.cfg.validators.len() && seen.insert(s.index))
        {
            self.stats.malformed += 1;
            return false;
        }
        if !signers
            .iter()
            .all(|s| self.scheme.verify(s.index, what, &s.signature))
        {
            self.stats.bad_signatures += 1;
            return false;
        }
        true
    }

    fn on_notarization(&mut self, cert: Notarization, formed: bool) {
        if cert.view <= self.anchor.view {
            self.stats.out_of_window += 1;
            return;
        }
        if self
            .rounds
            .get(&cert.view)
            .is_some_and(|r| r.notarization.is_some())
        {
            self.stats.duplicates += 1;
            return;
        }
        if !formed {
            let what = Signable::Notarize {
                view: cert.view,
                block: &cert.block,
            };
            if !self.check_cert(&cert.signatures, &what) {
                return;
            }
        }
        if !self.blocks.contains_key(&cert.block) && cert.block != self.anchor.hash {
            self.fetch(cert.block);
        }
        if formed {
            self.out
                .push(Output::Broadcast(Message::Notarization(cert.clone())));
        }
        let view = cert.view;
        self.rounds.entry(view).or_default().notarization = Some(cert);
        if view >= self.view {
            self.enter_view(view + 1);
        }
    }

    fn on_nullification(&mut self, cert: Nullification, formed: bool) {
        if cert.view <= self.anchor.view {
            self.stats.out_of_window += 1;
            return;
        }
        if self
            .rounds
            .get(&cert.view)
            .is_some_and(|r| r.nullification.is_some())
        {
            self.stats.duplicates += 1;
            return;
        }
        if !formed && !self.check_cert(&cert.signatures, &Signable::Nullify { view: cert.view }) {
            return;
        }
        if formed {
            self.out
                .push(Output::Broadcast(Message::Nullification(cert.clone())));
        }
        let view = cert.view;
        self.rounds.entry(view).or_default().nullification = Some(cert);
        if view >= self.view {
            self.enter_view(view + 1);
        }
    }

    fn on_finalization(&mut self, cert: Finalization, formed: bool) {
        let height = cert.checkpoint.height;
        if height <= self.anchor.height || cert.checkpoint.chain_id != self.cfg.chain_id {
            self.stats.out_of_window += 1;
            return;
        }
        if self
            .pending_finalizations
            .get(&height)
            .is_some_and(|c| c.checkpoint == cert.checkpoint)
        {
            self.stats.duplicates += 1;
            return;
        }
        if !formed {
            let what = Signable::Finalize {
                checkpoint: &cert.checkpoint,
            };
            if !self.check_cert(&cert.signatures, &what) {
                return;
            }
        }
        if formed {
            self.out
                .push(Output::Broadcast(Message::Finalization(cert.clone())));
        }
        self.pending_finalizations.insert(height, cert);
    }

    fn on_proposed(&mut self, view: View, header: BlockHeader) {
        if self.proposing != Some(view) || view != self.view {
            return;
        }
        self.proposing = None;
        let Some(me) = self.scheme.me() else {
            return;
        };
        let round = self.rounds.entry(view).or_default();
        if round.my_notarize.is_some() || round.my_nullify.is_some() || view < self.vote_floor {
            return;
        }
        let Ok(hash) = header.hash() else {
            return;
        };
        if header.view != view || self.cfg.validators.get(me as usize) != Some(&header.proposer) {
            return;
        }
        let Some(signature) = self.scheme.sign(&Signable::Notarize { view, block: &hash }) else {
            return;
        };
        let vote = Notarize {
            view,
            block: hash,
            signer: me,
            signature,
        };
        self.blocks.insert(
            hash,
            Known {
                header: header.clone(),
                status: Status::Valid,
            },
        );
        let round = self.rounds.entry(view).or_default();
        round.proposal = Some(hash);
        round.my_notarize = Some(vote.clone());
        self.out.push(Output::Persist(Vote::Notarize(vote.clone())));
        self.out.push(Output::Broadcast(Message::Proposal(Proposal {
            header,
            signature,
        })));
        self.count_notarize(vote);
    }

    fn on_verified(&mut self, block: Hash, valid: bool) {
        if let Some(k) = self.blocks.get_mut(&block)
            && k.status == Status::Verifying
        {
            k.status = if valid {
                Status::Valid
            } else {
                Status::Invalid
            };
        }
    }

    fn on_block(&mut self, header: BlockHeader) {
        let Ok(hash) = header.hash() else {
            self.stats.malformed += 1;
            return;
        };
        if self.wanted.remove(&hash).is_none() {
            self.stats.unsolicited_blocks += 1;
            return;
        }
        if header.chain_id != self.cfg.chain_id {
            self.stats.malformed += 1;
            return;
        }
        self.blocks.entry(hash).or_insert(Known {
            header,
            status: Status::Unverified,
        });
        self.stalled.clear();
    }

    // ----- progress -----

    fn fetch(&mut self, block: Hash) {
        if let std::collections::btree_map::Entry::Vacant(e) = self.wanted.entry(block) {
            e.insert(self.view);
            self.out.push(Output::Fetch { block });
        }
    }

    /// Asks for certificates of `from..=to` (the newest [`MAX_CERTIFICATES_PER_ANSWER`] views of
    /// it), unless the same request went out less than `retry_interval` ago.
    fn want_certificates(&mut self, from: View, to: View) {
        let from = from
            .max(to.saturating_sub(MAX_CERTIFICATES_PER_ANSWER - 1))
            .max(1);
        if from > to {
            return;
        }
        if let Some((f, t, at)) = self.cert_request
            && f <= from
            && t >= to
            && self.now < at + self.cfg.retry_interval
        {
            return;
        }
        self.cert_request = Some((from, to, self.now));
        self.out.push(Output::FetchCertificates { from, to });
    }

    fn enter_view(&mut self, view: View) {
        if view <= self.view {
            return;
        }
        self.view = view;
        self.view_entered = self.now;
        self.backoff = self.stalled_views(view);
        self.retry_at = None;
        self.proposing = None;
    }

    /// Re-evaluates everything that may have become possible.
    fn progress(&mut self) {
        // Each step may unlock another (a finalization moves the view; a verified parent allows a
        // vote); a few passes reach the fixpoint, as each pass only moves things forward.
        for _ in 0..4 {
            let before = (self.view, self.anchor.height, self.out.len());
            self.finalize_pending();
            self.finalize_votes();
            self.propose();
            self.vote_on_proposal();
            if before == (self.view, self.anchor.height, self.out.len()) {
                break;
            }
        }
    }

    /// Makes sure `hash` gets verified; `Some(valid)` once known, `None` while waiting (a fetch
    /// or a verification is on its way).
    fn ensure_verified(&mut self, hash: Hash) -> Option<bool> {
        if self.stalled.contains(&hash) {
            return None;
        }
        // Walk back to a block whose status is known, collecting the unverified ones.
        let mut chain = Vec::new();
        let mut cursor = hash;
        loop {
            if cursor == self.anchor.hash {
                break;
            }
            let Some(k) = self.blocks.get(&cursor) else {
                self.fetch(cursor);
                self.stalled.insert(hash);
                return None;
            };
            match k.status {
                Status::Valid => break,
                Status::Invalid => {
                    for h in chain {
                        if let Some(k) = self.blocks.get_mut(&h) {
                            k.status = Status::Invalid;
                        }
                    }
                    return Some(false);
                }
                Status::Verifying => {
                    // Its children are queued behind it; once answered, a later pass continues.
                    if cursor == hash {
                        return None;
                    }
                    break;
                }
                Status::Unverified => {
                    if k.header.height <= self.anchor.height {
                        // Off the finalized chain.
                        if let Some(k) = self.blocks.get_mut(&cursor) {
                            k.status = Status::Invalid;
                        }
                        continue;
                    }
                    chain.push(cursor);
                    cursor = k.header.parent;
                }
            }
        }
        if chain.is_empty() {
            return self
                .blocks
                .get(&hash)
                .map_or(Some(true), |k| match k.status {
                    Status::Valid => Some(true),
                    Status::Invalid => Some(false),
                    _ => None,
                });
        }
        // Check heights link up, then ask for execution parent first.
        for h in chain.into_iter().rev() {
            let k = self.blocks.get(&h)?;
            let parent_height = if k.header.parent == self.anchor.hash {
                Some(self.anchor.height)
            } else {
                self.blocks.get(&k.header.parent).map(|p| p.header.height)
            };
            if parent_height.map(|p| p + 1) != Some(k.header.height) {
                if let Some(k) = self.blocks.get_mut(&h) {
                    k.status = Status::Invalid;
                }
                return self.ensure_verified(hash);
            }
            let header = k.header.clone();
            if let Some(k) = self.blocks.get_mut(&h) {
                k.status = Status::Verifying;
            }
            self.out.push(Output::Verify { header });
        }
        None
    }

    /// Applies pending finalizations, newest ready one first (it finalizes the older ones too).
    fn finalize_pending(&mut self) {
        loop {
            let heights: Vec<u64> = self.pending_finalizations.keys().rev().copied().collect();
            let mut applied = false;
            for height in heights {
                match self.try_finalize(height) {
                    Readiness::Waiting => continue,
                    Readiness::Dropped => {
                        self.pending_finalizations.remove(&height);
                    }
                    Readiness::Applied => {
                        applied = true;
                        break;
                    }
                }
            }
            if !applied {
                return;
            }
        }
    }

    /// Finalizes the block of the pending finalization at `height` and its ancestors if their
    /// headers are all here and verified.
    fn try_finalize(&mut self, height: u64) -> Readiness {
        let Some(cert) = self.pending_finalizations.get(&height).cloned() else {
            return Readiness::Waiting;
        };
        if height <= self.anchor.height {
            return Readiness::Dropped;
        }
        let target = cert.checkpoint.block_hash;
        // The header must match the signed checkpoint and the claimed view.
        match self.blocks.get(&target) {
            None => {
                self.fetch(target);
                return Readiness::Waiting;
            }
            Some(k) => {
                if checkpoint_of(&k.header, target) != cert.checkpoint || k.header.view != cert.view
                {
                    self.stats.malformed += 1;
                    return Readiness::Dropped;
                }
            }
        }
        match self.ensure_verified(target) {
            None => return Readiness::Waiting,
            // A quorum finalized a block this node cannot execute: more than f faulty validators
            // or a broken host. Never commit it.
            Some(false) => {
                self.stats.malformed += 1;
                return Readiness::Dropped;
            }
            Some(true) => {}
        }
        let mut chain = Vec::new();
        let mut cursor = target;
        while cursor != self.anchor.hash {
            let Some(k) = self.blocks.get(&cursor) else {
                return Readiness::Waiting;
            };
            if k.header.height <= self.anchor.height {
                // Conflicts with what is already final.
                self.stats.malformed += 1;
                return Readiness::Dropped;
            }
            chain.push(cursor);
            cursor = k.header.parent;
        }
        for h in chain.into_iter().rev() {
            let Some(k) = self.blocks.get(&h) else {
                return Readiness::Waiting;
            };
            let header = k.header.clone();
            let finalization = self
                .pending_finalizations
                .remove(&header.height)
                .filter(|c| c.checkpoint.block_hash == h);
            self.anchor = Anchor {
                view: header.view,
                height: header.height,
                hash: h,
            };
            self.out.push(Output::Finalized {
                header,
                hash: h,
                finalization,
            });
        }
        self.last_finalization = Some(cert);
        self.prune();
        let next = self.anchor.view + 1;
        if next > self.view {
            self.enter_view(next);
        }
        Readiness::Applied
    }

    fn prune(&mut self) {
        let anchor = self.anchor;
        self.rounds = self.rounds.split_off(&(anchor.view + 1));
        self.blocks.retain(|_, k| k.header.height > anchor.height);
        self.stalled.clear();
        self.pending_finalizations = self.pending_finalizations.split_off(&(anchor.height + 1));
        self.wanted.retain(|_, view| *view >= anchor.view);
    }

    /// Sends finalize votes for notarized views this validator did not nullify.
    fn finalize_votes(&mut self) {
        let Some(me) = self.scheme.me() else {
            return;
        };
        let lo = self.vote_floor.max(self.anchor.view + 1);
        if lo > self.view {
            return;
        }
        let candidates: Vec<(View, Hash)> = self
            .rounds
            .range(lo..=self.view)
            .filter(|(_, r)| r.my_finalize.is_none() && r.my_nullify.is_none())
            .filter_map(|(v, r)| r.notarization.as_ref().map(|n| (*v, n.block)))
            .collect();
        for (view, block) in candidates {
            if self.ensure_verified(block) != Some(true) {
                continue;
            }
            let Some(k) = self.blocks.get(&block) else {
                continue;
            };
            let checkpoint = checkpoint_of(&k.header, block);
            let Some(signature) = self.scheme.sign(&Signable::Finalize {
                checkpoint: &checkpoint,
            }) else {
                return;
            };
            let vote = Finalize {
                view,
                checkpoint,
                signer: me,
                signature,
            };
            let round = self.rounds.entry(view).or_default();
            round.my_finalize = Some(vote.clone());
            // Once finalize-voted, the view can no longer be nullified by this validator: keep
            // the notarization that lets it (and peers it reaches) leave the view, across a
            // restart.
            if let Some(c) = round.notarization.clone() {
                self.out.push(Output::Persist(Vote::Notarized(c)));
            }
            self.out.push(Output::Persist(Vote::Finalize(vote.clone())));
            self.out
                .push(Output::Broadcast(Message::Finalize(vote.clone())));
            self.count_finalize(vote);
        }
    }

    /// The parent a proposal in `view` may extend: the newest notarized block before `view` with
    /// every view after it nullified, or the anchor. `Err(w)` when view `w` has no certificate.
    fn parent_for(&self, view: View) -> Result<Hash, View> {
        let mut w = view.saturating_sub(1);
        loop {
            if w <= self.anchor.view {
                return Ok(self.anchor.hash);
            }
            let Some(round) = self.rounds.get(&w) else {
                return Err(w);
            };
            if let Some(n) = &round.notarization {
                return Ok(n.block);
            }
            if round.nullification.is_none() {
                return Err(w);
            }
            w -= 1;
        }
    }

    fn can_vote(&self, view: View) -> bool {
        self.scheme.me().is_some()
            && view >= self.vote_floor
            && self
                .rounds
                .get(&view)
                .is_none_or(|r| r.my_notarize.is_none() && r.my_nullify.is_none())
    }

    fn propose(&mut self) {
        let view = self.view;
        if self.scheme.me() != Some(self.cfg.leader(view))
            || self.proposing == Some(view)
            || !self.can_vote(view)
        {
            return;
        }
        let parent = match self.parent_for(view) {
            Ok(p) => p,
            Err(missing) => {
                self.want_certificates(self.anchor.view + 1, missing);
                return;
            }
        };
        if self.ensure_verified(parent) != Some(true) {
            return;
        }
        let parent_height = if parent == self.anchor.hash {
            self.anchor.height
        } else {
            match self.blocks.get(&parent) {
                Some(k) => k.header.height,
                None => return,
            }
        };
        self.proposing = Some(view);
        self.out.push(Output::Propose {
            view,
            parent,
            parent_height,
        });
    }

    fn vote_on_proposal(&mut self) {
        let view = self.view;
        if !self.can_vote(view) {
            return;
        }
        let Some(hash) = self.rounds.get(&view).and_then(|r| r.proposal) else {
            return;
        };
        let Some(k) = self.blocks.get(&hash) else {
            return;
        };
        let header = &k.header;
        let (parent_view, parent_height) = if header.parent == self.anchor.hash {
            (self.anchor.view, self.anchor.height)
        } else {
            match self.blocks.get(&header.parent) {
                None => {
                    let parent = header.parent;
                    self.fetch(parent);
                    return;
                }
                Some(p) => (p.header.view, p.header.height),
            }
        };
        let leader = self.cfg.leader(view);
        if parent_view >= view
            || header.height != parent_height + 1
            || (header.parent != self.anchor.hash && parent_view <= self.anchor.view)
        {
            self.reject_proposal(view, leader);
            return;
        }
        // The parent must be notarized (or final) and every view in between nullified.
        let parent_missing = header.parent != self.anchor.hash
            && self
                .rounds
                .get(&parent_view)
                .and_then(|r| r.notarization.as_ref())
                .is_none_or(|n| n.block != header.parent);
        let first_gap = ((parent_view + 1)..view)
            .find(|w| self.rounds.get(w).is_none_or(|r| r.nullification.is_none()));
        if parent_missing || first_gap.is_some() {
            let from = if parent_missing {
                parent_view
            } else {
                first_gap.unwrap_or(parent_view)
            };
            let to = ((parent_view + 1)..view)
                .rev()
                .find(|w| self.rounds.get(w).is_none_or(|r| r.nullification.is_none()))
                .unwrap_or(parent_view);
            self.want_certificates(from, to.max(from));
            return;
        }
        match self.ensure_verified(hash) {
            None => {}
            Some(false) => self.reject_proposal(view, leader),
            Some(true) => self.notarize(view, hash),
        }
    }

    fn reject_proposal(&mut self, view: View, leader: ValidatorIndex) {
        self.fault(view, leader, Fault::InvalidProposal(view));
        self.nullify(view);
    }

    fn notarize(&mut self, view: View, block: Hash) {
        let Some(me) = self.scheme.me() else {
            return;
        };
        let Some(signature) = self.scheme.sign(&Signable::Notarize {
            view,
            block: &block,
        }) else {
            return;
        };
        let vote = Notarize {
            view,
            block,
            signer: me,
            signature,
        };
        self.rounds.entry(view).or_default().my_notarize = Some(vote.clone());
        self.out.push(Output::Persist(Vote::Notarize(vote.clone())));
        self.out
            .push(Output::Broadcast(Message::Notarize(vote.clone())));
        self.count_notarize(vote);
    }

    fn nullify(&mut self, view: View) {
        let Some(me) = self.scheme.me() else {
            return;
        };
        if view < self.vote_floor || view != self.view {
            return;
        }
        let round = self.rounds.entry(view).or_default();
        if round.my_nullify.is_some() || round.my_finalize.is_some() {
            return;
        }
        let Some(signature) = self.scheme.sign(&Signable::Nullify { view }) else {
            return;
        };
        let vote = Nullify {
            view,
            signer: me,
            signature,
        };
        self.rounds.entry(view).or_default().my_nullify = Some(vote.clone());
        self.out.push(Output::Persist(Vote::Nullify(vote.clone())));
        self.out
            .push(Output::Broadcast(Message::Nullify(vote.clone())));
        self.retry_at = Some(self.now + self.cfg.retry_interval);
        self.count_nullify(vote);
    }

    // ----- time -----

    /// How many views in a row just before `view` ended in a nullification without a
    /// notarization, at most [`Config::max_backoff_doublings`].
    fn stalled_views(&self, view: View) -> u32 {
        let mut n = 0;
        let mut expect = view.saturating_sub(1);
        for (v, r) in self.rounds.range(..view).rev() {
            if n >= self.cfg.max_backoff_doublings
                || *v != expect
                || r.nullification.is_none()
                || r.notarization.is_some()
            {
                break;
            }
            n += 1;
            expect = expect.saturating_sub(1);
        }
        n
    }

    /// `base` doubled for each stalled view before the current one.
    fn backed_off(&self, base: u64) -> u64 {
        base.saturating_mul(1u64 << self.backoff.min(32))
    }

    fn check_timeouts(&mut self) {
        let view = self.view;
        let elapsed = self.now.saturating_sub(self.view_entered);
        let round = self.rounds.get(&view);
        let voted = round.is_some_and(|r| r.my_notarize.is_some());
        let notarized = round.is_some_and(|r| r.notarization.is_some());
        if (elapsed >= self.backed_off(self.cfg.leader_timeout) && !voted)
            || (elapsed >= self.backed_off(self.cfg.notarization_timeout) && !notarized)
        {
            self.nullify(view);
        }
        if let Some(at) = self.retry_at
            && self.now >= at
        {
            self.rebroadcast();
            // Stuck in this view: peers that moved on hold the certificates that would move
            // this node too (they may have been lost, or formed only where it cannot hear).
            self.want_certificates(view, view + MAX_CERTIFICATES_PER_ANSWER - 1);
            self.retry_at = Some(self.now + self.cfg.retry_interval);
        }
    }

    /// Sends what a peer that lost messages needs to reach this view: the newest finalization,
    /// the newest notarization before this view and the nullifications after it, and this
    /// validator's votes in this view.
    fn rebroadcast(&mut self) {
        let mut msgs = Vec::new();
        if let Some(f) = &self.last_finalization {
            msgs.push(Message::Finalization(f.clone()));
        }
        let mut nullifications = Vec::new();
        for (_, r) in self.rounds.range(..self.view).rev() {
            if let Some(n) = &r.notarization {
                msgs.push(Message::Notarization(n.clone()));
                break;
            }
            if let Some(n) = &r.nullification {
                if nullifications.len() < MAX_REBROADCAST_NULLIFICATIONS {
                    nullifications.push(Message::Nullification(n.clone()));
                }
            } else {
                break;
            }
        }
        msgs.extend(nullifications.into_iter().rev());
        if let Some(r) = self.rounds.get(&self.view) {
            if let Some(v) = &r.my_notarize {
                // The leader sends its proposal again (it is its notarize vote): a validator that
                // restarted, or never received it, cannot vote without the block's header.
                let header = (self.cfg.leader(self.view) == v.signer)
                    .then(|| self.blocks.get(&v.block))
                    .flatten();
                match header {
                    Some(k) => msgs.push(Message::Proposal(Proposal {
                        header: k.header.clone(),
                        signature: v.signature,
                    })),
                    None => msgs.push(Message::Notarize(v.clone())),
                }
            }
            if let Some(v) = &r.my_nullify {
                msgs.push(Message::Nullify(v.clone()));
            }
        }
        self.out.extend(msgs.into_iter().map(Output::Broadcast));
    }

    fn schedule(&mut self) {
        let mut next = self.retry_at;
        let voted_or_nullified = self
            .rounds
            .get(&self.view)
            .is_some_and(|r| r.my_nullify.is_some());
        if self.scheme.me().is_some() && !voted_or_nullified {
            let round = self.rounds.get(&self.view);
            let deadline = if round.is_some_and(|r| r.my_notarize.is_some()) {
                self.view_entered + self.backed_off(self.cfg.notarization_timeout)
            } else {
                self.view_entered
                    + self.backed_off(self.cfg.leader_timeout.min(self.cfg.notarization_timeout))
            };
            next = Some(next.map_or(deadline, |n| n.min(deadline)));
        }
        if let Some(at) = next
            && self.timer != Some(at)
        {
            self.timer = Some(at);
            self.out.push(Output::SetTimer { at });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Nullify;

    /// A toy scheme: a signature is the signer index and a hash of the message, so tests can
    /// forge for any validator at will.
    struct Toy(Option<ValidatorIndex>);

    fn toy_sig(signer: ValidatorIndex, what: &Signable<'_>) -> Sig {
        let chain = ChainId::new("toy").expect("chain");
        let h = crate::types::Domain::Vote.hash(&crate::scheme::signed_bytes(&chain, what));
        let mut s = [0u8; 64];
        s[..32].copy_from_slice(h.as_bytes());
        s[32..36].copy_from_slice(&signer.to_le_bytes());
        Sig(s)
    }

    impl Scheme for Toy {
        fn me(&self) -> Option<ValidatorIndex> {
            self.0
        }
        fn sign(&self, what: &Signable<'_>) -> Option<Sig> {
            Some(toy_sig(self.0?, what))
        }
        fn verify(&self, signer: ValidatorIndex, what: &Signable<'_>, sig: &Sig) -> bool {
            toy_sig(signer, what) == *sig
        }
    }

    fn machine(me: Option<ValidatorIndex>, restored: Vec<Vote>, floor: View) -> Consensus<Toy> {
        let cfg = Config::new(
            ChainId::new("toy").expect("chain"),
            (0..4u8).map(|i| KeyBytes([i; 32])).collect(),
        );
        let anchor = Anchor {
            view: 0,
            height: 0,
            hash: Hash::from([9; 32]),
        };
        Consensus::new(cfg, Toy(me), anchor, restored, floor).expect("machine")
    }

    fn nullify(view: View, signer: ValidatorIndex) -> Message {
        Message::Nullify(Nullify {
            view,
            signer,
            signature: toy_sig(signer, &Signable::Nullify { view }),
        })
    }

    fn persisted(out: &[Output]) -> Vec<&Vote> {
        out.iter()
            .filter_map(|o| match o {
                Output::Persist(v) => Some(v),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_timeout_nullifies_and_a_quorum_moves_the_view() {
        let mut m = machine(Some(2), vec![], 0);
        m.handle(0, Input::Start);
        let out = m.handle(1_000, Input::Timer);
        assert!(matches!(
            persisted(&out)[..],
            [Vote::Nullify(Nullify { view: 1, .. })]
        ));
        m.handle(1_001, Input::Message(nullify(1, 0)));
        assert_eq!(m.view(), 1, "two of the three needed");
        let out = m.handle(1_002, Input::Message(nullify(1, 3)));
        assert_eq!(m.view(), 2);
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Broadcast(Message::Nullification(_)))),
            "the node that forms a certificate broadcasts it"
        );
    }

    #[test]
    fn a_restored_vote_is_never_signed_again_differently() {
        let mut first = machine(Some(2), vec![], 0);
        first.handle(0, Input::Start);
        let out = first.handle(1_000, Input::Timer);
        let votes: Vec<Vote> = persisted(&out).into_iter().cloned().collect();
        // Restart from the persisted vote: the view is resumed and nothing new is signed in it.
        let mut again = machine(Some(2), votes, 0);
        let out = again.handle(1_500, Input::Start);
        assert_eq!(again.view(), 1);
        assert!(persisted(&out).is_empty());
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Broadcast(Message::Nullify(_)))),
            "the restored vote is sent again"
        );
    }

    #[test]
    fn below_the_vote_floor_nothing_is_signed() {
        let mut m = machine(Some(2), vec![], 5);
        m.handle(0, Input::Start);
        let out = m.handle(10_000, Input::Timer);
        assert!(persisted(&out).is_empty());
        // Certificates still move it along; at the floor it votes again.
        for v in 1..5 {
            for s in [0, 1, 3] {
                m.handle(10_000 + v, Input::Message(nullify(v, s)));
            }
        }
        assert_eq!(m.view(), 5);
        // Four views in a row were nullified: the timeouts of view 5 are 16 times longer.
        let out = m.handle(10_004 + 15_999, Input::Timer);
        assert!(persisted(&out).is_empty());
        let out = m.handle(10_004 + 16_000, Input::Timer);
        assert!(matches!(
            persisted(&out)[..],
            [Vote::Nullify(Nullify { view: 5, .. })]
        ));
    }

    /// Nullifies the current view `v` at `at` with this validator's timeout and two others'
    /// votes, then checks the next view's timeout is `next_timeout`.
    fn stall(m: &mut Consensus<Toy>, v: View, at: u64, next_timeout: u64) -> u64 {
        let out = m.handle(at, Input::Timer);
        assert!(
            matches!(persisted(&out)[..], [Vote::Nullify(Nullify { view, .. })] if *view == v),
            "view {v} nullified at {at}"
        );
        for s in [0, 1] {
            m.handle(at, Input::Message(nullify(v, s)));
        }
        assert_eq!(m.view(), v + 1);
        assert!(persisted(&m.handle(at + next_timeout - 1, Input::Timer)).is_empty());
        at + next_timeout
    }

    #[test]
    fn timeouts_double_after_nullified_views_up_to_the_cap() {
        let mut m = machine(Some(2), vec![], 0);
        m.handle(0, Input::Start);
        let at = stall(&mut m, 1, 1_000, 2_000);
        let at = stall(&mut m, 2, at, 4_000);
        stall(&mut m, 3, at, 8_000);

        let mut cfg = Config::new(
            ChainId::new("toy").expect("chain"),
            (0..4u8).map(|i| KeyBytes([i; 32])).collect(),
        );
        cfg.max_backoff_doublings = 1;
        let anchor = Anchor {
            view: 0,
            height: 0,
            hash: Hash::from([9; 32]),
        };
        let mut m = Consensus::new(cfg, Toy(Some(2)), anchor, vec![], 0).expect("machine");
        m.handle(0, Input::Start);
        let at = stall(&mut m, 1, 1_000, 2_000);
        let at = stall(&mut m, 2, at, 2_000);
        stall(&mut m, 3, at, 2_000);
    }

    #[test]
    fn an_observer_never_signs() {
        let mut m = machine(None, vec![], 0);
        m.handle(0, Input::Start);
        let out = m.handle(100_000, Input::Timer);
        assert!(persisted(&out).is_empty());
        assert!(out.iter().all(|o| !matches!(o, Output::Broadcast(_))));
    }

    #[test]
    fn bad_certificates_and_far_future_votes_are_dropped() {
        let mut m = machine(Some(2), vec![], 0);
        m.handle(0, Input::Start);
        let sig = toy_sig(0, &Signable::Nullify { view: 1 });
        // One signer three times is not a quorum.
        let dup = Nullification {
            view: 1,
            signatures: BoundedVec::new(vec![
                Signer {
                    index: 0,
                    signature: sig
                };
                3
            ])
            .expect("bounded"),
        };
        m.handle(1, Input::Message(Message::Nullification(dup)));
        assert_eq!(m.view(), 1);
        assert_eq!(m.stats().malformed, 1);
        // An unknown signer index.
        let stranger = Nullification {
            view: 1,
            signatures: BoundedVec::new(
                [0, 1, 99]
                    .into_iter()
                    .map(|index| Signer {
                        index,
                        signature: toy_sig(index, &Signable::Nullify { view: 1 }),
                    })
                    .collect(),
            )
            .expect("bounded"),
        };
        m.handle(2, Input::Message(Message::Nullification(stranger)));
        assert_eq!(m.view(), 1);
        assert_eq!(m.stats().malformed, 2);
        // A vote a million views ahead is not stored.
        m.handle(3, Input::Message(nullify(1_000_000, 0)));
        assert_eq!(m.stats().out_of_window, 1);
        assert!(m.rounds.len() <= 2);
    }
}
