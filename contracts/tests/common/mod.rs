//! Shared by the conformance tests: compare a generated vector file with the checked-in one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::PathBuf;

/// A file under `contracts/conformance/`.
pub fn vectors_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join(name)
}

/// Checks that `doc`, pretty-printed, is the checked-in file `name`; with
/// `LIANGXIN_REGEN_VECTORS` set, writes it instead. `changed` names what a difference means.
pub fn check_vectors(name: &str, doc: &serde_json::Value, changed: &str) {
    let path = vectors_path(name);
    let text = serde_json::to_string_pretty(doc).unwrap() + "\n";
    if std::env::var_os("LIANGXIN_REGEN_VECTORS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap();
    assert!(
        stored == text,
        "conformance/{name} differs from the encoding this build produces: {changed}. If \
         deliberate, regenerate with LIANGXIN_REGEN_VECTORS=1 and review"
    );
}
