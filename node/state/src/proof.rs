//! State proofs and their verification: everything a light client needs, and nothing else.

use liangxin_types::encoding::BoundedVec;
use liangxin_types::{Canonical, Hash};
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::hash::{EMPTY, bit, common_prefix_bits, key_hash, leaf_hash, node_hash, value_hash};

/// Most siblings a proof can have: one per bit of a key hash.
pub const MAX_PROOF_SIBLINGS: usize = 256;

/// The leaf a proof ends at: a key hash and the hash of its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofLeaf {
    /// `H(KEY_CONTEXT, key)` of the key stored in this leaf.
    pub key_hash: Hash,
    /// `H(VALUE_CONTEXT, value)` of its value.
    pub value_hash: Hash,
}

/// A proof that, under a state root, a key has a given value or is absent.
///
/// It is the path from the root towards the key's hash: `siblings[i]` is the hash of the subtree
/// beside that path at depth `i + 1` (the child of the depth-`i` node on the side the key's bit `i`
/// does not take), and the path ends at depth `siblings.len()` in either a leaf (`leaf`) or an
/// empty subtree (`leaf` is `None`). JSON: `{"leaf": null | {"key_hash": hex, "value_hash": hex},
/// "siblings": [hex, ...]}`; canonical bytes: BCS of the same fields (option tag, 2 × 32 bytes,
/// ULEB128 count, 32 bytes per sibling).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProof {
    /// The leaf at the end of the path, or `None` when the path ends in an empty subtree.
    pub leaf: Option<ProofLeaf>,
    /// Sibling hashes from the root down (`siblings[0]` is at depth 1).
    pub siblings: BoundedVec<Hash, MAX_PROOF_SIBLINGS>,
}

impl Canonical for StateProof {
    const NAME: &'static str = "state proof";
    /// Option tag and leaf (65), a ULEB128 count (at most 2 bytes for 256), 256 siblings.
    const MAX_SIZE: usize = 65 + 2 + 32 * MAX_PROOF_SIBLINGS;
}

impl StateProof {
    /// Checks that under `root`, `key` maps to `value` (`None`: `key` is absent). Never panics,
    /// whatever the proof holds.
    pub fn verify(&self, root: &Hash, key: &[u8], value: Option<&[u8]>) -> Result<(), Error> {
        let computed = self.root_for(key, value)?;
        if computed != *root {
            return Err(Error::InvalidProof(
                "the proof does not lead to the given root",
            ));
        }
        Ok(())
    }

    /// The root this proof implies for `key` ↦ `value` (`None`: absent), after checking that the
    /// leaf agrees with the claim. [`verify`](Self::verify) compares it with a trusted root.
    pub fn root_for(&self, key: &[u8], value: Option<&[u8]>) -> Result<Hash, Error> {
        let n = self.siblings.len();
        if n > MAX_PROOF_SIBLINGS {
            return Err(Error::InvalidProof("more than 256 siblings"));
        }
        let kh = key_hash(key);
        // A canonical path never ends beside an empty subtree: a subtree holding one leaf (or
        // none) is that leaf (or empty) at the shallowest depth.
        if self.siblings.last() == Some(&EMPTY) {
            return Err(Error::InvalidProof("the deepest sibling is empty"));
        }
        let mut h = match (&self.leaf, value) {
            (None, Some(_)) => {
                return Err(Error::InvalidProof(
                    "the key is claimed present but the proof shows absence",
                ));
            }
            (None, None) => EMPTY,
            (Some(leaf), Some(v)) => {
                if leaf.key_hash != kh {
                    return Err(Error::InvalidProof("the proof's leaf holds another key"));
                }
                if leaf.value_hash != value_hash(v) {
                    return Err(Error::InvalidProof("the proof's leaf holds another value"));
                }
                leaf_hash(&leaf.key_hash, &leaf.value_hash)
            }
            (Some(leaf), None) => {
                if leaf.key_hash == kh {
                    return Err(Error::InvalidProof(
                        "the key is claimed absent but the proof shows it present",
                    ));
                }
                if common_prefix_bits(&leaf.key_hash, &kh) < n {
                    return Err(Error::InvalidProof(
                        "the proof's leaf is not on the key's path",
                    ));
                }
                leaf_hash(&leaf.key_hash, &leaf.value_hash)
            }
        };
        for (i, sibling) in self.siblings.iter().enumerate().rev() {
            h = if bit(&kh, i) {
                node_hash(sibling, &h)
            } else {
                node_hash(&h, sibling)
            };
        }
        Ok(h)
    }

    /// The canonical bytes (BCS).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        Ok(self.to_canonical()?)
    }

    /// Decodes canonical bytes, rejecting any other encoding and more than 256 siblings.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Ok(Self::from_canonical(bytes)?)
    }
}
