//! VDMA Layout Interchange Format (LIF) import and export.
//!
//! Import is lenient by default: what the specification's own examples get
//! wrong (a missing `stations` array, numbers written as strings, missing
//! schema-required fields that have a safe default) is accepted and reported
//! as a warning naming the JSON path. [`LifOptions::strict`] turns every such
//! leniency into an error, so that strict mode rejects what the LIF schema
//! rejects. Semantic problems (unknown or duplicate ids, non-finite
//! coordinates or ones more than 1,000 km from the origin, self-loops,
//! zero-length edges, unusable trajectories) are errors in both modes.

mod export;
mod import;
mod reader;

use std::path::Path;

pub use export::{to_string, to_value};

use crate::error::{LoadError, Loaded};
use crate::model::{BlockingType, Layout, OrientationType, RequirementType, RotationDirections};

/// How to import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LifOptions {
    /// Reject everything the LIF schema rejects instead of warning.
    pub strict: bool,
}

pub(crate) const ORIENTATION_TYPES: &[(&str, OrientationType)] =
    &[("GLOBAL", OrientationType::Global), ("TANGENTIAL", OrientationType::Tangential)];
pub(crate) const ROTATION_DIRECTIONS: &[(&str, RotationDirections)] = &[
    ("NONE", RotationDirections::None),
    ("CCW", RotationDirections::Ccw),
    ("CW", RotationDirections::Cw),
    ("BOTH", RotationDirections::Both),
];
pub(crate) const REQUIREMENT_TYPES: &[(&str, RequirementType)] = &[
    ("REQUIRED", RequirementType::Required),
    ("CONDITIONAL", RequirementType::Conditional),
    ("OPTIONAL", RequirementType::Optional),
];
pub(crate) const ACTION_BLOCKING: &[(&str, BlockingType)] =
    &[("NONE", BlockingType::None), ("SOFT", BlockingType::Soft), ("HARD", BlockingType::Hard)];

/// Parses LIF text. `file` is only used in messages.
pub fn parse(text: &str, file: &Path, options: LifOptions) -> Result<Loaded<Layout>, LoadError> {
    match import::parse(text, options.strict) {
        Ok((value, warnings)) => Ok(Loaded { value, warnings }),
        Err(issues) => Err(LoadError::Invalid { file: file.to_path_buf(), issues }),
    }
}

/// Reads and parses a LIF file.
pub fn load(path: &Path, options: LifOptions) -> Result<Loaded<Layout>, LoadError> {
    let bytes = crate::read_bounded(path)?;
    let text = crate::decode_utf8(&bytes, path)?;
    parse(&text, path, options)
}
