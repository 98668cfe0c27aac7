//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `liangxin-state`: storage that is missing or damaged, versions
/// applied out of order or no longer kept, and proofs that do not verify. Messages are lowercase
/// and say what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The [`NodeReader`](crate::NodeReader) failed (an I/O error of the node's database). Reader
    /// implementations put their own error's text here.
    #[error("state storage: {0}")]
    Storage(String),
    /// [`apply`](crate::apply) was called with a version that does not follow the latest one
    /// (a fresh tree expects version 0).
    #[error("state version {got} cannot be applied: expected {expected}")]
    VersionOrder {
        /// The version that must come next.
        expected: u64,
        /// The version given.
        got: u64,
    },
    /// The version asked for is newer than the latest one, or was pruned.
    #[error("state version {version} is not available (latest is {})", latest_text(*.latest))]
    VersionUnavailable {
        /// The version asked for.
        version: u64,
        /// The latest version stored, if any.
        latest: Option<u64>,
    },
    /// A node the tree refers to is not in storage: the store lost data, or the version was
    /// pruned while it was being read.
    #[error("state tree node {key} is missing")]
    MissingNode {
        /// The node's storage key, in hex.
        key: String,
    },
    /// A stored node could not be decoded.
    #[error("state tree node {key} is corrupt: {reason}")]
    CorruptNode {
        /// The node's storage key, in hex.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two distinct keys of one update have the same key hash (a blake3 collision: never expected).
    #[error("two state keys have the same key hash {0}")]
    KeyHashCollision(String),
    /// A state proof that does not show what it is claimed to show.
    #[error("invalid state proof: {0}")]
    InvalidProof(&'static str),
    /// A state proof's canonical bytes or JSON that could not be decoded.
    #[error("cannot decode state proof: {0}")]
    Decode(String),
}

fn latest_text(latest: Option<u64>) -> String {
    latest.map_or_else(|| "none".to_string(), |v| v.to_string())
}

impl From<liangxin_types::Error> for Error {
    fn from(e: liangxin_types::Error) -> Self {
        Error::Decode(e.to_string())
    }
}
