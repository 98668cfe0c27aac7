//! The record schemas: one struct per record kind of DOMAIN.md, each with a stable
//! [`RecordKind`] tag. A signed transaction carries `kind` and `payload = canonical(record)`;
//! [`Record::decode`] turns them back into a typed record and [`Record::encode`] does the reverse.
//!
//! Records refer to earlier records by transaction id (`Hash`). Nothing is ever edited: every
//! change is a new record that refers to an earlier one.

use liangxin_types::encoding::{BoundedVec, Canonical};
use liangxin_types::tx::RecordKind;
use liangxin_types::{Hash, PublicKey, Uscc};
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::rejection::{Code, Rejection};

/// Operator registration (经营者登记). Signed by a regulator whose jurisdiction contains the
/// operator's region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRegistration {
    /// The operator's unified social credit code.
    pub uscc: Uscc,
    /// Registered name.
    pub name: ShortText,
    /// Six-digit region code of its premises.
    pub region: Region,
    /// Sector.
    pub sector: Sector,
    /// The operator's signing key.
    pub key: PublicKey,
    /// Set by the regulator to admit a code whose check character is wrong (real registries
    /// hold a few); recorded forever on the entry.
    pub check_override: bool,
}

/// Verification institution registration (检定机构). Signed by a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionRegistration {
    /// Authorisation number (授权证书编号); the institution's id.
    pub authorisation: ShortText,
    /// Name.
    pub name: ShortText,
    /// Catalogue items it may verify.
    pub categories: BoundedVec<CatalogueCode, 128>,
    /// Its signing key.
    pub key: PublicKey,
    /// Start of the authorisation's validity.
    pub valid_from: Time,
    /// End of the authorisation's validity.
    pub valid_until: Time,
}

/// Replace a participant's key. Signed by the key's owner (with the old key) or by a regulator
/// (e.g. after a loss).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRotation {
    /// The key being replaced.
    pub old_key: PublicKey,
    /// The key that replaces it.
    pub new_key: PublicKey,
}

/// Revoke a key: it signs nothing from then on. Signed by the owner or a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRevocation {
    /// The key revoked.
    pub key: PublicKey,
    /// Why.
    pub reason: LongText,
}

/// Self-commitment (诚信计量承诺). Signed by the operator about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfCommitment {
    /// The operator (must be the signer).
    pub uscc: Uscc,
    /// Version of the pledge template.
    pub template_version: u16,
    /// Digest of the pledge text.
    pub pledge_digest: Hash,
    /// Start of validity.
    pub valid_from: Time,
    /// End of validity.
    pub valid_until: Time,
    /// Where the pledge is posted.
    pub posted_at: ShortText,
    /// Complaint hotline.
    pub hotline: ShortText,
    /// The commitment this one renews, if any.
    pub renews: Option<Hash>,
}

/// Withdrawal of a self-commitment. Signed by the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentWithdrawal {
    /// The commitment withdrawn.
    pub commitment: Hash,
    /// Why.
    pub reason: LongText,
}

/// Instrument registration (强检备案). Signed by the owning operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentRegistration {
    /// The instrument (its owner must be the signer).
    pub instrument: InstrumentId,
    /// What it is used for.
    pub usage: InstrumentUse,
    /// Model.
    pub model: ShortText,
    /// Accuracy class.
    pub accuracy_class: ShortText,
    /// Measuring range.
    pub range: ShortText,
    /// Manufacturer.
    pub manufacturer: ShortText,
    /// Where it is used.
    pub location: ShortText,
    /// How it is kept verified.
    pub mode: VerificationMode,
}

/// An instrument leaves service (失准更换, scrapping). Signed by the owning operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentRetirement {
    /// The instrument retired.
    pub instrument: InstrumentId,
    /// Why.
    pub reason: RetirementReason,
    /// The instrument replacing it (must be registered already), if any.
    pub replacement: Option<InstrumentId>,
}

/// Mandatory-verification result (检定结果). Signed by an institution authorised for the
/// instrument's category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationResult {
    /// The instrument verified.
    pub instrument: InstrumentId,
    /// When it was verified.
    pub date: Time,
    /// Pass or fail.
    pub passed: bool,
    /// Certificate (or notice of failure) number.
    pub certificate_number: ShortText,
    /// Digest of the certificate document (e.g. a DCC XML), `Domain::Document`.
    pub certificate_digest: Hash,
    /// Where the certificate can be fetched, if published.
    pub certificate_uri: Option<Uri>,
    /// For a pass: the end of its validity.
    pub valid_until: Time,
    /// The regulation applied, e.g. "JJG 539-2016".
    pub regulation: ShortText,
}

/// One finding of an inspection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The instrument concerned, if any.
    pub instrument: Option<InstrumentId>,
    /// Details.
    pub note: ShortText,
}

/// Inspection result (监督抽查 / 专项检查). Signed by a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionResult {
    /// The operator inspected.
    pub target: Uscc,
    /// The random draw that selected it, if any.
    pub draw: Option<Hash>,
    /// Inspector ids: at least two.
    pub inspectors: BoundedVec<ShortText, 16>,
    /// Date of the inspection.
    pub date: Time,
    /// Number of items checked.
    pub items_checked: u32,
    /// What was found (empty for a clean inspection).
    pub findings: BoundedVec<Finding, 64>,
    /// Outcome.
    pub outcome: InspectionOutcome,
    /// Digest of the inspection report.
    pub report_digest: Hash,
}

/// Administrative penalty decision (行政处罚决定). Signed by a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyDecision {
    /// The operator penalised.
    pub target: Uscc,
    /// Decision number (处罚决定书文号).
    pub decision_number: ShortText,
    /// The violation, in the terms of the decision.
    pub violation: ShortText,
    /// Severity.
    pub severity: Severity,
    /// Date of the decision.
    pub date: Time,
    /// End of the publication period.
    pub public_until: Time,
}

/// Demonstration-unit commendation (诚信计量示范单位). Signed by a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commendation {
    /// The operator commended.
    pub target: Uscc,
    /// Level.
    pub level: CommendationLevel,
    /// Award date.
    pub awarded: Time,
    /// End of validity.
    pub valid_until: Time,
}

/// Revocation of a commendation. Signed by a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommendationRevocation {
    /// The commendation revoked.
    pub commendation: Hash,
    /// Why.
    pub reason: LongText,
}

/// An operator's objection to a record about it (异议). Signed by the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    /// The record objected to.
    pub record: Hash,
    /// Why.
    pub reason: LongText,
}

/// A regulator's decision on an objection (更正). The original record stays in the log; an
/// upheld objection voids its effect on the grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionDecision {
    /// The objection decided.
    pub objection: Hash,
    /// Whether the objection is upheld.
    pub upheld: bool,
    /// Reasons.
    pub reason: LongText,
}

/// Credit repair (信用修复): a negative record stops counting from `date`. Signed by a
/// regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRepair {
    /// The record repaired.
    pub record: Hash,
    /// Effective date.
    pub date: Time,
    /// The basis (rectification completed, penalty fulfilled…).
    pub basis: LongText,
}

/// A random inspection draw (双随机). Signed by a regulator. The selection is computed by the
/// ledger from the seed of the block that finalises this request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomDrawRequest {
    /// Where the candidates are.
    pub jurisdiction: Jurisdiction,
    /// Only these sectors (empty: all).
    pub sectors: BoundedVec<Sector, 8>,
    /// The inspector pool.
    pub inspectors: BoundedVec<ShortText, 1024>,
    /// Conflicts of interest: (inspector, operator) pairs that must not meet.
    pub exclusions: BoundedVec<Exclusion, 1024>,
    /// Inspectors per target (at least two).
    pub inspectors_per_target: u8,
    /// A label for the campaign, e.g. "2026 Q4 fuel dispensers".
    pub label: ShortText,
}

/// An inspector who must not inspect an operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The inspector.
    pub inspector: ShortText,
    /// The operator.
    pub operator: Uscc,
}

/// What a governance proposal changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GovernanceAction {
    /// Add a regulator (and, if `validator`, a validator).
    AddRegulator {
        /// Display name; also its checkpoint-signing name.
        name: ShortText,
        /// Its key.
        key: PublicKey,
        /// Its jurisdiction.
        jurisdiction: Jurisdiction,
        /// Whether it validates.
        validator: bool,
    },
    /// Remove a regulator (and validator).
    RemoveRegulator {
        /// Its key.
        key: PublicKey,
    },
    /// Replace the rule parameters.
    SetParams(crate::params::RuleParams),
    /// Add or replace a catalogue item.
    SetCatalogueItem(CatalogueItem),
}

/// A governance proposal. Signed by a regulator; it counts as that regulator's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceProposal {
    /// What changes.
    pub action: GovernanceAction,
    /// The height from which it applies, once approved.
    pub effective_height: u64,
    /// Approvals must arrive before this height.
    pub expires_height: u64,
}

/// Approval of a governance proposal. Signed by a regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceApproval {
    /// The proposal approved.
    pub proposal: Hash,
}

macro_rules! records {
    ($( $(#[$doc:meta])* $variant:ident = $tag:literal, $name:literal;)*) => {
        /// Every record kind, as a typed value. JSON: `{"kind": "<name>", ...fields}`.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Record {
            $( $(#[$doc])* $variant($variant), )*
        }

        $(
            impl Canonical for $variant {
                const NAME: &'static str = $name;
                const MAX_SIZE: usize = liangxin_types::tx::MAX_PAYLOAD;
            }
            impl From<$variant> for Record {
                fn from(r: $variant) -> Record {
                    Record::$variant(r)
                }
            }
        )*

        /// The stable kind tags.
        pub mod kind {
            use liangxin_types::tx::RecordKind;
            $(
                #[doc = concat!("Tag of `", $name, "`.")]
                #[allow(non_upper_case_globals)]
                pub const $variant: RecordKind = RecordKind($tag);
            )*
        }

        impl Record {
            /// Every kind tag with its name.
            pub const KINDS: &'static [(RecordKind, &'static str)] = &[ $( (RecordKind($tag), $name), )* ];

            /// The kind tag.
            pub fn kind(&self) -> RecordKind {
                match self { $( Record::$variant(_) => RecordKind($tag), )* }
            }

            /// The kind's name (snake case).
            pub fn kind_name(&self) -> &'static str {
                match self { $( Record::$variant(_) => $name, )* }
            }

            /// The canonical payload bytes.
            pub fn encode(&self) -> Result<(RecordKind, Vec<u8>), Rejection> {
                let bytes = match self { $( Record::$variant(r) => r.to_canonical(), )* };
                bytes
                    .map(|b| (self.kind(), b))
                    .map_err(|e| Rejection::new(Code::Malformed, e.to_string()))
            }

            /// Decodes a payload by its kind tag.
            pub fn decode(kind: RecordKind, payload: &[u8]) -> Result<Record, Rejection> {
                let bad = |e: liangxin_types::Error| Rejection::new(Code::Malformed, e.to_string());
                match kind.0 {
                    $( $tag => $variant::from_canonical(payload).map(Record::$variant).map_err(bad), )*
                    other => Err(Rejection::new(Code::Malformed, format!("unknown record kind {other}"))),
                }
            }

            /// Decodes a payload of a log entry read back from this node's own store, without the
            /// round-trip check [`Record::decode`] makes (see [`Canonical::from_stored`]).
            pub fn decode_stored(kind: RecordKind, payload: &[u8]) -> Result<Record, Rejection> {
                let bad = |e: liangxin_types::Error| Rejection::new(Code::Malformed, e.to_string());
                match kind.0 {
                    $( $tag => $variant::from_stored(payload).map(Record::$variant).map_err(bad), )*
                    other => Err(Rejection::new(Code::Malformed, format!("unknown record kind {other}"))),
                }
            }
        }
    };
}

records! {
    /// [`OperatorRegistration`].
    OperatorRegistration = 1, "operator_registration";
    /// [`InstitutionRegistration`].
    InstitutionRegistration = 2, "institution_registration";
    /// [`KeyRotation`].
    KeyRotation = 3, "key_rotation";
    /// [`KeyRevocation`].
    KeyRevocation = 4, "key_revocation";
    /// [`SelfCommitment`].
    SelfCommitment = 10, "self_commitment";
    /// [`CommitmentWithdrawal`].
    CommitmentWithdrawal = 11, "commitment_withdrawal";
    /// [`InstrumentRegistration`].
    InstrumentRegistration = 20, "instrument_registration";
    /// [`InstrumentRetirement`].
    InstrumentRetirement = 21, "instrument_retirement";
    /// [`VerificationResult`].
    VerificationResult = 30, "verification_result";
    /// [`InspectionResult`].
    InspectionResult = 40, "inspection_result";
    /// [`PenaltyDecision`].
    PenaltyDecision = 41, "penalty_decision";
    /// [`Commendation`].
    Commendation = 42, "commendation";
    /// [`CommendationRevocation`].
    CommendationRevocation = 43, "commendation_revocation";
    /// [`Objection`].
    Objection = 50, "objection";
    /// [`ObjectionDecision`].
    ObjectionDecision = 51, "objection_decision";
    /// [`CreditRepair`].
    CreditRepair = 52, "credit_repair";
    /// [`RandomDrawRequest`].
    RandomDrawRequest = 60, "random_draw_request";
    /// [`GovernanceProposal`].
    GovernanceProposal = 70, "governance_proposal";
    /// [`GovernanceApproval`].
    GovernanceApproval = 71, "governance_approval";
}

/// The role that signs a record kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A market regulator.
    Regulator,
    /// A verification institution.
    Institution,
    /// An operator.
    Operator,
}

impl Record {
    /// The keys this record introduces to the ledger (checked torsion-free by
    /// [`crate::precheck`]).
    pub fn new_keys(&self) -> Vec<&PublicKey> {
        match self {
            Record::OperatorRegistration(r) => vec![&r.key],
            Record::InstitutionRegistration(r) => vec![&r.key],
            Record::KeyRotation(r) => vec![&r.new_key],
            Record::GovernanceProposal(GovernanceProposal {
                action: GovernanceAction::AddRegulator { key, .. },
                ..
            }) => vec![key],
            _ => Vec::new(),
        }
    }

    /// The role that may sign this record. Key rotation and revocation may be signed by the
    /// key's owner (any role) or by a regulator, so they return `None` and are checked by their
    /// own rule.
    pub fn signer_role(&self) -> Option<Role> {
        Some(match self {
            Record::OperatorRegistration(_)
            | Record::InstitutionRegistration(_)
            | Record::InspectionResult(_)
            | Record::PenaltyDecision(_)
            | Record::Commendation(_)
            | Record::CommendationRevocation(_)
            | Record::ObjectionDecision(_)
            | Record::CreditRepair(_)
            | Record::RandomDrawRequest(_)
            | Record::GovernanceProposal(_)
            | Record::GovernanceApproval(_) => Role::Regulator,
            Record::VerificationResult(_) => Role::Institution,
            Record::SelfCommitment(_)
            | Record::CommitmentWithdrawal(_)
            | Record::InstrumentRegistration(_)
            | Record::InstrumentRetirement(_)
            | Record::Objection(_) => Role::Operator,
            Record::KeyRotation(_) | Record::KeyRevocation(_) => return None,
        })
    }
}
