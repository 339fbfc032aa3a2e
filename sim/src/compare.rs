//! `yard-sim compare BASE NEW`: what changed between two report folders
//! (`yard-sim run --report`, one `report.json` each or one per scenario in
//! sub-folders) or two sweep folders (`yard-sim sweep --report`), figure by
//! figure with the ratio, which expectations flipped, and whether anything
//! regressed beyond a threshold (for CI).
//!
//! Reports are read as JSON values, not as this build's types, so that a
//! report of an older build still compares (a figure it lacks is skipped).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Which way is better for a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// More is better (deliveries).
    Higher,
    /// Less is better (latency, deadlocks).
    Lower,
    /// Any increase is a regression, whatever the threshold (collisions, lost orders).
    Zero,
}

/// The figures of a run report compared, by JSON pointer.
pub const REPORT_FIGURES: [(&str, &str, Better); 12] = [
    ("delivered", "/delivered", Better::Higher),
    ("throughput_per_hour", "/throughput_per_hour", Better::Higher),
    ("p50_latency_s", "/latency_s/p50", Better::Lower),
    ("p95_latency_s", "/latency_s/p95", Better::Lower),
    ("p99_latency_s", "/latency_s/p99", Better::Lower),
    ("moving_speed_mps", "/moving_speed_mps", Better::Higher),
    ("collisions", "/collisions", Better::Zero),
    ("lost", "/lost", Better::Zero),
    ("deadlocks", "/deadlocks", Better::Lower),
    ("max_deadlock_s", "/max_deadlock_s", Better::Lower),
    ("stuck", "/stuck", Better::Lower),
    ("failed", "/failed", Better::Lower),
];

/// The figures of a sweep point compared.
pub const SWEEP_FIGURES: [(&str, &str, Better); 6] = [
    ("delivered", "/delivered", Better::Higher),
    ("throughput_per_hour", "/throughput_per_hour", Better::Higher),
    ("p95_latency_s", "/p95_latency_s", Better::Lower),
    ("deadlocks", "/deadlocks", Better::Lower),
    ("collisions", "/collisions", Better::Zero),
    ("lost", "/lost", Better::Zero),
];

/// One figure of one run in both.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// Which run (scenario folder, or sweep point).
    pub run: String,
    /// Which figure.
    pub figure: String,
    /// Before.
    pub base: f64,
    /// After.
    pub new: f64,
    /// new / base (`None` when base is 0).
    pub ratio: Option<f64>,
    /// Worse beyond the threshold.
    pub regression: bool,
    /// Better beyond the threshold.
    pub improvement: bool,
}

/// An expectation that passed in one and not in the other.
#[derive(Clone, Debug, PartialEq)]
pub struct Flip {
    /// Which run.
    pub run: String,
    /// Which expectation.
    pub expectation: String,
    /// Whether it passed before.
    pub was: bool,
}

/// The whole comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Every figure of every run found in both.
    pub changes: Vec<Change>,
    /// Expectations that flipped.
    pub flips: Vec<Flip>,
    /// Runs in only one of the two (`+name`: new, `-name`: gone).
    pub unmatched: Vec<String>,
    /// Lines about sweep recommendations that moved.
    pub notes: Vec<String>,
}

impl Comparison {
    /// Whether anything regressed: a figure beyond the threshold, an
    /// expectation that now fails, or a run that is gone.
    pub fn regressed(&self) -> bool {
        self.changes.iter().any(|c| c.regression)
            || self.flips.iter().any(|f| f.was)
            || self.unmatched.iter().any(|u| u.starts_with('-'))
    }

    /// The comparison in Markdown: changed figures, flips, unmatched runs.
    pub fn markdown(&self, threshold: f64) -> String {
        use std::fmt::Write as _;
        let mut out =
            String::from("| run | figure | base | new | ratio | verdict |\n|---|---|---|---|---|---|\n");
        for c in &self.changes {
            let verdict = if c.regression {
                "REGRESSION"
            } else if c.improvement {
                "better"
            } else if c.base == c.new {
                "same"
            } else {
                "within threshold"
            };
            let ratio = c.ratio.map_or("-".into(), |r| format!("{r:.3}"));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio} | {verdict} |",
                c.run,
                c.figure,
                num(c.base),
                num(c.new)
            );
        }
        for f in &self.flips {
            let _ = writeln!(
                out,
                "\n{}: expectation {} {}",
                f.run,
                f.expectation,
                if f.was { "now FAILS (it passed)" } else { "now passes (it failed)" }
            );
        }
        for u in &self.unmatched {
            let (sign, name) = u.split_at(1);
            let _ = writeln!(
                out,
                "\n{name}: {}",
                if sign == "+" { "only in NEW" } else { "only in BASE (gone)" }
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "\n{n}");
        }
        let regressions = self.changes.iter().filter(|c| c.regression).count();
        let _ = writeln!(
            out,
            "\n{} figures compared, {regressions} regressed beyond {:.0} %, {} expectations flipped: {}",
            self.changes.len(),
            threshold * 100.0,
            self.flips.len(),
            if self.regressed() { "REGRESSION" } else { "no regression" }
        );
        out
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.3}") }
}

/// A folder or file that cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// Not readable.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a report.
    #[error("{path}: {message}")]
    NotAReport {
        /// The file or folder.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// One is a sweep, the other not.
    #[error("{base} is a {base_kind} and {new} a {new_kind}; expected two of a kind")]
    Mismatch {
        /// Base path.
        base: String,
        /// Its kind.
        base_kind: &'static str,
        /// New path.
        new: String,
        /// Its kind.
        new_kind: &'static str,
    },
}

/// What a path holds.
enum Found {
    /// `sweep.json`.
    Sweep(Value),
    /// Run reports by their folder relative to the root (`.` for the root).
    Reports(BTreeMap<String, Value>),
}

impl Found {
    fn kind(&self) -> &'static str {
        match self {
            Found::Sweep(_) => "sweep",
            Found::Reports(_) => "run report folder",
        }
    }
}

/// Compares two folders or files.
pub fn compare(base: &Path, new: &Path, threshold: f64) -> Result<Comparison, CompareError> {
    match (find(base)?, find(new)?) {
        (Found::Sweep(a), Found::Sweep(b)) => Ok(compare_sweeps(&a, &b, threshold)),
        (Found::Reports(a), Found::Reports(b)) => Ok(compare_reports(&a, &b, threshold)),
        (a, b) => Err(CompareError::Mismatch {
            base: base.display().to_string(),
            base_kind: a.kind(),
            new: new.display().to_string(),
            new_kind: b.kind(),
        }),
    }
}

fn read_json(path: &Path) -> Result<Value, CompareError> {
    let text = std::fs::read(path)
        .map_err(|source| CompareError::Io { path: path.display().to_string(), source })?;
    serde_json::from_slice(&text).map_err(|e| CompareError::NotAReport {
        path: path.display().to_string(),
        message: format!(
            "line {} column {}: {e}; expected the JSON that yard-sim wrote",
            e.line(),
            e.column()
        ),
    })
}

fn find(path: &Path) -> Result<Found, CompareError> {
    let not = |message: &str| CompareError::NotAReport {
        path: path.display().to_string(),
        message: message.into(),
    };
    if path.is_file() {
        let value = read_json(path)?;
        return if value.get("points").is_some() {
            Ok(Found::Sweep(value))
        } else if value.get("delivered").is_some() {
            Ok(Found::Reports(BTreeMap::from([(".".to_string(), value)])))
        } else {
            Err(not("neither a run report (no \"delivered\") nor a sweep (no \"points\")"))
        };
    }
    if !path.is_dir() {
        return Err(not("no such file or folder"));
    }
    if path.join("sweep.json").is_file() {
        return find(&path.join("sweep.json"));
    }
    let mut reports = BTreeMap::new();
    let mut stack: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|source| CompareError::Io { path: dir.display().to_string(), source })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "report.json") {
                let rel = dir.strip_prefix(path).unwrap_or(&dir).display().to_string();
                reports.insert(if rel.is_empty() { ".".into() } else { rel }, read_json(&p)?);
            }
        }
    }
    if reports.is_empty() {
        return Err(not(
            "no report.json or sweep.json in it; expected a folder written by `yard-sim run --report` or `sweep --report`",
        ));
    }
    Ok(Found::Reports(reports))
}

fn figure(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}

fn change(run: &str, name: &str, better: Better, base: f64, new: f64, threshold: f64) -> Change {
    let ratio = (base != 0.0).then(|| new / base);
    let rel = if base != 0.0 {
        (new - base) / base.abs()
    } else if new == base {
        0.0
    } else {
        f64::INFINITY * (new - base).signum()
    };
    let (regression, improvement) = match better {
        Better::Higher => (rel < -threshold, rel > threshold),
        Better::Lower => (rel > threshold, rel < -threshold),
        Better::Zero => (new > base, new < base),
    };
    Change { run: run.into(), figure: name.into(), base, new, ratio, regression, improvement }
}

fn expectations(v: &Value) -> BTreeMap<String, bool> {
    v.get("expectations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| Some((e.get("name")?.as_str()?.to_string(), e.get("pass")?.as_bool()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn compare_one(
    out: &mut Comparison,
    run: &str,
    a: &Value,
    b: &Value,
    figures: &[(&str, &str, Better)],
    threshold: f64,
) {
    for (name, pointer, better) in figures {
        if let (Some(x), Some(y)) = (figure(a, pointer), figure(b, pointer)) {
            out.changes.push(change(run, name, *better, x, y, threshold));
        }
    }
    let (ea, eb) = (expectations(a), expectations(b));
    for (name, was) in &ea {
        if let Some(now) = eb.get(name)
            && now != was
        {
            out.flips.push(Flip { run: run.into(), expectation: name.clone(), was: *was });
        }
    }
}

fn unmatched<T>(a: &BTreeMap<String, T>, b: &BTreeMap<String, T>) -> Vec<String> {
    let gone = a.keys().filter(|k| !b.contains_key(*k)).map(|k| format!("-{k}"));
    let added = b.keys().filter(|k| !a.contains_key(*k)).map(|k| format!("+{k}"));
    gone.chain(added).collect()
}

fn compare_reports(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>, threshold: f64) -> Comparison {
    let mut out = Comparison { unmatched: unmatched(a, b), ..Comparison::default() };
    for (run, va) in a {
        if let Some(vb) = b.get(run) {
            let name = va.get("scenario").and_then(Value::as_str).unwrap_or(run);
            let label = if run == "." { name.to_string() } else { run.clone() };
            compare_one(&mut out, &label, va, vb, &REPORT_FIGURES, threshold);
        }
    }
    out
}

fn points(v: &Value) -> BTreeMap<String, Value> {
    v.get("points")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    let key = format!(
                        "fleet {} ×{} seed {}",
                        p.get("fleet").unwrap_or(&Value::Null),
                        p.get("rate_scale").unwrap_or(&Value::Null),
                        p.get("seed").unwrap_or(&Value::Null)
                    );
                    (key, p.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn compare_sweeps(a: &Value, b: &Value, threshold: f64) -> Comparison {
    let (pa, pb) = (points(a), points(b));
    let mut out = Comparison { unmatched: unmatched(&pa, &pb), ..Comparison::default() };
    for (run, va) in &pa {
        if let Some(vb) = pb.get(run) {
            compare_one(&mut out, run, va, vb, &SWEEP_FIGURES, threshold);
            let (was, now) =
                (va.get("passed").and_then(Value::as_bool), vb.get("passed").and_then(Value::as_bool));
            if let (Some(was), Some(now)) = (was, now)
                && was != now
                && !out.flips.iter().any(|f| f.run == *run)
            {
                out.flips.push(Flip { run: run.clone(), expectation: "(all)".into(), was });
            }
        }
    }
    let smallest = |v: &Value| -> BTreeMap<String, Value> {
        v.get("recommendations")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|r| (r["rate_scale"].to_string(), r["smallest_fleet"].clone())).collect())
            .unwrap_or_default()
    };
    let (sa, sb) = (smallest(a), smallest(b));
    for (rate, fa) in &sa {
        if let Some(fb) = sb.get(rate)
            && fa != fb
        {
            out.notes.push(format!("rate ×{rate}: smallest fleet meeting every expectation {fa} → {fb}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_know_which_way_is_better() {
        let c = change("r", "delivered", Better::Higher, 100.0, 90.0, 0.05);
        assert!(c.regression && !c.improvement && c.ratio == Some(0.9));
        assert!(!change("r", "delivered", Better::Higher, 100.0, 97.0, 0.05).regression);
        assert!(change("r", "p95", Better::Lower, 100.0, 110.0, 0.05).regression);
        assert!(change("r", "p95", Better::Lower, 100.0, 80.0, 0.05).improvement);
        assert!(change("r", "collisions", Better::Zero, 0.0, 1.0, 0.5).regression);
        assert!(change("r", "deadlocks", Better::Lower, 0.0, 2.0, 0.05).regression);
        assert_eq!(change("r", "deadlocks", Better::Lower, 0.0, 0.0, 0.05).ratio, None);
        assert!(!change("r", "deadlocks", Better::Lower, 0.0, 0.0, 0.05).regression);
    }

    #[test]
    fn flips_and_gone_runs_are_regressions() {
        let a =
            serde_json::json!({"delivered": 10, "expectations": [{"name": "min_delivered", "pass": true}]});
        let b =
            serde_json::json!({"delivered": 10, "expectations": [{"name": "min_delivered", "pass": false}]});
        let mut ma = BTreeMap::from([("x".to_string(), a.clone())]);
        let mb = BTreeMap::from([("x".to_string(), b)]);
        let c = compare_reports(&ma, &mb, 0.05);
        assert_eq!(c.flips.len(), 1);
        assert!(c.regressed());
        ma.insert("y".into(), a);
        let c = compare_reports(&ma, &ma.clone(), 0.05);
        assert!(!c.regressed());
        let gone = compare_reports(&ma, &BTreeMap::from([("x".to_string(), ma["x"].clone())]), 0.05);
        assert_eq!(gone.unmatched, vec!["-y".to_string()]);
        assert!(gone.regressed());
    }
}
