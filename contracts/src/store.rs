//! Typed tables over [`State`]: every stored entity, its key layout and its encoding (BCS).
//!
//! Key layout: the table's one-byte tag ([`Table`]), then fixed-width or length-prefixed
//! components, so a prefix scan of one table (or of one operator's rows) never reaches into
//! another. Below, tables are named as `name/` (their [`Table`] variant).
//!
//! | table | key | value |
//! |---|---|---|
//! | `seq/` | signer key (32) | next sequence number (`u64`) |
//! | `participant/` | key (32) | [`Participant`] |
//! | `regulator/` | name | [`RegulatorState`] |
//! | `operator/` | USCC (18) | [`OperatorState`] |
//! | `region/` | region (6) ‖ USCC (18) | `()` — operators by place, for draws |
//! | `institution/` | authorisation number | [`InstitutionState`] |
//! | `instrument/` | canonical [`InstrumentId`] (begins with the owner's USCC, so an operator's instruments are one prefix) | [`InstrumentState`] |
//! | `certificate/` | certificate digest (32) | [`CertificateEntry`] |
//! | `entry/` | tx id (32) | [`EntryMeta`] — only for the kinds later records name ([`EntryMeta::KINDS`]) |
//! | `fact/` | USCC (18) ‖ tx id (32) | [`CreditFact`] |
//! | `commitment/` | tx id (32) | [`CommitmentState`] |
//! | `objection/` | tx id (32) | [`ObjectionState`] |
//! | `record-objection/` | record tx id (32) ‖ objection tx id (32) | `()` — objections by record |
//! | `penalty/` | USCC (18) ‖ tx id (32) | [`PenaltyDecision`] |
//! | `draw/` | tx id (32) | [`DrawResult`] |
//! | `pending-draw/` | tx id (32) | [`PendingDraw`] — until the next block resolves it |
//! | `draw-target/` | draw tx id (32) ‖ USCC (18) | [`DrawTarget`] — one selected operator of a resolved draw, what an inspection checks (the `draw/` row holds the whole candidates snapshot, too large to read per inspection) |
//! | `proposal/` | tx id (32) | [`ProposalState`] |
//! | `gov-due/` | height (8, big-endian) ‖ tx id (32) | `()` |
//! | `catalogue/` | code | [`CatalogueItem`] |
//! | `meta/` `params` | — | [`RuleParams`] |
//! | `meta/` `chain` | — | [`ChainMeta`] |
//! | `node-index/` `op` ‖ USCC (18) | — | [`EntryChain`] of the operator's log entries (written by the node) |
//! | `node-index/` `in` ‖ canonical [`InstrumentId`] | — | [`EntryChain`] of the instrument's log entries (written by the node) |

use liangxin_types::tx::RecordKind;
use liangxin_types::{Hash, KeyBytes, PublicKey, Uscc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::params::RuleParams;
use crate::records::*;
use crate::state::{State, StateError};

fn enc<T: Serialize>(v: &T) -> Result<Vec<u8>, StateError> {
    bcs::to_bytes(v).map_err(|e| StateError(format!("encode: {e}")))
}

fn dec<T: DeserializeOwned>(b: &[u8]) -> Result<T, StateError> {
    bcs::from_bytes(b).map_err(|e| StateError(format!("corrupt state value: {e}")))
}

/// Decodes a state value (BCS), e.g. one a state proof returned.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StateError> {
    dec(bytes)
}

/// Encodes a state value (BCS).
pub fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, StateError> {
    enc(v)
}

/// Reads and decodes a value.
pub fn get<T: DeserializeOwned>(s: &impl State, key: &[u8]) -> Result<Option<T>, StateError> {
    s.get(key)?.map(|b| dec(&b)).transpose()
}

/// Encodes and writes a value.
pub fn put<T: Serialize>(s: &mut impl State, key: &[u8], v: &T) -> Result<(), StateError> {
    s.put(key, enc(v)?)
}

/// Every value under a prefix, decoded, with its key.
pub fn scan<T: DeserializeOwned>(
    s: &impl State,
    prefix: &[u8],
) -> Result<Vec<(Vec<u8>, T)>, StateError> {
    s.scan_prefix(prefix)?
        .into_iter()
        .map(|(k, v)| Ok((k, dec(&v)?)))
        .collect()
}

/// The tables of the state, each a one-byte key prefix (short keys keep the ordered index and
/// every comparison cheap). The numbers are part of the state layout and never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Table {
    /// `seq/`: see the table in the module docs.
    Seq = 1,
    /// `participant/`: see the table in the module docs.
    Participant = 2,
    /// `regulator/`: see the table in the module docs.
    Regulator = 3,
    /// `operator/`: see the table in the module docs.
    Operator = 4,
    /// `region/`: see the table in the module docs.
    Region = 5,
    /// `institution/`: see the table in the module docs.
    Institution = 6,
    /// `instrument/`: see the table in the module docs.
    Instrument = 7,
    // Tag 8 was `op-instrument/` (USCC ‖ instrument id → `()`), an index of each operator's
    // instruments. A canonical instrument id starts with its owner's USCC, so a prefix scan of
    // `instrument/` lists them in the same order: the index cost a state row per instrument
    // for nothing. The tag stays unused.
    /// `certificate/`: see the table in the module docs.
    Certificate = 9,
    /// `entry/`: see the table in the module docs.
    Entry = 10,
    /// `fact/`: see the table in the module docs.
    Fact = 11,
    /// `commitment/`: see the table in the module docs.
    Commitment = 12,
    /// `objection/`: see the table in the module docs.
    Objection = 13,
    /// `draw/`: see the table in the module docs.
    Draw = 14,
    /// `pending-draw/`: see the table in the module docs.
    PendingDraw = 15,
    /// `proposal/`: see the table in the module docs.
    Proposal = 16,
    /// `gov-due/`: see the table in the module docs.
    GovDue = 17,
    /// `catalogue/`: see the table in the module docs.
    Catalogue = 18,
    /// `penalty/`: see the table in the module docs.
    Penalty = 19,
    /// `record-objection/`: see the table in the module docs.
    RecordObjection = 20,
    /// `draw-target/`: see the table in the module docs.
    DrawTarget = 21,
    /// Rows the node writes after executing a block's records, not the rules: the entry
    /// chains of operators and instruments ([`EntryChain`]), which make "these are all of its
    /// entries" provable from the state root.
    NodeIndex = 0xf0,
    /// Single rows: `params`, `chain`.
    Meta = 0xff,
}

impl Table {
    /// The tables whose rows the contracts read by prefix scan (an operator's instruments,
    /// facts and penalties; operators by region; regulators; the catalogue; due governance;
    /// pending draws; objections by record). Only these need an ordered index; the others are
    /// read by exact key.
    pub const SCANNED: [Table; 9] = [
        Table::Regulator,
        Table::Region,
        Table::Instrument,
        Table::Fact,
        Table::Penalty,
        Table::RecordObjection,
        Table::Catalogue,
        Table::GovDue,
        Table::PendingDraw,
    ];
}

/// Builds a key from a table and components: the table's tag byte, then the components.
pub fn key(table: Table, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
    k.push(table as u8);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// Canonical bytes of an instrument id (length-prefixed fields, so prefix-free).
pub fn instrument_key(id: &InstrumentId) -> Vec<u8> {
    // BCS of a struct of a string and two bounded strings never fails.
    bcs::to_bytes(id).unwrap_or_default()
}

/// The state keys of single rows that answers are proven by (see `docs/rpc.md`, state
/// proofs).
pub mod keys {
    use super::*;

    /// `operator/` row of an operator.
    pub fn operator(u: &Uscc) -> Vec<u8> {
        key(Table::Operator, &[u.as_str().as_bytes()])
    }
    /// `instrument/` row of an instrument.
    pub fn instrument(id: &InstrumentId) -> Vec<u8> {
        key(Table::Instrument, &[&instrument_key(id)])
    }
    /// `certificate/` row of a certificate digest.
    pub fn certificate(digest: &Hash) -> Vec<u8> {
        key(Table::Certificate, &[digest.as_bytes()])
    }
    /// `draw/` row (a resolved draw) of a request's tx id.
    pub fn draw(tx: &Hash) -> Vec<u8> {
        key(Table::Draw, &[tx.as_bytes()])
    }
    /// `pending-draw/` row of a request's tx id.
    pub fn pending_draw(tx: &Hash) -> Vec<u8> {
        key(Table::PendingDraw, &[tx.as_bytes()])
    }
    /// `draw-target/` row of a resolved draw's selected operator.
    pub fn draw_target(tx: &Hash, u: &Uscc) -> Vec<u8> {
        key(Table::DrawTarget, &[tx.as_bytes(), u.as_str().as_bytes()])
    }
    /// `node-index/` entry chain of an operator.
    pub fn operator_entries(u: &Uscc) -> Vec<u8> {
        key(Table::NodeIndex, &[b"op", u.as_str().as_bytes()])
    }
    /// `node-index/` entry chain of an instrument.
    pub fn instrument_entries(id: &InstrumentId) -> Vec<u8> {
        key(Table::NodeIndex, &[b"in", &instrument_key(id)])
    }
    /// `node-index/` the validator set ([`ValidatorSetRow`]).
    pub fn validators() -> Vec<u8> {
        key(Table::NodeIndex, &[b"validators"])
    }
}

/// The validator set, as the node keeps it in the authenticated state (`node-index/validators`,
/// written at genesis and by every block that changes it): the regulators that run validators
/// and are not removed, in name order. A light client that trusts the set before a block
/// learns the set after it from a proof of this row under that block's state root.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorSetRow {
    /// The validators.
    pub validators: Vec<ValidatorEntry>,
}

/// One validator of a [`ValidatorSetRow`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorEntry {
    /// Its checkpoint-signing name.
    pub name: ShortText,
    /// Its key.
    pub key: KeyBytes,
}

impl ValidatorSetRow {
    /// The set the regulator rows of `s` say.
    pub fn of(s: &impl State) -> Result<Self, StateError> {
        Ok(ValidatorSetRow {
            validators: tables::regulators(s)?
                .into_iter()
                .filter(|r| r.validator && !r.removed)
                .map(|r| ValidatorEntry {
                    name: r.name,
                    key: r.key,
                })
                .collect(),
        })
    }
}

/// A running commitment to a subject's log entries, in log order: how many, and a hash chain
/// over their leaf indexes and tx ids. The node keeps one per operator and per instrument in
/// the authenticated state, so a client that gets the subject's entries and a state proof of
/// this row can check that no entry is missing.
///
/// `head₀ = 0³²`, `headₙ = Domain::State.hash("entry-chain" ‖ headₙ₋₁ ‖ leaf_index (u64 BE) ‖
/// tx_id)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryChain {
    /// Entries so far.
    pub count: u64,
    /// The chain's head.
    pub head: Hash,
}

impl EntryChain {
    /// The chain after one more entry.
    pub fn extend(&mut self, leaf_index: u64, tx_id: &Hash) {
        self.head = liangxin_types::Domain::State.hash_parts(&[
            b"entry-chain",
            self.head.as_bytes(),
            &leaf_index.to_be_bytes(),
            tx_id.as_bytes(),
        ]);
        self.count = self.count.saturating_add(1);
    }

    /// The chain of `entries` (leaf index, tx id) in order.
    pub fn of<'a>(entries: impl IntoIterator<Item = (u64, &'a Hash)>) -> Self {
        let mut c = EntryChain::default();
        for (leaf, id) in entries {
            c.extend(leaf, id);
        }
        c
    }
}

/// Chain-wide facts fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainMeta {
    /// The chain id.
    pub chain_id: liangxin_types::ChainId,
    /// Hash of the genesis document.
    pub genesis_hash: Hash,
}

/// Who holds a key (JSON: `{"regulator": name}`, `{"institution": authorisation}` or
/// `{"operator": uscc}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holder {
    /// A regulator, by name.
    Regulator(ShortText),
    /// An institution, by authorisation number.
    Institution(ShortText),
    /// An operator, by USCC.
    Operator(Uscc),
}

impl Holder {
    /// The holder's role.
    pub fn role(&self) -> Role {
        match self {
            Holder::Regulator(_) => Role::Regulator,
            Holder::Institution(_) => Role::Institution,
            Holder::Operator(_) => Role::Operator,
        }
    }
}

/// A registered key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Who holds it.
    pub holder: Holder,
    /// Revoked or rotated away: it signs nothing any more.
    pub revoked: bool,
}

/// A regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorState {
    /// Name (also its checkpoint-signing name).
    pub name: ShortText,
    /// Current key.
    pub key: KeyBytes,
    /// Where it may act.
    pub jurisdiction: Jurisdiction,
    /// Whether it runs a validator.
    pub validator: bool,
    /// Removed by governance.
    pub removed: bool,
}

/// An operator's registration as stored: the record's fields, with the key as [`KeyBytes`]
/// (validated when the record was accepted; reading it back costs nothing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorProfile {
    /// USCC.
    pub uscc: Uscc,
    /// Registered name.
    pub name: ShortText,
    /// Region code.
    pub region: Region,
    /// Sector.
    pub sector: Sector,
    /// The key at registration.
    pub key: KeyBytes,
    /// Whether the registration overrode a wrong check character.
    pub check_override: bool,
}

impl From<OperatorRegistration> for OperatorProfile {
    fn from(r: OperatorRegistration) -> Self {
        OperatorProfile {
            uscc: r.uscc,
            name: r.name,
            region: r.region,
            sector: r.sector,
            key: r.key.into(),
            check_override: r.check_override,
        }
    }
}

/// An institution's registration as stored (key as [`KeyBytes`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionProfile {
    /// Authorisation number.
    pub authorisation: ShortText,
    /// Name.
    pub name: ShortText,
    /// Catalogue items it may verify.
    pub categories: liangxin_types::encoding::BoundedVec<CatalogueCode, 128>,
    /// The key at registration.
    pub key: KeyBytes,
    /// Start of validity.
    pub valid_from: Time,
    /// End of validity.
    pub valid_until: Time,
}

impl From<InstitutionRegistration> for InstitutionProfile {
    fn from(r: InstitutionRegistration) -> Self {
        InstitutionProfile {
            authorisation: r.authorisation,
            name: r.name,
            categories: r.categories,
            key: r.key.into(),
            valid_from: r.valid_from,
            valid_until: r.valid_until,
        }
    }
}

/// An operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorState {
    /// Its registration.
    pub registration: OperatorProfile,
    /// Current key.
    pub key: KeyBytes,
    /// The registration's tx id.
    pub registered_by: Hash,
    /// Block time of the registration.
    pub registered_at: Time,
    /// The active self-commitment, if any.
    pub commitment: Option<Hash>,
    /// Inspectors of its most recent inspection (none inspects it twice in a row in a draw).
    pub last_inspectors: Vec<ShortText>,
}

/// A verification institution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionState {
    /// Its registration.
    pub registration: InstitutionProfile,
    /// Current key.
    pub key: KeyBytes,
}

/// The latest verification of an instrument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationSummary {
    /// The verification record.
    pub tx: Hash,
    /// Date verified.
    pub date: Time,
    /// Pass or fail.
    pub passed: bool,
    /// End of validity (passes only).
    pub valid_until: Time,
    /// Certificate digest.
    pub certificate_digest: Hash,
    /// Institution's authorisation number.
    pub institution: ShortText,
}

/// An instrument's retirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetirementSummary {
    /// The retirement record.
    pub tx: Hash,
    /// Block time of retirement.
    pub at: Time,
    /// Why.
    pub reason: RetirementReason,
    /// Replacing instrument, if any.
    pub replacement: Option<InstrumentId>,
}

/// An instrument and the facts its status derives from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentState {
    /// Its registration.
    pub registration: InstrumentRegistration,
    /// The registration's tx id.
    pub registered_by: Hash,
    /// Block time of registration.
    pub registered_at: Time,
    /// The latest verification result.
    pub last_verification: Option<VerificationSummary>,
    /// The latest pass.
    pub last_pass: Option<VerificationSummary>,
    /// Retirement, if retired.
    pub retired: Option<RetirementSummary>,
    /// The instrument this one replaced, if any.
    pub replaces: Option<InstrumentId>,
}

/// A certificate on the ledger, found by the digest of its document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateEntry {
    /// The verification record.
    pub tx: Hash,
    /// The instrument.
    pub instrument: InstrumentId,
    /// The institution's authorisation number.
    pub institution: ShortText,
    /// Certificate number.
    pub number: ShortText,
    /// Pass or fail.
    pub passed: bool,
    /// Date verified.
    pub date: Time,
    /// End of validity.
    pub valid_until: Time,
}

/// What the rules need to know of an accepted record that later records name by tx id: its
/// kind and the operator it is about. Objections and their decisions name inspection results
/// and penalty decisions, commendation revocations name commendations; only records of those
/// kinds ([`EntryMeta::KINDS`]) get an `entry/` row. Everything else about a record (its
/// signer, block and time) is in the log, found through the node's transaction index.
///
/// Until 2026-11-29 every record had a row (ledgers written then still hold them, and they are
/// still read): one state row and one tree write per record, which no rule ever read for the
/// other kinds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// Kind.
    pub kind: RecordKind,
    /// The operator the record is about, if any.
    pub operator: Option<Uscc>,
}

impl EntryMeta {
    /// The kinds of record that get an `entry/` row: those a later record may name.
    pub const KINDS: [RecordKind; 3] = [
        kind::InspectionResult,
        kind::PenaltyDecision,
        kind::Commendation,
    ];

    /// Whether records of `kind` get an `entry/` row.
    pub fn kept_for(kind: RecordKind) -> bool {
        Self::KINDS.contains(&kind)
    }
}

/// The `entry/` value as versions before the slim [`EntryMeta`] wrote it (rows of ledgers
/// written by them are still read).
#[derive(Deserialize)]
struct LegacyEntryMeta {
    kind: RecordKind,
    _signer: KeyBytes,
    operator: Option<Uscc>,
    _height: u64,
    _time: Time,
}

/// What a credit fact is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FactKind {
    /// A penalty decision (negative while public).
    Penalty(Severity),
    /// An inspection finding (negative for the finding period).
    Finding(FindingKind),
    /// Every finding of one inspection, in record order, one entry per finding (negative for
    /// the finding period; each entry counts its own points). One inspection is one fact, so
    /// the fact key `fact/<uscc>/<tx id>` stays unique.
    Findings(Vec<FindingKind>),
    /// A clean inspection (positive for a while).
    CleanInspection,
    /// A self-commitment (positive while valid and not withdrawn).
    Commitment,
    /// A demonstration-unit commendation (positive while valid and not revoked).
    Commendation(CommendationLevel),
}

/// One input of an operator's grade, with the record it comes from and how long it counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditFact {
    /// The record.
    pub tx: Hash,
    /// What it is.
    pub kind: FactKind,
    /// Counts from.
    pub from: Time,
    /// Counts until (exclusive).
    pub until: Time,
    /// Ended early by a withdrawal or revocation record: (record, when).
    pub ended: Option<(Hash, Time)>,
    /// Voided by an upheld objection: the decision record.
    pub voided: Option<Hash>,
    /// Repaired: (repair record, effective date).
    pub repaired: Option<(Hash, Time)>,
}

/// A self-commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentState {
    /// The commitment.
    pub commitment: SelfCommitment,
    /// Withdrawal: (record, when).
    pub withdrawn: Option<(Hash, Time)>,
    /// Renewed by a later commitment.
    pub renewed_by: Option<Hash>,
}

/// An objection and its decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionState {
    /// The objection.
    pub objection: Objection,
    /// The objecting operator.
    pub operator: Uscc,
    /// The decision: (record, upheld).
    pub decision: Option<(Hash, bool)>,
}

/// One selected target of a draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawTarget {
    /// The operator.
    pub operator: Uscc,
    /// Its grade at draw time.
    pub grade: Grade,
    /// Its inspectors.
    pub inspectors: Vec<ShortText>,
}

/// A random draw's result, recomputable from `request`, `seed` and the candidates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResult {
    /// The request.
    pub request: RandomDrawRequest,
    /// The draw seed: derived from the seed of the block after the one holding the request
    /// (`draws::draw_seed`).
    pub seed: Hash,
    /// Height of the block whose seed resolved the draw.
    pub height: u64,
    /// Height of the block holding the request.
    pub request_height: u64,
    /// Candidates per grade (A–D) at draw time.
    pub candidates: [u32; 4],
    /// The sample rates per grade (A–D, parts per million) in force at draw time.
    pub sample_rates_ppm: [u32; 4],
    /// The selection, in draw order.
    pub targets: Vec<DrawTarget>,
    /// The candidates snapshot the selection was computed over (operator, grade, last
    /// inspectors), in candidate order: kept so that anyone can recompute the draw later.
    pub snapshot: Vec<crate::draws::Candidate>,
}

/// A draw request accepted but not yet resolved: it is resolved at the start of the next
/// block, with that block's seed, over the candidates as they stood when it was accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDraw {
    /// The request.
    pub request: RandomDrawRequest,
    /// Height of the block holding the request.
    pub height: u64,
    /// Sample rates in force when it was accepted.
    pub sample_rates_ppm: [u32; 4],
    /// The candidates (operator, grade, last inspectors) when it was accepted.
    pub candidates: Vec<crate::draws::Candidate>,
}

/// Where a governance proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalStatus {
    /// Collecting approvals.
    Pending,
    /// Approved by a quorum; applies at its effective height.
    Approved,
    /// Applied.
    Applied,
    /// Expired without a quorum.
    Expired,
    /// Approved, but no longer applicable at its effective height (e.g. the name or key was
    /// taken meanwhile, or removal would leave no regulator): nothing changed.
    Failed,
}

/// A governance proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalState {
    /// The proposal.
    pub proposal: GovernanceProposal,
    /// Regulators (by name) that approved, proposer first.
    pub approvals: Vec<ShortText>,
    /// Status.
    pub status: ProposalStatus,
}

/// Typed accessors. Each returns `Ok(None)` for absent rows and `Err` only for storage failure.
pub mod tables {
    use super::*;

    /// Next expected sequence number of `signer` (0 if it never signed).
    pub fn next_seq(s: &impl State, signer: &PublicKey) -> Result<u64, StateError> {
        Ok(get(s, &key(Table::Seq, &[signer.as_bytes()]))?.unwrap_or(0))
    }
    /// Sets the next expected sequence number of `signer`.
    pub fn set_next_seq(s: &mut impl State, signer: &PublicKey, n: u64) -> Result<(), StateError> {
        put(s, &key(Table::Seq, &[signer.as_bytes()]), &n)
    }

    /// The participant holding `k`.
    pub fn participant(s: &impl State, k: &PublicKey) -> Result<Option<Participant>, StateError> {
        get(s, &key(Table::Participant, &[k.as_bytes()]))
    }
    /// Writes a participant.
    pub fn put_participant(
        s: &mut impl State,
        k: &PublicKey,
        p: &Participant,
    ) -> Result<(), StateError> {
        put(s, &key(Table::Participant, &[k.as_bytes()]), p)
    }

    /// A regulator by name.
    pub fn regulator(s: &impl State, name: &str) -> Result<Option<RegulatorState>, StateError> {
        get(s, &key(Table::Regulator, &[name.as_bytes()]))
    }
    /// Writes a regulator.
    pub fn put_regulator(s: &mut impl State, r: &RegulatorState) -> Result<(), StateError> {
        put(s, &key(Table::Regulator, &[r.name.as_bytes()]), r)
    }
    /// Every regulator (removed ones included), by name.
    pub fn regulators(s: &impl State) -> Result<Vec<RegulatorState>, StateError> {
        Ok(scan(s, &key(Table::Regulator, &[]))?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// An operator.
    pub fn operator(s: &impl State, u: &Uscc) -> Result<Option<OperatorState>, StateError> {
        get(s, &key(Table::Operator, &[u.as_str().as_bytes()]))
    }
    /// Writes a new operator and its region index row (registration).
    pub fn insert_operator(s: &mut impl State, o: &OperatorState) -> Result<(), StateError> {
        let u = o.registration.uscc.as_str().as_bytes();
        put(s, &key(Table::Operator, &[u]), o)?;
        put(
            s,
            &key(
                Table::Region,
                &[o.registration.region.as_str().as_bytes(), u],
            ),
            &(),
        )
    }
    /// Updates an existing operator (its region, and so its index row, never changes).
    pub fn put_operator(s: &mut impl State, o: &OperatorState) -> Result<(), StateError> {
        put(
            s,
            &key(Table::Operator, &[o.registration.uscc.as_str().as_bytes()]),
            o,
        )
    }
    /// USCCs of the operators whose region starts with `prefix`, in (region, USCC) order.
    pub fn operators_in(s: &impl State, prefix: &str) -> Result<Vec<Uscc>, StateError> {
        let rows = s.scan_prefix(&key(Table::Region, &[prefix.as_bytes()]))?;
        rows.into_iter()
            .map(|(k, _)| {
                let code = k.get(k.len().saturating_sub(18)..).unwrap_or_default();
                let code = std::str::from_utf8(code).map_err(|e| StateError(e.to_string()))?;
                Uscc::parse_override(code).map_err(|e| StateError(e.to_string()))
            })
            .collect()
    }

    /// An institution.
    pub fn institution(s: &impl State, auth: &str) -> Result<Option<InstitutionState>, StateError> {
        get(s, &key(Table::Institution, &[auth.as_bytes()]))
    }
    /// Writes an institution.
    pub fn put_institution(s: &mut impl State, i: &InstitutionState) -> Result<(), StateError> {
        put(
            s,
            &key(
                Table::Institution,
                &[i.registration.authorisation.as_bytes()],
            ),
            i,
        )
    }

    /// An instrument.
    pub fn instrument(
        s: &impl State,
        id: &InstrumentId,
    ) -> Result<Option<InstrumentState>, StateError> {
        get(s, &key(Table::Instrument, &[&instrument_key(id)]))
    }
    /// Writes an instrument's row: at its registration and at every change of its state.
    pub fn put_instrument(s: &mut impl State, i: &InstrumentState) -> Result<(), StateError> {
        let ik = instrument_key(&i.registration.instrument);
        put(s, &key(Table::Instrument, &[&ik]), i)
    }
    /// Every instrument of an operator, in key order: the `instrument/` rows under the owner's
    /// prefix (a canonical instrument id begins with its owner's USCC, length-prefixed).
    pub fn instruments_of(s: &impl State, u: &Uscc) -> Result<Vec<InstrumentState>, StateError> {
        let prefix = key(Table::Instrument, &[&enc(u)?]);
        s.scan_prefix(&prefix)?
            .iter()
            .map(|(_, v)| dec(v))
            .collect()
    }

    /// A certificate by document digest.
    pub fn certificate(
        s: &impl State,
        digest: &Hash,
    ) -> Result<Option<CertificateEntry>, StateError> {
        get(s, &key(Table::Certificate, &[digest.as_bytes()]))
    }
    /// Writes a certificate.
    pub fn put_certificate(
        s: &mut impl State,
        digest: &Hash,
        c: &CertificateEntry,
    ) -> Result<(), StateError> {
        put(s, &key(Table::Certificate, &[digest.as_bytes()]), c)
    }

    /// Metadata of an accepted record.
    pub fn entry(s: &impl State, tx: &Hash) -> Result<Option<EntryMeta>, StateError> {
        let Some(bytes) = s.get(&key(Table::Entry, &[tx.as_bytes()]))? else {
            return Ok(None);
        };
        // BCS refuses trailing bytes, so a legacy row never decodes as the slim one.
        match bcs::from_bytes::<EntryMeta>(&bytes) {
            Ok(e) => Ok(Some(e)),
            Err(_) => {
                let l: LegacyEntryMeta = dec(&bytes)?;
                Ok(Some(EntryMeta {
                    kind: l.kind,
                    operator: l.operator,
                }))
            }
        }
    }
    /// Writes a record's metadata.
    pub fn put_entry(s: &mut impl State, tx: &Hash, e: &EntryMeta) -> Result<(), StateError> {
        put(s, &key(Table::Entry, &[tx.as_bytes()]), e)
    }

    /// One credit fact.
    pub fn fact(s: &impl State, u: &Uscc, tx: &Hash) -> Result<Option<CreditFact>, StateError> {
        get(
            s,
            &key(Table::Fact, &[u.as_str().as_bytes(), tx.as_bytes()]),
        )
    }
    /// Writes a credit fact.
    pub fn put_fact(s: &mut impl State, u: &Uscc, f: &CreditFact) -> Result<(), StateError> {
        put(
            s,
            &key(Table::Fact, &[u.as_str().as_bytes(), f.tx.as_bytes()]),
            f,
        )
    }
    /// Every credit fact of an operator (in tx-id order).
    pub fn facts_of(s: &impl State, u: &Uscc) -> Result<Vec<CreditFact>, StateError> {
        Ok(scan(s, &key(Table::Fact, &[u.as_str().as_bytes()]))?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// A self-commitment.
    pub fn commitment(s: &impl State, tx: &Hash) -> Result<Option<CommitmentState>, StateError> {
        get(s, &key(Table::Commitment, &[tx.as_bytes()]))
    }
    /// Writes a self-commitment.
    pub fn put_commitment(
        s: &mut impl State,
        tx: &Hash,
        c: &CommitmentState,
    ) -> Result<(), StateError> {
        put(s, &key(Table::Commitment, &[tx.as_bytes()]), c)
    }

    /// An objection.
    pub fn objection(s: &impl State, tx: &Hash) -> Result<Option<ObjectionState>, StateError> {
        get(s, &key(Table::Objection, &[tx.as_bytes()]))
    }
    /// Writes an objection.
    pub fn put_objection(
        s: &mut impl State,
        tx: &Hash,
        o: &ObjectionState,
    ) -> Result<(), StateError> {
        put(s, &key(Table::Objection, &[tx.as_bytes()]), o)
    }

    /// Records that an objection was filed against `record`.
    pub fn put_record_objection(
        s: &mut impl State,
        record: &Hash,
        objection: &Hash,
    ) -> Result<(), StateError> {
        put(
            s,
            &key(
                Table::RecordObjection,
                &[record.as_bytes(), objection.as_bytes()],
            ),
            &(),
        )
    }
    /// Every objection filed against `record` (in objection tx-id order).
    pub fn objections_to(s: &impl State, record: &Hash) -> Result<Vec<Hash>, StateError> {
        let prefix = key(Table::RecordObjection, &[record.as_bytes()]);
        s.scan_prefix(&prefix)?
            .into_iter()
            .map(|(k, _)| {
                let h = k.get(prefix.len()..).unwrap_or_default();
                Hash::from_slice(h).map_err(|e| StateError(e.to_string()))
            })
            .collect()
    }

    /// A penalty decision of operator `u`, by its tx id.
    pub fn penalty(
        s: &impl State,
        u: &Uscc,
        tx: &Hash,
    ) -> Result<Option<PenaltyDecision>, StateError> {
        get(
            s,
            &key(Table::Penalty, &[u.as_str().as_bytes(), tx.as_bytes()]),
        )
    }
    /// Writes a penalty decision under its tx id.
    pub fn put_penalty(
        s: &mut impl State,
        tx: &Hash,
        p: &PenaltyDecision,
    ) -> Result<(), StateError> {
        put(
            s,
            &key(
                Table::Penalty,
                &[p.target.as_str().as_bytes(), tx.as_bytes()],
            ),
            p,
        )
    }
    /// Every penalty decision of operator `u`, with its tx id (in tx-id order).
    pub fn penalties_of(
        s: &impl State,
        u: &Uscc,
    ) -> Result<Vec<(Hash, PenaltyDecision)>, StateError> {
        let prefix = key(Table::Penalty, &[u.as_str().as_bytes()]);
        scan::<PenaltyDecision>(s, &prefix)?
            .into_iter()
            .map(|(k, v)| {
                let h = k.get(prefix.len()..).unwrap_or_default();
                Ok((
                    Hash::from_slice(h).map_err(|e| StateError(e.to_string()))?,
                    v,
                ))
            })
            .collect()
    }

    /// A draw result.
    pub fn draw(s: &impl State, tx: &Hash) -> Result<Option<DrawResult>, StateError> {
        get(s, &key(Table::Draw, &[tx.as_bytes()]))
    }
    /// Writes a draw result, and a `draw-target/` row for each of its targets.
    pub fn put_draw(s: &mut impl State, tx: &Hash, d: &DrawResult) -> Result<(), StateError> {
        for t in &d.targets {
            put(s, &keys::draw_target(tx, &t.operator), t)?;
        }
        put(s, &key(Table::Draw, &[tx.as_bytes()]), d)
    }
    /// Whether a draw result is stored (without reading it: it holds the whole snapshot).
    pub fn draw_exists(s: &impl State, tx: &Hash) -> Result<bool, StateError> {
        Ok(s.get(&key(Table::Draw, &[tx.as_bytes()]))?.is_some())
    }
    /// The target `operator` of the resolved draw `tx`, if the draw selected it.
    pub fn draw_target(
        s: &impl State,
        tx: &Hash,
        operator: &Uscc,
    ) -> Result<Option<DrawTarget>, StateError> {
        get(s, &keys::draw_target(tx, operator))
    }

    /// Writes a pending draw.
    pub fn put_pending_draw(
        s: &mut impl State,
        tx: &Hash,
        p: &PendingDraw,
    ) -> Result<(), StateError> {
        put(s, &key(Table::PendingDraw, &[tx.as_bytes()]), p)
    }
    /// A pending (accepted, not yet resolved) draw.
    pub fn pending_draw(s: &impl State, tx: &Hash) -> Result<Option<PendingDraw>, StateError> {
        get(s, &key(Table::PendingDraw, &[tx.as_bytes()]))
    }
    /// Every pending draw, by request tx id.
    pub fn pending_draws(s: &impl State) -> Result<Vec<(Hash, PendingDraw)>, StateError> {
        let prefix = key(Table::PendingDraw, &[]);
        let mut out = Vec::new();
        for (k, v) in s.scan_prefix(&prefix)? {
            let id = Hash::from_slice(k.get(prefix.len()..).unwrap_or_default())
                .map_err(|e| StateError(e.to_string()))?;
            out.push((id, dec(&v)?));
        }
        Ok(out)
    }
    /// Removes a pending draw.
    pub fn delete_pending_draw(s: &mut impl State, tx: &Hash) -> Result<(), StateError> {
        s.delete(&key(Table::PendingDraw, &[tx.as_bytes()]))
    }

    /// A governance proposal.
    pub fn proposal(s: &impl State, tx: &Hash) -> Result<Option<ProposalState>, StateError> {
        get(s, &key(Table::Proposal, &[tx.as_bytes()]))
    }
    /// Writes a governance proposal.
    pub fn put_proposal(
        s: &mut impl State,
        tx: &Hash,
        p: &ProposalState,
    ) -> Result<(), StateError> {
        put(s, &key(Table::Proposal, &[tx.as_bytes()]), p)
    }
    /// Schedules a proposal to apply at `height`.
    pub fn schedule_governance(
        s: &mut impl State,
        height: u64,
        tx: &Hash,
    ) -> Result<(), StateError> {
        put(
            s,
            &key(Table::GovDue, &[&height.to_be_bytes(), tx.as_bytes()]),
            &(),
        )
    }
    /// Proposals scheduled at exactly `height`; removes their schedule rows.
    pub fn take_due_governance(s: &mut impl State, height: u64) -> Result<Vec<Hash>, StateError> {
        let prefix = key(Table::GovDue, &[&height.to_be_bytes()]);
        let rows = s.scan_prefix(&prefix)?;
        let mut out = Vec::with_capacity(rows.len());
        for (k, _) in rows {
            let h = k.get(prefix.len()..).unwrap_or_default();
            out.push(Hash::from_slice(h).map_err(|e| StateError(e.to_string()))?);
            s.delete(&k)?;
        }
        Ok(out)
    }

    /// A catalogue item.
    pub fn catalogue_item(s: &impl State, code: &str) -> Result<Option<CatalogueItem>, StateError> {
        get(s, &key(Table::Catalogue, &[code.as_bytes()]))
    }
    /// Writes a catalogue item.
    pub fn put_catalogue_item(s: &mut impl State, c: &CatalogueItem) -> Result<(), StateError> {
        put(s, &key(Table::Catalogue, &[c.code.as_bytes()]), c)
    }
    /// The whole catalogue.
    pub fn catalogue(s: &impl State) -> Result<Vec<CatalogueItem>, StateError> {
        Ok(scan(s, &key(Table::Catalogue, &[]))?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// The rule parameters (defaults before genesis writes them).
    pub fn params(s: &impl State) -> Result<RuleParams, StateError> {
        Ok(get(s, &key(Table::Meta, &[b"params"]))?.unwrap_or_default())
    }
    /// Writes the rule parameters.
    pub fn put_params(s: &mut impl State, p: &RuleParams) -> Result<(), StateError> {
        put(s, &key(Table::Meta, &[b"params"]), p)
    }

    /// Chain metadata (written at genesis).
    pub fn chain(s: &impl State) -> Result<Option<ChainMeta>, StateError> {
        get(s, &key(Table::Meta, &[b"chain"]))
    }
    /// Writes chain metadata.
    pub fn put_chain(s: &mut impl State, c: &ChainMeta) -> Result<(), StateError> {
        put(s, &key(Table::Meta, &[b"chain"]), c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemState;

    #[test]
    fn entry_rows_of_earlier_versions_still_read() {
        #[derive(Serialize)]
        struct Legacy {
            kind: RecordKind,
            signer: KeyBytes,
            operator: Option<Uscc>,
            height: u64,
            time: Time,
        }
        let mut s = MemState::new();
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        for (i, operator) in [None, Some(u)].into_iter().enumerate() {
            let old = Hash::from_slice(&[i as u8; 32]).unwrap();
            let legacy = Legacy {
                kind: RecordKind(7),
                signer: KeyBytes([0x5a; 32]),
                operator: operator.clone(),
                height: 9,
                time: Time(1_767_225_600),
            };
            s.put(
                &key(Table::Entry, &[old.as_bytes()]),
                encode(&legacy).unwrap(),
            )
            .unwrap();
            let new = Hash::from_slice(&[i as u8 + 100; 32]).unwrap();
            let slim = EntryMeta {
                kind: RecordKind(7),
                operator,
            };
            tables::put_entry(&mut s, &new, &slim).unwrap();
            assert_eq!(tables::entry(&s, &old).unwrap(), Some(slim.clone()));
            assert_eq!(tables::entry(&s, &new).unwrap(), Some(slim));
        }
        // A row that is neither is an error, not a guess.
        let bad = Hash::from_slice(&[9; 32]).unwrap();
        s.put(&key(Table::Entry, &[bad.as_bytes()]), vec![1, 2, 3])
            .unwrap();
        assert!(tables::entry(&s, &bad).is_err());
        assert_eq!(
            tables::entry(&s, &Hash::from_slice(&[0xee; 32]).unwrap()).unwrap(),
            None
        );
    }
}
