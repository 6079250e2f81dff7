//! Persistence of the city's AI framework outside the register: the technology inventory
//! and its lineage, education programmes, ROI scenarios, the roadmap, and the live figures
//! that the ROI calculator's measured mode and the key-metrics page read.
//!
//! Rules (the lineage check, ROI arithmetic, milestone progress) are pure functions in
//! `cityai_core::framework`; this module stores and counts.

mod education;
mod inventory;
mod roadmap;

pub use education::{
    Course, CourseSession, DepartmentCoverage, Enrolment, LevelReach, NewCourse, NewProgramme,
    NewSession, Programme,
};
pub use inventory::{
    ApplicationSummary, ComputeResource, Dataset, Environment, Model, NewComputeResource,
    NewDataset, NewEnvironment, NewModel,
};
pub use roadmap::{
    HandlingSample, MeasureCounts, Milestone, MilestoneUpdate, NewMilestone, Phase, RoiScenario,
};

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, StoreError};

/// Reads a 0/1 integer column as a bool.
fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// Reads a text column that holds one of a stored enum's identifiers.
fn stored<T>(row: &AnyRow, column: &'static str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    let text: String = row.try_get(column)?;
    parse(&text).ok_or(StoreError::InvalidStoredValue {
        column,
        value: text,
    })
}
