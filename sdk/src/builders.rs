//! Builders for every record kind, each producing a [`Record`].
//!
//! Simple kinds are functions ([`key_rotation`], [`objection`], …); kinds with many fields are
//! builder structs whose `new` takes the fields that have no sensible default and whose
//! setters change the rest, then `build()` checks the text limits and returns the
//! [`Record`]. The ledger's own rules (roles, jurisdictions, dates against the block time) are
//! checked by the node; builders only check what can be known locally.
//!
//! Dates default to today (00:00 UTC, so that a date is never after the block time because
//! of a clock a little ahead), validity periods to the usual lengths (one year for a
//! commitment or a verification, three years for a commendation, the middle of the legal
//! publication period for a penalty).
//!
//! ```
//! use liangxin_sdk::builders::{self, SelfCommitmentBuilder};
//! use liangxin_sdk::types::{Uscc, hash::document_digest};
//!
//! let uscc = Uscc::parse("91350100M000100Y43")?;
//! let record = SelfCommitmentBuilder::new(uscc, document_digest(b"pledge text"), "营业大厅入口")
//!     .hotline("0591-12345678")
//!     .build()?;
//! assert_eq!(record.kind_name(), "self_commitment");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use liangxin_contracts::Record;
use liangxin_contracts::model::{
    CommendationLevel, DAY, FindingKind, InspectionOutcome, InstrumentId, InstrumentUse,
    Jurisdiction, Region, RetirementReason, Sector, Severity, Time, VerificationMode,
};
use liangxin_contracts::records::{
    Commendation, CommendationRevocation, CommitmentWithdrawal, CreditRepair, Exclusion, Finding,
    GovernanceAction, GovernanceApproval, GovernanceProposal, InspectionResult,
    InstitutionRegistration, InstrumentRegistration, InstrumentRetirement, KeyRevocation,
    KeyRotation, Objection, ObjectionDecision, OperatorRegistration, PenaltyDecision,
    RandomDrawRequest, SelfCommitment, VerificationResult,
};
use liangxin_types::encoding::{BoundedString, BoundedVec};
use liangxin_types::{Hash, PublicKey, Uscc};

use crate::error::{Error, Result};

/// A bounded text field, or an error naming `what`.
pub fn text<const N: usize>(what: &str, s: &str) -> Result<BoundedString<N>> {
    BoundedString::new(s).map_err(|e| Error::invalid(what, e))
}

fn list<T, const N: usize>(what: &str, v: Vec<T>) -> Result<BoundedVec<T, N>> {
    BoundedVec::new(v).map_err(|e| Error::invalid(what, e))
}

fn texts<const N: usize, const M: usize>(
    what: &str,
    v: &[String],
) -> Result<BoundedVec<BoundedString<N>, M>> {
    let items = v
        .iter()
        .map(|s| text::<N>(what, s))
        .collect::<Result<Vec<_>>>()?;
    list(what, items)
}

/// An instrument id: owner, catalogue code (e.g. `"9.1"`) and factory serial number.
pub fn instrument(owner: Uscc, category: &str, serial: &str) -> Result<InstrumentId> {
    Ok(InstrumentId {
        owner,
        category: text("instrument category", category)?,
        serial: text("instrument serial", serial)?,
    })
}

// ---- time ------------------------------------------------------------------------------------

/// The current time from the system clock (seconds since the Unix epoch, UTC).
pub fn now() -> Time {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Time(secs)
}

/// Today at 00:00 UTC: the default of every date field.
pub fn today() -> Time {
    let t = now();
    Time(t.0 - t.0 % DAY)
}

/// 00:00 UTC of a civil date (proleptic Gregorian calendar).
pub fn date(year: i64, month: u32, day: u32) -> Result<Time> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(Error::invalid("date", format!("month {month} is not 1-12"))),
    };
    if day == 0 || day > days_in_month {
        return Err(Error::invalid(
            "date",
            format!("day {day} is not in {year:04}-{month:02}"),
        ));
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of `Time`'s Display.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    if days < 0 {
        return Err(Error::invalid(
            "date",
            "dates before 1970-01-01 are not used",
        ));
    }
    Ok(Time(days as u64 * DAY))
}

/// Parses a time: `YYYY-MM-DD` (00:00 UTC that day) or a number of seconds since the Unix
/// epoch.
pub fn parse_time(s: &str) -> Result<Time> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map(Time)
            .map_err(|e| Error::invalid("time", e));
    }
    let bad = || {
        Error::invalid(
            "date",
            format!(
                "{:?} is neither YYYY-MM-DD nor seconds since 1970",
                s.chars().take(40).collect::<String>()
            ),
        )
    };
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let y: i64 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    date(y, m, d)
}

/// Parses a hash: 64 hex digits.
pub fn parse_hash(what: &str, s: &str) -> Result<Hash> {
    Hash::from_hex(s.trim()).map_err(|e| Error::invalid(what, e))
}

/// Parses a USCC, checking its check character (the error names the expected one).
pub fn parse_uscc(s: &str) -> Result<Uscc> {
    Uscc::parse(s.trim()).map_err(|e| Error::invalid("uscc", e))
}

// ---- setters ---------------------------------------------------------------------------------

macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident: $ty:ty ),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, v: impl Into<$ty>) -> Self {
                self.$name = v.into();
                self
            }
        )*
    };
}

// ---- registry --------------------------------------------------------------------------------

/// `operator_registration` (regulator): registers an operator and its key.
#[derive(Clone, Debug)]
pub struct OperatorRegistrationBuilder {
    uscc: Uscc,
    name: String,
    region: String,
    sector: Sector,
    key: PublicKey,
    check_override: bool,
}

impl OperatorRegistrationBuilder {
    /// An operator: its USCC, registered name, six-digit region code, sector and key.
    pub fn new(
        uscc: Uscc,
        name: impl Into<String>,
        region: impl Into<String>,
        sector: Sector,
        key: PublicKey,
    ) -> Self {
        OperatorRegistrationBuilder {
            uscc,
            name: name.into(),
            region: region.into(),
            sector,
            key,
            check_override: false,
        }
    }

    setters! {
        /// Admit a USCC whose check character is wrong (recorded on the entry; default no).
        check_override: bool,
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        Ok(OperatorRegistration {
            uscc: self.uscc,
            name: text("name", &self.name)?,
            region: Region::new(&self.region)?,
            sector: self.sector,
            key: self.key,
            check_override: self.check_override,
        }
        .into())
    }
}

/// `institution_registration` (regulator): registers a verification institution.
#[derive(Clone, Debug)]
pub struct InstitutionRegistrationBuilder {
    authorisation: String,
    name: String,
    categories: Vec<String>,
    key: PublicKey,
    valid_from: Time,
    valid_until: Time,
}

impl InstitutionRegistrationBuilder {
    /// An institution: authorisation number, name, the catalogue codes it may verify, its
    /// key. Valid from today for five years unless set.
    pub fn new(
        authorisation: impl Into<String>,
        name: impl Into<String>,
        categories: Vec<String>,
        key: PublicKey,
    ) -> Self {
        let from = today();
        InstitutionRegistrationBuilder {
            authorisation: authorisation.into(),
            name: name.into(),
            categories,
            key,
            valid_from: from,
            valid_until: from.plus(5 * 365 * DAY),
        }
    }

    setters! {
        /// Start of the authorisation (default today).
        valid_from: Time,
        /// End of the authorisation (default five years after today).
        valid_until: Time,
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        Ok(InstitutionRegistration {
            authorisation: text("authorisation", &self.authorisation)?,
            name: text("name", &self.name)?,
            categories: texts("categories", &self.categories)?,
            key: self.key,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        }
        .into())
    }
}

/// `key_rotation` (the key's owner with the old key, or a regulator): `new_key` replaces
/// `old_key`.
pub fn key_rotation(old_key: PublicKey, new_key: PublicKey) -> Record {
    KeyRotation { old_key, new_key }.into()
}

/// `key_revocation` (the key's owner or a regulator): `key` signs nothing from then on.
pub fn key_revocation(key: PublicKey, reason: &str) -> Result<Record> {
    Ok(KeyRevocation {
        key,
        reason: text("reason", reason)?,
    }
    .into())
}

// ---- commitments -----------------------------------------------------------------------------

/// `self_commitment` (the operator): an honest-metering pledge (诚信计量承诺).
#[derive(Clone, Debug)]
pub struct SelfCommitmentBuilder {
    uscc: Uscc,
    pledge_digest: Hash,
    posted_at: String,
    template_version: u16,
    valid_from: Time,
    valid_until: Time,
    hotline: String,
    renews: Option<Hash>,
}

impl SelfCommitmentBuilder {
    /// A pledge by `uscc`: the digest of the pledge text
    /// ([`document_digest`](liangxin_types::hash::document_digest)) and where it is posted.
    /// Template version 1, valid from today for one year, hotline `12315`, renewing nothing,
    /// unless set.
    pub fn new(uscc: Uscc, pledge_digest: Hash, posted_at: impl Into<String>) -> Self {
        let from = today();
        SelfCommitmentBuilder {
            uscc,
            pledge_digest,
            posted_at: posted_at.into(),
            template_version: 1,
            valid_from: from,
            valid_until: from.plus(365 * DAY),
            hotline: "12315".into(),
            renews: None,
        }
    }

    setters! {
        /// The pledge template version (default 1).
        template_version: u16,
        /// Start of validity (default today).
        valid_from: Time,
        /// End of validity (default a year after today).
        valid_until: Time,
        /// The complaint hotline (default `12315`).
        hotline: String,
        /// The commitment this one renews (its tx id; default none).
        renews: Option<Hash>,
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        Ok(SelfCommitment {
            uscc: self.uscc,
            template_version: self.template_version,
            pledge_digest: self.pledge_digest,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            posted_at: text("posted_at", &self.posted_at)?,
            hotline: text("hotline", &self.hotline)?,
            renews: self.renews,
        }
        .into())
    }
}

/// `commitment_withdrawal` (the operator): withdraws the commitment with tx id `commitment`.
pub fn commitment_withdrawal(commitment: Hash, reason: &str) -> Result<Record> {
    Ok(CommitmentWithdrawal {
        commitment,
        reason: text("reason", reason)?,
    }
    .into())
}

// ---- instruments -----------------------------------------------------------------------------

/// `instrument_registration` (the owning operator): files an instrument (强检备案).
#[derive(Clone, Debug)]
pub struct InstrumentRegistrationBuilder {
    instrument: InstrumentId,
    usage: InstrumentUse,
    model: String,
    accuracy_class: String,
    range: String,
    manufacturer: String,
    location: String,
    mode: VerificationMode,
}

impl InstrumentRegistrationBuilder {
    /// An instrument and its model. Used for trade settlement, periodic verification, the
    /// other descriptive fields empty, unless set.
    pub fn new(instrument: InstrumentId, model: impl Into<String>) -> Self {
        InstrumentRegistrationBuilder {
            instrument,
            usage: InstrumentUse::TradeSettlement,
            model: model.into(),
            accuracy_class: String::new(),
            range: String::new(),
            manufacturer: String::new(),
            location: String::new(),
            mode: VerificationMode::Periodic,
        }
    }

    setters! {
        /// What it is used for (default trade settlement).
        usage: InstrumentUse,
        /// Accuracy class.
        accuracy_class: String,
        /// Measuring range.
        range: String,
        /// Manufacturer.
        manufacturer: String,
        /// Where it is used.
        location: String,
        /// How it is kept verified (default periodic; the catalogue item must allow it).
        mode: VerificationMode,
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        Ok(InstrumentRegistration {
            instrument: self.instrument,
            usage: self.usage,
            model: text("model", &self.model)?,
            accuracy_class: text("accuracy_class", &self.accuracy_class)?,
            range: text("range", &self.range)?,
            manufacturer: text("manufacturer", &self.manufacturer)?,
            location: text("location", &self.location)?,
            mode: self.mode,
        }
        .into())
    }
}

/// `instrument_retirement` (the owning operator): the instrument leaves service, optionally
/// replaced by an already registered one.
pub fn instrument_retirement(
    instrument: InstrumentId,
    reason: RetirementReason,
    replacement: Option<InstrumentId>,
) -> Record {
    InstrumentRetirement {
        instrument,
        reason,
        replacement,
    }
    .into()
}

// ---- verification ----------------------------------------------------------------------------

/// `verification_result` (an institution authorised for the instrument's category): a
/// mandatory-verification result (检定结果).
#[derive(Clone, Debug)]
pub struct VerificationResultBuilder {
    instrument: InstrumentId,
    certificate_number: String,
    certificate_digest: Hash,
    regulation: String,
    date: Time,
    passed: bool,
    certificate_uri: Option<String>,
    valid_until: Option<Time>,
}

impl VerificationResultBuilder {
    /// A result for `instrument` with its certificate number, the digest of the certificate
    /// document and the regulation applied (e.g. `JJG 443-2023`). A pass dated today, valid
    /// for one year, no URI, unless set.
    pub fn new(
        instrument: InstrumentId,
        certificate_number: impl Into<String>,
        certificate_digest: Hash,
        regulation: impl Into<String>,
    ) -> Self {
        VerificationResultBuilder {
            instrument,
            certificate_number: certificate_number.into(),
            certificate_digest,
            regulation: regulation.into(),
            date: today(),
            passed: true,
            certificate_uri: None,
            valid_until: None,
        }
    }

    setters! {
        /// Date verified (default today).
        date: Time,
        /// Pass (default) or fail.
        passed: bool,
        /// Where the certificate can be fetched.
        certificate_uri: Option<String>,
        /// End of validity of a pass (default a year after `date`).
        valid_until: Option<Time>,
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        Ok(VerificationResult {
            instrument: self.instrument,
            date: self.date,
            passed: self.passed,
            certificate_number: text("certificate_number", &self.certificate_number)?,
            certificate_digest: self.certificate_digest,
            certificate_uri: self
                .certificate_uri
                .as_deref()
                .map(|u| text("certificate_uri", u))
                .transpose()?,
            valid_until: self
                .valid_until
                .unwrap_or_else(|| self.date.plus(365 * DAY)),
            regulation: text("regulation", &self.regulation)?,
        }
        .into())
    }
}

// ---- inspection, penalties, commendations ----------------------------------------------------

/// `inspection_result` (regulator): an inspection (监督抽查 / 专项检查).
#[derive(Clone, Debug)]
pub struct InspectionResultBuilder {
    target: Uscc,
    inspectors: Vec<String>,
    report_digest: Hash,
    draw: Option<Hash>,
    date: Time,
    items_checked: u32,
    findings: Vec<(FindingKind, Option<InstrumentId>, String)>,
    outcome: Option<InspectionOutcome>,
}

impl InspectionResultBuilder {
    /// An inspection of `target` by `inspectors` (at least two), with the digest of its
    /// report. Dated today, one item checked, no findings, not from a draw, unless set. The
    /// outcome defaults to `compliant` without findings and `rectification_ordered` with
    /// some.
    pub fn new(target: Uscc, inspectors: Vec<String>, report_digest: Hash) -> Self {
        InspectionResultBuilder {
            target,
            inspectors,
            report_digest,
            draw: None,
            date: today(),
            items_checked: 1,
            findings: Vec::new(),
            outcome: None,
        }
    }

    setters! {
        /// The random draw that selected the target (the request's tx id).
        draw: Option<Hash>,
        /// Date of the inspection (default today).
        date: Time,
        /// Items checked (default 1).
        items_checked: u32,
        /// Outcome (default from the findings).
        outcome: Option<InspectionOutcome>,
    }

    /// Adds a finding.
    pub fn finding(
        mut self,
        kind: FindingKind,
        instrument: Option<InstrumentId>,
        note: impl Into<String>,
    ) -> Self {
        self.findings.push((kind, instrument, note.into()));
        self
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        let outcome = self.outcome.unwrap_or(if self.findings.is_empty() {
            InspectionOutcome::Compliant
        } else {
            InspectionOutcome::RectificationOrdered
        });
        let findings = self
            .findings
            .into_iter()
            .map(|(kind, instrument, note)| {
                Ok(Finding {
                    kind,
                    instrument,
                    note: text("finding note", &note)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(InspectionResult {
            target: self.target,
            draw: self.draw,
            inspectors: texts("inspectors", &self.inspectors)?,
            date: self.date,
            items_checked: self.items_checked,
            findings: list("findings", findings)?,
            outcome,
            report_digest: self.report_digest,
        }
        .into())
    }
}

/// `penalty_decision` (regulator): an administrative penalty (行政处罚决定).
#[derive(Clone, Debug)]
pub struct PenaltyDecisionBuilder {
    target: Uscc,
    decision_number: String,
    violation: String,
    severity: Severity,
    date: Time,
    public_until: Option<Time>,
}

impl PenaltyDecisionBuilder {
    /// A decision against `target`: its number, the violation and the severity. Dated today
    /// and public for 90 days (minor), 182 days (general) or two years (serious) unless set
    /// (the ledger accepts 89–92, 89–366 and 365–1,096 days by default).
    pub fn new(
        target: Uscc,
        decision_number: impl Into<String>,
        violation: impl Into<String>,
        severity: Severity,
    ) -> Self {
        PenaltyDecisionBuilder {
            target,
            decision_number: decision_number.into(),
            violation: violation.into(),
            severity,
            date: today(),
            public_until: None,
        }
    }

    setters! {
        /// Date of the decision (default today).
        date: Time,
        /// End of the publication period (default by severity, see `new`).
        public_until: Option<Time>,
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        let days = match self.severity {
            Severity::Minor => 90,
            Severity::General => 182,
            Severity::Serious => 730,
        };
        Ok(PenaltyDecision {
            target: self.target,
            decision_number: text("decision_number", &self.decision_number)?,
            violation: text("violation", &self.violation)?,
            severity: self.severity,
            date: self.date,
            public_until: self
                .public_until
                .unwrap_or_else(|| self.date.plus(days * DAY)),
        }
        .into())
    }
}

/// `commendation` (regulator): demonstration-unit status (诚信计量示范单位), awarded today and
/// valid three years unless `awarded` / `valid_until` are given.
pub fn commendation(
    target: Uscc,
    level: CommendationLevel,
    awarded: Option<Time>,
    valid_until: Option<Time>,
) -> Record {
    let awarded = awarded.unwrap_or_else(today);
    Commendation {
        target,
        level,
        awarded,
        valid_until: valid_until.unwrap_or_else(|| awarded.plus(3 * 365 * DAY)),
    }
    .into()
}

/// `commendation_revocation` (regulator): revokes the commendation with tx id `commendation`.
pub fn commendation_revocation(commendation: Hash, reason: &str) -> Result<Record> {
    Ok(CommendationRevocation {
        commendation,
        reason: text("reason", reason)?,
    }
    .into())
}

// ---- objections and repair -------------------------------------------------------------------

/// `objection` (the operator the record is about): objects to the record with tx id `record`.
pub fn objection(record: Hash, reason: &str) -> Result<Record> {
    Ok(Objection {
        record,
        reason: text("reason", reason)?,
    }
    .into())
}

/// `objection_decision` (regulator): decides the objection with tx id `objection`.
pub fn objection_decision(objection: Hash, upheld: bool, reason: &str) -> Result<Record> {
    Ok(ObjectionDecision {
        objection,
        upheld,
        reason: text("reason", reason)?,
    }
    .into())
}

/// `credit_repair` (regulator): the negative record `record` stops counting from `date`
/// (default today).
pub fn credit_repair(record: Hash, date: Option<Time>, basis: &str) -> Result<Record> {
    Ok(CreditRepair {
        record,
        date: date.unwrap_or_else(today),
        basis: text("basis", basis)?,
    }
    .into())
}

// ---- random draws ----------------------------------------------------------------------------

/// `random_draw_request` (regulator): a double-random draw (双随机). The ledger computes the
/// selection.
#[derive(Clone, Debug)]
pub struct RandomDrawBuilder {
    jurisdiction: String,
    inspectors: Vec<String>,
    label: String,
    sectors: Vec<Sector>,
    exclusions: Vec<(String, Uscc)>,
    inspectors_per_target: u8,
}

impl RandomDrawBuilder {
    /// A draw in `jurisdiction` (0, 2, 4 or 6 digits of a region code; empty for the whole
    /// country) from an inspector pool, with a campaign label. All sectors, no exclusions,
    /// two inspectors per target, unless set.
    pub fn new(
        jurisdiction: impl Into<String>,
        inspectors: Vec<String>,
        label: impl Into<String>,
    ) -> Self {
        RandomDrawBuilder {
            jurisdiction: jurisdiction.into(),
            inspectors,
            label: label.into(),
            sectors: Vec::new(),
            exclusions: Vec::new(),
            inspectors_per_target: 2,
        }
    }

    setters! {
        /// Only these sectors (default: all).
        sectors: Vec<Sector>,
        /// Inspectors per target (default 2, at least 2).
        inspectors_per_target: u8,
    }

    /// A conflict of interest: `inspector` must not inspect `operator`.
    pub fn exclude(mut self, inspector: impl Into<String>, operator: Uscc) -> Self {
        self.exclusions.push((inspector.into(), operator));
        self
    }

    /// The record.
    pub fn build(self) -> Result<Record> {
        let exclusions = self
            .exclusions
            .into_iter()
            .map(|(inspector, operator)| {
                Ok(Exclusion {
                    inspector: text("exclusion inspector", &inspector)?,
                    operator,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RandomDrawRequest {
            jurisdiction: Jurisdiction::new(&self.jurisdiction)?,
            sectors: list("sectors", self.sectors)?,
            inspectors: texts("inspectors", &self.inspectors)?,
            exclusions: list("exclusions", exclusions)?,
            inspectors_per_target: self.inspectors_per_target,
            label: text("label", &self.label)?,
        }
        .into())
    }
}

// ---- governance ------------------------------------------------------------------------------

/// `governance_proposal` (regulator; counts as its approval): `action` applies from
/// `effective_height` once a quorum approves before `expires_height`.
pub fn governance_proposal(
    action: GovernanceAction,
    effective_height: u64,
    expires_height: u64,
) -> Record {
    GovernanceProposal {
        action,
        effective_height,
        expires_height,
    }
    .into()
}

/// `governance_approval` (regulator): approves the proposal with tx id `proposal`.
pub fn governance_approval(proposal: Hash) -> Record {
    GovernanceApproval { proposal }.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use liangxin_types::hash::document_digest;
    use liangxin_types::{Canonical, SigningKey};

    fn station() -> Uscc {
        Uscc::parse("91350100M000100Y43").unwrap()
    }

    #[test]
    fn dates() {
        assert_eq!(date(1970, 1, 1).unwrap(), Time(0));
        assert_eq!(date(2026, 1, 1).unwrap(), Time(1_767_225_600));
        assert_eq!(date(2000, 2, 29).unwrap().to_string(), "2000-02-29");
        assert!(date(2026, 2, 29).is_err());
        assert!(date(2026, 13, 1).is_err());
        assert_eq!(parse_time("2026-03-01").unwrap().to_string(), "2026-03-01");
        assert_eq!(parse_time("1767225600").unwrap(), Time(1_767_225_600));
        for bad in ["", "2026-3-1", "yesterday", "2026-02-30", "-5"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        // every day for 60 years round-trips through Display
        let mut t = Time(0);
        while t.0 < 60 * 365 * DAY {
            assert_eq!(parse_time(&t.to_string()).unwrap(), t);
            t = t.plus(DAY);
        }
        assert_eq!(today().0 % DAY, 0);
    }

    /// Every builder makes a record of its kind, and together they cover every kind.
    #[test]
    fn every_kind_has_a_builder() {
        let u = station();
        let dispenser = instrument(u.clone(), "9.1", "FD-0042").unwrap();
        let key = SigningKey::dev("k").public_key();
        let h = document_digest(b"x");
        let records = vec![
            OperatorRegistrationBuilder::new(
                u.clone(),
                "加油站",
                "350102",
                Sector::FuelStation,
                key,
            )
            .build()
            .unwrap(),
            InstitutionRegistrationBuilder::new("auth-1", "计量院", vec!["9.1".into()], key)
                .build()
                .unwrap(),
            key_rotation(key, SigningKey::dev("k2").public_key()),
            key_revocation(key, "lost").unwrap(),
            SelfCommitmentBuilder::new(u.clone(), h, "入口")
                .build()
                .unwrap(),
            commitment_withdrawal(h, "closing").unwrap(),
            InstrumentRegistrationBuilder::new(dispenser.clone(), "DJY-222A")
                .location("3号岛")
                .build()
                .unwrap(),
            instrument_retirement(dispenser.clone(), RetirementReason::Inaccurate, None),
            VerificationResultBuilder::new(dispenser.clone(), "No. 1", h, "JJG 443-2023")
                .build()
                .unwrap(),
            InspectionResultBuilder::new(u.clone(), vec!["I-1".into(), "I-2".into()], h)
                .finding(FindingKind::Overdue, Some(dispenser.clone()), "expired")
                .build()
                .unwrap(),
            PenaltyDecisionBuilder::new(u.clone(), "D-1", "cheating", Severity::Minor)
                .build()
                .unwrap(),
            commendation(u.clone(), CommendationLevel::Local, None, None),
            commendation_revocation(h, "penalised").unwrap(),
            objection(h, "wrong").unwrap(),
            objection_decision(h, true, "agreed").unwrap(),
            credit_repair(h, None, "rectified").unwrap(),
            RandomDrawBuilder::new("3501", vec!["A".into(), "B".into()], "Q4")
                .exclude("A", u.clone())
                .build()
                .unwrap(),
            governance_proposal(GovernanceAction::RemoveRegulator { key }, 100, 90),
            governance_approval(h),
        ];
        let names: Vec<&str> = records.iter().map(|r| r.kind_name()).collect();
        let all: Vec<&str> = Record::KINDS.iter().map(|(_, n)| *n).collect();
        assert_eq!(names, all);
        for r in &records {
            let (kind, bytes) = r.encode().unwrap();
            assert_eq!(&Record::decode(kind, &bytes).unwrap(), r);
        }
    }

    #[test]
    fn defaults_are_sensible() {
        let u = station();
        let Record::SelfCommitment(c) = SelfCommitmentBuilder::new(u.clone(), Hash::ZERO, "门口")
            .build()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(c.template_version, 1);
        assert_eq!(c.hotline.as_str(), "12315");
        assert_eq!(c.valid_until.since(c.valid_from), 365 * DAY);
        let Record::InspectionResult(i) =
            InspectionResultBuilder::new(u.clone(), vec!["a".into(), "b".into()], Hash::ZERO)
                .build()
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(i.outcome, InspectionOutcome::Compliant);
        for (sev, lo, hi) in [
            (Severity::Minor, 89, 92),
            (Severity::General, 89, 366),
            (Severity::Serious, 365, 1096),
        ] {
            let Record::PenaltyDecision(p) = PenaltyDecisionBuilder::new(u.clone(), "n", "v", sev)
                .build()
                .unwrap()
            else {
                panic!()
            };
            let days = p.public_until.since(p.date) / DAY;
            assert!((lo..=hi).contains(&days), "{sev:?}: {days}");
        }
    }

    #[test]
    fn limits_are_checked_locally() {
        let long = "长".repeat(100);
        let err = SelfCommitmentBuilder::new(station(), Hash::ZERO, long)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("posted_at"), "{err}");
        assert!(instrument(station(), "x".repeat(17).as_str(), "s").is_err());
        assert!(
            OperatorRegistrationBuilder::new(
                station(),
                "n",
                "3501",
                Sector::Shop,
                SigningKey::dev("k").public_key()
            )
            .build()
            .is_err()
        );
        // canonical encodings stay within the envelope
        let r = RandomDrawBuilder::new("", vec!["a".into(), "b".into()], "l")
            .build()
            .unwrap();
        let Record::RandomDrawRequest(d) = &r else {
            panic!()
        };
        assert!(d.to_canonical().is_ok());
    }
}
