//! `yard-sim map …` end to end: exit codes, diagnostics on stderr, the
//! info figures, the SVG picture, and the committed maps being exactly the
//! generators' output.

use std::path::PathBuf;
use std::process::{Command, Output};

use sim::map_cmd::Generated;

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn yard_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yard-sim")).args(args).current_dir(repo("")).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn committed_maps_are_the_generators_output() {
    for which in [Generated::CarPlant, Generated::GridWarehouse] {
        let committed = std::fs::read_to_string(repo("").join(which.default_path())).unwrap();
        assert!(
            committed == which.text(),
            "{} is stale: run `cargo run -p sim -- map generate {}`",
            which.default_path().display(),
            match which {
                Generated::CarPlant => "car-plant",
                Generated::GridWarehouse => "grid-warehouse",
            }
        );
    }
}

#[test]
fn check_exits_zero_for_valid_maps_and_one_for_invalid_ones() {
    for file in ["maps/car-plant.lif.json", "maps/grid-warehouse.map"] {
        let out = yard_sim(&["map", "check", "--strict", file]);
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("valid"));
    }
    let bad = "layout/tests/corpus/edge-to-unknown-node.lif.json";
    let out = yard_sim(&["map", "check", bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("$.layouts[0].edges[1].endNodeId") && err.contains("N99"), "{err}");
    // Every corpus file: exit 1, never a panic (101).
    for entry in std::fs::read_dir(repo("layout/tests/corpus")).unwrap() {
        let path = entry.unwrap().path();
        let out = yard_sim(&["map", "check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}: {}", path.display(), text(&out.stderr));
    }
    let out = yard_sim(&["map", "check", "does/not/exist.lif.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does/not/exist.lif.json"));
}

#[test]
fn strict_check_rejects_leniencies_that_lenient_check_warns_about() {
    let dir = std::env::temp_dir().join(format!("yard-sim-strict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("no-stations.lif.json");
    let plant = std::fs::read_to_string(repo("maps/car-plant.lif.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&plant).unwrap();
    doc["layouts"][0].as_object_mut().unwrap().remove("stations");
    doc["layouts"][0]["nodes"][0]["nodePosition"]["x"] = serde_json::json!("0.0");
    std::fs::write(&file, serde_json::to_string(&doc).unwrap()).unwrap();
    let lenient = yard_sim(&["map", "check", file.to_str().unwrap()]);
    assert!(lenient.status.success());
    let warnings = text(&lenient.stderr);
    assert!(
        warnings.contains("warning[missing-field]") && warnings.contains("$.layouts[0].stations"),
        "{warnings}"
    );
    assert!(warnings.contains("warning[number-as-string]"), "{warnings}");
    let strict = yard_sim(&["map", "check", "--strict", file.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(text(&strict.stderr).contains("error[missing-field]"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn info_reports_the_plant() {
    let out = yard_sim(&["map", "info", "maps/car-plant.lif.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let info = text(&out.stdout);
    for needle in [
        "nodes       450",
        "levels      1",
        "x 0.00 .. 200.00, y 0.00 .. 120.00",
        "pickup      24",
        "charging    8",
        "parking     13",
        "inspection  1",
        "1 weakly connected, 1 strongly connected",
        "dead ends   none",
        "one-way     162:",
    ] {
        assert!(info.contains(needle), "missing {needle:?} in\n{info}");
    }
}

#[test]
fn render_writes_an_svg_with_every_station_labelled() {
    let out_file = std::env::temp_dir().join(format!("yard-sim-render-{}.svg", std::process::id()));
    let out = yard_sim(&["map", "render", "maps/car-plant.lif.json", "-o", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let svg = std::fs::read_to_string(&out_file).unwrap();
    assert!(svg.starts_with("<svg"));
    let site = layout::load(&repo("maps/car-plant.lif.json"), Default::default()).unwrap().value;
    let labels: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
        .collect();
    for station in &site.stations {
        assert!(labels.contains(&station.id.as_str()), "{} not labelled", station.id);
    }
    assert!(svg.contains("marker-end=\"url(#arrow)\""), "one-way edges carry arrows");
    std::fs::remove_file(out_file).ok();
    // A grid map renders too.
    let out_file = std::env::temp_dir().join(format!("yard-sim-grid-{}.svg", std::process::id()));
    let out = yard_sim(&["map", "render", "maps/grid-warehouse.map", "-o", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_file(out_file).ok();
}

#[test]
fn the_map_commands_work_on_the_competitions_largest_map() {
    // Regression: `map info` died of a stack overflow here (a recursive
    // strongly-connected-components search, 2.2 million nodes deep), and
    // `map render` wrote an 880 MB picture.
    let Some(map) = tests::reference(
        "bench/lifelong/iron_harvest.domain/maps/scene_mp_2p_01.map",
        "yard-sim map commands on iron_harvest (1,912 × 1,800)",
    ) else {
        return;
    };
    let map = map.display().to_string();
    let check = yard_sim(&["map", "check", &map]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stderr).contains("2217759 nodes"), "{}", text(&check.stderr));
    let info = yard_sim(&["map", "info", &map]);
    assert!(info.status.success(), "{}", text(&info.stderr));
    let out = text(&info.stdout);
    assert!(out.contains("47 strongly connected (largest 2109360 nodes)"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("iron.svg");
    let render = yard_sim(&["map", "render", &map, "-o", &svg.display().to_string()]);
    assert!(render.status.success(), "{}", text(&render.stderr));
    let size = std::fs::metadata(&svg).unwrap().len();
    assert!(size < 8 << 20, "a coarse picture, not one element per cell: {size} bytes");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("drawn coarsely"));
}
