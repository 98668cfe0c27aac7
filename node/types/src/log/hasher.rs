//! The hash functions of the log: RFC 9162 §2.1.1 with a pluggable hash.

use std::fmt::Debug;

use sha2::Digest as _;

use crate::Hash;

/// First byte hashed before a leaf's data (RFC 9162 §2.1.1).
pub const LEAF_PREFIX: u8 = 0x00;
/// First byte hashed before the two children of an interior node (RFC 9162 §2.1.1).
pub const NODE_PREFIX: u8 = 0x01;

/// A hash function in the RFC 9162 §2.1.1 construction:
/// `MTH({}) = HASH()`, leaf `HASH(0x00 ‖ d)`, node `HASH(0x01 ‖ left ‖ right)`.
///
/// The two prefixes are the log's domain separation: a leaf hash can never be mistaken for an
/// interior node hash (second preimage resistance across levels).
pub trait LogHasher {
    /// A hash value. All values of one hasher have the same length, [`LogHasher::OUTPUT_LEN`].
    type Output: Copy + Eq + std::hash::Hash + AsRef<[u8]> + Debug + Send + Sync + 'static;

    /// Length in bytes of every [`LogHasher::Output`].
    const OUTPUT_LEN: usize;

    /// The root of the empty tree: the hash of the empty string.
    fn empty_root() -> Self::Output;

    /// The hash of a leaf: `HASH(0x00 ‖ data)`.
    fn leaf(data: &[u8]) -> Self::Output;

    /// The hash of an interior node: `HASH(0x01 ‖ left ‖ right)`.
    fn node(left: &Self::Output, right: &Self::Output) -> Self::Output;

    /// A hash value from its bytes; `None` unless `bytes` is exactly
    /// [`LogHasher::OUTPUT_LEN`] long.
    fn output_from_slice(bytes: &[u8]) -> Option<Self::Output>;
}

/// The ledger's log hash: blake3 (default mode, no key, no `derive_key` context) over the
/// RFC 9162 prefixed inputs. Values are [`crate::Hash`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blake3;

impl LogHasher for Blake3 {
    type Output = Hash;
    const OUTPUT_LEN: usize = 32;

    fn empty_root() -> Hash {
        blake3::hash(&[]).into()
    }

    fn leaf(data: &[u8]) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(&[LEAF_PREFIX]);
        h.update(data);
        h.finalize().into()
    }

    #[inline]
    fn node(left: &Hash, right: &Hash) -> Hash {
        // One contiguous 65-byte input on the stack: blake3's one-shot path, no allocation.
        let mut buf = [0u8; 65];
        buf[0] = NODE_PREFIX;
        buf[1..33].copy_from_slice(left.as_bytes());
        buf[33..].copy_from_slice(right.as_bytes());
        blake3::hash(&buf).into()
    }

    fn output_from_slice(bytes: &[u8]) -> Option<Hash> {
        Hash::from_slice(bytes).ok()
    }
}

/// SHA-256 in the RFC 6962 / RFC 9162 construction, as Certificate Transparency uses it. The
/// ledger does not use it; it checks the algorithms against the published RFC 6962 test vectors
/// and is there for anyone who needs a CT-compatible tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sha256;

impl LogHasher for Sha256 {
    type Output = [u8; 32];
    const OUTPUT_LEN: usize = 32;

    fn empty_root() -> [u8; 32] {
        sha2::Sha256::digest([]).into()
    }

    fn leaf(data: &[u8]) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update([LEAF_PREFIX]);
        h.update(data);
        h.finalize().into()
    }

    #[inline]
    fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
        let mut buf = [0u8; 65];
        buf[0] = NODE_PREFIX;
        buf[1..33].copy_from_slice(left);
        buf[33..].copy_from_slice(right);
        sha2::Sha256::digest(buf).into()
    }

    fn output_from_slice(bytes: &[u8]) -> Option<[u8; 32]> {
        bytes.try_into().ok()
    }
}
