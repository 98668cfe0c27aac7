#![doc = include_str!("../README.md")]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod auth;
pub mod catalogue;
pub mod commitments;
pub mod credit;
pub mod draws;
pub mod genesis;
pub mod governance;
pub mod inspection;
pub mod instruments;
pub mod model;
pub mod objections;
pub mod params;
pub mod records;
pub mod registry;
pub mod rejection;
pub mod state;
pub mod store;
pub mod testkit;

use liangxin_types::encoding::Canonical;
use liangxin_types::tx::SignedTx;
use liangxin_types::{Hash, PublicKey, Uscc};
use serde::{Deserialize, Serialize};

pub use model::{Grade, InstrumentId, Time};
pub use params::RuleParams;
pub use records::{Record, Role};
pub use rejection::{Code, Rejection};
pub use state::{MemState, Overlay, State, StateError, Writes};

use records::Record as R;
use store::{EntryMeta, Holder, tables};

/// What the block gives every record it executes: the only source of time and randomness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockContext {
    /// The block's height.
    pub height: u64,
    /// The block's time (checked by validators against their clocks).
    pub time: Time,
    /// The block's randomness seed, unknown before the block is final (see `docs/records.md`,
    /// random draws).
    pub seed: Hash,
}

/// What a record touched, for the node's indexes (operator → entries, instrument → entries,
/// certificate digest → entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// An operator.
    Operator(Uscc),
    /// An instrument.
    Instrument(InstrumentId),
    /// A certificate, by the digest of its document.
    Certificate(Hash),
    /// An institution, by authorisation number.
    Institution(String),
    /// A regulator, by name.
    Regulator(String),
    /// A random draw, by its request's tx id.
    Draw(Hash),
    /// A governance proposal, by its tx id.
    Proposal(Hash),
}

/// The effects of an accepted record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    /// The record's tx id.
    pub tx_id: Hash,
    /// What it touched.
    pub subjects: Vec<Subject>,
}

/// Why `execute` did not accept a record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The record breaks a rule: nothing changed.
    #[error("rejected: {0}")]
    Rejected(#[from] Rejection),
    /// The storage under the state failed: the node must stop, not reject.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Everything a rule needs to know about the record being executed.
#[derive(Clone, Debug)]
pub struct Cx<'a> {
    /// The record's tx id.
    pub tx_id: Hash,
    /// The signer's key.
    pub signer: PublicKey,
    /// Who holds that key.
    pub holder: Holder,
    /// The block.
    pub block: &'a BlockContext,
}

/// The result of one rule: effects, a rejection, or a storage failure.
pub type RuleResult = Result<Effects, ExecError>;

/// A record that passed the stateless checks ([`precheck`]): it decodes as its kind and every
/// key it introduces is torsion-free. Only [`precheck`] makes one, so [`execute_checked`] can
/// rely on both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked<'a> {
    tx: &'a SignedTx,
    tx_id: Hash,
    record: Record,
}

impl Checked<'_> {
    /// The record's tx id.
    pub fn tx_id(&self) -> Hash {
        self.tx_id
    }

    /// The decoded record.
    pub fn record(&self) -> &Record {
        &self.record
    }
}

/// The stateless checks of a signed record, which need no state and can run in parallel, at
/// admission, before the record reaches a block (alongside its signature check): the payload
/// decodes canonically as its kind, and every key the record introduces (a registration's
/// key, a rotation's new key, a regulator added by governance) is torsion-free, so that batch
/// and single signature verification agree on everything that key ever signs. A node may cache
/// the result by tx id; validators re-run it (or trust their cache) before executing a block.
///
/// `tx_id` must be the id of `tx`'s canonical bytes (the node has it from the received bytes).
pub fn precheck(tx: &SignedTx, tx_id: Hash) -> Result<Checked<'_>, Rejection> {
    let record = R::decode(tx.body.kind, &tx.body.payload)?;
    for key in record.new_keys() {
        if !key.is_torsion_free() {
            return Err(Rejection::new(
                Code::BadKey,
                format!(
                    "key {key} has a torsion component; generate keys with a standard Ed25519 \
                     library"
                ),
            ));
        }
    }
    Ok(Checked { tx, tx_id, record })
}

/// Executes one signed record against `state`: [`precheck`] then [`execute_checked`].
///
/// The signature is **not** checked here: admission verifies it (singly or in a batch) before a
/// record reaches a block, and every validator verifies a block's records before executing it.
pub fn execute<S: State + ?Sized>(
    state: &mut S,
    tx: &SignedTx,
    block: &BlockContext,
) -> Result<Effects, ExecError> {
    let bytes = tx
        .to_canonical()
        .map_err(|e| Rejection::new(Code::Malformed, e.to_string()))?;
    execute_with_id(state, tx, liangxin_types::tx::tx_id(&bytes), block)
}

/// [`execute`] for a caller that already knows the tx id (from the received bytes).
pub fn execute_with_id<S: State + ?Sized>(
    state: &mut S,
    tx: &SignedTx,
    tx_id: Hash,
    block: &BlockContext,
) -> Result<Effects, ExecError> {
    execute_checked(state, precheck(tx, tx_id)?, block)
}

/// The stateful part of execution, for a record that passed [`precheck`].
///
/// Checks, in order: the chain id; the signer is registered and not revoked; the sequence
/// number is the signer's next; the signer's role may sign this kind; then the kind's own
/// rules. On success the state holds the record's effects, the signer's next sequence number
/// and the record's metadata; on rejection the state is byte-identical.
pub fn execute_checked<S: State + ?Sized>(
    state: &mut S,
    checked: Checked<'_>,
    block: &BlockContext,
) -> Result<Effects, ExecError> {
    let mut overlay = Overlay::new(state);
    let effects = run(&mut overlay, checked, block)?;
    overlay.commit()?;
    Ok(effects)
}

fn run<S: State + ?Sized>(
    s: &mut Overlay<'_, S>,
    checked: Checked<'_>,
    block: &BlockContext,
) -> Result<Effects, ExecError> {
    let Checked { tx, tx_id, record } = checked;
    let body = &tx.body;
    if let Some(meta) = tables::chain(s)?
        && meta.chain_id != body.chain_id
    {
        return Err(Rejection::new(
            Code::BadField,
            format!(
                "record is for chain {}, this is {}",
                body.chain_id, meta.chain_id
            ),
        )
        .into());
    }
    let signer = body.signer;
    let participant = active_signer(s, &signer)?;
    let expected = tables::next_seq(s, &signer)?;
    if body.seq != expected {
        let what = if body.seq < expected {
            "already used (a replay)"
        } else {
            "ahead of the signer's next one"
        };
        return Err(Rejection::new(
            Code::BadSequence,
            format!(
                "sequence number {} is {what}: the signer's next sequence number is {expected}",
                body.seq
            ),
        )
        .into());
    }
    check_role(&record, &participant.holder)?;
    let cx = Cx {
        tx_id,
        signer,
        holder: participant.holder,
        block,
    };
    let kind = record.kind();
    let effects = dispatch(s, &cx, record)?;
    tables::set_next_seq(s, &signer, expected.saturating_add(1))?;
    if EntryMeta::kept_for(kind) {
        let operator = effects.subjects.iter().find_map(|x| match x {
            Subject::Operator(u) => Some(u.clone()),
            _ => None,
        });
        tables::put_entry(s, &tx_id, &EntryMeta { kind, operator })?;
    }
    Ok(effects)
}

/// Checks 4 and 5 of `docs/records.md` §1.3: the signer's key is registered and not revoked.
/// Returns who holds it. (The node runs this at admission too.)
pub fn active_signer(s: &impl State, signer: &PublicKey) -> Result<store::Participant, ExecError> {
    let participant = tables::participant(s, signer)?.ok_or_else(|| {
        Rejection::new(
            Code::UnknownSigner,
            format!("key {signer} is not registered on this ledger"),
        )
    })?;
    if participant.revoked {
        return Err(Rejection::new(
            Code::RevokedKey,
            format!("key {signer} was revoked or replaced and signs nothing"),
        )
        .into());
    }
    Ok(participant)
}

/// Check 7 of `docs/records.md` §1.3: the holder's role may sign this kind of record. (The node
/// runs this at admission too.)
pub fn check_role(record: &Record, holder: &Holder) -> Result<(), Rejection> {
    match record.signer_role() {
        Some(role) if holder.role() != role => Err(Rejection::new(
            Code::WrongRole,
            format!(
                "{} {} record must be signed by {}, not by {}",
                article(record.kind_name()),
                record.kind_name(),
                role_name(role),
                role_name(holder.role())
            ),
        )),
        _ => Ok(()),
    }
}

fn dispatch<S: State + ?Sized>(s: &mut Overlay<'_, S>, cx: &Cx<'_>, record: Record) -> RuleResult {
    match record {
        R::OperatorRegistration(r) => registry::register_operator(s, cx, r),
        R::InstitutionRegistration(r) => registry::register_institution(s, cx, r),
        R::KeyRotation(r) => registry::rotate_key(s, cx, r),
        R::KeyRevocation(r) => registry::revoke_key(s, cx, r),
        R::SelfCommitment(r) => commitments::commit(s, cx, r),
        R::CommitmentWithdrawal(r) => commitments::withdraw(s, cx, r),
        R::InstrumentRegistration(r) => instruments::register(s, cx, r),
        R::InstrumentRetirement(r) => instruments::retire(s, cx, r),
        R::VerificationResult(r) => instruments::verify(s, cx, r),
        R::InspectionResult(r) => inspection::inspect(s, cx, r),
        R::PenaltyDecision(r) => inspection::penalty(s, cx, r),
        R::Commendation(r) => inspection::commend(s, cx, r),
        R::CommendationRevocation(r) => inspection::revoke_commendation(s, cx, r),
        R::Objection(r) => objections::object(s, cx, r),
        R::ObjectionDecision(r) => objections::decide(s, cx, r),
        R::CreditRepair(r) => objections::repair(s, cx, r),
        R::RandomDrawRequest(r) => draws::request(s, cx, r),
        R::GovernanceProposal(r) => governance::propose(s, cx, r),
        R::GovernanceApproval(r) => governance::approve(s, cx, r),
    }
}

/// Work done at the start of every block, before its records: governance actions whose
/// effective height has come are applied, then the random draws requested in earlier blocks are
/// resolved with this block's seed (see [`draws`]).
pub fn begin_block<S: State + ?Sized>(
    state: &mut S,
    block: &BlockContext,
) -> Result<Vec<Subject>, StateError> {
    let mut subjects = governance::apply_due(state, block)?;
    let mut overlay = Overlay::new(state);
    subjects.extend(draws::resolve_pending(&mut overlay, block)?);
    overlay.commit()?;
    Ok(subjects)
}

/// "a" or "an" before `word` in messages.
pub fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A role's name in messages.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Regulator => "a regulator",
        Role::Institution => "a verification institution",
        Role::Operator => "an operator",
    }
}
