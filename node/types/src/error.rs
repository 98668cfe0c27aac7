//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `liangxin-types`. Messages are lowercase and say what was
/// expected, so they can be shown to a person as they are.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// A fixed-length value had the wrong length.
    #[error("{what}: expected {expected} bytes, got {got}")]
    Length {
        /// What was being decoded.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length seen.
        got: usize,
    },
    /// Hex text that is not hex.
    #[error("invalid hex: {0}")]
    Hex(String),
    /// Base64 text that is not base64.
    #[error("invalid base64: {0}")]
    Base64(String),
    /// A public key that is not a canonical, non-weak Ed25519 point.
    #[error("invalid public key: {0}")]
    BadKey(&'static str),
    /// A signature whose encoding is not canonical.
    #[error("invalid signature encoding: {0}")]
    BadSignatureEncoding(&'static str),
    /// A VRF proof that is malformed or does not verify.
    #[error("invalid VRF proof: {0}")]
    BadVrfProof(&'static str),
    /// A signature that does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A unified social credit code that breaks GB 32100-2015.
    #[error("invalid unified social credit code {code:?}: {reason}")]
    Uscc {
        /// The code as given.
        code: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Canonical bytes that could not be decoded.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// The type being decoded.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A value too large to encode or a message above the size limit.
    #[error("{what} is {size} bytes, above the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A value that cannot be encoded.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// The type being encoded.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A transaction for another chain.
    #[error("transaction is for chain {got:?}, this is chain {expected:?}")]
    WrongChain {
        /// This node's chain id.
        expected: String,
        /// The transaction's chain id.
        got: String,
    },
    /// A Merkle log operation on bad indexes or sizes, or a missing stored hash.
    #[error("merkle log: {0}")]
    Log(String),
    /// A Merkle proof that does not verify.
    #[error("merkle proof does not verify: {0}")]
    Proof(&'static str),
    /// A signed note (checkpoint) that is malformed or not signed as required.
    #[error("checkpoint note: {0}")]
    Note(String),
}

/// Copies `bytes` into an array of exactly `N` bytes, or names `what` and both lengths.
pub(crate) fn fixed<const N: usize>(bytes: &[u8], what: &'static str) -> Result<[u8; N], Error> {
    bytes.try_into().map_err(|_| Error::Length {
        what,
        expected: N,
        got: bytes.len(),
    })
}
