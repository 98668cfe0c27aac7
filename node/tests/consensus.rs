//! Four validators run consensus over real execution and storage, connected by an in-memory
//! network: records submitted to the mempools become final on every node, every node commits
//! the same blocks, and the stored checkpoints are notes cosigned by a quorum.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use liangxin_consensus::{Config, Ed25519Scheme, Input, NamedKey};
use liangxin_contracts::genesis::Genesis;
use liangxin_contracts::model::Sector;
use liangxin_node::engine::{BlockConfig, Engine, Origin};
use liangxin_node::exec::{Validator, build_genesis, load_tip};
use liangxin_node::host::{Action, Host, Pacing, Wire};
use liangxin_node::mempool::MempoolConfig;
use liangxin_sdk::Signer;
use liangxin_sdk::builders::OperatorRegistrationBuilder;
use liangxin_storage::{MemStore, Store};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::uscc::check_char;
use liangxin_types::{Canonical, KeyBytes, PublicKey, SigningKey, Uscc};

const N: usize = 4;

fn uscc(i: usize) -> Uscc {
    let first17 = format!("91350{:06}MA{:04}", i / 10_000, i % 10_000);
    let c = check_char(&first17).unwrap();
    Uscc::parse(&format!("{first17}{c}")).unwrap()
}

struct Net {
    hosts: Vec<Option<Host<MemStore>>>,
    stores: Vec<Arc<MemStore>>,
    queue: VecDeque<(u64, usize, Option<Wire>)>,
    /// (node, 0 = consensus timer / 1 = proposal wake) → when.
    timers: BTreeMap<(usize, u8), u64>,
    now: u64,
    votes: Vec<Vec<liangxin_consensus::Vote>>,
    validators: Vec<(String, PublicKey)>,
}

impl Net {
    fn new(stopped: Option<usize>) -> Self {
        let genesis = Genesis::dev();
        let keys: Vec<SigningKey> = (0..N)
            .map(|i| SigningKey::dev(&format!("host-{i}")))
            .collect();
        let named: Vec<NamedKey> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| NamedKey {
                name: format!("regulator-{i}"),
                key: k.public_key(),
            })
            .collect();
        let chain = genesis.chain_id().unwrap();
        let mut cfg = Config::new(
            chain.clone(),
            keys.iter()
                .map(|k| KeyBytes::from(k.public_key()))
                .collect(),
        );
        cfg.leader_timeout = 500;
        cfg.notarization_timeout = 1_000;
        cfg.retry_interval = 500;
        let mut hosts = Vec::new();
        let mut stores = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let store = Arc::new(MemStore::new());
            let (write, _) = build_genesis(
                &*store,
                &genesis,
                Some(&Validator {
                    name: format!("regulator-{i}"),
                    key: key.clone(),
                }),
            )
            .unwrap();
            store.commit(&write).unwrap();
            let tip = load_tip(&*store).unwrap().unwrap();
            let engine = Arc::new(Engine::new(
                Arc::clone(&store),
                tip,
                None,
                BlockConfig {
                    max_txs: 100,
                    interval_ms: 10,
                },
                MempoolConfig {
                    max_txs: 10_000,
                    max_bytes: 64 << 20,
                    max_per_signer: 10_000,
                },
            ));
            let host = Host::new(
                engine,
                cfg.clone(),
                Ed25519Scheme::new(chain.clone(), named.clone(), Some(key.clone())).unwrap(),
                vec![],
                0,
                Pacing {
                    interval: 10,
                    idle: 200,
                },
                Validator {
                    name: format!("regulator-{i}"),
                    key: key.clone(),
                },
                genesis.genesis_time.0 * 1000,
            )
            .unwrap();
            stores.push(store);
            hosts.push(if stopped == Some(i) { None } else { Some(host) });
        }
        let mut net = Net {
            hosts,
            stores,
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            now: 0,
            votes: vec![Vec::new(); N],
            validators: named.iter().map(|v| (v.name.clone(), v.key)).collect(),
        };
        for i in 0..N {
            net.queue.push_back((0, i, None));
        }
        net
    }

    fn submit_everywhere(&mut self, txs: &[Vec<u8>]) {
        for h in self.hosts.iter_mut().flatten() {
            for t in txs {
                h.engine()
                    .admit_from(t.clone(), false, Origin::Peer)
                    .unwrap();
            }
        }
    }

    fn step(&mut self) -> bool {
        let (at, i, wire, timer) = match self.queue.pop_front() {
            Some((at, i, w)) => (at, i, w, None),
            None => {
                let Some((&key, &at)) = self.timers.iter().min_by_key(|(_, at)| **at) else {
                    return false;
                };
                self.timers.remove(&key);
                (at, key.0, None, Some(key.1))
            }
        };
        self.now = self.now.max(at);
        let now = self.now;
        let Some(host) = self.hosts[i].as_mut() else {
            return true;
        };
        let actions = match (wire, timer) {
            (Some(w), _) => host.receive(now, w).unwrap(),
            (None, Some(0)) => host.handle(now, Input::Timer).unwrap(),
            (None, Some(_)) => host.poll(now).unwrap(),
            (None, None) => host.handle(now, Input::Start).unwrap(),
        };
        match host.next_wake() {
            Some(at) => {
                self.timers.insert((i, 1), at.max(now + 1));
            }
            None => {
                self.timers.remove(&(i, 1));
            }
        }
        for a in actions {
            match a {
                Action::Persist(v) => self.votes[i].push(v),
                Action::Broadcast(w) => {
                    // Through the wire encoding, as the network would carry it.
                    let bytes = w.to_canonical().unwrap();
                    for to in 0..N {
                        if to != i {
                            let w = Wire::from_canonical(&bytes).unwrap();
                            self.queue.push_back((now + 2, to, Some(w)));
                        }
                    }
                }
                Action::SetTimer(at) => {
                    self.timers.insert((i, 0), at);
                }
                Action::Fetch(hash) => {
                    let found = self.hosts.iter().flatten().find_map(|h| h.block(&hash));
                    if let Some(b) = found {
                        self.queue.push_back((
                            now + 2,
                            i,
                            Some(Wire {
                                message: None,
                                block: Some(b),
                            }),
                        ));
                    }
                }
                Action::FetchCertificates(from, to) => {
                    let answers: Vec<_> = self
                        .hosts
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .filter_map(|(_, h)| h.as_ref())
                        .flat_map(|h| h.machine().certificates(from, to))
                        .collect();
                    for m in answers {
                        self.queue.push_back((
                            now + 2,
                            i,
                            Some(Wire {
                                message: Some(m),
                                block: None,
                            }),
                        ));
                    }
                }
                Action::Committed { .. } => {}
            }
        }
        true
    }

    fn run_until(&mut self, live: &[usize], done: impl Fn(&Host<MemStore>) -> bool) {
        for _ in 0..500_000 {
            if live
                .iter()
                .all(|i| self.hosts[*i].as_ref().is_some_and(&done))
            {
                return;
            }
            if !self.step() {
                break;
            }
        }
        panic!(
            "not done: heights {:?}, log sizes {:?}",
            self.hosts
                .iter()
                .map(|h| h.as_ref().map(|h| h.tip().height))
                .collect::<Vec<_>>(),
            self.hosts
                .iter()
                .map(|h| h.as_ref().map(|h| h.tip().log.size()))
                .collect::<Vec<_>>()
        );
    }

    /// Every live node stored the same checkpoint at every height; the notes that carry a
    /// finalization verify with a quorum of the four regulators.
    fn check_agreement(&self, live: &[usize]) {
        let height = live
            .iter()
            .map(|i| self.hosts[*i].as_ref().unwrap().tip().height)
            .min()
            .unwrap();
        let mut certified = 0;
        for h in 1..=height {
            let notes: Vec<SignedCheckpoint> = live
                .iter()
                .map(|i| {
                    let note = self.stores[*i].checkpoint(Some(h)).unwrap().unwrap();
                    SignedCheckpoint::parse_note(&note).unwrap()
                })
                .collect();
            for n in &notes {
                assert_eq!(n.checkpoint(), notes[0].checkpoint(), "height {h}");
                if n.signatures().len() >= 3 {
                    n.verify(&self.validators, 3)
                        .expect("a quorum of regulators signed");
                    certified += 1;
                }
            }
        }
        assert!(certified > 0, "finalized checkpoints carry their quorum");
    }
}

fn registrations(n: usize) -> Vec<Vec<u8>> {
    let genesis = Genesis::dev();
    let chain = genesis.chain_id().unwrap();
    let regulator = Signer::dev(Genesis::DEV_REGULATOR);
    (0..n)
        .map(|i| {
            let key = SigningKey::dev(&format!("consensus operator {i}"));
            let r = OperatorRegistrationBuilder::new(
                uscc(200 + i),
                format!("第{i}号共识测试有限公司"),
                "350102",
                Sector::FuelStation,
                key.public_key(),
            )
            .build()
            .unwrap();
            let tx = regulator.sign(&chain, i as u64, &r).unwrap();
            tx.to_canonical().unwrap()
        })
        .collect()
}

#[test]
fn four_validators_finalize_the_same_records_on_every_node() {
    let mut net = Net::new(None);
    let txs = registrations(30);
    net.submit_everywhere(&txs);
    let live = [0, 1, 2, 3];
    net.run_until(&live, |h| h.tip().log.size() == 30 && h.tip().height >= 3);
    net.check_agreement(&live);
    // The state roots agree too (they are in the checkpoints), and every record is in the log.
    for i in live {
        assert_eq!(net.hosts[i].as_ref().unwrap().tip().log.size(), 30);
    }
}

#[test]
fn finality_continues_with_one_validator_down() {
    let mut net = Net::new(Some(1));
    let txs = registrations(12);
    net.submit_everywhere(&txs);
    let live = [0, 2, 3];
    net.run_until(&live, |h| h.tip().log.size() == 12 && h.tip().height >= 3);
    net.check_agreement(&live);
    assert!(net.votes[0].len() > 3, "votes were persisted");
}
