//! Proof verification, as pure functions over the node's answers, and a [`LightClient`] that
//! follows the log.
//!
//! What can be verified today:
//!
//! - a **checkpoint**: its signed note carries valid signatures of at least a quorum of the
//!   pinned validator set, it is for the pinned chain, and its convenience fields say what the
//!   note says ([`verify_checkpoint`]);
//! - the **inclusion** of an entry: the leaf hash of the entry's canonical transaction bytes,
//!   with the audit path, leads to the checkpoint's log root; the bytes decode to a
//!   transaction for this chain whose signature verifies and whose record is the record shown
//!   ([`verify_entry`], [`verify_inclusion`]);
//! - the **consistency** of two checkpoints: the older log is a prefix of the newer one
//!   ([`verify_consistency`]);
//! - **state proofs** are not built by the node yet: every answer's `state_proof` is `null`.
//!   So "these are *all* of the operator's entries" and "its grade is B" are not proven, and
//!   [`Verified::state_proof`] says so ([`StateProofStatus::NotProvided`]) rather than
//!   pretend.

use liangxin_contracts::Record;
use liangxin_contracts::genesis::Genesis;
use liangxin_rpc::dto::{ChainInfo, CheckpointInfo, ConsistencyProof, EntryInfo, InclusionProof};
use liangxin_types::checkpoint::{Checkpoint, SignedCheckpoint};
use liangxin_types::log::{self, Blake3, LogHasher};
use liangxin_types::tx::{ChainId, VerifiedTx};
use liangxin_types::{Hash, PublicKey};
use serde::{Deserialize, Serialize};

use crate::error::VerifyError;

/// The validators whose signatures make a checkpoint final, pinned by the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorSet {
    chain_id: ChainId,
    validators: Vec<(String, PublicKey)>,
    quorum: usize,
}

/// The BFT quorum of `n` validators: `n - f` with `f = ⌊(n-1)/3⌋` (2f+1 when `n = 3f+1`).
pub fn bft_quorum(n: usize) -> usize {
    n - n.saturating_sub(1) / 3
}

impl ValidatorSet {
    /// A validator set. Names and keys must be distinct, and the quorum more than two thirds
    /// of the set (and at most all of it): a smaller one would let a minority finalise.
    pub fn new(
        chain_id: ChainId,
        validators: Vec<(String, PublicKey)>,
        quorum: usize,
    ) -> Result<Self, VerifyError> {
        let n = validators.len();
        if n == 0 {
            return Err(VerifyError::Checkpoint("the validator set is empty".into()));
        }
        if quorum > n || 3 * quorum <= 2 * n {
            return Err(VerifyError::Checkpoint(format!(
                "a quorum of {quorum} of {n} validators is not more than two thirds; refusing it"
            )));
        }
        for (i, (name, key)) in validators.iter().enumerate() {
            if validators[..i]
                .iter()
                .any(|(n2, k2)| n2 == name || k2 == key)
            {
                return Err(VerifyError::Checkpoint(format!(
                    "validator {name:?} is listed twice (by name or key)"
                )));
            }
        }
        Ok(ValidatorSet {
            chain_id,
            validators,
            quorum,
        })
    }

    /// The set a node reports in `lx_chainInfo`. Pinning it from a node trusts that node
    /// once (trust on first use); pin from the genesis file to trust no node.
    pub fn from_chain_info(info: &ChainInfo) -> Result<Self, VerifyError> {
        Self::new(
            info.chain_id.clone(),
            info.validators
                .iter()
                .map(|v| (v.name.clone(), v.public_key))
                .collect(),
            info.quorum as usize,
        )
    }

    /// The set named in a genesis document, with the BFT quorum ([`bft_quorum`]).
    pub fn from_genesis(genesis: &Genesis) -> Result<Self, VerifyError> {
        let chain_id = genesis
            .chain_id()
            .map_err(|e| VerifyError::Checkpoint(format!("genesis: {e}")))?;
        let validators = genesis.validators();
        let quorum = bft_quorum(validators.len());
        Self::new(chain_id, validators, quorum)
    }

    /// The chain.
    pub fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    /// The validators: (name, key).
    pub fn validators(&self) -> &[(String, PublicKey)] {
        &self.validators
    }

    /// How many signatures make a checkpoint final.
    pub fn quorum(&self) -> usize {
        self.quorum
    }
}

/// A checkpoint whose signatures were verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCheckpoint {
    /// The checkpoint (chain, log size and root, height, block hash, state root).
    pub checkpoint: Checkpoint,
    /// The names of the validators whose signatures verified, in validator-set order.
    pub signed_by: Vec<String>,
    /// The quorum it was checked against.
    pub quorum: usize,
    /// The size of the validator set.
    pub validators: usize,
    /// The note, as received.
    pub note: String,
}

/// Verifies a signed note against the validator set: parses it, checks it is for the set's
/// chain, and that at least a quorum of the validators signed it (a line claiming to be by a
/// validator whose signature does not verify rejects the note).
pub fn verify_note(set: &ValidatorSet, note: &str) -> Result<VerifiedCheckpoint, VerifyError> {
    let signed =
        SignedCheckpoint::parse_note(note).map_err(|e| VerifyError::Checkpoint(e.to_string()))?;
    verify_signed(set, &signed, note)
}

fn verify_signed(
    set: &ValidatorSet,
    signed: &SignedCheckpoint,
    note: &str,
) -> Result<VerifiedCheckpoint, VerifyError> {
    let cp = signed.checkpoint();
    if cp.chain_id != set.chain_id {
        return Err(VerifyError::Checkpoint(format!(
            "checkpoint is for chain {:?}, the pinned chain is {:?}",
            cp.chain_id.as_str(),
            set.chain_id.as_str()
        )));
    }
    let idx = signed
        .verify(&set.validators, set.quorum)
        .map_err(|e| VerifyError::Checkpoint(e.to_string()))?;
    Ok(VerifiedCheckpoint {
        checkpoint: cp.clone(),
        signed_by: idx
            .into_iter()
            .filter_map(|i| set.validators.get(i).map(|(n, _)| n.clone()))
            .collect(),
        quorum: set.quorum,
        validators: set.validators.len(),
        note: note.to_string(),
    })
}

/// Verifies a checkpoint as the API returns it: its note ([`verify_note`]), and that its
/// convenience fields (height, log size, root, block hash, state root) say the same as the
/// note.
pub fn verify_checkpoint(
    set: &ValidatorSet,
    info: &CheckpointInfo,
) -> Result<VerifiedCheckpoint, VerifyError> {
    let signed = info
        .to_signed()
        .map_err(|e| VerifyError::Checkpoint(e.to_string()))?;
    verify_signed(set, &signed, &info.note)
}

/// The log leaf hash of a transaction's canonical bytes: `blake3(0x00 ‖ bytes)`.
pub fn leaf_hash(tx_bytes: &[u8]) -> Hash {
    Blake3::leaf(tx_bytes)
}

/// Verifies that `tx_bytes` are leaf `proof.leaf_index` of the log under `checkpoint`. The
/// proof must be for the checkpoint's log size.
pub fn verify_inclusion(
    tx_bytes: &[u8],
    proof: &InclusionProof,
    checkpoint: &Checkpoint,
) -> Result<(), VerifyError> {
    if proof.tree_size != checkpoint.log_size {
        return Err(VerifyError::Mismatch(format!(
            "inclusion proof is for a log of {} leaves, the checkpoint has {}",
            proof.tree_size, checkpoint.log_size
        )));
    }
    log::verify_inclusion::<Blake3>(
        &leaf_hash(tx_bytes),
        proof.leaf_index,
        proof.tree_size,
        &proof.hashes,
        &checkpoint.log_root,
    )
    .map_err(|e| {
        VerifyError::Inclusion(format!(
            "leaf {} under checkpoint at height {}: {e}",
            proof.leaf_index, checkpoint.height
        ))
    })
}

/// Verifies an entry: its bytes are included under `checkpoint` at its leaf index
/// ([`verify_inclusion`]), they decode to a transaction for the checkpoint's chain whose
/// signature verifies, and the record shown is exactly the one the bytes carry. Returns the
/// transaction.
pub fn verify_entry(
    entry: &EntryInfo,
    proof: &InclusionProof,
    checkpoint: &Checkpoint,
) -> Result<VerifiedTx, VerifyError> {
    if proof.leaf_index != entry.leaf_index {
        return Err(VerifyError::Mismatch(format!(
            "inclusion proof is for leaf {}, the entry is leaf {}",
            proof.leaf_index, entry.leaf_index
        )));
    }
    let bytes = entry
        .tx_bytes()
        .map_err(|e| VerifyError::Mismatch(format!("entry {}: {e}", entry.leaf_index)))?;
    verify_inclusion(&bytes, proof, checkpoint)?;
    let tx = VerifiedTx::decode(bytes, &checkpoint.chain_id).map_err(|e| {
        VerifyError::Mismatch(format!(
            "entry {}: the included bytes are not a valid transaction: {e}",
            entry.leaf_index
        ))
    })?;
    let record = Record::decode(tx.tx.body.kind, &tx.tx.body.payload)
        .map_err(|e| VerifyError::Mismatch(format!("entry {}: record: {e}", entry.leaf_index)))?;
    if record != entry.record {
        return Err(VerifyError::Mismatch(format!(
            "entry {}: the record shown is not the record its signed bytes carry",
            entry.leaf_index
        )));
    }
    Ok(tx)
}

/// Verifies that the log under `new` extends the log under `old`. Equal sizes need equal
/// roots; a smaller `new` is a rollback.
pub fn verify_consistency(
    old: &Checkpoint,
    new: &Checkpoint,
    proof: &ConsistencyProof,
) -> Result<(), VerifyError> {
    if old.chain_id != new.chain_id {
        return Err(VerifyError::Fork(format!(
            "checkpoints of different chains ({} and {})",
            old.chain_id, new.chain_id
        )));
    }
    if new.log_size < old.log_size {
        return Err(VerifyError::Rollback(format!(
            "log of {} leaves after one of {}",
            new.log_size, old.log_size
        )));
    }
    if new.log_size == old.log_size {
        return if new.log_root == old.log_root {
            Ok(())
        } else {
            Err(VerifyError::Fork(format!(
                "two different roots for a log of {} leaves",
                old.log_size
            )))
        };
    }
    if old.log_size == 0 {
        // Every log extends the empty one.
        return Ok(());
    }
    if proof.size1 != old.log_size || proof.size2 != new.log_size {
        return Err(VerifyError::Mismatch(format!(
            "consistency proof is for sizes {} → {}, the checkpoints have {} → {}",
            proof.size1, proof.size2, old.log_size, new.log_size
        )));
    }
    log::verify_consistency::<Blake3>(
        old.log_size,
        new.log_size,
        &proof.hashes,
        &old.log_root,
        &new.log_root,
    )
    .map_err(|e| {
        VerifyError::Consistency(format!(
            "log of {} leaves (height {}) → {} leaves (height {}): {e}",
            old.log_size, old.height, new.log_size, new.height
        ))
    })
}

/// What is known of the state proof that came with an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateProofStatus {
    /// The node sent none (`null`): the node does not build state proofs yet. Facts read from
    /// state (a grade, an instrument's status, *completeness* of an entry list) are the
    /// node's word, not proven.
    NotProvided,
    /// The node sent something this SDK cannot check yet: treated as not proven.
    NotVerifiable,
}

impl StateProofStatus {
    /// The status of an answer's `state_proof` value.
    pub fn of(value: &serde_json::Value) -> Self {
        if value.is_null() {
            StateProofStatus::NotProvided
        } else {
            StateProofStatus::NotVerifiable
        }
    }
}

/// How a checkpoint relates to the light client's previous one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Link {
    /// The first checkpoint this light client accepted: trusted on its signatures alone.
    First,
    /// The same log as the previous checkpoint (same size and root).
    Same,
    /// A consistency proof showed that it extends the previous checkpoint's log.
    Extends {
        /// The previous log size.
        from_size: u64,
        /// The new log size.
        to_size: u64,
    },
    /// An older checkpoint: a consistency proof showed that its log is a prefix of the
    /// latest one's.
    Prefix {
        /// Its log size.
        size: u64,
        /// The latest log size.
        latest_size: u64,
    },
}

/// What a verification established, and what it could not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// The checkpoint everything was checked against, with the validators that signed it.
    pub checkpoint: VerifiedCheckpoint,
    /// How that checkpoint links to the light client's history.
    pub link: Link,
    /// The leaf indexes whose inclusion (and signature, and record) verified.
    pub entries_included: Vec<u64>,
    /// The state proof: never claimed verified while the node builds none.
    pub state_proof: StateProofStatus,
}

impl Verified {
    /// Whether everything the answer claims is proven (false while state proofs are not
    /// provided).
    pub fn is_complete(&self) -> bool {
        false
    }
}

/// Keeps a pinned validator set and the latest verified checkpoint, and accepts a newer
/// checkpoint only with a valid consistency proof from the one it has.
#[derive(Clone, Debug)]
pub struct LightClient {
    set: ValidatorSet,
    latest: Option<VerifiedCheckpoint>,
}

impl LightClient {
    /// A light client with no checkpoint yet.
    pub fn new(set: ValidatorSet) -> Self {
        LightClient { set, latest: None }
    }

    /// A light client that starts from a checkpoint verified earlier (e.g. saved to disk);
    /// its signatures are checked again.
    pub fn with_checkpoint(set: ValidatorSet, note: &str) -> Result<Self, VerifyError> {
        let latest = verify_note(&set, note)?;
        Ok(LightClient {
            set,
            latest: Some(latest),
        })
    }

    /// The pinned validator set.
    pub fn validators(&self) -> &ValidatorSet {
        &self.set
    }

    /// The latest verified checkpoint.
    pub fn latest(&self) -> Option<&VerifiedCheckpoint> {
        self.latest.as_ref()
    }

    /// The log size of the latest checkpoint, if any: the `size1` a consistency proof for
    /// [`LightClient::update`] must start from.
    pub fn latest_size(&self) -> Option<u64> {
        self.latest.as_ref().map(|c| c.checkpoint.log_size)
    }

    /// Accepts `info` as the latest checkpoint: its signatures must reach the quorum, and,
    /// unless it is the first one, `proof` must show that its log extends the latest one's
    /// (a larger log needs a proof from the latest size; an equal size needs an equal root).
    /// A smaller log, or a lower height, is refused as a rollback; on any error the light
    /// client is unchanged.
    pub fn update(
        &mut self,
        info: &CheckpointInfo,
        proof: Option<&ConsistencyProof>,
    ) -> Result<(VerifiedCheckpoint, Link), VerifyError> {
        let new = verify_checkpoint(&self.set, info)?;
        let link = match &self.latest {
            None => Link::First,
            Some(old) => {
                let (o, n) = (&old.checkpoint, &new.checkpoint);
                if n.height < o.height {
                    return Err(VerifyError::Rollback(format!(
                        "checkpoint at height {} after one at height {}",
                        n.height, o.height
                    )));
                }
                if n.log_size < o.log_size {
                    return Err(VerifyError::Rollback(format!(
                        "log of {} leaves after one of {}",
                        n.log_size, o.log_size
                    )));
                }
                if n.height == o.height && n != o {
                    return Err(VerifyError::Fork(format!(
                        "two different checkpoints at height {}",
                        n.height
                    )));
                }
                if n.log_size == o.log_size {
                    verify_consistency(o, n, &empty_proof(o.log_size))?;
                    Link::Same
                } else {
                    let proof = proof.ok_or_else(|| {
                        VerifyError::Consistency(format!(
                            "a consistency proof from {} to {} leaves is needed",
                            o.log_size, n.log_size
                        ))
                    })?;
                    verify_consistency(o, n, proof)?;
                    Link::Extends {
                        from_size: o.log_size,
                        to_size: n.log_size,
                    }
                }
            }
        };
        self.latest = Some(new.clone());
        Ok((new, link))
    }

    /// Verifies a checkpoint that is not newer than the latest one (e.g. the checkpoint an
    /// answer was read at, when the light client has already moved on): its signatures, and
    /// `proof` from its size to the latest size. The latest checkpoint does not change.
    pub fn check_older(
        &self,
        info: &CheckpointInfo,
        proof: Option<&ConsistencyProof>,
    ) -> Result<(VerifiedCheckpoint, Link), VerifyError> {
        let old = verify_checkpoint(&self.set, info)?;
        let Some(latest) = &self.latest else {
            return Err(VerifyError::Consistency(
                "the light client has no checkpoint to compare with".into(),
            ));
        };
        let (o, l) = (&old.checkpoint, &latest.checkpoint);
        if o.height > l.height || o.log_size > l.log_size {
            return Err(VerifyError::Consistency(format!(
                "checkpoint at height {} is newer than the latest ({}): use update",
                o.height, l.height
            )));
        }
        if o.height == l.height && o != l {
            return Err(VerifyError::Fork(format!(
                "two different checkpoints at height {}",
                o.height
            )));
        }
        if o.log_size == l.log_size {
            verify_consistency(o, l, &empty_proof(o.log_size))?;
            return Ok((old, Link::Same));
        }
        let proof = proof.ok_or_else(|| {
            VerifyError::Consistency(format!(
                "a consistency proof from {} to {} leaves is needed",
                o.log_size, l.log_size
            ))
        })?;
        verify_consistency(o, l, proof)?;
        let link = Link::Prefix {
            size: o.log_size,
            latest_size: l.log_size,
        };
        Ok((old, link))
    }
}

fn empty_proof(size: u64) -> ConsistencyProof {
    ConsistencyProof {
        size1: size,
        size2: size,
        hashes: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
