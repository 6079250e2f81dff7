//! Chinese text handling for CityAI.
//!
//! For now this is normalisation of imported and submitted text; word segmentation and
//! personal-data detection belong here too.

mod normalize;

pub use normalize::normalize;
