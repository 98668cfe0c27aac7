//! Properties of the canonical encoding: encode → decode is the identity for every type, and
//! decoding arbitrary or mutated bytes never panics and never accepts a non-canonical encoding.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use liangxin_types::encoding::{BoundedBytes, BoundedString, BoundedVec, Canonical};
use liangxin_types::tx::{ChainId, MAX_PAYLOAD, RecordKind, SignedTx, TxBody, VerifiedTx};
use liangxin_types::uscc::{ALPHABET, AUTHORITIES};
use liangxin_types::{Hash, PublicKey, Signature, SigningKey, Uscc};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// A struct exercising every encoding building block at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Everything {
    hash: Hash,
    key: PublicKey,
    sig: Signature,
    uscc: Uscc,
    chain: ChainId,
    n8: u8,
    n16: u16,
    n32: u32,
    n64: u64,
    flag: bool,
    maybe: Option<u64>,
    bytes: BoundedBytes<300>,
    text: BoundedString<64>,
    list: BoundedVec<u32, 20>,
    kind: RecordKind,
}

impl Canonical for Everything {
    const NAME: &'static str = "everything";
    const MAX_SIZE: usize = 4096;
}

fn key() -> impl Strategy<Value = SigningKey> {
    any::<[u8; 32]>().prop_map(|s| SigningKey::from_seed(&s))
}

fn uscc() -> impl Strategy<Value = Uscc> {
    (
        prop::sample::select(AUTHORITIES.to_vec()),
        prop::collection::vec(prop::sample::select(ALPHABET.to_vec()), 1),
        "[0-9]{6}",
        prop::collection::vec(prop::sample::select(ALPHABET.to_vec()), 10),
    )
        .prop_map(|(a, c, r, o)| {
            let s = format!(
                "{}{}{}{}",
                a as char,
                c[0] as char,
                r,
                String::from_utf8(o).unwrap()
            );
            // Any well-formed code encodes, whether or not its check character is right.
            Uscc::parse_override(&s).unwrap()
        })
}

fn chain() -> impl Strategy<Value = ChainId> {
    "[a-z0-9][a-z0-9.-]{0,63}".prop_map(|s| ChainId::new(&s).unwrap())
}

fn everything() -> impl Strategy<Value = Everything> {
    (
        (any::<[u8; 32]>(), key(), any::<Vec<u8>>(), uscc(), chain()),
        (
            any::<u8>(),
            any::<u16>(),
            any::<u32>(),
            any::<u64>(),
            any::<bool>(),
            any::<Option<u64>>(),
        ),
        (
            prop::collection::vec(any::<u8>(), 0..300),
            "[^\\p{Cc}]{0,16}",
            prop::collection::vec(any::<u32>(), 0..20),
            any::<u16>(),
        ),
    )
        .prop_map(
            |((h, k, msg, uscc, chain), (n8, n16, n32, n64, flag, maybe), (b, t, l, kind))| {
                Everything {
                    hash: Hash(h),
                    key: k.public_key(),
                    sig: k.sign_raw(&msg),
                    uscc,
                    chain,
                    n8,
                    n16,
                    n32,
                    n64,
                    flag,
                    maybe,
                    bytes: BoundedBytes::new(b).unwrap(),
                    text: BoundedString::new(t).unwrap(),
                    list: BoundedVec::new(l).unwrap(),
                    kind: RecordKind(kind),
                }
            },
        )
}

fn signed_tx() -> impl Strategy<Value = SignedTx> {
    (
        key(),
        chain(),
        any::<u64>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(k, chain_id, seq, kind, payload)| {
            let body = TxBody {
                chain_id,
                signer: k.public_key(),
                seq,
                kind: RecordKind(kind),
                payload: BoundedBytes::new(payload).unwrap(),
            };
            SignedTx::sign(body, &k).unwrap()
        })
}

/// Decoding `bytes` must not panic; if it succeeds, re-encoding must give the same bytes.
fn decode_is_canonical<T: Canonical + std::fmt::Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(v) = T::from_canonical(bytes) {
        prop_assert_eq!(v.to_canonical().unwrap(), bytes.to_vec());
    }
    // The raw BCS decoder, without the round-trip guard, must agree: whatever it accepts
    // re-encodes identically (the guard is defence in depth, not the only check).
    if let Ok(v) = bcs::from_bytes::<T>(bytes) {
        prop_assert_eq!(bcs::to_bytes(&v).unwrap(), bytes.to_vec());
    }
    Ok(())
}

/// A mutation of a valid encoding: flip a bit, drop a byte, insert a byte, or truncate.
fn mutate(bytes: &[u8], op: u8, pos: usize, val: u8) -> Vec<u8> {
    let mut b = bytes.to_vec();
    if b.is_empty() {
        return vec![val];
    }
    let i = pos % b.len();
    match op % 4 {
        0 => b[i] ^= 1 << (val % 8),
        1 => {
            b.remove(i);
        }
        2 => b.insert(i, val),
        _ => b.truncate(i),
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The fast hex encoder gives exactly what `hex::encode` gives, and decodes back.
    #[test]
    fn to_hex_is_lowercase_hex(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let h = liangxin_types::encoding::to_hex(&bytes);
        prop_assert_eq!(&h, &hex::encode(&bytes));
        prop_assert_eq!(hex::decode(&h).unwrap(), bytes);
    }

    #[test]
    fn everything_round_trips(v in everything()) {
        let bytes = v.to_canonical().unwrap();
        prop_assert_eq!(Everything::from_canonical(&bytes).unwrap(), v.clone());
        let json = serde_json::to_string(&v).unwrap();
        prop_assert_eq!(serde_json::from_str::<Everything>(&json).unwrap(), v);
    }

    #[test]
    fn signed_tx_round_trips(tx in signed_tx()) {
        let bytes = tx.to_canonical().unwrap();
        prop_assert!(bytes.len() <= liangxin_types::MAX_TX_SIZE);
        let back = SignedTx::from_canonical(&bytes).unwrap();
        prop_assert_eq!(&back, &tx);
        let v = VerifiedTx::decode(bytes.clone(), &tx.body.chain_id).unwrap();
        prop_assert_eq!(v.id, tx.id().unwrap());
        let body = tx.body.to_canonical().unwrap();
        prop_assert_eq!(TxBody::from_canonical(&body).unwrap(), tx.body.clone());
        let json = serde_json::to_string(&tx).unwrap();
        prop_assert_eq!(serde_json::from_str::<SignedTx>(&json).unwrap(), tx);
    }

    #[test]
    fn random_bytes_never_panic_nor_decode_non_canonically(
        bytes in prop::collection::vec(any::<u8>(), 0..2048)
    ) {
        decode_is_canonical::<SignedTx>(&bytes)?;
        decode_is_canonical::<TxBody>(&bytes)?;
        decode_is_canonical::<Everything>(&bytes)?;
    }

    #[test]
    fn mutated_transactions_are_rejected_or_canonical(
        tx in signed_tx(),
        muts in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..4),
    ) {
        let good = tx.to_canonical().unwrap();
        let mut bytes = good.clone();
        for (op, pos, val) in muts {
            bytes = mutate(&bytes, op, pos, val);
        }
        decode_is_canonical::<SignedTx>(&bytes)?;
        // Any change to a signed transaction's bytes makes it fail decoding or verification.
        if bytes != good {
            prop_assert!(VerifiedTx::decode(bytes, &tx.body.chain_id).is_err());
        }
    }

    #[test]
    fn mutated_everything_is_rejected_or_canonical(
        v in everything(),
        op in any::<u8>(), pos in any::<usize>(), val in any::<u8>(),
    ) {
        let bytes = mutate(&v.to_canonical().unwrap(), op, pos, val);
        decode_is_canonical::<Everything>(&bytes)?;
    }
}

#[test]
fn oversized_inputs_are_rejected_before_decoding() {
    let big = vec![0u8; liangxin_types::MAX_TX_SIZE + 1];
    let err = SignedTx::from_canonical(&big).unwrap_err().to_string();
    assert!(err.contains("above the limit"), "{err}");
    assert!(BoundedBytes::<MAX_PAYLOAD>::new(vec![0; MAX_PAYLOAD + 1]).is_err());
}
