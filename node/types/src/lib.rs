#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod block;
pub mod checkpoint;
pub mod crypto;
pub mod encoding;
mod error;
pub mod hash;
pub mod log;
pub mod tx;
pub mod uscc;
pub mod vrf;

pub use block::{Block, BlockBody, BlockHeader};
pub use crypto::{
    BatchItem, BatchVerifier, KeyBytes, PublicKey, Signature, SigningDomain, SigningKey,
};
pub use encoding::{Canonical, MAX_MESSAGE_SIZE, MAX_TX_SIZE};
pub use error::Error;
pub use hash::{Domain, HASH_LEN, Hash};
pub use tx::{ChainId, DecodedTx, RecordKind, SignedTx, TxBody};
pub use uscc::Uscc;
pub use vrf::VrfProof;
