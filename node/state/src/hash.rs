//! The tree's hash functions: blake3 in `derive_key` mode, one context string per purpose.
//!
//! `H(ctx, x)` below is `blake3::derive_key(ctx, x)` (the BLAKE3 specification's key derivation
//! mode, 32 bytes of output), which every blake3 implementation offers. The four contexts are
//! distinct from each other and from every [`liangxin_types::Domain`] context, so a state hash can
//! never be mistaken for a transaction id, a header hash or another kind of state hash. The context
//! key of each is computed once per process (blake3's `hazmat` API); the output is identical to
//! `blake3::derive_key`, which the tests check.

use std::sync::LazyLock;

use blake3::hazmat::{ContextKey, HasherExt, hash_derive_key_context};
use liangxin_types::Hash;

/// Context of key hashes: `key_hash = H(KEY_CONTEXT, key)`.
pub const KEY_CONTEXT: &str = "liangxin 2026-11 state key";
/// Context of value hashes: `value_hash = H(VALUE_CONTEXT, value)`.
pub const VALUE_CONTEXT: &str = "liangxin 2026-11 state value";
/// Context of leaf hashes: `leaf = H(LEAF_CONTEXT, key_hash ‖ value_hash)` (64 bytes in).
pub const LEAF_CONTEXT: &str = "liangxin 2026-11 state leaf";
/// Context of internal node hashes: `node = H(NODE_CONTEXT, left ‖ right)` (64 bytes in).
pub const NODE_CONTEXT: &str = "liangxin 2026-11 state node";

/// The hash of an empty subtree, and so the root of the empty tree: 32 zero bytes.
pub const EMPTY: Hash = Hash::ZERO;

static KEY_CK: LazyLock<ContextKey> = LazyLock::new(|| hash_derive_key_context(KEY_CONTEXT));
static VALUE_CK: LazyLock<ContextKey> = LazyLock::new(|| hash_derive_key_context(VALUE_CONTEXT));
static LEAF_CK: LazyLock<ContextKey> = LazyLock::new(|| hash_derive_key_context(LEAF_CONTEXT));
static NODE_CK: LazyLock<ContextKey> = LazyLock::new(|| hash_derive_key_context(NODE_CONTEXT));

fn derive(ck: &ContextKey, parts: &[&[u8]]) -> Hash {
    let mut h = blake3::Hasher::new_from_context_key(ck);
    for p in parts {
        h.update(p);
    }
    Hash(*h.finalize().as_bytes())
}

/// `H(KEY_CONTEXT, key)`: where a key lives in the tree.
pub fn key_hash(key: &[u8]) -> Hash {
    derive(&KEY_CK, &[key])
}

/// `H(VALUE_CONTEXT, value)`.
pub fn value_hash(value: &[u8]) -> Hash {
    derive(&VALUE_CK, &[value])
}

/// `H(LEAF_CONTEXT, key_hash ‖ value_hash)`.
pub fn leaf_hash(key_hash: &Hash, value_hash: &Hash) -> Hash {
    derive64(&LEAF_CK, key_hash, value_hash)
}

/// `H(NODE_CONTEXT, left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    derive64(&NODE_CK, left, right)
}

/// One 64-byte block in one `update` call (the hasher's fast path).
fn derive64(ck: &ContextKey, a: &Hash, b: &Hash) -> Hash {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(&a.0);
    block[32..].copy_from_slice(&b.0);
    derive(ck, &[&block])
}

/// The hash, seen from depth `at`, of a branching node at `depth` (≥ `at`) on the path `prefix`
/// whose own hash is `hash`: the skipped levels between are hashed up with empty siblings.
pub(crate) fn hash_up(hash: &Hash, prefix: &Hash, depth: u8, at: usize) -> Hash {
    let mut h = *hash;
    for level in (at..usize::from(depth)).rev() {
        h = if bit(prefix, level) {
            node_hash(&EMPTY, &h)
        } else {
            node_hash(&h, &EMPTY)
        };
    }
    h
}

/// Bit `i` (0 = most significant bit of byte 0) of a key hash: 0 goes left, 1 goes right.
/// `i` must be below 256.
pub(crate) fn bit(h: &Hash, i: usize) -> bool {
    (h.0[i / 8] >> (7 - (i % 8))) & 1 == 1
}

/// Number of leading bits two hashes share (256 when equal).
pub(crate) fn common_prefix_bits(a: &Hash, b: &Hash) -> usize {
    for (i, (x, y)) in a.0.iter().zip(b.0.iter()).enumerate() {
        let d = x ^ y;
        if d != 0 {
            return i * 8 + d.leading_zeros() as usize;
        }
    }
    256
}

/// `h` with every bit from `depth` on cleared (the path prefix of a node at `depth`).
pub(crate) fn prefix(h: &Hash, depth: usize) -> Hash {
    let mut out = [0u8; 32];
    let full = depth / 8;
    out[..full].copy_from_slice(&h.0[..full]);
    if !depth.is_multiple_of(8) {
        out[full] = h.0[full] & (0xffu8 << (8 - depth % 8));
    }
    Hash(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use liangxin_types::Domain;

    #[test]
    fn matches_plain_derive_key() {
        let k = b"some key".as_slice();
        assert_eq!(key_hash(k).0, blake3::derive_key(KEY_CONTEXT, k));
        assert_eq!(value_hash(k).0, blake3::derive_key(VALUE_CONTEXT, k));
        let (a, b) = (Hash([1; 32]), Hash([2; 32]));
        let mut ab = [0u8; 64];
        ab[..32].copy_from_slice(&a.0);
        ab[32..].copy_from_slice(&b.0);
        assert_eq!(leaf_hash(&a, &b).0, blake3::derive_key(LEAF_CONTEXT, &ab));
        assert_eq!(node_hash(&a, &b).0, blake3::derive_key(NODE_CONTEXT, &ab));
    }

    #[test]
    fn contexts_are_distinct_from_each_other_and_the_types_domains() {
        let mut all: Vec<&str> = Domain::ALL.iter().map(|d| d.context()).collect();
        all.extend([KEY_CONTEXT, VALUE_CONTEXT, LEAF_CONTEXT, NODE_CONTEXT]);
        let set: std::collections::HashSet<&str> = all.iter().copied().collect();
        assert_eq!(set.len(), all.len());
    }

    #[test]
    fn bits_and_prefixes() {
        let mut h = [0u8; 32];
        h[0] = 0b1010_0000;
        h[31] = 1;
        let h = Hash(h);
        assert!(bit(&h, 0));
        assert!(!bit(&h, 1));
        assert!(bit(&h, 2));
        assert!(bit(&h, 255));
        assert!(!bit(&h, 254));
        assert_eq!(prefix(&h, 0), Hash::ZERO);
        assert_eq!(prefix(&h, 1).0[0], 0b1000_0000);
        assert_eq!(prefix(&h, 3).0[0], 0b1010_0000);
        assert_eq!(prefix(&h, 256), h);
        assert_eq!(prefix(&h, 255).0[31], 0);
        assert_eq!(common_prefix_bits(&h, &h), 256);
        assert_eq!(common_prefix_bits(&h, &Hash::ZERO), 0);
        assert_eq!(common_prefix_bits(&prefix(&h, 255), &h), 255);
    }
}
