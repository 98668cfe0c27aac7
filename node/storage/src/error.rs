//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `liangxin-storage`. Messages are lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// RocksDB reported an error (I/O, corruption it detected, a locked directory…).
    #[error("rocksdb: {0}")]
    Rocks(String),
    /// A stored row that does not decode as its table says it should.
    #[error("corrupt row in table {table}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A block write whose height is not the next one (a duplicate or a gap).
    #[error("cannot commit height {got}: the next height is {expected}")]
    OutOfOrder {
        /// The height the store expects next.
        expected: u64,
        /// The height of the write.
        got: u64,
    },
    /// A block write that is inconsistent with itself or with the store.
    #[error("invalid block write at height {height}: {reason}")]
    InvalidWrite {
        /// The height of the write.
        height: u64,
        /// What is wrong.
        reason: String,
    },
    /// A key that cannot be encoded (e.g. an instrument key above 65,535 bytes).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// An error from `liangxin-types` (encoding, the Merkle log).
    #[error(transparent)]
    Types(#[from] liangxin_types::Error),
    /// A lock was poisoned by a thread that panicked while holding it.
    #[error("storage lock poisoned")]
    Poisoned,
}

impl From<rocksdb::Error> for Error {
    fn from(e: rocksdb::Error) -> Self {
        Error::Rocks(e.into_string())
    }
}

impl From<Error> for liangxin_types::Error {
    /// For [`TileStore`](liangxin_types::log::TileStore), whose methods return the types crate's
    /// error: a storage failure under the log is reported as a log error.
    fn from(e: Error) -> Self {
        match e {
            Error::Types(inner) => inner,
            other => liangxin_types::Error::Log(format!("tile store: {other}")),
        }
    }
}
