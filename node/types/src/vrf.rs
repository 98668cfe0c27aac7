//! A verifiable random function over the validators' own Ed25519 keys: the
//! `ECVRF-EDWARDS25519-SHA512-TAI` suite of RFC 9381.
//!
//! A VRF output is **unique** for a key and an input: unlike an Ed25519 signature (whose
//! nonce a signer may choose freely), the holder of the key cannot produce two valid proofs
//! with different outputs for one input. That is what makes it fit for a block seed nobody
//! can steer (`docs/protocol.md` §4a): the proposer proves the output for an input fixed by
//! the chain, and every node and light client verifies the proof with the proposer's public
//! key. RFC 9381 defines this suite so that an EdDSA key pair (RFC 8032) is the VRF key pair:
//! no validator needs a second key.
//!
//! Written here on `curve25519-dalek` (already the engine of `ed25519-dalek`) because no
//! maintained crate implements this suite on the current dalek releases; the three test
//! vectors of RFC 9381 Appendix B.3 pin every step (hash to curve, nonce, challenge, proof
//! encoding, proof to hash).
//!
//! ```
//! use liangxin_types::SigningKey;
//! use liangxin_types::vrf::{prove, verify};
//!
//! let key = SigningKey::dev("regulator-1");
//! let proof = prove(&key, b"height 7");
//! let output = verify(&key.public_key(), b"height 7", &proof)?;
//! assert_eq!(output, proof.output()?);
//! assert!(verify(&key.public_key(), b"height 8", &proof).is_err());
//! # Ok::<(), liangxin_types::Error>(())
//! ```

use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::clamp_integer;
use curve25519_dalek::traits::IsIdentity;
use curve25519_dalek::{EdwardsPoint, Scalar};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha512};

use crate::Error;
use crate::crypto::{PublicKey, SigningKey, deserialize_fixed, serialize_fixed};

/// Bytes of a proof: `Gamma` (32) ‖ `c` (16) ‖ `s` (32).
pub const VRF_PROOF_LEN: usize = 80;

/// Bytes of an output (`beta`, a SHA-512 digest).
pub const VRF_OUTPUT_LEN: usize = 64;

/// `suite_string` of ECVRF-EDWARDS25519-SHA512-TAI.
const SUITE: u8 = 0x03;

/// Bytes of the challenge `c`.
const C_LEN: usize = 16;

/// A VRF proof (`pi_string` of RFC 9381). Hex in JSON, 80 bytes in canonical encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfProof(pub [u8; VRF_PROOF_LEN]);

impl VrfProof {
    /// All zero: a placeholder that never verifies (a header built outside a proposer, in tests).
    pub const ZERO: VrfProof = VrfProof([0; VRF_PROOF_LEN]);

    /// The output this proof claims (`ECVRF_proof_to_hash`), **without** checking the proof:
    /// use [`verify`] for anything received. Fails only if `Gamma` is not a point.
    pub fn output(&self) -> Result<[u8; VRF_OUTPUT_LEN], Error> {
        let (gamma, _, _) = decode_proof(self)?;
        Ok(proof_to_hash(&gamma))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for VrfProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VrfProof({})", self.to_hex())
    }
}

impl fmt::Display for VrfProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for VrfProof {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_fixed(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for VrfProof {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_fixed::<VRF_PROOF_LEN, D>(d, "VRF proof").map(VrfProof)
    }
}

/// RFC 8032 §5.1.3 decoding: a canonical encoding of a curve point (y below p, no "negative"
/// zero x), else `None`. Decompressing and compressing again gives back exactly the canonical
/// encodings.
fn decode_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    CompressedEdwardsY(*bytes)
        .decompress()
        .filter(|p| p.compress().0 == *bytes)
}

/// `ECVRF_encode_to_curve_try_and_increment` (RFC 9381 §5.4.1.1): the first counter whose
/// hash decodes to a point not of small order, times the cofactor. `None` only if all 256
/// counters fail (probability about 2⁻²⁵⁶).
fn encode_to_curve(public: &[u8; 32], alpha: &[u8]) -> Option<EdwardsPoint> {
    (0..=u8::MAX).find_map(|ctr| {
        let digest = Sha512::new()
            .chain_update([SUITE, 0x01])
            .chain_update(public)
            .chain_update(alpha)
            .chain_update([ctr, 0x00])
            .finalize();
        let mut candidate = [0u8; 32];
        candidate.copy_from_slice(&digest[..32]);
        decode_point(&candidate)
            .map(|p| p.mul_by_cofactor())
            .filter(|h| !h.is_identity())
    })
}

/// `ECVRF_challenge_generation` (RFC 9381 §5.4.3): the first 16 bytes of
/// `SHA-512(suite ‖ 0x02 ‖ Y ‖ H ‖ Gamma ‖ U ‖ V ‖ 0x00)`.
fn challenge(points: [&[u8; 32]; 5]) -> [u8; C_LEN] {
    let mut h = Sha512::new().chain_update([SUITE, 0x02]);
    for p in points {
        h.update(p);
    }
    let digest = h.chain_update([0x00]).finalize();
    let mut c = [0u8; C_LEN];
    c.copy_from_slice(&digest[..C_LEN]);
    c
}

/// The challenge as a scalar (16 little-endian bytes: below the group order).
fn challenge_scalar(c: &[u8; C_LEN]) -> Scalar {
    let mut wide = [0u8; 32];
    wide[..C_LEN].copy_from_slice(c);
    Scalar::from_bytes_mod_order(wide)
}

/// `ECVRF_proof_to_hash` (RFC 9381 §5.2): `SHA-512(suite ‖ 0x03 ‖ 8·Gamma ‖ 0x00)`.
fn proof_to_hash(gamma: &EdwardsPoint) -> [u8; VRF_OUTPUT_LEN] {
    let digest = Sha512::new()
        .chain_update([SUITE, 0x03])
        .chain_update(gamma.mul_by_cofactor().compress().0)
        .chain_update([0x00])
        .finalize();
    let mut out = [0u8; VRF_OUTPUT_LEN];
    out.copy_from_slice(&digest);
    out
}

/// `ECVRF_decode_proof` (RFC 9381 §5.4.4), strict: `Gamma` a canonical point, `s` below the
/// group order.
fn decode_proof(proof: &VrfProof) -> Result<(EdwardsPoint, [u8; C_LEN], Scalar), Error> {
    let mut gamma = [0u8; 32];
    gamma.copy_from_slice(&proof.0[..32]);
    let gamma = decode_point(&gamma).ok_or(Error::BadVrfProof("Gamma is not a curve point"))?;
    let mut c = [0u8; C_LEN];
    c.copy_from_slice(&proof.0[32..32 + C_LEN]);
    let mut s = [0u8; 32];
    s.copy_from_slice(&proof.0[32 + C_LEN..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s))
        .ok_or(Error::BadVrfProof("s is not below the group order"))?;
    Ok((gamma, c, s))
}

/// `ECVRF_prove` (RFC 9381 §5.1) with the Ed25519 key `key`: deterministic, so proving the
/// same input twice gives the same proof.
pub fn prove(key: &SigningKey, alpha: &[u8]) -> VrfProof {
    let expanded = Sha512::digest(key.seed());
    let mut lower = [0u8; 32];
    lower.copy_from_slice(&expanded[..32]);
    let x = Scalar::from_bytes_mod_order(clamp_integer(lower));
    let public = *key.public_key().as_bytes();
    // A valid Ed25519 key hashes to a point: the loop failing 256 times has probability about
    // 2⁻²⁵⁶, and a proof for the identity (which never verifies) stands in for that case.
    let h = encode_to_curve(&public, alpha).unwrap_or_default();
    let h_bytes = h.compress().0;
    // RFC 9381 §5.4.2.2 (RFC 8032-style nonce): SHA-512 of the upper half of the expanded
    // secret key and the encoded H.
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(&expanded[32..])
            .chain_update(h_bytes)
            .finalize()
            .into(),
    );
    let gamma = h * x;
    let u = EdwardsPoint::mul_base(&k);
    let v = h * k;
    let c = challenge([
        &public,
        &h_bytes,
        &gamma.compress().0,
        &u.compress().0,
        &v.compress().0,
    ]);
    let s = k + challenge_scalar(&c) * x;
    let mut proof = [0u8; VRF_PROOF_LEN];
    proof[..32].copy_from_slice(&gamma.compress().0);
    proof[32..32 + C_LEN].copy_from_slice(&c);
    proof[32 + C_LEN..].copy_from_slice(s.as_bytes());
    VrfProof(proof)
}

/// `ECVRF_verify` (RFC 9381 §5.3) with key validation: the output if `proof` is the proof of
/// `public` for `alpha`, else [`Error::BadVrfProof`] (a [`PublicKey`] is already a validated
/// key: canonical, not of small order).
pub fn verify(
    public: &PublicKey,
    alpha: &[u8],
    proof: &VrfProof,
) -> Result<[u8; VRF_OUTPUT_LEN], Error> {
    // RFC 9381's key validation is `PublicKey`'s own invariant: a canonical encoding of a point
    // not of small order.
    let y_bytes = *public.as_bytes();
    let y = public.as_dalek().to_edwards();
    let (gamma, c, s) = decode_proof(proof)?;
    let h = encode_to_curve(&y_bytes, alpha)
        .ok_or(Error::BadVrfProof("the input does not hash to a point"))?;
    let c_scalar = challenge_scalar(&c);
    // U = s·B − c·Y, V = s·H − c·Gamma.
    let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&(-c_scalar), &y, &s);
    let v = h * s - gamma * c_scalar;
    let expected = challenge([
        &y_bytes,
        &h.compress().0,
        &gamma.compress().0,
        &u.compress().0,
        &v.compress().0,
    ]);
    if expected != c {
        return Err(Error::BadVrfProof("the challenge does not match"));
    }
    Ok(proof_to_hash(&gamma))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 9381 Appendix B.3, ECVRF-EDWARDS25519-SHA512-TAI: secret key, public key, alpha,
    /// pi, beta (the keys and inputs of RFC 8032 §7.1's first three examples).
    const RFC9381_B3: [(&str, &str, &str, &str, &str); 3] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f\
             26f8a57ccaed74ee1b190bed1f479d97\
             27d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
            "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff\
             66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed593\
             3bf0864a62558b3ed7f2fea45c92a465\
             301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
            "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb\
             5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf80\
             96bb474e53895c362d8628ee9f9ea3c0\
             e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
            "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c45\
             2118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f",
        ),
    ];

    fn key(seed_hex: &str) -> SigningKey {
        SigningKey::from_hex(seed_hex).expect("seed")
    }

    #[test]
    fn rfc9381_vectors() {
        for (sk, pk, alpha, pi, beta) in RFC9381_B3 {
            let k = key(sk);
            assert_eq!(k.public_key().to_hex(), pk);
            let alpha = hex::decode(alpha).expect("alpha");
            let proof = prove(&k, &alpha);
            assert_eq!(proof.to_hex(), pi, "pi for alpha {alpha:?}");
            let out = verify(&k.public_key(), &alpha, &proof).expect("verifies");
            assert_eq!(hex::encode(out), beta, "beta for alpha {alpha:?}");
            assert_eq!(proof.output().expect("output"), out);
        }
    }

    #[test]
    fn json_is_hex() {
        let proof = prove(&SigningKey::dev("a"), b"x");
        let json = serde_json::to_string(&proof).expect("json");
        assert_eq!(json, format!("\"{}\"", proof.to_hex()));
        assert_eq!(
            serde_json::from_str::<VrfProof>(&json).expect("parse"),
            proof
        );
        assert!(serde_json::from_str::<VrfProof>("\"00\"").is_err());
    }

    #[test]
    fn refuses_malformed_proofs() {
        let k = SigningKey::dev("a");
        let mut proof = prove(&k, b"x");
        // s at or above the group order (all ones is far above it).
        proof.0[48..].fill(0xff);
        assert_eq!(
            verify(&k.public_key(), b"x", &proof),
            Err(Error::BadVrfProof("s is not below the group order"))
        );
        assert!(verify(&k.public_key(), b"x", &VrfProof::ZERO).is_err());
        // Gamma not canonical: y = p (all ones but the top bit, minus 18) decodes to 0 mod p.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        let mut bad = prove(&k, b"x");
        bad.0[..32].copy_from_slice(&p);
        assert!(verify(&k.public_key(), b"x", &bad).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A proof verifies for its key and input only, and its output is unique: any other
        /// key, input, or changed byte of the proof is refused.
        #[test]
        fn proofs_verify_for_their_key_and_input_only(
            seed in any::<[u8; 32]>(),
            other in any::<[u8; 32]>(),
            alpha in proptest::collection::vec(any::<u8>(), 0..64),
            flip in 0usize..VRF_PROOF_LEN,
            bit in 0u8..8,
        ) {
            let k = SigningKey::from_seed(&seed);
            let proof = prove(&k, &alpha);
            prop_assert_eq!(prove(&k, &alpha), proof);
            let out = verify(&k.public_key(), &alpha, &proof).expect("verifies");
            prop_assert_eq!(proof.output().expect("output"), out);
            let mut longer = alpha.clone();
            longer.push(0);
            prop_assert!(verify(&k.public_key(), &longer, &proof).is_err());
            if other != seed {
                let o = SigningKey::from_seed(&other);
                prop_assert!(verify(&o.public_key(), &alpha, &proof).is_err());
            }
            let mut tampered = proof;
            tampered.0[flip] ^= 1 << bit;
            prop_assert!(verify(&k.public_key(), &alpha, &tampered).is_err());
        }
    }
}
