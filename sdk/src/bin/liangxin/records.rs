//! One subcommand per record kind a person submits. Each subcommand's arguments are also a CSV
//! row's columns for `liangxin import` (flag `--valid-until` ↔ column `valid_until`), so both
//! are one struct: clap parses the flags, serde (through the csv crate) the cells.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use liangxin_sdk::builders::{self, parse_hash, parse_time, parse_uscc};
use liangxin_sdk::contracts::Record;
use liangxin_sdk::contracts::model::{
    CommendationLevel, FindingKind, InspectionOutcome, InstrumentId, InstrumentUse,
    RetirementReason, Sector, Severity, Time, VerificationMode,
};
use liangxin_sdk::import::Row;
use liangxin_sdk::signer::KeyFile;
use liangxin_sdk::types::hash::document_digest;
use liangxin_sdk::types::{Hash, PublicKey};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Splits a list cell on `,` (CSV) — clap splits flags itself.
fn comma_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let s = String::deserialize(d)?;
    Ok(split(&s, ','))
}

/// Splits a list cell on `;`.
fn semicolon_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let s = String::deserialize(d)?;
    Ok(split(&s, ';'))
}

fn split(s: &str, sep: char) -> Vec<String> {
    s.split(sep)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// A snake_case enum value (`fuel_station`, `serious`, …), with the accepted values in the
/// error.
fn parse_enum<T: DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string()))
        .map_err(|e| anyhow!("invalid {what} {s:?}: {e}"))
}

fn time(what: &str, s: &Option<String>) -> Result<Option<Time>> {
    s.as_deref()
        .map(parse_time)
        .transpose()
        .with_context(|| format!("--{}", what.replace('_', "-")))
}

fn hash(what: &str, s: &str) -> Result<Hash> {
    Ok(parse_hash(what, s)?)
}

/// A digest given directly (`--x-digest HEX`) or as the document to hash (`--x-file PATH`).
fn digest(what: &str, hex: &Option<String>, file: &Option<PathBuf>) -> Result<Hash> {
    match (hex, file) {
        (Some(h), None) => hash(what, h),
        (None, Some(f)) => {
            let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            Ok(document_digest(&bytes))
        }
        (Some(_), Some(_)) => bail!("give --{0}-digest or --{0}-file, not both", what),
        (None, None) => bail!("--{0}-digest HEX or --{0}-file PATH is required", what),
    }
}

/// A public key: 64 hex digits, or the path of a key file (only its public key is read).
pub fn public_key(s: &str) -> Result<PublicKey> {
    let s = s.trim();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return PublicKey::from_hex(s).map_err(|e| anyhow!("invalid public key {s}: {e}"));
    }
    let path = Path::new(s);
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{s:?} is neither 64 hex digits nor a readable key file"))?;
    let file: KeyFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    PublicKey::from_hex(&file.public_key)
        .map_err(|e| anyhow!("{}: public_key: {e}", path.display()))
}

fn instrument(owner: &str, category: &str, serial: &str) -> Result<InstrumentId> {
    Ok(builders::instrument(parse_uscc(owner)?, category, serial)?)
}

// ---- the subcommands ------------------------------------------------------------------------

/// Register an operator (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RegisterOperator {
    /// Unified social credit code.
    #[arg(long)]
    uscc: String,
    /// Registered name.
    #[arg(long)]
    name: String,
    /// Six-digit region code, e.g. 350102.
    #[arg(long)]
    region: String,
    /// market_stall, fuel_station, restaurant, shop, optical_shop, hospital, utility or other.
    #[arg(long)]
    sector: String,
    /// The operator's public key: 64 hex digits or its key file.
    #[arg(long)]
    public_key: String,
    /// Admit a USCC whose check character is wrong (recorded on the entry).
    #[arg(long)]
    #[serde(default)]
    check_override: bool,
}

impl RegisterOperator {
    fn record(&self) -> Result<Record> {
        let uscc = if self.check_override {
            liangxin_sdk::types::Uscc::parse_override(self.uscc.trim())
                .map_err(|e| anyhow!("invalid uscc: {e}"))?
        } else {
            parse_uscc(&self.uscc)?
        };
        Ok(builders::OperatorRegistrationBuilder::new(
            uscc,
            &self.name,
            &self.region,
            parse_enum::<Sector>("sector", &self.sector)?,
            public_key(&self.public_key)?,
        )
        .check_override(self.check_override)
        .build()?)
    }
}

/// Register a verification institution (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RegisterInstitution {
    /// Authorisation number (the institution's id).
    #[arg(long)]
    authorisation: String,
    /// Name.
    #[arg(long)]
    name: String,
    /// Catalogue codes it may verify, comma-separated (e.g. 9.1,5.1).
    #[arg(long, value_delimiter = ',', required = true)]
    #[serde(deserialize_with = "comma_list")]
    categories: Vec<String>,
    /// Its public key: 64 hex digits or its key file.
    #[arg(long)]
    public_key: String,
    /// Start of the authorisation (YYYY-MM-DD; default today).
    #[arg(long)]
    valid_from: Option<String>,
    /// End of the authorisation (default five years on).
    #[arg(long)]
    valid_until: Option<String>,
}

impl RegisterInstitution {
    fn record(&self) -> Result<Record> {
        let mut b = builders::InstitutionRegistrationBuilder::new(
            &self.authorisation,
            &self.name,
            self.categories.clone(),
            public_key(&self.public_key)?,
        );
        if let Some(t) = time("valid_from", &self.valid_from)? {
            b = b.valid_from(t).valid_until(t.plus(5 * 365 * 86_400));
        }
        if let Some(t) = time("valid_until", &self.valid_until)? {
            b = b.valid_until(t);
        }
        Ok(b.build()?)
    }
}

/// Make an honest-metering self-commitment (operator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    /// The operator's USCC (the signer's).
    #[arg(long)]
    uscc: String,
    /// Digest of the pledge text (64 hex digits)…
    #[arg(long)]
    pledge_digest: Option<String>,
    /// …or the pledge document itself, hashed here.
    #[arg(long)]
    pledge_file: Option<PathBuf>,
    /// Where the pledge is posted.
    #[arg(long)]
    posted_at: String,
    /// Complaint hotline (default 12315).
    #[arg(long)]
    hotline: Option<String>,
    /// Pledge template version (default 1).
    #[arg(long)]
    template_version: Option<u16>,
    /// Start of validity (YYYY-MM-DD; default today).
    #[arg(long)]
    valid_from: Option<String>,
    /// End of validity (default a year after the start).
    #[arg(long)]
    valid_until: Option<String>,
    /// The commitment this one renews (its tx id).
    #[arg(long)]
    renews: Option<String>,
}

impl Commit {
    fn record(&self) -> Result<Record> {
        let mut b = builders::SelfCommitmentBuilder::new(
            parse_uscc(&self.uscc)?,
            digest("pledge", &self.pledge_digest, &self.pledge_file)?,
            &self.posted_at,
        );
        if let Some(h) = &self.hotline {
            b = b.hotline(h.as_str());
        }
        if let Some(v) = self.template_version {
            b = b.template_version(v);
        }
        if let Some(t) = time("valid_from", &self.valid_from)? {
            b = b.valid_from(t).valid_until(t.plus(365 * 86_400));
        }
        if let Some(t) = time("valid_until", &self.valid_until)? {
            b = b.valid_until(t);
        }
        if let Some(r) = &self.renews {
            b = b.renews(hash("renews", r)?);
        }
        Ok(b.build()?)
    }
}

/// Withdraw a self-commitment (operator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct WithdrawCommitment {
    /// The commitment's tx id.
    #[arg(long)]
    commitment: String,
    /// Why.
    #[arg(long)]
    reason: String,
}

/// An instrument by its three parts.
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRegister {
    /// The owner's USCC (the signer's).
    #[arg(long)]
    owner: String,
    /// Catalogue code, e.g. 9.1 (fuel dispenser) or 5.1 (price scale).
    #[arg(long)]
    category: String,
    /// Factory serial number (出厂编号).
    #[arg(long)]
    serial: String,
    /// Model.
    #[arg(long)]
    model: String,
    /// trade_settlement (default), safety, health or environment.
    #[arg(long)]
    usage: Option<String>,
    /// Accuracy class.
    #[arg(long)]
    accuracy_class: Option<String>,
    /// Measuring range.
    #[arg(long)]
    range: Option<String>,
    /// Manufacturer.
    #[arg(long)]
    manufacturer: Option<String>,
    /// Where it is used.
    #[arg(long)]
    location: Option<String>,
    /// periodic (default), first_only_scrap_on_failure or fixed_service_life.
    #[arg(long)]
    mode: Option<String>,
    /// End of a fixed service life (with --mode fixed_service_life).
    #[arg(long)]
    service_life_until: Option<String>,
}

impl InstrumentRegister {
    fn record(&self) -> Result<Record> {
        let mode = match self.mode.as_deref().map(str::trim) {
            None | Some("periodic") => VerificationMode::Periodic,
            Some("first_only_scrap_on_failure") => VerificationMode::FirstOnlyScrapOnFailure,
            Some("fixed_service_life") => VerificationMode::FixedServiceLife {
                until: time("service_life_until", &self.service_life_until)?.ok_or_else(|| {
                    anyhow!("--mode fixed_service_life needs --service-life-until")
                })?,
            },
            Some(other) => bail!(
                "invalid mode {other:?}: expected periodic, first_only_scrap_on_failure or fixed_service_life"
            ),
        };
        let mut b = builders::InstrumentRegistrationBuilder::new(
            instrument(&self.owner, &self.category, &self.serial)?,
            &self.model,
        )
        .mode(mode);
        if let Some(u) = &self.usage {
            b = b.usage(parse_enum::<InstrumentUse>("usage", u)?);
        }
        for (v, set) in [
            (&self.accuracy_class, 0),
            (&self.range, 1),
            (&self.manufacturer, 2),
            (&self.location, 3),
        ] {
            if let Some(v) = v {
                b = match set {
                    0 => b.accuracy_class(v.as_str()),
                    1 => b.range(v.as_str()),
                    2 => b.manufacturer(v.as_str()),
                    _ => b.location(v.as_str()),
                };
            }
        }
        Ok(b.build()?)
    }
}

/// Retire an instrument, optionally naming its (registered) replacement (operator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct InstrumentRetire {
    /// The owner's USCC.
    #[arg(long)]
    owner: String,
    /// Catalogue code.
    #[arg(long)]
    category: String,
    /// Serial number.
    #[arg(long)]
    serial: String,
    /// inaccurate, failed_verification, end_of_life, damaged or out_of_use.
    #[arg(long)]
    reason: String,
    /// Serial number of the replacing instrument (same owner and category unless
    /// --replacement-category).
    #[arg(long)]
    replacement_serial: Option<String>,
    /// Catalogue code of the replacing instrument.
    #[arg(long)]
    replacement_category: Option<String>,
}

/// Record a mandatory-verification result (institution).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// The instrument owner's USCC.
    #[arg(long)]
    owner: String,
    /// Catalogue code.
    #[arg(long)]
    category: String,
    /// Serial number.
    #[arg(long)]
    serial: String,
    /// Certificate (or notice of failure) number.
    #[arg(long)]
    certificate_number: String,
    /// Digest of the certificate document (64 hex digits)…
    #[arg(long)]
    certificate_digest: Option<String>,
    /// …or the certificate document itself (e.g. a DCC XML), hashed here.
    #[arg(long)]
    certificate_file: Option<PathBuf>,
    /// Where the certificate can be fetched.
    #[arg(long)]
    certificate_uri: Option<String>,
    /// The regulation applied, e.g. "JJG 443-2023".
    #[arg(long)]
    regulation: String,
    /// Date verified (YYYY-MM-DD; default today).
    #[arg(long)]
    date: Option<String>,
    /// The instrument failed (default: passed).
    #[arg(long)]
    #[serde(default)]
    failed: bool,
    /// End of validity of a pass (default a year after the date).
    #[arg(long)]
    valid_until: Option<String>,
}

impl Verification {
    fn record(&self) -> Result<Record> {
        let mut b = builders::VerificationResultBuilder::new(
            instrument(&self.owner, &self.category, &self.serial)?,
            &self.certificate_number,
            digest(
                "certificate",
                &self.certificate_digest,
                &self.certificate_file,
            )?,
            &self.regulation,
        )
        .passed(!self.failed)
        .certificate_uri(self.certificate_uri.clone())
        .valid_until(time("valid_until", &self.valid_until)?);
        if let Some(t) = time("date", &self.date)? {
            b = b.date(t);
        }
        Ok(b.build()?)
    }
}

/// Record an inspection (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    /// The operator inspected.
    #[arg(long)]
    target: String,
    /// Inspector ids, comma-separated (at least two).
    #[arg(long, value_delimiter = ',', required = true)]
    #[serde(deserialize_with = "comma_list")]
    inspectors: Vec<String>,
    /// Digest of the inspection report (64 hex digits)…
    #[arg(long)]
    report_digest: Option<String>,
    /// …or the report itself, hashed here.
    #[arg(long)]
    report_file: Option<PathBuf>,
    /// Date of the inspection (YYYY-MM-DD; default today).
    #[arg(long)]
    date: Option<String>,
    /// Items checked (default 1).
    #[arg(long)]
    items_checked: Option<u32>,
    /// The random draw that selected the target (the request's tx id).
    #[arg(long)]
    draw: Option<String>,
    /// A finding: KIND[|CATEGORY|SERIAL][|NOTE], e.g. "overdue|9.1|FD-0042|expired in May".
    /// Kinds: unverified, overdue, failed, accuracy_damaged, forged_data, cheating_device,
    /// short_weight_prepackaged, false_certificate. Repeat the flag; in CSV separate with ';'.
    #[arg(long = "finding")]
    #[serde(rename = "finding", default, deserialize_with = "semicolon_list")]
    findings: Vec<String>,
    /// compliant, rectification_ordered or case_opened (default: compliant without findings,
    /// rectification_ordered with).
    #[arg(long)]
    outcome: Option<String>,
}

impl Inspection {
    fn record(&self) -> Result<Record> {
        let target = parse_uscc(&self.target)?;
        let mut b = builders::InspectionResultBuilder::new(
            target.clone(),
            self.inspectors.clone(),
            digest("report", &self.report_digest, &self.report_file)?,
        );
        if let Some(t) = time("date", &self.date)? {
            b = b.date(t);
        }
        if let Some(n) = self.items_checked {
            b = b.items_checked(n);
        }
        if let Some(d) = &self.draw {
            b = b.draw(hash("draw", d)?);
        }
        if let Some(o) = &self.outcome {
            b = b.outcome(parse_enum::<InspectionOutcome>("outcome", o)?);
        }
        for f in &self.findings {
            let parts: Vec<&str> = f.split('|').map(str::trim).collect();
            let kind = parse_enum::<FindingKind>("finding kind", parts[0])?;
            let (instr, note) = match parts.as_slice() {
                [_] => (None, ""),
                [_, note] => (None, *note),
                [_, c, s] => (Some(builders::instrument(target.clone(), c, s)?), ""),
                [_, c, s, note] => (Some(builders::instrument(target.clone(), c, s)?), *note),
                _ => bail!("finding {f:?}: expected KIND[|CATEGORY|SERIAL][|NOTE]"),
            };
            b = b.finding(kind, instr, note);
        }
        Ok(b.build()?)
    }
}

/// Record an administrative penalty decision (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    /// The operator penalised.
    #[arg(long)]
    target: String,
    /// Decision number (处罚决定书文号).
    #[arg(long)]
    decision_number: String,
    /// The violation.
    #[arg(long)]
    violation: String,
    /// minor, general or serious.
    #[arg(long)]
    severity: String,
    /// Date of the decision (YYYY-MM-DD; default today).
    #[arg(long)]
    date: Option<String>,
    /// End of the publication period (default 90 days, 182 days or 2 years by severity).
    #[arg(long)]
    public_until: Option<String>,
}

impl Penalty {
    fn record(&self) -> Result<Record> {
        let mut b = builders::PenaltyDecisionBuilder::new(
            parse_uscc(&self.target)?,
            &self.decision_number,
            &self.violation,
            parse_enum::<Severity>("severity", &self.severity)?,
        )
        .public_until(time("public_until", &self.public_until)?);
        if let Some(t) = time("date", &self.date)? {
            b = b.date(t);
        }
        Ok(b.build()?)
    }
}

/// Award demonstration-unit status (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Commend {
    /// The operator commended.
    #[arg(long)]
    target: String,
    /// local, provincial or national.
    #[arg(long)]
    level: String,
    /// Award date (YYYY-MM-DD; default today).
    #[arg(long)]
    awarded: Option<String>,
    /// End of validity (default three years on).
    #[arg(long)]
    valid_until: Option<String>,
}

/// Revoke a commendation (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RevokeCommendation {
    /// The commendation's tx id.
    #[arg(long)]
    commendation: String,
    /// Why.
    #[arg(long)]
    reason: String,
}

/// Object to a record about you (operator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ObjectionArgs {
    /// The record's tx id.
    #[arg(long)]
    record: String,
    /// Why.
    #[arg(long)]
    reason: String,
}

/// Decide an objection (regulator): upheld with --upheld, dismissed without.
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ObjectionDecisionArgs {
    /// The objection's tx id.
    #[arg(long)]
    objection: String,
    /// The objection is upheld (the record stops counting).
    #[arg(long)]
    #[serde(default)]
    upheld: bool,
    /// Reasons.
    #[arg(long)]
    reason: String,
}

/// Credit repair: a negative record stops counting (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    /// The record's tx id.
    #[arg(long)]
    record: String,
    /// From when it stops counting (YYYY-MM-DD; default today).
    #[arg(long)]
    date: Option<String>,
    /// The basis (rectification completed, penalty fulfilled…).
    #[arg(long)]
    basis: String,
}

/// Request a double-random inspection draw (regulator); the ledger computes the selection.
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Draw {
    /// Region-code prefix of 0, 2, 4 or 6 digits ("" for the whole country).
    #[arg(long, default_value = "")]
    #[serde(default)]
    jurisdiction: String,
    /// The inspector pool, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    #[serde(deserialize_with = "comma_list")]
    inspectors: Vec<String>,
    /// A label for the campaign.
    #[arg(long)]
    label: String,
    /// Only these sectors, comma-separated (default all).
    #[arg(long, value_delimiter = ',')]
    #[serde(default, deserialize_with = "comma_list")]
    sectors: Vec<String>,
    /// Conflicts of interest INSPECTOR:USCC; repeat the flag, in CSV separate with ';'.
    #[arg(long = "exclude")]
    #[serde(rename = "exclude", default, deserialize_with = "semicolon_list")]
    exclusions: Vec<String>,
    /// Inspectors per target (default 2).
    #[arg(long)]
    inspectors_per_target: Option<u8>,
}

impl Draw {
    fn record(&self) -> Result<Record> {
        let sectors = self
            .sectors
            .iter()
            .map(|s| parse_enum::<Sector>("sector", s))
            .collect::<Result<Vec<_>>>()?;
        let mut b = builders::RandomDrawBuilder::new(
            self.jurisdiction.trim(),
            self.inspectors.clone(),
            &self.label,
        )
        .sectors(sectors);
        if let Some(n) = self.inspectors_per_target {
            b = b.inspectors_per_target(n);
        }
        for x in &self.exclusions {
            let (inspector, uscc) = x
                .rsplit_once(':')
                .ok_or_else(|| anyhow!("exclusion {x:?}: expected INSPECTOR:USCC"))?;
            b = b.exclude(inspector.trim(), parse_uscc(uscc)?);
        }
        Ok(b.build()?)
    }
}

/// Replace a key: the signer's own (default) or, for a regulator, someone else's.
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// The key replaced (default: the signing key).
    #[arg(long)]
    old_key: Option<String>,
    /// The new key: 64 hex digits or its key file.
    #[arg(long)]
    new_key: String,
}

/// Revoke a key: the signer's own (default) or, for a regulator, someone else's.
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RevokeKey {
    /// The key revoked (default: the signing key).
    #[arg(long)]
    public_key: Option<String>,
    /// Why.
    #[arg(long)]
    reason: String,
}

/// Approve a governance proposal (regulator).
#[derive(Args, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ApproveProposal {
    /// The proposal's tx id.
    #[arg(long)]
    proposal: String,
}

/// The record subcommands.
#[derive(Subcommand, Debug)]
pub enum RecordCmd {
    /// Register an operator (regulator).
    RegisterOperator(RegisterOperator),
    /// Register a verification institution (regulator).
    RegisterInstitution(RegisterInstitution),
    /// Make a self-commitment (operator).
    Commit(Commit),
    /// Withdraw a self-commitment (operator).
    WithdrawCommitment(WithdrawCommitment),
    /// Register or retire an instrument (operator).
    #[command(subcommand)]
    Instrument(InstrumentCmd),
    /// Record a verification result (institution).
    Verification(Verification),
    /// Record an inspection (regulator).
    Inspection(Inspection),
    /// Record a penalty decision (regulator).
    Penalty(Penalty),
    /// Award demonstration-unit status (regulator).
    Commendation(Commend),
    /// Revoke a commendation (regulator).
    RevokeCommendation(RevokeCommendation),
    /// Object to a record (operator).
    Objection(ObjectionArgs),
    /// Decide an objection (regulator).
    ObjectionDecision(ObjectionDecisionArgs),
    /// Credit repair (regulator).
    Repair(Repair),
    /// Request a random inspection draw (regulator).
    Draw(Draw),
    /// Replace a key.
    RotateKey(RotateKey),
    /// Revoke a key.
    RevokeKey(RevokeKey),
    /// Approve a governance proposal (regulator).
    ApproveProposal(ApproveProposal),
    /// Submit any record given as JSON (`{"kind": "...", ...}`, as in docs/records.md), e.g.
    /// a governance proposal.
    SubmitJson {
        /// The JSON file ("-" for standard input).
        file: PathBuf,
    },
}

/// `instrument register|retire`.
#[derive(Subcommand, Debug)]
pub enum InstrumentCmd {
    /// File an instrument (强检备案).
    Register(InstrumentRegister),
    /// Retire an instrument (失准更换, scrapping).
    Retire(InstrumentRetire),
}

impl RecordCmd {
    /// The record, for a signer with public key `me`.
    pub fn record(&self, me: Option<PublicKey>) -> Result<Record> {
        let need_me = || me.ok_or_else(|| anyhow!("no signing key: give --key FILE"));
        Ok(match self {
            RecordCmd::RegisterOperator(a) => a.record()?,
            RecordCmd::RegisterInstitution(a) => a.record()?,
            RecordCmd::Commit(a) => a.record()?,
            RecordCmd::WithdrawCommitment(a) => {
                builders::commitment_withdrawal(hash("commitment", &a.commitment)?, &a.reason)?
            }
            RecordCmd::Instrument(InstrumentCmd::Register(a)) => a.record()?,
            RecordCmd::Instrument(InstrumentCmd::Retire(a)) => {
                let id = instrument(&a.owner, &a.category, &a.serial)?;
                let replacement = match (&a.replacement_serial, &a.replacement_category) {
                    (Some(s), c) => Some(instrument(
                        &a.owner,
                        c.as_deref().unwrap_or(&a.category),
                        s,
                    )?),
                    (None, Some(_)) => bail!("--replacement-category needs --replacement-serial"),
                    (None, None) => None,
                };
                builders::instrument_retirement(
                    id,
                    parse_enum::<RetirementReason>("reason", &a.reason)?,
                    replacement,
                )
            }
            RecordCmd::Verification(a) => a.record()?,
            RecordCmd::Inspection(a) => a.record()?,
            RecordCmd::Penalty(a) => a.record()?,
            RecordCmd::Commendation(a) => builders::commendation(
                parse_uscc(&a.target)?,
                parse_enum::<CommendationLevel>("level", &a.level)?,
                time("awarded", &a.awarded)?,
                time("valid_until", &a.valid_until)?,
            ),
            RecordCmd::RevokeCommendation(a) => builders::commendation_revocation(
                hash("commendation", &a.commendation)?,
                &a.reason,
            )?,
            RecordCmd::Objection(a) => builders::objection(hash("record", &a.record)?, &a.reason)?,
            RecordCmd::ObjectionDecision(a) => {
                builders::objection_decision(hash("objection", &a.objection)?, a.upheld, &a.reason)?
            }
            RecordCmd::Repair(a) => builders::credit_repair(
                hash("record", &a.record)?,
                time("date", &a.date)?,
                &a.basis,
            )?,
            RecordCmd::Draw(a) => a.record()?,
            RecordCmd::RotateKey(a) => builders::key_rotation(
                match &a.old_key {
                    Some(k) => public_key(k)?,
                    None => need_me()?,
                },
                public_key(&a.new_key)?,
            ),
            RecordCmd::RevokeKey(a) => builders::key_revocation(
                match &a.public_key {
                    Some(k) => public_key(k)?,
                    None => need_me()?,
                },
                &a.reason,
            )?,
            RecordCmd::ApproveProposal(a) => {
                builders::governance_approval(hash("proposal", &a.proposal)?)
            }
            RecordCmd::SubmitJson { file } => {
                let text = if file.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin()).context("reading standard input")?
                } else {
                    std::fs::read_to_string(file)
                        .with_context(|| format!("reading {}", file.display()))?
                };
                serde_json::from_str(&text).context("not a record in the JSON view")?
            }
        })
    }
}

// ---- CSV rows -------------------------------------------------------------------------------

/// The `kind` values an import row may carry: the subcommand name or the record kind name.
pub const IMPORT_KINDS: &[(&str, &str)] = &[
    ("register-operator", "operator_registration"),
    ("register-institution", "institution_registration"),
    ("commit", "self_commitment"),
    ("withdraw-commitment", "commitment_withdrawal"),
    ("instrument-register", "instrument_registration"),
    ("instrument-retire", "instrument_retirement"),
    ("verification", "verification_result"),
    ("inspection", "inspection_result"),
    ("penalty", "penalty_decision"),
    ("commendation", "commendation"),
    ("revoke-commendation", "commendation_revocation"),
    ("objection", "objection"),
    ("objection-decision", "objection_decision"),
    ("repair", "credit_repair"),
    ("draw", "random_draw_request"),
    ("rotate-key", "key_rotation"),
    ("revoke-key", "key_revocation"),
    ("approve-proposal", "governance_approval"),
];

fn from_cells<T: DeserializeOwned>(row: &Row) -> Result<T> {
    let headers = csv::StringRecord::from(
        row.fields
            .iter()
            .map(|(h, _)| h.as_str())
            .collect::<Vec<_>>(),
    );
    let values = csv::StringRecord::from(
        row.fields
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>(),
    );
    values
        .deserialize(Some(&headers))
        .map_err(|e| anyhow!("{e}"))
}

/// The record of an import row, for a signer with public key `me`.
pub fn row_record(row: &Row, me: PublicKey) -> Result<Record> {
    let kind = row.kind.trim();
    let Some((cmd, _)) = IMPORT_KINDS
        .iter()
        .find(|(c, k)| *c == kind || *k == kind || c.replace('-', "_") == kind)
    else {
        let names: Vec<&str> = IMPORT_KINDS.iter().map(|(c, _)| *c).collect();
        bail!("unknown kind {kind:?}; use one of: {}", names.join(", "));
    };
    let cmd = match *cmd {
        "register-operator" => RecordCmd::RegisterOperator(from_cells(row)?),
        "register-institution" => RecordCmd::RegisterInstitution(from_cells(row)?),
        "commit" => RecordCmd::Commit(from_cells(row)?),
        "withdraw-commitment" => RecordCmd::WithdrawCommitment(from_cells(row)?),
        "instrument-register" => RecordCmd::Instrument(InstrumentCmd::Register(from_cells(row)?)),
        "instrument-retire" => RecordCmd::Instrument(InstrumentCmd::Retire(from_cells(row)?)),
        "verification" => RecordCmd::Verification(from_cells(row)?),
        "inspection" => RecordCmd::Inspection(from_cells(row)?),
        "penalty" => RecordCmd::Penalty(from_cells(row)?),
        "commendation" => RecordCmd::Commendation(from_cells(row)?),
        "revoke-commendation" => RecordCmd::RevokeCommendation(from_cells(row)?),
        "objection" => RecordCmd::Objection(from_cells(row)?),
        "objection-decision" => RecordCmd::ObjectionDecision(from_cells(row)?),
        "repair" => RecordCmd::Repair(from_cells(row)?),
        "draw" => RecordCmd::Draw(from_cells(row)?),
        "rotate-key" => RecordCmd::RotateKey(from_cells(row)?),
        "revoke-key" => RecordCmd::RevokeKey(from_cells(row)?),
        _ => RecordCmd::ApproveProposal(from_cells(row)?),
    };
    cmd.record(Some(me))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use liangxin_sdk::import::read_rows;
    use liangxin_sdk::types::SigningKey;

    #[test]
    fn csv_rows_become_records() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("bulk.csv");
        let pk = SigningKey::dev("op").public_key().to_hex();
        let h = "11".repeat(32);
        std::fs::write(
            &csv,
            format!(
                "kind,uscc,name,region,sector,public_key,posted_at,pledge_digest,owner,category,serial,model,target,inspectors,report_digest,finding,severity,decision_number,violation,valid_until\n\
                 register-operator,91350100M000100Y43,某加油站,350102,fuel_station,{pk},,,,,,,,,,,,,,\n\
                 self_commitment,91350100M000100Y43,,,,,营业大厅入口,{h},,,,,,,,,,,,2027-01-01\n\
                 instrument-register,,,,,,,,91350100M000100Y43,9.1,FD-1,DJY,,,,,,,,\n\
                 inspection,,,,,,,,,,,,91350100M000100Y43,\"A,B\",{h},overdue|9.1|FD-1|late;cheating_device,,,,\n\
                 penalty,,,,,,,,,,,,91350100M000100Y43,,,,minor,D-1,cheating,\n\
                 commit,91350100M000100Y43,name-is-not-a-commit-field,,,,x,{h},,,,,,,,,,,,\n\
                 bogus,,,,,,,,,,,,,,,,,,,\n"
            ),
        )
        .unwrap();
        let rows = read_rows(&csv).unwrap();
        let me = SigningKey::dev("me").public_key();
        let kinds: Vec<String> = rows
            .iter()
            .map(|r| match row_record(r, me) {
                Ok(rec) => rec.kind_name().to_string(),
                Err(e) => format!("error: {e}"),
            })
            .collect();
        assert_eq!(kinds[0], "operator_registration");
        assert_eq!(kinds[1], "self_commitment");
        assert_eq!(kinds[2], "instrument_registration");
        assert_eq!(kinds[3], "inspection_result");
        assert_eq!(kinds[4], "penalty_decision");
        assert!(kinds[5].contains("unknown field"), "{}", kinds[5]);
        assert!(kinds[6].contains("unknown kind"), "{}", kinds[6]);
        let Record::InspectionResult(i) = row_record(&rows[3], me).unwrap() else {
            panic!()
        };
        assert_eq!(i.findings.len(), 2);
        assert_eq!(i.inspectors.len(), 2);
        assert_eq!(i.outcome, InspectionOutcome::RectificationOrdered);
        let Record::SelfCommitment(c) = row_record(&rows[1], me).unwrap() else {
            panic!()
        };
        assert_eq!(c.valid_until.to_string(), "2027-01-01");
    }

    #[test]
    fn public_keys_from_hex_or_key_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("op.key");
        let s = liangxin_sdk::Signer::dev("op");
        s.save(&path).unwrap();
        assert_eq!(public_key(path.to_str().unwrap()).unwrap(), s.public_key());
        assert_eq!(
            public_key(&s.public_key().to_hex()).unwrap(),
            s.public_key()
        );
        assert!(public_key("nope").is_err());
    }
}
