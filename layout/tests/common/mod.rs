//! Helpers shared by the integration tests.
#![allow(dead_code, missing_docs)]

use std::path::PathBuf;

/// `../shared` beside the repository (reference data; never used by the product).
pub fn shared(rel: &str) -> PathBuf {
    tests::shared_root().join(rel)
}

/// Whether the reference data is missing (then the test skips, saying so once).
pub fn without_shared(what: &str) -> bool {
    tests::reference("", what).is_none()
}

/// The repository root.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Files in a folder with an extension, sorted.
pub fn files(dir: PathBuf, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no {ext} files in {}", dir.display());
    out
}

/// A validator for the LIF schema in ../shared.
pub fn lif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(shared("lif/LIF.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}
