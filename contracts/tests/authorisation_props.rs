#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Authorisation properties over random record sequences.
//!
//! A small ledger (two regulators, four operators — one registered with a check-character
//! override —, two institutions, a few instruments) receives random sequences of records of
//! every kind, signed by random keys (regulators, operators, institutions, an unregistered key,
//! revoked keys) at random sequence numbers, with fields drawn from small pools that mix valid
//! and invalid values. On every step:
//!
//! 1. a rejected record leaves the state byte-identical, and storage errors never occur;
//! 2. an accepted record was signed by a registered, unrevoked key of the kind's role (key
//!    rotation and revocation: by the key itself, or by a regulator about an operator's or an
//!    institution's key, never about another regulator's);
//! 3. an accepted record signed by an operator names that operator, and every accepted entry
//!    names exactly the operator the record is about (none for the kinds about no operator);
//! 4. an accepted record signed by a regulator is about an operator in its jurisdiction (draws:
//!    a jurisdiction inside its own), and the regulator was not removed;
//! 5. executing an accepted transaction again is rejected (`BadSequence`; `RevokedKey` when the
//!    record revoked or rotated away its own signing key) and changes nothing;
//! 6. an operator registration is accepted with a wrong check character only with
//!    `check_override`, never with the override on a valid code, and is stored as signed;
//!    a record at a sequence number other than the signer's next one is never accepted;
//! 7. replaying the accepted transactions and the block starts on a fresh ledger, with the same
//!    block contexts, reproduces the final state digest.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use liangxin_contracts::credit::is_negative;
use liangxin_contracts::model::{
    CatalogueItem, CommendationLevel, ControlMode, FindingKind, InspectionOutcome, InstrumentId,
    InstrumentUse, Jurisdiction, Region, RetirementReason, Sector, Severity, Time,
    VerificationMode, VerificationModeKind,
};
use liangxin_contracts::model::{DAY, YEAR};
use liangxin_contracts::records::*;
use liangxin_contracts::store::{EntryMeta, Holder, Participant, ProposalStatus, tables};
use liangxin_contracts::testkit::{Ledger, example_records, text};
use liangxin_contracts::{
    BlockContext, Code, ExecError, MemState, RuleParams, Subject, begin_block, execute,
};
use liangxin_types::encoding::BoundedVec;
use liangxin_types::tx::{RecordKind, SignedTx};
use liangxin_types::uscc::check_char;
use liangxin_types::{Domain, Hash, PublicKey, SigningKey, Uscc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const OP_A: &str = "91350100M000100Y43"; // Fuzhou (3501xx), fuel station
const OP_B: &str = "91350200776049653A"; // Xiamen (3502xx), shop
const OP_C: &str = "91110108551385082Q"; // Beijing (1101xx), shop
/// First 17 characters of the operator registered with a wrong check character (override).
const OP_D17: &str = "91350100MA8N0000D";

const INST_1: &str = "INST-1"; // 9.1
const INST_2: &str = "INST-2"; // 5.1

const KIND_COUNT: usize = 19;

// ---------------------------------------------------------------------------------------------
// Generation: a step is a handful of raw choices; the record is built from them against the
// ledger as it is when the step runs (so references point at records that exist).

#[derive(Clone, Debug)]
struct Step {
    /// Index into `Record::KINDS`.
    kind: u8,
    /// Signer mode (low 4 bits) and index.
    signer: u16,
    /// Sequence-number mode: 0–27 next, 28 replay, 29 gap.
    seq: u8,
    /// Start a new block this many days later first.
    advance: Option<u8>,
    /// Field choices.
    picks: [u16; 24],
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let days = prop_oneof![4 => 0u8..=7, 2 => 8u8..=45, 1 => 46u8..=200];
    (
        0u8..KIND_COUNT as u8,
        any::<u16>(),
        0u8..30,
        proptest::option::weighted(0.2, days),
        proptest::array::uniform24(any::<u16>()),
    )
        .prop_map(|(kind, signer, seq, advance, picks)| Step {
            kind,
            signer,
            seq,
            advance,
            picks,
        })
}

/// Consumes a step's choices in order (cycling).
struct Picks<'a> {
    p: &'a [u16],
    i: usize,
}

impl Picks<'_> {
    fn n(&mut self, n: usize) -> usize {
        let v = self.p[self.i % self.p.len()];
        self.i += 1;
        usize::from(v) % n.max(1)
    }
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.n(den) < num
    }
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.n(v.len())].clone()
    }
}

fn days(now: Time, d: i64) -> Time {
    if d >= 0 {
        now.plus(d.unsigned_abs() * DAY)
    } else {
        Time(now.0.saturating_sub(d.unsigned_abs() * DAY))
    }
}

fn code(first17: &str, good: bool) -> Uscc {
    let c = check_char(first17).unwrap();
    let ch = match (good, c) {
        (true, c) => c,
        (false, '0') => '1',
        (false, _) => '0',
    };
    Uscc::parse_override(&format!("{first17}{ch}")).unwrap()
}

fn uscc(s: &str) -> Uscc {
    Uscc::parse_override(s).unwrap()
}

fn digest(label: &str) -> Hash {
    Domain::Document.hash(label.as_bytes())
}

fn vec_of<T, const N: usize>(v: Vec<T>) -> BoundedVec<T, N> {
    BoundedVec::new(v).unwrap()
}

/// What the replay re-does: block starts and accepted transactions, with their blocks.
#[derive(Clone, Debug)]
enum Event {
    Begin(BlockContext),
    Exec(Box<SignedTx>, BlockContext),
}

struct World {
    l: Ledger,
    /// Every key the test knows (signers and key fields), registered or not.
    keys: Vec<SigningKey>,
    /// A key that is never registered.
    stranger: SigningKey,
    spares: u32,
    /// The signer role of each kind, in `Record::KINDS` order.
    roles: Vec<Option<Role>>,
    /// Accepted records (setup included), in order.
    accepted: Vec<(Hash, RecordKind)>,
    /// Registered instruments.
    instruments: Vec<InstrumentId>,
    /// Certificate digests already used.
    certificates: Vec<Hash>,
    fresh: u64,
    /// Codes the registration generator uses (valid in four regions, and some with a wrong
    /// check character).
    new_codes: Vec<Uscc>,
    /// Valid codes never registered.
    unknown: Vec<Uscc>,
    log: Vec<Event>,
    outcomes: BTreeMap<&'static str, usize>,
    kinds_accepted: BTreeMap<&'static str, usize>,
}

/// The set-up world, built once per test binary and cloned (building it signs and checks a dozen
/// keys, which dominates short cases in a debug build).
fn setup() -> World {
    static BASE: OnceLock<World> = OnceLock::new();
    BASE.get_or_init(build_setup).clone()
}

fn build_setup() -> World {
    let mut l = Ledger::new();
    let mut accepted = Vec::new();
    let mut keep = |e: Result<liangxin_contracts::Effects, ExecError>, k: RecordKind| {
        accepted.push((e.unwrap().tx_id, k));
    };
    let ka = Ledger::operator_key(OP_A);
    let kb = Ledger::operator_key(OP_B);
    let kc = Ledger::operator_key(OP_C);
    let op_d = code(OP_D17, false);
    let kd = Ledger::operator_key(op_d.as_str());
    for (u, name, region, sector, key, over) in [
        (
            uscc(OP_A),
            "福州某加油站",
            "350100",
            Sector::FuelStation,
            &ka,
            false,
        ),
        (uscc(OP_B), "厦门某商店", "350200", Sector::Shop, &kb, false),
        (uscc(OP_C), "北京某超市", "110108", Sector::Shop, &kc, false),
        (
            op_d.clone(),
            "厦门某菜市场",
            "350203",
            Sector::MarketStall,
            &kd,
            true,
        ),
    ] {
        let reg = if region.starts_with("11") {
            l.beijing()
        } else {
            l.fujian()
        };
        let r = OperatorRegistration {
            uscc: u,
            name: text(name),
            region: Region::new(region).unwrap(),
            sector,
            key: key.public_key(),
            check_override: over,
        };
        keep(l.submit(&reg, r), kind::OperatorRegistration);
    }
    let ki1 = Ledger::institution_key(INST_1);
    let ki2 = Ledger::institution_key(INST_2);
    for (auth, cat, key) in [(INST_1, "9.1", &ki1), (INST_2, "5.1", &ki2)] {
        let r = InstitutionRegistration {
            authorisation: text(auth),
            name: text(&format!("{auth} 计量检定所")),
            categories: vec_of(vec![text(cat)]),
            key: key.public_key(),
            valid_from: days(l.time, -1),
            valid_until: l.time.plus(100 * YEAR),
        };
        let f = l.fujian();
        keep(l.submit(&f, r), kind::InstitutionRegistration);
    }
    let mut instruments = Vec::new();
    for (owner, key, cat, mode) in [
        (uscc(OP_A), &ka, "9.1", VerificationMode::Periodic),
        (uscc(OP_A), &ka, "9.1", VerificationMode::Periodic),
        (uscc(OP_B), &kb, "5.1", VerificationMode::Periodic),
        (uscc(OP_C), &kc, "5.1", VerificationMode::Periodic),
        (
            op_d.clone(),
            &kd,
            "12.2",
            VerificationMode::FirstOnlyScrapOnFailure,
        ),
    ] {
        let id = InstrumentId {
            owner,
            category: text(cat),
            serial: text(&format!("S{}", instruments.len())),
        };
        let r = instrument_registration(id.clone(), mode);
        keep(l.submit(key, r), kind::InstrumentRegistration);
        instruments.push(id);
    }
    let mut new_codes = Vec::new();
    for region in ["350100", "350200", "110108", "440300"] {
        for n in 1..=3 {
            new_codes.push(code(&format!("91{region}{n:09}"), true));
        }
    }
    new_codes.push(code("91350100000000007", false));
    new_codes.push(code("91110108000000007", false));
    let unknown = (900..903)
        .map(|n| code(&format!("91350100{n:09}"), true))
        .collect();
    let keys = vec![l.fujian(), l.beijing(), ka, kb, kc, kd, ki1, ki2];
    World {
        l,
        keys,
        stranger: SigningKey::dev("stranger"),
        spares: 0,
        roles: example_records().iter().map(|r| r.signer_role()).collect(),
        accepted,
        instruments,
        certificates: Vec::new(),
        fresh: 0,
        new_codes,
        unknown,
        log: Vec::new(),
        outcomes: BTreeMap::new(),
        kinds_accepted: BTreeMap::new(),
    }
}

fn instrument_registration(id: InstrumentId, mode: VerificationMode) -> InstrumentRegistration {
    InstrumentRegistration {
        instrument: id,
        usage: InstrumentUse::TradeSettlement,
        model: text("M-1"),
        accuracy_class: text("0.3"),
        range: text("0-60"),
        manufacturer: text("某厂"),
        location: text("1号位"),
        mode,
    }
}

impl Clone for World {
    fn clone(&self) -> Self {
        let mut l = Ledger::new();
        l.state = self.l.state.clone();
        l.chain = self.l.chain.clone();
        l.height = self.l.height;
        l.time = self.l.time;
        l.regulators = self.l.regulators.clone();
        World {
            l,
            keys: self.keys.clone(),
            stranger: self.stranger.clone(),
            spares: self.spares,
            roles: self.roles.clone(),
            accepted: self.accepted.clone(),
            instruments: self.instruments.clone(),
            certificates: self.certificates.clone(),
            fresh: self.fresh,
            new_codes: self.new_codes.clone(),
            unknown: self.unknown.clone(),
            log: self.log.clone(),
            outcomes: self.outcomes.clone(),
            kinds_accepted: self.kinds_accepted.clone(),
        }
    }
}

impl World {
    fn participant(&self, k: &PublicKey) -> Option<Participant> {
        tables::participant(&self.l.state, k).unwrap()
    }

    fn holder(&self, k: &PublicKey) -> Option<Holder> {
        self.participant(k).map(|p| p.holder)
    }

    /// Keeps two unregistered keys in the universe, for registrations and rotations.
    fn top_up_spares(&mut self) {
        while self
            .keys
            .iter()
            .filter(|k| self.participant(&k.public_key()).is_none())
            .count()
            < 2
        {
            self.keys
                .push(SigningKey::dev(&format!("spare {}", self.spares)));
            self.spares += 1;
        }
    }

    fn fresh_key(&self, p: &mut Picks<'_>) -> PublicKey {
        let free: Vec<PublicKey> = self
            .keys
            .iter()
            .map(|k| k.public_key())
            .filter(|k| self.participant(k).is_none())
            .collect();
        p.pick(&free)
    }

    fn any_key(&self, p: &mut Picks<'_>) -> PublicKey {
        p.pick(&self.keys).public_key()
    }

    /// A fresh key most of the time, else any key (usually registered already).
    fn new_key(&self, p: &mut Picks<'_>) -> PublicKey {
        if p.chance(4, 5) {
            self.fresh_key(p)
        } else {
            self.any_key(p)
        }
    }

    fn operators(&self) -> Vec<Uscc> {
        tables::operators_in(&self.l.state, "").unwrap()
    }

    fn txs(&self, k: RecordKind) -> Vec<Hash> {
        self.accepted
            .iter()
            .filter(|(_, kk)| *kk == k)
            .map(|(h, _)| *h)
            .collect()
    }

    /// Accepted inspections with findings and penalties, with their operator.
    fn negative_records(&self) -> Vec<(Hash, Uscc)> {
        self.accepted
            .iter()
            .filter(|(_, k)| *k == kind::InspectionResult || *k == kind::PenaltyDecision)
            .filter_map(|(h, _)| {
                let u = tables::entry(&self.l.state, h).unwrap()?.operator?;
                let f = tables::fact(&self.l.state, &u, h).unwrap()?;
                is_negative(&f.kind).then_some((*h, u))
            })
            .collect()
    }

    /// Mostly only the records that pass `still_open` (not yet decided, revoked, repaired).
    fn open(
        &self,
        records: Vec<Hash>,
        p: &mut Picks<'_>,
        still_open: impl Fn(&Hash) -> bool,
    ) -> Vec<Hash> {
        if !p.chance(3, 4) {
            return records;
        }
        let open: Vec<Hash> = records.iter().filter(|h| still_open(h)).copied().collect();
        if open.is_empty() { records } else { open }
    }

    /// For a regulator, mostly only the records about operators in its jurisdiction.
    fn near(&self, records: Vec<Hash>, jur: Option<&str>, p: &mut Picks<'_>) -> Vec<Hash> {
        let Some(j) = jur else { return records };
        if !p.chance(3, 4) {
            return records;
        }
        let inside: Vec<Hash> = records
            .iter()
            .filter(|h| {
                tables::entry(&self.l.state, h)
                    .unwrap()
                    .and_then(|e| e.operator)
                    .and_then(|u| tables::operator(&self.l.state, &u).unwrap())
                    .is_some_and(|o| o.registration.region.as_str().starts_with(j))
            })
            .copied()
            .collect();
        if inside.is_empty() { records } else { inside }
    }

    /// A reference: mostly one of `want`, sometimes any accepted record, sometimes nothing.
    fn reference(&self, want: &[Hash], p: &mut Picks<'_>) -> Hash {
        match p.n(10) {
            0 => digest("no such record"),
            1 if !self.accepted.is_empty() => p.pick(&self.accepted).0,
            _ if !want.is_empty() => p.pick(want),
            _ => digest("no such record"),
        }
    }

    /// The operator a record is about: for an operator, itself mostly; for a regulator, one in
    /// its jurisdiction mostly; else any registered operator, sometimes an unregistered one.
    fn subject(&self, me: Option<&Uscc>, jur: Option<&str>, p: &mut Picks<'_>) -> Uscc {
        if let Some(me) = me.filter(|_| p.chance(3, 4)) {
            return me.clone();
        }
        if p.chance(1, 8) {
            return p.pick(&self.unknown);
        }
        if let Some(j) = jur.filter(|_| p.chance(3, 4)) {
            let inside = tables::operators_in(&self.l.state, j).unwrap();
            if !inside.is_empty() {
                return p.pick(&inside);
            }
        }
        p.pick(&self.operators())
    }

    /// The current keys of operators and institutions whose key was revoked (for a regulator
    /// to recover by rotation).
    fn lost_keys(&self) -> Vec<PublicKey> {
        let mut current = Vec::new();
        for u in self.operators() {
            if let Some(o) = tables::operator(&self.l.state, &u).unwrap() {
                current.push(o.key);
            }
        }
        for a in [INST_1, INST_2, "INST-3", "INST-4", "INST-5"] {
            if let Some(i) = tables::institution(&self.l.state, a).unwrap() {
                current.push(i.key);
            }
        }
        self.keys
            .iter()
            .map(|k| k.public_key())
            .filter(|k| current.iter().any(|c| c == k))
            .filter(|k| self.participant(k).is_some_and(|p| p.revoked))
            .collect()
    }

    /// A registered instrument (the signer's own mostly, for operators), sometimes an
    /// unregistered one.
    fn instrument(&self, me: Option<&Uscc>, p: &mut Picks<'_>) -> InstrumentId {
        if p.chance(1, 10) {
            return InstrumentId {
                owner: me.cloned().unwrap_or_else(|| uscc(OP_A)),
                category: text("9.1"),
                serial: text("NO-SUCH"),
            };
        }
        if let Some(me) = me.filter(|_| p.chance(3, 4)) {
            let own: Vec<InstrumentId> = self
                .instruments
                .iter()
                .filter(|i| &i.owner == me)
                .cloned()
                .collect();
            if !own.is_empty() {
                return p.pick(&own);
            }
        }
        p.pick(&self.instruments)
    }

    fn fresh_digest(&mut self) -> Hash {
        self.fresh += 1;
        digest(&format!("certificate {}", self.fresh))
    }
}

/// The signer: mostly an unrevoked key of the kind's role (for operator records that refer to
/// earlier records, often the operator those records are about), sometimes any key, a revoked
/// key or an unregistered one.
fn choose_signer(w: &World, kind_index: usize, choice: u16) -> SigningKey {
    let role = w.roles[kind_index];
    let index = usize::from(choice >> 4);
    let concerned: Vec<Uscc> = match kind_index {
        5 => w
            .operators()
            .into_iter()
            .filter(|u| {
                tables::operator(&w.l.state, u)
                    .unwrap()
                    .is_some_and(|o| o.commitment.is_some())
            })
            .collect(),
        13 => w.negative_records().into_iter().map(|(_, u)| u).collect(),
        _ => Vec::new(),
    };
    let known: Vec<(&SigningKey, Option<Participant>)> = w
        .keys
        .iter()
        .map(|k| (k, w.participant(&k.public_key())))
        .collect();
    let keys_where = |f: &dyn Fn(&Option<Participant>) -> bool| -> Vec<&SigningKey> {
        known
            .iter()
            .filter(|(_, p)| f(p))
            .map(|(k, _)| *k)
            .collect()
    };
    let preferred = keys_where(&|p| {
        p.as_ref().is_some_and(|p| {
            !p.revoked && matches!(&p.holder, Holder::Operator(u) if concerned.contains(u))
        })
    });
    let mut unregistered = keys_where(&|p| p.is_none());
    unregistered.push(&w.stranger);
    let all = keys_where(&|_| true);
    let chosen: &[&SigningKey] = match choice & 0xf {
        0..=13 if !preferred.is_empty() && index % 2 == 0 => &preferred,
        0..=13 => {
            let plausible = keys_where(&|p| {
                p.as_ref()
                    .is_some_and(|p| !p.revoked && role.is_none_or(|r| p.holder.role() == r))
            });
            return if plausible.is_empty() {
                all[index % all.len()].clone()
            } else {
                plausible[index % plausible.len()].clone()
            };
        }
        14 if index % 2 == 0 => &all,
        14 => {
            let revoked = keys_where(&|p| p.as_ref().is_some_and(|p| p.revoked));
            return if revoked.is_empty() {
                unregistered[index % unregistered.len()].clone()
            } else {
                revoked[index % revoked.len()].clone()
            };
        }
        _ => &unregistered,
    };
    chosen[index % chosen.len()].clone()
}

fn build(w: &mut World, kind_index: usize, signer: &PublicKey, p: &mut Picks<'_>) -> Record {
    let me_holder = w.holder(signer);
    let me = match &me_holder {
        Some(Holder::Operator(u)) => Some(u.clone()),
        _ => None,
    };
    let me = me.as_ref();
    let jur = match &me_holder {
        Some(Holder::Regulator(name)) => tables::regulator(&w.l.state, name)
            .unwrap()
            .map(|r| r.jurisdiction.as_str().to_string()),
        _ => None,
    };
    let jur = jur.as_deref();
    let now = w.l.time;
    let height = w.l.height;
    match kind_index {
        0 => {
            let inside: Vec<Uscc> = w
                .new_codes
                .iter()
                .filter(|u| jur.is_some_and(|j| u.region().starts_with(j)))
                .cloned()
                .collect();
            let u = if !inside.is_empty() && p.chance(1, 2) {
                p.pick(&inside)
            } else if p.chance(3, 5) {
                p.pick(&w.new_codes)
            } else {
                p.pick(&w.operators())
            };
            let region = if p.chance(7, 10) {
                u.region().to_string()
            } else {
                p.pick(&["350100", "350200", "110108", "440300"])
                    .to_string()
            };
            let check_override = if p.chance(1, 5) {
                u.check_ok()
            } else {
                !u.check_ok()
            };
            OperatorRegistration {
                uscc: u,
                name: text(if p.chance(1, 10) { "" } else { "某经营者" }),
                region: Region::new(&region).unwrap(),
                sector: p.pick(&Sector::ALL),
                key: w.new_key(p),
                check_override,
            }
            .into()
        }
        1 => {
            let cats: &[&str] = p.pick(&[
                &["12.2"][..],
                &["9.1", "12.2"],
                &["5.1"],
                &["99.9"],
                &[],
                &["5.1", "5.1"],
                &["12.1", "12.2", "13.1"],
            ]);
            let from = days(now, p.pick(&[-1, 0, 0, 3]));
            let until = match p.n(6) {
                0 => from,
                1 => days(now, -2),
                _ => now.plus(50 * YEAR),
            };
            InstitutionRegistration {
                authorisation: text(p.pick(&[INST_1, INST_2, "INST-3", "INST-4", "INST-5", ""])),
                name: text(if p.chance(1, 12) { "" } else { "某检定所" }),
                categories: vec_of(cats.iter().map(|c| text(c)).collect()),
                key: w.new_key(p),
                valid_from: from,
                valid_until: until,
            }
            .into()
        }
        2 => {
            let lost = w.lost_keys();
            let old_key = match &me_holder {
                Some(Holder::Regulator(_)) if !lost.is_empty() && p.chance(2, 3) => p.pick(&lost),
                Some(_) if p.chance(1, 2) => *signer,
                _ => w.any_key(p),
            };
            KeyRotation {
                old_key,
                new_key: if p.chance(6, 7) {
                    w.fresh_key(p)
                } else {
                    w.any_key(p)
                },
            }
            .into()
        }
        3 => {
            let key = match &me_holder {
                // a regulator revoking its own key (allowed, but it then signs nothing): rare
                Some(Holder::Regulator(_)) => {
                    if p.chance(1, 32) {
                        *signer
                    } else {
                        let others: Vec<PublicKey> = w
                            .keys
                            .iter()
                            .map(|k| k.public_key())
                            .filter(|k| !matches!(w.holder(k), Some(Holder::Regulator(_))))
                            .collect();
                        p.pick(&others)
                    }
                }
                Some(_) if p.chance(1, 5) => *signer,
                _ => w.any_key(p),
            };
            KeyRevocation {
                key,
                reason: text("设备丢失"),
            }
            .into()
        }
        4 => {
            let u = w.subject(me, jur, p);
            let from = days(now, p.pick(&[0, 0, -10, 5]));
            let until = match p.n(6) {
                0 => from,
                1 => days(now, -1),
                2 => days(now, 30),
                _ => days(now, 365),
            };
            let renews = if p.chance(1, 2) {
                None
            } else if p.chance(7, 10) {
                tables::operator(&w.l.state, &u)
                    .unwrap()
                    .and_then(|o| o.commitment)
                    .or_else(|| Some(digest("no such commitment")))
            } else {
                Some(w.reference(&w.txs(kind::SelfCommitment), p))
            };
            SelfCommitment {
                uscc: u,
                template_version: p.pick(&[1, 1, 1, 2, 0]),
                pledge_digest: digest("诚信计量承诺书 v1"),
                valid_from: from,
                valid_until: until,
                posted_at: text(if p.chance(1, 12) { "" } else { "营业大厅" }),
                hotline: text(if p.chance(1, 12) { "" } else { "12315" }),
                renews,
            }
            .into()
        }
        5 => {
            let current = me
                .and_then(|u| tables::operator(&w.l.state, u).unwrap())
                .and_then(|o| o.commitment);
            let mine: Vec<Hash> = w
                .txs(kind::SelfCommitment)
                .into_iter()
                .filter(|h| {
                    tables::commitment(&w.l.state, h)
                        .unwrap()
                        .is_some_and(|c| Some(&c.commitment.uscc) == me)
                })
                .collect();
            let commitment = match current {
                Some(c) if p.chance(3, 4) => c,
                _ if !mine.is_empty() && p.chance(1, 2) => p.pick(&mine),
                _ => w.reference(&w.txs(kind::SelfCommitment), p),
            };
            CommitmentWithdrawal {
                commitment,
                reason: text("经营范围变更"),
            }
            .into()
        }
        6 => {
            let owner = w.subject(me, jur, p);
            let category = p.pick(&["9.1", "5.1", "12.2", "9.1", "5.1", "99.9"]);
            let serial = if p.chance(1, 20) {
                String::new()
            } else {
                format!("S{}", p.n(12))
            };
            let mode = if p.chance(4, 5) {
                match category {
                    "12.2" if p.chance(1, 2) => VerificationMode::FirstOnlyScrapOnFailure,
                    "12.2" => VerificationMode::FixedServiceLife {
                        until: now.plus(8 * YEAR),
                    },
                    _ => VerificationMode::Periodic,
                }
            } else {
                p.pick(&[
                    VerificationMode::Periodic,
                    VerificationMode::FirstOnlyScrapOnFailure,
                    VerificationMode::FixedServiceLife {
                        until: days(now, -1),
                    },
                    VerificationMode::FixedServiceLife {
                        until: now.plus(YEAR),
                    },
                ])
            };
            let id = InstrumentId {
                owner,
                category: text(category),
                serial: text(&serial),
            };
            instrument_registration(id, mode).into()
        }
        7 => {
            let instrument = w.instrument(me, p);
            let replacement = if p.chance(3, 5) {
                None
            } else {
                let same: Vec<InstrumentId> = w
                    .instruments
                    .iter()
                    .filter(|i| i.owner == instrument.owner && i.category == instrument.category)
                    .cloned()
                    .collect();
                if !same.is_empty() && p.chance(3, 4) {
                    Some(p.pick(&same))
                } else {
                    Some(w.instrument(me, p))
                }
            };
            InstrumentRetirement {
                instrument,
                reason: p.pick(&[
                    RetirementReason::Inaccurate,
                    RetirementReason::FailedVerification,
                    RetirementReason::EndOfLife,
                    RetirementReason::Damaged,
                    RetirementReason::OutOfUse,
                ]),
                replacement,
            }
            .into()
        }
        8 => {
            // Mostly an instrument of a category the signing institution may verify.
            let scope: Vec<String> = match &me_holder {
                Some(Holder::Institution(a)) => tables::institution(&w.l.state, a)
                    .unwrap()
                    .map(|i| {
                        i.registration
                            .categories
                            .iter()
                            .map(|c| c.to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let in_scope: Vec<InstrumentId> = w
                .instruments
                .iter()
                .filter(|i| scope.iter().any(|c| c.as_str() == i.category.as_str()))
                .cloned()
                .collect();
            let instrument = if !in_scope.is_empty() && p.chance(4, 5) {
                p.pick(&in_scope)
            } else {
                w.instrument(None, p)
            };
            let date = days(now, p.pick(&[0, 0, -1, -3, -30, 1]));
            let passed = p.chance(4, 5);
            let certificate_digest = if !w.certificates.is_empty() && p.chance(1, 10) {
                p.pick(&w.certificates)
            } else {
                w.fresh_digest()
            };
            VerificationResult {
                instrument,
                date,
                passed,
                certificate_number: text(if p.chance(1, 20) {
                    ""
                } else {
                    "检字第0001号"
                }),
                certificate_digest,
                certificate_uri: None,
                valid_until: if p.chance(1, 10) {
                    date
                } else {
                    days(date, 180)
                },
                regulation: text("JJG 443-2023"),
            }
            .into()
        }
        9 => {
            let mut target = w.subject(me, jur, p);
            let inspectors: &[&str] = p.pick(&[
                &["FJ-1", "FJ-2"][..],
                &["FJ-3", "FJ-6"],
                &["FJ-4", "FJ-1"],
                &["FJ-3", "FJ-4", "FJ-5"],
                &["FJ-2", "FJ-6"],
                &["FJ-1"],
                &["FJ-1", "FJ-1"],
                &["FJ-2", " "],
            ]);
            let mut names: Vec<String> = inspectors.iter().map(|s| s.to_string()).collect();
            let draw = match p.n(8) {
                0 | 1 => {
                    // inspect a target of an accepted draw, with its assigned inspectors
                    let draws = w.txs(kind::RandomDrawRequest);
                    if draws.is_empty() {
                        None
                    } else {
                        let h = p.pick(&draws);
                        let drawn = tables::draw(&w.l.state, &h).unwrap();
                        if let Some(d) = drawn.filter(|d| !d.targets.is_empty() && p.chance(4, 5)) {
                            let t = p.pick(&d.targets);
                            target = t.operator.clone();
                            names = t.inspectors.iter().map(|i| i.to_string()).collect();
                        }
                        Some(h)
                    }
                }
                2 => Some(digest("no such draw")),
                _ => None,
            };
            let own: Vec<InstrumentId> = w
                .instruments
                .iter()
                .filter(|i| i.owner == target)
                .cloned()
                .collect();
            let finding = |instrument: Option<InstrumentId>, kind: FindingKind| Finding {
                kind,
                instrument,
                note: text("现场发现"),
            };
            let kind = p.pick(&FindingKind::ALL);
            let (findings, outcome) = match p.n(8) {
                0..=2 => (vec![], InspectionOutcome::Compliant),
                3 => (
                    vec![finding(None, kind)],
                    InspectionOutcome::RectificationOrdered,
                ),
                4 if !own.is_empty() => (
                    vec![finding(Some(p.pick(&own)), kind)],
                    InspectionOutcome::CaseOpened,
                ),
                4 => (vec![finding(None, kind)], InspectionOutcome::CaseOpened),
                5 => (vec![finding(None, kind)], InspectionOutcome::Compliant),
                6 => (vec![], InspectionOutcome::CaseOpened),
                _ => (
                    vec![finding(Some(w.instrument(None, p)), kind)],
                    InspectionOutcome::RectificationOrdered,
                ),
            };
            InspectionResult {
                target,
                draw,
                inspectors: vec_of(names.iter().map(|n| text(n)).collect()),
                date: days(now, p.pick(&[0, 0, -1, -10, 1])),
                items_checked: p.pick(&[3, 3, 3, 0]),
                findings: vec_of(findings),
                outcome,
                report_digest: digest("report"),
            }
            .into()
        }
        10 => {
            let date = days(now, p.pick(&[0, 0, -1, -30, 1]));
            let severity = p.pick(&[Severity::Minor, Severity::General, Severity::Serious]);
            PenaltyDecision {
                target: w.subject(me, jur, p),
                decision_number: text(&format!("罚〔2026〕{}号", p.n(8))),
                violation: text(if p.chance(1, 20) {
                    " "
                } else {
                    "使用作弊装置"
                }),
                severity,
                date,
                public_until: days(date, p.pick(&[90, 90, 180, 400, 730, 10, 0, 1200])),
            }
            .into()
        }
        11 => Commendation {
            target: w.subject(me, jur, p),
            level: p.pick(&[
                CommendationLevel::Local,
                CommendationLevel::Provincial,
                CommendationLevel::National,
            ]),
            awarded: days(now, p.pick(&[0, 0, -1, -30, 2])),
            valid_until: days(now, p.pick(&[365, 1000, 365, 0, -1])),
        }
        .into(),
        12 => CommendationRevocation {
            commendation: {
                let open = w.open(w.txs(kind::Commendation), p, |h| {
                    let f = tables::entry(&w.l.state, h)
                        .unwrap()
                        .and_then(|e| e.operator)
                        .and_then(|u| tables::fact(&w.l.state, &u, h).unwrap());
                    f.is_some_and(|f| f.ended.is_none())
                });
                w.reference(&w.near(open, jur, p), p)
            },
            reason: text("发现问题"),
        }
        .into(),
        13 => {
            let negative = w.negative_records();
            let about_me: Vec<Hash> = negative
                .iter()
                .filter(|(_, u)| Some(u) == me)
                .map(|(h, _)| *h)
                .collect();
            let record = if !about_me.is_empty() && p.chance(4, 5) {
                p.pick(&about_me)
            } else {
                let all: Vec<Hash> = negative.iter().map(|(h, _)| *h).collect();
                w.reference(&all, p)
            };
            Objection {
                record,
                reason: text("数据有误"),
            }
            .into()
        }
        14 => ObjectionDecision {
            objection: {
                let open = w.open(w.txs(kind::Objection), p, |h| {
                    tables::objection(&w.l.state, h)
                        .unwrap()
                        .is_some_and(|o| o.decision.is_none())
                });
                w.reference(&w.near(open, jur, p), p)
            },
            upheld: p.chance(1, 2),
            reason: text(if p.chance(1, 10) { " " } else { "经调查" }),
        }
        .into(),
        15 => {
            let negative: Vec<Hash> = w.negative_records().iter().map(|(h, _)| *h).collect();
            let negative = w.open(negative, p, |h| {
                let f = tables::entry(&w.l.state, h)
                    .unwrap()
                    .and_then(|e| e.operator)
                    .and_then(|u| tables::fact(&w.l.state, &u, h).unwrap());
                f.is_some_and(|f| f.repaired.is_none() && f.voided.is_none())
            });
            let record = w.reference(&w.near(negative, jur, p), p);
            let from = tables::entry(&w.l.state, &record)
                .unwrap()
                .and_then(|e| e.operator)
                .and_then(|u| tables::fact(&w.l.state, &u, &record).unwrap())
                .map(|f| f.from)
                .unwrap_or(now);
            let date = match p.n(6) {
                0 => from,
                1 => days(from, 1),
                2 => days(from, 366),
                3 => days(now, 1),
                _ => now,
            };
            CreditRepair {
                record,
                date,
                basis: text(if p.chance(1, 12) { "" } else { "已整改" }),
            }
            .into()
        }
        16 => {
            let pool: &[&str] = p.pick(&[
                &["FJ-1", "FJ-2", "FJ-3", "FJ-4", "FJ-5", "FJ-6"][..],
                &["FJ-1", "FJ-2", "FJ-3", "FJ-4", "FJ-5", "FJ-6"],
                &["FJ-1", "FJ-2", "FJ-3", "FJ-4", "FJ-5", "FJ-6"],
                &["FJ-1"],
                &["FJ-1", "FJ-1", "FJ-2"],
            ]);
            let exclusions = match p.n(6) {
                0 => vec![Exclusion {
                    inspector: text("FJ-1"),
                    operator: w.subject(None, jur, p),
                }],
                1 => vec![Exclusion {
                    inspector: text("X-99"),
                    operator: w.subject(None, jur, p),
                }],
                _ => vec![],
            };
            let sectors = p.pick(&[
                &[][..],
                &[],
                &[Sector::FuelStation],
                &[Sector::Shop, Sector::MarketStall],
                &[Sector::Shop, Sector::Shop],
            ]);
            RandomDrawRequest {
                jurisdiction: {
                    let own = jur.map(|j| {
                        if j.len() <= 4 && p.chance(1, 2) {
                            format!("{j}01")
                        } else {
                            j.to_string()
                        }
                    });
                    match own {
                        Some(j) if p.chance(2, 3) => Jurisdiction::new(&j).unwrap(),
                        _ => Jurisdiction::new(p.pick(&["35", "3501", "3502", "11", "", "44"]))
                            .unwrap(),
                    }
                },
                sectors: vec_of(sectors.to_vec()),
                inspectors: vec_of(pool.iter().map(|i| text(i)).collect()),
                exclusions: vec_of(exclusions),
                inspectors_per_target: p.pick(&[2, 2, 2, 3, 1]),
                label: text("专项检查"),
            }
            .into()
        }
        17 => {
            let action = match p.n(8) {
                0 | 1 => GovernanceAction::AddRegulator {
                    name: text(p.pick(&["xiamen-amr", "shenzhen-amr", "fujian-amr", "bad name"])),
                    key: w.new_key(p),
                    jurisdiction: Jurisdiction::new(p.pick(&["3502", "44", "11"])).unwrap(),
                    validator: p.chance(1, 2),
                },
                2 | 3 => GovernanceAction::SetCatalogueItem(CatalogueItem {
                    code: text(p.pick(&["12.2", "30.1"])),
                    name: text("某器具"),
                    control: ControlMode::Both,
                    modes: p
                        .pick(&[
                            &[VerificationModeKind::Periodic][..],
                            &[
                                VerificationModeKind::Periodic,
                                VerificationModeKind::FirstOnlyScrapOnFailure,
                            ],
                            &[],
                        ])
                        .to_vec(),
                }),
                4 | 5 => {
                    let mut params = RuleParams::default();
                    match p.n(3) {
                        0 => params.sample_rates_ppm = [1_000_000; 4],
                        1 => params.thresholds = [50, 75, 90],
                        _ => {}
                    }
                    GovernanceAction::SetParams(params)
                }
                6 => GovernanceAction::RemoveRegulator { key: w.any_key(p) },
                _ => GovernanceAction::AddRegulator {
                    name: text("guangdong-amr"),
                    key: w.new_key(p),
                    jurisdiction: Jurisdiction::new("44").unwrap(),
                    validator: false,
                },
            };
            let effective_height = height + p.pick(&[10, 12, 20, 30, 3]);
            let expires_height = (height + p.pick(&[5, 10, 8, 0, 30])).min(effective_height);
            GovernanceProposal {
                action,
                effective_height,
                expires_height: if p.chance(1, 10) {
                    effective_height + 1
                } else {
                    expires_height
                },
            }
            .into()
        }
        _ => GovernanceApproval {
            proposal: {
                // mostly a proposal still collecting approvals
                let pending: Vec<Hash> = w
                    .txs(kind::GovernanceProposal)
                    .into_iter()
                    .filter(|h| {
                        tables::proposal(&w.l.state, h).unwrap().is_some_and(|x| {
                            x.status == ProposalStatus::Pending
                                && x.proposal.expires_height > height
                        })
                    })
                    .collect();
                if !pending.is_empty() && p.chance(3, 4) {
                    p.pick(&pending)
                } else {
                    w.reference(&w.txs(kind::GovernanceProposal), p)
                }
            },
        }
        .into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// The operator an accepted record is about, from the state before it: what its entry must name.
fn expected_operator(pre: &MemState, record: &Record) -> Option<Uscc> {
    let holder_op = |k: &PublicKey| match tables::participant(pre, k).unwrap().map(|p| p.holder) {
        Some(Holder::Operator(u)) => Some(u),
        _ => None,
    };
    let entry_op = |h: &Hash| {
        tables::entry(pre, h)
            .unwrap()
            .expect("an accepted record refers to an existing record")
            .operator
    };
    match record {
        Record::OperatorRegistration(r) => Some(r.uscc.clone()),
        Record::InstitutionRegistration(_) => None,
        Record::KeyRotation(r) => holder_op(&r.old_key),
        Record::KeyRevocation(r) => holder_op(&r.key),
        Record::SelfCommitment(r) => Some(r.uscc.clone()),
        Record::CommitmentWithdrawal(r) => Some(
            tables::commitment(pre, &r.commitment)
                .unwrap()
                .expect("withdrawn commitment exists")
                .commitment
                .uscc,
        ),
        Record::InstrumentRegistration(r) => Some(r.instrument.owner.clone()),
        Record::InstrumentRetirement(r) => Some(r.instrument.owner.clone()),
        Record::VerificationResult(r) => Some(r.instrument.owner.clone()),
        Record::InspectionResult(r) => Some(r.target.clone()),
        Record::PenaltyDecision(r) => Some(r.target.clone()),
        Record::Commendation(r) => Some(r.target.clone()),
        Record::CommendationRevocation(r) => entry_op(&r.commendation),
        Record::Objection(r) => entry_op(&r.record),
        Record::ObjectionDecision(r) => Some(
            tables::objection(pre, &r.objection)
                .unwrap()
                .expect("decided objection exists")
                .operator,
        ),
        Record::CreditRepair(r) => entry_op(&r.record),
        Record::RandomDrawRequest(_)
        | Record::GovernanceProposal(_)
        | Record::GovernanceApproval(_) => None,
    }
}

fn run_step(w: &mut World, s: &Step) {
    if let Some(d) = s.advance {
        w.l.advance_days(u64::from(d));
        w.log.push(Event::Begin(w.l.block()));
    }
    w.top_up_spares();
    let kind_index = usize::from(s.kind) % KIND_COUNT;
    let key = choose_signer(w, kind_index, s.signer);
    let pk = key.public_key();
    let mut p = Picks { p: &s.picks, i: 0 };
    let record = build(w, kind_index, &pk, &mut p);
    let next = tables::next_seq(&w.l.state, &pk).unwrap();
    let (seq, in_order) = match s.seq {
        28 if next > 0 => (next - 1 - u64::from(s.picks[0]) % next, false),
        28 | 29 => (next + 1 + u64::from(s.picks[1] % 3), false),
        _ => (next, true),
    };
    let tx = w.l.sign(&key, seq, &record).unwrap();
    let pre = w.l.state.clone();
    let block = w.l.block();
    let result = w.l.execute(&tx);
    let ctx = || format!("record {record:?} signed by {pk} at seq {seq} (next {next})");
    let effects = match result {
        Err(ExecError::State(e)) => panic!("storage error {e} for {}", ctx()),
        Err(ExecError::Rejected(r)) => {
            // Property 1: a rejection changes nothing (the state is byte-identical; comparing
            // the maps is the digest comparison without the hashing).
            assert!(
                w.l.state == pre,
                "rejection {r} changed the state: {}",
                ctx()
            );
            *w.outcomes.entry(r.code.name()).or_default() += 1;
            return;
        }
        Ok(e) => e,
    };
    *w.outcomes.entry("accepted").or_default() += 1;
    *w.kinds_accepted.entry(record.kind_name()).or_default() += 1;
    let tx_id = effects.tx_id;

    // Property 6 (sequence): only the signer's next sequence number is accepted.
    assert!(in_order, "out-of-order sequence number accepted: {}", ctx());

    // Property 2: the signer is registered, unrevoked, of the kind's role.
    let signer = tables::participant(&pre, &pk)
        .unwrap()
        .unwrap_or_else(|| panic!("unregistered signer accepted: {}", ctx()));
    assert!(!signer.revoked, "revoked signer accepted: {}", ctx());
    match record.signer_role() {
        Some(role) => assert_eq!(signer.holder.role(), role, "wrong role accepted: {}", ctx()),
        None => {
            let target = match &record {
                Record::KeyRotation(r) => r.old_key,
                Record::KeyRevocation(r) => r.key,
                _ => unreachable!("only key rotation and revocation have no fixed role"),
            };
            if target != pk {
                assert!(
                    matches!(signer.holder, Holder::Regulator(_)),
                    "someone other than the key or a regulator managed a key: {}",
                    ctx()
                );
                let target_holder = tables::participant(&pre, &target)
                    .unwrap()
                    .expect("managed key is registered")
                    .holder;
                assert!(
                    !matches!(target_holder, Holder::Regulator(_)),
                    "a regulator managed another regulator's key: {}",
                    ctx()
                );
            }
        }
    }

    // Property 3: the record is about exactly the operator it should be (what its effects
    // name; records of the kinds later records cite keep it in their `entry/` row, the others
    // keep no row); an operator signs only about itself.
    let about = effects.subjects.iter().find_map(|x| match x {
        Subject::Operator(u) => Some(u.clone()),
        _ => None,
    });
    assert_eq!(
        about,
        expected_operator(&pre, &record),
        "the record is about the wrong operator: {}",
        ctx()
    );
    let entry = tables::entry(&w.l.state, &tx_id).unwrap();
    if EntryMeta::kept_for(record.kind()) {
        let entry = entry.unwrap_or_else(|| panic!("no entry for accepted {}", ctx()));
        assert_eq!(entry.kind, record.kind(), "{}", ctx());
        assert_eq!(
            entry.operator,
            about,
            "entry names the wrong operator: {}",
            ctx()
        );
    } else {
        assert!(entry.is_none(), "an entry row for {}", ctx());
    }
    if let Holder::Operator(me) = &signer.holder {
        assert_eq!(
            about.as_ref(),
            Some(me),
            "an operator signed about another operator: {}",
            ctx()
        );
    }

    // Property 4: a regulator acts only inside its jurisdiction, and only while not removed.
    if let Holder::Regulator(name) = &signer.holder {
        let reg = tables::regulator(&pre, name)
            .unwrap()
            .expect("signing regulator exists");
        assert!(!reg.removed, "a removed regulator signed: {}", ctx());
        if let Some(u) = &about {
            let op = tables::operator(&w.l.state, u)
                .unwrap()
                .expect("named operator exists");
            assert!(
                op.registration.region.is_in(&reg.jurisdiction),
                "regulator {name} ({}) acted on operator {u} in region {}: {}",
                reg.jurisdiction,
                op.registration.region,
                ctx()
            );
        }
        if let Record::RandomDrawRequest(r) = &record {
            assert!(
                reg.jurisdiction.contains(&r.jurisdiction),
                "regulator {name} drew outside its jurisdiction: {}",
                ctx()
            );
        }
    }

    // Property 6: check-character override.
    if let Record::OperatorRegistration(r) = &record {
        assert_eq!(
            r.check_override,
            !r.uscc.check_ok(),
            "override accepted on the wrong kind of code: {}",
            ctx()
        );
        let stored = tables::operator(&w.l.state, &r.uscc)
            .unwrap()
            .expect("registered operator stored");
        let st = &stored.registration;
        assert!(
            st.uscc == r.uscc
                && st.name == r.name
                && st.region == r.region
                && st.sector == r.sector
                && st.key == r.key
                && st.check_override == r.check_override,
            "stored registration {st:?} differs from {}",
            ctx()
        );
    }

    // Property 5: the same transaction again is rejected and changes nothing.
    let after = w.l.digest();
    let again = w.l.execute(&tx);
    let now_revoked = tables::participant(&w.l.state, &pk)
        .unwrap()
        .is_some_and(|p| p.revoked);
    let want = if now_revoked {
        // the record rotated away or revoked its own signing key: that check comes first
        assert!(
            matches!(&record, Record::KeyRotation(r) if r.old_key == pk)
                || matches!(&record, Record::KeyRevocation(r) if r.key == pk),
            "signer revoked by an unrelated record: {}",
            ctx()
        );
        Code::RevokedKey
    } else {
        Code::BadSequence
    };
    match again {
        Err(ExecError::Rejected(r)) => assert_eq!(r.code, want, "replay: {r}: {}", ctx()),
        other => panic!("replayed transaction not rejected: {other:?}: {}", ctx()),
    }
    assert_eq!(w.l.digest(), after, "a replay changed the state: {}", ctx());

    // Bookkeeping for later steps and the final replay.
    w.log.push(Event::Exec(Box::new(tx), block));
    w.accepted.push((tx_id, record.kind()));
    match &record {
        Record::InstrumentRegistration(r) => w.instruments.push(r.instrument.clone()),
        Record::VerificationResult(r) => w.certificates.push(r.certificate_digest),
        _ => {}
    }
}

/// Property 7: the accepted transactions and block starts, replayed on a fresh ledger with the
/// same block contexts, give the same state.
fn check_replay(w: &World, fresh: World) {
    let mut fresh = fresh.l;
    for e in &w.log {
        match e {
            Event::Begin(b) => {
                begin_block(&mut fresh.state, b).unwrap();
            }
            Event::Exec(tx, b) => {
                execute(&mut fresh.state, tx, b).unwrap();
            }
        }
    }
    assert_eq!(
        fresh.digest(),
        w.l.digest(),
        "replaying {} events gave a different state",
        w.log.len()
    );
}

/// Runs `steps` on the set-up world, then checks the replay on `fresh` (a set-up world).
fn run(steps: &[Step], fresh: World) -> World {
    let mut w = setup();
    for s in steps {
        run_step(&mut w, s);
    }
    check_replay(&w, fresh);
    w
}

proptest! {
    // 64 cases of 20–59 steps: about 10 s in a debug build. No failure file: proptest finds no
    // lib.rs above an integration test to put it next to; a failure prints its minimal case.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(64)
    })]

    #[test]
    fn authorisation_holds_over_random_sequences(
        steps in proptest::collection::vec(step_strategy(), 20..60)
    ) {
        run(&steps, setup());
    }
}

#[test]
fn long_fixed_sequence() {
    const STEPS: usize = 2_000;
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strategy = step_strategy();
    let steps: Vec<Step> = (0..STEPS)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    // the replay runs on a ledger built again from scratch, not on a copy
    let w = run(&steps, build_setup());
    let accepted = w.outcomes.get("accepted").copied().unwrap_or(0);
    println!(
        "{STEPS} steps: {accepted} accepted, {} rejected",
        STEPS - accepted
    );
    for (outcome, n) in &w.outcomes {
        println!("  {outcome:>16}: {n}");
    }
    println!("accepted by kind:");
    for (kind, n) in &w.kinds_accepted {
        println!("  {kind:>26}: {n}");
    }
    assert!(
        accepted * 100 >= STEPS * 15,
        "only {accepted} of {STEPS} records accepted"
    );
    for (_, name) in Record::KINDS {
        assert!(
            w.kinds_accepted.contains_key(name),
            "no {name} was accepted in {STEPS} steps: {:?}",
            w.kinds_accepted
        );
    }
}
