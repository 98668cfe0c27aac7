//! The signed transaction envelope.
//!
//! ```text
//! SignedTx = TxBody ‖ signature (64 bytes)
//! TxBody   = chain_id (string) ‖ signer (32 bytes) ‖ seq (u64 LE) ‖ kind (u16 LE) ‖ payload (bytes)
//! signature = Ed25519(signer, "liangxin/2026-11/tx\n" ‖ canonical(TxBody))
//! tx_id    = blake3 derive_key("liangxin 2026-11 tx-id", canonical(SignedTx))
//! ```
//!
//! The record itself travels as a `kind` tag plus a payload of canonical bytes; `liangxin-contracts`
//! owns the record schemas and decodes the payload by kind, so this crate stays free of domain
//! rules. The log leaf for a transaction is exactly `canonical(SignedTx)`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;
use crate::crypto::{PublicKey, Signature, SigningDomain, SigningKey};
use crate::encoding::{BoundedBytes, Canonical, MAX_TX_SIZE};
use crate::hash::{Domain, Hash};

/// Largest record payload: the transaction limit less room for the envelope's other fields.
pub const MAX_PAYLOAD: usize = MAX_TX_SIZE - 256;

/// Longest chain id.
pub const MAX_CHAIN_ID: usize = 64;

/// The chain a transaction is for: 1–64 characters of `a-z 0-9 - .`, starting with a letter or
/// digit. It appears in every signed transaction and, as `liangxin/<chain_id>`, as the origin line
/// of every checkpoint.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainId(String);

impl ChainId {
    /// Validates a chain id.
    pub fn new(s: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::Decode {
            what: "chain id",
            reason: format!("{:?}: {reason}", s.chars().take(80).collect::<String>()),
        };
        if s.is_empty() || s.len() > MAX_CHAIN_ID {
            return Err(bad("must be 1 to 64 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(bad("only a-z, 0-9, '-' and '.' are allowed"));
        }
        if !s.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(bad("must start with a letter or digit"));
        }
        Ok(ChainId(s.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The checkpoint origin line for this chain: `liangxin/<chain_id>`.
    pub fn origin(&self) -> String {
        format!("liangxin/{}", self.0)
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainId({})", self.0)
    }
}

impl std::str::FromStr for ChainId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        ChainId::new(s)
    }
}

impl Serialize for ChainId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ChainId::new(&s).map_err(serde::de::Error::custom)
    }
}

/// The record kind tag. The values are assigned by `liangxin-contracts`; the envelope only
/// carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordKind(pub u16);

/// Everything a transaction's signature covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBody {
    /// The chain this transaction is for.
    pub chain_id: ChainId,
    /// The signer's public key.
    pub signer: PublicKey,
    /// The signer's sequence number: each is accepted once, in order.
    pub seq: u64,
    /// The record kind, which says how to read `payload`.
    pub kind: RecordKind,
    /// The record's canonical bytes.
    pub payload: BoundedBytes<MAX_PAYLOAD>,
}

impl Canonical for TxBody {
    const NAME: &'static str = "transaction body";
    const MAX_SIZE: usize = MAX_TX_SIZE - crate::crypto::SIGNATURE_LEN;
}

impl TxBody {
    /// The exact bytes the signer signs: `"liangxin/2026-11/tx\n" ‖ canonical(body)`.
    pub fn signing_message(&self) -> Result<Vec<u8>, Error> {
        Ok(SigningDomain::Tx.message(&self.to_canonical()?))
    }
}

/// A signed transaction: the unit clients submit, the log stores and everyone verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTx {
    /// What is signed.
    pub body: TxBody,
    /// The signer's signature over [`TxBody::signing_message`].
    pub signature: Signature,
}

impl Canonical for SignedTx {
    const NAME: &'static str = "signed transaction";
    const MAX_SIZE: usize = MAX_TX_SIZE;
}

impl SignedTx {
    /// Signs `body` with `key`. Fails if `key` is not `body.signer` or the body is too large.
    pub fn sign(body: TxBody, key: &SigningKey) -> Result<Self, Error> {
        if key.public_key() != body.signer {
            return Err(Error::BadSignature);
        }
        let signature = key.sign(SigningDomain::Tx, &body.to_canonical()?);
        let tx = SignedTx { body, signature };
        // Enforce the envelope limit at signing time, not only at decode time.
        tx.to_canonical()?;
        Ok(tx)
    }

    /// Strict check of the signature.
    pub fn verify_signature(&self) -> Result<(), Error> {
        self.body.signer.verify(
            SigningDomain::Tx,
            &self.body.to_canonical()?,
            &self.signature,
        )
    }

    /// The transaction id: `blake3 derive_key("liangxin 2026-11 tx-id", canonical bytes)`.
    pub fn id(&self) -> Result<Hash, Error> {
        Ok(tx_id(&self.to_canonical()?))
    }
}

/// The id of a transaction from its canonical bytes.
pub fn tx_id(canonical: &[u8]) -> Hash {
    Domain::TxId.hash(canonical)
}

/// A transaction decoded from canonical bytes whose chain and signature have been checked: what
/// admission hands on. Keeps the bytes (the log leaf) and the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTx {
    /// The decoded transaction.
    pub tx: SignedTx,
    /// Its canonical bytes, exactly as received.
    pub bytes: Vec<u8>,
    /// Its id.
    pub id: Hash,
}

/// A transaction decoded from canonical bytes, its chain id checked, its signature not yet:
/// [`DecodedTx::verify`] turns it into a [`VerifiedTx`]. Lets a caller refuse cheaply (a full
/// mempool, say) before paying for the signature check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedTx {
    tx: SignedTx,
    bytes: Vec<u8>,
}

impl DecodedTx {
    /// Decodes (size limit, canonical form) and checks the chain id.
    pub fn decode(bytes: Vec<u8>, chain: &ChainId) -> Result<Self, Error> {
        let tx = VerifiedTx::decode_unverified(&bytes, chain)?;
        Ok(DecodedTx { tx, bytes })
    }

    /// Its canonical bytes, exactly as received.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its id.
    pub fn id(&self) -> Hash {
        tx_id(&self.bytes)
    }

    /// Strictly verifies the signature. The signed message is rebuilt from the received
    /// bytes, not re-encoded.
    pub fn verify(self) -> Result<VerifiedTx, Error> {
        let DecodedTx { tx, bytes } = self;
        let body_len = bytes.len() - crate::crypto::SIGNATURE_LEN;
        tx.body
            .signer
            .verify(SigningDomain::Tx, &bytes[..body_len], &tx.signature)?;
        let id = tx_id(&bytes);
        Ok(VerifiedTx { tx, bytes, id })
    }
}

impl VerifiedTx {
    /// Decodes (size limit, canonical form), checks the chain id and strictly verifies the
    /// signature: [`DecodedTx::decode`], then [`DecodedTx::verify`].
    pub fn decode(bytes: Vec<u8>, chain: &ChainId) -> Result<Self, Error> {
        DecodedTx::decode(bytes, chain)?.verify()
    }

    /// Decodes and checks the chain id but leaves the signature to the caller (for batch
    /// verification of many transactions; see [`crate::BatchVerifier`]).
    pub fn decode_unverified(bytes: &[u8], chain: &ChainId) -> Result<SignedTx, Error> {
        let tx = SignedTx::from_canonical(bytes)?;
        if &tx.body.chain_id != chain {
            return Err(Error::WrongChain {
                expected: chain.to_string(),
                got: tx.body.chain_id.to_string(),
            });
        }
        Ok(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(key: &SigningKey) -> TxBody {
        TxBody {
            chain_id: ChainId::new("liangxin-dev").unwrap(),
            signer: key.public_key(),
            seq: 7,
            kind: RecordKind(3),
            payload: BoundedBytes::new(b"record".to_vec()).unwrap(),
        }
    }

    #[test]
    fn sign_encode_decode_verify() {
        let k = SigningKey::dev("operator-1");
        let tx = SignedTx::sign(body(&k), &k).unwrap();
        tx.verify_signature().unwrap();
        let bytes = tx.to_canonical().unwrap();
        let chain = ChainId::new("liangxin-dev").unwrap();
        let v = VerifiedTx::decode(bytes.clone(), &chain).unwrap();
        assert_eq!(v.tx, tx);
        assert_eq!(v.id, tx.id().unwrap());
        assert_eq!(&bytes[bytes.len() - 64..], tx.signature.as_bytes());
        // another chain
        let other = ChainId::new("other").unwrap();
        assert!(matches!(
            VerifiedTx::decode(bytes.clone(), &other),
            Err(Error::WrongChain { .. })
        ));
        // any flipped bit breaks decoding or verification
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(
                VerifiedTx::decode(b, &chain).is_err(),
                "bit flip at {i} accepted"
            );
        }
    }

    #[test]
    fn signing_with_the_wrong_key_fails() {
        let k = SigningKey::dev("a");
        let other = SigningKey::dev("b");
        assert!(SignedTx::sign(body(&k), &other).is_err());
    }

    #[test]
    fn chain_ids() {
        assert!(ChainId::new("liangxin-mainnet.1").is_ok());
        for bad in ["", "-x", "Upper", "a b", "量", &"a".repeat(65)] {
            assert!(ChainId::new(bad).is_err(), "{bad}");
        }
        assert_eq!(ChainId::new("dev").unwrap().origin(), "liangxin/dev");
    }

    #[test]
    fn oversized_payload_is_rejected() {
        let k = SigningKey::dev("a");
        assert!(BoundedBytes::<MAX_PAYLOAD>::new(vec![0; MAX_PAYLOAD + 1]).is_err());
        let mut b = body(&k);
        b.payload = BoundedBytes::new(vec![0; MAX_PAYLOAD]).unwrap();
        assert!(SignedTx::sign(b, &k).is_ok());
    }
}
