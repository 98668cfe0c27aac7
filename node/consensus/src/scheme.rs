//! Who may sign what: the signing scheme the state machine calls, and its Ed25519 implementation.
//!
//! The state machine is generic over [`Scheme`] so that the simulation can run hundreds of
//! thousands of views with a cheap keyed hash standing in for signatures, while a real node uses
//! [`Ed25519Scheme`]. Both answer the same question: did validator `i` sign this?

use crate::message::{Finalization, Sig, Signable, ValidatorIndex};
use crate::types::checkpoint::{NoteSignature, SignedCheckpoint, check_key_name, key_id};
use crate::types::{Canonical, ChainId, PublicKey, SigningDomain, SigningKey};
use crate::{Error, View};
use serde::Serialize;

/// Signs as this validator and checks the others' signatures.
pub trait Scheme {
    /// This node's index, or `None` for an observer (which never signs).
    fn me(&self) -> Option<ValidatorIndex>;
    /// Signs `what` as [`Scheme::me`]; `None` for an observer.
    fn sign(&self, what: &Signable<'_>) -> Option<Sig>;
    /// Whether `sig` is validator `signer`'s signature on `what` (false for an unknown index).
    fn verify(&self, signer: ValidatorIndex, what: &Signable<'_>, sig: &Sig) -> bool;
}

/// The bytes a notarize or nullify vote signs (inside [`SigningDomain::Vote`]).
#[derive(Serialize)]
struct VoteBytes<'a> {
    kind: &'static str,
    chain_id: &'a ChainId,
    view: View,
    block: Option<&'a crate::types::Hash>,
}

impl Canonical for VoteBytes<'_> {
    const NAME: &'static str = "vote bytes";
}

impl<'de> serde::Deserialize<'de> for VoteBytes<'_> {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("vote bytes are only ever encoded"))
    }
}

/// The exact message a vote signs, before the signing-domain prefix: canonical
/// `(kind, chain_id, view, block?)` for notarize and nullify, the checkpoint note body for
/// finalize.
pub fn signed_bytes(chain_id: &ChainId, what: &Signable<'_>) -> Vec<u8> {
    let vote = |kind, view, block| {
        VoteBytes {
            kind,
            chain_id,
            view,
            block,
        }
        .to_canonical()
        // A chain id is at most 64 bytes: this encoding is small and always succeeds.
        .unwrap_or_default()
    };
    match what {
        Signable::Notarize { view, block } => vote("notarize", *view, Some(*block)),
        Signable::Nullify { view } => vote("nullify", *view, None),
        Signable::Finalize { checkpoint } => checkpoint.body().into_bytes(),
    }
}

/// One validator as the Ed25519 scheme knows it: its note key name and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedKey {
    /// The key name in checkpoint notes.
    pub name: String,
    /// The public key.
    pub key: PublicKey,
}

/// Ed25519 (`verify_strict`) signatures: notarize and nullify votes in [`SigningDomain::Vote`],
/// finalize votes as checkpoint note signatures by the validator's note key name.
pub struct Ed25519Scheme {
    chain_id: ChainId,
    validators: Vec<NamedKey>,
    me: Option<(ValidatorIndex, SigningKey)>,
}

impl Ed25519Scheme {
    /// A scheme for `validators` (in validator-index order), signing with `key` if it is one of
    /// them; an observer passes `None`.
    pub fn new(
        chain_id: ChainId,
        validators: Vec<NamedKey>,
        key: Option<SigningKey>,
    ) -> Result<Self, Error> {
        if validators.is_empty() || validators.len() > crate::message::MAX_VALIDATORS {
            return Err(Error::Config(format!(
                "a validator set has 1 to {} members, not {}",
                crate::message::MAX_VALIDATORS,
                validators.len()
            )));
        }
        for v in &validators {
            check_key_name(&v.name).map_err(|e| Error::Config(e.to_string()))?;
        }
        let me = match key {
            None => None,
            Some(key) => {
                let public = key.public_key();
                let index = validators
                    .iter()
                    .position(|v| v.key == public)
                    .ok_or_else(|| {
                        Error::Config(format!("key {public} is not in the validator set"))
                    })?;
                Some((index as ValidatorIndex, key))
            }
        };
        Ok(Ed25519Scheme {
            chain_id,
            validators,
            me,
        })
    }

    /// The validators, in index order.
    pub fn validators(&self) -> &[NamedKey] {
        &self.validators
    }

    /// A finalization as a checkpoint note with one signature line per signer.
    pub fn signed_checkpoint(&self, cert: &Finalization) -> Result<SignedCheckpoint, Error> {
        let mut signed = SignedCheckpoint::unsigned(cert.checkpoint.clone());
        for s in cert.signatures.iter() {
            let v = self
                .validators
                .get(s.index as usize)
                .ok_or(Error::UnknownValidator(s.index))?;
            signed
                .add_line(NoteSignature {
                    name: v.name.clone(),
                    key_id: key_id(&v.name, &v.key),
                    signature: s.signature.0.to_vec(),
                })
                .map_err(|e| Error::Certificate(e.to_string()))?;
        }
        Ok(signed)
    }
}

impl Scheme for Ed25519Scheme {
    fn me(&self) -> Option<ValidatorIndex> {
        self.me.as_ref().map(|(i, _)| *i)
    }

    fn sign(&self, what: &Signable<'_>) -> Option<Sig> {
        let (_, key) = self.me.as_ref()?;
        let bytes = signed_bytes(&self.chain_id, what);
        let sig = match what {
            Signable::Finalize { .. } => key.sign_raw(&bytes),
            _ => key.sign(SigningDomain::Vote, &bytes),
        };
        Some(Sig(*sig.as_bytes()))
    }

    fn verify(&self, signer: ValidatorIndex, what: &Signable<'_>, sig: &Sig) -> bool {
        let Some(v) = self.validators.get(signer as usize) else {
            return false;
        };
        let Ok(sig) = crate::types::Signature::from_bytes(&sig.0) else {
            return false;
        };
        let bytes = signed_bytes(&self.chain_id, what);
        match what {
            Signable::Finalize { .. } => v.key.verify_raw(&bytes, &sig).is_ok(),
            _ => v.key.verify(SigningDomain::Vote, &bytes, &sig).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Signer, checkpoint_of};
    use crate::types::encoding::BoundedVec;
    use crate::types::{BlockHeader, Hash, KeyBytes};

    fn set(n: usize) -> (Vec<SigningKey>, Vec<NamedKey>) {
        let keys: Vec<SigningKey> = (0..n).map(|i| SigningKey::dev(&format!("v{i}"))).collect();
        let named = keys
            .iter()
            .enumerate()
            .map(|(i, k)| NamedKey {
                name: format!("regulator-{i}"),
                key: k.public_key(),
            })
            .collect();
        (keys, named)
    }

    fn chain() -> ChainId {
        ChainId::new("test-1").expect("chain id")
    }

    #[test]
    fn votes_verify_only_for_their_signer_view_and_kind() {
        let (keys, named) = set(4);
        let s1 = Ed25519Scheme::new(chain(), named.clone(), Some(keys[1].clone())).expect("s1");
        let obs = Ed25519Scheme::new(chain(), named, None).expect("observer");
        assert_eq!(s1.me(), Some(1));
        assert_eq!(obs.me(), None);
        assert!(obs.sign(&Signable::Nullify { view: 3 }).is_none());
        let block = Hash::from([7; 32]);
        let what = Signable::Notarize {
            view: 3,
            block: &block,
        };
        let sig = s1.sign(&what).expect("validator signs");
        assert!(obs.verify(1, &what, &sig));
        assert!(!obs.verify(2, &what, &sig), "another signer");
        assert!(!obs.verify(9, &what, &sig), "unknown index");
        assert!(!obs.verify(
            1,
            &Signable::Notarize {
                view: 4,
                block: &block
            },
            &sig
        ));
        assert!(!obs.verify(1, &Signable::Nullify { view: 3 }, &sig));
        let other_chain = Ed25519Scheme::new(
            ChainId::new("test-2").expect("chain"),
            obs.validators().to_vec(),
            None,
        )
        .expect("scheme");
        assert!(!other_chain.verify(1, &what, &sig), "another chain");
    }

    #[test]
    fn a_finalization_is_a_cosigned_checkpoint_note() {
        let (keys, named) = set(4);
        let header = BlockHeader {
            chain_id: chain(),
            height: 5,
            view: 9,
            parent: Hash::from([1; 32]),
            time: 100,
            proposer: KeyBytes::from(keys[1].public_key()),
            seed_proof: liangxin_types::VrfProof::ZERO,
            tx_count: 0,
            body_hash: Hash::ZERO,
            log_size: 10,
            log_root: Hash::from([2; 32]),
            state_root: Hash::from([3; 32]),
        };
        let cp = checkpoint_of(&header, header.hash().expect("hash"));
        let signatures = (0..3)
            .map(|i| {
                let s = Ed25519Scheme::new(chain(), named.clone(), Some(keys[i].clone()))
                    .expect("scheme");
                Signer {
                    index: i as u32,
                    signature: s
                        .sign(&Signable::Finalize { checkpoint: &cp })
                        .expect("signs"),
                }
            })
            .collect();
        let cert = Finalization {
            view: 9,
            checkpoint: cp,
            signatures: BoundedVec::new(signatures).expect("bounded"),
        };
        let obs = Ed25519Scheme::new(chain(), named.clone(), None).expect("observer");
        let note = obs.signed_checkpoint(&cert).expect("note");
        let list: Vec<(String, PublicKey)> =
            named.iter().map(|v| (v.name.clone(), v.key)).collect();
        let text = note.to_note().expect("note text");
        let parsed = SignedCheckpoint::parse_note(&text).expect("parses");
        assert_eq!(
            parsed.verify(&list, 3).expect("3 of 4 verify"),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn a_key_outside_the_set_is_refused() {
        let (_, named) = set(4);
        let stranger = SigningKey::dev("stranger");
        assert!(Ed25519Scheme::new(chain(), named, Some(stranger)).is_err());
        assert!(Ed25519Scheme::new(chain(), vec![], None).is_err());
    }
}
