//! Domain types shared by every CityAI crate: citizen requests, the category taxonomy,
//! departments, and the zh-CN/English message catalogues.
//!
//! This crate does no I/O. Persistence lives in `cityai-store`, file parsing in
//! `cityai-import`, and HTTP in `cityai-server`.

pub mod auth;
pub mod framework;
pub mod i18n;
pub mod request;
pub mod taxonomy;
pub mod time;

pub use auth::Role;
pub use i18n::{Lang, Messages};
pub use request::{Channel, ImportRow, ImportedReply, NewRequest, Request, RequestStatus};
pub use taxonomy::{CategoryPath, Department, TaxonomyEntry, TaxonomyError};
