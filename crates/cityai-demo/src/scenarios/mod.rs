//! Request templates: what citizens write about each category, with placeholders for places.
//!
//! Placeholders in titles, bodies and replies: `{district}`, `{road}`, `{road2}`, `{estate}`,
//! `{school}`, `{market}`, `{hospital}`, `{park}`, `{village}`, `{company}`, `{shop}`,
//! `{training}`, `{bus}` and `{since}` (a duration). The generator fills them from
//! [`crate::places`], using one district for the whole request.

mod city;
mod economy;
mod governance;
mod people;

/// One kind of request that citizens write, instantiated several times in different places.
#[derive(Debug)]
pub(crate) struct Scenario {
    /// The deepest category that fits, as level names.
    pub category: &'static [&'static str],
    pub title: &'static str,
    pub body: &'static str,
    /// The department's findings and actions for the official reply, which may use
    /// placeholders.
    pub reply: &'static str,
}

/// Every scenario, grouped by first-level category.
pub(crate) const ALL: &[&[Scenario]] = &[
    city::URBAN_CONSTRUCTION,
    city::ENVIRONMENT,
    city::TRANSPORT,
    city::WATER,
    people::EDUCATION,
    people::LABOUR,
    people::HEALTH,
    people::CIVIL_AFFAIRS,
    economy::COMMERCE_TOURISM,
    economy::AGRICULTURE,
    economy::LAND,
    economy::MARKET_REGULATION,
    governance::LAW,
    governance::GOVERNMENT_SERVICE,
];
