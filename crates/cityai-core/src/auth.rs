//! Roles of the people and machine clients that use CityAI.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user may do. Each route of the server names the roles it admits, and everything
/// else is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A resident who submits requests and follows their own through public pages and the API.
    Citizen,
    /// A hotline operator who takes requests in and checks their routing.
    Operator,
    /// A department handler who works on the requests of one department only.
    Handler,
    /// A reviewer who checks routing and replies across departments.
    Reviewer,
    /// An administrator who manages users and configuration.
    Admin,
    /// An auditor who reads the audit trail and may read requests with personal data masked.
    Auditor,
    /// Staff of the city's AI office, who keep the register of AI applications, the
    /// technology inventory, education programmes and the roadmap.
    AiOffice,
}

impl Role {
    /// Every role, in the order the console lists them.
    pub const ALL: [Role; 7] = [
        Role::Citizen,
        Role::Operator,
        Role::Handler,
        Role::Reviewer,
        Role::Admin,
        Role::Auditor,
        Role::AiOffice,
    ];

    /// Returns the stable identifier stored in the database and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Operator => "operator",
            Role::Handler => "handler",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::AiOffice => "ai_office",
        }
    }

    /// Returns whether staff with this role may see requests' personal data unmasked.
    ///
    /// Operators call citizens back and handlers work the case, so both need the contact
    /// details; reviewers, auditors and administrators do their work on masked text.
    pub fn may_view_unmasked(self) -> bool {
        matches!(self, Role::Operator | Role::Handler)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or_else(|| {
                format!(
                    "unknown role {value:?}: use one of citizen, operator, handler, reviewer, \
                     admin, auditor, ai_office"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().unwrap_err().contains("\"root\""));
    }
}
