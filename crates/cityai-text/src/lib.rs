//! Chinese text handling for CityAI.
//!
//! Normalisation of imported and submitted text, and detection and masking of personal data
//! ([`pii`]). Word segmentation belongs here too.

mod normalize;
pub mod pii;

pub use normalize::normalize;
