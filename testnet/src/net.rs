//! A local regulators' network of real `liangxin-node` processes on loopback: validators and
//! observers made with `liangxin-node init --network`, each with its own home directory, RPC
//! port (chosen by the OS) and p2p port (chosen free beforehand). A harness: a broken setup
//! panics with what went wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use liangxin_contracts::genesis::{Genesis, GenesisRegulator};
use liangxin_contracts::model::{Jurisdiction, ShortText};
use liangxin_sdk::Signer;
use liangxin_types::SigningKey;

use crate::process::{NodeProcess, bin};

/// One node of a [`Testnet`].
pub struct NetNode {
    /// Its home directory.
    pub home: PathBuf,
    /// Its key.
    pub signer: Signer,
    /// Its p2p address.
    pub p2p: std::net::SocketAddr,
    /// Whether it is a validator.
    pub validator: bool,
    /// The running process, if started.
    pub process: Option<NodeProcess>,
}

/// Validators (and observers) on loopback.
pub struct Testnet {
    /// The genesis every node shares.
    pub genesis: Genesis,
    /// Validators first, then observers.
    pub nodes: Vec<NetNode>,
}

/// A free loopback TCP port for a node to listen on, from below Linux's default ephemeral range
/// (32768–60999), so that the outgoing connections of busy processes on this machine, which take
/// their local ports from that range, cannot take it between this check and the node's bind (a
/// test's node failed to start that way while a 5-node network ran beside it). Bound and
/// released: another listener could still take it first, which makes the node fail to start
/// loudly rather than misbehave.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    const LOW: u16 = 20_000;
    const SPAN: u64 = 12_000;
    for _ in 0..200 {
        // A random port per try: std gives every `RandomState` fresh keys (random per thread,
        // then advanced per call), so concurrent test processes do not walk the same ports.
        let r = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = LOW + (r % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    // Everything tried is taken: let the kernel choose.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The name of validator `i` (0-based) in a testnet genesis.
pub fn validator_name(i: usize) -> String {
    format!("regulator-{}", i + 1)
}

impl Testnet {
    /// Writes homes for `validators` validators and `observers` observers under `dir` (keys
    /// derived from `label`, so a test can recreate them), with a genesis naming the
    /// validators as national regulators. Nothing is started.
    pub fn create(dir: &Path, label: &str, validators: usize, observers: usize) -> Testnet {
        Testnet::create_with(
            dir,
            label,
            validators,
            observers,
            &["--block-interval-ms", "50"],
        )
    }

    /// [`Testnet::create`] with more `liangxin-node init` flags for every node (the
    /// override flags, e.g. `--block-interval-ms`); `create` passes a 50 ms block interval,
    /// which keeps tests quick.
    pub fn create_with(
        dir: &Path,
        label: &str,
        validators: usize,
        observers: usize,
        init_flags: &[&str],
    ) -> Testnet {
        let mut genesis = Genesis::dev();
        genesis.chain_name = "liangxin-testnet".into();
        let keys: Vec<Signer> = (0..validators + observers)
            .map(|i| Signer::new(SigningKey::dev(&format!("{label} node {i}"))))
            .collect();
        genesis.regulators = (0..validators)
            .map(|i| GenesisRegulator {
                name: ShortText::new(validator_name(i).as_str()).unwrap(),
                key: keys[i].public_key(),
                jurisdiction: Jurisdiction::national(),
                validator: true,
            })
            .collect();
        let genesis_path = dir.join("genesis.json");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&genesis_path, genesis.to_json().unwrap()).unwrap();
        let mut ports: Vec<u16> = Vec::with_capacity(keys.len());
        while ports.len() < keys.len() {
            // Released ports: two calls could name the same one.
            let p = free_port();
            if !ports.contains(&p) {
                ports.push(p);
            }
        }
        let mut nodes = Vec::new();
        for (i, signer) in keys.into_iter().enumerate() {
            let home = dir.join(format!("node{i}"));
            let key_path = dir.join(format!("node{i}.key"));
            signer.save(&key_path).unwrap();
            let p2p = std::net::SocketAddr::from(([127, 0, 0, 1], ports[i]));
            nodes.push(NetNode {
                home,
                signer,
                p2p,
                validator: i < validators,
                process: None,
            });
        }
        let observer_keys: Vec<String> = nodes
            .iter()
            .filter(|n| !n.validator)
            .map(|n| n.signer.public_key().to_hex())
            .collect();
        for (i, n) in nodes.iter().enumerate() {
            let mut cmd = Command::new(bin("liangxin-node"));
            cmd.arg("init")
                .arg("--home")
                .arg(&n.home)
                .arg("--genesis")
                .arg(&genesis_path)
                .arg("--key")
                .arg(dir.join(format!("node{i}.key")))
                .arg(if n.validator {
                    "--network"
                } else {
                    "--observer"
                })
                .args(["--p2p-listen", &n.p2p.to_string()])
                .args([
                    "--rpc-listen",
                    "127.0.0.1:0",
                    "--metrics-listen",
                    "127.0.0.1:0",
                ])
                .args(init_flags);
            for (j, m) in nodes.iter().enumerate() {
                if j != i {
                    cmd.arg("--peer")
                        .arg(format!("{}@{}", m.signer.public_key().to_hex(), m.p2p));
                }
            }
            for o in &observer_keys {
                cmd.arg("--allow-observer").arg(o);
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "liangxin-node init failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Testnet { genesis, nodes }
    }

    /// Starts node `i` (`liangxin-node run --home …`) and waits for its ready line.
    pub fn start(&mut self, i: usize) {
        let home = self.nodes[i].home.clone();
        let args = [OsStr::new("run"), OsStr::new("--home"), home.as_os_str()];
        self.nodes[i].process = Some(NodeProcess::spawn(&home, &args));
    }

    /// Starts every node.
    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i);
        }
    }

    /// SIGKILLs node `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].process.take() {
            p.kill();
        }
    }

    /// Node `i`'s RPC URL (it must be running).
    pub fn rpc(&self, i: usize) -> String {
        self.nodes[i]
            .process
            .as_ref()
            .expect("node running")
            .rpc_url
            .clone()
    }

    /// Node `i`'s log so far.
    pub fn log(&self, i: usize) -> String {
        self.nodes[i]
            .process
            .as_ref()
            .map(NodeProcess::log)
            .unwrap_or_default()
    }

    /// Indexes of the running nodes.
    pub fn running(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].process.is_some())
            .collect()
    }
}
