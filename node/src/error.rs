//! The node library's error type.

use liangxin_contracts::StateError;

/// What can stop the node (as opposed to a rejected transaction, which is an answer).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] liangxin_storage::Error),
    /// The state under the contracts failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The authenticated state tree failed.
    #[error("state tree: {0}")]
    Tree(#[from] liangxin_state::Error),
    /// A protocol type could not be built or parsed.
    #[error(transparent)]
    Types(#[from] liangxin_types::Error),
    /// The genesis document is invalid.
    #[error("genesis: {0}")]
    Genesis(String),
    /// The stored chain is inconsistent.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// The configuration or a file it names is unusable.
    #[error("config: {0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The peer-to-peer network could not start, or a task the node cannot run without ended.
    #[error("network: {0}")]
    Network(String),
    /// The RPC server failed to start.
    #[error(transparent)]
    Rpc(#[from] liangxin_rpc::RpcError),
}
