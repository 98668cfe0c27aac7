//! Credit grades (计量信用等级): a pure function of an operator's records, the time and the
//! rule parameters (being written).

use liangxin_types::{Hash, Uscc};
use serde::{Deserialize, Serialize};

use crate::model::{Grade, Time};
use crate::{State, StateError};

/// One reason for a grade: which record, how it counts, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The record (absent for derived facts with no single record).
    pub record: Option<Hash>,
    /// Points added (positive) or taken off (negative).
    pub points: i64,
    /// Until when it counts, if it expires.
    pub until: Option<Time>,
    /// What it is, for a person.
    pub text: String,
}

/// An operator's grade at a moment, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeReport {
    /// The operator.
    pub operator: Uscc,
    /// The moment graded.
    pub at: Time,
    /// The score.
    pub score: i64,
    /// The grade.
    pub grade: Grade,
    /// Every input that counted, in a stable order.
    pub reasons: Vec<Reason>,
}

/// The grade of `operator` at `now` (being written).
pub fn grade(_s: &impl State, operator: &Uscc, now: Time) -> Result<GradeReport, StateError> {
    Ok(GradeReport {
        operator: operator.clone(),
        at: now,
        score: 0,
        grade: Grade::D,
        reasons: Vec::new(),
    })
}
