//! Conformance vectors of the record schemas: one example of every record kind, frozen in
//! `conformance/records.json` as kind tag, JSON view, canonical payload hex and the blake3 of the
//! payload. A change to any record's encoding fails here. Regenerate deliberately with
//! `LIANGXIN_REGEN_VECTORS=1 cargo test -p liangxin-contracts --test conformance` and review.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use liangxin_contracts::Record;
use liangxin_contracts::testkit::example_records;
use serde_json::{Value, json};

#[test]
fn every_kind_has_an_example_in_tag_order() {
    let kinds: Vec<_> = example_records().iter().map(Record::kind).collect();
    let want: Vec<_> = Record::KINDS.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, want);
}

#[test]
fn record_vectors_match() {
    let mut cases = Vec::new();
    for r in example_records() {
        let (kind, payload) = r.encode().unwrap();
        // both directions: payload decodes to the record, JSON parses to the record
        assert_eq!(Record::decode(kind, &payload).unwrap(), r);
        assert_eq!(Record::decode_stored(kind, &payload).unwrap(), r);
        let view = serde_json::to_value(&r).unwrap();
        assert_eq!(serde_json::from_value::<Record>(view.clone()).unwrap(), r);
        cases.push(json!({
            "kind": kind.0,
            "name": r.kind_name(),
            "value": view,
            "payload_hex": hex::encode(&payload),
            "payload_blake3": blake3::hash(&payload).to_hex().to_string(),
        }));
    }
    let doc = json!({
        "format": "liangxin record payloads (BCS), see docs/records.md and docs/protocol.md",
        "cases": cases,
    });
    common::check_vectors("records.json", &doc, "a record schema changed");
}

#[test]
fn stored_vectors_decode_by_themselves() {
    if std::env::var_os("LIANGXIN_REGEN_VECTORS").is_some() {
        return; // being rewritten by record_vectors_match
    }
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::vectors_path("records.json")).unwrap(),
    )
    .unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), Record::KINDS.len());
    for c in cases {
        let kind = liangxin_types::tx::RecordKind(c["kind"].as_u64().unwrap() as u16);
        let payload = hex::decode(c["payload_hex"].as_str().unwrap()).unwrap();
        let r = Record::decode(kind, &payload).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap(), c["value"]);
        assert_eq!(r.kind_name(), c["name"].as_str().unwrap());
    }
}

#[test]
fn unknown_kinds_and_garbage_are_malformed() {
    let e = Record::decode(liangxin_types::tx::RecordKind(999), &[]).unwrap_err();
    assert_eq!(e.code, liangxin_contracts::Code::Malformed);
    for (kind, _) in Record::KINDS {
        assert!(Record::decode(*kind, &[0xff; 7]).is_err());
        assert!(Record::decode_stored(*kind, &[0xff; 7]).is_err());
    }
}
