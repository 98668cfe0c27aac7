//! 32-byte hashes and domain-separated blake3 hashing.
//!
//! Every hash the ledger computes names its purpose: either a [`Domain`] (blake3's `derive_key`
//! mode with a fixed context string, so a transaction id can never equal a header hash of other
//! bytes), or the RFC 9162 prefixes of the Merkle log (see [`crate::log`]), which are the log's own
//! domain separation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Length of every hash in bytes.
pub const HASH_LEN: usize = 32;

/// A 32-byte hash. Lowercase hex in JSON and `Display`, 32 raw bytes in the canonical encoding.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// The all-zero hash (used only as a "none yet" marker, e.g. the parent of the genesis block).
    pub const ZERO: Hash = Hash([0; HASH_LEN]);

    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; HASH_LEN]) -> Self {
        Hash(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Copies from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Ok(Hash(crate::error::fixed(bytes, "hash")?))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        crate::encoding::to_hex(self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(s: &str) -> Result<Self, Error> {
        if s.len() != 2 * HASH_LEN {
            return Err(Error::Length {
                what: "hex hash",
                expected: 2 * HASH_LEN,
                got: s.len(),
            });
        }
        let mut out = [0u8; HASH_LEN];
        hex::decode_to_slice(s, &mut out).map_err(|e| Error::Hex(e.to_string()))?;
        Ok(Hash(out))
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; HASH_LEN]> for Hash {
    fn from(b: [u8; HASH_LEN]) -> Self {
        Hash(b)
    }
}

impl From<blake3::Hash> for Hash {
    fn from(h: blake3::Hash) -> Self {
        Hash(*h.as_bytes())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl FromStr for Hash {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Hash::from_hex(s)
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_hex())
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            Hash::from_hex(&s).map_err(serde::de::Error::custom)
        } else {
            Ok(Hash(<[u8; HASH_LEN]>::deserialize(d)?))
        }
    }
}

/// The purposes a Liangxin hash can serve outside the Merkle log. Each is a blake3 `derive_key`
/// context string, fixed forever (changing one is a protocol change).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Domain {
    /// Transaction id: over a signed transaction's canonical bytes.
    TxId,
    /// Block header hash: over a header's canonical bytes.
    Header,
    /// Consensus vote digest.
    Vote,
    /// Checkpoint digest (for indexing; the checkpoint itself is signed as a note).
    Checkpoint,
    /// Content digest of an off-chain document (certificate, report, pledge text).
    Document,
    /// Commitments kept inside the state, e.g. the entry chains of operators and instruments
    /// (`liangxin_contracts::store::EntryChain`). The authenticated state tree's own leaf and
    /// node hashes use the contexts of the `liangxin-state` crate.
    State,
    /// Randomness derivation (e.g. the seed of a random inspection draw).
    Seed,
    /// Conformance-vector ids (hash of a vector's canonical bytes).
    Conformance,
    /// A genesis document (its hash is part of the chain id).
    Genesis,
}

impl Domain {
    /// The blake3 `derive_key` context string of this domain.
    pub const fn context(self) -> &'static str {
        match self {
            Domain::TxId => "liangxin 2026-11 tx-id",
            Domain::Header => "liangxin 2026-11 block-header",
            Domain::Vote => "liangxin 2026-11 consensus-vote",
            Domain::Checkpoint => "liangxin 2026-11 checkpoint",
            Domain::Document => "liangxin 2026-11 document",
            Domain::State => "liangxin 2026-11 state",
            Domain::Seed => "liangxin 2026-11 seed",
            Domain::Conformance => "liangxin 2026-11 conformance",
            Domain::Genesis => "liangxin 2026-11 genesis",
        }
    }

    /// Every domain, for tests that check they are distinct.
    pub const ALL: [Domain; 9] = [
        Domain::TxId,
        Domain::Header,
        Domain::Vote,
        Domain::Checkpoint,
        Domain::Document,
        Domain::State,
        Domain::Seed,
        Domain::Conformance,
        Domain::Genesis,
    ];

    /// A fresh incremental hasher for this domain.
    pub fn hasher(self) -> blake3::Hasher {
        blake3::Hasher::new_derive_key(self.context())
    }

    /// Hashes `data` in this domain.
    pub fn hash(self, data: &[u8]) -> Hash {
        self.hasher().update(data).finalize().into()
    }

    /// Hashes the concatenation of `parts` in this domain (no separators: callers pass
    /// fixed-length parts or canonical encodings, which are self-delimiting).
    pub fn hash_parts(self, parts: &[&[u8]]) -> Hash {
        let mut h = self.hasher();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }
}

/// Digest of an off-chain document's bytes (`Domain::Document`).
pub fn document_digest(bytes: &[u8]) -> Hash {
    Domain::Document.hash(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_json() {
        let h = Domain::TxId.hash(b"abc");
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert_eq!(h.to_string(), h.to_hex());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", h.to_hex()));
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
        assert!(Hash::from_hex("zz").is_err());
        assert!(Hash::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn canonical_encoding_is_raw_bytes() {
        let h = Hash([7; 32]);
        assert_eq!(bcs::to_bytes(&h).unwrap(), vec![7u8; 32]);
        assert_eq!(bcs::from_bytes::<Hash>(&[7u8; 32]).unwrap(), h);
        assert!(bcs::from_bytes::<Hash>(&[7u8; 31]).is_err());
        assert!(bcs::from_bytes::<Hash>(&[7u8; 33]).is_err());
    }

    #[test]
    fn domains_are_distinct() {
        let hs: std::collections::HashSet<Hash> =
            Domain::ALL.iter().map(|d| d.hash(b"same bytes")).collect();
        assert_eq!(hs.len(), Domain::ALL.len());
        assert_ne!(Domain::TxId.hash(b""), Hash::from(blake3::hash(b"")));
    }

    #[test]
    fn hash_parts_is_concatenation() {
        assert_eq!(
            Domain::Header.hash_parts(&[b"ab", b"c"]),
            Domain::Header.hash(b"abc")
        );
    }
}
