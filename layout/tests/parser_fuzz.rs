//! The parsers on arbitrary and mutated input: they return a result, never
//! panic, and whatever they accept is internally consistent.

mod common;

use std::path::Path;

use layout::lif::{self, LifOptions};
use layout::movingai::{self, GridOptions};
use layout::{Layout, LoadOptions};
use proptest::prelude::*;
use serde_json::Value;

fn consistent(site: &Layout) {
    for e in &site.edges {
        assert!(e.from.index() < site.nodes.len() && e.to.index() < site.nodes.len());
        assert!(e.length.is_finite() && e.length >= 0.0);
    }
    for n in &site.nodes {
        assert!(n.position.x.is_finite() && n.position.y.is_finite());
        assert!(n.level.index() < site.levels.len());
    }
    for s in &site.stations {
        assert!(!s.interaction_nodes.is_empty());
    }
    // Every downstream structure can be built from what was accepted.
    let index = layout::spatial::SpatialIndex::build(site);
    let _ = layout::conflicts::FootprintConflicts::compute(
        site,
        &index,
        layout::conflicts::Footprint::FACTORY_AGV,
    );
    match layout::plan_graph::PlanGraph::build(site, &Default::default()) {
        Ok(graph) => assert!(graph.n_nodes() >= site.nodes.len()),
        Err(e) => assert!(matches!(e, layout::plan_graph::PlanGraphError::TooLarge { .. }), "{e}"),
    }
    let _ = layout::analysis::summarize(site);
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-zA-Z0-9 .\\-]{0,8}".prop_map(Value::String),
        Just(Value::String("NaN".into())),
        Just(Value::String("N1".into())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the `k`-th value (in depth-first order) of `doc` with `new`.
fn replace_nth(doc: &mut Value, k: &mut usize, new: &Value) -> bool {
    if *k == 0 {
        *doc = new.clone();
        return true;
    }
    *k -= 1;
    match doc {
        Value::Array(items) => items.iter_mut().any(|v| replace_nth(v, k, new)),
        Value::Object(map) => map.values_mut().any(|v| replace_nth(v, k, new)),
        _ => false,
    }
}

fn examples() -> &'static [Value] {
    static EXAMPLES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    EXAMPLES.get_or_init(|| {
        common::files(common::shared("lif/examples"), ".json")
            .into_iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn lif_parser_survives_arbitrary_text(text in "\\PC{0,300}") {
        for strict in [false, true] {
            if let Ok(l) = lif::parse(&text, Path::new("fuzz.lif.json"), LifOptions { strict }) { consistent(&l.value) }
        }
    }

    #[test]
    fn map_and_scen_parsers_survive_arbitrary_text(body in "[.@TGSOW\\n xyz0-9]{0,200}", h in 0u32..6, w in 0u32..6) {
        let text = format!("type octile\nheight {h}\nwidth {w}\nmap\n{body}");
        if let Ok(l) = movingai::parse_map(&text, Path::new("fuzz.map"), GridOptions::default()) { consistent(&l.value) }
        let _ = movingai::parse_map(&body, Path::new("fuzz.map"), GridOptions::default());
        let _ = movingai::parse_scen(&format!("version 1\n{body}"), Path::new("fuzz.scen"));
    }

    #[test]
    fn load_str_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = layout::load_str(&text, "x.lif.json", LoadOptions::default());
        let _ = layout::load_str(&text, "x.map", LoadOptions::default());
    }

    #[test]
    fn mutated_specification_examples_never_panic(which in 0usize..18, at in 0usize..400, new in arbitrary_json()) {
        if common::without_shared("layout: mutated_specification_examples_never_panic") {
            return Ok(());
        }
        let docs = examples();
        let mut doc = docs[which % docs.len()].clone();
        let mut k = at;
        replace_nth(&mut doc, &mut k, &new);
        let text = serde_json::to_string(&doc).unwrap();
        for strict in [false, true] {
            match lif::parse(&text, Path::new("mutant.lif.json"), LifOptions { strict }) {
                Ok(l) => consistent(&l.value),
                Err(e) => prop_assert!(!e.issues().is_empty()),
            }
        }
    }
}
