//! What `qgrade module check --json` prints: a table's mistakes and its vectors' coverage,
//! for a standards body's own CI.

use schemars::JsonSchema;
use serde::Serialize;

use crate::table::{CoverageRow, Finding};

/// A table checked.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TableCheck {
    /// The product code, when the table parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The module version, when the table parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Every mistake, by line; empty when the table is fit to build.
    pub mistakes: Vec<TableMistake>,
    /// Each threshold and the vectors around it, when vectors were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<ThresholdCoverage>>,
}

/// A mistake in a table.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TableMistake {
    /// 1-based line in the table file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One threshold and the vectors around it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ThresholdCoverage {
    /// The indicator's id.
    pub indicator: String,
    /// The threshold, e.g. `AA ≥ 14 (species = goose)`.
    pub threshold: String,
    /// A vector sits exactly on it (a pass-fail item: a vector passes).
    pub on: bool,
    /// A vector meets it with no other threshold in between.
    pub inside: bool,
    /// A vector misses it with no other threshold in between (a pass-fail item: a vector
    /// fails).
    pub outside: bool,
}

impl From<&Finding> for TableMistake {
    fn from(f: &Finding) -> TableMistake {
        TableMistake {
            line: f.line,
            message: f.message.clone(),
        }
    }
}

impl From<&CoverageRow> for ThresholdCoverage {
    fn from(r: &CoverageRow) -> ThresholdCoverage {
        ThresholdCoverage {
            indicator: r.indicator.to_string(),
            threshold: r.threshold.clone(),
            on: r.on,
            inside: r.inside,
            outside: r.outside,
        }
    }
}
