//! A JSON reader that remembers where it is: every accessor takes the JSON
//! path of the object it reads and records a diagnostic (warning or error)
//! naming that path, the value found and what was expected.

use serde_json::{Map, Value};

use crate::error::{Issue, IssueCode, Location, Severity, excerpt};

/// How a field must be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Absent is an error in every mode.
    Required,
    /// The schema requires it, but lenient mode defaults it with a warning.
    SchemaRequired,
    /// May be absent.
    Optional,
}

pub(crate) struct Reader {
    pub(crate) strict: bool,
    pub(crate) issues: Vec<Issue>,
}

pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {:?}", excerpt(s)),
        Value::Array(a) => format!("an array of {} item(s)", a.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

pub(crate) fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

pub(crate) fn item(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

impl Reader {
    pub(crate) fn new(strict: bool) -> Reader {
        Reader { strict, issues: Vec::new() }
    }

    pub(crate) fn report(
        &mut self,
        severity: Severity,
        code: IssueCode,
        path: &str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.issues.push(Issue {
            severity,
            code,
            location: Location::JsonPath(path.to_string()),
            found: found.into(),
            expected: expected.into(),
        });
    }

    pub(crate) fn error(
        &mut self,
        code: IssueCode,
        path: &str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.report(Severity::Error, code, path, found, expected);
    }

    /// A warning in lenient mode, an error in strict mode.
    pub(crate) fn leniency(
        &mut self,
        code: IssueCode,
        path: &str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) {
        let severity = if self.strict { Severity::Error } else { Severity::Warning };
        self.report(severity, code, path, found, expected);
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// The value under `key`, reporting its absence according to `need`.
    pub(crate) fn field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        expected: &str,
    ) -> Option<&'v Value> {
        match obj.get(key) {
            Some(Value::Null) | None => {
                let found = if obj.contains_key(key) { "null" } else { "nothing" };
                let p = child(path, key);
                match need {
                    Need::Required => self.error(IssueCode::MissingField, &p, found, expected),
                    Need::SchemaRequired => self.leniency(
                        IssueCode::MissingField,
                        &p,
                        found,
                        format!("{expected} (required by the LIF schema)"),
                    ),
                    Need::Optional => {}
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    pub(crate) fn object<'v>(&mut self, value: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.error(IssueCode::WrongType, path, describe(other), "a JSON object");
                None
            }
        }
    }

    pub(crate) fn object_field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<&'v Map<String, Value>> {
        let v = self.field(obj, path, key, need, "a JSON object")?;
        self.object(v, &child(path, key))
    }

    pub(crate) fn array_field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<&'v [Value]> {
        let v = self.field(obj, path, key, need, "a JSON array")?;
        match v {
            Value::Array(items) => Some(items),
            other => {
                self.error(IssueCode::WrongType, &child(path, key), describe(other), "a JSON array");
                None
            }
        }
    }

    pub(crate) fn string_value(&mut self, value: &Value, path: &str) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => {
                self.error(IssueCode::WrongType, path, describe(other), "a string");
                None
            }
        }
    }

    pub(crate) fn string(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<String> {
        let v = self.field(obj, path, key, need, "a string")?;
        let s = self.string_value(v, &child(path, key))?;
        if need == Need::Required && s.is_empty() {
            self.error(IssueCode::MissingField, &child(path, key), "an empty string", "a non-empty id");
            return None;
        }
        Some(s)
    }

    /// A finite number; a numeric string is a leniency.
    pub(crate) fn number_value(&mut self, value: &Value, path: &str) -> Option<f64> {
        let number = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(parsed) => {
                    if parsed.is_finite() {
                        self.leniency(
                            IssueCode::NumberAsString,
                            path,
                            format!("string {s:?}"),
                            "a JSON number (accepted as its number)",
                        );
                    }
                    Some(parsed)
                }
                Err(_) => {
                    self.error(IssueCode::NotANumber, path, format!("string {:?}", excerpt(s)), "a number");
                    return None;
                }
            },
            other => {
                self.error(IssueCode::WrongType, path, describe(other), "a number");
                return None;
            }
        };
        match number {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                self.error(IssueCode::NonFiniteNumber, path, describe(value), "a finite number");
                None
            }
        }
    }

    pub(crate) fn number(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<f64> {
        let v = self.field(obj, path, key, need, "a number")?;
        self.number_value(v, &child(path, key))
    }

    /// A number that must lie in `[min, max]`.
    pub(crate) fn number_in(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let n = self.number(obj, path, key, need)?;
        if n < min || n > max {
            let range = match (min.is_finite(), max.is_finite()) {
                (true, true) => format!("a number from {min} to {max}"),
                (true, false) => format!("a number of at least {min}"),
                _ => format!("a number of at most {max}"),
            };
            self.error(IssueCode::OutOfRange, &child(path, key), format!("{n}"), range);
            return None;
        }
        Some(n)
    }

    pub(crate) fn boolean(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<bool> {
        match self.field(obj, path, key, need, "true or false")? {
            Value::Bool(b) => Some(*b),
            other => {
                self.error(IssueCode::WrongType, &child(path, key), describe(other), "true or false");
                None
            }
        }
    }

    pub(crate) fn enumeration<T: Copy>(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        table: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
        let expected = format!("one of {}", names.join(", "));
        let v = self.field(obj, path, key, need, &expected)?;
        let p = child(path, key);
        let s = self.string_value(v, &p)?;
        match table.iter().find(|(name, _)| *name == s) {
            Some((_, value)) => Some(*value),
            None => {
                self.error(IssueCode::UnknownEnumValue, &p, format!("{:?}", excerpt(&s)), expected);
                None
            }
        }
    }
}
