//! Golden report hashes: the SHA-256 of every scenario's report, committed
//! in `golden.json` beside the scenarios (not `*.toml`, so that
//! `yard-sim run scenarios/*.toml` runs scenarios only), so that a change in what a
//! scenario does — between commits or between machines — shows as a failed
//! check rather than going unnoticed. Updating them is deliberate:
//! `yard-sim run --bless FILE...` (and `--ci --bless` for the CI variants).
//!
//! ```json
//! {"note": "…", "full": {"line-side-supply.toml": "3f1c…"}, "ci": {"grid-warehouse-200.toml": "9ab0…"}}
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The file name, in the scenarios' folder.
pub const FILE: &str = "golden.json";

/// Every scenario's hash, by file name, for full runs and CI variants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Golden {
    /// How to re-mint them.
    #[serde(default)]
    pub note: String,
    /// Full runs.
    #[serde(default)]
    pub full: BTreeMap<String, String>,
    /// CI variants.
    #[serde(default)]
    pub ci: BTreeMap<String, String>,
}

/// Which run a hash is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The scenario as written.
    Full,
    /// Its `[ci]` variant.
    Ci,
}

impl Golden {
    /// The golden file beside a scenario.
    pub fn path_for(scenario: &Path) -> PathBuf {
        scenario.parent().unwrap_or(Path::new(".")).join(FILE)
    }

    /// Reads it (empty if absent).
    pub fn load(path: &Path) -> anyhow::Result<Golden> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                serde_json::from_str(&text).with_context(|| format!("{}: not a golden file", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Golden::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes it.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut golden = self.clone();
        golden.note = "SHA-256 of each scenario's report.json, checked by `cargo test -p sim`. Re-mint \
                       deliberately after an intended change: `yard-sim run --bless scenarios/*.toml` \
                       (full runs) and `yard-sim run --ci --bless scenarios/*.toml` (CI variants)."
            .into();
        let text = serde_json::to_string_pretty(&golden)? + "\n";
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    fn table(&mut self, variant: Variant) -> &mut BTreeMap<String, String> {
        match variant {
            Variant::Full => &mut self.full,
            Variant::Ci => &mut self.ci,
        }
    }

    /// The recorded hash of a scenario's run.
    pub fn get(&self, scenario: &Path, variant: Variant) -> Option<&String> {
        let table = match variant {
            Variant::Full => &self.full,
            Variant::Ci => &self.ci,
        };
        table.get(&key(scenario))
    }

    /// Records a hash.
    pub fn set(&mut self, scenario: &Path, variant: Variant, sha256: &str) {
        self.table(variant).insert(key(scenario), sha256.to_string());
    }
}

fn key(scenario: &Path) -> String {
    scenario.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let mut g = Golden::load(&path).unwrap();
        g.set(Path::new("scenarios/a.toml"), Variant::Full, "aa");
        g.set(Path::new("scenarios/a.toml"), Variant::Ci, "bb");
        g.save(&path).unwrap();
        let g = Golden::load(&path).unwrap();
        assert_eq!(g.get(Path::new("x/a.toml"), Variant::Full).map(String::as_str), Some("aa"));
        assert_eq!(g.get(Path::new("a.toml"), Variant::Ci).map(String::as_str), Some("bb"));
        assert!(std::fs::read_to_string(&path).unwrap().contains("--bless"));
        assert!(!FILE.ends_with(".toml"), "scenarios/*.toml must not match the golden file");
    }
}
