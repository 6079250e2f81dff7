//! Input checks of the framework's writes, each naming the invalid value and the fix.

use cityai_core::framework::{IpOwnerKind, MilestoneMeasure};
use cityai_store::{
    Enrolment, MilestoneUpdate, NewComputeResource, NewCourse, NewDataset, NewEnvironment,
    NewMilestone, NewModel, NewProgramme,
};

use crate::ServiceError;

/// The maximum length of names, titles and other short texts, in characters.
const MAX_TEXT: usize = 200;

fn invalid(message: String) -> ServiceError {
    ServiceError::Invalid(message)
}

/// Checks a code: 1 to 64 lowercase letters, digits, dots, hyphens or underscores,
/// starting with a letter or digit.
fn code(field: &str, value: &str) -> Result<(), ServiceError> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid {field} {value:?}: use 1 to 64 lowercase letters, digits, '.', '-' or '_', \
             starting with a letter or digit"
        )))
    }
}

/// Checks a required short text.
fn text(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.trim().is_empty() {
        return Err(invalid(format!("missing {field}: give a non-empty text")));
    }
    optional_text(field, value)
}

/// Checks an optional short text.
fn optional_text(field: &str, value: &str) -> Result<(), ServiceError> {
    let length = value.chars().count();
    if length > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "invalid {field}: use at most {MAX_TEXT} characters without control characters \
             (got {length})"
        )));
    }
    Ok(())
}

/// Checks that a number lies in `min..=max`; NaN fails.
fn within(field: &str, value: f64, min: f64, max: f64) -> Result<(), ServiceError> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid {field} {value}: use a number from {min} to {max}"
        )))
    }
}

/// Checks that a count lies in `min..=max`.
fn count(field: &str, value: i64, min: i64, max: i64) -> Result<(), ServiceError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid {field} {value}: use a whole number from {min} to {max}"
        )))
    }
}

/// Checks that a date lies in the years 2000 to 2100, the span a plan can mean.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the field.
pub fn check_date(field: &str, date: chrono::NaiveDate) -> Result<(), ServiceError> {
    use chrono::Datelike;
    if (2000..=2100).contains(&date.year()) {
        Ok(())
    } else {
        Err(invalid(format!(
            "invalid {field} {date}: use a date from 2000-01-01 to 2100-12-31"
        )))
    }
}

/// Checks a deployment environment.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_environment(new: &NewEnvironment) -> Result<(), ServiceError> {
    code("code", &new.code)?;
    text("name_zh", &new.name_zh)?;
    text("name_en", &new.name_en)
}

/// Checks a compute resource.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_compute(new: &NewComputeResource) -> Result<(), ServiceError> {
    code("code", &new.code)?;
    text("site", &new.site)?;
    text("accelerator", &new.accelerator)?;
    count("accelerator_count", new.accelerator_count, 0, 1_000_000)?;
    within("capacity_pflops", new.capacity_pflops, 0.0, 1e9)?;
    within("utilisation", new.utilisation, 0.0, 1.0)?;
    code("environment_code", &new.environment_code)
}

/// Checks a dataset: personal information needs a legal basis.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_dataset(new: &NewDataset) -> Result<(), ServiceError> {
    code("code", &new.code)?;
    text("name_zh", &new.name_zh)?;
    text("name_en", &new.name_en)?;
    text("owner", &new.owner)?;
    text("source", &new.source)?;
    optional_text("legal_basis", &new.legal_basis)?;
    optional_text("licence", &new.licence)?;
    within("size_gb", new.size_gb, 0.0, 1e12)?;
    if new.personal_information && new.legal_basis.trim().is_empty() {
        return Err(invalid(
            "missing legal_basis: a dataset with personal information needs the legal basis \
             of its processing, such as a statute or the data subjects' consent"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Checks a model: one trained on public data belongs to the public sector.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_model(new: &NewModel) -> Result<(), ServiceError> {
    code("code", &new.code)?;
    text("name_zh", &new.name_zh)?;
    text("name_en", &new.name_en)?;
    text("base_model", &new.base_model)?;
    text("version", &new.version)?;
    text("ip_owner", &new.ip_owner)?;
    code("environment_code", &new.environment_code)?;
    if new.trained_on_public_data && new.ip_owner_kind != IpOwnerKind::PublicSector {
        return Err(invalid(format!(
            "invalid ip_owner_kind {:?}: a model trained on public data belongs to the public \
             sector; use public_sector",
            new.ip_owner_kind.as_str()
        )));
    }
    if new.evaluation.len() > 50 {
        return Err(invalid(format!(
            "invalid evaluation: at most 50 metrics (got {})",
            new.evaluation.len()
        )));
    }
    for (metric, value) in &new.evaluation {
        text("evaluation metric name", metric)?;
        within(&format!("evaluation {metric}"), *value, -1e12, 1e12)?;
    }
    if new.dataset_ids.len() > 1000 {
        return Err(invalid(
            "invalid dataset_ids: at most 1000 datasets".to_owned(),
        ));
    }
    Ok(())
}

/// Checks a programme.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_programme(new: &NewProgramme) -> Result<(), ServiceError> {
    code("code", &new.code)?;
    text("name_zh", &new.name_zh)?;
    text("name_en", &new.name_en)?;
    optional_text("partner", &new.partner)
}

/// Checks a course.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_course(new: &NewCourse) -> Result<(), ServiceError> {
    code("code", &new.code)?;
    text("title_zh", &new.title_zh)?;
    text("title_en", &new.title_en)?;
    within("hours", new.hours, 0.01, 10_000.0)
}

/// Checks an enrolment record: completions cannot exceed enrolments.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_enrolment(enrolment: &Enrolment) -> Result<(), ServiceError> {
    text("department_code", &enrolment.department_code)?;
    count("enrolled", enrolment.enrolled, 0, 10_000_000)?;
    count("completed", enrolment.completed, 0, enrolment.enrolled)
}

/// Checks a department's staff count.
///
/// # Errors
///
/// [`ServiceError::Invalid`] when it is not from 1 to 10,000,000.
pub fn check_staff(department: &str, staff: i64) -> Result<(), ServiceError> {
    text("department_code", department)?;
    count("staff", staff, 1, 10_000_000)
}

/// Checks a milestone: a counted measure needs a target.
///
/// # Errors
///
/// [`ServiceError::Invalid`] naming the first invalid field.
pub fn check_milestone(new: &NewMilestone) -> Result<(), ServiceError> {
    text("title_zh", &new.title_zh)?;
    text("title_en", &new.title_en)?;
    text("owner", &new.owner)?;
    within("manual_progress", new.manual_progress, 0.0, 1.0)?;
    check_date("due_on", new.due_on)?;
    match new.target {
        Some(target) => count("target", target, 1, 1_000_000_000)?,
        None if new.measure != MilestoneMeasure::Manual => {
            return Err(invalid(format!(
                "missing target: measure {} counts items, so give the count that completes \
                 the milestone",
                new.measure.as_str()
            )));
        }
        None => {}
    }
    Ok(())
}

/// Checks a milestone update.
///
/// # Errors
///
/// [`ServiceError::Invalid`] when the manual progress is outside 0 to 1.
pub fn check_milestone_update(update: &MilestoneUpdate) -> Result<(), ServiceError> {
    if let Some(progress) = update.manual_progress {
        within("manual_progress", progress, 0.0, 1.0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_must_be_plain() {
        assert!(code("code", "cityai.routing").is_ok());
        assert!(code("code", "dc-01_a").is_ok());
        for bad in ["", "Upper", "-lead", "has space", "路由", &"a".repeat(65)] {
            let err = code("code", bad).unwrap_err();
            assert!(err.to_string().contains("invalid code"), "{bad}: {err}");
        }
    }

    #[test]
    fn counted_milestone_needs_target() {
        let milestone = NewMilestone {
            phase: cityai_core::framework::RoadmapPhase::Technology,
            title_zh: "试点".into(),
            title_en: "Pilots".into(),
            owner: "AI office".into(),
            due_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            status: cityai_core::framework::MilestoneStatus::Planned,
            measure: MilestoneMeasure::Pilots,
            target: None,
            manual_progress: 0.0,
        };
        let err = check_milestone(&milestone).unwrap_err();
        assert!(err.to_string().contains("missing target"), "{err}");
        let manual = NewMilestone {
            measure: MilestoneMeasure::Manual,
            ..milestone
        };
        assert!(check_milestone(&manual).is_ok());
    }

    #[test]
    fn completions_cannot_exceed_enrolments() {
        let err = check_enrolment(&Enrolment {
            session_id: 1,
            department_code: "housing".into(),
            enrolled: 3,
            completed: 4,
        })
        .unwrap_err();
        assert!(err.to_string().contains("invalid completed 4"), "{err}");
    }
}
