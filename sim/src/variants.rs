//! Scenario variants without copying files: a scenario may
//! `extends = "base.toml"` and override what it names, and a run may
//! `--set fleet[0].count=12` for a one-off what-if.
//!
//! A child file's keys replace the base's: tables merge key by key, while
//! arrays (`fleet`, `flows`, `faults`, …) and plain values are replaced
//! whole. To change one entry of an array, a file says so in its `[set]`
//! table, with the same paths as `--set`:
//!
//! ```toml
//! extends = "line-side-supply.toml"
//! name = "Line-side supply, line 20 % faster"
//!
//! [set]
//! "flows[0].per_hour" = 24
//! "flows[1].per_hour" = 24
//! ```
//!
//! Order of application: the base (itself resolved), the child's keys, the
//! child's `[set]`, then the command line's `--set`s in order. `layout` is
//! relative to the file that names it.
//!
//! ```
//! use sim::variants::Override;
//! let o: Override = "fleet[0].count=12".parse().unwrap();
//! let mut t: toml::Table = toml::from_str("[[fleet]]\ncount = 8\n").unwrap();
//! o.apply(&mut t).unwrap();
//! assert_eq!(t["fleet"][0]["count"].as_integer(), Some(12));
//! ```

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How deep `extends` may chain.
pub const MAX_EXTENDS: usize = 16;

/// One step of an override's path: a key, or an index into an array.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A table's key.
    Key(String),
    /// An array's entry (0-based).
    Index(usize),
}

/// One `PATH=VALUE` override (`--set`, or a `[set]` entry).
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The path as written.
    pub path_text: String,
    /// The path.
    pub path: Vec<Step>,
    /// The value.
    pub value: toml::Value,
}

/// An override that cannot be parsed or applied.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OverrideError {
    /// The path as written.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Parses `fleet[0].count` into steps.
pub fn parse_path(text: &str) -> Result<Vec<Step>, OverrideError> {
    let bad = |message: String| OverrideError { path: text.to_string(), message };
    let mut steps = Vec::new();
    for part in text.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(bad(format!(
                "found key {key:?}; expected a key of letters, digits, '_' or '-' (as in fleet[0].count)"
            )));
        }
        steps.push(Step::Key(key.to_string()));
        while !rest.is_empty() {
            let (index, after) =
                rest.split_once(']').ok_or_else(|| bad(format!("found {part:?}; expected a closing ']'")))?;
            let index: usize =
                index.parse().map_err(|_| bad(format!("found index {index:?}; expected a number from 0")))?;
            steps.push(Step::Index(index));
            rest = match after.strip_prefix('[') {
                Some(more) => more,
                None if after.is_empty() => "",
                None => return Err(bad(format!("found {after:?} after ']'; expected '.', '[' or the end"))),
            };
        }
    }
    Ok(steps)
}

/// A value as written on the command line: TOML (`12`, `1.5`, `true`,
/// `["A", "B"]`, `"text"`), or else the text itself as a string.
pub fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

impl FromStr for Override {
    type Err = OverrideError;

    fn from_str(s: &str) -> Result<Override, OverrideError> {
        let (path, value) = s.split_once('=').ok_or_else(|| OverrideError {
            path: s.to_string(),
            message: "no '='; expected PATH=VALUE, as in fleet[0].count=12".into(),
        })?;
        let path_text = path.trim().to_string();
        Ok(Override { path: parse_path(&path_text)?, path_text, value: parse_value(value.trim()) })
    }
}

impl Override {
    /// Sets the value in `table`: missing tables on the way are created; an
    /// index must name an existing entry.
    pub fn apply(&self, table: &mut toml::Table) -> Result<(), OverrideError> {
        let bad = |message: String| OverrideError { path: self.path_text.clone(), message };
        let mut here = Place::Table(table);
        let (last, init) = self.path.split_last().ok_or_else(|| bad("empty path".into()))?;
        for (i, step) in init.iter().enumerate() {
            let next_is_index = matches!(self.path.get(i + 1), Some(Step::Index(_)));
            here = here.child(step, next_is_index).map_err(&bad)?;
        }
        here.set(last, self.value.clone()).map_err(bad)
    }
}

/// Where an override walks: a table or an array.
enum Place<'a> {
    Table(&'a mut toml::Table),
    Array(&'a mut Vec<toml::Value>),
}

impl<'a> Place<'a> {
    fn child(self, step: &Step, wants_array: bool) -> Result<Place<'a>, String> {
        let value = match (self, step) {
            (Place::Table(t), Step::Key(k)) => t.entry(k.clone()).or_insert_with(|| {
                if wants_array {
                    toml::Value::Array(Vec::new())
                } else {
                    toml::Value::Table(toml::Table::new())
                }
            }),
            (Place::Array(a), Step::Index(i)) => {
                let n = a.len();
                a.get_mut(*i)
                    .ok_or_else(|| format!("index {i} is past the end; the array has {n} entries"))?
            }
            (Place::Table(_), Step::Index(i)) => return Err(format!("[{i}] applied to a table")),
            (Place::Array(_), Step::Key(k)) => return Err(format!(".{k} applied to an array")),
        };
        match value {
            toml::Value::Table(t) => Ok(Place::Table(t)),
            toml::Value::Array(a) => Ok(Place::Array(a)),
            other => Err(format!("goes through {}, which holds no keys", describe(other))),
        }
    }

    fn set(self, step: &Step, value: toml::Value) -> Result<(), String> {
        match (self, step) {
            (Place::Table(t), Step::Key(k)) => {
                t.insert(k.clone(), value);
                Ok(())
            }
            (Place::Array(a), Step::Index(i)) => {
                let n = a.len();
                *a.get_mut(*i)
                    .ok_or_else(|| format!("index {i} is past the end; the array has {n} entries"))? = value;
                Ok(())
            }
            (Place::Table(_), Step::Index(i)) => Err(format!("[{i}] applied to a table")),
            (Place::Array(_), Step::Key(k)) => Err(format!(".{k} applied to an array")),
        }
    }
}

fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the string {s:?}"),
        other => format!("the value {other}"),
    }
}

/// Merges `over` into `base`: tables key by key, everything else replaced.
pub fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// A scenario file's table with its bases merged in.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The merged table (without `extends` and `set`).
    pub table: toml::Table,
    /// The folder `layout` is relative to (that of the file that named it).
    pub layout_dir: PathBuf,
    /// The files, the scenario's own first, then its base, and so on.
    pub chain: Vec<PathBuf>,
}

/// Why a file's table could not be resolved: its file, where, what.
#[derive(Debug, thiserror::Error)]
#[error("{}: {field}: {message}", file.display())]
pub struct ResolveError {
    /// The file at fault.
    pub file: PathBuf,
    /// The key or `(file)`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Resolves `table` (read from `path`) against the bases it extends;
/// `read` reads and parses another file into a table.
pub fn resolve<E: From<ResolveError>>(
    path: &Path,
    table: toml::Table,
    read: &mut dyn FnMut(&Path) -> Result<toml::Table, E>,
) -> Result<Resolved, E> {
    resolve_from(path, table, read, &mut Vec::new())
}

fn resolve_from<E: From<ResolveError>>(
    path: &Path,
    mut table: toml::Table,
    read: &mut dyn FnMut(&Path) -> Result<toml::Table, E>,
    seen: &mut Vec<PathBuf>,
) -> Result<Resolved, E> {
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let err = |field: &str, message: String| {
        E::from(ResolveError { file: path.to_path_buf(), field: field.into(), message })
    };
    seen.push(path.to_path_buf());
    let extends = match table.remove("extends") {
        None => None,
        Some(toml::Value::String(s)) => Some(s),
        Some(other) => return Err(err("extends", format!("found {other}; expected a file name in quotes"))),
    };
    let sets = match table.remove("set") {
        None => toml::Table::new(),
        Some(toml::Value::Table(t)) => t,
        Some(other) => {
            return Err(err("set", format!("found {other}; expected a table of \"path\" = value")));
        }
    };
    let mut resolved = match extends {
        Some(base) => {
            let base_path = dir.join(&base);
            if seen.iter().any(|p| same_file(p, &base_path)) {
                return Err(err(
                    "extends",
                    format!("{base:?} leads back to a file it extends; expected no cycle"),
                ));
            }
            if seen.len() >= MAX_EXTENDS {
                return Err(err(
                    "extends",
                    format!("more than {MAX_EXTENDS} files deep; expected a shorter chain"),
                ));
            }
            let base_table = read(&base_path)?;
            let mut inner = resolve_from(&base_path, base_table, read, seen)?;
            if table.contains_key("layout") {
                inner.layout_dir.clone_from(&dir);
            }
            merge(&mut inner.table, table);
            inner.chain.insert(0, path.to_path_buf());
            inner
        }
        None => Resolved { table, layout_dir: dir, chain: vec![path.to_path_buf()] },
    };
    for (key, value) in sets {
        let o = Override {
            path: parse_path(&key).map_err(|e| err("set", e.to_string()))?,
            path_text: key,
            value,
        };
        o.apply(&mut resolved.table).map_err(|e| err("set", e.to_string()))?;
    }
    Ok(resolved)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn paths_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_path("fleet[0].count").unwrap(),
            vec![Step::Key("fleet".into()), Step::Index(0), Step::Key("count".into())]
        );
        assert_eq!(parse_path("a[1][2]").unwrap().len(), 3);
        for (bad, why) in [
            ("", "found key \"\""),
            ("fleet[x].count", "index \"x\""),
            ("fleet[0.count", "closing ']'"),
            ("a..b", "found key \"\""),
            ("fleet[0]x", "after ']'"),
            ("fle et", "found key"),
        ] {
            let e = parse_path(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!("no-equals".parse::<Override>().unwrap_err().to_string().contains("PATH=VALUE"));
    }

    #[test]
    fn values_are_toml_or_else_text() {
        assert_eq!(parse_value("12"), toml::Value::Integer(12));
        assert_eq!(parse_value("1.5"), toml::Value::Float(1.5));
        assert_eq!(parse_value("[\"A\", \"B\"]").as_array().map(Vec::len), Some(2));
        assert_eq!(parse_value("Night shift"), toml::Value::String("Night shift".into()));
        assert_eq!(parse_value("\"7\""), toml::Value::String("7".into()));
    }

    #[test]
    fn overrides_reach_into_arrays_and_create_tables() {
        let mut t = table("[[flows]]\nper_hour = 10\n[[flows]]\nper_hour = 20\n");
        "flows[1].per_hour=30".parse::<Override>().unwrap().apply(&mut t).unwrap();
        "expect.min_delivered=5".parse::<Override>().unwrap().apply(&mut t).unwrap();
        assert_eq!(t["flows"][1]["per_hour"].as_integer(), Some(30));
        assert_eq!(t["flows"][0]["per_hour"].as_integer(), Some(10));
        assert_eq!(t["expect"]["min_delivered"].as_integer(), Some(5));
        let past = "flows[2].per_hour=1".parse::<Override>().unwrap().apply(&mut t).unwrap_err();
        assert!(past.to_string().contains("has 2 entries"), "{past}");
        let through = "flows[0].per_hour.x=1".parse::<Override>().unwrap().apply(&mut t).unwrap_err();
        assert!(through.to_string().contains("holds no keys"), "{through}");
        let wrong = "expect[0]=1".parse::<Override>().unwrap().apply(&mut t).unwrap_err();
        assert!(wrong.to_string().contains("applied to a table"), "{wrong}");
    }

    #[test]
    fn merge_replaces_arrays_and_merges_tables() {
        let mut base =
            table("name = \"a\"\n[[fleet]]\ncount = 1\n[[fleet]]\ncount = 2\n[expect]\nx = 1\ny = 2\n");
        merge(&mut base, table("[[fleet]]\ncount = 9\n[expect]\ny = 3\n"));
        assert_eq!(base["fleet"].as_array().map(Vec::len), Some(1));
        assert_eq!(base["expect"]["x"].as_integer(), Some(1));
        assert_eq!(base["expect"]["y"].as_integer(), Some(3));
        assert_eq!(base["name"].as_str(), Some("a"));
    }
}
