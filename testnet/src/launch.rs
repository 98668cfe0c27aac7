//! `liangxin-testnet up`, `down` and `status`: a local network that outlives the command that
//! started it. `up` writes `DIR/testnet.json` (the nodes, their process ids and endpoints);
//! `down` and `status` read it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liangxin_sdk::Client;
use serde::{Deserialize, Serialize};

use crate::net::Testnet;

/// The state file's name in the testnet directory.
pub const STATE_FILE: &str = "testnet.json";

/// One node of a running testnet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Index (validators first).
    pub index: usize,
    /// `validator` or `observer`.
    pub role: String,
    /// Home directory.
    pub home: PathBuf,
    /// Process id.
    pub pid: u32,
    /// JSON-RPC URL.
    pub rpc: String,
    /// p2p address.
    pub p2p: String,
    /// Public key (hex).
    pub key: String,
    /// Its key file (the dev key: public knowledge, for local networks only).
    pub key_file: PathBuf,
}

/// What `up` leaves behind.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestnetState {
    /// The chain id.
    pub chain_id: String,
    /// The nodes.
    pub nodes: Vec<NodeEntry>,
}

impl TestnetState {
    /// Reads `DIR/testnet.json`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("{} (is a testnet up in {}?)", path.display(), dir.display())
        })?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Creates (if new) and starts a testnet in `dir`, waits (bounded) for its first final block,
/// and writes the state file.
pub async fn up(
    dir: &Path,
    validators: usize,
    observers: usize,
    block_interval_ms: u64,
) -> anyhow::Result<TestnetState> {
    if dir.join(STATE_FILE).exists() {
        bail!(
            "{} exists: a testnet is up there (run `liangxin-testnet down --dir {}` first)",
            dir.join(STATE_FILE).display(),
            dir.display()
        );
    }
    if validators == 0 {
        bail!("-n must be at least 1");
    }
    if dir.join("genesis.json").exists() {
        bail!(
            "{} holds a stopped testnet; remove the directory to start a new one",
            dir.display()
        );
    }
    let interval = block_interval_ms.to_string();
    let mut net = Testnet::create_with(
        dir,
        "testnet",
        validators,
        observers,
        &["--block-interval-ms", &interval],
    );
    net.start_all();
    let started = Instant::now();
    let client = Client::new(&net.rpc(0))?;
    loop {
        if client.chain_info().await.map(|i| i.height).unwrap_or(0) >= 1 {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!(
                "no final block within 30 s; see the logs under {}",
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let chain_id = net.genesis.chain_id()?.to_string();
    let mut nodes = Vec::new();
    for (i, n) in net.nodes.iter_mut().enumerate() {
        let process = n.process.take().context("node not running")?;
        let rpc = process.rpc_url.clone();
        let pid = process.detach().context("node has no process")?;
        nodes.push(NodeEntry {
            index: i,
            role: if n.validator { "validator" } else { "observer" }.into(),
            home: n.home.clone(),
            pid,
            rpc,
            p2p: n.p2p.to_string(),
            key: n.signer.public_key().to_hex(),
            key_file: dir.join(format!("node{i}.key")),
        });
    }
    let state = TestnetState { chain_id, nodes };
    std::fs::write(dir.join(STATE_FILE), serde_json::to_string_pretty(&state)?)?;
    Ok(state)
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}

fn signal(pid: u32, sig: &str) {
    let _ = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status();
}

/// Stops every node of the testnet in `dir` (SIGTERM, then SIGKILL after 10 s) and removes
/// the state file (the homes stay).
pub async fn down(dir: &Path) -> anyhow::Result<usize> {
    let state = TestnetState::load(dir)?;
    for n in &state.nodes {
        if alive(n.pid) {
            signal(n.pid, "-TERM");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while state.nodes.iter().any(|n| alive(n.pid)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in &state.nodes {
        if alive(n.pid) {
            signal(n.pid, "-KILL");
        }
    }
    std::fs::remove_file(dir.join(STATE_FILE))?;
    Ok(state.nodes.len())
}

/// One node's status line.
#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    /// Index.
    pub index: usize,
    /// Role.
    pub role: String,
    /// Whether its process runs.
    pub running: bool,
    /// Its height, if it answered.
    pub height: Option<u64>,
    /// Its log size.
    pub log_size: Option<u64>,
    /// Its latest checkpoint's root (hex).
    pub root: Option<String>,
    /// How many signatures its latest checkpoint note carries.
    pub signatures: Option<usize>,
    /// RPC URL.
    pub rpc: String,
}

/// Asks every node of the testnet in `dir` for its height and latest checkpoint.
pub async fn status(dir: &Path) -> anyhow::Result<Vec<NodeStatus>> {
    let state = TestnetState::load(dir)?;
    let mut out = Vec::new();
    for n in &state.nodes {
        let running = alive(n.pid);
        let mut s = NodeStatus {
            index: n.index,
            role: n.role.clone(),
            running,
            height: None,
            log_size: None,
            root: None,
            signatures: None,
            rpc: n.rpc.clone(),
        };
        if running && let Ok(c) = Client::with_timeout(&n.rpc, Duration::from_secs(5)) {
            if let Ok(info) = c.chain_info().await {
                s.height = Some(info.height);
                s.log_size = Some(info.log_size);
            }
            if let Ok(cp) = c.checkpoint(None).await {
                s.root = Some(cp.root.to_string());
                s.signatures = liangxin_types::checkpoint::SignedCheckpoint::parse_note(&cp.note)
                    .ok()
                    .map(|n| n.signatures().len());
            }
        }
        out.push(s);
    }
    Ok(out)
}
