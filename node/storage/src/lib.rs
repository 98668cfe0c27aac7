#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
mod mem;
mod rocks;
mod rowcache;
pub mod store;
pub mod tables;
mod write;

#[cfg(test)]
mod tests;

pub use error::Error;
pub use mem::MemStore;
pub use rocks::{RocksOptions, RocksStore};
pub use rowcache::RowCacheStats;
pub use store::{IndexedLeaf, MAX_READ_ROWS, Row, Rows, Store, TypedRows};
pub use tables::{Region, Table, TableId, TxLocation};
pub use write::{BlockWrite, RowIter, StateRows};

/// The protocol types this crate builds on.
pub use liangxin_types as types;
