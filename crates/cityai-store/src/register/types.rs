//! The value types of the AI register: lifecycle stages, risk levels and the other closed
//! lists that the schema's CHECK constraints name.

use serde::{Deserialize, Serialize};

use crate::{Result, StoreError};

/// Declares a closed list stored as snake_case text, with `as_str`, `parse` and `ALL`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $column:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order the register lists them.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// Returns the stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored text.
            ///
            /// # Errors
            ///
            /// [`StoreError::InvalidValue`] naming the accepted values.
            pub fn parse(value: &str) -> Result<Self> {
                match value {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::InvalidValue {
                        field: $column,
                        value: other.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// The lifecycle stage of an AI application.
    Stage, "stage", {
        Proposed => "proposed",
        UnderReview => "under_review",
        Pilot => "pilot",
        InUse => "in_use",
        Suspended => "suspended",
        Retired => "retired",
    }
);

impl Stage {
    /// Returns whether an application in this stage runs, so that it needs a valid approval.
    pub fn is_running(self) -> bool {
        matches!(self, Stage::Pilot | Stage::InUse)
    }

    /// Returns whether the lifecycle allows a move from `self` to `to`.
    ///
    /// Proposals go under review, then to a pilot or straight into use. Running
    /// applications can be suspended and resumed. Any application can retire, and
    /// retirement is final.
    pub fn may_move_to(self, to: Stage) -> bool {
        use Stage::*;
        match (self, to) {
            (Retired, _) => false,
            (_, Retired) => true,
            (Proposed, UnderReview) => true,
            (UnderReview, Proposed | Pilot | InUse) => true,
            (Pilot, InUse | Suspended) => true,
            (InUse, Pilot | Suspended) => true,
            (Suspended, Pilot | InUse | UnderReview) => true,
            _ => false,
        }
    }
}

text_enum!(
    /// The risk level, which sets the tier of supervision.
    RiskLevel, "risk_level", {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
);

impl RiskLevel {
    /// Returns how many months may pass between two monitoring records at this level.
    pub fn monitoring_interval_months(self) -> u32 {
        match self {
            RiskLevel::Low => 12,
            RiskLevel::Medium => 6,
            RiskLevel::High => 3,
        }
    }

    /// Returns whether an application at this level needs the committee's ethical review
    /// before it may run.
    pub fn needs_committee_review(self) -> bool {
        self == RiskLevel::High
    }
}

text_enum!(
    /// The kind of model an application uses.
    ModelType, "model_type", {
        /// An industry-specific (vertical) model.
        Industry => "industry",
        /// A regional comprehensive model that the city or province operates.
        Regional => "regional",
        /// A general-purpose model.
        General => "general",
    }
);

text_enum!(
    /// The publication category of the Dutch Algoritmeregister standard.
    PublicationCategory, "publication_category", {
        /// A high-risk AI system in the sense of the EU AI Act.
        HighRisk => "high_risk",
        /// An impactful algorithm: it affects citizens' rights or decisions about them.
        Impactful => "impactful",
        Other => "other",
    }
);

text_enum!(
    /// The reason an ethical review case was opened.
    ReviewKind, "kind", {
        HighRisk => "high_risk",
        SocialExperiment => "social_experiment",
        GeneratedContent => "generated_content",
        /// The approval recorded when CityAI registers its own features on first start.
        Installation => "installation",
        ReReview => "re_review",
    }
);

text_enum!(
    /// The committee's decision on a review case.
    Decision, "decision", {
        Approved => "approved",
        ApprovedWithConditions => "approved_with_conditions",
        Rejected => "rejected",
    }
);

text_enum!(
    /// The kind of an organisation taking part.
    OrganisationKind, "kind", {
        Government => "government",
        Enterprise => "enterprise",
        Academia => "academia",
        CitizenGroup => "citizen_group",
    }
);

text_enum!(
    /// An organisation's role on an application.
    ParticipantRole, "role", {
        Lead => "lead",
        Partner => "partner",
        Supplier => "supplier",
        Evaluator => "evaluator",
        User => "user",
        Advisor => "advisor",
    }
);

text_enum!(
    /// The moderation state of a citizen's feedback.
    FeedbackStatus, "status", {
        Pending => "pending",
        Published => "published",
        Rejected => "rejected",
    }
);

text_enum!(
    /// The source of a monitoring record's figures.
    MonitoringSource, "source", {
        /// Computed from CityAI's own stored events.
        Measured => "measured",
        /// Entered by staff for an application that runs outside CityAI.
        Reported => "reported",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()).unwrap(), *stage);
        }
    }

    #[test]
    fn unknown_stage_names_accepted_values() {
        let err = Stage::parse("live").unwrap_err().to_string();
        assert!(err.contains("\"live\""), "{err}");
        assert!(err.contains("in_use"), "{err}");
    }

    #[test]
    fn retirement_is_final() {
        for stage in Stage::ALL {
            assert!(!Stage::Retired.may_move_to(*stage), "{stage}");
        }
        assert!(Stage::Suspended.may_move_to(Stage::Retired));
    }

    #[test]
    fn proposals_cannot_skip_review() {
        assert!(!Stage::Proposed.may_move_to(Stage::Pilot));
        assert!(!Stage::Proposed.may_move_to(Stage::InUse));
        assert!(Stage::UnderReview.may_move_to(Stage::Pilot));
    }
}
