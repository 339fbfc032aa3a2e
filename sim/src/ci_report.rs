//! The verdict of `yard-sim run` in the formats CI dashboards read: JUnit
//! XML (`--junit`, the Jenkins / Ant dialect that GitLab, GitHub actions
//! and Jenkins render) and a Markdown summary (`--summary-md`, appended,
//! as CI job summaries such as `$GITHUB_STEP_SUMMARY` expect).
//!
//! In JUnit each scenario is a test suite and each expectation a test case
//! (its failure message gives the figure and the limit); a determinism
//! check, when asked for, is one more test case.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::report::{Metrics, Verdict};

/// One scenario's run as CI sees it.
#[derive(Clone, Debug)]
pub struct CaseRun {
    /// The scenario file.
    pub file: String,
    /// Its figures and verdicts.
    pub metrics: Metrics,
    /// The report's SHA-256.
    pub sha256: String,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
    /// `Some(None)`: determinism checked and held; `Some(Some(why))`: it did not.
    pub determinism: Option<Option<String>>,
}

/// How an expectation reads in a message: `min_delivered: expected at
/// least 13, got 11`.
pub fn explain(v: &Verdict) -> String {
    let way = if v.name.starts_with("min_") { "at least" } else { "at most" };
    format!("{}: expected {way} {}, got {}", v.name, v.limit, v.value)
}

/// The JUnit XML document.
pub fn junit(runs: &[CaseRun]) -> anyhow::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let tests: usize = runs.iter().map(cases).sum();
    let failures: usize = runs.iter().map(failures).sum();
    let time: f64 = runs.iter().map(|r| r.wall_s).sum();
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(BytesStart::new("testsuites").with_attributes([
        ("name", "yard-sim run"),
        ("tests", tests.to_string().as_str()),
        ("failures", failures.to_string().as_str()),
        ("errors", "0"),
        ("time", format!("{time:.3}").as_str()),
    ])))?;
    for r in runs {
        suite(&mut w, r)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(String::from_utf8(w.into_inner())? + "\n")
}

fn cases(r: &CaseRun) -> usize {
    r.metrics.expectations.len() + usize::from(r.determinism.is_some())
}

fn failures(r: &CaseRun) -> usize {
    r.metrics.expectations.iter().filter(|v| !v.pass).count()
        + usize::from(matches!(r.determinism, Some(Some(_))))
}

fn suite(w: &mut Writer<Vec<u8>>, r: &CaseRun) -> anyhow::Result<()> {
    let m = &r.metrics;
    let classname = format!(
        "scenarios.{}",
        Path::new(&r.file).file_stem().map_or(String::new(), |s| s.to_string_lossy().into())
    );
    w.write_event(Event::Start(BytesStart::new("testsuite").with_attributes([
        ("name", m.scenario.as_str()),
        ("tests", cases(r).to_string().as_str()),
        ("failures", failures(r).to_string().as_str()),
        ("errors", "0"),
        ("skipped", "0"),
        ("time", format!("{:.3}", r.wall_s).as_str()),
        ("file", r.file.as_str()),
    ])))?;
    w.write_event(Event::Start(BytesStart::new("properties")))?;
    let properties = [
        ("seed", m.seed.to_string()),
        ("duration_s", m.duration_s.to_string()),
        ("vehicles", m.vehicles.to_string()),
        ("delivered", m.delivered.to_string()),
        ("throughput_per_hour", format!("{:.1}", m.throughput_per_hour)),
        ("p95_latency_s", m.latency_s.p95.map_or("-".into(), |v| format!("{v:.1}"))),
        ("collisions", m.collisions.to_string()),
        ("deadlocks", m.deadlocks.to_string()),
        ("sha256", r.sha256.clone()),
    ];
    for (name, value) in &properties {
        w.write_event(Event::Empty(
            BytesStart::new("property").with_attributes([("name", *name), ("value", value.as_str())]),
        ))?;
    }
    w.write_event(Event::End(BytesEnd::new("properties")))?;
    for v in &m.expectations {
        let failure = (!v.pass).then(|| explain(v));
        case(w, &v.name, &classname, failure.as_deref(), "expectation")?;
    }
    if let Some(det) = &r.determinism {
        case(w, "determinism", &classname, det.as_deref(), "determinism")?;
    }
    w.write_event(Event::Start(BytesStart::new("system-out")))?;
    let out = format!(
        "{} delivered, {:.1} per hour, p95 latency {} s, {} collisions, {} deadlocks, {} lost; report sha256 {}",
        m.delivered,
        m.throughput_per_hour,
        m.latency_s.p95.map_or("-".into(), |v| format!("{v:.0}")),
        m.collisions,
        m.deadlocks,
        m.lost,
        r.sha256
    );
    w.write_event(Event::Text(BytesText::new(&out)))?;
    w.write_event(Event::End(BytesEnd::new("system-out")))?;
    w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    Ok(())
}

fn case(
    w: &mut Writer<Vec<u8>>,
    name: &str,
    classname: &str,
    failure: Option<&str>,
    kind: &str,
) -> anyhow::Result<()> {
    let start = BytesStart::new("testcase").with_attributes([
        ("name", name),
        ("classname", classname),
        ("time", "0"),
    ]);
    match failure {
        None => w.write_event(Event::Empty(start))?,
        Some(message) => {
            w.write_event(Event::Start(start))?;
            w.write_event(Event::Start(
                BytesStart::new("failure").with_attributes([("message", message), ("type", kind)]),
            ))?;
            w.write_event(Event::Text(BytesText::new(message)))?;
            w.write_event(Event::End(BytesEnd::new("failure")))?;
            w.write_event(Event::End(BytesEnd::new("testcase")))?;
        }
    }
    Ok(())
}

/// The Markdown summary: one table row per scenario, then each failed
/// expectation with its figure and limit.
pub fn summary_md(runs: &[CaseRun]) -> String {
    use std::fmt::Write as _;
    let passed = runs.iter().filter(|r| failures(r) == 0).count();
    let mut out = format!(
        "### yard-sim run: {passed} of {} scenarios passed\n\n| | scenario | delivered | per hour | p95 latency s | collisions | deadlocks | lost | sha256 |\n|---|---|---|---|---|---|---|---|---|\n",
        runs.len()
    );
    for r in runs {
        let m = &r.metrics;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} | {} | {} | {} | {} | `{}` |",
            if failures(r) == 0 { "✅" } else { "❌" },
            m.scenario.replace('|', "/"),
            m.delivered,
            m.throughput_per_hour,
            m.latency_s.p95.map_or("-".into(), |v| format!("{v:.0}")),
            m.collisions,
            m.deadlocks,
            m.lost,
            r.sha256.get(..16).unwrap_or(&r.sha256)
        );
    }
    for r in runs {
        for v in r.metrics.expectations.iter().filter(|v| !v.pass) {
            let _ = writeln!(out, "\n- ❌ {}: {}", r.metrics.scenario, explain(v));
        }
        if let Some(Some(why)) = &r.determinism {
            let _ = writeln!(out, "\n- ❌ {}: {why}", r.metrics.scenario);
        }
    }
    out + "\n"
}

/// Appends the summary to `path` (created if missing).
pub fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
