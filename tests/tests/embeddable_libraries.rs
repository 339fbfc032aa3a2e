//! The libraries vendors embed link no IO stack: `cargo tree -p
//! orchestrator -e normal` and `cargo tree -p agv-agent -e normal` name
//! none of Zenoh, clap, ctrlc, anyhow, tracing-subscriber or redb (those
//! belong to the binaries' packages, `orchestrator/yardmaster` and
//! `agv-agent/agent-cli`).

use std::process::Command;

const FORBIDDEN: [&str; 6] = ["zenoh", "clap", "ctrlc", "anyhow", "tracing-subscriber", "redb"];

#[test]
fn the_cores_link_no_network_cli_or_database_crate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for package in ["orchestrator", "agv-agent"] {
        let out = Command::new(env!("CARGO"))
            .args(["tree", "--offline", "--locked", "-p", package, "-e", "normal", "--prefix", "none"])
            .args(["--format", "{p}"])
            .current_dir(&root)
            .output()
            .expect("cargo runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.lines().count() > 5, "cargo tree -p {package} listed too little: {text}");
        let names: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
        for crate_name in FORBIDDEN {
            let hits: Vec<&&str> = names
                .iter()
                .filter(|n| **n == crate_name || n.starts_with(&format!("{crate_name}-")))
                .collect();
            assert!(hits.is_empty(), "{package} links {hits:?}");
        }
    }
}
