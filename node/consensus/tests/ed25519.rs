//! The state machine with real Ed25519 signatures: four validators and an observer on a
//! lossless network, one of the validators stopped. Every finalization must be a checkpoint
//! note that a light client accepts with a quorum of the validator set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, VecDeque};

use liangxin_consensus::types::checkpoint::SignedCheckpoint;
use liangxin_consensus::types::{BlockHeader, ChainId, Hash, KeyBytes, PublicKey, SigningKey};
use liangxin_consensus::{
    Anchor, Config, Consensus, Ed25519Scheme, Input, Message, NamedKey, Output,
};

struct Net {
    nodes: Vec<Option<Consensus<Ed25519Scheme>>>,
    /// (deliver at, node, input)
    queue: VecDeque<(u64, usize, Input)>,
    timers: BTreeMap<usize, u64>,
    now: u64,
    headers: BTreeMap<Hash, BlockHeader>,
    finalized: Vec<Vec<(BlockHeader, Option<SignedCheckpoint>)>>,
    schemes: Vec<Ed25519Scheme>,
    keys: Vec<SigningKey>,
    chain: ChainId,
}

const GENESIS: Hash = Hash([9; 32]);

impl Net {
    fn new(stopped: Option<usize>) -> Self {
        let chain = ChainId::new("ed-test").unwrap();
        let keys: Vec<SigningKey> = (0..4)
            .map(|i| SigningKey::dev(&format!("reg{i}")))
            .collect();
        let named: Vec<NamedKey> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| NamedKey {
                name: format!("regulator-{i}"),
                key: k.public_key(),
            })
            .collect();
        let mut cfg = Config::new(
            chain.clone(),
            keys.iter()
                .map(|k| KeyBytes::from(k.public_key()))
                .collect(),
        );
        cfg.leader_timeout = 100;
        cfg.notarization_timeout = 200;
        cfg.retry_interval = 100;
        let anchor = Anchor {
            view: 0,
            height: 0,
            hash: GENESIS,
        };
        let mut nodes = Vec::new();
        let mut schemes = Vec::new();
        for i in 0..5 {
            let key = keys.get(i).cloned();
            let scheme = Ed25519Scheme::new(chain.clone(), named.clone(), key.clone()).unwrap();
            schemes.push(Ed25519Scheme::new(chain.clone(), named.clone(), None).unwrap());
            let m = Consensus::new(cfg.clone(), scheme, anchor, vec![], 0).unwrap();
            nodes.push(if stopped == Some(i) { None } else { Some(m) });
        }
        let mut net = Net {
            nodes,
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            now: 0,
            headers: BTreeMap::new(),
            finalized: vec![Vec::new(); 5],
            schemes,
            keys,
            chain,
        };
        for i in 0..5 {
            net.queue.push_back((0, i, Input::Start));
        }
        net
    }

    fn step(&mut self) -> bool {
        let (at, i, input) = match self.queue.pop_front() {
            Some(e) => e,
            None => {
                // Nothing in flight: fire the earliest timer.
                let Some((&i, &at)) = self.timers.iter().min_by_key(|(_, at)| **at) else {
                    return false;
                };
                self.timers.remove(&i);
                (at, i, Input::Timer)
            }
        };
        self.now = self.now.max(at);
        let Some(m) = self.nodes[i].as_mut() else {
            return true;
        };
        let outputs = m.handle(self.now, input);
        for o in outputs {
            match o {
                Output::Broadcast(msg) => {
                    for to in 0..5 {
                        if to != i {
                            self.queue
                                .push_back((self.now + 1, to, Input::Message(msg.clone())));
                        }
                    }
                }
                Output::SetTimer { at } => {
                    self.timers.insert(i, at);
                }
                Output::Propose {
                    view,
                    parent,
                    parent_height,
                } => {
                    let header = BlockHeader {
                        chain_id: self.chain.clone(),
                        height: parent_height + 1,
                        view,
                        parent,
                        time: self.now,
                        proposer: KeyBytes::from(self.keys[i].public_key()),
                        seed_proof: liangxin_types::VrfProof::ZERO,
                        tx_count: 0,
                        body_hash: Hash([view as u8; 32]),
                        log_size: parent_height + 1,
                        log_root: Hash([1; 32]),
                        state_root: Hash([2; 32]),
                    };
                    self.headers.insert(header.hash().unwrap(), header.clone());
                    self.queue
                        .push_back((self.now, i, Input::Proposed { view, header }));
                }
                Output::Verify { header } => {
                    let block = header.hash().unwrap();
                    self.queue
                        .push_back((self.now, i, Input::Verified { block, valid: true }));
                }
                Output::Fetch { block } => {
                    if let Some(h) = self.headers.get(&block) {
                        self.queue
                            .push_back((self.now + 1, i, Input::Block(h.clone())));
                    }
                }
                Output::Finalized {
                    header,
                    finalization,
                    ..
                } => {
                    let note = finalization.map(|f| self.schemes[i].signed_checkpoint(&f).unwrap());
                    self.finalized[i].push((header, note));
                }
                Output::Persist(_) | Output::FetchCertificates { .. } | Output::Fault { .. } => {}
            }
        }
        true
    }

    fn run_until(&mut self, height: usize, live: &[usize]) {
        for _ in 0..200_000 {
            if live.iter().all(|i| self.finalized[*i].len() >= height) {
                return;
            }
            if !self.step() {
                break;
            }
        }
        panic!(
            "did not reach height {height}: {:?}",
            self.finalized.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }

    fn validator_list(&self) -> Vec<(String, PublicKey)> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("regulator-{i}"), k.public_key()))
            .collect()
    }
}

fn check_notes(net: &Net, live: &[usize]) {
    let list = net.validator_list();
    let reference = &net.finalized[live[0]];
    for i in live {
        let chain = &net.finalized[*i];
        for (h, (header, note)) in chain.iter().enumerate() {
            assert_eq!(header.height, h as u64 + 1);
            assert_eq!(
                header,
                &reference[h].0,
                "node {i} differs at height {}",
                h + 1
            );
            if let Some(note) = note {
                // The finalization is a checkpoint note a light client accepts.
                let text = note.to_note().unwrap();
                let parsed = SignedCheckpoint::parse_note(&text).unwrap();
                let signers = parsed
                    .verify(&list, 3)
                    .expect("a quorum of regulators signed");
                assert!(signers.len() >= 3);
                assert_eq!(parsed.checkpoint().height, header.height);
                assert_eq!(parsed.checkpoint().block_hash, header.hash().unwrap());
            }
        }
        assert!(
            chain.iter().filter(|(_, n)| n.is_some()).count() >= chain.len() / 2,
            "most blocks carry their own cosigned checkpoint"
        );
    }
}

#[test]
fn four_ed25519_validators_finalize_cosigned_checkpoints() {
    let mut net = Net::new(None);
    let live = [0, 1, 2, 3, 4];
    net.run_until(8, &live);
    check_notes(&net, &live);
}

#[test]
fn one_stopped_validator_costs_only_its_views() {
    let mut net = Net::new(Some(2));
    let live = [0, 1, 3, 4];
    net.run_until(8, &live);
    check_notes(&net, &live);
    // Validator 2's views (2, 6, 10…) time out and are nullified; every other view finalizes.
    let views: Vec<u64> = net.finalized[0].iter().map(|(h, _)| h.view).collect();
    assert!(views.iter().all(|v| v % 4 != 2), "{views:?}");
}

#[test]
fn a_tampered_vote_is_dropped_and_counted() {
    let mut net = Net::new(None);
    net.run_until(1, &[0]);
    let m = net.nodes[0].as_mut().unwrap();
    let before = m.stats().bad_signatures;
    let forged = Message::Nullify(liangxin_consensus::Nullify {
        view: m.view(),
        signer: 1,
        signature: liangxin_consensus::Sig([7; 64]),
    });
    let out = m.handle(net.now, Input::Message(forged));
    assert!(out.iter().all(|o| !matches!(o, Output::Broadcast(_))));
    assert_eq!(m.stats().bad_signatures, before + 1);
}
