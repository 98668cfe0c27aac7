//! `liangxin-testnet chaos`: load a local network while killing, restarting, pausing
//! (SIGSTOP) and resuming (SIGCONT) random validators, cutting one validator's link to another
//! or isolating a validator from every peer (the nodes' p2p admin calls, `--admin-p2p-links`,
//! on loopback) and healing them, never more than `f` faulty validators at a time; then heal
//! everything and check what a regulator would check:
//!
//! - every record a node answered "final" for is final on every node at the end;
//! - every node holds the same checkpoint at every height;
//! - every checkpoint a node served during the run is consistent with its latest one (the log
//!   only grew: consistency proofs verify).
//!
//! Bounded: `duration` of faults (one every `period`), then at most `settle` to converge.
//! A cut is checked to take effect: the node's connected peers must drop the cut ones within
//! [`CUT_TIMEOUT`], or the run fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liangxin_contracts::model::Sector;
use liangxin_rpc::jsonrpsee::http_client::HttpClientBuilder;
use liangxin_sdk::builders::{self, InstrumentRegistrationBuilder, OperatorRegistrationBuilder};
use liangxin_sdk::rpc::dto::TxStatus;
use liangxin_sdk::{Client, Signer};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::{Canonical, Hash, SigningKey, Uscc};
use serde::Serialize;

use crate::net::Testnet;

/// What to run.
#[derive(Clone, Debug)]
pub struct ChaosConfig {
    /// Validators (f = ⌊(n − 1) / 3⌋ may be faulty at once).
    pub validators: usize,
    /// Records per second offered while faults happen.
    pub rate: u64,
    /// How long faults happen.
    pub duration: Duration,
    /// Time between fault events.
    pub period: Duration,
    /// Seed of the fault schedule (the same seed, the same schedule).
    pub seed: u64,
    /// Where the homes go.
    pub dir: PathBuf,
    /// Most time to converge after the faults.
    pub settle: Duration,
}

/// One event of the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Milliseconds since the load started.
    pub at_ms: u64,
    /// What happened.
    pub what: String,
}

/// The outcome.
#[derive(Clone, Debug, Serialize)]
pub struct ChaosReport {
    /// The fault timeline.
    pub timeline: Vec<Event>,
    /// Records submitted (accepted by a node).
    pub accepted: u64,
    /// Records some node answered final for during the run.
    pub seen_final: u64,
    /// Of those, missing on some node at the end (must be 0).
    pub lost: u64,
    /// Heights compared across all nodes.
    pub heights_checked: u64,
    /// Checkpoints served during the run, checked for consistency with the node's latest.
    pub checkpoints_checked: u64,
    /// Final height.
    pub height: u64,
}

fn uscc(i: usize) -> anyhow::Result<Uscc> {
    let first17 = format!("91350{:06}CH{:04}", i / 10_000, i % 10_000);
    let c = liangxin_types::uscc::check_char(&first17).context("check character")?;
    Ok(Uscc::parse(&format!("{first17}{c}"))?)
}

/// A small deterministic generator (xorshift), for the fault schedule.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Most time for a cut link to close (the node's peer list no longer shows the peer).
pub const CUT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, PartialEq, Eq, Debug)]
enum State {
    Up,
    Killed,
    Paused(u32),
    /// Its links to these validators are cut (on its side).
    Cut(Vec<usize>),
}

/// Node `i`'s admin (metrics) listener.
fn admin_addr(net: &Testnet, i: usize) -> anyhow::Result<String> {
    net.nodes[i]
        .process
        .as_ref()
        .and_then(|p| p.metrics_addr.clone())
        .with_context(|| format!("validator {i} has no admin listener"))
}

fn key_hex(net: &Testnet, j: usize) -> String {
    net.nodes[j].signer.public_key().to_hex()
}

/// Cuts validator `i`'s links to `peers` and waits (bounded) until none of them is connected.
async fn cut_links(net: &Testnet, i: usize, peers: &[usize]) -> anyhow::Result<Duration> {
    let addr = admin_addr(net, i)?;
    let keys: Vec<String> = peers.iter().map(|j| key_hex(net, *j)).collect();
    for k in &keys {
        crate::admin::cut(&addr, k)?;
    }
    let t = Instant::now();
    loop {
        let connected = crate::admin::peers(&addr)?;
        if !connected.iter().any(|c| keys.contains(c)) {
            return Ok(t.elapsed());
        }
        if t.elapsed() > CUT_TIMEOUT {
            bail!(
                "validator {i} still connected to a cut peer {CUT_TIMEOUT:?} after the cut: {connected:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn signal(pid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status();
}

/// Brings validator `i` back (restart, SIGCONT or healed links) if it is faulty; says what
/// it did.
fn heal(
    net: &mut Testnet,
    urls: &mut [String],
    state: &mut [State],
    i: usize,
) -> anyhow::Result<Option<String>> {
    let what = match state[i].clone() {
        State::Killed => {
            net.start(i);
            urls[i] = net.rpc(i);
            format!("restart validator {i}")
        }
        State::Paused(pid) => {
            signal(pid, "-CONT");
            format!("resume validator {i} (SIGCONT)")
        }
        State::Cut(peers) => {
            let addr = admin_addr(net, i)?;
            for j in &peers {
                crate::admin::heal(&addr, &key_hex(net, *j))?;
            }
            format!("heal validator {i}'s links to {peers:?}")
        }
        State::Up => return Ok(None),
    };
    state[i] = State::Up;
    Ok(Some(what))
}

/// Runs the chaos test and checks the ledger afterwards; an `Err` names what failed.
pub async fn run(cfg: &ChaosConfig) -> anyhow::Result<ChaosReport> {
    let n = cfg.validators;
    if n < 4 {
        bail!("chaos needs at least 4 validators (f ≥ 1)");
    }
    let f = (n - 1) / 3;
    let mut net = Testnet::create_with(
        &cfg.dir,
        "chaos",
        n,
        0,
        &["--block-interval-ms", "100", "--admin-p2p-links"],
    );
    net.start_all();
    let chain = net.genesis.chain_id()?;
    let mut urls: Vec<String> = (0..n).map(|i| net.rpc(i)).collect();
    let first = Client::new(&urls[0])?;
    let t0 = Instant::now();
    while first.chain_info().await.map(|i| i.height).unwrap_or(0) == 0 {
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("no final block within 60 s of starting");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Signers: operators registered by the first regulator.
    // Enough that a 100 ms tick's records come from distinct signers.
    let operators = (cfg.rate as usize / 8).clamp(50, 2_000);
    let regulator = net.nodes[0].signer.clone();
    let keys: Vec<Signer> = (0..operators)
        .map(|i| Signer::new(SigningKey::dev(&format!("chaos operator {i}"))))
        .collect();
    let mut last = None;
    for (i, k) in keys.iter().enumerate() {
        let r = OperatorRegistrationBuilder::new(
            uscc(i)?,
            format!("第{i}号混沌测试有限公司"),
            "350102",
            Sector::FuelStation,
            k.public_key(),
        )
        .build()?;
        let tx = regulator.sign(&chain, i as u64, &r)?;
        first.submit_tx(&tx).await?;
        last = Some(liangxin_types::tx::tx_id(&tx.to_canonical()?));
    }
    let last = last.context("no operators")?;
    let t0 = Instant::now();
    while first.tx(&last).await?.status != TxStatus::Final {
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("the operators' registrations did not become final within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let started = Instant::now();
    let at = |s: &Instant| s.elapsed().as_millis() as u64;
    let mut timeline = Vec::new();
    let mut rng = Rng(cfg.seed.max(1));
    let mut state = vec![State::Up; n];
    let mut seqs = vec![0u64; operators];
    let mut accepted: Vec<Hash> = Vec::new();
    let mut finals: HashMap<Hash, usize> = HashMap::new();
    let mut served: Vec<(usize, SignedCheckpoint)> = Vec::new();
    let mut next_fault = Duration::ZERO;
    let mut sent = 0u64;
    let mut turn = 0usize;
    while started.elapsed() < cfg.duration {
        // Faults.
        if started.elapsed() >= next_fault {
            next_fault += cfg.period;
            let faulty: Vec<usize> = (0..n).filter(|i| state[*i] != State::Up).collect();
            if !faulty.is_empty() && (faulty.len() >= f || rng.below(2) == 0) {
                let i = faulty[rng.below(faulty.len())];
                if let Some(what) = heal(&mut net, &mut urls, &mut state, i)? {
                    timeline.push(Event {
                        at_ms: at(&started),
                        what,
                    });
                }
            } else if faulty.len() < f {
                let up: Vec<usize> = (0..n).filter(|i| state[*i] == State::Up).collect();
                let i = up[rng.below(up.len())];
                let others: Vec<usize> = (0..n).filter(|j| *j != i).collect();
                match rng.below(4) {
                    0 => {
                        net.kill(i);
                        state[i] = State::Killed;
                        timeline.push(Event {
                            at_ms: at(&started),
                            what: format!("kill validator {i} (SIGKILL)"),
                        });
                    }
                    1 => {
                        if let Some(pid) = net.nodes[i].process.as_ref().and_then(|p| p.pid()) {
                            signal(pid, "-STOP");
                            state[i] = State::Paused(pid);
                            timeline.push(Event {
                                at_ms: at(&started),
                                what: format!("pause validator {i} (SIGSTOP)"),
                            });
                        }
                    }
                    2 => {
                        let j = others[rng.below(others.len())];
                        let took = cut_links(&net, i, &[j]).await?;
                        state[i] = State::Cut(vec![j]);
                        timeline.push(Event {
                            at_ms: at(&started),
                            what: format!(
                                "cut the link validator {i} – validator {j} (closed in {} ms)",
                                took.as_millis()
                            ),
                        });
                    }
                    _ => {
                        let took = cut_links(&net, i, &others).await?;
                        state[i] = State::Cut(others);
                        timeline.push(Event {
                            at_ms: at(&started),
                            what: format!(
                                "isolate validator {i} from every peer (closed in {} ms)",
                                took.as_millis()
                            ),
                        });
                    }
                }
            }
        }
        // Load: this tick's records, one JSON-RPC batch to a running node (nodes in turn).
        let due = (started.elapsed().as_secs_f64() * cfg.rate as f64) as u64 + 1;
        let mut batch = Vec::new();
        while sent < due {
            let o = (sent as usize) % operators;
            sent += 1;
            // One record per signer per batch: a rejected one must not strand later ones.
            if batch.iter().any(|(k, _, _)| *k == o) {
                continue;
            }
            let seq = seqs[o];
            let id = builders::instrument(uscc(o)?, "9.1", &format!("CH-{seq:06}"))?;
            let r = InstrumentRegistrationBuilder::new(id, "DJY-2226").build()?;
            let bytes = keys[o].sign(&chain, seq, &r)?.to_canonical()?;
            batch.push((o, liangxin_types::tx::tx_id(&bytes), hex::encode(&bytes)));
        }
        if !batch.is_empty() {
            let up: Vec<usize> = (0..n).filter(|i| state[*i] == State::Up).collect();
            let i = up[turn % up.len()];
            turn += 1;
            let http = HttpClientBuilder::default()
                .request_timeout(Duration::from_secs(5))
                .build(&urls[i])?;
            // At most 100 calls per JSON-RPC batch (the nodes' default `rpc.max_batch_size`):
            // a larger batch is refused whole.
            for part in batch.chunks(100) {
                let hexes: Vec<String> = part.iter().map(|(_, _, h)| h.clone()).collect();
                let answers = crate::bench::submit_each(&http, &hexes).await;
                for ((o, id, _), a) in part.iter().zip(answers) {
                    if a == crate::bench::Answer::Accepted {
                        seqs[*o] += 1;
                        accepted.push(*id);
                    }
                }
            }
        }
        // Watch: what running nodes say is final, and the checkpoints they serve.
        for i in (0..n).filter(|i| state[*i] == State::Up) {
            let Ok(c) = Client::with_timeout(&urls[i], Duration::from_secs(2)) else {
                continue;
            };
            // The oldest record not yet seen final (the likeliest to be final by now).
            if let Some(id) = accepted.iter().find(|id| !finals.contains_key(*id))
                && let Ok(t) = c.tx(id).await
                && t.status == TxStatus::Final
            {
                finals.insert(*id, i);
            }
            if let Ok(cp) = c.checkpoint(None).await
                && let Ok(note) = SignedCheckpoint::parse_note(&cp.note)
            {
                served.push((i, note));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Heal everything, then converge.
    for i in 0..n {
        if let Some(what) = heal(&mut net, &mut urls, &mut state, i)? {
            timeline.push(Event {
                at_ms: at(&started),
                what: format!("{what} (healing)"),
            });
        }
    }
    let clients: Vec<Client> = urls
        .iter()
        .map(|u| Client::new(u))
        .collect::<Result<_, _>>()?;
    let settle = Instant::now();
    // Everything accepted and still valid becomes final everywhere; what was answered final
    // must be.
    for (k, c) in clients.iter().enumerate() {
        for id in &accepted {
            loop {
                let st = c.tx(id).await.map(|t| t.status).ok();
                match st {
                    Some(TxStatus::Final) => break,
                    _ if settle.elapsed() > cfg.settle => {
                        if finals.contains_key(id) {
                            bail!(
                                "record {id}, answered final by node {}, is missing on node {k}",
                                finals[id]
                            );
                        }
                        break;
                    }
                    Some(TxStatus::Rejected) | Some(TxStatus::Unknown) => {
                        if finals.contains_key(id) {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                        // Lost from a killed node's mempool before it was gossiped: never
                        // answered final, so not a loss.
                        break;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        }
    }
    // Same checkpoint at every height on every node.
    let mut top = u64::MAX;
    for c in &clients {
        top = top.min(c.chain_info().await?.height);
    }
    for h in 1..=top {
        let mut want = None;
        for (k, c) in clients.iter().enumerate() {
            let cp = c.checkpoint(Some(h)).await?;
            let body = SignedCheckpoint::parse_note(&cp.note)?.checkpoint().clone();
            match &want {
                None => want = Some(body),
                Some(w) if *w != body => bail!("node {k} holds another checkpoint at height {h}"),
                Some(_) => {}
            }
        }
    }
    // Every served checkpoint is consistent with that node's latest.
    for (i, old) in &served {
        let c = &clients[*i];
        let latest = SignedCheckpoint::parse_note(&c.checkpoint(None).await?.note)?;
        let (o, l) = (old.checkpoint(), latest.checkpoint());
        let proof = if o.log_size == 0 || o.log_size == l.log_size {
            liangxin_sdk::rpc::dto::ConsistencyProof {
                size1: o.log_size,
                size2: l.log_size,
                hashes: Vec::new(),
            }
        } else {
            c.consistency_proof(o.log_size, l.log_size).await?
        };
        liangxin_sdk::verify::verify_consistency(o, l, &proof)
            .with_context(|| format!("node {i}: a checkpoint it served at height {}", o.height))?;
    }
    let report = ChaosReport {
        timeline,
        accepted: accepted.len() as u64,
        seen_final: finals.len() as u64,
        lost: 0,
        heights_checked: top,
        checkpoints_checked: served.len() as u64,
        height: top,
    };
    for i in 0..n {
        net.kill(i);
    }
    Ok(report)
}
