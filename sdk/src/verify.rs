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
//! - **state proofs**: the rows an answer is built from, proven against the checkpoint's
//!   state root by sparse Merkle proofs (`liangxin-state`), and the answer checked against
//!   them ([`verify_operator_state`] and its siblings): an operator's profile and that its
//!   entry list is *complete* (the proven entry chain), an instrument's state, a certificate's
//!   presence or absence, a draw's result and snapshot. What the proofs do not cover (the
//!   grade, computed from rows not proven yet) is listed in
//!   [`StateProofStatus::Verified::not_proven`]; a node that sends no proof gets
//!   [`StateProofStatus::NotProvided`].

use liangxin_contracts::Record;
use liangxin_contracts::genesis::Genesis;
use liangxin_contracts::store::{
    CertificateEntry, DrawResult, EntryChain, InstrumentState, OperatorState, PendingDraw, decode,
    keys,
};
use liangxin_rpc::dto::{
    CertificateInfo, ChainInfo, CheckpointInfo, ConsistencyProof, DrawInfo, DrawResolution,
    EntryInfo, InclusionProof, InstrumentInfo, OperatorInfo, StateProofSet,
};
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

/// What the state proof that came with an answer established.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum StateProofStatus {
    /// The node sent none (`null`): facts read from state (a grade, an instrument's status,
    /// *completeness* of an entry list) are the node's word, not proven.
    NotProvided,
    /// The node sent something this SDK cannot check: treated as not proven.
    NotVerifiable,
    /// Every row's proof verified against the checkpoint's state root, and the answer agrees
    /// with the proven rows.
    Verified {
        /// What the proven rows establish, for a person (e.g. "profile", "the entry list is
        /// complete").
        proven: Vec<String>,
        /// What the answer shows that the proofs do not cover (e.g. "grade").
        not_proven: Vec<String>,
    },
}

impl StateProofStatus {
    /// The status of an answer's `state_proof` value before checking it: `NotProvided` for
    /// `null`, otherwise `NotVerifiable` (use the `verify_*_state` functions to check it).
    pub fn of(value: &serde_json::Value) -> Self {
        if value.is_null() {
            StateProofStatus::NotProvided
        } else {
            StateProofStatus::NotVerifiable
        }
    }

    /// Whether proofs were checked and verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, StateProofStatus::Verified { .. })
    }
}

/// The proven rows of an answer, by row name: key and value (`None` = proven absent).
type ProvenRows = Vec<(String, Vec<u8>, Option<Vec<u8>>)>;

/// Checks every row's sparse Merkle proof against `state_root` (the verified checkpoint's).
fn proven_rows(
    value: &serde_json::Value,
    state_root: &Hash,
) -> Result<Option<ProvenRows>, VerifyError> {
    let bad = |m: String| VerifyError::State(m);
    let Some(set) = StateProofSet::from_value(value).map_err(|e| bad(e.to_string()))? else {
        return Ok(None);
    };
    if &set.state_root != state_root {
        return Err(bad(format!(
            "the proofs are for state root {}, the checkpoint's is {state_root}",
            set.state_root
        )));
    }
    let mut out = Vec::with_capacity(set.rows.len());
    for row in &set.rows {
        let key = row.key_bytes().map_err(|e| bad(e.to_string()))?;
        let value = row.value_bytes().map_err(|e| bad(e.to_string()))?;
        row.proof
            .verify(state_root, &key, value.as_deref())
            .map_err(|e| bad(format!("row {}: {e}", row.row)))?;
        out.push((row.row.clone(), key, value));
    }
    Ok(Some(out))
}

/// The row named `name` with key `key`; its decoded value (`None` = proven absent).
fn row<T: serde::de::DeserializeOwned>(
    rows: &ProvenRows,
    name: &str,
    key: &[u8],
) -> Result<Option<T>, VerifyError> {
    let (_, _, value) = rows
        .iter()
        .find(|(n, k, _)| n == name && k == key)
        .ok_or_else(|| VerifyError::State(format!("no proof of the {name} row of this answer")))?;
    value
        .as_deref()
        .map(|v| decode::<T>(v).map_err(|e| VerifyError::State(format!("row {name}: {e}"))))
        .transpose()
}

fn entry_chain(entries: &[EntryInfo]) -> Result<EntryChain, VerifyError> {
    let mut chain = EntryChain::default();
    for e in entries {
        let bytes = e
            .tx_bytes()
            .map_err(|err| VerifyError::Inclusion(err.to_string()))?;
        chain.extend(e.leaf_index, &liangxin_types::tx::tx_id(&bytes));
    }
    Ok(chain)
}

fn mismatch(what: &str) -> VerifyError {
    VerifyError::State(format!(
        "the answer's {what} is not what the proven state holds"
    ))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

/// Follows the validator set from `genesis` (the set a client pins) through an
/// `lx_validatorSets` answer: each change's checkpoint must be signed by a quorum of the set
/// before it, and its proof of the `validators` row must verify under that checkpoint's state
/// root and list exactly the validators the change names. Returns the sets in force, oldest
/// first, each with the first height it signs (genesis: 1).
pub fn follow_validator_sets(
    genesis: &ValidatorSet,
    answer: &liangxin_rpc::dto::ValidatorSets,
) -> Result<Vec<(u64, ValidatorSet)>, VerifyError> {
    let mut sets = vec![(1, genesis.clone())];
    let mut last = 0;
    for change in &answer.changes {
        let h = change.height;
        let what = format!("validator-set change at height {h}");
        if h <= last {
            return Err(VerifyError::State(format!("{what}: heights must increase")));
        }
        last = h;
        let current = &sets[sets.len() - 1].1;
        let cp = verify_note(current, &change.checkpoint.note).map_err(|e| {
            VerifyError::Checkpoint(format!("{what}: not signed by the set before it: {e}"))
        })?;
        if cp.checkpoint.height != h {
            return Err(VerifyError::Checkpoint(format!(
                "{what}: the checkpoint is of height {}",
                cp.checkpoint.height
            )));
        }
        let rows = proven_rows(&change.state_proof, &cp.checkpoint.state_root)
            .map_err(|e| VerifyError::State(format!("{what}: {e}")))?
            .ok_or_else(|| VerifyError::State(format!("{what}: no state proof")))?;
        let row: liangxin_contracts::store::ValidatorSetRow =
            row(&rows, "validators", &keys::validators())?
                .ok_or_else(|| VerifyError::State(format!("{what}: the set row is absent")))?;
        let mut validators = Vec::with_capacity(row.validators.len());
        for v in &row.validators {
            let key = v
                .key
                .to_public_key()
                .map_err(|e| VerifyError::State(format!("{what}: {e}")))?;
            validators.push((v.name.to_string(), key));
        }
        let listed: Vec<(String, PublicKey)> = change
            .validators
            .iter()
            .map(|v| (v.name.clone(), v.public_key))
            .collect();
        if listed != validators {
            return Err(VerifyError::State(format!(
                "{what}: the validators listed are not the proven ones"
            )));
        }
        let quorum = bft_quorum(validators.len());
        let next = ValidatorSet::new(current.chain_id().clone(), validators, quorum)?;
        sets.push((h + 1, next));
    }
    Ok(sets)
}

/// Checks `lx_operator`'s state proof against the verified checkpoint: the profile is the
/// proven `operator` row, and the entries (in order) make the proven entry chain, so none is
/// missing. The grade and the instruments are not covered.
pub fn verify_operator_state(
    info: &OperatorInfo,
    checkpoint: &Checkpoint,
) -> Result<StateProofStatus, VerifyError> {
    let Some(rows) = proven_rows(&info.state_proof, &checkpoint.state_root)? else {
        return Ok(StateProofStatus::of(&info.state_proof));
    };
    let profile: Option<OperatorState> = row(&rows, "operator", &keys::operator(&info.uscc))?;
    if profile.as_ref() != Some(&info.profile) {
        return Err(mismatch("operator profile"));
    }
    let chain: EntryChain = row(
        &rows,
        "operator_entries",
        &keys::operator_entries(&info.uscc),
    )?
    .unwrap_or_default();
    if chain != entry_chain(&info.entries)? {
        return Err(VerifyError::State(format!(
            "the entry list ({} entries) is not the proven one ({} entries): an entry is \
             missing, extra or out of order",
            info.entries.len(),
            chain.count
        )));
    }
    Ok(StateProofStatus::Verified {
        proven: strings(&["profile", "the entry list is complete"]),
        not_proven: strings(&["grade", "instruments"]),
    })
}

/// Checks `lx_instrument`'s state proof: the state is the proven `instrument` row and the
/// entries make its proven entry chain.
pub fn verify_instrument_state(
    info: &InstrumentInfo,
    checkpoint: &Checkpoint,
) -> Result<StateProofStatus, VerifyError> {
    let Some(rows) = proven_rows(&info.state_proof, &checkpoint.state_root)? else {
        return Ok(StateProofStatus::of(&info.state_proof));
    };
    let state: Option<InstrumentState> = row(&rows, "instrument", &keys::instrument(&info.id))?;
    if state.as_ref() != Some(&info.state) {
        return Err(mismatch("instrument state"));
    }
    let chain: EntryChain = row(
        &rows,
        "instrument_entries",
        &keys::instrument_entries(&info.id),
    )?
    .unwrap_or_default();
    if chain != entry_chain(&info.entries)? {
        return Err(VerifyError::State(
            "the instrument's entry list is not the proven one".into(),
        ));
    }
    Ok(StateProofStatus::Verified {
        proven: strings(&["instrument state", "the entry list is complete"]),
        not_proven: strings(&["status (computed from the state and the block time)"]),
    })
}

/// Checks `lx_certificate`'s state proof: presence or absence of the `certificate` row agrees
/// with `on_ledger` and `entry`; when valid is claimed, the proven instrument's latest
/// verification is this certificate's and the instrument is not retired.
pub fn verify_certificate_state(
    info: &CertificateInfo,
    checkpoint: &Checkpoint,
) -> Result<StateProofStatus, VerifyError> {
    let Some(rows) = proven_rows(&info.state_proof, &checkpoint.state_root)? else {
        return Ok(StateProofStatus::of(&info.state_proof));
    };
    let entry: Option<CertificateEntry> =
        row(&rows, "certificate", &keys::certificate(&info.digest))?;
    if entry.is_some() != info.on_ledger || entry != info.entry {
        return Err(mismatch("certificate"));
    }
    let Some(entry) = entry else {
        return Ok(StateProofStatus::Verified {
            proven: strings(&["the certificate is not on the ledger"]),
            not_proven: Vec::new(),
        });
    };
    let instrument: Option<InstrumentState> =
        row(&rows, "instrument", &keys::instrument(&entry.instrument))?;
    if info.valid {
        let current = instrument.as_ref().is_some_and(|i| {
            i.retired.is_none()
                && i.last_verification
                    .as_ref()
                    .is_some_and(|v| v.tx == entry.tx)
        });
        if !entry.passed || !current {
            return Err(mismatch(
                "validity (the proven state says superseded, retired or failed)",
            ));
        }
    }
    Ok(StateProofStatus::Verified {
        proven: strings(&[
            "the certificate entry",
            "its instrument's latest verification",
        ]),
        not_proven: strings(&["the end of validity against the block time"]),
    })
}

/// Checks a resolved draw's block seed against `set`: the resolving block's header proves it
/// with its proposer's VRF proof (`liangxin_types::vrf`, over the header's height and parent),
/// the proposer is a validator of `set`, and the header is final: `final_checkpoint` is signed
/// by a quorum of `set`, and its block is the header itself or the last of `descendants`, each
/// of which extends the one before it by parent hash.
pub fn verify_block_seed(set: &ValidatorSet, res: &DrawResolution) -> Result<(), VerifyError> {
    let seed = res
        .header
        .seed()
        .map_err(|e| VerifyError::Mismatch(format!("the resolving block's seed proof: {e}")))?;
    if res.header.height != res.height || seed != res.block_seed {
        return Err(VerifyError::Mismatch(
            "the block seed is not the resolving block's VRF output".into(),
        ));
    }
    if !set
        .validators()
        .iter()
        .any(|(_, key)| res.header.proposer == *key)
    {
        return Err(VerifyError::Mismatch(
            "the resolving block's proposer is not a validator".into(),
        ));
    }
    let verified = verify_checkpoint(set, &res.final_checkpoint)?;
    let hash_of = |h: &liangxin_types::BlockHeader| {
        h.hash()
            .map_err(|e| VerifyError::Mismatch(format!("a header does not encode: {e}")))
    };
    let mut hash = hash_of(&res.header)?;
    let mut height = res.header.height;
    for d in &res.descendants {
        if d.height != height.saturating_add(1) || d.parent != hash {
            return Err(VerifyError::Mismatch(format!(
                "the header at height {} does not extend the one before it",
                d.height
            )));
        }
        hash = hash_of(d)?;
        height = d.height;
    }
    if verified.checkpoint.height != height || verified.checkpoint.block_hash != hash {
        return Err(VerifyError::Mismatch(format!(
            "the header shown is not the block final at height {}",
            res.height
        )));
    }
    Ok(())
}

/// Checks `lx_draw`'s state proof: the proven `draw` row (or `pending_draw` row) holds the
/// request, rates, candidates snapshot and, once resolved, the seed and selection shown.
pub fn verify_draw_state(
    info: &DrawInfo,
    checkpoint: &Checkpoint,
) -> Result<StateProofStatus, VerifyError> {
    let Some(rows) = proven_rows(&info.state_proof, &checkpoint.state_root)? else {
        return Ok(StateProofStatus::of(&info.state_proof));
    };
    match &info.resolution {
        Some(res) => {
            let d: DrawResult = row(&rows, "draw", &keys::draw(&info.id))?
                .ok_or_else(|| mismatch("draw (the proven state has no result)"))?;
            if d.request != info.request
                || d.seed != res.seed
                || d.height != res.height
                || d.targets != res.targets
                || d.snapshot != info.candidates
                || d.sample_rates_ppm != info.sample_rates_ppm
            {
                return Err(mismatch("draw result"));
            }
        }
        None => {
            let p: PendingDraw = row(&rows, "pending_draw", &keys::pending_draw(&info.id))?
                .ok_or_else(|| mismatch("pending draw (the proven state has none)"))?;
            if p.request != info.request
                || p.candidates != info.candidates
                || p.sample_rates_ppm != info.sample_rates_ppm
            {
                return Err(mismatch("pending draw"));
            }
        }
    }
    Ok(StateProofStatus::Verified {
        proven: strings(&[
            "request",
            "sample rates",
            "candidates snapshot",
            "seed and selection",
        ]),
        not_proven: strings(&[
            "that the snapshot lists the jurisdiction's operators with their grades",
        ]),
    })
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
    /// What the state proofs established (or that there were none).
    pub state_proof: StateProofStatus,
}

impl Verified {
    /// Whether the state proofs verified too (then what they do not cover is listed in
    /// `state_proof`).
    pub fn is_complete(&self) -> bool {
        self.state_proof.is_verified()
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
