//! A sweep's report folder: `sweep.json` (every figure, for `yard-sim
//! compare`), `sweep.csv` and `sweep.md` (one row per run), and
//! `sweep.html` with the plots (throughput, p95 latency, utilisation and
//! deadlocks against fleet size, one line per rate, min–max bands over the
//! seeds) and the smallest fleet per rate.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use svg::Document;
use svg::node::element::{Circle, Group, Line, Path as SvgPath, Polyline, Rectangle, Text};

use crate::sweep::{Point, Sweep, spread};

/// Line colours, one per rate (repeats past ten).
const COLOURS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf",
];

/// Writes every file of the report into `dir`.
pub fn write(dir: &Path, sweep: &Sweep) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let put = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    put("sweep.json", serde_json::to_string_pretty(sweep)? + "\n")?;
    put("sweep.csv", csv(sweep)?)?;
    put("sweep.md", markdown(sweep))?;
    put("sweep.html", html(sweep))?;
    for (name, c) in charts(sweep) {
        put(&format!("{name}.svg"), chart(sweep, &c).to_string())?;
    }
    Ok(())
}

/// One row per run.
pub fn csv(sweep: &Sweep) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "fleet",
        "rate_scale",
        "seed",
        "delivered",
        "throughput_per_hour",
        "p95_latency_s",
        "utilisation",
        "deadlocks",
        "collisions",
        "lost",
        "passed",
        "failed_expectations",
        "sha256",
        "error",
    ])?;
    for p in &sweep.points {
        w.write_record([
            p.fleet.to_string(),
            p.rate_scale.to_string(),
            p.seed.to_string(),
            p.delivered.to_string(),
            p.throughput_per_hour.to_string(),
            p.p95_latency_s.map_or(String::new(), |v| v.to_string()),
            p.utilisation.to_string(),
            p.deadlocks.to_string(),
            p.collisions.to_string(),
            p.lost.to_string(),
            p.passed.to_string(),
            failed(p).join(" "),
            p.sha256.clone(),
            p.error.clone().unwrap_or_default(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn failed(p: &Point) -> Vec<String> {
    p.expectations.iter().filter(|e| !e.pass).map(|e| e.name.clone()).collect()
}

/// The recommendation per rate, as sentences.
pub fn verdicts(sweep: &Sweep) -> Vec<String> {
    sweep
        .recommendations
        .iter()
        .map(|r| {
            let fleet = match (r.smallest_fleet, &r.margin) {
                (Some(f), Some(m)) => format!(
                    "smallest fleet meeting every expectation: **{f}** (tightest: {} {} against {}, {:+.1} % margin)",
                    m.expectation, m.worst, m.limit, m.slack_pct
                ),
                (Some(f), None) => format!("smallest fleet meeting every expectation: **{f}**"),
                (None, _) => "no swept fleet size meets every expectation".into(),
            };
            let again = r.fails_again_at.map_or(String::new(), |f| {
                format!("; larger fleets fail again from {f} (see the table)")
            });
            let saturation = r.saturates_at.map_or(String::new(), |s| {
                format!("; throughput within 5 % of its best from {s} vehicles on")
            });
            format!("rate ×{}: {fleet}{again}{saturation}", r.rate_scale)
        })
        .collect()
}

/// The table and the verdicts in Markdown.
pub fn markdown(sweep: &Sweep) -> String {
    let mut out = format!(
        "# Sweep: {}\n\n{} fleet sizes × {} rates × {} seeds = {} runs of `{}`{}.\n\n",
        sweep.scenario,
        sweep.fleet.len(),
        sweep.rates.len(),
        sweep.seeds.len(),
        sweep.points.len(),
        sweep.file,
        sweep.group.map_or(String::new(), |g| format!(", fleet group {g} varied"))
    );
    for v in verdicts(sweep) {
        let _ = writeln!(out, "- {v}");
    }
    out.push_str(
        "\n| rate | fleet | seed | delivered | per hour | p95 latency s | utilisation | deadlocks | collisions | lost | expectations |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for p in &sweep.points {
        let verdict = match (&p.error, p.passed) {
            (Some(e), _) => format!("error: {e}"),
            (None, true) => "pass".into(),
            (None, false) => format!("FAIL: {}", failed(p).join(", ")),
        };
        let _ = writeln!(
            out,
            "| ×{} | {} | {} | {} | {:.1} | {} | {:.0} % | {} | {} | {} | {} |",
            p.rate_scale,
            p.fleet,
            p.seed,
            p.delivered,
            p.throughput_per_hour,
            p.p95_latency_s.map_or("-".into(), |v| format!("{v:.0}")),
            p.utilisation * 100.0,
            p.deadlocks,
            p.collisions,
            p.lost,
            verdict.replace('|', "/")
        );
    }
    out
}

/// A figure plotted against fleet size.
struct Chart<'a> {
    title: &'a str,
    unit: &'a str,
    figure: fn(&Point) -> Option<f64>,
    /// An expectation's limit drawn as a dashed line.
    limit: Option<f64>,
}

/// The four plots, by file name.
fn charts(sweep: &Sweep) -> [(&'static str, Chart<'static>); 4] {
    let limit = |name: &str| {
        sweep.points.iter().flat_map(|p| &p.expectations).find(|e| e.name == name).map(|e| e.limit)
    };
    let [a, b, c, d] = [
        Chart {
            title: "Throughput",
            unit: "deliveries per hour",
            figure: |p| Some(p.throughput_per_hour),
            limit: None,
        },
        Chart {
            title: "p95 order latency",
            unit: "s",
            figure: |p| p.p95_latency_s,
            limit: limit("max_p95_latency_s"),
        },
        Chart {
            title: "Utilisation",
            unit: "% of the time with a job",
            figure: |p| Some(p.utilisation * 100.0),
            limit: None,
        },
        Chart {
            title: "Deadlocks broken",
            unit: "per run",
            figure: |p| Some(p.deadlocks as f64),
            limit: None,
        },
    ];
    [("throughput", a), ("p95-latency", b), ("utilisation", c), ("deadlocks", d)]
}

/// The HTML page: verdicts, four plots, the table.
pub fn html(sweep: &Sweep) -> String {
    let plots: String = charts(sweep).iter().map(|(_, c)| chart(sweep, c).to_string()).collect();
    let legend: String = sweep
        .rates
        .iter()
        .enumerate()
        .map(|(i, r)| format!("<span style=\"color:{}\">━━ rate ×{r}</span> ", COLOURS[i % COLOURS.len()]))
        .collect();
    let verdicts: String =
        verdicts(sweep).iter().map(|v| format!("<li>{}</li>", escape(v).replace("**", ""))).collect();
    let table = markdown_table_html(sweep);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sweep: {name}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}\
         .plots{{display:grid;grid-template-columns:repeat(2,520px);gap:1em}}\
         table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}\
         .fail{{background:#fde0dc}}</style></head><body>\n\
         <h1>Sweep: {name}</h1>\n<p>{runs} runs of <code>{file}</code>: fleet sizes {fleet:?}, rates {rates:?}, seeds {seeds:?}. \
         Lines are medians over the seeds, bands their minimum and maximum; a ring marks the smallest fleet that meets every expectation at that rate.</p>\n\
         <ul>{verdicts}</ul>\n<p>{legend}</p>\n<div class=\"plots\">{plots}</div>\n{table}\n</body></html>\n",
        name = escape(&sweep.scenario),
        runs = sweep.points.len(),
        file = escape(&sweep.file),
        fleet = sweep.fleet,
        rates = sweep.rates,
        seeds = sweep.seeds,
    )
}

fn markdown_table_html(sweep: &Sweep) -> String {
    let mut out = String::from(
        "<table><tr><th>rate</th><th>fleet</th><th>seed</th><th>delivered</th><th>per hour</th><th>p95 s</th><th>utilisation</th><th>deadlocks</th><th>collisions</th><th>verdict</th></tr>\n",
    );
    for p in &sweep.points {
        let verdict =
            p.error.clone().unwrap_or_else(|| if p.passed { "pass".into() } else { failed(p).join(", ") });
        let _ = writeln!(
            out,
            "<tr{}><td>×{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{:.0} %</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if p.passed { "" } else { " class=\"fail\"" },
            p.rate_scale,
            p.fleet,
            p.seed,
            p.delivered,
            p.throughput_per_hour,
            p.p95_latency_s.map_or("-".into(), |v| format!("{v:.0}")),
            p.utilisation * 100.0,
            p.deadlocks,
            p.collisions,
            escape(&verdict)
        );
    }
    out + "</table>"
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Minimum, median and maximum over the seeds.
type Spread = (f64, f64, f64);

const W: f64 = 520.0;
const H: f64 = 320.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 15.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 45.0;

/// One plot: a line per rate (median), its band (min–max), the limit.
fn chart(sweep: &Sweep, c: &Chart<'_>) -> Document {
    let mut fleet = sweep.fleet.clone();
    fleet.sort_unstable();
    fleet.dedup();
    let series: Vec<Vec<(f64, Spread)>> = sweep
        .rates
        .iter()
        .map(|&r| {
            fleet
                .iter()
                .filter_map(|&f| spread(&sweep.points, r, f, c.figure).map(|s| (f as f64, s)))
                .collect()
        })
        .collect();
    let (x0, x1) = (*fleet.first().unwrap_or(&0) as f64, *fleet.last().unwrap_or(&1) as f64);
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let top = series.iter().flatten().map(|s| s.1.2).chain(c.limit).fold(0.0, f64::max);
    let y1 = nice_ceiling(top);
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    let py = |y: f64| H - BOTTOM - y / y1 * (H - TOP - BOTTOM);
    let mut doc = Document::new().set("width", W).set("height", H).set("viewBox", (0, 0, W, H));
    doc = doc.add(Rectangle::new().set("width", W).set("height", H).set("fill", "white"));
    doc = doc.add(text(W / 2.0, 18.0, c.title, "middle", 15).set("font-weight", "bold"));
    let mut axes = Group::new().set("stroke", "#999").set("font-size", 11);
    for k in 0..=4 {
        let y = y1 * f64::from(k) / 4.0;
        axes = axes.add(line(LEFT, py(y), W - RIGHT, py(y), "#eee"));
        axes = axes.add(text(LEFT - 5.0, py(y) + 4.0, &trim(y), "end", 11));
    }
    for &f in &fleet {
        axes = axes.add(text(px(f as f64), H - BOTTOM + 15.0, &f.to_string(), "middle", 11));
    }
    axes = axes.add(line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM, "#666"));
    axes = axes.add(line(LEFT, TOP, LEFT, H - BOTTOM, "#666"));
    doc = doc.add(axes);
    doc = doc.add(text(W / 2.0, H - 8.0, "fleet size (vehicles)", "middle", 12));
    doc = doc.add(
        text(14.0, H / 2.0, c.unit, "middle", 12).set("transform", format!("rotate(-90 14 {})", H / 2.0)),
    );
    if let Some(limit) = c.limit {
        doc = doc.add(line(LEFT, py(limit), W - RIGHT, py(limit), "#d62728").set("stroke-dasharray", "6 4"));
        doc = doc.add(
            text(W - RIGHT, py(limit) - 4.0, &format!("limit {}", trim(limit)), "end", 11)
                .set("fill", "#d62728"),
        );
    }
    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        if sweep.seeds.len() > 1 && !s.is_empty() {
            let upper = s.iter().map(|(x, v)| format!("{:.1},{:.1}", px(*x), py(v.2)));
            let lower = s.iter().rev().map(|(x, v)| format!("{:.1},{:.1}", px(*x), py(v.0)));
            let d = format!("M{}Z", upper.chain(lower).collect::<Vec<_>>().join(" L"));
            doc = doc.add(SvgPath::new().set("d", d).set("fill", colour).set("fill-opacity", 0.15));
        }
        let pts: Vec<String> = s.iter().map(|(x, v)| format!("{:.1},{:.1}", px(*x), py(v.1))).collect();
        doc = doc.add(
            Polyline::new()
                .set("points", pts.join(" "))
                .set("fill", "none")
                .set("stroke", colour)
                .set("stroke-width", 2),
        );
        for (x, v) in s {
            doc =
                doc.add(Circle::new().set("cx", px(*x)).set("cy", py(v.1)).set("r", 2.5).set("fill", colour));
        }
        let smallest = sweep.recommendations.get(i).and_then(|r| r.smallest_fleet);
        if let Some((x, v)) = s.iter().find(|(x, _)| Some(*x as usize) == smallest) {
            doc = doc.add(
                Circle::new()
                    .set("cx", px(*x))
                    .set("cy", py(v.1))
                    .set("r", 7)
                    .set("fill", "none")
                    .set("stroke", colour)
                    .set("stroke-width", 2),
            );
        }
    }
    for (i, rate) in sweep.rates.iter().enumerate() {
        let y = TOP + 14.0 * (i as f64 + 1.0);
        let label = text(LEFT + 10.0, y, &format!("rate ×{rate}"), "start", 11);
        doc = doc.add(label.set("fill", COLOURS[i % COLOURS.len()]).set("font-weight", "bold"));
    }
    doc
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, colour: &str) -> Line {
    Line::new().set("x1", x1).set("y1", y1).set("x2", x2).set("y2", y2).set("stroke", colour)
}

fn text(x: f64, y: f64, s: &str, anchor: &str, size: u32) -> Text {
    Text::new(s)
        .set("x", x)
        .set("y", y)
        .set("text-anchor", anchor)
        .set("font-size", size)
        .set("stroke", "none")
}

/// 1, 2 or 5 × a power of ten at or above `v` (at least 1).
fn nice_ceiling(v: f64) -> f64 {
    if v.is_nan() || v <= 1.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * p).find(|c| *c >= v).unwrap_or(10.0 * p)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(37.0), 50.0);
        assert_eq!(nice_ceiling(420.0), 500.0);
        assert_eq!(nice_ceiling(200.0), 200.0);
        assert_eq!(nice_ceiling(1.2), 2.0);
        assert_eq!(trim(2.50), "2.5");
        assert_eq!(trim(300.0), "300");
    }
}
