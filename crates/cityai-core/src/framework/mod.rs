//! Domain types of the city's AI framework outside the register: the technology inventory,
//! education programmes, ROI estimates and the roadmap.
//!
//! The rules that need no I/O live here as pure functions: the lineage check
//! ([`lineage::check`]), the ROI arithmetic ([`roi::estimate`]) and milestone progress
//! ([`roadmap::milestone_progress`]). Persistence is in `cityai-store`.

pub mod lineage;
pub mod roadmap;
pub mod roi;

use serde::{Deserialize, Serialize};

/// Defines a closed set of stored string values with `as_str`, `parse` and `ALL`.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Returns the identifier stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses a stored identifier; `None` for any other text.
            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }

            /// Returns the accepted identifiers joined by ", ", for error messages.
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

stored_enum! {
    /// A data classification level of GB/T 43697-2024, ordered from least to most
    /// sensitive, so that `Important > General`.
    DataClassification {
        General => "general",
        Important => "important",
        Core => "core",
    }
}

stored_enum! {
    /// How often a dataset is refreshed.
    UpdateFrequency {
        Once => "once",
        RealTime => "real_time",
        Daily => "daily",
        Weekly => "weekly",
        Monthly => "monthly",
        Quarterly => "quarterly",
        Yearly => "yearly",
    }
}

stored_enum! {
    /// The kind of organisation that owns a model's intellectual property.
    IpOwnerKind {
        PublicSector => "public_sector",
        Vendor => "vendor",
        Joint => "joint",
    }
}

stored_enum! {
    /// The level an education programme serves.
    ProgrammeLevel {
        BasicSchooling => "basic_schooling",
        HigherEducation => "higher_education",
        Vocational => "vocational",
        /// Public and social AI literacy, including training for government staff.
        Public => "public",
    }
}

stored_enum! {
    /// The state of a roadmap milestone.
    MilestoneStatus {
        Planned => "planned",
        InProgress => "in_progress",
        Done => "done",
        Blocked => "blocked",
    }
}

stored_enum! {
    /// What a milestone's progress counts.
    MilestoneMeasure {
        /// A percentage the owner sets.
        Manual => "manual",
        /// Register entries that reached the pilot stage or went into use.
        Pilots => "pilots",
        /// Register entries in use.
        ApplicationsInUse => "applications_in_use",
        /// Datasets in the inventory.
        Datasets => "datasets",
        /// Models in the inventory.
        Models => "models",
        /// Education programmes.
        Programmes => "programmes",
        /// Course completions across departments.
        Completions => "completions",
    }
}

stored_enum! {
    /// A phase of the city's AI roadmap.
    RoadmapPhase {
        /// Strategic planning and ecosystem building.
        Strategy => "strategy",
        /// Technology and pilots.
        Technology => "technology",
        /// Talent and governance.
        Talent => "talent",
        /// Continuous iteration and public engagement.
        Iteration => "iteration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_orders_by_sensitivity() {
        assert!(DataClassification::Core > DataClassification::Important);
        assert!(DataClassification::Important > DataClassification::General);
        assert_eq!(
            DataClassification::parse("important"),
            Some(DataClassification::Important)
        );
        assert_eq!(DataClassification::parse("secret"), None);
        assert_eq!(DataClassification::choices(), "general, important, core");
    }
}
