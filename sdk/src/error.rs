//! The crate's one error type.

use std::path::PathBuf;

use liangxin_rpc::RpcError;
use liangxin_rpc::jsonrpsee::core::client::Error as ClientError;

/// Everything that can go wrong in the SDK. Messages are lowercase and can be shown to a
/// person as they are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node answered with a JSON-RPC error object. The typed [`RpcError`] keeps the
    /// stable code ([`Error::rpc_code`]), e.g. `1002` for a rejected transaction with the
    /// contracts' own rejection code and message.
    #[error("{0}")]
    Rpc(RpcError),
    /// The node could not be reached, the connection broke, the request timed out, or the
    /// answer was not the JSON the API promises.
    #[error("rpc transport: {0}")]
    Transport(String),
    /// A key file that cannot be read, parsed or written.
    #[error("key file {}: {reason}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A value given to the SDK (a builder field, a command-line argument, a CSV cell) that
    /// is not valid.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which value.
        what: String,
        /// Why.
        reason: String,
    },
    /// An error from the protocol types (encoding, signing).
    #[error(transparent)]
    Types(#[from] liangxin_types::Error),
    /// A proof, a checkpoint or an answer did not verify.
    #[error("verification failed: {0}")]
    Verify(#[from] VerifyError),
    /// A local file (CSV import, progress file) could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        reason: String,
    },
}

/// Why a verification failed. Each variant names the check; the text says what differed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The checkpoint note does not parse, disagrees with its own fields, is for another
    /// chain, carries a bad signature of a validator, or has fewer than a quorum of them.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// An inclusion proof does not lead to the checkpoint's root.
    #[error("inclusion: {0}")]
    Inclusion(String),
    /// A consistency proof does not link the two checkpoints' roots.
    #[error("consistency: {0}")]
    Consistency(String),
    /// A newer checkpoint has a smaller log than the one already verified.
    #[error("rollback: {0}")]
    Rollback(String),
    /// Two checkpoints of the same log size with different roots, or a newer checkpoint
    /// whose log does not extend the verified one.
    #[error("fork: {0}")]
    Fork(String),
    /// The answer contradicts itself: an entry whose record is not what its bytes say, a
    /// proof for another leaf or size than asked, a transaction for another chain.
    #[error("inconsistent answer: {0}")]
    Mismatch(String),
    /// A state proof does not verify against the checkpoint's state root, or the answer
    /// disagrees with the proven state rows.
    #[error("state proof: {0}")]
    State(String),
}

impl Error {
    /// The JSON-RPC error code, when the node answered with an error object.
    pub fn rpc_code(&self) -> Option<i32> {
        match self {
            Error::Rpc(e) => Some(e.code()),
            _ => None,
        }
    }

    /// A [`Error::Invalid`].
    pub fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Invalid {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.into(),
            reason: e.to_string(),
        }
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Call(obj) => Error::Rpc(RpcError::from_error_object(&obj)),
            other => Error::Transport(other.to_string()),
        }
    }
}

impl From<RpcError> for Error {
    fn from(e: RpcError) -> Self {
        Error::Rpc(e)
    }
}

impl From<liangxin_contracts::Rejection> for Error {
    fn from(r: liangxin_contracts::Rejection) -> Self {
        Error::Invalid {
            what: "record".into(),
            reason: r.to_string(),
        }
    }
}

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
