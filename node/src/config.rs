//! The node's configuration: `config.toml` in the node's home directory. Every field has a
//! default; unknown fields are an error (a typo must not be silently ignored). Relative paths
//! are relative to the home directory. See `docs/node.md` for every field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use liangxin_rpc::RpcConfig;
use liangxin_storage::RocksOptions;
use serde::{Deserialize, Serialize};

use crate::engine::BlockConfig;
use crate::error::NodeError;
use crate::mempool::MempoolConfig;
use crate::network::NetworkConfig;

/// The name of the config file in a home directory.
pub const CONFIG_FILE: &str = "config.toml";

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Chain and identity.
    pub node: NodeSection,
    /// JSON-RPC server.
    pub rpc: RpcConfig,
    /// Prometheus metrics.
    pub metrics: MetricsConfig,
    /// Block production.
    pub block: BlockConfig,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// The database's caches.
    pub storage: StorageConfig,
    /// The regulators' network (off: a single-validator ledger).
    pub network: NetworkConfig,
    /// The public portal served beside JSON-RPC.
    pub portal: PortalConfig,
    /// Operator calls for test and chaos tooling.
    pub admin: AdminConfig,
}

/// `[admin]`: operator calls for test and chaos tooling ([`crate::admin`]), served on the
/// metrics listener, which must then be a loopback address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Serve `POST /admin/p2p/cut/KEY`, `POST /admin/p2p/heal/KEY` and
    /// `GET /admin/p2p/peers` (a networked node only). Default false.
    pub p2p_links: bool,
}

/// `[portal]`: the public web portal (`docs/portal.md`), served at `/portal/` on the RPC port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Serve it. Default true.
    pub enabled: bool,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig { enabled: true }
    }
}

/// `[storage]`: the database's caches (see `docs/node.md`, Storage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// MiB of RocksDB's block cache: table blocks kept uncompressed in memory, shared by every
    /// table. Queries that miss it read and decompress a block from disk. Default 512 (a cap).
    pub block_cache_mb: u64,
    /// Decoded log tiles kept in memory (about 16 KiB each), for inclusion and consistency
    /// proofs. Default 4,096; 0 disables the cache.
    pub tile_cache_tiles: usize,
    /// MiB of state rows kept in memory with their latest committed values, in front of
    /// RocksDB: the rows admission and execution read for each transaction's signer. Default
    /// 128 (a cap); 0 disables the cache.
    pub state_cache_mb: u64,
    /// Whether RocksDB's flushes and compactions run at the lowest CPU priority (`nice` 19), so
    /// they use the cores the node leaves idle instead of holding up block execution and
    /// voting. Default true.
    pub low_priority_background: bool,
}

/// The largest `storage.block_cache_mb` and `storage.state_cache_mb` accepted (1 TiB).
const MAX_CACHE_MB: u64 = 1 << 20;

/// Bytes of a cache configured in MiB (at most [`MAX_CACHE_MB`]).
fn cache_bytes(mb: u64) -> usize {
    usize::try_from(mb.min(MAX_CACHE_MB) << 20).unwrap_or(usize::MAX)
}

impl Default for StorageConfig {
    fn default() -> Self {
        let rocks = RocksOptions::default();
        StorageConfig {
            block_cache_mb: (rocks.block_cache_bytes >> 20) as u64,
            tile_cache_tiles: rocks.tile_cache_tiles,
            state_cache_mb: (rocks.state_cache_bytes >> 20) as u64,
            low_priority_background: rocks.low_priority_background,
        }
    }
}

impl StorageConfig {
    /// The store's options.
    pub fn rocks_options(&self) -> RocksOptions {
        RocksOptions {
            block_cache_bytes: cache_bytes(self.block_cache_mb),
            tile_cache_tiles: self.tile_cache_tiles,
            state_cache_bytes: cache_bytes(self.state_cache_mb),
            low_priority_background: self.low_priority_background,
            ..RocksOptions::default()
        }
    }
}

/// `[node]`: files and identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeSection {
    /// The genesis document (JSON). Default `genesis.json`.
    pub genesis: PathBuf,
    /// The node's key file (the SDK's key file format): a validator's key, or an observer's
    /// own (its network identity). Default `validator.key`.
    pub key_file: PathBuf,
    /// The validator's name: the regulator's name in genesis, also its checkpoint-signing
    /// name. Default: the first validator of genesis whose key is the key file's.
    pub validator_name: Option<String>,
    /// The database directory. Default `db`.
    pub data_dir: PathBuf,
}

impl Default for NodeSection {
    fn default() -> Self {
        NodeSection {
            genesis: PathBuf::from("genesis.json"),
            key_file: PathBuf::from("validator.key"),
            validator_name: None,
            data_dir: PathBuf::from("db"),
        }
    }
}

/// `[metrics]`: the Prometheus endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics`. Default true.
    pub enabled: bool,
    /// Where. Default `127.0.0.1:9770`; port 0 picks a free port.
    pub listen: SocketAddr,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 9770)),
        }
    }
}

impl NodeConfig {
    /// Reads `HOME/config.toml`.
    pub fn load(home: &Path) -> Result<Self, NodeError> {
        let path = home.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| NodeError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        toml::from_str(&text).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
    }

    /// The TOML text.
    pub fn to_toml(&self) -> Result<String, NodeError> {
        toml::to_string_pretty(self).map_err(|e| NodeError::Config(e.to_string()))
    }

    /// `path` made absolute against `home`.
    pub fn resolve(home: &Path, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            home.join(path)
        }
    }

    /// Checks values that can be wrong in ways serde cannot see.
    pub fn validate(&self) -> Result<(), NodeError> {
        self.rpc.validate()?;
        if self.admin.p2p_links && !(self.metrics.enabled && self.metrics.listen.ip().is_loopback())
        {
            return Err(NodeError::Config(format!(
                "admin.p2p_links needs the metrics listener on a loopback address (it serves the \
                 admin calls), not {}{}",
                self.metrics.listen,
                if self.metrics.enabled {
                    ""
                } else {
                    " (metrics are off)"
                }
            )));
        }
        if self.block.max_txs == 0 || self.block.max_txs > liangxin_types::block::MAX_BLOCK_TXS {
            return Err(NodeError::Config(format!(
                "block.max_txs must be 1..={}",
                liangxin_types::block::MAX_BLOCK_TXS
            )));
        }
        if self.block.interval_ms == 0 {
            return Err(NodeError::Config(
                "block.interval_ms must be above 0".into(),
            ));
        }
        for (name, mb) in [
            ("block_cache_mb", self.storage.block_cache_mb),
            ("state_cache_mb", self.storage.state_cache_mb),
        ] {
            if mb > MAX_CACHE_MB {
                return Err(NodeError::Config(format!(
                    "storage.{name} must be at most {MAX_CACHE_MB} (1 TiB), not {mb}"
                )));
            }
        }
        if self.mempool.max_txs == 0 || self.mempool.max_per_signer == 0 {
            return Err(NodeError::Config(
                "mempool.max_txs and mempool.max_per_signer must be above 0".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_unknown_fields_fail() {
        let c = NodeConfig::default();
        let text = c.to_toml().unwrap();
        let back: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
        let empty: NodeConfig = toml::from_str("").unwrap();
        assert_eq!(empty, c);
        let partial: NodeConfig = toml::from_str("[block]\ninterval_ms = 50\n").unwrap();
        assert_eq!(partial.block.interval_ms, 50);
        assert_eq!(partial.block.max_txs, BlockConfig::default().max_txs);
        let e = toml::from_str::<NodeConfig>("[block]\nintervl_ms = 50\n").unwrap_err();
        assert!(e.to_string().contains("intervl_ms"), "{e}");
        let mut bad = NodeConfig::default();
        bad.block.max_txs = 0;
        assert!(bad.validate().is_err());
    }

    #[test]
    fn storage_caches_are_configured_in_mib_and_tiles() {
        let c = NodeConfig::default();
        assert_eq!(c.storage.rocks_options(), RocksOptions::default());
        let c: NodeConfig = toml::from_str(
            "[storage]\nblock_cache_mb = 1024\ntile_cache_tiles = 0\nstate_cache_mb = 0\n",
        )
        .unwrap();
        c.validate().unwrap();
        let o = c.storage.rocks_options();
        assert_eq!(o.block_cache_bytes, 1 << 30);
        assert_eq!(o.tile_cache_tiles, 0);
        assert_eq!(o.state_cache_bytes, 0);
        assert!(o.compress, "compression is not a setting");
        assert!(o.low_priority_background, "low priority by default");
        let c: NodeConfig = toml::from_str(
            "[storage]
low_priority_background = false
",
        )
        .unwrap();
        assert!(!c.storage.rocks_options().low_priority_background);
        let mut big = NodeConfig::default();
        big.storage.block_cache_mb = u64::MAX;
        let e = big.validate().unwrap_err().to_string();
        assert!(e.contains("storage.block_cache_mb"), "{e}");
        let mut big = NodeConfig::default();
        big.storage.state_cache_mb = 1 << 21;
        let e = big.validate().unwrap_err().to_string();
        assert!(e.contains("storage.state_cache_mb"), "{e}");
        let e = toml::from_str::<NodeConfig>("[storage]\ncompress = false\n").unwrap_err();
        assert!(e.to_string().contains("compress"), "{e}");
    }

    #[test]
    fn admin_calls_need_a_loopback_metrics_listener() {
        let mut c = NodeConfig::default();
        c.admin.p2p_links = true;
        c.validate().unwrap();
        c.metrics.listen = SocketAddr::from(([0, 0, 0, 0], 9770));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("loopback"), "{e}");
        c.metrics.listen = SocketAddr::from(([127, 0, 0, 1], 9770));
        c.metrics.enabled = false;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("metrics are off"), "{e}");
        let parsed: NodeConfig = toml::from_str("[admin]\np2p_links = true\n").unwrap();
        assert!(parsed.admin.p2p_links);
    }
}
