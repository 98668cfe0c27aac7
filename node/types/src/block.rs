//! Blocks: a header that commits to the block's transactions, the log and the state after it.
//!
//! ```text
//! BlockHeader = chain_id (string) ‖ height (u64) ‖ view (u64) ‖ parent (32) ‖ time (u64)
//!             ‖ proposer (32) ‖ seed_proof (80) ‖ tx_count (u32) ‖ body_hash (32)
//!             ‖ log_size (u64) ‖ log_root (32) ‖ state_root (32)
//! block_hash  = blake3 derive_key("liangxin 2026-11 block-header", canonical(BlockHeader))
//! body_hash   = blake3 derive_key("liangxin 2026-11 block-header", "body" ‖ canonical(BlockBody))
//! BlockBody   = seq<bytes> (each a signed transaction's canonical bytes), at most 10,000
//! ```
//!
//! A block lists the transactions its proposer ordered; executing them in order appends the
//! accepted ones to the log (rejected ones leave no leaf), and the header states the log size and
//! root and the state root that execution must reproduce on every validator.
//!
//! **The block seed** (what the block's random draws use) is the proposer's VRF output
//! ([`crate::vrf`]) for [`seed_input`]`(height, parent)`, proven by `seed_proof`: unique for the
//! proposer's key, so the proposer cannot choose it, and unknown to anyone else until the parent
//! is fixed. [`BlockHeader::seed`] checks the proof and returns the seed.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::KeyBytes;
use crate::encoding::{BoundedBytes, BoundedVec, Canonical, MAX_TX_SIZE};
use crate::hash::{Domain, Hash};
use crate::tx::ChainId;
use crate::vrf::{self, VrfProof};
use crate::{PublicKey, SigningKey};

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
    /// The proposer's VRF proof for [`seed_input`]`(height, parent)`: the block seed.
    pub seed_proof: VrfProof,
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

    /// The block seed, after checking `seed_proof` against `proposer` (a bad key or proof is an
    /// error: such a block is invalid).
    pub fn seed(&self) -> Result<Hash, Error> {
        let proposer = PublicKey::from_bytes(&self.proposer.0)?;
        let output = vrf::verify(
            &proposer,
            &seed_input(self.height, &self.parent),
            &self.seed_proof,
        )?;
        Ok(seed_from_output(&output))
    }
}

/// The VRF input of block `height`'s seed: `"liangxin 2026-11 block-seed" ‖ height (u64 BE) ‖
/// parent`. The parent hash commits to the chain and everything before; the view is left out,
/// so a proposer whose view fails and who proposes again at the same height gets the same seed.
pub fn seed_input(height: u64, parent: &Hash) -> Vec<u8> {
    let mut alpha = Vec::with_capacity(27 + 8 + 32);
    alpha.extend_from_slice(b"liangxin 2026-11 block-seed");
    alpha.extend_from_slice(&height.to_be_bytes());
    alpha.extend_from_slice(parent.as_bytes());
    alpha
}

/// The block seed for a VRF output: `Domain::Seed` over `"block-seed-vrf" ‖ output`.
pub fn seed_from_output(output: &[u8; vrf::VRF_OUTPUT_LEN]) -> Hash {
    Domain::Seed.hash_parts(&[b"block-seed-vrf", output])
}

/// What the proposer `key` puts in block `height` on `parent`: its seed proof, and the seed.
pub fn prove_seed(key: &SigningKey, height: u64, parent: &Hash) -> (VrfProof, Hash) {
    let proof = vrf::prove(key, &seed_input(height, parent));
    // The proof was just made with a valid key: its Gamma is a point.
    let seed = proof
        .output()
        .map(|o| seed_from_output(&o))
        .unwrap_or(Hash::ZERO);
    (proof, seed)
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
                seed_proof: prove_seed(&SigningKey::dev("dev-regulator"), 1, &Hash::ZERO).0,
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

    #[test]
    fn seed_is_the_proposers_vrf_output_and_nothing_else() {
        let b = block();
        let key = SigningKey::dev("dev-regulator");
        let (proof, seed) = prove_seed(&key, 1, &Hash::ZERO);
        assert_eq!(b.header.seed().unwrap(), seed);
        // Fixed by the parent and height alone: the same whatever else the header says.
        let mut other = b.header.clone();
        other.view = 9;
        other.time += 60;
        assert_eq!(other.seed().unwrap(), seed);
        // Another parent or height: another seed, and the old proof is refused.
        assert_ne!(prove_seed(&key, 2, &Hash::ZERO).1, seed);
        assert_ne!(prove_seed(&key, 1, &Domain::TxId.hash(b"p")).1, seed);
        let mut moved = b.header.clone();
        moved.parent = Domain::TxId.hash(b"p");
        assert!(moved.seed().is_err());
        // Another proposer's key with this proof, or another key's proof: refused.
        let mut stolen = b.header.clone();
        stolen.proposer = SigningKey::dev("other").public_key().into();
        assert!(stolen.seed().is_err());
        let mut forged = b.header;
        forged.seed_proof = prove_seed(&SigningKey::dev("other"), 1, &Hash::ZERO).0;
        assert!(forged.seed().is_err());
        assert_ne!(proof, forged.seed_proof);
    }
}
