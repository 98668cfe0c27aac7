//! Starting and stopping a node: files in its home directory, the store, the engine and its
//! producer thread, the RPC and metrics servers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use liangxin_contracts::genesis::Genesis;
use liangxin_rpc::jsonrpsee::server::ServerHandle;
use liangxin_rpc::portal::{Portal, PortalTrust, PortalValidator};
use liangxin_rpc::start_server_with_portal;
use liangxin_sdk::Signer;
use liangxin_storage::{RocksStore, Store};
use tokio::sync::oneshot;

use crate::backend::NodeBackend;
use crate::config::{CONFIG_FILE, NodeConfig};
use crate::engine::Engine;
use crate::error::NodeError;
use crate::exec::{Validator, build_genesis, load_tip_with};

/// A running node.
pub struct RunningNode {
    /// The JSON-RPC address (HTTP and WebSocket).
    pub rpc_addr: SocketAddr,
    /// The metrics address, if enabled.
    pub metrics_addr: Option<SocketAddr>,
    /// The engine.
    pub engine: Arc<Engine<RocksStore>>,
    rpc: ServerHandle,
    metrics_task: Option<tokio::task::JoinHandle<()>>,
    producer: Option<std::thread::JoinHandle<()>>,
    /// The regulators' network, when it runs.
    pub network: Option<crate::network::NetworkHandle>,
    producer_done: oneshot::Receiver<Result<(), NodeError>>,
    /// Where the state tree is saved when the node stops.
    snapshot_path: std::path::PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> NodeError + '_ {
    move |e| NodeError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

/// What the portal pins its pages to: the chain id and the genesis validators.
pub fn portal_trust(genesis: &Genesis, chain_id: String) -> Result<PortalTrust, NodeError> {
    let validators: Vec<PortalValidator> = genesis
        .regulators
        .iter()
        .filter(|r| r.validator)
        .map(|r| PortalValidator {
            name: r.name.to_string(),
            public_key: r.key.to_string(),
        })
        .collect();
    Ok(PortalTrust {
        chain_id,
        genesis_hash: genesis
            .hash()
            .map_err(|e| NodeError::Genesis(e.to_string()))?
            .to_string(),
        quorum: crate::backend::quorum(validators.len()),
        validators,
    })
}

/// Reads and validates a genesis document.
pub fn read_genesis(path: &Path) -> Result<Genesis, NodeError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let g = Genesis::from_json(&text)
        .map_err(|e| NodeError::Genesis(format!("{}: {e}", path.display())))?;
    g.validate()
        .map_err(|e| NodeError::Genesis(format!("{}: {e}", path.display())))?;
    Ok(g)
}

/// The validator identity: the key file's key and its name in genesis.
pub fn validator_identity(
    genesis: &Genesis,
    signer: &Signer,
    name: Option<&str>,
) -> Result<Validator, NodeError> {
    let key = signer.public_key();
    let found = genesis
        .validators()
        .into_iter()
        .find(|(n, k)| *k == key && name.is_none_or(|want| want == n));
    match found {
        Some((name, _)) => Ok(Validator {
            name,
            key: signer.signing_key().clone(),
        }),
        None => Err(NodeError::Config(format!(
            "the key {key} is not the key of a validator{} in genesis; this node needs a \
             validator's key (observer nodes arrive with the network)",
            name.map(|n| format!(" named {n:?}")).unwrap_or_default()
        ))),
    }
}

/// This node's signing identity, and whether it is a validator's: a validator's name in
/// genesis and key, or for an observer `observer-` and the first 8 hex digits of its key.
pub fn node_identity(
    genesis: &Genesis,
    signer: &Signer,
    name: Option<&str>,
) -> Result<(Validator, bool), NodeError> {
    if let Ok(v) = validator_identity(genesis, signer, name) {
        return Ok((v, true));
    }
    let key = signer.public_key().to_hex();
    Ok((
        Validator {
            name: format!("observer-{}", &key[..8]),
            key: signer.signing_key().clone(),
        },
        false,
    ))
}

impl RunningNode {
    /// Starts a node from its home directory and `config` (already loaded and overridden by
    /// flags). Must run inside a tokio runtime.
    pub async fn start(home: &Path, config: NodeConfig) -> Result<RunningNode, NodeError> {
        config.validate()?;
        let genesis = read_genesis(&NodeConfig::resolve(home, &config.node.genesis))?;
        let key_path = NodeConfig::resolve(home, &config.node.key_file);
        let signer = Signer::load(&key_path)
            .map_err(|e| NodeError::Config(format!("{}: {e}", key_path.display())))?;
        // Under consensus the key may be an observer's; the validator set comes from state.
        let networked = config.network.enabled;
        let identity = node_identity(&genesis, &signer, config.node.validator_name.as_deref())?;
        if !networked && !identity.1 {
            validator_identity(&genesis, &signer, config.node.validator_name.as_deref())?;
        }
        let identity = identity.0;
        let validator = (!networked).then(|| identity.clone());
        let data_dir = NodeConfig::resolve(home, &config.node.data_dir);
        std::fs::create_dir_all(&data_dir).map_err(io(&data_dir))?;
        let store = Arc::new(RocksStore::open_with(
            &data_dir,
            config.storage.rocks_options(),
        )?);
        let genesis_hash = genesis
            .hash()
            .map_err(|e| NodeError::Genesis(e.to_string()))?;
        let snapshot_path = crate::snapshot::path_for(&data_dir);
        let tip = match load_tip_with(&*store, |height, root| {
            crate::snapshot::take(&snapshot_path, height, root)
        })? {
            Some(tip) => {
                if store.genesis_hash()? != Some(genesis_hash) {
                    return Err(NodeError::Config(format!(
                        "{} holds a chain with another genesis than {}",
                        data_dir.display(),
                        config.node.genesis.display()
                    )));
                }
                tracing::info!(
                    height = tip.height,
                    log_size = tip.log.size(),
                    "reopened the ledger"
                );
                tip
            }
            None => {
                let (write, tip) = build_genesis(&*store, &genesis, Some(&identity))?;
                store.commit(&write)?;
                tracing::info!(chain = %tip.chain_id, "wrote genesis");
                tip
            }
        };
        let engine = Arc::new(Engine::new(
            store,
            tip,
            validator,
            config.block.clone(),
            config.mempool.clone(),
        ));
        let (done_tx, producer_done) = oneshot::channel();
        let (producer, network) = if networked {
            let handle = crate::network::start(
                Arc::clone(&engine),
                &config.network,
                identity.clone(),
                home,
                &data_dir,
                genesis.genesis_time.0,
                done_tx,
            )
            .await?;
            (None, Some(handle))
        } else {
            let e = Arc::clone(&engine);
            let producer = std::thread::Builder::new()
                .name("block-producer".into())
                .spawn(move || {
                    let _ = done_tx.send(e.run_producer());
                })
                .map_err(io(Path::new("block producer thread")))?;
            (Some(producer), None)
        };
        let backend = Arc::new(NodeBackend::new(Arc::clone(&engine)));
        let portal = config
            .portal
            .enabled
            .then(|| -> Result<_, NodeError> {
                let chain_id = engine.read().chain_id.to_string();
                Ok(Arc::new(Portal::new(&portal_trust(&genesis, chain_id)?)))
            })
            .transpose()?;
        let (rpc_addr, rpc) = start_server_with_portal(&config.rpc, backend, portal).await?;
        let (metrics_addr, metrics_task) = if config.metrics.enabled {
            let e = Arc::clone(&engine);
            let refresh: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
                e.metrics.store_bytes.set(e.store().disk_bytes() as i64);
                if let Some(c) = e.store().state_cache_stats() {
                    e.metrics.state_cache_hits.set(c.hits as i64);
                    e.metrics.state_cache_misses.set(c.misses as i64);
                    e.metrics.state_cache_bytes.set(c.bytes as i64);
                }
            });
            let admin = if config.admin.p2p_links {
                network.as_ref().map(|n| n.net.clone())
            } else {
                None
            };
            let (addr, task) = crate::metrics::serve(
                config.metrics.listen,
                Arc::clone(&engine.metrics),
                refresh,
                admin,
            )
            .await?;
            (Some(addr), Some(task))
        } else {
            (None, None)
        };
        tracing::info!(%rpc_addr, metrics = ?metrics_addr, "node started");
        Ok(RunningNode {
            rpc_addr,
            metrics_addr,
            engine,
            rpc,
            metrics_task,
            producer,
            network,
            producer_done,
            snapshot_path,
        })
    }

    /// Runs until SIGINT/SIGTERM (then stops cleanly) or until the block producer fails (then
    /// returns its error: the node must not go on serving a ledger that stopped).
    pub async fn run_until_stopped(mut self) -> Result<(), NodeError> {
        let failure = tokio::select! {
            r = &mut self.producer_done => match r {
                Ok(Err(e)) => Some(e),
                Ok(Ok(())) => None,
                Err(_) => Some(NodeError::Corrupt("the block-committing thread panicked".into())),
            },
            () = shutdown_signal() => None,
        };
        self.stop().await;
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Stops the servers and the producer (after its current block).
    pub async fn stop(&mut self) {
        let _ = self.rpc.stop();
        self.rpc.clone().stopped().await;
        if let Some(t) = self.metrics_task.take() {
            t.abort();
        }
        self.engine.shutdown();
        if let Some(n) = self.network.take() {
            n.stop();
        }
        if let Some(p) = self.producer.take() {
            let _ = tokio::task::spawn_blocking(move || p.join()).await;
        }
        // Nothing commits any more: save the tree, so the next start need not rebuild it.
        let engine = Arc::clone(&self.engine);
        let path = self.snapshot_path.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let tip = engine.read();
            crate::snapshot::save(&path, &tip).map(|n| (n, tip.height))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
        match saved {
            Ok((leaves, height)) => {
                tracing::info!(leaves, height, "saved the state tree for the next start")
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot save the state tree; the next start rebuilds it")
            }
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// What `init` writes into a home directory.
#[derive(Debug)]
pub struct InitReport {
    /// The home directory.
    pub home: PathBuf,
    /// The validator key's public half.
    pub public_key: String,
    /// The chain id.
    pub chain_id: String,
    /// `validator` or `observer`.
    pub role: &'static str,
}

/// Writes a home directory: `config.toml`, `genesis.json` and the key file. Refuses to
/// overwrite any of them.
pub fn init_home(
    home: &Path,
    genesis: &Genesis,
    signer: &Signer,
    config: &NodeConfig,
) -> Result<InitReport, NodeError> {
    std::fs::create_dir_all(home).map_err(io(home))?;
    let config_path = home.join(CONFIG_FILE);
    let genesis_path = NodeConfig::resolve(home, &config.node.genesis);
    let key_path = NodeConfig::resolve(home, &config.node.key_file);
    for p in [&config_path, &genesis_path, &key_path] {
        if p.exists() {
            return Err(NodeError::Config(format!(
                "{} exists already; init never overwrites (remove it or choose another --home)",
                p.display()
            )));
        }
    }
    let is_validator = genesis
        .validators()
        .iter()
        .any(|(_, k)| *k == signer.public_key());
    if !config.network.enabled {
        validator_identity(genesis, signer, config.node.validator_name.as_deref())?;
    }
    let chain_id = genesis
        .chain_id()
        .map_err(|e| NodeError::Genesis(e.to_string()))?;
    let genesis_json = genesis
        .to_json()
        .map_err(|e| NodeError::Genesis(e.to_string()))?;
    signer
        .save(&key_path)
        .map_err(|e| NodeError::Config(format!("{}: {e}", key_path.display())))?;
    std::fs::write(&genesis_path, genesis_json + "\n").map_err(io(&genesis_path))?;
    let header = "# Liangxin node configuration. Every field is optional; see docs/node.md.\n";
    std::fs::write(&config_path, format!("{header}{}", config.to_toml()?))
        .map_err(io(&config_path))?;
    Ok(InitReport {
        home: home.to_path_buf(),
        public_key: signer.public_key().to_hex(),
        chain_id: chain_id.to_string(),
        role: if is_validator {
            "validator"
        } else {
            "observer"
        },
    })
}
