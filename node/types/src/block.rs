//! Blocks: a header that commits to the block's transactions, the log and the state after it.
//!
//! ```text
//! BlockHeader = chain_id (string) ‖ height (u64) ‖ view (u64) ‖ parent (32) ‖ time (u64)
//!             ‖ proposer (32) ‖ tx_count (u32) ‖ body_hash (32) ‖ log_size (u64)
//!             ‖ log_root (32) ‖ state_root (32)
//! block_hash  = blake3 derive_key("liangxin 2026-11 block-header", canonical(BlockHeader))
//! body_hash   = blake3 derive_key("liangxin 2026-11 block-header", "body" ‖ canonical(BlockBody))
//! BlockBody   = seq<bytes> (each a signed transaction's canonical bytes), at most 10,000
//! ```
//!
//! A block lists the transactions its proposer ordered; executing them in order appends the
//! accepted ones to the log (rejected ones leave no leaf), and the header states the log size and
//! root and the state root that execution must reproduce on every validator.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::KeyBytes;
use crate::encoding::{BoundedBytes, BoundedVec, Canonical, MAX_TX_SIZE};
use crate::hash::{Domain, Hash};
use crate::tx::ChainId;

/// Most transactions in one block.
pub const MAX_BLOCK_TXS: usize = 10_000;

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// The chain.
    pub chain_id: ChainId,
    /// Height: 1 for the first block after genesis.
    pub height: u64,
    /// The consensus view in which it was proposed.
    pub view: u64,
    /// Hash of the parent header ([`Hash::ZERO`] for height 1).
    pub parent: Hash,
    /// Proposer's timestamp, seconds since the Unix epoch (checked by validators).
    pub time: u64,
    /// The proposer's key.
    pub proposer: KeyBytes,
    /// Number of transactions in the body.
    pub tx_count: u32,
    /// Hash of the body ([`BlockBody::hash`]).
    pub body_hash: Hash,
    /// Log size after the block.
    pub log_size: u64,
    /// Log root after the block.
    pub log_root: Hash,
    /// State root after the block.
    pub state_root: Hash,
}

impl Canonical for BlockHeader {
    const NAME: &'static str = "block header";
    const MAX_SIZE: usize = 1024;
}

impl BlockHeader {
    /// The block hash.
    pub fn hash(&self) -> Result<Hash, Error> {
        Ok(Domain::Header.hash(&self.to_canonical()?))
    }
}

/// A block's transactions, each as its canonical bytes (the log leaf if accepted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockBody {
    /// The transactions, in execution order.
    pub txs: BoundedVec<BoundedBytes<MAX_TX_SIZE>, MAX_BLOCK_TXS>,
}

impl Canonical for BlockBody {
    const NAME: &'static str = "block body";
}

impl BlockBody {
    /// The body hash: `Domain::Header` over `"body" ‖ canonical(BlockBody)`. The "body" prefix
    /// keeps it apart from any header hash.
    pub fn hash(&self) -> Result<Hash, Error> {
        Ok(Domain::Header.hash_parts(&[b"body", &self.to_canonical()?]))
    }
}

/// A header with its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The body.
    pub body: BlockBody,
}

impl Canonical for Block {
    const NAME: &'static str = "block";
}

impl Block {
    /// Checks that the header's `tx_count` and `body_hash` match the body.
    pub fn check_body(&self) -> Result<(), Error> {
        if self.header.tx_count as usize != self.body.txs.len() {
            return Err(Error::Decode {
                what: "block",
                reason: format!(
                    "header says {} transactions, body has {}",
                    self.header.tx_count,
                    self.body.txs.len()
                ),
            });
        }
        if self.header.body_hash != self.body.hash()? {
            return Err(Error::Decode {
                what: "block",
                reason: "body does not match the header's body hash".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    fn block() -> Block {
        let body = BlockBody {
            txs: BoundedVec::new(vec![BoundedBytes::new(vec![1, 2, 3]).unwrap()]).unwrap(),
        };
        Block {
            header: BlockHeader {
                chain_id: ChainId::new("liangxin-dev").unwrap(),
                height: 1,
                view: 1,
                parent: Hash::ZERO,
                time: 1_767_225_600,
                proposer: SigningKey::dev("dev-regulator").public_key().into(),
                tx_count: 1,
                body_hash: body.hash().unwrap(),
                log_size: 1,
                log_root: Domain::TxId.hash(b"x"),
                state_root: Domain::State.hash(b"y"),
            },
            body,
        }
    }

    #[test]
    fn round_trip_and_body_check() {
        let b = block();
        b.check_body().unwrap();
        let bytes = b.to_canonical().unwrap();
        assert_eq!(Block::from_canonical(&bytes).unwrap(), b);
        let h = b.header.hash().unwrap();
        assert_ne!(h, b.body.hash().unwrap());
        let mut bad = b.clone();
        bad.header.tx_count = 2;
        assert!(bad.check_body().is_err());
        let mut bad = b;
        bad.body.txs = BoundedVec::default();
        bad.header.tx_count = 0;
        assert!(bad.check_body().is_err());
    }
}
