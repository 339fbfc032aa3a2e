//! Diagnostics for layout files: where in the file, what was found, what was
//! expected. Every importer reports through these types; none panics.

use std::fmt;
use std::path::PathBuf;

/// Where in an input file a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A JSON path such as `$.layouts[0].edges[3].endNodeId`.
    JsonPath(String),
    /// A line (1-based) and column (1-based, 0 if the whole line).
    Line {
        /// Line number, from 1.
        line: usize,
        /// Column number, from 1; 0 means the whole line.
        column: usize,
    },
    /// The file as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::JsonPath(path) => f.write_str(path),
            Location::Line { line, column: 0 } => write!(f, "line {line}"),
            Location::Line { line, column } => write!(f, "line {line}, column {column}"),
            Location::File => f.write_str("(whole file)"),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Accepted with a leniency; the user should fix the file.
    Warning,
    /// The file cannot be used.
    Error,
}

/// What kind of problem a diagnostic reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum IssueCode {
    /// The file could not be read.
    Io,
    /// The file is empty.
    EmptyFile,
    /// The text is not well-formed JSON (includes truncated files).
    JsonSyntax,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong JSON type.
    WrongType,
    /// A number was written as a string (lenient mode accepts it).
    NumberAsString,
    /// A string that should hold a number does not.
    NotANumber,
    /// A number is NaN or infinite.
    NonFiniteNumber,
    /// A number is outside its allowed range.
    OutOfRange,
    /// A string is not one of the allowed values.
    UnknownEnumValue,
    /// Two items share an id that must be unique.
    DuplicateId,
    /// A reference names a node that does not exist.
    UnknownNode,
    /// An edge starts and ends at the same node.
    SelfLoop,
    /// An edge joins two distinct nodes at the same position.
    ZeroLengthEdge,
    /// A list that must not be empty is empty.
    EmptyList,
    /// The same vehicle type is listed twice on one node or edge.
    DuplicateVehicleType,
    /// An edge's start node lies on another level than the edge's layout.
    StartNodeOnOtherLevel,
    /// A trajectory cannot be evaluated (knots, degree, points).
    BadTrajectory,
    /// A trajectory does not begin or end at its edge's nodes.
    TrajectoryOffEnds,
    /// A grid map header line does not parse.
    BadHeader,
    /// A grid map row is shorter or longer than the width.
    BadRowLength,
    /// The grid map has fewer rows than its height.
    MissingRows,
    /// A grid map cell is not a known terrain character.
    UnknownCharacter,
    /// A scenario line does not parse.
    BadScenarioLine,
}

impl IssueCode {
    /// Short kebab-case name, stable for scripts.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::Io => "io",
            IssueCode::EmptyFile => "empty-file",
            IssueCode::JsonSyntax => "json-syntax",
            IssueCode::MissingField => "missing-field",
            IssueCode::WrongType => "wrong-type",
            IssueCode::NumberAsString => "number-as-string",
            IssueCode::NotANumber => "not-a-number",
            IssueCode::NonFiniteNumber => "non-finite-number",
            IssueCode::OutOfRange => "out-of-range",
            IssueCode::UnknownEnumValue => "unknown-enum-value",
            IssueCode::DuplicateId => "duplicate-id",
            IssueCode::UnknownNode => "unknown-node",
            IssueCode::SelfLoop => "self-loop",
            IssueCode::ZeroLengthEdge => "zero-length-edge",
            IssueCode::EmptyList => "empty-list",
            IssueCode::DuplicateVehicleType => "duplicate-vehicle-type",
            IssueCode::StartNodeOnOtherLevel => "start-node-on-other-level",
            IssueCode::BadTrajectory => "bad-trajectory",
            IssueCode::TrajectoryOffEnds => "trajectory-off-ends",
            IssueCode::BadHeader => "bad-header",
            IssueCode::BadRowLength => "bad-row-length",
            IssueCode::MissingRows => "missing-rows",
            IssueCode::UnknownCharacter => "unknown-character",
            IssueCode::BadScenarioLine => "bad-scenario-line",
        }
    }
}

/// One diagnostic: where, what was found, what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Warning or error.
    pub severity: Severity,
    /// What kind of problem.
    pub code: IssueCode,
    /// Where in the file.
    pub location: Location,
    /// The offending value as written (truncated if long), or a description.
    pub found: String,
    /// What would have been accepted.
    pub expected: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{level}[{}] at {}: found {}; expected {}",
            self.code.as_str(),
            self.location,
            self.found,
            self.expected
        )
    }
}

/// Shortens a value for display in a diagnostic.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}… ({} chars)", text.chars().count())
    }
}

/// A layout file that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than any layout may be (or never ends, as
    /// `/dev/zero`).
    #[error("{file}: larger than {limit} bytes; expected a layout file")]
    TooLarge {
        /// The file.
        file: PathBuf,
        /// The limit, bytes.
        limit: u64,
    },
    /// The file was read but is not a valid layout; `issues` holds every
    /// error (and warning) found, errors first.
    #[error("{}", render_invalid(file, issues))]
    Invalid {
        /// The file (or `<input>` for in-memory text).
        file: PathBuf,
        /// All diagnostics, at least one of them an error.
        issues: Vec<Issue>,
    },
}

impl LoadError {
    /// All diagnostics (for `Io`, none).
    pub fn issues(&self) -> &[Issue] {
        match self {
            LoadError::Io { .. } | LoadError::TooLarge { .. } => &[],
            LoadError::Invalid { issues, .. } => issues,
        }
    }

    /// The error diagnostics only.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues().iter().filter(|i| i.severity == Severity::Error)
    }

    /// Whether some error has this code.
    pub fn has(&self, code: IssueCode) -> bool {
        self.errors().any(|i| i.code == code)
    }
}

fn render_invalid(file: &std::path::Path, issues: &[Issue]) -> String {
    let n_errors = issues.iter().filter(|i| i.severity == Severity::Error).count();
    let mut text = format!("{}: invalid layout ({n_errors} error(s))", file.display());
    for issue in issues {
        text.push_str(&format!("\n  {}: {issue}", file.display()));
    }
    text
}

/// A successfully loaded layout with the leniencies that were applied.
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// The loaded value.
    pub value: T,
    /// Warnings (never errors).
    pub warnings: Vec<Issue>,
}
