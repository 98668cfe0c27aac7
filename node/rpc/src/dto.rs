//! The JSON shapes of the API: what each method takes and returns, shared by the server and the
//! client. Hashes, keys and bytes are lowercase hex strings without a `0x` prefix.
//!
//! Inputs (parameter objects) reject unknown fields; outputs accept them, so an older client
//! keeps working when a newer node adds a field.
//!
//! The `parse_*` functions are the input checks the server runs before it asks the backend;
//! clients may run them too, to fail before a round trip.

use liangxin_contracts::credit::GradeReport;
use liangxin_contracts::draws::Candidate;
use liangxin_contracts::instruments::InstrumentStatus;
use liangxin_contracts::records::RandomDrawRequest;
use liangxin_contracts::store::{
    CertificateEntry, DrawTarget, Holder, InstrumentState, OperatorState,
};
use liangxin_contracts::{InstrumentId, Record, Rejection, Time};
use liangxin_types::checkpoint::SignedCheckpoint;
use liangxin_types::encoding::{BoundedString, Canonical, MAX_TX_SIZE};
use liangxin_types::tx::{ChainId, RecordKind, SignedTx};
use liangxin_types::{HASH_LEN, Hash, PublicKey, Uscc};
use serde::{Deserialize, Serialize};

use crate::error::RpcError;

/// The most entries one `lx_entries` call returns.
pub const MAX_ENTRIES_PER_CALL: u64 = 1_000;

/// The longest `lx_submitAndWait` may wait, in milliseconds (below the jsonrpsee HTTP client's
/// default 60 s request timeout).
pub const MAX_WAIT_MS: u64 = 30_000;

/// The most hits one `lx_searchOperators` call returns (and its default).
pub const MAX_SEARCH_RESULTS: u32 = 50;

/// The longest `lx_searchOperators` query, in bytes.
pub const MAX_SEARCH_QUERY: usize = 128;

/// `lx_validatorSets`: every change of the validator set since genesis, each proven under
/// the checkpoint of the block that made it (signed by the set before it), so that a client
/// that pins the genesis validators can follow the set to today's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidatorSets {
    /// The changes, oldest first.
    pub changes: Vec<ValidatorSetChange>,
    /// The latest checkpoint, signed by the set of the last change (or genesis).
    pub checkpoint: CheckpointInfo,
}

/// One change of the validator set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidatorSetChange {
    /// The block that changed it; blocks after it are signed by the new set.
    pub height: u64,
    /// The new set, in name order.
    pub validators: Vec<ValidatorInfo>,
    /// A [`StateProofSet`] with the row `validators` (`node-index/validators`) under the
    /// state root of `checkpoint`.
    pub state_proof: serde_json::Value,
    /// The checkpoint of block `height`, signed by the set before the change.
    pub checkpoint: CheckpointInfo,
}

/// One `lx_findCertificates` hit: a certificate whose number is the one asked about;
/// `lx_certificate(digest)` proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateHit {
    /// The certificate document's digest (the key `lx_certificate` takes).
    pub digest: Hash,
    /// Its number.
    pub number: String,
    /// The instrument it certifies.
    pub instrument: InstrumentId,
    /// The issuing institution's authorisation number.
    pub institution: String,
    /// Date verified.
    pub date: Time,
}

/// One `lx_searchOperators` hit: enough to pick the operator; `lx_operator` proves the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorHit {
    /// The operator's USCC.
    pub uscc: Uscc,
    /// Its registered name.
    pub name: String,
    /// Its region code.
    pub region: String,
    /// Its sector, as the records' JSON view names it.
    pub sector: serde_json::Value,
}

impl OperatorHit {
    /// The hit for an operator's registration.
    pub fn of(p: &liangxin_contracts::store::OperatorProfile) -> Self {
        OperatorHit {
            uscc: p.uscc.clone(),
            name: p.name.to_string(),
            region: p.region.to_string(),
            sector: serde_json::to_value(p.sector).unwrap_or(serde_json::Value::Null),
        }
    }

    /// Whether the operator matches a search: the query (trimmed, non-empty) is a prefix of
    /// its USCC, or its name contains the query, ignoring ASCII case.
    pub fn matches(p: &liangxin_contracts::store::OperatorProfile, query: &str) -> bool {
        let q = query.trim();
        if q.is_empty() {
            return false;
        }
        if p.uscc.as_str().starts_with(&q.to_ascii_uppercase()) {
            return true;
        }
        p.name
            .as_str()
            .to_ascii_lowercase()
            .contains(&q.to_ascii_lowercase())
    }
}

/// `lx_chainInfo`: which chain this is and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainInfo {
    /// The chain id.
    pub chain_id: ChainId,
    /// The hash of the genesis document (`Genesis::hash`): pins the exact chain a client
    /// talks to (the chain id carries only its first 8 bytes).
    pub genesis_hash: Hash,
    /// The checkpoint origin line, `liangxin/<chain_id>`.
    pub origin: String,
    /// Height of the latest final block.
    pub height: u64,
    /// Number of leaves in the log at that height.
    pub log_size: u64,
    /// The validator set that signs checkpoints.
    pub validators: Vec<ValidatorInfo>,
    /// How many validator signatures make a checkpoint final (2f+1).
    pub quorum: u32,
}

/// One validator: its checkpoint-signing name and key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorInfo {
    /// The name on its signature lines.
    pub name: String,
    /// Its Ed25519 public key (hex).
    pub public_key: PublicKey,
}

/// `lx_account`: a key as the ledger knows it, and the sequence number its next transaction
/// must carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// The key asked about.
    pub public_key: PublicKey,
    /// Who holds it (`{"regulator": name}`, `{"institution": authorisation}` or
    /// `{"operator": uscc}`); `None` for a key the ledger does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
    /// Revoked or rotated away: it signs nothing any more.
    pub revoked: bool,
    /// The next sequence number by the latest final state.
    pub next_seq: u64,
    /// The next sequence number counting this key's transactions waiting in this node's
    /// mempool: what a new transaction should carry.
    pub pending_next_seq: u64,
}

/// `lx_submit`: the transaction was admitted to the mempool (not yet final).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    /// The transaction id.
    pub tx_id: Hash,
}

/// `lx_submitAndWait`: the transaction is final.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finalized {
    /// The transaction id.
    pub tx_id: Hash,
    /// Always [`TxStatus::Final`] (a rejection or a timeout is an error instead).
    pub status: TxStatus,
    /// Height of the block that holds it.
    pub height: u64,
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// The checkpoint at `height`, against which its inclusion can be proven.
    pub checkpoint: CheckpointInfo,
}

/// Where a transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// In this node's mempool, not yet final.
    Pending,
    /// In a final block.
    Final,
    /// Rejected (by admission or by the contracts); nothing of it is stored.
    Rejected,
    /// This node knows nothing of it (never seen, or a rejection it has forgotten).
    Unknown,
}

/// A rejection as the API shows it: the contracts' stable numeric [`Code`] and the message.
///
/// [`Code`]: liangxin_contracts::Code
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionInfo {
    /// The stable code number ([`liangxin_contracts::Code::number`]).
    pub code: u16,
    /// What is wrong, for a person.
    pub message: String,
}

impl From<Rejection> for RejectionInfo {
    fn from(r: Rejection) -> Self {
        RejectionInfo {
            code: r.code.number(),
            message: r.message,
        }
    }
}

/// `lx_tx`: a transaction's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    /// The transaction id asked about.
    pub tx_id: Hash,
    /// Where it stands.
    pub status: TxStatus,
    /// Height of its block (final only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Its leaf index (final only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
    /// Why it was rejected (rejected only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<RejectionInfo>,
}

/// A checkpoint: its fields, and the signed note that carries the validators' signatures.
/// The fields are a convenience; `note` is what a light client verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// Block height.
    pub height: u64,
    /// Log size.
    pub log_size: u64,
    /// Log root.
    pub root: Hash,
    /// Block hash.
    pub block_hash: Hash,
    /// State root.
    pub state_root: Hash,
    /// The C2SP signed-note text (body, blank line, signature lines).
    pub note: String,
}

impl CheckpointInfo {
    /// The view of a signed checkpoint.
    pub fn from_signed(cp: &SignedCheckpoint) -> Result<Self, RpcError> {
        let c = cp.checkpoint();
        let note = cp
            .to_note()
            .map_err(|e| RpcError::Internal(format!("cannot render checkpoint note: {e}")))?;
        Ok(CheckpointInfo {
            height: c.height,
            log_size: c.log_size,
            root: c.log_root,
            block_hash: c.block_hash,
            state_root: c.state_root,
            note,
        })
    }

    /// Parses `note` (signatures not verified) and checks that the convenience fields say
    /// the same as the note, so a client can trust either after verifying the note.
    pub fn to_signed(&self) -> Result<SignedCheckpoint, RpcError> {
        let cp = SignedCheckpoint::parse_note(&self.note)
            .map_err(|e| RpcError::bad_request(format!("checkpoint note: {e}")))?;
        let c = cp.checkpoint();
        if (c.height, c.log_size, c.log_root, c.block_hash, c.state_root)
            != (
                self.height,
                self.log_size,
                self.root,
                self.block_hash,
                self.state_root,
            )
        {
            return Err(RpcError::bad_request(
                "checkpoint fields do not match its note",
            ));
        }
        Ok(cp)
    }
}

/// A log entry: a final transaction with its position and its record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInfo {
    /// Its leaf index.
    pub leaf_index: u64,
    /// Height of its block.
    pub height: u64,
    /// The canonical signed-transaction bytes (the log leaf), lowercase hex.
    pub tx: String,
    /// The record, in the contracts' JSON view (`{"kind": "<name>", ...fields}`).
    pub record: Record,
}

impl EntryInfo {
    /// An entry from the leaf bytes.
    pub fn new(leaf_index: u64, height: u64, tx_bytes: &[u8], record: Record) -> Self {
        EntryInfo {
            leaf_index,
            height,
            tx: liangxin_types::encoding::to_hex(tx_bytes),
            record,
        }
    }

    /// The leaf bytes (decoded from `tx`).
    pub fn tx_bytes(&self) -> Result<Vec<u8>, RpcError> {
        parse_hex("tx", &self.tx, MAX_TX_SIZE)
    }
}

/// `lx_inclusionProof`: RFC 9162 inclusion proof of a leaf in the tree of `tree_size` leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The leaf.
    pub leaf_index: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The audit path, deepest sibling first.
    pub hashes: Vec<Hash>,
}

/// `lx_consistencyProof`: RFC 9162 proof that the tree of `size1` leaves is a prefix of the
/// tree of `size2` leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older size (at least 1).
    pub size1: u64,
    /// The newer size.
    pub size2: u64,
    /// The proof hashes (empty when the sizes are equal).
    pub hashes: Vec<Hash>,
}

/// `lx_operator`: everything the ledger says about an operator, proven against one checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatorInfo {
    /// The operator.
    pub uscc: Uscc,
    /// Its registration, current key and active commitment.
    pub profile: OperatorState,
    /// Its grade at the checkpoint's block time, with every reason.
    pub grade: GradeReport,
    /// The log entries about it, in log order.
    pub entries: Vec<EntryInfo>,
    /// Its instruments with their status at the checkpoint's block time.
    pub instruments: Vec<InstrumentInfoBrief>,
    /// A [`StateProofSet`] under `checkpoint.state_root` with the rows `operator` (proves
    /// `profile`) and `operator_entries` (the entry chain: proves that `entries` is complete).
    /// `grade` and `instruments` are computed from rows not proven yet; `null` from a node that
    /// builds no proofs.
    pub state_proof: serde_json::Value,
    /// The checkpoint all of this is read at.
    pub checkpoint: CheckpointInfo,
}

/// What the `state_proof` field of an answer holds: proofs of state rows against the
/// answer's checkpoint `state_root`, one per row the answer is built from (see `docs/rpc.md`,
/// state proofs). Rows a proof shows absent have `value: null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProofSet {
    /// The state root the rows are proven against (the checkpoint's).
    pub state_root: Hash,
    /// The rows.
    pub rows: Vec<ProvenRow>,
}

/// One state row and its proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenRow {
    /// Which row: `operator`, `operator_entries`, `instrument`, `instrument_entries`,
    /// `certificate`, `draw` or `pending_draw` (the keys of
    /// `liangxin_contracts::store::keys`).
    pub row: String,
    /// The state key, lowercase hex.
    pub key: String,
    /// The value (the contracts' BCS encoding), lowercase hex; `null` when absent.
    pub value: Option<String>,
    /// The sparse Merkle proof (`liangxin_state::StateProof`).
    pub proof: liangxin_state::StateProof,
}

impl StateProofSet {
    /// Parses an answer's `state_proof` field; `None` when it is `null` (no proof sent).
    pub fn from_value(v: &serde_json::Value) -> Result<Option<Self>, RpcError> {
        if v.is_null() {
            return Ok(None);
        }
        serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| RpcError::bad_request(format!("state_proof: {e}")))
    }

    /// The JSON value of the `state_proof` field.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl ProvenRow {
    /// The key bytes.
    pub fn key_bytes(&self) -> Result<Vec<u8>, RpcError> {
        parse_hex("state_proof key", &self.key, 1 << 16)
    }

    /// The value bytes (`None`: proven absent).
    pub fn value_bytes(&self) -> Result<Option<Vec<u8>>, RpcError> {
        self.value
            .as_deref()
            .map(|v| parse_hex("state_proof value", v, MAX_TX_SIZE * 16))
            .transpose()
    }
}

/// An instrument in an operator's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentInfoBrief {
    /// Its state: registration, last verification and pass, retirement.
    pub state: InstrumentState,
    /// Its status at the checkpoint's block time.
    pub status: InstrumentStatus,
}

/// `lx_instrument`: one instrument, proven against one checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstrumentInfo {
    /// The instrument.
    pub id: InstrumentId,
    /// Its state: registration, last verification and pass, retirement.
    pub state: InstrumentState,
    /// Its status at the checkpoint's block time.
    pub status: InstrumentStatus,
    /// The log entries about it, in log order.
    pub entries: Vec<EntryInfo>,
    /// A [`StateProofSet`] with the rows `instrument` (proves `state`) and
    /// `instrument_entries` (proves that `entries` is complete).
    pub state_proof: serde_json::Value,
    /// The checkpoint all of this is read at.
    pub checkpoint: CheckpointInfo,
}

/// `lx_certificate`: is a certificate on the ledger, who issued it, is it still valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// The document digest asked about.
    pub digest: Hash,
    /// Whether a verification record with this certificate digest is on the ledger.
    pub on_ledger: bool,
    /// The certificate as the ledger holds it: instrument, institution (authorisation
    /// number), certificate number, pass or fail, date, end of validity. `None` when not on
    /// the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<CertificateEntry>,
    /// The issuing institution's registered name, when on the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution_name: Option<String>,
    /// The verification record's log entry, when on the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<EntryInfo>,
    /// Whether it is valid at `at`: on the ledger, a pass, `at` before its end of validity,
    /// and not superseded (the instrument's latest verification) nor its instrument retired.
    pub valid: bool,
    /// Why it is or is not valid, for a person.
    pub validity: String,
    /// The moment validity is judged at: the checkpoint's block time.
    pub at: Time,
    /// A [`StateProofSet`] with the row `certificate` (its presence proves `entry`, its
    /// absence proves `on_ledger: false`) and, when on the ledger, `instrument` (proves the
    /// facts `valid` is judged from: superseded, retired).
    pub state_proof: serde_json::Value,
    /// The checkpoint all of this is read at.
    pub checkpoint: CheckpointInfo,
}

/// `lx_draw`: a random inspection draw, with everything a verifier needs to recompute the
/// selection with `liangxin_contracts::draws::compute_selection`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawInfo {
    /// The draw's id: the request's tx id.
    pub id: Hash,
    /// The request.
    pub request: RandomDrawRequest,
    /// The request's log entry.
    pub request_entry: EntryInfo,
    /// Height of the block holding the request.
    pub request_height: u64,
    /// Sample rates per grade (A–D, parts per million) in force when it was accepted.
    pub sample_rates_ppm: [u32; 4],
    /// The candidates snapshot (operator, grade, last inspectors) when it was accepted, in
    /// candidate order.
    pub candidates: Vec<Candidate>,
    /// The resolution; `None` while the draw waits for the next block's seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<DrawResolution>,
    /// A [`StateProofSet`] with the row `draw` (a resolved draw: proves the result, rates and
    /// candidates snapshot) or `pending_draw` (proves the snapshot of a draw not yet resolved).
    pub state_proof: serde_json::Value,
    /// The checkpoint all of this is read at.
    pub checkpoint: CheckpointInfo,
}

/// How a draw was resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResolution {
    /// Height of the block whose seed resolved it (the block after the request's).
    pub height: u64,
    /// That block's seed: its proposer's VRF output, `header.seed()`.
    pub block_seed: Hash,
    /// That block's header: its `proposer`, `parent` and `seed_proof` let anyone check the
    /// block seed (`liangxin_types::vrf`); `descendants` and `final_checkpoint` show it final.
    pub header: liangxin_types::BlockHeader,
    /// The headers of the blocks from `height + 1` up to `final_checkpoint`'s, oldest first:
    /// empty when a quorum signed the resolving block's own checkpoint. A block can be final
    /// through a descendant's finalization only; the parent hashes link it to that descendant.
    #[serde(default)]
    pub descendants: Vec<liangxin_types::BlockHeader>,
    /// The first checkpoint at or above `height` that a quorum of validators signed: the
    /// last of `descendants` (or `header`) is its block.
    pub final_checkpoint: CheckpointInfo,
    /// The draw seed, `liangxin_contracts::draws::draw_seed(block_seed, id)`.
    pub seed: Hash,
    /// The selection, in draw order.
    pub targets: Vec<DrawTarget>,
}

/// The filter of `lx_subscribeEntries`: both fields optional, both must match when given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFilter {
    /// Only records about this operator (USCC, check character verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Only records of this kind, by name (e.g. `"verification_result"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// An [`EntryFilter`] whose fields were checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckedFilter {
    /// The operator, if filtered.
    pub operator: Option<Uscc>,
    /// The kind, if filtered.
    pub kind: Option<RecordKind>,
}

impl EntryFilter {
    /// Checks the fields.
    pub fn check(&self) -> Result<CheckedFilter, RpcError> {
        Ok(CheckedFilter {
            operator: self.operator.as_deref().map(parse_uscc).transpose()?,
            kind: self.kind.as_deref().map(parse_kind).transpose()?,
        })
    }
}

impl CheckedFilter {
    /// Whether an entry about `operator` passes.
    pub fn matches(&self, entry: &EntryInfo, operator: Option<&Uscc>) -> bool {
        self.kind.is_none_or(|k| entry.record.kind() == k)
            && self
                .operator
                .as_ref()
                .is_none_or(|want| operator == Some(want))
    }
}

/// The parameter of `lx_instrument`: an instrument's id, as in the contracts' JSON view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRef {
    /// The owner's USCC (check character verified).
    pub owner: String,
    /// The catalogue code (at most 16 bytes).
    pub category: String,
    /// The factory serial number (at most 64 bytes).
    pub serial: String,
}

impl InstrumentRef {
    /// Checks the fields and builds the id.
    pub fn check(&self) -> Result<InstrumentId, RpcError> {
        self.build(parse_uscc(&self.owner)?)
    }

    /// As [`InstrumentRef::check`], but the owner's check character may be wrong (an operator
    /// registered with the regulator's check override).
    pub fn check_override(&self) -> Result<InstrumentId, RpcError> {
        self.build(
            Uscc::parse_override(&self.owner).map_err(|e| RpcError::bad_request(e.to_string()))?,
        )
    }

    fn build(&self, owner: Uscc) -> Result<InstrumentId, RpcError> {
        let category = BoundedString::new(self.category.as_str())
            .map_err(|e| RpcError::bad_request(format!("instrument category: {e}")))?;
        let serial = BoundedString::new(self.serial.as_str())
            .map_err(|e| RpcError::bad_request(format!("instrument serial: {e}")))?;
        if self.category.is_empty() || self.serial.is_empty() {
            return Err(RpcError::bad_request(
                "instrument category and serial must not be empty",
            ));
        }
        Ok(InstrumentId {
            owner,
            category,
            serial,
        })
    }
}

impl From<&InstrumentId> for InstrumentRef {
    fn from(id: &InstrumentId) -> Self {
        InstrumentRef {
            owner: id.owner.to_string(),
            category: id.category.to_string(),
            serial: id.serial.to_string(),
        }
    }
}

/// Decodes lowercase hex of at most `max_len` bytes: no `0x` prefix, an even number of digits.
/// The error names `what` and the first bad character.
pub fn parse_hex(what: &str, s: &str, max_len: usize) -> Result<Vec<u8>, RpcError> {
    if s.starts_with("0x") || s.starts_with("0X") {
        return Err(RpcError::bad_request(format!(
            "{what}: hex must not start with 0x"
        )));
    }
    if s.len() > 2 * max_len {
        return Err(RpcError::bad_request(format!(
            "{what}: {} hex digits, above the limit of {} ({max_len} bytes)",
            s.len(),
            2 * max_len
        )));
    }
    if let Some((i, c)) = s
        .char_indices()
        .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        let hint = if c.is_ascii_hexdigit() {
            " (hex must be lowercase)"
        } else {
            ""
        };
        return Err(RpcError::bad_request(format!(
            "{what}: character {c:?} at offset {i} is not a lowercase hex digit{hint}"
        )));
    }
    if !s.len().is_multiple_of(2) {
        return Err(RpcError::bad_request(format!(
            "{what}: odd number of hex digits ({})",
            s.len()
        )));
    }
    hex::decode(s).map_err(|e| RpcError::bad_request(format!("{what}: {e}")))
}

/// Decodes a hash: exactly 64 lowercase hex digits.
pub fn parse_hash(what: &str, s: &str) -> Result<Hash, RpcError> {
    if s.len() != 2 * HASH_LEN {
        return Err(RpcError::bad_request(format!(
            "{what}: a hash is {} lowercase hex digits, got {}",
            2 * HASH_LEN,
            s.len()
        )));
    }
    let bytes = parse_hex(what, s, HASH_LEN)?;
    Hash::from_slice(&bytes).map_err(|e| RpcError::bad_request(format!("{what}: {e}")))
}

/// Parses an Ed25519 public key: 64 lowercase hex digits of a canonical, not small-order
/// point.
pub fn parse_public_key(what: &str, s: &str) -> Result<PublicKey, RpcError> {
    let bytes = parse_hex(what, s, 32)?;
    PublicKey::from_slice(&bytes).map_err(|e| RpcError::bad_request(format!("{what}: {e}")))
}

/// Parses a USCC and checks its check character (the error names the expected one).
pub fn parse_uscc(s: &str) -> Result<Uscc, RpcError> {
    Uscc::parse(s).map_err(|e| RpcError::bad_request(e.to_string()))
}

/// Parses a record kind name (e.g. `"verification_result"`).
pub fn parse_kind(name: &str) -> Result<RecordKind, RpcError> {
    Record::KINDS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(k, _)| *k)
        .ok_or_else(|| {
            let known: Vec<&str> = Record::KINDS.iter().map(|(_, n)| *n).collect();
            RpcError::bad_request(format!(
                "unknown record kind {:?}; known kinds: {}",
                name.chars().take(64).collect::<String>(),
                known.join(", ")
            ))
        })
}

/// A submitted transaction after the input checks: canonical bytes (at most
/// [`MAX_TX_SIZE`]), decoded envelope (canonical form, size limits) and id. Chain id,
/// signature, role and replay are the node's admission checks, not these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxSubmission {
    /// The canonical bytes, as received.
    pub bytes: Vec<u8>,
    /// The decoded transaction.
    pub tx: SignedTx,
    /// Its id.
    pub id: Hash,
}

impl TxSubmission {
    /// Checks and decodes the `tx` parameter: canonical signed-transaction bytes as lowercase
    /// hex.
    pub fn from_hex(s: &str) -> Result<Self, RpcError> {
        let bytes = parse_hex("tx", s, MAX_TX_SIZE)?;
        if bytes.is_empty() {
            return Err(RpcError::bad_request("tx: empty"));
        }
        let tx = SignedTx::from_canonical(&bytes)
            .map_err(|e| RpcError::bad_request(format!("tx: {e}")))?;
        let id = liangxin_types::tx::tx_id(&bytes);
        Ok(TxSubmission { bytes, tx, id })
    }
}

/// The `tx` parameter for a signed transaction: its canonical bytes as lowercase hex.
pub fn tx_to_hex(tx: &SignedTx) -> Result<String, RpcError> {
    tx.to_canonical()
        .map(liangxin_types::encoding::to_hex)
        .map_err(|e| RpcError::bad_request(format!("tx: {e}")))
}
