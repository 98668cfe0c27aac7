//! Conformance vectors of the state rows that answers are proven by (`docs/rpc.md`, state
//! proofs): per row type, realistic values frozen in `conformance/state.json` as BCS hex (how
//! the contracts store them) and their serde_json view (how the API shows them), plus the state
//! keys of `store::keys`, entry chains and draw seeds. Other implementations (the browser
//! portal's verifier in `node/portal`) decode the rows from these vectors. A change to any row's
//! encoding fails here. Regenerate deliberately with
//! `LIANGXIN_REGEN_VECTORS=1 cargo test -p liangxin-contracts --test state_conformance` and
//! review.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use liangxin_contracts::draws::{Candidate, compute_selection, draw_seed};
use liangxin_contracts::model::*;
use liangxin_contracts::records::{Exclusion, InstrumentRegistration, RandomDrawRequest};
use liangxin_contracts::store::{
    CertificateEntry, DrawResult, EntryChain, InstrumentState, OperatorProfile, OperatorState,
    PendingDraw, RetirementSummary, ValidatorEntry, ValidatorSetRow, VerificationSummary, decode,
    encode, keys,
};
use liangxin_contracts::testkit::{START, instrument_state, text};
use liangxin_types::encoding::BoundedVec;
use liangxin_types::{Domain, Hash, SigningKey, Uscc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn h(label: &str) -> Hash {
    Domain::Conformance.hash(label.as_bytes())
}

fn uscc(s: &str) -> Uscc {
    Uscc::parse_override(s).unwrap()
}

fn station() -> Uscc {
    uscc("91350100M000100Y43")
}

fn t(days: u64) -> Time {
    START.plus(days * DAY)
}

fn dispenser(serial: &str) -> InstrumentId {
    InstrumentId {
        owner: station(),
        category: text("9.1"),
        serial: text(serial),
    }
}

/// One row vector, checked both ways: the BCS bytes decode to the value, the JSON view parses
/// back to the value.
fn row<T>(row: &str, name: &str, value: &T) -> Value
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode(value).unwrap();
    assert_eq!(&decode::<T>(&bytes).unwrap(), value);
    let view = serde_json::to_value(value).unwrap();
    assert_eq!(&serde_json::from_value::<T>(view.clone()).unwrap(), value);
    json!({
        "row": row,
        "name": name,
        "value": view,
        "value_hex": hex::encode(&bytes),
    })
}

fn operators() -> Vec<Value> {
    let registered = OperatorState {
        registration: OperatorProfile {
            uscc: station(),
            name: text("福州市鼓楼区某加油站有限公司"),
            region: Region::new("350102").unwrap(),
            sector: Sector::FuelStation,
            key: SigningKey::dev("operator 91350100M000100Y43")
                .public_key()
                .into(),
            check_override: false,
        },
        key: SigningKey::dev("operator 91350100M000100Y43 v2")
            .public_key()
            .into(),
        registered_by: h("operator registration tx"),
        registered_at: t(0).plus(3_723),
        commitment: Some(h("commitment tx")),
        last_inspectors: vec![text("FJ-INS-007"), text("FJ-INS-019")],
    };
    let overridden = OperatorState {
        registration: OperatorProfile {
            uscc: uscc("91110108551385082A"),
            name: text("北京某超市"),
            region: Region::new("110108").unwrap(),
            sector: Sector::Shop,
            key: SigningKey::dev("operator 91110108551385082A")
                .public_key()
                .into(),
            check_override: true,
        },
        key: SigningKey::dev("operator 91110108551385082A")
            .public_key()
            .into(),
        registered_by: h("override registration tx"),
        registered_at: t(12),
        commitment: None,
        last_inspectors: Vec::new(),
    };
    vec![
        row("operator", "operator with a commitment", &registered),
        row(
            "operator",
            "operator registered with a check override",
            &overridden,
        ),
    ]
}

fn instruments() -> Vec<Value> {
    let pass = VerificationSummary {
        tx: h("verification tx 1"),
        date: t(10),
        passed: true,
        valid_until: t(10 + 182),
        certificate_digest: Domain::Document.hash(b"DCC 0001"),
        institution: text("(闽)法计(2026)01001号"),
    };
    let fail = VerificationSummary {
        tx: h("verification tx 2"),
        date: t(200),
        passed: false,
        valid_until: t(200),
        certificate_digest: Domain::Document.hash(b"DCC 0002"),
        institution: text("(闽)法计(2026)01001号"),
    };
    let full = InstrumentState {
        registration: InstrumentRegistration {
            instrument: dispenser("FD-0042"),
            usage: InstrumentUse::TradeSettlement,
            model: text("DJY-222A"),
            accuracy_class: text("0.3"),
            range: text("5-60 L/min"),
            manufacturer: text("某加油机制造有限公司"),
            location: text("3号岛"),
            mode: VerificationMode::FixedServiceLife { until: t(8 * 365) },
        },
        registered_by: h("instrument registration tx"),
        registered_at: t(2),
        last_verification: Some(fail),
        last_pass: Some(pass),
        retired: Some(RetirementSummary {
            tx: h("retirement tx"),
            at: t(201),
            reason: RetirementReason::FailedVerification,
            replacement: Some(dispenser("FD-0043")),
        }),
        replaces: Some(dispenser("FD-0007")),
    };
    let fresh = instrument_state(
        &station(),
        "PS-0001",
        VerificationMode::Periodic,
        h("scale registration tx"),
    );
    let mut scrap = instrument_state(
        &station(),
        "PS-0002",
        VerificationMode::FirstOnlyScrapOnFailure,
        h("scale 2 registration tx"),
    );
    scrap.registration.usage = InstrumentUse::Health;
    scrap.retired = Some(RetirementSummary {
        tx: h("scale 2 retirement tx"),
        at: t(30),
        reason: RetirementReason::OutOfUse,
        replacement: None,
    });
    vec![
        row(
            "instrument",
            "instrument verified, failed, retired and replacing one",
            &full,
        ),
        row("instrument", "instrument never verified", &fresh),
        row(
            "instrument",
            "instrument retired without replacement",
            &scrap,
        ),
    ]
}

fn certificates() -> Vec<Value> {
    let entry = CertificateEntry {
        tx: h("verification tx 1"),
        instrument: dispenser("FD-0042"),
        institution: text("(闽)法计(2026)01001号"),
        number: text("闽检字〔2026〕第0001号"),
        passed: true,
        date: t(10),
        valid_until: t(10 + 182),
    };
    let failed = CertificateEntry {
        passed: false,
        number: text("闽检字〔2026〕第0002号"),
        tx: h("verification tx 2"),
        ..entry.clone()
    };
    vec![
        row("certificate", "a pass", &entry),
        row("certificate", "a failure notice", &failed),
    ]
}

/// (leaf index, tx id) lists and their entry chains.
fn entry_chains() -> (Vec<Value>, Vec<Value>) {
    let lists: [(&str, &str, Vec<u64>); 3] = [
        ("operator_entries", "no entries", vec![]),
        ("operator_entries", "one entry", vec![1]),
        (
            "instrument_entries",
            "entries far apart",
            vec![3, 4, 9, 300, 1 << 33],
        ),
    ];
    let mut rows = Vec::new();
    let mut chains = Vec::new();
    for (name, label, leaves) in lists {
        let ids: Vec<(u64, Hash)> = leaves
            .iter()
            .map(|l| (*l, h(&format!("entry tx {l}"))))
            .collect();
        let chain = EntryChain::of(ids.iter().map(|(l, id)| (*l, id)));
        assert_eq!(chain.count, leaves.len() as u64);
        rows.push(row(name, label, &chain));
        chains.push(json!({
            "name": label,
            "entries": ids
                .iter()
                .map(|(l, id)| json!({"leaf_index": l, "tx_id": id}))
                .collect::<Vec<_>>(),
            "count": chain.count,
            "head": chain.head,
        }));
    }
    (rows, chains)
}

fn request() -> RandomDrawRequest {
    RandomDrawRequest {
        jurisdiction: Jurisdiction::new("3501").unwrap(),
        sectors: BoundedVec::new(vec![Sector::FuelStation, Sector::MarketStall]).unwrap(),
        inspectors: BoundedVec::new(
            (1..=9)
                .map(|i| text(&format!("FJ-INS-{i:03}")))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        exclusions: BoundedVec::new(vec![
            Exclusion {
                inspector: text("FJ-INS-003"),
                operator: uscc("91350100M000100Y43"),
            },
            Exclusion {
                inspector: text("FJ-INS-004"),
                operator: uscc("91350100MA0000002Y"),
            },
        ])
        .unwrap(),
        inspectors_per_target: 3,
        label: text("2026年第四季度加油机专项检查"),
    }
}

fn candidates() -> Vec<Candidate> {
    let grades = [
        Grade::A,
        Grade::B,
        Grade::A,
        Grade::C,
        Grade::D,
        Grade::B,
        Grade::A,
        Grade::C,
        Grade::B,
        Grade::A,
        Grade::D,
        Grade::B,
    ];
    grades
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let code = if i == 0 {
                "91350100M000100Y43".to_string()
            } else {
                // Well-formed codes; their check characters do not matter in a snapshot.
                format!("91350100MA{:07}Y", i + 1)
            };
            Candidate {
                operator: uscc(&code),
                grade: *g,
                last_inspectors: if i % 3 == 0 {
                    vec![text("FJ-INS-001"), text("FJ-INS-002")]
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}

fn draws() -> (Vec<Value>, Vec<Value>) {
    let request = request();
    let candidates = candidates();
    let mut rows = Vec::new();
    let mut seeds = Vec::new();
    let cases: [(&str, [u32; 4], &str); 3] = [
        (
            "a draw with targets",
            [300_000, 500_000, 1_000_000, 1_000_000],
            "block seed 1",
        ),
        (
            "default rates",
            [10_000, 20_000, 100_000, 300_000],
            "block seed 2",
        ),
        (
            "fractional rates",
            [250_000, 333_333, 666_667, 999_999],
            "block seed 3",
        ),
    ];
    for (label, rates, block_label) in cases {
        let request_tx = h(&format!("draw request tx {label}"));
        let block_seed = Domain::Seed.hash(block_label.as_bytes());
        let seed = draw_seed(&block_seed, &request_tx);
        let targets = compute_selection(&seed, &request, rates, &candidates).unwrap();
        let mut counts = [0u32; 4];
        for c in &candidates {
            counts[c.grade.index()] += 1;
        }
        let result = DrawResult {
            request: request.clone(),
            seed,
            height: 41,
            request_height: 40,
            candidates: counts,
            sample_rates_ppm: rates,
            targets,
            snapshot: candidates.clone(),
        };
        rows.push(row("draw", label, &result));
        seeds.push(json!({
            "block_seed": block_seed,
            "request_tx": request_tx,
            "seed": seed,
        }));
    }
    assert!(
        rows.iter()
            .any(|r| r["value"]["targets"].as_array().unwrap().len() > 3),
        "the first case selects several targets"
    );
    let pending = PendingDraw {
        request: request.clone(),
        height: 40,
        sample_rates_ppm: [10_000, 20_000, 100_000, 300_000],
        candidates: candidates.clone(),
    };
    rows.push(row("pending_draw", "a pending draw", &pending));
    (rows, seeds)
}

fn keys_vectors() -> Vec<Value> {
    let id = dispenser("FD-0042");
    let digest = Domain::Document.hash(b"DCC 0001");
    let tx = h("draw request tx");
    let k = |what: &str, input: Value, key: Vec<u8>| json!({"what": what, "input": input, "key_hex": hex::encode(key)});
    vec![
        k("operator", json!(station()), keys::operator(&station())),
        k(
            "operator_entries",
            json!(station()),
            keys::operator_entries(&station()),
        ),
        k("instrument", json!(id), keys::instrument(&id)),
        k(
            "instrument_entries",
            json!(id),
            keys::instrument_entries(&id),
        ),
        k("certificate", json!(digest), keys::certificate(&digest)),
        k("draw", json!(tx), keys::draw(&tx)),
        k("pending_draw", json!(tx), keys::pending_draw(&tx)),
        k("validators", json!(null), keys::validators()),
    ]
}

#[test]
fn state_vectors_match() {
    let mut rows = Vec::new();
    rows.extend(operators());
    let (chain_rows, chains) = entry_chains();
    rows.extend(chain_rows);
    rows.extend(instruments());
    rows.extend(certificates());
    let (draw_rows, seeds) = draws();
    rows.extend(draw_rows);
    let set = ValidatorSetRow {
        validators: ["fujian-amr", "fuzhou-amr", "xiamen-amr", "zhangzhou-amr"]
            .iter()
            .map(|name| ValidatorEntry {
                name: text(name),
                key: SigningKey::dev(name).public_key().into(),
            })
            .collect(),
    };
    rows.push(row("validators", "a set of four validators", &set));
    let doc = json!({
        "format": "liangxin state rows (BCS as stored, serde_json view), state keys, entry \
                   chains and draw seeds; see docs/rpc.md (state proofs) and contracts/src/store.rs",
        "rows": rows,
        "keys": keys_vectors(),
        "entry_chains": chains,
        "draw_seeds": seeds,
    });
    common::check_vectors("state.json", &doc, "a state row changed");
}

#[test]
fn stored_rows_decode_by_themselves() {
    if std::env::var_os("LIANGXIN_REGEN_VECTORS").is_some() {
        return; // being rewritten by state_vectors_match
    }
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(common::vectors_path("state.json")).unwrap())
            .unwrap();
    fn check<T: Serialize + DeserializeOwned>(c: &Value) {
        let bytes = hex::decode(c["value_hex"].as_str().unwrap()).unwrap();
        let v: T = decode(&bytes).unwrap();
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            c["value"],
            "{}",
            c["name"]
        );
    }
    let mut n = 0;
    for c in doc["rows"].as_array().unwrap() {
        match c["row"].as_str().unwrap() {
            "operator" => check::<OperatorState>(c),
            "operator_entries" | "instrument_entries" => check::<EntryChain>(c),
            "instrument" => check::<InstrumentState>(c),
            "certificate" => check::<CertificateEntry>(c),
            "draw" => check::<DrawResult>(c),
            "pending_draw" => check::<PendingDraw>(c),
            "validators" => check::<ValidatorSetRow>(c),
            other => panic!("unknown row {other}"),
        }
        n += 1;
    }
    assert!(n >= 13);
}
