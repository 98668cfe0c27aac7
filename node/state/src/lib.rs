#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
pub mod hash;
mod mem;
mod proof;
mod store;
mod tree;

pub use error::Error;
pub use hash::{EMPTY, key_hash, value_hash};
pub use mem::MemTree;
pub use proof::{MAX_PROOF_SIBLINGS, ProofLeaf, StateProof};
pub use store::{MemNodes, NodeReader, TreeUpdate};
pub use tree::{DEFAULT_KEEP_VERSIONS, apply, apply_keeping, get, latest_version, prove, root};
