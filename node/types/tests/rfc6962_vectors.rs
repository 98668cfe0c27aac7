//! The RFC 6962 Merkle proof test vectors (transparency-dev/merkle `testdata/`), verified with
//! the SHA-256 hasher. The folder is `$LIANGXIN_RFC6962_VECTORS`, by default
//! `/work/shared/vectors/rfc6962` relative to this crate; a missing folder fails the test.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use liangxin_types::log::{
    LogHasher, MemTileStore, MerkleLog, Sha256, verify_consistency, verify_inclusion,
};
use serde_json::Value;
use sha2::Digest as _;

fn vectors_dir() -> PathBuf {
    match std::env::var_os("LIANGXIN_RFC6962_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/rfc6962"
        )),
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read vector folder {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

/// The bytes of a base64 field; null or absent is empty, text that is not base64 is kept as is
/// (either way it is garbage the verifier must reject unless the vector says otherwise).
fn field_bytes(v: &Value, key: &str) -> Vec<u8> {
    match v.get(key) {
        Some(Value::String(s)) => STANDARD.decode(s).unwrap_or_else(|_| s.as_bytes().to_vec()),
        _ => Vec::new(),
    }
}

/// A hash field as a SHA-256 value. A field that is not 32 bytes (the vectors' "don't care",
/// "WrongRoot", empty and garbage values) cannot be decoded into the typed API; to still run the
/// verifier on it, it stands in as SHA-256 of a marker naming the kind of field and its bytes, so
/// it equals only the same garbage in the same kind of field and never a real hash. Roots need
/// that equality: `size1 == size2` with two equal garbage roots and an empty proof verifies (as in
/// transparency-dev/merkle, which compares roots as byte strings), while an empty leaf hash and an
/// empty root do not match each other. `malformed` counts the stand-ins.
fn hash(bytes: &[u8], kind: &str, malformed: &mut usize) -> [u8; 32] {
    match <[u8; 32]>::try_from(bytes) {
        Ok(h) => h,
        Err(_) => {
            *malformed += 1;
            let mut h = sha2::Sha256::new();
            h.update(b"liangxin test: not a 32-byte hash\0");
            h.update(kind.as_bytes());
            h.update([0]);
            h.update(bytes);
            h.finalize().into()
        }
    }
}

fn field_hash(v: &Value, key: &str, kind: &str, malformed: &mut usize) -> [u8; 32] {
    hash(&field_bytes(v, key), kind, malformed)
}

fn field_proof(v: &Value, malformed: &mut usize) -> Vec<[u8; 32]> {
    match v.get("proof") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let bytes = match item {
                    Value::String(s) => {
                        STANDARD.decode(s).unwrap_or_else(|_| s.as_bytes().to_vec())
                    }
                    _ => Vec::new(),
                };
                hash(&bytes, "proof", malformed)
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn field_u64(v: &Value, key: &str, file: &Path) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{}: {key} is not an unsigned integer", file.display()))
}

/// The RFC 6962 test tree (leaf inputs of the transparency-dev and certificate-transparency test
/// data); its proofs, made by our log, must equal the happy-path vectors' proofs.
fn reference_log() -> (MerkleLog<Sha256>, Vec<[u8; 32]>) {
    let inputs: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    let mut log = MerkleLog::new();
    let mut roots = vec![Sha256::empty_root()];
    for d in inputs {
        log.append(d);
        roots.push(log.root());
    }
    (log, roots)
}

#[test]
fn rfc6962_vectors() {
    let dir = vectors_dir();
    assert!(
        dir.is_dir(),
        "RFC 6962 test vectors not found at {} (set LIANGXIN_RFC6962_VECTORS to the folder \
         holding inclusion/ and consistency/)",
        dir.display()
    );
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();

    let (log, roots) = reference_log();
    let store = MemTileStore::new();
    let reader = log.reader(&store);

    let (mut inclusion, mut consistency, mut cross_checked) = (0usize, 0usize, 0usize);
    let (mut malformed, mut with_malformed) = (0usize, 0usize);
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        let want_err = v
            .get("wantErr")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| panic!("{}: no wantErr", file.display()));
        let before = malformed;
        let proof = field_proof(&v, &mut malformed);
        let result = if v.get("leafIdx").is_some() {
            inclusion += 1;
            let index = field_u64(&v, "leafIdx", file);
            let size = field_u64(&v, "treeSize", file);
            let leaf = field_hash(&v, "leafHash", "leaf", &mut malformed);
            let root = field_hash(&v, "root", "root", &mut malformed);
            // Happy paths over the reference tree: our proof generation gives the same proof.
            if !want_err
                && size <= 8
                && index < size
                && roots[size as usize] == root
                && reader.leaf_hash(index).ok() == Some(leaf)
            {
                assert_eq!(
                    reader.inclusion_proof(index, size).unwrap(),
                    proof,
                    "{}",
                    file.display()
                );
                cross_checked += 1;
            }
            verify_inclusion::<Sha256>(&leaf, index, size, &proof, &root)
        } else if v.get("size1").is_some() {
            consistency += 1;
            let size1 = field_u64(&v, "size1", file);
            let size2 = field_u64(&v, "size2", file);
            let root1 = field_hash(&v, "root1", "root", &mut malformed);
            let root2 = field_hash(&v, "root2", "root", &mut malformed);
            if !want_err
                && (1..=size2).contains(&size1)
                && size2 <= 8
                && roots[size1 as usize] == root1
                && roots[size2 as usize] == root2
            {
                assert_eq!(
                    reader.consistency_proof(size1, size2).unwrap(),
                    proof,
                    "{}",
                    file.display()
                );
                cross_checked += 1;
            }
            verify_consistency::<Sha256>(size1, size2, &proof, &root1, &root2)
        } else {
            panic!(
                "{}: neither an inclusion nor a consistency vector",
                file.display()
            );
        };
        if malformed > before {
            with_malformed += 1;
        }
        if result.is_ok() == want_err {
            failures.push(format!(
                "{}: wantErr {want_err}, got {result:?}",
                file.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} vectors disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "{} vector files: {inclusion} inclusion, {consistency} consistency; {cross_checked} \
         happy paths re-generated; {with_malformed} with hash fields that are not 32 bytes",
        files.len()
    );
    assert_eq!(files.len(), inclusion + consistency);
    assert!(inclusion >= 90, "only {inclusion} inclusion vectors");
    assert!(consistency >= 90, "only {consistency} consistency vectors");
    assert!(files.len() >= 190, "only {} vector files", files.len());
    assert!(
        cross_checked >= 5,
        "only {cross_checked} happy paths re-generated"
    );
}
