//! A small in-memory ledger for tests, examples and benchmarks: sign records with dev keys
//! and execute them block by block. Not for production use (dev keys are derived from labels).

use std::collections::BTreeMap;

use liangxin_types::encoding::BoundedString;
use liangxin_types::tx::{ChainId, SignedTx, TxBody};
use liangxin_types::{Domain, Hash, PublicKey, SigningKey, Uscc};

use crate::catalogue::standard_catalogue;
use crate::model::{DAY, Jurisdiction, Region, Sector, Time};
use crate::params::RuleParams;
use crate::records::{InstitutionRegistration, OperatorRegistration, Record};
use crate::store::{ChainMeta, Holder, Participant, RegulatorState, tables};
use crate::{BlockContext, Effects, ExecError, MemState, State};

/// 2026-01-01T00:00:00Z, where test ledgers start.
pub const START: Time = Time(1_767_225_600);

/// An in-memory ledger with two regulators (Fujian, jurisdiction `35`, and Beijing, `11`), the
/// standard catalogue and default rule parameters.
#[derive(Debug)]
pub struct Ledger {
    /// The state.
    pub state: MemState,
    /// The chain id.
    pub chain: ChainId,
    /// Current block height.
    pub height: u64,
    /// Current block time.
    pub time: Time,
    /// Names of the regulators, by key.
    pub regulators: BTreeMap<PublicKey, String>,
}

/// A bounded string for test records. Panics (with the reason) if `s` does not fit: test
/// inputs are written by hand.
#[allow(clippy::panic)]
pub fn text<const N: usize>(s: &str) -> BoundedString<N> {
    BoundedString::new(s).unwrap_or_else(|e| panic!("test text {s:?}: {e}"))
}

impl Default for Ledger {
    fn default() -> Self {
        Self::new()
    }
}

impl Ledger {
    /// A fresh ledger at height 1, time [`START`].
    pub fn new() -> Self {
        let mut l = Ledger {
            state: MemState::for_contracts(),
            chain: test_chain(),
            height: 1,
            time: START,
            regulators: BTreeMap::new(),
        };
        let s = &mut l.state;
        let _ = tables::put_chain(
            s,
            &ChainMeta {
                chain_id: l.chain.clone(),
                genesis_hash: Hash::ZERO,
            },
        );
        let _ = tables::put_params(s, &RuleParams::default());
        for item in standard_catalogue() {
            let _ = tables::put_catalogue_item(s, &item);
        }
        for (name, j) in [("fujian-amr", "35"), ("beijing-amr", "11")] {
            l.add_regulator(name, j);
        }
        l
    }

    /// Adds a regulator directly to state (as genesis would), key `SigningKey::dev(name)`.
    pub fn add_regulator(&mut self, name: &str, jurisdiction: &str) -> SigningKey {
        let key = SigningKey::dev(name);
        let pk = key.public_key();
        let _ = tables::put_regulator(
            &mut self.state,
            &RegulatorState {
                name: text(name),
                key: pk.into(),
                jurisdiction: Jurisdiction::new(jurisdiction)
                    .unwrap_or_else(|_| Jurisdiction::national()),
                validator: true,
                removed: false,
            },
        );
        let _ = tables::put_participant(
            &mut self.state,
            &pk,
            &Participant {
                holder: Holder::Regulator(text(name)),
                revoked: false,
            },
        );
        self.regulators.insert(pk, name.to_string());
        key
    }

    /// The Fujian regulator's key.
    pub fn fujian(&self) -> SigningKey {
        SigningKey::dev("fujian-amr")
    }

    /// The Beijing regulator's key.
    pub fn beijing(&self) -> SigningKey {
        SigningKey::dev("beijing-amr")
    }

    /// The current block context. The seed is derived from the height (tests only).
    pub fn block(&self) -> BlockContext {
        BlockContext {
            height: self.height,
            time: self.time,
            seed: Domain::Seed.hash(&self.height.to_le_bytes()),
        }
    }

    /// Moves to the next block, `secs` later, and runs `begin_block`.
    pub fn advance(&mut self, secs: u64) {
        self.height += 1;
        self.time = self.time.plus(secs);
        let b = self.block();
        let _ = crate::begin_block(&mut self.state, &b);
    }

    /// Moves `days` days ahead (one block).
    pub fn advance_days(&mut self, days: u64) {
        self.advance(days * DAY);
    }

    /// Signs `record` with `key` at sequence number `seq`.
    pub fn sign(&self, key: &SigningKey, seq: u64, record: &Record) -> Result<SignedTx, ExecError> {
        let malformed =
            |e: liangxin_types::Error| crate::Rejection::new(crate::Code::Malformed, e.to_string());
        let (kind, payload) = record.encode()?;
        let body = TxBody {
            chain_id: self.chain.clone(),
            signer: key.public_key(),
            seq,
            kind,
            payload: liangxin_types::encoding::BoundedBytes::new(payload).map_err(malformed)?,
        };
        Ok(SignedTx::sign(body, key).map_err(malformed)?)
    }

    /// Signs `record` with `key` at the signer's next sequence number and executes it.
    pub fn submit(
        &mut self,
        key: &SigningKey,
        record: impl Into<Record>,
    ) -> Result<Effects, ExecError> {
        let seq = tables::next_seq(&self.state, &key.public_key())?;
        let tx = self.sign(key, seq, &record.into())?;
        self.execute(&tx)
    }

    /// Executes a signed record in the current block.
    pub fn execute(&mut self, tx: &SignedTx) -> Result<Effects, ExecError> {
        let b = self.block();
        crate::execute(&mut self.state, tx, &b)
    }

    /// The dev key of operator `uscc`.
    pub fn operator_key(uscc: &str) -> SigningKey {
        SigningKey::dev(&format!("operator {uscc}"))
    }

    /// The dev key of institution `auth`.
    pub fn institution_key(auth: &str) -> SigningKey {
        SigningKey::dev(&format!("institution {auth}"))
    }

    /// Registers an operator through the Fujian or Beijing regulator (by region) and returns its
    /// key. Panics in tests if the registration is rejected.
    pub fn register_operator(
        &mut self,
        uscc: &str,
        name: &str,
        region: &str,
        sector: Sector,
    ) -> Result<SigningKey, ExecError> {
        let key = Self::operator_key(uscc);
        let reg = if region.starts_with("11") {
            self.beijing()
        } else {
            self.fujian()
        };
        let uscc = Uscc::parse_override(uscc)
            .map_err(|e| crate::Rejection::new(crate::Code::BadUscc, e.to_string()))?;
        self.submit(
            &reg,
            OperatorRegistration {
                uscc,
                name: text(name),
                region: Region::new(region)?,
                sector,
                key: key.public_key(),
                check_override: false,
            },
        )?;
        Ok(key)
    }

    /// Registers an institution authorised for `categories` for ten years from now.
    pub fn register_institution(
        &mut self,
        auth: &str,
        categories: &[&str],
    ) -> Result<SigningKey, ExecError> {
        let key = Self::institution_key(auth);
        let reg = self.fujian();
        let cats = categories.iter().map(|c| text(c)).collect();
        self.submit(
            &reg,
            InstitutionRegistration {
                authorisation: text(auth),
                name: text(&format!("{auth} 计量检定所")),
                categories: liangxin_types::encoding::BoundedVec::new(cats)
                    .map_err(|e| crate::Rejection::new(crate::Code::BadField, e.to_string()))?,
                key: key.public_key(),
                valid_from: self.time,
                valid_until: self.time.plus(10 * crate::model::YEAR),
            },
        )?;
        Ok(key)
    }

    /// A digest of the whole state.
    pub fn digest(&self) -> Hash {
        self.state.digest()
    }

    /// Reads through the state trait (for helpers that take `&impl State`).
    pub fn state(&self) -> &impl State {
        &self.state
    }
}

#[allow(clippy::expect_used)]
fn test_chain() -> ChainId {
    ChainId::new("liangxin-test").expect("the test chain id is valid")
}

/// A stored instrument row (a fuel dispenser of catalogue item 9.1, registered at [`START`],
/// never verified), for tests that set up instrument state directly.
pub fn instrument_state(
    owner: &Uscc,
    serial: &str,
    mode: crate::model::VerificationMode,
    registered_by: Hash,
) -> crate::store::InstrumentState {
    use crate::model::{InstrumentId, InstrumentUse};
    crate::store::InstrumentState {
        registration: crate::records::InstrumentRegistration {
            instrument: InstrumentId {
                owner: owner.clone(),
                category: text("9.1"),
                serial: text(serial),
            },
            usage: InstrumentUse::TradeSettlement,
            model: text("ACS-15"),
            accuracy_class: text("III"),
            range: text("15 kg"),
            manufacturer: text("某衡器厂"),
            location: text("柜台"),
            mode,
        },
        registered_by,
        registered_at: START,
        last_verification: None,
        last_pass: None,
        retired: None,
        replaces: None,
    }
}

/// One realistic example of every record kind, in [`Record::KINDS`] order: used by the
/// conformance vectors and the documentation.
pub fn example_records() -> Vec<Record> {
    use crate::model::*;
    use crate::records::*;
    use liangxin_types::encoding::BoundedVec;
    let uscc = |s: &str| Uscc::parse_override(s).unwrap_or_else(|_| unreachable_uscc());
    let station = uscc("91350100M000100Y43");
    let dispenser = InstrumentId {
        owner: station.clone(),
        category: text("9.1"),
        serial: text("FD-0042"),
    };
    let t = |days: u64| START.plus(days * DAY);
    let h = |label: &str| Domain::Document.hash(label.as_bytes());
    let key = |label: &str| SigningKey::dev(label).public_key();
    vec![
        OperatorRegistration {
            uscc: station.clone(),
            name: text("福州市鼓楼区某加油站有限公司"),
            region: Region::new("350102").unwrap_or_else(|_| unreachable_uscc()),
            sector: Sector::FuelStation,
            key: key("operator 91350100M000100Y43"),
            check_override: false,
        }
        .into(),
        InstitutionRegistration {
            authorisation: text("(闽)法计(2026)01001号"),
            name: text("福建省计量科学研究院"),
            categories: BoundedVec::new(vec![text("9.1"), text("5.1")]).unwrap_or_default(),
            key: key("institution fj-nim"),
            valid_from: t(0),
            valid_until: t(5 * 365),
        }
        .into(),
        KeyRotation {
            old_key: key("operator 91350100M000100Y43"),
            new_key: key("operator 91350100M000100Y43 v2"),
        }
        .into(),
        KeyRevocation {
            key: key("operator 91350100M000100Y43 v2"),
            reason: text("设备丢失"),
        }
        .into(),
        SelfCommitment {
            uscc: station.clone(),
            template_version: 1,
            pledge_digest: h("诚信计量承诺书 v1"),
            valid_from: t(1),
            valid_until: t(366),
            posted_at: text("营业大厅入口"),
            hotline: text("12315"),
            renews: None,
        }
        .into(),
        CommitmentWithdrawal {
            commitment: h("commitment tx"),
            reason: text("经营范围变更"),
        }
        .into(),
        InstrumentRegistration {
            instrument: dispenser.clone(),
            usage: InstrumentUse::TradeSettlement,
            model: text("DJY-222A"),
            accuracy_class: text("0.3"),
            range: text("5-60 L/min"),
            manufacturer: text("某加油机制造有限公司"),
            location: text("3号岛"),
            mode: VerificationMode::Periodic,
        }
        .into(),
        InstrumentRetirement {
            instrument: dispenser.clone(),
            reason: RetirementReason::Inaccurate,
            replacement: Some(InstrumentId {
                serial: text("FD-0043"),
                ..dispenser.clone()
            }),
        }
        .into(),
        VerificationResult {
            instrument: dispenser.clone(),
            date: t(10),
            passed: true,
            certificate_number: text("闽检字〔2026〕第0001号"),
            certificate_digest: h("DCC 0001"),
            certificate_uri: Some(text("https://dcc.example.invalid/0001.xml")),
            valid_until: t(10 + 182),
            regulation: text("JJG 443-2023"),
        }
        .into(),
        InspectionResult {
            target: station.clone(),
            draw: Some(h("draw tx")),
            inspectors: BoundedVec::new(vec![text("FJ-INS-007"), text("FJ-INS-019")])
                .unwrap_or_default(),
            date: t(40),
            items_checked: 4,
            findings: BoundedVec::new(vec![Finding {
                kind: FindingKind::CheatingDevice,
                instrument: Some(dispenser.clone()),
                note: text("主板加装作弊芯片"),
            }])
            .unwrap_or_default(),
            outcome: InspectionOutcome::CaseOpened,
            report_digest: h("report 2026-040"),
        }
        .into(),
        PenaltyDecision {
            target: station.clone(),
            decision_number: text("榕市监罚〔2026〕12号"),
            violation: text("使用作弊装置"),
            severity: Severity::Serious,
            date: t(60),
            public_until: t(60 + 3 * 365),
        }
        .into(),
        Commendation {
            target: station.clone(),
            level: CommendationLevel::Provincial,
            awarded: t(5),
            valid_until: t(5 + 3 * 365),
        }
        .into(),
        CommendationRevocation {
            commendation: h("commendation tx"),
            reason: text("发现使用作弊装置"),
        }
        .into(),
        Objection {
            record: h("inspection tx"),
            reason: text("作弊芯片系设备厂家出厂预装"),
        }
        .into(),
        ObjectionDecision {
            objection: h("objection tx"),
            upheld: false,
            reason: text("经调查，异议不成立"),
        }
        .into(),
        CreditRepair {
            record: h("penalty tx"),
            date: t(500),
            basis: text("已整改并履行处罚决定"),
        }
        .into(),
        RandomDrawRequest {
            jurisdiction: Jurisdiction::new("3501").unwrap_or_else(|_| Jurisdiction::national()),
            sectors: BoundedVec::new(vec![Sector::FuelStation]).unwrap_or_default(),
            inspectors: BoundedVec::new(
                ["FJ-INS-007", "FJ-INS-019", "FJ-INS-023", "FJ-INS-031"]
                    .iter()
                    .map(|s| text(s))
                    .collect(),
            )
            .unwrap_or_default(),
            exclusions: BoundedVec::new(vec![Exclusion {
                inspector: text("FJ-INS-023"),
                operator: station.clone(),
            }])
            .unwrap_or_default(),
            inspectors_per_target: 2,
            label: text("2026年第四季度加油机专项检查"),
        }
        .into(),
        GovernanceProposal {
            action: GovernanceAction::AddRegulator {
                name: text("xiamen-amr"),
                key: key("xiamen-amr"),
                jurisdiction: Jurisdiction::new("3502")
                    .unwrap_or_else(|_| Jurisdiction::national()),
                validator: true,
            },
            effective_height: 1_000,
            expires_height: 900,
        }
        .into(),
        GovernanceApproval {
            proposal: h("proposal tx"),
        }
        .into(),
    ]
}

#[allow(clippy::panic)]
fn unreachable_uscc<T>() -> T {
    panic!("example values are valid")
}
