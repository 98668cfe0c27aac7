//! What validators say to each other: votes, proposals and the certificates quorums of votes make.
//!
//! Every message has one canonical encoding (BCS through [`Canonical`]), bounded in size, so the
//! p2p layer can decode untrusted bytes without surprises. Signatures are checked by the state
//! machine through a [`Scheme`](crate::Scheme), never here.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::checkpoint::Checkpoint;
use crate::types::crypto::{deserialize_fixed, serialize_fixed};
use crate::types::encoding::BoundedVec;
use crate::types::{BlockHeader, Canonical, Hash};

/// A consensus view (Simplex's "iteration"): views start at 1; genesis is view 0.
pub type View = u64;

/// A validator's position in the validator set (the order of the genesis or governance list).
pub type ValidatorIndex = u32;

/// Most validators a certificate may name.
pub const MAX_VALIDATORS: usize = 256;

/// Largest encoded consensus message (a proposal carries only a header; bodies travel beside it).
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// A 64-byte signature as the scheme made it (Ed25519 on a real network). Its validity is the
/// scheme's business; the type only carries the bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sig(pub [u8; 64]);

impl std::fmt::Debug for Sig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sig({}…)", hex_prefix(&self.0))
    }
}

fn hex_prefix(b: &[u8]) -> String {
    b.iter().take(4).map(|x| format!("{x:02x}")).collect()
}

impl Serialize for Sig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_fixed(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Sig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Sig(deserialize_fixed::<64, D>(d, "signature")?))
    }
}

/// What a signature covers. [`Scheme`](crate::Scheme)s turn it into bytes; the Ed25519 scheme
/// signs notarize and nullify votes in the `Vote` signing domain and the finalize vote as a
/// checkpoint note signature, so a quorum of finalize votes *is* a cosigned checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signable<'a> {
    /// "In `view` I vote for `block`" (a leader's proposal is its own notarize vote).
    Notarize {
        /// The view.
        view: View,
        /// The block hash.
        block: &'a Hash,
    },
    /// "I give up on `view`".
    Nullify {
        /// The view.
        view: View,
    },
    /// "This checkpoint is final": the signed-note body of the block's checkpoint.
    Finalize {
        /// The checkpoint.
        checkpoint: &'a Checkpoint,
    },
}

/// A notarize vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notarize {
    /// The view.
    pub view: View,
    /// The block voted for.
    pub block: Hash,
    /// Who votes.
    pub signer: ValidatorIndex,
    /// Over [`Signable::Notarize`].
    pub signature: Sig,
}

/// A nullify vote: the view timed out (or its proposal was invalid) for this validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nullify {
    /// The view.
    pub view: View,
    /// Who votes.
    pub signer: ValidatorIndex,
    /// Over [`Signable::Nullify`].
    pub signature: Sig,
}

/// A finalize vote: a signature on the checkpoint of the block notarized in `view`, sent only by a
/// validator that did not nullify `view`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finalize {
    /// The view of the block (not signed: the checkpoint's block hash commits to the header, whose
    /// view is checked against this one before the vote is used).
    pub view: View,
    /// The checkpoint after the block.
    pub checkpoint: Checkpoint,
    /// Who votes.
    pub signer: ValidatorIndex,
    /// Over [`Signable::Finalize`].
    pub signature: Sig,
}

/// A leader's proposal: the block header and the leader's notarize signature on it. The body
/// travels beside it (the host's business); the header commits to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The header; its `view` is the proposal's view and its `proposer` the view's leader.
    pub header: BlockHeader,
    /// The leader's [`Signable::Notarize`] signature on `(header.view, hash(header))`.
    pub signature: Sig,
}

/// One signature in a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// Who signed.
    pub index: ValidatorIndex,
    /// The signature.
    pub signature: Sig,
}

/// A quorum of notarize votes for one block in one view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notarization {
    /// The view.
    pub view: View,
    /// The block.
    pub block: Hash,
    /// Distinct signers, in index order.
    pub signatures: BoundedVec<Signer, MAX_VALIDATORS>,
}

/// A quorum of nullify votes for one view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nullification {
    /// The view.
    pub view: View,
    /// Distinct signers, in index order.
    pub signatures: BoundedVec<Signer, MAX_VALIDATORS>,
}

/// A quorum of finalize votes for one checkpoint: with the validators' names it is a checkpoint
/// note cosigned by a quorum (see [`crate::Ed25519Scheme::signed_checkpoint`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finalization {
    /// The view of the finalized block (not signed; checked against the header before use).
    pub view: View,
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Distinct signers, in index order.
    pub signatures: BoundedVec<Signer, MAX_VALIDATORS>,
}

/// Everything a validator sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// A leader's block.
    Proposal(Proposal),
    /// A notarize vote.
    Notarize(Notarize),
    /// A nullify vote.
    Nullify(Nullify),
    /// A finalize vote.
    Finalize(Finalize),
    /// A notarization certificate.
    Notarization(Notarization),
    /// A nullification certificate.
    Nullification(Nullification),
    /// A finalization certificate.
    Finalization(Finalization),
}

impl Canonical for Message {
    const NAME: &'static str = "consensus message";
    const MAX_SIZE: usize = MAX_MESSAGE_SIZE;
}

impl Message {
    /// The view the message is about (a finalization's claimed view).
    pub fn view(&self) -> View {
        match self {
            Message::Proposal(p) => p.header.view,
            Message::Notarize(v) => v.view,
            Message::Nullify(v) => v.view,
            Message::Finalize(v) => v.view,
            Message::Notarization(c) => c.view,
            Message::Nullification(c) => c.view,
            Message::Finalization(c) => c.view,
        }
    }

    /// A short name for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Proposal(_) => "proposal",
            Message::Notarize(_) => "notarize",
            Message::Nullify(_) => "nullify",
            Message::Finalize(_) => "finalize",
            Message::Notarization(_) => "notarization",
            Message::Nullification(_) => "nullification",
            Message::Finalization(_) => "finalization",
        }
    }
}

/// One of this validator's own votes, as it must be persisted before it is sent (so that after a
/// restart it never signs a conflicting one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vote {
    /// A notarize vote (or the proposal the leader signed, which is one).
    Notarize(Notarize),
    /// A nullify vote.
    Nullify(Nullify),
    /// A finalize vote.
    Finalize(Finalize),
    /// Not a vote: the notarization a finalize vote of this validator rests on, persisted with
    /// it. A validator that finalize-voted a view can no longer nullify it, so after a restart
    /// this certificate may be the only way left for it, and for peers it reaches, out of that
    /// view.
    Notarized(Notarization),
}

impl Canonical for Vote {
    const NAME: &'static str = "consensus vote";
    const MAX_SIZE: usize = 4096;
}

impl Vote {
    /// The view voted in.
    pub fn view(&self) -> View {
        match self {
            Vote::Notarize(v) => v.view,
            Vote::Nullify(v) => v.view,
            Vote::Finalize(v) => v.view,
            Vote::Notarized(c) => c.view,
        }
    }

    /// The message that carries the vote.
    pub fn to_message(&self) -> Message {
        match self {
            Vote::Notarize(v) => Message::Notarize(v.clone()),
            Vote::Nullify(v) => Message::Nullify(v.clone()),
            Vote::Finalize(v) => Message::Finalize(v.clone()),
            Vote::Notarized(c) => Message::Notarization(c.clone()),
        }
    }
}

/// The checkpoint a block's finalize votes sign: the header's log and state after the block.
pub fn checkpoint_of(header: &BlockHeader, block_hash: Hash) -> Checkpoint {
    Checkpoint {
        chain_id: header.chain_id.clone(),
        log_size: header.log_size,
        log_root: header.log_root,
        height: header.height,
        block_hash,
        state_root: header.state_root,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ChainId, KeyBytes};
    use proptest::prelude::*;

    fn header(view: u64, seed: u8) -> BlockHeader {
        BlockHeader {
            chain_id: ChainId::new("test-1").expect("chain id"),
            height: view,
            view,
            parent: Hash::from([seed; 32]),
            time: 1,
            proposer: KeyBytes([seed; 32]),
            seed_proof: liangxin_types::VrfProof::ZERO,
            tx_count: 0,
            body_hash: Hash::ZERO,
            log_size: 0,
            log_root: Hash::ZERO,
            state_root: Hash::ZERO,
        }
    }

    fn signers(n: u32, b: u8) -> BoundedVec<Signer, MAX_VALIDATORS> {
        BoundedVec::new(
            (0..n)
                .map(|index| Signer {
                    index,
                    signature: Sig([b; 64]),
                })
                .collect(),
        )
        .expect("bounded")
    }

    fn any_message() -> impl Strategy<Value = Message> {
        (0u8..7, any::<u64>(), any::<u8>(), 0u32..40).prop_map(|(k, view, b, n)| {
            let h = header(view, b);
            let cp = checkpoint_of(&h, Hash::from([b; 32]));
            match k {
                0 => Message::Proposal(Proposal {
                    header: h,
                    signature: Sig([b; 64]),
                }),
                1 => Message::Notarize(Notarize {
                    view,
                    block: Hash::from([b; 32]),
                    signer: n,
                    signature: Sig([b; 64]),
                }),
                2 => Message::Nullify(Nullify {
                    view,
                    signer: n,
                    signature: Sig([b; 64]),
                }),
                3 => Message::Finalize(Finalize {
                    view,
                    checkpoint: cp,
                    signer: n,
                    signature: Sig([b; 64]),
                }),
                4 => Message::Notarization(Notarization {
                    view,
                    block: Hash::from([b; 32]),
                    signatures: signers(n, b),
                }),
                5 => Message::Nullification(Nullification {
                    view,
                    signatures: signers(n, b),
                }),
                _ => Message::Finalization(Finalization {
                    view,
                    checkpoint: cp,
                    signatures: signers(n, b),
                }),
            }
        })
    }

    proptest! {
        #[test]
        fn messages_round_trip(m in any_message()) {
            let bytes = m.to_canonical().expect("encodes");
            prop_assert_eq!(Message::from_canonical(&bytes).expect("decodes"), m);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Message::from_canonical(&bytes);
            let _ = Vote::from_canonical(&bytes);
        }

        #[test]
        fn truncated_messages_are_refused(m in any_message(), cut in 1usize..64) {
            let bytes = m.to_canonical().expect("encodes");
            let cut = cut.min(bytes.len());
            prop_assert!(Message::from_canonical(&bytes[..bytes.len() - cut]).is_err());
        }
    }

    #[test]
    fn oversized_messages_are_refused_before_decoding() {
        let bytes = vec![0u8; MAX_MESSAGE_SIZE + 1];
        assert!(Message::from_canonical(&bytes).is_err());
    }
}
