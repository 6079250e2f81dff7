//! Progress of the roadmap's milestones and phases.

use chrono::NaiveDate;

use super::{MilestoneMeasure, MilestoneStatus};

/// Returns a milestone's progress from 0 to 1.
///
/// A done milestone is complete whatever it counts. A manual milestone takes the owner's
/// `manual` figure. Every other measure divides `counted`, the linked items the store
/// counted for it, by `target`, capped at 1; without a target it has made no progress.
pub fn milestone_progress(
    status: MilestoneStatus,
    measure: MilestoneMeasure,
    target: Option<i64>,
    counted: i64,
    manual: f64,
) -> f64 {
    if status == MilestoneStatus::Done {
        return 1.0;
    }
    if measure == MilestoneMeasure::Manual {
        return manual.clamp(0.0, 1.0);
    }
    match target {
        Some(target) if target > 0 => (counted.max(0) as f64 / target as f64).min(1.0),
        _ => 0.0,
    }
}

/// Returns the mean of the progress figures, or `None` when there are none.
pub fn mean_progress(progress: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = progress
        .into_iter()
        .fold((0.0, 0_usize), |(sum, n), p| (sum + p, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Returns whether a milestone is past its due date without being done.
pub fn is_overdue(due_on: NaiveDate, today: NaiveDate, status: MilestoneStatus) -> bool {
    status != MilestoneStatus::Done && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_measures_divide_by_target() {
        let progress = milestone_progress(
            MilestoneStatus::InProgress,
            MilestoneMeasure::Pilots,
            Some(4),
            3,
            0.0,
        );
        assert!((progress - 0.75).abs() < 1e-12, "{progress}");
        let capped = milestone_progress(
            MilestoneStatus::InProgress,
            MilestoneMeasure::Pilots,
            Some(4),
            9,
            0.0,
        );
        assert_eq!(capped, 1.0);
        let untargeted = milestone_progress(
            MilestoneStatus::Planned,
            MilestoneMeasure::Datasets,
            None,
            9,
            0.0,
        );
        assert_eq!(untargeted, 0.0);
    }

    #[test]
    fn done_and_manual_milestones() {
        let done = milestone_progress(
            MilestoneStatus::Done,
            MilestoneMeasure::Pilots,
            Some(10),
            1,
            0.0,
        );
        assert_eq!(done, 1.0);
        let manual = milestone_progress(
            MilestoneStatus::InProgress,
            MilestoneMeasure::Manual,
            None,
            0,
            0.4,
        );
        assert!((manual - 0.4).abs() < 1e-12);
        // A manual figure ignores the count, even a large one.
        let ignored = milestone_progress(
            MilestoneStatus::Blocked,
            MilestoneMeasure::Manual,
            Some(1),
            5,
            0.1,
        );
        assert!((ignored - 0.1).abs() < 1e-12);
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean_progress([]), None);
        let mean = mean_progress([1.0, 0.5, 0.0]).unwrap();
        assert!((mean - 0.5).abs() < 1e-12);
    }

    #[test]
    fn overdue_only_when_not_done() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let later = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        assert!(is_overdue(due, later, MilestoneStatus::InProgress));
        assert!(!is_overdue(due, later, MilestoneStatus::Done));
        assert!(!is_overdue(due, due, MilestoneStatus::Planned));
    }
}
