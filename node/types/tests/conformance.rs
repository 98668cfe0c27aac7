//! Conformance vectors: the canonical encoding frozen in `conformance/*.json`.
//!
//! Each file holds cases of one family: the value's JSON view, its canonical bytes in hex, and
//! blake3 ids of those bytes. This test regenerates every case from fixed inputs and compares
//! with the files, so any change to the format fails here. A deliberate format change is made by
//! regenerating (`LIANGXIN_REGEN_VECTORS=1 cargo test -p liangxin-types --test conformance`) and
//! reviewing the diff; `docs/protocol.md` must change with it.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use liangxin_types::encoding::{BoundedBytes, BoundedString, BoundedVec, Canonical};
use liangxin_types::tx::{ChainId, RecordKind, SignedTx, TxBody, tx_id};
use liangxin_types::{Hash, PublicKey, Signature, SigningDomain, SigningKey, Uscc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// One case: JSON view, canonical hex, plain blake3 of the bytes, and an optional
/// type-specific id (the transaction id for signed transactions).
fn case<T: Serialize>(name: &str, value: &T, bytes: &[u8], id: Option<Hash>) -> Value {
    let mut c = json!({
        "name": name,
        "value": serde_json::to_value(value).unwrap(),
        "hex": hex::encode(bytes),
        "blake3": hex::encode(blake3::hash(bytes).as_bytes()),
    });
    if let Some(id) = id {
        c["tx_id"] = json!(id.to_hex());
    }
    c
}

/// Checks one case both ways: the value encodes to the bytes, the bytes decode to the value, and
/// the JSON view parses back to the value.
fn check<T>(value: &T, bytes: &[u8])
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(bcs::to_bytes(value).unwrap(), bytes);
    let back: T = bcs::from_bytes(bytes).unwrap();
    assert_eq!(&back, value);
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value);
}

fn canonical_case<T>(name: &str, value: &T) -> Value
where
    T: Canonical + PartialEq + std::fmt::Debug,
{
    let bytes = value.to_canonical().unwrap();
    check(value, &bytes);
    assert_eq!(&T::from_canonical(&bytes).unwrap(), value);
    case(name, value, &bytes, None)
}

fn plain_case<T>(name: &str, value: &T) -> Value
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = bcs::to_bytes(value).unwrap();
    check(value, &bytes);
    case(name, value, &bytes, None)
}

fn primitives() -> Vec<Value> {
    let mut v = vec![
        plain_case("u8 max", &255u8),
        plain_case("u16 0x1234", &0x1234u16),
        plain_case("u32 1", &1u32),
        plain_case("u64 zero", &0u64),
        plain_case("u64 max", &u64::MAX),
        plain_case("bool false", &false),
        plain_case("bool true", &true),
        plain_case("option none", &None::<u64>),
        plain_case("option some", &Some(7u64)),
    ];
    for n in [0usize, 1, 127, 128, 300, 16_384] {
        let b = BoundedBytes::<20_000>::new((0..n).map(|i| (i % 251) as u8).collect()).unwrap();
        v.push(plain_case(&format!("bytes len {n}"), &b));
    }
    for s in ["", "a", "统一社会信用代码", "liangxin 量信 ✓"] {
        v.push(plain_case(
            &format!("string {s:?}"),
            &BoundedString::<64>::new(s).unwrap(),
        ));
    }
    v.push(plain_case(
        "vec of u16",
        &BoundedVec::<u16, 8>::new(vec![1, 256, 65535]).unwrap(),
    ));
    v
}

fn identifiers() -> Vec<Value> {
    let mut v = vec![
        plain_case("hash zero", &Hash::ZERO),
        plain_case(
            "hash of abc (tx-id domain)",
            &liangxin_types::Domain::TxId.hash(b"abc"),
        ),
    ];
    for label in ["regulator-1", "operator-1", "institution-1"] {
        let k = SigningKey::dev(label);
        v.push(plain_case(
            &format!("public key dev {label}"),
            &k.public_key(),
        ));
        let sig = k.sign(SigningDomain::Tx, b"conformance");
        v.push(plain_case(
            &format!("signature dev {label} over tx-domain 'conformance'"),
            &sig,
        ));
    }
    for code in [
        "91110108551385082Q",
        "91350100M000100Y43",
        "91350200776049653A",
    ] {
        v.push(plain_case(
            &format!("uscc {code}"),
            &Uscc::parse(code).unwrap(),
        ));
    }
    v.push(plain_case(
        "chain id",
        &ChainId::new("liangxin-dev").unwrap(),
    ));
    v
}

fn transactions() -> Vec<Value> {
    let chain = ChainId::new("liangxin-dev").unwrap();
    let seqs = [0u64, 1, 127, 128, 1 << 32, u64::MAX];
    let sizes = [0usize, 1, 127, 128, 1_000, 16_384];
    let mut v = Vec::new();
    for (i, (seq, size)) in seqs.iter().zip(sizes).enumerate() {
        let key = SigningKey::dev(&format!("signer-{i}"));
        let body = TxBody {
            chain_id: chain.clone(),
            signer: key.public_key(),
            seq: *seq,
            kind: RecordKind(i as u16 * 300),
            payload: BoundedBytes::new((0..size).map(|j| (j * 7 % 256) as u8).collect()).unwrap(),
        };
        v.push(canonical_case(&format!("tx body {i}"), &body));
        let tx = SignedTx::sign(body, &key).unwrap();
        let bytes = tx.to_canonical().unwrap();
        check(&tx, &bytes);
        assert_eq!(SignedTx::from_canonical(&bytes).unwrap(), tx);
        tx.verify_signature().unwrap();
        v.push(case(
            &format!("signed tx {i}"),
            &tx,
            &bytes,
            Some(tx_id(&bytes)),
        ));
    }
    v
}

fn blocks() -> Vec<Value> {
    use liangxin_types::block::{BlockBody, BlockHeader};
    let chain = ChainId::new("liangxin-dev").unwrap();
    let key = SigningKey::dev("signer-0");
    let tx = SignedTx::sign(
        TxBody {
            chain_id: chain.clone(),
            signer: key.public_key(),
            seq: 0,
            kind: RecordKind(1),
            payload: BoundedBytes::new(b"record".to_vec()).unwrap(),
        },
        &key,
    )
    .unwrap();
    let body = BlockBody {
        txs: BoundedVec::new(vec![BoundedBytes::new(tx.to_canonical().unwrap()).unwrap()]).unwrap(),
    };
    let header = BlockHeader {
        chain_id: chain,
        height: 1,
        view: 3,
        parent: Hash::ZERO,
        time: 1_767_225_600,
        proposer: SigningKey::dev("dev-regulator").public_key().into(),
        seed_proof: liangxin_types::block::prove_seed(
            &SigningKey::dev("dev-regulator"),
            1,
            &Hash::ZERO,
        )
        .0,
        tx_count: 1,
        body_hash: body.hash().unwrap(),
        log_size: 1,
        log_root: liangxin_types::Domain::TxId.hash(b"log root"),
        state_root: liangxin_types::Domain::State.hash(b"state root"),
    };
    let mut h = canonical_case("block header", &header);
    h["block_hash"] = json!(header.hash().unwrap().to_hex());
    h["seed"] = json!(header.seed().unwrap().to_hex());
    let mut b = canonical_case("block body", &body);
    b["body_hash"] = json!(body.hash().unwrap().to_hex());
    vec![h, b]
}

#[test]
fn conformance_vectors_match() {
    let files: [(&str, Vec<Value>); 4] = [
        ("primitives", primitives()),
        ("identifiers", identifiers()),
        ("transactions", transactions()),
        ("blocks", blocks()),
    ];
    let regen = std::env::var_os("LIANGXIN_REGEN_VECTORS").is_some();
    for (name, cases) in files {
        let path = dir().join(format!("{name}.json"));
        let doc = json!({
            "format": "liangxin canonical encoding (BCS), see docs/protocol.md",
            "cases": cases,
        });
        let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        if regen {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let stored = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(
            stored == text,
            "{} differs from the encoding this build produces: the canonical format changed. \
             If that is deliberate, regenerate with LIANGXIN_REGEN_VECTORS=1, review the diff and \
             update docs/protocol.md",
            path.display()
        );
    }
}

/// The stored files decode by themselves too: every hex decodes to the stored JSON value (so the
/// files are usable by another implementation without this test's generators).
#[test]
fn stored_vectors_decode() {
    if std::env::var_os("LIANGXIN_REGEN_VECTORS").is_some() {
        return; // the files are being rewritten by the other test
    }
    let mut n = 0;
    let path = dir().join("transactions.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for c in doc["cases"].as_array().unwrap() {
        let bytes = hex::decode(c["hex"].as_str().unwrap()).unwrap();
        assert_eq!(
            hex::encode(blake3::hash(&bytes).as_bytes()),
            c["blake3"].as_str().unwrap()
        );
        if let Some(id) = c.get("tx_id") {
            let tx = SignedTx::from_canonical(&bytes).unwrap();
            tx.verify_signature().unwrap();
            assert_eq!(serde_json::to_value(&tx).unwrap(), c["value"]);
            assert_eq!(tx_id(&bytes).to_hex(), id.as_str().unwrap());
        } else {
            let body = TxBody::from_canonical(&bytes).unwrap();
            assert_eq!(serde_json::to_value(&body).unwrap(), c["value"]);
        }
        n += 1;
    }
    assert_eq!(n, 12);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("identifiers.json")).unwrap())
            .unwrap();
    let mut ids = 0;
    for c in doc["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let bytes = hex::decode(c["hex"].as_str().unwrap()).unwrap();
        if name.starts_with("public key") {
            let k: PublicKey = bcs::from_bytes(&bytes).unwrap();
            assert_eq!(serde_json::to_value(k).unwrap(), c["value"]);
            ids += 1;
        } else if name.starts_with("signature") {
            let s: Signature = bcs::from_bytes(&bytes).unwrap();
            assert_eq!(serde_json::to_value(s).unwrap(), c["value"]);
            ids += 1;
        } else if name.starts_with("uscc") {
            let u: Uscc = bcs::from_bytes(&bytes).unwrap();
            assert!(u.check_ok());
            assert_eq!(serde_json::to_value(&u).unwrap(), c["value"]);
            ids += 1;
        }
    }
    assert_eq!(ids, 9);
}
